"""Invisible characters that change how text reads: bidi controls and zero-width characters.

A right-to-left override (U+202E) makes "Title" display as "eltiT"; zero-width
characters make two different titles look the same. Records may hold them (some
scripts need a zero-width joiner), so they are kept in the text and flagged; but
they never reach metadata or file names, where nothing shows them, and every
string that holds one is shown in an isolating element so the effect ends there.
"""

from __future__ import annotations

import unicodedata

#: Embeddings, overrides and isolates (and their terminators): they carry over to the
#: text that follows them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: Characters with no width: zero width space, non-joiner, joiner, word joiner, BOM.
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
#: Marks that set direction without a scope: harmless in text, pointless in metadata.
MARKS = frozenset("\u200e\u200f\u061c")
INVISIBLE = BIDI_CONTROLS | ZERO_WIDTH | MARKS
_JOINERS = frozenset("\u200c\u200d")


def suspicious(text: str) -> list[str]:
    """The bidi controls and zero-width characters in ``text``, in order, each once.

    A zero-width (non-)joiner between two letters of a script other than Latin is
    how Persian, Arabic and Indic text is written, and is not reported.
    """
    found: dict[str, None] = {}
    for i, char in enumerate(text):
        if char in BIDI_CONTROLS or (char in ZERO_WIDTH and not _joins_letters(text, i)):
            found[char] = None
    return list(found)


def _joins_letters(text: str, i: int) -> bool:
    if text[i] not in _JOINERS or i == 0 or i + 1 == len(text):
        return False
    return all(_non_latin_letter(text[j]) for j in (i - 1, i + 1))


def _non_latin_letter(char: str) -> bool:
    return unicodedata.category(char)[0] in "LM" and ord(char) >= 0x0370


def describe(chars: list[str]) -> str:
    """``U+202E (RIGHT-TO-LEFT OVERRIDE)``, for messages."""
    return ", ".join(f"U+{ord(c):04X} ({unicodedata.name(c, 'format character')})" for c in chars)


def plain(text: str) -> str:
    """``text`` without bidi controls, zero-width characters and direction marks: for metadata."""
    return "".join(char for char in text if char not in INVISIBLE)


def needs_isolation(text: str) -> bool:
    """Whether ``text`` holds a control whose effect must end with the string."""
    return any(char in BIDI_CONTROLS for char in text)


def has_visible(text: str) -> bool:
    """Whether any character of ``text`` draws something (a letter, digit, punctuation or symbol)."""
    return any(unicodedata.category(char)[0] in "LNPS" for char in text)
