"""``make-report serve``: build, serve the output folder on 127.0.0.1, rebuild on change, reload the page.

The built files stay byte-identical to ``make-report build``: the live-reload
script is added only to the HTML and XHTML *responses*, never to the files. It
polls ``/__make-report__/version``, reloads the page when a build finished, and
shows the last build's problems in an overlay. Only the output folder is served
(no path leaves it), and only on the loopback address.
"""

from __future__ import annotations

import json
import posixpath
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

VERSION_PATH = "/__make-report__/version"
HOST = "127.0.0.1"

#: The script added to served pages: polls the build version, reloads, shows build errors.
#: Kept as data (a script, not markup): the overlay is made with DOM calls and ``textContent``.
RELOAD_SCRIPT = """
(function () {
  var seen = null;
  function overlay(text) {
    var box = document.getElementById("make-report-overlay");
    if (!text) { if (box) { box.parentNode.removeChild(box); } return; }
    if (!box) {
      box = document.createElement("pre");
      box.id = "make-report-overlay";
      box.setAttribute("style", "position:fixed;left:0;right:0;bottom:0;max-height:50%;overflow:auto;margin:0;" +
        "padding:1em;background:#2b0a0a;color:#ffdede;font:13px/1.4 monospace;white-space:pre-wrap;z-index:99999");
      document.body.appendChild(box);
    }
    box.textContent = "make-report: the last build has problems\\n\\n" + text;
  }
  function poll() {
    fetch("/__make-report__/version", {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (s) {
      if (seen !== null && s.version !== seen) { location.reload(); return; }
      seen = s.version;
      overlay(s.problems);
    }).catch(function () {}).then(function () { setTimeout(poll, 400); });
  }
  poll();
})();
"""


@dataclass
class State:
    """What the served pages learn: a build counter and the last build's problems (empty when clean)."""

    version: int = 0
    problems: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def finished(self, problems: str) -> None:
        with self.lock:
            self.version += 1
            self.problems = problems

    def as_json(self) -> bytes:
        with self.lock:
            return json.dumps({"version": self.version, "problems": self.problems}).encode("utf-8")


def _handler(root: Path, state: State) -> type[SimpleHTTPRequestHandler]:
    root = root.resolve()

    class Handler(SimpleHTTPRequestHandler):
        """The output folder, read only; pages get the reload script on the way out."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, format: str, *args) -> None:
            pass  # the terminal is for build messages

        def end_headers(self) -> None:
            self.send_header("Cache-Control", "no-store")
            super().end_headers()

        def translate_path(self, path: str) -> str:
            """The file a URL names, never outside the output folder (``..``, symlinks out)."""
            parts = [p for p in posixpath.normpath(unquote(urlsplit(path).path)).split("/") if p not in ("", ".", "..")]
            target = root.joinpath(*parts).resolve() if parts else root
            if not target.is_relative_to(root):
                return str(root / "__make-report-refused__")  # a name that is never there: 404
            return str(target)

        def do_GET(self) -> None:
            self._serve(head=False)

        def do_HEAD(self) -> None:
            self._serve(head=True)

        def _serve(self, head: bool) -> None:
            url = urlsplit(self.path).path
            if url == VERSION_PATH:
                self._send(state.as_json(), "application/json", head)
                return
            if url == "/" and (root / "handbook" / "index.xhtml").is_file():
                self.send_response(HTTPStatus.FOUND)
                self.send_header("Location", "/handbook/index.xhtml")
                self.end_headers()
                return
            path = Path(self.translate_path(self.path))
            if path.is_file() and path.suffix in (".xhtml", ".html"):
                try:
                    page = path.read_bytes()
                except OSError:
                    self.send_error(HTTPStatus.NOT_FOUND)
                    return
                kind = "application/xhtml+xml" if path.suffix == ".xhtml" else "text/html"
                self._send(with_reload(page, xml=path.suffix == ".xhtml"), f"{kind}; charset=utf-8", head)
                return
            if head:
                super().do_HEAD()
            else:
                super().do_GET()

        def _send(self, body: bytes, kind: str, head: bool) -> None:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)

    return Handler


def with_reload(page: bytes, xml: bool) -> bytes:
    """The page with the reload script before ``</body>`` (CDATA-wrapped in XHTML, so it stays well-formed)."""
    script = RELOAD_SCRIPT.replace("]]>", "]] >") if xml else RELOAD_SCRIPT
    body = f"<script>//<![CDATA[{script}//]]></script>" if xml else f"<script>{script}</script>"
    head, marker, tail = page.rpartition(b"</body>")
    if not marker:
        return page + body.encode("utf-8")
    return head + body.encode("utf-8") + marker + tail


class Server:
    """The HTTP server in a background thread; the caller's thread watches and builds."""

    def __init__(self, root: Path, port: int, state: State):
        self.httpd = ThreadingHTTPServer((HOST, port), _handler(root, state))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="make-report-serve", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.httpd.server_address[1]}/"

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def watch(paths: Iterable[Path], ignore: Iterable[Path]) -> Iterator[set[Path]]:
    """The files that changed, a batch at a time, under ``paths`` and outside ``ignore`` (the output)."""
    from watchfiles import watch as watch_files

    ignored = [p.resolve() for p in ignore]
    existing = [p for p in paths if p.exists()]

    def wanted(_change: object, name: str) -> bool:
        path = Path(name)
        if path.name.startswith(".make-report-") or path.name.endswith((".tmp", "~", ".swp")):
            return False
        return not any(path.is_relative_to(i) for i in ignored)

    # yield_on_timeout: an empty batch now and then, the first one once the watcher is in place
    for changes in watch_files(
        *existing, watch_filter=wanted, debounce=300, step=100, rust_timeout=500, yield_on_timeout=True
    ):
        yield {Path(name) for _change, name in changes}


def serve(
    root: Path,
    port: int,
    rebuild: Callable[[], str],
    paths: list[Path],
    echo: Callable[[str], None],
) -> None:
    """Build once, serve, and rebuild on every change until Ctrl-C (which the caller turns into exit 130)."""
    state = State()
    server = Server(root, port, state)  # listen first: a port in use fails before the build
    state.finished(rebuild())
    with server:
        announced = False
        for changed in watch(paths, [root]):
            if not announced:  # only now: a change saved after this line is never missed
                echo(f"serving {server.url} (the output folder {root}/); watching for changes; Ctrl-C stops")
                announced = True
            if not changed:
                continue
            names = sorted(str(p) for p in changed)
            echo(f"changed: {', '.join(names[:3])}{' ...' if len(names) > 3 else ''}; rebuilding")
            state.finished(rebuild())
