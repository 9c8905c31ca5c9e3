"""Validation against the Fourier series of a plate exchanged on both faces (docs/physics.md §1.6).

Plate of thickness L, constant D, χ = χ_s on both faces from t = 0, χ(x, 0) = 0:
    χ/χ_s = 1 − (4/π) Σ_k (2k+1)⁻¹ exp(−(2k+1)²π²Dt/L²) sin((2k+1)πx/L),
    uptake per face M(t) = χ_s (L/2) [1 − Σ_k 8/((2k+1)²π²) exp(−(2k+1)²π²Dt/L²)].
Compared at Dt/L² = 0.05, 0.1, 0.2, 0.4, when the centre has reached 23 %, 53 %, 82 % and
98 % of χ_s: the finite thickness (the symmetry plane) matters at all of them.
"""

from __future__ import annotations

import math

import numpy as np
from _references import fourier_plate_profile

from ionex.grids import graded_grid, uniform_grid
from ionex.physics.arrhenius import ArrheniusLaw
from ionex.physics.interdiffusion import InterdiffusionModel, kirchhoff_law
from ionex.solvers.diffusion import FaceCondition, solve_nonlinear_diffusion

T = 700.0
D = 2e-14  # m²/s
L = 20e-6  # plate thickness, m
CHI_S = 0.7
TAUS = np.array([0.05, 0.1, 0.2, 0.4])
TIMES = TAUS * L * L / D
RTOL, ATOL = 3e-3, 1e-4


def law():
    return kirchhoff_law(InterdiffusionModel(ArrheniusLaw.constant(D), ArrheniusLaw.constant(D)), T)


def half_plate_uptake(t):
    """Amount taken up through one face, χ·m (series summed to 1e-16 of its first term)."""
    s = 0.0
    k = 0
    while True:
        m = 2 * k + 1
        term = 8 / (m * m * math.pi**2) * math.exp(-m * m * math.pi**2 * D * t / L**2)
        s += term
        if term < 1e-17:
            break
        k += 1
    return CHI_S * L / 2 * (1 - s)


def run_half(grid, rtol, atol):
    f = law()
    return solve_nonlinear_diffusion(
        grid,
        lambda t: f,
        np.zeros(grid.n_cells),
        TIMES[-1],
        front=FaceCondition(CHI_S),
        back=FaceCondition(None),
        output_times=TIMES,
        rtol=rtol,
        atol=atol,
    )


def errors(grid, sol):
    prof = np.array(
        [
            np.max(np.abs(sol.states[i] - fourier_plate_profile(grid.centres, t, D, L, CHI_S)))
            for i, t in enumerate(TIMES)
        ]
    )
    upt = np.array(
        [
            abs(sol.inflow[i, 0] - half_plate_uptake(t)) / half_plate_uptake(t)
            for i, t in enumerate(TIMES)
        ]
    )
    return prof, upt


def test_fourier_reference_sanity():
    # the series itself: χ = χ_s on the faces, symmetric, centre value of the 1-term limit
    x = np.array([0.0, L / 4, L / 2, 3 * L / 4, L])
    v = fourier_plate_profile(x, TIMES[1], D, L, CHI_S)
    assert abs(v[0] - CHI_S) < 1e-12 and abs(v[-1] - CHI_S) < 1e-12
    assert abs(v[1] - v[3]) < 1e-14
    # at Dt/L² = 0.4 the first term dominates: e^{−9·0.4π²}/3 ≈ 1e-16 relative
    t = TIMES[-1]
    assert v[2] < CHI_S
    one_term = CHI_S * (1 - 4 / math.pi * math.exp(-(math.pi**2) * 0.4))
    assert abs(fourier_plate_profile(np.array([L / 2]), t, D, L, CHI_S)[0] - one_term) < 1e-6


def test_half_plate_converges_under_refinement():
    """Half plate [0, L/2], closed symmetry face, uniform mesh 25/50/100 cells and tight
    time tolerance (rtol 1e-7): the max error must fall by ≥ 2^1.8 ≈ 3.5 per doubling
    (second order; measured 4.1 and 3.9), as must the uptake error."""
    results = []
    for n in (25, 50, 100):
        g = uniform_grid(L / 2, n)
        results.append(errors(g, run_half(g, 1e-7, 1e-9)))
    prof = np.array([max(r[0]) for r in results])
    upt = np.array([max(r[1]) for r in results])
    assert np.all(prof[:-1] / prof[1:] >= 2**1.8), prof
    assert np.all(upt[:-1] / upt[1:] >= 2**1.8), upt
    # second order from 4.5e-4 at 25 cells: 2.8e-5 at 100; bound 4e-5
    assert prof[-1] <= 4e-5


def test_half_plate_production_settings():
    """Production mesh (graded, 60 cells per e-fold, L_D = √(D t_end): 122 cells) and
    tolerances: profile within 3·atol (local error per step ≤ atol; measured 2.1e-4 at
    Dt/L² = 0.4, the time error) and uptake within 1e-3 relative (10× the depth promise
    of 1e-4; measured 2.0e-4)."""
    g = graded_grid(L / 2, math.sqrt(D * TIMES[-1]), 60)
    sol = run_half(g, RTOL, ATOL)
    prof, upt = errors(g, sol)
    assert np.all(prof <= 3 * ATOL), prof
    assert np.all(upt <= 1e-3), upt
    assert np.all(sol.inflow[:, 1] == 0.0)  # nothing crosses the symmetry plane


def test_full_plate_exchanged_on_both_faces():
    """The whole plate [0, L] with a bath on both faces: symmetric about L/2, equal to the
    Fourier series (within 3·atol, as the half plate), and the inflow through each face is
    the half-plate uptake (docs/physics.md §1.6; DiffusionSolution.inflow counts what *entered*
    through the front and through the back face)."""
    g = uniform_grid(L, 100)
    f = law()
    sol = solve_nonlinear_diffusion(
        g,
        lambda t: f,
        np.zeros(g.n_cells),
        TIMES[-1],
        front=FaceCondition(CHI_S),
        back=FaceCondition(CHI_S),
        output_times=TIMES,
        rtol=RTOL,
        atol=ATOL,
    )
    assert np.all(np.isfinite(sol.states))
    # mirror symmetry of a symmetric problem on a symmetric mesh: round-off only
    np.testing.assert_allclose(sol.states, sol.states[:, ::-1], atol=1e-10)
    for i, t in enumerate(TIMES):
        assert (
            np.max(np.abs(sol.states[i] - fourier_plate_profile(g.centres, t, D, L, CHI_S)))
            <= 3 * ATOL
        )
        uptake = g.volumes @ sol.states[i]
        assert abs(sol.inflow[i, 0] + sol.inflow[i, 1] - uptake) <= 1e-10 * uptake
        assert abs(sol.inflow[i, 0] - sol.inflow[i, 1]) <= 1e-10 * uptake
        assert abs(sol.inflow[i, 0] - half_plate_uptake(t)) <= 1e-3 * half_plate_uptake(t)
