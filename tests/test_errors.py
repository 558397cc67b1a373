"""Each error class ends the command with its exit code and a message for people, never a traceback."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from pipeline import build as build_module
from pipeline.build import BuildResult, Checked
from pipeline.diagnostics import Diagnostic
from pipeline.errors import (
    ConfigurationError,
    InstallationError,
    Interrupted,
    MakeReportError,
    NoRecordsError,
    OutputError,
)
from pipeline.sources import Source
from pipeline.validate import Outcome

from .conftest import SAMPLE, cli


def test_every_error_is_a_make_report_error_with_its_exit_code():
    assert issubclass(OutputError, MakeReportError) and OutputError("x").exit_code == 1
    assert ConfigurationError("x").exit_code == 2 and NoRecordsError("x").exit_code == 2
    assert InstallationError("x").exit_code == 1
    assert Interrupted("x", signal.SIGTERM).exit_code == 143 and Interrupted("x", signal.SIGINT).exit_code == 130


def test_configuration_error_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    result = cli("build", SAMPLE, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "Usage: " in result.stderr and "Error: SOURCE_DATE_EPOCH must be a whole number" in result.stderr
    assert not (tmp_path / "out").exists()


def test_configuration_error_names_its_option(tmp_path: Path):
    result = cli("build", SAMPLE, "-o", tmp_path / "out", "--format", "pdf,docx")
    assert result.exit_code == 2
    assert "Error: Invalid value for --format: unknown format docx; choose from pdf, html, epub, pack" in result.stderr


def test_no_records_error(tmp_path: Path):
    result = cli("validate", tmp_path)
    assert result.exit_code == 2
    assert "Error: no record files (*.txt, *.json, *.yaml, *.yml) found in the given SOURCES" in result.stderr


def test_output_error_is_exit_1_with_error_prefix(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    result = cli("build", SAMPLE, "-o", blocker / "out")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot write to the output folder"), result.stderr


def test_installation_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    def missing() -> Path:
        raise InstallationError("make-report's templates are missing (looked in A and B); reinstall the package")

    monkeypatch.setattr("pipeline.build.templates_dir", missing)
    result = cli("build", SAMPLE, "-o", tmp_path / "out", "--format", "pdf", "--jobs", "1")
    assert result.exit_code == 1, result.stderr
    assert "error: make-report's templates are missing (looked in A and B); reinstall the package" in result.stderr


def test_a_bug_is_an_internal_error_without_traceback(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    def broken(self, arguments):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(build_module.Builder, "run", broken)
    result = cli("build", SAMPLE, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "error: internal error (ZeroDivisionError: division by zero)" in result.stderr
    assert "Please report this" in result.stderr and "Traceback" not in result.stderr
    monkeypatch.setenv("MAKE_REPORT_DEBUG", "1")
    with pytest.raises(AssertionError, match="ZeroDivisionError"):
        cli("build", SAMPLE, "-o", tmp_path / "out")


def test_a_bug_in_another_command_is_caught_too(monkeypatch: pytest.MonkeyPatch):
    def broken(*args, **kwargs):
        raise KeyError("x")

    monkeypatch.setattr("pipeline.cli.check", broken)
    result = cli("validate", SAMPLE)
    assert result.exit_code == 1 and "error: internal error (KeyError: 'x')" in result.stderr


def test_the_command_loads_without_posix_only_modules():
    """fcntl and resource do not exist on Windows: the CLI must not need them to start."""
    code = (
        "import sys; sys.modules['fcntl'] = None; sys.modules['resource'] = None; sys.modules['termios'] = None\n"
        "import pipeline.cli, pipeline.build, pipeline.write, pipeline.render\n"
        "print('loaded')"
    )
    import subprocess
    import sys

    process = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert process.stdout.strip() == "loaded", process.stderr


def _checked(diagnostics: list[Diagnostic]) -> Checked:
    return Checked(Source(Path("r.txt"), "r.txt", "r.txt"), Outcome(None, diagnostics))


def test_strict_is_applied_once_over_every_diagnostic():
    record = Diagnostic("r.txt", 3, "warning", "a record warning")
    refused = Diagnostic("r.txt", 1, "warning", "refused to load 'file:///etc/passwd'")
    result = BuildResult([_checked([record, record])], refused=[refused])
    assert result.diagnostics() == [record, refused]
    assert [d.severity for d in result.diagnostics(strict=True)] == ["error", "error"]


def test_strict_makes_rendering_warnings_fail_the_build(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    original = build_module.Renderer.pdf

    def refusing(self, html, attachments=()):
        data, pages, refused = original(self, html, attachments)
        return data, pages, [*refused, "https://example.org/tracker.png"]

    monkeypatch.setattr(build_module.Renderer, "pdf", refusing)
    record = tmp_path / "clean.txt"
    record.write_text("= Clean Agency =\n\nNo warning here.\n", encoding="utf-8")
    plain = cli("build", record, "-o", tmp_path / "a", "--format", "pdf", "--jobs", "1")
    assert plain.exit_code == 0, plain.stderr
    assert "warning: refused to load 'https://example.org/tracker.png'" in plain.stderr
    strict = cli("build", "--strict", record, "-o", tmp_path / "b", "--format", "pdf", "--jobs", "1")
    assert strict.exit_code == 1, strict.stderr
    assert "error: refused to load 'https://example.org/tracker.png'" in strict.stderr


def test_strict_applies_to_sources_toml_warnings(tmp_path: Path):
    record = tmp_path / "a.txt"
    record.write_text("= Alpha =\n\nText.\n", encoding="utf-8")
    (tmp_path / "sources.toml").write_text('[records."missing.txt"]\nlicence = "CC0"\n', encoding="utf-8")
    plain = cli("validate", record)
    assert plain.exit_code == 0, plain.stderr
    assert 'sources.toml:1: warning: [records."missing.txt"] names no file' in plain.stderr
    strict = cli("validate", "--strict", record)
    assert strict.exit_code == 1, strict.stderr
    assert 'sources.toml:1: error: [records."missing.txt"] names no file' in strict.stderr
