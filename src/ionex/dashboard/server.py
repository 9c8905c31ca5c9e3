"""The live page: a read-only local web server with two resources — the page (``/``) and
the monitor's state as JSON (``/state.json``). Nothing else is served: no files, no
directory listings, no methods but GET and HEAD. It binds to 127.0.0.1 by default.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources

__all__ = ["StateHolder", "LivePage"]


class StateHolder:
    """The latest state, shared between the monitor loop (writer) and the server threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._body = json.dumps({"status": "starting"}).encode("utf-8")

    def publish(self, data: dict) -> None:
        body = json.dumps(data, allow_nan=False).encode("utf-8")
        with self._lock:
            self._body = body

    def body(self) -> bytes:
        with self._lock:
            return self._body


def _page() -> bytes:
    return resources.files(__package__).joinpath("page.html").read_bytes()


class _Handler(BaseHTTPRequestHandler):
    server_version = "ionex-monitor"
    sys_version = ""
    holder: StateHolder
    page: bytes

    def _send(self, status: int, body: bytes, ctype: str, head: bool = False):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy",
                         "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _route(self, head: bool):
        path = self.path.split("?", 1)[0]
        if path in ("/", "/index.html"):
            self._send(200, self.page, "text/html; charset=utf-8", head)
        elif path == "/state.json":
            self._send(200, self.holder.body(), "application/json", head)
        else:
            self._send(404, b"not found\n", "text/plain; charset=utf-8", head)

    def do_GET(self):  # noqa: N802 - the http.server protocol
        self._route(False)

    def do_HEAD(self):  # noqa: N802
        self._route(True)

    def _refuse(self):
        self._send(405, b"read-only\n", "text/plain; charset=utf-8")

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse  # noqa: N815

    def log_message(self, format, *args):  # noqa: A002 - silence the per-request log
        pass


class LivePage:
    """Serve the page and the state on ``host:port`` (port 0 picks a free port) in a
    daemon thread. ``url`` tells where."""

    def __init__(self, holder: StateHolder, host: str = "127.0.0.1", port: int = 8765):
        handler = type("Handler", (_Handler,), {"holder": holder, "page": _page()})
        try:
            self.httpd = ThreadingHTTPServer((host, port), handler)
        except OSError as exc:
            raise OSError(f"cannot serve the live page on {host}:{port} ({exc.strerror or exc}); "
                          "choose another --port") from None
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="ionex-live-page", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> LivePage:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
