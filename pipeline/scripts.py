"""Which script a run of text is in, so outputs can tag it with ``lang`` and ``dir``.

Readers and screen readers pick fonts, hyphenation and voice by ``lang``; Pango and
browsers pick glyph variants by it (the same Han character has Japanese and Chinese
forms); right-to-left text needs ``dir``. The records do not say which language a
native name is in, so the tags name the script (``und-Geor``, ``und-Hani``) from the
Unicode Script property, and only name a language where the letters prove it:
Tajik's Қ ӯ ҳ ҷ ғ ӣ (``tg-Cyrl``), kana (``ja``), Hangul (``ko``).

The module also cuts long text into pieces (see :func:`runs`): the layout engine's
cost grows with the square of the length of a text box.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from fontTools import unicodedata as ucd

#: Scripts that do not start a run of their own: Latin (the document's language),
#: Common (digits, punctuation, symbols), Inherited (combining marks) and Unknown.
_DOCUMENT = frozenset({"Latn", "Zyyy", "Zinh", "Zzzz"})
#: Han, kana, Hangul and Bopomofo share one run: Japanese and Korean mix them.
_CJK = frozenset({"Hani", "Hira", "Kana", "Hang", "Bopo"})
_TAJIK = frozenset("ҒғӢӣҚқӮӯҲҳҶҷ")
#: Scripts written right to left (Hebrew, Arabic, Syriac, Thaana, N'Ko, Adlam...).
RTL_SCRIPTS = frozenset(ucd.RTL_SCRIPTS)


@dataclass(frozen=True)
class Run:
    """A stretch of text; ``lang`` is None where it is in the document's own language."""

    text: str
    lang: str | None = None
    dir: str | None = None
    piece: bool = False  # one piece of a long run: rendered as its own inline box
    cut: bool = False  # the piece starts inside a word: the line may break before it


def script_of(char: str) -> str | None:
    """The ISO 15924 code of ``char``'s script; None for Latin and script-neutral characters."""
    script = ucd.script(char)
    if script in _DOCUMENT:
        return None
    return "Hani" if script in _CJK else script


def _is_neutral(char: str) -> bool:
    """Spaces, punctuation, digits and marks join the run around them."""
    return not char.isalpha() or unicodedata.category(char).startswith("M")


def lang_for(text: str, script: str) -> str:
    """The ``lang`` tag of a run: a language where its letters prove it, else ``und-<script>``."""
    if script == "Cyrl" and _TAJIK.intersection(text):
        return "tg-Cyrl"
    if script == "Hani":
        scripts = {ucd.script(c) for c in text if c.isalpha()}
        if scripts & {"Hira", "Kana"}:
            return "ja"
        if "Hang" in scripts:
            return "ko"
    return f"und-{script}"


def is_rtl(script: str | None) -> bool:
    return script in RTL_SCRIPTS


def runs(text: str) -> list[Run]:
    """Split text into runs by script, then long runs into pieces.

    Latin and neutral text stays in the parent's language. Pieces are at most
    :data:`PIECE` characters (cut after a space), and no piece holds more than
    :data:`WORD` characters without a space (cut between two graphemes, marked ``cut``
    so the templates can allow a line break there).
    """
    result: list[Run] = []
    start = 0  # where the run being built begins
    current: str | None = None  # its script; None for the document's own
    end = 0  # just after its last letter: trailing spaces and punctuation go to the next run
    for i, char in enumerate(text):
        if _is_neutral(char):
            if current is not None and end == i and unicodedata.category(char).startswith("M"):
                end = i + 1  # a mark stays with its letter (Thai ิ, Khmer ្): shaped apart it is a dotted circle
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
#: Longest stretch without a space left whole. Longer ones (a 100,000-character
#: "word", a long URL, CJK prose) are cut into pieces of this size with a line break
#: allowed between them; otherwise WeasyPrint breaks such a word in quadratic time
#: (and hyphenates it in quadratic time again).
WORD = 200
_LONG_WORD = re.compile(rf"\S{{{WORD + 1},}}")
_JOINERS = frozenset("\u200d\u034f")  # ZERO WIDTH JOINER, COMBINING GRAPHEME JOINER


def _joins_previous(text: str, i: int) -> bool:
    """Whether ``text[i]`` belongs to the grapheme of ``text[i - 1]`` (never cut before it).

    A simplified extended-grapheme rule: combining marks, joiners, variation selectors,
    emoji modifiers, Hangul vowel/final jamo and the second of a regional-indicator pair.
    """
    char, before = text[i], text[i - 1]
    code = ord(char)
    if before in _JOINERS or char in _JOINERS:
        return True
    if unicodedata.category(char) in ("Mn", "Mc", "Me"):
        return True
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF or 0x1F3FB <= code <= 0x1F3FF:
        return True
    if 0x1160 <= code <= 0x11FF or 0xD7B0 <= code <= 0xD7FF:  # Hangul medial vowels, final consonants
        return True
    if 0x1F1E6 <= code <= 0x1F1FF:  # regional indicators pair up from the start of their sequence
        n = 0
        while i - 1 - n >= 0 and 0x1F1E6 <= ord(text[i - 1 - n]) <= 0x1F1FF:
            n += 1
        return n % 2 == 1
    return before == "\r" and char == "\n"


def _cuts(text: str) -> list[tuple[int, bool]]:
    """Where to cut ``text``: (position, inside a word) pairs, in order."""
    hard: list[int] = []
    for match in _LONG_WORD.finditer(text):
        position = match.start() + WORD
        while position < match.end():
            back = position
            while back > match.start() and _joins_previous(text, back):
                back -= 1
            if back > match.start() and (not hard or back > hard[-1]):
                hard.append(back)
                position = back + WORD
            else:  # a stretch of one endless grapheme: no place to cut here, look further on
                position += WORD
    cuts: list[tuple[int, bool]] = []
    start = 0
    for stop in [*hard, len(text)]:
        while stop - start > PIECE:  # long text between hard cuts: cut after a space
            space = text.rfind(" ", start + PIECE // 2, start + PIECE)
            if space < 0:
                space = text.find(" ", start + PIECE, stop)
                if space < 0:
                    break
            start = space + 1
            cuts.append((start, False))
        if stop < len(text):
            cuts.append((stop, True))
            start = stop
    return cuts


def _pieces(run: Run) -> list[Run]:
    if len(run.text) <= WORD:
        return [run]
    cuts = _cuts(run.text)
    if not cuts:
        return [run]
    pieces = []
    start, inside = 0, False
    for position, word in [*cuts, (len(run.text), False)]:
        pieces.append(Run(run.text[start:position], run.lang, run.dir, piece=True, cut=inside))
        start, inside = position, word
    return pieces


def _run(text: str, script: str) -> Run:
    return Run(text, lang_for(text, script), "rtl" if is_rtl(script) else None)


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
