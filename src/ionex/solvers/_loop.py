"""Compiled step loop of one interdiffusion run with a law constant in time.

The loop of ionex.solvers.diffusion.solve_nonlinear_diffusion — ROS3 steps
(ionex.solvers._rosenbrock), the rules of ionex.solvers.step_control, landing on stops,
outputs, the active region of ionex.solvers._active — without Python between the steps.
It serves a run with a constant law and no tracker on its own, and every run of a batch
(ionex.solvers.diffusion_batch), so both take exactly the same steps.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import _active, _rosenbrock, step_control

# outcomes of a run
DONE = 0
STEP_TOO_SMALL = 1
TOO_MANY_STEPS = 2


@njit(cache=True)
def stage_laws(kind, params, phi_tab, slope_tab, coef_tab, phi_front, phi_back):
    """The law arrays ros3_step takes (one row per node), for one law at every node."""
    k = len(_rosenbrock.NODES)
    kinds = np.empty(k, dtype=np.int64)
    params_k = np.empty((k, params.size))
    phi_k = np.empty((k, phi_tab.size))
    slope_k = np.empty((k, slope_tab.size))
    coef_k = np.empty((k, coef_tab.size))
    fronts = np.empty(k)
    backs = np.empty(k)
    for j in range(k):
        kinds[j] = kind
        params_k[j, :] = params
        phi_k[j, :] = phi_tab
        slope_k[j, :] = slope_tab
        coef_k[j, :] = coef_tab
        fronts[j] = phi_front
        backs[j] = phi_back
    return kinds, params_k, phi_k, slope_k, coef_k, fronts, backs


@njit(cache=True)
def advance_constant_law(
    kind, params, phi_tab, slope_tab, coef_tab, phi_front, phi_back, y, vol, w_off, w_diag,
    inv_front, inv_back, has_front, has_back, duration, first_step, outs, stops, rtol, atol,
    max_steps, skip_flat, states, out_inflow, totals, counts,
):  # fmt: skip
    """Advance y (in place) over ``duration`` s; fill states[k] and out_inflow[k] at outs[k].

    skip_flat: leave out the flat run ahead of the profile (ionex.solvers._active).
    totals ← (inflow front, inflow back, time reached); counts ← (steps, rejected, linear
    solves, outcome, status of the last failed step, Σ cells solved over step attempts).
    """
    kinds, params_k, phi_k, slope_k, coef_k, fronts, backs = stage_laws(
        kind, params, phi_tab, slope_tab, coef_tab, phi_front, phi_back
    )
    n = y.size
    eps = _active.FLAT_FRACTION * atol
    a, b, ref, guard = 0, 0, 0.0, 0
    if skip_flat:
        a, b, ref, guard = _active.flat_run(y, has_front, has_back, eps)
    yc, volc, w_offc, w_diagc = _active.restrict(y, vol, w_off, w_diag, a, b)
    y_new = np.empty(yc.size)
    work = _rosenbrock.workspace(yc.size)
    inflow = np.empty(2)
    t = 0.0
    h = first_step
    h_min = step_control.step_floor_jit(duration)
    out_idx = 0
    while out_idx < outs.size and outs[out_idx] <= 0.0:
        states[out_idx, :] = y
        out_inflow[out_idx, 0] = 0.0
        out_inflow[out_idx, 1] = 0.0
        out_idx += 1
    cum_front = 0.0
    cum_back = 0.0
    n_steps = 0
    n_rejected = 0
    n_solves = 0
    cell_steps = 0
    stop_idx = 0
    outcome = DONE
    last_status = 0
    after_rejection = False
    while t < duration:
        while step_control.stop_passed_jit(stops[stop_idx], t):
            stop_idx += 1
        target = stops[stop_idx]
        landing = step_control.lands_jit(t, h, target, True)
        step = target - t if landing else h
        status, en, solves = _rosenbrock.ros3_step(
            kinds, params_k, phi_k, slope_k, coef_k, yc, step, volc, w_offc, w_diagc,
            inv_front, inv_back, fronts, backs, has_front, has_back, True, atol, rtol, work,
            y_new, inflow,
        )  # fmt: skip
        n_solves += solves
        cell_steps += yc.size
        if status != _rosenbrock.OK:
            n_rejected += 1
            last_status = status
            h = step_control.step_after_failure_jit(step)
            after_rejection = True
            if not h >= h_min:  # also catches NaN
                outcome = STEP_TOO_SMALL
                break
            continue
        factor = step_control.step_factor_jit(en)
        if en > 1.0:
            n_rejected += 1
            h = step_control.step_after_reject_jit(step, factor)
            after_rejection = True
            continue
        if b > a and _active.guard_moved(y_new, a, b, n, ref, eps, guard):
            # the profile reached the margin: grow the region to where it went, retake
            _active.scatter(y, yc, a, b)
            a, b, ref, guard = _active.regrown(y, y_new, a, b, has_front, has_back, eps)
            yc, volc, w_offc, w_diagc = _active.restrict(y, vol, w_off, w_diag, a, b)
            y_new = np.empty(yc.size)
            work = _rosenbrock.workspace(yc.size)
            continue
        n_steps += 1
        if n_steps > max_steps:
            outcome = TOO_MANY_STEPS
            break
        cum_front += inflow[0]
        cum_back += inflow[1]
        t = target if landing else t + step
        yc, y_new = y_new, yc
        h = step_control.step_after_accept_jit(step, factor, h, landing, after_rejection)
        after_rejection = False
        while out_idx < outs.size and step_control.output_due_jit(outs[out_idx], t):
            _active.scatter(y, yc, a, b)
            states[out_idx, :] = y
            out_inflow[out_idx, 0] = cum_front
            out_inflow[out_idx, 1] = cum_back
            out_idx += 1
    _active.scatter(y, yc, a, b)
    totals[0] = cum_front
    totals[1] = cum_back
    totals[2] = t
    counts[0] = n_steps
    counts[1] = n_rejected
    counts[2] = n_solves
    counts[3] = outcome
    counts[4] = last_status
    counts[5] = cell_steps
