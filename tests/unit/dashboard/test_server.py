"""The live page's server: the page and the state, nothing else, read-only."""

from __future__ import annotations

import errno
import json
import resource
import socket
import struct
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ionex.dashboard.server import LivePage, StateHolder

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "monitor_bk7.toml"


@pytest.fixture(scope="module")
def page():
    holder = StateHolder()
    live = LivePage(holder, "127.0.0.1", 0).start()
    yield live, holder
    live.stop()


def get(url, method="GET"):
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_serves_the_page_and_the_state(page):
    live, holder = page
    assert live.url.startswith("http://127.0.0.1:")
    status, headers, body = get(live.url)
    assert (
        status == 200 and headers["Content-Type"].startswith("text/html") and b'id="time_h"' in body
    )
    holder.publish({"status": "following", "time_h": 1.5})
    status, headers, body = get(live.url + "state.json")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"status": "following", "time_h": 1.5}
    assert headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "path", ["../pyproject.toml", "etc/passwd", "page.html", "state.json/..", "%2e%2e/"]
)
def test_nothing_else_is_served(page, path):
    live, _ = page
    assert get(live.url + path)[0] == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_it_is_read_only(page, method):
    live, _ = page
    assert get(live.url + "state.json", method)[0] == 405


def test_a_busy_port_is_a_clear_error(page):
    live, holder = page
    port = live.httpd.server_address[1]
    with pytest.raises(OSError, match="choose another --port"):
        LivePage(holder, "127.0.0.1", port)


def get_with_host(url, host):
    req = urllib.request.Request(url, headers={"Host": host})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_only_loopback_host_names_are_answered(page):
    """A page of another site whose name resolves to 127.0.0.1 (DNS rebinding) is refused."""
    live, _ = page
    port = live.httpd.server_address[1]
    for host in (
        "localhost",
        f"localhost:{port}",
        "127.0.0.1",
        f"127.0.0.1:{port}",
        "[::1]",
        f"[::1]:{port}",
    ):
        assert get_with_host(live.url + "state.json", host) == 200, host
    for host in (
        "evil.example",
        f"evil.example:{port}",
        "localhost.evil.example",
        "127.0.0.1.nip.io",
    ):
        assert get_with_host(live.url + "state.json", host) == 421, host
        assert get_with_host(live.url, host) == 421, host


def test_a_host_given_with_host_is_answered_too():
    live = LivePage(StateHolder(), "127.0.0.1", 0)
    assert live.allowed_host("localhost") and not live.allowed_host("evil.example")
    wide = LivePage(StateHolder(), "0.0.0.0", 0)
    try:
        assert wide.exposed and not live.exposed
        assert wide.allowed_host("192.168.1.20") and wide.allowed_host("0.0.0.0")
        assert not wide.allowed_host("evil.example")
    finally:
        live.httpd.server_close()
        wide.httpd.server_close()


def test_clients_that_go_away_print_nothing(page, capfd):
    """Early disconnects (reset mid-request, mid-answer) are the client's business."""
    live, _ = page
    port = live.httpd.server_address[1]
    for request in (b"GET / HTTP/1.0\r\n", b"GET / HTTP/1.0\r\n\r\n", b""):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
        )  # close with a reset
        s.sendall(request)
        s.close()
    time.sleep(0.3)
    assert get(live.url)[0] == 200
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Error" not in err


def test_idle_connections_are_closed_after_the_timeout():
    live = LivePage(StateHolder(), "127.0.0.1", 0, timeout=0.3).start()
    try:
        s = socket.create_connection(("127.0.0.1", live.httpd.server_address[1]), timeout=5)
        started = time.monotonic()
        assert s.recv(1) == b""  # the server hung up
        assert time.monotonic() - started < 3
        s.close()
    finally:
        live.stop()


def test_2000_idle_connections_do_not_stop_the_page_or_the_monitor(tmp_path):
    """Idle clients (open sockets that send nothing) cost the monitor at most the
    connection cap of descriptors: a fresh client is answered at once and the monitor
    thread keeps reading its log, checkpointing and publishing."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # 2000 idle clients, or as many as the hard limit of open files allows: any number
    # well above the page's cap of 64 connections tests the same thing
    idle_clients = 2000 if hard == resource.RLIM_INFINITY else min(2000, hard - 512)
    if idle_clients < 4 * 64:
        pytest.skip(
            f"the hard limit of open files is {hard}; the test needs at least {4 * 64 + 512}"
        )
    need = idle_clients + 512
    if soft != resource.RLIM_INFINITY and soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    from ionex.dashboard.follow import MonitorLoop
    from ionex.io.recipe import load_recipe

    recipe = load_recipe(EXAMPLE)
    log = tmp_path / "log.csv"
    log.write_text(
        "time_s,temperature_C\n" + "".join(f"{60.0 * k:.1f},400.0\n" for k in range(20)),
        encoding="utf-8",
    )
    holder = StateHolder()
    live = LivePage(holder, "127.0.0.1", 0).start()
    stop = threading.Event()
    loop = MonitorLoop(
        recipe, log, tmp_path / "out", publish=holder.publish, write_every=1e9, plots=False
    )
    monitor = threading.Thread(
        target=loop.run, kwargs={"follow": True, "poll": 0.05, "should_stop": stop.is_set}
    )
    monitor.start()
    clients = []
    try:
        deadline = time.monotonic() + 30
        while json.loads(get(live.url + "state.json")[2]).get("n_samples") != 20:
            assert time.monotonic() < deadline, "the monitor did not publish its first state"
            time.sleep(0.05)
        port = live.httpd.server_address[1]
        for _ in range(idle_clients):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            clients.append(s)
        time.sleep(0.5)
        for path in ("", "state.json"):
            started = time.monotonic()
            assert get(live.url + path)[0] == 200
            assert time.monotonic() - started < 3
        with open(log, "a", encoding="utf-8") as fh:
            fh.write("".join(f"{60.0 * k:.1f},401.0\n" for k in range(20, 30)))
        deadline = time.monotonic() + 10
        while json.loads(get(live.url + "state.json")[2])["n_samples"] != 30:
            assert time.monotonic() < deadline, "the monitor stopped publishing"
            time.sleep(0.1)
        assert monitor.is_alive() and live.thread.is_alive()
        assert live.httpd._open() <= 64
    finally:
        for s in clients:
            s.close()
        stop.set()
        monitor.join(timeout=30)
        live.stop()


def test_serving_to_the_network_is_warned_even_when_quiet(tmp_path, capsys):
    from ionex.cli import main

    log = tmp_path / "f.csv"
    log.write_text("time_s,temperature_C\n0,400\n600,400.1\n", encoding="utf-8")
    args = [
        "monitor",
        str(EXAMPLE),
        "--temperature-log",
        str(log),
        "--no-plot",
        "-q",
        "--serve",
        "--port",
        "0",
    ]
    assert main([*args, "-o", str(tmp_path / "a")]) == 0
    assert "reachable from the network" not in capsys.readouterr().err
    assert main([*args, "-o", str(tmp_path / "b"), "--host", "0.0.0.0"]) == 0
    assert (
        "warning: --host 0.0.0.0: the live page is reachable from the network"
        in capsys.readouterr().err
    )


class _FailingListener:
    """The listening socket, whose accept() fails like a process out of descriptors."""

    def __init__(self, sock, failures):
        self.sock, self.failures = sock, failures

    def accept(self):
        if self.failures:
            self.failures -= 1
            raise OSError(errno.EMFILE, "Too many open files")
        return self.sock.accept()

    def __getattr__(self, name):
        return getattr(self.sock, name)


def test_running_out_of_descriptors_is_survived_and_said_once(capfd):
    live = LivePage(StateHolder(), "127.0.0.1", 0).start()
    try:
        live.httpd.socket = _FailingListener(live.httpd.socket, failures=3)
        assert get(live.url + "state.json")[0] == 200
        assert get(live.url)[0] == 200
        err = capfd.readouterr().err
        assert (
            err.count("warning: live page: out of file descriptors") == 1 and "Traceback" not in err
        )
        assert live.thread.is_alive()
    finally:
        live.stop()
