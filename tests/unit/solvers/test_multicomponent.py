"""The multicomponent interdiffusion solver (ionex.solvers.multicomponent): its kernels
(face mean, Jacobian, block solver), conservation, positivity, boundary conditions, the
two drivers, and its refusals of malformed input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ionex.errors import SolverError
from ionex.grids import graded_grid, uniform_grid
from ionex.solvers import multicomponent as mc
from ionex.solvers.multicomponent import BathFace, ClosedFace, solve_multicomponent

HOURS = 3600.0
D3 = np.array([2e-14, 5e-15, 1e-15])  # m²/s


def _start(grid, fractions):
    return np.outer(fractions, np.ones(grid.n_cells))


def _inventory(grid, states):
    """Σ width·χ per ion (χ·m)."""
    return states @ grid.volumes


# --------------------------------------------------------------------------- kernels


def test_face_mean_is_ab_over_the_logarithmic_mean_with_its_derivatives():
    """m(a, b) = ab ln(b/a)/(b − a) against the closed form in long double, on both sides
    of the series switch (|b/a − 1| = 1e-3) and for ratios up to 1e3; derivatives against
    central differences (step 1e-6 relative: error ~1e-10)."""
    for a, b in [(1.0, 3.0), (2.0, 0.5), (1.0, 1.0 + 2e-3), (1.0, 1.0 + 5e-4), (1.0, 1.0 - 9e-4),
                 (1e-15, 1e-12), (7e-13, 7e-13), (1.0, 1.0 + 1e-9)]:  # fmt: skip
        m, da, db = mc.face_mean(a, b)
        la, lb = np.longdouble(a), np.longdouble(b)
        exact = float(la * lb * np.log(lb / la) / (lb - la)) if a != b else a
        assert m == pytest.approx(exact, rel=2e-15)
        for arg, deriv in ((0, da), (1, db)):
            step = 1e-6 * (a, b)[arg]
            up = [a, b]
            down = [a, b]
            up[arg] += step
            down[arg] -= step
            fd = (mc.face_mean(*up)[0] - mc.face_mean(*down)[0]) / (2 * step)
            assert deriv == pytest.approx(fd, rel=1e-8, abs=1e-12)
        assert mc.face_mean(b, a)[0] == pytest.approx(m, rel=1e-15)  # symmetric


@pytest.mark.parametrize("n_ions", [2, 3, 4])
def test_jacobian_blocks_equal_finite_differences(n_ions):
    """The block-tridiagonal Jacobian of the net inflows (baths at both faces) against
    central differences of face_fluxes (step 1e-7: error ~1e-12 of the entries' scale)."""
    rng = np.random.default_rng(3)
    grid = graded_grid(30e-6, 5e-6, 8)
    n, m = grid.n_cells, n_ions - 1
    d = np.array([3e-14, 1e-15, 8e-15, 2e-13][:n_ions])
    chi = rng.dirichlet(np.ones(n_ions), size=n)
    y = np.ascontiguousarray(chi[:, :m])
    front = np.full(m, 1.0 / n_ions)
    back = rng.dirichlet(np.ones(n_ions))[:m]
    inv_sp = 1.0 / grid.spacing
    cells, faces, scalars, blocks, _, _ = mc.workspace(n, m)
    s, mf, ma, mb = scalars
    u, (du, flux) = cells[0], faces
    al, ar = blocks[0], blocks[1]

    def rates(state):
        out = np.empty((n, m))
        assert mc.face_fluxes(
            d, state, inv_sp, front, back, True, True, True, s, u, du, mf, ma, mb, flux, out
        )
        return out

    rates(y)
    mc.face_jacobians(d, inv_sp, True, True, s, u, du, mf, ma, mb, al, ar)
    dense = np.zeros((n * m, n * m))
    for c in range(n):
        block = slice(c * m, (c + 1) * m)
        dense[block, block] = ar[c] - al[c + 1]
        if c > 0:
            dense[block, slice((c - 1) * m, c * m)] = al[c]
        if c < n - 1:
            dense[block, slice((c + 1) * m, (c + 2) * m)] = -ar[c + 1]
    fd = np.zeros_like(dense)
    h = 1e-7
    for c in range(n):
        for k in range(m):
            up, down = y.copy(), y.copy()
            up[c, k] += h
            down[c, k] -= h
            fd[:, c * m + k] = ((rates(up) - rates(down)) / (2 * h)).ravel()
    assert np.max(np.abs(dense - fd)) <= 1e-6 * np.max(np.abs(fd))


@pytest.mark.parametrize("m", [1, 2, 3])
def test_block_thomas_solves_the_stage_matrix(m):
    """_factorise and _solve against numpy's dense solve of M/(γh) − J (the written-out
    paths for one and two unknowns per cell, the general one for three)."""
    rng = np.random.default_rng(m)
    n = 7
    al = rng.normal(size=(n + 1, m, m))
    ar = rng.normal(size=(n + 1, m, m))
    al[0] = 0.0
    ar[n] = 0.0
    vol = rng.uniform(1.0, 2.0, n)
    hg = 0.05
    dense = np.zeros((n * m, n * m))
    for c in range(n):
        block = slice(c * m, (c + 1) * m)
        dense[block, block] = np.eye(m) * vol[c] / hg - ar[c] + al[c + 1]
        if c > 0:
            dense[block, slice((c - 1) * m, c * m)] = -al[c]
        if c < n - 1:
            dense[block, slice((c + 1) * m, (c + 2) * m)] = ar[c + 1]
    rhs = rng.normal(size=(n, m))
    dinv, xup = np.empty((n, m, m)), np.empty((n, m, m))
    mc._factorise(vol, hg, al, ar, dinv, xup, np.empty((m, m)))
    out = np.empty((n, m))
    mc._solve(al, dinv, xup, rhs, out, np.empty(m))
    np.testing.assert_allclose(out.ravel(), np.linalg.solve(dense, rhs.ravel()), rtol=1e-12)


def test_a_step_does_not_read_what_an_earlier_attempt_left():
    """A step retried after a failed attempt starts from a workspace full of that attempt's
    non-finite values: the result must be the one from a clean workspace, bit for bit."""
    grid = uniform_grid(40e-6, 12)
    n, m = grid.n_cells, 2
    y = np.ascontiguousarray(_start(grid, (0.0, 0.1, 0.9))[:m].T)
    args = (np.vstack([D3] * 3), y, 30.0, np.array(grid.volumes), 1.0 / grid.spacing,
            np.array([0.6, 0.3]), np.zeros(m), True, False, True, 4e-6, 4e-4)  # fmt: skip
    results = []
    for fill in (0.0, np.nan):
        ws = mc.workspace(n, m)
        for a in ws:
            a[...] = fill
        y_new, inflow = np.empty((n, m)), np.empty((2, m))
        status, err, _ = mc.ros3_step(*args, ws, y_new, inflow)
        assert status == mc.OK
        results.append((err, y_new, inflow))
    assert results[0][0] == results[1][0]
    np.testing.assert_array_equal(results[0][1], results[1][1])
    np.testing.assert_array_equal(results[0][2], results[1][2])


# --------------------------------------------------------------------------- properties


@pytest.mark.parametrize(
    "diffusivities, front, back, start",
    [
        (D3, (0.6, 0.3, 0.1), None, (0.0, 0.1, 0.9)),
        (D3[::-1], (0.2, 0.0, 0.8), (0.0, 0.7, 0.3), (0.5, 0.5, 0.0)),
        ([1e-14, 3e-15, 2e-13, 7e-15], (0.4, 0.1, 0.1, 0.4), (0.1, 0.2, 0.3, 0.4), (0, 0, 0, 1)),
    ],
    ids=["three_bath_closed", "three_two_baths", "four_two_baths"],
)
def test_inventory_change_equals_booked_inflow(diffusivities, front, back, start):
    """Conservation: for every ion, Σ width·Δχ equals the inflow booked through the two
    faces to 1e-10 of the largest inflow (round-off of the stage sums over ~100 steps);
    Σ_i χ_i = 1 in every cell to 1e-12 and the N inflows of a face sum to zero (no
    current)."""
    grid = graded_grid(60e-6, 4e-6, 30)
    start = _start(grid, start)
    sol = solve_multicomponent(
        grid,
        diffusivities,
        start,
        2 * HOURS,
        front=BathFace(front),
        back=BathFace(back) if back else ClosedFace(),
        output_times=(0.5 * HOURS, 2 * HOURS),
    )
    booked = sol.inflow.sum(axis=-1)  # (n_times, N)
    change = _inventory(grid, sol.states) - _inventory(grid, start)
    scale = np.max(np.abs(booked))
    assert scale > 0
    assert np.max(np.abs(change - booked)) <= 1e-10 * scale
    assert np.max(np.abs(sol.states.sum(axis=1) - 1.0)) <= 1e-12
    assert np.max(np.abs(sol.inflow.sum(axis=1))) <= 1e-12 * scale


def test_time_dependent_run_books_its_inflow_too():
    """The Python-driven loop with ∂R/∂t (a ramped D): the same conservation to 1e-10."""
    grid = graded_grid(60e-6, 4e-6, 30)
    start = _start(grid, (0.0, 0.1, 0.9))
    sol = solve_multicomponent(
        grid,
        lambda t: D3 * (1.0 + t / HOURS),
        start,
        2 * HOURS,
        front=BathFace((0.6, 0.3, 0.1)),
        back=BathFace((0.1, 0.1, 0.8)),
    )
    change = _inventory(grid, sol.final) - _inventory(grid, start)
    booked = sol.final_inflow.sum(axis=-1)
    assert np.max(np.abs(change - booked)) <= 1e-10 * np.max(np.abs(booked))


@pytest.mark.parametrize(
    "diffusivities", [[1e-12, 1e-14, 1e-15], [1e-15, 1e-14, 1e-12], [1e-13, 1e-15, 1e-12]]
)
def test_fractions_stay_nonnegative_at_a_sharp_front(diffusivities):
    """A bath of pure ion 1 on a glass of pure ion 3 (ion 2 absent on both sides), D ratios
    up to 1e3. The semi-discrete scheme keeps χ ≥ 0 exactly; the time integration
    undershoots by at most its local error, which the step control holds below atol near
    χ = 0 (measured lowest fraction over all accepted steps: −1.4e-10, −2.2e-13, −2.3e-11,
    i.e. ≤ 4e-5 of atol). Bound: −atol."""
    grid = uniform_grid(100e-6, 50)
    sol = solve_multicomponent(
        grid,
        diffusivities,
        _start(grid, (0.0, 0.0, 1.0)),
        HOURS,
        front=BathFace((1.0, 0.0, 0.0)),
        back=ClosedFace(),
    )
    assert sol.diagnostics["min_fraction"] >= -4e-6


def test_full_plate_with_two_baths_is_the_mirrored_half_plate():
    """A plate exchanged on both faces (uniform mesh, 2n cells) against its half (n cells,
    closed mid-plane): the same ODE system, cell for cell, so the runs differ by the
    round-off of their step sequences (bound 1e-9; measured 6e-15)."""
    half = uniform_grid(50e-6, 40)
    full = uniform_grid(100e-6, 80)
    bath = BathFace((0.7, 0.2, 0.1))
    kw = dict(output_times=(HOURS, 3 * HOURS))
    a = solve_multicomponent(
        half, D3, _start(half, (0.0, 0.3, 0.7)), 3 * HOURS, front=bath, back=ClosedFace(), **kw
    )
    b = solve_multicomponent(
        full, D3, _start(full, (0.0, 0.3, 0.7)), 3 * HOURS, front=bath, back=bath, **kw
    )
    assert np.max(np.abs(b.states[..., :40] - a.states)) <= 1e-9
    assert np.max(np.abs(b.states[..., 40:][..., ::-1] - a.states)) <= 1e-9
    np.testing.assert_allclose(b.inflow[..., 0], a.inflow[..., 0], rtol=1e-9, atol=1e-20)
    np.testing.assert_allclose(b.inflow[..., 1], a.inflow[..., 0], rtol=1e-9, atol=1e-20)


def test_compiled_loop_takes_the_python_loops_steps():
    """Constant D given as an array (compiled loop) and as a callable (Python loop): the
    same steps, the same states to round-off."""
    grid = graded_grid(60e-6, 4e-6, 30)
    args = (_start(grid, (0.0, 0.1, 0.9)), 2 * HOURS)
    kw = dict(front=BathFace((0.6, 0.3, 0.1)), back=ClosedFace(), output_times=(HOURS,))
    compiled = solve_multicomponent(grid, D3, *args, **kw)
    driven = solve_multicomponent(grid, lambda t: D3, *args, **kw)
    assert compiled.n_steps == driven.n_steps
    assert compiled.n_rejected == driven.n_rejected
    np.testing.assert_allclose(driven.states, compiled.states, rtol=0, atol=1e-14)
    np.testing.assert_allclose(driven.inflow, compiled.inflow, rtol=1e-12)


def test_four_ions_with_a_pair_of_equal_d_are_three_ions():
    """Four ions, ions 1 and 2 with equal D: their sum moves as one ion of that D, so the
    run equals the three-ion run (the general block path against the written-out one) to
    the time-integration error (rtol 1e-8: bound 1e-7; measured 5e-13, the two runs
    take nearly the same steps)."""
    grid = graded_grid(60e-6, 4e-6, 20)
    d4 = [1e-14, 1e-14, 2e-15, 5e-14]
    kw = dict(rtol=1e-8, atol=1e-10)
    four = solve_multicomponent(
        grid, d4, _start(grid, (0.1, 0.1, 0.3, 0.5)), 2 * HOURS,
        front=BathFace((0.5, 0.2, 0.2, 0.1)), back=ClosedFace(), **kw,
    )  # fmt: skip
    three = solve_multicomponent(
        grid, [1e-14, 2e-15, 5e-14], _start(grid, (0.2, 0.3, 0.5)), 2 * HOURS,
        front=BathFace((0.7, 0.2, 0.1)), back=ClosedFace(), **kw,
    )  # fmt: skip
    merged = np.vstack([four.final[0] + four.final[1], four.final[2:]])
    assert np.max(np.abs(merged - three.final)) <= 1e-7


def test_outputs_are_hit_exactly_and_start_with_the_initial_state():
    grid = uniform_grid(40e-6, 20)
    start = _start(grid, (0.0, 0.1, 0.9))
    sol = solve_multicomponent(
        grid,
        D3,
        start,
        HOURS,
        front=BathFace((0.6, 0.3, 0.1)),
        back=ClosedFace(),
        output_times=(HOURS, 0.0, 0.25 * HOURS),
        breakpoints=(0.6 * HOURS,),
    )
    np.testing.assert_array_equal(sol.times, [0.0, 0.25 * HOURS, HOURS])
    np.testing.assert_array_equal(sol.states[0], start)
    assert np.all(sol.inflow[0] == 0.0)
    np.testing.assert_array_equal(sol.states[-1], sol.final)
    assert sol.states.shape == (3, 3, 20) and sol.inflow.shape == (3, 3, 2)
    assert np.all(sol.inflow[:, :, 1] == 0.0)  # the closed back
    capped = solve_multicomponent(
        grid, D3, start, HOURS, front=BathFace((0.6, 0.3, 0.1)), back=ClosedFace(),
        max_step=0.01 * HOURS,
    )  # fmt: skip
    assert capped.n_steps >= 100
    assert np.max(np.abs(capped.final - sol.final)) <= 1e-4  # both within their tolerance


# --------------------------------------------------------------------------- failures


def test_malformed_input_is_refused_with_what_was_expected():
    grid = uniform_grid(40e-6, 10)
    good = _start(grid, (0.2, 0.3, 0.5))
    bath = BathFace((0.6, 0.3, 0.1))
    closed = ClosedFace()
    with pytest.raises(ValueError, match="sum to 1"):
        BathFace((0.6, 0.3, 0.2))
    with pytest.raises(ValueError, match=r"lie in \[0, 1\]"):
        BathFace((1.2, -0.2))
    with pytest.raises(ValueError, match="at least two"):
        BathFace((1.0,))
    with pytest.raises(ValueError, match="must be finite and > 0"):
        solve_multicomponent(grid, [1e-14, 0.0, 1e-15], good, 10.0, front=bath, back=closed)
    with pytest.raises(ValueError, match="one diffusion coefficient per ion"):
        solve_multicomponent(grid, 1e-14, good, 10.0, front=bath, back=closed)
    with pytest.raises(ValueError, match=r"expected \(3, 10\)"):
        solve_multicomponent(grid, D3, good[:, :5], 10.0, front=bath, back=closed)
    with pytest.raises(ValueError, match=r"expected \(3, 10\)"):
        solve_multicomponent(grid, D3, good[:2] / good[:2].sum(0), 10.0, front=bath, back=closed)
    with pytest.raises(ValueError, match="sum to 1"):
        solve_multicomponent(grid, D3, good * 1.01, 10.0, front=bath, back=closed)
    with pytest.raises(ValueError, match="expected 3, one per ion"):
        solve_multicomponent(grid, D3, good, 10.0, front=BathFace((0.5, 0.5)), back=closed)
    with pytest.raises(TypeError, match="BathFace or a ClosedFace"):
        solve_multicomponent(grid, D3, good, 10.0, front=None, back=closed)
    with pytest.raises(ValueError, match="expected 3 diffusion coefficients"):
        solve_multicomponent(grid, lambda t: D3 if t == 0 else D3[:2], good, 10.0,
                             front=bath, back=closed)  # fmt: skip
    with pytest.raises(ValueError, match=r"diffusivities\(t\)\[1\]"):
        solve_multicomponent(grid, lambda t: D3 * (1 - 2 * (t > 0) * np.array([0, 1, 0])),
                             good, 10.0, front=bath, back=closed)  # fmt: skip
    with pytest.raises(ValueError, match="duration"):
        solve_multicomponent(grid, D3, good, 0.0, front=bath, back=closed)


def test_too_many_steps_names_the_time():
    grid = uniform_grid(40e-6, 10)
    with pytest.raises(SolverError, match=r"more than 3 steps needed before t = "):
        solve_multicomponent(
            grid, D3, _start(grid, (0.0, 0.1, 0.9)), HOURS,
            front=BathFace((0.6, 0.3, 0.1)), back=ClosedFace(), max_steps=3,
        )  # fmt: skip


def test_failing_stages_end_at_the_step_floor_naming_time_and_depth(monkeypatch):
    """Stages that never turn finite (stood in for by a kernel that always fails): the
    step shrinks to the floor and the error names the time (with the offset of the call
    within a process) and the depth of the largest rate."""
    grid = uniform_grid(40e-6, 10)

    def failing(*args):
        return mc.NON_FINITE, math.inf, 3

    monkeypatch.setattr(mc, "ros3_step", failing)
    with pytest.raises(SolverError) as err:
        solve_multicomponent(
            grid, lambda t: D3, _start(grid, (0.0, 0.1, 0.9)), HOURS,
            front=BathFace((0.6, 0.3, 0.1)), back=ClosedFace(), time_offset=100.0,
        )  # fmt: skip
    text = str(err.value)
    assert "t = 100 s" in text and "non-finite stage value" in text
    assert f"depth {grid.centres[0]:.3e} m" in text  # the cell at the bath moves fastest
