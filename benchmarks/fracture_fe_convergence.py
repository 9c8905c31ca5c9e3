"""Edge-crack stress intensity factors: a finite-element reference against Tada's handbook
formulas and ionex's weight function (ionex.physics.fracture).

    .venv/bin/python benchmarks/fracture_fe_convergence.py     # ~45 s on one core

The FE reference is tests/_fe_edge_crack.py (plane strain, quadratic triangles graded
geometrically to the tip, K from the domain interaction integral with the crack-face
traction term). For each flaw depth α = a/t it is run at refinements 1 … 4 (each ≈ 2× the
unknowns); the converged value is the Richardson extrapolation of the last three with the
observed ratio of successive changes, and "FE err(n)" is |K_n − K_∞|/|K_∞|.

Printed: F = K/(σ√(πa)) for a uniform crack-face stress (Tada's three single-edge-notch
tension formulas, ionex unit_stress_intensity "uniform"), for bending σ(1 − 2x/t) (Tada's
bending polynomial and tan formula, ionex "bending"), the half-plane limit 1.1215 at
α = 0.001, the plate-length check (H = 4t against 8t), and K of a force- and moment-free
residual erfc profile against ionex stress_intensity; all differences in percent of FE.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy.integrate import quad
from scipy.special import erfc

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import _fe_edge_crack as fe  # noqa: E402

from ionex.physics.fracture import stress_intensity, unit_stress_intensity  # noqa: E402

# beyond 0.6 (where ionex switches to the tan formulas) the polynomials are not shown
ALPHAS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9)
POLYNOMIAL_LIMIT = 0.6
LEVELS = (1, 2, 3, 4)
THICKNESS = 0.8e-3  # m

# residual profile: σ(x) = −CS·erfc(x/L) + A + B(1 − 2x/t), A and B making it force- and
# moment-free over [0, t] (a plate exchanged on one face, free to bend)
SURFACE_STRESS = 800e6  # CS (Pa)
LAYER = 10e-6  # L (m)
RESIDUAL_ALPHAS = (0.01, 0.02, 0.05, 0.1, 0.3)


def tada_polynomial(alpha):
    return 1.12 - 0.231 * alpha + 10.55 * alpha**2 - 21.72 * alpha**3 + 30.39 * alpha**4


def tada_tension_rational(alpha):
    """0.265(1 − α)⁴ + (0.857 + 0.265α)/(1 − α)^1.5 (Tada's handbook, 1 % for any α)."""
    return 0.265 * (1 - alpha) ** 4 + (0.857 + 0.265 * alpha) / (1 - alpha) ** 1.5


def tada_tan(alpha):
    b = 0.5 * math.pi * alpha
    return (
        math.sqrt(math.tan(b) / b)
        * (0.752 + 2.02 * alpha + 0.37 * (1 - math.sin(b)) ** 3)
        / math.cos(b)
    )


def tada_bending_polynomial(alpha):
    return 1.122 - 1.40 * alpha + 7.33 * alpha**2 - 13.08 * alpha**3 + 14.0 * alpha**4


def tada_bending_tan(alpha):
    b = 0.5 * math.pi * alpha
    return math.sqrt(math.tan(b) / b) * (0.923 + 0.199 * (1 - math.sin(b)) ** 4) / math.cos(b)


def residual_profile(thickness=THICKNESS):
    """σ(x) (Pa) of the balanced erfc profile, and its zero crossing depth (m)."""
    t, cs, length = thickness, SURFACE_STRESS, LAYER
    force = quad(lambda x: erfc(x / length), 0, t, points=[length, 5 * length], limit=200)[0]
    moment = quad(
        lambda x: erfc(x / length) * (1 - 2 * x / t), 0, t, points=[length, 5 * length], limit=200
    )[0]
    mean, bending = cs * force / t, 3 * cs * moment / t

    def sigma(x):
        return -cs * erfc(np.asarray(x) / length) + mean + bending * (1 - 2 * np.asarray(x) / t)

    x = np.linspace(0, t, 400001)
    zero = x[np.argmax(sigma(x) > 0)]
    return sigma, zero


def extrapolate(values):
    """Richardson extrapolation of the last three values with the observed ratio of their
    changes; falls back to the last value (error: its last change) when the changes do not
    shrink steadily."""
    k1, k2, k3 = values[-3:]
    d1, d2 = k2 - k1, k3 - k2
    if d2 != 0 and d1 / d2 > 1.5:
        return k3 + d2 / (d1 / d2 - 1)
    return k3 + abs(d2) * np.sign(d2)


def cell(value, reference):
    """'F | %' table cells, blank where the formula does not apply."""
    if value is None:
        return "   —   |   —  "
    return f"{value:.4f} | {pct(value, reference):+.2f}"


def pct(value, reference):
    return 100.0 * (value - reference) / abs(reference)


def run_levels(stress_fns, alpha, thickness=THICKNESS):
    a = alpha * thickness
    rows = [fe.fe_stress_intensities(stress_fns, a, thickness, refinement=n) for n in LEVELS]
    return np.array(rows)  # (levels, loads)


def main():
    start = time.perf_counter()
    t = THICKNESS
    sigma_res, zero = residual_profile()
    depth = np.concatenate(
        [np.linspace(0, 20 * LAYER, 20001)[:-1], np.linspace(20 * LAYER, t, 4001)]
    )
    res_stress = sigma_res(depth)

    def uniform(x):
        return np.ones_like(x)

    def bending(x):
        return 1 - 2 * x / t

    print("# Edge crack in a plate, plane strain: FE reference vs Tada vs ionex\n")
    print(
        f"t = {t * 1e3:g} mm, H = {fe.LENGTH_FACTOR:g} t, refinements {LEVELS}; "
        "F = K/(σ√(πa)); differences in % of FE (converged)\n"
    )
    results = {}
    for alpha in ALPHAS:
        results[alpha] = run_levels([uniform, bending], alpha)
    fe_err = {}

    sizes = []
    for n in LEVELS:
        mesh = fe.edge_crack_mesh(0.1 * t, t, n)
        begin = time.perf_counter()
        fe.fe_stress_intensities([uniform], 0.1 * t, t, refinement=n)
        sizes.append(
            f"n = {n}: {2 * (mesh.p.shape[1] + mesh.facets.shape[1])} unknowns, "
            f"{time.perf_counter() - begin:.2f} s"
        )
    print("Mesh at α = 0.1: " + "; ".join(sizes) + "\n")
    print("## Uniform crack-face stress (single edge notch in tension)\n")
    head = " ".join(f"FE n={n:<3d}" for n in LEVELS)
    print(
        f"| α    | {head} | FE ∞     | err(2) | err(3) | poly   | %      | ratnl  | %      "
        "| tan    | %      | ionex  | %      |"
    )
    for alpha in ALPHAS:
        a = alpha * t
        f = results[alpha][:, 0] / math.sqrt(math.pi * a)
        f_inf = extrapolate(f)
        errs = np.abs(f - f_inf) / f_inf
        fe_err[("uniform", alpha)] = errs
        refs = [
            tada_polynomial(alpha) if alpha <= POLYNOMIAL_LIMIT else None,
            tada_tension_rational(alpha),
            tada_tan(alpha),
        ]
        ionex = float(unit_stress_intensity(a, t, "uniform")) / math.sqrt(math.pi * a)
        cols = " ".join(f"{v:.5f} " for v in f)
        comp = " | ".join(cell(r, f_inf) for r in refs + [ionex])
        print(
            f"| {alpha:<4g} | {cols} | {f_inf:.5f} | {100 * errs[1]:.3f}% | "
            f"{100 * errs[2]:.3f}% | {comp} |"
        )

    print("\n## Bending σ(1 − 2x/t), outer-fibre stress σ on the cracked face\n")
    print(
        f"| α    | {head} | FE ∞     | err(2) | err(3) | poly   | %      | tan    | %      "
        "| ionex  | %      |"
    )
    for alpha in ALPHAS:
        a = alpha * t
        f = results[alpha][:, 1] / math.sqrt(math.pi * a)
        f_inf = extrapolate(f)
        errs = np.abs(f - f_inf) / abs(f_inf)
        fe_err[("bending", alpha)] = errs
        refs = [
            tada_bending_polynomial(alpha) if alpha <= POLYNOMIAL_LIMIT else None,
            tada_bending_tan(alpha),
        ]
        ionex = float(unit_stress_intensity(a, t, "bending")) / math.sqrt(math.pi * a)
        cols = " ".join(f"{v:.5f} " for v in f)
        comp = " | ".join(cell(r, f_inf) for r in refs + [ionex])
        print(
            f"| {alpha:<4g} | {cols} | {f_inf:.5f} | {100 * errs[1]:.3f}% | "
            f"{100 * errs[2]:.3f}% | {comp} |"
        )

    print("\n## Half-plane limit and plate length\n")
    shallow = 1e-3
    f = run_levels([uniform], shallow)[:, 0] / math.sqrt(math.pi * shallow * t)
    print(
        f"α = {shallow:g}: FE F = "
        + ", ".join(f"{v:.5f}" for v in f)
        + f" (n = {LEVELS}); exact half-plane 1.1215 ({pct(1.1215, f[-1]):+.3f} %)"
    )
    for alpha in (0.1, 0.6):
        short = results[alpha][2, 0]
        fe.LENGTH_FACTOR = 8.0
        long = fe.fe_stress_intensities([uniform], alpha * t, t, refinement=LEVELS[2])[0]
        fe.LENGTH_FACTOR = 4.0
        print(f"α = {alpha:g}, n = {LEVELS[2]}: K(H = 8t)/K(H = 4t) − 1 = {long / short - 1:+.1e}")
    for alpha in (0.01, 0.3):
        a = alpha * t
        k_big = fe.fe_stress_intensities([uniform], a, t, refinement=LEVELS[2])[0]
        k_small = fe.fe_stress_intensities([uniform], a, t, refinement=LEVELS[2], domain=0.1)[0]
        print(
            f"α = {alpha:g}, n = {LEVELS[2]}: J domain 0.1 vs 0.5·min(a, t − a): "
            f"{k_small / k_big - 1:+.1e}"
        )

    print(
        f"\n## Residual profile: −{SURFACE_STRESS / 1e6:g} MPa·erfc(x/{LAYER * 1e6:g} µm) "
        f"+ force and moment balance, t = {t * 1e3:g} mm; σ = 0 at x = {zero * 1e6:.2f} µm\n"
    )
    print(
        "K in MPa·√m; scale S = ∫₀ᵃ h|σ| dx (ionex), the bound of the weight function's "
        "error for a profile changing sign\n"
    )
    print(
        f"| α    | a (µm) | σ(a) (MPa) | {head} | FE ∞     | err(2) | ionex    | % of K "
        "| % of S |  S       |"
    )
    for alpha in RESIDUAL_ALPHAS:
        a = alpha * t
        k = run_levels([sigma_res], alpha)[:, 0] / 1e6
        k_inf = extrapolate(k)
        ionex = float(stress_intensity(depth, res_stress, a, t)) / 1e6
        scale = float(stress_intensity(depth, np.abs(res_stress), a, t)) / 1e6
        errs = np.abs(k - k_inf) / abs(k_inf)
        fe_err[("residual", alpha)] = np.abs(k - k_inf) / scale
        cols = " ".join(f"{v:+.5f}" for v in k)
        print(
            f"| {alpha:<4g} | {a * 1e6:6.1f} | {float(sigma_res(a)) / 1e6:+10.2f} | {cols} | "
            f"{k_inf:+.5f} | {100 * errs[1]:.3f}% | {ionex:+.5f} | {pct(ionex, k_inf):+6.2f} "
            f"| {100 * (ionex - k_inf) / scale:+6.2f} | {scale:.5f} |"
        )

    worst = {n: max(e[i] for e in fe_err.values()) for i, n in enumerate(LEVELS)}
    print(
        "\nFE convergence error |K_n − K_∞|, largest over all cases (residual: per S): "
        + ", ".join(f"n = {n}: {100 * w:.3f} %" for n, w in worst.items())
    )
    print(f"\nwall time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
