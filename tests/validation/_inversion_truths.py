"""Known index profiles and their exact mode lists, for the mode-inversion validation tests
and benchmarks/inverse.py.

Every truth is built without ionex.process.inversion: closed forms (erfc, Gaussian,
exponential), the independent collocation solution of the Boltzmann problem
(tests/_references.similarity_solution, scipy solve_bvp) for the flat-topped one-step
profiles, and ionex.simulate for a two-step exchange and for the BK7 plate of Rogoziński's
91 h process. Their modes come from ionex.solvers.modes.solve_modes on 4001 uniform points
(the exact Maxwell modes of the sampled profile; ≈ 1e-9 from those of the smooth one).

BK7 at 677 nm (ionex.physics.materials preset): n_b = 1.5137, Δn_0 = 0.0075, C∥ = −0.5e-12, C⊥ = −3.3e-12 1/Pa;
stress σ(x) = σ_s u(x), σ_s = −400 MPa, n_0 = n_b + Δn_0 u, so Δn_TE ≈ 0.0090, Δn_TM ≈ 0.0101;
air cover. Depths are chosen for 10–14 modes per polarisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from _references import similarity_solution
from scipy.interpolate import PchipInterpolator
from scipy.optimize import brentq
from scipy.special import erfc

from ionex.physics.optics import ElastoOptic
from ionex.solvers.modes import solve_modes

WAVELENGTH = 677e-9
N_B = 1.5137
DELTA_N0 = 0.0075
C_PAR, C_PERP = -0.5e-12, -3.3e-12
EO = ElastoOptic(C_PAR, C_PERP)
SIGMA_S = -400e6
INDEX_TARGET = 2e-4  # the model's targets, noise-free: n within 2e-4 over the covered depth,
STRESS_TARGET = 15e6  # σ within 15 MPa at every TM turning point of the true profile

SHAPES = ("erfc", "gaussian", "exponential", "flat r=0.1", "flat r=0.03", "two-step")


@dataclass(frozen=True, eq=False)
class Truth:
    """A known guide: n_TE(x), n_TM(x), σ(x) (callables of x in m), its exact modes, the TM
    turning points and each polarisation's covered depth (turning point of its last mode)."""

    name: str
    n_te: object
    n_tm: object
    stress: object
    extent: float
    modes: dict
    tm_turning_points: np.ndarray
    covered: dict

    def index(self, pol):
        return self.n_te if pol == "TE" else self.n_tm


def _turning_point(f, level, extent):
    return brentq(lambda x: float(f(x)) - level, 0.0, extent, xtol=1e-15, rtol=1e-15)


def make_truth(name, u, extent, stress_shape=None, substrate=(N_B, N_B)) -> Truth:
    """n_pol = n_s,pol + Δn_0 u + C_pol σ_s s(x), s = stress_shape or u; modes on 4001 points."""
    s = u if stress_shape is None else stress_shape
    n_te = lambda x: substrate[0] + DELTA_N0 * u(x) + (C_PAR + C_PERP) * SIGMA_S * s(x)  # noqa: E731
    n_tm = lambda x: substrate[1] + DELTA_N0 * u(x) + 2 * C_PERP * SIGMA_S * s(x)  # noqa: E731
    stress = lambda x: (n_te(x) - n_tm(x)) / EO.stress_optic  # noqa: E731
    return _finish(name, n_te, n_tm, stress, extent, substrate)


def _finish(name, n_te, n_tm, stress, extent, substrate) -> Truth:
    x = np.linspace(0.0, extent, 4001)
    modes = {}
    for pol, f, n_s in (("TE", n_te, substrate[0]), ("TM", n_tm, substrate[1])):
        modes[pol] = solve_modes(
            x, f(x), WAVELENGTH, polarisations=(pol,), substrate_index=n_s
        ).effective_indices(pol)
    tps = np.array([_turning_point(n_tm, N, extent) for N in modes["TM"]])
    covered = {
        pol: _turning_point(f, modes[pol][-1], extent) for pol, f in (("TE", n_te), ("TM", n_tm))
    }
    return Truth(name, n_te, n_tm, stress, extent, modes, tps, covered)


def _similarity_shape(ratio, half_depth):
    """u(x) of one Helfferich–Plesset step from the collocation reference, half-depth given (m)."""
    ref = similarity_solution(
        lambda c: 1.0 / (1.0 - (1.0 - ratio) * np.asarray(c)), 1.0, 1.0, xi_max=14.0, tol=1e-10
    )
    scale = half_depth / ref.depth_of(0.5, 1.0)
    xi_max = ref.xi_max

    def u(x):
        xi = np.asarray(x, dtype=float) / scale
        return np.where(xi < xi_max, ref.profile(np.minimum(xi, xi_max))[0], 0.0)

    return u, xi_max * scale


TWO_STEP_RECIPE = """
[glass]
host_ion = "Na"
total_mobile = "10.9 mol/L"
[ions.K]
D = "5e-15 m^2/s"
[ions.Na]
D = "5e-14 m^2/s"
[[step]]
name = "mixed bath: the deep tail"
bath = { K = 0.3 }
temperature = "420 degC"
duration = "27 h"
[[step]]
name = "pure KNO3: the spike"
bath = { K = 1.0 }
temperature = "420 degC"
duration = "0.5 h"
[numerics]
rtol = 1e-5
atol = 1e-7
cells_per_efold = 200
"""

# Rogoziński's BK7 process (examples/bk7_k_na_91h.toml with the BK7 presets written out):
# a 1.5 mm plate, both faces, 91 h at 413.1 °C, D_Na/D_K = 10, KWW relaxation
BK7_PLATE_RECIPE = """
[glass]
host_ion = "Na"
total_mobile = "3.2 mol/L"
thickness = "1.5 mm"
faces = "both"
[ions.K]
D0 = "0.6e-6 m^2/s"
Q = "125 kJ/mol"
[ions.Na]
D0 = "0.6e-5 m^2/s"
Q = "125 kJ/mol"
[[step]]
bath = { K = 1.0 }
temperature = "413.1 degC"
duration = "91 h"
[stress]
youngs_modulus = "82 GPa"
poisson_ratio = 0.206
dilation = 4.8e-3
relaxation = "kww"
tau = "2000 h"
beta = 0.6
[optics]
wavelength = "677 nm"
base_index = 1.5137
index_change = 0.0075
c_parallel = "-0.5e-12 1/Pa"
c_perp = "-3.3e-12 1/Pa"
cover_index = 1.0
"""


def _simulate(text):
    import ionex
    from ionex.io.recipe import parse_recipe

    return ionex.simulate(parse_recipe(text))


def _two_step_shape():
    """u = χ/χ(0) after a two-step exchange simulated by ionex (PCHIP through the cells)."""
    res = _simulate(TWO_STEP_RECIPE)
    x = np.concatenate(([0.0], res.depth))
    c = np.concatenate(([res.surface_fraction[-1]], res.frac_incoming[-1]))
    f = PchipInterpolator(x, c / c[0])
    end = float(x[np.argmax(c < 1e-12 * c[0])])
    return (lambda z: f(np.minimum(np.asarray(z, dtype=float), x[-1]))), end


@lru_cache(maxsize=None)
def truth(name: str, stress_power: float = 1.0) -> Truth:
    """The named truth (SHAPES); stress_power p ≠ 1 makes σ ∝ u^p while n_0 ∝ u."""
    if name == "erfc":
        u, extent = (lambda x: erfc(np.asarray(x) / 22e-6)), 6 * 22e-6
    elif name == "gaussian":
        u, extent = (lambda x: np.exp(-((np.asarray(x) / 20e-6) ** 2))), 6 * 20e-6
    elif name == "exponential":
        u, extent = (lambda x: np.exp(-np.asarray(x) / 10e-6)), 30 * 10e-6
    elif name.startswith("flat r="):
        u, extent = _similarity_shape(float(name[len("flat r=") :]), 16e-6)
    elif name == "two-step":
        u, extent = _two_step_shape()
    else:
        raise KeyError(name)
    shape = None if stress_power == 1.0 else (lambda x: np.asarray(u(x)) ** stress_power)
    return make_truth(
        name if stress_power == 1.0 else f"{name}, σ ∝ u^{stress_power:g}", u, extent, shape
    )


@lru_cache(maxsize=None)
def bk7_plate_truth() -> Truth:
    """Rogoziński's BK7 process simulated by ionex: n_TE, n_TM of the front guide (the plate's
    central tension shifts the deep index by −3.4e-5 (TE) and −5.9e-5 (TM))."""
    from ionex.process.properties import front_index

    res = _simulate(BK7_PLATE_RECIPE)
    k = res.times.size - 1
    d, te = front_index(res, res.properties, k, "TE")
    _, tm = front_index(res, res.properties, k, "TM")
    n_te = lambda x: np.interp(x, d, te)  # noqa: E731 - the solver's own broken line
    n_tm = lambda x: np.interp(x, d, tm)  # noqa: E731
    stress = lambda x: (n_te(x) - n_tm(x)) / EO.stress_optic  # noqa: E731
    modes = {
        pol: solve_modes(d, n, WAVELENGTH, polarisations=(pol,)).effective_indices(pol)
        for pol, n in (("TE", te), ("TM", tm))
    }
    tps = np.array([_turning_point(n_tm, N, d[-1]) for N in modes["TM"]])
    covered = {
        pol: _turning_point(f, modes[pol][-1], d[-1]) for pol, f in (("TE", n_te), ("TM", n_tm))
    }
    return Truth("BK7 plate, 91 h", n_te, n_tm, stress, float(d[-1]), modes, tps, covered)


def figures(result, t: Truth) -> dict:
    """The measured figures of an inversion against its truth.

    index_TE, index_TM: max |n − n_true| over [0, covered depth of the true profile] (for
        IWKB over the part its broken line reaches: coverage_TE/TM is that share).
    stress: max |σ − σ_true| (Pa). Model: at every TM turning point of the true profile.
        IWKB: at the depths where it reports σ (its TM turning points), against σ_true there.
    stress_points: how many TM turning points carry a stress value (IWKB drops those deeper
        than its deepest TE point).
    """
    out = {}
    for pol in ("TE", "TM"):
        x = np.linspace(0.0, t.covered[pol], 2001)
        n = result.index_at(pol, x)
        ok = np.isfinite(n)
        out[f"index_{pol}"] = float(np.max(np.abs(n[ok] - t.index(pol)(x[ok]))))
        out[f"coverage_{pol}"] = float(x[ok][-1] / t.covered[pol])
    if result.method.value == "model":
        out["stress"] = float(
            np.max(np.abs(result.stress_at(t.tm_turning_points) - t.stress(t.tm_turning_points)))
        )
        out["stress_points"] = int(t.tm_turning_points.size)
    else:
        xs, s = result.stress.depth, result.stress.stress
        out["stress"] = float(np.max(np.abs(s - t.stress(xs))))
        out["stress_points"] = int(xs.size)
    return out


def noisy(modes: dict, seed: int, sigma: float = 2e-5) -> dict:
    """The mode list with independent Gaussian errors of standard deviation σ (seeded)."""
    rng = np.random.default_rng(seed)
    return {pol: N + rng.normal(0.0, sigma, N.size) for pol, N in modes.items()}


def sample_depths(t: Truth, pol: str, count: int = 6) -> np.ndarray:
    """``count`` depths spread over [0, covered depth) of one polarisation (m)."""
    return np.linspace(0.0, t.covered[pol], count, endpoint=False)


def z_scores(result, t: Truth) -> dict:
    """(estimate − truth)/(stated standard error) for n at sample_depths and σ at the TM
    turning points (standard errors interpolated from the result's output grids)."""
    out = {}
    for pol in ("TE", "TM"):
        x = sample_depths(t, pol)
        p = result.profiles[pol]
        se = np.interp(x, p.depth, p.index_stderr)
        out[pol] = (result.index_at(pol, x) - t.index(pol)(x)) / se
    x = t.tm_turning_points
    se = np.interp(x, result.stress.depth, result.stress.stress_stderr)
    out["stress"] = (result.stress_at(x) - t.stress(x)) / se
    return out


__all__ = [
    "WAVELENGTH",
    "N_B",
    "EO",
    "SHAPES",
    "INDEX_TARGET",
    "STRESS_TARGET",
    "Truth",
    "truth",
    "bk7_plate_truth",
    "make_truth",
    "figures",
    "noisy",
    "sample_depths",
    "z_scores",
]
