"""Stage 4: outputs onto disk, atomically, with a manifest that lists only whole files.

Every file is written under a temporary name in its final folder and renamed into
place, so a file under its final name is always complete, even if the build is
killed. A lock file keeps two builds from writing into one folder at once. The
manifest is rewritten (atomically) after every output, so at any moment it lists
exactly the files that are complete.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.bidi import INVISIBLE
from pipeline.diagnostics import shown
from pipeline.sources import OUTPUT_MARKER

LOCK_NAME = OUTPUT_MARKER  # discovery skips a folder that holds it: a build never reads its outputs
MANIFEST_NAME = "manifest.json"
#: What a build writes at the top of its output folder that could be taken for records.
WRITTEN_NAMES = {MANIFEST_NAME, "handbook", "records"}
TEMP_PREFIX = ".make-report-"
TEMP_SUFFIX = ".tmp"


class OutputError(Exception):
    """The output folder cannot be used; the message says why and what to do."""


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


class OutputDir:
    """The folder a build writes into, held under a lock for the build's duration."""

    def __init__(self, root: Path):
        self.root = root
        self._lock: int | None = None

    @contextlib.contextmanager
    def locked(self) -> Iterator[OutputDir]:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(
                f"cannot write to the output folder {shown(self.root)}: {exc.strerror}; "
                "choose another with --output or fix its permissions"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise OutputError(
                    f"another make-report build is writing to {shown(self.root)}; "
                    "wait for it to finish or choose another folder with --output"
                ) from exc
            raise
        self._lock = fd
        try:
            self._check_writable()
            self._remove_stale_temporaries()
            yield self
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            self._lock = None

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

    def write(self, relative: str, data: bytes) -> Path:
        """Write one output; a full disk or another system error is an :class:`OutputError`.

        The file under its final name is untouched (atomic write), and the manifest
        on disk still lists only the files that are complete.
        """
        path = self.root / relative
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, data)
        except OSError as exc:
            advice = {
                errno.ENOSPC: "free some space or choose another folder with --output",
                errno.EDQUOT: "free some space or choose another folder with --output",
                errno.EACCES: "fix its permissions or choose another folder with --output",
                errno.EROFS: "choose another folder with --output",
            }.get(exc.errno or 0, "fix the cause and build again; the next build completes this one")
            raise OutputError(f"cannot write {shown(path)}: {exc.strerror or exc}; {advice}") from exc
        return path

    def read_manifest(self) -> dict[str, Any]:
        """The previous build's manifest, or an empty one if missing or unreadable."""
        try:
            data = json.loads((self.root / MANIFEST_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        text = json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
        # The same JSON values, but no bidi control or zero-width character raw in the file.
        text = "".join(f"\\u{ord(char):04x}" if char in INVISIBLE else char for char in text)
        self.write(MANIFEST_NAME, text.encode("utf-8"))
