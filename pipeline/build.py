"""A batch, as a readable sequence of steps: find, read, validate, render, write.

One bad record never stops the others: its problems are reported and the build
goes on; the caller learns at the end which records failed. Outputs whose inputs
have not changed since the last build (same HTML, templates and media) are kept
as they are, so a build that was interrupted is completed by the next one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.assets import fonts_fingerprint, templates_dir
from pipeline.diagnostics import Diagnostic
from pipeline.read import Limits, file_sha256, read_record
from pipeline.render import ArticleView, BuildInfo, Embedded, Renderer, provenance_attachments, with_links
from pipeline.slugs import assign_slugs
from pipeline.sources import Source, credit_for, discover
from pipeline.validate import Options, Outcome, validate
from pipeline.write import OutputDir, sha256

FORMATS = ("pdf", "html", "epub", "pack")


@dataclass
class BuildOptions:
    output: Path = Path("output")
    formats: tuple[str, ...] = FORMATS
    paper: str = "a4"
    marking: str | None = None
    title: str = "Briefing handbook"
    strict: bool = False
    allow_missing_glyphs: bool = False
    limits: Limits = field(default_factory=Limits)
    jobs: int = 1
    order: list[str] | None = None
    single_file: bool = False
    chronology: bool = True
    archival: bool = False  # PDF/A-3a: opt-in, it costs more than 15% of render time (README)


@dataclass
class Checked:
    """One source file after reading and validation."""

    source: Source
    outcome: Outcome

    @property
    def ok(self) -> bool:
        return self.outcome.ok


@dataclass
class Rendered:
    """One output's bytes, its page count (PDFs) and any references refused while rendering."""

    data: bytes
    pages: int | None = None
    refused: list[str] = field(default_factory=list)


@dataclass
class BuildResult:
    records: list[Checked]
    written: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    refused: list[Diagnostic] = field(default_factory=list)

    @property
    def failed(self) -> list[Checked]:
        return [r for r in self.records if not r.ok]


def check(
    sources: list[Source], strict: bool = False, limits: Limits = Limits(), allow_missing_glyphs: bool = False
) -> list[Checked]:
    """Read and validate every source; never raises for bad input."""
    results = []
    for source in sources:
        credit, credit_problems = credit_for(source)
        outcome = validate(
            read_record(source.path, limits, label=source.label),
            Options(
                source_name=source.name,
                media_dir=source.media_dir,
                media_label=source.media_label,
                strict=strict,
                allow_missing_glyphs=allow_missing_glyphs,
                licence=credit.licence,
                attribution=credit.attribution,
            ),
        )
        outcome.diagnostics += credit_problems
        if credit_problems:
            outcome.article = None
        results.append(Checked(source, outcome))
    return results


def order_records(records: list[Checked], order: list[str] | None) -> list[Checked]:
    """By the --order list (file names or paths) first, then by title."""
    valid = [r for r in records if r.ok]
    by_title = sorted(valid, key=lambda r: (r.outcome.article.title.casefold(), r.source.name))
    if not order:
        return by_title
    rank: dict[str, int] = {}
    for i, entry in enumerate(order):
        rank.setdefault(entry, i)

    def position(record: Checked) -> int:
        for key in (record.source.label, record.source.name, record.source.path.name):
            if key in rank:
                return rank[key]
        return len(rank)

    return sorted(by_title, key=position)


def templates_fingerprint() -> str:
    digest = hashlib.sha256(__version__.encode() + fonts_fingerprint().encode())
    root = templates_dir()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class Builder:
    """Runs one build into one output folder."""

    def __init__(self, options: BuildOptions, echo: Callable[[str], None] = print):
        self.options = options
        self.echo = echo
        self.info = BuildInfo.create(
            marking=options.marking,
            paper=options.paper,
            title=options.title,
            chronology=options.chronology,
            archival=options.archival,
        )

    def run(self, arguments: list[Path]) -> BuildResult:
        records = check(
            discover(arguments), self.options.strict, self.options.limits, self.options.allow_missing_glyphs
        )
        self.result = result = BuildResult(records)
        valid = order_records(records, self.options.order)
        slugs = assign_slugs([(r.source.name, r.outcome.article.title) for r in valid])
        renderer = Renderer(self.info, sorted({r.source.media_dir.resolve() for r in valid}))
        views = [renderer.view(r.outcome.article, slugs[r.source.name], r.source.media_dir) for r in valid]
        views = with_links(views)
        formats = set(self.options.formats)
        self.out = OutputDir(self.options.output)
        with self.out.locked():
            self.previous = {f["path"]: f for f in self.out.read_manifest().get("files", []) if isinstance(f, dict)}
            self.manifest = self._manifest_header(records)
            self.fingerprint = templates_fingerprint()
            if "pdf" in formats:
                self._factsheets(renderer, views, valid)
            if formats & {"html", "epub"} and views:
                from pipeline.handbook import Handbook

                handbook = Handbook(renderer, views)
                if "html" in formats:
                    for relative, data in handbook.files().items():
                        self._emit(f"handbook/{relative}", "handbook", valid, lambda d=data: Rendered(d))
                    if self.options.single_file:
                        self._emit(
                            "handbook.html",
                            "handbook-single-file",
                            valid,
                            lambda: Rendered(handbook.single_file()),
                        )
                if "epub" in formats:
                    from pipeline.epub import package

                    self._emit("handbook.epub", "epub", valid, lambda: Rendered(package(handbook, self.info)))
            if "pack" in formats and views:
                html = renderer.pack_html(views)
                self._emit(
                    "briefing.pdf",
                    "briefing-pack",
                    valid,
                    lambda: Rendered(*renderer.pdf(html, self._attachments(valid))),
                    html,
                )
            for view, record in zip(views, valid, strict=True):  # kept for `make-report diff`
                text = view.article.model_dump_json(indent=1) + "\n"
                data = text.encode("utf-8")
                self._emit(f"records/{view.slug}.json", "record", [record], lambda d=data: Rendered(d), text)
            self.out.write_manifest(self.manifest)
        return result

    # -- steps ------------------------------------------------------------------
    def _factsheets(self, renderer: Renderer, views: list[ArticleView], valid: list[Checked]) -> None:
        sheets = [
            (f"{view.slug}.pdf", renderer.factsheet_html(view), record)
            for view, record in zip(views, valid, strict=True)
        ]
        fresh = {name: html for name, html, record in sheets if not self._reusable(name, html, [record])}
        attached = {name: self._attachments([record]) for name, _, record in sheets if name in fresh}
        rendered = (
            self._render_in_workers(renderer, fresh, attached) if self.options.jobs > 1 and len(fresh) > 1 else {}
        )
        for name, html, record in sheets:
            if name not in fresh:
                self._reuse(name)
            else:  # one at a time without workers: each sheet is on disk as soon as it is made
                made = rendered[name] if name in rendered else Rendered(*renderer.pdf(html, attached[name]))
                self._write(name, "factsheet", [record], made, html)

    def _render_in_workers(
        self, renderer: Renderer, pending: dict[str, str], attached: dict[str, list[Embedded]]
    ) -> dict[str, Rendered]:
        with ProcessPoolExecutor(
            max_workers=self.options.jobs,
            initializer=_worker_init,
            initargs=(self.info, renderer.media_dirs),
        ) as pool:
            futures = {name: pool.submit(_worker_pdf, html, attached[name]) for name, html in pending.items()}
            return {name: Rendered(*future.result()) for name, future in futures.items()}

    def _attachments(self, records: list[Checked]) -> list[Embedded]:
        """What a PDF carries so it can be checked against its sources: their bytes and provenance."""
        return provenance_attachments(
            [(r.outcome.article, r.source.path.read_bytes()) for r in records],
            self.info,
        )

    def _emit(
        self,
        name: str,
        kind: str,
        records: list[Checked],
        make: Callable[[], Rendered],
        key_text: str | None = None,
    ) -> None:
        """Write one output, unless the same inputs already gave the file on disk."""
        if key_text is not None and self._reusable(name, key_text, records):
            self._reuse(name)
        else:
            self._write(name, kind, records, make(), key_text)

    def _reuse(self, name: str) -> None:
        self.manifest["files"].append(self.previous[name])
        self.result.reused.append(name)
        self.out.write_manifest(self.manifest)

    def _write(self, name: str, kind: str, records: list[Checked], made: Rendered, key_text: str | None) -> None:
        label = records[0].source.label if len(records) == 1 else name
        self.result.refused += [
            Diagnostic(label, 1, "warning", f"refused to load {url[:120]!r}") for url in made.refused
        ]
        self.out.write(name, made.data)
        entry: dict[str, Any] = {"path": name, "kind": kind, "size": len(made.data), "sha256": sha256(made.data)}
        if made.pages is not None:
            entry["pages"] = made.pages
        entry["sources"] = [{"path": r.source.name, "sha256": r.outcome.article.provenance.sha256} for r in records]
        if key_text is not None:
            entry["key"] = self._key(key_text, records)
        self.manifest["files"].append(entry)
        self.result.written.append(name)
        self.out.write_manifest(self.manifest)

    def _key(self, text: str, records: list[Checked]) -> str:
        """What an output depends on: its HTML, the templates and fonts, and any logo."""
        digest = hashlib.sha256(self.fingerprint.encode() + text.encode("utf-8"))
        for record in records:
            infobox = record.outcome.article.infobox
            image = infobox.image if infobox else None
            if image and image.file:
                digest.update((record.source.media_dir / image.file).read_bytes())
        return digest.hexdigest()

    def _reusable(self, name: str, text: str, records: list[Checked]) -> bool:
        entry = self.previous.get(name)
        path = self.out.root / name
        if not entry or entry.get("key") != self._key(text, records) or not path.is_file():
            return False
        return sha256(path.read_bytes()) == entry.get("sha256")

    def _manifest_header(self, records: list[Checked]) -> dict[str, Any]:
        return {
            "generator": f"make-report {__version__}",
            "build": {
                "date": self.info.timestamp,
                "paper": self.info.paper,
                "marking": self.info.marking,
                "title": self.info.title,
                "formats": list(self.options.formats),
            },
            "records": [_record_entry(r) for r in records],
            "files": [],
        }


def _record_entry(record: Checked) -> dict[str, Any]:
    article = record.outcome.article
    sha = article.provenance.sha256 if article else file_sha256(record.source.path)
    return {
        "path": record.source.name,
        "sha256": sha,
        "title": article.title if article else None,
        "status": "ok" if article else "invalid",
        "warnings": [f"line {d.line}: {d.message}" for d in record.outcome.diagnostics if d.severity == "warning"],
        "errors": [f"line {d.line}: {d.message}" for d in record.outcome.diagnostics if d.severity == "error"],
    }


_WORKER: Renderer | None = None


def _worker_init(info: BuildInfo, media_dirs: list[Path]) -> None:
    global _WORKER
    _WORKER = Renderer(info, media_dirs)


def _worker_pdf(html: str, attachments: list[Embedded]) -> tuple[bytes, int, list[str]]:
    assert _WORKER is not None
    return _WORKER.pdf(html, attachments)
