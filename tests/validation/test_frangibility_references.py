"""Validation of the figures the frangibility criteria read (W_t, CT, CS, DOC) against the
closed forms of the parabolic stress of a tempered plate.

Reference: σ(z) = CT·(1 − 3u²), u = z/h, z from the mid-plane, h = t/2 — force-free
(∫(1 − 3u²) du = 0 over [−1, 1]), CS = 2·CT, zero at |u| = 1/√3, so DOC = h(1 − 1/√3), and

    W_t = (1 − ν)/E·CT²·h·2∫₀^{1/√3}(1 − 3u²)² du = 8/(15√3)·(1 − ν)/E·CT²·t.

More generally σ = A − B·u² (A, B > 0, A < B) has its tensile zone |u| < u₀ = √(A/B) and
W_t = (1 − ν)/E·h·(16/15)·A²·u₀.

Tolerances, from the quadrature error of max(σ, 0)² on a uniform grid of spacing Δx,
d = Δx/h, σ'_max = 2√3·CT/h the slope at the zero crossings, W_t ≈ 0.6158·(1 − ν)/E·CT²·h:

* trapezoid (tensile_strain_energy without widths). The integrand is a quartic between the
  crossings, so the Euler–Maclaurin sum ends: its Δx² term is −Δx²/12·[f′]; f′ = 2σσ′
  vanishes at the crossings and is ≤ 2σ'_max²·Δx at the last nodes, giving ≤ σ'_max²Δx³/3;
  the two partial intervals, linear σ to the interpolated zero, are over-counted by
  p²d/6 ≤ σ'_max²Δx³/6 each. Total ≤ (2/3)σ'_max²Δx³: relative 7.5√3·d³ ≈ 13·d³.
* midpoint (with widths): the Δx² term +Δx²/24·[f′] ≤ σ'_max²Δx³/6, and each cell holding a
  crossing is off by ≤ σ'_max²Δx³/12: relative ≤ (1/3)σ'_max²Δx³/W_t ≈ 6.5·d³.
* CT at the mid-plane between two cell centres (linear interpolation of a parabola, or the
  largest sample): CT·(1 − 0.75·d²) exactly, so |ΔCT| ≤ 0.75·d²·CT.
* DOC by linear interpolation of σ: |Δx₀| ≤ σ″Δx²/(8·min|σ′|) on the crossing interval,
  σ″ = 6CT/h², min|σ′| ≥ σ'_max − σ″Δx.

On top of these, rounding: 1e-12 relative.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ionex.physics.frangibility import ParabolicProfile
from ionex.physics.stress import (
    ElasticGlass,
    balanced_stress,
    multi_ion_stress_metrics,
    stress_metrics,
    tensile_strain_energy,
)

ROUNDING = 1e-12
TRAPEZOID_CONSTANT = 7.5 * math.sqrt(3.0)  # relative W_t error / d³
MIDPOINT_CONSTANT = 3.75 * math.sqrt(3.0)

# (CT Pa, t m, E Pa, ν): a cover glass, a thin plate, a tempered window pane
CASES = [(60e6, 1.0e-3, 72e9, 0.22), (90e6, 0.7e-3, 82e9, 0.21), (45e6, 3.2e-3, 70e9, 0.23)]
# node counts: odd puts a node on the mid-plane, even does not; the crossings fall anywhere
NODES = [1001, 3000, 4001]


def glass_of(E, nu, dilation=0.0):
    return ElasticGlass(youngs_modulus=E, poisson_ratio=nu, dilation=dilation)


def cells(thickness, n):
    faces = np.linspace(0.0, thickness, n + 1)
    return 0.5 * (faces[1:] + faces[:-1]), np.diff(faces)


def shifted_parabola_energy(a, b, h, glass):
    """W_t of σ = a − b·u² (a < b), u = z/h: (1 − ν)/E·h·(16/15)·a²·√(a/b)."""
    return h * 16.0 / 15.0 * a * a * math.sqrt(a / b) / glass.biaxial_modulus


def test_the_shifted_parabola_energy_reduces_to_the_tempered_closed_form():
    g = glass_of(72e9, 0.22)
    p = ParabolicProfile(60e6, 1e-3)
    assert shifted_parabola_energy(60e6, 180e6, 0.5e-3, g) == pytest.approx(
        p.tensile_energy(g), rel=1e-15
    )


@pytest.mark.parametrize("n", NODES)
@pytest.mark.parametrize("ct, thickness, E, nu", CASES)
def test_tensile_strain_energy_trapezoid_matches_the_parabola_closed_form(ct, thickness, E, nu, n):
    g = glass_of(E, nu)
    p = ParabolicProfile(ct, thickness)
    x = np.linspace(0.0, thickness, n)
    d = (x[1] - x[0]) / (0.5 * thickness)
    exact = p.tensile_energy(g)
    error = abs(tensile_strain_energy(x, p.stress(x), g) - exact) / exact
    assert error <= TRAPEZOID_CONSTANT * d**3 + ROUNDING


@pytest.mark.parametrize("n", NODES)
@pytest.mark.parametrize("ct, thickness, E, nu", CASES)
def test_tensile_strain_energy_midpoint_matches_the_parabola_closed_form(ct, thickness, E, nu, n):
    g = glass_of(E, nu)
    p = ParabolicProfile(ct, thickness)
    x, w = cells(thickness, n)
    d = w[0] / (0.5 * thickness)
    exact = p.tensile_energy(g)
    error = abs(tensile_strain_energy(x, p.stress(x), g, width=w) - exact) / exact
    assert error <= MIDPOINT_CONSTANT * d**3 + ROUNDING


@pytest.mark.parametrize("n", NODES)
@pytest.mark.parametrize("ct, thickness, E, nu", CASES)
def test_stress_metrics_of_the_parabola_match_cs_2ct_and_its_doc(ct, thickness, E, nu, n):
    p = ParabolicProfile(ct, thickness)
    x = np.linspace(0.0, thickness, n)
    dx, h = x[1] - x[0], 0.5 * thickness
    d = dx / h
    m = stress_metrics(x, p.stress(x), np.zeros_like(x), symmetric_plate=True)
    assert abs(m.compressive_stress - 2.0 * ct) <= ROUNDING * ct  # a node at the surface
    assert abs(m.central_tension - ct) <= (0.75 * d**2 + ROUNDING) * ct
    curvature, steepest = 6.0 * ct / h**2, 2.0 * math.sqrt(3.0) * ct / h
    doc_bound = curvature * dx**2 / (8.0 * (steepest - curvature * dx))
    assert abs(m.depth_of_compression - p.depth_of_compression) <= doc_bound + ROUNDING * h


@pytest.mark.parametrize("ct, thickness, E, nu", CASES)
def test_ct_as_the_largest_tension_matches_the_closed_form(ct, thickness, E, nu):
    # cell centres, an even count: the mid-plane falls between two samples
    g = glass_of(E, nu)
    p = ParabolicProfile(ct, thickness)
    x, w = cells(thickness, 2000)
    d = w[0] / (0.5 * thickness)
    largest = multi_ion_stress_metrics(x, p.stress(x), g, width=w)
    mid = multi_ion_stress_metrics(x, p.stress(x), g, width=w, symmetric_plate=True)
    for m in (largest, mid):
        assert abs(m.central_tension - ct) <= (0.75 * d**2 + ROUNDING) * ct
        assert m.tensile_energy == pytest.approx(p.tensile_energy(g), rel=MIDPOINT_CONSTANT * d**3)


@pytest.mark.parametrize("n", [1000, 4000])
def test_balanced_stress_of_a_parabolic_dilation_is_the_tempered_parabola(n):
    """A dilation B·χ with χ = u² through the plate, balanced by ionex's balanced_stress on
    cells, is σ = −E′B·(u² − ⟨u²⟩) with ⟨u²⟩ the midpoint mean 1/3 − d²/12 (exact for a
    quadratic): the tempered parabola of CT = E′B/3, shifted by −CT·d²/4."""
    thickness = 0.8e-3
    g = glass_of(72e9, 0.22, dilation=0.004)
    ct = g.biaxial_modulus * g.dilation / 3.0
    p = ParabolicProfile(ct, thickness)
    x, w = cells(thickness, n)
    h, d = 0.5 * thickness, w[0] / (0.5 * thickness)
    s = balanced_stress(x, w, ((x - h) / h) ** 2, g, plate=True)
    shift = ct * d * d / 4.0
    np.testing.assert_allclose(s, p.stress(x) - shift, rtol=0, atol=ROUNDING * ct)
    m = multi_ion_stress_metrics(x, s, g, width=w, symmetric_plate=True)
    assert abs(m.central_tension - ct) <= (0.75 * d**2 + 0.25 * d**2 + ROUNDING) * ct
    exact = shifted_parabola_energy(ct - shift, 3.0 * ct, h, g)
    assert abs(m.tensile_energy - exact) <= (MIDPOINT_CONSTANT * d**3 + ROUNDING) * exact


@pytest.mark.parametrize("n", [201, 2001])
def test_mean_core_tension_of_the_parabola_is_two_thirds_of_ct(n):
    """CT₅ = 2∫₀^DOC |σ| dx/(t − 2·DOC): the compression of one face is CT·h·2/(3√3)
    (half the tension 4/(3√3)·CT·h spread over the core 2h/√3), so CT₅ = 2·CT/3. The
    trapezoid's error on the quadratic σ is (DOC)·Δx²·σ″/12 exactly, σ″ = 6CT/h²: relative
    to CT₅·(t − 2 DOC)/2 it is ≤ 3·d² (d = Δx/h), on top of the DOC taken exact."""
    from ionex.physics.frangibility import mean_core_tension

    ct, t = 60e6, 0.7e-3
    p = ParabolicProfile(ct, t)
    x = np.linspace(0.0, t, n)
    d = (x[1] - x[0]) / (t / 2)
    got = mean_core_tension(x, p.stress(x), t, p.depth_of_compression)
    assert got == pytest.approx(2 * ct / 3, rel=0.55 * d * d + 0.02 * d**3 + 1e-12)
