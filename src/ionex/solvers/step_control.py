"""Adaptive step-size control shared by every time integrator of ionex.

The interdiffusion solver (one run in Python, many runs in the compiled batch loop), the
Nernst–Planck–Poisson solver and the electroneutral model all take their steps by these
rules, with the constants below stated once. Each rule is a plain function (called from
Python) with a compiled twin (``*_jit``, called from numba), so a batched run takes the
very steps a run on its own takes.

The rules (Hairer & Wanner, Solving ODEs II, §IV.8):

* error norm: the local error estimate over atol + rtol·|y| in the max norm, so 1 means
  "at tolerance"; a step is accepted when the norm is ≤ 1.
* next step / this step = SAFETY·err^(−1/ESTIMATOR_ORDER), clipped to
  [MIN_FACTOR, MAX_FACTOR]; no growth on the step right after a rejection.
* a rejected step is retried at most REJECT_FACTOR of its length; a step whose stage
  equations fail (non-finite values, Newton divergence) at FAILURE_FACTOR.
* steps land exactly on stops (output times, breakpoints, the end) and never leave a
  sliver shorter than LANDING_SLIVER of a step before one; a step shortened to land does
  not shrink the next one.
* an integration whose step falls below FLOOR·max(duration, 1 s) has failed.
* events (a run that stops when a quantity q that grows with time, such as a delivered
  charge, reaches a target): a step that passes the target by more than its relative
  tolerance is re-taken with the length aimed at the target by the secant through the
  bracket of step lengths (event_step), at most MAX_EVENT_AIMS times; a step that ends
  within the tolerance of the target ends the run.
"""

from __future__ import annotations

from numba import njit

SAFETY = 0.9
MAX_FACTOR = 4.0
MIN_FACTOR = 0.2
REJECT_FACTOR = 0.9
FAILURE_FACTOR = 0.25
LANDING_SLIVER = 0.05
FLOOR = 1e-14
MAX_EVENT_AIMS = 50
# the error estimates of every integrator here are O(h³) (third-order methods with an
# embedded second-order solution)
ESTIMATOR_ORDER = 3


def step_factor(error_norm: float) -> float:
    """Next step / this step from the error norm (1 = at tolerance):
    SAFETY·err^(−1/ESTIMATOR_ORDER), clipped to [MIN_FACTOR, MAX_FACTOR]."""
    return min(
        MAX_FACTOR, max(MIN_FACTOR, SAFETY * (error_norm + 1e-10) ** (-1.0 / ESTIMATOR_ORDER))
    )


def lands(t: float, h: float, target: float, adaptive: bool) -> bool:
    """Whether a step of h (s) from t should end exactly on the next stop ``target``: it
    reaches it, or (adaptive steps) would leave a sliver of less than LANDING_SLIVER·h."""
    return t + h >= target * (1 - 1e-12) or (adaptive and t + (1.0 + LANDING_SLIVER) * h >= target)


def step_after_accept(
    step: float, factor: float, h: float, landing: bool, after_rejection: bool
) -> float:
    """The next step (s) after an accepted one of length ``step`` (``h`` is the step that
    was planned): no growth right after a rejection, and a step shortened to land on a
    stop does not shrink the next one."""
    if after_rejection:
        factor = min(factor, 1.0)
    return max(step * factor, h) if landing else step * factor


def step_after_reject(step: float, factor: float) -> float:
    """Retry after an error estimate above tolerance: shrink by at least 1 − REJECT_FACTOR."""
    return step * min(factor, REJECT_FACTOR)


def step_after_failure(step: float) -> float:
    """Retry after the stage equations failed (non-finite, no convergence)."""
    return FAILURE_FACTOR * step


def step_floor(duration: float) -> float:
    """Smallest step (s) before the integration is declared failed."""
    return FLOOR * max(duration, 1.0)


def stop_passed(stop: float, t: float) -> bool:
    """Whether the integration at t (s) has reached the stop (an output time, breakpoint)."""
    return stop <= t * (1 + 1e-15)


def output_due(output_time: float, t: float) -> bool:
    """Whether the state at t (s) is the one to store for ``output_time``."""
    return output_time <= t * (1 + 1e-13)


def event_passed(q: float, target: float, rtol: float) -> bool:
    """Whether q (growing with time) has passed the event's target by more than rtol
    (relative): the step is then re-taken, shorter."""
    return q > target * (1 + rtol)


def event_reached(q: float, target: float, rtol: float) -> bool:
    """Whether q has reached the event's target to within rtol (relative) from below."""
    return q >= target * (1 - rtol)


def event_step(s_lo: float, q_lo: float, s_hi: float, q_hi: float, target: float) -> float:
    """Step length (s) aimed at the event q = target, q_lo < target < q_hi, by the secant
    through the bracket of step lengths (s_lo, q_lo), (s_hi, q_hi):

        s = s_lo + (target − q_lo)·(s_hi − s_lo)/(q_hi − q_lo)."""
    return s_lo + (target - q_lo) * (s_hi - s_lo) / (q_hi - q_lo)


step_factor_jit = njit(cache=True)(step_factor)
lands_jit = njit(cache=True)(lands)
step_after_accept_jit = njit(cache=True)(step_after_accept)
step_after_reject_jit = njit(cache=True)(step_after_reject)
step_after_failure_jit = njit(cache=True)(step_after_failure)
step_floor_jit = njit(cache=True)(step_floor)
stop_passed_jit = njit(cache=True)(stop_passed)
output_due_jit = njit(cache=True)(output_due)
event_passed_jit = njit(cache=True)(event_passed)
event_reached_jit = njit(cache=True)(event_reached)
event_step_jit = njit(cache=True)(event_step)
