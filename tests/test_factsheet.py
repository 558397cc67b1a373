"""The PDF fact sheet, checked the way an analyst would: its text, pages, fonts, metadata."""

from __future__ import annotations

import sys
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

from .conftest import SAMPLE, cli, epoch, normalise, pdf_text, source_strings

_OPENED: list[str] = []


def _audit(event: str, args: tuple) -> None:
    if event == "open" and args and isinstance(args[0], str | bytes | Path):
        _OPENED.append(str(args[0]))


sys.addaudithook(_audit)


@pytest.fixture(scope="module")
def sheet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sheet")
    with epoch():
        result = cli("build", SAMPLE, "-o", out, "--format", "pdf", "--marking", "UNCLASSIFIED")
    assert result.exit_code == 0, result.stderr
    return out / "tajikistani-internal-troops.pdf"


def test_every_source_string_is_in_the_pdf_text(sheet: Path):
    text = normalise(pdf_text(sheet))
    missing = [s for s in source_strings(SAMPLE) if normalise(s) not in text]
    assert missing == []


def test_infobox_labels_and_grouped_people_are_shown(sheet: Path):
    text = " ".join(pdf_text(sheet).split())  # a long label may wrap in its column
    for label in ("KEY FACTS", "AGENCY NAME", "PARENT AGENCY", "AGENCY EXECUTIVES", "ANNIVERSARIES", "LOGO"):
        assert label in text


def test_reading_order_follows_the_source(sheet: Path):
    text = normalise(pdf_text(sheet))
    order = ["Background", "Modernhistory", "Role", "Structure", "Notablepersonnel", "GhafforMirzoyev"]
    positions = [text.index(normalise(t)) for t in order]
    assert positions == sorted(positions)


def test_at_most_two_a4_pages_with_header_footer(sheet: Path):
    reader = PdfReader(sheet)
    assert len(reader.pages) <= 2
    for number, page in enumerate(reader.pages, start=1):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width), round(height)) == (595, 842)
        text = page.extract_text()
        assert f"Page {number} of {len(reader.pages)}" in text
        assert text.count("UNCLASSIFIED") == 2  # top and bottom
        assert "Generated 2025-11-25" in text
        assert "CC BY-SA 4.0" in text
    assert "Tajikistani Internal Troops" in reader.pages[1].extract_text()  # running header


def test_metadata_and_bookmarks(sheet: Path):
    reader = PdfReader(sheet)
    info = reader.metadata
    assert info.title == "Tajikistani Internal Troops"
    assert info.subject == "Fact sheet: Tajikistani Internal Troops"
    assert "Tajikistan" in info["/Keywords"]
    assert info["/Creator"].startswith("make-report")
    assert reader.trailer["/Root"]["/Lang"] == "en"
    titles = [item.title for item in _flatten(reader.outline)]
    assert titles == [
        "Tajikistani Internal Troops",
        "Background",
        "Modern history",
        "Role",
        "Structure",
        "Notable personnel",
        "Chronology",
    ]


def _flatten(outline):
    for item in outline:
        if isinstance(item, list):
            yield from _flatten(item)
        else:
            yield item


def test_all_fonts_embedded_and_bundled(sheet: Path):
    with pikepdf.open(sheet) as pdf:
        fonts = {}
        for page in pdf.pages:
            for _, font in page.Resources.Font.items():
                descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
                descriptor = descendant.FontDescriptor
                fonts[str(font.BaseFont)] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert fonts and all(fonts.values()), fonts
    assert all(name.split("+")[1].startswith("MR-") for name in fonts), fonts  # only the bundled families


def test_letter_paper(tmp_path: Path):
    assert cli("build", SAMPLE, "-o", tmp_path, "--format", "pdf", "--paper", "letter").exit_code == 0
    page = PdfReader(tmp_path / "tajikistani-internal-troops.pdf").pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (612, 792)


def test_two_builds_are_byte_identical(tmp_path: Path, sheet: Path):
    again = tmp_path / "again"
    assert cli("build", SAMPLE, "-o", again, "--format", "pdf", "--marking", "UNCLASSIFIED").exit_code == 0
    assert (again / sheet.name).read_bytes() == sheet.read_bytes()


def test_generated_date_follows_source_date_epoch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1577836800")  # 2020-01-01
    assert cli("build", SAMPLE, "-o", tmp_path, "--format", "pdf").exit_code == 0
    assert "Generated 2020-01-01" in pdf_text(tmp_path / "tajikistani-internal-troops.pdf")


def test_markup_in_a_record_is_text_and_files_are_never_opened(tmp_path: Path):
    canary = tmp_path / "canary-hostname"
    canary.write_text("CANARY-7f3a", encoding="utf-8")
    records = tmp_path / "records"
    records.mkdir()
    (records / "hostile.txt").write_text(
        "= <script>alert(1)</script> Agency =\n\n"
        "Infobox\n"
        f'- Agencyname: <img src="file://{canary}">\n'
        f"- Logo: File:{canary}\n\n"
        f'Lead with <script>alert("x")</script> and <img src="file://{canary}"> inline.\n\n'
        "== Section ==\n"
        f'- item <link rel="attachment" href="file://{canary}">\n',
        encoding="utf-8",
    )
    _OPENED.clear()
    result = cli("build", records, "-o", tmp_path / "out", "--format", "pdf")
    assert result.exit_code == 0, result.stderr
    assert not [path for path in _OPENED if "canary" in path]
    pdf = next((tmp_path / "out").glob("*.pdf"))
    text = pdf_text(pdf)
    assert "<script>alert(1)</script>" in text
    assert normalise(f'<img src="file://{canary}">') in normalise(text)
    assert normalise(f'<link rel="attachment" href="file://{canary}">') in normalise(text)
    assert b"CANARY-7f3a" not in pdf.read_bytes()


def test_logo_from_the_media_folder_is_shown(tmp_path: Path):
    from PIL import Image

    records = tmp_path / "records"
    (records / "media").mkdir(parents=True)
    Image.new("RGB", (40, 40), (31, 58, 95)).save(records / "media" / "emblem.png")
    (records / "unit.txt").write_text(
        "= Unit =\n\nInfobox military unit\n- Unitname: Unit\n- Image: File:emblem.png\n\nText.\n", encoding="utf-8"
    )
    result = cli("build", records, "-o", tmp_path / "out", "--format", "pdf,html")
    assert result.exit_code == 0 and "warning" not in result.stderr, result.stderr
    with pikepdf.open(tmp_path / "out" / "unit.pdf") as pdf:
        images = [k for k, v in pdf.pages[0].Resources.get("/XObject", {}).items() if v.Subtype == "/Image"]
    assert len(images) == 1
    copied = tmp_path / "out" / "handbook" / "media" / "unit-logo.png"
    assert copied.read_bytes() == (records / "media" / "emblem.png").read_bytes()
    assert 'src="media/unit-logo.png"' in (tmp_path / "out" / "handbook" / "unit.xhtml").read_text(encoding="utf-8")


def test_missing_logo_leaves_no_image(sheet: Path):
    with pikepdf.open(sheet) as pdf:
        for page in pdf.pages:
            xobjects = page.Resources.get("/XObject", {})
            assert not [k for k, v in xobjects.items() if v.Subtype == "/Image"]
