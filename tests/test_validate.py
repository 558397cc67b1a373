"""`make-report validate`: every problem, with its file and line, and the right exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import SAMPLE, cli, run_command

CASES = {
    "no title": (b"Just text, no title.\n\n== Role ==\n- x\n", 1, "no title"),
    "infobox without colon": (b"= T =\n\nInfobox\n- Country Tajikistan\n\nText.\n", 4, "no ': ' between key and value"),
    "infobox not a dash line": (b"= T =\n\nInfobox\nCountry: Tajikistan\n\nText.\n", 4, "must be '- Key: Value'"),
    "duplicate infobox key": (b"= T =\n\nInfobox\n- Country: A\n- country: B\n\nText.\n", 5, "duplicate infobox key"),
    "unbalanced heading": (b"= T =\n\nText.\n\n==Role=\nMore.\n", 5, "unbalanced heading"),
    "not utf-8": (b"= T =\n\nLine two\nBad \xff byte here\n", 4, "not UTF-8"),
    "empty file": (b"", 1, "file is empty"),
    "whitespace only": (b"  \n\n\t\n", 1, "only blank lines"),
    "list deeper than parent": (b"= T =\n\n- a\n    - too deep\n", 4, "nested deeper than its parent"),
    "list first item indented": (b"= T =\n\n  - orphan\n", 3, "nested deeper than its parent"),
}


@pytest.mark.parametrize("name", CASES)
def test_each_error_names_file_and_line(tmp_path: Path, name: str):
    data, line, message = CASES[name]
    record = tmp_path / "record.txt"
    record.write_bytes(data)
    result = cli("validate", record)
    assert result.exit_code == 1, result.stderr
    assert f"{record}:{line}: error: " in result.stderr
    error_line = next(x for x in result.stderr.splitlines() if f":{line}: error: " in x)
    assert message in error_line
    assert "Traceback" not in result.stderr


def test_all_problems_of_a_file_at_once(tmp_path: Path):
    record = tmp_path / "many.txt"
    record.write_bytes(b"= T =\n\nInfobox\n- A: 1\n- A: 2\n- nocolon\n\n==Bad=\n\n- a\n     - odd\n\xfe\n")
    result = cli("validate", record)
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert [int(line.split(":")[1]) for line in lines] == [5, 6, 8, 11, 11, 12]


def test_sample_is_valid_with_one_warning():
    result = cli("validate", SAMPLE)
    assert result.exit_code == 0
    warnings = [line for line in result.stderr.splitlines() if ": warning: " in line]
    label = SAMPLE.relative_to(Path.cwd()) if SAMPLE.is_relative_to(Path.cwd()) else SAMPLE
    assert warnings == [
        f"{label}:6: warning: infobox 'Logo': image 'Police of Tajikistan.png' not found in "
        f"{label.parent}/media/; no image is shown"
    ]
    assert "1 of 1 records valid" in result.stderr


def test_strict_turns_warnings_into_errors():
    result = cli("validate", "--strict", SAMPLE)
    assert result.exit_code == 1
    assert ":6: error: infobox 'Logo'" in result.stderr


def test_typed_values_that_do_not_parse_warn(tmp_path: Path):
    record = tmp_path / "agency.txt"
    record.write_text(
        "= Agency =\n\nInfobox law enforcement agency\n- Agencyname: Agency\n- Police: sometimes\n"
        "- Anniversary1: Smarch 45\n- Employees: lots\n- Formed: long ago\n\nText.\n",
        encoding="utf-8",
    )
    result = cli("validate", record)
    assert result.exit_code == 0, result.stderr
    for line, text in [
        (5, "expected yes or no"),
        (6, "expected a day of the year"),
        (7, "expected a number"),
        (8, "expected a year or a date"),
    ]:
        assert f"{record}:{line}: warning: " in result.stderr and text in result.stderr


def test_folder_reports_every_file_and_exits_1(tmp_path: Path):
    (tmp_path / "good.txt").write_bytes(SAMPLE.read_bytes())
    (tmp_path / "bad.txt").write_bytes(b"no title\n")
    result = cli("validate", tmp_path)
    assert result.exit_code == 1
    assert "bad.txt:1: error: no title" in result.stderr
    assert "1 of 2 records valid" in result.stderr


def test_usage_errors_exit_2(tmp_path: Path):
    assert cli("validate", tmp_path / "missing.txt").exit_code == 2
    assert cli("build", SAMPLE, "--format", "docx", "-o", tmp_path).exit_code == 2
    assert cli("build", SAMPLE, "--paper", "a3", "-o", tmp_path).exit_code == 2
    empty = tmp_path / "empty-folder"
    empty.mkdir()
    result = cli("validate", empty)
    assert result.exit_code == 2 and "no record files" in result.stderr


def test_no_traceback_from_a_real_process(tmp_path: Path):
    record = tmp_path / "bad.txt"
    record.write_bytes(b"\x00\xff\xfe")
    process = run_command("validate", record)
    assert process.returncode == 1
    assert f"{record}:1: error:" in process.stderr
    assert "Traceback" not in process.stderr


def test_json_record_is_checked_like_text(tmp_path: Path):
    record = tmp_path / "agency.json"
    record.write_text(
        '{\n  "title": "Authored Agency",\n  "infobox": {"template": "law enforcement agency", "fields": [\n'
        '    {"key": "Agencyname", "value": "Authored Agency", "line": 4},\n'
        '    {"key": "Police", "value": "maybe", "line": 5}]},\n'
        '  "sections": [{"title": "Units", "level": 2, "blocks": [{"kind": "list", "items": [{"text": "One"}]}]}]\n}\n',
        encoding="utf-8",
    )
    result = cli("validate", record)
    assert result.exit_code == 0, result.stderr
    assert f"{record}:5: warning: infobox 'Police': expected yes or no" in result.stderr
    out = tmp_path / "out"
    assert cli("build", record, "-o", out, "--format", "pdf").exit_code == 0
    from .conftest import pdf_text

    assert "Authored Agency" in pdf_text(out / "authored-agency.pdf") and "One" in pdf_text(out / "authored-agency.pdf")


def test_json_record_errors_name_lines(tmp_path: Path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"title": "X",\n "sections": [{"level": 9, "title": "S"}]\n}\n', encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text('{"title": "X",\n "lead": [\n', encoding="utf-8")
    result = cli("validate", bad, broken)
    assert result.exit_code == 1
    assert f"{bad}:2: error: sections.0.level: Input should be less than or equal to 6" in result.stderr
    assert f"{broken}:3: error: not valid JSON" in result.stderr
