"""simulate_batch(recipes): many recipes at once, each result equal to simulate(recipe).

Runs whose steps all hold a constant temperature advance together, step index by step
index, in one compiled call each (ionex.solvers.diffusion_batch). Each run keeps the mesh
simulate() builds for it (process_grid) and takes the same time steps, so batching changes
the cost, not the numbers: the tests require the results to be identical.

Whole runs go through simulate() instead when a step follows a temperature program or log
(simulate() owns how a varying temperature is integrated), when they need the state
history (hereditary stress relaxation), or when they are not binary interdiffusion
(Nernst–Planck–Poisson recipes).

The per-step bookkeeping shares simulate()'s pieces (step_output_times, result_from_states);
tests/unit/process/test_batch.py holds the two equal.
"""

from __future__ import annotations

import time as _time
from collections.abc import Sequence

import numpy as np

from ..physics.interdiffusion import kirchhoff_law
from ..solvers.diffusion import FaceCondition
from ..solvers.diffusion_batch import BatchRun, solve_diffusion_batch
from .properties import compute_properties
from .recipe import Recipe
from .result import Result
from .simulate import process_grid, result_from_states, simulate, step_output_times

__all__ = ["simulate_batch"]


def simulate_batch(recipes: Sequence, *, batched: bool = True) -> list:
    """Simulate every recipe; one run's failure does not stop the others.

    Args:
        recipes: Recipe (or ExperimentRecipe) objects, SI units throughout.
        batched: False runs each recipe through simulate() on its own (the reference).
    Returns:
        One entry per recipe, in order: its Result (identical to simulate(recipe)), or the
        exception the run raised (ionex.errors.SolverError, ValueError, …), not raised.
    """
    recipes = list(recipes)
    out: list = [None] * len(recipes)
    courses: dict[int, _Course] = {}
    for i, recipe in enumerate(recipes):
        if not batched or not _batchable(recipe):
            out[i] = _guarded(simulate, recipe)
            continue
        try:
            courses[i] = _Course(recipe)
        except Exception as exc:  # noqa: BLE001 - recorded per run
            out[i] = exc
    k = 0
    while True:
        active = [i for i, c in courses.items() if out[i] is None and k < len(c.recipe.steps)]
        if not active:
            break
        started = _time.perf_counter()
        together: list[tuple[int, np.ndarray, BatchRun]] = []
        for i in active:
            try:
                together.append((i, *courses[i].segment(k)))
            except Exception as exc:  # noqa: BLE001 - recorded per run
                out[i] = exc
        for (i, local, _), sol in zip(together, _solve_together([run for _, _, run in together])):
            if isinstance(sol, Exception):
                out[i] = sol
            else:
                courses[i].absorb(k, local, sol)
        share = (_time.perf_counter() - started) / len(active)
        for i in active:
            courses[i].wall_time += share
        k += 1
    for i, course in courses.items():
        if out[i] is None:
            out[i] = _guarded(course.result)
    return out


def _batchable(recipe) -> bool:
    """Binary interdiffusion at a constant temperature in every step, no state history."""
    return (
        isinstance(recipe, Recipe)
        and all(step.temperature.is_constant for step in recipe.steps)
        and not (recipe.stress is not None and recipe.stress.relaxation == "hereditary")
    )


def _guarded(fn, *args):
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - recorded per run
        return exc


def _solve_together(runs: list[BatchRun]) -> list:
    if not runs:
        return []
    try:
        return solve_diffusion_batch(runs)
    except ValueError:
        # an invalid run would stop the whole batch: solve each alone so only it fails
        return [_guarded(lambda r=r: solve_diffusion_batch([r])[0]) for r in runs]


class _Course:
    """One recipe on its way through its steps: the mesh, the state carried from step to
    step, and the outputs collected so far (simulate()'s bookkeeping)."""

    def __init__(self, recipe: Recipe):
        self.recipe = recipe
        self.grid = process_grid(recipe)
        self.y = np.zeros(self.grid.n_cells)
        self.ends = np.cumsum([s.duration for s in recipe.steps])
        self.starts = np.concatenate([[0.0], self.ends[:-1]])
        self.wanted = np.union1d(np.asarray(recipe.output_times, dtype=float), self.ends)
        self.times, self.states, self.steps_of, self.surf, self.inflow = [], [], [], [], []
        self.cum_inflow = 0.0
        self.work = {"steps": 0, "rejected": 0, "linear_solves": 0}
        self.wall_time = 0.0

    def segment(self, k: int):
        """(absolute output times of step k, its BatchRun); an output at t = 0 is stored here."""
        step = self.recipe.steps[k]
        t0 = self.starts[k]
        at_zero, local = step_output_times(self.wanted, t0, self.ends[k], k == 0)
        for _ in range(at_zero):
            self._store(0.0, self.y.copy(), 0, step, 0.0)
        numerics = self.recipe.numerics
        run = BatchRun(
            grid=self.grid,
            law=kirchhoff_law(self.recipe.model, float(step.temperature(0.0))),
            initial=self.y,
            duration=step.duration,
            front=FaceCondition(step.surface_fraction),
            back=FaceCondition(None),
            output_times=tuple(np.minimum(local - t0, step.duration)),
            breakpoints=step.temperature.breakpoints(step.duration),
            rtol=numerics.rtol,
            atol=numerics.atol,
            time_offset=float(t0),
        )
        return local, run

    def _store(self, t, state, k, step, inflow):
        self.times.append(t)
        self.states.append(state)
        self.steps_of.append(k)
        self.surf.append(step.held_fraction)
        self.inflow.append(inflow)

    def absorb(self, k: int, local, sol) -> None:
        step = self.recipe.steps[k]
        for t_out, state, infl in zip(local, sol.states, sol.inflow):
            self._store(float(t_out), state, k, step, self.cum_inflow + infl[0] + infl[1])
        self.cum_inflow += sol.final_inflow[0] + sol.final_inflow[1]
        self.y = sol.final
        self.work["steps"] += sol.n_steps
        self.work["rejected"] += sol.n_rejected
        self.work["linear_solves"] += sol.n_solves

    def result(self) -> Result:
        recipe = self.recipe
        # wall time: this run's share of the batches it was in
        result = result_from_states(
            recipe,
            self.grid,
            self.times,
            self.states,
            self.steps_of,
            self.surf,
            self.inflow,
            dict(self.work, wall_time_s=self.wall_time),
        )
        if recipe.stress is not None or recipe.optics is not None:
            result.properties = compute_properties(result)
        return result
