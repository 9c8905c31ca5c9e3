"""Implicit finite-volume solver for ∂χ/∂t = ∇·(D̃(χ, t)∇χ) = ∇²Φ(χ) on a waveguide
cross-section exchanged through a mask opening.

Domain: depth x ∈ [0, X] (x = 0 the glass surface) × lateral y ∈ [−Y, Y], a tensor mesh
(ionex.grids.Grid2D). At x = 0 the faces inside the opening (|y| < w/2) hold χ = χ_s (a
bath; χ_s = 0 for an anneal under a bath of host ions) and those under the mask are
closed; the whole surface may be closed (a burial anneal). The other boundaries carry no
flux (the domain is taken large enough).

Space: cell-centred finite volumes with the flux of the 1-D solver on every face,
F = −(Φ(χ_j) − Φ(χ_i))/Δ (Φ the Kirchhoff potential, Φ' = D̃; an open surface face spans
the half cell to the surface, a cell cut by the mask edge is open over the opened part of
its face). Second order in space on smoothly graded meshes, conservative by construction.

Time: the two-stage Rosenbrock W-method ROS2 (Verwer, Spee, Blom & Hundsdorfer 1999, SIAM
J. Sci. Comput. 20, 1456), γ = 1 + 1/√2, with approximate matrix factorisation (AMF):

    W k₁ = f(t_n, χ_n),   W k₂ = f(t_n + h, χ_n + h k₁) − 2 k₁,
    χ_{n+1} = χ_n + (3/2) h k₁ + (1/2) h k₂,   W = (I − γh J_x)(I − γh J_y),

f(χ) = ∇²Φ(χ) discretised, J_x, J_y the depth and lateral parts of its Jacobian with D̃
frozen at χ_n. Each W solve is two sweeps of independent tridiagonal systems (one per
column, then one per row), compiled with numba; there is no Newton iteration. ROS2 is of
order 2 for any matrix W, so neither the frozen D̃, nor the factorisation error
γ²h²J_xJ_y, nor a law changing with time (a temperature program; ∂f/∂t is left out of W)
lowers the order: the local error is O(h³), the global O(h²). It is L-stable.

Error control: the embedded first-order solution χ̂ = χ_n + h k₁ gives the estimate
e = χ_{n+1} − χ̂ = (h/2)(k₁ + k₂) of the local error of the FIRST-order solution, O(h²);
steps are accepted when max |e|/(atol + rtol·|χ_{n+1}|) ≤ 1 over all cells and the next
step is h·0.9·err^(−1/2) (clipped as in ionex.solvers.step_control). The second-order
solution that is kept is more accurate than this estimate (local extrapolation). The
global error in χ is of the order of the tolerance and shrinks in proportion to it:
measured 0.05–0.13·rtol (atol = rtol/100) where the profile is 1-D (the axis of a wide
opening, tests/validation/test_diffusion2d_references.py), and up to 2.5–4·rtol in the
surface cells just inside a mask edge, where the cells are fine in both directions and the
factorisation error γ²h²J_xJ_y is largest (benchmarks/diffusion2d.py: 3.8e-3 at the
default rtol 1e-3); ask for rtol 1e-4 where 1e-3 in χ is needed everywhere. Steps land exactly
on output times and breakpoints. Every W solve conserves Σ χ·area exactly (the sweeps' column sums vanish
except at the open surface faces), so a closed domain keeps its total to round-off.

Field-assisted steps (``current``): an electric field applied across the glass, the melt on
the whole surface as the anode. In an electroneutral glass of two monovalent ions with
self-diffusion coefficients D_A (incoming) and D_B (host), the Nernst–Planck fluxes give
(Helfferich & Plesset; with the law's activity factor Γ, D̃ = D_A D_B Γ/g)

    J_A/C_T = −D̃(χ)∇χ + t_A(χ)·j,   t_A = χD_A/g,   g = χD_A + (1 − χ)D_B,   ∇·j = 0,
    j = −g∇ψ − (D_A − D_B)Γ∇χ,      ψ = Fφ/RT,

j = i/(F·C_T) the current density in m/s. The potential solve (class _Migration) holds ψ = 0
on the surface and j = j∞ through the bottom face (the field in the unexchanged glass,
j∞ = D_B F E/RT); the lateral ends carry no current. The migration flux t_A(χ_f)·j_f is
centred on each face (second order), its linearisation joins the line solves of W with the
currents frozen at the step's start, and each stage solves the potential again for its own
χ, so the step stays of order 2. A centred flux overshoots where a front is narrower than
about two cells (field-assisted fronts sharpen themselves): a field-assisted step is refused
(SolverError) when χ leaves [0, 1] by more than BOUNDS_TOLERANCE. Checked against the exact
solution of Ogata & Banks for D_A = D_B and against an independent 1-D method of lines for
D_A = D_B/10 (tests/validation/test_diffusion2d_field_references.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numba import njit

from ..errors import SolverError
from ..grids import Grid2D
from ..physics.interdiffusion import transference_number
from ..physics.kirchhoff import RATIONAL, KirchhoffLaw, evaluate_law
from ..validators import positive
from . import step_control
from .diffusion import _law, _schedule

__all__ = ["DiffusionSolution2D", "SolverError", "solve_diffusion_2d", "open_fractions", "ORDER"]

ORDER = 2
GAMMA = 1.0 + 1.0 / math.sqrt(2.0)
# the estimate is the local error of the embedded first-order solution: O(h²)
ESTIMATOR_ORDER = 2


@dataclass
class DiffusionSolution2D:
    """States at the output times of one call.

    Attributes:
        times: output times (s, from the start of the call).
        states: χ(t, x, y) per output time and cell, shape (n_times, n_depth, n_lateral).
        uptake: Σ (χ − χ(0))·area at each output time: the amount that entered through the
            opening, per metre of waveguide length, in units of χ·m² (× C_T for mol/m).
        final: χ at the end of the call.  final_uptake: uptake at the end.
        n_steps, n_rejected: accepted and rejected step attempts.
    """

    times: np.ndarray
    states: np.ndarray
    uptake: np.ndarray
    final: np.ndarray
    final_uptake: float
    n_steps: int = 0
    n_rejected: int = 0
    diagnostics: dict = field(default_factory=dict)


def open_fractions(grid2d: Grid2D, opening: float | None) -> np.ndarray:
    """Fraction of each lateral cell's surface face inside the opening |y| < w/2
    (1 inside, 0 under the mask, the overlap where the edge cuts a cell); ``opening`` is
    w in m, or None for the whole surface."""
    f = grid2d.lateral_faces
    if opening is None:
        return np.ones(f.size - 1)
    if not (isinstance(opening, (int, float)) and math.isfinite(opening) and opening > 0):
        raise ValueError(f"opening: found {opening!r} m; expected a finite width > 0 or None")
    half = 0.5 * opening
    overlap = np.clip(np.minimum(f[1:], half) - np.maximum(f[:-1], -half), 0.0, None)
    return overlap / np.diff(f)


def solve_diffusion_2d(
    grid2d: Grid2D,
    law_at: KirchhoffLaw | Callable[[float], KirchhoffLaw],
    initial: np.ndarray,
    duration: float,
    *,
    opening: float | None,
    surface_fraction: float | None,
    output_times=(),
    breakpoints=(),
    rtol: float = 1e-3,
    atol: float = 1e-5,
    first_step: float | None = None,
    max_step: float | None = None,
    max_steps: int = 100_000,
    fixed_step: float | None = None,
    current: float | None = None,
) -> DiffusionSolution2D:
    """Advance χ(x, y) over ``duration`` seconds by ∂χ/∂t = ∇²Φ(χ) (module docstring) and
    return it at ``output_times``.

    Args:
        grid2d: the tensor mesh (depth × lateral, m).
        law_at: the KirchhoffLaw (χ ↦ (Φ, D̃), m²/s) of the whole call, or t ↦ the law valid
            at t, in s from the start of this call (called twice per step attempt).
        initial: χ per cell at t = 0, shape grid2d.shape (dimensionless).
        duration: length of the integration (s, > 0).
        opening: w, the width of the mask opening centred at y = 0 (m), or None for the
            whole surface.
        surface_fraction: χ_s held at the surface inside the opening (in [0, 1]), or None
            for a closed surface (a burial anneal). Faces under the mask are always closed.
        output_times: times in [0, duration] (s) at which to store χ (hit exactly).
        breakpoints: times (s) where the law has a kink; steps land on them.
        rtol, atol: local error tolerance per cell, |e| ≤ atol + rtol·|χ| (module docstring).
        first_step, max_step: optional bounds on the step (s).
        fixed_step: steps of exactly this size (s), shortened only to land on output times
            and breakpoints, with no error control (for convergence studies).
        max_steps: accepted steps allowed before giving up.
        current: a field-assisted step: the ionic current density through the glass per
            unit site concentration, j∞ = i/(F·C_T) in m/s, positive into the glass (see
            ionex.physics.interdiffusion.far_field_current); it needs the whole surface open
            to a bath (opening None) and a Nernst–Planck law (Forms A and B).
    Raises:
        SolverError: when the step falls below round-off (non-finite stages or an error
            estimate that does not shrink), or more than max_steps steps are needed.
    """
    if not isinstance(grid2d, Grid2D):
        raise ValueError(f"grid2d: found {type(grid2d).__name__}; expected a Grid2D")
    positive(duration, "duration", "s")
    if not (rtol > 0 and atol > 0):
        raise ValueError(f"rtol and atol: found {rtol!r}, {atol!r}; expected values > 0")
    y = np.array(initial, dtype=float)
    if y.shape != grid2d.shape:
        raise ValueError(f"initial: found shape {y.shape}; expected {grid2d.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError("initial: found non-finite values; expected finite fractions")
    if surface_fraction is not None and not (0.0 <= surface_fraction <= 1.0):
        raise ValueError(f"surface_fraction: found {surface_fraction!r}; expected [0, 1] or None")
    open_w = open_fractions(grid2d, opening)
    if surface_fraction is None:
        open_w = np.zeros_like(open_w)
    chi_s = 0.0 if surface_fraction is None else float(surface_fraction)
    outs, stops = _schedule(duration, output_times, breakpoints)
    if not isinstance(law_at, KirchhoffLaw) and not callable(law_at):
        raise ValueError(
            f"law_at: found {type(law_at).__name__}; expected a KirchhoffLaw or t ↦ KirchhoffLaw"
        )
    laws = _Laws(law_at, chi_s)
    mesh = _Mesh(grid2d)
    migration = None
    if current is not None:
        if not (isinstance(current, (int, float)) and math.isfinite(current)):
            raise ValueError(
                f"current: found {current!r}; expected a finite current density in m/s"
            )
        if opening is not None or surface_fraction is None:
            raise ValueError(
                "current: a field-assisted step needs the whole surface open to a bath "
                "(opening None and a surface_fraction): the current enters through the melt, "
                "and at the edges of a mask opening it would be singular"
            )
        migration = _Migration(grid2d, current)
    if fixed_step is not None:
        positive(fixed_step, "fixed_step", "s")
        first_step = fixed_step
    if first_step is None:
        first_step = _first_step(laws.at(0.0)[0], grid2d, duration)
    h = max(first_step, 1e-12 * duration)
    h_cap = max_step if max_step is not None else math.inf
    adaptive = fixed_step is None

    start = y.copy()
    area = grid2d.areas
    total0 = float(np.sum(start * area))
    work = np.empty((9,) + y.shape)
    work_t = np.empty((3,) + y.shape[::-1])
    y_new = np.empty_like(y)
    states = np.empty((outs.size,) + y.shape)
    uptakes = np.empty(outs.size)
    out_idx = 0
    while out_idx < outs.size and outs[out_idx] <= 0.0:
        states[out_idx] = y
        uptakes[out_idx] = 0.0
        out_idx += 1

    t = 0.0
    stop_idx = 0
    n_steps = n_rejected = 0
    h_min = step_control.step_floor(duration)
    after_rejection = False
    last_failure = ""
    while t < duration:
        while step_control.stop_passed(stops[stop_idx], t):
            stop_idx += 1
        target = stops[stop_idx]
        h = min(h, h_cap)
        landing = step_control.lands(t, h, target, adaptive)
        step = target - t if landing else h
        law0, phi_s0 = laws.at(t)
        if migration is not None:
            err = _migration_step(laws, migration, t, step, y, open_w, mesh, rtol, atol, y_new)
        else:
            law1, phi_s1 = laws.at(t + step)
            err = _ros2_step(
                law0.kind, law0.params, law0.phi, law0.phi_slope, law0.coefficient, phi_s0,
                law1.kind, law1.params, law1.phi, law1.phi_slope, law1.coefficient, phi_s1,
                y, step, open_w, *mesh.arrays, *mesh.no_drift, rtol, atol, work, work_t, y_new,
            )  # fmt: skip
        if not math.isfinite(err):
            last_failure = "non-finite stage values"
            if fixed_step is not None:
                raise SolverError(
                    f"time integration failed at t = {t:.6g} s with the fixed step "
                    f"{fixed_step:.6g} s: {last_failure}"
                )
            n_rejected += 1
            h = step_control.step_after_failure(step)
            after_rejection = True
        else:
            factor = _step_factor(err)
            if fixed_step is not None:
                factor, err = 1.0, 0.0
            if err > 1.0:
                last_failure = f"error estimate {err:.3g} × tolerance"
                n_rejected += 1
                h = step_control.step_after_reject(step, factor)
                after_rejection = True
            else:
                n_steps += 1
                if n_steps > max_steps:
                    raise SolverError(f"more than {max_steps} steps needed before t = {t:.6g} s")
                y, y_new = y_new, y
                if migration is not None:
                    _check_bounds(y, t, grid2d, fixed_step)
                t = target if landing else t + step
                h = (
                    fixed_step
                    if fixed_step is not None
                    else step_control.step_after_accept(step, factor, h, landing, after_rejection)
                )
                after_rejection = False
                while out_idx < outs.size and step_control.output_due(outs[out_idx], t):
                    states[out_idx] = y
                    uptakes[out_idx] = float(np.sum(y * area)) - total0
                    out_idx += 1
                continue
        if not h >= h_min:  # also catches NaN
            raise SolverError(
                f"time integration failed at t = {t:.6g} s: {last_failure}; the step fell "
                f"below {h_min:.1e} s. Largest change rate near {_worst_cell(law0, y, grid2d, open_w, chi_s)}. "
                "Check that D̃ is positive and finite for all fractions at this temperature."
            )

    return DiffusionSolution2D(
        times=outs,
        states=states,
        uptake=uptakes,
        final=y.copy(),
        final_uptake=float(np.sum(y * area)) - total0,
        n_steps=n_steps,
        n_rejected=n_rejected,
        diagnostics={"last_failure": last_failure, "shape": grid2d.shape}
        | (
            {"potential_solves": migration.solves, "factorisations": migration.factorisations}
            if migration is not None
            else {}
        ),
    )


def _step_factor(error_norm: float) -> float:
    """Next step / this step: SAFETY·err^(−1/ESTIMATOR_ORDER), clipped as in step_control."""
    return min(
        step_control.MAX_FACTOR,
        max(
            step_control.MIN_FACTOR,
            step_control.SAFETY * (error_norm + 1e-10) ** (-1.0 / ESTIMATOR_ORDER),
        ),
    )


class _Laws:
    """The law and the surface potential Φ(χ_s) at a time, reused while law_at keeps
    returning the same law (a constant temperature)."""

    def __init__(self, law_at, chi_s: float):
        self.constant = law_at if isinstance(law_at, KirchhoffLaw) else None
        self.law_at = law_at
        self.chi_s = chi_s
        self.last = None

    def at(self, t: float) -> tuple[KirchhoffLaw, float]:
        law = self.constant if self.constant is not None else _law(self.law_at, t)
        if self.last is None or self.last[0] is not law:
            phi, _ = law(np.array([self.chi_s]))
            self.last = (law, float(phi[0]))
        return self.last


class _Mesh:
    """Per-axis weights the kernels take: 1/cell width and 1/centre spacing per face."""

    def __init__(self, grid2d: Grid2D):
        g = grid2d.depth
        self.arrays = (
            1.0 / g.volumes,
            1.0 / g.spacing,
            1.0 / grid2d.lateral_volumes,
            1.0 / grid2d.lateral_spacing,
        )
        nx, ny = grid2d.shape
        self.no_drift = (np.zeros((nx + 1, ny)), np.zeros((nx, ny + 1)))


def _first_step(law: KirchhoffLaw, grid2d: Grid2D, duration: float) -> float:
    """The time to diffuse across the first depth cell at the law's largest D̃ (s), at
    most 1e-3 of the duration."""
    _, d0 = law(np.linspace(0.0, 1.0, 11))
    d_max = float(np.max(d0))
    dx = grid2d.depth.volumes[0]
    first = 0.25 * dx * dx / d_max if math.isfinite(d_max) and d_max > 0 else duration
    return min(first, 1e-3 * duration)


def _worst_cell(law: KirchhoffLaw, y: np.ndarray, grid2d: Grid2D, open_w, chi_s) -> str:
    """Where |∇²Φ| is largest, as 'depth … m, lateral … m' (for error messages)."""
    try:
        phi, _ = law(y)
        phi_s = float(law(np.array([chi_s]))[0][0])
        rate = np.zeros_like(phi)
        _rates(phi, phi_s, open_w, *_Mesh(grid2d).arrays, rate)
        rate = np.abs(rate)
        rate[~np.isfinite(rate)] = np.inf
        i, j = np.unravel_index(int(np.argmax(rate)), rate.shape)
        return f"depth {grid2d.depth.centres[i]:.3e} m, lateral {grid2d.lateral_centres[j]:.3e} m"
    except Exception:  # the law itself is broken: report the surface
        return "the surface"


class _Migration:
    """The currents of a field-assisted step (module docstring, "Field-assisted steps").

    Electroneutrality makes the ionic current divergence-free, ∇·j = 0, with

        j = −g ∇ψ − s,   g = χD_A + (1 − χ)D_B,   s = (D_A − D_B)·(g/(D_A D_B))·∇Φ

    (ψ = Fφ/RT; Φ the Kirchhoff potential, so s = (D_A − D_B)Γ∇χ with the law's factor Γ);
    ψ = 0 on the surface (the melt), j = j∞ through the bottom face, no current through the
    lateral ends. The 5-point finite-volume matrix is symmetric positive definite; it is
    solved by conjugate gradients preconditioned with the LU factors of an earlier matrix,
    refactorised when the iterations exceed _REFACTOR_ITERATIONS (the conductance g moves
    slowly)."""

    _REFACTOR_ITERATIONS = 5

    def __init__(self, grid2d: Grid2D, current: float):
        nx, ny = grid2d.shape
        self.shape = (nx, ny)
        self.current = float(current)
        self.dx = grid2d.depth.volumes
        self.dy = grid2d.lateral_volumes
        self.sx = grid2d.depth.spacing  # nx + 1: surface–centre, centre–centre, centre–bottom
        self.sy = grid2d.lateral_spacing
        self.lu = None
        self.psi = np.zeros(nx * ny)
        self.solves = self.factorisations = 0

    def currents(self, y, phi, law: KirchhoffLaw, chi_s: float, phi_s: float, faces=None):
        """(jx, jy): the current density on every depth face (nx + 1, ny; face i above cell
        i, positive into the glass) and lateral face (nx, ny + 1), in m/s. ``faces``: the
        _face_fractions of y, when the caller has them."""
        nx, ny = self.shape
        d_a, d_b = _pair(law)
        c, chi_x, chi_y = faces if faces is not None else _face_fractions(y, chi_s)
        gx = d_b + (d_a - d_b) * chi_x
        gx[0] = 0.5 * (gx[0] + d_b + (d_a - d_b) * c[0])  # the half cell below the surface
        gy = d_b + (d_a - d_b) * chi_y[:, 1:-1]
        ratio = (d_a - d_b) / (d_a * d_b)
        dphi_x = np.empty((nx + 1, ny))
        dphi_x[0] = phi[0] - phi_s
        dphi_x[1:-1] = phi[1:] - phi[:-1]
        dphi_x[-1] = 0.0
        s_x = ratio * gx * dphi_x / self.sx[:, None]  # s·(+x) on depth faces
        s_y = ratio * gy * (phi[:, 1:] - phi[:, :-1]) / self.sy[None, 1:-1]
        kx = gx * self.dy[None, :] / self.sx[:, None]  # conductances × face length
        ky = gy * self.dx[:, None] / self.sy[None, 1:-1]
        # Σ_faces K (ψ_self − ψ_nb) = b: s enters each cell with the face, j∞ leaves below
        b = np.zeros((nx, ny))
        fx = s_x * self.dy[None, :]
        b -= fx[:-1]
        b[:-1] += fx[1:-1]
        b[-1] -= self.current * self.dy
        fy = s_y * self.dx[:, None]
        b[:, 1:] -= fy
        b[:, :-1] += fy
        diag = np.zeros((nx, ny))
        diag += kx[:-1]
        diag[:-1] += kx[1:-1]
        diag[:, 1:] += ky
        diag[:, :-1] += ky
        off_x = -kx[1:-1].ravel()  # between cell p and p + ny
        off_y = np.zeros((nx, ny))
        off_y[:, :-1] = -ky  # between p and p + 1 (zero across row ends)
        off_y = off_y.ravel()[:-1]
        a = sp.diags([diag.ravel(), off_y, off_y, off_x, off_x], [0, 1, -1, ny, -ny], format="csc")
        rhs = b.ravel()
        psi = self._solve(a, rhs)
        p = psi.reshape(nx, ny)
        jx = np.empty((nx + 1, ny))
        jx[0] = -gx[0] * p[0] / self.sx[0] - s_x[0]
        jx[1:-1] = -gx[1:-1] * (p[1:] - p[:-1]) / self.sx[1:-1, None] - s_x[1:-1]
        jx[-1] = self.current
        jy = np.zeros((nx, ny + 1))
        jy[:, 1:-1] = -gy * (p[:, 1:] - p[:, :-1]) / self.sy[None, 1:-1] - s_y
        return jx, jy

    def _solve(self, a, rhs):
        if self.lu is None:
            self._factorise(a)
        count = [0]

        def counted(_):
            count[0] += 1

        m = spla.LinearOperator(a.shape, matvec=self.lu.solve)
        psi, info = spla.cg(a, rhs, x0=self.psi, rtol=1e-9, atol=0.0, M=m, maxiter=60,
                            callback=counted)  # fmt: skip
        if info != 0 or count[0] > self._REFACTOR_ITERATIONS:
            self._factorise(a)
            psi = self.lu.solve(rhs)
        self.psi = psi
        self.solves += 1
        return psi

    def _factorise(self, a):
        self.lu = spla.splu(a, permc_spec="MMD_AT_PLUS_A")
        self.factorisations += 1

    def drift(self, y, phi, law: KirchhoffLaw, chi_s: float, phi_s: float, inv_vx, inv_vy):
        """(rate, ax, ay): ∂χ/∂t of migration, −∇·(t_A j), with the currents of this state,
        and its linearisation per face (½ t_A'(χ_f) j_f) for the W matrix."""
        d_a, d_b = _pair(law)
        faces = _face_fractions(y, chi_s)
        jx, jy = self.currents(y, phi, law, chi_s, phi_s, faces)
        _, chi_x, chi_y = faces
        fx = transference_number(chi_x, d_a, d_b) * jx
        fy = transference_number(chi_y, d_a, d_b) * jy
        rate = (fx[:-1] - fx[1:]) * inv_vx[:, None] + (fy[:, :-1] - fy[:, 1:]) * inv_vy[None, :]
        gx = d_b + (d_a - d_b) * chi_x
        gy = d_b + (d_a - d_b) * chi_y
        ax = 0.5 * d_a * d_b / gx**2 * jx
        ax[0] = 0.0  # t_A(χ_s) of the melt does not move with the cells
        ay = 0.5 * d_a * d_b / gy**2 * jy
        return rate, ax, ay


def _face_fractions(y, chi_s: float):
    """(χ clipped to [0, 1], χ on the depth faces (nx + 1, ny): χ_s on the surface, the mean
    of the two cells inside, the last cell's at the bottom; χ on the lateral faces
    (nx, ny + 1): the mean inside, zero at the closed ends)."""
    c = np.clip(y, 0.0, 1.0)
    nx, ny = c.shape
    chi_x = np.empty((nx + 1, ny))
    chi_x[0] = chi_s
    chi_x[1:-1] = 0.5 * (c[:-1] + c[1:])
    chi_x[-1] = c[-1]
    chi_y = np.zeros((nx, ny + 1))
    chi_y[:, 1:-1] = 0.5 * (c[:, :-1] + c[:, 1:])
    return c, chi_x, chi_y


# how far χ may leave [0, 1] in a field-assisted step before the run is refused: the
# centred migration flux overshoots where a front is narrower than about two cells
BOUNDS_TOLERANCE = 1e-3


def _check_bounds(y, t: float, grid2d: Grid2D, fixed_step: float | None) -> None:
    """Refuse a field-assisted state outside [0, 1] (BOUNDS_TOLERANCE). Under error control
    (atol + rtol·χ near χ = 0) the time steps cannot overshoot that far, so the mesh is too
    coarse for the front; with fixed steps the step may be too long."""
    low, high = float(y.min()), float(y.max())
    if low >= -BOUNDS_TOLERANCE and high <= 1.0 + BOUNDS_TOLERANCE:
        return
    i, j = np.unravel_index(int(np.argmax(np.maximum(-y, y - 1.0))), y.shape)
    cause = (
        f"the fixed step {fixed_step:.6g} s is too long for the migration front there, or the "
        "front is narrower than the mesh resolves; expected a shorter fixed step or more cells"
        if fixed_step is not None
        else "the migration front there is narrower than the mesh resolves (about two cells); "
        "expected more depth_cells / lateral_cells in [mask], or a weaker field"
    )
    raise SolverError(
        f"field-assisted step: at t = {t:.6g} s the site fraction reached "
        f"{low if low < -BOUNDS_TOLERANCE else high:.4g} at depth "
        f"{grid2d.depth.centres[i]:.3e} m, lateral {grid2d.lateral_centres[j]:.3e} m: {cause}"
    )


def _pair(law: KirchhoffLaw) -> tuple[float, float]:
    """(D_A, D_B) of a Nernst–Planck law (m²/s)."""
    if law.kind != RATIONAL:
        raise ValueError(
            "current: a field-assisted step needs the Nernst–Planck D̃ of two self-diffusion "
            "coefficients (Forms A and B); a tabulated D̃ or Onsager cross terms (Form C) do "
            "not say how the current divides between the ions"
        )
    d_a, a = float(law.params[0]), float(law.params[1])
    return d_a, d_a / (1.0 + a)


def _migration_step(laws, migration, t, h, y, open_w, mesh, rtol, atol, y_new):
    """One ROS2-AMF step of a field-assisted step (as _ros2_step, migration added to f and
    to W; the currents follow χ in each stage, W keeps those of the first)."""
    inv_vx, inv_sx, inv_vy, inv_sy = mesh.arrays
    law0, phi_s0 = laws.at(t)
    law1, phi_s1 = laws.at(t + h)
    chi_s = laws.chi_s
    phi, d = law0(y)
    drift, ax, ay = migration.drift(y, phi, law0, chi_s, phi_s0, inv_vx, inv_vy)
    nx, ny = y.shape
    gh = GAMMA * h
    lx, cx, mx = (np.empty((nx, ny)) for _ in range(3))
    ly, cy, my = (np.empty((ny, nx)) for _ in range(3))
    _factor_depth(d, gh, open_w, inv_vx, inv_sx, ax, lx, cx, mx)
    _factor_lateral(d, gh, inv_vy, inv_sy, np.ascontiguousarray(ay), ly, cy, my)
    f = np.empty((nx, ny))
    z = np.empty((nx, ny))
    k1 = np.empty((nx, ny))
    k2 = np.empty((nx, ny))
    _rates(phi, phi_s0, open_w, inv_vx, inv_sx, inv_vy, inv_sy, f)
    f += drift
    _solve_depth(lx, cx, mx, f, z)
    _solve_lateral(ly, cy, my, z, k1)
    y1 = y + h * k1
    phi1, _ = law1(y1)
    drift1, _, _ = migration.drift(y1, phi1, law1, chi_s, phi_s1, inv_vx, inv_vy)
    _rates(phi1, phi_s1, open_w, inv_vx, inv_sx, inv_vy, inv_sy, f)
    f += drift1 - 2.0 * k1
    _solve_depth(lx, cx, mx, f, z)
    _solve_lateral(ly, cy, my, z, k2)
    y_new[...] = y + h * (1.5 * k1 + 0.5 * k2)
    e = np.abs(0.5 * h * (k1 + k2)) / (atol + rtol * np.abs(y_new))
    if not np.all(np.isfinite(e)):
        return math.nan
    return float(np.max(e))


# ---------------------------------------------------------------------------------------
# compiled kernels; a state is an (n_depth, n_lateral) C-ordered array, so that the depth
# sweep runs over whole rows at once and the lateral sweep along contiguous rows


@njit(cache=True)
def _rates(phi, phi_s, open_w, inv_vx, inv_sx, inv_vy, inv_sy, out):
    """out = ∇²Φ by finite volumes: Σ face fluxes −ΔΦ/Δ over the cell; the surface face of
    lateral cell j is open over the fraction open_w[j] and holds Φ = phi_s there."""
    nx, ny = phi.shape
    for i in range(nx):
        for j in range(ny):
            p = phi[i, j]
            fx = 0.0
            if i > 0:
                fx = inv_sx[i] * (phi[i - 1, j] - p)
            elif open_w[j] > 0.0:
                fx = open_w[j] * inv_sx[0] * (phi_s - p)
            if i < nx - 1:
                fx -= inv_sx[i + 1] * (p - phi[i + 1, j])
            fy = 0.0
            if j > 0:
                fy = inv_sy[j] * (phi[i, j - 1] - p)
            if j < ny - 1:
                fy -= inv_sy[j + 1] * (p - phi[i, j + 1])
            out[i, j] = fx * inv_vx[i] + fy * inv_vy[j]


@njit(cache=True)
def _factor_depth(d, gh, open_w, inv_vx, inv_sx, ax, lo, cp, im):
    """Thomas factors of I − γh J_x for every column at once (J_x = A_x·diag(D̃) plus the
    linearised migration: ax[i, j] = ½ t_A'(χ_f) j_f on the depth face i above cell i, the
    bottom face's counted twice, as its flux depends on the last cell alone; zero without
    a field)."""
    nx, ny = d.shape
    for i in range(nx):
        s = gh * inv_vx[i]
        w_e = inv_sx[i + 1] if i < nx - 1 else 0.0
        for j in range(ny):
            w_w = inv_sx[i] if i > 0 else open_w[j] * inv_sx[0]
            a_w = ax[i, j]
            a_e = ax[i + 1, j] if i < nx - 1 else 2.0 * ax[nx, j]
            diag = 1.0 + s * ((w_w + w_e) * d[i, j] - a_w + a_e)
            upper = s * (ax[i + 1, j] - w_e * d[i + 1, j]) if i < nx - 1 else 0.0
            if i == 0:
                m = diag
                lo[i, j] = 0.0
            else:
                lower = -s * (w_w * d[i - 1, j] + a_w)
                lo[i, j] = lower
                m = diag - lower * cp[i - 1, j]
            im[i, j] = 1.0 / m
            cp[i, j] = upper * im[i, j]


@njit(cache=True)
def _solve_depth(lo, cp, im, r, z):
    nx, ny = r.shape
    for j in range(ny):
        z[0, j] = r[0, j] * im[0, j]
    for i in range(1, nx):
        for j in range(ny):
            z[i, j] = (r[i, j] - lo[i, j] * z[i - 1, j]) * im[i, j]
    for i in range(nx - 2, -1, -1):
        for j in range(ny):
            z[i, j] -= cp[i, j] * z[i + 1, j]


@njit(cache=True)
def _factor_lateral(d, gh, inv_vy, inv_sy, ay, lo, cp, im):
    """Thomas factors of I − γh J_y for every row at once (closed lateral ends; ay[i, j] the
    linearised migration on the lateral face j left of cell j, as ax in _factor_depth); the
    factors are stored transposed, (n_lateral, n_depth), so that the recurrence along y
    runs over all rows together on contiguous memory."""
    nx, ny = d.shape
    for j in range(ny):
        s = gh * inv_vy[j]
        w_w = inv_sy[j] if j > 0 else 0.0
        w_e = inv_sy[j + 1] if j < ny - 1 else 0.0
        for i in range(nx):
            a_w = ay[i, j]
            a_e = ay[i, j + 1]
            diag = 1.0 + s * ((w_w + w_e) * d[i, j] - a_w + a_e)
            upper = s * (a_e - w_e * d[i, j + 1]) if j < ny - 1 else 0.0
            if j == 0:
                m = diag
                lo[j, i] = 0.0
            else:
                lower = -s * (w_w * d[i, j - 1] + a_w)
                lo[j, i] = lower
                m = diag - lower * cp[j - 1, i]
            im[j, i] = 1.0 / m
            cp[j, i] = upper * im[j, i]


@njit(cache=True)
def _solve_lateral(lo, cp, im, r, z):
    nx, ny = r.shape
    for i in range(nx):
        z[i, 0] = r[i, 0] * im[0, i]
    for j in range(1, ny):
        for i in range(nx):
            z[i, j] = (r[i, j] - lo[j, i] * z[i, j - 1]) * im[j, i]
    for j in range(ny - 2, -1, -1):
        for i in range(nx):
            z[i, j] -= cp[j, i] * z[i, j + 1]


@njit(cache=True)
def _ros2_step(
    kind0, params0, tab0, slope0, coef0, phi_s0,
    kind1, params1, tab1, slope1, coef1, phi_s1,
    y, h, open_w, inv_vx, inv_sx, inv_vy, inv_sy, no_ax, no_ay, rtol, atol, work, work_t, y_new,
):  # fmt: skip
    """One ROS2-AMF step (module docstring) from y into y_new; returns the error norm
    (≤ 1 accepts), or NaN when a stage is not finite."""
    phi, d, f, k1, k2, z = work[0], work[1], work[2], work[3], work[4], work[5]
    lx, cx, mx = work[6], work[7], work[8]
    ly, cy, my = work_t[0], work_t[1], work_t[2]
    evaluate_law(kind0, params0, tab0, slope0, coef0, y.ravel(), phi.ravel(), d.ravel())
    gh = GAMMA * h
    _factor_depth(d, gh, open_w, inv_vx, inv_sx, no_ax, lx, cx, mx)
    _factor_lateral(d, gh, inv_vy, inv_sy, no_ay, ly, cy, my)
    _rates(phi, phi_s0, open_w, inv_vx, inv_sx, inv_vy, inv_sy, f)
    _solve_depth(lx, cx, mx, f, z)
    _solve_lateral(ly, cy, my, z, k1)
    nx, ny = y.shape
    for i in range(nx):
        for j in range(ny):
            y_new[i, j] = y[i, j] + h * k1[i, j]
    evaluate_law(kind1, params1, tab1, slope1, coef1, y_new.ravel(), phi.ravel(), z.ravel())
    _rates(phi, phi_s1, open_w, inv_vx, inv_sx, inv_vy, inv_sy, f)
    for i in range(nx):
        for j in range(ny):
            f[i, j] -= 2.0 * k1[i, j]
    _solve_depth(lx, cx, mx, f, z)
    _solve_lateral(ly, cy, my, z, k2)
    err = 0.0
    finite = True
    for i in range(nx):
        for j in range(ny):
            a = k1[i, j]
            b = k2[i, j]
            v = y[i, j] + h * (1.5 * a + 0.5 * b)
            y_new[i, j] = v
            e = abs(0.5 * h * (a + b)) / (atol + rtol * abs(v))
            if e > err:
                err = e
            elif not math.isfinite(e):
                finite = False
    return err if finite else math.nan
