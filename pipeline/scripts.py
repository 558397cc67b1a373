"""Which script a run of text is in, so outputs can tag it with ``lang`` and ``dir``.

Readers and screen readers pick fonts, hyphenation and voice by ``lang``; right-to-left
text needs ``dir``. The records do not say which language a native name is in, so the
tags name the script (``und-Arab``) and only name a language where the letters prove
it (Tajik's Қ ӯ ҳ ҷ ғ ӣ).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

_RANGES = [
    (0x0370, 0x03FF, "Grek"),
    (0x1F00, 0x1FFF, "Grek"),
    (0x0400, 0x052F, "Cyrl"),
    (0x1C80, 0x1C8F, "Cyrl"),
    (0x2DE0, 0x2DFF, "Cyrl"),
    (0xA640, 0xA69F, "Cyrl"),
    (0x0590, 0x05FF, "Hebr"),
    (0xFB1D, 0xFB4F, "Hebr"),
    (0x0600, 0x06FF, "Arab"),
    (0x0750, 0x077F, "Arab"),
    (0x08A0, 0x08FF, "Arab"),
    (0xFB50, 0xFDFF, "Arab"),
    (0xFE70, 0xFEFF, "Arab"),
    (0x3040, 0x30FF, "Jpan"),
    (0x3400, 0x4DBF, "Hani"),
    (0x4E00, 0x9FFF, "Hani"),
    (0xAC00, 0xD7AF, "Hang"),
]
_TAJIK = set("ҒғӢӣҚқӮӯҲҳҶҷ")
_LANG = {"Grek": "el", "Cyrl": "und-Cyrl", "Hebr": "und-Hebr", "Arab": "und-Arab"}
RTL_SCRIPTS = {"Hebr", "Arab"}


@dataclass(frozen=True)
class Run:
    """A stretch of text; ``lang`` is None where it is in the document's own language."""

    text: str
    lang: str | None = None
    dir: str | None = None
    piece: bool = False  # one piece of a long run: rendered as its own inline box


def script_of(char: str) -> str | None:
    code = ord(char)
    if code < 0x0370:
        return None
    for low, high, script in _RANGES:
        if low <= code <= high:
            return script
    return None


def _is_neutral(char: str) -> bool:
    """Spaces, punctuation, digits and marks join the run around them."""
    return not char.isalpha() or unicodedata.category(char).startswith("M")


def lang_for(text: str, script: str) -> str:
    if script == "Cyrl" and _TAJIK.intersection(text):
        return "tg-Cyrl"
    return _LANG.get(script, f"und-{script}")


def runs(text: str) -> list[Run]:
    """Split text into runs by script; Latin and neutral text stays in the parent's language."""
    result: list[Run] = []
    start = 0  # where the run being built begins
    current: str | None = None  # its script; None for the document's own
    end = 0  # just after its last letter: trailing spaces and punctuation go to the next run
    for i, char in enumerate(text):
        if _is_neutral(char):
            continue
        script = script_of(char)
        if script != current:
            if current is not None:
                result.append(_run(text[start:end], current))
                start = end
            if script is not None:
                result.append(Run(text[start:i]))
                start = i
            current = script
        end = i + 1
    if current is not None:
        result.append(_run(text[start:end], current))
        start = end
    result.append(Run(text[start:]))
    return [piece for run in _merge(result) for piece in _pieces(run)]


#: Longest stretch of text given to the layout engine as one box. WeasyPrint lays out
#: a line by shaping the whole rest of its text box, which is quadratic in the box's
#: length: a 200,000-character paragraph in one box takes minutes, in pieces seconds.
PIECE = 2000


def _pieces(run: Run) -> list[Run]:
    if len(run.text) <= PIECE:
        return [run]
    pieces = []
    text = run.text
    while len(text) > PIECE:
        cut = text.rfind(" ", PIECE // 2, PIECE)
        if cut < 0:
            cut = text.find(" ", PIECE)
            if cut < 0:
                break
        pieces.append(Run(text[: cut + 1], run.lang, run.dir, piece=True))
        text = text[cut + 1 :]
    pieces.append(Run(text, run.lang, run.dir, piece=True))
    return pieces


def _run(text: str, script: str) -> Run:
    return Run(text, lang_for(text, script), "rtl" if script in RTL_SCRIPTS else None)


def _merge(parts: list[Run]) -> list[Run]:
    merged: list[Run] = []
    for part in parts:
        if not part.text:
            continue
        if merged and merged[-1].lang == part.lang and merged[-1].dir == part.dir:
            merged[-1] = Run(merged[-1].text + part.text, part.lang, part.dir)
        else:
            merged.append(part)
    return merged


def main_script(text: str) -> str | None:
    """The script most letters of ``text`` are in (None for Latin)."""
    counts: dict[str | None, int] = {}
    for char in text:
        if char.isalpha():
            script = script_of(char)
            counts[script] = counts.get(script, 0) + 1
    return max(counts, key=lambda s: counts[s]) if counts else None


def direction(text: str) -> str:
    """Base direction from the first strong character, as the Unicode bidi algorithm does."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"
