"""Unit tests of ionex.solvers.npp: input validation, failure messages, flux kernels, mesh."""

from __future__ import annotations

import numpy as np
from _references import central_difference_jacobian, dense_from_band
import pytest

from ionex.errors import SolverError
from ionex.solvers.npp import (
    Bath,
    ClosedFace,
    ConstantDiffusivity,
    Electrode,
    IonBeam,
    Medium,
    Species,
    bernoulli,
    geometric_grid,
    solve_npp,
)

MEDIUM = Medium(1.4e28, 8.0, 323.15)
N0 = MEDIUM.background_density
GRID = geometric_grid(2e-6, 1e-9, 1.3)
K = GRID.n_cells


def two_species_initial():
    init = np.zeros((2, K))
    init[1] = N0
    return init


def run(**kw):
    args = {
        "grid": GRID,
        "species": [Species("A", 1e-17), Species("B", 1e-16)],
        "medium": MEDIUM,
        "initial": two_species_initial(),
        "duration": 60.0,
        "front": Bath((0.5, 0.5)),
        "back": ClosedFace(),
    }
    args.update(kw)
    return solve_npp(**args)


def test_bernoulli_is_smooth_and_stable():
    v = np.array(
        [
            -800.0,
            -30.0,
            -1e-3 * 1.0001,
            -1e-3 * 0.9999,
            0.0,
            1e-3 * 0.9999,
            1e-3 * 1.0001,
            30.0,
            800.0,
        ]
    )
    b, db = bernoulli(v)
    with np.errstate(over="ignore"):
        exact = np.where(v == 0, 1.0, v / np.expm1(np.where(v == 0, 1.0, v)))
    np.testing.assert_allclose(b, exact, rtol=1e-12, atol=1e-300)
    # B(v) − B(−v) = −v and the derivative by central differences
    np.testing.assert_allclose(b - bernoulli(-v)[0], -v, rtol=1e-12, atol=1e-15)
    for x in (-5.0, -2e-3, 0.0, 5e-4, 3.0):
        fd = (bernoulli(x + 1e-6)[0] - bernoulli(x - 1e-6)[0]) / 2e-6
        assert bernoulli(x)[1] == pytest.approx(fd, rel=1e-6, abs=1e-9)
    assert np.all(np.isfinite(db))


def test_geometric_grid_spans_the_sample():
    g = geometric_grid(2.325e-3, 1e-11, 1.1)
    assert g.faces[-1] == 2.325e-3 and g.volumes[0] == pytest.approx(1e-11)
    assert g.n_cells < 250


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"initial": -two_species_initial()}, "negative"),
        ({"initial": np.zeros((3, K))}, "expected (N species, n cells)"),
        ({"initial": np.full((2, K), np.nan)}, "non-finite"),
        ({"front": Bath((0.5, 0.3, 0.2))}, "3 fractions for 2 species"),
        ({"duration": 0.0}, "duration: found 0 s; expected a finite number > 0 s"),
        ({"front": ClosedFace(), "back": ClosedFace()}, "neither face holds the potential"),
        ({"back": IonBeam(0, 1e-4, 15.0)}, "only be the front"),
        ({"front": IonBeam(5, 1e-4, 15.0), "back": Electrode()}, "not one of the 2 species"),
        ({"output_times": [120.0]}, "output times"),
        ({"stop_at_charge": 1.0}, "needs an Electrode"),
    ],
)
def test_invalid_arguments(kwargs, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        run(**kwargs)


@pytest.mark.parametrize("bad", [0.0, -1e-17, float("nan")])
def test_non_positive_diffusion_coefficient(bad):
    with pytest.raises(ValueError, match="diffusion coefficient must be finite and > 0"):
        Species("A", bad)


def test_bad_diffusivity_callable_and_medium():
    with pytest.raises(ValueError, match="D\\(frac\\) must be finite and > 0"):
        run(
            species=[
                Species("A", lambda f: (np.zeros_like(f), np.zeros_like(f))),
                Species("B", 1e-16),
            ]
        )
    with pytest.raises(ValueError, match="relative_permittivity"):
        Medium(1.4e28, -8.0, 323.15)
    with pytest.raises(ValueError, match="Bath fractions"):
        Bath((-0.1, 1.1))
    with pytest.raises(ValueError, match="charge must be a non-zero integer"):
        Species("X", 1e-17, charge=0)


def test_beam_cannot_deliver_the_target_in_time():
    with pytest.raises(ValueError, match="the beam delivers at most"):
        run(front=IonBeam(0, 1e-6, 15.0), back=Electrode(), stop_at_charge=1.0)


def test_capped_surface_potential_gives_a_clear_error():
    # U_src = 1 V caps the current far below what the target needs within the allowed time
    with pytest.raises(SolverError, match="reached only .* capped by the source potential"):
        run(front=IonBeam(0, 100.0, 1.0), back=Electrode(), stop_at_charge=1000.0, duration=20.0)


def test_non_convergence_names_time_and_depth():
    def broken(f):  # finite at the checked fractions 0, 0.5, 1, NaN on the way in
        f = np.asarray(f, dtype=float)
        d = np.where((f > 0.05) & (f < 0.4), np.nan, 1e-17)
        return d, np.zeros_like(f)

    with pytest.raises(SolverError) as info:
        run(species=[Species("A", broken), Species("B", 1e-16)], front=Bath((0.8, 0.2)))
    msg = str(info.value)
    assert "failed at t = " in msg and " s:" in msg and "depth" in msg


def test_concentration_dependent_d_callable_is_used():
    # D_A(χ) doubling with χ vs constant: the callable must change the result
    law = lambda f: (1e-17 * (1 + np.asarray(f)), np.full(np.shape(f), 1e-17))
    a = run(species=[Species("A", law), Species("B", 1e-16)], output_times=[60.0])
    b = run(output_times=[60.0])
    assert a.inflow[-1, 0] > 1.05 * b.inflow[-1, 0]
    assert isinstance(Species("A", 1e-17).diffusivity, ConstantDiffusivity)


def test_tracker_and_outputs_land_exactly():
    seen = []

    class T:
        def initialize(self, total):  # pragma: no cover - not called by the solver
            pass

        def handle(self, t, state):
            seen.append((t, state.shape))

        def finalize(self):  # pragma: no cover
            pass

    sol = run(output_times=[0.0, 7.0, 60.0], tracker=T(), time_offset=100.0)
    np.testing.assert_array_equal(sol.times, [0.0, 7.0, 60.0])
    assert sol.densities.shape == (3, 2, K) and sol.potential.shape == (3, K)
    assert seen[-1][0] == pytest.approx(160.0) and seen[-1][1] == (2, K)
    assert sol.n_steps == len(seen) and sol.end_time == 60.0


# --------------------------------------------------------------------------- galvanostatic anode


def _dense_from_band(system, ab):
    return dense_from_band(ab, system.n_unknowns, system.kl, system.ku)


def test_galvanostatic_newton_matrix_equals_finite_differences():
    """The anode potential is eliminated cell-locally: the first cell's block gains
    cross-species and Poisson-to-density terms. The assembled matrix must be the
    derivative of the residual (checked column by column, concentration-dependent D)."""
    from ionex.solvers.npp import GalvanostaticBath, _System

    def law(f):
        return 1e-16 * np.exp(2.0 * f), 2e-16 * np.exp(2.0 * f)

    species = [Species("A", 1e-17), Species("B", law), Species("C", 3e-17)]
    grid = geometric_grid(50e-9, 1e-9, 1.2)
    system = _System(grid, species, MEDIUM, GalvanostaticBath((0.6, 0.3, 0.1), 0.5), Electrode(0.0))
    rng = np.random.default_rng(3)
    Y = np.empty((grid.n_cells, 4))
    Y[:, :3] = rng.uniform(0.1, 0.5, (grid.n_cells, 3))
    Y[:, 3] = rng.uniform(-2.0, 2.0, grid.n_cells)
    base = Y + 0.01
    gh = 1e-3
    R, ab, _ = system.assemble(Y, base, gh)
    J = _dense_from_band(system, ab)
    fd = central_difference_jacobian(lambda y: system.assemble(y, base, gh)[0], Y)
    scale = np.max(np.abs(fd), axis=1, keepdims=True) + 1e-30
    assert np.max(np.abs(J - fd) / scale) < 1e-5
    # the first cell really has the cross-species terms (so the check above covers them)
    assert abs(J[0, 1]) > 1e-3 * scale[0, 0]


def test_galvanostatic_anode_passes_the_prescribed_current():
    """Constant current: the charge entering the front is j·t to the Newton tolerance, and
    the back electrode receives the same charge once the dielectric relaxation (~1e-9 s
    here) is over; the anode potential rises as the slower A replaces B."""
    from ionex.solvers.npp import GalvanostaticBath

    j, t_end = 0.05, 600.0
    sol = run(
        front=GalvanostaticBath((1.0, 0.0), j),
        back=Electrode(0.0),
        duration=t_end,
        rtol=1e-5,
        atol=1e-8,
    )
    entered = 1.602176634e-19 * float(sol.final_inflow.sum())
    assert entered == pytest.approx(j * t_end, rel=1e-8)
    # what did not leave at the back is the net space charge the run left in the sample
    # (the double layer of the depleted front), e Σ_k vol_k (Σ z c − n_0)
    stored = 1.602176634e-19 * float(((sol.final_densities.sum(0) - N0) * GRID.volumes).sum())
    assert sol.history["back_charge"][-1] + stored == pytest.approx(j * t_end, rel=1e-8)
    assert abs(stored) < 1e-5 * j * t_end
    assert sol.history["current"][-1] == pytest.approx(j, rel=1e-6)
    u = sol.history["surface_potential"]
    assert np.all(np.diff(u[len(u) // 2 :]) > 0)  # a growing resistive layer of slow A
    # stopping at a delivered charge works with the galvanostatic anode too
    half = run(
        front=GalvanostaticBath((1.0, 0.0), j),
        back=Electrode(0.0),
        duration=t_end,
        rtol=1e-5,
        atol=1e-8,
        stop_at_charge=0.5 * j * t_end,
    )
    assert half.end_time == pytest.approx(0.5 * t_end, rel=1e-5)


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda G: G((0.5, -0.5), 1.0), "fractions must be finite and ≥ 0"),
        (lambda G: G((0.0, 0.0), 1.0), "needs some ions in the bath"),
        (lambda G: G((1.0, 0.0), float("inf")), "finite number of A/m²"),
    ],
)
def test_galvanostatic_bath_rejects_bad_input(make, words):
    from ionex.solvers.npp import GalvanostaticBath

    with pytest.raises(ValueError, match=words):
        make(GalvanostaticBath)


def test_galvanostatic_bath_only_at_the_front_and_with_matching_species():
    from ionex.solvers.npp import GalvanostaticBath

    with pytest.raises(ValueError, match="3 fractions for 2 species"):
        run(front=GalvanostaticBath((0.5, 0.3, 0.2), 1.0), back=Electrode())
    with pytest.raises(ValueError, match="only be the front"):
        run(front=Bath((0.5, 0.5)), back=GalvanostaticBath((1.0, 0.0), 1.0))
