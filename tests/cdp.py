"""A small DevTools-protocol client for headless Chromium, over ``--remote-debugging-pipe``.

Chromium reads commands on file descriptor 3 and writes replies on 4, as
NUL-separated JSON: no client library and no network are needed. The browser
comes from Debian (scripts/system-deps.sh).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NO_BROWSER = "no Chromium on this machine: install the Debian package chromium (scripts/system-deps.sh)"


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
