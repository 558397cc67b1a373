"""Stable codes on every diagnostic; `validate --format json|github`; `validate -`; `build --format-report json`."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from pipeline.codes import CODES
from pipeline.diagnostics import Diagnostic
from pipeline.reports import github_line

from .conftest import EPOCH, ROOT, SAMPLE, cli

PIPELINE = ROOT / "pipeline"

BAD_TEXT = "= Border Guard =\n\nInfobox\n- Formed 1991\n\nLead.\n\n=== Deep ===\n\n- item\n   - odd\n"
WARN_TEXT = "= Guard =\n\nInfobox\n- Agencyname: Guard\n- Gendarmerie: maybe\n\nLead.\n"
BAD_JSON = '{"title": "Border Guard",\n "lead": [1, 2,]\n}\n'


def _diagnostic_calls() -> list[tuple[str, int, ast.Call, str]]:
    """Every call in pipeline/ that makes a Diagnostic, directly or through a helper that takes a code."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(PIPELINE.glob("*.py"))}
    forwarding = {"Diagnostic"}
    for tree in trees.values():  # helpers whose `code` parameter is passed on to Diagnostic(...)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names = {a.arg for a in node.args.args + node.args.kwonlyargs}
                makes = any(
                    isinstance(n, ast.Call) and getattr(n.func, "id", None) == "Diagnostic" for n in ast.walk(node)
                )
                if "code" in names and makes:
                    forwarding.add(node.name)
    calls = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in forwarding:
                    calls.append((path.name, node.lineno, node, name))
    return calls


def test_every_diagnostic_made_in_the_pipeline_passes_a_catalogued_code():
    calls = _diagnostic_calls()
    assert len(calls) > 40  # the scan sees the call sites (read, validate, sources, config, build)
    problems = []
    for file, line, node, _name in calls:
        code = next((k.value for k in node.keywords if k.arg == "code"), None)
        if code is None:
            problems.append(f"{file}:{line}: no code=")
        elif isinstance(code, ast.Constant):
            if code.value not in CODES:
                problems.append(f"{file}:{line}: {code.value} is not in pipeline/codes.py")
        elif not isinstance(code, ast.Name) or code.id != "code":  # a helper passing its own parameter on
            problems.append(f"{file}:{line}: code= is neither a literal nor the helper's code parameter")
    assert problems == []


def test_a_diagnostic_without_a_code_cannot_be_made():
    with pytest.raises(TypeError):
        Diagnostic("r.txt", 1, "error", "no code")  # type: ignore[call-arg]


def test_docs_list_exactly_the_catalog():
    text = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    section = text.split("## Diagnostic codes", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(MR\d{3})` \| ([^|]+) \|", section, flags=re.M)
    assert [code for code, _ in rows] == sorted(CODES)
    assert {code: title.strip() for code, title in rows} == CODES


@pytest.fixture
def bad(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "bad.txt").write_text(BAD_TEXT, encoding="utf-8")
    (folder / "bad.json").write_text(BAD_JSON, encoding="utf-8")
    (folder / "warn.txt").write_text(WARN_TEXT, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return folder


def test_json_format_matches_its_schema_and_the_text_form(bad: Path):
    schema = json.loads(cli("schema", "--diagnostics").stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    result = cli("validate", "--format", "json", "r")
    assert result.exit_code == 1
    items = json.loads(result.stdout)
    jsonschema.validate(items, schema)
    text = cli("validate", "r")
    assert text.exit_code == 1
    as_text = [f"{d['file']}:{d['line']}: {d['severity']}: {d['message']}" for d in items]
    assert as_text == text.stderr.splitlines()[:-1]  # the same problems, in the same order
    assert result.stderr.splitlines() == ["1 of 3 records valid"]
    found = {(d["file"], d["line"], d["code"]) for d in items}
    assert ("r/bad.txt", 4, "MR030") in found  # '- Formed 1991'
    assert ("r/warn.txt", 5, "MR035") in found  # 'maybe' is not yes or no
    assert ("r/bad.txt", 8, "MR044") in found  # === after the title
    assert ("r/bad.txt", 11, "MR051") in found  # three spaces
    syntax = next(d for d in items if d["code"] == "MR010")
    assert (syntax["file"], syntax["line"], syntax["column"]) == (
        "r/bad.json",
        2,
        16,
    )  # the closing bracket after a comma
    assert all(d["column"] is None for d in items if d["code"] != "MR010")


def test_json_format_with_no_problems_is_an_empty_array(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "ok.txt").write_text("= Ok =\n\nA lead.\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = cli("validate", "--format", "json", "ok.txt")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


def test_github_format_line_by_line(bad: Path):
    result = cli("validate", "--format", "github", "r")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "::error file=r/bad.json,line=2,col=16,title=MR010 not valid JSON::not valid JSON: Expecting value"
    )
    assert (
        "::error file=r/bad.txt,line=4,title=MR030 malformed infobox line::infobox line has no ': ' between key "
        "and value: 'Formed 1991'; write '- Key: Value'"
    ) in lines
    assert (
        "::warning file=r/warn.txt,line=5,title=MR035 infobox value not in the expected form::infobox "
        "'Gendarmerie': expected yes or no, got 'maybe'; shown as written"
    ) in lines
    assert any(line.startswith("::warning file=r/warn.txt,line=5,title=MR035 ") for line in lines)
    assert len(lines) == len(json.loads(cli("validate", "--format", "json", "r").stdout))


def test_github_escaping():
    tricky = Diagnostic("a,b:c%.txt", 3, "warning", "50% done\r\nnext: line", code="MR035", column=2)
    assert github_line(tricky) == (
        "::warning file=a%2Cb%3Ac%25.txt,line=3,col=2,title=MR035 infobox value not in the expected form"
        "::50%25 done%0D%0Anext: line"
    )
    info = Diagnostic("x.txt", 1, "info", "m", code="MR001")  # "info" (completeness) is a GitHub notice
    assert github_line(info).startswith("::notice file=x.txt,line=1,title=MR001 ")


def test_quiet_leaves_warnings_out_of_every_format(bad: Path):
    for form in ("text", "json", "github"):
        result = cli("validate", "--format", form, "-q", "r")
        assert result.exit_code == 1
        out = result.stdout if form != "text" else result.stderr
        assert "MR071" not in out and "not found in" not in out  # the warning
        assert "Formed 1991" in out  # an error
        assert "records valid" not in result.stderr


def _stdin(data: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", "validate", *args],
        input=data.encode("utf-8"),
        cwd=cwd,
        env={"SOURCE_DATE_EPOCH": EPOCH, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        timeout=60,
    )


def test_validate_reads_one_record_from_stdin(tmp_path: Path):
    bad = _stdin(BAD_TEXT, "-", cwd=tmp_path)
    assert bad.returncode == 1
    lines = bad.stderr.decode().splitlines()
    assert (
        "<stdin>:4: error: infobox line has no ': ' between key and value: 'Formed 1991'; write '- Key: Value'" in lines
    )
    assert lines[-1] == "0 of 1 records valid"
    good = _stdin(SAMPLE.read_text(encoding="utf-8"), "-", "--format", "json", cwd=tmp_path)
    assert good.returncode == 0  # valid: the missing logo is a warning
    found = json.loads(good.stdout)
    [warning] = [d for d in found if d["severity"] == "warning"]
    assert (warning["file"], warning["code"]) == ("<stdin>", "MR071")
    # anything else is the completeness report: advice, never a failure
    assert all((d["severity"], d["code"]) == ("info", "MR036") for d in found if d is not warning)


def test_stdin_as_json_and_with_the_name_it_will_be_saved_as(tmp_path: Path):
    result = _stdin(BAD_JSON, "-", "--stdin-format", "json", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    assert [(d["file"], d["line"], d["code"]) for d in json.loads(result.stdout)] == [("<stdin>", 2, "MR010")]
    by_name = _stdin(BAD_JSON, "-", "--stdin-name", "records/x.json", "--format", "json", cwd=tmp_path)
    assert json.loads(by_name.stdout)[0]["code"] == "MR010"  # a .json name reads it as JSON
    # the media folder of the name given: the sample's logo is found there, so no warning
    (tmp_path / "records" / "media").mkdir(parents=True)
    from PIL import Image

    Image.new("RGB", (40, 40), (31, 58, 95)).save(tmp_path / "records" / "media" / "Police of Tajikistan.png")
    named = _stdin(SAMPLE.read_text(encoding="utf-8"), "-", "--stdin-name", "records/x.txt", cwd=tmp_path)
    lines = [line for line in named.stderr.decode().splitlines() if ": info: " not in line]  # completeness advice
    assert named.returncode == 0 and lines == ["1 of 1 records valid"]


def test_stdin_is_given_alone(tmp_path: Path):
    result = _stdin("", "-", str(SAMPLE), cwd=tmp_path)
    assert result.returncode == 2
    assert "'-' (standard input) is one record: give it alone" in result.stderr.decode()


def test_build_report_json(bad: Path):
    schema = json.loads(cli("schema", "--build-report").stdout)
    result = cli("build", "--format", "pdf", "--format-report", "json", "-o", "out", "r")
    assert result.exit_code == 1  # two records are invalid
    report = json.loads(result.stdout)
    jsonschema.validate(report, schema)
    assert (report["records_built"], report["records_failed"]) == (1, 2)
    status = {r["source"]: r["status"] for r in report["records"]}
    assert status == {"r/bad.txt": "failed", "r/bad.json": "failed", "r/warn.txt": "built"}
    assert "guard.pdf" in report["written"]
    assert all((bad.parent / "out" / name).is_file() for name in report["written"])
    again = json.loads(cli("build", "--format", "pdf", "--format-report", "json", "-o", "out", "r").stdout)
    assert again["written"] == [] and "guard.pdf" in again["unchanged"]
    assert not (bad.parent / "out" / "report.json").exists()  # on standard output only


def test_toml_syntax_errors_have_a_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "ok.txt").write_text("= Ok =\n\nA lead.\n", encoding="utf-8")
    (tmp_path / "r" / "sources.toml").write_text('[defaults]\nlicence = "CC BY-SA 4.0\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = cli("validate", "--format", "json", "r")
    assert result.exit_code == 1
    [problem] = json.loads(result.stdout)
    assert (problem["file"], problem["line"], problem["column"], problem["code"]) == (
        "r/sources.toml",
        2,
        24,
        "MR090",
    )  # the end of the line: no closing quote


def test_stdin_with_strict_makes_warnings_errors(tmp_path: Path):
    result = _stdin(WARN_TEXT, "-", "--strict", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    [problem] = [d for d in json.loads(result.stdout) if d["severity"] != "info"]  # --strict leaves advice alone
    assert (problem["file"], problem["line"], problem["severity"], problem["code"]) == ("<stdin>", 5, "error", "MR035")
    assert _stdin(WARN_TEXT, "-", cwd=tmp_path).returncode == 0


def test_stdin_as_yaml(tmp_path: Path):
    result = _stdin("title: Guard\nlead:\n  - &a x\n", "-", "--stdin-format", "yaml", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    assert [(d["file"], d["line"], d["code"]) for d in json.loads(result.stdout)] == [("<stdin>", 3, "MR017")]
