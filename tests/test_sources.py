"""sources.py and slugs.py on their own: which files are records, how they are named, their file names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.errors import ConfigurationError, NoRecordsError
from pipeline.slugs import assign_slugs, base_slug
from pipeline.sources import OUTPUT_MARKER, discover, find


def _touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("= X =\n", encoding="utf-8")


def test_discovery_skips_media_and_output_folders(tmp_path: Path):
    _touch(tmp_path, "b.txt", "a.json", "sub/c.yaml", "media/d.txt", "out/e.txt", "notes.md", "f.TXT")
    (tmp_path / "out" / OUTPUT_MARKER).write_bytes(b"")
    found = discover([tmp_path])
    assert [s.path.relative_to(tmp_path).as_posix() for s in found] == ["a.json", "b.txt", "sub/c.yaml"]


def test_one_file_reached_twice_is_one_record(tmp_path: Path):
    _touch(tmp_path, "r/a.txt")
    (tmp_path / "link.txt").symlink_to(tmp_path / "r" / "a.txt")
    assert len(discover([tmp_path / "r", tmp_path / "r" / "a.txt", tmp_path / "link.txt"])) == 1


def test_names_are_relative_inside_the_working_folder_and_short_tails_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    _touch(tmp_path, "work/records/a.txt", "x/records/b.txt", "y/records/b.txt", "z/deep/records/c.txt")
    monkeypatch.chdir(tmp_path / "work")
    found = discover([Path("records"), tmp_path / "x", tmp_path / "y", tmp_path / "z"])
    names = {s.path.resolve().relative_to(tmp_path.resolve()).as_posix(): s.name for s in found}
    assert names == {
        "work/records/a.txt": "records/a.txt",
        "x/records/b.txt": "x/records/b.txt",  # two b.txt outside: the shortest tails that differ
        "y/records/b.txt": "y/records/b.txt",
        "z/deep/records/c.txt": "records/c.txt",  # never an absolute path of the build machine
    }
    assert not any(os.path.isabs(name) for name in names.values())


def test_find_refuses_an_output_folder_and_an_empty_source(tmp_path: Path):
    _touch(tmp_path, "out/a.txt")
    (tmp_path / "out" / OUTPUT_MARKER).write_bytes(b"")
    with pytest.raises(ConfigurationError, match="is a make-report output folder") as caught:
        find([tmp_path / "out"])
    assert caught.value.param_hint == "'[SOURCES]...'"
    (tmp_path / "empty").mkdir()
    with pytest.raises(NoRecordsError, match=r"no record files \(\*\.txt, \*\.json, \*\.yaml, \*\.yml\)"):
        find([tmp_path / "empty"])


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Tajikistani Internal Troops", "tajikistani-internal-troops"),
        ("../../etc/passwd", "etc-passwd"),
        ("CON", "con-record"),
        ("manifest", "manifest-record"),
        ("Милиция Таджикистана", "militsiia-tadzhikistana"),
        ("\u202eevil\u200b title", "evil-title"),
        ("???", "record"),
    ],
)
def test_slugs_are_safe_file_names(title: str, slug: str):
    assert base_slug(title) == slug


def test_slugs_are_unique_and_stable_in_key_order():
    titles = [("b.txt", "Same"), ("a.txt", "Same"), ("c.txt", "Same"), ("d.txt", "x" * 200)]
    slugs = assign_slugs(titles)
    assert slugs == {"a.txt": "same", "b.txt": "same-2", "c.txt": "same-3", "d.txt": "x" * 64}
    assert assign_slugs(list(reversed(titles))) == slugs
