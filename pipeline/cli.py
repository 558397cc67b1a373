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
from typing import Any

import click

from pipeline import __version__, console
from pipeline.build import FORMATS, BuildOptions, BuildResult, Checked, available_cpus, check, check_options, run
from pipeline.config import CONFIG_FILE, ConfigError, Project
from pipeline.config import find as find_project
from pipeline.config import load as load_project
from pipeline.diagnostics import Diagnostic, shown
from pipeline.errors import EXIT_INVALID, EXIT_OK, EXIT_USAGE, Interrupted, MakeReportError
from pipeline.read import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, READERS, Limits
from pipeline.render import build_moment
from pipeline.reports import FORMATS as DIAGNOSTIC_FORMATS
from pipeline.sources import Source, discover, find
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


require_complete_option = click.option(
    "--require-complete",
    is_flag=True,
    help="Treat a record that lacks fields its infobox profile expects as invalid (the completeness report).",
)


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


def _report(records: list[Checked], info: bool = True) -> None:
    """Every problem once; ``info`` False leaves out the completeness report (``build`` counts it instead)."""
    seen = set()
    for record in records:
        for diagnostic in record.outcome.diagnostics:
            if diagnostic not in seen and (info or diagnostic.severity != "info"):
                seen.add(diagnostic)
                console.diagnostic(diagnostic)


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


#: Commands whose options make-report.toml sets (the others run without reading it).
CONFIGURED = {"build", "validate", "export", "config", "serve"}
_PROJECT = "make-report.project"


@click.group(
    cls=_MakeReport, context_settings={"help_option_names": ["-h", "--help"], "auto_envvar_prefix": "MAKE_REPORT"}
)
@click.version_option(__version__, prog_name="make-report")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"Project file to use  [default: {CONFIG_FILE} in the working folder, if there is one]",
)
@console.output_options
@click.pass_context
def main(ctx: click.Context, config_file: Path | None) -> None:
    """Turn source records into PDF fact sheets, an HTML/EPUB handbook and a briefing pack.

    Settings come from the options, else from make-report.toml (see `make-report init`
    and `make-report config`), else from the defaults.
    """
    console.setup(ctx)
    if ctx.invoked_subcommand not in CONFIGURED:
        return
    if config_file is not None and not config_file.is_file():
        raise click.BadParameter(f"{shown(config_file)} is not a file; name an existing make-report.toml")
    path = config_file or find_project()
    if path is None:
        return
    try:
        project = load_project(path)
    except ConfigError as exc:
        for diagnostic in exc.diagnostics:
            console.diagnostic(diagnostic)
        ctx.exit(EXIT_USAGE)
    ctx.meta[_PROJECT] = project
    ctx.default_map = project.default_map({name: {p.name for p in c.params} for name, c in main.commands.items()})


#: --stdin-format -> the reader of records with that suffix
STDIN_READERS = {"txt": READERS[".txt"], "json": READERS[".json"], "yaml": READERS[".yaml"]}


@main.command()
@click.argument("sources", nargs=-1, type=click.Path(exists=True, path_type=Path, readable=True, allow_dash=True))
@require_complete_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(DIAGNOSTIC_FORMATS),
    default="text",
    show_default=True,
    help="text: FILE:LINE: severity: message; json: a JSON array (make-report schema --diagnostics); "
    "github: GitHub Actions annotations.",
)
@click.option(
    "--stdin-format",
    type=click.Choice(sorted(STDIN_READERS)),
    default=None,
    help="How the record on standard input (SOURCES '-') is written  [default: from --stdin-name, else txt]",
)
@click.option(
    "--stdin-name",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where the record on standard input will be saved: its media/ folder and sources.toml are used.",
)
@limit_options
@console.output_options
def validate(
    sources: tuple[Path, ...],
    require_complete: bool,
    output_format: str,
    stdin_format: str | None,
    stdin_name: Path | None,
    strict: bool,
    allow_missing_glyphs: bool,
    max_bytes: int,
    max_depth: int,
) -> None:
    """Check records and report every problem as FILE:LINE: error|warning|info: message.

    Info lines are the completeness report: fields a record's infobox profile
    expects that it lacks. They never make a record invalid unless
    --require-complete is given.

    SOURCES are record files or folders (default: records/); '-' reads one record
    from standard input (named <stdin> in messages), so an editor can check a buffer.
    """
    limits = Limits(max_bytes=max_bytes, max_depth=max_depth)
    if Path("-") in sources:
        if len(sources) > 1:
            raise click.UsageError("'-' (standard input) is one record: give it alone")
        records = [_check_stdin(stdin_format, stdin_name, strict, limits, allow_missing_glyphs, require_complete)]
    else:
        records = check(find(_sources(sources)), strict, limits, allow_missing_glyphs, require_complete)
    if output_format == "text":
        _report(records)
    else:
        _print_diagnostics(records, output_format)
    invalid = [r for r in records if not r.ok]
    console.summary(f"{len(records) - len(invalid)} of {len(records)} records valid")
    sys.exit(EXIT_INVALID if invalid else EXIT_OK)


def _check_stdin(
    stdin_format: str | None,
    name: Path | None,
    strict: bool,
    limits: Limits,
    allow_missing_glyphs: bool,
    require_complete: bool = False,
) -> Checked:
    """The record on standard input, checked as if it were saved as NAME (default: ./<stdin>)."""
    from pipeline.build import strictly
    from pipeline.sources import credit_for
    from pipeline.validate import Options
    from pipeline.validate import validate as validate_record

    label = "<stdin>"
    suffix = name.suffix.lower().lstrip(".") if name else ""
    kind = stdin_format or {"yml": "yaml"}.get(suffix, suffix if suffix in STDIN_READERS else "txt")
    data = click.get_binary_stream("stdin").read(limits.max_bytes + 1)
    raw = STDIN_READERS[kind].parse(data, label, limits)
    source = Source(path=name or Path(label), label=label, name=label)
    credit, problems = credit_for(source) if name else (None, [])
    outcome = validate_record(
        raw,
        Options(
            source_name=label,
            media_dir=source.media_dir,
            media_label=source.media_label,
            allow_missing_glyphs=allow_missing_glyphs,
            require_complete=require_complete,
            licence=credit.licence if credit else None,
            attribution=credit.attribution if credit else None,
        ),
    )
    outcome.diagnostics += problems
    if strict:  # as build.check does: once, over every problem of the record
        outcome.diagnostics = strictly(outcome.diagnostics)
    if any(d.severity == "error" for d in outcome.diagnostics):
        outcome.article = None
    return Checked(source, outcome)


def _print_diagnostics(records: list[Checked], output_format: str) -> None:
    """Every diagnostic once, as JSON (one array) or GitHub annotations, on standard output."""
    from pipeline.reports import as_json, github_line

    seen: dict[Diagnostic, None] = {}
    for record in records:
        for diagnostic in record.outcome.diagnostics:
            if not (console.quiet() and diagnostic.severity != "error"):
                seen.setdefault(diagnostic)
    if output_format == "json":
        click.echo(as_json(list(seen)))
    else:
        for diagnostic in seen:
            click.echo(github_line(diagnostic))


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
@click.option(
    "-q", "--quiet", is_flag=True, callback=console.set_verbosity, help="Errors only: no warnings, progress or summary."
)
@click.option(
    "-v", "--verbose", is_flag=True, expose_value=False, callback=console.set_verbosity, help="Per-record timings."
)
@click.option(
    "--format-report",
    type=click.Choice(["json"]),
    default=None,
    expose_value=False,
    callback=lambda ctx, _param, value: ctx.meta.__setitem__(REPORT_FORMAT, value),
    help="Also print the build's outcome as JSON on standard output (make-report schema --build-report).",
)
@require_complete_option
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
    require_complete: bool,
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
    options = _build_options(click.get_current_context().params)
    started = time.perf_counter()
    progress = console.build_progress(started, quiet)
    try:
        result = run(options, _sources(sources), progress)
    finally:
        if progress:
            progress.close()
    _summary(result, options, quiet, time.perf_counter() - started)


def _build_options(params: dict[str, Any]) -> BuildOptions:
    """The build's options from ``build``'s or ``serve``'s parameters (serve takes fewer: the rest keep
    build's defaults)."""
    scheduler = params.get("scheduler")
    return BuildOptions(
        output=params["output"],
        formats=tuple(f.strip() for f in params["formats"].split(",") if f.strip()),
        paper=params["paper"],
        marking=params["marking"],
        title=params["title"],
        strict=params["strict"],
        require_complete=params.get("require_complete", False),
        allow_missing_glyphs=params["allow_missing_glyphs"],
        limits=Limits(max_bytes=params["max_bytes"], max_depth=params["max_depth"]),
        jobs=params["jobs"] or (0 if scheduler else available_cpus()),
        order_file=params.get("order_file"),
        single_file=params.get("single_file", False),
        chronology=not params.get("no_chronology", False),
        archival=params.get("archival", False),
        since=params.get("since"),
        scheduler=scheduler,
        theme=_theme(params["theme"], params["extra_css"]),
    )


def _summary(result: BuildResult, options: BuildOptions, quiet: bool, seconds: float) -> None:
    """Every problem (``--strict`` applied once, to all of them), what was built, which records failed."""
    diagnostics = result.diagnostics(options.strict)
    for diagnostic in diagnostics:
        if diagnostic.severity == "info":  # the completeness report: counted below, listed by validate
            continue
        console.diagnostic(diagnostic)
    _build_report(result, options.output)
    valid = len(result.records) - len(result.failed)
    if not quiet:
        incomplete = sum(1 for r in result.records if any(d.severity == "info" for d in r.outcome.diagnostics))
        console.summary(
            f"built {valid} of {len(result.records)} records into {shown(options.output)}/: "
            f"{len(result.written)} files written, {len(result.reused)} unchanged ({seconds:.1f} s)"
            + (
                f"; records lacking fields their infobox usually has: {incomplete} (validate lists them)"
                if incomplete
                else ""
            ),
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


REPORT_FORMAT = "make-report.format-report"


def _build_report(result: BuildResult, output: Path) -> None:
    """``--format-report json``: the build's outcome on standard output, for CI."""
    if click.get_current_context().meta.get(REPORT_FORMAT) == "json":
        from pipeline.reports import build_report

        click.echo(build_report(result, shown(output)))


@main.command()
@click.option(
    "--profile",
    "profile_name",
    metavar="NAME",
    default=None,
    help="Print the JSON Schema of one infobox profile's typed values instead, e.g. military-unit.",
)
@click.option("--list-profiles", is_flag=True, help="List the infobox profiles: name, templates, expected fields.")
@click.option("--manifest", is_flag=True, help="Print the schema of manifest.json (schemas.manifest.Manifest) instead.")
@click.option("--diagnostics", is_flag=True, help="The schema of `validate --format json` instead.")
@click.option("--build-report", is_flag=True, help="The schema of `build --format-report json` instead.")
@console.output_options
def schema(
    profile_name: str | None, list_profiles: bool, manifest: bool, diagnostics: bool, build_report: bool
) -> None:
    """Print the JSON Schema of a record authored as JSON or YAML (schemas.AuthoredArticle)."""
    if diagnostics or build_report:
        from pipeline.reports import BuildReport, diagnostics_schema, dumps_schema

        click.echo(dumps_schema(diagnostics_schema() if diagnostics else BuildReport.model_json_schema()))
        return
    if manifest:
        from schemas.manifest import Manifest

        click.echo(json.dumps(Manifest.model_json_schema(), indent=2, ensure_ascii=False))
        return
    if list_profiles:
        from schemas.profiles import GENERIC, PROFILES

        for profile in (*PROFILES, GENERIC):
            templates = ", ".join(f"Infobox {t}" for t in (profile.name, *profile.templates))
            if profile is GENERIC:
                templates = "any other template, or a bare Infobox that no profile's keys match"
            expected = ", ".join(profile.expected) or "-"
            click.echo(f"{profile.id}\t{templates}\texpects: {expected}")
        return
    if profile_name is not None:
        from schemas.profiles import GENERIC, PROFILES, by_id

        profile = by_id(profile_name)
        if profile is None or profile.model is None:
            names = ", ".join(p.id for p in PROFILES)
            what = "keeps no typed values" if profile is GENERIC else "is not a profile"
            raise click.BadParameter(f"'{shown(profile_name)}' {what}; choose from {names}", param_hint="--profile")
        document = profile.model.model_json_schema()
        document = {**document, "title": f"Infobox {profile.name}", "description": profile.description}
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    from schemas.authored import AuthoredArticle

    click.echo(json.dumps(AuthoredArticle.model_json_schema(), indent=2, ensure_ascii=False))


@main.command()
@click.argument("record", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yaml", "as_yaml", is_flag=True, help="Print a YAML record instead of JSON.")
@limit_options
@console.output_options
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
@console.output_options
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
    _report(checked, info=False)
    written = write_report(changes, output)
    console.summary(
        f"{len(changes.added)} added, {len(changes.removed)} removed, {len(changes.renamed)} renamed, "
        f"{len(changes.changed)} changed, {changes.unchanged} unchanged; wrote {', '.join(written)} "
        f"into {shown(output)}/"
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
@console.output_options
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
            if not console.quiet():
                click.echo(f"{shown(path)}: ok: matches {', '.join(verdict.matched)}")
        else:
            failed += 1
            for problem in verdict.problems:
                click.echo(f"{shown(path)}: error: {problem}", err=True)
    console.summary(f"{len(files) - failed} of {len(files)} PDFs match their sources")
    sys.exit(EXIT_INVALID if failed else EXIT_OK)


@main.command("config", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("build_arguments", nargs=-1, type=click.UNPROCESSED)
@console.output_options
@click.pass_context
def config_command(ctx: click.Context, build_arguments: tuple[str, ...]) -> None:
    """Print the settings `make-report build [BUILD_ARGUMENTS]` would use, and where each comes from.

    Each setting is shown as a make-report.toml line with its origin: default,
    make-report.toml:LINE, command line or environment (MAKE_REPORT_BUILD_...).
    """
    from pipeline.config import settings_in_force

    root = ctx.find_root()
    project: Project | None = root.meta.get(_PROJECT)
    with build.make_context("build", list(build_arguments), parent=root) as build_ctx:
        click.echo(settings_in_force(build_ctx, project), nl=False)


@main.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@console.output_options
def init(directory: Path) -> None:
    """Start a project in DIRECTORY (default: here): a record, its credit, make-report.toml, .gitignore.

    Nothing is overwritten: if any of the files is already there, nothing is written.
    Then `cd DIRECTORY && make-report build`.
    """
    from pipeline.project import ProjectExists, create

    try:
        written = create(directory)
    except ProjectExists as exc:
        raise click.UsageError(str(exc)) from None
    except OSError as exc:
        click.echo(f"error: cannot write into {shown(directory)}: {exc.strerror}", err=True)
        sys.exit(EXIT_INVALID)
    for path in written:
        console.summary(f"created {shown(path)}")
    where = "" if directory.resolve() == Path.cwd().resolve() else f"cd {shown(directory)} && "
    console.summary(f"next: {where}make-report build")


@main.group()
@console.output_options
def theme() -> None:
    """Work with theme folders (docs/theming.md)."""


@theme.command("export")
@console.output_options
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


def _settings_reread(ctx: click.Context, path: Path, values: dict) -> dict:
    """Serve's settings after make-report.toml changed: the file's again, except what the
    command line or the environment set. Sources and output stay as they were: they are
    what is being watched and served. A broken file keeps the settings in force."""
    project = load_project(path)  # ConfigError: shown by the rebuild, as a build's problems are
    ctx.default_map = project.default_map({ctx.command.name: {p.name for p in ctx.command.params}}).get(
        ctx.command.name, {}
    )
    fresh = dict(values)
    for param in ctx.command.params:
        if param.name in ("sources", "output", "port") or ctx.get_parameter_source(param.name) in (
            click.core.ParameterSource.COMMANDLINE,
            click.core.ParameterSource.ENVIRONMENT,
        ):
            continue
        default = param.get_default(ctx)
        if not isinstance(default, str | int | float | tuple | list | Path):  # no default at all (None, or unset)
            fresh[param.name] = () if getattr(param, "multiple", False) else None
        else:
            fresh[param.name] = param.type_cast_value(ctx, default)
    return fresh


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
@console.output_options
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

    ctx = click.get_current_context()
    values = dict(ctx.params)
    options = _build_options(values)
    arguments = _sources(sources)
    build_moment()
    check_options(options)  # a wrong option is a usage error before serving, not a page overlay
    check_output(output, arguments, find(arguments))

    signals: list[int] = []  # the signal that stopped serving, if not Ctrl-C between builds

    def rebuild() -> str:
        """One incremental build; its problems go to the terminal and, as text, to the pages."""
        started = time.perf_counter()
        problems: list[str] = []
        nonlocal options, values
        try:
            if config is not None:  # the project file may have changed: its settings apply from this build on
                values = _settings_reread(ctx, config, values)
            options = _build_options(values)  # the theme's logo may have changed too
            result = run(options, arguments)
        except ConfigError as exc:  # make-report.toml was saved with a mistake: say where, keep serving
            problems += [str(d) for d in exc.diagnostics]
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
                console.diagnostic(diagnostic)
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

    project: Project | None = ctx.find_root().meta.get(_PROJECT)
    config = project.path if project else None
    watched = [*arguments, *([theme] if theme else []), *extra_css, *([config] if config else [])]

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
