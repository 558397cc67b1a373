"""The change report: compare two builds (or a build and a records folder), write changes.*.

Reads each side (a build's kept records, or records read and validated now),
compares them with :mod:`pipeline.diff`, and writes ``changes.json``,
``changes.html`` and ``changes.pdf`` atomically into one folder under the
output lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.build import Checked, check
from pipeline.diagnostics import shown
from pipeline.diff import Changes, DiffError, compare, kept_records
from pipeline.render import BuildInfo, Renderer
from pipeline.sources import discover, is_output_folder
from pipeline.write import MANIFEST_NAME, OutputDir
from schemas import Article


@dataclass
class Side:
    articles: dict[str, Article]
    checked: list[Checked] = field(default_factory=list)  # records read now (a records folder)


def is_build(folder: Path) -> bool:
    return is_output_folder(folder) or (folder / MANIFEST_NAME).is_file()


def load(folder: Path) -> Side:
    """A build's kept records, or the valid records of a records folder (invalid ones reported)."""
    if is_build(folder):
        return Side(kept_records(folder))
    found = discover([folder])
    if not found:
        raise DiffError(
            f"{shown(folder)} holds neither a make-report build (manifest.json) nor record files; "
            "name a build's output folder or a records folder"
        )
    checked = check(found)
    return Side({c.outcome.article.provenance.path: c.outcome.article for c in checked if c.ok}, checked)


def write_report(changes: Changes, output: Path, title: str = "Changes") -> list[str]:
    """changes.json, changes.html and changes.pdf in ``output``; returns the names written."""
    renderer = Renderer(BuildInfo.create(title=title), [])
    html = renderer.render("changes.html.j2", changes=changes)
    pdf, _pages, _refused = renderer.pdf(html)
    out = OutputDir(output)
    written = []
    with out.locked():
        for name, data in (
            ("changes.json", changes.to_json().encode("utf-8")),
            ("changes.html", html.encode("utf-8")),
            ("changes.pdf", pdf),
        ):
            out.write(name, data)
            written.append(name)
    return written


def run(old: Path | Side, new: Path, old_name: str | None = None) -> tuple[Changes, list[Checked]]:
    """Compare OLD (a folder, or a side read before a build replaced it) with NEW.

    The records read now come back so that their problems can be reported.
    """
    before = old if isinstance(old, Side) else load(old)
    after = load(new)
    name = old_name or (shown(old) if isinstance(old, Path) else "before")
    return compare(before.articles, after.articles, name, shown(new)), before.checked + after.checked
