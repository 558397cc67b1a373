"""Readers by suffix: YAML records get the authored model and every check text and JSON records get."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from pipeline.read import READERS, RECORD_SUFFIXES, JsonReader, TextReader, YamlReader, read_record, reader_for
from pipeline.sources import discover

from .conftest import SAMPLE, cli


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _errors(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if ": error: " in line]


def test_one_registry_names_every_suffix_discovery_finds(tmp_path: Path):
    assert RECORD_SUFFIXES == tuple(READERS) == (".txt", ".json", ".yaml", ".yml")
    assert reader_for(Path("a.YAML")) is YamlReader and reader_for(Path("a.json")) is JsonReader
    assert reader_for(Path("notes.md")) is TextReader  # a file named on the command line is read as text
    for name in ("a.txt", "b.json", "c.yaml", "d.yml", "e.md", "media/f.yaml"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    assert [s.path.name for s in discover([tmp_path])] == ["a.txt", "b.json", "c.yaml", "d.yml"]
    empty = tmp_path / "empty"
    empty.mkdir()
    result = cli("validate", empty)
    assert result.exit_code == 2
    assert "no record files (*.txt, *.json, *.yaml, *.yml) found in the given SOURCES" in result.stderr


def test_yaml_record_reads_to_the_same_record_as_its_text(tmp_path: Path):
    exported = cli("export", SAMPLE)
    assert exported.exit_code == 0, exported.stderr
    buffer = io.StringIO()
    YAML().dump(json.loads(exported.stdout), buffer)
    record = _write(tmp_path / SAMPLE.name.replace(".txt", ".yaml"), buffer.getvalue())
    (tmp_path / "sources.toml").write_bytes((SAMPLE.parent / "sources.toml").read_bytes())
    again = cli("export", record)
    assert again.exit_code == 0, again.stderr
    assert again.stdout == exported.stdout


def test_export_yaml_reads_back_to_the_same_record(tmp_path: Path):
    exported = cli("export", SAMPLE)
    as_yaml = cli("export", "--yaml", SAMPLE)
    assert as_yaml.exit_code == 0, as_yaml.stderr
    assert as_yaml.stdout.startswith("title: Tajikistani Internal Troops\n")
    record = _write(tmp_path / "sample.yaml", as_yaml.stdout)
    (tmp_path / "sources.toml").write_bytes((SAMPLE.parent / "sources.toml").read_bytes())
    again = cli("export", record)
    assert again.exit_code == 0, again.stderr
    assert again.stdout == exported.stdout


def test_yaml_values_stay_as_written(tmp_path: Path):
    """No timestamp, number or YAML 1.1 boolean is turned into something else where text is expected."""
    record = _write(
        tmp_path / "values.yaml",
        "title: 1990\n"
        "infobox:\n"
        "  fields:\n"
        "    - {key: Formed, value: 2023-01-01}\n"
        "    - {key: Employees, value: 0012}\n"
        "    - {key: Police, value: yes}\n"
        "    - {key: Motto, value: 1.50}\n"
        "sections:\n"
        "  - title: History\n"
        "    level: 2\n"
        "    blocks:\n"
        "      - kind: list\n"
        "        ordered: true\n"
        "        items: [{text: on}, {text: null thing}]\n",
    )
    result = cli("export", record)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["title"] == "1990"
    assert [f["value"] for f in data["infobox"]["fields"]] == ["2023-01-01", "0012", "yes", "1.50"]
    assert data["sections"][0]["level"] == 2 and data["sections"][0]["blocks"][0]["ordered"] is True
    assert [i["text"] for i in data["sections"][0]["blocks"][0]["items"]] == ["on", "null thing"]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("title: A\nlead: &x [{kind: paragraph, text: a}]\nsections: *x\n", 2, "an anchor (&x)"),
        ("title: !!python/object/apply:os.system ['touch /tmp/pwned']\n", 1, "a YAML tag (tag:yaml.org,2002:python"),
        ("title: A\nlead: !custom []\n", 2, "a YAML tag (!custom)"),
        ("title: A\n---\ntitle: B\n", 2, "a second YAML document"),
        ("title: A\nlead: [\n", 3, "not valid YAML"),
        ("title: A\ntitle: B\n", 2, "duplicate key 'title' in the record (first given at line 1)"),
        ('title: A\nlead:\n  - kind: paragraph\n    text: "bell \\a"\n', 4, "forbidden character U+0007"),
        ("title: A\nprovenance: {path: x}\n", 2, "'provenance' is not a field of a record (it is taken from the file"),
        ("title: A\nsections:\n  - title: S\n    level: deep\n", 4, "sections.0.level"),
        ("- title: A\n", 1, "a YAML record is a mapping of fields"),
        ("title: A\nlead: [{kind: paragraph, text: a\x01}]\n", 2, "forbidden character U+0001"),
    ],
)
def test_yaml_problems_are_errors_at_their_line(tmp_path: Path, text: str, line: int, message: str):
    record = _write(tmp_path / "bad.yaml", text)
    result = cli("validate", record)
    assert result.exit_code == 1, result.stderr
    assert "Traceback" not in result.stderr
    errors = _errors(result)
    assert any(e.startswith(f"{record}:{line}: error: ") and message in e for e in errors), result.stderr
    assert not Path("/tmp/pwned").exists()


def test_billion_laughs_is_refused_at_once(tmp_path: Path):
    lines = ["title: A", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
    record = _write(tmp_path / "laughs.yaml", "\n".join(lines) + "\n")
    started = time.process_time()
    raw = read_record(record)
    assert time.process_time() - started < 5  # a bound, not a timing claim: expanding it would never end
    assert [(d.line, d.message.split(";")[0]) for d in raw.diagnostics] == [(2, "an anchor (&a)")]


def test_yaml_size_limit_is_the_one_guard(tmp_path: Path):
    record = _write(tmp_path / "big.yaml", "title: A\nlead: [{kind: paragraph, text: " + "x" * 200 + "}]\n")
    result = cli("validate", "--max-bytes", "100", record)
    assert result.exit_code == 1
    size = record.stat().st_size
    expected = f"{record}:1: error: file is {size:,} bytes, over the limit of 100; split the record or raise"
    assert expected in result.stderr


def test_yaml_gets_the_text_checks_after_reading(tmp_path: Path):
    """Bidi controls warn, and --strict makes the warning an error, at the paragraph's line (as in JSON)."""
    record = _write(tmp_path / "bidi.yaml", "title: A\nlead:\n  - kind: paragraph\n    text: 'x\u202ey'\n")
    result = cli("validate", record)
    assert result.exit_code == 0, result.stderr
    assert f"{record}:3: warning: invisible characters that change how the text reads" in result.stderr
    strict = cli("validate", "--strict", record)
    assert strict.exit_code == 1
    assert f"{record}:3: error: invisible characters" in strict.stderr


def test_yaml_record_builds(tmp_path: Path):
    record = _write(
        tmp_path / "agency.yml",
        "title: Border Service\nlead:\n  - kind: paragraph\n    text: Guards the border since 1990.\n",
    )
    out = tmp_path / "out"
    result = cli("build", record, "-o", out, "--format", "pdf")
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [r["title"] for r in manifest["records"]] == ["Border Service"]
    assert (out / "border-service.pdf").is_file()
