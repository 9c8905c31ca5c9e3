"""What `ionex monitor` gives a user besides the prediction: the warnings aggregated by
kind without ever losing a drop-out or a gap, a progress tracker during a catch-up, the
files `ionex run` writes (at a bounded cadence, always at the end), and a target crossed
during a catch-up dated when it was crossed."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import ionex.cli as cli
from ionex.cli import main
from ionex.dashboard.follow import MonitorLoop
from ionex.io.monitor_files import load_checkpoint
from ionex.io.recipe import load_recipe
from ionex.process.monitor import ProcessMonitor

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "monitor_bk7.toml"


def plan_file(tmp_path, hours=6.0, extra=""):
    path = tmp_path / "plan.toml"
    path.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace('duration = "100 h"', f'duration = "{hours} h"')
        + extra,
        encoding="utf-8",
    )
    return path


def samples(hours=6.0, every=60.0, seed=7):
    t = np.arange(0.0, hours * 3600.0 + 1.0, every)
    return t, 400.0 + 0.3 * np.random.default_rng(seed).standard_normal(t.size)


def flooded_log(path, n_duplicates=200):
    """6 h every minute with a repeated line after each of the first ``n_duplicates``
    samples, two drop-outs (one of three lines, the last an empty reading) and a 25-min
    gap: the faults a real sensor hides among the repeats."""
    t, T = samples()
    rows, repeated = [], 0
    for k, (a, b) in enumerate(zip(t, T)):
        if 5700.0 < a <= 7200.0:
            continue  # the gap
        rows.append(f"{a:.1f},{b:.3f}")
        if repeated < n_duplicates:
            rows.append(f"{a:.1f},{b + 0.1:.3f}")
            repeated += 1
        if k == 30:
            rows.append(f"{a + 20:.1f},nan")
        if k == 300:
            rows += [f"{a + 10:.1f},nan", f"{a + 20:.1f},nan", f"{a + 30:.1f},"]
    path.write_text("time_s,temperature_C\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_flood_of_repeats_hides_no_drop_out_or_gap(tmp_path, capsys):
    log = flooded_log(tmp_path / "f.csv")
    out = tmp_path / "out"
    assert (
        main(
            [
                "monitor",
                str(plan_file(tmp_path)),
                "--temperature-log",
                str(log),
                "-o",
                str(out),
                "--no-plot",
            ]
        )
        == 0
    )
    err = capsys.readouterr().err.splitlines()
    # the command line: the first repeat, each drop-out and the gap, then how many repeats
    each = [line for line in err if line.startswith(f"warning: {log}, line ")]
    assert sum("duplicate time stamp '" in line for line in each) == 1
    assert sum("sensor drop-out" in line for line in each) == 2
    assert sum("gap of 1560 s" in line for line in each) == 1
    summary = [
        line
        for line in err
        if line.startswith("warning: duplicate time stamp: 200 in all (lines 3 to ")
    ]
    assert len(summary) == 1
    # state.json (what the page shows): one entry per kind, every drop-out and gap its own
    state = json.loads((out / "state.json").read_text())
    entries = [(w["kind"], w["count"]) for w in state["warnings"]]
    assert entries == [
        ("duplicate time stamp", 200),
        ("sensor drop-out", 1),
        ("gap", 1),
        ("sensor drop-out", 3),
    ]
    assert state["n_warnings"] == 205
    drop = state["warnings"][3]
    assert (
        "nan" in drop["first"]
        and drop["last_line"] == drop["first_line"] + 2
        and drop["last"].endswith(
            "('18030.0,'): a value is missing or not a finite number; line skipped, the temperature is interpolated "
            "across the gap"
        )
    )
    # and a restart keeps them
    _, _, saved = load_checkpoint(
        out / "monitor_checkpoint.npz",
        MonitorLoop(load_recipe(plan_file(tmp_path)), log, out).fingerprint,
    )
    assert saved.to_list() == state["warnings"]


def test_a_catch_up_shows_its_progress(tmp_path, capsys, monkeypatch):
    """ionex.cli.ProgressBar, as `ionex run` uses it: in a log (not a terminal) one line per
    tenth of the catch-up — here without its 1-s delay, and over blocks of ~1 h of log."""
    import ionex.dashboard.follow as follow

    monkeypatch.setattr(follow, "BLOCK", 900)
    monkeypatch.setattr(cli, "ProgressBar", functools.partial(cli.ProgressBar, delay=0.0))
    t, T = samples()
    log = tmp_path / "f.csv"
    log.write_text(
        "time_s,temperature_C\n" + "".join(f"{a:.0f},{b:.3f}\n" for a, b in zip(t, T)),
        encoding="utf-8",
    )
    assert (
        main(
            [
                "monitor",
                str(plan_file(tmp_path)),
                "--temperature-log",
                str(log),
                "-o",
                str(tmp_path / "o"),
                "--no-plot",
            ]
        )
        == 0
    )
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("progress: ")]
    percents = [int(line.split()[1]) for line in lines]
    assert percents == sorted(set(percents)) and len(percents) <= 10 and percents[-1] == 100
    assert lines[-1].startswith("progress: 100 % (6 of 6 h process time")


def test_the_monitor_writes_what_ionex_run_writes(tmp_path, capsys):
    """profiles.csv, result.nc, modes.csv and the plots of the process so far — the
    recipe's [output] times passed and now — equal to `ionex run --temperature-log
    --lenient` on the same log: the same times and columns, the profiles to the solver
    tolerance (pieces vs one run: ≈ 1–2 atol measured, 5 atol allowed as elsewhere)."""
    plan = plan_file(
        tmp_path, hours=10.0, extra='\n[output]\ntimes = ["0 h", "2 h", "4 h", "8 h"]\n'
    )
    log = flooded_log(tmp_path / "f.csv", n_duplicates=20)
    assert (
        main(
            ["monitor", str(plan), "--temperature-log", str(log), "-o", str(tmp_path / "mon"), "-q"]
        )
        == 0
    )
    assert (
        main(
            [
                "run",
                str(plan),
                "--temperature-log",
                str(log),
                "-o",
                str(tmp_path / "run"),
                "-q",
                "--lenient",
            ]
        )
        == 0
    )
    for name in ("profiles.csv", "result.nc", "modes.csv", "profiles.png", "stress_index.png"):
        assert (tmp_path / "mon" / name).stat().st_size > 0, name
    assert not list((tmp_path / "mon").glob("*.part"))
    with (
        xr.open_dataset(tmp_path / "mon" / "result.nc") as mon,
        xr.open_dataset(tmp_path / "run" / "result.nc") as run,
    ):
        np.testing.assert_allclose(mon["time"].values, [0.0, 7200.0, 14400.0, 21600.0])
        np.testing.assert_array_equal(mon["time"].values, run["time"].values)
        assert set(run.data_vars) <= set(mon.data_vars)
        assert np.max(np.abs(mon["frac_K"].values - run["frac_K"].values)) < 5e-5
        np.testing.assert_array_equal(mon["mode_count_TE"].values, run["mode_count_TE"].values)
    head = (tmp_path / "mon" / "profiles.csv").read_text().split("\n", 1)[0]
    assert head == (tmp_path / "run" / "profiles.csv").read_text().split("\n", 1)[0]
    assert (tmp_path / "mon" / "modes.csv").read_text().count("\n") == (
        tmp_path / "run" / "modes.csv"
    ).read_text().count("\n")


def test_result_files_are_written_at_most_every_write_every_and_always_at_the_end(tmp_path):
    t, T = samples(hours=4.0)
    log = tmp_path / "f.csv"

    def lines(a, b):
        keep = (t >= a) & (t < b)
        return "".join(f"{x:.0f},{y:.3f}\n" for x, y in zip(t[keep], T[keep]))

    recipe = load_recipe(plan_file(tmp_path, hours=4.0))
    for every, expected in ((3600.0, 2), (0.0, 5)):
        log.write_text("time_s,temperature_C\n" + lines(0.0, 3600.0), encoding="utf-8")
        loop = MonitorLoop(recipe, log, tmp_path / f"out{every:g}", write_every=every, plots=False)
        writes = []
        real = loop.write_results
        loop.write_results = lambda: writes.append(loop.monitor.time) or real()
        more = iter([(3600.0, 5400.0), (5400.0, 7200.0), (7200.0, 9000.0), (9000.0, 10800.0)])

        def should_stop():
            span = next(more, None)
            if span is None:
                return True
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(lines(*span))
            return False

        loop.run(follow=True, poll=0.05, should_stop=should_stop)
        # after the catch-up, at most every `every` s (never, or each of the 4 updates), at the end
        assert len(writes) == expected and writes[0] == 3540.0 and writes[-1] == 10740.0
        with xr.open_dataset(loop.out / "result.nc") as ds:
            assert ds["time"].values[-1] == 10740.0


def test_the_result_files_are_written_when_the_monitor_is_interrupted(tmp_path):
    t, T = samples(hours=2.0)
    log = tmp_path / "f.csv"
    log.write_text(
        "time_s,temperature_C\n" + "".join(f"{a:.0f},{b:.3f}\n" for a, b in zip(t, T) if a < 3600),
        encoding="utf-8",
    )
    loop = MonitorLoop(
        load_recipe(plan_file(tmp_path, hours=2.0)),
        log,
        tmp_path / "o",
        write_every=3600.0,
        plots=False,
    )
    calls = iter([False])

    def should_stop():
        if next(calls, True):
            raise KeyboardInterrupt
        with open(log, "a", encoding="utf-8") as fh:
            fh.write("".join(f"{a:.0f},{b:.3f}\n" for a, b in zip(t, T) if a >= 3600))
        return False

    with pytest.raises(KeyboardInterrupt):
        loop.run(follow=True, poll=0.05, should_stop=should_stop)
    assert json.loads((loop.out / "state.json").read_text())["status"] == "stopped"
    with xr.open_dataset(loop.out / "result.nc") as ds:
        assert ds["time"].values[-1] == 7200.0


def test_a_catch_up_in_chunks_dates_the_target_as_one_advance_does(tmp_path):
    """The loop's catch-up (24-h chunks, each checkpointed) dates the 5th TE mode, crossed
    in its second chunk, as one advance over the whole log does (which
    tests/unit/process/test_monitor.py checks against plain runs)."""
    plan = plan_file(tmp_path, hours=40.0).read_text().replace("modes_TE = 10 ", "modes_TE = 5 ")
    (tmp_path / "plan5.toml").write_text(plan, encoding="utf-8")
    recipe = load_recipe(tmp_path / "plan5.toml")
    t, T = samples(hours=40.0, every=120.0)
    log = tmp_path / "f.csv"
    log.write_text(
        "time_s,temperature_C\n" + "".join(f"{a:.0f},{b:.3f}\n" for a, b in zip(t, T)),
        encoding="utf-8",
    )
    data = MonitorLoop(recipe, log, tmp_path / "o", plots=False).run()
    whole = ProcessMonitor(recipe)
    whole.advance(t, np.asarray([float(f"{b:.3f}") for b in T]) + 273.15)
    expected = whole.snapshot().prediction
    assert data["prediction"]["reached"] and expected.reached and 24 < expected.time / 3600 < 40
    assert data["prediction"]["time_h"] == pytest.approx(expected.time / 3600, rel=1e-3)
