"""Issue 8: start-up cost, progress on a terminal, quiet runs, the default number of workers."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import EPOCH, RECORDS, ROOT, SAMPLE, cli

BODY = SAMPLE.read_text(encoding="utf-8").split("\n", 1)[1]


def test_validate_does_not_import_weasyprint():
    """WeasyPrint costs 0.3 s to import; checking records never needs it."""
    process = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pipeline", "validate", str(RECORDS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 0, process.stderr
    imported = [line for line in process.stderr.splitlines() if line.startswith("import time:")]
    assert any("pipeline.build" in line for line in imported)  # the measurement itself works
    assert not [line for line in imported if "weasyprint" in line], "validate imported WeasyPrint"


def _small_records(folder: Path, count: int) -> Path:
    folder.mkdir()
    for i in range(count):
        (folder / f"r{i}.txt").write_text(f"= Small {i:02} =\n\nText of record {i}.\n", encoding="utf-8")
    return folder


def test_progress_bar_on_a_terminal_only(tmp_path: Path):
    records = _small_records(tmp_path / "records", 5)
    command = [sys.executable, "-m", "pipeline", "build", str(records), "--format", "html,epub"]
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH, COLUMNS="120")
    leader, follower = pty.openpty()
    try:
        process = subprocess.run(
            [*command, "-o", str(tmp_path / "tty")],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=follower,
            timeout=120,
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    assert process.returncode == 0
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert "handbook" in shown and "files written" in shown and "11/11" in shown, shown
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown)
    assert re.search(r"\d:\d\d:\d\d ETA \d:\d\d:\d\d", plain), shown  # elapsed time, then the time left
    assert "built 5 of 5 records" in shown

    piped = subprocess.run(
        [*command, "-o", str(tmp_path / "pipe")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr.strip().splitlines() == [piped.stderr.strip()]  # the summary line, nothing else
    assert piped.stderr.startswith("built 5 of 5 records"), piped.stderr


def test_quiet_prints_problems_only(tmp_path: Path):
    records = _small_records(tmp_path / "records", 2)
    quiet = cli("build", records, "-o", tmp_path / "out", "--format", "html", "-q")
    assert quiet.exit_code == 0, quiet.stderr
    assert quiet.stderr == ""
    assert (tmp_path / "out" / "handbook" / "small-00.xhtml").is_file()
    (records / "bad.txt").write_text("no title\n", encoding="utf-8")
    failed = cli("build", records, "-o", tmp_path / "out", "--format", "html", "--quiet")
    assert failed.exit_code == 1
    assert "bad.txt:1: error:" in failed.stderr and "records failed" in failed.stderr
    assert "built " not in failed.stderr


def test_jobs_default_to_the_cpus_this_process_may_use():
    from pipeline.build import BuildOptions

    assert BuildOptions().jobs == len(os.sched_getaffinity(0))
    process = subprocess.run(
        [
            "taskset",
            "-c",
            "0",
            sys.executable,
            "-c",
            "from pipeline.build import BuildOptions; print(BuildOptions().jobs)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.stdout.strip() == "1", process.stderr


def test_pack_numbers_every_page_and_links_every_entry(tmp_path: Path):
    """Issue 8: contents longer than a page still point at the right pages; every entry links and bookmarks."""
    import pikepdf
    from pypdf import PdfReader

    records = tmp_path / "records"
    records.mkdir()
    for i in range(45):
        sections = "".join(f"== Part {i}-{n} ==\n\nText of part {n} of record {i}.\n\n" for n in range(3))
        (records / f"r{i:02}.txt").write_text(f"= Unit {i:02} =\n\nLead of unit {i}.\n\n{sections}", encoding="utf-8")
    out = tmp_path / "out"
    result = cli("build", records, "-o", out, "--format", "pack", "-j", "2")
    assert result.exit_code == 0, result.stderr
    reader = PdfReader(out / "briefing.pdf")
    texts = [page.extract_text() for page in reader.pages]
    front = next(i for i, text in enumerate(texts) if "Lead of unit 0." in text)  # pages before the chapters
    body = len(texts) - front
    roman = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"][:front]
    assert reader.page_labels == roman + [str(n) for n in range(1, body + 1)]  # as a viewer numbers them
    for number, text in enumerate(texts[:front]):
        assert re.search(rf"Page {roman[number]}\s*$", text), number  # front matter: i, ii, ...
    for number, text in enumerate(texts[front:], start=1):
        assert f"Page {number} of {body}" in text, number  # the body: 1 to Y
    contents = "\n".join(texts[:front])
    assert "Part 44-2" in contents
    assert front >= 4  # the cover and the contents each run over more than one page
    starts = {}
    for i in range(45):
        match = re.search(rf"^Unit {i:02}[ .]*?(\d+)\s*$", contents, re.MULTILINE)
        assert match, i
        starts[i] = front + int(match.group(1))  # the printed number -> the page's place in the file
        assert f"Lead of unit {i}." in texts[starts[i] - 1], i
    assert starts[0] == front + 1
    with pikepdf.open(out / "briefing.pdf") as pdf:
        names = pikepdf.NameTree(pdf.Root.Names.Dests)
        pages = {page.objgen: n for n, page in enumerate(pdf.pages, start=1)}
        links = [a for page in list(pdf.pages)[1:front] for a in page.get("/Annots", []) if a.get("/Dest")]
        expected = {f"unit-{i:02}" for i in range(45)} | {f"unit-{i:02}-s{n}" for i in range(45) for n in (1, 2, 3)}
        expected.add("chronology")  # the pack's closing chronology chapter (issue 13)
        assert {str(link.Dest) for link in links} == expected
        for link in links:
            target = names[str(link.Dest)]
            assert pages[target[0].objgen] >= front + 1
        for i in range(45):
            assert pages[names[f"unit-{i:02}"][0].objgen] == starts[i]
        with pdf.open_outline() as outline:
            titles = [item.title for item in outline.root]
            units = [f"Unit {i:02}" for i in range(45)]
            assert titles == ["Briefing handbook", "Contents", *units, "Chronology"]
            for i, item in enumerate(outline.root[2:47]):
                assert pages[item.destination[0].objgen] == starts[i]
                assert [child.title for child in item.children] == [f"Part {i}-{n}" for n in range(3)]


def test_pack_parts_continue_each_other(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A pack laid out in many parts reads as one: the same pages as in one part, whatever the workers.

    The parts are small here (pipeline.pack lays out 8 chapters, 60 contents entries,
    400 chronology rows and 250 page numbers to a part), so each runs over many;
    every page of the joined pack is the page a single part gives, no row lost or
    shown twice, none half empty, every number right. With two workers the
    contents are laid out while the chapters still are, the parts are joined as
    they come, and the file is the same, byte for byte.
    """
    import pipeline.pack

    records = tmp_path / "records"
    records.mkdir()
    for i in range(12):
        events = "".join(f"In {1900 + 3 * n + i} the unit {i} moved its post number {n}.\n\n" for n in range(12))
        sections = "".join(f"== Part {i}-{n} ==\n\nText of part {n}.\n\n" for n in range(4))
        (records / f"r{i:02}.txt").write_text(f"= Unit {i:02} =\n\n{events}{sections}", encoding="utf-8")

    def texts(out: Path) -> list[str]:
        from pypdf import PdfReader

        reader = PdfReader(out / "briefing.pdf")
        pages = zip(reader.page_labels, reader.pages, strict=True)
        return [f"[{label}] {page.extract_text()}" for label, page in pages]

    assert cli("build", records, "-o", tmp_path / "whole", "--format", "pack", "-j", "1").exit_code == 0
    for name, value in (("CONTENTS_ROWS", 3), ("CHRONOLOGY_ROWS", 25), ("CHAPTERS_PER_PART", 2), ("FOLIO_PAGES", 4)):
        monkeypatch.setattr(pipeline.pack, name, value)
    for jobs in ("1", "2"):
        result = cli("build", records, "-o", tmp_path / f"parts-{jobs}", "--format", "pack", "-j", jobs)
        assert result.exit_code == 0, result.stderr
    whole, parts = texts(tmp_path / "whole"), texts(tmp_path / "parts-1")
    contents = [t for t in whole if re.match(r"\[[ivx]+\]", t)][1:]  # the front matter after the cover
    chronology = [t for t in whole if "DATE" in t and "RECORD" in t]
    assert len(contents) >= 2 and len(chronology) >= 4  # several parts' worth of pages each
    assert len(whole) > 12  # the page numbers come in several parts too
    assert parts == whole
    assert (tmp_path / "parts-2" / "briefing.pdf").read_bytes() == (tmp_path / "parts-1" / "briefing.pdf").read_bytes()
