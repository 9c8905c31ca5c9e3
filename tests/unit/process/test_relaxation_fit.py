"""Kohlrausch (KWW) relaxation fit: exact recovery on noise-free data, standard errors
against the analytic Jacobian, fixed and bounded parameters, and bad input."""

import math

import numpy as np
import pytest

from ionex.process.relaxation_fit import fit_stretched_exponential

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
