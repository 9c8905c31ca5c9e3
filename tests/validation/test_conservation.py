"""Validation against the exact conservation law of the finite-volume scheme.

Reference: mass balance. Integrating ∂χ/∂t = −∂J/∂x over the slab gives
d/dt Σ volumes·χ = J(front) − J(back); the scheme's interior fluxes telescope exactly, so
the inventory must equal the recorded inflow to round-off (bath), and stay constant when
both faces are closed (anneal, docs/physics.md §1.6), whatever D̃(χ) and the step sizes.

Round-off budget: the inventory is a sum of N ≈ 300 products, the inflow a sum of ~10²
steps, each booked from the same linear stage systems that update χ (summing their rows,
the interior fluxes telescope), so each step's booking matches its inventory change to
the round-off of three tridiagonal solves, ~N·eps. Over ~10² steps that is well below
1e-10 for a bath. With closed faces no boundary flux exists and every stage conserves
Σ vol·χ by construction (the matrix columns sum to the volumes), so only summation
round-off, ~N·eps per step, remains: 1e-12.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ionex.grids import graded_grid
from ionex.physics.arrhenius import ArrheniusLaw
from ionex.physics.interdiffusion import InterdiffusionModel, TabulatedInterdiffusion, kirchhoff_law
from ionex.solvers.diffusion import FaceCondition, solve_nonlinear_diffusion

R = 8.314462618
T = 700.0
T_END = 8 * 3600.0
RTOL, ATOL = 3e-3, 1e-4

MODELS = {
    "ratio_1e-4": InterdiffusionModel(ArrheniusLaw.constant(1e-18), ArrheniusLaw.constant(1e-14)),
    "ratio_1e-2": InterdiffusionModel(ArrheniusLaw.constant(1e-16), ArrheniusLaw.constant(1e-14)),
    "ratio_1": InterdiffusionModel(ArrheniusLaw.constant(1e-14), ArrheniusLaw.constant(1e-14)),
    "ratio_1e2": InterdiffusionModel(ArrheniusLaw.constant(1e-14), ArrheniusLaw.constant(1e-16)),
    "ratio_1e4": InterdiffusionModel(ArrheniusLaw.constant(1e-14), ArrheniusLaw.constant(1e-18)),
    "margules": InterdiffusionModel(
        ArrheniusLaw.constant(1e-15), ArrheniusLaw.constant(1e-14), margules_energy=1.8 * R * T
    ),
    "form_b": InterdiffusionModel(
        ArrheniusLaw.constant(1e-15), ArrheniusLaw.constant(1e-14), stress_coupling=2.0
    ),
    "form_c": InterdiffusionModel(
        ArrheniusLaw.constant(1e-16), ArrheniusLaw.constant(1e-14), cross_ratio=0.7
    ),
    "tabulated": InterdiffusionModel(
        table=TabulatedInterdiffusion((0.0, 0.3, 0.6, 1.0), (2e-16, 1e-15, 8e-15, 1e-14))
    ),
}


def grid_for(model):
    l_d = math.sqrt(model.max_coefficient(T) * T_END)
    return graded_grid(12 * l_d, l_d, 60)


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("chi_s", [1.0, 0.35])
def test_bath_inventory_equals_inflow(name, chi_s):
    model = MODELS[name]
    g = grid_for(model)
    law = kirchhoff_law(model, T)
    times = np.array([60.0, 600.0, 3600.0, T_END])
    sol = solve_nonlinear_diffusion(
        g,
        lambda t: law,
        np.zeros(g.n_cells),
        T_END,
        front=FaceCondition(chi_s),
        back=FaceCondition(None),
        output_times=times,
        rtol=RTOL,
        atol=ATOL,
    )
    inventory = sol.states @ g.volumes
    assert np.all(inventory > 0)
    np.testing.assert_allclose(sol.inflow[:, 0], inventory, rtol=1e-10, atol=0)
    assert np.all(sol.inflow[:, 1] == 0.0)  # closed back face: exactly nothing
    assert sol.final_inflow[0] == sol.inflow[-1, 0]
    np.testing.assert_array_equal(sol.final, sol.states[-1])


def test_bath_inventory_with_nonzero_start():
    """A start that is not empty (a second exchange step): the inflow counts only what
    entered during this call, so inventory(t) − inventory(0) = inflow(t)."""
    model = MODELS["ratio_1e-2"]
    g = grid_for(model)
    law = kirchhoff_law(model, T)
    x = g.centres / g.length
    start = 0.6 * np.exp(-((x / 0.05) ** 2))
    sol = solve_nonlinear_diffusion(
        g,
        lambda t: law,
        start,
        T_END,
        front=FaceCondition(0.9),
        back=FaceCondition(None),
        output_times=[600.0, T_END],
        rtol=RTOL,
        atol=ATOL,
    )
    gained = sol.states @ g.volumes - start @ g.volumes
    np.testing.assert_allclose(sol.inflow[:, 0], gained, rtol=1e-10)


def test_out_diffusion_into_empty_bath():
    """χ_s = 0 on a loaded slab (reverse exchange): the inflow is negative and equals the loss."""
    model = MODELS["form_b"]
    g = grid_for(model)
    law = kirchhoff_law(model, T)
    start = np.full(g.n_cells, 0.8)
    sol = solve_nonlinear_diffusion(
        g,
        lambda t: law,
        start,
        T_END,
        front=FaceCondition(0.0),
        back=FaceCondition(None),
        output_times=[T_END],
        rtol=RTOL,
        atol=ATOL,
    )
    change = sol.final @ g.volumes - start @ g.volumes
    assert change < 0
    np.testing.assert_allclose(sol.inflow[-1, 0], change, rtol=1e-10)


@pytest.mark.parametrize(
    "name", ["ratio_1e-4", "ratio_1", "ratio_1e4", "margules", "form_c", "tabulated"]
)
def test_anneal_conserves_inventory(name):
    """Both faces closed, a non-trivial start (an exchanged profile with a bump): the
    inventory is constant to 1e-12 at every output time, and a long anneal tends to the
    uniform mean (the only steady state with no flux)."""
    model = MODELS[name]
    g = grid_for(model)
    law = kirchhoff_law(model, T)
    x = g.centres / g.length
    rng = np.random.default_rng(20240611)
    start = np.clip(
        0.9 * np.exp(-x / 0.05)
        + 0.3 * np.exp(-(((x - 0.3) / 0.05) ** 2))
        + 0.02 * rng.random(x.size),
        0,
        1,
    )
    total = start @ g.volumes
    d_min = model.min_coefficient(T)
    long = 3.0 * g.length**2 / d_min  # ≫ L²/(π² D_min): the slowest mode has decayed by e^{-30}
    times = np.array([1.0, 600.0, T_END, long])
    sol = solve_nonlinear_diffusion(
        g,
        lambda t: law,
        start,
        long,
        front=FaceCondition(None),
        back=FaceCondition(None),
        output_times=times,
        rtol=RTOL,
        atol=ATOL,
    )
    np.testing.assert_allclose(sol.states @ g.volumes, total, rtol=1e-12, atol=0)
    assert np.all(sol.inflow == 0.0)
    mean = total / g.length
    # the local error control holds each cell within ~atol of the exact path
    assert np.max(np.abs(sol.final - mean)) <= ATOL


def test_bath_on_back_face_only():
    """The mirror image of a front bath: closed front, bath on the back face of a uniform
    mesh. What enters through the back is recorded in inflow[:, 1] (it is an *inflow*,
    positive), inflow[:, 0] stays 0, and the profile is the mirror image of the
    front-bath run on the same mesh (within 3·atol: the two runs differ only through
    their step sequences, each held to atol per step)."""
    model = MODELS["ratio_1e-2"]
    l_d = math.sqrt(model.max_coefficient(T) * T_END)
    from ionex.grids import uniform_grid

    g = uniform_grid(12 * l_d, 300)
    law = kirchhoff_law(model, T)
    kw = dict(output_times=[3600.0, T_END], rtol=RTOL, atol=ATOL)
    back = solve_nonlinear_diffusion(
        g,
        lambda t: law,
        np.zeros(g.n_cells),
        T_END,
        front=FaceCondition(None),
        back=FaceCondition(0.8),
        **kw,
    )
    front = solve_nonlinear_diffusion(
        g,
        lambda t: law,
        np.zeros(g.n_cells),
        T_END,
        front=FaceCondition(0.8),
        back=FaceCondition(None),
        **kw,
    )
    assert np.all(np.isfinite(back.states))
    inventory = back.states @ g.volumes
    assert np.all(back.inflow[:, 0] == 0.0)
    np.testing.assert_allclose(back.inflow[:, 1], inventory, rtol=1e-10)
    np.testing.assert_allclose(back.states[:, ::-1], front.states, atol=3 * ATOL)
