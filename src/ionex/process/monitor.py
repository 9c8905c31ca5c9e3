"""Real-time process monitor (docs/physics.md §3.9): follow a running furnace from its
temperature log, advance the diffusion equation with D(T(t)) exactly as far as the data
goes, and keep the latest prediction — composition, stress with relaxation, n_TE/n_TM,
mode counts, CS/DOL — and when a target will be reached.

    monitor = ProcessMonitor(recipe, target=Target("depth_of_layer", 20e-6))
    monitor.advance(times_s, temperatures_K)      # samples as they arrive, any number
    snap = monitor.snapshot()                     # the latest prediction

Rules (documented for users in the README):

* The monitored process is the recipe's single bath step; its temperature comes from the
  log and its length is "as far as the log goes". The recipe's own duration and
  temperature are the *plan*: they fix the mesh (process_grid of the planned recipe, so a
  run continued in pieces keeps one mesh) and the prediction horizon.
* Time zero is the first sample. Between samples T(t) is linear — the same rule as a
  recipe's temperature log in ``ionex run`` — so a drop-out in the log is bridged by
  interpolation (the io layer warns when a gap exceeds its limit).
* The target prediction continues the run from the present state at the last measured
  temperature, held, up to max(2 × plan, 2 × elapsed) of process time (at least an hour
  ahead). The time it is met is a root, not a grid point: the metric is evaluated on the
  solver's own steps of the continued run to bracket the first crossing (≤ COARSE
  evaluations, then a bisection over the steps), and inside that step the run length
  itself is bisected (a mode count, an integer) or Brent-solved (DOL, CS): the run from
  the step's start state over τ is re-solved for each trial τ, to TIME_RTOL of the time.
* A target crossed while advancing (a catch-up over a long log) is dated the same way
  from the solver's steps within the advance and the log itself — when it was crossed,
  not when the monitor noticed.
* The recipe's ``[output] times`` that the log has passed are kept (profiles at exactly
  those times), as ``ionex run --temperature-log`` keeps them.
* Memory and work stay bounded however long the log: each advance solves only its own
  samples (from the last one before it), and the temperature history kept — for the
  stress relaxation's clock, the live page and the state — is the last RECENT samples in
  full and at most THINNED evenly spread older ones (with the hottest and coldest), once
  it exceeds HISTORY samples. The relaxation clock samples at most 2000 points of any
  history anyway (TemperatureProgram.sample), so this changes no result of a log shorter
  than HISTORY samples and, beyond, CS only by the noise those quadratures average over.
* The state (profile, samples, time, outputs) is plain arrays: :meth:`state` and
  :meth:`from_state` let an interface checkpoint it; a resumed monitor continues bit for
  bit as it would have (the solver is deterministic).

Everything is SI (s, K, m, Pa).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from ..solvers.trackers import TrackerGroup
from .properties import History, compute_properties
from .recipe import Recipe, Step, Target
from .result import Result
from .simulate import process_grid, result_from_states, simulate
from .temperature import TemperatureProgram

__all__ = [
    "Target",
    "TargetPrediction",
    "MonitorSnapshot",
    "ProcessMonitor",
    "simulate_logged_process",
    "TIME_RTOL",
    "COARSE",
]

TIME_RTOL = 1e-4  # a crossing time is found to this fraction of the process time (36 s at 100 h)
COARSE = 24  # most metric evaluations of the first pass over a run's solver steps
HISTORY = 20000  # samples of temperature history kept in full; beyond, the older ones are thinned
RECENT = 5000  # the latest samples, always kept in full
THINNED = (
    10000  # older samples kept when thinning (evenly spread, plus the first, hottest and coldest)
)


@dataclass(frozen=True)
class TargetPrediction:
    """When the target is (or was) reached.

    Attributes:
        target: the Target.  current: the target's quantity now.
        reached: True when it has been reached (at ``time``, s since the first sample).
        time: predicted (or actual) time at which it is reached (s), NaN when not within
            the horizon.  horizon: how far ahead the prediction looked (s).
        assumed_temperature: the temperature held for the prediction (K).
    """

    target: Target
    current: float
    reached: bool
    time: float
    horizon: float
    assumed_temperature: float


@dataclass
class MonitorSnapshot:
    """The latest prediction (SI). Arrays are over ``depth`` (m), the exchanged face first.

    Attributes:
        time: s since the first sample.  temperature: last measured T (K).
        n_samples: samples taken.  depth, frac: composition profile.
        stress: σ (Pa) or None.  n_te, n_tm: index profiles or None.
        compressive_stress, depth_of_layer: CS (Pa) and DOL (m) (NaN without [stress]).
        mode_counts: {"TE": n, "TM": n} or None.  prediction: TargetPrediction or None.
        sample_times, sample_temperatures: the temperature history kept (s, K; see HISTORY).
    """

    time: float
    temperature: float
    n_samples: int
    depth: np.ndarray
    frac: np.ndarray
    stress: np.ndarray | None
    n_te: np.ndarray | None
    n_tm: np.ndarray | None
    compressive_stress: float
    depth_of_layer: float
    mode_counts: dict | None
    prediction: TargetPrediction | None
    sample_times: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    sample_temperatures: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))


def _check_recipe(recipe: Recipe) -> None:
    if not isinstance(recipe, Recipe):
        raise ValueError(
            "the monitor follows a binary interdiffusion recipe (not a Nernst–Planck–Poisson one)"
        )
    if len(recipe.steps) != 1 or recipe.steps[0].is_anneal:
        raise ValueError(
            f"the monitor follows one bath step; the recipe has {len(recipe.steps)} step(s)"
            + (" and its step is an anneal" if recipe.steps[0].is_anneal else "")
            + " — give the monitored bath as the only [[step]]"
        )
    if recipe.stress is not None and recipe.stress.relaxation == "hereditary":
        raise ValueError(
            'the monitor supports stress relaxation "kww" (docs/physics.md §3.2) or none, '
            'not "hereditary" (it would need the whole state history in every checkpoint)'
        )


def _logged_recipe(
    recipe: Recipe, times, temps, *, properties: bool = True, output_times=()
) -> Recipe:
    """The recipe with its bath step following the samples (times from 0, s; T in K)."""
    step = recipe.steps[0]
    times = np.asarray(times, float)
    program = TemperatureProgram(
        tuple((times - times[0]).tolist()), tuple(np.asarray(temps, float).tolist()), source="log"
    )
    duration = float(times[-1] - times[0])
    new = replace(
        recipe,
        steps=(
            Step(
                duration=duration,
                temperature=program,
                surface_fraction=step.surface_fraction,
                name=step.name,
            ),
        ),
        output_times=tuple(output_times),
    )
    return new if properties else replace(new, stress=None, optics=None)


def _outputs_within(recipe: Recipe, t0: float, t1: float, first: bool) -> np.ndarray:
    """The recipe's output times (s) in (t0, t1] — or [0, t1] for the first piece: the
    rule of one run's step (a time on a boundary belongs to the piece ending there)."""
    wanted = np.asarray(sorted(recipe.output_times), float)
    keep = (wanted <= t1 * (1 + 1e-12)) & ((wanted > t0) | (first & (wanted <= t0)))
    return wanted[keep]


def simulate_logged_process(recipe: Recipe, times, temperatures, *, tracker=None) -> Result:
    """The whole logged process in one run on the monitor's mesh (the planned recipe's):
    what ``ionex run --temperature-log`` computes, and the reference a monitor equals.
    The recipe's output times within the log are kept; those after its end cannot be.

    Args: recipe (the plan), times (s, increasing), temperatures (K), tracker (optional
        observer of the solver, e.g. a progress bar).
    """
    _check_recipe(recipe)
    grid = process_grid(recipe)
    times = np.asarray(times, float)
    outs = _outputs_within(recipe, 0.0, float(times[-1] - times[0]), True)
    return simulate(
        _logged_recipe(recipe, times, temperatures, output_times=outs), grid=grid, tracker=tracker
    )


class _StepsOnly:
    """Passes a solver's steps to ``tracker``; its initialize and finalize belong to whoever
    owns it (a catch-up of many advances), not to each run."""

    def __init__(self, tracker):
        self.tracker = tracker

    def initialize(self, total_time: float) -> None:
        pass

    def handle(self, time: float, state) -> None:
        self.tracker.handle(time, state)

    def finalize(self) -> None:
        pass


def _first_crossing(n: int, met) -> int | None:
    """The first index k in 1..n−1 with met(k) — state 0 does not meet the target — or
    None. A first pass looks at ≤ COARSE indices spread over the run (the solver's steps
    grow geometrically, so this is geometric in time), then bisects between the last one
    not met and the first one met."""
    if n < 2:
        return None
    coarse = np.unique(np.linspace(0, n - 1, min(n, COARSE + 1)).round().astype(int))
    lo = 0
    for k in coarse[1:]:
        if met(int(k)):
            hi = int(k)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if met(mid):
                    hi = mid
                else:
                    lo = mid
            return hi
        lo = int(k)
    return None


def _root_in_step(
    t_a: float, t_b: float, value_at, target: float, integer: bool, v_a: float, v_b: float
) -> float:
    """The time in (t_a, t_b] at which the metric reaches ``target``, given v_a < target ≤
    v_b at the ends; ``value_at(t)`` re-solves the run from t_a to t. A count (integer)
    is bisected to the first time it holds, to TIME_RTOL·t_b; a continuous metric is
    solved by Brent's method to the same tolerance."""
    tol = max(TIME_RTOL * t_b, 1e-9 * max(t_b, 1.0))
    if integer or not (math.isfinite(v_a) and math.isfinite(v_b)):
        lo, hi = t_a, t_b
        while hi - lo > tol:
            mid = 0.5 * (lo + hi)
            if value_at(mid) >= target:
                hi = mid
            else:
                lo = mid
        return hi
    from scipy.optimize import brentq

    known = {t_a: v_a, t_b: v_b}

    def g(t):
        v = known.get(t)
        if v is None:
            v = value_at(t)
        if not math.isfinite(v):  # e.g. no DOL yet: not reached
            return -1.0
        return v - target

    if g(t_b) == 0.0:
        return t_b
    return float(brentq(g, t_a, t_b, xtol=tol, rtol=4 * np.finfo(float).eps))


def new_samples(times, temperatures, taken: np.ndarray):
    """Log samples to advance by, as 1-D arrays (s, K), checked against the samples already
    ``taken``: same lengths, finite, T > 0 K, times increasing past the last one taken."""
    t = np.atleast_1d(np.asarray(times, float))
    T = np.atleast_1d(np.asarray(temperatures, float))
    if t.shape != T.shape or t.ndim != 1:
        raise ValueError("times and temperatures must be 1-D and of the same length")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(T)) and np.all(T > 0)):
        raise ValueError("samples must be finite with T > 0 K")
    if np.any(np.diff(t) <= 0) or (taken.size and t.size and t[0] <= taken[-1]):
        raise ValueError("sample times must increase strictly and follow the samples already taken")
    return t, T


def thinned_history(times: np.ndarray, temperatures: np.ndarray):
    """The temperature history kept once it passes HISTORY samples: the last RECENT in full,
    THINNED evenly spread older ones, the first, the hottest and the coldest (module
    docstring). Returns (times s, temperatures K), unchanged when short enough."""
    n = times.size
    if n <= HISTORY:
        return times, temperatures
    old = n - RECENT
    t_old = temperatures[:old]
    keep = np.unique(
        np.concatenate(
            [
                np.linspace(0, old - 1, THINNED).round().astype(int),
                [0, int(np.argmin(t_old)), int(np.argmax(t_old))],
                np.arange(old, n),
            ]
        )
    )
    return times[keep], temperatures[keep]


class ProcessMonitor:
    """Advance a bath step sample by sample; see the module docstring for the rules."""

    def __init__(self, recipe: Recipe, *, target: Target | None = None):
        _check_recipe(recipe)
        self.recipe = recipe
        self.target = target if target is not None else recipe.target
        self.grid = process_grid(recipe)
        self.frac = np.zeros(self.grid.n_cells)
        self.sample_times = np.zeros(0)  # the history kept (see HISTORY): log times (s)
        self.sample_temperatures = np.zeros(0)  # and temperatures (K)
        self.n_samples = 0  # samples taken in all
        self.reached_at = math.nan
        self.output_times = np.zeros(0)  # the recipe's output times passed so far (s)
        self.output_states = np.zeros((0, self.grid.n_cells))  # χ per cell at each of them
        self._result: Result | None = None
        self._snapshot: MonitorSnapshot | None = None

    # ------------------------------------------------------------------ state
    @property
    def time(self) -> float:
        """Process time reached (s since the first sample)."""
        return (
            float(self.sample_times[-1] - self.sample_times[0]) if self.sample_times.size else 0.0
        )

    def state(self) -> dict:
        """Everything needed to resume: arrays and floats only."""
        return {
            "frac": self.frac.copy(),
            "sample_times": self.sample_times.copy(),
            "sample_temperatures": self.sample_temperatures.copy(),
            "reached_at": float(self.reached_at),
            "n_cells": int(self.grid.n_cells),
            "output_times": self.output_times.copy(),
            "output_states": self.output_states.copy(),
            "n_samples": int(self.n_samples),
        }

    @classmethod
    def from_state(
        cls, recipe: Recipe, state: dict, *, target: Target | None = None
    ) -> ProcessMonitor:
        """A monitor continuing from :meth:`state` (the recipe must be the same plan)."""
        m = cls(recipe, target=target)
        frac = np.asarray(state["frac"], float)
        saved_cells = int(state.get("n_cells", frac.size))
        if frac.shape != (saved_cells,):
            raise ValueError(
                f"the saved state holds {frac.size} cell values but says it has {saved_cells} cells"
            )
        if saved_cells != m.grid.n_cells:
            raise ValueError(
                f"the saved state is on a mesh of {saved_cells} cells; this recipe's mesh has "
                f"{m.grid.n_cells}: it was saved for a different recipe or ionex version"
            )
        m.frac = frac.copy()
        m.sample_times = np.asarray(state["sample_times"], float).copy()
        m.sample_temperatures = np.asarray(state["sample_temperatures"], float).copy()
        m.n_samples = int(state.get("n_samples") or m.sample_times.size)
        m.reached_at = float(state.get("reached_at", math.nan))
        m.output_times = np.asarray(state.get("output_times", np.zeros(0)), float).copy()
        m.output_states = (
            np.asarray(state.get("output_states", np.zeros((0, m.grid.n_cells))), float)
            .reshape(-1, m.grid.n_cells)
            .copy()
        )
        return m

    # ------------------------------------------------------------------ advancing
    def advance(self, times, temperatures, *, tracker=None) -> int:
        """Take new samples (log times in s, strictly increasing and later than every
        sample so far; T in K > 0) and integrate up to the last one. Returns how many were
        taken. The io layer cleans the log (duplicates, disorder, NaN) before this.

        ``tracker`` (initialize/handle/finalize, e.g. a progress bar) receives the solver's
        steps with times in s from the start of this advance; it is not initialised or
        finalised here. A target crossed within the advance is dated (:attr:`reached_at`)."""
        t, T = new_samples(times, temperatures, self.sample_times)
        if t.size == 0:
            return 0
        first = self.sample_times.size == 0
        origin = t[0] if first else self.sample_times[0]
        if first:  # the first sample is time zero
            seg_t, seg_T = t, T
        else:
            seg_t = np.concatenate([[self.sample_times[-1]], t])
            seg_T = np.concatenate([[self.sample_temperatures[-1]], T])
        t0, t1 = float(seg_t[0] - origin), float(seg_t[-1] - origin)
        outs = _outputs_within(self.recipe, t0, t1, first)
        frac, out_times, out_states = self.frac, list(self.output_times), list(self.output_states)
        watch = self._watching()
        history = History() if watch else None
        if first:
            for o in outs[outs <= 0.0]:  # an output at time zero: the state before the exchange
                out_times.append(float(o))
                out_states.append(frac.copy())
        if seg_t.size >= 2:
            rel = outs[outs > t0] - t0
            segment = _logged_recipe(self.recipe, seg_t, seg_T, properties=False, output_times=rel)
            trackers = [
                tr
                for tr in (None if tracker is None else _StepsOnly(tracker), history)
                if tr is not None
            ]
            result = simulate(
                segment,
                initial=frac,
                grid=self.grid,
                tracker=TrackerGroup(trackers) if trackers else None,
            )
            n = self.grid.n_cells
            for o in rel:
                k = int(np.argmin(np.abs(result.times - o)))
                out_times.append(float(o + t0))
                out_states.append(result.frac_incoming[k, :n].copy())
            frac = result.frac_incoming[-1, :n].copy()
        start_state = self.frac
        # commit everything together
        self.frac = frac
        self.sample_times = np.concatenate([self.sample_times, t])
        self.sample_temperatures = np.concatenate([self.sample_temperatures, T])
        self.n_samples += int(t.size)
        self.output_times = np.asarray(out_times, float)
        self.output_states = np.asarray(out_states, float).reshape(-1, self.grid.n_cells)
        self._snapshot = None
        if watch and seg_t.size >= 2:
            self._date_crossing(seg_t - origin, seg_T, start_state, history)
        self._thin_history()
        return int(t.size)

    def _thin_history(self) -> None:
        self.sample_times, self.sample_temperatures = thinned_history(
            self.sample_times, self.sample_temperatures
        )

    # ------------------------------------------------------------------ the target's metric
    def _watching(self) -> bool:
        """Is there a target, not reached yet, that this recipe can evaluate?"""
        if self.target is None or math.isfinite(self.reached_at):
            return False
        return self.target.measurable(self.recipe)

    def _metric(self, recipe: Recipe, times, states) -> np.ndarray:
        """The target's quantity (SI; a mode count for modes_*) at each (time, state) under
        ``recipe`` (a recipe whose temperatures cover those times: the stress relaxation
        integrates them). Only what the target needs is computed (no modes but the target's
        own count, of one polarisation: Target.measure)."""
        result = self._result_for(
            recipe, np.atleast_1d(np.asarray(times, float)), np.atleast_2d(states)
        )
        props = compute_properties(result, modes=False)
        return np.array(
            [self.target.measure(result, props, k) for k in range(result.times.size)], float
        )

    def _crossing(
        self, times, states, value_0: float | None, recipe: Recipe, rerun
    ) -> float | None:
        """The first time the target is met along a run: ``times`` (s, absolute) and
        ``states`` are the run's start and its solver steps; ``rerun(k, t)`` is the state at
        t re-solved from state k. None when it is not met."""
        target = self.target
        cache: dict[int, float] = {} if value_0 is None else {0: value_0}

        def value(k):
            if k not in cache:
                cache[k] = float(self._metric(recipe, [times[k]], states[k][None, :])[0])
            return cache[k]

        if value(0) >= target.value:
            return float(times[0])
        k = _first_crossing(len(times), lambda j: value(j) >= target.value)
        if k is None:
            return None
        t_a, t_b = float(times[k - 1]), float(times[k])

        def value_at(t):
            return float(self._metric(recipe, [t], rerun(k - 1, t)[None, :])[0])

        return _root_in_step(
            t_a,
            t_b,
            value_at,
            target.value,
            target.whole,
            value(k - 1),
            value(k),
        )

    def _date_crossing(self, seg_t, seg_T, start_state, history: History) -> None:
        """Date a target crossed within the last advance (process times seg_t from 0, s)
        from the solver's steps of that advance; the run between them is re-solved on the
        log itself."""
        end = self._metric_now_recipe()
        now_value = float(self._metric(end, [self.time], self.frac[None, :])[0])
        if not now_value >= self.target.value:
            return
        t0 = float(seg_t[0])
        times = np.concatenate([[t0], t0 + np.asarray(history.times, float)])
        states = [start_state] + [np.asarray(y) for y in history.states]
        times[-1], states[-1] = self.time, self.frac  # the last step lands on the end exactly

        def rerun(k, t):
            a = float(times[k])
            inside = (seg_t > a) & (seg_t < t)
            pts = np.concatenate([[a], seg_t[inside], [t]])
            temps = np.interp(pts, seg_t, seg_T)
            piece = _logged_recipe(self.recipe, pts, temps, properties=False)
            return simulate(piece, initial=states[k], grid=self.grid).frac_incoming[
                -1, : self.grid.n_cells
            ]

        hit = self._crossing(times, states, None, end, rerun)
        self.reached_at = float(hit) if hit is not None else self.time

    def _metric_now_recipe(self) -> Recipe:
        if self.sample_times.size >= 2:
            return _logged_recipe(self.recipe, self.sample_times, self.sample_temperatures)
        T0 = (
            self.sample_temperatures[0]
            if self.sample_times.size
            else self.recipe.steps[0].temperature(0.0)
        )
        step = replace(
            self.recipe.steps[0], duration=1e-9, temperature=TemperatureProgram.constant(float(T0))
        )
        return replace(self.recipe, steps=(step,), output_times=())

    # ------------------------------------------------------------------ predictions
    def _result_now(self) -> Result:
        """A Result holding the present state, under the recipe of the process so far."""
        return self._result_for(
            self._metric_now_recipe(), np.array([self.time]), self.frac[None, :]
        )

    def result(self) -> Result:
        """The monitored process as ``ionex run --temperature-log`` gives it: the profiles at
        the recipe's output times passed so far and now, with the recipe's properties."""
        recipe = self._metric_now_recipe()
        keep = self.output_times < self.time - 1e-9 * max(self.time, 1.0)
        times = np.append(self.output_times[keep], self.time)
        states = np.vstack([self.output_states[keep], self.frac[None, :]])
        recipe = replace(recipe, output_times=tuple(self.output_times.tolist()))
        result = self._result_for(recipe, times, states)
        result.diagnostics = {"cells": self.grid.n_cells, "samples": int(self.n_samples)}
        if recipe.stress is not None or recipe.optics is not None:
            result.properties = compute_properties(result)
        return result

    def _result_for(self, recipe: Recipe, times, states) -> Result:
        n = np.size(times)
        chi_s = recipe.steps[0].surface_fraction
        states = np.asarray(states, float)
        # the bath holds χ_s throughout, so the uptake is the inflow (conservation)
        inflow = states @ self.grid.volumes
        return result_from_states(
            recipe, self.grid, times, states, np.zeros(n, int), np.full(n, chi_s), inflow
        )

    def predict(self, current: float) -> TargetPrediction:
        """When the target is reached, holding the last measured temperature."""
        target = self.target
        if self.sample_times.size:
            t_hist, T_hist = self.sample_times - self.sample_times[0], self.sample_temperatures
        else:  # nothing logged yet: the plan's temperature
            t_hist, T_hist = np.zeros(1), np.array([float(self.recipe.steps[0].temperature(0.0))])
        T_hold = float(T_hist[-1])
        now = self.time
        plan = self.recipe.steps[0].duration
        end = max(2.0 * plan, 2.0 * now, now + 3600.0)
        horizon = end - now
        if math.isfinite(self.reached_at):
            return TargetPrediction(target, current, True, self.reached_at, horizon, T_hold)
        if current >= target.value:  # not dated while advancing (e.g. nothing integrated yet)
            self.reached_at = now
            return TargetPrediction(target, current, True, now, horizon, T_hold)
        # the future at T_hold: the samples so far, then the held temperature
        future = _logged_recipe(self.recipe, np.append(t_hist, end), np.append(T_hist, T_hold))
        held = History()
        simulate(
            _logged_recipe(self.recipe, [now, end], [T_hold, T_hold], properties=False),
            initial=self.frac,
            grid=self.grid,
            tracker=held,
        )
        times = np.concatenate([[now], now + np.asarray(held.times, float)])
        times[-1] = end
        states = [self.frac] + [np.asarray(y) for y in held.states]

        def rerun(k, t):
            piece = _logged_recipe(self.recipe, [times[k], t], [T_hold, T_hold], properties=False)
            return simulate(piece, initial=states[k], grid=self.grid).frac_incoming[
                -1, : self.grid.n_cells
            ]

        hit = self._crossing(times, states, current, future, rerun)
        if hit is None:
            return TargetPrediction(target, current, False, math.nan, horizon, T_hold)
        return TargetPrediction(target, current, False, float(hit), horizon, T_hold)

    def snapshot(self) -> MonitorSnapshot:
        """The latest prediction (cached until the next advance)."""
        if self._snapshot is not None:
            return self._snapshot
        result = self._result_now()
        props = (
            compute_properties(result)
            if (self.recipe.stress is not None or self.recipe.optics is not None)
            else None
        )
        metrics = props.metrics[0] if props is not None and props.metrics else None
        prediction = None
        if self.target is not None:
            self.target.check_recipe(self.recipe)
            prediction = self.predict(self.target.measure(result, props, 0))
        T = float(self.sample_temperatures[-1]) if self.sample_temperatures.size else math.nan
        self._snapshot = MonitorSnapshot(
            time=self.time,
            temperature=T,
            n_samples=int(self.n_samples),
            depth=result.depth,
            frac=result.frac_incoming[0],
            stress=None if props is None or props.stress is None else props.stress[0],
            n_te=None if props is None or props.n_te is None else props.n_te[0],
            n_tm=None if props is None or props.n_tm is None else props.n_tm[0],
            compressive_stress=metrics.compressive_stress if metrics else math.nan,
            depth_of_layer=metrics.depth_of_layer if metrics else math.nan,
            mode_counts=None
            if props is None or props.mode_counts is None
            else {k: int(v[0]) for k, v in props.mode_counts.items()},
            prediction=prediction,
            sample_times=self.sample_times
            - (self.sample_times[0] if self.sample_times.size else 0.0),
            sample_temperatures=self.sample_temperatures.copy(),
        )
        return self._snapshot
