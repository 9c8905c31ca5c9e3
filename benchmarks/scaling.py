"""Robustness of the ionex default over the mobility ratio D_A/D_B.

    python benchmarks/scaling.py      # ~1 min; prints a markdown report and writes
                                      # benchmarks/results/scaling.json

The standard case (semi-infinite slab, χ_s = 1, 8 h, Nernst–Planck D̃) with D_B = 1e-14 m²/s
held and D_A = ratio·D_B for ratio = 1e-4 … 1e4 (the standard case is ratio 0.1). For
each ratio:

* the reference depth of χ = 0.5 (solve_bvp of the scaled Boltzmann ODE, _common.py);
* the solver-level default — graded_grid(12·√(D_max t), √(D_min t), cells_per_efold=60),
  rtol and atol of ionex's Numerics() defaults — its error, split into the spatial
  part (same grid, rtol 1e-7) and the time-integration part, its time (best of N) and work;
* ionex.simulate on standard_case.toml with these D (the public default path, which
  builds the same mesh);
* the first of cells_per_efold ∈ {60, 90, 120, 180, 240, 360, 480} ×
  rtol ∈ {3e-3, 1e-3, 4e-4, 1.5e-4, 1e-4} (coarsest grid first, then loosest rtol) that reaches 1e-4 by the
  criterion of standard_case.py (total, spatial and time parts each < 1e-4).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _common as C  # noqa: E402

RATIOS = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 1e1, 1e2, 1e3, 1e4)
Q_LADDER = (60, 90, 120, 180, 240, 360, 480)
RTOL_LADDER = (3e-3, 1e-3, 4e-4, 1.5e-4, 1e-4)
ATOL_FOR = {3e-3: 1e-4, 1e-3: 1e-5, 4e-4: 4e-6, 1.5e-4: 1.5e-6, 1e-4: 1e-6}
TIGHT = {"rtol": 1e-7, "atol": 1e-9}


def recipe_for(d_incoming, d_host):
    """standard_case.toml with the two diffusion coefficients replaced, parsed by ionex."""
    from ionex.io.recipe import parse_recipe

    text = (HERE / "standard_case.toml").read_text(encoding="utf-8")
    text = text.replace('D = "1e-15 m^2/s"', f'D = "{d_incoming!r} m^2/s"').replace(
        'D = "1e-14 m^2/s"', f'D = "{d_host!r} m^2/s"'
    )
    return parse_recipe(text, HERE / "standard_case.toml")


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeats", type=int, default=7, help="timed repeats per run (default 7)")
    ap.add_argument("--json", type=Path, default=HERE / "results" / "scaling.json")
    args = ap.parse_args(argv)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    started = time.perf_counter()
    rows = []
    d_host = C.D_HOST
    for ratio in RATIOS:
        d_in = ratio * d_host
        ref = C.reference_depth(d_in, d_host)
        ref16 = C.reference_depth(d_in, d_host, s_max=16.0).depth
        kw = {"d_incoming": d_in, "d_host": d_host}

        def run(q, rtol, atol):
            return C.run_ionex_solver(q, rtol, atol, **kw)

        def measure(q, rtol, atol):
            out, t = C.time_call(lambda: run(q, rtol, atol), args.repeats, warmup=1)
            spatial = C.relative_error(run(q, **TIGHT).depth, ref.depth)
            err = C.relative_error(out.depth, ref.depth)
            return {
                "cells_per_efold": q,
                "rtol": rtol,
                "atol": atol,
                "cells": out.cells,
                "error": err,
                "spatial_error": spatial,
                "time_error": err - spatial,
                "reaches_1e-4": C.reaches_target(err, spatial),
                "timing": t.as_dict(),
                "work": out.work,
            }

        import ionex
        from ionex.process.recipe import Numerics

        defaults = Numerics()
        default = measure(defaults.cells_per_efold, defaults.rtol, defaults.atol)

        recipe = recipe_for(d_in, d_host)
        q_sim = recipe.numerics.cells_per_efold
        out, t = C.time_call(lambda: C.run_ionex_simulate(recipe), args.repeats, warmup=1)
        err = C.relative_error(out.depth, ref.depth)
        spatial = C.relative_error(run(q_sim, **TIGHT).depth, ref.depth)
        sim = {
            "cells_per_efold": q_sim,
            "rtol": recipe.numerics.rtol,
            "atol": recipe.numerics.atol,
            "cells": out.cells,
            "error": err,
            "spatial_error": spatial,
            "time_error": err - spatial,
            "reaches_1e-4": C.reaches_target(err, spatial),
            "timing": t.as_dict(),
            "work": out.work,
            "ionex_version": ionex.__version__,
        }

        needed = None
        spatial_cache = {}
        for q in Q_LADDER:
            spatial = spatial_cache.setdefault(
                q, C.relative_error(run(q, **TIGHT).depth, ref.depth)
            )
            if abs(spatial) >= C.TARGET:
                continue
            for rtol in RTOL_LADDER:
                err = C.relative_error(run(q, rtol, ATOL_FOR[rtol]).depth, ref.depth)
                if C.reaches_target(err, spatial):
                    needed = measure(q, rtol, ATOL_FOR[rtol])
                    break
            if needed is not None:
                break
        rows.append(
            {
                "ratio_DA_DB": ratio,
                "d_incoming": d_in,
                "d_host": d_host,
                "diffusion_length_m": C.diffusion_length(d_in, d_host),
                "reference_depth_m": ref.depth,
                "reference_s_max_16_relative_change": (ref16 - ref.depth) / ref.depth,
                "default_q60": default,
                "simulate_default": sim,
                "first_reaching_1e-4": needed,
            }
        )
        log(
            f"ratio {ratio:g}: default error {default['error']:+.2e} ({C.fmt_time(default['timing']['best_s'])}), "
            f"simulate q={q_sim:.0f} error {sim['error']:+.2e}, "
            + (
                f"1e-4 needs q={needed['cells_per_efold']:g}, rtol={needed['rtol']:g}"
                if needed
                else "1e-4 not reached"
            )
        )

    machine = C.machine_info()
    src = machine["ionex_source"]
    lines = []
    p = lines.append
    p("# ionex default vs mobility ratio D_A/D_B\n")
    p(
        f"Standard case with D_B = {d_host:g} m²/s and D_A = ratio·D_B; semi-infinite slab, χ_s = 1, 8 h. "
        "Error: relative error of the depth of χ = 0.5 against solve_bvp (spatial part: same grid at rtol 1e-7). "
        f"Times: best of {args.repeats}. ionex source: git {src.get('git_head', '?')[:10]}"
        f"{' + uncommitted changes' if src.get('src_modified_since_head') else ''} (src hash {src['src_sha256']}).\n"
    )
    p(
        "| D_A/D_B | ref. depth | default q=60: cells | error (spatial / time) | time | steps | simulate: q → cells | error | time | first (coarsest q, loosest rtol) reaching 1e-4 | error | time |"
    )
    p("|---:|---:|---:|---|---:|---:|---|---:|---:|---|---:|---:|")
    for r in rows:
        d, s, n = r["default_q60"], r["simulate_default"], r["first_reaching_1e-4"]
        mark = "" if d["reaches_1e-4"] else " ✗"
        smark = "" if s["reaches_1e-4"] else " ✗"
        p(
            f"| {r['ratio_DA_DB']:g} | {r['reference_depth_m'] * 1e6:.4f} µm | {d['cells']} | "
            f"{d['error']:+.2e}{mark} ({d['spatial_error']:+.1e} / {d['time_error']:+.1e}) | "
            f"{C.fmt_time(d['timing']['best_s'])} | {d['work']['steps']} | "
            f"{s['cells_per_efold']:.0f} → {s['cells']} | {s['error']:+.2e}{smark} | {C.fmt_time(s['timing']['best_s'])} | "
            + (
                f"q={n['cells_per_efold']:g}, rtol={n['rtol']:g} ({n['cells']} cells) | {n['error']:+.2e} | {C.fmt_time(n['timing']['best_s'])} |"
                if n
                else "not within the ladder | – | – |"
            )
        )
    p("\n✗: misses 1e-4 (total, spatial or time part ≥ 1e-4).")
    fails = [r["ratio_DA_DB"] for r in rows if not r["default_q60"]["reaches_1e-4"]]
    sim_fails = [r["ratio_DA_DB"] for r in rows if not r["simulate_default"]["reaches_1e-4"]]
    nd = Numerics()
    p(
        f"\nDefault (q={nd.cells_per_efold:g}, rtol {nd.rtol:g}, atol {nd.atol:g}) misses 1e-4 at D_A/D_B = "
        f"{', '.join(f'{x:g}' for x in fails) or 'none'}; "
        f"simulate's default misses it at {', '.join(f'{x:g}' for x in sim_fails) or 'none'}."
    )
    total = time.perf_counter() - started
    p(f"\n(wall time {total:.0f} s)")
    print("\n".join(lines))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {"machine": machine, "rows": rows, "wall_time_s": total}, indent=1, default=float
        )
    )
    log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
