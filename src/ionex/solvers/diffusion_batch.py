"""Many runs of ∂χ/∂t = ∂/∂x [D̃(χ) ∂χ/∂x] advanced in one compiled call.

The problem, discretisation and time integration are those of
:func:`ionex.solvers.diffusion.solve_nonlinear_diffusion` (finite volumes with the exact
Kirchhoff-potential flux F = −ΔΦ/Δx, Φ' = D̃; the Rosenbrock method ROS3 with an embedded
error estimate; the active region) — the very compiled loop a constant-law run takes on its
own (:func:`ionex.solvers._loop.advance_constant_law`) — for B runs at once. Each run keeps its own mesh,
law, faces, duration, output times, tolerances and adaptive step, so a batched run takes
exactly the steps it takes on its own and its result equals the one-by-one result (the
tests measure the difference: 0, bit for bit).

What the batch removes is the per-run cost of the Python set-up and dispatch: one compiled
call advances every run to its end. The price is generality: within one call the law of a run
is constant in time (a constant temperature), and there are no trackers. Time-dependent
laws (temperature programs, logs) go through solve_nonlinear_diffusion.

Why per-run meshes and steps rather than a (B, K) state on one mesh with one shared step:
runs of a sweep differ in their diffusion length (D, duration, temperature), so a shared
mesh must be built for the largest of them and is finer than most runs need, and a shared
step is limited by the stiffest run at every instant — and neither reproduces the
one-by-one result. A loop over runs inside one compiled call keeps both exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit

from ..errors import SolverError
from ..grids import Grid
from ..physics.kirchhoff import KirchhoffLaw
from . import _loop
from .diffusion import (
    FaceCondition,
    _checked_start,
    _edge_potentials,
    _face_weights,
    _first_step,
    _loop_solution,
    _schedule,
)

__all__ = ["BatchRun", "solve_diffusion_batch"]


@dataclass(frozen=True, eq=False)
class BatchRun:
    """One run of a batch: the arguments of solve_nonlinear_diffusion for a constant law.

    Attributes:
        grid: the mesh (depth in m).
        law: χ ↦ (Φ, D̃) (m²/s), constant over the run.
        initial: χ per cell at t = 0 (dimensionless).
        duration: length of the run (s, > 0).
        front, back: conditions at depth 0 and at grid.length.
        output_times: times in [0, duration] (s) at which to store χ.
        breakpoints: times (s) the steps land on, as in solve_nonlinear_diffusion (a
            constant temperature given as a program still has its points as stops).
        rtol, atol: local error tolerance per cell, |err| ≤ atol + rtol·|χ| (dimensionless).
        first_step: initial step (s); None: the time to diffuse across the first cell.
        time_offset: added to the run's time in failure messages (s), e.g. the start of
            the process step the run is part of.
    """

    grid: Grid
    law: KirchhoffLaw
    initial: np.ndarray
    duration: float
    front: FaceCondition
    back: FaceCondition
    output_times: tuple = ()
    breakpoints: tuple = ()
    rtol: float = 1e-3
    atol: float = 1e-6
    first_step: float | None = None
    time_offset: float = 0.0


def solve_diffusion_batch(runs: Sequence[BatchRun], *, max_steps: int = 1_000_000) -> list:
    """Advance every run of ``runs`` to its end in one compiled call.

    Args:
        runs: the runs (any mix of meshes, laws, faces, durations and output times).
        max_steps: accepted steps allowed per run.
    Returns:
        One entry per run, in order: its DiffusionSolution (as solve_nonlinear_diffusion
        returns it, with the same times, states, inflows and work counters), or — when that
        run's integration fails — the SolverError it would have raised (not raised here:
        one failed run does not stop the others).
    Raises:
        ValueError / TypeError for invalid arguments, naming the run (1-based).
    """
    runs = list(runs)
    if not runs:
        return []
    packed = _Packed(runs)
    _advance_all(*packed.kernel_args, max_steps)
    return [packed.unpack(r, run, max_steps) for r, run in enumerate(runs)]


class _Packed:
    """The runs of a batch in flat arrays with offsets (numba takes no lists of arrays)."""

    def __init__(self, runs: list[BatchRun]):
        n_runs = len(runs)
        ys, vols, woffs, wdiags, outs_all, stops_all = [], [], [], [], [], []
        phis, slopes, coefs = [], [], []
        self.inv_front = np.empty(n_runs)
        self.inv_back = np.empty(n_runs)
        self.has_front = np.empty(n_runs, dtype=np.bool_)
        self.has_back = np.empty(n_runs, dtype=np.bool_)
        self.kinds = np.empty(n_runs, dtype=np.int64)
        self.params = np.empty((n_runs, 4))
        self.phi_front = np.empty(n_runs)
        self.phi_back = np.empty(n_runs)
        self.durations = np.empty(n_runs)
        self.first_steps = np.empty(n_runs)
        self.rtol = np.empty(n_runs)
        self.atol = np.empty(n_runs)
        cells = [0]
        tabs = [0]
        out_counts = [0]
        stop_counts = [0]
        state_sizes = [0]
        for r, run in enumerate(runs):
            where = f"run {r + 1} of the batch"
            if not isinstance(run.law, KirchhoffLaw):
                raise TypeError(
                    f"{where}: law must be a KirchhoffLaw (see ionex.physics.kirchhoff)"
                )
            try:
                y = _checked_start(run.initial, run.grid, run.duration, run.rtol, run.atol)
                outs, stops = _schedule(run.duration, run.output_times, run.breakpoints)
            except ValueError as exc:
                raise ValueError(f"{where}: {exc}") from None
            vol, inv, w_off, w_diag = _face_weights(run.grid, run.front, run.back)
            n = run.grid.n_cells
            ys.append(y)
            vols.append(vol)
            woffs.append(np.concatenate([w_off, np.zeros(n - w_off.size)]))  # pad to n per run
            wdiags.append(w_diag)
            cells.append(cells[-1] + n)
            self.inv_front[r], self.inv_back[r] = inv[0], inv[-1]
            self.has_front[r], self.has_back[r] = not run.front.closed, not run.back.closed
            law = run.law
            self.kinds[r] = law.kind
            self.params[r] = law.params
            phis.append(np.asarray(law.phi, dtype=float))
            slopes.append(np.asarray(law.phi_slope, dtype=float))
            coefs.append(np.asarray(law.coefficient, dtype=float))
            tabs.append(tabs[-1] + phis[-1].size)
            self.phi_front[r], self.phi_back[r] = _edge_potentials(
                law, run.front.surface_fraction, run.back.surface_fraction
            )
            self.durations[r] = run.duration
            first = (
                run.first_step
                if run.first_step is not None
                else _first_step(law, run.grid, run.duration)
            )
            self.first_steps[r] = max(first, 1e-12 * run.duration)
            self.rtol[r], self.atol[r] = run.rtol, run.atol
            outs_all.append(outs)
            out_counts.append(out_counts[-1] + outs.size)
            stops_all.append(np.asarray(stops, dtype=float))
            stop_counts.append(stop_counts[-1] + len(stops))
            state_sizes.append(state_sizes[-1] + outs.size * n)
        self.cell_start = np.asarray(cells, dtype=np.int64)
        self.tab_start = np.asarray(tabs, dtype=np.int64)
        self.out_start = np.asarray(out_counts, dtype=np.int64)
        self.stop_start = np.asarray(stop_counts, dtype=np.int64)
        self.state_start = np.asarray(state_sizes, dtype=np.int64)
        self.y = np.concatenate(ys)
        self.vol = np.concatenate(vols)
        self.w_off = np.concatenate(woffs)
        self.w_diag = np.concatenate(wdiags)
        self.phi_tab = np.concatenate(phis)
        self.slope_tab = np.concatenate(slopes)
        self.coef_tab = np.concatenate(coefs)
        self.outs = np.concatenate(outs_all)
        self.stops = np.concatenate(stops_all)
        # results, filled by the kernel
        self.states = np.empty(self.state_start[-1])
        self.out_inflow = np.empty((self.out_start[-1], 2))
        # per run: inflow front, back, time reached / the counts of _loop.advance_constant_law
        self.totals = np.zeros((n_runs, 3))
        self.counts = np.zeros((n_runs, 6), dtype=np.int64)
        self.kernel_args = (
            self.cell_start,
            self.y,
            self.vol,
            self.w_off,
            self.w_diag,
            self.inv_front,
            self.inv_back,
            self.has_front,
            self.has_back,
            self.kinds,
            self.params,
            self.tab_start,
            self.phi_tab,
            self.slope_tab,
            self.coef_tab,
            self.phi_front,
            self.phi_back,
            self.durations,
            self.first_steps,
            self.out_start,
            self.outs,
            self.stop_start,
            self.stops,
            self.rtol,
            self.atol,
            self.state_start,
            self.states,
            self.out_inflow,
            self.totals,
            self.counts,
        )

    def unpack(self, r: int, run: BatchRun, max_steps: int):
        c0, c1 = self.cell_start[r], self.cell_start[r + 1]
        o0, o1 = self.out_start[r], self.out_start[r + 1]
        n = c1 - c0
        states = (
            self.states[self.state_start[r] : self.state_start[r + 1]].reshape(o1 - o0, n).copy()
        )
        solution = _loop_solution(
            self.counts[r],
            self.totals[r],
            self.y[c0:c1].copy(),  # the loop leaves each run's last state in place
            self.outs[o0:o1].copy(),
            states,
            self.out_inflow[o0:o1].copy(),
            run.law,
            run.grid,
            run.duration,
            run.time_offset,
            max_steps,
        )
        if not isinstance(solution, SolverError):
            solution.diagnostics["batched"] = True
        return solution


@njit(cache=True)
def _advance_all(
    cell_start,
    y_all,
    vol_all,
    w_off_all,
    w_diag_all,
    inv_front,
    inv_back,
    has_front,
    has_back,
    kinds,
    params,
    tab_start,
    phi_tab,
    slope_tab,
    coef_tab,
    phi_front,
    phi_back,
    durations,
    first_steps,
    out_start,
    outs,
    stop_start,
    stops,
    rtol,
    atol,
    state_start,
    states,
    out_inflow,
    totals_all,
    counts,
    max_steps,
):
    """Advance every run to its end (the driver loop of solve_nonlinear_diffusion, compiled,
    for a law constant in time and no step cap). Each run's state is advanced in place in
    y_all; its outputs go to states/out_inflow, its work to counts, its outcome to status."""
    for r in range(cell_start.size - 1):
        c0 = cell_start[r]
        n = cell_start[r + 1] - c0
        # contiguous copies: slices are typed as strided arrays, and the kernel compiled for
        # those runs slower than for the contiguous arrays the one-by-one driver passes
        vol = vol_all[c0 : c0 + n].copy()
        w_diag = w_diag_all[c0 : c0 + n].copy()
        w_off = w_off_all[c0 : c0 + max(n - 1, 1)].copy()
        t0, t1 = tab_start[r], tab_start[r + 1]
        o0, o1 = out_start[r], out_start[r + 1]
        s0, s1 = stop_start[r], stop_start[r + 1]
        y = y_all[c0 : c0 + n].copy()
        run_states = np.empty((o1 - o0, n))
        run_inflow = np.empty((o1 - o0, 2))
        totals = np.zeros(3)
        run_counts = np.zeros(6, dtype=np.int64)
        _loop.advance_constant_law(
            kinds[r], params[r].copy(), phi_tab[t0:t1].copy(), slope_tab[t0:t1].copy(),
            coef_tab[t0:t1].copy(), phi_front[r], phi_back[r], y, vol, w_off, w_diag,
            inv_front[r], inv_back[r], has_front[r], has_back[r], durations[r],
            first_steps[r], outs[o0:o1].copy(), stops[s0:s1].copy(), rtol[r], atol[r],
            max_steps, True, run_states, run_inflow, totals, run_counts,
        )  # fmt: skip
        y_all[c0 : c0 + n] = y
        base = state_start[r]
        for k in range(o1 - o0):
            states[base + k * n : base + (k + 1) * n] = run_states[k]
            out_inflow[o0 + k, 0] = run_inflow[k, 0]
            out_inflow[o0 + k, 1] = run_inflow[k, 1]
        for j in range(3):
            totals_all[r, j] = totals[j]
        for j in range(6):
            counts[r, j] = run_counts[j]
