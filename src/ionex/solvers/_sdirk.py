"""Compiled kernel: one step of Alexander's SDIRK3 for the finite-volume diffusion system.

Driven by ionex.solvers.diffusion (one run; outputs, trackers) and
ionex.solvers.diffusion_batch (many runs in one compiled loop), which both apply the
step-size rules of ionex.solvers.step_control.
Everything inside a step — three implicit stages, each solved by Newton's method on the
tridiagonal Jacobian (Thomas algorithm; the matrix is a diagonally dominant M-matrix), and
the filtered error estimate — runs here without Python overhead.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..physics.kirchhoff import evaluate_law

# Alexander (1977) SDIRK3: γ is the root of γ³ − 3γ² + 3γ/2 − 1/6 in (1/6, 1/2).
G = 0.43586652150845899942
C2 = (1.0 + G) / 2.0
B1 = -(6.0 * G**2 - 16.0 * G + 1.0) / 4.0
B2 = (6.0 * G**2 - 20.0 * G + 5.0) / 4.0
A21 = (1.0 - G) / 2.0
C = (G, C2, 1.0)
B = (B1, B2, G)
# embedded second-order weights on stages 1, 2: Σb̂ = 1, Σb̂c = 1/2
BH2 = (0.5 - G) / (C2 - G)
BH1 = 1.0 - BH2
E = (B1 - BH1, B2 - BH2, G)
ORDER = 3
EMBEDDED_ORDER = 2

# status codes of a step
OK = 0
NON_FINITE = 1
STALLED = 2
NO_CONVERGENCE = 3

NON_FINITE_ERROR = 4  # set by the drivers: the step converged but its error estimate is not finite

MESSAGES = {
    NON_FINITE: "non-finite Newton update",
    STALLED: "Newton iteration stalls",
    NO_CONVERGENCE: "Newton did not converge in 12 iterations",
    NON_FINITE_ERROR: "non-finite error estimate",
}


@njit(cache=True)
def _thomas(lower, diag, upper, rhs, out, cp):
    """Solve the tridiagonal system (lower: sub-, upper: super-diagonal) into ``out``."""
    n = diag.size
    m = diag[0]
    cp[0] = upper[0] / m if n > 1 else 0.0
    out[0] = rhs[0] / m
    for i in range(1, n):
        m = diag[i] - lower[i - 1] * cp[i - 1]
        if i < n - 1:
            cp[i] = upper[i] / m
        out[i] = (rhs[i] - lower[i - 1] * out[i - 1]) / m
    for i in range(n - 2, -1, -1):
        out[i] -= cp[i] * out[i + 1]


@njit(cache=True)
def _newton_stage(
    kind,
    params,
    phi_tab,
    slope_tab,
    coef_tab,
    chi,
    base,
    gh,
    vol,
    w_off,
    w_diag,
    inv_front,
    inv_back,
    phi_front,
    phi_back,
    has_front,
    has_back,
    weight,
    inventory,
    phi,
    d,
    res,
    lower,
    diag,
    upper,
    delta,
    cp,
    edge,
    edge_phi,
    edge_d,
):
    """Solve vol·(Y − base) = gh·G(Y) for Y (in place in ``chi``).

    Stops when max|δ|·weight < 0.03 (the remaining Newton error is then far below the
    error tolerance) and the stage's conservation defect — the nonlinearity of the boundary
    fluxes across the last update, since interior fluxes telescope exactly in the Newton
    system — is at round-off level. Returns (status, flux in at front, flux in at back,
    iterations); ``d`` holds D̃ at the previous iterate (the Newton matrix) on return.
    """
    n = chi.size
    g_front = gh * inv_front
    g_back = gh * inv_back
    last = math.inf
    for it in range(12):
        evaluate_law(kind, params, phi_tab, slope_tab, coef_tab, chi, phi, d)
        f0 = (phi_front - phi[0]) * g_front if has_front else 0.0
        fn = (phi[n - 1] - phi_back) * g_back if has_back else 0.0  # +x direction
        flux_left = f0
        for i in range(n):
            flux_right = (phi[i] - phi[i + 1]) * gh * w_off[i] if i < n - 1 else fn
            res[i] = flux_left - flux_right - vol[i] * (chi[i] - base[i])
            diag[i] = vol[i] + gh * d[i] * w_diag[i]
            if i < n - 1:
                lower[i] = -gh * d[i] * w_off[i]
                upper[i] = -gh * d[i + 1] * w_off[i]
            flux_left = flux_right
        _thomas(lower, diag, upper, res, delta, cp)
        size = 0.0
        for i in range(n):
            chi[i] += delta[i]
            s = abs(delta[i]) * weight[i]
            if not s <= size:  # also propagates NaN
                size = s
        if not math.isfinite(size):
            return NON_FINITE, 0.0, 0.0, it + 1
        if size < 0.03:
            edge[0] = chi[0]
            edge[1] = chi[n - 1]
            evaluate_law(kind, params, phi_tab, slope_tab, coef_tab, edge, edge_phi, edge_d)
            defect = 0.0
            f_front = 0.0
            f_back = 0.0
            if has_front:
                f_front = (phi_front - edge_phi[0]) * g_front
                defect += f_front - (f0 - d[0] * g_front * delta[0])
            if has_back:
                f_back = (phi_back - edge_phi[1]) * g_back  # inflow = −(+x flux)
                defect += f_back - (-fn - d[n - 1] * g_back * delta[n - 1])
            allowed = 1e-13 * inventory + 1e-12 * (abs(f_front) + abs(f_back))
            if abs(defect) <= allowed or size < 1e-10:
                return OK, f_front / gh, f_back / gh, it + 1
        elif it > 1 and size > 0.5 * last:
            return STALLED, 0.0, 0.0, it + 1
        last = size
    return NO_CONVERGENCE, 0.0, 0.0, 12


@njit(cache=True)
def sdirk3_step(
    kinds,
    params,
    phi_tabs,
    slope_tabs,
    coef_tabs,
    y,
    step,
    vol,
    w_off,
    w_diag,
    inv_front,
    inv_back,
    phi_fronts,
    phi_backs,
    has_front,
    has_back,
    atol,
    rtol,
    k_last,
    use_k_last,
    y_new,
    k_end,
    fluxes,
):
    """One SDIRK3 step of size ``step`` from ``y``; the stage laws are rows of the law arrays.

    On success fills y_new, k_end (dχ/dt at the end, for the next predictor) and
    fluxes[j] = (inflow front, inflow back) of stage j. Returns (status, error norm
    — the filtered estimate over atol + rtol·|χ| in the max norm —, Newton iterations).
    """
    n = y.size
    ks = np.empty((3, n))
    base = np.empty(n)
    chi = np.empty(n)
    phi = np.empty(n)
    d = np.empty(n)
    res = np.empty(n)
    lower = np.empty(max(n - 1, 1))
    upper = np.empty(max(n - 1, 1))
    diag = np.empty(n)
    delta = np.empty(n)
    cp = np.empty(n)
    edge = np.empty(2)
    edge_phi = np.empty(2)
    edge_d = np.empty(2)
    weight = np.empty(n)
    inventory = 0.0
    for i in range(n):
        weight[i] = 1.0 / (atol + rtol * abs(y[i]))
        inventory += vol[i] * abs(y[i])
    gh = G * step
    newton = 0
    for j in range(3):
        for i in range(n):
            b = y[i]
            if j == 1:
                b += step * A21 * ks[0, i]
            elif j == 2:
                b += step * (B1 * ks[0, i] + B2 * ks[1, i])
            base[i] = b
            if j == 0:
                chi[i] = y[i] + gh * k_last[i] if use_k_last else y[i]
            elif j == 1:
                chi[i] = b + gh * ks[0, i]
            else:
                chi[i] = b + gh * (ks[1, i] + (ks[1, i] - ks[0, i]) * (1.0 - C2) / (C2 - G))
        status, f_front, f_back, its = _newton_stage(
            kinds[j],
            params[j],
            phi_tabs[j],
            slope_tabs[j],
            coef_tabs[j],
            chi,
            base,
            gh,
            vol,
            w_off,
            w_diag,
            inv_front,
            inv_back,
            phi_fronts[j],
            phi_backs[j],
            has_front,
            has_back,
            weight,
            inventory,
            phi,
            d,
            res,
            lower,
            diag,
            upper,
            delta,
            cp,
            edge,
            edge_phi,
            edge_d,
        )
        newton += its
        if status != OK:
            return status, math.inf, newton
        for i in range(n):
            ks[j, i] = (chi[i] - base[i]) / gh
        fluxes[j, 0] = f_front
        fluxes[j, 1] = f_back
    # embedded error estimate, filtered through the last Newton matrix (Shampine)
    for i in range(n):
        res[i] = vol[i] * step * (E[0] * ks[0, i] + E[1] * ks[1, i] + E[2] * ks[2, i])
        diag[i] = vol[i] + gh * d[i] * w_diag[i]
        if i < n - 1:
            lower[i] = -gh * d[i] * w_off[i]
            upper[i] = -gh * d[i + 1] * w_off[i]
    _thomas(lower, diag, upper, res, delta, cp)
    err = 0.0
    for i in range(n):
        y_new[i] = chi[i]
        k_end[i] = ks[2, i]
        e = abs(delta[i]) / (atol + rtol * max(abs(y[i]), abs(chi[i])))
        if not e <= err:
            err = e
    return OK, err, newton
