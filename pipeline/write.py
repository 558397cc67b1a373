"""Stage 4: outputs onto disk, atomically, with a manifest that lists only whole files.

Every file is written under a temporary name in its final folder and renamed into
place, so a file under its final name is always complete, even if the build is
killed. A lock file keeps two builds from writing into one folder at once.

The manifest (docs/manifest.md) is written atomically a few times per build, at
step boundaries, never after every file: rewriting a list of n files n times is
quadratic. Between those writes a journal (one short JSON line per finished file)
records what was written, so the next build can reuse the files of a killed one.
At any moment ``manifest.json`` lists only files that are complete and as listed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from pipeline.bidi import INVISIBLE
from pipeline.diagnostics import shown
from pipeline.errors import ConfigurationError, OutputError
from pipeline.sources import OUTPUT_MARKER, Source
from schemas.manifest import FileEntry
from schemas.manifest import Manifest as ManifestModel

if TYPE_CHECKING:
    from filelock import FileLock

LOCK_NAME = OUTPUT_MARKER  # discovery skips a folder that holds it: a build never reads its outputs
MANIFEST_NAME = "manifest.json"
JOURNAL_NAME = ".make-report-journal.jsonl"
#: What a build writes at the top of its output folder that could be taken for records.
WRITTEN_NAMES = {MANIFEST_NAME, "handbook", "records"}
TEMP_PREFIX = ".make-report-"
TEMP_SUFFIX = ".tmp"


def check_output(output: Path, arguments: list[Path], found: list[Source]) -> None:
    """Refuse an output folder that would write over the records it reads.

    The build writes ``manifest.json``, ``handbook/`` and its outputs into the
    output folder. That folder may sit inside a SOURCES folder: discovery skips a
    folder that holds a build's lock file, so a build never reads its own outputs.
    It may not be a SOURCES folder itself, nor hold a record where a build writes.
    """
    hint = "'-o' / '--output'"
    if output.is_symlink() and not output.exists():
        raise ConfigurationError(
            f"{shown(output)}: is a symbolic link to missing '{shown(os.readlink(output))}'; "
            "remove it or choose another folder",
            param_hint=hint,
        )
    target = output.resolve()
    for argument in arguments:
        if argument.is_dir() and argument.resolve() == target:
            raise ConfigurationError(
                f"{shown(output)} is also the SOURCES folder {shown(argument)}; the build would write over "
                "its records. Choose another output folder, such as a new folder inside it",
                param_hint=hint,
            )
    for source in found:
        try:
            inside = source.path.resolve().relative_to(target)
        except ValueError:
            continue
        if inside.parts[0] in WRITTEN_NAMES:
            raise ConfigurationError(
                f"{shown(output)}: the build writes {shown(output / inside.parts[0])}, where the record "
                f"{source.label} is; choose another output folder or move the record",
                param_hint=hint,
            )


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` is never seen half-written."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f"{TEMP_PREFIX}{path.name}.", suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _output_error(path: Path, exc: OSError) -> OutputError:
    advice = {
        errno.ENOSPC: "free some space or choose another folder with --output",
        errno.EDQUOT: "free some space or choose another folder with --output",
        errno.EACCES: "fix its permissions or choose another folder with --output",
        errno.EROFS: "choose another folder with --output",
    }.get(exc.errno or 0, "fix the cause and build again; the next build completes this one")
    return OutputError(f"cannot write {shown(path)}: {exc.strerror or exc}; {advice}")


def _mark(marker: Path) -> None:
    """Create the lock file if it is missing; an existing one is left as it is (its date too)."""
    os.close(os.open(marker, os.O_RDWR | os.O_CREAT, 0o644))


class OutputDir:
    """The folder a build writes into, held under a lock for the build's duration."""

    def __init__(self, root: Path):
        self.root = root
        self._lock: FileLock | None = None

    @contextlib.contextmanager
    def locked(self) -> Iterator[OutputDir]:
        """Hold the folder's lock for a build: a second build into it is refused at once.

        ``filelock`` takes an ``flock`` on POSIX and ``msvcrt.locking`` on Windows.
        The lock file also marks the folder as a build's output for discovery, so it
        is kept (Windows' lock removes it on release: it is put back).
        """
        from filelock import FileLock, Timeout  # here: only a build pays for importing it (tens of ms)

        marker = self.root / LOCK_NAME
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            _mark(marker)
        except OSError as exc:
            raise OutputError(
                f"cannot write to the output folder {shown(self.root)}: {exc.strerror}; "
                "choose another with --output or fix its permissions"
            ) from exc
        lock = FileLock(marker, timeout=0)
        try:
            lock.acquire()
        except Timeout as exc:
            raise OutputError(
                f"another make-report build is writing to {shown(self.root)}; "
                "wait for it to finish or choose another folder with --output"
            ) from exc
        self._lock = lock
        try:
            self._check_writable()
            self._remove_stale_temporaries()
            yield self
        finally:
            lock.release()
            self._lock = None
            with contextlib.suppress(OSError):
                _mark(marker)

    def _check_writable(self) -> None:
        if not os.access(self.root, os.W_OK):
            raise OutputError(
                f"cannot write to the output folder {shown(self.root)}: permission denied; "
                "choose another with --output or fix its permissions"
            )

    def _remove_stale_temporaries(self) -> None:
        """Temporaries left by a killed build are never complete: drop them."""
        for temp in self.root.rglob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
            with contextlib.suppress(OSError):
                temp.unlink()

    def write(self, relative: str, data: bytes) -> bool:
        """Write one output atomically; a file that already holds ``data`` is left alone (mtime kept).

        Returns whether the file was written. A full disk or another system error
        is an :class:`OutputError`; the file under its final name is untouched
        (atomic write), and the manifest on disk still lists only complete files.
        """
        path = self.root / relative
        try:
            if path.stat().st_size == len(data) and path.read_bytes() == data:
                return False
        except OSError:
            pass
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, data)
        except OSError as exc:
            raise _output_error(path, exc) from exc
        return True

    def holds(self, relative: str, digest: str | None) -> bool:
        """Whether the file is on disk with the sha256 ``digest``."""
        try:
            return digest is not None and sha256((self.root / relative).read_bytes()) == digest
        except OSError:
            return False

    def read_manifest(self) -> ManifestModel | None:
        """The previous build's manifest, or None if missing, unreadable or of another layout."""
        try:
            return ManifestModel.model_validate_json((self.root / MANIFEST_NAME).read_bytes())
        except (OSError, ValueError):  # pydantic's ValidationError is a ValueError
            return None

    def previous_files(self) -> list[FileEntry]:
        """The previous manifest's file entries that are well-formed, even if the rest of it is not."""
        try:
            data = json.loads((self.root / MANIFEST_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        files = data.get("files") if isinstance(data, dict) else None
        return [entry for entry in map(_file_entry, files if isinstance(files, list) else []) if entry]

    def write_manifest(self, manifest: ManifestModel) -> None:
        text = json.dumps(manifest.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
        # The same JSON values, but no bidi control or zero-width character raw in the file.
        text = "".join(f"\\u{ord(char):04x}" if char in INVISIBLE else char for char in text)
        self.write(MANIFEST_NAME, text.encode("utf-8"))

    def read_journal(self) -> list[FileEntry]:
        """File entries a killed build recorded after its last manifest; a torn last line is skipped."""
        try:
            lines = (self.root / JOURNAL_NAME).read_bytes().splitlines()
        except OSError:
            return []
        entries = []
        for line in lines:
            try:
                entries.append(FileEntry.model_validate_json(line))
            except ValueError:
                continue
        return entries


def _file_entry(data: object) -> FileEntry | None:
    try:
        return FileEntry.model_validate(data)
    except ValueError:
        return None


class Manifest:
    """The build's manifest: entries by path, a journal between writes, atomic writes per step.

    ``previous`` holds what the last build (and a killed build's journal) said about
    each file, for reuse. Entries this build has not decided on yet are carried over
    from the last manifest as long as their file is untouched, so the manifest never
    forgets a complete file; :meth:`replacing` drops the ones a step is about to
    overwrite before it starts.
    """

    def __init__(self, out: OutputDir, header: ManifestModel):
        self.out = out
        self.header = header  # everything but the files
        listed = {entry.path: entry for entry in out.previous_files()}
        self.previous: dict[str, FileEntry] = dict(listed)
        for entry in out.read_journal():
            self.previous[entry.path] = entry
        self.carried = {path: entry for path, entry in listed.items() if self.previous[path] is entry}
        self.entries: dict[str, FileEntry] = {}
        self._journal: BinaryIO | None = None

    def replacing(self, paths: list[str]) -> None:
        """Before a step overwrites ``paths``: stop listing them, so the manifest never lies."""
        if any(path in self.carried for path in paths):
            for path in paths:
                self.carried.pop(path, None)
            self.save()

    def add(self, entry: FileEntry, journal: bool = True) -> None:
        """One finished file; journalled at once (one short line), listed at the next :meth:`save`."""
        self.carried.pop(entry.path, None)
        self.entries[entry.path] = entry
        if journal:
            path = self.out.root / JOURNAL_NAME
            try:
                if self._journal is None:
                    self._journal = open(path, "ab")  # noqa: SIM115 - held for the build
                line = json.dumps(entry.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")) + "\n"
                self._journal.write(line.encode("utf-8"))
                self._journal.flush()
            except OSError as exc:
                raise _output_error(path, exc) from exc

    def save(self) -> None:
        """Write manifest.json: this build's entries, then untouched ones carried over."""
        files = sorted([*self.entries.values(), *self.carried.values()], key=lambda entry: entry.path)
        self.out.write_manifest(self.header.model_copy(update={"files": files}))

    def close(self) -> None:
        """The final manifest: only this build's files; the journal is no longer needed."""
        self.carried = {}
        self.save()
        if self._journal is not None:
            self._journal.close()
        with contextlib.suppress(FileNotFoundError):
            (self.out.root / JOURNAL_NAME).unlink()
