"""Problems found in a record, worded for the person who has to fix the file.

Every stage reports through :class:`Diagnostic` so that the command line can print
all problems of a file at once, in the ``FILE:LINE: severity: message`` form that
editors and CI logs turn into links.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem at one line of one source file."""

    path: str
    line: int
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"

    def as_error(self) -> Diagnostic:
        """The same problem, promoted to an error (``--strict``)."""
        return Diagnostic(self.path, self.line, "error", self.message)


class RecordError(Exception):
    """A record that cannot be turned into outputs; carries every problem found."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__("\n".join(str(d) for d in diagnostics))


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    """True when any diagnostic is an error (warnings alone keep a record valid)."""
    return any(d.severity == "error" for d in diagnostics)
