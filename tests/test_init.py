"""`make-report init`: a working project in one command, never over existing files."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from pipeline.config import LimitSettings, ProjectSettings

from .conftest import cli, pdf_text, run_command

FILES = [
    "make-report.toml",
    ".gitignore",
    "records/sources.toml",
    "records/tajikistani-internal-troops.txt",
]


def test_init_then_build_from_inside_the_project(tmp_path: Path):
    """The README's first example, as a shell runs it: `make-report init demo && cd demo && make-report build`."""
    made = run_command("init", "demo", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    demo = tmp_path / "demo"
    assert sorted(p.relative_to(demo).as_posix() for p in demo.rglob("*") if p.is_file()) == sorted(FILES)
    assert made.stderr.splitlines()[-1] == "next: cd demo && make-report build"
    built = run_command("build", cwd=demo, timeout=300)
    assert built.returncode == 0, built.stderr
    assert "warning" not in built.stderr  # the starter record is clean
    sheet = demo / "output" / "tajikistani-internal-troops.pdf"
    text = pdf_text(sheet)
    assert "Tajikistani Internal Troops" in text
    assert "CC BY-SA 4.0" in text  # the credit from records/sources.toml reaches the sheet
    for name in ("handbook.epub", "briefing.pdf", "manifest.json", "handbook/index.xhtml"):
        assert (demo / "output" / name).is_file(), name
    assert (demo / ".gitignore").read_text() == "output/\n"


def test_the_project_file_names_every_setting_commented():
    from pipeline.config import commented_template

    text = commented_template()
    assert tomllib.loads(text) == {"limits": {}}  # every setting commented out: defaults apply
    for key in [k for k in ProjectSettings.model_fields if k != "limits"] + list(LimitSettings.model_fields):
        assert f"\n# {key} = " in text, key
    # uncommenting every line gives a valid project file with the documented defaults
    uncommented = "\n".join(line[2:] if line.startswith("# ") and " = " in line else line for line in text.splitlines())
    settings = ProjectSettings.model_validate(tomllib.loads(uncommented))
    assert settings.paper == "a4" and settings.limits.max_depth == 8 and settings.limits.max_bytes == 4 * 1024 * 1024


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "records").mkdir()
    (tmp_path / "records" / "sources.toml").write_text("# ours\n")
    (tmp_path / ".gitignore").write_text("*.pyc\n")
    result = cli("init")
    assert result.exit_code == 2
    assert ".gitignore, records/sources.toml already there; init writes nothing over existing files" in result.stderr
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        ".gitignore",
        "records",
        "records/sources.toml",
    ]
    assert (tmp_path / "records" / "sources.toml").read_text() == "# ours\n"


def test_init_here_and_quiet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    result = cli("init", "-q")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert all((tmp_path / name).is_file() for name in FILES)
    again = cli("init")
    assert again.exit_code == 2 and "make-report.toml" in again.stderr
