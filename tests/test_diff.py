"""What changed: `make-report diff OLD NEW` and `build --since OLD`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from lxml import html as lxml_html

from pipeline.diff import word_diff

from .conftest import cli, normalise, pdf_text

INTEL = Path(__file__).resolve().parent / "data" / "intel"
V1, V2 = INTEL / "v1", INTEL / "v2"


def test_word_diff_marks_words_and_keeps_both_texts():
    old, new = (
        "In May 2014 it opened a school in Zenda.",
        "In May 2014 it opened a training school in Zenda and Strelsau.",
    )
    words = word_diff(old, new)
    assert [(w.op, w.text) for w in words if w.op != "same"] == [
        ("ins", "training "),
        ("del", "Zenda."),
        ("ins", "Zenda and Strelsau."),
    ]
    assert "".join(w.text for w in words if w.op != "ins") == old
    assert "".join(w.text for w in words if w.op != "del") == new


@pytest.fixture(scope="module")
def old_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("old")
    result = cli("build", V1, "-o", out, "--format", "html")
    assert result.exit_code == 0, result.stderr
    return out


def test_build_keeps_its_validated_records_in_the_manifest(old_build: Path):
    manifest = json.loads((old_build / "manifest.json").read_text(encoding="utf-8"))
    kept = sorted(f["path"] for f in manifest["files"] if f["kind"] == "record")
    assert kept == [
        "records/ruritanian-border-guard.json",
        "records/ruritanian-ministry-of-the-interior.json",
        "records/strelsau-gendarmerie.json",
    ]
    record = json.loads((old_build / kept[0]).read_text(encoding="utf-8"))
    assert record["title"] == "Ruritanian Border Guard" and record["provenance"]["path"].endswith("border-guard.txt")


def check_report(folder: Path) -> None:
    changes = json.loads((folder / "changes.json").read_text(encoding="utf-8"))
    assert changes["added"] == [] and changes["removed"] == [] and changes["unchanged"] == 1
    by_path = {Path(c["path"]).name: c for c in changes["changed"]}
    assert set(by_path) == {"border-guard.txt", "gendarmerie.txt"}
    renamed = by_path["gendarmerie.txt"]
    assert renamed["renamed"] and (renamed["old_title"], renamed["new_title"]) == (
        "Strelsau Gendarmerie",
        "Strelsau City Gendarmerie",
    )
    guard = by_path["border-guard.txt"]
    assert not guard["renamed"]
    assert [(f["key"], f["change"], f["old"], f["new"]) for f in guard["fields"]] == [
        ("Headquarters", "changed", "Strelsau", "Zenda"),
        ("Commander1", "changed", "Colonel Rudolf Rassendyll", "Colonel Michael Elphberg"),
        ("Commander2", "removed", "Major Sapt", None),
    ]
    assert [(s["title"], s["change"]) for s in guard["sections"]] == [("Equipment", "added"), ("Units", "moved")]
    texts = [(t["section"], t["change"], t["old"], t["new"]) for t in guard["texts"]]
    assert texts == [
        ("Units", "changed", "River flotilla, formed in 1962", "River flotilla, formed in 1963"),
        ("Units", "added", None, "Lake patrol"),
        (
            "Training",
            "changed",
            "In May 2014 it opened a school in Zenda. Officers of the Strelsau Gendarmerie attend its courses.",
            "In May 2014 it opened a training school in Zenda and Strelsau. Officers of the Strelsau Gendarmerie "
            "attend its courses.",
        ),
        ("Equipment", "added", None, "The Guard uses patrol boats built in 2019."),
    ]
    page = lxml_html.fromstring((folder / "changes.html").read_bytes())
    assert [e.text_content() for e in page.iter("ins")][:2] == ["Zenda", "Colonel Michael Elphberg"]
    assert "Strelsau" in [e.text_content() for e in page.iter("del")]
    text = normalise(pdf_text(folder / "changes.pdf"))
    for marked in ("−Strelsau→+Zenda", "+training", "−1962+1963", "+StrelsauCityGendarmerie", "+LakePatrol"):
        assert normalise(marked).casefold() in text.casefold(), marked


def test_diff_of_a_build_and_a_records_folder(old_build: Path, tmp_path: Path):
    result = cli("diff", old_build, V2, "-o", tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "0 added, 0 removed, 1 renamed, 2 changed, 1 unchanged" in result.stderr
    check_report(tmp_path)


def test_diff_of_two_builds_writes_into_new(old_build: Path, tmp_path: Path):
    new = tmp_path / "new"
    assert cli("build", V2, "-o", new, "--format", "html").exit_code == 0
    result = cli("diff", old_build, new)
    assert result.exit_code == 0, result.stderr
    check_report(new)


def test_build_since_writes_the_report_beside_the_build_even_into_the_old_folder(old_build: Path, tmp_path: Path):
    out = tmp_path / "out"
    shutil.copytree(old_build, out)
    result = cli("build", V2, "-o", out, "--format", "html", "--since", out)
    assert result.exit_code == 0, result.stderr
    check_report(out)


def test_same_records_no_change(old_build: Path, tmp_path: Path):
    result = cli("diff", old_build, V1, "-o", tmp_path)
    assert result.exit_code == 0, result.stderr
    changes = json.loads((tmp_path / "changes.json").read_text(encoding="utf-8"))
    assert (changes["added"], changes["removed"], changes["changed"], changes["unchanged"]) == ([], [], [], 3)
    assert "No record was added, removed or changed." in pdf_text(tmp_path / "changes.pdf")


def test_diff_needs_an_output_folder_for_a_records_folder(old_build: Path):
    result = cli("diff", old_build, V2)
    assert result.exit_code == 2
    assert "is a records folder; name the folder for the report with -o DIR" in result.stderr
    assert "Traceback" not in result.stderr


def test_diff_of_a_folder_with_no_records(tmp_path: Path, old_build: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = cli("diff", empty, old_build)
    assert result.exit_code == 1
    assert "holds neither a make-report build (manifest.json) nor record files" in result.stderr


def test_diff_of_a_build_with_a_broken_kept_record(tmp_path: Path, old_build: Path):
    broken = tmp_path / "broken"
    shutil.copytree(old_build, broken)
    (broken / "records" / "strelsau-gendarmerie.json").write_text("{", encoding="utf-8")
    result = cli("diff", broken, old_build)
    assert result.exit_code == 1
    assert "strelsau-gendarmerie.json: cannot read this kept record" in result.stderr
