"""Accessible and archival outputs: tagged PDF/UA-1, PDF/A-3a with its sources, accessible EPUB.

No veraPDF here: the PDFs are checked as a validator would, with pikepdf and
Poppler, against the clauses a reader and a records system depend on.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pikepdf
import pytest
from lxml import etree

from tests.conftest import EPOCH, RECORDS, SAMPLE, TEST_RECORDS, article_strings, cli, normalise

SHEET = "tajikistani-internal-troops.pdf"


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build of the sample with its logo present (so the panel has a Figure)."""
    from PIL import Image

    root = tmp_path_factory.mktemp("a11y")
    records = root / "records"
    shutil.copytree(RECORDS, records)
    for name in ("coastal-guard-unit.txt", "gulf-maritime-police.txt"):
        shutil.copy(TEST_RECORDS / name, records)
    (records / "media").mkdir(exist_ok=True)
    Image.new("RGB", (40, 40), (31, 58, 95)).save(records / "media" / "Police of Tajikistan.png")
    with pytest.MonkeyPatch.context() as env:  # module scope: before the per-test epoch
        env.setenv("SOURCE_DATE_EPOCH", EPOCH)
        result = cli("build", records, "-o", root / "out", "--marking", "UNCLASSIFIED", "--archival")
    assert result.exit_code == 0, result.stderr
    return root / "out"


def sample_article():
    from pipeline.read import read_record
    from pipeline.validate import validate

    return validate(read_record(SAMPLE)).article


def kids(element: pikepdf.Object) -> list[pikepdf.Object]:
    k = element.get("/K")
    if k is None:
        return []
    return list(k) if isinstance(k, pikepdf.Array) else [k]


def walk(element: pikepdf.Object):
    """Structure elements in document order."""
    for kid in kids(element):
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            yield kid
            yield from walk(kid)


def elements(pdf: pikepdf.Pdf) -> list[pikepdf.Object]:
    return list(walk(pdf.Root.StructTreeRoot))


@pytest.mark.parametrize("name", [SHEET, "briefing.pdf"])
def test_tagged_catalog(out: Path, name: str) -> None:
    with pikepdf.open(out / name) as pdf:
        assert pdf.Root.MarkInfo.Marked is True
        assert str(pdf.Root.Lang) == "en"
        assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
        assert len(elements(pdf)) > 50
        assert len(pdf.Root.Outlines.First.keys()) > 0  # bookmarks from headings
        intent = pdf.Root.OutputIntents[0]
        assert intent.S == "/GTS_PDFA1" and intent.DestOutputProfile.N == 3
        for page in pdf.pages:
            for font in page.Resources.Font.values():
                descriptor = (
                    font.DescendantFonts[0].FontDescriptor if "/DescendantFonts" in font else font.FontDescriptor
                )
                assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, f"{font.BaseFont} is not embedded"


@pytest.mark.parametrize("name", [SHEET, "briefing.pdf"])
def test_xmp_identifies_pdfa3a_and_pdfua1(out: Path, name: str) -> None:
    with pikepdf.open(out / name) as pdf:
        info = pdf.docinfo
        with pdf.open_metadata() as xmp:
            assert xmp["pdfaid:part"] == "3" and xmp["pdfaid:conformance"] == "A"
            assert xmp["pdfuaid:part"] == "1"
            assert xmp["dc:title"] == str(info.Title)
            assert xmp["pdf:Producer"] == str(info.Producer)
            assert xmp["xmp:CreateDate"] == "2025-11-25T00:00:00Z"
            assert xmp["dc:rights"] == "CC BY-SA 4.0"
            assert xmp["dc:language"] == {"en"}
            if name == SHEET:
                assert xmp["dc:creator"] == [str(info.Author)]
                assert "Wikipedia contributors" in xmp["dc:creator"][0]
        raw = pdf.Root.Metadata.read_bytes()
        assert b"http://www.aiim.org/pdfua/ns/id/" in raw.split(b"pdfaSchema:namespaceURI")[1]  # declared


def test_default_build_is_tagged_not_archival(tmp_path: Path) -> None:
    """Without --archival: PDF/UA-1 only, still with its sources attached; the cache tells the two apart."""
    assert cli("build", SAMPLE, "-o", tmp_path, "--format", "pdf").exit_code == 0
    with pikepdf.open(tmp_path / SHEET) as pdf:
        assert pdf.Root.MarkInfo.Marked is True and "/StructTreeRoot" in pdf.Root
        assert "/OutputIntents" not in pdf.Root
        with pdf.open_metadata() as xmp:
            assert xmp["pdfuaid:part"] == "1" and "pdfaid:part" not in xmp
        assert {str(s.obj.AFRelationship) for s in pdf.attachments.values()} == {"/Source", "/Data"}
    result = cli("build", SAMPLE, "-o", tmp_path, "--format", "pdf", "--archival")
    assert "1 files written, 1 unchanged" in result.stderr  # the sheet; the kept record is the same
    with pikepdf.open(tmp_path / SHEET) as pdf, pdf.open_metadata() as xmp:
        assert xmp["pdfaid:part"] == "3"


def test_headings_in_order_and_logo_has_alt(out: Path) -> None:
    with pikepdf.open(out / SHEET) as pdf:
        tags = [str(e.S) for e in elements(pdf)]
        levels = [int(t[2]) for t in tags if t in {"/H1", "/H2", "/H3", "/H4", "/H5", "/H6"}]
        assert levels[0] == 1 and levels.count(1) == 1
        assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
        figures = [e for e in elements(pdf) if e.S == "/Figure"]
        assert [str(f.Alt) for f in figures] == ["Logo of Tajikistani Internal Troops"]


def test_native_name_has_its_language(out: Path) -> None:
    with pikepdf.open(out / SHEET) as pdf:
        languages = {str(e.Lang) for e in elements(pdf) if "/Lang" in e}
        assert "tg-Cyrl" in languages


def test_key_facts_are_a_table_with_row_headers(out: Path) -> None:
    with pikepdf.open(out / SHEET) as pdf:
        table = next(e for e in elements(pdf) if e.S == "/Table")
        rows = [e for e in walk(table) if e.S == "/TR"]
        assert len(rows) == 12
        for row in rows:
            th, td = [c for c in kids(row) if isinstance(c, pikepdf.Dictionary)]
            assert th.S == "/TH" and th.A.Scope == "/Row"
            assert td.S == "/TD" and list(td.A.Headers) == [th.ID]


def structure_text(path: Path) -> str:
    return subprocess.run(["pdfinfo", "-struct-text", str(path)], capture_output=True, text=True, check=True).stdout


def quoted(text: str) -> str:
    return "\n".join(line.strip()[1:-1] for line in text.splitlines() if line.strip().startswith('"'))


def test_structure_order_and_completeness(out: Path) -> None:
    """Title, then the lead, then the key facts as one block, then the sections; nothing lost."""
    article = sample_article()
    text = normalise(quoted(structure_text(out / SHEET)))
    for string in article_strings(article):
        assert normalise(string) in text, string
    panel = [normalise(f.value) for f in article.infobox.fields]
    first = text.index(normalise("Key facts").upper())
    last = max(text.index(value, first) + len(value) for value in panel)
    lead = [text.index(normalise(p.text)) for p in article.lead]
    sections = [text.index(normalise(s.title), last) for s in article.sections]
    assert text.index(normalise(article.title)) < min(lead) and max(lead) < first < last <= sections[0]
    assert sections == sorted(sections)


def test_running_headers_and_footers_are_artifacts(out: Path) -> None:
    """Only artifacts and content the structure tree reaches are on the page."""
    text = quoted(structure_text(out / SHEET))
    assert "UNCLASSIFIED" not in text and "Page 1 of" not in text
    with pikepdf.open(out / SHEET) as pdf:
        reached = {(int(e.Pg.objgen[0]), k) for e in elements(pdf) for k in kids(e) if isinstance(k, int)}
        for page in pdf.pages:
            artifacts = 0
            for operands, operator in pikepdf.parse_content_stream(page):
                if str(operator) == "BDC":
                    mcid = int(operands[1].MCID)
                    assert (page.objgen[0], mcid) in reached, f"marked content {mcid} outside the tree"
                elif str(operator) == "BMC" and operands[0] == "/Artifact":
                    artifacts += 1
            assert artifacts > 0


@pytest.mark.parametrize(
    ("record", "name"),
    [
        (SAMPLE, SHEET),
        (TEST_RECORDS / "coastal-guard-unit.txt", "aegean-coastal-guard-unit.pdf"),
        (TEST_RECORDS / "gulf-maritime-police.txt", "gulf-maritime-police.pdf"),
    ],
)
def test_pdftotext_reads_lead_then_panel_as_one_block(out: Path, record: Path, name: str) -> None:
    """Poppler's reading order: the lead, then the key facts whole, each label before its values."""
    from pipeline.read import read_record
    from pipeline.render import BuildInfo, Renderer
    from pipeline.validate import validate

    article = validate(read_record(record)).article
    panel = Renderer(BuildInfo.create()).view(article, "x").panel
    text = subprocess.run(["pdftotext", str(out / name), "-"], capture_output=True, text=True).stdout
    text = normalise(re.sub("[\u202a-\u202e\u2066-\u2069]", "", text))  # Poppler marks right-to-left runs
    start = text.index("KEYFACTS")
    end = max(text.index(normalise(v.text), start) + len(normalise(v.text)) for row in panel for v in row.values)
    body = [normalise(s.title) for s in article.sections] + [normalise(b.text) for b in article.lead[:1]]
    assert [b for b in body if start < text.find(b) < end] == []
    assert text.find(normalise(article.sections[0].title), end) >= end
    for row in panel:
        assert normalise(row.label.upper()) + normalise(row.values[0].text) in text[start:end], row.label


@pytest.mark.parametrize("name", [SHEET, "briefing.pdf"])
def test_pdfs_carry_their_sources(out: Path, name: str) -> None:
    record = (out.parent / "records" / "tajikistani-internal-troops.txt").read_bytes()
    with pikepdf.open(out / name) as pdf:
        files = {n: (str(s.obj.AFRelationship), s.get_file().read_bytes()) for n, s in pdf.attachments.items()}
        assert {str(f.UF) for f in pdf.Root.AF} == set(files)
    assert files["tajikistani-internal-troops.txt"] == ("/Source", record)
    relationship, data = files["make-report-provenance.json"]
    assert relationship == "/Data"
    provenance = json.loads(data)
    assert provenance["generator"].startswith("make-report ")
    assert provenance["build"]["date"] == "2025-11-25T00:00:00Z"
    entry = next(e for e in provenance["records"] if e["attachment"] == "tajikistani-internal-troops.txt")
    assert entry["sha256"] == hashlib.sha256(record).hexdigest()
    assert entry["path"].endswith("records/tajikistani-internal-troops.txt")
    assert entry["licence"] == "CC BY-SA 4.0" and "Wikipedia" in entry["attribution"]


def test_pdf_writing_logs_no_warning(caplog: pytest.LogCaptureFixture) -> None:
    """WeasyPrint logs an image without alt, a missing lang, a failed attachment: none may occur."""
    from pipeline.pack import Numbering, timeline
    from pipeline.render import BuildInfo, Renderer, provenance_attachments

    renderer = Renderer(BuildInfo.create(marking="SECRET"))
    article = sample_article()
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        renderer.pdf(
            renderer.factsheet_html(renderer.view(article, "s")),
            provenance_attachments([(article, b"x")], renderer.build),
        )
        views = [renderer.view(article, "s")]
        numbering = Numbering()
        for part in ("chapters", "chronology", "names", "front"):  # each part of the pack (pipeline.pack)
            html = renderer.pack_html(part, views, 1, numbering.pages, timeline=timeline(views))
            assert html is not None, part
            numbering.add(renderer.piece(html, "css/pack-piece.css"))
        renderer.piece(renderer.folios_html(1, 2, 2), "css/pack-folios.css", tagged=False)
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []


def test_pdfua_checker_passes_ours_and_fails_untagged(out: Path, tmp_path: Path) -> None:
    """The pdfua package (a machine-checkable subset of PDF/UA-1) finds nothing in ours.

    It does find errors in an untagged PDF of the same HTML: the check is not empty.
    """
    pdfua = pytest.importorskip("pdfua.validator")
    from weasyprint import HTML

    untagged = tmp_path / "untagged.pdf"
    HTML(string="<html lang='en'><body><h1>x</h1><p>y</p></body></html>").write_pdf(untagged)
    for name in (SHEET, "briefing.pdf"):
        report = pdfua.validate(out / name)
        assert [(f.rule_id, f.message) for f in report.findings] == []
    assert any(f.severity.name == "ERROR" for f in pdfua.validate(untagged).findings)


# -- EPUB and handbook -----------------------------------------------------------------

XHTML = "{http://www.w3.org/1999/xhtml}"
EPUB = "{http://www.idpf.org/2007/ops}"


def test_epub_accessibility_metadata(out: Path) -> None:
    with zipfile.ZipFile(out / "handbook.epub") as epub:
        opf = etree.fromstring(epub.read("OEBPS/content.opf"))
    meta: dict[str, list[str]] = {}
    for m in opf.iter("{http://www.idpf.org/2007/opf}meta"):
        meta.setdefault(m.get("property"), []).append(m.text)
    assert meta["schema:accessMode"] == ["textual", "visual"]
    assert meta["schema:accessModeSufficient"] == ["textual"]
    assert {"structuralNavigation", "tableOfContents", "alternativeText"} <= set(meta["schema:accessibilityFeature"])
    assert meta["schema:accessibilityHazard"] == ["none"]
    assert meta["schema:accessibilitySummary"][0]
    assert meta["dcterms:conformsTo"] == ["EPUB Accessibility 1.1 - WCAG 2.1 Level AA"]


def test_handbook_meets_what_the_epub_claims(out: Path) -> None:
    """The structural part of WCAG 2.1 AA the OPF claims: landmarks, headings, lang, alt, table headers."""
    handbook = out / "handbook"
    nav = etree.parse(str(handbook / "nav.xhtml"))
    types = {n.get(f"{EPUB}type") for n in nav.iter(f"{XHTML}nav")}
    assert {"toc", "landmarks"} <= types
    chapter = etree.parse(str(handbook / "tajikistani-internal-troops.xhtml")).getroot()
    assert chapter.get("lang") == "en"
    levels = [
        int(e.tag[-1]) for e in chapter.iter() if isinstance(e.tag, str) and e.tag[-2:-1] == "h" and e.tag[-1].isdigit()
    ]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in itertools.pairwise(levels))
    images = list(chapter.iter(f"{XHTML}img"))
    assert images and all(img.get("alt") for img in images)
    headers = [th for th in chapter.iter(f"{XHTML}th") if th.get("scope") != "col"]  # not the chronology's
    assert len(headers) == 12 and all(th.get("scope") == "row" for th in headers)
    native = chapter.find(f".//{XHTML}p[@class='native-name']")
    assert native.get("lang") == "tg-Cyrl"
    cyrillic = [e for e in chapter.iter() if isinstance(e.text, str) and "Қ" in e.text]
    assert all(
        e.get("lang") or any(a.get("lang") != "en" for a in e.iterancestors() if a.get("lang")) for e in cyrillic
    )


def test_build_is_reproducible_with_attachments(out: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert cli("build", out.parent / "records", "-o", again, "--marking", "UNCLASSIFIED", "--archival").exit_code == 0
    for name in (SHEET, "briefing.pdf"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name
