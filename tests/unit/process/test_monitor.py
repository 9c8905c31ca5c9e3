"""The process monitor (docs/physics.md §3.9): piecewise advance vs one run, resume,
target prediction, and what it refuses."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ionex.io.recipe import load_recipe, parse_recipe
from ionex.process.monitor import ProcessMonitor, simulate_logged_process
from ionex.process.recipe import Numerics, Target
from ionex.process.simulate import simulate

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "monitor_bk7.toml"


def plan(hours=12.0, rtol=1e-3, atol=1e-5):
    r = load_recipe(EXAMPLE)
    step = replace(r.steps[0], duration=hours * 3600.0)
    return replace(r, steps=(step,), numerics=replace(r.numerics, rtol=rtol, atol=atol))


def log(hours=12.0, every=60.0, seed=3):
    t = np.arange(0.0, hours * 3600.0 + 1.0, every)
    T = (
        673.15
        + 2.0 * np.sin(t / 7200.0)
        + 0.3 * np.random.default_rng(seed).standard_normal(t.size)
    )
    return t, T


@pytest.mark.parametrize("rtol, atol, bound", [(1e-3, 1e-5, 5e-5), (1e-5, 1e-7, 8e-7)])
def test_advancing_in_pieces_equals_one_run_to_solver_tolerance(rtol, atol, bound):
    """Measured max |Δχ| between 8 pieces and one run over a noisy 12 h log: 1.2e-5,
    1.6e-6, 1.8e-7, 1.9e-8 at atol 1e-5 … 1e-8 (rtol 100 atol) — ≈ 1.2–1.9 atol, falling
    with the tolerance, so it is time-integration error only (the reduced clock integrates
    the log exactly; sampling D(T(t)) at stage times left 2–6e-5 at every tolerance).
    Bounds ≈ 4× the measured values."""
    r = plan(rtol=rtol, atol=atol)
    t, T = log()
    ref = simulate_logged_process(r, t, T)
    m = ProcessMonitor(r)
    cuts = [0, 1, 2, 30, 100, 101, 400, 700, t.size]
    for a, b in zip(cuts[:-1], cuts[1:]):
        m.advance(t[a:b], T[a:b])
    n = m.grid.n_cells
    assert np.max(np.abs(m.frac - ref.frac_incoming[-1, :n])) < bound
    assert m.time == pytest.approx(12 * 3600.0)


def test_the_logged_run_is_the_recipe_run_at_a_constant_log():
    """A flat log gives what `ionex run` gives for the planned recipe (same mesh)."""
    r = plan(rtol=1e-6, atol=1e-8)
    t = np.array([0.0, 12 * 3600.0])
    logged = simulate_logged_process(r, t, np.full(2, 673.15))
    planned = simulate(replace(r, output_times=()))
    np.testing.assert_allclose(logged.frac_incoming[-1], planned.frac_incoming[-1], atol=1e-12)


def test_resuming_from_the_saved_state_is_exact():
    r = plan()
    t, T = log()
    whole = ProcessMonitor(r)
    whole.advance(t[:300], T[:300])
    whole.advance(t[300:], T[300:])
    first = ProcessMonitor(r)
    first.advance(t[:300], T[:300])
    resumed = ProcessMonitor.from_state(r, first.state())
    resumed.advance(t[300:], T[300:])
    np.testing.assert_array_equal(resumed.frac, whole.frac)
    np.testing.assert_array_equal(resumed.sample_times, whole.sample_times)


def test_snapshot_has_the_recipes_properties():
    m = ProcessMonitor(plan())
    t, T = log()
    m.advance(t, T)
    s = m.snapshot()
    assert s.time == pytest.approx(12 * 3600.0) and s.temperature == T[-1] and s.n_samples == t.size
    assert s.compressive_stress > 1e8 and 1e-6 < s.depth_of_layer < 1e-4
    assert s.mode_counts["TE"] >= 1 and s.n_te[0] > s.n_te[s.n_te.size // 2]  # surface vs mid-plane


def first_time(holds, lo, hi, tol):
    """The first duration in (lo, hi] at which ``holds`` (a count reached), by bisection to
    ``tol`` s: holds(lo) is False and holds(hi) True."""
    assert not holds(lo) and holds(hi)
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if holds(mid) else (mid, hi)
    return hi


def held_run(r, t, T, duration):
    """A plain run of the log (t, T) then its last temperature held, to ``duration`` s."""
    k = int(np.searchsorted(t, duration))
    t_run = np.append(t[:k], duration)
    T_run = np.append(T[:k], np.interp(duration, t, T) if duration <= t[-1] else T[-1])
    return simulate_logged_process(r, t_run, T_run)


def test_prediction_of_a_depth_of_layer_is_where_the_held_run_reaches_it():
    """A continuous target: the time at which plain runs of the logged history then the
    last temperature held reach DOL = 11 µm (Brent's method on their length, to 1 s) is the
    predicted time, within 0.5 %. Measured: 2e-5."""
    from scipy.optimize import brentq

    r = plan()
    t, T = log(hours=6.0)
    m = ProcessMonitor(r, target=Target("depth_of_layer", 11e-6))
    m.advance(t, T)
    s = m.snapshot()
    p = s.prediction
    assert not p.reached and s.depth_of_layer < 11e-6 and s.time < p.time < s.time + p.horizon

    def dol_after(duration):
        return held_run(r, t, T, duration).properties.metrics[-1].depth_of_layer - 11e-6

    reached = brentq(dol_after, t[-1], s.time + p.horizon, xtol=1.0)
    assert p.time == pytest.approx(reached, rel=5e-3)


def test_the_predicted_time_of_a_mode_agrees_from_every_cut_of_a_constant_log():
    """The example's target, 10 TE modes, at a constant 400 °C. Independently: plain runs
    of the recipe (what `ionex run` does, on each run's own mesh, nothing of the monitor),
    bisected on their duration to 60 s: the 10th mode appears at 127.16 h. The monitor fed
    the log cut at 20 … 55 h must predict it within 0.5 % from every cut — measured
    2e-5 … 7e-5 (the 24-snapshot grid it replaced said: not within the horizon, 130, 140,
    145, 150, 129 h)."""
    r = load_recipe(EXAMPLE)

    def ten_modes_after(duration):
        run = simulate(replace(r, steps=(replace(r.steps[0], duration=duration),), output_times=()))
        return run.properties.mode_counts["TE"][-1] >= 10

    appears = first_time(ten_modes_after, 50 * 3600.0, 200 * 3600.0, 60.0)
    t = np.arange(0.0, 55 * 3600.0 + 1.0, 600.0)
    T = np.full(t.size, 673.15)
    for cut in (20, 30, 40, 45, 50, 55):
        m = ProcessMonitor(r)
        k = int(np.searchsorted(t, cut * 3600.0, side="right"))
        m.advance(t[:k], T[:k])
        p = m.snapshot().prediction
        assert not p.reached and m.snapshot().mode_counts["TE"] < 10
        assert p.time == pytest.approx(appears, rel=5e-3), (cut, p.time / 3600, appears / 3600)


@pytest.mark.parametrize("kind, value", [("modes_TE", 5), ("depth_of_layer", 15e-6)])
def test_a_target_crossed_during_a_catch_up_is_dated_when_it_was_crossed(kind, value):
    """One advance over 40 h of a noisy log (a catch-up) crosses the target inside: it is
    dated from the solver's steps within the advance, not at the end. Independently: plain
    runs of the log cut at a trial time (T interpolated there), bisected on that time to
    10 s for the mode count, Brent-solved to 1 s for the DOL. Within 0.5 %; measured
    4e-5 (mode) and 8e-6 (DOL)."""
    from scipy.optimize import brentq

    r = plan(hours=40.0)
    t = np.arange(0.0, 40 * 3600.0 + 1.0, 60.0)
    T = 673.15 + 3.0 * np.sin(t / 20000.0) + 0.3 * np.random.default_rng(5).standard_normal(t.size)
    m = ProcessMonitor(r, target=Target(kind, value))
    m.advance(t, T)
    p = m.snapshot().prediction
    assert p.reached and p.time < 0.9 * m.time
    if kind == "modes_TE":
        crossed = first_time(
            lambda d: held_run(r, t, T, d).properties.mode_counts["TE"][-1] >= value,
            3600.0,
            t[-1],
            10.0,
        )
    else:
        crossed = brentq(
            lambda d: held_run(r, t, T, d).properties.metrics[-1].depth_of_layer - value,
            3600.0,
            t[-1],
            xtol=1.0,
        )
    assert p.time == pytest.approx(crossed, rel=5e-3)


def test_a_reached_target_stays_reached_and_an_unreachable_one_says_so():
    r = plan()
    t, T = log()
    m = ProcessMonitor(r, target=Target("modes_TE", 1))
    m.advance(t[:200], T[:200])
    first = m.snapshot().prediction
    assert first.reached and 0 < first.time < t[199]  # dated when the mode appeared, not when seen
    m.advance(t[200:], T[200:])
    p = m.snapshot().prediction
    assert p.reached and p.time == first.time
    far = ProcessMonitor(r, target=Target("modes_TE", 500))
    far.advance(t, T)
    p = far.snapshot().prediction
    assert not p.reached and math.isnan(p.time) and p.horizon >= 12 * 3600.0


@pytest.mark.parametrize(
    "edit, words",
    [
        (lambda r: replace(r, steps=r.steps * 2), "one bath step"),
        (
            lambda r: replace(r, stress=replace(r.stress, relaxation="hereditary")),
            'not "hereditary"',
        ),
    ],
)
def test_what_the_monitor_refuses(edit, words):
    r = plan()
    with pytest.raises(ValueError, match=words):
        ProcessMonitor(edit(r))


def test_samples_must_move_forward_and_state_must_fit_the_recipe():
    r = plan()
    m = ProcessMonitor(r)
    m.advance([0.0, 60.0], [673.0, 673.0])
    with pytest.raises(ValueError, match="increase strictly"):
        m.advance([30.0], [673.0])
    with pytest.raises(ValueError, match="T > 0 K"):
        m.advance([120.0], [float("nan")])
    other = replace(r, numerics=Numerics(cells_per_efold=30.0))
    with pytest.raises(ValueError, match="different recipe"):
        ProcessMonitor.from_state(other, m.state())


def test_target_needs_the_matching_recipe_block():
    text = EXAMPLE.read_text().split("[stress]")[0] + '\n[target]\ndepth_of_layer = "20 um"\n'
    r = parse_recipe(text, "no_stress.toml")
    m = ProcessMonitor(replace(r, steps=(replace(r.steps[0], duration=3600.0),)))
    m.advance([0.0, 600.0], [673.0, 673.0])
    with pytest.raises(ValueError, match=r"needs a \[stress\] block"):
        m.snapshot()


def test_each_target_kind_knows_its_section_its_count_and_its_measure():
    """Target kinds carry their behaviour: the recipe section that computes them, whether
    they count (modes: reached at a jump), and how to read them from a run's properties."""
    from types import SimpleNamespace

    from ionex.process.recipe import TARGET_KINDS

    r = plan()
    assert r.stress is not None and r.optics is not None
    bare = replace(r, stress=None, optics=None)
    props = SimpleNamespace(
        metrics=[SimpleNamespace(depth_of_layer=12e-6, compressive_stress=6e8)],
        mode_counts={"TE": [3], "TM": [2]},
    )
    expected = {
        "depth_of_layer": ("stress", False, 12e-6),
        "compressive_stress": ("stress", False, 6e8),
        "modes_TE": ("optics", True, 3.0),
        "modes_TM": ("optics", True, 2.0),
    }
    assert set(TARGET_KINDS) == set(expected)
    for kind, (section, whole, value) in expected.items():
        target = Target(kind, 1.0)
        assert target.whole is whole and target.measure(None, props, 0) == value
        assert target.measurable(r) and not target.measurable(bare)
        target.check_recipe(r)
        article = "an" if section == "optics" else "a"
        with pytest.raises(ValueError, match=rf"target {kind} needs {article} \[{section}\] block"):
            target.check_recipe(bare)
    # without the modes among the properties, a mode target counts its own polarisation
    result = simulate(replace(r, output_times=(3600.0,)))
    from ionex.process.properties import compute_properties

    with_modes, without = compute_properties(result), compute_properties(result, modes=False)
    for kind in ("modes_TE", "modes_TM"):
        k = result.times.size - 1
        assert Target(kind, 1.0).measure(result, without, k) == Target(kind, 1.0).measure(
            result, with_modes, k
        )
