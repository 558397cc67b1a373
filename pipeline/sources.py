"""Finding the records of a build and what is known about where their text came from.

A folder argument means every record in it (sorted, recursively, skipping the
``media/`` folder); a file argument means that file. Each folder may hold a
``sources.toml`` naming the licence and attribution of its records.
"""

from __future__ import annotations

import functools
import os
import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pipeline.diagnostics import Diagnostic, shown
from pipeline.errors import ConfigurationError, NoRecordsError
from pipeline.read import RECORD_SUFFIXES

SOURCES_FILE = "sources.toml"
#: The lock file that every build keeps in its output folder. A folder holding it
#: is make-report's own output: discovery never reads it as records.
OUTPUT_MARKER = ".make-report.lock"


@dataclass(frozen=True)
class Source:
    """One record file: where it is, how messages name it, how outputs name it."""

    path: Path
    label: str  # as the user can open it: relative to the working directory when possible
    name: str  # unique in the batch, shown in outputs and the manifest (see :func:`discover`)

    @property
    def media_dir(self) -> Path:
        return self.path.parent / "media"

    @property
    def media_label(self) -> str:
        return shown(Path(self.label).parent / "media")


def _label(path: Path) -> str:
    """How messages name a file: as listed (links not followed), relative to the working folder."""
    listed = Path(os.path.abspath(path))
    try:
        return shown(listed.relative_to(Path.cwd()))
    except (ValueError, OSError):
        return shown(path)


def is_output_folder(folder: Path) -> bool:
    """True for a folder that a build has written into (it holds the build's lock file)."""
    return (folder / OUTPUT_MARKER).is_file()


def _walk(folder: Path) -> list[Path]:
    """Every record file under ``folder`` as listed (symlinks not followed into folders).

    ``media/`` folders and make-report's own output folders are skipped. Anything
    with a record suffix that is not a folder is kept, FIFOs and dangling links
    included, and so is a folder that cannot be listed, so that reading can report
    it instead of dropping it without a word.
    """
    found = []
    unlisted: list[Path] = []
    for top, folders, files in os.walk(folder, onerror=lambda exc: unlisted.append(Path(exc.filename))):
        here = Path(top)
        folders[:] = [f for f in folders if f != "media" and not is_output_folder(here / f)]
        found += [here / f for f in files if Path(f).suffix in RECORD_SUFFIXES]
    return sorted([p for p in found if not p.is_dir()] + unlisted)


def discover(arguments: list[Path]) -> list[Source]:
    """Every record named by the arguments, once each, in a stable order.

    A record is identified by its resolved path: the same file reached twice (a
    symlink, a folder named twice) is one record, and two files with the same name
    in different folders are two. Outputs name a record by its path relative to
    the working folder; a record outside the working folder by the shortest tail
    of its path (at least ``<folder>/<file>``) that no other record of the batch
    shares, so that no output names an absolute path of the machine it was built on.
    """
    found: dict[Path, Path] = {}
    for argument in arguments:
        paths = _walk(argument) if argument.is_dir() else [argument]
        for path in paths:
            found.setdefault(_resolved(path), path)
    names = _names(list(found))
    return [Source(path, _label(path), names[resolved]) for resolved, path in found.items()]


def find(arguments: list[Path]) -> list[Source]:
    """The records a command works on; SOURCES that name none, or name a build's output, are refused."""
    for argument in arguments:
        if argument.is_dir() and is_output_folder(argument):
            raise ConfigurationError(
                f"{shown(argument)} is a make-report output folder (it holds {OUTPUT_MARKER}), not a records "
                "folder; name the folder that holds the records",
                param_hint="'[SOURCES]...'",
            )
    found = discover(arguments)
    if not found:
        kinds = ", ".join(f"*{suffix}" for suffix in RECORD_SUFFIXES)
        raise NoRecordsError(f"no record files ({kinds}) found in the given SOURCES")
    return found


def _resolved(path: Path) -> Path:
    """A record's identity; a dangling link is its own (it is reported when it is read)."""
    try:
        return path.resolve() if path.exists() else Path(os.path.abspath(path))
    except (OSError, RuntimeError):  # a symlink loop: the file is reported when it is read
        return Path(os.path.abspath(path))


def _names(paths: list[Path]) -> dict[Path, str]:
    cwd = Path.cwd().resolve()
    names: dict[Path, str] = {}
    outside = []
    for path in paths:
        if path.is_relative_to(cwd) and path != cwd:
            names[path] = path.relative_to(cwd).as_posix()
        else:
            outside.append(path)
    depth = 2
    while outside:
        tails = {path: "/".join(path.parts[-depth:]).lstrip("/") for path in outside}
        taken = Counter([*names.values(), *tails.values()])
        for path, tail in tails.items():
            if taken[tail] == 1 or depth >= len(path.parts):
                names[path] = tail
        outside = [path for path in outside if path not in names]
        depth += 1
    shown_names: dict[Path, str] = {}
    seen: Counter[str] = Counter()
    for path in sorted(names):  # escaping can make two names one ('a\\nb' and 'a<newline>b'): number them
        name = shown(names[path])
        seen[name] += 1
        shown_names[path] = name if seen[name] == 1 else f"{name} ({seen[name]})"
    return shown_names


@dataclass(frozen=True)
class Credit:
    licence: str | None = None
    attribution: str | None = None


def credit_for(source: Source) -> tuple[Credit, list[Diagnostic]]:
    """Licence and attribution for a record, from ``sources.toml`` beside it."""
    table, diagnostics = _load_sources(_resolved(source.path.parent))
    defaults = table.get("defaults", {})
    own = table.get("records", {}).get(source.path.name, {})
    return (
        Credit(
            licence=own.get("licence", defaults.get("licence")),
            attribution=own.get("attribution", defaults.get("attribution")),
        ),
        diagnostics,
    )


CREDIT_KEYS = ("licence", "attribution")


@functools.cache
def _load_sources(folder: Path) -> tuple[dict, list[Diagnostic]]:
    """The folder's ``sources.toml``, checked; every problem names its own line."""
    path = folder / SOURCES_FILE
    if not path.is_file():
        return {}, []
    label = _label(path)
    try:
        text = path.read_bytes().decode("utf-8")
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+)", str(exc))
        line = int(match.group(1)) if match else 1
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        return {}, [Diagnostic(label, line, "error", f"{reason}; fix the TOML syntax")]
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        return {}, [Diagnostic(label, line, "error", "bytes that are not UTF-8; save the file as UTF-8")]
    except RecursionError:
        reason = "values nested too deeply; sources.toml holds only [defaults] and [records] tables of text"
        return {}, [Diagnostic(label, 1, "error", reason)]
    except OSError as exc:
        return {}, [Diagnostic(label, 1, "error", f"cannot read the file: {exc.strerror}")]
    lines = _Lines(text)
    problems = []
    for key in table:
        if key not in ("defaults", "records"):
            problems.append(lines.error(label, [key], f"unknown table '{key}'; use [defaults] and [records.\"FILE\"]"))
    sections: list[tuple[list[str], object]] = [(["defaults"], table.get("defaults", {}))]
    records = table.get("records", {})
    if isinstance(records, dict):
        sections += [(["records", name], entry) for name, entry in records.items()]
        for name, entry in records.items():
            if isinstance(entry, dict) and not (folder / name).is_file():
                problems.append(
                    lines.warning(
                        label,
                        ["records", name],
                        f'[records."{name}"] names no file in this folder; check the spelling '
                        "(the record gets the [defaults] credit)",
                    )
                )
    else:
        problems.append(lines.error(label, ["records"], 'records must be a table: [records."FILE.txt"]'))
    for where, section in sections:
        title = ".".join(where[:1] + [f'"{w}"' for w in where[1:]])
        if not isinstance(section, dict):
            problems.append(lines.error(label, where, f"[{title}] must be a table of licence and attribution"))
            continue
        for key, value in section.items():
            if key not in CREDIT_KEYS:
                message = f"unknown key '{key}' in [{title}]; use licence and attribution"
            elif not isinstance(value, str):
                message = f"'{key}' in [{title}] must be text in quotes"
            else:
                continue
            problems.append(lines.error(label, [*where, key], message))
    return ({} if any(p.severity == "error" for p in problems) else table), sorted(problems)


class _Lines:
    """Finds the line on which a TOML key is written, for messages (tomllib gives none).

    A key path such as ``["records", "a.txt", "licence"]`` is looked up part by part:
    each part is searched from the line where the previous one was found, as a table
    header (``[records."a.txt"]``) or as a key (``licence =``, ``"a.txt" = {``).
    """

    def __init__(self, text: str):
        self.lines = text.splitlines()

    def line(self, keys: list[str]) -> int:
        start = 0
        for key in keys:
            spelled = "|".join(re.escape(s) for s in (key, f'"{key}"', f"'{key}'"))
            pattern = re.compile(rf"(?:^|[\[.{{,]\s*)(?:{spelled})\s*(?:=|\]|\.)")
            for number in range(start, len(self.lines)):
                if pattern.search(self.lines[number]):
                    start = number
                    break
        return start + 1

    def error(self, label: str, keys: list[str], message: str) -> Diagnostic:
        return Diagnostic(label, self.line(keys), "error", message)

    def warning(self, label: str, keys: list[str], message: str) -> Diagnostic:
        return Diagnostic(label, self.line(keys), "warning", message)
