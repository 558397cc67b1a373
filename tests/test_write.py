"""write.py on its own: atomic files, the output lock, the manifest and its journal through the models."""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

import pytest

from pipeline import write
from pipeline.errors import OutputError
from pipeline.sources import is_output_folder
from pipeline.write import JOURNAL_NAME, LOCK_NAME, Manifest, OutputDir, atomic_write, sha256
from schemas.manifest import BuildSettings, FileEntry, RecordEntry
from schemas.manifest import Manifest as ManifestModel

from .conftest import RECORDS, cli


def _temporaries(folder: Path) -> list[Path]:
    return list(folder.glob(".make-report-*.tmp"))


def test_atomic_write_replaces_whole_files_with_mode_0644(tmp_path: Path):
    target = tmp_path / "a.pdf"
    atomic_write(target, b"first")
    atomic_write(target, b"second")
    assert target.read_bytes() == b"second"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # not mkstemp's 0600
    assert _temporaries(tmp_path) == []


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    target = tmp_path / "a.pdf"
    atomic_write(target, b"old and complete")

    def full_disk(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    out = OutputDir(tmp_path)
    with pytest.raises(OutputError, match=r"cannot write .*a\.pdf: No space left on device; free some space"):
        out.write("a.pdf", b"new")
    assert target.read_bytes() == b"old and complete"
    assert _temporaries(tmp_path) == []


def test_writing_the_same_bytes_leaves_the_file_alone(tmp_path: Path):
    out = OutputDir(tmp_path)
    assert out.write("x/a.txt", b"same") is True
    before = (tmp_path / "x/a.txt").stat().st_mtime_ns
    assert out.write("x/a.txt", b"same") is False
    assert (tmp_path / "x/a.txt").stat().st_mtime_ns == before


def test_the_lock_refuses_a_second_build_and_marks_the_folder(tmp_path: Path):
    folder = tmp_path / "out"
    with OutputDir(folder).locked():
        assert is_output_folder(folder)
        with pytest.raises(OutputError, match="another make-report build is writing to"), OutputDir(folder).locked():
            pass
    assert (folder / LOCK_NAME).is_file()  # it stays: discovery skips the folder by it
    with OutputDir(folder).locked():  # and it is free again
        pass


def test_stale_temporaries_are_removed_under_the_lock(tmp_path: Path):
    (tmp_path / "handbook").mkdir()
    stale = tmp_path / "handbook" / ".make-report-a.xhtml.x1y2.tmp"
    stale.write_bytes(b"half")
    with OutputDir(tmp_path).locked():
        assert not stale.exists()


def _header() -> ManifestModel:
    return ManifestModel(
        generator="make-report test",
        manifest_version=2,
        build=BuildSettings(date="2025-11-25T00:00:00Z", paper="a4", marking=None, title="T", formats=["pdf"]),
        records=[RecordEntry(path="r.txt", sha256="0" * 64, title="R", status="ok", warnings=[], errors=[])],
    )


def _entry(path: str, data: bytes, pages: int | None = None) -> FileEntry:
    return FileEntry(
        path=path,
        kind="factsheet",
        size=len(data),
        sha256=sha256(data),
        pages=pages,
        sources="#/records",
        key="1" * 64,
        date="2025-11-25T00:00:00Z",
    )


def test_journal_keeps_finished_files_of_a_killed_build_and_skips_a_torn_line(tmp_path: Path):
    out = OutputDir(tmp_path)
    manifest = Manifest(out, _header())
    out.write("a.pdf", b"a")
    manifest.add(_entry("a.pdf", b"a", pages=1))
    with open(tmp_path / JOURNAL_NAME, "ab") as journal:
        journal.write(b'{"path": "b.pdf", "kind": "factsh')  # killed in the middle of a line
    again = Manifest(OutputDir(tmp_path), _header())
    assert list(again.previous) == ["a.pdf"]
    assert again.previous["a.pdf"].pages == 1 and again.previous["a.pdf"].sha256 == sha256(b"a")


def test_manifest_round_trips_through_the_model(tmp_path: Path):
    out = OutputDir(tmp_path)
    manifest = Manifest(out, _header())
    manifest.add(_entry("b.pdf", b"b", pages=2), journal=False)
    manifest.add(_entry("a.css", b"a"), journal=False)
    manifest.close()
    text = (tmp_path / "manifest.json").read_text(encoding="utf-8")
    data = json.loads(text)
    assert [f["path"] for f in data["files"]] == ["a.css", "b.pdf"]
    assert "pages" not in data["files"][0] and data["files"][1]["pages"] == 2  # pages for PDFs only
    assert list(data) == ["generator", "manifest_version", "build", "records", "files"]
    model = out.read_manifest()
    assert model is not None and model.files[1].pages == 2
    out.write_manifest(model)
    assert (tmp_path / "manifest.json").read_text(encoding="utf-8") == text
    assert not (tmp_path / JOURNAL_NAME).exists()


def test_a_manifest_of_another_layout_reads_as_none(tmp_path: Path):
    (tmp_path / "manifest.json").write_text('{"manifest_version": 1, "files": [{"path": "a.pdf"}]}', encoding="utf-8")
    out = OutputDir(tmp_path)
    assert out.read_manifest() is None and out.previous_files() == []


def test_built_manifest_validates_against_the_printed_schema(built: Path):
    """The manifest of a real build is an instance of `make-report schema --manifest`."""
    import jsonschema

    result = cli("schema", "--manifest")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    jsonschema.validate(manifest, schema)
    ManifestModel.model_validate(manifest)
    assert schema["properties"]["files"]["description"] == "every output file that is complete, sorted by path"
    assert "cache key" in schema["$defs"]["FileEntry"]["properties"]["key"]["description"]


def test_check_output_refuses_a_records_folder(tmp_path: Path):
    from pipeline.errors import ConfigurationError
    from pipeline.sources import discover

    with pytest.raises(ConfigurationError, match="is also the SOURCES folder") as caught:
        write.check_output(RECORDS, [RECORDS], discover([RECORDS]))
    assert caught.value.param_hint == "'-o' / '--output'" and caught.value.exit_code == 2
