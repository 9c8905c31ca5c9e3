"""The monitor loop: every fault of a live log gives its warning and leaves the result
unchanged; checkpoints resume; `ionex run --temperature-log` is the batch reference."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ionex.cli import main
from ionex.dashboard.follow import CHECKPOINT, MonitorLoop
from ionex.io.recipe import load_recipe

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "monitor_bk7.toml"


def plan(hours=6.0):
    r = load_recipe(EXAMPLE)
    return replace(r, steps=(replace(r.steps[0], duration=hours * 3600.0),))


def clean_lines(hours=6.0, every=60.0):
    """A log every minute with a 25-min drop-out (real missing data: bridged linearly)."""
    t = np.arange(0.0, hours * 3600.0 + 1.0, every)
    T = 400.0 + 0.3 * np.random.default_rng(7).standard_normal(t.size)
    keep = (t <= 5700.0) | (t > 5700.0 + 1500.0)
    return [f"{a:.1f},{b:.3f}" for a, b in zip(t[keep], T[keep])]


def faulty_lines(lines):
    """The clean log with every fault a live log shows; the samples it yields are the same."""
    out = list(lines)
    out.insert(10, out[9])  # a duplicate line
    out.insert(21, "3.0,399.9")  # out of order (t = 3 s after 1200 s)
    out.insert(40, "2340.0,hot")  # non-numeric value
    out.insert(50, "nan,nan")  # a drop-out written as NaN
    out.insert(60, "3500.0")  # a short line
    return out


def write(path, lines, partial=""):
    path.write_text("time_s,temperature_C\n" + "\n".join(lines) + "\n" + partial, encoding="utf-8")


def test_every_fault_is_warned_and_the_result_is_unchanged(tmp_path):
    """The faulty log (with a half-written last line, a rotation and a truncation on the
    way) gives exactly the samples and the state of the clean log."""
    r = plan()
    lines = clean_lines()
    write(tmp_path / "clean.csv", lines)
    clean = MonitorLoop(r, tmp_path / "clean.csv", tmp_path / "clean_out")
    clean.run()

    bad = faulty_lines(lines)
    log = tmp_path / "live.csv"
    half = len(bad) // 2
    write(log, bad[:half], partial=bad[half][:3])  # the writer is mid-line
    loop = MonitorLoop(r, log, tmp_path / "out")
    loop.step()
    # the logger rotates: a new file continues (repeating the last complete line)
    os.rename(log, tmp_path / "live.csv.1")
    write(log, bad[half - 1 : half + 60])
    loop.step()
    # then truncates it in place and writes the rest
    write(log, bad[half + 60 :])
    loop.step()
    loop.run()

    np.testing.assert_array_equal(loop.monitor.sample_times, clean.monitor.sample_times)
    np.testing.assert_array_equal(
        loop.monitor.sample_temperatures, clean.monitor.sample_temperatures
    )
    # pieces vs one run: time-integration tolerance (atol 1e-5 in this recipe)
    assert np.max(np.abs(loop.monitor.frac - clean.monitor.frac)) < 5e-5
    text = "\n".join(e["first"] + "\n" + e["last"] for e in loop.warnings.entries)
    for words in (
        "duplicate time stamp",
        "out-of-order time stamp",
        "'hot' is not a number",
        "sensor drop-out",
        "found 1 fields",
        "gap of 1560 s",
        "replaced (rotated)",
        "truncated",
    ):
        assert words in text, words
    assert clean.warnings.total == 1 and "gap of 1560 s" in clean.warnings.entries[0]["first"]
    state = json.loads((tmp_path / "out" / "state.json").read_text())
    assert state["n_warnings"] == loop.warnings.total and state["status"] == "done"


def test_a_restart_resumes_from_the_checkpoint(tmp_path):
    r = plan()
    lines = clean_lines()
    log = tmp_path / "f.csv"
    write(log, lines[:150])
    MonitorLoop(r, log, tmp_path / "out").run()
    write(log, lines)
    resumed = MonitorLoop(r, log, tmp_path / "out")
    assert resumed.resumed and resumed.monitor.sample_times.size == 150
    resumed.run()
    once = MonitorLoop(r, log, tmp_path / "once")
    once.run()
    np.testing.assert_array_equal(resumed.monitor.sample_times, once.monitor.sample_times)
    assert np.max(np.abs(resumed.monitor.frac - once.monitor.frac)) < 5e-5


def test_a_checkpoint_in_the_middle_of_a_catch_up_resumes_without_new_warnings(
    tmp_path, monkeypatch
):
    """A catch-up reads the log block by block and checkpoints after each with the exact
    byte offset; a kill right after one must resume from that state, reading on from there
    with no warning repeated."""
    import ionex.dashboard.follow as follow

    monkeypatch.setattr(follow, "BLOCK", 400)
    r = plan()
    log = tmp_path / "f.csv"
    write(log, faulty_lines(clean_lines())[:200])
    saved = []
    loop = MonitorLoop(r, log, tmp_path / "out")
    real = loop._checkpoint

    def spy():
        real()
        saved.append((tmp_path / "out" / CHECKPOINT).read_bytes())

    loop._checkpoint = spy
    loop.run()
    assert len(saved) >= 3
    (tmp_path / "out" / CHECKPOINT).write_bytes(saved[0])  # as if killed after the 1st block
    again = MonitorLoop(r, log, tmp_path / "out")
    assert 0 < again.monitor.n_samples < loop.monitor.n_samples
    n_before = again.warnings.total
    again.run()
    np.testing.assert_array_equal(again.monitor.sample_times, loop.monitor.sample_times)
    assert again.warnings.total == loop.warnings.total and n_before < loop.warnings.total
    assert [e["first"] for e in again.warnings.entries] == [
        e["first"] for e in loop.warnings.entries
    ]
    assert np.max(np.abs(again.monitor.frac - loop.monitor.frac)) < 5e-5


def test_the_monitor_equals_ionex_run_with_the_same_log(tmp_path, capsys):
    log = tmp_path / "f.csv"
    write(log, clean_lines())
    recipe = tmp_path / "plan.toml"
    recipe.write_text(
        EXAMPLE.read_text().replace('duration = "100 h"', 'duration = "6 h"'), encoding="utf-8"
    )
    assert (
        main(
            [
                "monitor",
                str(recipe),
                "--temperature-log",
                str(log),
                "-o",
                str(tmp_path / "mon"),
                "-q",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "run",
                str(recipe),
                "--temperature-log",
                str(log),
                "-o",
                str(tmp_path / "run"),
                "-q",
                "--no-plot",
            ]
        )
        == 0
    )
    import xarray as xr

    with xr.open_dataset(tmp_path / "run" / "result.nc") as ds:
        batch = ds["frac_K"].values[-1]
    with np.load(tmp_path / "mon" / CHECKPOINT) as z:
        frac = z["frac"]
    assert np.max(np.abs(batch[: frac.size] - frac)) < 5e-5
    state = json.loads((tmp_path / "mon" / "state.json").read_text())
    assert state["time_h"] == pytest.approx(6.0) and state["modes"]["TE"] >= 1
    assert state["prediction"]["target"] == "modes_TE"


def test_bad_input_is_a_clear_message(tmp_path, capsys):
    log = tmp_path / "f.csv"
    log.write_text("when,temp\n0,400\n", encoding="utf-8")
    assert (
        main(
            [
                "monitor",
                str(EXAMPLE),
                "--temperature-log",
                str(log),
                "-o",
                str(tmp_path / "o"),
                "-q",
            ]
        )
        == 2
    )
    assert "must name exactly one time column" in capsys.readouterr().err
    two = tmp_path / "two.toml"
    two.write_text(
        EXAMPLE.read_text()
        + '\n[[step]]\nbath = { K = 1.0 }\ntemperature = "400 degC"\nduration = "1 h"\n',
        encoding="utf-8",
    )
    write(log, clean_lines()[:5])
    assert (
        main(["monitor", str(two), "--temperature-log", str(log), "-o", str(tmp_path / "o2"), "-q"])
        == 2
    )
    assert "one bath step" in capsys.readouterr().err
    assert (
        main(
            [
                "monitor",
                str(EXAMPLE),
                "--temperature-log",
                str(log),
                "-o",
                str(tmp_path / "o3"),
                "-q",
                "--poll",
                "1",
            ]
        )
        == 2
    )
    assert "--poll" in capsys.readouterr().err


def test_a_big_log_is_caught_up_block_by_block_with_a_bounded_history(tmp_path, monkeypatch):
    """A 2.5-MB log (150 000 samples, one a second) is read block by block, each block
    advanced and checkpointed; the history kept stays bounded, the checkpoint small, and
    the result is the one run over every sample. A poll then reads only the new bytes."""
    import ionex.dashboard.follow as follow
    from ionex.process.monitor import HISTORY, simulate_logged_process

    monkeypatch.setattr(follow, "BLOCK", 512 * 1024)
    n = 150_000
    t = np.arange(float(n))
    T = np.round(
        400.0 + 2.0 * np.sin(t / 2e4) + 0.3 * np.random.default_rng(5).standard_normal(n), 3
    )
    log = tmp_path / "big.csv"
    log.write_text(
        "time_s,temperature_C\n" + "".join(f"{a:.0f},{b:.3f}\n" for a, b in zip(t, T)),
        encoding="utf-8",
    )
    r = plan(hours=45.0)
    loop = MonitorLoop(r, log, tmp_path / "out", plots=False)
    reads = []
    real = loop.reader.read
    loop.reader.read = lambda **kw: (
        reads.append((loop.reader.position.offset, kw.get("max_bytes"))) or real(**kw)
    )
    loop.run()
    assert len(reads) >= 5 and all(b == 512 * 1024 for _, b in reads)
    assert loop.monitor.n_samples == n and loop.monitor.sample_times.size <= HISTORY
    assert (tmp_path / "out" / CHECKPOINT).stat().st_size < 1e6
    assert json.loads((tmp_path / "out" / "state.json").read_text())["n_samples"] == n
    whole = simulate_logged_process(r, t, T + 273.15)
    assert (
        np.max(np.abs(whole.frac_incoming[-1, : loop.monitor.frac.size] - loop.monitor.frac)) < 5e-5
    )
    size = log.stat().st_size
    with open(log, "a", encoding="utf-8") as fh:
        fh.write("".join(f"{n + k},400.000\n" for k in range(10)))
    reads.clear()
    assert loop.step() == 10
    assert reads == [(size, 512 * 1024)] and loop.reader.position.offset == log.stat().st_size
