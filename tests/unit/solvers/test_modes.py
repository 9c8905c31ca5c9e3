"""Guided-mode solver: graded profiles against exact and independent references, the
observed convergence order, WKB, fields, robustness and input errors.

References used here (the step-index slab is in tests/validation/test_step_index_slab.py):
* the exponential profile n² = n_s² + Δε e^(−x/w) (TE), whose modes are Bessel functions
  E = J_ν(2k0 w √Δε e^(−x/2w)), ν = 2k0 w √(N² − n_s²) (Conwell, Appl. Phys. Lett. 23
  (1973) 328); the mode condition at the air interface E'/E = k0 √(N² − n_c²) reads
  u0 J_ν'(u0) + 2w k0 √(N² − n_c²) J_ν(u0) = 0, u0 = 2k0 w √Δε, solved by brentq;
* an independent finite-difference eigen-solve (cell-centred, harmonic face means of n²
  for TM, Richardson-extrapolated from two grids) for a buried, non-monotone profile.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.linalg import eigh_tridiagonal
from scipy.optimize import brentq
from scipy.special import erfc, jv, jvp

from ionex.errors import SolverError
from ionex.solvers import modes as modes_module
from ionex.solvers.modes import (
    MAGNUS_ORDER,
    ORDER,
    Mode,
    ModeSet,
    solve_modes,
    wkb_effective_indices,
)

WAVELENGTH = 677e-9
K0 = 2 * math.pi / WAVELENGTH

# exponential profile: n_s = 1.51, Δn(0) = 0.01, w = 3 µm (3 TE modes)
EXP_NS, EXP_DN, EXP_W = 1.51, 0.01, 3e-6
EXP_DE = (EXP_NS + EXP_DN) ** 2 - EXP_NS**2


def exponential_profile(x):
    return np.sqrt(EXP_NS**2 + EXP_DE * np.exp(-np.asarray(x) / EXP_W))


def conwell_bessel_indices(n_c=1.0):
    """Exact TE effective indices of the exponential profile (Bessel-function modes)."""
    u0 = 2 * K0 * EXP_W * math.sqrt(EXP_DE)

    def condition(N):
        nu = 2 * K0 * EXP_W * math.sqrt(N * N - EXP_NS**2)
        return u0 * jvp(nu, u0) + 2 * EXP_W * K0 * math.sqrt(N * N - n_c * n_c) * jv(nu, u0)

    grid = np.linspace(EXP_NS + 1e-13, EXP_NS + EXP_DN - 1e-13, 4001)
    values = np.array([condition(N) for N in grid])
    roots = [
        brentq(condition, a, b, xtol=1e-16, rtol=1e-15)
        for a, b, fa, fb in zip(grid[:-1], grid[1:], values[:-1], values[1:])
        if fa * fb < 0
    ]
    return np.sort(roots)[::-1]


def graded_mesh(points, depth, ratio=20.0):
    """`points` depths on [0, depth], spacing growing geometrically by `ratio` (nonuniform)."""
    s = np.linspace(0.0, 1.0, points)
    return depth * np.expm1(math.log(ratio) * s) / (ratio - 1.0)


def erfc_profile(x, n_s=1.5137, dn=0.0095, w=20e-6):
    return n_s + dn * erfc(np.asarray(x) / w)


def observed_order(points, errors):
    """Slope of −log|error| against log(points) (least squares)."""
    return -np.polyfit(np.log(points), np.log(np.abs(errors)), 1)[0]


# --------------------------------------------------------------------------- graded profiles


def test_exponential_profile_matches_conwell_bessel_solution():
    exact = conwell_bessel_indices()
    assert exact.size == 3
    x = graded_mesh(4000, 40 * EXP_W)
    got = solve_modes(
        x, exponential_profile(x), WAVELENGTH, polarisations=("TE",)
    ).effective_indices("TE")
    assert got.size == exact.size
    assert np.abs(got - exact).max() < 1e-8  # measured 1.8e-9: the linear interpolation


def test_observed_order_against_conwell_bessel_solution_is_the_declared_order():
    """N_eff converges like h^ORDER in the profile spacing (piecewise-linear sampling)."""
    exact = conwell_bessel_indices()
    points = np.array([100, 200, 400, 800, 1600])
    errors = []
    for p in points:
        x = graded_mesh(p, 40 * EXP_W)
        got = solve_modes(
            x, exponential_profile(x), WAVELENGTH, polarisations=("TE",)
        ).effective_indices("TE")
        errors.append(np.abs(got - exact).max())
    order = observed_order(points, errors)
    assert abs(order - ORDER) < 0.1, f"observed order {order:.3f}, errors {errors}"


@pytest.mark.parametrize("pol", ["TE", "TM"])
def test_observed_order_for_an_erfc_profile_is_the_declared_order(pol):
    """Self-convergence on a uniform mesh: errors against a 16× finer profile, 4 refinements."""
    depth = 80e-6
    reference_x = np.linspace(0.0, depth, 16 * 640 + 1)
    reference = solve_modes(
        reference_x, erfc_profile(reference_x), WAVELENGTH, polarisations=(pol,)
    ).effective_indices(pol)
    points = np.array([40, 80, 160, 320, 640])
    errors = []
    for p in points:
        x = np.linspace(0.0, depth, p + 1)
        got = solve_modes(x, erfc_profile(x), WAVELENGTH, polarisations=(pol,)).effective_indices(
            pol
        )
        assert got.size == reference.size == 9
        errors.append(np.abs(got[:3] - reference[:3]).max())
    order = observed_order(points, errors)
    assert abs(order - ORDER) < 0.15, f"observed order {order:.3f}, errors {errors}"


def test_magnus_integrator_has_its_declared_order(monkeypatch):
    """On a fixed coarse piecewise-linear profile, forcing s substeps per interval converges
    like s^-MAGNUS_ORDER to the solution the default substepping gives."""
    x = np.linspace(0.0, 12 * EXP_W, 25)
    n = exponential_profile(x)
    reference = solve_modes(x, n, WAVELENGTH, polarisations=("TE",)).effective_indices("TE")
    substeps = np.array([2, 4, 8, 16])
    errors = []
    for s in substeps:
        monkeypatch.setattr(
            modes_module, "_substeps", lambda xi, n, s=s: np.full(xi.size - 1, s, dtype=np.int64)
        )
        got = solve_modes(x, n, WAVELENGTH, polarisations=("TE",)).effective_indices("TE")
        errors.append(np.abs(got - reference).max())
    order = observed_order(substeps, errors)
    assert abs(order - MAGNUS_ORDER) < 0.3, f"observed order {order:.3f}, errors {errors}"


def finite_difference_indices(profile, n_c, depth, h, pol, cover=2e-6):
    """Guided N of a cell-centred finite-difference discretisation (x = 0 on a cell face).

    TE: E'' + k0² n² E = k0² N² E; TM: (H'/n²)' + k0² H = k0² N² H/n² with 1/n² on faces as
    1/mean(n²) (the harmonic mean of 1/n²), symmetrised by diag(n/k0). Dirichlet far ends.
    """
    cells = np.arange(-int(round(cover / h)), int(round(depth / h)))
    x = (cells + 0.5) * h
    eps = np.where(x < 0, n_c**2, profile(np.maximum(x, 0.0)) ** 2)
    if pol == "TE":
        diag = (-2.0 / h**2 + K0**2 * eps) / K0**2
        off = np.full(x.size - 1, 1.0 / (h * K0) ** 2)
    else:
        face = 2.0 / (eps[1:] + eps[:-1])
        main = np.full(x.size, K0**2)
        main[1:] -= face / h**2
        main[:-1] -= face / h**2
        main[[0, -1]] -= 1.0 / (eps[[0, -1]] * h**2)
        scale = np.sqrt(eps) / K0
        diag = main * scale * scale
        off = face / h**2 * scale[1:] * scale[:-1]
    lo = max(n_c, float(profile(depth))) ** 2
    w = eigh_tridiagonal(diag, off, select="v", select_range=(lo, eps.max()), eigvals_only=True)
    return np.sort(np.sqrt(w))[::-1]


@pytest.mark.parametrize("pol", ["TE", "TM"])
def test_buried_double_well_profile_agrees_with_finite_differences(pol):
    """A non-monotone profile (surface well + buried Gaussian): every mode found and right."""

    def profile(x):
        return 1.51 + 0.01 * np.exp(-(((x - 6e-6) / 3e-6) ** 2)) + 0.006 * np.exp(-x / 1e-6)

    x = np.linspace(0.0, 30e-6, 20000)
    got = solve_modes(x, profile(x), WAVELENGTH, polarisations=(pol,)).effective_indices(pol)
    coarse = finite_difference_indices(profile, 1.0, 30e-6, 10e-9, pol)
    fine = finite_difference_indices(profile, 1.0, 30e-6, 5e-9, pol)
    assert got.size == coarse.size == fine.size == 4
    richardson = (4 * fine - coarse) / 3
    assert np.abs(got - richardson).max() < 1e-8


@pytest.mark.parametrize("seed", range(4))
def test_random_jagged_profiles_agree_with_finite_differences(seed):
    """Random multi-well broken lines (5–40 points at random depths, air/water/glass cover):
    the same modes as an independent finite-difference solve, none missed or added.
    Modes within 1e-4 of cut-off reach beyond the FD domain and are not compared."""
    rng = np.random.default_rng(seed)
    points = int(rng.integers(5, 40))
    depth = rng.uniform(5e-6, 25e-6)
    x = np.concatenate([[0.0], np.sort(rng.uniform(0.0, depth, points - 2)), [depth]])
    n = 1.5 + rng.uniform(0.0, 0.02, points)
    n[-1] = 1.5
    n_c = float(rng.choice([1.0, 1.33, 1.5]))

    def profile(z):
        return np.interp(z, x, n)

    for pol in ("TE", "TM"):
        got = solve_modes(
            x, n, WAVELENGTH, cover_index=n_c, polarisations=(pol,)
        ).effective_indices(pol)
        coarse, fine = (
            finite_difference_indices(profile, n_c, depth + 40e-6, h, pol, cover=40e-6)
            for h in (4e-9, 2e-9)
        )
        richardson = (4 * fine[: coarse.size] - coarse) / 3
        far = richardson > 1.5 + 1e-4
        assert got.size >= 1 and np.count_nonzero(got > 1.5 + 1e-4) == np.count_nonzero(far)
        # the FD converges irregularly at the profile's kinks: ~1e-6 at these spacings
        assert np.abs(got[: far.sum()] - richardson[far]).max() < 3e-6


# --------------------------------------------------------------------------- WKB

# |N_WKB − N| bound, as a fraction of the index change Δn: the WKB turning-point formula
# assumes a profile locally linear over the mode's turning region; the error is largest for
# the lowest order (measured: ≤ 0.2 % of Δn for erfc, ≤ 0.9 % for a 3-µm Gaussian).
WKB_BOUND = 0.01


@pytest.mark.parametrize("pol", ["TE", "TM"])
@pytest.mark.parametrize(
    "shape, w, dn, n_s",
    [
        ("erfc", 20e-6, 0.0095, 1.5137),
        ("erfc", 5e-6, 0.1, 2.2),
        ("gauss", 20e-6, 0.0095, 1.5137),
        ("gauss", 3e-6, 0.01, 1.51),
    ],
)
def test_wkb_agrees_with_the_exact_modes_within_the_wkb_error(shape, w, dn, n_s, pol):
    x = np.linspace(0.0, 8 * w, 4000)
    u = erfc(x / w) if shape == "erfc" else np.exp(-((x / w) ** 2))
    n = n_s + dn * u
    exact = solve_modes(x, n, WAVELENGTH, polarisations=(pol,)).effective_indices(pol)
    wkb = wkb_effective_indices(x, n, WAVELENGTH, polarisation=pol)
    assert wkb.size == exact.size
    err = np.abs(wkb - exact)
    assert err.max() < WKB_BOUND * dn
    assert err[0] == err.max()  # largest for the lowest order
    if shape == "erfc" and exact.size >= 5:
        assert err[4:].max() < 0.1 * err[0]  # and falls off with the order


def test_wkb_cover_phase_lies_below_three_quarters_and_tends_to_it_for_high_contrast():
    """φ = 1/4 + arctan(ρ√((N²−n_c²)/(n(0)²−N²)))/π: < 3/4, larger for TM (ρ > 1), and → 3/4
    as ρ√(…) → ∞ (TM with n_c → 0). For air on K+ glass, TE, φ is only 0.71–0.74."""
    x = np.linspace(0.0, 100e-6, 3000)
    n = erfc_profile(x)
    xi = K0 * x

    def phases(pol, cover):
        found = wkb_effective_indices(x, n, WAVELENGTH, polarisation=pol, cover_index=cover)
        return np.array(
            [modes_module._wkb_phase_integral(xi, n, N) / math.pi - m for m, N in enumerate(found)]
        )

    te, tm, extreme = phases("TE", 1.0), phases("TM", 1.0), phases("TM", 1e-4)
    assert np.all((te > 0.7) & (te < 0.75)) and np.all((tm > te) & (tm < 0.75))
    assert np.all(np.abs(extreme - 0.75) < 1e-4)


# --------------------------------------------------------------------------- fields


@pytest.mark.parametrize("pol", ["TE", "TM"])
def test_fields_are_normalised_have_order_nodes_and_decay_into_the_substrate(pol):
    x = graded_mesh(800, 80e-6, ratio=5.0)
    n = erfc_profile(x)
    found = solve_modes(x, n, WAVELENGTH, polarisations=(pol,), fields=True)
    assert found.count(pol) == 9
    n_s = n[-1]
    for mode in found.of(pol):
        z, f = mode.depth, mode.field
        assert z[0] == 0.0 and np.all(np.diff(z) > 0) and np.isclose(z[-1], x[-1])
        assert np.all(np.isin(x, z))  # the profile points are kept
        assert f[0] > 0
        N = mode.effective_index
        # trapezoid on the returned grid + exact tails: 1 to the trapezoid error
        tails = f[0] ** 2 / (2 * K0 * math.sqrt(N * N - 1.0)) + f[-1] ** 2 / (
            2 * K0 * math.sqrt(N * N - n_s * n_s)
        )
        assert abs(np.sum((f[1:] ** 2 + f[:-1] ** 2) / 2 * np.diff(z)) + tails - 1.0) < 1e-4
        big = np.abs(f) > 1e-6 * np.abs(f).max()
        signs = np.sign(f[big])
        assert np.count_nonzero(signs[1:] != signs[:-1]) == mode.order
        # beyond the turning point (n = N) the field decays monotonically
        turning = x[np.nonzero(n >= N)[0][-1]]
        tail = np.abs(f[z > turning + 2e-6])
        assert np.all(np.diff(tail) <= 0)
        # the last mode, near cut-off, reaches deep: it decays more slowly
        assert tail[-1] < (0.05 if mode.order == 8 else 1e-3) * np.abs(f).max()


def test_fields_are_finite_with_a_thick_evanescent_substrate():
    """A 1 m deep constant substrate stretch: no overflow, same N as without it."""
    d, n_f, n_s = 5e-6, 1.52, 1.51
    thin = solve_modes(
        [0.0, d, d * (1 + 1e-9), 2 * d], [n_f, n_f, n_s, n_s], WAVELENGTH, fields=True
    )
    thick = solve_modes(
        [0.0, d, d * (1 + 1e-9), 1.0], [n_f, n_f, n_s, n_s], WAVELENGTH, fields=True
    )
    for pol in ("TE", "TM"):
        assert np.abs(thin.effective_indices(pol) - thick.effective_indices(pol)).max() < 1e-14
    for a, b in zip(thin.modes, thick.modes):
        assert np.all(np.isfinite(b.field))
        shallow = b.depth <= d
        assert np.allclose(
            np.interp(b.depth[shallow], a.depth, a.field),
            b.field[shallow],
            atol=1e-6 * a.field.max(),
        )


def test_fields_false_leaves_depth_and_field_empty():
    x = np.linspace(0.0, 60e-6, 200)
    mode = solve_modes(x, erfc_profile(x), WAVELENGTH).modes[0]
    assert mode.depth is None and mode.field is None


# --------------------------------------------------------------------------- robustness


def test_same_modes_on_20_and_20000_point_meshes_of_a_smooth_profile():
    rng = np.random.default_rng(7)
    fine = np.linspace(0.0, 80e-6, 20000)
    coarse = np.concatenate([[0.0], np.sort(rng.uniform(0.0, 80e-6, 18)), [80e-6]])
    a = solve_modes(fine, erfc_profile(fine), WAVELENGTH)
    b = solve_modes(coarse, erfc_profile(coarse), WAVELENGTH)
    for pol in ("TE", "TM"):
        assert a.count(pol) == 9
        # a 20-point broken line is a different profile: close, not equal
        assert abs(b.count(pol) - 9) <= 1
        k = min(a.count(pol), b.count(pol))
        assert np.abs(a.effective_indices(pol)[:k] - b.effective_indices(pol)[:k]).max() < 1e-3


def test_repeated_equal_index_points_change_nothing():
    d, n_f, n_s = 5e-6, 1.52, 1.51
    plain = solve_modes([0.0, d], [n_f, n_f], WAVELENGTH, substrate_index=n_s)
    x = np.concatenate([np.linspace(0.0, d, 50), np.linspace(d * (1 + 1e-12), 4 * d, 50)])
    padded = solve_modes(x, np.where(x <= d, n_f, n_s), WAVELENGTH)
    for pol in ("TE", "TM"):
        assert np.abs(plain.effective_indices(pol) - padded.effective_indices(pol)).max() < 1e-11


def test_weakly_guided_mode_near_substrate_index_is_found():
    """Δn = 1e-5 over 3 µm: a single mode with N − n_s ~ 1e-9."""
    x = np.array([0.0, 3e-6])
    found = solve_modes(x, [1.51001, 1.51001], WAVELENGTH, cover_index=1.51, substrate_index=1.51)
    for pol in ("TE", "TM"):
        N = found.effective_indices(pol)
        assert N.size == 1 and 1.51 < N[0] < 1.51001


def test_nothing_guided_gives_an_empty_modeset():
    x = np.linspace(0.0, 20e-6, 50)
    flat = solve_modes(x, np.full(x.size, 1.5), WAVELENGTH)
    assert flat.modes == [] and flat.count("TE") == 0 and flat.effective_indices("TM").size == 0
    under = solve_modes(x, erfc_profile(x), WAVELENGTH, substrate_index=1.6)
    assert under.modes == []


def test_modeset_helpers_order_and_count():
    x = np.linspace(0.0, 80e-6, 400)
    found = solve_modes(x, erfc_profile(x), WAVELENGTH, polarisations="TM")
    assert isinstance(found, ModeSet) and found.count("TE") == 0
    N = found.effective_indices("TM")
    assert N.size == found.count("TM") == 9 and np.all(np.diff(N) < 0)
    assert [m.order for m in found.of("TM")] == list(range(9))
    assert all(isinstance(m, Mode) and m.polarisation == "TM" for m in found.modes)
    assert (
        found.wavelength == WAVELENGTH
        and found.cover_index == 1.0
        and found.substrate_index == erfc_profile(x)[-1]
    )


def test_tm_indices_lie_below_te_for_the_same_profile():
    x = np.linspace(0.0, 80e-6, 400)
    found = solve_modes(x, erfc_profile(x), WAVELENGTH)
    assert np.all(found.effective_indices("TM") < found.effective_indices("TE"))


# --------------------------------------------------------------------------- errors


GOOD_X = np.array([0.0, 1e-6, 2e-6])
GOOD_N = np.array([1.52, 1.515, 1.51])


@pytest.mark.parametrize(
    "depth, index, kwargs, message",
    [
        ([0.0, 2e-6, 1e-6], GOOD_N, {}, "strictly increasing"),
        ([0.0, 1e-6, 1e-6], GOOD_N, {}, "strictly increasing"),
        (GOOD_X, [1.52, np.nan, 1.51], {}, "non-finite"),
        (GOOD_X, [1.52, np.inf, 1.51], {}, "non-finite"),
        ([0.0, 1e-6, np.nan], GOOD_N, {}, "non-finite"),
        ([1e-7, 1e-6, 2e-6], GOOD_N, {}, "surface"),
        (GOOD_X, GOOD_N[:2], {}, "equal length"),
        ([0.0], [1.5], {}, "at least 2"),
        (GOOD_X, GOOD_N, {"wavelength": 0.0}, "wavelength"),
        (GOOD_X, GOOD_N, {"wavelength": -677e-9}, "wavelength"),
        (GOOD_X, [0.9, 0.95, 0.9], {}, "below the cover index"),
        (GOOD_X, [1.40, 1.52, 1.45], {"cover_index": 1.45}, "below the cover index at the surface"),
        (GOOD_X, GOOD_N, {"polarisations": ("TE", "TX")}, "polarisation"),
        (GOOD_X, GOOD_N, {"cover_index": -1.0}, "cover_index"),
        (GOOD_X, GOOD_N, {"substrate_index": float("nan")}, "substrate_index"),
        (GOOD_X, [1.52, 0.0, 1.51], {}, "positive"),
    ],
)
def test_bad_input_raises_a_clear_value_error(depth, index, kwargs, message):
    wavelength = kwargs.pop("wavelength", WAVELENGTH)
    with pytest.raises(ValueError, match=message):
        solve_modes(depth, index, wavelength, **kwargs)


def test_wkb_bad_input_raises_a_clear_value_error():
    with pytest.raises(ValueError, match="strictly increasing"):
        wkb_effective_indices([0.0, 2e-6, 1e-6], GOOD_N, WAVELENGTH)
    with pytest.raises(ValueError, match="polarisation"):
        wkb_effective_indices(GOOD_X, GOOD_N, WAVELENGTH, polarisation="te")
    with pytest.raises(ValueError, match="below the cover index"):
        wkb_effective_indices(GOOD_X, GOOD_N, WAVELENGTH, cover_index=1.6)


def test_solver_error_is_importable_for_callers():
    assert issubclass(SolverError, RuntimeError)


@pytest.mark.parametrize("pol", ["TE", "TM"])
def test_count_modes_is_the_count_of_solve_modes(pol):
    """count_modes (the process monitor's target metric) reads the count off the cut-off
    alone: it must equal the number of modes solve_modes finds, for profiles guiding 0 to
    many modes, random jagged ones, one weakly guided mode, and any cover."""
    rng = np.random.default_rng(11)
    x = np.linspace(0.0, 80e-6, 400)
    cases = [
        (x * s, erfc_profile(x), 1.0, None) for s in (0.02, 0.1, 0.3, 1.0, 2.0)
    ]  # the erfc layer scaled
    cases.append((np.array([0.0, 3e-6]), np.array([1.51001, 1.51001]), 1.51, 1.51))
    cases.append((np.linspace(0.0, 20e-6, 50), np.full(50, 1.5), 1.0, None))
    for _ in range(6):
        points = int(rng.integers(5, 40))
        x = np.concatenate([[0.0], np.sort(rng.uniform(0.0, 20e-6, points - 2)), [20e-6]])
        n = 1.5 + rng.uniform(0.0, 0.02, points)
        n[-1] = 1.5
        cases.append((x, n, float(rng.choice([1.0, 1.33, 1.5])), None))
    counts = []
    for x, n, n_c, n_s in cases:
        full = solve_modes(
            x, n, WAVELENGTH, cover_index=n_c, polarisations=(pol,), substrate_index=n_s
        )
        got = modes_module.count_modes(
            x, n, WAVELENGTH, cover_index=n_c, polarisation=pol, substrate_index=n_s
        )
        assert got == full.count(pol)
        counts.append(got)
    assert min(counts) == 0 and max(counts) >= 9 and 1 in counts
    with pytest.raises(ValueError, match="below the cover index"):
        modes_module.count_modes(
            [0.0, 1e-6], [1.2, 1.1], WAVELENGTH, cover_index=1.33, polarisation=pol
        )


@pytest.mark.parametrize("depth_scale", [1e150, 1e300])
def test_an_absurd_profile_is_refused_as_too_much_work_not_cast_to_negative_steps(depth_scale):
    """Depths of 1e300 m overflow the substep count: it must read as too much work (the
    readers refuse such tables first; the solver must not rely on them)."""
    x = np.array([0.0, 1.0, 2.0]) * depth_scale
    with pytest.raises(ValueError, match=r"integration steps \(more than \d+\)"):
        solve_modes(x, np.array([1.52, 1.51, 1.50]), 677e-9)
