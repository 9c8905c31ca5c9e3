"""Validation of solve_modes against the exact asymmetric step-index slab.

Reference: the dispersion relation of the three-layer slab (Kogelnik, "Theory of dielectric
waveguides", in Tamir (ed.), Integrated Optics, Springer 1975, §2.2; Marcuse, Theory of
Dielectric Optical Waveguides, 1974):

    k0 d κ = mπ + arctan(ρ_s γ_s/κ) + arctan(ρ_c γ_c/κ),
    κ = √(n_f² − N²),  γ_{s,c} = √(N² − n_{s,c}²),  ρ = 1 (TE), (n_f/n_{s,c})² (TM),

solved here by brentq to 1e-15, independently of ionex; the mode m exists iff the left side
exceeds the right at N = max(n_s, n_c), so the cut-off thickness of mode m is
d_m = [mπ + arctan(ρ √((n_lo² − n_other²)/(n_f² − n_lo²)))]/(k0 √(n_f² − n_lo²)).

The slab is handed to solve_modes as points of a piecewise-linear profile: exactly (two
points + substrate_index), with the step as a ramp over 1e-9·d, and as random nonuniform
staircases of 20 to 20000 points. Required: |ΔN| < 1e-6 and the mode count exact at cut-off.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from ionex.solvers.modes import solve_modes

WAVELENGTH = 677e-9
K0 = 2 * math.pi / WAVELENGTH
TOL = 1e-6

# name: (n_c, n_f, n_s, d in m)
SLABS = {
    "air, K+ glass, 3 modes": (1.0, 1.52, 1.51, 5e-6),
    "air, strong contrast (TiO2-like film), 4 modes": (1.0, 2.0, 1.45, 1e-6),
    "glass cover, weak contrast both sides": (1.50, 1.515, 1.51, 8e-6),
    "air, 15 modes": (1.0, 1.53, 1.5137, 23e-6),
    "cover index above the substrate's": (1.50, 1.60, 1.45, 2e-6),
    "single mode, weakly guided": (1.0, 1.5150, 1.5137, 3e-6),
}


def _rho(pol, n_f, n_other):
    return 1.0 if pol == "TE" else (n_f / n_other) ** 2


def exact_slab_indices(n_c, n_f, n_s, d, pol):
    """N_0 > N_1 > … of the slab from the exact dispersion relation (brentq, xtol 1e-16)."""

    def excess(N, m):
        kappa = math.sqrt(n_f * n_f - N * N)
        gs = math.sqrt(N * N - n_s * n_s)
        gc = math.sqrt(N * N - n_c * n_c)
        return (
            K0 * d * kappa
            - m * math.pi
            - math.atan(_rho(pol, n_f, n_s) * gs / kappa)
            - math.atan(_rho(pol, n_f, n_c) * gc / kappa)
        )

    lo, hi = max(n_s, n_c), np.nextafter(n_f, 0.0)
    out, m = [], 0
    while excess(lo, m) > 0:
        out.append(brentq(excess, lo, hi, args=(m,), xtol=1e-16, rtol=1e-15))
        m += 1
    return np.array(out)


def cutoff_thickness(n_c, n_f, n_s, m, pol):
    """d (m) at which mode m reaches N = max(n_s, n_c)."""
    lo, other = max(n_s, n_c), min(n_s, n_c)
    phase = math.atan(
        _rho(pol, n_f, other) * math.sqrt((lo * lo - other * other) / (n_f * n_f - lo * lo))
    )
    return (m * math.pi + phase) / (K0 * math.sqrt(n_f * n_f - lo * lo))


def staircase(n_f, n_s, d, points, rng, depth_factor=4.0):
    """The slab as `points` profile points at random depths (film up to d, a 1e-12·d ramp)."""
    x = np.concatenate(
        [
            [0.0, d, d * (1 + 1e-12), depth_factor * d],
            rng.uniform(0.0, depth_factor * d, points - 4),
        ]
    )
    x = np.unique(x)
    return x, np.where(x <= d, n_f, n_s)


def representations(n_f, n_s, d, rng):
    """(label, depth, index, substrate_index) ways of giving the same slab."""
    yield "exact step", np.array([0.0, d]), np.array([n_f, n_f]), n_s
    yield (
        "ramp 1e-9 d",
        np.array([0.0, d, d * (1 + 1e-9), 3 * d]),
        np.array([n_f, n_f, n_s, n_s]),
        None,
    )
    for points in (20, 2000, 20000):
        x, n = staircase(n_f, n_s, d, points, rng)
        yield f"{points} random points", x, n, None


@pytest.mark.parametrize("pol", ["TE", "TM"])
@pytest.mark.parametrize("name", list(SLABS))
def test_effective_indices_match_kogelnik_dispersion_relation(name, pol):
    n_c, n_f, n_s, d = SLABS[name]
    exact = exact_slab_indices(n_c, n_f, n_s, d, pol)
    assert exact.size >= 1
    rng = np.random.default_rng(20260101)
    for label, x, n, sub in representations(n_f, n_s, d, rng):
        got = solve_modes(
            x, n, WAVELENGTH, cover_index=n_c, polarisations=(pol,), substrate_index=sub
        )
        N = got.effective_indices(pol)
        assert N.size == exact.size, f"{label}: {N.size} modes, exact {exact.size}"
        err = np.abs(N - exact).max()
        assert err < TOL, f"{label}: max |ΔN| = {err:.2e}"
        if label == "exact step":  # no ramp: the transfer matrices are exact
            assert err < 1e-12, f"{label}: max |ΔN| = {err:.2e}"


@pytest.mark.parametrize("pol", ["TE", "TM"])
@pytest.mark.parametrize(
    "name",
    [
        "air, K+ glass, 3 modes",
        "air, strong contrast (TiO2-like film), 4 modes",
        "glass cover, weak contrast both sides",
        "cover index above the substrate's",
    ],
)
@pytest.mark.parametrize("order", [0, 1, 4])
def test_mode_count_is_exact_at_kogelnik_cutoff(name, pol, order):
    n_c, n_f, n_s, _ = SLABS[name]
    d_cut = cutoff_thickness(n_c, n_f, n_s, order, pol)
    rng = np.random.default_rng(order)
    for rel, expected in ((1e-6, order + 1), (-1e-6, order)):
        d = d_cut * (1 + rel)
        assert exact_slab_indices(n_c, n_f, n_s, d, pol).size == expected  # the reference agrees
        exact = solve_modes(
            [0.0, d],
            [n_f, n_f],
            WAVELENGTH,
            cover_index=n_c,
            polarisations=(pol,),
            substrate_index=n_s,
        )
        assert exact.count(pol) == expected, f"d = d_{order}·(1{rel:+g})"
        x, n = staircase(n_f, n_s, d, 300, rng)
        stairs = solve_modes(x, n, WAVELENGTH, cover_index=n_c, polarisations=(pol,))
        assert stairs.count(pol) == expected, f"staircase, d = d_{order}·(1{rel:+g})"
        if expected > order:  # the mode just above cut-off is weakly guided but found
            assert max(n_s, n_c) <= exact.effective_indices(pol)[-1] < max(n_s, n_c) + 1e-9


def exact_slab_field(x, N, n_c, n_f, n_s, d, pol):
    """E_y (TE) or H_y (TM) of the slab mode N, 1 at the surface (unnormalised)."""
    kappa = K0 * math.sqrt(n_f * n_f - N * N)
    gc = K0 * math.sqrt(N * N - n_c * n_c)
    gs = K0 * math.sqrt(N * N - n_s * n_s)
    r = 1.0 if pol == "TE" else (n_f / n_c) ** 2  # continuity of u'/n² at the cover
    film = lambda z: np.cos(kappa * z) + r * gc / kappa * np.sin(kappa * z)  # noqa: E731
    return np.where(
        x < 0, np.exp(gc * x), np.where(x <= d, film(x), film(d) * np.exp(-gs * (x - d)))
    )


@pytest.mark.parametrize("pol", ["TE", "TM"])
def test_slab_fields_match_the_exact_mode_shapes(pol):
    n_c, n_f, n_s, d = SLABS["air, strong contrast (TiO2-like film), 4 modes"]
    found_cut = solve_modes(
        [0.0, d], [n_f, n_f], WAVELENGTH, polarisations=(pol,), substrate_index=n_s, fields=True
    )
    assert found_cut.count(pol) == 4
    for mode in found_cut.of(pol):
        N = mode.effective_index
        shape = exact_slab_field(mode.depth, N, n_c, n_f, n_s, d, pol)
        # normalise the exact shape with a fine quadrature, tails analytic
        gc, gs = K0 * math.sqrt(N * N - n_c * n_c), K0 * math.sqrt(N * N - n_s * n_s)
        z = np.linspace(0.0, d, 200001)
        f = exact_slab_field(z, N, n_c, n_f, n_s, d, pol)
        norm = (
            np.sum((f[1:] ** 2 + f[:-1] ** 2) / 2 * np.diff(z))
            + 1 / (2 * gc)
            + f[-1] ** 2 / (2 * gs)
        )
        expected = shape / math.sqrt(norm)
        assert mode.field[0] > 0
        assert np.abs(mode.field - expected).max() < 1e-8 * np.abs(expected).max(), (
            f"{pol}{mode.order}"
        )
