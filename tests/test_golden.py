"""Golden files: the fact-sheet HTML and the chapter XHTML of a few scenario records.

A change of markup shows here as a readable diff, reviewed like code. After an
intended change, ``pytest tests/test_golden.py --update-golden`` rewrites the
files and ``git diff tests/golden/`` shows what changed. HTML only (no PDF), from
one batch for all scenarios, so the check costs well under a second.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from pipeline import __version__
from tests.conftest import ROOT, SAMPLE, TEST_RECORDS

GOLDEN = Path(__file__).resolve().parent / "golden"
#: scenario -> record: what each one covers.
SCENARIOS = {
    "sample": SAMPLE,  # law-enforcement profile, Cyrillic native name, families, a logo that is missing
    "rtl": TEST_RECORDS / "gulf-maritime-police.txt",  # Arabic native name and lead, subsections, chronology
    "no-infobox": TEST_RECORDS / "field-notes.txt",  # no key facts, numbered lists, markup as text
    "logo": GOLDEN / "records" / "harbour-police.txt",  # a checked SVG logo from media/
}


def _stable(text: str) -> str:
    """The output without what differs between machines and releases: the checkout's path and the version."""
    return text.replace(ROOT.as_uri(), "file:///ROOT").replace(f"make-report {__version__}", "make-report VERSION")


@pytest.fixture(scope="module")
def outputs() -> dict[str, str]:
    """Every golden file's current text, from one batch of the scenario records."""
    from pipeline.build import check, order_records
    from pipeline.context import with_links
    from pipeline.handbook import Handbook
    from pipeline.render import BuildInfo, Renderer
    from pipeline.slugs import assign_slugs
    from pipeline.sources import discover

    records = check(discover(list(SCENARIOS.values())))
    assert all(r.ok for r in records), [d for r in records for d in r.outcome.diagnostics]
    valid = order_records(records, None)
    slugs = assign_slugs([(r.source.name, r.outcome.article.title) for r in valid])
    info = BuildInfo(date="2025-11-25", timestamp="2025-11-25T00:00:00Z", marking="UNCLASSIFIED")
    renderer = Renderer(info, sorted({r.source.media_dir.resolve() for r in valid}))
    views = with_links([renderer.view(r.outcome.article, slugs[r.source.name], r.source.media_dir) for r in valid])
    handbook = Handbook(renderer, views)
    by_path = {r.source.path.resolve(): view for r, view in zip(valid, views, strict=True)}
    found = {}
    for scenario, path in SCENARIOS.items():
        view = by_path[path.resolve()]
        found[f"{scenario}.factsheet.html"] = _stable(renderer.factsheet_html(view))
        found[f"{scenario}.chapter.xhtml"] = _stable(handbook.document(f"{view.slug}.xhtml").decode("utf-8"))
    return found


NAMES = [f"{scenario}.{kind}" for scenario in SCENARIOS for kind in ("factsheet.html", "chapter.xhtml")]


@pytest.mark.parametrize("name", NAMES)
def test_output_matches_golden_file(outputs: dict[str, str], name: str, request: pytest.FixtureRequest):
    path = GOLDEN / name
    current = outputs[name]
    if request.config.getoption("--update-golden"):
        path.write_text(current, encoding="utf-8", newline="\n")
        return
    assert path.is_file(), f"{path} is missing: run `pytest tests/test_golden.py --update-golden` and review it"
    expected = path.read_text(encoding="utf-8")
    if current != expected:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True),
            current.splitlines(keepends=True),
            f"tests/golden/{name} (expected)",
            f"{name} (current output)",
        )
        pytest.fail(
            "output differs from its golden file; if the change is intended, run "
            "`pytest tests/test_golden.py --update-golden` and review `git diff tests/golden/`:\n" + "".join(diff),
            pytrace=False,
        )


def test_golden_files_are_all_checked():
    """No stale golden file lingers after a scenario is removed."""
    on_disk = {p.name for p in GOLDEN.iterdir() if p.is_file()}
    assert on_disk == set(NAMES)
