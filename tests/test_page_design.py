"""Layout work that grows faster than the text: the page must not ask WeasyPrint for it.

These tests count calls, not seconds. WeasyPrint's automatic table layout measures
the narrowest wrap of every cell, line by line, which costs the square of a cell's
length; with the chronology's whole sentences in its cells that was half of a fact
sheet's layout time. The chronology table has fixed column widths instead.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pipeline.context import with_links
from pipeline.read import read_record
from pipeline.render import BuildInfo, Renderer
from pipeline.validate import validate
from tests.conftest import SAMPLE, cli


@pytest.fixture
def automatic_tables(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every table WeasyPrint lays out with the automatic (content-measuring) algorithm."""
    from weasyprint.layout import table

    seen: list[object] = []
    original = table.auto_table_layout

    def counted(context, box, containing_block):
        seen.append(box.element.get("class"))
        return original(context, box, containing_block)

    monkeypatch.setattr(table, "auto_table_layout", counted)
    return seen


def _views(renderer: Renderer, paths: list[Path]):
    return with_links([renderer.view(validate(read_record(p)).article, p.stem, p.parent / "media") for p in paths])


def test_fact_sheet_chronology_is_laid_out_without_measuring_its_sentences(automatic_tables: list[object]):
    renderer = Renderer(BuildInfo.create())
    (view,) = _views(renderer, [SAMPLE])
    assert view.chronology, "the sample has dated events: the table is on the sheet"
    _, pages, _ = renderer.pdf(renderer.factsheet_html(view))
    assert pages == 2
    assert automatic_tables == []


def test_pack_chronologies_are_laid_out_without_measuring_their_sentences(automatic_tables: list[object]):
    renderer = Renderer(BuildInfo.create())
    views = _views(renderer, [SAMPLE])
    for part in ("chapters", "chronology"):  # a chapter's table and the pack's own
        renderer.piece(renderer.pack_html(part, views, 1), "css/pack-piece.css")
    assert automatic_tables == []


def test_long_running_title_and_source_keep_the_width_of_their_margin_box(tmp_path: Path):
    """A long title and attribution read across the page, not wrapped into half of it."""
    records = tmp_path / "records"
    records.mkdir()
    body = SAMPLE.read_text(encoding="utf-8").split("\n", 1)[1]
    title = "The Extraordinarily Long Official Designation of the Republican Internal Security Troops Command"
    (records / "long.txt").write_text(f"= {title} =\n{body}", encoding="utf-8")
    attribution = (
        "Wikipedia contributors, “The Extraordinarily Long Official Designation”, Wikipedia, The Free Encyclopedia"
    )
    (records / "sources.toml").write_text(f'[defaults]\nattribution = "{attribution}"\n', encoding="utf-8")
    result = cli("build", records, "-o", tmp_path / "out", "--format", "pdf")
    assert result.exit_code == 0, result.stderr
    (pdf,) = (tmp_path / "out").glob("*.pdf")
    page_two = subprocess.run(
        ["pdftotext", "-layout", "-f", "2", "-l", "2", pdf, "-"], capture_output=True, text=True, check=True
    ).stdout
    lines = [" ".join(line.split()) for line in page_two.splitlines() if line.strip()]
    assert title[:85] in lines[0], lines[:3]  # the running header: one line
    assert any(f"Source: {attribution}"[:80] in line for line in lines[-3:]), lines[-3:]
