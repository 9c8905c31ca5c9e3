"""A monitor catching up with a big furnace log: a 200 MB log (one sample a second, noise
and a slow drift: ~11 million lines, ~3 000 h) processed from scratch by `ionex monitor`
in a process of its own — the log read block by block (only new bytes, vectorised for
clean lines), each block advanced and checkpointed, the history kept bounded.

    python benchmarks/monitor_big_log.py [--mb 200]   # ~1 min; results/monitor_big_log.json

Reports the wall time and the peak memory (max RSS) of the monitor process, and the
checkpoint's size.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import machine_info  # noqa: E402

RECIPE = HERE.parent / "examples" / "monitor_bk7.toml"


def write_log(path: Path, megabytes: float) -> int:
    """One sample a second until the file holds ``megabytes`` MB; returns the lines."""
    rng = np.random.default_rng(1)
    n, block, size = 0, 200_000, 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("time_s,temperature_C\n")
        while size < megabytes * 1e6:
            t = np.arange(n, n + block, dtype=float)
            T = 400.0 + 2.0 * np.sin(t / 5e5) + 0.3 * rng.standard_normal(block)
            text = "".join(f"{a:.0f},{b:.3f}\n" for a, b in zip(t, T))
            fh.write(text)
            size += len(text)
            n += block
    return n


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=200.0, help="size of the log (MB)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ionex-big-log-"))
    try:
        log = work / "furnace.csv"
        lines = write_log(log, args.mb)
        hours = lines / 3600.0
        plan = work / "plan.toml"
        plan.write_text(
            RECIPE.read_text(encoding="utf-8").replace(
                'duration = "100 h"', f'duration = "{hours:.0f} h"'
            ),
            encoding="utf-8",
        )
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "ionex.cli",
                "monitor",
                str(plan),
                "--temperature-log",
                str(log),
                "-o",
                str(work / "out"),
                "--no-plot",
                "-q",
            ],
            check=True,
        )
        wall = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0  # kB on Linux
        state = json.loads((work / "out" / "state.json").read_text(encoding="utf-8"))
        results = {
            "log_MB": log.stat().st_size / 1e6,
            "lines": lines,
            "process_hours": hours,
            "wall_s": wall,
            "peak_rss_MB": peak_mb,
            "checkpoint_MB": (work / "out" / "monitor_checkpoint.npz").stat().st_size / 1e6,
            "n_samples": state["n_samples"],
            "machine": machine_info(),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "monitor_big_log.json").write_text(
        json.dumps(results, indent=1), encoding="utf-8"
    )
    print(
        f"# Monitor catch-up over a {results['log_MB']:.0f} MB log ({lines} samples, {hours:.0f} h)\n"
    )
    print("| wall time (s) | peak memory (MB) | checkpoint (MB) |")
    print("|---|---|---|")
    print(f"| {wall:.1f} | {peak_mb:.0f} | {results['checkpoint_MB']:.2f} |")


if __name__ == "__main__":
    main()
