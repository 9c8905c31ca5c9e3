"""Unit tests of the compiled Newton kernels of ionex.solvers.npp: the assembled matrix is
the derivative of the residual, the block elimination solves the block-tridiagonal system,
a restarted linearisation equals a fresh one, and the Bernoulli pair is the numpy one."""

from __future__ import annotations

import numpy as np
from _references import central_difference_jacobian, dense_from_band
import pytest

from ionex.solvers import npp
from ionex.solvers.npp import (
    Electrode,
    IonBeam,
    Medium,
    Species,
    bernoulli,
    geometric_grid,
)

MEDIUM = Medium(1.4e28, 8.0, 323.15)


def _law(f):
    """A steep concentration-dependent D (m²/s) and its derivative, as a site-energy law."""
    return 1e-16 * np.exp(3.0 * f), 3e-16 * np.exp(3.0 * f)


def _cait_system(face_mean=npp.INTEGRAL, laws=(3e-18, _law, 1e-18)):
    """A CAIT-like system: beam of species 0, absorbing back electrode, three species."""
    grid = geometric_grid(60e-9, 1e-9, 1.25)
    species = [Species(name, law) for name, law in zip(("Rb", "Li", "Cs"), laws)]
    beam = IonBeam(species=0, current_density=1e-3, source_potential=2.0, aperture_distance=8e-3)
    return npp._System(grid, species, MEDIUM, beam, Electrode(0.0), face_mean)


def _state(system, seed=5):
    rng = np.random.default_rng(seed)
    K = system.K
    Y = np.empty((K, system.m))
    Y[:, :3] = rng.uniform(0.05, 0.6, (K, 3))
    Y[:, 3] = np.cumsum(rng.uniform(-0.5, 0.5, K))
    base = Y.copy()
    base[:, :3] += rng.uniform(-0.01, 0.01, (K, 3))
    return Y, base


def _dense(system, ab):
    return dense_from_band(ab, system.n_unknowns, system.kl, system.ku)


def test_bernoulli_pair_equals_the_numpy_bernoulli():
    v = np.concatenate([np.linspace(-60.0, 60.0, 2401), np.linspace(-2e-3, 2e-3, 401)])
    v = np.concatenate([v, [-800.0, -1e-3, 1e-3, 800.0, 0.0]])
    b, db = bernoulli(v)
    bm, dbm = bernoulli(-v)
    got = np.array([npp._bern_pair(x) for x in v])
    # B' = B(1 − B)/v − B loses ~ε/v² to cancellation just above the series range |v| < 1e-3
    # (in both forms): 2e-10 there
    for k, ref in enumerate((b, db, bm, dbm)):
        np.testing.assert_allclose(got[:, k], ref, rtol=1e-9, atol=1e-300)


@pytest.mark.parametrize("face_mean", list(npp.FACE_MEANS.values()))
def test_cait_newton_matrix_equals_finite_differences(face_mean):
    """Beam inflow (Robin condition for ψ), absorbing electrode and a concentration-dependent
    D: the compiled matrix is the derivative of the compiled residual, column by column,
    for every face mean of D."""
    system = _cait_system(face_mean)
    Y, base = _state(system)
    gh = 50.0
    R, ab, _ = system.assemble(Y, base, gh)
    J = _dense(system, ab)
    fd = central_difference_jacobian(lambda y: system.assemble(y, base, gh)[0], Y)
    scale = np.max(np.abs(fd), axis=1, keepdims=True) + 1e-30
    assert np.max(np.abs(J - fd) / scale) < 1e-5


def _linearised(system, Y, base, gh):
    lin = system.linearisations[0]
    status, _ = system.linearise(Y, base, gh, lin)
    assert status == npp._ITERATED
    return lin


def test_block_elimination_solves_the_newton_system():
    system = _cait_system()
    Y, base = _state(system)
    gh = 50.0
    R, ab, _ = system.assemble(Y, base, gh)
    J = _dense(system, ab)
    lin = _linearised(system, Y, base, gh)
    np.testing.assert_allclose(lin.R, -R, rtol=0, atol=0)
    rhs = np.random.default_rng(1).normal(size=Y.shape)
    out = np.empty_like(rhs)
    npp._block_solve(lin.S, lin.X, lin.Bl, rhs, out, system.block)
    ref = np.linalg.solve(J, rhs.ravel())
    assert np.max(np.abs(out.ravel() - ref)) < 1e-9 * np.max(np.abs(ref))
    # the forward substitution done during the factorisation is that of −R
    fwd = np.empty_like(rhs)
    npp._block_forward(lin.S, lin.Bl, lin.R, fwd, system.block)
    np.testing.assert_allclose(system.delta, fwd, rtol=1e-14, atol=0)


def test_block_factor_pivots_rows_when_a_diagonal_is_small():
    """Blocks whose diagonal is far below another entry of its column are pivoted (rows
    exchanged, the inverse's columns exchanged back): the solve still equals a dense one."""
    rng = np.random.default_rng(7)
    K, m = 30, 4
    Bd = rng.normal(size=(K, m, m))
    Bd[:, 0, 0] = 1e-6  # forces an exchange in the first column
    Bd[:, 2, 2] = 1e-7
    Bl = np.zeros((K, m, m))
    Bu = np.zeros((K, m, m))
    for i in range(m - 1):  # the coupling pattern of the solver: (i, i), (i, N), (N, N)
        Bl[1:, i, i] = rng.normal(scale=0.1, size=K - 1)
        Bl[1:, i, m - 1] = rng.normal(scale=0.1, size=K - 1)
        Bu[:-1, i, i] = rng.normal(scale=0.1, size=K - 1)
        Bu[:-1, i, m - 1] = rng.normal(scale=0.1, size=K - 1)
    Bl[1:, m - 1, m - 1] = rng.normal(scale=0.1, size=K - 1)
    Bu[:-1, m - 1, m - 1] = rng.normal(scale=0.1, size=K - 1)
    dense = np.zeros((K * m, K * m))
    for k in range(K):
        dense[k * m : (k + 1) * m, k * m : (k + 1) * m] = Bd[k]
        if k > 0:
            dense[k * m : (k + 1) * m, (k - 1) * m : k * m] = Bl[k]
        if k < K - 1:
            dense[k * m : (k + 1) * m, (k + 1) * m : (k + 2) * m] = Bu[k]
    rhs = rng.normal(size=(K, m))
    S = np.empty((K, m, m))
    X = np.empty((K, m, m))
    out = np.empty((K, m))
    assert npp._block_factor(Bd, Bl, Bu, S, X, rhs, out, (0,) * m) == 0
    npp._block_backward(X, out, (0,) * m)
    ref = np.linalg.solve(dense, rhs.ravel())
    np.testing.assert_allclose(out.ravel(), ref, rtol=1e-8, atol=1e-10 * np.max(np.abs(ref)))


def test_block_factor_reports_a_singular_block():
    K, m = 4, 3
    Bd = np.tile(np.eye(m), (K, 1, 1))
    Bd[2] = 0.0
    zeros = np.zeros((K, m, m))
    S, X = np.empty((K, m, m)), np.empty((K, m, m))
    rhs, out = np.ones((K, m)), np.empty((K, m))
    assert npp._block_factor(Bd, zeros, zeros, S, X, rhs, out, (0,) * m) == 3


@pytest.mark.parametrize("ratio", [1.0, 0.37, 2.5])
def test_restarted_linearisation_equals_a_fresh_one(ratio):
    """The residual and matrix of another stage (base, γh) at the same state are obtained
    without new diffusivities: they equal a fresh assembly there."""
    system = _cait_system()
    Y, base = _state(system)
    gh = 50.0
    lin = _linearised(system, Y, base, gh)
    new_base = base.copy()
    new_base[:, :3] += np.random.default_rng(2).uniform(-0.02, 0.02, (system.K, 3))
    regular, forward_done = lin.restart(new_base, ratio * gh, system.block, system.delta)
    assert regular and forward_done == (ratio != 1.0)
    R, ab, _ = system.assemble(Y, new_base, ratio * gh)
    np.testing.assert_allclose(lin.R, -R, rtol=1e-9, atol=1e-12 * np.max(np.abs(R)))
    J = _dense(system, ab)
    rhs = -R
    out = np.empty_like(rhs)
    npp._block_solve(lin.S, lin.X, lin.Bl, rhs, out, system.block)
    ref = np.linalg.solve(J, rhs.ravel())
    assert np.max(np.abs(out.ravel() - ref)) < 1e-9 * np.max(np.abs(ref))


def test_linearisations_are_counted_and_fewer_than_the_newton_updates():
    """The first update of every stage after the first restarts a linearisation (no new
    diffusivities), so a run linearises fewer times than it updates."""
    grid = geometric_grid(2e-6, 1e-10, 1.15)
    init = np.zeros((2, grid.n_cells))
    init[1] = MEDIUM.background_density
    beam = IonBeam(species=0, current_density=1e-3, source_potential=15.0, aperture_distance=8e-3)
    sol = npp.solve_npp(
        grid,
        [Species("Rb", 2.67e-22), Species("Li", 5.8e-19)],
        MEDIUM,
        init,
        2000.0,
        front=beam,
        back=Electrode(0.0),
    )
    assert sol.n_steps > 10
    assert 0 < sol.diagnostics["n_linearised"] < sol.n_newton


@pytest.mark.parametrize("kind", [npp.ARITHMETIC, npp.HARMONIC, npp.LOGARITHMIC])
def test_face_means_and_their_derivatives(kind):
    """Closed forms (a + b)/2, 2ab/(a + b), (a − b)/ln(a/b); the derivatives against central
    differences, also across the series branch of the logarithmic mean near a = b."""
    exact = {
        npp.ARITHMETIC: lambda a, b: 0.5 * (a + b),
        npp.HARMONIC: lambda a, b: 2 * a * b / (a + b),
        npp.LOGARITHMIC: lambda a, b: (a - b) / np.log(a / b) if a != b else a,
    }[kind]
    for a, b in [(1e-22, 3e-18), (2.0, 1.0), (1.0, 1.0005), (1.0, 1.0), (5e-19, 5e-23)]:
        m, da, db = npp._face_mean(kind, a, b)
        assert m == pytest.approx(exact(a, b), rel=1e-12)
        ha, hb = 1e-6 * a, 1e-6 * b
        assert da == pytest.approx(
            (npp._face_mean(kind, a + ha, b)[0] - npp._face_mean(kind, a - ha, b)[0]) / (2 * ha),
            rel=1e-5,
            abs=1e-9,
        )
        assert db == pytest.approx(
            (npp._face_mean(kind, a, b + hb)[0] - npp._face_mean(kind, a, b - hb)[0]) / (2 * hb),
            rel=1e-5,
            abs=1e-9,
        )


def test_an_unknown_face_mean_is_refused():
    system = _cait_system()
    with pytest.raises(ValueError, match="face_mean: found 'geometric'; expected one of"):
        npp.solve_npp(
            system.grid if hasattr(system, "grid") else None,
            (),
            None,
            np.zeros((0, 0)),
            1.0,
            front=None,
            back=None,
            face_mean="geometric",
        )


def _face_values(system, c):
    return system.face_diffusivities(np.ascontiguousarray(c))


def test_integral_face_mean_is_the_kirchhoff_mean_of_one_law():
    """Both cells share the law D = 1e-16 exp(3c): the face's D is Kirchhoff's mean
    [Φ(c_R) − Φ(c_L)]/(c_R − c_L), Φ = 1e-16 exp(3c)/3, to the error of two-point Gauss on
    each half, |E| ≤ 2·(½)⁵ max|D⁗|/4320 = a⁴ max D/69120 with a = 3|c_R − c_L|; a cubic
    law's mean is exact."""
    system = _cait_system()
    rng = np.random.default_rng(3)
    c = rng.uniform(0.05, 0.6, (system.K, 3))
    c[5] = c[4]  # equal neighbours: the face's D is the cells' D
    _, _, dface, _, _ = _face_values(system, c)
    cl, cr = c[:-1, 1], c[1:, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        kirchhoff = np.where(
            cl == cr,
            1e-16 * np.exp(3 * cl),
            1e-16 * np.exp(3 * cl) * np.expm1(3 * (cr - cl)) / (3 * (cr - cl)),
        )
    bound = (3 * abs(cr - cl)) ** 4 / 69120 * 1e-16 * np.exp(3 * np.maximum(cl, cr))
    assert np.all(abs(dface[:, 1] - kirchhoff) <= bound + 1e-15 * kirchhoff)
    assert np.max(bound / kirchhoff) > 1e-6  # the faces span steep parts of the law
    assert dface[4, 1] == pytest.approx(1e-16 * np.exp(3 * c[4, 1]), rel=1e-15)
    # constant laws: the value itself
    np.testing.assert_array_equal(dface[:, 0], 3e-18)

    def cubic(f):
        return 1e-17 * (1 + f + 4 * f**2 - 2 * f**3), 1e-17 * (1 + 8 * f - 6 * f**2)

    system = _cait_system(laws=(cubic, cubic, cubic))
    _, _, dface, _, _ = _face_values(system, c)

    def phi(f):
        return 1e-17 * (f + f**2 / 2 + 4 * f**3 / 3 - f**4 / 2)

    ok = cl != cr
    exact = (phi(cr[ok]) - phi(cl[ok])) / (cr[ok] - cl[ok])
    np.testing.assert_allclose(dface[ok, 1], exact, rtol=1e-13)


def test_integral_face_mean_takes_each_half_from_its_own_cell():
    """A law that differs from cell to cell (a per-cell factor, like a carried fill): the
    left half of the face's path is evaluated with the left cell's law, the right half
    with the right cell's, D_face = ½(mean over the left half) + ½(mean over the right)."""
    system = _cait_system()
    factor = np.linspace(1.0, 3.0, system.K)

    def per_cell(f):
        f = np.asarray(f)
        return 1e-16 * factor * np.exp(2.0 * f), 2e-16 * factor * np.exp(2.0 * f)

    system = _cait_system(laws=(per_cell, per_cell, per_cell))
    rng = np.random.default_rng(8)
    c = rng.uniform(0.05, 0.6, (system.K, 3))
    _, _, dface, dleft, dright = _face_values(system, c)
    cl, cr = c[:-1, 2], c[1:, 2]
    mid = 0.5 * (cl + cr)
    with np.errstate(invalid="ignore", divide="ignore"):
        half_l = 1e-16 * (np.exp(2 * mid) - np.exp(2 * cl)) / (2 * (mid - cl))
        half_r = 1e-16 * (np.exp(2 * cr) - np.exp(2 * mid)) / (2 * (cr - mid))
    expected = 0.5 * (factor[:-1] * half_l + factor[1:] * half_r)
    # two-point Gauss on each half: |E| ≤ a⁴ max D/69120, a = 2|c_R − c_L| (see above)
    bound = (2 * abs(cr - cl)) ** 4 / 69120 * 3e-16 * np.exp(2 * np.maximum(cl, cr))
    assert np.all(abs(dface[:, 2] - expected) <= bound)
    # taking the whole path from one cell's law would be far outside the bound
    assert np.all(abs(factor[:-1] * (half_l + half_r) / 2 - expected) > 10 * bound)
    # the derivatives against central differences of the face values
    for side, got in ((0, dleft), (1, dright)):
        h = 1e-6
        up, down = c.copy(), c.copy()
        rows = np.arange(system.K - 1) + side
        # perturb every other face's cell only, so that each face sees one change
        for start in (0, 1):
            sel = rows[start::2]
            up, down = c.copy(), c.copy()
            up[sel, 2] += h
            down[sel, 2] -= h
            fd = (_face_values(system, up)[2][:, 2] - _face_values(system, down)[2][:, 2]) / (2 * h)
            faces = np.arange(system.K - 1)[start::2]
            np.testing.assert_allclose(got[faces, 2], fd[faces], rtol=1e-6)
