"""make-report.toml: settings written once, errors at their line, flags winning, `make-report config`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.config import PARAMETERS, LimitSettings, ProjectSettings

from .conftest import SAMPLE, cli, pdf_text


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with records/ holding the sample record, as the working folder."""
    (tmp_path / "records").mkdir()
    shutil.copy(SAMPLE, tmp_path / "records")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(folder: Path, text: str) -> Path:
    path = folder / "make-report.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_settings_from_the_file_reach_the_pdf(project: Path):
    write(project, 'formats = ["pdf"]\nmarking = "RESTRICTED"\npaper = "letter"\noutput = "out"\n')
    result = cli("build")
    assert result.exit_code == 0, result.stderr
    sheet = project / "out" / "tajikistani-internal-troops.pdf"
    assert "RESTRICTED" in pdf_text(sheet)
    from pypdf import PdfReader

    width, height = (float(v) for v in PdfReader(sheet).pages[0].mediabox[2:])
    assert (round(width), round(height)) == (612, 792)  # US Letter
    assert not (project / "out" / "handbook.epub").exists()  # formats = ["pdf"] only


def test_a_flag_wins_over_the_file(project: Path):
    write(project, 'formats = ["pdf"]\nmarking = "RESTRICTED"\n')
    result = cli("build", "--marking", "UNCLASSIFIED")
    assert result.exit_code == 0, result.stderr
    text = pdf_text(project / "output" / "tajikistani-internal-troops.pdf")
    assert "UNCLASSIFIED" in text and "RESTRICTED" not in text


def test_paths_are_relative_to_the_file_not_the_working_folder(project: Path, monkeypatch: pytest.MonkeyPatch):
    config = write(project, 'sources = ["records"]\noutput = "built"\nformats = ["pdf"]\n')
    elsewhere = project / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = cli("--config", config, "build")
    assert result.exit_code == 0, result.stderr
    assert (project / "built" / "tajikistani-internal-troops.pdf").is_file()
    assert not (elsewhere / "built").exists()


def test_unknown_keys_and_wrong_types_are_errors_at_their_line(project: Path):
    write(
        project,
        '# a project\ntitel = "Handbook"\njobs = "4"\npaper = "a5"\n\n[limits]\nmax-bytes = 1000\nstrict = true\n',
    )
    result = cli("build")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines == [
        "make-report.toml:2: error: unknown setting 'titel'; did you mean 'title'? "
        "(docs/config.md lists every setting)",
        "make-report.toml:3: error: 'jobs' = '4': input should be a valid integer; see docs/config.md",
        "make-report.toml:4: error: 'paper' = 'a5': input should be 'a4' or 'letter'; see docs/config.md",
        "make-report.toml:7: error: unknown setting 'max-bytes' in [limits]; did you mean 'max_bytes'? "
        "(docs/config.md lists every setting)",
        "make-report.toml:8: error: unknown setting 'strict' in [limits]; 'strict' is a top-level setting: "
        "move it above the [limits] line (docs/config.md lists every setting)",
    ]
    assert not (project / "output").exists()  # nothing built from a broken project file


def test_toml_syntax_error_and_missing_inputs(project: Path):
    write(project, 'title = "unclosed\n')
    result = cli("validate")
    assert result.exit_code == 2
    assert result.stderr.startswith("make-report.toml:1: error: ")
    assert "fix the TOML syntax" in result.stderr
    write(project, 'sources = ["recs"]\norder = "order.txt"\n')
    result = cli("validate")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "make-report.toml:1: error: 'sources' names 'recs', which does not exist; "
        "paths are relative to the folder of make-report.toml",
        "make-report.toml:2: error: 'order' names 'order.txt', which does not exist; "
        "paths are relative to the folder of make-report.toml",
    ]


def test_a_config_named_with_config_must_exist(project: Path):
    result = cli("--config", "nowhere.toml", "validate")
    assert result.exit_code == 2
    assert "nowhere.toml is not a file" in result.stderr


def test_strict_and_limits_from_the_file_apply_to_validate(project: Path):
    write(project, "[limits]\nmax_bytes = 100\n")
    result = cli("validate")
    assert result.exit_code == 1
    assert "over the limit of 100" in result.stderr
    assert cli("validate", "--max-bytes", "100000").exit_code == 0


def test_config_command_says_where_each_setting_comes_from(project: Path, monkeypatch: pytest.MonkeyPatch):
    write(project, '# team settings\nmarking = "RESTRICTED"\n\npaper = "letter"\n[limits]\nmax_depth = 4\n')
    monkeypatch.setenv("MAKE_REPORT_BUILD_TITLE", "Border handbook")
    result = cli("config", "--paper", "a4", "--jobs", "3")
    assert result.exit_code == 0, result.stderr
    rows = {line.split("#")[0].split("=")[0].strip(): line for line in result.stdout.splitlines()}
    assert rows["marking"].endswith("# make-report.toml:2") and '"RESTRICTED"' in rows["marking"]
    assert rows["paper"].endswith("# command line") and '"a4"' in rows["paper"]
    assert rows["jobs"].endswith("# command line") and "= 3" in rows["jobs"]
    assert rows["title"].endswith("# environment (MAKE_REPORT_BUILD_TITLE)") and "Border handbook" in rows["title"]
    assert rows["max_depth"].endswith("# make-report.toml:6")
    assert rows["output"].endswith("# default")


def test_config_command_output_is_a_project_file(project: Path):
    """What `config` prints can be saved as make-report.toml and gives the same settings."""
    write(project, 'marking = "RESTRICTED"\nformats = ["pdf", "epub"]\n')
    first = cli("config")
    assert first.exit_code == 0, first.stderr
    write(project, first.stdout)
    second = cli("config")
    assert second.exit_code == 0, second.stderr
    values = [line.split("#")[0].strip() for line in second.stdout.splitlines()]
    assert 'marking = "RESTRICTED"' in values and 'formats = ["pdf", "epub"]' in values


def test_every_setting_maps_to_an_option_or_is_documented(project: Path):
    """Each model key is in PARAMETERS and in docs/config.md; no setting is silently ignored."""
    keys = {k for k in ProjectSettings.model_fields if k != "limits"} | {
        f"limits.{k}" for k in LimitSettings.model_fields
    }
    assert keys == set(PARAMETERS)
    docs = (Path(__file__).resolve().parent.parent / "docs" / "config.md").read_text(encoding="utf-8")
    for key in keys:
        assert f"`{key.split('.')[-1]}`" in docs, key


def test_commands_that_do_not_use_the_project_file_ignore_a_broken_one(project: Path):
    write(project, "this is not toml\n")
    result = cli("schema", "--diagnostics")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["type"] == "array"


def test_theme_settings_go_to_the_commands_that_take_them(project: Path):
    """theme and extra_css are paths handed to build's --theme/--extra-css (where this version has them)."""
    from pipeline.cli import build
    from pipeline.config import load

    (project / "theme").mkdir()
    (project / "theme" / "extra.css").write_text("h1 { color: teal }\n", encoding="utf-8")
    path = write(project, 'theme = "theme"\nextra_css = ["theme/extra.css"]\n')
    defaults = load(path).default_map({"build": {"theme", "extra_css"}, "validate": {"strict", "theme"}})
    assert defaults == {"build": {"theme": "theme", "extra_css": ["theme/extra.css"]}}
    result = cli("config")
    assert result.exit_code == 0, result.stderr
    [row] = [line for line in result.stdout.splitlines() if line.startswith("theme = ")]
    if "theme" in {p.name for p in build.params}:
        assert row.endswith("# make-report.toml:1")
    else:
        assert row.endswith("# make-report.toml:1 (not used: build has no --theme)")
    write(project, 'theme = "no-such-theme"\n')
    missing = cli("build")
    assert missing.exit_code == 2
    assert "make-report.toml:1: error: 'theme' names 'no-such-theme', which does not exist" in missing.stderr
