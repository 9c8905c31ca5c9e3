"""The active region (ionex.solvers._active): leaving the flat cells ahead of the profile
out of the solve gives the full-mesh result to 1e-3·atol, conserves exactly, and saves work.

Reference: the same call with skip_flat=False (every cell solved at every step)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ionex.grids import graded_grid, uniform_grid
from ionex.physics.arrhenius import ArrheniusLaw
from ionex.physics.interdiffusion import InterdiffusionModel, kirchhoff_law
from ionex.solvers.diffusion import FaceCondition, solve_nonlinear_diffusion

T_END = 8 * 3600.0
RTOL, ATOL = 4e-4, 4e-6
MODEL = InterdiffusionModel(ArrheniusLaw.constant(1e-15), ArrheniusLaw.constant(1e-14))
LAW = kirchhoff_law(MODEL, 700.0)
L_D = math.sqrt(1e-14 * T_END)


def _pair(grid, law, initial, front, back, **kw):
    runs = [
        solve_nonlinear_diffusion(
            grid,
            law,
            initial,
            T_END,
            front=front,
            back=back,
            output_times=(T_END / 100, T_END / 3, T_END),
            rtol=RTOL,
            atol=ATOL,
            skip_flat=skip,
            **kw,
        )
        for skip in (True, False)
    ]
    return runs


def _assert_same(skipped, full):
    assert skipped.n_steps == full.n_steps
    assert np.max(np.abs(skipped.states - full.states)) <= 1e-3 * ATOL
    np.testing.assert_allclose(skipped.inflow, full.inflow, rtol=1e-9, atol=1e-3 * ATOL * L_D)


def test_semi_infinite_bath_equals_full_mesh_and_saves_work():
    grid = graded_grid(12 * L_D, math.sqrt(1e-15 * T_END), 60)
    skipped, full = _pair(grid, LAW, np.zeros(grid.n_cells), FaceCondition(1.0), FaceCondition())
    _assert_same(skipped, full)
    # inventory = inflow, to round-off, with the left-out cells never touched
    assert skipped.final @ grid.volumes == pytest.approx(skipped.final_inflow[0], rel=1e-12)
    saved = skipped.diagnostics["cell_steps"] / full.diagnostics["cell_steps"]
    assert saved < 0.5, saved  # measured 0.36 (states equal to 2e-15)


def test_plate_exchanged_on_both_faces_two_active_segments():
    grid = uniform_grid(20 * L_D, 800)
    skipped, full = _pair(grid, LAW, np.zeros(grid.n_cells), FaceCondition(0.8), FaceCondition(0.8))
    _assert_same(skipped, full)
    np.testing.assert_allclose(skipped.final, skipped.final[::-1], atol=1e-3 * ATOL)
    # measured 0.14: the flat middle of the plate is never solved
    assert skipped.diagnostics["cell_steps"] < 0.3 * full.diagnostics["cell_steps"]


def test_anneal_of_an_exchanged_profile_with_closed_faces():
    grid = graded_grid(12 * L_D, math.sqrt(1e-15 * T_END), 60)
    first = solve_nonlinear_diffusion(
        grid, LAW, np.full(grid.n_cells, 0.1), T_END / 4, front=FaceCondition(1.0),
        back=FaceCondition(), rtol=RTOL, atol=ATOL,
    )  # fmt: skip
    skipped, full = _pair(grid, LAW, first.final, FaceCondition(), FaceCondition())
    _assert_same(skipped, full)
    total = first.final @ grid.volumes
    assert skipped.final @ grid.volumes == pytest.approx(total, rel=1e-12)


def test_python_loop_with_time_dependent_law_and_tracker():
    """The step-by-step path (a temperature ramp, a tracker) skips the same way."""
    model = InterdiffusionModel(ArrheniusLaw(3e-4, 150e3), ArrheniusLaw(2e-7, 100e3))
    seen = []

    class Count:
        def handle(self, t, y):
            seen.append(float(np.max(y)))

    grid = graded_grid(12 * L_D, math.sqrt(1e-15 * T_END), 60)
    skipped, full = _pair(
        grid,
        lambda t: kirchhoff_law(model, 700.0 + 40.0 * t / T_END),
        np.zeros(grid.n_cells),
        FaceCondition(1.0),
        FaceCondition(),
        tracker=Count(),
    )
    _assert_same(skipped, full)
    assert len(seen) == skipped.n_steps + full.n_steps
    assert skipped.diagnostics["cell_steps"] < 0.8 * full.diagnostics["cell_steps"]


def test_compiled_and_python_loops_take_the_same_steps():
    grid = graded_grid(12 * L_D, math.sqrt(1e-15 * T_END), 60)
    kw = dict(front=FaceCondition(1.0), back=FaceCondition(), rtol=RTOL, atol=ATOL)
    compiled = solve_nonlinear_diffusion(grid, LAW, np.zeros(grid.n_cells), T_END, **kw)
    stepped = solve_nonlinear_diffusion(grid, lambda t: LAW, np.zeros(grid.n_cells), T_END, **kw)
    assert (compiled.n_steps, compiled.n_rejected) == (stepped.n_steps, stepped.n_rejected)
    np.testing.assert_array_equal(compiled.final, stepped.final)


def test_flat_run_cut_back_by_the_margin_on_open_sides_only():
    from ionex.solvers import _active

    y = np.zeros(400)
    y[:10] = 0.5  # a profile at the front, flat beyond
    a, b, ref, guard = _active.flat_run(y, True, False, 1e-9)
    assert (b, ref) == (400, 0.0)  # the closed back face bounds the run
    assert a == 10 + _active.MIN_MARGIN + 10 // _active.MARGIN_SHARE
    assert guard >= 2
    y[-10:] = 0.5  # the same at an open back face: both sides cut back
    a2, b2, _, _ = _active.flat_run(y, True, True, 1e-9)
    assert a2 == 10 + _active.MIN_MARGIN + 20 // _active.MARGIN_SHARE and b2 == 400 - (a2)
    assert _active.flat_run(np.linspace(0, 1, 400), True, False, 1e-9)[:2] == (0, 0)  # none
    # a run shorter than MIN_GAIN is not worth leaving out
    assert _active.flat_run(np.zeros(30), True, True, 1e-9)[:2] == (0, 0)


def test_restricted_weights_close_the_faces_toward_the_left_out_run():
    from ionex.solvers import _active

    n, a, b = 50, 10, 40
    vol = np.linspace(1.0, 2.0, n)
    w_off = np.linspace(3.0, 4.0, n - 1)
    w_diag = np.zeros(n)
    w_diag[1:] += w_off
    w_diag[:-1] += w_off
    y = np.arange(n, dtype=float)
    yc, volc, w_offc, w_diagc = _active.restrict(y, vol, w_off, w_diag, a, b)
    np.testing.assert_array_equal(yc, np.r_[y[:a], y[b:]])
    np.testing.assert_array_equal(volc, np.r_[vol[:a], vol[b:]])
    assert w_offc[a - 1] == 0.0  # no face between the two active segments
    # every active cell's diagonal weight is the sum of its remaining face weights
    expect = np.zeros(yc.size)
    expect[1:] += w_offc
    expect[:-1] += w_offc
    np.testing.assert_allclose(w_diagc, expect, rtol=1e-15)
    full = y.copy()
    _active.scatter(full, yc + 100.0, a, b)
    np.testing.assert_array_equal(full[a:b], y[a:b])
    np.testing.assert_array_equal(full[:a], y[:a] + 100.0)
