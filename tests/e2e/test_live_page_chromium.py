"""End to end in a real headless Chromium: `ionex monitor --follow --serve` on a growing
log; the page must show the values and change them as data is appended."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "monitor_bk7.toml"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def lines(t0, t1, every=60.0):
    t = np.arange(t0, t1, every)
    return "".join(f"{a:.1f},{400.0 + 0.2 * np.sin(a / 900.0):.3f}\n" for a in t)


@pytest.fixture()
def browser():
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.fail(
            "Debian's chromium and chromium-driver are needed: run tools/install-browser (CI does)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--window-size=1200,900",
    ):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    yield driver
    driver.quit()


def wait_for(driver, element_id, predicate, timeout=60.0):
    end = time.monotonic() + timeout
    value = None
    while time.monotonic() < end:
        value = driver.find_element("id", element_id).text
        if predicate(value):
            return value
        time.sleep(0.2)
    raise AssertionError(f"#{element_id} stayed {value!r} for {timeout} s")


CHARTS_JS = """
return Array.from(document.querySelectorAll("svg")).map(svg => {
  const box = svg.getBoundingClientRect();
  const texts = t => Array.from(svg.querySelectorAll(t)).map(e => e.textContent);
  const outside = Array.from(svg.querySelectorAll("text")).filter(e => {
    const b = e.getBoundingClientRect();
    return b.left < box.left - 0.5 || b.right > box.right + 0.5 || b.top < box.top - 0.5 || b.bottom > box.bottom + 0.5;
  }).map(e => e.textContent);
  const one = t => { const e = svg.querySelector(t); return e ? e.textContent : null; };
  return {id: svg.id, x: texts(".tick.x text"), y: texts(".tick.y text"), xlabel: one(".axis-label.x"),
          ylabel: one(".axis-label.y"), legend: texts(".legend text"), outside: outside};
});
"""


def check_charts(driver):
    """Every chart: at least three evenly spaced ticks per axis with plain numbers, axis
    labels with units, no label drawn outside the chart; a legend on the chart whose two
    curves (n_TE, n_TM) share it."""
    end = time.monotonic() + 30
    while True:
        charts = {c["id"]: c for c in driver.execute_script(CHARTS_JS)}
        if all(
            charts[k]["x"]
            for k in ("chart_temperature", "chart_frac", "chart_stress", "chart_index")
        ):
            break
        assert time.monotonic() < end, f"charts not drawn: {charts}"
        time.sleep(0.2)
    for chart in charts.values():
        for axis in ("x", "y"):
            ticks = chart[axis]
            assert len(ticks) >= 3, (chart["id"], axis, ticks)
            assert all(re.fullmatch(r"−?\d+(\.\d+)?", t) for t in ticks), (
                chart["id"],
                ticks,
            )  # no 5.642e-10
            values = np.array([float(t.replace("−", "-")) for t in ticks])
            assert np.allclose(np.diff(values), values[1] - values[0]) and values[1] > values[0], (
                chart["id"],
                ticks,
            )
        assert chart["outside"] == [], (chart["id"], chart["outside"])
    assert (charts["chart_temperature"]["xlabel"], charts["chart_temperature"]["ylabel"]) == (
        "time since the first sample (h)",
        "bath temperature (°C)",
    )
    for key in ("chart_frac", "chart_stress", "chart_index"):
        assert charts[key]["xlabel"] == "depth below the surface (µm)"
    assert charts["chart_frac"]["ylabel"] == "site fraction of K⁺"
    assert charts["chart_stress"]["ylabel"] == "in-plane stress (MPa)"
    assert charts["chart_index"]["legend"] == ["n_TE (TE light)", "n_TM (TM light)"]
    assert charts["chart_frac"]["legend"] == []  # one curve: no legend


def test_the_page_follows_the_log(tmp_path, browser):
    recipe = tmp_path / "plan.toml"
    recipe.write_text(
        EXAMPLE.read_text().replace('duration = "100 h"', 'duration = "6 h"'), encoding="utf-8"
    )
    log = tmp_path / "furnace.csv"
    log.write_text("time_s,temperature_C\n" + lines(0.0, 3600.0 + 1.0), encoding="utf-8")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ionex.cli",
            "monitor",
            str(recipe),
            "--temperature-log",
            str(log),
            "-o",
            str(tmp_path / "out"),
            "--follow",
            "--serve",
            "--port",
            "0",
            "--poll",
            "0.2 s",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = None
        for _ in range(200):
            line = proc.stdout.readline()
            m = re.search(r"live page: (http://127\.0\.0\.1:\d+/)", line)
            if m:
                url = m.group(1)
                break
        assert url, "the monitor did not announce its page"
        browser.get(url)
        wait_for(browser, "time_h", lambda v: v == "1.000")
        cs_before = float(wait_for(browser, "cs", lambda v: v not in ("–", "")))
        dol_before = float(browser.find_element("id", "dol").text)
        assert browser.find_element("id", "status").text == "following"
        assert browser.find_elements("css selector", "#chart_temperature polyline")
        assert browser.find_elements("css selector", "#chart_frac polyline")
        check_charts(browser)
        # the furnace goes on: two more hours arrive
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(lines(3660.0, 3 * 3600.0 + 1.0))
        wait_for(browser, "time_h", lambda v: v == "3.000")
        dol_after = float(browser.find_element("id", "dol").text)
        assert dol_after > dol_before * 1.3  # √3 ≈ 1.7 for diffusion
        assert float(browser.find_element("id", "cs").text) != cs_before
        assert int(browser.find_element("id", "n_samples").text) == 181
        assert (
            "10 TE modes" in browser.find_element("id", "prediction").text
        )  # words, not the key modes_TE
        # a fault shows up as a warning on the page
        with open(log, "a", encoding="utf-8") as fh:
            fh.write("10860.0,hot\n" + lines(10860.0, 11000.0))
        wait_for(browser, "warnings", lambda v: "is not a number" in v)
        # a flood of repeated lines with a sensor drop-out in the middle: the repeats are
        # one line with their count, and no fault class is pushed off the page
        flood = []
        for k in range(120):
            t = 11040.0 + 60.0 * k
            flood += [f"{t:.1f},400.0", f"{t:.1f},400.1"]
            if k == 60:
                flood.append(f"{t + 30:.1f},nan")
        with open(log, "a", encoding="utf-8") as fh:
            fh.write("\n".join(flood) + "\n")
        box = wait_for(browser, "warnings", lambda v: "duplicate time stamp × 120" in v)
        assert "sensor drop-out" in box and "is not a number" in box and box.count("\n") == 2
        items = browser.find_elements("css selector", "#warnings li")
        assert [li.is_displayed() for li in items] == [True, True, True]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
