"""Real-time monitor of a multicomponent bath step (Li⁺/Na⁺/K⁺ …): follow a running furnace
from its temperature log, advance every ion's profile with D_i(T(t)) exactly as far as the
data goes, and keep the latest prediction — profiles, stress with CS/DOC/CT, the uptake of
each ion, and the salt: as aged by the loads before this one, and as this load leaves it.

    monitor = MulticomponentMonitor(recipe)       # a MulticomponentRecipe, one bath step
    monitor.advance(times_s, temperatures_K)      # samples as they arrive, any number
    snap = monitor.snapshot()                     # the latest prediction

Rules (those of ionex.process.monitor for a binary recipe, where they apply):

* The monitored process is the recipe's single step, which must be a bath; its temperature
  comes from the log and its length is "as far as the log goes". The recipe's own duration
  and temperature are the *plan*: they fix the mesh (multicomponent_grid of the planned
  recipe, so a run continued in pieces keeps one mesh) and the temperature at which the
  salt's surface fractions are taken (below). A recipe of several steps is refused: which
  of them the log belongs to would be a guess.
* Time zero is the first sample. Between samples T(t) is linear — a temperature program
  with source "log" — and the solver takes D_i(T(t)) at its stage times, as
  run_multicomponent does for a step with a temperature program. Each advance is one call
  of the solver from the last sample before it, so a run fed in pieces equals the run fed
  at once to the solver's tolerance (restarting the step-size control at a piece's start
  is the only difference).
* The bath holds the surface site fractions of the plan: given as numbers, or those of its
  salt at the plan's (constant) temperature. With ``[bath] loads_before`` the salt is first
  aged, once, at construction, exactly as run_multicomponent ages it (a run of the planned
  recipe; see ionex.process.multicomponent): the step then holds the aged salt's surface
  fractions. They are held while the log's temperature moves D: the exchange constants
  K(T) would move them too (run_multicomponent refuses a salt step with a varying
  temperature rather than approximate it), so the snapshot also gives the surface
  fractions the aged salt holds at the last logged temperature — what a log far from the
  plan would change.
* What this load gives the salt is −A·ΔU (mol; A the ageing's load_area, ΔU the uptake per
  area so far, both faces of a plate counted), booked one for one as the ageing books it;
  the salt after this load is the aged salt plus that, and the surface fractions it holds
  at the plan's temperature are what the next load will meet.
* The recipe's ``[output] times`` that the log has passed are kept (profiles at exactly
  those times), as by the binary monitor; no target is predicted (a multicomponent recipe
  has no [target]).
* The temperature history kept (for the stress relaxation's clock and the snapshot) is
  bounded as by the binary monitor (ionex.process.monitor.thinned_history).
* The state (profiles, booked inflow, samples, outputs) is plain arrays: :meth:`state`
  and :meth:`from_state` checkpoint it; a resumed monitor continues bit for bit.

Everything is SI (s, K, m, Pa, mol).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Mapping

import numpy as np

from ..constants import ZERO_CELSIUS
from ..grids import Grid
from ..physics.salt_bath import bath_state
from ..solvers.multicomponent import BathFace, ClosedFace, solve_multicomponent
from ..validators import FrozenMapping
from .monitor import new_samples, thinned_history
from .multicomponent import (
    AgedSaltBath,
    BathAgeing,
    MulticomponentRecipe,
    MulticomponentResult,
    MulticomponentStep,
    SaltBath,
    _diffusivities_at,
    _stress,
    _zero_sum,
    multicomponent_grid,
    run_multicomponent,
)
from .simulate import step_output_times
from .temperature import TemperatureProgram

__all__ = [
    "BathReport",
    "MulticomponentMonitor",
    "MulticomponentSnapshot",
]

# a step of no length, for the state before the first two samples (its clock reads zero)
_INSTANT = 1e-9  # s


@dataclass(frozen=True)
class BathReport:
    """The salt of the monitored step (mole fractions of the melt's cations; mol).

    Attributes:
        plan_temperature: the plan's bath temperature (K), at which the surface fractions
            below are the salt's.
        fresh_melt: the salt as the recipe gives it.
        melt: the salt the step holds: ``fresh_melt`` aged by the loads before (the same
            without ageing).
        surface: the surface site fractions it holds at ``plan_temperature``.
        surface_at_logged_temperature: those it would hold at the last logged
            temperature (NaN-free; equal to ``surface`` while the log is at the plan's).
        ageing: the BathAgeing (salt_mass kg, load_area m², loads_before), or None.
        aged: the AgedSaltBath of the ageing run (run_multicomponent's), or None.
        released_this_load: mol of each cation this load has given the salt so far
            (negative: taken up), or None without ageing (no load area).
        melt_after_this_load, surface_after_this_load: the salt this load leaves, and the
            surface fractions it holds at ``plan_temperature`` (what the next load meets),
            or None without ageing.
    """

    plan_temperature: float
    fresh_melt: Mapping[str, float]
    melt: Mapping[str, float]
    surface: Mapping[str, float]
    surface_at_logged_temperature: Mapping[str, float]
    ageing: BathAgeing | None = None
    aged: AgedSaltBath | None = None
    released_this_load: Mapping[str, float] | None = None
    melt_after_this_load: Mapping[str, float] | None = None
    surface_after_this_load: Mapping[str, float] | None = None


@dataclass
class MulticomponentSnapshot:
    """The latest prediction (SI). Profiles are over ``depth`` (m), the exchanged face first
    (the whole plate when both faces exchange).

    Attributes:
        time: s since the first sample.  temperature: last measured T (K), NaN before any.
        n_samples: samples taken.  species: the ions.
        depth: m.  fractions: {ion: site fraction χ per depth}.
        surface: {ion: χ the bath holds}.  uptake: {ion: mol/m² taken up, negative: released}.
        stress: σ (Pa, compression < 0) or None without [stress].  metrics: the
            MultiIonStressMetrics or None.  compressive_stress, depth_of_compression,
            central_tension: CS (Pa), DOC (m), CT (Pa), NaN without [stress].
        bath: the BathReport when the step's bath is a salt, else None.
        sample_times, sample_temperatures: the temperature history kept (s from the first
            sample, K).
    """

    time: float
    temperature: float
    n_samples: int
    species: tuple
    depth: np.ndarray
    fractions: dict
    surface: dict
    uptake: dict
    stress: np.ndarray | None
    metrics: object | None
    compressive_stress: float
    depth_of_compression: float
    central_tension: float
    bath: BathReport | None
    sample_times: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    sample_temperatures: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))

    def to_dict(self, profile_points: int = 300, history_points: int = 1500) -> dict:
        """JSON-ready data with the units in the keys (h, °C, µm, MPa, mol, ppm of the
        melt's cations); the profiles under the front face to the mid-plane, at most
        ``profile_points`` cells, and at most ``history_points`` samples of the history."""
        depth = np.asarray(self.depth)
        half = int(np.searchsorted(depth, 0.5 * (depth[0] + depth[-1]), side="right"))
        keep = _spread(half, profile_points)
        profiles = {"depth_um": (depth[keep] * 1e6).tolist()}
        for ion in self.species:
            profiles[f"frac_{ion}"] = np.asarray(self.fractions[ion])[keep].tolist()
        if self.stress is not None:
            profiles["stress_MPa"] = (np.asarray(self.stress)[keep] / 1e6).tolist()
        hk = _spread(np.size(self.sample_times), history_points)
        bath = None
        if self.bath is not None:
            b = self.bath
            bath = {
                "plan_temperature_C": b.plan_temperature - ZERO_CELSIUS,
                "fresh_melt": dict(b.fresh_melt),
                "melt": dict(b.melt),
                "melt_ppm": _ppm(b.melt),
                "surface": dict(b.surface),
                "surface_at_logged_temperature": dict(b.surface_at_logged_temperature),
            }
            if b.ageing is not None:
                bath.update(
                    salt_mass_kg=b.ageing.salt_mass,
                    load_area_m2=b.ageing.load_area,
                    loads_before=b.ageing.loads_before,
                    released_this_load_mol=dict(b.released_this_load),
                    melt_after_this_load=_plain(b.melt_after_this_load),
                    melt_after_this_load_ppm=_ppm(b.melt_after_this_load),
                    surface_after_this_load=_plain(b.surface_after_this_load),
                )
        return {
            "model": "multicomponent",
            "species": list(self.species),
            "time_h": self.time / 3600.0,
            "temperature_C": _finite(self.temperature - ZERO_CELSIUS),
            "n_samples": int(self.n_samples),
            "surface": dict(self.surface),
            "uptake_mol_m2": dict(self.uptake),
            "compressive_stress_MPa": _finite(self.compressive_stress / 1e6),
            "depth_of_compression_um": _finite(self.depth_of_compression * 1e6),
            "central_tension_MPa": _finite(self.central_tension / 1e6),
            "bath": bath,
            "history": {
                "time_h": (np.asarray(self.sample_times)[hk] / 3600.0).tolist(),
                "temperature_C": (np.asarray(self.sample_temperatures)[hk] - ZERO_CELSIUS).tolist(),
            },
            "profiles": profiles,
        }


def _spread(n: int, limit: int) -> np.ndarray:
    """Indices of at most ``limit`` of n points, evenly spread, first and last kept."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(int))


def _finite(x):
    return None if x is None or not math.isfinite(x) else float(x)


def _plain(values):
    return None if values is None else dict(values)


def _ppm(melt):
    return None if melt is None else {c: 1e6 * x for c, x in melt.items()}


def _check_recipe(recipe) -> None:
    if not isinstance(recipe, MulticomponentRecipe):
        raise ValueError("the multicomponent monitor follows a MulticomponentRecipe")
    steps = recipe.steps
    if len(steps) != 1 or steps[0].bath is None:
        raise ValueError(
            f"the monitor follows one bath step; the recipe has {len(steps)} step(s)"
            + (" and its step is an anneal" if len(steps) == 1 else "")
            + " — give the monitored bath as the only [[step]] (the log cannot tell which "
            "step it belongs to)"
        )


class MulticomponentMonitor:
    """Advance a multicomponent bath step sample by sample; see the module docstring."""

    def __init__(self, recipe: MulticomponentRecipe, *, grid: Grid | None = None):
        self.check_plan(recipe)
        self.recipe = recipe
        self.grid = multicomponent_grid(recipe) if grid is None else grid
        self.species = recipe.species
        plan_step = recipe.steps[0]
        self.aged: AgedSaltBath | None = None
        self.planned: MulticomponentResult | None = None
        held = recipe
        if recipe.ageing is not None:  # the salt after the loads before: computed once
            self.planned = run_multicomponent(recipe, grid=self.grid)
            (self.aged,) = self.planned.aged_baths
            held = self.planned.recipe
        self.held_step: MulticomponentStep = held.steps[0]  # the plan's step on the salt held
        self.surface = np.array([self.held_step.bath.get(ion, 0.0) for ion in self.species])
        self.plan_temperature = float(plan_step.temperature(0.0))
        self._front = BathFace(tuple(self.surface.tolist()))
        self._base = replace(held, ageing=None, output_times=())
        glass = recipe.glass
        self._per_area = glass.total_mobile * (2.0 if glass.faces == "both" else 1.0)
        n = self.grid.n_cells
        self.fractions = np.array([[glass.initial.get(ion, 0.0)] * n for ion in self.species])
        self.inflow = np.zeros(len(self.species))  # booked through the face so far (χ·m)
        self.sample_times = np.zeros(0)  # the history kept: log times (s)
        self.sample_temperatures = np.zeros(0)  # and temperatures (K)
        self.n_samples = 0
        self.output_times = np.zeros(0)  # the recipe's output times passed (s)
        self.output_states = np.zeros((0, len(self.species), n))
        self.output_inflow = np.zeros((0, len(self.species)))
        self.solver_steps = 0
        self._snapshot: MulticomponentSnapshot | None = None

    @staticmethod
    def check_plan(recipe) -> None:
        """Refuse (ValueError) a recipe the monitor cannot follow, before any work: not a
        MulticomponentRecipe, or not a single bath step."""
        _check_recipe(recipe)

    def surface_fractions(self) -> dict[str, float]:
        """The surface site fractions the bath holds (the ions it holds)."""
        return dict(self.held_step.bath)

    # ------------------------------------------------------------------ state
    @property
    def time(self) -> float:
        """Process time reached (s since the first sample)."""
        t = self.sample_times
        return float(t[-1] - t[0]) if t.size else 0.0

    def state(self) -> dict:
        """Everything needed to resume: arrays and numbers only."""
        return {
            "fractions": self.fractions.copy(),
            "inflow": self.inflow.copy(),
            "surface": self.surface.copy(),
            "sample_times": self.sample_times.copy(),
            "sample_temperatures": self.sample_temperatures.copy(),
            "n_samples": int(self.n_samples),
            "output_times": self.output_times.copy(),
            "output_states": self.output_states.copy(),
            "output_inflow": self.output_inflow.copy(),
        }

    @classmethod
    def from_state(
        cls, recipe: MulticomponentRecipe, state: dict, *, grid: Grid | None = None
    ) -> MulticomponentMonitor:
        """A monitor continuing from :meth:`state` (the recipe must be the same plan)."""
        m = cls(recipe, grid=grid)
        shape = m.fractions.shape
        fractions = np.asarray(state["fractions"], float)
        if fractions.shape != shape:
            raise ValueError(
                f"the saved state holds fractions of shape {fractions.shape}; this recipe's "
                f"are {shape} (ions × cells): it was saved for a different recipe or ionex version"
            )
        surface = np.asarray(state["surface"], float)
        if surface.shape != m.surface.shape or np.any(surface != m.surface):
            raise ValueError(
                f"the saved state's bath holds {surface.tolist()}; this recipe's holds "
                f"{m.surface.tolist()}: it was saved for a different recipe or ionex version"
            )
        m.fractions = fractions.copy()
        m.inflow = np.asarray(state["inflow"], float).copy()
        m.sample_times = np.asarray(state["sample_times"], float).copy()
        m.sample_temperatures = np.asarray(state["sample_temperatures"], float).copy()
        m.n_samples = int(state["n_samples"])
        m.output_times = np.asarray(state["output_times"], float).copy()
        m.output_states = np.asarray(state["output_states"], float).reshape(-1, *shape).copy()
        m.output_inflow = (
            np.asarray(state["output_inflow"], float).reshape(-1, len(m.species)).copy()
        )
        return m

    # ------------------------------------------------------------------ advancing
    def _step(self, times, temps) -> MulticomponentStep:
        """The monitored step over samples (times from any origin, s; T in K), the bath
        holding the plan's surface fractions."""
        times = np.asarray(times, float)
        program = TemperatureProgram(
            tuple((times - times[0]).tolist()), tuple(np.asarray(temps, float).tolist()), "log"
        )
        duration = float(times[-1] - times[0])
        return MulticomponentStep(duration, program, dict(self.held_step.bath), self.held_step.name)

    def logged_recipe(self, times, temperatures, output_times=()) -> MulticomponentRecipe:
        """The planned recipe with its step following the samples (s, K), on the salt held
        (surface fractions as numbers, no ageing left): what the monitor runs, in one piece."""
        step = self._step(times, temperatures)
        return replace(self._base, steps=(step,), output_times=tuple(output_times))

    def advance(self, times, temperatures) -> int:
        """Take new samples (log times in s, strictly increasing and later than every
        sample so far; T in K > 0) and integrate up to the last one. Returns how many were
        taken."""
        t, T = new_samples(times, temperatures, self.sample_times)
        if t.size == 0:
            return 0
        first = self.sample_times.size == 0
        origin = t[0] if first else self.sample_times[0]
        if first:
            seg_t, seg_T = t, T
        else:
            seg_t = np.concatenate([[self.sample_times[-1]], t])
            seg_T = np.concatenate([[self.sample_temperatures[-1]], T])
        t0, t1 = float(seg_t[0] - origin), float(seg_t[-1] - origin)
        wanted = np.asarray(sorted(self.recipe.output_times), float)
        at_zero, local = step_output_times(wanted, t0, t1, first)
        y, inflow = self.fractions, self.inflow
        out_t, out_y = list(self.output_times), list(self.output_states)
        out_in = list(self.output_inflow)
        for _ in range(at_zero):  # an output at time zero: the glass before the exchange
            out_t.append(0.0)
            out_y.append(y.copy())
            out_in.append(inflow.copy())
        steps = 0
        if seg_t.size >= 2:
            step = self._step(seg_t, seg_T)
            duration = step.duration
            rel = np.minimum(local - t0, duration)
            sol = solve_multicomponent(
                self.grid,
                _diffusivities_at(self._base, step),
                y,
                duration,
                front=self._front,
                back=ClosedFace(),
                output_times=rel,
                breakpoints=step.temperature.breakpoints(duration),
                rtol=self.recipe.rtol,
                atol=self.recipe.atol,
                time_offset=t0,
            )
            for t_out, state, infl in zip(local, sol.states, sol.inflow):
                out_t.append(float(t_out))
                out_y.append(state)
                out_in.append(inflow + infl.sum(axis=1))
            y = sol.final
            inflow = inflow + sol.final_inflow.sum(axis=1)
            steps = sol.n_steps
        # commit everything together
        self.fractions, self.inflow = y, inflow
        self.sample_times = np.concatenate([self.sample_times, t])
        self.sample_temperatures = np.concatenate([self.sample_temperatures, T])
        self.n_samples += int(t.size)
        shape = self.fractions.shape
        self.output_times = np.asarray(out_t, float)
        self.output_states = np.asarray(out_y, float).reshape(-1, *shape)
        self.output_inflow = np.asarray(out_in, float).reshape(-1, shape[0])
        self.solver_steps += steps
        self._snapshot = None
        self._thin_history()
        return int(t.size)

    def _thin_history(self) -> None:
        """Bound the history kept (ionex.process.monitor.thinned_history)."""
        self.sample_times, self.sample_temperatures = thinned_history(
            self.sample_times, self.sample_temperatures
        )

    # ------------------------------------------------------------------ results
    def _recipe_so_far(self, output_times=()) -> MulticomponentRecipe:
        if self.sample_times.size >= 2:
            return self.logged_recipe(self.sample_times, self.sample_temperatures, output_times)
        T0 = self.sample_temperatures[0] if self.sample_times.size else self.plan_temperature
        return self.logged_recipe([0.0, _INSTANT], [T0, T0], output_times)

    def _result_for(self, recipe, times, states, inflow) -> MulticomponentResult:
        """A MulticomponentResult of ``states`` (n, N, cells) at ``times`` (s) under
        ``recipe``, with stress and metrics when the recipe asks; mirrored through the
        mid-plane for a plate exchanged on both faces, as run_multicomponent returns it."""
        depth = np.asarray(self.grid.centres, float)
        width = np.asarray(self.grid.volumes, float)
        fractions = np.asarray(states, float)
        g = recipe.glass
        if g.faces == "both":
            depth = np.concatenate([depth, g.thickness - depth[::-1]])
            width = np.concatenate([width, width[::-1]])
            fractions = np.concatenate([fractions, fractions[..., ::-1]], axis=-1)
        result = MulticomponentResult(
            recipe=recipe,
            species=self.species,
            times=np.asarray(times, float),
            depth=depth,
            cell_width=width,
            fractions=fractions,
            step_index=np.zeros(np.size(times), int),
            uptake=self._per_area * np.asarray(inflow, float),
            diagnostics={
                "cells": self.grid.n_cells,
                "samples": int(self.n_samples),
                "steps": int(self.solver_steps),
            },
            aged_baths=() if self.aged is None else (self.aged,),
        )
        if recipe.stress is not None:
            result.stress, result.metrics = _stress(result, recipe.stress)
        return result

    def result(self) -> MulticomponentResult:
        """The monitored process so far as a MulticomponentResult: the profiles at the
        recipe's output times passed and now, with stress and the aged salt (aged_baths)."""
        keep = self.output_times < self.time - 1e-9 * max(self.time, 1.0)
        times = np.append(self.output_times[keep], self.time)
        states = np.concatenate([self.output_states[keep], self.fractions[None]])
        inflow = np.vstack([self.output_inflow[keep], self.inflow[None]])
        recipe = self._recipe_so_far(self.output_times.tolist())
        return self._result_for(recipe, times, states, inflow)

    def dataset(self, result: MulticomponentResult | None = None):
        """``result`` (default :meth:`result`) as to_dataset gives it, with the salt of the
        monitored step: melt_<Ion> (the salt held), and with ageing released_this_load_<Ion>
        (mol) and after_this_load_melt_<Ion>; the log's extent in attrs."""
        ds = (self.result() if result is None else result).to_dataset()
        bath = self.snapshot().bath
        if bath is not None:

            def column(values, units, text):
                return ("process_step", np.array([values]), {"units": units, "long_name": text})

            for ion in self.species:
                ds[f"melt_{ion}"] = column(
                    bath.melt.get(ion, 0.0), "1", f"mole fraction of {ion} among the salt's cations"
                )
                if bath.released_this_load is not None:
                    ds[f"released_this_load_{ion}"] = column(
                        bath.released_this_load[ion],
                        "mol",
                        f"{ion} this load has given the salt so far (negative: taken up)",
                    )
                    after = bath.melt_after_this_load
                    ds[f"after_this_load_melt_{ion}"] = column(
                        math.nan if after is None else after.get(ion, 0.0),
                        "1",
                        f"mole fraction of {ion} among the salt's cations after this load",
                    )
        ds.attrs["monitor"] = (
            f"{self.n_samples} samples of the temperature log over {self.time:.6g} s; the bath "
            f"holds the surface fractions of the plan's {self.plan_temperature:.6g} K"
        )
        return ds

    def _bath_report(self, uptake: np.ndarray) -> BathReport | None:
        salt: SaltBath | None = self.held_step.salt
        if salt is None:
            return None
        T = self.sample_temperatures[-1] if self.sample_temperatures.size else self.plan_temperature
        logged = FrozenMapping(salt.surface_fractions(float(T)))
        fresh = self.recipe.steps[0].salt
        report = BathReport(
            plan_temperature=self.plan_temperature,
            fresh_melt=fresh.melt,
            melt=salt.melt,
            surface=FrozenMapping(dict(self.held_step.bath)),
            surface_at_logged_temperature=logged,
        )
        ageing = self.recipe.ageing
        if ageing is None:
            return report
        species = self.species
        state = bath_state(fresh.melt, ageing.salt_mass).moles
        start = np.array([state.get(ion, 0.0) for ion in species])
        mean = np.array([self.aged.released_per_load[ion] for ion in species])
        aged = start + ageing.loads_before * mean  # the moles of the aged salt (mol)
        released = _zero_sum(-ageing.load_area * uptake)
        after = aged + released
        melt_after = surface_after = None
        if np.all(after >= 0.0):
            melt_after = FrozenMapping(dict(zip(species, (after / after.sum()).tolist())))
            next_salt = SaltBath(
                {ion: x for ion, x in melt_after.items() if x > 0.0}, salt.chemistry
            )
            surface_after = FrozenMapping(next_salt.surface_fractions(self.plan_temperature))
        return replace(
            report,
            ageing=ageing,
            aged=self.aged,
            released_this_load=FrozenMapping(dict(zip(species, released.tolist()))),
            melt_after_this_load=melt_after,
            surface_after_this_load=surface_after,
        )

    def snapshot(self) -> MulticomponentSnapshot:
        """The latest prediction (cached until the next advance)."""
        if self._snapshot is not None:
            return self._snapshot
        result = self._result_for(
            self._recipe_so_far(), [self.time], self.fractions[None], self.inflow[None]
        )
        metrics = result.metrics[0] if result.metrics else None
        uptake = result.uptake[0]
        T = float(self.sample_temperatures[-1]) if self.sample_temperatures.size else math.nan
        self._snapshot = MulticomponentSnapshot(
            time=self.time,
            temperature=T,
            n_samples=int(self.n_samples),
            species=self.species,
            depth=result.depth,
            fractions={ion: result.fractions[0, i] for i, ion in enumerate(self.species)},
            surface=dict(zip(self.species, self.surface.tolist())),
            uptake=dict(zip(self.species, uptake.tolist())),
            stress=None if result.stress is None else result.stress[0],
            metrics=metrics,
            compressive_stress=metrics.compressive_stress if metrics else math.nan,
            depth_of_compression=metrics.depth_of_compression if metrics else math.nan,
            central_tension=metrics.central_tension if metrics else math.nan,
            bath=self._bath_report(uptake),
            sample_times=self.sample_times
            - (self.sample_times[0] if self.sample_times.size else 0.0),
            sample_temperatures=self.sample_temperatures.copy(),
        )
        return self._snapshot
