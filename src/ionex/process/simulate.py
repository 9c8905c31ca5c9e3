"""simulate(recipe): run the process steps of a recipe through the interdiffusion solver."""

from __future__ import annotations

import math
import time as _time

import numpy as np

from ..errors import RecipeError
from ..grids import Grid, graded_cell_count, graded_grid
from ..physics.interdiffusion import InterdiffusionModel, kirchhoff_law
from ..solvers.diffusion import FaceCondition, solve_nonlinear_diffusion
from ..solvers.trackers import Tracker, TrackerGroup
from .properties import History, compute_properties
from .recipe import Recipe
from .result import Result
from .temperature import TemperatureProgram

__all__ = [
    "simulate",
    "process_grid",
    "diffusion_length",
    "result_from_states",
    "step_output_times",
]

# Most cells any run may use: beyond this a recipe's resolution request is an error.
MAX_CELLS = 50_000


def diffusion_length(recipe: Recipe, which: str = "max") -> float:
    """L_D = √(∫ D̃(T(t)) dt) over the whole process (m), with D̃ its maximum ("max") or
    minimum ("min") over χ ∈ [0, 1]."""
    extreme = recipe.model.max_coefficient if which == "max" else recipe.model.min_coefficient
    total = 0.0
    for step in recipe.steps:
        if step.temperature.is_constant:
            total += step.duration * extreme(float(step.temperature(0.0)))
        else:
            t, temps = step.temperature.sample(step.duration, n=65)
            total += float(np.trapezoid([extreme(float(T)) for T in temps], t))
    return math.sqrt(total)


def process_grid(recipe: Recipe) -> Grid:
    """The mesh for a recipe: depth 0 is the exchanged face; a plate exchanged on both faces
    is solved on its half thickness (symmetry), a slab on numerics.domain_lengths·L_D.

    The mesh refines toward the face down to the scale of the *slow* diffusion length
    √(∫ min_χ D̃ dt): that is where a strongly concentration-dependent D̃ makes the profile
    steep, so one resolution setting holds for D_A/D_B from 1e-4 to 1e4.

    A recipe with a [mask] has no 1-D mesh: it runs in its cross-section
    (ionex.process.channel), which only simulate() and `ionex run` do — RecipeError here.
    """
    if recipe.mask is not None:
        raise RecipeError(
            f"{recipe.source_path or recipe.name}: the recipe has a [mask], a channel "
            "cross-section; expected a recipe without one here (sweeps, fits and the process "
            "monitor follow 1-D profiles): run it with `ionex run`"
        )
    l_max = diffusion_length(recipe, "max")
    l_min = max(diffusion_length(recipe, "min"), 1e-3 * l_max)
    g = recipe.glass
    if g.thickness is None:
        length = recipe.numerics.domain_lengths * l_max
    else:
        length = g.thickness / 2.0 if g.faces == "both" else g.thickness
    q = recipe.numerics.cells_per_efold
    # counted before the mesh is built: a mesh too large to run is too large to allocate
    n = graded_cell_count(length, min(l_min, length), cells_per_efold=q)
    if n > MAX_CELLS:
        lower = "numerics.cells_per_efold" + (
            " or numerics.domain_lengths" if g.thickness is None else ""
        )
        raise ValueError(
            f"the requested resolution needs {n} cells (more than {MAX_CELLS}): {q:g} cells per e-fold over a "
            f"{length:.3g} m domain refined to {min(l_min, length):.3g} m; lower {lower}"
        )
    return graded_grid(length, min(l_min, length), cells_per_efold=q)


def step_output_times(wanted, t0: float, t1: float, first: bool) -> tuple[int, np.ndarray]:
    """The output times (s, absolute) a step [t0, t1] produces: (how many fall at t = 0 —
    the initial state, first step only —, the later ones up to t1). A time on a step
    boundary belongs to the step that ends there."""
    local = wanted[(wanted > t0 + 1e-9 * max(t1, 1.0)) | (first & (wanted <= t0))]
    local = local[local <= t1 * (1 + 1e-12)]
    if not first:
        return 0, local
    return int(np.count_nonzero(local <= 0.0)), local[local > 0.0]


# Gauss–Legendre, 4 points on [−1, 1]: exact to degree 7 for the clock's quadrature
_GL_X, _GL_W = np.polynomial.legendre.leggauss(4)


class ReducedClock:
    """The clock of a step with a varying temperature: θ(t) = ∫₀ᵗ s(T(t')) dt' with
    s = D_A(T)/D_A(T(0)), the incoming ion's Arrhenius factor.

    In θ the equation reads ∂χ/∂θ = ∂/∂x[(D̃/s) ∂χ/∂x], and D̃/s depends on T only through
    D_B/D_A (and the weak T-dependence of the activity factors): none at all when both ions
    have the same activation energy. A noisy furnace log then drives the solver only
    through the exactly integrated θ — the error control sees every fluctuation, where
    sampling D(T(t)) at the stage times would leave a quadrature error of the noise that no
    step-size control can see. T(t) is the program's linear interpolation; θ is integrated
    with 4-point Gauss–Legendre on sub-intervals short enough that ln s changes by < 0.05
    across each (relative error ≲ 1e-12).
    """

    def __init__(self, model: InterdiffusionModel, program: TemperatureProgram, duration: float):
        self.model = model
        self.program = program
        self.T_ref = float(program(0.0))
        self.d_ref = float(model.incoming(self.T_ref))
        knots = np.union1d(np.asarray(program.times, float), [0.0, duration])
        knots = knots[knots <= duration]
        ln_s = np.log(self._s(np.asarray(program(knots), float)))
        pieces = np.clip(np.ceil(np.abs(np.diff(ln_s)) / 0.05), 1, 10_000).astype(int)
        # sub-interval j of interval i starts at a_i + (b_i − a_i)·j/n_i
        owner = np.repeat(np.arange(pieces.size), pieces)
        j = np.arange(owner.size) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        fine = np.concatenate(
            [knots[owner] + (knots[owner + 1] - knots[owner]) * j / pieces[owner], knots[-1:]]
        )
        self.t_knots = fine
        self.theta_knots = np.concatenate([[0.0], np.cumsum(self._integral(fine[:-1], fine[1:]))])

    def _s(self, T):
        return np.asarray(self.model.incoming(T), float) / self.d_ref

    def _integral(self, a, b):
        """∫ₐᵇ s(T(t)) dt per interval (a, b arrays inside one linear piece of T)."""
        half = 0.5 * (b - a)
        mid = 0.5 * (b + a)
        t = mid[:, None] + half[:, None] * _GL_X[None, :]
        return half * (self._s(self.program(t)) @ _GL_W)

    def theta(self, t):
        """θ at times t (s) in the step (array)."""
        t = np.atleast_1d(np.asarray(t, float))
        k = np.clip(np.searchsorted(self.t_knots, t, side="right") - 1, 0, self.t_knots.size - 2)
        return self.theta_knots[k] + self._integral(self.t_knots[k], t)

    def time(self, theta):
        """t (s) at θ, linear between the sub-interval knots (used for T only)."""
        return np.interp(theta, self.theta_knots, self.t_knots)

    def law_at(self):
        """θ ↦ KirchhoffLaw of D̃/s at T(t(θ)); the same object while T repeats."""
        cache: dict[float, object] = {}
        model = self.model

        def law(theta: float):
            T = float(self.program(float(self.time(theta))))
            got = cache.get(T)
            if got is None:
                if len(cache) > 64:
                    cache.clear()
                got = cache[T] = kirchhoff_law(model, T).scaled(1.0 / float(self._s(T)))
            return got

        return law


def step_clock(model: InterdiffusionModel, step, rel: np.ndarray):
    """How the solver integrates one step: (law, span, output times, breakpoints, clock).

    At a constant temperature: the KirchhoffLaw at T, the step's duration and ``rel`` (the
    output times from the step's start, s) as they are, clock None. Following a program:
    the ReducedClock's law over θ, the step's θ and the outputs and breakpoints mapped to θ.
    """
    if step.temperature.is_constant:
        law = kirchhoff_law(model, float(step.temperature(0.0)))
        return law, step.duration, rel, step.temperature.breakpoints(step.duration), None
    clock = ReducedClock(model, step.temperature, step.duration)
    span = float(clock.theta(step.duration)[0])
    outs = np.minimum(clock.theta(rel), span) if rel.size else rel
    bps = tuple(clock.theta(np.asarray(step.temperature.breakpoints(step.duration))))
    return clock.law_at(), span, outs, bps, clock


class _ClockedTracker:
    """Passes real times to a tracker fed by a solver running on a ReducedClock."""

    def __init__(self, tracker, clock: ReducedClock, t0: float):
        self.tracker, self.clock, self.t0 = tracker, clock, t0

    def initialize(self, total_time):  # pragma: no cover - the group is initialised by simulate
        self.tracker.initialize(total_time)

    def handle(self, time, state):
        self.tracker.handle(self.t0 + float(self.clock.time(time - self.t0)), state)

    def finalize(self):  # pragma: no cover
        self.tracker.finalize()


def result_from_states(
    recipe: Recipe,
    grid: Grid,
    times,
    states,
    steps_of,
    surface_fractions,
    inflow,
    work: dict | None = None,
) -> Result:
    """A Result from solver states on ``grid`` (χ per cell, one row per output time):
    mirrored through the mid-plane for a plate exchanged on both faces, with uptake
    C_T·faces·∫χ dx (mol/m²) and the diagnostics of ``work`` (steps, rejected, newton,
    wall_time_s). Properties are not computed here.

    Args: times (s), steps_of (step index per time), surface_fractions (χ_s or NaN),
        inflow (∫ surface flux, fraction × m, per time).
    """
    c_t = recipe.glass.total_mobile
    both = recipe.glass.faces == "both"
    faces_factor = 2.0 if both else 1.0
    states = np.asarray(states, dtype=float)
    if both:
        depth = np.concatenate([grid.centres, recipe.glass.thickness - grid.centres[::-1]])
        width = np.concatenate([grid.volumes, grid.volumes[::-1]])
        profiles = np.concatenate([states, states[:, ::-1]], axis=1)
    else:
        depth, width, profiles = grid.centres.copy(), grid.volumes.copy(), states
    diagnostics = {}
    if work is not None:
        diagnostics = {
            "cells": grid.n_cells,
            "domain_length_m": grid.length,
            "diffusion_length_m": diffusion_length(recipe, "max"),
            "time_steps": work["steps"],
            "rejected_steps": work["rejected"],
            "linear_solves": work["linear_solves"],
            "rtol": recipe.numerics.rtol,
            "atol": recipe.numerics.atol,
            "wall_time_s": work.get("wall_time_s", math.nan),
        }
        if (
            recipe.glass.thickness is None
            and states.size
            and np.max(np.abs(states[:, -1])) > 10 * recipe.numerics.atol
        ):
            diagnostics["warning"] = (
                "the profile reaches the end of the computational domain; "
                "raise numerics.domain_lengths"
            )
    return Result(
        recipe=recipe,
        times=np.asarray(times, dtype=float),
        depth=depth,
        cell_width=width,
        frac_incoming=profiles,
        step_index=np.asarray(steps_of, dtype=int),
        surface_fraction=np.asarray(surface_fractions, dtype=float),
        uptake=c_t * faces_factor * (states @ grid.volumes),
        surface_inflow=c_t * faces_factor * np.asarray(inflow, dtype=float),
        diagnostics=diagnostics,
    )


def simulate(recipe, *, tracker: Tracker | None = None, initial=None, grid: Grid | None = None):
    """Run every step of ``recipe`` in order; the state carries from step to step.

    A Recipe runs the binary interdiffusion engine and returns a Result; a
    MulticomponentRecipe runs process.multicomponent and returns a MulticomponentResult;
    an ExperimentRecipe (Nernst–Planck–Poisson) runs process.experiments and returns an
    ExperimentResult.

    Args:
        recipe: the process (SI units throughout).
        tracker: optional observer (initialize/handle/finalize), e.g. a progress bar.
        initial: optional starting χ per cell of the grid (default: no A).
        grid: the mesh (default :func:`process_grid` of the recipe); a run continued in
            pieces (the process monitor) keeps the mesh of the planned process.
    Returns:
        Result with profiles at the requested output times and at the end of every step.
    Raises:
        ionex.errors.SolverError when the integration cannot proceed (the message says
        at which time and depth, and why).

    Example — the soda-lime example, where the Boltzmann similarity solution puts
    frac_K = 0.5 at 10.895 µm after 8 h:

    >>> import ionex
    >>> result = ionex.simulate(ionex.load_recipe("examples/soda_lime_k_na.toml"))
    >>> round(result.summary()[-1]["depth_frac_0.5_m"] * 1e6, 2)  # µm
    10.89
    """
    from .multicomponent import MulticomponentRecipe, run_multicomponent

    if isinstance(recipe, MulticomponentRecipe):  # three or more ions
        return run_multicomponent(recipe, grid=grid)
    if isinstance(recipe, Recipe) and recipe.mask is not None:
        from .channel import run_channel  # a channel cross-section

        if initial is not None or grid is not None:
            raise ValueError("a channel run takes neither a 1-D initial state nor a 1-D grid")
        return run_channel(recipe)
    if not isinstance(recipe, Recipe):  # [model] kind = "nernst-planck-poisson"
        from .experiments import run_recipe  # (imported only then: scipy.special, the NPP solver)

        return run_recipe(recipe, tracker=tracker)
    started = _time.perf_counter()
    grid = process_grid(recipe) if grid is None else grid
    n = grid.n_cells
    if initial is not None and np.shape(initial) != (n,):
        raise ValueError(
            f"initial state has shape {np.shape(initial)}, expected ({n},) for the grid"
        )
    y = np.zeros(n) if initial is None else np.asarray(initial, dtype=float).copy()
    ends = np.cumsum([s.duration for s in recipe.steps])
    starts = np.concatenate([[0.0], ends[:-1]])
    wanted = np.union1d(np.asarray(recipe.output_times, dtype=float), ends)

    times, states, steps_of, surf, inflow = [], [], [], [], []
    cum_inflow = 0.0
    work = {"steps": 0, "rejected": 0, "linear_solves": 0}
    # hereditary relaxation needs every state of the run, not only the outputs
    history = (
        History()
        if recipe.stress is not None and recipe.stress.relaxation == "hereditary"
        else None
    )
    tracker = TrackerGroup([tracker, history]) if history is not None else tracker
    if tracker is not None:
        tracker.initialize(recipe.total_time)
    try:
        for k, step in enumerate(recipe.steps):
            t0, t1 = starts[k], ends[k]
            at_zero, local = step_output_times(wanted, t0, t1, k == 0)
            for _ in range(at_zero):
                times.append(0.0)
                states.append(y.copy())
                steps_of.append(0)
                surf.append(step.held_fraction)
                inflow.append(0.0)
            rel = np.minimum(local - t0, step.duration)
            law, span, outs, bps, clock = step_clock(recipe.model, step, rel)
            step_tracker = tracker
            if clock is not None and tracker is not None:
                step_tracker = _ClockedTracker(tracker, clock, t0)
            sol = solve_nonlinear_diffusion(
                grid,
                law,
                y,
                span,
                front=FaceCondition(step.surface_fraction),
                back=FaceCondition(None),
                output_times=outs,
                breakpoints=bps,
                rtol=recipe.numerics.rtol,
                atol=recipe.numerics.atol,
                tracker=step_tracker,
                time_offset=t0,
            )
            for t_out, state, infl in zip(local, sol.states, sol.inflow):
                times.append(float(t_out))  # exactly the requested time, not t0 + (t − t0)
                states.append(state)
                steps_of.append(k)
                surf.append(step.held_fraction)
                inflow.append(cum_inflow + infl[0] + infl[1])
            cum_inflow += sol.final_inflow[0] + sol.final_inflow[1]
            y = sol.final
            work["steps"] += sol.n_steps
            work["rejected"] += sol.n_rejected
            work["linear_solves"] += sol.n_solves
    finally:
        if tracker is not None:
            tracker.finalize()

    work["wall_time_s"] = _time.perf_counter() - started
    result = result_from_states(recipe, grid, times, states, steps_of, surf, inflow, work)
    if recipe.stress is not None or recipe.optics is not None:
        result.properties = compute_properties(result, history)
    return result
