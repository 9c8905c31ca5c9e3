"""Arrhenius fit of measured diffusion coefficients (SI floats only).

:func:`fit_arrhenius` — D0 and Q of D(T) = D0·exp(−Q/RT), linearised or weighted nonlinear.

Uncertainties are one standard error from the covariance of the fit. When measurement
errors are given they are taken as absolute (the covariance is *not* rescaled, so the
reduced χ² tests the error model); without them the covariance is scaled by the reduced χ²
(the scatter of the data estimates the error). Errors raise ValueError with a message for
the user; ionex.io adds the file name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..constants import GAS_CONSTANT
from ..physics.arrhenius import DIFFUSION_RANGE, TEMPERATURE_RANGE, ArrheniusLaw, arrhenius
from ..validators import positive, same_length, vector, within

__all__ = ["ArrheniusFit", "arrhenius_data", "fit_arrhenius"]


@dataclass(frozen=True)
class ArrheniusFit:
    """Result of :func:`fit_arrhenius`: D(T) = D0·exp(−Q/(R T)).

    The fit is parametrised by ln D at the reference temperature T_ref (the weighted mean
    of 1/T), where it is uncorrelated with Q; D0 = D(T_ref)·exp(Q/(R T_ref)) follows by error
    propagation and is strongly correlated with Q (the compensation effect): quote D(T_ref)
    and Q, or D0 with Q *and* their correlation.

    Attributes:
        prefactor: D0 (m²/s).  prefactor_stderr: its standard error, D0·σ(ln D0) (m²/s) —
            a first-order figure; when ln_prefactor_stderr is not ≪ 1, use that instead.
        ln_prefactor_stderr: standard error of ln D0 (dimensionless).
        activation_energy: Q (J/mol).  activation_energy_stderr: its standard error (J/mol).
        correlation: correlation coefficient of ln D0 and Q (dimensionless, in [−1, 1]).
        reference_temperature: T_ref (K).  reference_coefficient: D(T_ref) (m²/s).
        reference_ln_stderr: standard error of ln D(T_ref) (dimensionless).
        reduced_chi2: χ²/(n − 2) of the weighted residuals.
        n_points: number of data points.  method: "linear" or "weighted".
        absolute_errors: True when D_err was given and the covariance is not rescaled.
    """

    prefactor: float
    activation_energy: float
    prefactor_stderr: float
    ln_prefactor_stderr: float
    activation_energy_stderr: float
    correlation: float
    reference_temperature: float
    reference_coefficient: float
    reference_ln_stderr: float
    reduced_chi2: float
    n_points: int
    method: str
    absolute_errors: bool

    @property
    def law(self) -> ArrheniusLaw:
        """The fitted law as an ionex.physics ArrheniusLaw (needs Q ≥ 0)."""
        return ArrheniusLaw(self.prefactor, self.activation_energy)

    def __call__(self, temperature):
        """D (m²/s) of the fitted law at T (K); T may be an array."""
        return arrhenius(temperature, self.prefactor, self.activation_energy)


ARRHENIUS_METHODS = ("weighted", "linear")


def arrhenius_data(temperature, coefficient, coefficient_err=None) -> tuple:
    """The points of an Arrhenius fit as arrays, checked: (T (K), D (m²/s), σ_D or None).

    Args:
        temperature: T_i (K), within TEMPERATURE_RANGE, at least two distinct values.
        coefficient: D_i (m²/s), within DIFFUSION_RANGE.
        coefficient_err: σ_i (m²/s, > 0), or None.
    Raises:
        ValueError: fewer than 3 points (2 parameters and at least one degree of freedom
            for an uncertainty) or one temperature only; ionex.validators.FieldError naming
            the array ("temperature", "D", "D_err") and the index of a bad value.
    """
    t = vector(temperature, "temperature")
    d = vector(coefficient, "D")
    s = None if coefficient_err is None else vector(coefficient_err, "D_err")
    same_length(t.size, D=d, D_err=s)
    positive(t, "temperature", "K")
    within(t, TEMPERATURE_RANGE, "temperature", "K")
    positive(d, "D", "m^2/s")
    within(d, DIFFUSION_RANGE, "D", "m^2/s")
    if s is not None:
        positive(s, "D_err", "m^2/s")
    if t.size < 3:
        raise ValueError(
            f"found {t.size} data point(s); an Arrhenius fit with uncertainties needs at least 3 "
            "(two parameters, D0 and Q, and one degree of freedom)"
        )
    if np.ptp(t) <= 1e-9 * np.max(t):
        raise ValueError(
            f"every point is at {t[0]:.6g} K; Q needs at least two different temperatures"
        )
    return t, d, s


def fit_arrhenius(
    temperature, coefficient, coefficient_err=None, *, method: str = "weighted"
) -> ArrheniusFit:
    """Fit D(T) = D0·exp(−Q/(R T)) to measured diffusion coefficients.

    Both methods fit y(T) = ln D_ref − (Q/R)(1/T − 1/T_ref), with 1/T_ref the mean of 1/T
    weighted by w_i = (D_i/σ_i)² (so that ln D_ref and Q are uncorrelated), then propagate
    to ln D0 = ln D_ref + Q/(R T_ref).

    - ``"linear"``: weighted linear least squares of ln D against 1/T with σ(ln D_i) = σ_i/D_i
      (first order), closed form: var(ln D_ref) = 1/Σw, var(Q/R) = 1/Σw(x − x̄)².
    - ``"weighted"``: nonlinear least squares on D itself (lmfit, Levenberg–Marquardt),
      residuals (D_i − D(T_i))/σ_i, started from the linear solution. Without σ_i the
      residuals are relative, (D_i − D(T_i))/D_i: a constant *relative* error is what
      diffusion data spanning decades have; equal absolute weights would let the hottest
      point decide the fit.

    With σ_i given the covariance is absolute; without it, it is scaled by the reduced χ²
    (then the standard errors follow Student's t with n − 2 degrees of freedom).

    Args:
        temperature: T_i (K, > 0), at least two distinct values.
        coefficient: D_i (m²/s, > 0).
        coefficient_err: σ_i, one standard error of D_i (m²/s, > 0), or None.
        method: "weighted" (default) or "linear".
    Raises:
        ValueError: fewer than 3 points (2 parameters and at least one degree of freedom
            for an uncertainty), non-finite values, T ≤ 0, D ≤ 0, σ ≤ 0, one temperature only.

    Noise-free data from D0 = 1e-6 m²/s and Q = 110 kJ/mol give the law back:

    >>> import numpy as np
    >>> from ionex.constants import GAS_CONSTANT
    >>> from ionex.process.arrhenius_fit import fit_arrhenius
    >>> T = np.linspace(600.0, 800.0, 6)  # K
    >>> D = 1e-6 * np.exp(-110e3 / (GAS_CONSTANT * T))  # m²/s
    >>> fit = fit_arrhenius(T, D)
    >>> round(fit.activation_energy / 1e3, 1), round(fit.prefactor * 1e6, 3)
    (110.0, 1.0)
    >>> fit.method, fit.n_points
    ('weighted', 6)
    """
    if method not in ARRHENIUS_METHODS:
        raise ValueError(f"method {method!r}; expected one of {', '.join(ARRHENIUS_METHODS)}")
    t, d, s = arrhenius_data(temperature, coefficient, coefficient_err)
    x = 1.0 / t

    rel = s / d if s is not None else np.ones_like(d)  # σ(ln D) to first order
    w = 1.0 / rel**2
    x_ref = float(np.sum(w * x) / np.sum(w))
    t_ref = 1.0 / x_ref
    if method == "linear":
        ln_ref, slope, var_ln_ref, var_slope, cov, chi2 = _weighted_line(x - x_ref, np.log(d), w)
    else:
        ln_ref, slope, var_ln_ref, var_slope, cov, chi2 = _arrhenius_nonlinear(t, d, s, x_ref)
    dof = t.size - 2
    red = chi2 / dof
    if s is None:  # the scatter estimates the error
        var_ln_ref, var_slope, cov = var_ln_ref * red, var_slope * red, cov * red
    q = -GAS_CONSTANT * slope
    # ln D0 = ln D_ref − slope·x_ref; Q = −R·slope
    var_ln0 = var_ln_ref + x_ref**2 * var_slope - 2.0 * x_ref * cov
    cov_ln0_q = -GAS_CONSTANT * (cov - x_ref * var_slope)
    sd_ln0 = math.sqrt(max(var_ln0, 0.0))
    sd_q = GAS_CONSTANT * math.sqrt(max(var_slope, 0.0))
    ln0 = ln_ref - slope * x_ref
    d0 = math.exp(ln0)
    return ArrheniusFit(
        prefactor=d0,
        activation_energy=float(q),
        prefactor_stderr=d0 * sd_ln0,
        ln_prefactor_stderr=sd_ln0,
        activation_energy_stderr=sd_q,
        correlation=float(cov_ln0_q / (sd_ln0 * sd_q)) if sd_ln0 > 0 and sd_q > 0 else math.nan,
        reference_temperature=t_ref,
        reference_coefficient=math.exp(ln_ref),
        reference_ln_stderr=math.sqrt(max(var_ln_ref, 0.0)),
        reduced_chi2=float(red),
        n_points=int(t.size),
        method=method,
        absolute_errors=s is not None,
    )


def _weighted_line(x, y, w):
    """Weighted least squares y = a + b·x (x already centred on its weighted mean):
    returns a, b, var a, var b, cov(a, b) (unscaled, i.e. for weights 1/σ²) and χ²."""
    sw = np.sum(w)
    a = float(np.sum(w * y) / sw)
    sxx = float(np.sum(w * x * x))
    b = float(np.sum(w * x * (y - a)) / sxx)
    chi2 = float(np.sum(w * (y - a - b * x) ** 2))
    cov = -float(np.sum(w * x)) / (sw * sxx)  # zero up to round-off: x is centred
    return a, b, 1.0 / sw, 1.0 / sxx, cov, chi2


def _arrhenius_nonlinear(t, d, s, x_ref):
    """Levenberg–Marquardt fit of D(T) on D; returns the same tuple as _weighted_line
    with the unscaled covariance (for σ given) of (ln D_ref, slope = −Q/R)."""
    import lmfit

    sigma = s if s is not None else d
    w = (d / sigma) ** 2
    a0, b0, *_ = _weighted_line(1.0 / t - x_ref, np.log(d), w)

    def residual(params):
        ln_ref = params["ln_reference"].value
        slope = params["slope"].value
        # D = D0·exp(−Q/RT) with D0 = D_ref·exp(−slope·x_ref), Q = −R·slope
        model = arrhenius(t, math.exp(ln_ref - slope * x_ref), -GAS_CONSTANT * slope)
        return (d - model) / sigma

    def jacobian(params):
        # analytic ∂residual/∂(ln D_ref, slope): the covariance is then exact, where MINPACK's
        # forward differences leave errors of ~1e-4 in var(ln D_ref)
        ln_ref = params["ln_reference"].value
        slope = params["slope"].value
        model = arrhenius(t, math.exp(ln_ref - slope * x_ref), -GAS_CONSTANT * slope)
        return -np.column_stack([model, model * (1.0 / t - x_ref)]) / sigma[:, None]

    params = lmfit.Parameters()
    params.add("ln_reference", value=a0)
    params.add("slope", value=b0)  # −Q/R in K: O(1e4), MINPACK rescales the columns
    result = lmfit.minimize(residual, params, method="leastsq", scale_covar=False, Dfun=jacobian)
    if not result.success or result.covar is None:
        raise ValueError(
            f"the nonlinear Arrhenius fit did not converge ({result.message}); try method='linear'"
        )
    a = result.params["ln_reference"].value
    b = result.params["slope"].value
    c = result.covar
    return a, b, float(c[0, 0]), float(c[1, 1]), float(c[0, 1]), float(result.chisqr)
