"""Kohlrausch (KWW, stretched-exponential) fit of the relaxing surface stress (SI floats only).

:func:`fit_stretched_exponential` — σ_0, τ, β of the Kohlrausch relaxation of the surface
stress σ(0, t) (docs/physics.md §3.2, eq. 10).

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

from ..physics.stress import kohlrausch_factor
from ..validators import positive, same_length, vector

__all__ = ["RelaxationFit", "fit_stretched_exponential"]


@dataclass(frozen=True)
class RelaxationFit:
    """Result of :func:`fit_stretched_exponential`:
    σ(0, t) = σ_∞ + (σ_0 − σ_∞)·exp(−(t/τ)^β).

    Attributes:
        initial_stress: σ_0 = σ(0, 0) (Pa).  tau: τ (s).  beta: β (dimensionless).
        relaxed_stress: σ_∞ (Pa; 0 in ionex's relaxation model unless fitted or given).
        initial_stress_stderr, tau_stderr, beta_stderr, relaxed_stress_stderr: standard
            errors (same units); 0 for a parameter held fixed.
        correlation: {"a,b": corr} for every pair of free parameters (names as above).
        reduced_chi2: χ²/(n − n_free).  n_points: data points.  free: names of the free parameters.
        absolute_errors: True when sigma_err was given and the covariance is not rescaled.
        at_bound: free parameters that ended on a bound (β = 1): their standard error and
            correlations are NaN (a bound is not a Gaussian estimate; refit with beta=1 fixed).
    """

    initial_stress: float
    tau: float
    beta: float
    relaxed_stress: float
    initial_stress_stderr: float
    tau_stderr: float
    beta_stderr: float
    relaxed_stress_stderr: float
    correlation: dict
    reduced_chi2: float
    n_points: int
    free: tuple
    absolute_errors: bool
    at_bound: tuple = ()

    def __call__(self, time):
        """σ(0, t) (Pa) of the fitted law at t ≥ 0 (s)."""
        return self.relaxed_stress + (
            self.initial_stress - self.relaxed_stress
        ) * kohlrausch_factor(time, self.tau, self.beta)


def fit_stretched_exponential(
    time,
    surface_stress,
    stress_err=None,
    *,
    beta: float | None = None,
    relaxed_stress: float = 0.0,
    fit_relaxed_stress: bool = False,
) -> RelaxationFit:
    """Fit the Kohlrausch (KWW) relaxation of the surface stress,
    σ(0, t) = σ_∞ + (σ_0 − σ_∞)·exp(−(t/τ)^β) (docs/physics.md §3.2 eq. 10 has σ_∞ = 0).

    Free by default: σ_0, τ and β; ``beta`` fixes β (Rogoziński (2019) uses 3/5), and σ_∞ stays at
    ``relaxed_stress`` unless ``fit_relaxed_stress``. τ is fitted as ln τ (it spans decades;
    its standard error is τ·σ(ln τ)), β is bounded to (0, 1]. Levenberg–Marquardt (lmfit).

    Args:
        time: t_i ≥ 0 (s) — time at temperature (docs/physics.md §3.2).
        surface_stress: σ(0, t_i) (Pa; compressive stress is negative, either sign works).
        stress_err: one standard error of each σ_i (Pa, > 0), or None.
        beta: a fixed β in (0, 1], or None to fit it.
        relaxed_stress: σ_∞ (Pa), the start value when fitted.
        fit_relaxed_stress: fit σ_∞ as well.
    Raises:
        ValueError: fewer than n_free + 1 points, non-finite values, t < 0, σ_err ≤ 0, or
            data that do not determine the parameters (e.g. no relaxation in the window).

    Noise-free σ(0, t) with σ_0 = −600 MPa, τ = 2000 h and β = 0.6 give them back:

    >>> import numpy as np
    >>> from ionex.process.relaxation_fit import fit_stretched_exponential
    >>> t = np.geomspace(360.0, 3.6e7, 12)  # s
    >>> stress = -600e6 * np.exp(-((t / 7.2e6) ** 0.6))  # Pa
    >>> fit = fit_stretched_exponential(t, stress)
    >>> round(fit.initial_stress / 1e6, 1), round(fit.tau / 3600, 1), round(fit.beta, 3)
    (-600.0, 2000.0, 0.6)
    >>> fit.free
    ('initial_stress', 'tau', 'beta')
    """
    import lmfit

    t = vector(time, "time")
    y = vector(surface_stress, "surface_stress")
    s = None if stress_err is None else vector(stress_err, "stress_err")
    same_length(t.size, surface_stress=y, stress_err=s)
    if s is not None:
        positive(s, "stress_err", "Pa")
    if np.any(t < 0):
        i = int(np.nonzero(t < 0)[0][0])
        raise ValueError(f"time[{i}] = {t[i]!r} s; expected times ≥ 0")
    if beta is not None and not (0.0 < beta <= 1.0):
        raise ValueError(f"beta = {beta!r}; expected a value in (0, 1]")
    free = (
        ["initial_stress", "tau"]
        + ([] if beta is not None else ["beta"])
        + (["relaxed_stress"] if fit_relaxed_stress else [])
    )
    if t.size < len(free) + 1:
        raise ValueError(
            f"found {t.size} data point(s); fitting {', '.join(free)} with uncertainties needs at least {len(free) + 1}"
        )
    if np.count_nonzero(t > 0) < 2 or np.ptp(t) <= 0:
        raise ValueError("the times must cover at least two different values > 0 to determine τ")

    s0, tau0, beta0 = _kww_start(t, y, relaxed_stress, beta)
    params = lmfit.Parameters()
    params.add("initial_stress", value=s0)
    params.add("ln_tau", value=math.log(tau0))
    params.add("beta", value=beta0, min=1e-3, max=1.0, vary=beta is None)
    params.add("relaxed_stress", value=relaxed_stress, vary=fit_relaxed_stress)
    sigma = s if s is not None else np.ones_like(y)

    def residual(p):
        sinf = p["relaxed_stress"].value
        model = sinf + (p["initial_stress"].value - sinf) * kohlrausch_factor(
            t, math.exp(p["ln_tau"].value), p["beta"].value
        )
        return (y - model) / sigma

    result = lmfit.minimize(residual, params, method="leastsq", scale_covar=s is None)
    if not result.success or not result.errorbars:
        raise ValueError(
            "the stretched-exponential fit could not determine its parameters "
            f"({result.message}; the data may not show enough relaxation): fix beta or measure longer times"
        )
    p = result.params
    tau = math.exp(p["ln_tau"].value)
    err = {
        name: (p[name].stderr or 0.0) if p[name].vary else 0.0
        for name in ("initial_stress", "beta", "relaxed_stress")
    }
    err["tau"] = tau * (p["ln_tau"].stderr or 0.0)
    at_bound = ()
    if p["beta"].vary and (p["beta"].value > 1.0 - 1e-6 or p["beta"].value < p["beta"].min + 1e-6):
        at_bound = ("beta",)
        err["beta"] = math.nan
    internal = {
        "initial_stress": "initial_stress",
        "tau": "ln_tau",
        "beta": "beta",
        "relaxed_stress": "relaxed_stress",
    }
    corr = {}
    for i, a in enumerate(free):
        for b in free[i + 1 :]:
            value = (p[internal[a]].correl or {}).get(internal[b], math.nan)
            corr[f"{a},{b}"] = math.nan if (a in at_bound or b in at_bound) else float(value)
    return RelaxationFit(
        initial_stress=float(p["initial_stress"].value),
        tau=tau,
        beta=float(p["beta"].value),
        relaxed_stress=float(p["relaxed_stress"].value),
        initial_stress_stderr=float(err["initial_stress"]),
        tau_stderr=float(err["tau"]),
        beta_stderr=float(err["beta"]),
        relaxed_stress_stderr=float(err["relaxed_stress"]),
        correlation=corr,
        reduced_chi2=float(result.redchi),
        n_points=int(t.size),
        free=tuple(free),
        absolute_errors=s is not None,
        at_bound=at_bound,
    )


def _kww_start(t, y, sinf, beta):
    """Start values: σ_0 from the earliest point, then β and τ from the straight line
    ln(−ln r) = β ln t − β ln τ of the points with 0.05 < r = (σ − σ_∞)/(σ_0 − σ_∞) < 0.95."""
    i0 = int(np.argmin(t))
    s0 = float(y[i0]) if y[i0] != sinf else float(y[i0]) + 1.0
    r = (y - sinf) / (s0 - sinf)
    ok = (t > 0) & (r > 0.05) & (r < 0.95)
    b, tau = 0.6, float(np.median(t[t > 0]))
    if np.count_nonzero(ok) >= 2 and np.ptp(np.log(t[ok])) > 0:
        slope, icpt = np.polyfit(np.log(t[ok]), np.log(-np.log(r[ok])), 1)
        if slope > 0:
            b = float(min(max(slope, 0.1), 1.0))
            tau = float(math.exp(-icpt / slope))
    if beta is not None:
        b = float(beta)
    return s0, tau, b
