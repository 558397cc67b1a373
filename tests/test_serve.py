"""`make-report serve` as a user sees it: in a real headless Chromium, a record edit shows on the open page.

Chromium is driven over the DevTools protocol through ``--remote-debugging-pipe``
(file descriptors 3 and 4, NUL-separated JSON), so no client library and no
network are needed. The browser comes from Debian (scripts/system-deps.sh).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import EPOCH, run_command

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium on this machine: install the Debian package chromium (scripts/system-deps.sh)"
)

RECORD = """= Harbour Watch =

The Harbour Watch guards the old port.

== History ==
It was founded in 1901.
"""


class Browser:
    """Headless Chromium with one page, spoken to over the DevTools pipe."""

    def __init__(self, profile: Path):
        ours_read, chrome_write = os.pipe()
        chrome_read, ours_write = os.pipe()

        def fds() -> None:  # Chromium reads commands on fd 3 and writes replies on fd 4
            os.dup2(chrome_read, 3)
            os.dup2(chrome_write, 4)

        arguments = [CHROMIUM, "--headless", "--remote-debugging-pipe", f"--user-data-dir={profile}"]
        arguments += ["--no-first-run", "--disable-gpu", "--disable-extensions", "about:blank"]
        if os.geteuid() == 0:
            arguments.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        self.process = subprocess.Popen(  # close_fds would close 3 and 4 after fds() made them
            arguments,
            preexec_fn=fds,
            close_fds=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(chrome_read)
        os.close(chrome_write)
        self.read_fd, self.write_fd = ours_read, ours_write
        self.buffer = b""
        self.next_id = 0
        self.session: str | None = None

    def call(self, method: str, timeout: float = 20, **params: object) -> dict:
        self.next_id += 1
        message: dict = {"id": self.next_id, "method": method, "params": params}
        if self.session and not method.startswith("Target."):
            message["sessionId"] = self.session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self.next_id:
                    if "error" in reply:
                        raise AssertionError(f"{method}: {reply['error']}")
                    return reply["result"]
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.read_fd], [], [], left)[0]:
                raise AssertionError(f"Chromium did not answer {method} within {timeout} s")
            chunk = os.read(self.read_fd, 1 << 16)
            if not chunk:
                raise AssertionError("Chromium closed the DevTools pipe")
            self.buffer += chunk

    def open(self, url: str) -> None:
        target = self.call("Target.createTarget", url=url)["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]

    def evaluate(self, expression: str) -> object:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30) -> object:
        """Poll ``expression`` in the page until it is truthy (the page may reload in between)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except AssertionError:  # the page is between documents
                value = None
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"the page never satisfied {expression!r} within {timeout} s")

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)
        os.close(self.read_fd)
        os.close(self.write_fd)


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
