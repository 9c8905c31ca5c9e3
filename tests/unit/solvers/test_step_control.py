"""Unit tests of ionex.solvers.step_control: the step-size rules shared by every integrator
(factor clipping, no growth after a rejection, landing without slivers, the floor) and the
event-landing helpers, with their compiled twins."""

from __future__ import annotations

import math

import pytest

from ionex.solvers import step_control as sc


@pytest.mark.parametrize(
    "err, factor",
    [
        (0.0, sc.MAX_FACTOR),
        (1e-12, sc.MAX_FACTOR),
        (1.0, sc.SAFETY),
        (1e6, sc.MIN_FACTOR),
        (math.inf, sc.MIN_FACTOR),
    ],
)
def test_step_factor_is_clipped(err, factor):
    assert sc.step_factor(err) == pytest.approx(factor)


def test_step_factor_follows_the_estimator_order_between_the_clips():
    # next/this = SAFETY·err^(−1/3): an error 8× the tolerance halves the step (×0.9)
    assert sc.step_factor(8.0) == pytest.approx(sc.SAFETY / 2.0)
    assert sc.step_factor(0.125) == pytest.approx(2.0 * sc.SAFETY)
    errs = [0.01, 0.1, 0.5, 1.0, 2.0, 5.0]
    factors = [sc.step_factor(e) for e in errs]
    assert factors == sorted(factors, reverse=True)


def test_no_growth_right_after_a_rejection():
    assert sc.step_after_accept(2.0, 3.0, 2.0, landing=False, after_rejection=True) == 2.0
    assert sc.step_after_accept(2.0, 0.5, 2.0, landing=False, after_rejection=True) == 1.0
    assert sc.step_after_accept(2.0, 3.0, 2.0, landing=False, after_rejection=False) == 6.0


def test_a_step_shortened_to_land_does_not_shrink_the_next():
    # planned 10 s, shortened to 1 s to land on a stop: the next step is still ≥ 10 s
    assert sc.step_after_accept(1.0, 2.0, 10.0, landing=True, after_rejection=False) == 10.0
    assert sc.step_after_accept(8.0, 2.0, 10.0, landing=True, after_rejection=False) == 16.0


def test_rejected_and_failed_steps_shrink():
    assert sc.step_after_reject(10.0, 2.0) == pytest.approx(10.0 * sc.REJECT_FACTOR)
    assert sc.step_after_reject(10.0, 0.3) == pytest.approx(3.0)
    assert sc.step_after_failure(10.0) == pytest.approx(10.0 * sc.FAILURE_FACTOR)


def test_landing_leaves_no_sliver():
    # a step that would leave less than LANDING_SLIVER of itself before the stop lands
    h = 1.0
    assert sc.lands(0.0, h, 1.0 + 0.5 * sc.LANDING_SLIVER, adaptive=True)
    assert not sc.lands(0.0, h, 1.0 + 2.0 * sc.LANDING_SLIVER, adaptive=True)
    # fixed steps are never stretched, only stopped at the stop
    assert not sc.lands(0.0, h, 1.0 + 0.5 * sc.LANDING_SLIVER, adaptive=False)
    assert sc.lands(0.0, h, 1.0, adaptive=False)
    assert sc.lands(0.0, h, 0.5, adaptive=False)


def test_step_floor():
    assert sc.step_floor(0.5) == pytest.approx(sc.FLOOR)
    assert sc.step_floor(1e6) == pytest.approx(sc.FLOOR * 1e6)


def test_stops_and_outputs_are_reached_to_round_off():
    assert sc.stop_passed(100.0, 100.0)
    assert sc.stop_passed(100.0, 100.0 * (1 - 1e-16))
    assert not sc.stop_passed(100.0, 100.0 * (1 - 1e-12))
    assert sc.output_due(100.0, 100.0 * (1 - 1e-14))
    assert not sc.output_due(100.0, 100.0 * (1 - 1e-11))


def test_event_predicates():
    target, rtol = 10.0, 1e-9
    assert sc.event_passed(10.0 * (1 + 2e-9), target, rtol)
    assert not sc.event_passed(10.0 * (1 + 0.5e-9), target, rtol)
    assert sc.event_reached(10.0 * (1 - 0.5e-9), target, rtol)
    assert not sc.event_reached(10.0 * (1 - 2e-9), target, rtol)


def test_event_step_is_exact_for_a_linear_quantity():
    # q(s) = 3 + 2 s: the secant through any bracket lands on the target
    q = lambda s: 3.0 + 2.0 * s  # noqa: E731
    assert sc.event_step(0.0, q(0.0), 5.0, q(5.0), 7.0) == pytest.approx(2.0)
    assert sc.event_step(1.0, q(1.0), 4.0, q(4.0), 7.0) == pytest.approx(2.0)


def test_event_step_stays_inside_the_bracket():
    # convex, increasing q: the secant step lies inside the bracket and undershoots
    def q(s):
        return s * s + 0.1 * s

    s = sc.event_step(0.0, q(0.0), 2.0, q(2.0), 1.0)
    assert 0.0 < s < 2.0 and q(s) < 1.0


def test_event_aiming_as_the_npp_solver_uses_it_lands_on_the_target():
    """A quantity Q(t) growing with time, steps of h: a step that passes the target by more
    than rtol is re-taken aimed by the secant over [last shorter, last overshooting]; an
    undershoot is accepted and aiming starts afresh from there."""
    target, rtol, h = 1.0, 1e-9, 0.3

    def Q(t):
        return t * t + 0.1 * t

    t, bracket, aimed, aims, attempts = 0.0, None, None, 0, 0
    while attempts < 100:
        attempts += 1
        step = aimed if aimed is not None else h
        q_old, q_new = Q(t), Q(t + step)
        if sc.event_passed(q_new, target, rtol):
            lo = (0.0, q_old) if bracket is None else bracket[0]
            bracket = (lo, (step, q_new))
            aimed = sc.event_step(*bracket[0], *bracket[1], target)
            aims += 1
            assert aims <= sc.MAX_EVENT_AIMS
            continue
        t += step
        if sc.event_reached(q_new, target, rtol):
            break
        if bracket is not None:
            bracket, aimed, aims = None, None, 0
    assert Q(t) == pytest.approx(target, rel=rtol)
    assert attempts < 30


@pytest.mark.parametrize(
    "name, args",
    [
        ("step_factor", (0.3,)),
        ("lands", (1.0, 2.0, 3.05, True)),
        ("step_after_accept", (2.0, 3.0, 2.5, True, False)),
        ("step_after_reject", (2.0, 0.5)),
        ("step_after_failure", (2.0,)),
        ("step_floor", (3.0,)),
        ("stop_passed", (2.0, 2.0)),
        ("output_due", (2.0, 1.9)),
        ("event_passed", (1.1, 1.0, 1e-9)),
        ("event_reached", (0.9, 1.0, 1e-9)),
        ("event_step", (0.0, 0.0, 2.0, 3.0, 1.5)),
    ],
)
def test_compiled_twins_agree(name, args):
    assert getattr(sc, name + "_jit")(*args) == getattr(sc, name)(*args)
