"""Timing of the multicomponent interdiffusion solver (ionex.solvers.multicomponent) on a
two-step Li/Na/K exchange of a lithium aluminosilicate plate, against the binary engine.

    python benchmarks/multicomponent.py     # ~10 s; markdown on stdout,
                                            # benchmarks/results/multicomponent.json

The process (illustrative values, not fitted to a glass): a 0.8 mm plate exchanged on
both faces, solved as its symmetric half (0.4 mm, closed at the mid-plane) on a mesh
graded toward the face, graded_grid(0.4 mm, √(D_K,2 t_2), 60) — finest where the shallow
K layer of step 2 forms. Glass χ(Li, Na, K) = (0.65, 0.33, 0.02).

* step 1, 430 °C, 4 h, Na-rich bath: surface χ = (0.03, 0.95, 0.02),
  D = (2.5e-13, 8e-12, 3e-14) m²/s;
* step 2, 380 °C, 1 h, K-rich bath: surface χ = (0.005, 0.095, 0.9), the D of step 1
  moved by Arrhenius laws with Q = (100, 110, 130) kJ/mol.

Rows (best of N after a warm-up, one process, wall clock, default tolerances rtol 4e-4,
atol 4e-6):
* the two steps on the half plate (target ≤ 50 ms);
* the same on the full plate with both faces as baths (mirrored mesh), with its largest
  difference from the half plate;
* the binary engine (solve_nonlinear_diffusion) on the same mesh and durations — Na
  replacing Li in step 1, K replacing Na in step 2, the Nernst–Planck law of each pair —
  with its active region (the default) and on every cell (skip_flat=False, the work the
  multicomponent solver does), for the cost per cell-step (wall time / Σ cells solved over
  all step attempts).
Accuracy of the default run: against the same mesh at rtol 1e-8, atol 1e-10 (time
integration), and against the mesh of twice the cells per e-fold at that tolerance
(space).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _common as C  # noqa: E402

GAS_CONSTANT = 8.314462618
IONS = ("Li", "Na", "K")
HALF_THICKNESS = 0.4e-3  # m
GLASS = (0.65, 0.33, 0.02)
T1, T2 = 703.15, 653.15  # K
D1 = np.array([2.5e-13, 8e-12, 3e-14])  # m²/s at T1
ACTIVATION = np.array([100e3, 110e3, 130e3])  # J/mol
D2 = D1 * np.exp(-ACTIVATION / GAS_CONSTANT * (1.0 / T2 - 1.0 / T1))
STEP1 = (4 * 3600.0, (0.03, 0.95, 0.02), D1)
STEP2 = (1 * 3600.0, (0.005, 0.095, 0.9), D2)
CELLS_PER_EFOLD = 60.0
TARGET_S = 0.050
REPEATS = 20


def half_grid(cells_per_efold=CELLS_PER_EFOLD):
    from ionex.grids import graded_grid

    return graded_grid(HALF_THICKNESS, math.sqrt(D2[2] * STEP2[0]), cells_per_efold)


def full_grid(half):
    """The half mesh and its mirror image: the full plate, graded toward both faces."""
    from ionex.grids import Grid

    f = half.faces
    return Grid(np.concatenate([f, 2 * f[-1] - f[-2::-1]]))


def process(grid, two_baths=False, rtol=4e-4, atol=4e-6):
    """The two steps; returns the two MulticomponentSolutions."""
    from ionex.solvers.multicomponent import BathFace, ClosedFace, solve_multicomponent

    state = np.outer(GLASS, np.ones(grid.n_cells))
    out = []
    for duration, surface, d in (STEP1, STEP2):
        bath = BathFace(surface)
        sol = solve_multicomponent(
            grid,
            d,
            state,
            duration,
            front=bath,
            back=bath if two_baths else ClosedFace(),
            rtol=rtol,
            atol=atol,
        )
        state = sol.final
        out.append(sol)
    return out


def binary_process(grid, skip_flat=True):
    """The binary engine over the same mesh and durations: Na replacing Li (step 1), then
    K replacing Na (step 2), each with its pair's Nernst–Planck law."""
    from ionex.physics.kirchhoff import KirchhoffLaw
    from ionex.solvers.diffusion import FaceCondition, solve_nonlinear_diffusion

    out = []
    for (duration, surface, d), (a, b) in zip((STEP1, STEP2), ((1, 0), (2, 1))):
        law = KirchhoffLaw.rational(float(d[a]), float(d[b]))
        fraction = surface[a] / (surface[a] + surface[b])
        out.append(
            solve_nonlinear_diffusion(
                grid,
                law,
                np.zeros(grid.n_cells),
                duration,
                front=FaceCondition(fraction),
                back=FaceCondition(None),
                skip_flat=skip_flat,
            )
        )
    return out


def _row(name, timing, sols, cells):
    cell_steps = sum(int(s.diagnostics["cell_steps"]) for s in sols)
    return {
        "name": name,
        "cells": cells,
        **timing.as_dict(),
        "steps": [s.n_steps for s in sols],
        "rejected": [s.n_rejected for s in sols],
        "cell_steps": cell_steps,
        "ns_per_cell_step": timing.best / cell_steps * 1e9,
    }


def _crossing(x, y, level):
    """First depth where y falls to ``level`` (linear between centres)."""
    k = int(np.nonzero(y < level)[0][0])
    return float(x[k - 1] + (y[k - 1] - level) * (x[k] - x[k - 1]) / (y[k - 1] - y[k]))


def main():
    grid = half_grid()
    full = full_grid(grid)
    rows = []
    sols, timing = C.time_call(lambda: process(grid), REPEATS)
    rows.append(_row("multicomponent, half plate (closed mid-plane)", timing, sols, grid.n_cells))
    full_sols, timing = C.time_call(lambda: process(full, two_baths=True), REPEATS)
    rows.append(_row("multicomponent, full plate (two baths)", timing, full_sols, full.n_cells))
    n = grid.n_cells
    mirror = max(
        float(np.max(np.abs(full_sols[1].final[:, :n] - sols[1].final))),
        float(np.max(np.abs(full_sols[1].final[:, n:][:, ::-1] - sols[1].final))),
    )
    for skip, label in ((True, "active region"), (False, "every cell")):
        bsols, timing = C.time_call(lambda skip=skip: binary_process(grid, skip), REPEATS)
        rows.append(_row(f"binary engine, {label}", timing, bsols, grid.n_cells))
    multi, binary_full = rows[0], rows[3]
    ratio_full = multi["ns_per_cell_step"] / binary_full["ns_per_cell_step"]
    ratio_active = multi["ns_per_cell_step"] / rows[2]["ns_per_cell_step"]

    tight = process(grid, rtol=1e-8, atol=1e-10)
    time_error = float(np.max(np.abs(sols[1].final - tight[1].final)))
    fine_grid = half_grid(2 * CELLS_PER_EFOLD)
    fine = process(fine_grid, rtol=1e-8, atol=1e-10)
    space_error = max(
        float(np.max(np.abs(np.interp(grid.centres, fine_grid.centres, fine[1].final[i])
                            - tight[1].final[i])))
        for i in range(3)
    )  # fmt: skip
    x = grid.centres
    final = sols[1].final
    features = {
        "surface_cell_fractions_step1": sols[0].final[:, 0].tolist(),
        "surface_cell_fractions_step2": final[:, 0].tolist(),
        "k_half_depth_um": _crossing(x, final[2], 0.5 * final[2, 0]) * 1e6,
        "li_half_replaced_depth_um": _crossing(x, -final[0], -0.5 * GLASS[0]) * 1e6,
        "midplane_fractions": final[:, -1].tolist(),
        "min_fraction": min(s.diagnostics["min_fraction"] for s in sols),
    }
    accuracy = {
        "time_error_vs_rtol_1e-8": time_error,
        "space_error_vs_twice_cells_per_efold": space_error,
        "full_plate_vs_half_plate": mirror,
    }
    best = multi["best_s"]
    print(f"# Multicomponent interdiffusion: two-step Li/Na/K exchange ({n} cells)\n")
    print("| run | cells | best (ms) | median (ms) | steps | rejected | ns per cell-step |")
    print("|---|---:|---:|---:|---|---|---:|")
    for r in rows:
        print(
            f"| {r['name']} | {r['cells']} | {r['best_s'] * 1e3:.2f} | {r['median_s'] * 1e3:.2f} | "
            f"{r['steps']} | {r['rejected']} | {r['ns_per_cell_step']:.0f} |"
        )
    print(
        f"\nTwo steps on the half plate: {best * 1e3:.1f} ms "
        f"({'PASS' if best <= TARGET_S else 'FAIL'}, target ≤ {TARGET_S * 1e3:.0f} ms)."
    )
    print(
        f"Cost per cell-step against the binary engine: {ratio_full:.2f}× (every cell), "
        f"{ratio_active:.2f}× (binary with its active region)."
    )
    print(
        f"Accuracy of the default run: time {time_error:.2e}, space {space_error:.2e} "
        f"(max |Δχ|); full plate vs half plate {mirror:.1e}; lowest fraction "
        f"{features['min_fraction']:.1e}."
    )
    print(
        f"K at the surface {final[2, 0]:.3f}, K half depth {features['k_half_depth_um']:.1f} µm, "
        f"Li half replaced to {features['li_half_replaced_depth_um']:.1f} µm."
    )
    out = HERE / "results" / "multicomponent.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "meta": {**C.machine_info(), "ions": IONS, "d_step1": D1, "d_step2": D2},
                "rows": rows,
                "target_s": TARGET_S,
                "pass_target": best <= TARGET_S,
                "cost_ratio_per_cell_step": {
                    "every_cell": ratio_full,
                    "active_region": ratio_active,
                },
                "accuracy": accuracy,
                "features": features,
            },
            indent=2,
            default=lambda v: v.tolist() if isinstance(v, np.ndarray) else float(v),
        )
    )
    print(f"\nwritten {out.relative_to(HERE.parent)}", file=sys.stderr)


if __name__ == "__main__":
    main()
