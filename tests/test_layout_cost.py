"""Layout work that grows faster than the text: the page must not ask WeasyPrint for it.

These tests count calls, not seconds. WeasyPrint's automatic table layout measures
the narrowest wrap of every cell, line by line, which costs the square of a cell's
length; with the chronology's whole sentences in its cells that was half of a fact
sheet's layout time. The chronology table has fixed column widths instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.read import read_record
from pipeline.render import BuildInfo, Renderer, with_links
from pipeline.validate import validate
from tests.conftest import SAMPLE


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
    renderer.pdf(renderer.pack_html(_views(renderer, [SAMPLE])))  # a chapter's table and the pack's own
    assert automatic_tables == []
