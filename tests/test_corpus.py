"""The hostile corpus: every case accepted and rendered safely, or rejected with FILE:LINE."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from .conftest import cli, normalise, pdf_text
from .hostile.corpus import Case, cases, write_corpus

CASES = {case.name: case for case in cases()}
XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    write_corpus(folder)
    return folder


@pytest.fixture(scope="module")
def built(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One build of the whole corpus: bad records are reported, the rest are written."""
    import os

    os.environ["SOURCE_DATE_EPOCH"] = "1764028800"
    out = tmp_path_factory.mktemp("corpus-out")
    result = cli("build", corpus, "-o", out, "--format", "pdf,html")
    assert result.exit_code == 1  # the corpus holds rejected cases
    rejected = [c for c in CASES.values() if c.outcome == "rejected"]
    assert f"{len(rejected)} records failed and were not built" in result.stderr
    assert "Traceback" not in result.stderr
    return out


def test_corpus_is_big_enough():
    assert len(CASES) >= 30
    assert {c.outcome for c in CASES.values()} == {"accepted", "rejected"}


@pytest.mark.parametrize("name", CASES)
def test_validate_outcome(corpus: Path, name: str):
    case: Case = CASES[name]
    result = cli("validate", corpus / case.file)
    assert "Traceback" not in result.stderr
    if case.outcome == "accepted":
        assert result.exit_code == 0, result.stderr
        assert ": error: " not in result.stderr
    else:
        assert result.exit_code == 1, result.stderr
        first = next(line for line in result.stderr.splitlines() if ": error: " in line)
        assert first.startswith(f"{corpus / case.file}:{case.line}: error: "), first
        assert case.message in first, first


def _chapter_for(built: Path, text: str) -> Path:
    for path in sorted((built / "handbook").glob("*.xhtml")):
        if path.name in ("index.xhtml", "nav.xhtml", "chronology.xhtml", "names.xhtml"):
            continue
        if text in "".join(etree.parse(str(path)).getroot().itertext()):
            return path
    raise AssertionError(f"no chapter shows {text[:60]!r}")


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if n.startswith("markup-")])
def test_markup_is_shown_as_text(built: Path, name: str):
    case = CASES[name]
    (markup,) = case.shown
    chapter = _chapter_for(built, markup)
    body = etree.parse(str(chapter)).getroot().find(f"{XHTML}body")
    for tag in ("script", "img", "link"):
        assert not body.findall(f".//{XHTML}{tag}"), tag
    pdf = built / chapter.name.replace(".xhtml", ".pdf")
    assert normalise(markup) in normalise(pdf_text(pdf))


def test_long_unbroken_word_is_wrapped_not_clipped(built: Path):
    pdf = built / "long.pdf"
    text = normalise(pdf_text(pdf))
    assert text.count("W") == 5000  # the word runs over a page break, between header and footer
    # Every word's box (poppler's pdftotext -bbox) lies inside the page's text area.
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    page = re.search(r'<page width="([\d.]+)"', html)
    width = float(page.group(1))
    boxes = [(float(a), float(b)) for a, b in re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"', html)]
    assert len(boxes) > 1000
    margin = 17 / 25.4 * 72  # the page's side margins, 17 mm
    assert all(x_min >= margin - 1 and x_max <= width - margin + 1 for x_min, x_max in boxes)


def test_safe_unique_slugs(built: Path):
    names = sorted(p.name for p in built.glob("*.pdf"))
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]*\.pdf", n) for n in names), names
    assert "con.pdf" not in names and "con-record.pdf" in names
    assert "etc-passwd.pdf" in names and "record.pdf" in names
    assert {"same-slug.pdf", "same-slug-2.pdf"} <= set(names)
    assert "eviltitle.pdf" in names or "evil-title.pdf" in names
    assert all(p.resolve().parent == built.resolve() for p in built.glob("*.pdf"))
    accepted = [c for c in CASES.values() if c.outcome == "accepted"]
    assert len(names) == len(accepted)


def test_bad_logos_warn_and_load_nothing(corpus: Path):
    result = cli("validate", corpus / "logo-traversal.txt", corpus / "logo-absolute.txt", corpus / "logo-url.txt")
    assert result.exit_code == 0
    warnings = [line for line in result.stderr.splitlines() if ": warning: " in line]
    assert len(warnings) == 3 and all(":4: warning: infobox 'Logo'" in w and "not loaded" in w for w in warnings)
