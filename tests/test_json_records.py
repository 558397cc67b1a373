"""Records authored as JSON lose nothing and get every check a text record gets (issue 7, case 5)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from lxml import etree

from .conftest import SAMPLE, TEST_RECORDS, cli

XHTML = "{http://www.w3.org/1999/xhtml}"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_authored_lang_and_native_name_reach_the_outputs(tmp_path: Path):
    record = _write(
        tmp_path / "lang.json",
        json.dumps(
            {
                "title": "Authored Language",
                "lang": "fr",
                "native_name": {"text": "Nom authentique"},
                "lead": [{"kind": "paragraph", "text": "Texte écrit en français."}],
            }
        ),
    )
    out = tmp_path / "out"
    result = cli("build", record, "-o", out, "--format", "pdf,html")
    assert result.exit_code == 0, result.stderr
    chapter = etree.parse(str(out / "handbook" / "authored-language.xhtml")).getroot()
    assert chapter.get("lang") == "fr"
    native = chapter.find(f".//{XHTML}p[@class='native-name']")
    assert native is not None and native.text == "Nom authentique"
    info = subprocess.run(["pdfinfo", out / "authored-language.pdf"], capture_output=True, text=True).stdout
    text = subprocess.run(["pdftotext", out / "authored-language.pdf", "-"], capture_output=True, text=True).stdout
    assert "Nom authentique" in text
    from pikepdf import Pdf

    with Pdf.open(out / "authored-language.pdf") as pdf:
        assert str(pdf.Root.Lang) == "fr", info


def test_fields_that_are_worked_out_are_errors_naming_them(tmp_path: Path):
    record = _write(
        tmp_path / "profile.json",
        '{"title": "Typed",\n'
        ' "infobox": {"template": "x",\n'
        '   "profile": "law enforcement agency",\n'
        '   "image": {"text": "File:../canary.png", "file": "../canary.png"},\n'
        '   "fields": [{"key": "Country", "value": "A"}]},\n'
        ' "colour": "red"\n}\n',
    )
    result = cli("validate", record)
    assert result.exit_code == 1
    assert f"{record}:3: error: infobox.profile: 'profile' is not a field of a record" in result.stderr
    assert f"{record}:4: error: infobox.image: 'image' is not a field of a record" in result.stderr
    assert f"{record}:6: error: colour: 'colour' is not a field of a record" in result.stderr
    assert "Traceback" not in result.stderr


def test_escaped_control_characters_are_rejected_at_their_line(tmp_path: Path):
    record = _write(
        tmp_path / "nul.json",
        '{"title": "Nul",\n "lead": [\n  {"kind": "paragraph", "text": "ok"},\n'
        '  {"kind": "paragraph", "text": "bad \\u0000 here"}],\n'
        ' "infobox": {"fields": [{"key": "K\\u001b", "value": "v"}]}\n}\n',
    )
    out = tmp_path / "out"
    result = cli("build", record, "-o", out, "--format", "html")
    assert result.exit_code == 1
    assert f"{record}:4: error: forbidden character U+0000 (NUL) in lead.1.text" in result.stderr
    assert f"{record}:5: error: forbidden character U+001B (ESC) in infobox.fields.0.key" in result.stderr
    assert not (out / "handbook").exists()


def test_duplicate_keys_are_errors(tmp_path: Path):
    record = _write(
        tmp_path / "dup.json",
        '{"title": "First",\n "infobox": {"fields": [\n  {"key": "Country", "value": "A"},\n'
        '  {"key": "COUNTRY", "value": "B"}]},\n "title": "Second"\n}\n',
    )
    result = cli("validate", record)
    assert result.exit_code == 1
    assert f"{record}:4: error: duplicate infobox key 'COUNTRY' (first given at line 3)" in result.stderr
    assert f"{record}:5: error: duplicate key 'title' in the record (first given at line 1)" in result.stderr


def test_errors_name_the_line_of_the_field_at_fault(tmp_path: Path):
    record = _write(
        tmp_path / "lines.json",
        '{"title": "Lines",\n "infobox": {"template": "law enforcement agency", "fields": [\n'
        '  {"key": "Agencyname", "value": "A"},\n  {"key": "Police", "value": "maybe"},\n'
        '  {"key": "Gendarmerie", "value": 7}]},\n'
        ' "sections": [{"title": "A", "level": 2},\n  {"title": "B", "level": 4}]\n}\n',
    )
    result = cli("validate", record)
    assert f"{record}:5: error: infobox.fields.2.value: Input should be a valid string" in result.stderr
    record.write_text(record.read_text().replace('"value": 7', '"value": "7"'))
    result = cli("validate", record)
    assert result.exit_code == 0, result.stderr
    assert f"{record}:4: warning: infobox 'Police': expected yes or no" in result.stderr
    assert f"{record}:5: warning: infobox 'Gendarmerie': expected yes or no" in result.stderr
    assert f"{record}:7: warning: heading skips a level" in result.stderr


def test_huge_number_is_an_error_not_a_traceback(tmp_path: Path):
    record = _write(tmp_path / "big.json", '{"title": "Big",\n "lead": ' + "9" * 5000 + "}\n")
    result = cli("validate", record)
    assert result.exit_code == 1
    assert f"{record}:2: error: a number with more than 4,300 digits" in result.stderr


def test_model_dump_of_a_validated_article_reads_back():
    from pipeline.read import read_record
    from pipeline.validate import validate
    from schemas import Article

    article = validate(read_record(SAMPLE)).article
    assert Article.model_validate(article.model_dump()) == article
    assert Article.model_validate_json(article.model_dump_json()) == article


def _without_provenance(xhtml: Path) -> bytes:
    tree = etree.parse(str(xhtml))
    for footer in tree.getroot().iter(f"{XHTML}footer"):
        footer.getparent().remove(footer)
    return etree.tostring(tree, encoding="utf-8")


def _pdf_text(pdf: Path, source: str) -> str:
    text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True, check=True).stdout
    return "\n".join(line for line in text.splitlines() if source not in line and "sha256" not in line)


def test_exported_record_builds_the_same_outputs(tmp_path: Path):
    """A text record and its JSON export give the same fact sheet and chapter, provenance aside."""
    for name, source in (("sample", SAMPLE), ("coastal", TEST_RECORDS / "coastal-guard-unit.txt")):
        text_dir, json_dir = tmp_path / name / "text", tmp_path / name / "json"
        text_dir.mkdir(parents=True)
        json_dir.mkdir(parents=True)
        shutil.copy(source, text_dir / "record.txt")
        exported = cli("export", text_dir / "record.txt")
        assert exported.exit_code == 0, exported.stderr
        (json_dir / "record.json").write_text(exported.stdout, encoding="utf-8")
        again = cli("export", json_dir / "record.json")
        assert again.stdout == exported.stdout  # the export is a fixed point
        outputs = {}
        for folder in (text_dir, json_dir):
            out = folder / "out"
            # The chronology's Line column names lines of each source file: provenance, like the path.
            result = cli("build", folder, "-o", out, "--format", "pdf,html", "--no-chronology")
            assert result.exit_code == 0, result.stderr
            [pdf] = out.glob("*.pdf")
            chapters = sorted((out / "handbook").glob("*.xhtml"))
            [chapter] = [
                c for c in chapters if c.name not in ("index.xhtml", "nav.xhtml", "chronology.xhtml", "names.xhtml")
            ]
            outputs[folder] = (
                pdf.name,
                re.sub(r"\s+", " ", _pdf_text(pdf, folder.name + "/record")),
                _without_provenance(chapter),
            )
        assert outputs[text_dir] == outputs[json_dir], name


def test_export_of_an_invalid_record_says_why_and_prints_nothing(tmp_path: Path):
    record = _write(tmp_path / "bad.txt", "= =\n\nText.\n")
    result = cli("export", record)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"{record}:1: error: title is empty" in result.stderr
