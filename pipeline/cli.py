"""The ``make-report`` command: validate records, build outputs, export the schema.

Exit codes: 0 all good; 1 some record is invalid or an output could not be written;
2 the command line itself is wrong. Bad input is reported as
``FILE:LINE: error: message`` on standard error, never as a traceback.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import time
from pathlib import Path

import click

from pipeline import __version__
from pipeline.build import FORMATS, BuildOptions, BuildResult, Checked, available_cpus, check, check_options, run
from pipeline.diagnostics import shown
from pipeline.errors import EXIT_INVALID, EXIT_OK, EXIT_USAGE, Interrupted, MakeReportError
from pipeline.read import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, Limits
from pipeline.render import build_moment
from pipeline.sources import discover, find
from pipeline.theme import TemplateProblem, Theme, ThemeError
from pipeline.write import check_output

__all__ = ["EXIT_INVALID", "EXIT_OK", "EXIT_USAGE", "main"]

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
        exc.param_hint = "--theme" if theme else "--extra-css"
        raise


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


class _Failed(click.ClickException):
    """A :class:`MakeReportError` that is not a usage error, shown as ``error: message``."""

    def __init__(self, error: MakeReportError):
        super().__init__(error.message)
        self.exit_code = error.exit_code

    def show(self, file: object = None) -> None:
        click.echo(f"error: {shown(self.message)}", err=True)


class _TemplateFailed(_Failed):
    """A template error: its own ``FILE:LINE: error:`` line first, as a record's problems are shown."""

    def show(self, file: object = None) -> None:
        click.echo(self.message, err=True)
        click.echo("error: the build stopped at the template error above; files already written are complete", err=True)


def _as_click(error: MakeReportError) -> click.ClickException:
    """How Click shows an error of ours: usage errors as Click's own (``Usage:``, exit 2), others as ``error:``."""
    if isinstance(error, TemplateProblem):
        return _TemplateFailed(error)
    if error.exit_code == EXIT_USAGE and error.param_hint is not None:
        return click.BadParameter(error.message, param_hint=error.param_hint)
    if error.exit_code == EXIT_USAGE:
        return click.UsageError(error.message)
    return _Failed(error)


class _Command(click.Command):
    """Every command's class; its ``invoke`` is the one place errors become exit codes and messages.

    It runs inside the command's own context, so a usage error shows that command's usage line.
    """

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except MakeReportError as exc:
            error = _as_click(exc)
            if isinstance(error, click.UsageError):
                error.ctx, error.cmd = ctx, self
            raise error from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:  # the last resort: a bug, not bad input; say so plainly, without a traceback
            if os.environ.get("MAKE_REPORT_DEBUG"):
                raise
            click.echo(
                f"error: internal error ({type(exc).__name__}: {shown(exc)}); outputs already written are "
                "complete. Please report this with the records involved (MAKE_REPORT_DEBUG=1 shows the traceback).",
                err=True,
            )
            ctx.exit(EXIT_INVALID)


class _MakeReport(click.Group):
    command_class = _Command


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


@click.group(cls=_MakeReport, context_settings={"help_option_names": ["-h", "--help"]})
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
    found = find(_sources(sources))
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
    options = BuildOptions(
        output=output,
        formats=tuple(f.strip() for f in formats.split(",") if f.strip()),
        paper=paper,
        marking=marking,
        title=title,
        strict=strict,
        allow_missing_glyphs=allow_missing_glyphs,
        limits=Limits(max_bytes=max_bytes, max_depth=max_depth),
        jobs=jobs or (0 if scheduler else available_cpus()),
        order_file=order_file,
        single_file=single_file,
        chronology=not no_chronology,
        archival=archival,
        since=since,
        scheduler=scheduler,
        theme=_theme(theme, extra_css),
    )
    started = time.perf_counter()
    progress = None if quiet or not sys.stderr.isatty() else ProgressBar(started)
    try:
        result = run(options, _sources(sources), progress)
    finally:
        if progress:
            progress.close()
    _summary(result, options, quiet, time.perf_counter() - started)


def _summary(result: BuildResult, options: BuildOptions, quiet: bool, seconds: float) -> None:
    """Every problem (``--strict`` applied once, to all of them), what was built, which records failed."""
    diagnostics = result.diagnostics(options.strict)
    for diagnostic in diagnostics:
        click.echo(str(diagnostic), err=True)
    valid = len(result.records) - len(result.failed)
    if not quiet:
        click.echo(
            f"built {valid} of {len(result.records)} records into {shown(options.output)}/: "
            f"{len(result.written)} files written, {len(result.reused)} unchanged ({seconds:.1f} s)",
            err=True,
        )
    if result.since:
        click.echo(result.since, err=True)
    if result.failed:
        click.echo(f"{len(result.failed)} records failed and were not built:", err=True)
        for record in result.failed:
            click.echo(f"  {record.source.label}", err=True)
    if result.since_error:
        raise result.since_error
    sys.exit(EXIT_INVALID if any(d.severity == "error" for d in diagnostics) else EXIT_OK)


@main.command()
@click.option("--manifest", is_flag=True, help="Print the schema of manifest.json (schemas.manifest.Manifest) instead.")
def schema(manifest: bool) -> None:
    """Print the JSON Schema of a record authored as JSON or YAML (schemas.AuthoredArticle)."""
    if manifest:
        from schemas.manifest import Manifest

        click.echo(json.dumps(Manifest.model_json_schema(), indent=2, ensure_ascii=False))
        return
    from schemas.authored import AuthoredArticle

    click.echo(json.dumps(AuthoredArticle.model_json_schema(), indent=2, ensure_ascii=False))


@main.command()
@click.argument("record", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yaml", "as_yaml", is_flag=True, help="Print a YAML record instead of JSON.")
@limit_options
def export(
    record: Path, as_yaml: bool, strict: bool, allow_missing_glyphs: bool, max_bytes: int, max_depth: int
) -> None:
    """Print a valid RECORD (text, JSON or YAML) as a JSON (or YAML) record that builds the same outputs."""
    from schemas.authored import authored_form

    limits = Limits(max_bytes=max_bytes, max_depth=max_depth)
    [checked] = check(discover([record]), strict, limits, allow_missing_glyphs)
    _report([checked])
    if not checked.ok:
        sys.exit(EXIT_INVALID)
    authored = authored_form(checked.outcome.article)
    if not as_yaml:
        click.echo(authored.model_dump_json(indent=1, exclude_none=True))
        return
    from ruamel.yaml import YAML

    yaml = YAML(pure=True)  # fields in the model's order; strings that would read as other types are quoted
    yaml.allow_unicode = True
    yaml.width = 4096  # one line per value, as in a text record
    stream = io.StringIO()
    yaml.dump(authored.model_dump(mode="json", exclude_none=True), stream)
    click.echo(stream.getvalue(), nl=False)


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
    from pipeline.changereport import is_build, write_report
    from pipeline.changereport import run as compare_builds

    build_moment()  # a bad SOURCE_DATE_EPOCH is a usage error before anything is read
    if output is None:
        if not is_build(new):
            raise click.UsageError(f"{shown(new)} is a records folder; name the folder for the report with -o DIR")
        output = new
    changes, checked = compare_builds(old, new)
    _report(checked)
    written = write_report(changes, output)
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
        click.echo(f"error: {exc.message}", err=True)
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

    options = BuildOptions(
        output=output,
        formats=tuple(f.strip() for f in formats.split(",") if f.strip()),
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
    build_moment()
    check_options(options)  # a wrong option is a usage error before serving, not a page overlay
    check_output(output, arguments, find(arguments))

    signals: list[int] = []  # the signal that stopped serving, if not Ctrl-C between builds

    def rebuild() -> str:
        """One incremental build; its problems go to the terminal and, as text, to the pages."""
        started = time.perf_counter()
        problems: list[str] = []
        try:
            options.theme = Theme.load(theme, tuple(extra_css))  # the logo may have changed
            result = run(options, arguments)
        except Interrupted as exc:  # Ctrl-C or SIGTERM during a build stops serving
            signals.append(exc.signum)
            raise KeyboardInterrupt from None
        except MakeReportError as exc:
            problems.append(exc.message if isinstance(exc, TemplateProblem) else f"error: {shown(exc.message)}")
        except Exception as exc:  # a bug: keep serving, say what happened
            problems.append(f"error: internal error while building ({type(exc).__name__}: {shown(exc)})")
        else:
            diagnostics = result.diagnostics(options.strict)
            for diagnostic in diagnostics:
                click.echo(str(diagnostic), err=True)
            problems += [str(d) for d in diagnostics if d.severity == "error"]
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
