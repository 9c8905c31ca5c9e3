"""Catch-up speed of the process monitor: a 500-hour furnace log sampled every 10 s
(180 000 points) processed from scratch — reading and cleaning the log, advancing the
diffusion equation with D(T(t)) over every sample (in the monitor's 24-h chunks, each
checkpointed), and the final prediction (stress with relaxation, TE/TM modes, target).

    python benchmarks/monitor.py        # ~30 s; markdown on stdout, results/monitor.json

Rows (one process, best of N after a warm-up):
* monitor catch-up — ionex.dashboard.follow.MonitorLoop.run() on the log file, from an empty
  output directory: the target is < 10 s.
* batch run — the same samples in one solve on the same mesh (simulate_logged_process,
  what `ionex run --temperature-log` does): the baseline the ratio is taken against.
* stage sampling — the batch run without the reduced clock (D(T) sampled at the solver's
  stage times, the straightforward scheme): timing and its error, to show what the exactly
  integrated clock buys.

Accuracy: max |Δχ| against the batch run at 10⁴× tighter tolerances (rtol 1e-7, atol 1e-9).
* per-sample stepping — Rogoziński's (2019) eq. (11) literally: one implicit step per log sample
  (timed on the first 2 000 samples and scaled to 180 000).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import machine_info, time_call  # noqa: E402

from ionex.dashboard.follow import MonitorLoop  # noqa: E402
from ionex.io.furnace_demo import demo_temperatures  # noqa: E402
from ionex.io.furnace_log import read_log_file  # noqa: E402
from ionex.io.recipe import load_recipe  # noqa: E402
from ionex.process.monitor import simulate_logged_process  # noqa: E402

RECIPE = HERE.parent / "examples" / "monitor_bk7.toml"
HOURS, EVERY = 500.0, 10.0


def main():
    recipe = load_recipe(RECIPE)
    recipe = replace(recipe, steps=(replace(recipe.steps[0], duration=HOURS * 3600.0),))
    t, T, _ = demo_temperatures(HOURS * 3600.0, EVERY, 673.15, seed=1)
    work = Path(tempfile.mkdtemp(prefix="ionex-monitor-bench-"))
    log = work / "furnace.csv"
    log.write_text(
        "time_s,temperature_C\n" + "".join(f"{a:.1f},{b - 273.15:.3f}\n" for a, b in zip(t, T)),
        encoding="utf-8",
    )
    n = t.size

    def catch_up():
        out = work / "out"
        shutil.rmtree(out, ignore_errors=True)
        loop = MonitorLoop(recipe, log, out)
        data = loop.run()
        return loop, data

    (loop, data), t_monitor = time_call(catch_up, repeats=3)
    # every sample of the log, as the monitor took them (it keeps only a thinned history)
    t_log, T_log, _ = read_log_file(log, lenient=True)
    batch, t_batch = time_call(lambda: simulate_logged_process(recipe, t_log, T_log), repeats=3)
    cells = loop.monitor.grid.n_cells
    diff_monitor = float(np.max(np.abs(loop.monitor.frac - batch.frac_incoming[-1, :cells])))
    # the accuracy reference: the same run at 10⁴× tighter tolerances
    tight = replace(recipe, numerics=replace(recipe.numerics, rtol=1e-7, atol=1e-9))
    ref = simulate_logged_process(tight, t_log, T_log)
    ref_final = ref.frac_incoming[-1, :cells]
    err_batch = float(np.max(np.abs(batch.frac_incoming[-1, :cells] - ref_final)))
    err_monitor = float(np.max(np.abs(loop.monitor.frac - ref_final)))

    # the straightforward scheme: D(T) sampled at the stage times (no reduced clock)
    from ionex.physics.interdiffusion import kirchhoff_law
    from ionex.solvers.diffusion import FaceCondition, solve_nonlinear_diffusion

    program = batch.recipe.steps[0].temperature

    def sampled_law(model, program):
        """t ↦ the law at T(t): D(T(t)) sampled wherever the solver's stages fall."""
        cache = {}

        def law(t):
            T = float(program(t))
            if T not in cache:
                if len(cache) > 64:
                    cache.clear()
                cache[T] = kirchhoff_law(model, T)
            return cache[T]

        return law

    def stage_sampling():
        return solve_nonlinear_diffusion(
            loop.monitor.grid,
            sampled_law(recipe.model, program),
            np.zeros(cells),
            batch.recipe.steps[0].duration,
            front=FaceCondition(1.0),
            back=FaceCondition(None),
            rtol=recipe.numerics.rtol,
            atol=recipe.numerics.atol,
        )

    staged, t_staged = time_call(stage_sampling, repeats=1)
    diff_staged = float(np.max(np.abs(staged.final - ref_final)))

    # eq. (11) literally: one step per log sample, on the first 2000 samples
    m = 2000

    def per_sample():
        return solve_nonlinear_diffusion(
            loop.monitor.grid,
            sampled_law(recipe.model, program),
            np.zeros(cells),
            float(t[m - 1]),
            front=FaceCondition(1.0),
            back=FaceCondition(None),
            fixed_step=EVERY,
        )

    _, t_per = time_call(per_sample, repeats=1)
    t_per_full = t_per.best * (n - 1) / (m - 1)
    results = {
        "samples": int(n),
        "hours": HOURS,
        "cells": int(cells),
        "monitor_catch_up_s": t_monitor.best,
        "batch_s": t_batch.best,
        "ratio_monitor_to_batch": t_monitor.best / t_batch.best,
        "monitor_vs_batch_max_dfrac": diff_monitor,
        "monitor_error_vs_tight_reference": err_monitor,
        "batch_error_vs_tight_reference": err_batch,
        "stage_sampling_s": t_staged.best,
        "stage_sampling_error_vs_tight_reference": diff_staged,
        "per_sample_stepping_s_extrapolated": t_per_full,
        "ratio_per_sample_to_monitor": t_per_full / t_monitor.best,
        "final": {
            k: data[k] for k in ("time_h", "compressive_stress_MPa", "depth_of_layer_um", "modes")
        },
        "warnings": data["n_warnings"],
        "machine": machine_info(),
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "monitor.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)
    print(
        f"# Monitor catch-up: {HOURS:.0f} h log every {EVERY:.0f} s ({n} samples, {cells} cells)\n"
    )
    print("| row | time (s) | ratio to batch | max |Δχ| vs tight reference |")
    print("|---|---|---|---|")
    print(
        f"| monitor catch-up (read, advance in 24-h checkpointed chunks, predict) | {t_monitor.best:.2f} | "
        f"{t_monitor.best / t_batch.best:.2f} | {err_monitor:.1e} (vs batch {diff_monitor:.1e}) |"
    )
    print(
        f"| batch run, same samples and mesh (baseline) | {t_batch.best:.2f} | 1 | {err_batch:.1e} |"
    )
    print(
        f"| stage sampling of D(T(t)), no reduced clock | {t_staged.best:.2f} | {t_staged.best / t_batch.best:.2f} | "
        f"{diff_staged:.1e} |"
    )
    print(
        f"| one step per sample (eq. 11), extrapolated | {t_per_full:.1f} | {t_per_full / t_batch.best:.0f} | — |"
    )


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"\n(total {time.perf_counter() - t0:.0f} s)")
