"""assets.py on its own: font subsets keep the glyphs the text uses and drop the rest."""

from __future__ import annotations

import functools
import io

from fontTools.ttLib import TTFont

from pipeline.assets import FACES, SubsetFont, subset_fonts, uncovered

TEXT = "Қушунҳои дохилӣ Police \u0634\u0631\u0637\u0629"  # Tajik, English, Arabic


@functools.cache
def _subset(text: str) -> tuple[SubsetFont, ...]:
    return tuple(subset_fonts(text))  # shared by the tests below


def _cmap(font: SubsetFont) -> set[int]:
    return set(TTFont(io.BytesIO(font.data), fontNumber=0).getBestCmap())


def test_subset_keeps_used_characters_and_drops_others():
    sans = next(font for font in _subset(TEXT) if font.name.startswith("NotoSans-Regular"))
    cmap = _cmap(sans)
    for char in "ҚқушунҳоидхлӣӢPOLICE":  # the text, and its other case (labels are upper-cased)
        assert ord(char) in cmap, char
    for char in "ЖЯЩ":  # Cyrillic letters the text lacks
        assert ord(char) not in cmap, char
    assert all(ord(c) in cmap for c in "AZaz09!~")  # ASCII always, for the templates' own words
    arabic = [font for font in _subset(TEXT) if font.face.family == "MR Arabic"]
    assert arabic and all({ord(c) for c in "\u0634\u0631\u0637\u0629"} <= _cmap(font) for font in arabic)
    assert all(ord("\u0636") not in _cmap(font) for font in arabic)  # an Arabic letter the text lacks


def test_only_families_the_text_needs_are_carried():
    assert {font.face.family for font in _subset("Police")} == {"MR Serif", "MR Sans"}
    assert {font.face.family for font in _subset(TEXT)} == {"MR Serif", "MR Sans", "MR Arabic"}


def test_subset_is_small_and_reproducible():
    again = subset_fonts(TEXT)
    assert [(f.name, f.data) for f in again] == [(f.name, f.data) for f in _subset(TEXT)]
    whole = {face.subset_name: face.path.stat().st_size for face in FACES if face.path.is_file()}
    for font in again:
        assert len(font.data) < whole[font.name] / 3, font.name


def test_uncovered_names_characters_no_font_has():
    assert uncovered("A\ue000B\U0010fffd") == ["\ue000", "\U0010fffd"]
    assert uncovered("Қ \u0634") == []
