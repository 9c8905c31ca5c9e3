"""The batched solver: every run equals the same run on its own, and the erfc solution.

solve_diffusion_batch advances each run with the kernel step and the step-size rules of
solve_nonlinear_diffusion, so a run must take exactly the same steps (identical step,
rejection and Newton counts) and end in the same state. Measured difference: 0 — bit for
bit — on every run below. The bound asserted on the profiles is 1e-12, round-off over a
few hundred steps, eight orders below atol: any departure of the batch loop from the
one-by-one loop (a different rule, a missed stop) changes the steps and shows as ~atol.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import erfc

from ionex.errors import SolverError
from ionex.grids import graded_grid, uniform_grid
from ionex.physics.kirchhoff import KirchhoffLaw
from ionex.solvers.diffusion import FaceCondition, solve_nonlinear_diffusion
from ionex.solvers.diffusion_batch import BatchRun, solve_diffusion_batch

# D̃ stops being finite once the profile rises above 0.3 (the failure test of the solver)
BROKEN = KirchhoffLaw.tabulate(lambda chi: np.where(chi > 0.3, np.nan, 1e-14))


def one_by_one(run: BatchRun, **kwargs):
    return solve_nonlinear_diffusion(
        run.grid,
        lambda t: run.law,
        run.initial,
        run.duration,
        front=run.front,
        back=run.back,
        output_times=run.output_times,
        breakpoints=run.breakpoints,
        rtol=run.rtol,
        atol=run.atol,
        time_offset=run.time_offset,
        **kwargs,
    )


def varied_runs() -> list[BatchRun]:
    """Runs that differ in everything a run can differ in: mesh, law kind (closed-form and
    tabulated), D_A/D_B from 1e-2 to 1e2, stress coupling, bath fraction, closed faces, an
    initial profile, breakpoints, outputs at 0 and at the end, tolerances."""
    rng = np.random.default_rng(7)
    runs = []
    for i in range(12):
        d_a = 10 ** rng.uniform(-16, -14)
        d_b = d_a * 10 ** rng.uniform(-2, 2)
        duration = 3600 * rng.uniform(1, 16)
        l_d = math.sqrt(max(d_a, d_b) * duration)
        grid = graded_grid(12 * l_d, math.sqrt(min(d_a, d_b) * duration), 30 + 5 * i)
        law = KirchhoffLaw.rational(d_a, d_b, 1.0, 0.4 * (i % 3))
        if i % 4 == 3:
            law = KirchhoffLaw.tabulate(lambda c, d=d_a: d * (1 + 3 * c**2))
        initial = 0.3 * np.exp(-grid.centres / l_d) if i % 5 == 0 else np.zeros(grid.n_cells)
        front = FaceCondition(None) if i == 5 else FaceCondition(rng.uniform(0.3, 1.0))
        back = FaceCondition(0.0) if i % 6 == 1 else FaceCondition(None)
        outputs = tuple(sorted(rng.uniform(0, duration, 2))) + ((0.0, duration) if i % 2 else ())
        breakpoints = (duration / 3,) if i % 3 == 2 else ()
        runs.append(
            BatchRun(
                grid,
                law,
                initial,
                duration,
                front,
                back,
                outputs,
                breakpoints,
                rtol=10 ** rng.uniform(-4, -2),
                atol=10 ** rng.uniform(-6, -4),
            )
        )
    return runs


def test_batched_runs_equal_one_by_one_runs():
    runs = varied_runs()
    batched = solve_diffusion_batch(runs)
    assert len(batched) == len(runs)
    worst = 0.0
    for run, got in zip(runs, batched):
        ref = one_by_one(run)
        assert (got.n_steps, got.n_rejected, got.n_solves) == (
            ref.n_steps,
            ref.n_rejected,
            ref.n_solves,
        )
        np.testing.assert_array_equal(got.times, ref.times)
        assert got.states.shape == ref.states.shape
        worst = max(
            worst,
            np.max(np.abs(got.states - ref.states)),
            np.max(np.abs(got.final - ref.final)),
            np.max(np.abs(got.inflow - ref.inflow)),
            np.max(np.abs(got.final_inflow - ref.final_inflow)),
        )
    assert worst <= 1e-12, worst


def test_erfc_reference_for_constant_coefficients():
    """D_A = D_B: χ = χ_s erfc(x/(2√(Dt))), uptake 2χ_s√(Dt/π) (docs/physics.md §1.6), three
    runs with different D, χ_s and durations in one batch, production tolerances.

    Measured: max |χ − χ_erfc| = 7.2e-5, uptake error ≤ 2.6e-5 relative. Bounds: profile
    ≤ 3·atol = 3e-4 (the local error per step is held below atol in every cell; the global
    error of a dissipative problem stays a few atol — the bound of the one-by-one erfc
    validation), uptake ≤ 1e-4 (the accuracy promised for depths, 4× the measurement).
    """
    cases = [(3e-16, 1.0, 4 * 3600.0), (1e-15, 0.8, 8 * 3600.0), (5e-15, 0.5, 2 * 3600.0)]
    runs = []
    for d, chi_s, duration in cases:
        l_d = math.sqrt(d * duration)
        grid = graded_grid(12 * l_d, l_d, 60)
        runs.append(
            BatchRun(
                grid,
                KirchhoffLaw.rational(d, d),
                np.zeros(grid.n_cells),
                duration,
                FaceCondition(chi_s),
                FaceCondition(None),
                (duration / 16, duration / 4, duration),
                rtol=3e-3,
                atol=1e-4,
            )
        )
    for (d, chi_s, _), run, sol in zip(cases, runs, solve_diffusion_batch(runs)):
        for state, inflow, t in zip(sol.states, sol.inflow, sol.times):
            exact = chi_s * erfc(run.grid.centres / (2 * math.sqrt(d * t)))
            assert np.max(np.abs(state - exact)) <= 3e-4
            uptake = 2 * chi_s * math.sqrt(d * t / math.pi)
            assert abs(inflow[0] - uptake) <= 1e-4 * uptake


def test_a_failing_run_does_not_stop_the_others():
    grid = uniform_grid(1e-4, 50)
    good = BatchRun(
        grid,
        KirchhoffLaw.rational(1e-14, 1e-14),
        np.zeros(50),
        3600.0,
        FaceCondition(1.0),
        FaceCondition(None),
        (3600.0,),
    )
    bad = BatchRun(
        grid,
        BROKEN,
        np.zeros(50),
        3600.0,
        FaceCondition(1.0),
        FaceCondition(None),
        time_offset=7200.0,
    )
    out = solve_diffusion_batch([good, bad, good])
    assert isinstance(out[1], SolverError)
    with pytest.raises(SolverError) as info:
        one_by_one(bad)
    assert str(out[1]) == str(info.value)  # the same message: time (with the offset), depth, why
    assert "failed at t = 7" in str(out[1])
    for sol in (out[0], out[2]):
        np.testing.assert_array_equal(sol.final, one_by_one(good).final)


def test_step_limit_gives_the_one_by_one_message():
    grid = uniform_grid(1e-4, 50)
    run = BatchRun(
        grid,
        KirchhoffLaw.rational(1e-14, 1e-15),
        np.zeros(50),
        3600.0,
        FaceCondition(1.0),
        FaceCondition(None),
    )
    (got,) = solve_diffusion_batch([run], max_steps=5)
    with pytest.raises(SolverError) as info:
        one_by_one(run, max_steps=5)
    assert isinstance(got, SolverError) and str(got) == str(info.value)


@pytest.mark.parametrize(
    "change, error, words",
    [
        (
            dict(duration=-1.0),
            ValueError,
            "run 2 of the batch: duration: found -1 s; expected a finite number > 0",
        ),
        (dict(initial=np.zeros(7)), ValueError, "run 2 of the batch: initial state has shape"),
        (dict(output_times=(7200.0,)), ValueError, "run 2 of the batch: output times"),
        (dict(rtol=0.0), ValueError, "rtol and atol"),
        (dict(law=lambda chi: (chi, chi)), TypeError, "KirchhoffLaw"),
    ],
)
def test_invalid_runs_are_named(change, error, words):
    grid = uniform_grid(1e-4, 50)
    args = dict(
        grid=grid,
        law=KirchhoffLaw.rational(1e-14, 1e-14),
        initial=np.zeros(50),
        duration=3600.0,
        front=FaceCondition(1.0),
        back=FaceCondition(None),
    )
    good = BatchRun(**args)
    with pytest.raises(error, match=words):
        solve_diffusion_batch([good, BatchRun(**{**args, **change})])


def test_an_empty_batch_is_empty():
    assert solve_diffusion_batch([]) == []
