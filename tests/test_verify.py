"""`make-report verify`: does each PDF still match the source records it carries?"""

from __future__ import annotations

import shutil
from pathlib import Path

import pikepdf
import pytest

from tests.conftest import RECORDS, TEST_RECORDS, cli, run_command

SHEET = "tajikistani-internal-troops.pdf"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working folder with records/ and a fresh build in output/ (PDFs only, to be quick)."""
    root = tmp_path_factory.mktemp("verify")
    shutil.copytree(RECORDS, root / "records")
    shutil.copy(TEST_RECORDS / "gulf-maritime-police.txt", root / "records")
    result = run_command("build", "records", "-o", "output", "--format", "pdf,pack", cwd=root)
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture
def copy(project: Path, tmp_path: Path) -> Path:
    """A copy of the project that a test may change."""
    shutil.copytree(project, tmp_path / "p")
    return tmp_path / "p"


def test_fresh_build_matches(project: Path) -> None:
    result = run_command("verify", "output", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "output/briefing.pdf: ok: matches records/gulf-maritime-police.txt, records/tajikistani-internal-troops.txt",
        "output/gulf-maritime-police.pdf: ok: matches records/gulf-maritime-police.txt",
        f"output/{SHEET}: ok: matches records/tajikistani-internal-troops.txt",
    ]
    assert result.stderr == "3 of 3 PDFs match their sources\n"


def test_edited_record_fails(copy: Path) -> None:
    record = copy / "records" / "tajikistani-internal-troops.txt"
    record.write_bytes(record.read_bytes().replace(b"Dushanbe", b"Khujand", 1))
    result = run_command("verify", f"output/{SHEET}", "output/gulf-maritime-police.pdf", cwd=copy)
    assert result.returncode == 1
    assert f"output/{SHEET}: error: source record records/tajikistani-internal-troops.txt has changed since" in (
        result.stderr
    )
    assert "build the PDF again" in result.stderr
    assert result.stdout == "output/gulf-maritime-police.pdf: ok: matches records/gulf-maritime-police.txt\n"


def test_missing_record_fails_and_records_option_finds_it(copy: Path, tmp_path: Path) -> None:
    moved = tmp_path / "archive"
    shutil.move(copy / "records", moved)
    result = run_command("verify", f"output/{SHEET}", cwd=copy)
    assert result.returncode == 1
    assert "source record records/tajikistani-internal-troops.txt cannot be read" in result.stderr
    assert "--records FOLDER" in result.stderr
    result = run_command("verify", f"output/{SHEET}", "--records", moved, cwd=copy)
    assert result.returncode == 0, result.stderr


def test_pdf_without_attachments_fails(copy: Path) -> None:
    from weasyprint import HTML

    HTML(string="<p>plain</p>").write_pdf(copy / "output" / "plain.pdf")
    result = run_command("verify", "output/plain.pdf", cwd=copy)
    assert result.returncode == 1
    assert result.stderr.startswith("output/plain.pdf: error: carries no make-report-provenance.json attachment")


def test_altered_embedded_copy_fails(copy: Path) -> None:
    path = copy / "output" / SHEET
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        spec = pdf.attachments["tajikistani-internal-troops.txt"]
        stream = spec.obj.EF.F
        stream.write(stream.read_bytes() + b"extra line\n")
        pdf.save(path)
    result = run_command("verify", path, cwd=copy)
    assert result.returncode == 1
    assert "the embedded copy of records/tajikistani-internal-troops.txt does not have its recorded sha256" in (
        result.stderr
    )


def test_not_a_pdf_and_usage(copy: Path) -> None:
    (copy / "output" / "broken.pdf").write_bytes(b"not a pdf")
    result = run_command("verify", "output/broken.pdf", cwd=copy)
    assert result.returncode == 1
    assert result.stderr.startswith("output/broken.pdf: error: cannot read it as a PDF")
    assert "Traceback" not in result.stderr
    assert cli("verify").exit_code == 2
    empty = copy / "empty"
    empty.mkdir()
    result = cli("verify", empty)
    assert result.exit_code == 2 and "no PDF files found" in result.stderr
