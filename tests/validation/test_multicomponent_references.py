"""The multicomponent interdiffusion solver (ionex.solvers.multicomponent) against
independent references.

* ionex's binary engine (ionex.solvers.diffusion with the Nernst–Planck law
  D̃ = D_A D_B/(χ D_A + (1 − χ) D_B)): for two ions the multicomponent face flux is the
  binary engine's exact steady (Kirchhoff) flux, so the two semi-discretisations are the
  same function of the state and the solutions differ only by the time integration.
* The same engine for the sum of two ions of equal D in a three-ion run.
* A fine-mesh method-of-lines solution written here: uniform cells, the plain central
  flux (face fractions the mean of the cells, gradients the difference over the centre
  distance), scipy's BDF.
* Measured orders: space (mesh halving against a finer run), time (fixed steps).
* A time-dependent D(t) = D₀·φ(t) (all ions by one factor) against the constant-D₀ run
  over the reduced time θ = ∫φ dt.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad, solve_ivp
from scipy.sparse import diags

from ionex.grids import graded_grid, uniform_grid
from ionex.physics.kirchhoff import KirchhoffLaw
from ionex.solvers import _rosenbrock
from ionex.solvers.diffusion import FaceCondition, _face_weights, solve_nonlinear_diffusion
from ionex.solvers.multicomponent import (
    BathFace,
    ClosedFace,
    face_fluxes,
    solve_multicomponent,
    workspace,
)

HOURS = 3600.0
# the three-ion case of the method-of-lines, order and reduced-clock tests
D3 = np.array([2e-14, 5e-15, 1e-15])  # m²/s
BATH3 = (0.6, 0.3, 0.1)
START3 = (0.0, 0.1, 0.9)
LENGTH3 = 40e-6  # m, closed at the back
DURATION3 = 4 * HOURS


def _start(grid, fractions):
    return np.outer(fractions, np.ones(grid.n_cells))


def _three_ion_run(grid, duration=DURATION3, **kw):
    return solve_multicomponent(
        grid, D3, _start(grid, START3), duration, front=BathFace(BATH3), back=ClosedFace(), **kw
    )


@pytest.mark.parametrize(
    "d_a, d_b", [(1e-15, 1e-14), (1e-14, 1e-15)], ids=["ratio_0.1", "ratio_10"]
)
def test_two_ions_have_the_binary_engines_rates(d_a, d_b):
    """The net inflow per cell of the two schemes at one state (a profile with bath and
    closed face): equal to round-off, ≤ 1e-14 of D_max/h_min (the flux of a unit step
    across the finest face; measured 1.5e-16)."""
    grid = graded_grid(50e-6, 5e-6, 30)
    n = grid.n_cells
    chi = 0.9 * np.exp(-grid.centres / 8e-6) + 0.05 * np.sin(grid.centres / 3e-6) ** 2
    law = KirchhoffLaw.rational(d_a, d_b)
    vol, inv, w_off, w_diag = _face_weights(grid, FaceCondition(0.9), FaceCondition(None))
    phi_s, _ = law(np.array([0.9]))
    phi = np.empty(n)
    d = np.empty(n)
    binary = np.empty(n)
    _rosenbrock._rates(
        law.kind, law.params, law.phi, law.phi_slope, law.coefficient, chi, w_off, inv[0],
        inv[-1], float(phi_s[0]), 0.0, True, False, phi, d, binary,
    )  # fmt: skip
    cells, (du, flux), (s, mf, ma, mb), _, _, _ = workspace(n, 1)
    u, res = cells[0], cells[1]
    ok = face_fluxes(
        np.array([d_a, d_b]), chi[:, None].copy(), 1.0 / grid.spacing, np.array([0.9]),
        np.zeros(1), True, False, False, s, u, du, mf, ma, mb, flux, res,
    )  # fmt: skip
    assert ok
    scale = max(d_a, d_b) * np.max(1.0 / grid.spacing)  # a face flux of Δχ ~ 1
    assert np.max(np.abs(res[:, 0] - binary)) <= 1e-14 * scale


@pytest.mark.parametrize(
    "d_a, d_b", [(1e-15, 1e-14), (1e-14, 1e-15)], ids=["ratio_0.1", "ratio_10"]
)
def test_two_ions_equal_the_binary_engine(d_a, d_b):
    """Bath χ_A = 0.9 at the front, closed back, 8 h on a graded mesh. The schemes are the
    same ODE system (test above), so the runs differ by their time-integration errors
    alone: at rtol 1e-8, atol 1e-10 both are ~1e-8 or below (measured differences 7e-12,
    1.1e-9; bound 1e-7); at the default tolerances (rtol 4e-4, atol 4e-6) by their
    global errors, measured 1.7e-7 and 1.7e-5 (the multicomponent error norm weighs both
    ions, so the steps differ); bound rtol = 4e-4."""
    duration = 8 * HOURS
    l_d = math.sqrt(max(d_a, d_b) * duration)
    grid = graded_grid(12 * l_d, l_d, 60)
    n = grid.n_cells
    law = KirchhoffLaw.rational(d_a, d_b)
    start = np.vstack([np.zeros(n), np.ones(n)])
    for rtol, atol, bound in ((1e-8, 1e-10, 1e-7), (4e-4, 4e-6, 4e-4)):
        binary = solve_nonlinear_diffusion(
            grid,
            law,
            np.zeros(n),
            duration,
            front=FaceCondition(0.9),
            back=FaceCondition(None),
            rtol=rtol,
            atol=atol,
            skip_flat=False,
        )
        multi = solve_multicomponent(
            grid,
            [d_a, d_b],
            start,
            duration,
            front=BathFace((0.9, 0.1)),
            back=ClosedFace(),
            rtol=rtol,
            atol=atol,
        )
        assert np.max(np.abs(multi.final[0] - binary.final)) <= bound
        assert abs(multi.final_inflow[0, 0] - binary.final_inflow[0]) <= bound * grid.length


def test_two_ions_of_equal_d_sum_to_the_binary_engine():
    """Three ions, ions 1 and 2 with equal D: S depends on χ_1 + χ_2 alone and their face
    fluxes add up to the binary flux of the sum, so χ_1 + χ_2 is the binary solution with
    D_A = D_1 against D_B = D_3 (bath 0.5 + 0.3, start 0.1 + 0.1). At rtol 1e-8, atol 1e-10
    the difference is the two runs' time-integration error (measured 1.8e-10; bound 1e-7)."""
    duration = 6 * HOURS
    d = np.array([3e-15, 3e-15, 2e-14])
    grid = graded_grid(12 * math.sqrt(2e-14 * duration), math.sqrt(3e-15 * duration), 60)
    n = grid.n_cells
    kw = dict(rtol=1e-8, atol=1e-10)
    multi = solve_multicomponent(
        grid, d, _start(grid, (0.1, 0.1, 0.8)), duration, front=BathFace((0.5, 0.3, 0.2)),
        back=ClosedFace(), **kw,
    )  # fmt: skip
    binary = solve_nonlinear_diffusion(
        grid, KirchhoffLaw.rational(3e-15, 2e-14), np.full(n, 0.2), duration,
        front=FaceCondition(0.8), back=FaceCondition(None), skip_flat=False, **kw,
    )  # fmt: skip
    assert np.max(np.abs(multi.final[0] + multi.final[1] - binary.final)) <= 1e-7
    # the two ions themselves differ: ion 1 comes from the bath, ion 2 was in the glass
    assert np.max(np.abs(multi.final[0] - multi.final[1])) > 0.1


def _method_of_lines(n, times, rtol=1e-9, atol=1e-12):
    """χ (len(times), 3, n) of the three-ion case on n uniform cells: face fractions the
    mean of the two cells (the bath value and cell 0 at the front, over the half cell),
    gradients the difference over the centre distance, the flux
    J_i = −D_i g_i + D_i χ̄_i Σ_j D_j g_j / Σ_j D_j χ̄_j, unknowns χ_1, χ_2 (χ_3 = 1 − Σ),
    closed back; scipy's BDF with the banded sparsity of the Jacobian."""
    h = LENGTH3 / n
    bath = np.array(BATH3)
    dist = np.full(n, h)
    dist[0] = 0.5 * h

    def rhs(t, flat):
        chi = np.empty((n + 1, 3))
        chi[0] = bath
        chi[1:, :2] = flat.reshape(n, 2)
        chi[1:, 2] = 1.0 - chi[1:, 0] - chi[1:, 1]
        g = np.diff(chi, axis=0) / dist[:, None]
        mean = 0.5 * (chi[1:] + chi[:-1])
        flux = np.zeros((n + 1, 2))
        flux[:n] = (-D3 * g + D3 * mean * ((g @ D3) / (mean @ D3))[:, None])[:, :2]
        return ((flux[:-1] - flux[1:]) / h).ravel()

    sparsity = diags([np.ones(2 * n - abs(k)) for k in range(-3, 4)], list(range(-3, 4)))
    sol = solve_ivp(
        rhs, (0.0, max(times)), np.tile(START3[:2], n), method="BDF", rtol=rtol, atol=atol,
        jac_sparsity=sparsity, t_eval=times,
    )  # fmt: skip
    assert sol.success, sol.message
    y = sol.y.T.reshape(len(times), n, 2)
    return np.concatenate([y, 1.0 - y.sum(axis=2, keepdims=True)], axis=2).transpose(0, 2, 1)


def test_three_ions_against_a_fine_method_of_lines_solution():
    """The solver on 300 uniform cells against the central-flux method of lines on 900,
    at 1 h and 4 h, at the 100 centres both meshes share with a 100-cell mesh. Each
    discretisation is second order, so each error is estimated from its own mesh
    tripling (Richardson: e(h/3) ≈ (u_h − u_h/3)/8, solver 100 → 300, reference
    300 → 900); both time integrations run at rtol 1e-9 (error ~1e-8). Bound, pointwise:
    2·(e_solver + e_reference) + 1e-7, the factor 2 for the estimates' own error
    (measured: largest difference 3.5e-5 at 1 h, 8.3e-6 at 4 h; estimated errors up to
    5.2e-5 (solver, 300 cells) and 1.5e-5 (reference, 900); difference/bound ≤ 0.65)."""
    times = [HOURS, DURATION3]
    runs = {
        n: _three_ion_run(uniform_grid(LENGTH3, n), output_times=times, rtol=1e-9, atol=1e-12)
        for n in (100, 300)
    }
    refs = {n: _method_of_lines(n, times) for n in (300, 900)}
    shared_300 = slice(1, None, 3)  # centre of cell i of 100 = centre of cell 3i + 1 of 300
    shared_900 = slice(4, None, 9)
    solver = runs[300].states[..., shared_300]
    reference = refs[900][..., shared_900]
    e_solver = np.abs(runs[100].states - solver) / 8
    e_reference = np.abs(refs[300][..., shared_300] - reference) / 8
    difference = np.abs(solver - reference)
    assert np.all(difference <= 2 * (e_solver + e_reference) + 1e-7)
    assert np.max(difference) <= 2e-4  # and the estimates themselves are small


def fitted_order(steps, errors):
    """Least-squares slope of log(error) against log(step)."""
    slope, _ = np.polyfit(np.log(steps), np.log(errors), 1)
    return float(slope)


def test_spatial_order_two_on_mesh_halving():
    """The three-ion case on 16, 32, 64, 128 uniform cells (rtol 1e-8: time error ~1e-8,
    below the finest mesh's 7e-5) against 1024 cells, linearly interpolated to the coarse
    centres (its own error and the interpolation's are ≤ (128/1024)² of the finest mesh's).
    Error: max over ions and centres at 4 h. Measured fitted slope 2.04 (pairs 2.09, 2.04, 1.98);
    expected 2 (second-order face fluxes, half cell at the bath). Assert ≥ 1.8 for the
    fit and ≥ 1.7 for every pair."""
    kw = dict(rtol=1e-8, atol=1e-11)
    fine_grid = uniform_grid(LENGTH3, 1024)
    fine = _three_ion_run(fine_grid, **kw).final
    cells = np.array([16, 32, 64, 128])
    errors = []
    for n in cells:
        grid = uniform_grid(LENGTH3, n)
        run = _three_ion_run(grid, **kw).final
        errors.append(
            max(
                np.max(np.abs(run[i] - np.interp(grid.centres, fine_grid.centres, fine[i])))
                for i in range(3)
            )
        )
    errors = np.array(errors)
    pairs = np.log2(errors[:-1] / errors[1:])
    assert fitted_order(1.0 / cells, errors) >= 1.8, errors
    assert np.all(pairs >= 1.7), pairs


def test_temporal_order_three_with_fixed_steps():
    """From the smooth profile at 1 h (an adaptive run at rtol 1e-10: no initial layer, no
    order reduction), 2 h with fixed steps of 2h/8 … 2h/64 against 2h/1024 on 80 cells
    (its error is 16³ below the finest compared run's). Measured pairs 2.88, 2.92, 2.95;
    expected ORDER = 3 (ROS3). Assert ≥ 2.7 for the fit and ≥ 2.5 for every pair."""
    grid = uniform_grid(LENGTH3, 80)
    smooth = _three_ion_run(grid, HOURS, rtol=1e-10, atol=1e-13).final
    duration = 2 * HOURS

    def fixed(k):
        return solve_multicomponent(
            grid, D3, smooth, duration, front=BathFace(BATH3), back=ClosedFace(),
            fixed_step=duration / k,
        ).final  # fmt: skip

    reference = fixed(1024)
    counts = np.array([8, 16, 32, 64])
    errors = np.array([np.max(np.abs(fixed(k) - reference)) for k in counts])
    pairs = np.log2(errors[:-1] / errors[1:])
    assert fitted_order(1.0 / counts, errors) >= 2.7, errors
    assert np.all(pairs >= 2.5), pairs


def test_time_dependent_d_equals_the_constant_d_run_on_the_reduced_clock():
    """All D_i scaled by one factor φ(t) (Arrhenius, Q = 150 kJ/mol, a ramp 620 → 700 K
    over 4 h, φ from 0.036 to 1): the equations depend on time only through θ = ∫φ dt, so
    the run with the callable D₀·φ(t) over 4 h equals the constant-D₀ run over θ(4 h)
    (θ by adaptive quadrature to 1e-13). The difference is the two runs' time-integration
    errors: measured 9.0e-11 at rtol 1e-8 (bound 1e-7) and 5.3e-6 at the default
    tolerances (bound rtol = 4e-4)."""
    grid = uniform_grid(LENGTH3, 100)
    duration = DURATION3
    q_over_r = 1.5e5 / 8.314462618

    def factor(t):
        return math.exp(-q_over_r * (1.0 / (620.0 + 80.0 * t / duration) - 1.0 / 700.0))

    theta = quad(factor, 0.0, duration, epsabs=0.0, epsrel=1e-13)[0]
    for rtol, atol, bound in ((1e-8, 1e-10, 1e-7), (4e-4, 4e-6, 4e-4)):
        kw = dict(front=BathFace(BATH3), back=ClosedFace(), rtol=rtol, atol=atol)
        start = _start(grid, START3)
        programmed = solve_multicomponent(grid, lambda t: D3 * factor(t), start, duration, **kw)
        reduced = solve_multicomponent(grid, D3, start, theta, **kw)
        assert np.max(np.abs(programmed.final - reduced.final)) <= bound
        assert np.max(np.abs(programmed.final_inflow - reduced.final_inflow)) <= bound * LENGTH3
