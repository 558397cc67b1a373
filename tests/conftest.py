"""Shared helpers: run the command as a user would, read PDFs as a user would."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "records"
SAMPLE = RECORDS / "tajikistani-internal-troops.txt"
TEST_RECORDS = Path(__file__).resolve().parent / "data" / "records"
INTEL = Path(__file__).resolve().parent / "data" / "intel" / "v1"  # records that name each other
EPOCH = "1764028800"  # 2025-11-25T00:00:00Z


@pytest.fixture(autouse=True)
def _reproducible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def cli(*args: str | Path) -> Result:
    """Run make-report in-process; exceptions are not swallowed into a pass."""
    from pipeline.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"make-report raised {result.exception!r}\n{result.stderr}") from result.exception
    return result


def run_command(*args: str | Path, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run make-report in a child process, exactly as from a shell.

    The timeout only catches a hang: a loaded 2-core machine can take minutes for a batch.
    """
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH)
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *[str(a) for a in args]],
        cwd=cwd or ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def normalise(text: str) -> str:
    """Drop whitespace and hyphens, so line breaks and hyphenation do not matter."""
    return re.sub(r"[\s\u00ad\u2010\u2011-]+", "", text)


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def article_strings(article) -> list[str]:
    """Every string of an article a reader must find in an output: title, infobox, text, items."""
    strings = [article.title] + [f.value for f in (article.infobox.fields if article.infobox else [])]

    def blocks(items):
        for block in items:
            if block.kind == "paragraph":
                strings.append(block.text)
            else:
                for item in block.items:
                    strings.append(item.text)
                    blocks(item.children)

    blocks(article.lead)
    for section in article.sections:
        strings.append(section.title)
        blocks(section.blocks)
    return [s for s in strings if s]


def source_strings(path: Path) -> list[str]:
    """The strings of a record file, read and validated as the build does."""
    from pipeline.read import read_record
    from pipeline.validate import validate

    article = validate(read_record(path)).article
    assert article is not None
    return article_strings(article)


@contextlib.contextmanager
def epoch(value: str = EPOCH) -> Iterator[None]:
    """SOURCE_DATE_EPOCH set for a block, then restored (for module and session fixtures: no monkeypatch there)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", value)
        yield


def _build_once(out: Path, *args: str | Path) -> Path:
    """A build for fixtures shared across tests, run before any test's own environment is set."""
    with epoch():
        result = cli("build", *args, "-o", out)
    assert result.exit_code == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One full build of the sample and the test records, shared by the read-only tests."""
    out = tmp_path_factory.mktemp("built")
    return _build_once(out, RECORDS, TEST_RECORDS, "--single-file", "--marking", "UNCLASSIFIED")


@pytest.fixture(scope="session")
def intel_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The records that name and date each other (issue 13) with the sample, every format, built once."""
    return _build_once(tmp_path_factory.mktemp("intel"), INTEL, SAMPLE, "--format", "pdf,html,epub,pack")
