"""Problems found in a record, worded for the person who has to fix the file.

Every stage reports through :class:`Diagnostic` so that the command line can print
all problems of a file at once, in the ``FILE:LINE: severity: message`` form that
editors and CI logs turn into links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal

#: "info" is advice that never makes a record invalid (the completeness report); ``--strict``
#: promotes warnings only.
Severity = Literal["error", "warning", "info"]

#: What cannot be shown as it is in a one-line message or an XML output: control
#: characters (a newline would split a message), bidi controls (they reorder what
#: follows them on screen), XML non-characters, and the undecodable bytes of a
#: file name that is not UTF-8 (Python keeps them as lone surrogates U+DC80..U+DCFF).
_UNSHOWABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufffe\uffff\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte of a file name, as the byte
        return f"\\x{code - 0xDC00:02x}"
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: object) -> str:
    """``text`` (often a file name) fit for one line of a message or an XML file.

    Invisible and line-breaking characters become backslash escapes (``\\n``,
    ``\\x1b``, ``\\u202e``); bytes that are not UTF-8 become ``\\xNN``. Everything
    else is kept, so an ordinary name reads as it is. Escaping twice changes nothing.
    """
    return _UNSHOWABLE.sub(_escape_one, str(text))


def is_utf8(text: str) -> bool:
    """False for a file name that holds bytes that are not UTF-8 (see :func:`shown`)."""
    return not re.search("[\udc80-\udcff]", text)


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem at one line of one source file.

    ``code`` is the stable code of the kind of problem (``MR012``, listed in
    :mod:`pipeline.codes` and docs/errors.md): tools filter on it, the message
    may be reworded. ``column`` is 1-based where a stage knows it.
    """

    path: str
    line: int
    severity: Severity
    message: str
    code: str = field(kw_only=True)
    column: int | None = field(default=None, kw_only=True)

    def __str__(self) -> str:
        return f"{shown(self.path)}:{self.line}: {self.severity}: {shown(self.message)}"

    def as_error(self) -> Diagnostic:
        """The same problem, promoted to an error (``--strict``); info stays info, it is advice."""
        if self.severity == "info":
            return self
        return replace(self, severity="error")


class RecordError(Exception):
    """A record that cannot be turned into outputs; carries every problem found."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__("\n".join(str(d) for d in diagnostics))


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    """True when any diagnostic is an error (warnings alone keep a record valid)."""
    return any(d.severity == "error" for d in diagnostics)
