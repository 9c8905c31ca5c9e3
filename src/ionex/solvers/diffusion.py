"""Implicit finite-volume solver for ∂χ/∂t = ∂/∂x [D̃(χ, t) ∂χ/∂x] in one dimension.

Space: cell-centred finite volumes; the flux across a face between centres x_i < x_j is
the exact steady flux of the nonlinear law, F = −(Φ(χ_j) − Φ(χ_i))/(x_j − x_i), with the
Kirchhoff potential Φ' = D̃. It is second-order accurate, conservative by construction,
and monotone (the Newton matrix is an M-matrix) however steep D̃(χ) is. A bath face holds
χ = χ_s at the surface (the face flux then spans the half cell to the surface); a closed
face carries no flux.

Time: Alexander's three-stage SDIRK method (order 3, L-stable, stiffly accurate) with an
embedded second-order solution for the error estimate, filtered through the Newton
matrix (Shampine) so that it stays meaningful for stiff modes. Each stage is solved by
Newton's method on the tridiagonal Jacobian (Thomas algorithm, compiled). Steps are adapted to keep
the local error below atol + rtol·|χ| in every cell, and land exactly on the requested
output times and breakpoints.

The solver knows nothing of ions, recipes or files: it takes a grid, an initial state and
a callable ``law_at(t)`` returning the KirchhoffLaw χ ↦ (Φ(χ), D̃(χ)) valid at time t.
Each step runs in the compiled kernel ionex.solvers._sdirk, which also holds the step-size
rules; this module drives the loop (landing on output times, outputs, trackers), and
ionex.solvers.diffusion_batch drives the same kernel and rules for many runs at once.
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
from . import _sdirk, step_control
from ._sdirk import ORDER
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
        n_steps, n_rejected, n_newton: work counters.
    """

    times: np.ndarray
    states: np.ndarray
    inflow: np.ndarray
    final: np.ndarray
    final_inflow: np.ndarray
    n_steps: int = 0
    n_rejected: int = 0
    n_newton: int = 0
    diagnostics: dict = field(default_factory=dict)


def solve_nonlinear_diffusion(
    grid: Grid,
    law_at: Callable[[float], KirchhoffLaw],
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
) -> DiffusionSolution:
    """Advance χ over ``duration`` seconds and return it at ``output_times``.

    Args:
        grid: the mesh (depth in m).
        law_at: t ↦ KirchhoffLaw (χ ↦ (Φ, D̃), m²/s) valid at t, in s from the start of this
            call. It is called three times per step; returning the same object while the
            law does not change lets the solver reuse its packed form. D̃ must be positive.
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
    Raises:
        SolverError: when Newton fails repeatedly and the step falls below round-off,
            naming the time and the depth of the worst residual.
    """
    y = _checked_start(initial, grid, duration, rtol, atol)
    n = grid.n_cells
    vol, inv, w_off, w_diag = _face_weights(grid, front, back)
    outs, stops = _schedule(duration, output_times, breakpoints)

    stage_laws = _StageLaws(front.surface_fraction, back.surface_fraction)
    t = 0.0
    if fixed_step is not None:
        positive(fixed_step, "fixed_step", "s")
        first_step = fixed_step
    if first_step is None:
        first_step = _first_step(_law(law_at, 0.0), grid, duration)
    h = max(first_step, 1e-12 * duration)
    h_cap = max_step if max_step is not None else math.inf

    states = np.empty((outs.size, n))
    inflows = np.empty((outs.size, 2))
    out_idx = 0
    while out_idx < outs.size and outs[out_idx] <= 0.0:
        states[out_idx] = y
        inflows[out_idx] = 0.0
        out_idx += 1

    cum_front = 0.0
    cum_back = 0.0
    n_steps = n_rejected = n_newton = 0
    k_last = np.zeros(n)
    use_k_last = False
    y_new = np.empty(n)
    k_end = np.empty(n)
    fluxes = np.empty((3, 2))
    stop_idx = 0
    h_min = step_control.step_floor(duration)
    last_failure = ""
    adaptive = fixed_step is None
    after_rejection = False

    while t < duration:
        while step_control.stop_passed(stops[stop_idx], t):
            stop_idx += 1
        target = stops[stop_idx]
        h = min(h, h_cap)
        landing = step_control.lands(t, h, target, adaptive)
        step = target - t if landing else h
        laws = stage_laws.prepare(law_at, t, step)
        status, en, its = _sdirk.sdirk3_step(
            *laws,
            y,
            step,
            vol,
            w_off,
            w_diag,
            inv[0],
            inv[-1],
            stage_laws.phi_front,
            stage_laws.phi_back,
            not front.closed,
            not back.closed,
            atol,
            rtol,
            k_last,
            use_k_last,
            y_new,
            k_end,
            fluxes,
        )
        n_newton += its
        if status == _sdirk.OK and not math.isfinite(en):
            status = _sdirk.NON_FINITE_ERROR
        if status != _sdirk.OK:
            failed = _sdirk.MESSAGES[status]
            n_rejected += 1
            last_failure = failed
            if fixed_step is not None:
                raise SolverError(
                    f"time integration failed at t = {time_offset + t:.6g} s with the fixed step "
                    f"{fixed_step:.6g} s: {failed}"
                )
            h = step_control.step_after_failure(step)
            use_k_last = False
            after_rejection = True
            if not h >= h_min:  # also catches NaN
                raise SolverError(
                    _failure_message(
                        time_offset + t, failed, h_min, _worst_cell(_law(law_at, t), y, grid)
                    )
                )
            continue
        factor = step_control.step_factor(en)
        if fixed_step is not None:
            factor, en = 1.0, 0.0
        if en > 1.0:
            n_rejected += 1
            h = step_control.step_after_reject(step, factor)
            use_k_last = False
            after_rejection = True
            continue
        # accepted
        n_steps += 1
        if n_steps > max_steps:
            raise SolverError(_too_many_steps(max_steps, time_offset + t))
        cum_front += step * (
            _sdirk.B[0] * fluxes[0, 0] + _sdirk.B[1] * fluxes[1, 0] + _sdirk.B[2] * fluxes[2, 0]
        )
        cum_back += step * (
            _sdirk.B[0] * fluxes[0, 1] + _sdirk.B[1] * fluxes[1, 1] + _sdirk.B[2] * fluxes[2, 1]
        )
        t = target if landing else t + step
        y, y_new = y_new, y
        k_last, k_end = k_end, k_last
        use_k_last = True
        h = (
            fixed_step
            if fixed_step is not None
            else step_control.step_after_accept(step, factor, h, landing, after_rejection)
        )
        after_rejection = False
        while out_idx < outs.size and step_control.output_due(outs[out_idx], t):
            states[out_idx] = y
            inflows[out_idx] = (cum_front, cum_back)
            out_idx += 1
        if tracker is not None:
            tracker.handle(time_offset + t, y)

    return DiffusionSolution(
        times=outs,
        states=states,
        inflow=inflows,
        final=y,
        final_inflow=np.array([cum_front, cum_back]),
        n_steps=n_steps,
        n_rejected=n_rejected,
        n_newton=n_newton,
        diagnostics={"last_failure": last_failure, "n_cells": n},
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
        laws = [_law(law_at, t + c * step) for c in _sdirk.C]
        key = tuple(id(law) for law in laws)
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
