"""The live page's server: the page and the state, nothing else, read-only."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from ionex.dashboard.server import LivePage, StateHolder


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
    assert status == 200 and headers["Content-Type"].startswith("text/html") and b"id=\"time_h\"" in body
    holder.publish({"status": "following", "time_h": 1.5})
    status, headers, body = get(live.url + "state.json")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"status": "following", "time_h": 1.5}
    assert headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["../pyproject.toml", "etc/passwd", "page.html", "state.json/..", "%2e%2e/"])
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
