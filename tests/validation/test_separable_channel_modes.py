"""2D channel modes against exact references.

* Separable channel: n²(x, y) = n₁²(x) + n₂²(y) − n_b² has E = X(x)·Y(y) and
  N² = N₁² + N₂² − n_b² exactly. n₁: an exponential ion-exchanged layer under air, solved by
  the exact 1D solver solve_modes (verified separately; TE of a planar layer is the scalar
  equation); n₂: the Pöschl–Teller well n² = n_b² + Δ sech²(y/w), whose bound states are known
  in closed form, k0²w²(N₂² − n_b²) = (s − j)², s(s + 1) = k0²w²Δ.
* Semi-vectorial: a y-uniform asymmetric step slab (air / film / substrate) is separable for
  quasi-TE and quasi-TM alike, E = f(x)·g(y); with Dirichlet walls on a uniform lateral mesh
  the lateral factor is the discrete sine mode, μ = −(2/h²)(1 − cos(πh/L)), and f must obey
  the exact TE or TM slab dispersion relation (Stern's semi-vectorial operator is exact for
  a slab).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.optimize import brentq

from ionex.solvers.modes import solve_modes
from ionex.solvers.modes2d import solve_modes_2d

WAVELENGTH = 1.0e-6
K0 = 2 * math.pi / WAVELENGTH
N_B = 1.50
DN_X, DEPTH_X = 0.01, 3e-6  # n₁ = n_b + Δn exp(−x/d)
DELTA_Y, WIDTH_Y = 0.02, 3e-6  # n₂² = n_b² + Δ sech²(y/w)


def _n1(x):
    return N_B + DN_X * np.exp(-x / DEPTH_X)


def _separable_references() -> list[float]:
    """Exact N of the separable channel's bound states above both continua."""
    x = np.linspace(0.0, 60e-6, 60001)  # 1 nm points: interpolation error ~1e-11 in N₁
    n1_modes = solve_modes(x, _n1(x), WAVELENGTH, polarisations=("TE",)).effective_indices("TE")
    kw = K0 * WIDTH_Y
    s = (-1.0 + math.sqrt(1.0 + 4.0 * kw * kw * DELTA_Y)) / 2.0
    n2_sq = [N_B**2 + (s - j) ** 2 / kw**2 for j in range(int(math.ceil(s)))]
    # X bound with Y unbound (N² < N₁₀²) or the reverse (N² < N₂₀²) is a continuum
    edge = max(n1_modes[0] ** 2, n2_sq[0])
    combos = [a * a + b - N_B**2 for a in n1_modes for b in n2_sq]
    return sorted((math.sqrt(v) for v in combos if v > edge), reverse=True)


def _separable_channel(nx: int, ny: int):
    # depth mesh graded towards the surface, where the air-side tail (decay length ~0.14 µm)
    # must be resolved
    t = np.linspace(0.0, 1.0, nx)
    x = 20e-6 * np.expm1(2.0 * t) / np.expm1(2.0)
    y = np.linspace(-15e-6, 15e-6, ny)
    n2y = N_B**2 + DELTA_Y / np.cosh(y / WIDTH_Y) ** 2
    index = np.sqrt(_n1(x)[:, None] ** 2 + n2y[None, :] - N_B**2)
    cover = np.sqrt(1.0 + n2y - N_B**2)  # the cover is separable too: n₁ = 1 there
    return x, y, index, cover


def test_separable_channel_matches_product_of_exact_1d_modes():
    refs = _separable_references()
    assert len(refs) == 2
    x, y, index, cover = _separable_channel(121, 121)
    found = solve_modes_2d(
        x, y, index, WAVELENGTH, modes=2, cover_index=cover, extrapolate=True
    ).effective_indices("scalar")
    # Richardson over h and 2h removes the h² term; the remainder (h³–h⁴ and the surface
    # cell) measured 6e-7 and 2e-7 on this mesh, 7e-8 on a 241² mesh
    np.testing.assert_allclose(found, refs, rtol=0, atol=1e-6)


def test_separable_channel_second_order_without_extrapolation():
    refs = np.array(_separable_references())
    errors = []
    for nx in (61, 121):
        x, y, index, cover = _separable_channel(nx, nx)
        n_eff = solve_modes_2d(x, y, index, WAVELENGTH, modes=1, cover_index=cover)
        errors.append(abs(n_eff.effective_indices("scalar")[0] - refs[0]))
    # second order: halving h divides the error by 4 (measured 1.8e-5 → 4.2e-6, ratio 4.4)
    assert 3.0 < errors[0] / errors[1] < 5.5


def _slab_reference(pol: str, n_c, n_f, n_s, thickness: float, k0: float) -> float:
    """Fundamental mode of the asymmetric step slab: the exact TE/TM dispersion relation."""

    def mismatch(n):
        kf = k0 * math.sqrt(n_f**2 - n**2)
        gc, gs = k0 * math.sqrt(n**2 - n_c**2), k0 * math.sqrt(n**2 - n_s**2)
        rc, rs = (1.0, 1.0) if pol == "TE" else ((n_f / n_c) ** 2, (n_f / n_s) ** 2)
        return kf * thickness - math.atan(rc * gc / kf) - math.atan(rs * gs / kf)

    return brentq(mismatch, n_s + 1e-12, n_f - 1e-12, xtol=1e-15)


def _slab_channel_index(pol: str, film_cells: int, k0: float) -> float:
    """N of the y-uniform step slab from the 2D solver, the lateral sine factor removed."""
    n_f, n_s, t_f = 1.50, 1.45, 2.0e-6
    h = t_f / film_cells
    x = (np.arange(int(12e-6 / h)) + 0.5) * h  # cell centres: both steps lie on faces
    y = np.linspace(-5e-6, 5e-6, 21)
    index = np.where(x < t_f, n_f, n_s)[:, None] * np.ones(y.size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the lateral sine mode fills the window
        res = solve_modes_2d(
            x, y, index, 2 * math.pi / k0, polarisations=(pol,), modes=1, pad=False
        )
    hy = y[1] - y[0]
    mu = -(2.0 / hy**2) * (1.0 - math.cos(math.pi * hy / ((y.size + 1) * hy)))
    return math.sqrt(res.modes[0].effective_index ** 2 - mu / k0**2)


@pytest.mark.parametrize("pol", ["TE", "TM"])
def test_semivectorial_step_slab_matches_exact_dispersion_relation(pol):
    k0 = 2 * math.pi / 1.55e-6
    ref = _slab_reference(pol, 1.0, 1.50, 1.45, 2.0e-6, k0)
    coarse, fine = (_slab_channel_index(pol, cells, k0) - ref for cells in (40, 80))
    # second order with the steps on faces (h = 50 and 25 nm): measured 1.8e-5 → 4.5e-6 (TE)
    # and 1.5e-5 → 3.8e-6 (TM), a ratio of 4.0
    assert 3.5 < coarse / fine < 4.5
    # so the h² term extrapolates away; the remainder is O(h⁴)
    assert abs((4.0 * fine - coarse) / 3.0) < 1e-6


def test_quasi_te_above_quasi_tm_for_a_wide_shallow_channel():
    # a wide channel (8 µm × ~1.5 µm) behaves like a slab: TE (E ∥ surface) is the more
    # confined polarisation, N_TE > N_TM, as for the exact slab
    x = np.linspace(0.0, 6e-6, 121)
    y = np.linspace(-10e-6, 10e-6, 121)
    core = (x[:, None] < 1.5e-6) & (np.abs(y[None, :]) < 4e-6)
    index = np.where(core, 1.60, 1.50)
    res = solve_modes_2d(x, y, index, 1.0e-6, polarisations=("TE", "TM"), modes=1)
    assert res.effective_indices("TE")[0] > res.effective_indices("TM")[0] + 1e-4


def test_semivectorial_reduces_to_scalar_at_low_contrast():
    x = np.linspace(0.0, 24e-6, 61)
    y = np.linspace(-20e-6, 20e-6, 61)
    shape = np.exp(-x / 5e-6)[:, None] * np.exp(-((y / 5e-6) ** 2))[None, :]
    gaps = []
    for dn in (8e-3, 2e-3):
        index = 1.5 + dn * shape
        res = solve_modes_2d(
            x,
            y,
            index,
            1.0e-6,
            polarisations=("scalar", "TE", "TM"),
            modes=1,
            cover_index=1.5,
            substrate_index=1.5,
        )
        s = res.effective_indices("scalar")[0]
        gaps.append(max(abs(res.effective_indices(p)[0] - s) for p in ("TE", "TM")))
    # the polarisation correction is second order in the index contrast: ×1/16 for Δn/4
    assert gaps[1] < gaps[0] / 8
    assert gaps[1] < 1e-6, gaps
