"""The project file ``make-report.toml``: a team's settings, written once instead of flags on every run.

The file is checked by a pydantic model (an unknown key or a wrong type is an
error naming its line, with the closest known key suggested) and then turned into
Click's ``default_map``: the commands keep their options, the file only changes
their defaults, so a flag on the command line always wins. Paths in the file are
relative to the file's folder, so a build can run from anywhere.
"""

from __future__ import annotations

import difflib
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import click
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.diagnostics import Diagnostic, RecordError, shown
from pipeline.tomllines import TomlLines, syntax_error

CONFIG_FILE = "make-report.toml"

Format = Literal["pdf", "html", "epub", "pack"]


class LimitSettings(BaseModel):
    """``[limits]``: what a record may be before it is refused."""

    model_config = ConfigDict(extra="forbid", strict=True)

    max_bytes: int | None = Field(default=None, ge=1, description="Reject record files larger than this (--max-bytes).")
    max_depth: int | None = Field(default=None, ge=1, le=64, description="Reject lists nested deeper (--max-depth).")
    allow_missing_glyphs: bool | None = Field(
        default=None, description="Characters no font prints are warnings, not errors (--allow-missing-glyphs)."
    )


class ProjectSettings(BaseModel):
    """Every setting of ``make-report.toml``; each one is the default of the matching command-line option."""

    model_config = ConfigDict(extra="forbid", strict=True)

    sources: list[str] | None = Field(default=None, description="Record files or folders (SOURCES).")
    output: str | None = Field(default=None, description="Folder to write into (--output).")
    formats: list[Format] | None = Field(default=None, min_length=1, description="Outputs to make (--format).")
    paper: Literal["a4", "letter"] | None = Field(default=None, description="Page size (--paper).")
    marking: str | None = Field(default=None, min_length=1, max_length=80, description="Handling marking (--marking).")
    title: str | None = Field(default=None, min_length=1, description="Title of the handbook and pack (--title).")
    order: str | None = Field(default=None, description="File listing records in handbook order (--order).")
    jobs: int | None = Field(default=None, ge=1, description="PDF worker processes (--jobs).")
    strict: bool | None = Field(default=None, description="Treat warnings as errors (--strict).")
    limits: LimitSettings = Field(default_factory=LimitSettings)
    theme: str | None = Field(default=None, description="Theme folder overriding bundled templates (--theme).")
    extra_css: list[str] | None = Field(default=None, description="Stylesheets added after the bundled CSS.")


#: Settings that are paths, relative to the file's folder.
PATH_SETTINGS = {"sources", "output", "order", "theme", "extra_css"}

#: setting (dotted) -> (command parameter name, commands that take it). A command
#: without that parameter (``serve`` or ``theme`` in a version without them) is skipped.
_BUILDS = ("build", "serve")
_CHECKS = ("build", "serve", "validate", "export")
PARAMETERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "sources": ("sources", ("build", "serve", "validate")),
    "output": ("output", _BUILDS),
    "formats": ("formats", _BUILDS),
    "paper": ("paper", _BUILDS),
    "marking": ("marking", _BUILDS),
    "title": ("title", _BUILDS),
    "order": ("order_file", _BUILDS),
    "jobs": ("jobs", _BUILDS),
    "strict": ("strict", _CHECKS),
    "limits.max_bytes": ("max_bytes", _CHECKS),
    "limits.max_depth": ("max_depth", _CHECKS),
    "limits.allow_missing_glyphs": ("allow_missing_glyphs", _CHECKS),
    "theme": ("theme", _BUILDS),
    "extra_css": ("extra_css", _BUILDS),
}


class ConfigError(RecordError):
    """A project file that cannot be used; carries every problem, each at its line."""


@dataclass
class Project:
    """A loaded project file: its settings and where each one is written."""

    path: Path
    label: str
    settings: ProjectSettings
    lines: dict[str, int] = field(default_factory=dict)  # dotted setting -> line

    @property
    def folder(self) -> Path:
        return self.path.parent

    def values(self) -> dict[str, Any]:
        """Each setting the file gives, dotted name -> value, paths made relative to the working folder."""
        given: dict[str, Any] = {}
        data = self.settings.model_dump(exclude_none=True, exclude={"limits"})
        data |= {f"limits.{k}": v for k, v in self.settings.limits.model_dump(exclude_none=True).items()}
        for name, value in data.items():
            if name in PATH_SETTINGS:
                value = [self._path(v) for v in value] if isinstance(value, list) else self._path(value)
            given[name] = value
        return given

    def _path(self, value: str) -> str:
        path = Path(os.path.abspath(self.folder / Path(value).expanduser()))
        try:
            return str(path.relative_to(Path.cwd())) or "."
        except ValueError:
            return str(path)

    def default_map(self, commands: dict[str, set[str]]) -> dict[str, dict[str, Any]]:
        """Click's ``default_map``: for each command, parameter -> the file's value.

        ``commands`` names each command's parameters, so a setting that a command
        does not take (``theme`` before themes exist) is left out, not an error.
        """
        defaults: dict[str, dict[str, Any]] = {}
        for name, value in self.values().items():
            parameter, takers = PARAMETERS[name]
            if name == "formats":
                value = ",".join(value)
            for command in takers:
                if parameter in commands.get(command, set()):
                    defaults.setdefault(command, {})[parameter] = tuple(value) if name == "sources" else value
        return defaults


def find(start: Path | None = None) -> Path | None:
    """``make-report.toml`` in the working folder, if there is one (parent folders are not searched)."""
    candidate = (start or Path.cwd()) / CONFIG_FILE
    return candidate if candidate.is_file() else None


def load(path: Path) -> Project:
    """Read and check a project file; raises :class:`ConfigError` with every problem found."""
    label = _label(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ConfigError(
            [Diagnostic(label, line, "error", "bytes that are not UTF-8; save the file as UTF-8", code="MR101")]
        ) from None
    except OSError as exc:
        raise ConfigError(
            [Diagnostic(label, 1, "error", f"cannot read the file: {exc.strerror}", code="MR101")]
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, column, reason = syntax_error(exc)
        raise ConfigError(
            [Diagnostic(label, line, "error", f"{reason}; fix the TOML syntax", code="MR100", column=column)]
        ) from None
    lines = TomlLines(text)
    where = {name: lines.line(name.split(".")) for name in PARAMETERS}
    problems = [
        Diagnostic(
            label,
            where[name],
            "error",
            f"'{name}' names '{shown(value)}', which does not exist; paths are relative to the folder of {label}",
            code="MR103",
        )
        for name, value in _missing_inputs(data, path.parent)
    ]
    try:
        settings = ProjectSettings.model_validate(data)
    except ValidationError as exc:
        problems += [_problem(label, lines, error) for error in exc.errors()]
    if problems:
        raise ConfigError(sorted(problems))
    return Project(path=path, label=label, settings=settings, lines=where)


def _missing_inputs(data: dict[str, Any], folder: Path) -> list[tuple[str, str]]:
    """Settings naming inputs (records, order file, theme, stylesheets) that are not there."""
    found = []
    for name in ("sources", "order", "theme", "extra_css"):
        given = data.get(name)
        for value in given if isinstance(given, list) else [given]:
            if isinstance(value, str) and not (folder / Path(value).expanduser()).exists():
                found.append((name, value))
    return found


def _label(path: Path) -> str:
    """How messages name the file: relative to the working folder when inside it."""
    absolute = Path(os.path.abspath(path))
    try:
        return shown(absolute.relative_to(Path.cwd()))
    except ValueError:
        return shown(path)


def _known(loc: tuple) -> list[str]:
    model: type[BaseModel] = LimitSettings if loc[:1] == ("limits",) else ProjectSettings
    return list(model.model_fields)


def _problem(label: str, lines: TomlLines, error: Any) -> Diagnostic:
    loc = tuple(str(part) for part in error["loc"])
    keys = [part for part in loc if not part.isdigit()]
    line = lines.line(keys)
    name = ".".join(p for p in loc if not p.isdigit()) + "".join(f"[{p}]" for p in loc if p.isdigit())
    if error["type"] == "extra_forbidden":
        key = loc[-1]
        spelled = key.replace("-", "_").lower()
        close = difflib.get_close_matches(spelled, _known(loc[:-1]), n=1, cutoff=0.6)
        table = f" in [{'.'.join(loc[:-1])}]" if len(loc) > 1 else ""
        if close:
            hint = f"did you mean '{close[0]}'?"
        elif len(loc) > 1 and spelled in ProjectSettings.model_fields:
            hint = f"'{spelled}' is a top-level setting: move it above the [{loc[0]}] line"
        else:
            hint = f"known settings: {', '.join(_known(loc[:-1]))}"
        message = f"unknown setting '{key}'{table}; {hint} (docs/config.md lists every setting)"
        return Diagnostic(label, line, "error", message, code="MR102")
    value = error.get("input")
    shown_value = repr(value) if not isinstance(value, dict) else "a table"
    message = f"'{name}' = {shown_value[:60]}: {error['msg'].lower()}; see docs/config.md"
    return Diagnostic(label, line, "error", message, code="MR103")


def settings_in_force(ctx: click.Context, project: Project | None) -> str:
    """Each setting ``build`` would use, as make-report.toml lines, with where it came from.

    ``ctx`` is a parsed ``build`` context: Click knows, per option, whether the
    value came from the command line, the environment, the project file
    (``default_map``) or the option's default.
    """
    from click.core import ParameterSource

    options = {p.name: p for p in ctx.command.params}
    rows = []
    for name, (parameter, _commands) in PARAMETERS.items():
        key = name.split(".")[-1]
        if parameter not in options:  # a setting this version's build has no option for yet
            given = project.values().get(name) if project else None
            if given is not None:
                where = f"{project.label}:{project.lines[name]} (not used: build has no --{key.replace('_', '-')})"
                rows.append((name, given, where))
            continue
        value = ctx.params[parameter]
        source = ctx.get_parameter_source(parameter)
        if source is ParameterSource.DEFAULT_MAP and project is not None:
            where = f"{project.label}:{project.lines[name]}"
        elif source is ParameterSource.COMMANDLINE:
            where = "command line"
        elif source is ParameterSource.ENVIRONMENT:
            where = f"environment ({_envvar(ctx, parameter)})"
        else:
            where = "default"
        if name == "sources" and not value:
            value = ["records"]  # what build reads when neither the file nor the command line names any
        rows.append((name, _toml_value(name, value), where))
    lines = [f"# settings in force for `make-report build` ({project.label if project else 'no ' + CONFIG_FILE})"]
    table = ""
    rows.sort(key=lambda row: "." in row[0])  # top-level settings first: TOML puts all after [limits] inside it
    for name, value, where in rows:
        if "." in name and table != name.split(".")[0]:
            table = name.split(".")[0]
            lines.append(f"[{table}]")
        key = name.split(".")[-1]
        unset = "# jobs (not set: the CPUs this process may use)" if key == "jobs" else f"# {key} (not set)"
        setting = f"{key} = {json.dumps(value, ensure_ascii=False)}" if value is not None else unset
        lines.append(f"{setting:40} # {where}")
    return "\n".join(lines) + "\n"


def _envvar(ctx: click.Context, parameter: str) -> str:
    option = next(p for p in ctx.command.params if p.name == parameter)
    if option.envvar:
        return option.envvar if isinstance(option.envvar, str) else option.envvar[0]
    return f"{ctx.auto_envvar_prefix}_{parameter.upper()}"


def _toml_value(name: str, value: Any) -> Any:
    """A command-line value as make-report.toml writes it."""
    if name == "formats" and isinstance(value, str):
        return [f.strip() for f in value.split(",") if f.strip()]
    if isinstance(value, tuple | list):
        return [str(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def commented_template() -> str:
    """The ``make-report.toml`` that ``make-report init`` writes: every setting, commented, with its default."""
    from importlib.resources import files

    return files("pipeline").joinpath("_starter", "make-report.toml").read_text(encoding="utf-8")
