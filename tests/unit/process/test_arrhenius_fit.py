"""Arrhenius fit: exact recovery on noise-free data, standard errors against independent
computations (numpy's weighted polyfit covariance, the analytic Jacobian), and bad input.
Coverage over many seeds is in tests/validation/test_arrhenius_coverage.py.
"""

import math

import numpy as np
import pytest

from ionex.constants import GAS_CONSTANT as R
from ionex.physics.arrhenius import ArrheniusLaw
from ionex.process.arrhenius_fit import fit_arrhenius

D0, Q = 4.8e-7, 100e3  # m²/s, J/mol: D ≈ 1e-15 … 8e-14 m²/s over 350–500 °C
T = np.linspace(623.15, 773.15, 8)
D = D0 * np.exp(-Q / (R * T))


def noisy(seed, rel=0.05):
    return D * np.exp(rel * np.random.default_rng(seed).standard_normal(T.size))


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
            ["D[4]: found 1e+300 m^2/s", "expected a value in [1e-40, 1] m^2/s"],
        ),
        (
            (np.where(np.arange(8) == 1, 1e5, T), D),
            ["temperature[1]: found 100000 K", "in [100, 3000] K"],
        ),
        ((T, D, np.zeros(8)), ["D_err[0]", "> 0"]),
        ((np.full(4, 700.0), D[:4]), ["two different temperatures"]),
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
