"""A demonstration furnace log written in real time or accelerated: a bath held at a set
point with sensor noise and a slow drift, a sensor drop-out (a stretch with no lines,
then a "nan" reading), a ramp to a second set point, and the odd line the logger writes
twice — so a newcomer can watch ``ionex monitor --follow --serve`` at work.

Columns ``time_s,temperature_C``; one line every ``interval`` seconds of process time.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..constants import ZERO_CELSIUS

__all__ = ["demo_temperatures", "write_demo_log"]


def demo_temperatures(
    duration: float,
    interval: float,
    setpoint: float,
    *,
    ramp_to: float | None = None,
    noise: float = 0.3,
    seed: int = 1,
):
    """Times (s) and temperatures (K) of the demo process, with the drop-out removed.

    The plan: hold ``setpoint`` (K) for the first 60 % of ``duration`` (s), ramp linearly to
    ``ramp_to`` (default setpoint + 10 K) over 10 %, hold it to the end; Gaussian noise of
    ``noise`` K and a drift of ±0.5 K over the run; no samples for 20 min at 30 % of the run.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, duration + 0.5 * interval, interval)
    second = setpoint + 10.0 if ramp_to is None else ramp_to
    frac = t / max(duration, interval)
    T = setpoint + (second - setpoint) * np.clip((frac - 0.6) / 0.1, 0.0, 1.0)
    T = T + 0.5 * np.sin(2 * np.pi * frac) + noise * rng.standard_normal(t.size)
    gap = (t > 0.3 * duration) & (t <= 0.3 * duration + 1200.0)
    return t[~gap], T[~gap], t[gap]


def write_demo_log(
    path,
    *,
    duration: float,
    interval: float,
    setpoint: float,
    speed: float = 3600.0,
    ramp_to: float | None = None,
    noise: float = 0.3,
    seed: int = 1,
    sleep: Callable[[float], None] = _time.sleep,
    echo: Callable[[str], None] | None = None,
) -> int:
    """Write the demo log to ``path`` line by line, ``speed`` times faster than real time
    (``speed`` = inf writes it at once). Returns the number of lines written."""
    t, T, gap = demo_temperatures(
        duration, interval, setpoint, ramp_to=ramp_to, noise=noise, seed=seed
    )
    path = Path(path)
    lines = 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("time_s,temperature_C\n")
        fh.flush()
        last = 0.0
        for k, (tk, Tk) in enumerate(zip(t, T)):
            if np.isfinite(speed) and tk > last:
                sleep((tk - last) / speed)
            if gap.size and k > 0 and t[k - 1] < gap[0] <= tk:
                fh.write(f"{gap[-1]:.1f},nan\n")  # the sensor comes back with one bad reading
            fh.write(f"{tk:.1f},{Tk - ZERO_CELSIUS:.3f}\n")
            if k % 997 == 500:
                fh.write(
                    f"{tk:.1f},{Tk - ZERO_CELSIUS:.3f}\n"
                )  # the logger repeats a line now and then
            fh.flush()
            last = tk
            lines += 1
            if echo is not None and k % 360 == 0:
                echo(f"t = {tk / 3600:.2f} h, T = {Tk - ZERO_CELSIUS:.2f} °C")
    return lines
