"""What a composition profile means for a strengthening engineer and an optics lab:
stress with relaxation, stress metrics, TE/TM index profiles and guided modes (SI)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..physics.optics import stress_free_index, stressed_indices
from ..physics.stress import (
    StressMetrics,
    balanced_stress,
    hereditary_stress,
    kohlrausch_factor,
    stress_metrics,
)
from .recipe import Anneal, Recipe

__all__ = [
    "Properties",
    "History",
    "compute_properties",
    "relaxation_time_axis",
    "front_profile",
    "front_index",
]


@dataclass
class History:
    """χ after every accepted solver step (on the solver grid) and its time (s)."""

    times: list = field(default_factory=list)
    states: list = field(default_factory=list)

    def initialize(self, total_time: float) -> None:
        pass

    def handle(self, time: float, state) -> None:
        self.times.append(time)
        self.states.append(np.array(state))

    def finalize(self) -> None:
        pass


@dataclass
class Properties:
    """Derived profiles at the output times of a Result (arrays shaped (n_times, n_depth)).

    Attributes:
        stress: σ (Pa, compression < 0) or None.  metrics: StressMetrics per time or None.
        n0, n_te, n_tm: index profiles or None.  mode_counts: {"TE": [...], "TM": [...]}.
        modes: {"TE": ModeSet, "TM": ModeSet} of the final state, or None.
    """

    stress: np.ndarray | None = None
    metrics: list[StressMetrics] | None = None
    n0: np.ndarray | None = None
    n_te: np.ndarray | None = None
    n_tm: np.ndarray | None = None
    mode_counts: dict | None = None
    modes: dict | None = None


def temperature_at(recipe: Recipe, times) -> np.ndarray:
    """Process temperature (K) at absolute times (s); a step boundary belongs to the step ending there."""
    starts = np.asarray(recipe.step_starts)
    out = []
    for t in np.atleast_1d(np.asarray(times, dtype=float)):
        k = int(np.clip(np.searchsorted(starts, t, side="left") - 1, 0, len(recipe.steps) - 1))
        out.append(float(recipe.steps[k].temperature(t - starts[k])))
    return np.asarray(out)


def relaxation_time_axis(recipe: Recipe, times, law, clock: str = "total") -> np.ndarray:
    """ξ(t) = ∫ τ_ref/τ(T) dt up to each absolute time (s), counting every step ("total")
    or only the bath steps ("exchange")."""
    out = []
    for t in np.atleast_1d(np.asarray(times, dtype=float)):
        xi = 0.0
        for start, step in zip(recipe.step_starts, recipe.steps):
            if start >= t:
                break
            if clock == "exchange" and isinstance(step, Anneal):
                continue
            span = min(step.duration, t - start)
            s, temps = step.temperature.sample(span, n=65)
            xi += float(np.trapezoid(law.rate(temps), s))
        out.append(xi)
    return np.asarray(out)


def front_profile(result, k: int):
    """Depth from the exchanged face (m) and χ, starting with the surface point, up to
    the mid-plane of a symmetric plate: the profile a prism coupler on the front sees."""
    depth = result.depth
    frac = result.frac_incoming[k]
    g = result.recipe.glass
    if g.thickness is not None and g.faces == "both":
        keep = depth <= g.thickness / 2
        depth, frac = depth[keep], frac[keep]
    surface = result.surface_fraction[k]
    top = frac[0] if np.isnan(surface) else surface
    return np.concatenate([[0.0], depth]), np.concatenate([[top], frac])


def front_index(result, props: Properties, k: int, polarisation: str):
    """Depth from the exchanged face (m) and the refractive index at output ``k`` for
    ``polarisation`` ("TE", "TM", or "none" for the stress-free n_0), starting with the
    surface point, up to the mid-plane of a symmetric plate: the profile a prism coupler
    sees. The surface point takes the surface fraction and the stress of the first cell:
    n(0) = n(x_1) + Δn_0·(χ(0) − χ(x_1)) (dimensionless)."""
    depth, frac = front_profile(result, k)
    profile = {"TE": props.n_te, "TM": props.n_tm, "none": props.n0}[polarisation]
    cells = profile[k][: depth.size - 1]
    surface = cells[0] + result.recipe.optics.index_change * (frac[0] - frac[1])
    return depth, np.concatenate([[surface], cells])


def compute_properties(result, history: History | None = None, *, modes: bool = True) -> Properties:
    """Stress, metrics, index profiles and modes of ``result`` as its recipe asks."""
    recipe: Recipe = result.recipe
    props = Properties()
    g = recipe.glass
    plate = g.thickness is not None
    if recipe.stress is not None:
        opts = recipe.stress
        bending = plate and g.faces == "front"
        elastic = balanced_stress(
            result.depth,
            result.cell_width,
            result.frac_incoming,
            opts.glass,
            plate=plate,
            bending=bending,
        )
        if opts.relaxation == "kww":
            xi = relaxation_time_axis(recipe, result.times, opts.law, opts.clock)
            stress = elastic * kohlrausch_factor(xi, opts.law.tau, opts.law.beta)[:, None]
        elif opts.relaxation == "hereditary":
            stress = _hereditary(result, history, opts, plate, bending)
        else:
            stress = elastic
        props.stress = stress
        symmetric = plate and g.faces == "both"
        props.metrics = [
            stress_metrics(result.depth, s, c, symmetric_plate=symmetric)
            for s, c in zip(stress, result.frac_incoming)
        ]
    if recipe.optics is not None:
        o = recipe.optics
        n0 = stress_free_index(result.frac_incoming, o.base_index, o.index_change)
        if o.elasto_optic is not None and props.stress is not None:
            n_te, n_tm = stressed_indices(n0, props.stress, o.elasto_optic)
        else:
            n_te, n_tm = n0, n0.copy()
        props.n0, props.n_te, props.n_tm = n0, n_te, n_tm
        if modes:
            props.mode_counts, props.modes = _modes(result, props, o)
    return props


def _hereditary(result, history: History, opts, plate: bool, bending: bool) -> np.ndarray:
    if history is None or not history.times:
        raise ValueError(
            "hereditary relaxation needs the state history of the run (simulate collects it)"
        )
    recipe = result.recipe
    t = np.asarray(history.times)
    states = np.asarray(history.states)
    if recipe.glass.thickness is not None and recipe.glass.faces == "both":
        states = np.concatenate([states, states[:, ::-1]], axis=1)
    elastic = balanced_stress(
        result.depth, result.cell_width, states, opts.glass, plate=plate, bending=bending
    )
    xi = opts.law.reduced_time(t, temperature_at(recipe, t))
    at = np.searchsorted(t, result.times - 1e-9 * max(t[-1], 1.0))
    relaxed = hereditary_stress(xi, elastic, opts.law, at=np.minimum(at, t.size - 1))
    # an output at t = 0 has no history yet: stress-free
    relaxed[result.times <= 0.0] = 0.0
    return relaxed


def _modes(result, props: Properties, o):
    from ..solvers.modes import solve_modes

    counts = {"TE": [], "TM": []}
    final = {}
    last = result.times.size - 1
    for k in range(result.times.size):
        for pol in ("TE", "TM"):
            depth, index = front_index(result, props, k, pol)
            ms = solve_modes(
                depth,
                index,
                o.wavelength,
                cover_index=o.cover_index,
                polarisations=(pol,),
                fields=k == last,
            )
            counts[pol].append(ms.count(pol))
            if k == last:
                final[pol] = ms
    return counts, final
