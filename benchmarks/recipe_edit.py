"""The cost of rebuilding a recipe with new parameter values, against the forward run it
prepares, and the in-process throughput of a sweep (every run rebuilds its recipe).

    python benchmarks/recipe_edit.py        # ~1 min; results/recipe_edit.json

* edit: Recipe.with_values({path: SI value}) on the soda-lime example (D_K varied, what a
  fit does for each forward run) and on the BK7 example (the bath temperature varied, with
  stress and optics), each run 300 times with a new value (on commits before
  Recipe.with_values: RecipeDocument.with_values(...).recipe(), the value in the field's
  unit);
* run: one simulate() of the rebuilt recipe at the example's default numerics;
* sweep: benchmarks/sweep_1000.toml's first 300 runs in this process (client=None,
  batched), runs per second.

Run it on two commits (``PYTHONPATH=<checkout>/src python benchmarks/recipe_edit.py``) to
compare them; the JSON names the commit it measured.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import machine_info  # noqa: E402

EXAMPLES = HERE.parent / "examples"
CASES = {  # recipe, field, SI value
    "soda-lime, ions.K.D": (EXAMPLES / "soda_lime_k_na.toml", "ions.K.D", 1.3e-15),
    "BK7, step[1].temperature": (EXAMPLES / "bk7_k_na_91h.toml", "step[1].temperature", 673.15),
}
EDITS = 300


def _editor(path: Path, field: str):
    """value (SI) → Recipe, the way fits and sweeps of the measured commit rebuild recipes."""
    from ionex.io.recipe import load_recipe

    recipe = load_recipe(path)
    if hasattr(recipe, "with_values"):
        return lambda value: recipe.with_values({field: value})
    # before Recipe.with_values: the parsed document edited in the field's unit
    from ionex.io.fit_file import FieldUnit
    from ionex.io.recipe_document import RecipeDocument

    doc = RecipeDocument.load(path)
    unit = FieldUnit.of(doc.value(field)[1])
    return lambda value: doc.with_values({field: unit.from_si(value)}).recipe()


def edit_and_run(path: Path, field: str, value: float) -> dict:
    from ionex.process.simulate import simulate

    edit = _editor(path, field)
    recipe = edit(value)
    simulate(recipe)  # compiled kernels loaded
    best_edit = best_run = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for i in range(EDITS):
            recipe = edit(value * (1 + 1e-4 * i))
        best_edit = min(best_edit, (time.perf_counter() - start) / EDITS)
        start = time.perf_counter()
        simulate(recipe)
        best_run = min(best_run, time.perf_counter() - start)
    return {"edit_s": best_edit, "run_s": best_run, "edit_over_run": best_edit / best_run}


def sweep_throughput(runs: int = 300) -> float:
    from dataclasses import replace

    from ionex.io.sweep_file import load_sweep
    from ionex.process.sweep import run_sweep

    sweep = load_sweep(HERE / "sweep_1000.toml").sweep
    sweep = replace(sweep, points=sweep.points[:runs], axes=None)
    run_sweep(replace(sweep, points=sweep.points[:8]))  # warm
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        run_sweep(sweep)
        best = min(best, time.perf_counter() - start)
    return runs / best


def main():
    out = {name: edit_and_run(*case) for name, case in CASES.items()}
    out["sweep_runs_per_s"] = sweep_throughput()
    out["machine"] = machine_info()
    print("| recipe | edit (ms) | forward run (ms) | edit / run |")
    print("|---|---|---|---|")
    for name in CASES:
        r = out[name]
        print(
            f"| {name} | {r['edit_s'] * 1e3:.2f} | {r['run_s'] * 1e3:.1f} | {r['edit_over_run']:.3f} |"
        )
    print(
        f"\nsweep_1000.toml, first 300 runs in this process: {out['sweep_runs_per_s']:.1f} runs/s"
    )
    target = HERE / "results" / "recipe_edit.json"
    target.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
