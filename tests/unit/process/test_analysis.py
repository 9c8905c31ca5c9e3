"""Closed-form analyses: Arrhenius and Kohlrausch fits, Boltzmann–Matano / Sauer–Freise.

Exact recovery on noise-free data, standard errors against independent computations
(numpy's weighted polyfit covariance, the analytic Jacobian), and bad input. Coverage over
many seeds is in tests/validation/test_arrhenius_coverage.py; recovery of a concentration-
dependent D̃(χ) from simulated profiles in tests/validation/test_boltzmann_matano_recovery.py.
"""

import math

import numpy as np
import pytest
from scipy.special import erfc

from ionex.constants import GAS_CONSTANT as R
from ionex.physics.arrhenius import ArrheniusLaw
from ionex.physics.interdiffusion import TabulatedInterdiffusion
from ionex.process.analysis import (
    MAX_PROFILE_POINTS,
    MIN_PROFILE_POINTS,
    boltzmann_matano,
    fit_arrhenius,
    fit_stretched_exponential,
    sauer_freise,
)

D0, Q = 4.8e-7, 100e3  # m²/s, J/mol: D ≈ 1e-15 … 8e-14 m²/s over 350–500 °C
T = np.linspace(623.15, 773.15, 8)
D = D0 * np.exp(-Q / (R * T))


def noisy(seed, rel=0.05):
    return D * np.exp(rel * np.random.default_rng(seed).standard_normal(T.size))


# --------------------------------------------------------------------------- Arrhenius


@pytest.mark.parametrize("method", ["linear", "weighted"])
@pytest.mark.parametrize("with_errors", [True, False])
def test_arrhenius_exact_recovery_on_noise_free_data(method, with_errors):
    fit = fit_arrhenius(T, D, 0.05 * D if with_errors else None, method=method)
    # noise-free: both fits are exact up to round-off and the solver's tolerance (1.5e-8)
    assert fit.prefactor == pytest.approx(D0, rel=1e-8)
    assert fit.activation_energy == pytest.approx(Q, rel=1e-9)
    assert fit.reduced_chi2 < 1e-12
    assert fit.n_points == 8 and fit.method == method and fit.absolute_errors is with_errors
    assert isinstance(fit.law, ArrheniusLaw) and fit.law.activation_energy == fit.activation_energy
    np.testing.assert_allclose(fit(T), D, rtol=1e-8)


def test_linear_and_weighted_agree_on_noise_free_data():
    """At an exact fit the Jacobian of the fit on D, divided by σ_D, is the Jacobian of the
    fit on ln D divided by σ_D/D: the two covariances coincide (the nonlinear fit uses the
    analytic Jacobian; measured agreement 1e-14)."""
    lin = fit_arrhenius(T, D, 0.05 * D, method="linear")
    wgt = fit_arrhenius(T, D, 0.05 * D, method="weighted")
    for name in (
        "prefactor",
        "activation_energy",
        "reference_coefficient",
        "activation_energy_stderr",
        "ln_prefactor_stderr",
        "correlation",
        "reference_ln_stderr",
    ):
        assert getattr(wgt, name) == pytest.approx(getattr(lin, name), rel=1e-8), name


def test_linear_standard_errors_match_numpy_weighted_polyfit():
    """Independent computation: numpy.polyfit(1/T, ln D, 1, w = D/σ, cov='unscaled')."""
    d = noisy(3)
    err = 0.05 * d
    fit = fit_arrhenius(T, d, err, method="linear")
    (slope, icpt), cov = np.polyfit(1 / T, np.log(d), 1, w=d / err, cov="unscaled")
    assert fit.activation_energy == pytest.approx(-R * slope, rel=1e-10)
    assert fit.prefactor == pytest.approx(math.exp(icpt), rel=1e-10)
    assert fit.activation_energy_stderr == pytest.approx(R * math.sqrt(cov[0, 0]), rel=1e-8)
    assert fit.ln_prefactor_stderr == pytest.approx(math.sqrt(cov[1, 1]), rel=1e-8)
    # ln D0 = intercept, Q = −R·slope ⇒ corr(ln D0, Q) = −corr(intercept, slope)
    assert fit.correlation == pytest.approx(-cov[0, 1] / math.sqrt(cov[0, 0] * cov[1, 1]), rel=1e-8)
    assert fit.correlation > 0.99  # the compensation effect
    # the decorrelated pair: D at T_ref has the error of the mean of ln D, 1/√Σw
    assert fit.reference_ln_stderr == pytest.approx(
        1 / math.sqrt(np.sum((d / err) ** 2)), rel=1e-10
    )


def test_weighted_standard_errors_match_the_analytic_jacobian():
    """Independent computation: cov = (JᵀJ)⁻¹ with J_i = ∂D(T_i)/∂(ln D0, Q) / σ_i at the fit."""
    rng = np.random.default_rng(7)
    sigma = 0.05 * D
    d = D + sigma * rng.standard_normal(T.size)
    fit = fit_arrhenius(T, d, sigma, method="weighted")
    model = fit(T)
    jac = np.column_stack([model, -model / (R * T)]) / sigma[:, None]
    cov = np.linalg.inv(jac.T @ jac)
    # the fit's covariance is taken at its last Jacobian, within the solver's tolerance
    # (1.5e-8 relative in the parameters) of the final point: measured 2e-8; bound 1e-6
    assert fit.ln_prefactor_stderr == pytest.approx(math.sqrt(cov[0, 0]), rel=1e-6)
    assert fit.activation_energy_stderr == pytest.approx(math.sqrt(cov[1, 1]), rel=1e-6)
    assert fit.correlation == pytest.approx(cov[0, 1] / math.sqrt(cov[0, 0] * cov[1, 1]), rel=1e-6)
    assert fit.prefactor_stderr == pytest.approx(fit.prefactor * fit.ln_prefactor_stderr)
    chi2 = np.sum(((d - model) / sigma) ** 2)
    assert fit.reduced_chi2 == pytest.approx(chi2 / (T.size - 2), rel=1e-8)


@pytest.mark.parametrize("method", ["linear", "weighted"])
def test_without_errors_the_covariance_is_scaled_by_reduced_chi2(method):
    """Constant relative errors r give the same estimates as no errors (relative weights);
    the unscaled errors times √χ²_red are the errors of the fit without D_err."""
    d = noisy(11)
    with_err = fit_arrhenius(T, d, 0.05 * d, method=method)
    without = fit_arrhenius(T, d, None, method=method)
    assert without.activation_energy == pytest.approx(with_err.activation_energy, rel=1e-8)
    scale = math.sqrt(with_err.reduced_chi2)
    assert without.activation_energy_stderr == pytest.approx(
        with_err.activation_energy_stderr * scale, rel=1e-6
    )
    assert without.ln_prefactor_stderr == pytest.approx(
        with_err.ln_prefactor_stderr * scale, rel=1e-6
    )


@pytest.mark.parametrize(
    "args, words",
    [
        ((T[:2], D[:2]), ["found 2 data point", "at least 3"]),
        ((T, np.where(np.arange(8) == 3, np.nan, D)), ["D[3]", "not a finite number"]),
        ((np.where(np.arange(8) == 0, -5.0, T), D), ["temperature[0]", "> 0"]),
        ((T, np.where(np.arange(8) == 2, 0.0, D)), ["D[2]", "> 0"]),
        (
            (T, np.where(np.arange(8) == 4, 1e300, D)),
            ["D[4] = 1e+300 m^2/s", "expected a value in [1e-40, 1] m^2/s"],
        ),
        (
            (np.where(np.arange(8) == 1, 1e5, T), D),
            ["temperature[1] = 100000.0 K", "in [100, 3000] K"],
        ),
        ((T, D, np.zeros(8)), ["D_err[0]", "> 0"]),
        ((np.full(4, 700.0), D[:4]), ["one temperature"]),
        ((T, D[:5]), ["D has 5 values", "expected 8"]),
    ],
)
def test_arrhenius_bad_input(args, words):
    with pytest.raises(ValueError) as info:
        fit_arrhenius(*args)
    for w in words:
        assert w in str(info.value), str(info.value)
    with pytest.raises(ValueError, match="expected one of weighted, linear"):
        fit_arrhenius(T, D, method="ols")


# --------------------------------------------------------------------------- Kohlrausch

TAU, BETA, S0 = 2000 * 3600.0, 0.6, -600e6  # s, -, Pa
TIMES = np.concatenate([[0.0], np.geomspace(0.05 * TAU, 5 * TAU, 11)])
SIGMA = S0 * np.exp(-((TIMES / TAU) ** BETA))


def test_kww_exact_recovery_and_physics_form():
    fit = fit_stretched_exponential(TIMES, SIGMA)
    assert fit.initial_stress == pytest.approx(S0, rel=1e-8)
    assert fit.tau == pytest.approx(TAU, rel=1e-8)
    assert fit.beta == pytest.approx(BETA, rel=1e-8)
    assert fit.relaxed_stress == 0.0 and fit.relaxed_stress_stderr == 0.0
    assert fit.free == ("initial_stress", "tau", "beta")
    assert set(fit.correlation) == {"initial_stress,tau", "initial_stress,beta", "tau,beta"}
    np.testing.assert_allclose(fit(TIMES), SIGMA, rtol=1e-8)


def test_kww_standard_errors_match_the_analytic_jacobian():
    """cov = (JᵀJ)⁻¹, J = ∂σ(t_i)/∂(σ_0, τ, β) / s_i, at the fit (independent of lmfit)."""
    s = np.full(TIMES.size, 5e6)
    y = SIGMA + s * np.random.default_rng(5).standard_normal(TIMES.size)
    fit = fit_stretched_exponential(TIMES, y, s)
    t, tau, beta, s0 = TIMES, fit.tau, fit.beta, fit.initial_stress
    u = (t / tau) ** beta
    k = np.exp(-u)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.where(t > 0, np.log(t / tau), 0.0)
    jac = np.column_stack([k, s0 * k * u * beta / tau, -s0 * k * u * log_ratio]) / s[:, None]
    cov = np.linalg.inv(jac.T @ jac)
    err = np.sqrt(np.diag(cov))
    assert fit.initial_stress_stderr == pytest.approx(err[0], rel=1e-3)
    assert fit.tau_stderr == pytest.approx(err[1], rel=1e-3)
    assert fit.beta_stderr == pytest.approx(err[2], rel=1e-3)
    assert fit.correlation["tau,beta"] == pytest.approx(cov[1, 2] / (err[1] * err[2]), abs=1e-3)


def test_kww_fixed_beta_and_fitted_relaxed_stress():
    fixed = fit_stretched_exponential(TIMES, SIGMA, beta=0.6)
    assert (
        fixed.free == ("initial_stress", "tau") and fixed.beta_stderr == 0.0 and fixed.beta == 0.6
    )
    assert fixed.tau == pytest.approx(TAU, rel=1e-8)
    plateau = -80e6 + (S0 + 80e6) * np.exp(-((TIMES / TAU) ** BETA))
    fit = fit_stretched_exponential(TIMES, plateau, fit_relaxed_stress=True)
    assert fit.relaxed_stress == pytest.approx(-80e6, rel=1e-6)
    assert fit.tau == pytest.approx(TAU, rel=1e-6)


@pytest.mark.parametrize(
    "args, kw, words",
    [
        ((TIMES[:3], SIGMA[:3]), {}, ["found 3 data point", "at least 4"]),
        (
            (TIMES, np.where(np.arange(12) == 4, np.nan, SIGMA)),
            {},
            ["surface_stress[4]", "not a finite"],
        ),
        ((TIMES - 1.0, SIGMA), {}, ["time[0]", "≥ 0"]),
        ((TIMES, SIGMA), {"beta": 1.5}, ["beta", "(0, 1]"]),
        ((TIMES, SIGMA, np.zeros(12)), {}, ["stress_err[0]", "> 0"]),
        ((np.zeros(6), SIGMA[:6]), {}, ["two different values"]),
    ],
)
def test_kww_bad_input(args, kw, words):
    with pytest.raises(ValueError) as info:
        fit_stretched_exponential(*args, **kw)
    for w in words:
        assert w in str(info.value), str(info.value)


def test_kww_beta_on_its_bound_is_flagged():
    """A pure exponential (β = 1) with noise ends on the bound β ≤ 1 for some seeds; its
    standard error is then undefined, said by at_bound and NaN — not a 1e-13 stderr."""
    y = S0 * np.exp(-TIMES / TAU) + 5e6 * np.random.default_rng(2).standard_normal(TIMES.size)
    fit = fit_stretched_exponential(TIMES, y, np.full(TIMES.size, 5e6))
    assert fit.beta == pytest.approx(1.0) and fit.at_bound == ("beta",)
    assert math.isnan(fit.beta_stderr) and math.isnan(fit.correlation["tau,beta"])
    assert fit.tau_stderr > 0 and abs(fit.tau / TAU - 1) < 3 * fit.tau_stderr / TAU


def test_kww_without_relaxation_says_so():
    """Data that do not relax in the window cannot determine τ and β."""
    flat = np.full(TIMES.size, -600e6)
    with pytest.raises(ValueError, match="could not determine"):
        fit_stretched_exponential(TIMES, flat)


# --------------------------------------------------------------------------- Boltzmann–Matano

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

    from ionex.process.analysis import _Smoother

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
        (lambda x, c: (x[::-1], c), ["depth[1]", "does not increase"]),
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
