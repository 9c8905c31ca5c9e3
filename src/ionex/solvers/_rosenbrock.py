"""Compiled kernel: one step of the Rosenbrock method ROS3 for the finite-volume diffusion system.

Driven by ionex.solvers.diffusion (one run; outputs, trackers) and
ionex.solvers.diffusion_batch (many runs in one compiled loop), which both apply the
step-size rules of ionex.solvers.step_control.

ROS3 (Sandu et al. 1997, Atmos. Environ. 31, 3459, Table 3; the coefficients of the KPP
integrator library): three stages, order 3, L-stable, with an embedded second-order
solution for the error estimate. A Rosenbrock method is linearly implicit: every stage
solves one linear system with the same matrix M/(γh) − J, where J is the exact Jacobian
of the finite-volume rates at the start of the step — no Newton iteration. For the
Kirchhoff-potential scheme J is tridiagonal and exact (∂R/∂χ_j = D̃(χ_j)·face weights),
so one step costs two evaluations of the law (the third stage is evaluated where the
second was), one tridiagonal factorisation and three substitutions.

Form (Hairer & Wanner, Solving ODEs II, §IV.7, eq. 7.4'), with M = diag(cell widths),
R(t, χ) the net inflow per cell (χ·m/s), h the step:

    (M/(γh) − J) K_i = R(t + α_i h, χ + Σ_j a_ij K_j) + M Σ_j (c_ij/h) K_j + γ_i h ∂R/∂t,
    χ_new = χ + Σ_i m_i K_i,       error estimate Σ_i e_i K_i.

∂R/∂t (a law that changes with time, a temperature program) is a forward difference over
a short probe interval at the start of the step. The boundary inflow of a step follows
from the same linear systems: summing the rows, interior fluxes telescope, so the
amount that entered each face is booked exactly (to round-off) as the inventory change.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..physics.kirchhoff import evaluate_law

GAMMA = 0.43586652150845899941601945119356
A21 = 1.0  # a31 = 1, a32 = 0: the third stage is evaluated at the second stage's point
C21 = -0.10156171083877702091975600115545e01
C31 = 0.40759956452537699824805835358067e01
C32 = 0.92076794298330791242156818474003e01
M1 = 1.0
M2 = 0.61697947043828245592553615689730e01
M3 = -0.42772256543218573326238373806514
E1 = 0.5
E2 = -0.29079558716805469821718236208017e01
E3 = 0.22354069897811569627360909276199
ALPHA2 = GAMMA  # stage times t + α_i h: α = (0, γ, γ)
GAMMA2 = 0.24291996454816804366592249683314
GAMMA3 = 0.21851380027664058511513169485832e01
ORDER = 3
EMBEDDED_ORDER = 2
# stage times of the laws a step needs, as fractions of the step: the start, the second
# stage; the third law is the probe for ∂R/∂t, PROBE of the step after the start
PROBE = 1e-5
NODES = (0.0, ALPHA2, PROBE)

# status codes of a step
OK = 0
NON_FINITE = 1
MESSAGES = {NON_FINITE: "non-finite stage value"}

# rows of the work array
_PHI, _D, _RES, _RT, _K1, _K2, _K3, _Y2, _LOWER, _UPPER, _MINV, _CP, _RHS = range(13)
WORK_ROWS = 13


@njit(cache=True)
def _rates(
    kind, params, phi_tab, slope_tab, coef_tab, chi, w_off, g_front, g_back, phi_front, phi_back,
    has_front, has_back, phi, d, res,
):  # fmt: skip
    """Net inflow per cell R (χ·m/s) into ``res``; Φ, D̃ at ``chi`` into phi, d.
    Returns the inflow through the front and through the back face (χ·m/s)."""
    n = chi.size
    evaluate_law(kind, params, phi_tab, slope_tab, coef_tab, chi, phi, d)
    f_front = (phi_front - phi[0]) * g_front if has_front else 0.0
    f_back = (phi_back - phi[n - 1]) * g_back if has_back else 0.0
    flux_left = f_front
    for i in range(n - 1):
        flux_right = (phi[i] - phi[i + 1]) * w_off[i]
        res[i] = flux_left - flux_right
        flux_left = flux_right
    res[n - 1] = flux_left + f_back
    return f_front, f_back


@njit(cache=True)
def _solve(n, lower, upper, minv, cp, rhs, out):
    """Solve the factorised tridiagonal system (see ros3_step) of n rows for ``rhs`` into
    ``out``."""
    out[0] = rhs[0] * minv[0]
    for i in range(1, n):
        out[i] = (rhs[i] - lower[i - 1] * out[i - 1]) * minv[i]
    for i in range(n - 2, -1, -1):
        out[i] -= cp[i] * out[i + 1]


@njit(cache=True)
def ros3_step(
    kinds, params, phi_tabs, slope_tabs, coef_tabs, y, step, vol, w_off, w_diag, inv_front,
    inv_back, phi_fronts, phi_backs, has_front, has_back, autonomous, atol, rtol, work, y_new,
    inflow,
):  # fmt: skip
    """One ROS3 step of size ``step`` (s) from ``y``.

    The laws are rows of the law arrays at the step's NODES: row 0 at the start (rates and
    Jacobian), row 1 at the second stage, row 2 at the start plus PROBE·step (for ∂R/∂t;
    unused when ``autonomous``). ``work`` is scratch of shape (WORK_ROWS, n). On success
    fills y_new and inflow = (amount in through the front, through the back) over the
    step (χ·m). Returns (status, error norm — the embedded estimate over
    atol + rtol·max(|χ|, |χ_new|) in the max norm —, linear solves).
    """
    n = y.size
    if work.shape[1] != n:
        raise ValueError("ros3_step: the workspace does not match the state")
    phi = work[_PHI]
    d = work[_D]
    res = work[_RES]
    rt = work[_RT]
    k1 = work[_K1]
    k2 = work[_K2]
    k3 = work[_K3]
    y2 = work[_Y2]
    lower = work[_LOWER]
    upper = work[_UPPER]
    minv = work[_MINV]
    cp = work[_CP]
    rhs = work[_RHS]
    hg = GAMMA * step
    f0, b0 = _rates(
        kinds[0], params[0], phi_tabs[0], slope_tabs[0], coef_tabs[0], y, w_off, inv_front,
        inv_back, phi_fronts[0], phi_backs[0], has_front, has_back, phi, d, res,
    )  # fmt: skip
    d_front = d[0]
    d_back = d[n - 1]
    # the stage matrix M/(γh) − J, factorised once (Thomas; an M-matrix, no pivoting)
    for i in range(n):
        diag = vol[i] / hg + d[i] * w_diag[i]
        if i < n - 1:
            lower[i] = -d[i] * w_off[i]
            upper[i] = -d[i + 1] * w_off[i]
        if i > 0:
            diag -= lower[i - 1] * cp[i - 1]
        minv[i] = 1.0 / diag
        cp[i] = upper[i] * minv[i] if i < n - 1 else 0.0
    ft = 0.0
    bt = 0.0
    if not autonomous:
        probe = PROBE * step
        fp, bp = _rates(
            kinds[2], params[2], phi_tabs[2], slope_tabs[2], coef_tabs[2], y, w_off, inv_front,
            inv_back, phi_fronts[2], phi_backs[2], has_front, has_back, phi, y2, rt,
        )  # fmt: skip
        for i in range(n):
            rt[i] = (rt[i] - res[i]) / probe
        ft = (fp - f0) / probe
        bt = (bp - b0) / probe
    else:
        for i in range(n):
            rt[i] = 0.0
    # stage 1
    g1 = GAMMA * step
    for i in range(n):
        rhs[i] = res[i] + g1 * rt[i]
    _solve(n, lower, upper, minv, cp, rhs, k1)
    s1f = hg * (f0 - inv_front * d_front * k1[0] + g1 * ft) if has_front else 0.0
    s1b = hg * (b0 - inv_back * d_back * k1[n - 1] + g1 * bt) if has_back else 0.0
    # stage 2, at χ + K1
    for i in range(n):
        y2[i] = y[i] + A21 * k1[i]
    f2, b2 = _rates(
        kinds[1], params[1], phi_tabs[1], slope_tabs[1], coef_tabs[1], y2, w_off, inv_front,
        inv_back, phi_fronts[1], phi_backs[1], has_front, has_back, phi, d, res,
    )  # fmt: skip
    c21 = C21 / step
    g2 = GAMMA2 * step
    for i in range(n):
        rhs[i] = res[i] + vol[i] * c21 * k1[i] + g2 * rt[i]
    _solve(n, lower, upper, minv, cp, rhs, k2)
    s2f = hg * (f2 - inv_front * d_front * k2[0] + c21 * s1f + g2 * ft) if has_front else 0.0
    s2b = hg * (b2 - inv_back * d_back * k2[n - 1] + c21 * s1b + g2 * bt) if has_back else 0.0
    # stage 3, at the same point as stage 2 (its rates are reused)
    c31 = C31 / step
    c32 = C32 / step
    g3 = GAMMA3 * step
    for i in range(n):
        rhs[i] = res[i] + vol[i] * (c31 * k1[i] + c32 * k2[i]) + g3 * rt[i]
    _solve(n, lower, upper, minv, cp, rhs, k3)
    s3f = (
        hg * (f2 - inv_front * d_front * k3[0] + c31 * s1f + c32 * s2f + g3 * ft)
        if has_front
        else 0.0
    )
    s3b = (
        hg * (b2 - inv_back * d_back * k3[n - 1] + c31 * s1b + c32 * s2b + g3 * bt)
        if has_back
        else 0.0
    )
    err = 0.0
    for i in range(n):
        yn = y[i] + M1 * k1[i] + M2 * k2[i] + M3 * k3[i]
        y_new[i] = yn
        e = abs(E1 * k1[i] + E2 * k2[i] + E3 * k3[i]) / (atol + rtol * max(abs(y[i]), abs(yn)))
        if not e <= err:  # also propagates NaN
            err = e
    if not math.isfinite(err):
        return NON_FINITE, math.inf, 3
    inflow[0] = M1 * s1f + M2 * s2f + M3 * s3f
    inflow[1] = M1 * s1b + M2 * s2b + M3 * s3b
    return OK, err, 3


@njit(cache=True)
def workspace(n):
    """Scratch for ros3_step on n cells."""
    return np.empty((WORK_ROWS, n))
