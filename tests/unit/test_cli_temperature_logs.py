"""One log reader, one policy: `ionex run` stops at a log's first bad line (a recipe's
log = "…" and --temperature-log alike) unless --lenient, which skips it with a warning as
the monitor does; `ionex run --temperature-log` keeps the recipe's [output] times."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from ionex.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "monitor_bk7.toml"
BAD_LOG = "time_h,temperature_C\n0,400\n1,4x0\n2,401\n"
MESSAGE = "line 3: temperature_C = '4x0' is not a number"


def recipes(tmp_path):
    """The monitor example as a plan (for --temperature-log) and with the log in the recipe."""
    (tmp_path / "bad.csv").write_text(BAD_LOG, encoding="utf-8")
    text = EXAMPLE.read_text(encoding="utf-8")
    plan = tmp_path / "plan.toml"
    plan.write_text(text.replace('duration = "100 h"', 'duration = "2 h"'), encoding="utf-8")
    logged = tmp_path / "logged.toml"
    logged.write_text(
        text.replace('temperature = "400 degC"', 'temperature = { log = "bad.csv" }').replace(
            'duration = "100 h"', ""
        ),
        encoding="utf-8",
    )
    return plan, logged


@pytest.mark.parametrize("route", ["recipe log", "--temperature-log"])
def test_a_bad_line_is_an_error_unless_lenient_on_both_routes(tmp_path, capsys, route):
    plan, logged = recipes(tmp_path)
    args = (
        ["run", str(logged)]
        if route == "recipe log"
        else ["run", str(plan), "--temperature-log", str(tmp_path / "bad.csv")]
    )
    assert main([*args, "-o", str(tmp_path / "strict"), "--no-plot"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"ionex: error: {tmp_path / 'bad.csv'}, {MESSAGE} (ionex run --lenient skips"
    )
    assert main([*args, "-o", str(tmp_path / "lenient"), "--no-plot", "--lenient"]) == 0
    err = capsys.readouterr().err
    assert f"warning: {tmp_path / 'bad.csv'}, {MESSAGE}; line skipped" in err
    with xr.open_dataset(tmp_path / "lenient" / "result.nc") as ds:
        assert ds["time"].values[-1] == pytest.approx(7200.0)


def test_both_routes_take_the_same_samples(tmp_path):
    """A recipe's log and --temperature-log are read by the same reader: the same samples
    and the same warnings."""
    from ionex.io.furnace_log import read_log_file
    from ionex.io.recipe import load_recipe

    _, logged = recipes(tmp_path)
    recipe_warnings: list = []
    program = load_recipe(logged, lenient_logs=True, warnings=recipe_warnings).steps[0].temperature
    t, T, warnings = read_log_file(tmp_path / "bad.csv", lenient=True)
    assert (
        program.times == tuple(t)
        and program.temperatures == tuple(T)
        and recipe_warnings == warnings
    )


def test_run_with_a_temperature_log_keeps_the_output_times_within_it(tmp_path, capsys):
    log = tmp_path / "f.csv"
    t = np.arange(0.0, 6 * 3600.0 + 1.0, 60.0)
    log.write_text(
        "time_s,temperature_C\n" + "".join(f"{a:.0f},400\n" for a in t), encoding="utf-8"
    )
    plan = tmp_path / "plan.toml"
    plan.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace('duration = "100 h"', 'duration = "10 h"')
        + '\n[output]\ntimes = ["2 h", "4 h", "8 h"]\n',
        encoding="utf-8",
    )
    assert (
        main(
            [
                "run",
                str(plan),
                "--temperature-log",
                str(log),
                "-o",
                str(tmp_path / "o"),
                "--no-plot",
            ]
        )
        == 0
    )
    err = capsys.readouterr().err
    assert "ends at 6 h; the [output] times after it (8 h) are left out" in err
    with xr.open_dataset(tmp_path / "o" / "result.nc") as ds:
        np.testing.assert_allclose(ds["time"].values, [7200.0, 14400.0, 21600.0])


def test_a_recipes_own_log_takes_the_plausibility_limits_of_the_command_line(tmp_path, capsys):
    """--log-range and --max-rate apply to every log `ionex run` reads, a recipe's log = "…"
    too: 1600 °C is a fault by default and data when the range admits it."""
    _, logged = recipes(tmp_path)
    (tmp_path / "bad.csv").write_text(
        "time_h,temperature_C\n0,1590\n1,1600\n2,1600\n", encoding="utf-8"
    )
    assert main(["run", str(logged), "-o", str(tmp_path / "a"), "--no-plot"]) == 2
    assert (
        "line 2: temperature_C = '1590' is not a plausible furnace temperature"
        in capsys.readouterr().err
    )
    assert (
        main(
            [
                "run",
                str(logged),
                "-o",
                str(tmp_path / "b"),
                "--no-plot",
                "-q",
                "--log-range",
                "0 degC..1700 degC",
            ]
        )
        == 0
    )


def test_a_log_read_again_is_read_again_when_the_file_changed(tmp_path):
    """Recipe logs are read once per file state (fits rebuild the recipe for every run):
    a log that has been rewritten since is read anew, and each reading gives its warnings."""
    import os

    from ionex.io.tables import read_temperature_log

    log = tmp_path / "f.csv"
    log.write_text("time_h,temperature_C\n0,400\n1,4x0\n2,401\n", encoding="utf-8")
    first, second = [], []
    a = read_temperature_log(log, lenient=True, warnings=first)
    b = read_temperature_log(log, lenient=True, warnings=second)
    assert a == b and len(first) == len(second) == 1
    log.write_text("time_h,temperature_C\n0,400\n1,402\n2,401\n", encoding="utf-8")
    os.utime(log, ns=(1, 1))  # even with an old time stamp: the size or time differs
    c = read_temperature_log(log, lenient=True)
    assert c.times == (0.0, 3600.0, 7200.0) and c.temperatures[1] == pytest.approx(675.15)
