"""``make-report init``: a working project in one command, from the files bundled in ``pipeline/_starter``.

The starter is a real record with its ``sources.toml`` credit, a
``make-report.toml`` with every setting commented, and a ``.gitignore`` for the
outputs. ``init`` never overwrites: if any file it would write is there already,
it names them all and writes nothing.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from pipeline.diagnostics import shown

#: file in the project -> file in pipeline/_starter
STARTER = {
    "make-report.toml": "make-report.toml",
    ".gitignore": "gitignore",
    "records/sources.toml": "records/sources.toml",
    "records/tajikistani-internal-troops.txt": "records/tajikistani-internal-troops.txt",
}


class ProjectExists(Exception):
    """Files that ``init`` would overwrite."""


def create(directory: Path) -> list[Path]:
    """Write the starter project into ``directory`` (made if missing); the files written, in order."""
    targets = {directory / name: source for name, source in STARTER.items()}
    there = [path for path in targets if path.exists() or path.is_symlink()]
    if there:
        names = ", ".join(shown(path) for path in there)
        raise ProjectExists(
            f"{names} already there; init writes nothing over existing files: "
            "choose an empty folder (make-report init DIR) or move them"
        )
    starter = files("pipeline").joinpath("_starter")
    written = []
    for path, source in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        data = starter.joinpath(*source.split("/")).read_bytes()
        with open(path, "xb") as handle:  # "x": never over a file made since the check
            handle.write(data)
        written.append(path)
    return written
