"""Implicit finite-volume solver for ∂χ/∂t = ∂/∂x [D̃(χ, t) ∂χ/∂x] in one dimension.

Space: cell-centred finite volumes; the flux across a face between centres x_i < x_j is
the exact steady flux of the nonlinear law, F = −(Φ(χ_j) − Φ(χ_i))/(x_j − x_i), with the
Kirchhoff potential Φ' = D̃. It is second-order accurate, conservative by construction,
and its stage matrix M/(γh) − J is an M-matrix however steep D̃(χ) is. A bath face holds
χ = χ_s at the surface (the face flux then spans the half cell to the surface); a closed
face carries no flux.

Time: the Rosenbrock method ROS3 (Sandu et al. 1997; order 3, L-stable) with an embedded
second-order solution for the error estimate (ionex.solvers._rosenbrock). It is linearly
implicit: each step factorises the exact tridiagonal Jacobian once and solves three
linear systems with it, evaluating the law twice — no Newton iteration. Steps are adapted
to keep the local error below atol + rtol·|χ| in every cell (ionex.solvers.step_control)
and land exactly on the requested output times and breakpoints.

Space where nothing happens is skipped: ahead of the front, cells that still hold their
starting value are left out of the solve, with a margin, until the profile approaches
them (ionex.solvers._active); the results equal full-mesh results to 1e-3 of atol.

The solver knows nothing of ions, recipes or files: it takes a grid, an initial state and
either one KirchhoffLaw χ ↦ (Φ(χ), D̃(χ)) or a callable ``law_at(t)`` returning the law
valid at time t. A constant law without a tracker runs the whole step loop compiled
(ionex.solvers._loop, the loop every run of ionex.solvers.diffusion_batch takes); other
calls drive the same kernel step by step from Python (trackers, temperature programs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import SolverError
from ..grids import Grid
from ..physics.kirchhoff import KirchhoffLaw
from ..validators import positive
from . import _active, _loop, _rosenbrock, step_control
from ._rosenbrock import ORDER
from .trackers import Tracker

__all__ = [
    "FaceCondition",
    "DiffusionSolution",
    "SolverError",
    "solve_nonlinear_diffusion",
    "ORDER",
]


@dataclass(frozen=True)
class FaceCondition:
    """Boundary condition of one face.

    Attributes:
        surface_fraction: χ held at the surface (a bath), or None for a closed face
            (no flux: an anneal, a symmetry plane, or the far end of a slab).
    """

    surface_fraction: float | None = None

    def __post_init__(self):
        f = self.surface_fraction
        if f is not None and not (0.0 <= f <= 1.0):
            raise ValueError(f"surface fraction must lie in [0, 1], got {f!r}")

    @property
    def closed(self) -> bool:
        return self.surface_fraction is None


@dataclass
class DiffusionSolution:
    """States at the output times of one call.

    Attributes:
        times: output times (s, from the start of the call).
        states: χ per output time and cell, shape (n_times, n_cells).
        inflow: cumulative amount that entered through (front, back) face up to each
            output time, as ∫ flux dt in units of χ·m (multiply by C_T for mol/m²).
        final: χ at the end of the call.  final_inflow: (front, back) at the end.
        n_steps, n_rejected: work counters. n_solves: linear solves with the step's
            factorised matrix (three per step attempt).
    """

    times: np.ndarray
    states: np.ndarray
    inflow: np.ndarray
    final: np.ndarray
    final_inflow: np.ndarray
    n_steps: int = 0
    n_rejected: int = 0
    n_solves: int = 0
    diagnostics: dict = field(default_factory=dict)


def solve_nonlinear_diffusion(
    grid: Grid,
    law_at: KirchhoffLaw | Callable[[float], KirchhoffLaw],
    initial: np.ndarray,
    duration: float,
    *,
    front: FaceCondition,
    back: FaceCondition,
    output_times=(),
    breakpoints=(),
    rtol: float = 1e-3,
    atol: float = 1e-6,
    first_step: float | None = None,
    max_step: float | None = None,
    max_steps: int = 1_000_000,
    fixed_step: float | None = None,
    tracker: Tracker | None = None,
    time_offset: float = 0.0,
    skip_flat: bool = True,
) -> DiffusionSolution:
    """Advance χ over ``duration`` seconds and return it at ``output_times``.

    Args:
        grid: the mesh (depth in m).
        law_at: the KirchhoffLaw (χ ↦ (Φ, D̃), m²/s) of the whole call, or t ↦ the law valid
            at t, in s from the start of this call. A callable is called three times per
            step; returning the same object while the law does not change lets the solver
            reuse its packed form and skip ∂R/∂t. D̃ must be positive. A constant law
            without tracker, max_step or fixed_step runs the whole loop compiled.
        initial: χ in every cell at t = 0 (dimensionless).
        duration: length of the integration (s, > 0).
        front, back: conditions at depth 0 and at grid.length.
        output_times: times in [0, duration] (s) at which to store χ (hit exactly).
        breakpoints: times (s) where the law has a kink (e.g. a ramp ends); steps land on them.
        rtol, atol: local error tolerance per cell: |err| ≤ atol + rtol·|χ|.
        first_step, max_step: optional bounds on the step (s).
        fixed_step: take steps of exactly this size (s), shortened only to land on output
            times and breakpoints, with no error control (for convergence studies).
        tracker: receives ``handle(time_offset + t, χ)`` after every accepted step.
        time_offset: added to t when reporting to the tracker (s).
        skip_flat: leave the flat run of cells ahead of the profile out of the solve
            (the result equals the full-mesh one to 1e-3·atol); False solves every cell.
    Raises:
        SolverError: when the stages turn non-finite repeatedly and the step falls below
            round-off, naming the time and the depth of the largest rate.
    """
    y = _checked_start(initial, grid, duration, rtol, atol)
    n = grid.n_cells
    vol, inv, w_off, w_diag = _face_weights(grid, front, back)
    outs, stops = _schedule(duration, output_times, breakpoints)
    constant = law_at if isinstance(law_at, KirchhoffLaw) else None
    if constant is not None:
        law_at = _constant(constant)
    if fixed_step is not None:
        positive(fixed_step, "fixed_step", "s")
        first_step = fixed_step
    if first_step is None:
        first_step = _first_step(_law(law_at, 0.0), grid, duration)
    h = max(first_step, 1e-12 * duration)
    states = np.empty((outs.size, n))
    inflows = np.empty((outs.size, 2))

    if constant is not None and tracker is None and max_step is None and fixed_step is None:
        # the whole loop compiled (the same loop as every run of a batch)
        phi_front, phi_back = _edge_potentials(
            constant, front.surface_fraction, back.surface_fraction
        )
        totals = np.zeros(3)
        counts = np.zeros(6, dtype=np.int64)
        _loop.advance_constant_law(
            constant.kind, constant.params, constant.phi, constant.phi_slope,
            constant.coefficient, phi_front, phi_back, y, vol, w_off, w_diag, inv[0], inv[-1],
            not front.closed, not back.closed, duration, h, outs, np.asarray(stops), rtol,
            atol, max_steps, skip_flat, states, inflows, totals, counts,
        )  # fmt: skip
        solution = _loop_solution(
            counts, totals, y, outs, states, inflows, constant, grid, duration, time_offset,
            max_steps,
        )  # fmt: skip
        if isinstance(solution, SolverError):
            raise solution
        return solution

    stage_laws = _StageLaws(front.surface_fraction, back.surface_fraction)
    t = 0.0
    h_cap = max_step if max_step is not None else math.inf
    out_idx = 0
    while out_idx < outs.size and outs[out_idx] <= 0.0:
        states[out_idx] = y
        inflows[out_idx] = 0.0
        out_idx += 1

    cum_front = 0.0
    cum_back = 0.0
    n_steps = n_rejected = n_solves = 0
    inflow = np.empty(2)
    stop_idx = 0
    h_min = step_control.step_floor(duration)
    last_failure = ""
    adaptive = fixed_step is None
    after_rejection = False
    region = _Region(y, vol, w_off, w_diag, not front.closed, not back.closed, atol, skip_flat)
    cell_steps = 0

    while t < duration:
        while step_control.stop_passed(stops[stop_idx], t):
            stop_idx += 1
        target = stops[stop_idx]
        h = min(h, h_cap)
        landing = step_control.lands(t, h, target, adaptive)
        step = target - t if landing else h
        laws = stage_laws.prepare(law_at, t, step)
        status, en, solves = _rosenbrock.ros3_step(
            *laws,
            region.y,
            step,
            region.vol,
            region.w_off,
            region.w_diag,
            inv[0],
            inv[-1],
            stage_laws.phi_front,
            stage_laws.phi_back,
            not front.closed,
            not back.closed,
            stage_laws.autonomous,
            atol,
            rtol,
            region.work,
            region.y_new,
            inflow,
        )
        n_solves += solves
        cell_steps += region.y.size
        if status != _rosenbrock.OK:
            failed = _rosenbrock.MESSAGES[status]
            n_rejected += 1
            last_failure = failed
            if fixed_step is not None:
                raise SolverError(
                    f"time integration failed at t = {time_offset + t:.6g} s with the fixed step "
                    f"{fixed_step:.6g} s: {failed}"
                )
            h = step_control.step_after_failure(step)
            after_rejection = True
            if not h >= h_min:  # also catches NaN
                raise SolverError(
                    _failure_message(
                        time_offset + t,
                        failed,
                        h_min,
                        _worst_cell(_law(law_at, t), region.full(), grid),
                    )
                )
            continue
        factor = step_control.step_factor(en)
        if fixed_step is not None:
            factor, en = 1.0, 0.0
        if en > 1.0:
            n_rejected += 1
            h = step_control.step_after_reject(step, factor)
            after_rejection = True
            continue
        if region.outgrown():
            continue  # the region grew: the step is taken again from its start
        n_steps += 1
        if n_steps > max_steps:
            raise SolverError(_too_many_steps(max_steps, time_offset + t))
        cum_front += inflow[0]
        cum_back += inflow[1]
        t = target if landing else t + step
        region.accept()
        h = (
            fixed_step
            if fixed_step is not None
            else step_control.step_after_accept(step, factor, h, landing, after_rejection)
        )
        after_rejection = False
        while out_idx < outs.size and step_control.output_due(outs[out_idx], t):
            states[out_idx] = region.full()
            inflows[out_idx] = (cum_front, cum_back)
            out_idx += 1
        if tracker is not None:
            tracker.handle(time_offset + t, region.full())

    return DiffusionSolution(
        times=outs,
        states=states,
        inflow=inflows,
        final=region.full().copy(),
        final_inflow=np.array([cum_front, cum_back]),
        n_steps=n_steps,
        n_rejected=n_rejected,
        n_solves=n_solves,
        diagnostics={"last_failure": last_failure, "n_cells": n, "cell_steps": cell_steps},
    )


class _Region:
    """The active region of the Python loop (ionex.solvers._active): the compacted state
    and mesh weights, grown when the profile reaches the margin."""

    def __init__(self, y, vol, w_off, w_diag, front_open, back_open, atol, skip_flat):
        self._y_full = y
        self._mesh = (vol, w_off, w_diag)
        self._open = (front_open, back_open)
        self.eps = _active.FLAT_FRACTION * atol
        self._build(
            _active.flat_run(y, front_open, back_open, self.eps) if skip_flat else (0, 0, 0.0, 0)
        )

    def _build(self, run):
        """Restrict the state and mesh to the cells outside the flat ``run`` (a, b, ref, guard)."""
        vol, w_off, w_diag = self._mesh
        self.a, self.b, self.ref, self.guard = run
        self.y, self.vol, self.w_off, self.w_diag = _active.restrict(
            self._y_full, vol, w_off, w_diag, self.a, self.b
        )
        self.y_new = np.empty_like(self.y)
        self.work = _rosenbrock.workspace(self.y.size)
        self._stale = False

    def outgrown(self) -> bool:
        """After a step into y_new: whether it reached the margin (the region is then
        grown from the state the step reached, and the step must be taken again)."""
        a, b = self.a, self.b
        if b <= a or not _active.guard_moved(
            self.y_new, a, b, self._y_full.size, self.ref, self.eps, self.guard
        ):
            return False
        self._build(_active.regrown(self.full(), self.y_new, a, b, *self._open, self.eps))
        return True

    def accept(self):
        self.y, self.y_new = self.y_new, self.y
        self._stale = True

    def full(self) -> np.ndarray:
        """The full state (the left-out cells keep their values)."""
        if self._stale:
            _active.scatter(self._y_full, self.y, self.a, self.b)
            self._stale = False
        return self._y_full


def _constant(law: KirchhoffLaw):
    return lambda t: law


def _loop_solution(
    counts, totals, final, outs, states, inflows, law, grid, duration, time_offset, max_steps
) -> DiffusionSolution:
    """The DiffusionSolution of a run advanced by the compiled loop (ionex.solvers._loop),
    or the SolverError it ended with (returned, not raised)."""
    n_steps, n_rejected, n_solves, outcome, last, cell_steps = (int(v) for v in counts)
    t_end = time_offset + float(totals[2])
    if outcome == _loop.STEP_TOO_SMALL:
        return SolverError(
            _failure_message(
                t_end,
                _rosenbrock.MESSAGES[last],
                step_control.step_floor(duration),
                _worst_cell(law, final, grid),
            )
        )
    if outcome == _loop.TOO_MANY_STEPS:
        return SolverError(_too_many_steps(max_steps, t_end))
    return DiffusionSolution(
        times=outs,
        states=states,
        inflow=inflows,
        final=final,
        final_inflow=totals[:2].copy(),
        n_steps=n_steps,
        n_rejected=n_rejected,
        n_solves=n_solves,
        diagnostics={
            "last_failure": _rosenbrock.MESSAGES[last] if last else "",
            "n_cells": grid.n_cells,
            "cell_steps": cell_steps,
        },
    )


# ---------------------------------------------------------------------------------------
# Set-up shared with the batch driver (ionex.solvers.diffusion_batch), so that a run takes
# the same mesh weights, stops, first step and messages whichever driver advances it.


def _checked_start(initial, grid: Grid, duration: float, rtol: float, atol: float) -> np.ndarray:
    """A private float copy of the initial state, after checking the call's arguments."""
    positive(duration, "duration", "s")
    if not (rtol > 0 and atol > 0):
        raise ValueError("rtol and atol must be > 0")
    y = np.array(initial, dtype=float)
    n = grid.n_cells
    if y.shape != (n,):
        raise ValueError(f"initial state has shape {y.shape}, expected ({n},)")
    if not np.all(np.isfinite(y)):
        raise ValueError("initial state contains non-finite values")
    return y


def _face_weights(grid: Grid, front: FaceCondition, back: FaceCondition):
    """(cell widths, 1/spacing per face, interior face weights, Σ weights of the faces of
    each cell that carry flux), in m and 1/m, as the kernel takes them."""
    vol = grid.volumes
    inv = 1.0 / grid.spacing  # per face, boundary faces measured to the surface
    n = grid.n_cells
    w_off = inv[1:-1].copy()
    w_diag = np.zeros(n)
    w_diag[1:] += w_off
    w_diag[:-1] += w_off
    if not front.closed:
        w_diag[0] += inv[0]
    if not back.closed:
        w_diag[-1] += inv[-1]
    if w_off.size == 0:
        w_off = np.zeros(1)
    return vol, inv, w_off, w_diag


def _schedule(duration: float, output_times, breakpoints):
    """(sorted output times, stops the steps land on: outputs and breakpoints inside the
    interval, then ``duration``), in s."""
    outs = np.asarray(sorted(float(t) for t in output_times), dtype=float)
    if outs.size and (outs[0] < 0 or outs[-1] > duration * (1 + 1e-12)):
        raise ValueError("output times must lie within [0, duration]")
    stops = sorted(
        {float(t) for t in breakpoints if 0 < t < duration}
        | {float(t) for t in outs if 0 < t < duration}
    )
    stops.append(float(duration))
    return outs, stops


def _first_step(law: KirchhoffLaw, grid: Grid, duration: float) -> float:
    """The time to diffuse across the first cell at the law's largest D̃ (s), at most
    1e-3 of the duration."""
    _, d0 = law(np.linspace(0.0, 1.0, 11))
    d_max = float(np.max(d0))
    first = 0.25 * grid.volumes[0] ** 2 / d_max if math.isfinite(d_max) and d_max > 0 else duration
    return min(first, 1e-3 * duration)


def _edge_potentials(law: KirchhoffLaw, front_fraction, back_fraction) -> tuple[float, float]:
    """Φ (m²/s) at the surface fractions held by the faces (0 for a closed face, unused)."""
    phi, _ = law(np.array([front_fraction or 0.0, back_fraction or 0.0]))
    return float(phi[0]), float(phi[1])


def _failure_message(t: float, failed: str, h_min: float, worst_depth: float) -> str:
    return (
        f"time integration failed at t = {t:.6g} s: {failed}; the step fell below "
        f"{h_min:.1e} s. Largest change rate near depth {worst_depth:.3e} m. Check that D̃ is positive "
        "and finite for all fractions at this temperature."
    )


def _too_many_steps(max_steps: int, t: float) -> str:
    return f"more than {max_steps} steps needed before t = {t:.6g} s"


def _law(law_at, t) -> KirchhoffLaw:
    law = law_at(t)
    if not isinstance(law, KirchhoffLaw):
        raise TypeError(
            "law_at(t) must return a KirchhoffLaw (see ionex.physics.kirchhoff; "
            "KirchhoffLaw.tabulate(D) wraps any D̃(χ))"
        )
    return law


class _StageLaws:
    """Packs the laws of the three stages of a step into the arrays the kernel takes,
    reusing them while law_at keeps returning the same law (a constant temperature)."""

    def __init__(self, front_fraction, back_fraction):
        self.front_fraction = front_fraction
        self.back_fraction = back_fraction
        self.key = None
        self.packed = None
        self.autonomous = True
        self.phi_front = np.zeros(3)
        self.phi_back = np.zeros(3)
        self.edge_cache: dict[int, tuple[float, float]] = {}

    def _edges(self, law: KirchhoffLaw) -> tuple[float, float]:
        got = self.edge_cache.get(id(law))
        if got is None or got[2] is not law:
            got = (*_edge_potentials(law, self.front_fraction, self.back_fraction), law)
            if len(self.edge_cache) > 16:
                self.edge_cache.clear()
            self.edge_cache[id(law)] = got
        return got[0], got[1]

    def prepare(self, law_at, t: float, step: float):
        laws = [_law(law_at, t + c * step) for c in _rosenbrock.NODES]
        key = tuple(id(law) for law in laws)
        self.autonomous = laws[0] is laws[1] and laws[0] is laws[2]
        if key != self.key or self.packed is None:
            self.packed = (
                np.array([law.kind for law in laws], dtype=np.int64),
                np.array([law.params for law in laws]),
                np.array([law.phi for law in laws]),
                np.array([law.phi_slope for law in laws]),
                np.array([law.coefficient for law in laws]),
            )
            for j, law in enumerate(laws):
                self.phi_front[j], self.phi_back[j] = self._edges(law)
            self.key = key
            self._laws = laws  # keep them alive while their ids are the key
        return self.packed


def _worst_cell(law, y, grid) -> float:
    """Depth (m) of the cell with the largest |D̃·∂χ/∂x| divergence, for error messages."""
    try:
        phi, _ = law(y)
        flux = np.zeros(y.size + 1)
        flux[1:-1] = (phi[:-1] - phi[1:]) / grid.spacing[1:-1]
        rate = np.abs(np.diff(flux)) / grid.volumes
        rate[~np.isfinite(rate)] = np.inf
        return float(grid.centres[int(np.argmax(rate))])
    except Exception:  # the law itself is broken: report the surface
        return 0.0
