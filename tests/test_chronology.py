"""The chronology: dated events (date, sentence, line) per record and across records."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree

from pipeline.chronology import events, find_date, sentences
from pipeline.read import read_record
from pipeline.validate import validate

from .conftest import SAMPLE, cli, normalise, pdf_text

XHTML = "{http://www.w3.org/1999/xhtml}"


def article(path: Path):
    found = validate(read_record(path)).article
    assert found is not None
    return found


def test_sample_events_have_date_text_and_line():
    found = [(e.when.shown, e.when.note, e.line, e.text) for e in events(article(SAMPLE)) if not e.when.annual]
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    background = lines.index(next(x for x in lines if x.startswith("The first Tajik militia"))) + 1
    modern = lines.index(next(x for x in lines if x.startswith("The Tajikistani Internal Troops were"))) + 1
    assert found == [
        (
            "7 December 1924",
            None,
            background,
            "The first Tajik militia was founded on 7 December 1924, when the People's Commissariat of Internal "
            "Affairs of the Tajik Autonomous Republic was formed.",
        ),
        (
            "14 December [1924]",
            "year-inferred",
            background,
            "A week later on 14 December, Abdullo Yarmukhamedov was appointed the first People's Commissar for "
            "Internal Affairs.",
        ),
        (
            "5 February 1925",
            None,
            background,
            "On 5 February 1925, 33 NKVD officers were transferred from Tashkent to Dushanbe, where they would be "
            "stationed permanently as part of the NKVD division in Dyushambe the next day.",
        ),
        (
            "10 April 1993",
            None,
            modern,
            "The Tajikistani Internal Troops were officially founded on 10 April 1993, over a month after the "
            "founding of the Armed Forces of the Republic of Tajikistan.",
        ),
        (
            "2011",
            None,
            modern,
            "In 2011, by decree of the Government of Tajikistan, the Internal Troops was expanded in the number of "
            "personnel, in a number of cities and regions of the country additional locations of Military Unit No. "
            "3503 were created.",
        ),
    ]
    for _, _, line, text in found:  # the event text is the source's own words, on the line given
        assert text in lines[line - 1]


def test_sample_anniversaries_are_annual_events_from_the_infobox():
    annual = [(e.when.written, e.text, e.line, e.when.note) for e in events(article(SAMPLE)) if e.when.annual]
    assert annual == [
        ("April 10", "Anniversary 2: April 10", 17, "every-year"),
        ("November 10", "Anniversary 1: November 10 (Day of the Tajik Police)", 16, "every-year"),
    ]


@pytest.mark.parametrize(
    ("sentence", "written", "key"),
    [
        ("It was founded on 7 December 1924, in Dushanbe.", "7 December 1924", (0, 1924, 12, 7)),
        ("It was founded on December 7, 1924.", "December 7, 1924", (0, 1924, 12, 7)),
        ("Records begin 1924-12-07 here.", "1924-12-07", (0, 1924, 12, 7)),
        ("The unit moved in March 1951.", "March 1951", (0, 1951, 3, 0)),
        ("In 2011, it grew.", "2011", (0, 2011, 0, 0)),
        ("It shrank in the 1990s.", "the 1990s", (0, 1990, 0, 0)),
        ("It was merged between 1992 and 1997.", "between 1992 and 1997", (0, 1992, 0, 0)),
        ("The war (1992–1997) ended.", "1992–1997", (0, 1992, 0, 0)),
        ("Fighting ran 3–5 May 1990 in the north.", "3–5 May 1990", (0, 1990, 5, 3)),
        ("A week later on 14 December, he was appointed.", "14 December", (1, 12, 14, 0)),
    ],
)
def test_date_forms(sentence: str, written: str, key: tuple):
    when = find_date(sentence)
    assert when is not None and when.written == written and when.sort_key == key
    assert written in sentence  # shown as written


@pytest.mark.parametrize(
    "sentence",
    [
        "It has 11,000 personnel and 1,700 dead.",
        "Military Unit 3503 was created.",
        "Some may march home.",
        "Unit 1924b was formed.",
        "The 31 May-Day parade.",
    ],
)
def test_no_date_is_invented(sentence: str):
    assert find_date(sentence) is None


def test_a_date_without_year_and_no_year_before_says_so(tmp_path: Path):
    record = tmp_path / "undated.txt"
    record.write_text("= Undated Office =\n\nOn 3 January the office opened. In 1990 it closed.\n", encoding="utf-8")
    [first, second] = events(article(record))
    assert second.when.shown == "3 January" and second.when.year is None and second.when.note == "no-year"
    assert first.when.shown == "1990"


def test_sentences_keep_abbreviations_and_give_the_text_back():
    text = "Military Unit No. 3503 was made. J. Smith led it from 1990. It ended!"
    assert sentences(text) == ["Military Unit No. 3503 was made.", "J. Smith led it from 1990.", "It ended!"]
    assert " ".join(sentences(text)) == text


def test_fact_sheet_ends_with_its_chronology(intel_built: Path):
    text = normalise(pdf_text(intel_built / "tajikistani-internal-troops.pdf"))
    tail = text[text.index(normalise("Notable personnel")) :]
    assert normalise("Chronology") in tail
    for shown in ("7 December 1924", "14 December [1924]", "yearinferredfromtheprevioussentence", "5 February 1925"):
        assert normalise(shown) in tail
    assert tail.index(normalise("7 December 1924")) < tail.index(normalise("10 April 1993"))


def test_handbook_chronology_chapter_is_sorted_and_links_each_record(intel_built: Path):
    handbook = intel_built / "handbook"
    tree = etree.parse(str(handbook / "chronology.xhtml"))
    rows = tree.getroot().findall(f".//{XHTML}tbody/{XHTML}tr")
    dates = ["".join(row[0].itertext()) for row in rows]
    assert dates[:5] == [
        "the 1880s",
        "1921",
        "2 February 1921",
        "9 February [1921]year inferred from the previous sentence",
        "7 December 1924",
    ]
    for row in rows:
        link = row[1].find(f"{XHTML}a")
        assert (handbook / link.get("href")).is_file()
    hrefs = [row[1].find(f"{XHTML}a").get("href") for row in rows]
    assert "tajikistani-internal-troops.xhtml" in hrefs and "ruritanian-border-guard.xhtml" in hrefs
    nav = etree.parse(str(handbook / "nav.xhtml")).getroot()
    assert "chronology.xhtml" in [a.get("href") for a in nav.iter(f"{XHTML}a")]
    with zipfile.ZipFile(intel_built / "handbook.epub") as epub:
        opf = etree.fromstring(epub.read("OEBPS/content.opf"))
    ns = {"opf": "http://www.idpf.org/2007/opf"}
    items = {i.get("id"): i.get("href") for i in opf.findall(".//opf:item", ns)}
    spine = [items[r.get("idref")] for r in opf.findall(".//opf:itemref", ns)]
    assert spine[-2:] == ["chronology.xhtml", "names.xhtml"]  # after every chapter


def test_pack_has_the_chronology_chapter(intel_built: Path):
    from pypdf import PdfReader

    reader = PdfReader(intel_built / "briefing.pdf")
    last = normalise(reader.pages[-1].extract_text())
    pack = normalise(pdf_text(intel_built / "briefing.pdf"))
    assert normalise("In 2011, the MoI gave it the river posts back.") in pack
    assert normalise("Chronology") in normalise(reader.pages[-2].extract_text() + last)


def test_no_chronology_leaves_it_out(tmp_path: Path):
    result = cli("build", SAMPLE, "-o", tmp_path, "--format", "pdf,html", "--no-chronology")
    assert result.exit_code == 0, result.stderr
    assert "Chronology" not in pdf_text(tmp_path / "tajikistani-internal-troops.pdf")
    assert not (tmp_path / "handbook" / "chronology.xhtml").exists()
    chapter = (tmp_path / "handbook" / "tajikistani-internal-troops.xhtml").read_text(encoding="utf-8")
    assert "Chronology" not in chapter


def test_a_record_titled_chronology_does_not_take_the_chronology_chapter(tmp_path: Path):
    record = tmp_path / "records" / "c.txt"
    record.parent.mkdir()
    record.write_text("= Chronology =\n\nFounded in 1990.\n", encoding="utf-8")
    result = cli("build", record.parent, "-o", tmp_path / "out", "--format", "html")
    assert result.exit_code == 0, result.stderr
    handbook = tmp_path / "out" / "handbook"
    assert (handbook / "chronology-record.xhtml").is_file()
    timeline = etree.parse(str(handbook / "chronology.xhtml")).getroot()
    assert [a.get("href") for a in timeline.iter(f"{XHTML}a")] == ["chronology-record.xhtml"]
