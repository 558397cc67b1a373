"""`pip install .` into a fresh virtual environment gives a working make-report."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pypdf import PdfReader

from .conftest import EPOCH, ROOT, SAMPLE


def test_wheel_install_builds_from_another_directory(tmp_path: Path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "records").mkdir(parents=True)
    (elsewhere / "records" / SAMPLE.name).write_bytes(SAMPLE.read_bytes())
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["SOURCE_DATE_EPOCH"] = EPOCH
    where = subprocess.run(
        [
            str(python),
            "-c",
            "import pipeline, pipeline.assets as a; print(pipeline.__file__); print(a.templates_dir())",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    package_file, templates = where.stdout.split()
    assert Path(package_file).is_relative_to(venv) and Path(templates).is_relative_to(venv)
    build = subprocess.run(
        [str(venv / "bin" / "make-report"), "build", "--format", "pdf,epub"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    sheet = elsewhere / "output" / "tajikistani-internal-troops.pdf"
    assert len(PdfReader(sheet).pages) == 2
    assert (elsewhere / "output" / "handbook.epub").is_file()
    # The README's first example, from the fresh install: `make-report init demo && cd demo && make-report build`
    init = subprocess.run(
        [str(venv / "bin" / "make-report"), "init", "demo"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert init.returncode == 0, init.stderr
    demo = tmp_path / "demo"
    built = subprocess.run(
        [str(venv / "bin" / "make-report"), "build"], cwd=demo, env=env, capture_output=True, text=True, timeout=300
    )
    assert built.returncode == 0, built.stderr
    assert "warning" not in built.stderr
    for name in ("tajikistani-internal-troops.pdf", "handbook.epub", "briefing.pdf", "handbook/index.xhtml"):
        assert (demo / "output" / name).is_file(), name
