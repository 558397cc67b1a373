"""-q/-v on every command, colour only on a terminal and never with NO_COLOR, a progress bar only on a terminal."""

from __future__ import annotations

import os
import pty
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import main

from .conftest import EPOCH, SAMPLE, cli, run_command

COLOUR = re.compile(r"\x1b\[[0-9;]*(?:3[0-9]|9[0-7]|38;[0-9;]+)m")  # a foreground colour SGR sequence
BAD = "= Border Guard =\n\nInfobox\n- Formed 1991\n\nLead.\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "records").mkdir()
    shutil.copy(SAMPLE, tmp_path / "records")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "bad.txt").write_text(BAD, encoding="utf-8")
    return tmp_path


def on_terminal(args: list[str], cwd: Path, **env: str) -> tuple[int, str]:
    """Run make-report with its standard streams on a pseudo-terminal; its exit code and all it wrote."""
    master, slave = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    environment |= {"SOURCE_DATE_EPOCH": EPOCH, "TERM": "xterm-256color", "COLUMNS": "120", **env}
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", *args],
        cwd=cwd,
        env=environment,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        close_fds=True,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return process.wait(timeout=300), b"".join(chunks).decode("utf-8", errors="replace")


@pytest.mark.parametrize("command", sorted(main.commands))
def test_quiet_and_verbose_are_accepted_after_every_command_name(command: str):
    for flag in ("-q", "--quiet", "-v", "--verbose"):
        result = cli(command, flag, "--help")
        assert result.exit_code == 0, (command, flag, result.stderr)


def test_quiet_before_the_command_name(folder: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(folder)
    result = cli("-q", "validate", "records")
    assert result.exit_code == 0
    assert result.stderr == ""  # the logo warning and the summary are left out
    loud = cli("validate", "records")
    assert "warning" in loud.stderr and loud.stderr.endswith("1 of 1 records valid\n")
    errors = cli("-q", "validate", "bad")
    assert errors.exit_code == 1
    assert errors.stderr.splitlines() == [
        "bad/bad.txt:4: error: infobox line has no ': ' between key and value: 'Formed 1991'; write '- Key: Value'"
    ]


def test_not_a_terminal_gets_the_summary_only(folder: Path):
    result = run_command("build", "--format", "pdf", "records", cwd=folder, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("records/tajikistani-internal-troops.txt:6: warning: ")
    assert len(lines) == 2 and lines[1].startswith("built 1 of 1 records into output/: 2 files written")
    assert "\x1b" not in result.stderr
    quiet = run_command("build", "--format", "pdf", "-q", "records", cwd=folder, timeout=300)
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_verbose_gives_per_record_timings(folder: Path):
    shutil.copy(folder / "bad" / "bad.txt", folder / "records" / "bad.txt")
    (folder / "records" / "second.txt").write_text("= Second Guard =\n\nA lead.\n", encoding="utf-8")
    result = run_command("build", "--format", "pdf", "-v", "-j", "1", "records", cwd=folder, timeout=300)
    assert result.returncode == 1  # bad.txt is invalid
    timings = [line for line in result.stderr.splitlines() if line.startswith("fact sheets ")]
    assert [line.split(":")[0] for line in timings] == ["fact sheets 1/2", "fact sheets 2/2"]
    assert all(re.fullmatch(r"fact sheets \d/2: \d+\.\d\d s", line) for line in timings)


def test_terminal_gets_a_progress_bar_and_colour(folder: Path):
    code, shown = on_terminal(["build", "--format", "pdf", "records"], folder)
    assert code == 0, shown
    assert "fact sheets" in shown and "1/1" in shown and "ETA" in shown and "files written" in shown
    assert COLOUR.search(shown)  # the bar and the warning's severity are coloured
    assert "records/tajikistani-internal-troops.txt:6: \x1b[33mwarning\x1b[0m: infobox 'Logo'" in shown
    assert "built 1 of 1 records" in shown


def test_no_color_means_no_colour_even_on_a_terminal(folder: Path):
    code, shown = on_terminal(["build", "--format", "pdf", "records"], folder, NO_COLOR="1")
    assert code == 0, shown
    assert "fact sheets" in shown and "ETA" in shown  # still a progress bar
    assert not COLOUR.search(shown)
    code, shown = on_terminal(["validate", "bad"], folder, NO_COLOR="1")
    assert code == 1
    assert "bad/bad.txt:4: error: infobox line" in shown and "\x1b[" not in shown


def test_errors_are_red_on_a_terminal(folder: Path):
    code, shown = on_terminal(["validate", "bad"], folder)
    assert code == 1
    assert "bad/bad.txt:4: \x1b[31m\x1b[1merror\x1b[0m: infobox line" in shown
