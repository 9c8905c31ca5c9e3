"""The finite-element table that calibrates ionex's edge-crack weight function
(ionex.physics.fracture: _FE_FLAW_DEPTHS, _FE_UNIFORM, _FE_BENDING, _FE_QUADRATIC).

    .venv/bin/python benchmarks/fracture_fe_table.py     # ~40 s on one core

For each flaw depth α = a/t of the table the FE reference (tests/_fe_edge_crack.py, plane
strain, refinement 3: ≤ 0.005 % from its converged value, benchmarks/fracture_fe_convergence.py)
gives F = K/(σ√(πa)) of three crack-face stresses on one mesh:

    uniform σ,   bending σ(1 − 2x/t),   quadratic σ(x/a)².

At α = 0 the exact half-plane 1.1215 is the node of the uniform and bending factors (both
tend to it); the quadratic one has no exact value at hand, and its node is the not-a-knot
cubic spline of g = F·(1 − α)^(3/2) through the FE nodes, extrapolated over [0, 0.001]
(F changes by < 1e-5 there). Nodes run to 0.65, past the 0.6 where ionex joins Tada's tan
formulas, so that the spline is not at its end there.

Printed: the table as Python literals, then the interpolation check — FE at depths between
the nodes against the cubic spline of g through the nodes (the interpolation ionex uses).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from scipy.interpolate import CubicSpline

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import _fe_edge_crack as fe  # noqa: E402

THICKNESS = 0.8e-3  # m; F depends on α only
REFINEMENT = 3
HALF_PLANE = 1.1215
# denser at small α, where bending departs from uniform fastest relative to its size
NODES = (
    0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.06, 0.07,
    0.08, 0.09, 0.1, 0.12, 0.14, 0.16, 0.18, 0.2, 0.225, 0.25, 0.275, 0.3, 0.35, 0.4, 0.45,
    0.5, 0.55, 0.6, 0.625, 0.65,
)  # fmt: skip
# halfway between nodes, for the interpolation check
CHECKS = (
    0.00175, 0.00375, 0.0125, 0.0175, 0.035, 0.045, 0.075, 0.11, 0.15, 0.19, 0.2375,
    0.2625, 0.325, 0.375, 0.425, 0.475, 0.525, 0.575, 0.6125,
)  # fmt: skip
NAMES = ("uniform", "bending", "quadratic")


def factors(alpha: float, thickness: float = THICKNESS) -> np.ndarray:
    """F_u, F_b, F_q = K/(σ√(πa)) of uniform, bending and quadratic crack-face stress."""
    a = alpha * thickness
    loads = [
        lambda x: np.ones_like(x),
        lambda x: 1.0 - 2.0 * x / thickness,
        lambda x: (x / a) ** 2,
    ]
    k = fe.fe_stress_intensities(loads, a, thickness, refinement=REFINEMENT)
    return k / np.sqrt(np.pi * a)


def spline(alpha: np.ndarray, values: np.ndarray) -> CubicSpline:
    """The interpolation of ionex: a not-a-knot cubic spline of F·(1 − α)^(3/2) in α."""
    return CubicSpline(alpha, values * (1.0 - alpha) ** 1.5)


def literal(name: str, values, form: str = ".6f") -> str:
    body = ", ".join(f"{v:{form}}" for v in values) + ","
    lines, line = [], "    "
    for item in body.split(" "):
        if len(line) + len(item) + 1 > 95:
            lines.append(line.rstrip())
            line = "    "
        line += item + " "
    lines.append(line.rstrip())
    return f"{name} = np.array(\n    [\n" + "\n".join("    " + s for s in lines) + "\n    ]\n)"


def main():
    start = time.perf_counter()
    nodes = np.array(NODES)
    table = np.array([factors(alpha) for alpha in nodes])  # (nodes, 3)
    # the α = 0 node: the half-plane's exact value for uniform and bending, the spline's
    # extrapolation for the quadratic stress
    quadratic_zero = spline(nodes, table[:, 2])(0.0)
    alpha = np.concatenate([[0.0], nodes])
    zero = np.array([[HALF_PLANE, HALF_PLANE, quadratic_zero]])
    table = np.concatenate([zero, table])

    print(
        f"# FE reference, refinement {REFINEMENT}, F = K/(σ√(πa)); benchmarks/fracture_fe_table.py"
    )
    print("# fmt: off")
    print(literal("_FE_FLAW_DEPTHS", alpha, "g"))
    for name, column in zip(("_FE_UNIFORM", "_FE_BENDING", "_FE_QUADRATIC"), table.T):
        print(literal(name, column))
    print("# fmt: on")

    print("\n# interpolation check: (spline − FE)/FE in % at depths between the nodes")
    splines = [spline(alpha, column) for column in table.T]
    worst = np.zeros(3)
    for check in CHECKS:
        fe_values = factors(check)
        interpolated = np.array([s(check) for s in splines]) / (1.0 - check) ** 1.5
        error = 100.0 * (interpolated / fe_values - 1.0)
        worst = np.maximum(worst, np.abs(error))
        cells = "  ".join(f"{n} {e:+.5f}" for n, e in zip(NAMES, error))
        print(f"# α = {check:<7g} {cells}")
    print("# largest: " + ", ".join(f"{n} {w:.5f} %" for n, w in zip(NAMES, worst)))
    print(f"# wall time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
