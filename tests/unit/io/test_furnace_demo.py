"""The demo furnace: paced writing, and the faults it is meant to show."""

from __future__ import annotations

import numpy as np
import pytest

from ionex.io.furnace_demo import demo_temperatures, write_demo_log
from ionex.io.furnace_log import FurnaceLogReader


def test_paced_by_the_speed_factor(tmp_path):
    slept = []
    n = write_demo_log(
        tmp_path / "f.csv",
        duration=7200.0,
        interval=10.0,
        setpoint=673.15,
        speed=3600.0,
        sleep=slept.append,
    )
    # 2 h of process time at 3600× ≈ 2 s of sleeping, spread over the lines
    assert sum(slept) == pytest.approx(2.0, rel=1e-9)
    assert n == len(slept) + 1  # no wait before the first line


def test_the_demo_log_shows_every_feature(tmp_path):
    log = tmp_path / "f.csv"
    write_demo_log(log, duration=24 * 3600.0, interval=10.0, setpoint=673.15, speed=np.inf)
    t, T, warnings = FurnaceLogReader(log).read()
    text = "\n".join(warnings)
    assert "sensor drop-out" in text and "gap of 1210 s" in text and "duplicate time stamp" in text
    # set point, then the ramp to +10 K at 60–70 % of the run
    early, late = T[t < 0.5 * 86400], T[t > 0.75 * 86400]
    assert abs(np.mean(early) - 673.15) < 0.5 and abs(np.mean(late) - 683.15) < 0.5
    assert 0.2 < np.std(np.diff(early)) < 0.6  # sensor noise √2·0.3 K between neighbours
    t2, _, _ = demo_temperatures(24 * 3600.0, 10.0, 673.15)
    np.testing.assert_array_equal(t, t2)
