"""Boltzmann–Matano and Sauer–Freise analyses: constant D̃ from the erfc profile, the two
methods against each other, smoothing, noise estimate and bootstrap, the recipe table, and
bad input. Recovery of a concentration-dependent D̃(χ) from simulated profiles is in
tests/validation/test_boltzmann_matano_recovery.py.
"""

import math

import numpy as np
import pytest
from scipy.special import erfc

from ionex.physics.interdiffusion import TabulatedInterdiffusion
from ionex.process.matano import (
    MAX_PROFILE_POINTS,
    MIN_PROFILE_POINTS,
    boltzmann_matano,
    sauer_freise,
)

T_EX = 8 * 3600.0
D_CONST = 2e-15


def erfc_profile(n=200, chi_b=0.0, chi_s=1.0, depth_factor=7.0):
    """χ = χ_b + (χ_s − χ_b)·erfc(x/(2√(Dt))): the exact constant-D solution."""
    x = np.linspace(0.0, depth_factor * math.sqrt(D_CONST * T_EX), n)
    return x, chi_b + (chi_s - chi_b) * erfc(x / (2 * math.sqrt(D_CONST * T_EX)))


@pytest.mark.parametrize("analyse", [boltzmann_matano, sauer_freise])
def test_constant_d_from_the_erfc_profile(analyse):
    """Noise-free erfc at 200 points, interpolated (λ = 0): D̃ = D everywhere reliable.
    Measured 8.3e-7 (cubic-spline slope error at this sampling); bound 1e-5."""
    x, chi = erfc_profile()
    est = analyse(x, chi, T_EX, smoothing=0.0)
    ok = est.reliable
    assert est.reliable_range == pytest.approx((0.06, 0.94))
    assert np.max(np.abs(est.coefficient[ok] / D_CONST - 1)) < 1e-5
    assert np.all(est.coefficient_stderr == 0.0) and est.noise == 0.0
    assert est.method == ("boltzmann-matano" if analyse is boltzmann_matano else "sauer-freise")


def test_matano_and_sauer_freise_agree():
    """The two are one integral by parts when the Matano plane is the surface. On a monotone
    smoothed profile their sums are equal (discrete summation by parts) up to round-off; on a
    noisy one, Matano's x(χ) must fill the dips of the wiggly tail (its decreasing envelope),
    which adds area: Matano ≥ Sauer–Freise, by less than the standard error (measured 0.8 %
    at the lowest χ, 0.05 % at the top)."""
    x, chi = erfc_profile()
    a = boltzmann_matano(x, chi, T_EX, smoothing=0.0)
    b = sauer_freise(x, chi, T_EX, smoothing=0.0)
    np.testing.assert_allclose(a.coefficient, b.coefficient, rtol=1e-12)
    chi = chi + 0.003 * np.random.default_rng(2).standard_normal(chi.size)
    a = boltzmann_matano(x, chi, T_EX, n_bootstrap=30)
    b = sauer_freise(x, chi, T_EX, n_bootstrap=30)
    assert a.smoothing == b.smoothing
    ok = a.reliable & b.reliable
    assert np.all(a.coefficient[ok] >= b.coefficient[ok])
    assert np.all(a.coefficient[ok] - b.coefficient[ok] < b.coefficient_stderr[ok])


def test_initial_fraction_and_partial_surface_fraction():
    x, chi = erfc_profile(chi_b=0.1, chi_s=0.6)
    est = sauer_freise(x, chi, T_EX, initial_fraction=0.1, smoothing=0.0)
    assert est.top_fraction == pytest.approx(0.6, abs=1e-12)
    assert est.fraction[0] == pytest.approx(0.1 + 0.02 * 0.5)
    assert np.max(np.abs(est.coefficient[est.reliable] / D_CONST - 1)) < 1e-5  # measured 8.3e-7


def test_noisy_profile_smoothing_noise_estimate_and_seeded_bootstrap():
    """GCV finds a smoothing; the noise estimate is the noise put in (σ = 0.005 ± its
    sampling error, ~1/√(2·dof) ≈ 6 % at 200 points; measured +1 %; bound 25 %); the
    bootstrap is reproducible with its seed and the reliable D̃ lies within 10 % (measured 4.1 %)."""
    x, chi = erfc_profile()
    chi = chi + 0.005 * np.random.default_rng(4).standard_normal(chi.size)
    a = sauer_freise(x, chi, T_EX, seed=1)
    b = sauer_freise(x, chi, T_EX, seed=1)
    assert a.smoothing > 0
    assert a.noise == pytest.approx(0.005, rel=0.25)
    np.testing.assert_array_equal(a.coefficient_stderr, b.coefficient_stderr)
    ok = a.reliable
    assert np.count_nonzero(ok) > 30
    assert np.all(a.coefficient_stderr[ok] / a.coefficient[ok] <= 0.1)
    assert np.max(np.abs(a.coefficient[ok] / D_CONST - 1)) < 0.1
    q = a.fraction
    assert not np.any(ok & ((q < 0.05) | (q > 0.95)))  # the ill-conditioned ends are cut


def test_reinsch_smoother_is_scipys_smoothing_spline():
    """The GCV, the noise estimate and the bootstrap use the Reinsch form; the profile itself
    scipy's make_smoothing_spline: same λ, same fit, and tr S / S_ii equal to the dense hat
    matrix (columns = the spline through unit vectors). Round-off-level agreement."""
    from scipy.interpolate import make_smoothing_spline

    from ionex.process.matano import _Smoother

    rng = np.random.default_rng(0)
    z = np.sort(rng.random(60))
    z = (z - z[0]) / (z[-1] - z[0])
    y = np.exp(-4 * z) + 0.01 * rng.standard_normal(z.size)
    sm = _Smoother(z)
    for lam in (1e-9, 1e-5, 1e-2):
        np.testing.assert_allclose(
            sm.fitted(y, lam), make_smoothing_spline(z, y, lam=lam)(z), atol=1e-10
        )
        hat = make_smoothing_spline(z, np.eye(z.size), lam=lam)(z)
        assert sm.trace(lam) == pytest.approx(np.trace(hat), rel=1e-9)
        np.testing.assert_allclose(sm.leverages(lam), np.diag(hat), atol=1e-9)


def test_long_profiles_are_averaged_in_groups():
    """1200 points > MAX_PROFILE_POINTS: pairs are averaged, so the noise left is σ/√2
    (measured 0.99 of it; bound 20 %) and D̃ is still recovered (measured 2.9 %; bound 10 %)."""
    x, chi = erfc_profile(n=1200)
    chi = chi + 0.01 * np.random.default_rng(8).standard_normal(chi.size)
    est = sauer_freise(x, chi, T_EX, n_bootstrap=20)
    assert MAX_PROFILE_POINTS < 1200 <= 2 * MAX_PROFILE_POINTS
    assert est.noise == pytest.approx(0.01 / math.sqrt(2), rel=0.2)
    assert np.max(np.abs(est.coefficient[est.reliable] / D_CONST - 1)) < 0.1


def test_estimate_as_recipe_table():
    x, chi = erfc_profile()
    est = boltzmann_matano(x, chi, T_EX, smoothing=0.0)
    table = est.table()
    assert isinstance(table, TabulatedInterdiffusion)
    fr, co, extrapolated = est.table_points()
    # the reliable 0.06 … 0.94 and the two ends, extrapolated (a constant D stays constant)
    assert (
        fr[0] == 0.0
        and fr[-1] == pytest.approx(1.0)
        and extrapolated.tolist() == [True] + [False] * 45 + [True]
    )
    np.testing.assert_allclose(table(np.array([0.0, 0.5, 1.0]), 700.0), D_CONST, rtol=1e-3)


@pytest.mark.parametrize(
    "edit, words",
    [
        (lambda x, c: (x[:9], c[:9]), ["found 9 profile point", f"at least {MIN_PROFILE_POINTS}"]),
        (
            lambda x, c: (x, np.where(np.arange(c.size) == 5, np.nan, c)),
            ["fraction[5]", "not a finite"],
        ),
        (lambda x, c: (x[::-1], c), ["depth[1]", "expected depths increasing from the surface"]),
        (lambda x, c: (x - x[3], c), ["depth[0]", "≥ 0"]),
        (lambda x, c: (x, np.zeros(c.size)), ["every fraction is 0.0", "changes with depth"]),
        (lambda x, c: (x, c[::-1]), ["not clearly above the initial fraction"]),
        (lambda x, c: (x[: c.size // 4], c[: c.size // 4]), ["does not reach the bulk"]),
        (
            lambda x, c: (np.concatenate([x[:2], x[-20:]]), np.concatenate([c[:2], c[-20:]])),
            ["between 10 % and 90 %"],
        ),
    ],
)
def test_matano_bad_input(edit, words):
    x, chi = erfc_profile()
    x, chi = edit(x, chi)
    with pytest.raises(ValueError) as info:
        boltzmann_matano(x, chi, T_EX)
    for w in words:
        assert w in str(info.value), str(info.value)


def test_matano_bad_time_and_options():
    x, chi = erfc_profile()
    with pytest.raises(ValueError, match="exchange duration > 0"):
        sauer_freise(x, chi, 0.0)
    with pytest.raises(ValueError, match="smoothing"):
        sauer_freise(x, chi, T_EX, smoothing=-1.0)
