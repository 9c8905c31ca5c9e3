"""Channel waveguides: a recipe with a [mask] run in the cross-section (depth x, lateral y)
of a slit opening — the exchange, anneals and burials of the recipe's steps in 2-D, then the
plane-strain stress, the TE/TM index maps and the guided modes of the final state.

    result = run_channel(recipe)          # recipe.mask is set
    result.fractions[-1]                  # χ(x, y) at the end (n_depth, n_lateral)
    result.modes.effective_indices("TE")

The steps run as in 1-D (ionex.process.simulate): the same D̃(χ, T) law, temperature
programs through the reduced clock, output times and step ends kept. While the mask is on, a
bath step holds χ_s in the opening |y| < w/2 and the face under the mask is closed; once it
is removed (Mask.removed_from_step) the step's bath reaches the whole face. An anneal closes
the whole face. A bath step with an electric field (a field-assisted burial, the mask removed)
adds the migration of the electroneutral current (ionex.solvers.diffusion2d).
"""

from __future__ import annotations

import math
import time as _time
from dataclasses import dataclass

import numpy as np

from ..errors import RecipeError
from ..grids import Grid2D, mask_grid
from ..physics.interdiffusion import far_field_current
from ..physics.optics import channel_indices, stress_free_index
from ..physics.stress import kohlrausch_factor
from ..solvers.diffusion2d import solve_diffusion_2d
from ..solvers.modes2d import ModeSet2D, solve_modes_2d
from ..solvers.stress2d import ChannelStress, plane_strain_stress
from .properties import relaxation_time_axis
from .recipe import Recipe
from .simulate import diffusion_length, step_clock, step_output_times

__all__ = ["ChannelResult", "run_channel", "channel_grid", "contour_extent", "CHANNEL_MODES"]

# modes computed per polarisation of the final state
CHANNEL_MODES = 4


@dataclass
class ChannelResult:
    """A channel run.

    Attributes:
        recipe: the recipe run.  grid: the cross-section mesh (Grid2D, m).
        times: output times from the start of the process (s).
        fractions: χ of the incoming ion, shape (n_times, n_depth, n_lateral).
        step_of: the 0-based step each output belongs to.
        uptake: the incoming ion that entered, per metre of guide, at each output
            (mol/m: Σ (χ − χ₀)·area·C_T).
        stress: the plane-strain stress of the final state (solvers.stress2d.ChannelStress:
            σ_xx, σ_yy, σ_zz, σ_xy per cell, Pa, relaxation included), or None without [stress].
        index_te, index_tm: n_TE(x, y), n_TM(x, y) of the final state (quasi-TE light polarised
            along y, quasi-TM along x), or None without [optics].
        modes: the guided modes of the final state (ModeSet2D), or None.
        mode_note: why there are no modes, when there are none.
        work: solver statistics (steps, rejected, wall_time_s).
    """

    recipe: Recipe
    grid: Grid2D
    times: np.ndarray
    fractions: np.ndarray
    step_of: np.ndarray
    uptake: np.ndarray
    stress: ChannelStress | None = None
    index_te: np.ndarray | None = None
    index_tm: np.ndarray | None = None
    modes: ModeSet2D | None = None
    mode_note: str = ""
    work: dict | None = None

    @property
    def depth(self) -> np.ndarray:
        """Cell-centre depths (m)."""
        return self.grid.depth.centres

    @property
    def lateral(self) -> np.ndarray:
        """Cell-centre lateral positions (m)."""
        return self.grid.lateral_centres


def channel_grid(recipe: Recipe) -> Grid2D:
    """The cross-section mesh of a masked recipe: depth Numerics.domain_lengths diffusion
    lengths plus the farthest drift of field-assisted steps (the glass thickness if less),
    laterally w/2 plus that depth on each side unless
    Mask.half_width is given; graded toward the face and the mask edges."""
    mask = recipe.mask
    length = diffusion_length(recipe)
    depth = recipe.numerics.domain_lengths * length + _drift_distance(recipe)
    if recipe.glass.thickness is not None:
        depth = min(depth, recipe.glass.thickness)
    half = mask.half_width if mask.half_width is not None else 0.5 * mask.opening + depth
    lateral = mask.lateral_cells + mask.lateral_cells % 2
    return mask_grid(mask.opening, depth, half, mask.depth_cells, lateral, diffusion_length=length)


def _step_current(recipe: Recipe, step) -> float | None:
    """j∞ of a field-assisted step (m/s; ionex.physics.interdiffusion.far_field_current),
    None for a thermal one. The temperature is constant (Recipe._check_fields)."""
    if step.electric_field is None:
        return None
    T = float(step.temperature(0.0))
    return far_field_current(step.electric_field, float(recipe.model.host(T)), T)


def _drift_distance(recipe: Recipe) -> float:
    """How far the field-assisted steps can carry the incoming ion (m): its fastest
    velocity D_A·j∞/g(χ) is j∞·max(1, D_A/D_B), reached where it is alone (D_A < D_B) or
    dilute (D_A > D_B)."""
    total = 0.0
    for step in recipe.steps:
        current = _step_current(recipe, step)
        if current is not None:
            T = float(step.temperature(0.0))
            ratio = float(recipe.model.incoming(T)) / float(recipe.model.host(T))
            total += current * max(1.0, ratio) * step.duration
    return total


def run_channel(recipe: Recipe, *, modes: bool = True) -> ChannelResult:
    """Run every step of a masked recipe in the cross-section, then its stress, index maps
    and (``modes``) guided modes of the final state.

    Raises ionex.errors.SolverError when a step cannot be integrated (the solver says why).
    """
    if recipe.mask is None:
        raise ValueError(f"{recipe.name}: a channel run needs a [mask]")
    started = _time.perf_counter()
    grid = channel_grid(recipe)
    mask = recipe.mask
    _check_substrate(recipe, grid)
    y = np.zeros(grid.shape)
    ends = np.cumsum([s.duration for s in recipe.steps])
    starts = np.concatenate([[0.0], ends[:-1]])
    wanted = np.union1d(np.asarray(recipe.output_times, dtype=float), ends)
    times, states, steps_of = [], [], []
    work = {"steps": 0, "rejected": 0}
    for k, step in enumerate(recipe.steps):
        t0, t1 = starts[k], ends[k]
        at_zero, local = step_output_times(wanted, t0, t1, k == 0)
        for _ in range(at_zero):
            times.append(0.0)
            states.append(y.copy())
            steps_of.append(0)
        rel = np.minimum(local - t0, step.duration)
        law, span, outs, bps, _ = step_clock(recipe.model, step, rel)
        current = _step_current(recipe, step)
        sol = solve_diffusion_2d(
            grid,
            law,
            y,
            span,
            opening=mask.opening if mask.masked(k) else None,
            surface_fraction=step.surface_fraction,
            output_times=outs,
            breakpoints=bps,
            rtol=recipe.numerics.rtol,
            atol=recipe.numerics.atol,
            current=current,
        )
        for t_out, state in zip(local, sol.states):
            times.append(float(t_out))
            states.append(state)
            steps_of.append(k)
        y = sol.final
        work["steps"] += sol.n_steps
        work["rejected"] += sol.n_rejected
    fractions = np.asarray(states)
    uptake = np.einsum("tij,ij->t", fractions, grid.areas) * recipe.glass.total_mobile
    result = ChannelResult(recipe, grid, np.asarray(times), fractions, np.asarray(steps_of), uptake)
    _properties(result, modes)
    work["wall_time_s"] = _time.perf_counter() - started
    result.work = work
    return result


def contour_extent(depth, lateral, fraction, level: float) -> tuple[float, float]:
    """(depth, width) of the χ = ``level`` contour of one map (m), linearly interpolated
    between cell centres: the deepest crossing over the columns and the widest span over the
    rows; (nan, nan) when χ never reaches the level.

    Args:
        depth, lateral: cell-centre x and y (m).  fraction: χ, shape (depth, lateral).
        level: the contour's χ (dimensionless).
    """
    x, y, chi = np.asarray(depth), np.asarray(lateral), np.asarray(fraction)
    inside = chi >= level
    if not inside.any():
        return math.nan, math.nan
    deepest = 0.0
    for j in np.flatnonzero(inside.any(axis=0)):
        i = int(np.flatnonzero(inside[:, j])[-1])
        deepest = max(deepest, _crossing(x, chi[:, j], i, i + 1, level))
    widest = 0.0
    for i in np.flatnonzero(inside.any(axis=1)):
        cols = np.flatnonzero(inside[i])
        left = _crossing(y, chi[i], int(cols[0]), int(cols[0]) - 1, level)
        right = _crossing(y, chi[i], int(cols[-1]), int(cols[-1]) + 1, level)
        widest = max(widest, right - left)
    return deepest, widest


def _crossing(axis, values, inner: int, outer: int, level: float) -> float:
    """Where ``values`` falls through ``level`` between the node inside and the next one
    outside (the inner node itself at the mesh's end)."""
    if not 0 <= outer < axis.size:
        return float(axis[inner])
    a, b = values[inner], values[outer]
    return float(axis[inner] + (a - level) / (a - b) * (axis[outer] - axis[inner]))


# the plane-strain stress treats the substrate as a half-space: a plate at least this many
# times deeper than the computed cross-section (the field of a channel decays as 1/r², so
# the plate's far face and its force balance change the stress by ≲ 1 % there)
HALF_SPACE_DEPTHS = 10.0


def _check_substrate(recipe: Recipe, grid: Grid2D) -> None:
    """Refuse a stress computation on a plate too thin to be the half-space it assumes."""
    t = recipe.glass.thickness
    if recipe.stress is None or t is None or t >= HALF_SPACE_DEPTHS * grid.depth.length:
        return
    raise RecipeError(
        f"{recipe.source_path or recipe.name}: the plate ({t * 1e6:.4g} µm) is less than "
        f"{HALF_SPACE_DEPTHS:g} times the cross-section's depth ({grid.depth.length * 1e6:.4g} "
        "µm); the channel's stress is computed for a substrate much thicker than the exchanged "
        "region (a half-space): expected a thicker plate, or no [stress]"
    )


def _properties(result: ChannelResult, modes: bool) -> None:
    """Stress, index maps and modes of the final state, as the recipe asks."""
    recipe = result.recipe
    grid = result.grid
    final = result.fractions[-1]
    if recipe.stress is not None:
        opts = recipe.stress
        elastic = plane_strain_stress(
            grid.depth.faces, grid.lateral_faces, opts.glass.dilation * final, opts.glass
        )
        factor = 1.0
        if opts.relaxation == "kww":
            xi = relaxation_time_axis(recipe, result.times[-1:], opts.law, opts.clock)
            factor = float(kohlrausch_factor(xi, opts.law.tau, opts.law.beta)[0])
        result.stress = ChannelStress(*(factor * s for s in elastic))
    if recipe.optics is None:
        return
    o = recipe.optics
    n0 = stress_free_index(final, o.base_index, o.index_change)
    if o.elasto_optic is not None and result.stress is not None:
        s = result.stress
        result.index_te, result.index_tm = channel_indices(
            n0, s.sigma_xx, s.sigma_yy, s.sigma_zz, o.elasto_optic
        )
    else:
        result.index_te, result.index_tm = n0, n0.copy()
    if not modes:
        return
    try:
        result.modes = solve_modes_2d(
            grid.depth.centres,
            grid.lateral_centres,
            {"TE": result.index_te, "TM": result.index_tm},
            o.wavelength,
            polarisations=("TE", "TM"),
            modes=CHANNEL_MODES,
            cover_index=o.cover_index,
            substrate_index=o.base_index,
        )
    except ValueError as exc:  # below cut-off: said with the run, not an error of the run
        result.mode_note = str(exc)
