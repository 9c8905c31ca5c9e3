"""Cold start of the command line: `ionex run examples/soda_lime_k_na.toml` in fresh
processes, as a user types it — with the PNG, and with --no-plot.

    python benchmarks/cold_start.py        # ~30 s; results/cold_start.json

Each variant runs in 5 fresh processes after one warm-up run (which compiles or loads the
numba kernels, fills pint's definition cache and ionex's cache of unit conversions — the
state of any machine after its first run). Reported: the wall time of each, measured as
`time` does it (process start to exit), and the same for `python -c "import numpy"` as
the floor of any Python tool on this machine.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import machine_info  # noqa: E402

EXAMPLE = HERE.parent / "examples" / "soda_lime_k_na.toml"
RUNS = 5


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - start


def main():
    ionex = str(Path(sys.executable).with_name("ionex"))
    out = Path(tempfile.mkdtemp()) / "out"
    run = [ionex, "run", str(EXAMPLE), "-o", str(out), "--force"]  # as users run it
    variants = {
        "ionex run (profiles.png written)": run,
        "ionex run --no-plot": [*run, "--no-plot"],
        'python -c "import numpy" (floor)': [sys.executable, "-c", "import numpy"],
    }
    results = {}
    for name, argv in variants.items():
        wall(argv)  # warm: kernels, pint's cache, ionex's conversions
        times = [wall(argv) for _ in range(RUNS)]
        results[name] = {"median_s": statistics.median(times), "min_s": min(times), "all_s": times}
    print("| command | median (s) | best (s) |")
    print("|---|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['median_s']:.2f} | {r['min_s']:.2f} |")
    results["machine"] = machine_info()
    target = HERE / "results" / "cold_start.json"
    target.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
