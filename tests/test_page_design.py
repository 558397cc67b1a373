"""Layout work that grows faster than the text: the page must not ask WeasyPrint for it.

These tests count calls, not seconds. WeasyPrint's automatic table layout measures
the narrowest wrap of every cell, line by line, which costs the square of a cell's
length; with the chronology's whole sentences in its cells that was half of a fact
sheet's layout time. The chronology table has fixed column widths instead.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from pipeline.context import with_links
from pipeline.pack import timeline
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
        html = renderer.pack_html(part, views, 1, timeline=timeline(views))
        renderer.piece(html, "css/pack-piece.css")
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


def test_contents_leaders_run_from_each_title_to_its_page_number(built: Path):
    """Each contents line reads title, dots, page number: the dots fill the gap between them."""
    words = subprocess.run(
        ["pdftotext", "-bbox", "-f", "2", "-l", "2", str(built / "briefing.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines: dict[str, list[tuple[float, float, str]]] = {}
    for x_min, y_min, x_max, text in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', words
    ):
        line = lines.setdefault(y_min, [])
        if line and set(text) == {"."} and line[-1][2].endswith("."):  # dots drawn one by one read as one run
            line[-1] = (line[-1][0], float(x_max), line[-1][2] + text)
        else:
            line.append((float(x_min), float(x_max), text))
    entries = [line for line in lines.values() if line[-1][2].isdigit() and len(line) > 1]
    assert len(entries) >= 10, words  # four records with their sections, the chronology, the index
    for line in entries:
        (*_, (_, dots_end, dots), (number_start, _, _)) = line
        assert re.search(r"\w\.{20,}$", dots) or re.fullmatch(r"\.{20,}", dots), line
        assert 0 < number_start - dots_end < 6, line  # the dots reach the number
        if re.fullmatch(r"\.+", dots):  # the dots start where the title ends
            assert 0 < line[-2][0] - line[-3][1] < 6, line


def test_contents_leader_is_drawn_as_one_run(monkeypatch: pytest.MonkeyPatch):
    """WeasyPrint fills a leader with one box a dot (most of a long contents' time); we draw one run a line."""
    import weasyprint.draw as draw

    drawn: list[str] = []
    original = draw.draw_text

    def counted(stream, textbox, *args, **kwargs):
        drawn.append(textbox.text)
        return original(stream, textbox, *args, **kwargs)

    monkeypatch.setattr(draw, "draw_text", counted)
    renderer = Renderer(BuildInfo.create())
    views = [view.placed(xref=("x:", ""), shared=True) for view in _views(renderer, [SAMPLE])]
    pages = {views[0].record_id: 1, **{node.id: 1 for node in views[0].sections}}
    renderer.piece(renderer.pack_html("front", views, 1, pages), "css/pack-front.css")
    leaders = [t for t in drawn if t and set(t) == {"."}]
    lines = 1 + sum(1 for node in views[0].sections if node.level == 2)
    assert len(leaders) == lines, drawn
    assert all(len(t) > 50 for t in leaders)
