"""The live page: a read-only local web server with two resources — the page (``/``) and
the monitor's state as JSON (``/state.json``). Nothing else is served: no files, no
directory listings, no methods but GET and HEAD. It binds to 127.0.0.1 by default.

Nothing a client does can take the monitor down or starve it of file descriptors:

* one thread waits on every open connection at once (a selector); a connection costs a
  thread only while its request is read and answered;
* at most ``max_connections`` are open (64); when a new one comes at the cap, the oldest
  that has not sent anything is closed to make room, and when every open one is busy the
  new one is answered 503;
* a connection that sends nothing for ``timeout`` s (10) is closed, and so is one whose
  request takes longer than that between two packets;
* ``accept()`` failing (e.g. EMFILE: out of file descriptors) is survived, and any other
  error in the server is caught and reported once, never raised into the monitor;
* only requests for a loopback host name (``localhost``, ``127.0.0.1``, ``[::1]``, any
  port) or the ``host`` the page was bound to are answered; others (DNS rebinding: a page
  of another site whose name resolves to 127.0.0.1) get 421;
* a client that goes away mid-answer is not an error.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import selectors
import socket
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from importlib import resources

__all__ = ["StateHolder", "LivePage", "IDLE_TIMEOUT", "MAX_CONNECTIONS", "is_loopback"]

IDLE_TIMEOUT = (
    10.0  # s a client may stay silent (before its request, or between two of its packets)
)
MAX_CONNECTIONS = 64  # open connections at once; a browser tab needs one or two
_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
_WILDCARDS = {"", "0.0.0.0", "::"}


def is_loopback(host: str) -> bool:
    """Is ``host`` (a name or an address) reachable only from this machine?"""
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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


def _host_name(header: str) -> str:
    """The name in a Host header, without its port and brackets, lower case."""
    h = header.strip().lower()
    if h.startswith("["):
        return h[1:].split("]", 1)[0]
    if h.count(":") == 1:
        h = h.split(":", 1)[0]
    return h.rstrip(".")


class _Handler(BaseHTTPRequestHandler):
    server_version = "ionex-monitor"
    sys_version = ""
    timeout = IDLE_TIMEOUT
    holder: StateHolder
    page: bytes
    allowed_host: Callable[[str], bool]

    def _send(self, status: int, body: bytes, ctype: str, head: bool = False):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header(
            "Content-Security-Policy",
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
        )
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _host_ok(self) -> bool:
        host = self.headers.get("Host")
        return host is None or self.allowed_host(_host_name(host))

    def _route(self, head: bool):
        if not self._host_ok():
            self._send(
                421,
                b"misdirected request: this page answers only to its own host name\n",
                "text/plain; charset=utf-8",
                head,
            )
            return
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


class _Server:
    """The listening socket and the open connections, served by one selector thread and
    one short-lived thread per request being answered; see the module docstring."""

    def __init__(self, address, handler, *, timeout: float, max_connections: int):
        host, port = address
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.socket.bind((host, port))
            self.socket.listen(128)
        except OSError:
            self.socket.close()
            raise
        self.socket.setblocking(False)
        self.server_address = self.socket.getsockname()
        self.handler = handler
        self.timeout = float(timeout)
        self.max_connections = int(max_connections)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self.socket, selectors.EVENT_READ, None)
        self._idle: dict[
            socket.socket, float
        ] = {}  # waiting for a request: socket -> when it was opened
        self._busy = 0  # connections whose request is being answered
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._reported: set[str] = set()

    def _report(self, what: str, exc: BaseException) -> None:
        """Say once per kind of fault that something went wrong; serving goes on."""
        key = f"{what}:{type(exc).__name__}"
        if key not in self._reported:
            self._reported.add(key)
            print(
                f"warning: live page: {what} ({type(exc).__name__}: {exc}); still serving",
                file=sys.stderr,
                flush=True,
            )

    def _close(self, conn: socket.socket) -> None:
        self._idle.pop(conn, None)
        try:
            self._selector.unregister(conn)
        except (KeyError, ValueError):
            pass
        try:
            conn.close()
        except OSError:
            pass

    def _open(self) -> int:
        with self._lock:
            return len(self._idle) + self._busy

    def _accept(self) -> None:
        try:
            conn, addr = self.socket.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return
        except OSError as exc:
            if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                self._report("out of file descriptors or memory; new connections wait", exc)
                if self._idle:  # free one, else let the system recover a moment
                    self._close(min(self._idle, key=self._idle.get))
                else:
                    time.sleep(0.05)
                return
            raise
        if self._open() >= self.max_connections:
            if self._idle:  # the oldest silent one makes room
                self._close(min(self._idle, key=self._idle.get))
            else:  # all busy answering: refuse at once rather than queue
                self._answer_busy(conn)
                return
        conn.setblocking(True)
        conn.settimeout(self.timeout)
        self._idle[conn] = time.monotonic()
        self._selector.register(conn, selectors.EVENT_READ, addr)

    @staticmethod
    def _answer_busy(conn: socket.socket) -> None:
        try:
            conn.setblocking(False)
            conn.send(
                b"HTTP/1.0 503 Service Unavailable\r\nContent-Length: 0\r\nRetry-After: 1\r\n"
                b"Connection: close\r\n\r\n"
            )
        except OSError:
            pass
        finally:
            conn.close()

    def _dispatch(self, conn: socket.socket, addr) -> None:
        """A connection has bytes: answer its request in a thread of its own."""
        self._idle.pop(conn, None)
        self._selector.unregister(conn)
        with self._lock:
            self._busy += 1
        threading.Thread(
            target=self._serve, args=(conn, addr), name="ionex-live-page-request", daemon=True
        ).start()

    def _serve(self, conn: socket.socket, addr) -> None:
        try:
            self.handler(conn, addr, self)
        except (ConnectionError, TimeoutError, OSError):
            pass  # the client went away or was too slow: its business, not an error of the monitor
        except Exception as exc:  # noqa: BLE001 - a fault in one answer must not stop the page
            self._report("a request failed", exc)
        finally:
            try:
                conn.close()
            except OSError:
                pass
            with self._lock:
                self._busy -= 1

    def _expire(self) -> None:
        limit = time.monotonic() - self.timeout
        for conn in [c for c, since in self._idle.items() if since < limit]:
            self._close(conn)

    def serve_forever(self) -> None:
        while not self._stop.is_set():
            try:
                for key, _ in self._selector.select(timeout=min(0.5, self.timeout / 4)):
                    if (
                        key.data is None
                    ):  # the listening socket (a connection's data is its address)
                        self._accept()
                    else:
                        self._dispatch(key.fileobj, key.data)
                self._expire()
            except Exception as exc:  # noqa: BLE001 - the page serves on whatever happens
                self._report("internal error", exc)
                time.sleep(0.05)

    def shutdown(self) -> None:
        self._stop.set()

    def server_close(self) -> None:
        for conn in list(self._idle):
            self._close(conn)
        try:
            self._selector.unregister(self.socket)
        except (KeyError, ValueError):
            pass
        self.socket.close()
        self._selector.close()


class LivePage:
    """Serve the page and the state on ``host:port`` (port 0 picks a free port) in a
    daemon thread. ``url`` tells where.

    Args:
        holder: the state to serve.  host, port: where to listen.
        timeout: s a client may stay silent before it is disconnected.
        max_connections: open connections at most.
    """

    def __init__(
        self,
        holder: StateHolder,
        host: str = "127.0.0.1",
        port: int = 8765,
        *,
        timeout: float = IDLE_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
    ):
        self.host = host
        handler = type(
            "Handler",
            (_Handler,),
            {
                "holder": holder,
                "page": _page(),
                "timeout": float(timeout),
                "allowed_host": staticmethod(self.allowed_host),
            },
        )
        try:
            self.httpd = _Server(
                (host, port), handler, timeout=timeout, max_connections=max_connections
            )
        except OSError as exc:
            raise OSError(
                f"cannot serve the live page on {host}:{port} ({exc.strerror or exc}); "
                "choose another --port"
            ) from None
        self._names = set(_LOOPBACK_NAMES) | {host.strip("[]").lower()}
        if host in _WILDCARDS:  # served to the network: also this machine's own names
            self._names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, name="ionex-live-page", daemon=True
        )

    @property
    def exposed(self) -> bool:
        """Is the page reachable from other machines?"""
        return not is_loopback(self.host)

    def allowed_host(self, name: str) -> bool:
        """Is ``name`` (of a Host header, without port) one this page answers to? Loopback
        names and the bound host; on a wildcard address also this machine's names and any
        address literal (a DNS-rebinding page always sends a name of its own)."""
        if name in self._names:
            return True
        if self.host in _WILDCARDS:
            try:
                ipaddress.ip_address(name)
                return True
            except ValueError:
                return False
        return False

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{f'[{host}]' if ':' in host else host}:{port}/"

    def start(self) -> LivePage:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.thread.join(timeout=5)
        self.httpd.server_close()
