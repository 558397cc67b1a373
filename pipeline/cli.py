"""The ``make-report`` command: validate records, build outputs, export the schema.

Exit codes: 0 all good; 1 some record is invalid or an output could not be written;
2 the command line itself is wrong. Bad input is reported as
``FILE:LINE: error: message`` on standard error, never as a traceback.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from pipeline import __version__
from pipeline.build import FORMATS, Builder, BuildOptions, Checked, Stopped, available_cpus, check, stop
from pipeline.diagnostics import shown
from pipeline.read import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, Limits, forbidden_character
from pipeline.render import EpochError, build_moment
from pipeline.sources import OUTPUT_MARKER, Source, discover, is_output_folder
from pipeline.theme import TemplateProblem, Theme, ThemeError
from pipeline.write import WRITTEN_NAMES, OutputError

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

sources_argument = click.argument("sources", nargs=-1, type=click.Path(exists=True, path_type=Path, readable=True))


def limit_options(function):
    function = click.option(
        "--max-bytes",
        type=click.IntRange(min=1),
        default=DEFAULT_MAX_BYTES,
        show_default=True,
        help="Reject record files larger than this.",
    )(function)
    function = click.option(
        "--max-depth",
        type=click.IntRange(min=1, max=64),
        default=DEFAULT_MAX_DEPTH,
        show_default=True,
        help="Reject lists nested deeper than this.",
    )(function)
    function = click.option(
        "--allow-missing-glyphs",
        is_flag=True,
        help="Accept characters that no font can print (they print as boxes): a warning, not an error.",
    )(function)
    return click.option("--strict", is_flag=True, help="Treat warnings as errors.")(function)


def theme_options(function):
    """--theme DIR and --extra-css FILE, for build and serve (docs/theming.md)."""
    function = click.option(
        "--extra-css",
        "extra_css",
        multiple=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="A stylesheet appended after the bundled and theme CSS (PDF and handbook); repeatable.",
    )(function)
    return click.option(
        "--theme",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        default=None,
        help="A theme folder whose templates and stylesheets replace the bundled ones by name.",
    )(function)


def _theme(theme: Path | None, extra_css: tuple[Path, ...]) -> Theme:
    """The theme checked once, before anything is built; a bad one is a usage error."""
    try:
        return Theme.load(theme, tuple(extra_css))
    except ThemeError as exc:
        raise click.BadParameter(str(exc), param_hint="--theme" if theme else "--extra-css") from None


def _sources(sources: tuple[Path, ...]) -> list[Path]:
    if sources:
        return list(sources)
    default = Path("records")
    if not default.is_dir():
        raise click.UsageError("no SOURCES given and no records/ folder here; name the record files or folders")
    return [default]


def _report(records: list[Checked]) -> None:
    seen = set()
    for record in records:
        for diagnostic in record.outcome.diagnostics:
            if diagnostic not in seen:
                seen.add(diagnostic)
                click.echo(str(diagnostic), err=True)


def _check_epoch() -> None:
    try:
        build_moment()
    except EpochError as exc:
        raise click.UsageError(str(exc)) from None


def _check_text_option(value: str | None, hint: str) -> None:
    """Titles and markings go into XHTML and PDF metadata: the record text rule applies."""
    bad = forbidden_character(value) if value is not None else None
    if bad:
        raise click.BadParameter(f"{bad}; write it without control characters", param_hint=hint)


def _read_order(order_file: Path) -> list[str]:
    if not order_file.is_file():  # a FIFO or a device would block or never end
        raise click.BadParameter(f"{shown(order_file)} is not a regular file", param_hint="--order")
    try:
        text = order_file.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        line = order_file.read_bytes()[: exc.start].count(b"\n") + 1
        raise click.BadParameter(
            f"{shown(order_file)}:{line}: bytes that are not UTF-8; save the file as UTF-8", param_hint="--order"
        ) from None
    except OSError as exc:
        raise click.BadParameter(f"cannot read {shown(order_file)}: {exc.strerror}", param_hint="--order") from None
    return [line.strip() for line in text.splitlines() if line.strip()]


def _check_output(output: Path, arguments: list[Path], found: list[Source]) -> None:
    """Refuse an output folder that would write over the records it reads.

    The build writes ``manifest.json``, ``handbook/`` and its outputs into the
    output folder. That folder may sit inside a SOURCES folder: discovery skips a
    folder that holds a build's lock file, so a build never reads its own outputs.
    It may not be a SOURCES folder itself, nor hold a record where a build writes.
    """
    if output.is_symlink() and not output.exists():
        raise click.BadParameter(
            f"{shown(output)}: is a symbolic link to missing '{shown(os.readlink(output))}'; "
            "remove it or choose another folder",
            param_hint="'-o' / '--output'",
        )
    target = output.resolve()
    for argument in arguments:
        if argument.is_dir() and argument.resolve() == target:
            raise click.BadParameter(
                f"{shown(output)} is also the SOURCES folder {shown(argument)}; the build would write over "
                "its records. Choose another output folder, such as a new folder inside it",
                param_hint="'-o' / '--output'",
            )
    for source in found:
        try:
            inside = source.path.resolve().relative_to(target)
        except ValueError:
            continue
        if inside.parts[0] in WRITTEN_NAMES:
            raise click.BadParameter(
                f"{shown(output)}: the build writes {shown(output / inside.parts[0])}, where the record "
                f"{source.label} is; choose another output folder or move the record",
                param_hint="'-o' / '--output'",
            )


def _check_sources(arguments: list[Path]) -> None:
    for argument in arguments:
        if argument.is_dir() and is_output_folder(argument):
            raise click.BadParameter(
                f"{shown(argument)} is a make-report output folder (it holds {OUTPUT_MARKER}), not a records "
                "folder; name the folder that holds the records",
                param_hint="'[SOURCES]...'",
            )


@contextlib.contextmanager
def _cluster(address: str | None, options: BuildOptions, jobs: int | None) -> Iterator[Callable | None]:
    """A Dask client's executor for --scheduler: the same concurrent.futures interface as the local pool."""
    if address is None:
        yield None
        return
    try:
        from distributed import Client
    except ImportError:
        raise click.UsageError(
            "--scheduler needs Dask distributed; install it with: pip install 'make-report[cluster]'"
        ) from None
    try:
        client = Client(address, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise OutputError(
            f"cannot reach the Dask scheduler at {address}: {exc}; check the address and that the scheduler runs"
        ) from exc
    try:
        if jobs is None:  # keep every worker thread of the cluster busy
            options.jobs = max(1, sum(client.nthreads().values()))
        yield client.get_executor
    finally:
        client.close()


class ProgressBar:
    """A progress bar on standard error for a terminal: step, done/total, files written, elapsed, ETA."""

    def __init__(self, started: float):
        self.started = started
        self.label: str | None = None
        self.bar = None
        self.written = 0

    def __call__(self, label: str, done: int, total: int, written: int) -> None:
        if label != self.label:
            self.close()
            self.label = label
            self.bar = click.progressbar(
                length=max(total, 1),
                label=f"{label:13}",
                show_eta=True,
                show_pos=True,
                file=sys.stderr,
                item_show_func=lambda item: item,
            )
            self.bar.__enter__()
        self.written = written
        elapsed = time.perf_counter() - self.started
        self.bar.update(done - self.bar.pos, f"{written} files written, {elapsed:.0f} s elapsed")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None
            self.label = None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="make-report")
def main() -> None:
    """Turn source records into PDF fact sheets, an HTML/EPUB handbook and a briefing pack."""


@main.command()
@sources_argument
@limit_options
def validate(
    sources: tuple[Path, ...], strict: bool, allow_missing_glyphs: bool, max_bytes: int, max_depth: int
) -> None:
    """Check records and report every problem as FILE:LINE: error|warning: message.

    SOURCES are record files or folders (default: records/).
    """
    arguments = _sources(sources)
    _check_sources(arguments)
    found = discover(arguments)
    if not found:
        raise click.UsageError("no record files (*.txt, *.json) found in the given SOURCES")
    records = check(found, strict, Limits(max_bytes=max_bytes, max_depth=max_depth), allow_missing_glyphs)
    _report(records)
    invalid = [r for r in records if not r.ok]
    click.echo(f"{len(records) - len(invalid)} of {len(records)} records valid", err=True)
    sys.exit(EXIT_INVALID if invalid else EXIT_OK)


@main.command()
@sources_argument
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("output"),
    show_default=True,
    help="Folder to write into.",
)
@click.option(
    "--format",
    "formats",
    default=",".join(FORMATS),
    show_default=True,
    help="Comma-separated outputs: pdf (fact sheets), html (handbook/), epub, pack (briefing.pdf).",
)
@click.option("--paper", type=click.Choice(["a4", "letter"]), default="a4", show_default=True)
@click.option("--marking", default=None, help="Handling marking printed top and bottom, e.g. UNCLASSIFIED.")
@click.option("--title", default="Briefing handbook", show_default=True, help="Title of the handbook and pack.")
@click.option(
    "--order",
    "order_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File listing record files, one per line, in handbook order.",
)
@click.option("--single-file", is_flag=True, help="Also write handbook.html with CSS and fonts inlined.")
@click.option("--no-chronology", is_flag=True, help="Leave out the Chronology tables and chapter.")
@click.option(
    "--since",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="An earlier build (or records folder): write changes.json/.html/.pdf beside this build.",
)
@click.option(
    "--archival",
    is_flag=True,
    help="Make every PDF PDF/A-3a as well as PDF/UA-1 (archival; about 17% slower, see README).",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="PDF worker processes  [default: the CPUs this process may use]",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="Render fact sheets on a Dask cluster, e.g. tcp://HOST:8786 (needs make-report[cluster]).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary; problems are still reported.")
@theme_options
@limit_options
def build(
    sources: tuple[Path, ...],
    output: Path,
    formats: str,
    paper: str,
    marking: str | None,
    title: str,
    order_file: Path | None,
    single_file: bool,
    no_chronology: bool,
    since: Path | None,
    archival: bool,
    jobs: int | None,
    scheduler: str | None,
    quiet: bool,
    theme: Path | None,
    extra_css: tuple[Path, ...],
    strict: bool,
    allow_missing_glyphs: bool,
    max_bytes: int,
    max_depth: int,
) -> None:
    """Build outputs for every valid record; report the invalid ones and go on.

    SOURCES are record files or folders (default: records/).
    """
    _check_epoch()
    chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(f"unknown format {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMATS)}")
    if marking is not None and (len(marking) > 80 or not marking.strip()):
        raise click.BadParameter("a marking is 1 to 80 characters", param_hint="--marking")
    _check_text_option(marking, "--marking")
    _check_text_option(title, "--title")
    order = _read_order(order_file) if order_file else None
    options = BuildOptions(
        output=output,
        formats=chosen,
        paper=paper,
        marking=marking,
        title=title,
        strict=strict,
        allow_missing_glyphs=allow_missing_glyphs,
        limits=Limits(max_bytes=max_bytes, max_depth=max_depth),
        jobs=jobs or available_cpus(),
        order=order,
        single_file=single_file,
        chronology=not no_chronology,
        archival=archival,
        theme=_theme(theme, extra_css),
    )
    arguments = _sources(sources)
    _check_sources(arguments)
    found = discover(arguments)
    if not found:
        raise click.UsageError("no record files (*.txt, *.json) found in the given SOURCES")
    _check_output(output, arguments, found)
    before = _read_since(since) if since is not None else None  # before this build can replace it
    started = time.perf_counter()
    progress = None if quiet or not sys.stderr.isatty() else ProgressBar(started)
    # Ctrl-C and SIGTERM end the build alike: workers ended, finished files listed, exit 130 / 143
    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        with _cluster(scheduler, options, jobs) as executor:
            result = Builder(options, progress=progress, executor=executor).run(arguments)
    except (KeyboardInterrupt, Stopped) as exc:
        if progress:
            progress.close()
        signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
        click.echo(
            f"error: interrupted by {signal.Signals(signum).name}; every file already written is complete "
            "and listed in manifest.json; run the build again to finish it",
            err=True,
        )
        sys.exit(128 + signum)
    except OutputError as exc:
        click.echo(f"error: {shown(exc)}", err=True)
        sys.exit(EXIT_INVALID)
    except TemplateProblem as exc:  # a theme's template: nothing made from it was written
        if progress:
            progress.close()
        click.echo(str(exc), err=True)
        click.echo("error: the build stopped at the template error above; files already written are complete", err=True)
        sys.exit(EXIT_USAGE)
    except click.ClickException:
        raise
    except Exception as exc:  # a bug, not bad input: say so plainly, without a traceback
        if os.environ.get("MAKE_REPORT_DEBUG"):
            raise
        click.echo(
            f"error: internal error while building ({type(exc).__name__}: {shown(exc)}); outputs already "
            "written are complete. Please report this with the records involved "
            "(MAKE_REPORT_DEBUG=1 shows the traceback).",
            err=True,
        )
        sys.exit(EXIT_INVALID)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if progress:
        progress.close()
    _report(result.records)
    for diagnostic in result.refused:
        click.echo(str(diagnostic), err=True)
    seconds = time.perf_counter() - started
    valid = len(result.records) - len(result.failed)
    if not quiet:
        click.echo(
            f"built {valid} of {len(result.records)} records into {shown(output)}/: "
            f"{len(result.written)} files written, {len(result.reused)} unchanged ({seconds:.1f} s)",
            err=True,
        )
    if since is not None:
        _since(before, since, output)
    if result.failed:
        click.echo(f"{len(result.failed)} records failed and were not built:", err=True)
        for record in result.failed:
            click.echo(f"  {record.source.label}", err=True)
        sys.exit(EXIT_INVALID)


def _read_since(old: Path):
    from pipeline.changereport import load
    from pipeline.diff import DiffError

    try:
        return load(old)
    except DiffError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None


def _since(before, old: Path, output: Path) -> None:
    """The change report from OLD (read before the build) to the build just made, beside it."""
    from pipeline.changereport import run, write_report
    from pipeline.diff import DiffError

    try:
        changes, _checked = run(before, output, shown(old))
        written = write_report(changes, output)
    except (DiffError, OutputError) as exc:
        click.echo(f"error: {shown(exc)}", err=True)
        sys.exit(EXIT_INVALID)
    click.echo(
        f"since {shown(old)}: {len(changes.added)} added, {len(changes.removed)} removed, "
        f"{len(changes.renamed)} renamed, {len(changes.changed)} changed; wrote {', '.join(written)}",
        err=True,
    )


@main.command()
def schema() -> None:
    """Print the JSON Schema of a record authored as JSON (schemas.AuthoredArticle)."""
    from schemas.authored import AuthoredArticle

    click.echo(json.dumps(AuthoredArticle.model_json_schema(), indent=2, ensure_ascii=False))


@main.command()
@click.argument("record", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@limit_options
def export(record: Path, strict: bool, allow_missing_glyphs: bool, max_bytes: int, max_depth: int) -> None:
    """Print a valid RECORD (text or JSON) as a JSON record that builds the same outputs."""
    from schemas.authored import authored_form

    limits = Limits(max_bytes=max_bytes, max_depth=max_depth)
    [checked] = check(discover([record]), strict, limits, allow_missing_glyphs)
    _report([checked])
    if not checked.ok:
        sys.exit(EXIT_INVALID)
    click.echo(authored_form(checked.outcome.article).model_dump_json(indent=1, exclude_none=True))


@main.command()
@click.argument("old", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("new", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for changes.json, changes.html and changes.pdf (default: NEW, when it is a build).",
)
def diff(old: Path, new: Path, output: Path | None) -> None:
    """Report what changed from OLD to NEW: records added, removed, renamed and changed.

    OLD and NEW are build output folders, or NEW (or OLD) a records folder read now.
    """
    from pipeline.changereport import is_build, run, write_report
    from pipeline.diff import DiffError

    _check_epoch()
    if output is None:
        if not is_build(new):
            raise click.UsageError(f"{shown(new)} is a records folder; name the folder for the report with -o DIR")
        output = new
    try:
        changes, checked = run(old, new)
    except DiffError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INVALID)
    _report(checked)
    try:
        written = write_report(changes, output)
    except OutputError as exc:
        click.echo(f"error: {shown(exc)}", err=True)
        sys.exit(EXIT_INVALID)
    click.echo(
        f"{len(changes.added)} added, {len(changes.removed)} removed, {len(changes.renamed)} renamed, "
        f"{len(changes.changed)} changed, {changes.unchanged} unchanged; wrote {', '.join(written)} "
        f"into {shown(output)}/",
        err=True,
    )
    sys.exit(EXIT_INVALID if any(not c.ok for c in checked) else EXIT_OK)


@main.command()
@click.argument("pdfs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--records",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Look up each source record by file name in this folder, not at its recorded path.",
)
def verify(pdfs: tuple[Path, ...], records: Path | None) -> None:
    """Check that PDFs still match their source records.

    PDFS are PDF files or folders of them (e.g. output/). Each PDF carries its
    records and their sha256; a PDF matches when the records on disk still have
    that sha256. Exit 0 when every PDF matches, 1 otherwise.
    """
    from pipeline.verify import pdf_files
    from pipeline.verify import verify as check_pdf

    files = pdf_files(list(pdfs))
    if not files:
        raise click.UsageError("no PDF files found in the given PDFS")
    failed = 0
    for path in files:
        verdict = check_pdf(path, records)
        if verdict.ok:
            click.echo(f"{shown(path)}: ok: matches {', '.join(verdict.matched)}")
        else:
            failed += 1
            for problem in verdict.problems:
                click.echo(f"{shown(path)}: error: {problem}", err=True)
    click.echo(f"{len(files) - failed} of {len(files)} PDFs match their sources", err=True)
    sys.exit(EXIT_INVALID if failed else EXIT_OK)


@main.group()
def theme() -> None:
    """Work with theme folders (docs/theming.md)."""


@theme.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def theme_export(directory: Path) -> None:
    """Copy the bundled templates and stylesheets into DIRECTORY, to start a theme from.

    Nothing is overwritten: a file already there stops the export before it copies anything.
    """
    from pipeline.assets import templates_dir
    from pipeline.theme import export

    try:
        written = export(templates_dir(), directory)
    except ThemeError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INVALID)
    except OSError as exc:
        click.echo(f"error: cannot write into {shown(directory)}: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_INVALID)
    click.echo(
        f"copied {len(written)} files into {shown(directory)}/; keep only those you change, "
        f"then build with --theme {shown(directory)}",
        err=True,
    )


@main.command()
@sources_argument
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("output"),
    show_default=True,
    help="Folder to build into and serve.",
)
@click.option(
    "--format",
    "formats",
    default="pdf,html",
    show_default=True,
    help="Comma-separated outputs to keep up to date: pdf, html, epub, pack.",
)
@click.option("--port", type=click.IntRange(min=0, max=65535), default=8000, show_default=True, help="0: any free one.")
@click.option("--paper", type=click.Choice(["a4", "letter"]), default="a4", show_default=True)
@click.option("--marking", default=None, help="Handling marking printed top and bottom, e.g. UNCLASSIFIED.")
@click.option("--title", default="Briefing handbook", show_default=True, help="Title of the handbook and pack.")
@click.option(
    "-j", "--jobs", type=click.IntRange(min=1), default=None, help="PDF worker processes  [default: the CPUs]"
)
@theme_options
@limit_options
def serve(
    sources: tuple[Path, ...],
    output: Path,
    formats: str,
    port: int,
    paper: str,
    marking: str | None,
    title: str,
    jobs: int | None,
    theme: Path | None,
    extra_css: tuple[Path, ...],
    strict: bool,
    allow_missing_glyphs: bool,
    max_bytes: int,
    max_depth: int,
) -> None:
    """Build, serve the output folder on 127.0.0.1, and rebuild what changed when a record or the theme changes.

    Open the printed address: the handbook pages reload themselves after each
    build and show its errors. The files written are the same as `build` writes.
    """
    from pipeline.serve import serve as run_server

    _check_epoch()
    chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(f"unknown format {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMATS)}")
    if marking is not None and (len(marking) > 80 or not marking.strip()):
        raise click.BadParameter("a marking is 1 to 80 characters", param_hint="--marking")
    _check_text_option(marking, "--marking")
    _check_text_option(title, "--title")
    options = BuildOptions(
        output=output,
        formats=chosen,
        paper=paper,
        marking=marking,
        title=title,
        strict=strict,
        allow_missing_glyphs=allow_missing_glyphs,
        limits=Limits(max_bytes=max_bytes, max_depth=max_depth),
        jobs=jobs or available_cpus(),
        theme=_theme(theme, extra_css),
    )
    arguments = _sources(sources)
    _check_sources(arguments)
    _check_output(output, arguments, discover(arguments))

    def rebuild() -> str:
        """One incremental build; its problems go to the terminal and, as text, to the pages."""
        started = time.perf_counter()
        problems: list[str] = []
        try:
            options.theme = Theme.load(theme, tuple(extra_css))  # the logo may have changed
            result = Builder(options).run(arguments)
        except (ThemeError, TemplateProblem, OutputError) as exc:
            problems.append(str(exc) if isinstance(exc, TemplateProblem) else f"error: {shown(exc)}")
        except Exception as exc:  # a bug: keep serving, say what happened
            problems.append(f"error: internal error while building ({type(exc).__name__}: {shown(exc)})")
        else:
            _report(result.records)
            for diagnostic in result.refused:
                click.echo(str(diagnostic), err=True)
            problems += [
                str(d) for r in result.records for d in dict.fromkeys(r.outcome.diagnostics) if d.severity == "error"
            ]
            click.echo(
                f"built {len(result.records) - len(result.failed)} of {len(result.records)} records: "
                f"{len(result.written)} files written, {len(result.reused)} unchanged "
                f"({time.perf_counter() - started:.1f} s)",
                err=True,
            )
            return "\n".join(problems)
        for line in problems:
            click.echo(line, err=True)
        return "\n".join(problems)

    watched = [*arguments, *([theme] if theme else []), *extra_css]
    if Path("make-report.toml").is_file():
        watched.append(Path("make-report.toml"))
    signals: list[int] = []

    def stop_serving(signum: int, frame: object) -> None:  # SIGTERM ends serve as Ctrl-C does
        signals.append(signum)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop_serving)
    try:
        run_server(output, port, rebuild, watched, lambda line: click.echo(line, err=True))
    except OSError as exc:
        raise click.UsageError(
            f"cannot serve on 127.0.0.1:{port} ({exc.strerror or exc}); choose another --port, or --port 0"
        ) from None
    except KeyboardInterrupt:
        signum = signals[0] if signals else signal.SIGINT
        name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        click.echo(f"stopped serving ({name}); the output folder holds the last build", err=True)
        sys.exit(128 + signum)
    finally:
        signal.signal(signal.SIGTERM, previous)
