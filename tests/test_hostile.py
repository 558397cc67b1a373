"""Hostile records: each one is accepted and rendered as plain text, or rejected at FILE:LINE.

The corpus (tests/hostile/corpus.py) is written byte-exact into a temporary folder.
``validate`` runs once per case (in-process, fast); the whole corpus is built once
(the build reports the bad records and goes on), and the accepted cases are checked
in that one build's outputs.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
from lxml import etree

from .conftest import ROOT, cli, epoch, normalise, pdf_text, run_command
from .hostile.corpus import LONG_WORD, Case, cases, write_corpus

CASES = {case.name: case for case in cases()}
ACCEPTED = [c for c in CASES.values() if c.outcome == "accepted"]
REJECTED = [c for c in CASES.values() if c.outcome == "rejected"]
XHTML = "{http://www.w3.org/1999/xhtml}"
SAFE_NAME = re.compile(r"[a-z0-9][a-z0-9-]*\.pdf")
WINDOWS_NAMES = {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    write_corpus(folder)
    return folder


@pytest.fixture(scope="module")
def build(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, str]]:
    """One build of the whole corpus; returns the output folder, stderr and case file -> fact sheet."""
    out = tmp_path_factory.mktemp("hostile-out")
    with epoch():
        result = cli("build", corpus, "-o", out, "--format", "pdf,html")
    assert result.exit_code == 1, result.stderr  # the corpus holds rejected cases
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    sheets = {}
    for entry in manifest["files"]:
        if entry["kind"] == "factsheet":
            (source,) = entry["sources"]
            sheets[Path(source["path"]).name] = entry["path"]
    return out, result.stderr, sheets


def _sheet(build, case: Case) -> Path:
    out, stderr, sheets = build
    assert case.file in sheets, f"{case.file} was not built:\n{stderr}"
    return out / sheets[case.file]


def _chapter(build, case: Case) -> etree._ElementTree:
    out = build[0]
    path = out / "handbook" / Path(_sheet(build, case).name).with_suffix(".xhtml")
    assert path.is_file(), path
    return etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))


def _text(element) -> str:
    return "".join(element.itertext())


# -- the corpus itself -------------------------------------------------------------------
def test_corpus_is_big_and_byte_exact(corpus: Path):
    assert len(CASES) >= 35 and len(CASES) == len(cases())  # names are unique
    assert {c.outcome for c in CASES.values()} == {"accepted", "rejected"}
    assert all(c.line and c.message for c in REJECTED)
    for case in CASES.values():
        assert (corpus / case.file).read_bytes() == case.data, case.file
    assert (corpus / "too-large.txt").stat().st_size > 5_000_000
    assert (corpus / "bom-crlf.txt").read_bytes().startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in (corpus / "bom-crlf.txt").read_bytes()


def test_corpus_script_writes_the_same_files(tmp_path: Path):
    target = tmp_path / "written"
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "hostile" / "corpus.py"), str(target)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in target.iterdir()) == sorted(c.file for c in CASES.values())
    assert all((target / c.file).read_bytes() == c.data for c in CASES.values())
    assert len(done.stdout.splitlines()) == len(CASES)


# -- validate, one case at a time ----------------------------------------------------------
@pytest.mark.parametrize("name", CASES)
def test_validate(corpus: Path, name: str):
    case = CASES[name]
    path = corpus / case.file
    result = cli("validate", path)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    errors = [line for line in lines if ": error: " in line]
    if case.outcome == "accepted":
        assert result.exit_code == 0, result.stderr
        assert not errors, result.stderr
        assert "1 of 1 records valid" in result.stderr
        if case.warning:
            prefix = f"{path}:{case.warning_line}: warning: "
            assert any(line.startswith(prefix) and case.warning in line for line in lines), result.stderr
    else:
        assert result.exit_code == 1, result.stderr
        assert "0 of 1 records valid" in result.stderr
        prefix = f"{path}:{case.line}: error: "
        assert any(line.startswith(prefix) and case.message in line for line in errors), (
            f"expected {prefix}...{case.message}...\n{result.stderr}"
        )
        # Errors come in line order, so the expected one is the first error reported.
        assert errors[0].startswith(prefix), result.stderr


def test_validate_whole_corpus_as_a_process(corpus: Path):
    """A real process, with a time limit: no traceback, no hang, every line well-formed."""
    done = run_command("validate", corpus, timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    *diagnostics, summary = done.stderr.splitlines()
    assert summary == f"{len(ACCEPTED)} of {len(CASES)} records valid"
    pattern = re.compile(rf"{re.escape(str(corpus))}/[a-z0-9.-]+\.txt:\d+: (error|warning): \S")
    assert all(pattern.match(line) for line in diagnostics), done.stderr
    failed = {Path(line.split(":", 1)[0]).name for line in diagnostics if ": error: " in line}
    assert failed == {c.file for c in REJECTED}


def test_long_title_builds_in_reasonable_time(tmp_path: Path):
    """A long title is valid (no limit but --max-bytes); building it must not take minutes.

    A one-page record builds in about a second; the limit leaves ten times that.
    """
    record = tmp_path / "records" / "long-title.txt"
    record.parent.mkdir()
    record.write_text("= " + "Long title " * 230 + "=\n\nText.\n", encoding="utf-8")
    assert cli("validate", record).exit_code == 0
    try:
        done = run_command("build", record, "-o", tmp_path / "out", "--format", "pdf", timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail("building one record with a 2,530-character title took over 10 s")
    assert done.returncode == 0, done.stderr
    assert len(list((tmp_path / "out").glob("*.pdf"))) == 1


def test_limits_are_options(corpus: Path):
    assert cli("validate", corpus / "bullets-20-deep.txt", "--max-depth", "20").exit_code == 0
    result = cli("validate", corpus / "bullets-8-deep.txt", "--max-depth", "7")
    assert result.exit_code == 1
    assert f"{corpus / 'bullets-8-deep.txt'}:10: error: list nested more than 7 levels" in result.stderr
    result = cli("validate", corpus / "too-large.txt", "--max-bytes", "6000000")
    assert result.exit_code == 0, result.stderr
    result = cli("validate", corpus / "long-paragraph.txt", "--max-bytes", "1000")
    assert result.exit_code == 1
    assert f"{corpus / 'long-paragraph.txt'}:1: error: file is " in result.stderr


# -- one build of everything ----------------------------------------------------------------
def test_build_goes_on_past_bad_records(build):
    _out, stderr, sheets = build
    assert "Traceback" not in stderr and "internal error" not in stderr
    assert f"built {len(ACCEPTED)} of {len(CASES)} records" in stderr
    assert f"{len(REJECTED)} records failed and were not built" in stderr
    assert set(sheets) == {c.file for c in ACCEPTED}
    for case in REJECTED:
        assert case.file not in sheets


MARKUP = [c.name for c in ACCEPTED if c.kind == "markup"]


@pytest.mark.parametrize("name", MARKUP)
def test_markup_is_shown_as_text(build, name: str):
    case = CASES[name]
    (markup,) = case.shown
    tree = _chapter(build, case)
    root = tree.getroot()
    body = root.find(f"{XHTML}body")
    assert markup in _text(body), f"{markup!r} is not in the chapter's text"
    assert not root.findall(f".//{XHTML}script")
    for tag in ("img", "link", "iframe", "object", "embed", "style", "svg", "a"):
        assert not body.findall(f".//{XHTML}{tag}"), tag
    assert not body.findall(".//{http://www.w3.org/2000/svg}svg")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        assert not [a for a in element.attrib if a.lower().startswith("on")], element.tag
        # Text may sit escaped in a data attribute; it must not sit where it loads or links.
        for attribute in ("src", "href", "style", "data", "action", "{http://www.w3.org/1999/xlink}href"):
            value = element.get(attribute, "")
            assert "file:" not in value and "javascript:" not in value and "<" not in value, element.tag
    # Infobox keys are set in capitals by the stylesheet; the characters are what matter.
    assert normalise(markup).casefold() in normalise(pdf_text(_sheet(build, case))).casefold()


def test_long_unbroken_word_is_not_clipped(build):
    case = CASES["long-paragraph"]
    text = normalise(pdf_text(_sheet(build, case)))
    # The word may run over a page break, so the header and footer may fall inside it.
    assert text.count("W") == len(LONG_WORD)
    assert LONG_WORD[:500] in text and text.rstrip().find("end.") > text.find("W")
    assert text.count("lorem") == case.data.count(b"lorem")
    assert LONG_WORD in _text(_chapter(build, case).getroot())
    # Every word's box (poppler's pdftotext -bbox) lies inside the page's text area.
    html = subprocess.run(
        ["pdftotext", "-bbox", str(_sheet(build, case)), "-"], capture_output=True, text=True, check=True
    ).stdout
    width = float(re.search(r'<page width="([\d.]+)"', html).group(1))
    boxes = [(float(a), float(b)) for a, b in re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"', html)]
    assert len(boxes) > 1000
    margin = 17 / 25.4 * 72  # the page's side margins, 17 mm
    assert all(x_min >= margin - 1 and x_max <= width - margin + 1 for x_min, x_max in boxes)


def test_deep_but_allowed_list_is_built(build):
    case = CASES["bullets-8-deep"]
    root = _chapter(build, case).getroot()
    items = root.findall(f".//{XHTML}li")
    assert [i.text.strip() for i in items if i.text] == [f"level {n}" for n in range(8)]
    assert "level7" in normalise(pdf_text(_sheet(build, case)))


def test_file_names_are_safe_and_unique(build):
    out, _stderr, sheets = build
    names = list(sheets.values())
    assert len(set(names)) == len(names) == len(ACCEPTED)
    for name in names:
        assert SAFE_NAME.fullmatch(name), name
        assert Path(name).stem not in WINDOWS_NAMES, name
    pdfs = sorted(p.name for p in out.glob("*.pdf"))
    assert pdfs == sorted(names)
    for path in out.rglob("*"):
        assert path.resolve().is_relative_to(out.resolve()), path
        assert not set(path.name) & {"\u202e", "\u200b", "\u200d", "\\", ":"}, path
        assert path.name not in ("passwd", "hostname"), path
    chapters = sorted(p.name for p in (out / "handbook").glob("*.xhtml"))
    built = ["index.xhtml", "nav.xhtml", "chronology.xhtml", "names.xhtml"]
    assert chapters == sorted([*built, *(Path(n).with_suffix(".xhtml").name for n in names)])


@pytest.mark.parametrize("name", [c.name for c in ACCEPTED if c.kind == "slug"])
def test_title_gets_its_own_safe_file(build, name: str):
    case = CASES[name]
    sheet = _sheet(build, case)
    assert SAFE_NAME.fullmatch(sheet.name) and sheet.stem not in WINDOWS_NAMES, sheet.name
    assert len(sheet.stem) <= 70, sheet.name
    assert sheet.resolve().parent == build[0].resolve()
    text = normalise(pdf_text(sheet))
    for shown in case.shown:
        assert normalise(shown) in text, shown
    title = re.search(rb"^= (.*) =$", case.data, re.MULTILINE).group(1).decode()
    chapter = _chapter(build, case).getroot()
    assert title in _text(chapter.find(f"{XHTML}body"))


def test_same_slug_titles_give_two_files(build):
    a, b, c = (_sheet(build, CASES[n]) for n in ("same-slug-a", "same-slug-b", "same-slug-0"))
    assert len({a, b, c}) == 3
    assert "First." in pdf_text(a) and "Second." in pdf_text(b) and "Zeroth." in pdf_text(c)
    assert "Second." not in pdf_text(a) and "First." not in pdf_text(b)


def test_reserved_titles_do_not_overwrite_build_files(build):
    out = build[0]
    index = etree.parse(str(out / "handbook" / "index.xhtml")).getroot()
    assert "Briefing handbook" in _text(index)  # still the title page, not the record titled "index"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["generator"].startswith("make-report")
    assert _sheet(build, CASES["title-index"]).stem != "index"
    assert _sheet(build, CASES["title-manifest"]).stem != "manifest"


@pytest.mark.parametrize("name", [c.name for c in ACCEPTED if c.kind == "logo"])
def test_bad_logo_loads_no_image(build, corpus: Path, name: str):
    case = CASES[name]
    with pikepdf.open(_sheet(build, case)) as pdf:
        for page in pdf.pages:
            xobjects = page.Resources.get("/XObject", {})
            assert not [k for k, v in xobjects.items() if v.get("/Subtype") == "/Image"], name
        # The sheet carries its own record and its provenance, and nothing else.
        files = {n: s.get_file().read_bytes() for n, s in pdf.attachments.items()}
        record = Path(case.file).name
        assert set(files) == {record, "make-report-provenance.json"}, name
        assert files[record] == next(corpus.rglob(record)).read_bytes(), name
    root = _chapter(build, case).getroot()
    assert not root.findall(f".//{XHTML}img")
    assert not (build[0] / "handbook" / "media").exists()
