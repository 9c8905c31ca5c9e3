"""Validation of the edge-crack stress intensity factors (ionex.physics.fracture) against
published references and an independent quadrature.

References:
  * the edge crack in a half-plane under uniform crack-face pressure, K = 1.1215 σ√(πa);
  * Tada, Paris & Irwin, The Stress Analysis of Cracks Handbook, 3rd ed. (ASME Press, 2000),
    single-edge-cracked plate, ends free to rotate, K = σ√(πa)·F(α), α = a/t:
      tension  F = 1.12 − 0.231α + 10.55α² − 21.72α³ + 30.39α⁴    (0.5 % for α ≤ 0.6)
      bending  F = 1.122 − 1.40α + 7.33α² − 13.08α³ + 14.0α⁴      (0.2 % for α ≤ 0.6)
    with σ the outer-fibre bending stress on the cracked face;
  * scipy.integrate.quad with the algebraic weight (a − x)^(−1/2) applied to the weight
    function and the exact (not interpolated) erfc profile.

Tolerances: the reference's stated accuracy plus the accuracy the module states for its
weight function (module docstring: 2 % of K for 0 < a/t ≤ 0.6, 0.6 % for 0.3 ≤ a/t ≤ 0.6,
Y within 0.15 % of 1.1215 for a/t ≤ 10⁻³), and for the quadrature test the bound of linear
interpolation, |σ − σ_lin| ≤ Δx²·max|σ''|/8, carried through ∫ h dx.
"""

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import erfc

from ionex.physics.fracture import (
    FETT_MUNZ_COEFFICIENTS,
    edge_crack_weight_function,
    stress_intensity,
    unit_stress_intensity,
)

T = 1e-3

# module docstring: the stated accuracy of the weight function
ACCURACY_SHALLOW = 0.0015  # Y against 1.1215, a/t ≤ 1e-3
ACCURACY = 0.02  # K per unit load, 0 < a/t ≤ 0.6
ACCURACY_DEEP = 0.006  # K per unit load, 0.3 ≤ a/t ≤ 0.6
TPI_TENSION_ACCURACY = 0.005
TPI_BENDING_ACCURACY = 0.002


def tpi_tension(alpha):
    return 1.12 - 0.231 * alpha + 10.55 * alpha**2 - 21.72 * alpha**3 + 30.39 * alpha**4


def tpi_bending(alpha):
    return 1.122 - 1.40 * alpha + 7.33 * alpha**2 - 13.08 * alpha**3 + 14.0 * alpha**4


def geometry_factor(alpha, loading):
    a = alpha * T
    return unit_stress_intensity(a, T, loading) / np.sqrt(np.pi * a)


@pytest.mark.parametrize("alpha", [1e-6, 1e-5, 1e-4, 1e-3])
def test_shallow_edge_crack_matches_the_half_plane_1_1215(alpha):
    y = geometry_factor(alpha, "uniform")
    assert abs(y / 1.1215 - 1) <= ACCURACY_SHALLOW


@pytest.mark.parametrize("alpha", [0.01, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25])
def test_tension_matches_tada_paris_irwin_single_edge_notch(alpha):
    y = geometry_factor(alpha, "uniform")
    assert abs(y / tpi_tension(alpha) - 1) <= ACCURACY + TPI_TENSION_ACCURACY


@pytest.mark.parametrize("alpha", [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6])
def test_deep_tension_matches_tada_paris_irwin_single_edge_notch(alpha):
    y = geometry_factor(alpha, "uniform")
    assert abs(y / tpi_tension(alpha) - 1) <= ACCURACY_DEEP + TPI_TENSION_ACCURACY


@pytest.mark.parametrize("alpha", [0.01, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25])
def test_bending_matches_tada_paris_irwin_pure_bending(alpha):
    y = geometry_factor(alpha, "bending")
    assert abs(y / tpi_bending(alpha) - 1) <= ACCURACY + TPI_BENDING_ACCURACY


@pytest.mark.parametrize("alpha", [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6])
def test_deep_bending_matches_tada_paris_irwin_pure_bending(alpha):
    y = geometry_factor(alpha, "bending")
    assert abs(y / tpi_bending(alpha) - 1) <= ACCURACY_DEEP + TPI_BENDING_ACCURACY


def test_linear_profile_on_a_grid_matches_tada_paris_irwin_pure_bending():
    # the bending stress given as a profile (not the closed form) on a coarse grid
    x = np.linspace(0, T, 41)
    alpha = np.array([0.05, 0.2, 0.4, 0.6])
    k = stress_intensity(x, 5e7 * (1 - 2 * x / T), alpha * T, T)
    y = k / (5e7 * np.sqrt(np.pi * alpha * T))
    bound = np.where(alpha >= 0.3, ACCURACY_DEEP, ACCURACY) + TPI_BENDING_ACCURACY
    assert np.all(np.abs(y / tpi_bending(alpha) - 1) <= bound)


# -------------------------------------------------------------- erfc profile, direct quadrature

SURFACE, LENGTH = -800e6, 20e-6


def erfc_plate(x):
    """σ₀[erfc(x/L) + erfc((t − x)/L)] + σ_c, force-balanced (σ_c) and moment-free
    (symmetric): a plate exchanged on both faces."""
    u = T / LENGTH
    mean = 2 * SURFACE * LENGTH * (u * erfc(u) - math.expm1(-(u**2)) / math.sqrt(math.pi))
    return SURFACE * (erfc(x / LENGTH) + erfc((T - x) / LENGTH)) - mean / T


def direct_k(a):
    """K = ∫₀ᵃ h σ dx by adaptive quadrature with the (a − x)^(−1/2) weight, h written here
    from the coefficient table, σ the exact profile."""
    alpha = a / T
    c = FETT_MUNZ_COEFFICIENTS @ alpha ** np.arange(5) / (1 - alpha) ** 1.5

    def regular(x):  # h·√(a − x), finite at the tip
        rho = 1 - x / a
        return math.sqrt(2 / math.pi) * (1 + sum(c[n] * rho ** (n + 1) for n in range(3)))

    # adaptive quad with the algebraic weight near the tip, plain adaptive quad (with the
    # profile's length scales as break points) over the rest
    split = 0.5 * a
    breaks = [p for p in (LENGTH, 3 * LENGTH, T - 3 * LENGTH) if p < split]
    near_face, _ = quad(
        lambda x: regular(x) * erfc_plate(x) / math.sqrt(a - x),
        0,
        split,
        points=breaks or None,
        limit=400,
        epsabs=0,
        epsrel=1e-12,
    )
    near_tip, _ = quad(
        lambda x: regular(x) * erfc_plate(x),
        split,
        a,
        weight="alg",
        wvar=(0, -0.5),
        limit=400,
        epsabs=0,
        epsrel=1e-12,
    )
    return near_face + near_tip


def test_erfc_profile_matches_direct_quadrature_of_the_weight_function():
    x = np.linspace(0, T, 8001)
    dx = x[1] - x[0]
    a = np.array([2e-6, 10e-6, 25e-6, 60e-6, 150e-6, 400e-6, 700e-6, 900e-6])
    k = stress_intensity(x, erfc_plate(x), a, T)
    # |σ''| of erfc(x/L) is at most (4/√π)·e^(−1/2)/L² (at x = L/√2); two faces at most add
    curvature = 2 * abs(SURFACE) * 4 / math.sqrt(math.pi) * math.exp(-0.5) / LENGTH**2
    bound = dx**2 / 8 * curvature * unit_stress_intensity(a, T)  # h > 0: ∫|h| = K_unit
    for ai, ki, bi in zip(a, k, bound):
        assert abs(ki - direct_k(ai)) <= bi + 1e-9 * abs(ki)


def test_weight_function_is_positive_on_every_crack():
    # used above (∫|h| dx = K_unit) and by the strength bounds of the unit tests
    alpha = np.linspace(0.001, 0.95, 60)[:, None]
    rho = np.linspace(1e-3, 1, 200)[None, :]
    h = edge_crack_weight_function((1 - rho) * alpha * T, alpha * T, T)
    assert np.all(h > 0)
