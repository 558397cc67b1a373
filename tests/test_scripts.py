"""Language tags from the Unicode Script property, and long runs cut into pieces safely."""

from __future__ import annotations

import unicodedata

import pytest

from pipeline.scripts import PIECE, WORD, direction, main_script, runs


def tagged(text: str) -> list[tuple[str, str | None, str | None]]:
    return [(r.text, r.lang, r.dir) for r in runs(text)]


@pytest.mark.parametrize(
    ("text", "lang", "dir"),
    [
        ("საქართველო", "und-Geor", None),
        ("ᲡᲐᲥᲐᲠᲗᲕᲔᲚᲝ", "und-Geor", None),  # Mtavruli
        ("Հայաստան", "und-Armn", None),
        ("משטרת ישראל", "und-Hebr", "rtl"),
        ("پولیس ملی", "und-Arab", "rtl"),
        ("ܣܘܪܝܝܐ", "und-Syrc", "rtl"),
        ("ދިވެހި", "und-Thaa", "rtl"),
        ("भारतीय पुलिस", "und-Deva", None),
        ("বাংলাদেশ", "und-Beng", None),
        ("ਪੰਜਾਬ", "und-Guru", None),
        ("தமிழ்நாடு", "und-Taml", None),
        ("ตำรวจ", "und-Thai", None),
        ("ຕຳຫຼວດ", "und-Laoo", None),
        ("នគរបាល", "und-Khmr", None),
        ("ፖሊስ", "und-Ethi", None),
        ("ᠮᠣᠩᠭᠣᠯ", "und-Mong", None),
        ("བོད་སྐད", "und-Tibt", None),
        ("公安部", "und-Hani", None),
        ("警察庁 けいさつちょう", "ja", None),  # kana prove Japanese
        ("대한민국 경찰청", "ko", None),  # Hangul proves Korean
        ("Қӯшунҳои дохилӣ", "tg-Cyrl", None),
        ("Полиция", "und-Cyrl", None),
        ("Αστυνομία", "und-Grek", None),
    ],
)
def test_runs_are_tagged_by_unicode_script(text: str, lang: str, dir: str | None):
    assert tagged(f"The ({text}) unit") == [("The (", None, None), (text, lang, dir), (") unit", None, None)]


def test_latin_of_every_kind_stays_in_the_document_language():
    text = "Công an nhân dân, [eliniˈci] Oʻzbekiston −7.8 °C № 12 ‰ → ≤ ┼ ① 🚓"
    assert tagged(text) == [(text, None, None)]


def test_a_mark_stays_with_its_letter():
    # Thai SARA I and Khmer COENG at a run's end: shaped apart from their letter they
    # would print as a dotted circle.
    assert tagged("(แห่งชาติ)") == [("(", None, None), ("แห่งชาติ", "und-Thai", None), (")", None, None)]
    assert tagged("នគរបាលជាតិកម្ពុជា.")[0] == ("នគរបាលជាតិកម្ពុជា", "und-Khmr", None)


def test_main_script_and_direction():
    assert main_script("警察庁 けいさつちょう") == "Hani"
    assert main_script("Police") is None
    assert direction("משטרה police") == "rtl" and direction("police משטרה") == "ltr"


def test_an_unbreakable_run_is_cut_into_pieces_with_breaks_between():
    word = "x" * (WORD * 5 + 7)
    pieces = runs(word)
    assert "".join(p.text for p in pieces) == word
    assert all(len(p.text) <= WORD for p in pieces) and len(pieces) == 6
    assert [p.cut for p in pieces] == [False, True, True, True, True, True]


def test_pieces_never_split_a_grapheme():
    clusters = ["e\u0301", "क्षि", "👮\u200d♀\ufe0f", "🇬🇪", "각", "\u1100\u1161\u11a8"]
    text = "".join(clusters[i % len(clusters)] for i in range(3000))
    pieces = runs(text)
    assert "".join(p.text for p in pieces) == text and len(pieces) > 10
    for piece in pieces[1:]:
        first = piece.text[0]
        assert unicodedata.category(first)[0] != "M", piece.text[:3]
        assert first not in "\u200d\ufe0f\u11a8\u1161"
    for before in pieces[:-1]:
        assert not before.text.endswith("\u200d")
        flags = len(before.text) - len(before.text.rstrip("🇬🇪"))
        assert flags % 2 == 0  # a flag is a pair of regional indicators: one grapheme


def test_text_with_spaces_is_cut_after_spaces():
    text = ("word " * (PIECE // 2))[:-1]
    pieces = runs(text)
    assert "".join(p.text for p in pieces) == text
    assert all(p.text.endswith(" ") for p in pieces[:-1]) and not any(p.cut for p in pieces)


def test_a_long_word_in_a_script_run_keeps_its_tag():
    word = "ж" * (WORD * 3)
    pieces = runs(f"The {word} end")
    assert "".join(p.text for p in pieces) == f"The {word} end"
    assert {p.lang for p in pieces if "ж" in p.text} == {"und-Cyrl"}
