"""Finding the records of a build and what is known about where their text came from.

A folder argument means every record in it (sorted, recursively, skipping the
``media/`` folder); a file argument means that file. Each folder may hold a
``sources.toml`` naming the licence and attribution of its records.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pipeline.diagnostics import Diagnostic

RECORD_SUFFIXES = {".txt", ".json"}
SOURCES_FILE = "sources.toml"


@dataclass(frozen=True)
class Source:
    """One record file: where it is, how messages name it, how outputs name it."""

    path: Path
    label: str  # as the user can open it: relative to the working directory when possible
    name: str  # stable across machines: '<folder>/<file>', shown in outputs

    @property
    def media_dir(self) -> Path:
        return self.path.parent / "media"

    @property
    def media_label(self) -> str:
        return str(Path(self.label).parent / "media")


def _label(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def discover(arguments: list[Path]) -> list[Source]:
    """Every record named by the arguments, once each, in a stable order."""
    found: dict[Path, Source] = {}
    for argument in arguments:
        if argument.is_dir():
            root = argument.resolve()
            for path in sorted(argument.rglob("*")):
                relative = path.relative_to(argument)  # as listed: a symlink may point anywhere
                if path.suffix in RECORD_SUFFIXES and path.is_file() and "media" not in relative.parts[:-1]:
                    name = f"{root.name}/{relative.as_posix()}"
                    found.setdefault(path.resolve(), Source(path, _label(path), name))
        else:
            resolved = argument.resolve()
            name = f"{resolved.parent.name}/{resolved.name}"
            found.setdefault(resolved, Source(argument, _label(argument), name))
    return list(found.values())


@dataclass(frozen=True)
class Credit:
    licence: str | None = None
    attribution: str | None = None


def credit_for(source: Source) -> tuple[Credit, list[Diagnostic]]:
    """Licence and attribution for a record, from ``sources.toml`` beside it."""
    table, diagnostics = _load_sources(source.path.parent.resolve())
    defaults = table.get("defaults", {})
    own = table.get("records", {}).get(source.path.name, {})
    return (
        Credit(
            licence=own.get("licence", defaults.get("licence")),
            attribution=own.get("attribution", defaults.get("attribution")),
        ),
        diagnostics,
    )


@functools.cache
def _load_sources(folder: Path) -> tuple[dict, list[Diagnostic]]:
    path = folder / SOURCES_FILE
    if not path.is_file():
        return {}, []
    label = _label(path)
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        match = re.search(r"at line (\d+)", str(exc))
        line = int(match.group(1)) if match else 1
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        return {}, [Diagnostic(label, line, "error", f"{reason}; fix the TOML syntax")]
    problems = []
    for section in [table.get("defaults", {}), *table.get("records", {}).values()]:
        if not isinstance(section, dict):
            problems.append(Diagnostic(label, 1, "error", "each entry must be a table of licence/attribution"))
            continue
        for key, value in section.items():
            if key not in ("licence", "attribution") or not isinstance(value, str):
                problems.append(
                    Diagnostic(label, 1, "error", f"unknown or non-text key '{key}'; use licence and attribution")
                )
    return ({} if problems else table), problems
