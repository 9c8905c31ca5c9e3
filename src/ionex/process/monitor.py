"""Real-time process monitor (physics.md §3.3, eq. 11): follow a running furnace from its
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
  temperature, held, over a horizon of max(plan, elapsed) (at least an hour).
* The state (profile, samples, time) is plain arrays: :meth:`state` and :meth:`from_state`
  let an interface checkpoint it; a resumed monitor continues bit for bit as it would
  have (the solver is deterministic).

Everything is SI (s, K, m, Pa).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from .properties import compute_properties
from .recipe import Recipe, Step, Target
from .result import Result
from .simulate import process_grid, result_from_states, simulate
from .temperature import TemperatureProgram

__all__ = ["Target", "TargetPrediction", "MonitorSnapshot", "ProcessMonitor", "simulate_logged_process"]

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
        n_samples: samples used.  depth, frac: composition profile.
        stress: σ (Pa) or None.  n_te, n_tm: index profiles or None.
        compressive_stress, depth_of_layer: CS (Pa) and DOL (m) (NaN without [stress]).
        mode_counts: {"TE": n, "TM": n} or None.  prediction: TargetPrediction or None.
        sample_times, sample_temperatures: the whole temperature history (s, K).
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
        raise ValueError("the monitor follows a binary interdiffusion recipe (not a Nernst–Planck–Poisson one)")
    if len(recipe.steps) != 1 or recipe.steps[0].is_anneal:
        raise ValueError(f"the monitor follows one bath step; the recipe has {len(recipe.steps)} step(s)"
                         + (" and its step is an anneal" if recipe.steps[0].is_anneal else "")
                         + " — give the monitored bath as the only [[step]]")
    if recipe.stress is not None and recipe.stress.relaxation == "hereditary":
        raise ValueError('the monitor supports stress relaxation "kww" (physics.md §3.3) or none, '
                         'not "hereditary" (it would need the whole state history in every checkpoint)')


def _logged_recipe(recipe: Recipe, times, temps, *, properties: bool = True) -> Recipe:
    """The recipe with its bath step following the samples (times from 0, s; T in K)."""
    step = recipe.steps[0]
    times = np.asarray(times, float)
    program = TemperatureProgram(tuple(times - times[0]), tuple(np.asarray(temps, float)), source="log")
    duration = float(times[-1] - times[0])
    new = replace(recipe, steps=(Step(duration=duration, temperature=program, surface_fraction=step.surface_fraction,
                                      name=step.name),), output_times=())
    return new if properties else replace(new, stress=None, optics=None)


def simulate_logged_process(recipe: Recipe, times, temperatures) -> Result:
    """The whole logged process in one run on the monitor's mesh (the planned recipe's):
    what ``ionex run --temperature-log`` computes, and the reference a monitor equals.

    Args: recipe (the plan), times (s, increasing), temperatures (K).
    """
    _check_recipe(recipe)
    grid = process_grid(recipe)
    return simulate(_logged_recipe(recipe, times, temperatures), grid=grid)


class ProcessMonitor:
    """Advance a bath step sample by sample; see the module docstring for the rules."""

    def __init__(self, recipe: Recipe, *, target: Target | None = None):
        _check_recipe(recipe)
        self.recipe = recipe
        self.target = target if target is not None else recipe.target
        self.grid = process_grid(recipe)
        self.frac = np.zeros(self.grid.n_cells)
        self.sample_times = np.zeros(0)
        self.sample_temperatures = np.zeros(0)
        self.reached_at = math.nan
        self._result: Result | None = None
        self._snapshot: MonitorSnapshot | None = None

    # ------------------------------------------------------------------ state
    @property
    def time(self) -> float:
        """Process time reached (s since the first sample)."""
        return float(self.sample_times[-1] - self.sample_times[0]) if self.sample_times.size else 0.0

    def state(self) -> dict:
        """Everything needed to resume: arrays and floats only."""
        return {"frac": self.frac.copy(), "sample_times": self.sample_times.copy(),
                "sample_temperatures": self.sample_temperatures.copy(), "reached_at": float(self.reached_at),
                "n_cells": int(self.grid.n_cells)}

    @classmethod
    def from_state(cls, recipe: Recipe, state: dict, *, target: Target | None = None) -> ProcessMonitor:
        """A monitor continuing from :meth:`state` (the recipe must be the same plan)."""
        m = cls(recipe, target=target)
        frac = np.asarray(state["frac"], float)
        if frac.shape != (m.grid.n_cells,) or int(state.get("n_cells", -1)) != m.grid.n_cells:
            raise ValueError(f"the saved state has {frac.size} cells but this recipe's mesh has {m.grid.n_cells}: "
                             "it was saved for a different recipe")
        m.frac = frac.copy()
        m.sample_times = np.asarray(state["sample_times"], float).copy()
        m.sample_temperatures = np.asarray(state["sample_temperatures"], float).copy()
        m.reached_at = float(state.get("reached_at", math.nan))
        return m

    # ------------------------------------------------------------------ advancing
    def advance(self, times, temperatures) -> int:
        """Take new samples (log times in s, strictly increasing and later than every
        sample so far; T in K > 0) and integrate up to the last one. Returns how many were
        taken. The io layer cleans the log (duplicates, disorder, NaN) before this."""
        t = np.atleast_1d(np.asarray(times, float))
        T = np.atleast_1d(np.asarray(temperatures, float))
        if t.shape != T.shape:
            raise ValueError("times and temperatures must have the same length")
        if t.size == 0:
            return 0
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(T)) and np.all(T > 0)):
            raise ValueError("samples must be finite with T > 0 K")
        if np.any(np.diff(t) <= 0) or (self.sample_times.size and t[0] <= self.sample_times[-1]):
            raise ValueError("sample times must increase strictly and follow the samples already taken")
        if self.sample_times.size:
            seg_t = np.concatenate([[self.sample_times[-1]], t])
            seg_T = np.concatenate([[self.sample_temperatures[-1]], T])
        else:  # the first sample is time zero
            seg_t, seg_T = t, T
        if seg_t.size >= 2:
            segment = _logged_recipe(self.recipe, seg_t, seg_T, properties=False)
            result = simulate(segment, initial=self.frac, grid=self.grid)
            self.frac = result.frac_incoming[-1, : self.grid.n_cells].copy()
        self.sample_times = np.concatenate([self.sample_times, t])
        self.sample_temperatures = np.concatenate([self.sample_temperatures, T])
        self._snapshot = None
        return int(t.size)

    # ------------------------------------------------------------------ predictions
    def _result_now(self) -> Result:
        """A Result holding the present state, under the recipe of the process so far."""
        recipe = self.recipe
        if self.sample_times.size >= 2:
            recipe = _logged_recipe(recipe, self.sample_times, self.sample_temperatures)
        else:
            T0 = self.sample_temperatures[0] if self.sample_times.size else recipe.steps[0].temperature(0.0)
            step = replace(recipe.steps[0], duration=1e-9, temperature=TemperatureProgram.constant(float(T0)))
            recipe = replace(recipe, steps=(step,), output_times=())
        return self._result_for(recipe, np.array([self.time]), self.frac[None, :])

    def _result_for(self, recipe: Recipe, times, states) -> Result:
        n = np.size(times)
        chi_s = recipe.steps[0].surface_fraction
        states = np.asarray(states, float)
        # the bath holds χ_s throughout, so the uptake is the inflow (conservation)
        inflow = states @ self.grid.volumes
        return result_from_states(recipe, self.grid, times, states, np.zeros(n, int), np.full(n, chi_s), inflow)

    @staticmethod
    def _measure(kind: str, props, k: int) -> float:
        if kind == "depth_of_layer":
            return props.metrics[k].depth_of_layer if props.metrics else math.nan
        if kind == "compressive_stress":
            return props.metrics[k].compressive_stress if props.metrics else math.nan
        pol = kind.split("_")[1]
        return float(props.mode_counts[pol][k]) if props.mode_counts else math.nan

    def _needs(self) -> None:
        kind = self.target.kind
        if kind in ("depth_of_layer", "compressive_stress") and self.recipe.stress is None:
            raise ValueError(f"the target {kind} needs a [stress] block in the recipe")
        if kind.startswith("modes") and self.recipe.optics is None:
            raise ValueError(f"the target {kind} needs an [optics] block in the recipe")

    def predict(self, current: float) -> TargetPrediction:
        """When the target is reached, holding the last measured temperature."""
        target = self.target
        if self.sample_times.size:
            t_hist, T_hist = self.sample_times - self.sample_times[0], self.sample_temperatures
        else:  # nothing logged yet: the plan's temperature
            t_hist, T_hist = np.zeros(1), np.array([float(self.recipe.steps[0].temperature(0.0))])
        T_hold = float(T_hist[-1])
        now = self.time
        horizon = max(self.recipe.steps[0].duration, now, 3600.0)
        if math.isfinite(self.reached_at):
            return TargetPrediction(target, current, True, self.reached_at, horizon, T_hold)
        if current >= target.value:
            self.reached_at = now
            return TargetPrediction(target, current, True, now, horizon, T_hold)
        # the future at T_hold: the samples so far, then the held temperature
        future = _logged_recipe(self.recipe, np.append(t_hist, now + horizon), np.append(T_hist, T_hold))
        ahead = now + horizon * np.geomspace(1e-3, 1.0, 24)
        run = simulate(replace(_logged_recipe(self.recipe, [now, now + horizon], [T_hold, T_hold], properties=False),
                               output_times=tuple(ahead - now)), initial=self.frac, grid=self.grid)
        states = run.frac_incoming[:, : self.grid.n_cells]
        times = np.asarray(run.times) + now
        props = compute_properties(self._result_for(future, times, states))
        values = np.array([self._measure(target.kind, props, k) for k in range(times.size)])
        hit = np.nonzero(values >= target.value)[0]
        if hit.size == 0:
            return TargetPrediction(target, current, False, math.nan, horizon, T_hold)
        k = int(hit[0])
        t_lo, v_lo = (now, current) if k == 0 else (times[k - 1], values[k - 1])
        t_hi, v_hi = times[k], values[k]
        if target.kind.startswith("modes") or not (math.isfinite(v_lo) and v_hi > v_lo):
            t_hit = t_hi  # a count jumps: the first output where it holds (resolution ~10 % of the span)
        else:
            t_hit = t_lo + (target.value - v_lo) * (t_hi - t_lo) / (v_hi - v_lo)
        return TargetPrediction(target, current, False, float(t_hit), horizon, T_hold)

    def snapshot(self) -> MonitorSnapshot:
        """The latest prediction (cached until the next advance)."""
        if self._snapshot is not None:
            return self._snapshot
        result = self._result_now()
        props = compute_properties(result) if (self.recipe.stress is not None or self.recipe.optics is not None) else None
        metrics = props.metrics[0] if props is not None and props.metrics else None
        prediction = None
        if self.target is not None:
            self._needs()
            prediction = self.predict(self._measure(self.target.kind, props, 0))
        T = float(self.sample_temperatures[-1]) if self.sample_temperatures.size else math.nan
        self._snapshot = MonitorSnapshot(
            time=self.time,
            temperature=T,
            n_samples=int(self.sample_times.size),
            depth=result.depth,
            frac=result.frac_incoming[0],
            stress=None if props is None or props.stress is None else props.stress[0],
            n_te=None if props is None or props.n_te is None else props.n_te[0],
            n_tm=None if props is None or props.n_tm is None else props.n_tm[0],
            compressive_stress=metrics.compressive_stress if metrics else math.nan,
            depth_of_layer=metrics.depth_of_layer if metrics else math.nan,
            mode_counts=None if props is None or props.mode_counts is None else
            {k: int(v[0]) for k, v in props.mode_counts.items()},
            prediction=prediction,
            sample_times=self.sample_times - (self.sample_times[0] if self.sample_times.size else 0.0),
            sample_temperatures=self.sample_temperatures.copy(),
        )
        return self._snapshot
