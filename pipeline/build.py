"""A batch, as a readable sequence of steps: find, read, validate, render, write.

One bad record never stops the others: its problems are reported and the build
goes on; the caller learns at the end which records failed. Every output has a
key made from its inputs (records, templates and fonts, options, media), never
from the clock: an output whose key and bytes on disk match the last build's is
kept as it is, with the date it was made with. A build that was interrupted is
therefore completed by the next one, and a rebuild with nothing changed writes
nothing. Fact sheets are rendered in worker processes and written by this
process one by one as they complete.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import itertools
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline import __version__, pack
from pipeline.assets import fonts_fingerprint, templates_dir
from pipeline.context import ArticleView, with_links
from pipeline.diagnostics import Diagnostic, shown
from pipeline.errors import ConfigurationError, Interrupted, MakeReportError, OutputError
from pipeline.read import Limits, file_sha256, forbidden_character, read_record
from pipeline.render import BuildInfo, Embedded, Piece, Renderer, build_moment, provenance_attachments
from pipeline.slugs import assign_slugs
from pipeline.sources import Source, credit_for, discover, find
from pipeline.theme import Theme
from pipeline.validate import Options, Outcome, validate
from pipeline.write import Manifest, OutputDir, check_output, sha256
from schemas.manifest import ALL_RECORDS, MANIFEST_VERSION, BuildSettings, FileEntry, RecordEntry, SourceRef
from schemas.manifest import Manifest as ManifestModel

FORMATS = ("pdf", "html", "epub", "pack")


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity mask), not all the machine has."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class Stopped(BaseException):
    """The build was asked to stop by a signal; what is written so far is complete."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


# progress(step label, units done, units in the step, files written so far)
Progress = Callable[[str, int, int, int], None]


@dataclass
class BuildOptions:
    output: Path = Path("output")
    formats: tuple[str, ...] = FORMATS
    paper: str = "a4"
    marking: str | None = None
    title: str = "Briefing handbook"
    strict: bool = False
    require_complete: bool = False  # a record lacking fields its profile expects is invalid
    allow_missing_glyphs: bool = False
    limits: Limits = field(default_factory=Limits)
    jobs: int = field(default_factory=available_cpus)
    order: list[str] | None = None
    single_file: bool = False
    chronology: bool = True
    archival: bool = False  # PDF/A-3a: opt-in, it costs more than 15% of render time (README)
    order_file: Path | None = None  # read into ``order`` by :func:`run`
    since: Path | None = None  # an earlier build: write the change report from it
    scheduler: str | None = None  # a Dask scheduler's address; with jobs=0, every thread of the cluster
    theme: Theme = field(default_factory=Theme)  # --theme DIR and --extra-css FILE (docs/theming.md)


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
    #: The change report's counts and files, with ``--since``, or why it could not be made.
    since: str | None = None
    since_error: MakeReportError | None = None

    @property
    def failed(self) -> list[Checked]:
        return [r for r in self.records if not r.ok]

    def diagnostics(self, strict: bool = False) -> list[Diagnostic]:
        """Every problem of the build, once each: records' and rendering's; ``strict`` makes warnings errors.

        ``--strict`` is applied here, once, over all of them; records with a warning
        were already left out by :func:`check`.
        """
        seen: dict[Diagnostic, None] = {}
        for record in self.records:
            seen.update(dict.fromkeys(record.outcome.diagnostics))
        seen.update(dict.fromkeys(self.refused))
        return strictly(list(seen)) if strict else list(seen)


def strictly(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """``--strict``: every warning an error (other severities stay as they are)."""
    return [d.as_error() if d.severity == "warning" else d for d in diagnostics]


def run(options: BuildOptions, arguments: list[Path], progress: Progress | None = None) -> BuildResult:
    """The ``build`` command: check the options and sources, build, and report changes since an earlier build.

    Every problem with the command itself is a :class:`pipeline.errors.MakeReportError`
    raised before anything is written; problems in records are in the result.
    """
    build_moment()  # a bad SOURCE_DATE_EPOCH is an error before anything is read
    check_options(options)
    if options.order_file is not None:
        options.order = read_order(options.order_file)
    found = find(arguments)
    check_output(options.output, arguments, found)
    before = _read_since(options.since) if options.since is not None else None  # before this build replaces it
    with _stopping(), _cluster(options) as executor:
        result = Builder(options, progress=progress, executor=executor).run(arguments)
    if options.since is not None:
        try:
            result.since = _since(before, options.since, options.output)
        except MakeReportError as exc:  # the build itself is done: report it, then this
            result.since_error = exc
    return result


def check_options(options: BuildOptions) -> None:
    """Formats, marking and title: what the command line says must make valid outputs."""
    unknown = [f for f in options.formats if f not in FORMATS]
    if unknown or not options.formats:
        raise ConfigurationError(
            f"unknown format {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMATS)}",
            param_hint="--format",
        )
    marking = options.marking
    if marking is not None and (len(marking) > 80 or not marking.strip()):
        raise ConfigurationError("a marking is 1 to 80 characters", param_hint="--marking")
    for value, hint in ((marking, "--marking"), (options.title, "--title")):
        bad = forbidden_character(value) if value is not None else None
        if bad:  # titles and markings go into XHTML and PDF metadata: the record text rule applies
            raise ConfigurationError(f"{bad}; write it without control characters", param_hint=hint)


def read_order(order_file: Path) -> list[str]:
    """The --order file: record names, one a line."""
    if not order_file.is_file():  # a FIFO or a device would block or never end
        raise ConfigurationError(f"{shown(order_file)} is not a regular file", param_hint="--order")
    try:
        data = order_file.read_bytes()
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigurationError(
            f"{shown(order_file)}:{line}: bytes that are not UTF-8; save the file as UTF-8", param_hint="--order"
        ) from None
    except OSError as exc:
        raise ConfigurationError(f"cannot read {shown(order_file)}: {exc.strerror}", param_hint="--order") from None
    return [line.strip() for line in text.splitlines() if line.strip()]


@contextlib.contextmanager
def _stopping() -> Iterator[None]:
    """Ctrl-C and SIGTERM end the build alike: workers ended, finished files listed, exit 130 / 143."""
    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    except (KeyboardInterrupt, Stopped) as exc:
        signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
        raise Interrupted(
            f"interrupted by {signal.Signals(signum).name}; every file already written is complete "
            "and listed in manifest.json; run the build again to finish it",
            signum,
        ) from None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def _cluster(options: BuildOptions) -> Iterator[Callable[[], Executor] | None]:
    """A Dask client's executor for --scheduler: the same concurrent.futures interface as the local pool."""
    if options.scheduler is None:
        yield None
        return
    try:
        from distributed import Client
    except ImportError:
        raise ConfigurationError(
            "--scheduler needs Dask distributed; install it with: pip install 'make-report[cluster]'"
        ) from None
    try:
        client = Client(options.scheduler, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise OutputError(
            f"cannot reach the Dask scheduler at {options.scheduler}: {exc}; "
            "check the address and that the scheduler runs"
        ) from exc
    try:
        if not options.jobs:  # keep every worker thread of the cluster busy
            options.jobs = max(1, sum(client.nthreads().values()))
        yield client.get_executor
    finally:
        client.close()


def _read_since(old: Path) -> Any:
    from pipeline.changereport import load
    from pipeline.diff import DiffError

    try:
        return load(old)
    except DiffError as exc:
        raise ConfigurationError(exc.message, param_hint="--since") from None


def _since(before: Any, old: Path, output: Path) -> str:
    """The change report from OLD (read before the build) to the build just made, beside it."""
    from pipeline.changereport import run as compare_builds
    from pipeline.changereport import write_report

    changes, _checked = compare_builds(before, output, shown(old))
    written = write_report(changes, output)
    return (
        f"since {shown(old)}: {len(changes.added)} added, {len(changes.removed)} removed, "
        f"{len(changes.renamed)} renamed, {len(changes.changed)} changed; wrote {', '.join(written)}"
    )


def check(
    sources: list[Source],
    strict: bool = False,
    limits: Limits = Limits(),
    allow_missing_glyphs: bool = False,
    require_complete: bool = False,
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
                require_complete=require_complete,
                allow_missing_glyphs=allow_missing_glyphs,
                licence=credit.licence,
                attribution=credit.attribution,
            ),
        )
        outcome.diagnostics += credit_problems
        if strict:  # once, over every problem of the record, sources.toml's included
            outcome.diagnostics = strictly(outcome.diagnostics)
        if any(d.severity == "error" for d in outcome.diagnostics):
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

    def __init__(
        self,
        options: BuildOptions,
        echo: Callable[[str], None] = print,
        progress: Progress | None = None,
        executor: Callable[[], Executor] | None = None,
    ):
        self.options = options
        self.echo = echo
        self.progress = progress
        _stop.clear()
        self.executor = executor
        self.info = BuildInfo.create(
            marking=options.marking,
            paper=options.paper,
            title=options.title,
            chronology=options.chronology,
            archival=options.archival,
            theme=options.theme,
        )

    def run(self, arguments: list[Path]) -> BuildResult:
        """Build every record found in ``arguments``; worker processes end with the build, whatever ends it."""
        sources = discover(arguments)
        # The records' media folders: the only files besides the templates WeasyPrint may read.
        self.renderer = Renderer(self.info, sorted({source.media_dir.resolve() for source in sources}))
        self.pool: Executor | None = None
        try:
            result = self._run(sources)
        except BaseException:
            if self.pool is not None:
                _end_workers(self.pool)
            raise
        if self.pool is not None:
            self.pool.shutdown(wait=True)
        return result

    def _run(self, sources: list[Source]) -> BuildResult:
        records = check(
            sources,
            self.options.strict,
            self.options.limits,
            self.options.allow_missing_glyphs,
            self.options.require_complete,
        )
        self.result = result = BuildResult(records)
        valid = order_records(records, self.options.order)
        slugs = assign_slugs([(r.source.name, r.outcome.article.title) for r in valid])
        renderer = self.renderer
        views = [renderer.view(r.outcome.article, slugs[r.source.name], r.source.media_dir) for r in valid]
        views = with_links(views)
        formats = set(self.options.formats)
        self.out = OutputDir(self.options.output)
        with self.out.locked():
            self.manifest = Manifest(self.out, self._manifest_header(records))
            self.options_key = self._options_key()
            record_keys = [_record_key(view) for view in views]
            self.all_key = _digest("all records", self.options_key, *record_keys)
            try:
                if "pdf" in formats:
                    self._factsheets(renderer, views, valid, record_keys)
                if formats & {"html", "epub"} and views:
                    self._handbook(renderer, views, valid, record_keys, formats)
                if "pack" in formats and views:
                    self._pack(renderer, views, valid)
                self._kept_records(views, valid, record_keys)
            except BaseException:
                self.manifest.save()  # what is finished stays listed; the journal keeps the rest
                raise
            self._keep_date_if_nothing_changed()
            self.manifest.close()
        return result

    # -- steps ------------------------------------------------------------------
    def _factsheets(
        self, renderer: Renderer, views: list[ArticleView], valid: list[Checked], record_keys: list[str]
    ) -> None:
        todo = []
        for view, record, record_key in zip(views, valid, record_keys, strict=True):
            name, key = f"{view.slug}.pdf", _digest("factsheet", self.options_key, record_key)
            if not self._reuse(name, key):
                todo.append((name, key, view, record))
        self._tick("fact sheets", len(views) - len(todo), len(views))
        if not todo:
            return
        self.manifest.replacing([name for name, *_ in todo])

        def made() -> Iterator[tuple[tuple[str, str, ArticleView, Checked], Rendered]]:
            if (self.options.jobs > 1 and len(todo) > 1) or self.executor is not None:
                jobs = ((item, (renderer.factsheet_html(item[2]), self._attachments([item[3]]))) for item in todo)
                for item, result in self._in_order(self._workers(), renderer, jobs, _worker_pdf):
                    yield item, Rendered(*result)
            else:  # one at a time here: each sheet is on disk as soon as it is made
                for item in todo:
                    html = renderer.factsheet_html(item[2])
                    yield item, Rendered(*renderer.pdf(html, self._attachments([item[3]])))

        # closing(): a signal while a sheet is written must end the workers now, not when the generator is collected
        with contextlib.closing(made()) as results:
            for done, ((name, key, _view, record), rendered) in enumerate(results, start=len(views) - len(todo) + 1):
                self._write(name, "factsheet", [record], rendered, key)
                self._tick("fact sheets", done, len(views))
        self.manifest.save()

    def _workers(self) -> Executor:
        """The build's workers (or the cluster's executor), started on first use and shared by its steps.

        Shared, so a build of sheets and pack loads WeasyPrint, the stylesheets and
        the fonts once a worker, not once a step; :meth:`run` ends them with the build.
        """
        if self.pool is None:
            if self.executor is not None:
                self.pool = self.executor()
            else:
                self.pool = ProcessPoolExecutor(
                    max_workers=self.options.jobs,
                    initializer=_worker_init,
                    initargs=(self.info, self.renderer.media_dirs, os.getpid()),
                )
                # Start the workers from this thread, without waiting for them: Linux ends a worker when
                # the *thread* that forked it ends (PR_SET_PDEATHSIG), and the pack submits from others.
                self.pool.submit(int)
        return self.pool

    def _in_order(
        self, pool: Executor, renderer: Renderer, jobs: Iterable[tuple[Any, Any]], function: Callable[..., Any]
    ) -> Iterator[tuple[Any, Any]]:
        """``function(info, media_dirs, job)`` in ``pool``, a few at a time, yielding results in order.

        Only ``2 x workers`` documents are in flight, so memory stays flat however
        long the batch, and each result is handed on as soon as those before it
        are: files are written in a fixed order, so the journal, the manifest and
        what a failed write leaves behind do not depend on which worker was faster.
        """
        window = 2 * self.options.jobs
        pending: collections.deque[tuple[Future, Any]] = collections.deque()
        jobs = iter(jobs)
        try:
            for item, job in itertools.islice(jobs, window):
                pending.append((pool.submit(function, self.info, renderer.media_dirs, job), item))
            while pending:
                future, item = pending.popleft()
                result = future.result()
                for following, job in itertools.islice(jobs, 1):
                    pending.append((pool.submit(function, self.info, renderer.media_dirs, job), following))
                yield item, result
        except BaseException:
            for future, _ in pending:
                future.cancel()
            raise

    def _handbook(
        self,
        renderer: Renderer,
        views: list[ArticleView],
        valid: list[Checked],
        record_keys: list[str],
        formats: set[str],
    ) -> None:
        from pipeline.handbook import Handbook

        handbook = Handbook(renderer, views)
        html = "html" in formats
        sources = {c.href: [r] for c, r in zip(handbook.chapters, valid, strict=True)}
        sources |= {c.logo[0]: [r] for c, r in zip(handbook.chapters, valid, strict=True) if c.logo}
        sources |= {name: [] for name in handbook.asset_names()}  # the same for every handbook
        keys = {
            name: _digest("handbook " + name, self.all_key) for name in ("index.xhtml", "nav.xhtml", *handbook.extra)
        }
        keys |= {
            c.href: _digest("chapter", self.options_key, k) for c, k in zip(handbook.chapters, record_keys, strict=True)
        }
        keys |= {c.logo[0]: _digest("logo", k) for c, k in zip(handbook.chapters, record_keys, strict=True) if c.logo}
        keys |= {name: _digest("asset " + name, self.options_key) for name in handbook.asset_names()}
        wanted = {}  # output path -> key
        if html:
            wanted |= {f"handbook/{name}": key for name, key in keys.items()}
            if self.options.single_file:
                wanted["handbook.html"] = _digest("single file", self.all_key)
        if "epub" in formats:
            wanted["handbook.epub"] = _digest("epub", self.all_key)
        # The fonts and css/fonts.css: which fonts there are depends on the characters of every document.
        fonts_key = _digest("fonts", self.all_key)
        kept_fonts = [
            path for path, entry in self.manifest.previous.items() if _is_font(path) and entry.key == fonts_key
        ]
        fonts_kept = (
            html and "handbook/css/fonts.css" in kept_fonts and all(self._reuse(p, fonts_key) for p in kept_fonts)
        )
        todo = [name for name, key in wanted.items() if not self._reuse(name, key)]
        self._tick("handbook", len(wanted) - len(todo), len(wanted))
        if not todo and (fonts_kept or not html):
            return
        self.manifest.replacing(todo)
        files = self._handbook_files(handbook, keys, html, kept_fonts if fonts_kept else None)
        pending = set(todo)
        for name, data in files.items():
            path = f"handbook/{name}"
            if path in pending:
                self._write(path, "handbook", sources.get(name), Rendered(data), wanted[path])
                self._tick("handbook", len(wanted) - len(pending) + 1, len(wanted))
                pending.discard(path)
            elif html and not fonts_kept and _is_font(path):
                self._write(path, "handbook", None, Rendered(data), fonts_key)
        if "handbook.html" in pending:
            fonts = {name: data for name, data in files.items() if _is_font(f"handbook/{name}")}
            single = Rendered(handbook.single_file(fonts))
            self._write("handbook.html", "handbook-single-file", None, single, wanted["handbook.html"])
        if "handbook.epub" in pending:
            from pipeline.epub import package

            self._write(
                "handbook.epub", "epub", None, Rendered(package(handbook, self.info, files)), wanted["handbook.epub"]
            )
        self._tick("handbook", len(wanted), len(wanted))
        self.manifest.save()

    def _handbook_files(
        self, handbook: Any, keys: dict[str, str], on_disk: bool, kept_fonts: list[str] | None
    ) -> dict[str, bytes]:
        """Every file of the handbook, in its order: from disk where the folder already holds it, else made."""

        def kept(name: str) -> bytes | None:
            entry = self.manifest.entries.get(f"handbook/{name}")
            if on_disk and entry is not None and entry.key == keys[name]:
                with contextlib.suppress(OSError):
                    return (self.out.root / "handbook" / name).read_bytes()
            return None

        documents = {name: kept(name) or handbook.document(name) for name in handbook.document_names()}
        fonts = None
        if kept_fonts is not None:
            with contextlib.suppress(OSError):
                fonts = {p.removeprefix("handbook/"): (self.out.root / p).read_bytes() for p in sorted(kept_fonts)}
        if fonts is None:
            fonts = handbook.font_files(handbook.fonts_for(documents.values()))
        return handbook.files(documents, fonts)

    def _pack(self, renderer: Renderer, views: list[ArticleView], valid: list[Checked]) -> None:
        """The briefing pack, laid out in parts and joined (:mod:`pipeline.pack`).

        In the workers, side by side: the chapters (in order), the chronology (its
        parts one after the other, each continuing the last) and the contents (each
        part once the chapters it lists are numbered; the last once the whole body
        is), then the index of names (it shows the chapters' pages) and the page
        numbers. This process joins each part as it comes.
        """
        key = _digest("briefing pack", self.all_key)
        if self._reuse("briefing.pdf", key):
            return
        self.manifest.replacing(["briefing.pdf"])
        groups = pack.chapter_groups(views)
        steps = len(groups) + 2  # the chapters parts, the rest of the body, the front and the join
        self._tick("briefing pack", 0, steps)
        numbering, joiner = pack.Numbering(), pack.Joiner()
        refused: set[str] = set()
        attachments = self._attachments(valid)

        def join(section: str, piece: Piece, records: int = 0, base: bool = False) -> None:
            """The next part: into the file, and (the body's) into the numbering."""
            joiner.add(section, piece, base=base)
            refused.update(piece.refused)
            if section == "body":
                numbering.add(piece, records)

        parallel = self.executor is not None or self.options.jobs > 1
        pool = self._workers() if parallel else None

        def lay_out(job: tuple) -> Future | Piece:
            """One part: a future in the workers, or the part itself here."""
            if pool is None:
                return renderer.piece(*job)
            return pool.submit(_worker_piece, self.info, renderer.media_dirs, job)

        def result(made: Future | Piece) -> Piece:
            return made.result() if isinstance(made, Future) else made

        def chronology() -> list[Piece]:
            events = pack.timeline(views)  # once: each part shows a run of it

            def part(rows: tuple[int, int], flow: bool) -> Piece:
                html = renderer.pack_html("chronology", views, len(views), rows=rows, timeline=events)
                return result(lay_out((html, pack.PIECE_CSS, True, None, rows[0] if flow else None)))

            return pack.flowing(part, len(events), pack.CHRONOLOGY_ROWS)

        def front() -> list[Piece]:
            def part(rows: tuple[int, int], flow: bool) -> Piece:
                pages = numbering.wait(rows[1] if rows[1] < len(views) else None)  # the last lists everything
                html = renderer.pack_html("front", views, len(views), pages, rows=rows)
                first = rows[0] == 0
                job = (html, pack.FRONT_CSS if first else pack.PIECE_CSS, True, attachments if first else None)
                return result(lay_out((*job, rows[0] if flow else None)))

            return pack.flowing(part, len(views), pack.CONTENTS_ROWS)

        try:  # with workers, the chronology and the contents are laid out beside the chapters
            timeline = _Chain(chronology, background=pool is not None) if self.info.chronology else None
            contents = _Chain(front, background=pool is not None)
            jobs = (
                (len(g), (renderer.pack_html("chapters", g, len(views)), pack.PIECE_CSS, True, None)) for g in groups
            )
            made = self._in_order(pool, renderer, jobs, _worker_piece) if pool else ((n, lay_out(j)) for n, j in jobs)
            for done_parts, (records, piece) in enumerate(made, start=1):
                join("body", piece, records)
                self._tick("briefing pack", done_parts, steps)
            names_html = renderer.pack_html("names", views, len(views), numbering.pages)
            names = lay_out((names_html, pack.PIECE_CSS, True, None, None)) if names_html is not None else None
            for piece in timeline.result() if timeline is not None else ():
                join("body", piece)
            if names is not None:
                numbering.expect("names")  # the contents' last part may go before the index is laid out
            numbering.finish()
            if names is not None:
                names = result(names)
                assert names.anchors.get("names") == 0, "the index of names starts on its first page"
                join("body", names)
            self._tick("briefing pack", len(groups) + 1, steps)

            def folios(total: int, roman: bool = False) -> list[tuple[int, Future | Piece]]:
                """The page numbers 1 to ``total``, a few hundred pages a part: (first page index, part)."""
                return [
                    (first - 1, lay_out((renderer.folios_html(first, last, total, roman), pack.FOLIOS_CSS, False)))
                    for first, last in pack.folio_runs(total)
                ]

            body_folios = folios(numbering.page_count)
            parts = contents.result()
            for index, piece in enumerate(parts):
                join("front", piece, base=index == 0)
            pages = sum(piece.pages for piece in parts)
            for section, runs in (("body", body_folios), ("front", folios(pages, roman=True))):
                for first, made in runs:
                    joiner.add_folios(section, result(made), first)
        except BaseException:
            numbering.finish(failed=True)  # a thread waiting for the body gives up
            raise
        data = joiner.finish()
        self._write(
            "briefing.pdf", "briefing-pack", None, Rendered(data, pages + numbering.page_count, sorted(refused)), key
        )
        self._tick("briefing pack", steps, steps)
        self.manifest.save()

    def _attachments(self, records: list[Checked]) -> list[Embedded]:
        """What a PDF carries so it can be checked against its sources: their bytes and provenance."""
        return provenance_attachments([(r.outcome.article, r.source.path.read_bytes()) for r in records], self.info)

    def _kept_records(self, views: list[ArticleView], valid: list[Checked], record_keys: list[str]) -> None:
        """Each validated record as JSON, for `make-report diff` (docs/changes.md)."""
        written = False
        for view, record, record_key in zip(views, valid, record_keys, strict=True):
            name, key = f"records/{view.slug}.json", _digest("kept record", record_key)
            if not self._reuse(name, key):
                data = (view.article.model_dump_json(indent=1) + "\n").encode("utf-8")
                self._write(name, "record", [record], Rendered(data), key)
                written = True
        if written:
            self.manifest.save()

    # -- files, keys, manifest -------------------------------------------------
    def _reuse(self, name: str, key: str) -> bool:
        """Keep the file on disk if the last build made it from the same inputs and it is intact."""
        entry = self.manifest.previous.get(name)
        if not entry or entry.key != key or not self.out.holds(name, entry.sha256):
            return False
        self.manifest.add(entry, journal=False)
        self.result.reused.append(name)
        return True

    def _write(self, name: str, kind: str, records: list[Checked] | None, made: Rendered, key: str) -> None:
        """Write one output (unless the file already holds these bytes) and list it with its own sources."""
        label = records[0].source.label if records else name
        self.result.refused += [
            Diagnostic(label, 1, "warning", f"refused to load {url[:120]!r}", code="MR110") for url in made.refused
        ]
        digest = sha256(made.data)
        previous = self.manifest.previous.get(name)
        same = previous is not None and previous.sha256 == digest
        entry = FileEntry(
            path=name,
            kind=kind,
            size=len(made.data),
            sha256=digest,
            pages=made.pages,
            sources=ALL_RECORDS
            if records is None
            else [SourceRef(path=r.source.name, sha256=r.outcome.article.provenance.sha256) for r in records],
            key=key,
            date=previous.date if same else self.info.timestamp,
        )
        with _signals_held():  # Ctrl-C or SIGTERM between the two would leave a file that nothing lists
            written = self.out.write(name, made.data)
            self.manifest.add(entry)
        (self.result.written if written else self.result.reused).append(name)

    def _tick(self, label: str, done: int, total: int) -> None:
        check_stop()
        if self.progress is not None:
            self.progress(label, done, total, len(self.result.written))

    def _options_key(self) -> str:
        """What every output depends on besides its records: templates, fonts, version and options, not the date."""
        engines = [f"{name} {_version(name)}" for name in ("weasyprint", "pikepdf", "fonttools")]
        conformance = "pdf/a-3a" if self.info.archival else "pdf/ua-1"
        return _digest(
            templates_fingerprint(),
            self.info.theme.fingerprint(),
            *engines,
            self.info.paper,
            self.info.marking or "",
            self.info.title,
            conformance,
            "chronology" if self.info.chronology else "no chronology",
        )

    def _keep_date_if_nothing_changed(self) -> None:
        """A rebuild that changed no file keeps the manifest as it was, date included."""
        if self.result.written:
            return
        previous = self.out.read_manifest()
        header = self.manifest.header
        if previous is not None and previous.build.model_copy(update={"date": None}) == header.build.model_copy(
            update={"date": None}
        ):
            self.manifest.header = header.model_copy(
                update={"build": header.build.model_copy(update={"date": previous.build.date})}
            )

    def _manifest_header(self, records: list[Checked]) -> ManifestModel:
        return ManifestModel(
            generator=f"make-report {__version__}",
            manifest_version=MANIFEST_VERSION,
            build=BuildSettings(
                date=self.info.timestamp,
                paper=self.info.paper,
                marking=self.info.marking,
                title=self.info.title,
                formats=list(self.options.formats),
            ),
            records=[_record_entry(r) for r in records],
        )


def _digest(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


#: Signals asked to stop the build. A handler's exception can be swallowed (raised inside a
#: finaliser, it is only printed), so the build also looks here after every file it writes.
_stop: list[int] = []
_holding = False


def stop(signum: int, frame: object = None) -> None:
    """The handler for SIGINT and SIGTERM during a build: stop now, or right after the file being written."""
    _stop.append(signum)
    if not _holding:
        raise Stopped(signum)


def check_stop() -> None:
    """Stop here if a signal asked for it and its exception was lost."""
    if _stop:
        raise Stopped(_stop[0])


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """A file and its manifest line go together: a stop signal during them takes effect right after."""
    global _holding
    _holding = True
    try:
        yield
    finally:
        _holding = False
    check_stop()


def _is_font(path: str) -> bool:
    """A font of the handbook or its stylesheet (not the licence, which never changes)."""
    return path == "handbook/css/fonts.css" or (path.startswith("handbook/fonts/") and path != "handbook/fonts/OFL.txt")


def _version(distribution: str) -> str:
    """An installed library's version, without importing it: a new WeasyPrint may draw other bytes."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "-"


def _record_key(view: ArticleView) -> str:
    """One record's content as the outputs see it: the validated article, its slug and its logo."""
    logo = b""
    if view.logo.media is not None and view.logo.path is not None:  # the checked bytes every output uses
        logo = view.logo.path.suffix.lower().encode() + b"\0" + view.logo.media.data
    links = view.links  # the names of other records it links and the records naming it change its outputs
    linked = (
        repr(
            (
                [(r.slug, r.title) for r in links.mentions],
                [(r.slug, r.title) for r in links.mentioned_in],
                [[(p.text, p.target) for p in parts] for parts in links.parts.values()],
            )
        )
        if links
        else ""
    )
    return _digest(
        view.article.model_dump_json(), view.slug, hashlib.sha256(logo).hexdigest(), view.logo.left_out or "", linked
    )


def _record_entry(record: Checked) -> RecordEntry:
    article = record.outcome.article
    return RecordEntry(
        path=record.source.name,
        sha256=article.provenance.sha256 if article else file_sha256(record.source.path),
        title=article.title if article else None,
        status="ok" if article else "invalid",
        warnings=[f"line {d.line}: {d.message}" for d in record.outcome.diagnostics if d.severity == "warning"],
        errors=[f"line {d.line}: {d.message}" for d in record.outcome.diagnostics if d.severity == "error"],
        missing_fields=(len(article.infobox.missing) if article.infobox else 0) if article else None,
    )


_WORKER = threading.local()  # one Renderer per worker thread (a Dask worker may run several)


def _worker_init(info: BuildInfo, media_dirs: list[Path], parent: int) -> None:
    """A worker ends with its parent, whatever ends the parent (even SIGKILL), and leaves Ctrl-C to it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the build's handler, inherited: ending a worker is quiet
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)
    _WORKER.renderer = Renderer(info, media_dirs)


def _worker_pdf(
    info: BuildInfo, media_dirs: list[Path], job: tuple[str, list[Embedded]]
) -> tuple[bytes, int, list[str]]:
    """One PDF from (html, attachments)."""
    html, attachments = job
    return _renderer(info, media_dirs).pdf(html, attachments)


def _renderer(info: BuildInfo, media_dirs: list[Path]) -> Renderer:
    """This worker's renderer for the build; a worker not initialised here (a cluster's) makes it first."""
    renderer = getattr(_WORKER, "renderer", None)
    if renderer is None or renderer.build != info or renderer.media_dirs != media_dirs:
        renderer = _WORKER.renderer = Renderer(info, media_dirs)
    return renderer


class _Chain(threading.Thread):
    """``steps``, parts that wait for each other: in a thread beside the parent's own work (``background``),
    or in the parent when it asks for them."""

    def __init__(self, steps: Callable[[], list[Piece]], background: bool):
        super().__init__(daemon=True)
        self.steps = steps
        self.made: list[Piece] = []
        self.error: BaseException | None = None
        if background:
            self.start()

    def run(self) -> None:
        try:
            self.made = self.steps()
        except BaseException as exc:  # handed to the parent by result()
            self.error = exc

    def result(self) -> list[Piece]:
        if self.ident is None:  # not started: run here, now
            self.run()
        else:
            self.join()
        if self.error is not None:
            raise self.error
        return self.made


def _worker_piece(
    info: BuildInfo, media_dirs: list[Path], job: tuple[str, str | None, bool, list[Embedded] | None, int | None]
) -> Piece:
    """One part of the briefing pack from (html, extra stylesheet, tagged, attachments, first row)."""
    return _renderer(info, media_dirs).piece(*job)


def _end_workers(pool: Executor) -> None:
    """Stop a pool now: cancel what has not started and end the worker processes."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        with contextlib.suppress(Exception):
            process.terminate()
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(timeout=5)
    # A local pool's manager thread sees its workers gone and ends; waiting for it here keeps
    # concurrent.futures' exit hook from writing to a pipe already closed. A cluster's workers
    # stay up: only this client's tasks are cancelled.
    with contextlib.suppress(Exception):
        pool.shutdown(wait=bool(processes))
