"""The index of names: people, places and organisations from the infoboxes, with records and pages."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree

from pipeline.names import kind_of, name_index
from pipeline.read import read_record
from pipeline.validate import validate

from .conftest import INTEL, SAMPLE, normalise

XHTML = "{http://www.w3.org/1999/xhtml}"


def article(path: Path):
    found = validate(read_record(path)).article
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("Person1Name", "people"),
        ("Person1Title", None),
        ("Commander1", "people"),
        ("Commander", "people"),
        ("Headquarters", "places"),
        ("Headquarters2", "places"),
        ("Country", "places"),
        ("Parentagency", "organisations"),
        ("Agencyname", None),
        ("Anniversary1", None),
    ],
)
def test_what_a_key_names(key: str, kind: str | None):
    assert kind_of(key) == kind


def test_sample_index():
    groups = {g.kind: g for g in name_index([("tit", article(SAMPLE))])}
    assert [e.name for e in groups["people"].entries] == ["Khisrav Bobozoda", "Major General Negmatullo Kurbanov"]
    assert [e.name for e in groups["places"].entries] == ["Dushanbe", "Tajikistan"]
    assert [e.name for e in groups["organisations"].entries] == ["Ministry of Internal Affairs (VKD)"]
    [mention] = groups["places"].entries[0].mentions
    assert (mention.slug, mention.label, mention.line) == ("tit", "Headquarters", 10)


def test_one_entry_for_a_name_in_several_records():
    records = [(name, article(INTEL / f"{name}.txt")) for name in ("border-guard", "ministry", "gendarmerie")]
    places = next(g for g in name_index(records) if g.kind == "places")
    strelsau = next(e for e in places.entries if e.name == "Strelsau")
    assert [m.slug for m in strelsau.mentions] == ["border-guard", "ministry", "gendarmerie"]


def test_handbook_index_page_links_records(intel_built: Path):
    handbook = intel_built / "handbook"
    root = etree.parse(str(handbook / "names.xhtml")).getroot()
    entries = {
        "".join(li.find(f"{XHTML}span").itertext()): [a.get("href") for a in li.iter(f"{XHTML}a")]
        for li in root.iter(f"{XHTML}li")
    }
    assert entries["Strelsau"] == [
        "ruritanian-border-guard.xhtml",
        "ruritanian-ministry-of-the-interior.xhtml",
        "strelsau-gendarmerie.xhtml",
    ]
    assert entries["Major General Negmatullo Kurbanov"] == ["tajikistani-internal-troops.xhtml"]
    for hrefs in entries.values():
        assert all((handbook / h).is_file() for h in hrefs)
    with zipfile.ZipFile(intel_built / "handbook.epub") as epub:
        nav = etree.fromstring(epub.read("OEBPS/nav.xhtml"))
        opf = epub.read("OEBPS/content.opf").decode()
    assert "names.xhtml" in [a.get("href") for a in nav.iter(f"{XHTML}a")]
    assert '<itemref idref="names-xhtml"/>' in opf


def test_pack_index_gives_the_page_of_each_record(intel_built: Path):
    import pikepdf
    from pypdf import PdfReader

    index = normalise(PdfReader(intel_built / "briefing.pdf").pages[-1].extract_text())
    assert normalise("Index of names") in index
    with pikepdf.open(intel_built / "briefing.pdf") as pdf:
        dests = pikepdf.NameTree(pdf.Root.Names.Dests)
        pages = [page.objgen for page in pdf.pages]
        first = {slug: pages.index(dests[slug][0].objgen) for slug in dests if "-" in slug}
    labels = PdfReader(intel_built / "briefing.pdf").page_labels
    first = {slug: labels[index] for slug, index in first.items()}  # the number printed on the page
    for slug, title in (
        ("ruritanian-border-guard", "Ruritanian Border Guard"),
        ("strelsau-gendarmerie", "Strelsau Gendarmerie"),
        ("tajikistani-internal-troops", "Tajikistani Internal Troops"),
    ):  # the page where the chapter (and its key facts) starts
        assert normalise(f"{title}, p. {first[slug]}") in index, (title, first[slug])
