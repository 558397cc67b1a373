"""`make-report serve` as a user sees it: in a real headless Chromium, a record edit shows on the open page.

Chromium is driven over the DevTools protocol (tests/cdp.py).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cdp import CHROMIUM, NO_BROWSER, Browser
from tests.conftest import EPOCH, run_command

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason=NO_BROWSER)

RECORD = """= Harbour Watch =

The Harbour Watch guards the old port.

== History ==
It was founded in 1901.
"""


def _start_serve(project: Path) -> tuple[subprocess.Popen, str]:
    """`make-report serve` on a free port in ``project``; returns the process and its address."""
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "serve", "records", "-o", "out", "--port", "0", "--format", "html,pdf"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    lines = []
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        lines.append(line)
        found = re.search(r"serving (http://127\.0\.0\.1:\d+/)", line)
        if found:
            return process, found.group(1)
    process.kill()
    raise AssertionError("serve never printed its address:\n" + "".join(lines))


def _get(url: str, path: str) -> tuple[int, bytes]:
    host, port = url.removeprefix("http://").strip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", path)  # sent as written: no client-side clean-up of '..'
    response = connection.getresponse()
    return response.status, response.read()


def test_an_edited_record_shows_on_the_open_page(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "records").mkdir(parents=True)
    record = project / "records" / "harbour-watch.txt"
    record.write_text(RECORD, encoding="utf-8")
    (tmp_path / "secret.txt").write_text("canary-7f3a", encoding="utf-8")
    process, url = _start_serve(project)
    browser = Browser(tmp_path / "profile")
    try:
        browser.open(url + "handbook/harbour-watch.xhtml")
        browser.wait_for("document.body && document.body.textContent.includes('guards the old port')")
        browser.evaluate("window.notReloaded = true")

        record.write_text(RECORD.replace("guards the old port", "guards the new marina"), encoding="utf-8")
        browser.wait_for("document.body.textContent.includes('guards the new marina')")
        assert browser.evaluate("window.notReloaded === undefined"), "the new text came without a page reload"

        # A broken record: the page stays up and shows the error in an overlay; fixing it clears the overlay.
        record.write_text("no title here\n", encoding="utf-8")
        overlay = browser.wait_for("(document.getElementById('make-report-overlay') || {}).textContent")
        assert "records/harbour-watch.txt:1: error:" in overlay
        record.write_text(RECORD, encoding="utf-8")
        browser.wait_for(
            "!document.getElementById('make-report-overlay') && document.body.textContent.includes('old port')"
        )

        # The PDF is served too; nothing outside the output folder is.
        status, body = _get(url, "/harbour-watch.pdf")
        assert status == 200 and body.startswith(b"%PDF-")
        for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/handbook/../../secret.txt", "/..%2f..%2fsecret.txt"):
            status, body = _get(url, path)
            assert status == 404 and b"canary" not in body, path
    finally:
        browser.close()
        process.send_signal(signal.SIGINT)
        try:
            _, stderr = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 130, stderr
    assert "stopped serving" in stderr and "Traceback" not in stderr, stderr
    assert "changed: " in stderr and "harbour-watch.txt; rebuilding" in stderr, stderr
    # (the first build's summary was read by _start_serve) The edit rewrote a few files and reused the rest
    written, unchanged = map(int, re.search(r"(\d+) files written, (\d+) unchanged", stderr).groups())
    assert 0 < written < unchanged, stderr

    # The files on disk are those `build` writes: the reload script is only in what is served.
    built = run_command("build", "records", "-o", "built", "--format", "html,pdf", cwd=project)
    assert built.returncode == 0, built.stderr
    for name in ("handbook/harbour-watch.xhtml", "handbook/index.xhtml", "harbour-watch.pdf"):
        assert (project / "out" / name).read_bytes() == (project / "built" / name).read_bytes(), name
    assert b"__make-report__" not in (project / "out" / "handbook" / "harbour-watch.xhtml").read_bytes()


def test_a_port_in_use_is_a_usage_error(tmp_path: Path) -> None:
    import socket

    (tmp_path / "records").mkdir()
    (tmp_path / "records" / "a.txt").write_text(RECORD, encoding="utf-8")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_command("serve", "records", "-o", "out", "--port", str(port), cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert f"cannot serve on 127.0.0.1:{port}" in result.stderr and "Traceback" not in result.stderr


def test_sigterm_stops_serving_cleanly(tmp_path: Path) -> None:
    (tmp_path / "records").mkdir()
    (tmp_path / "records" / "harbour-watch.txt").write_text(RECORD, encoding="utf-8")
    process, url = _start_serve(tmp_path)
    status, body = _get(url, "/__make-report__/version")
    assert status == 200 and json.loads(body) == {"version": 1, "problems": ""}
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 143, stderr
    assert "stopped serving (SIGTERM)" in stderr and "Traceback" not in stderr


def test_a_saved_project_file_applies_to_the_next_build(tmp_path: Path) -> None:
    """Serve watches make-report.toml: a new marking shows on the served page; a mistake is shown, not fatal."""
    project = tmp_path / "project"
    (project / "records").mkdir(parents=True)
    (project / "records" / "harbour-watch.txt").write_text(RECORD, encoding="utf-8")
    config = project / "make-report.toml"
    config.write_text('marking = "OFFICIAL"\n', encoding="utf-8")
    process, url = _start_serve(project)
    page = "/handbook/harbour-watch.xhtml"

    def served_until(text: str) -> bytes:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            status, body = _get(url, page)
            if status == 200 and text.encode() in body:
                return body
            time.sleep(0.5)
        raise AssertionError(f"{text!r} never reached {page}")

    try:
        assert b"OFFICIAL" in served_until("OFFICIAL")
        config.write_text('marking = "OFFICIAL-SENSITIVE"\n', encoding="utf-8")
        served_until("OFFICIAL-SENSITIVE")
        config.write_text('markng = "X"\n', encoding="utf-8")  # misspelt: the page keeps the last good build
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            _, version = _get(url, "/__make-report__/version")
            if b"did you mean" in version:
                break
            time.sleep(0.5)
        assert b"make-report.toml:1: error: unknown setting 'markng'" in version, version
        assert _get(url, page)[0] == 200
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)
