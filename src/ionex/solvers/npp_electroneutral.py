"""Electroneutral (current-constrained) reduced Nernst–Planck model (docs/physics.md §2.6).

Model. The full NPP system (ionex.solvers.npp) with Poisson replaced by local
electroneutrality, Σ_i z_i n_i = n_0 in every cell, valid where the Debye length is far
below every length of interest (λ_D ≈ 0.03 nm in the glasses of docs/physics.md §2.1). With

    J_i = −D_i ∂n_i/∂x + z_i (e D_i/k_BT) n_i E,

charge conservation without charge storage makes the current density j = e Σ z_i J_i
uniform in x (1-D); it is imposed (a galvanostatic run, j(t) given) or zero (thermal
exchange with a closed back). Solving Σ z_i J_i = j/e for the field,

    (e/k_BT) E = (j/e + Σ z_i D_i ∂n_i/∂x) / Σ z_i² D_i n_i,

and substituting it into ∂n_i/∂t = −∂J_i/∂x for the first N − 1 species gives a closed
nonlinear diffusion–drift system; the last species follows from neutrality,
n_N = (n_0 − Σ_{i<N} z_i n_i)/z_N. For two monovalent species and j = 0 this is exactly
binary interdiffusion with the Helfferich–Plesset coefficient D_A D_B/(χ D_A + (1−χ) D_B).

Discretisation (cell-centred finite volumes, scaled c_i = n_i/n_0). At each face the
gradients g_i = (c_R − c_L)/h, the face fractions c̄_i = (c_L + c_R)/2 and the face
coefficients D̄_i = (D_i(c_L) + D_i(c_R))/2 give the face field
ε = (ĵ + Σ z_i D̄_i g_i)/Σ z_i² D̄_i c̄_i (ĵ = j/(e n_0), ε = eE/k_BT) and the species
fluxes J_i = −D̄_i g_i + z_i D̄_i c̄_i ε; by construction Σ z_i J_i = ĵ at every face to
round-off, so every cell stays neutral. Central differences: second order, monotone
while the cell Péclet number |z ε h| stays below 2 (the solver reports the largest one
in ``diagnostics``).

Boundary conditions.
    front: ``npp.Bath`` — the surface fractions are held (they must be neutral,
        Σ z_i f_i = 1); the face flux uses the half cell to the surface, as inside. The
        bath's ``potential`` is ignored: the current, not a voltage, drives the model.
        With j > 0 the bath is the anode that supplies the current.
    back: ``npp.ClosedFace`` — no ion flux (requires j = 0 at all times);
        ``npp.Electrode`` — outflow for the galvanostatic case: the electrode absorbs the
        arriving cations with zero concentration gradient at the face, i.e. purely by
        migration, J_i = ĵ z_i D_i c_i/Σ z_k² D_k c_k with the values of the last cell
        (each species leaves in proportion to its share of the conductivity). The
        electrode potential is ignored. This stands in for the full model's absorbing
        electrode (n = 0 at the face), whose depletion layer is a few λ_D thick and
        carries the current by drift in the same proportions.

Time: Alexander's stiffly accurate L-stable SDIRK3 (coefficients of
ionex.solvers._sdirk) with its embedded second-order estimate; the steps follow the rules
of ionex.solvers.step_control, as in every integrator of ionex. Each stage is solved by
Newton's method with a banded Jacobian formed by coloured finite differences (3(N−1) + 1
residual evaluations, vectorised over cells) and factorised by scipy's banded solver. Speed is secondary: N ≤ 3 and a few hundred
cells are intended.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import solve_banded

from ..constants import ELEMENTARY_CHARGE
from ..errors import SolverError
from ..grids import Grid
from . import step_control
from ._sdirk import A21, B, C, E, G
from .npp import Bath, ClosedFace, Electrode, Medium, Species

__all__ = ["ElectroneutralSolution", "solve_electroneutral"]

_MAX_NEWTON = 20


@dataclass
class ElectroneutralSolution:
    """Result of solve_electroneutral.

    Attributes:
        times: output times (s).
        densities: n_i at the output times, (n_times, N, K) (m⁻³).
        final_densities: n_i at the end, (N, K) (m⁻³).
        field: eE/k_BT at the K + 1 faces at the end (1/m).
        voltage: ∫ E dx over the sample at the end (V; positive when the front is the
            higher potential), the ohmic plus diffusion-potential drop of the bulk.
        inflow: cumulative ions through the front per species at the end (m⁻²).
        outflow: cumulative ions through the back per species at the end (m⁻²).
        n_steps, n_rejected, n_newton: work counters.
        diagnostics: "max_cell_peclet" (largest |z ε h| seen at accepted steps).
    """

    times: np.ndarray
    densities: np.ndarray
    final_densities: np.ndarray
    field: np.ndarray
    voltage: float
    inflow: np.ndarray
    outflow: np.ndarray
    n_steps: int = 0
    n_rejected: int = 0
    n_newton: int = 0
    diagnostics: dict = field(default_factory=dict)


class _Reduced:
    """Fluxes and the stage residual of the reduced model in scaled unknowns U (K, N−1)."""

    def __init__(self, grid, species, medium, front, back, current):
        self.K = grid.n_cells
        self.N = len(species)
        self.m = self.N - 1
        self.vol = np.asarray(grid.volumes, dtype=float)
        self.h = np.asarray(grid.spacing, dtype=float)  # K + 1 face distances
        self.z = np.array([s.charge for s in species], dtype=float)
        self.laws = [s.diffusivity for s in species]
        self.cs = np.asarray(front.fractions, dtype=float)
        self.ds = self.diffusivities(self.cs[None, :])[0]
        self.closed_back = isinstance(back, ClosedFace)
        self.scale = ELEMENTARY_CHARGE * medium.background_density
        self.current = current

    def jhat(self, t):
        return self.current(t) / self.scale

    def diffusivities(self, c):
        d = np.empty_like(c)
        for i, law in enumerate(self.laws):
            d[..., i] = law(np.maximum(c[..., i], 0.0))[0]
        return d

    def full(self, U):
        """All N fractions from the N − 1 independent ones (neutrality)."""
        c = np.empty(U.shape[:-1] + (self.N,))
        c[..., :-1] = U
        c[..., -1] = (1.0 - U @ self.z[:-1]) / self.z[-1]
        return c

    def fluxes(self, U, t):
        """Fluxes (m/s × fraction) at the K + 1 faces, shape (..., K + 1, N), and the
        face field ε (..., K + 1). U may carry leading batch axes."""
        c = self.full(U)
        d = self.diffusivities(c)
        j = self.jhat(t)
        z = self.z
        shape = c.shape[:-2] + (self.K + 1, self.N)
        cl = np.empty(shape)
        cr = np.empty(shape)
        dl = np.empty(shape)
        dr = np.empty(shape)
        cl[..., 1:, :] = c
        cr[..., :-1, :] = c
        dl[..., 1:, :] = d
        dr[..., :-1, :] = d
        cl[..., 0, :] = self.cs
        dl[..., 0, :] = self.ds
        # back face: zero-gradient ghost (outflow) — overwritten below for a closed back
        cr[..., -1, :] = c[..., -1, :]
        dr[..., -1, :] = d[..., -1, :]
        g = (cr - cl) / self.h[:, None]
        cbar = 0.5 * (cl + cr)
        dbar = 0.5 * (dl + dr)
        sigma = np.maximum((z * z * dbar * cbar).sum(-1), 1e-300)
        eps = (j + (z * dbar * g).sum(-1)) / sigma
        flux = -dbar * g + z * dbar * cbar * eps[..., None]
        if self.closed_back:
            flux[..., -1, :] = 0.0
            eps[..., -1] = 0.0
        return flux, eps

    def rate(self, U, t):
        """dU/dt, (..., K, N − 1)."""
        flux, _ = self.fluxes(U, t)
        return -(flux[..., 1:, :-1] - flux[..., :-1, :-1]) / self.vol[:, None]

    def jacobian_banded(self, U, t, gh):
        """Banded matrix of I − gh ∂rate/∂U (interleaved unknowns k·m + a) by coloured
        finite differences: cells k ≡ r (mod 3) are perturbed together."""
        K, m = self.K, self.m
        n = K * m
        ku = kl = 2 * m - 1
        ab = np.zeros((kl + ku + 1, n))
        f0 = self.rate(U, t)
        # batch of 3m perturbed states
        Ub = np.broadcast_to(U, (3 * m, K, m)).copy()
        steps = np.empty((3 * m, K))
        for r in range(3):
            for a in range(m):
                b = r * m + a
                delta = 1e-7 * np.maximum(np.abs(U[r::3, a]), 1e-2)
                Ub[b, r::3, a] += delta
                steps[b] = np.nan
                steps[b, r::3] = delta
        df = self.rate(Ub, t) - f0  # raw differences; divided by the column's step below
        bb = np.arange(m)
        for r in range(3):
            for a in range(m):
                b = r * m + a
                ks = np.arange(r, K, 3)
                for shift in (-1, 0, 1):
                    kk = ks + shift
                    keep = (kk >= 0) & (kk < K)
                    k_, kk_ = ks[keep], kk[keep]
                    rows = kk_[:, None] * m + bb[None, :]
                    cols = np.broadcast_to((k_ * m + a)[:, None], rows.shape)
                    ab[ku + rows - cols, cols] = -gh * df[b, kk_] / steps[b, k_][:, None]
        diag = np.arange(n)
        ab[ku, diag] += 1.0
        return ab, (kl, ku)

    def newton(self, U, base, gh, t, tol, jac=None):
        """Solve U − base − gh·rate(U, t) = 0 by Newton's method; with ``jac`` (a banded
        matrix of the same gh) a simplified Newton iteration reuses it. Returns
        (U, iterations) or (None, iterations) on failure."""
        K, m = self.K, self.m
        if jac is None:
            jac = self.jacobian_banded(U, t, gh)
        ab, lu = jac
        self.last = jac
        prev = math.inf
        for it in range(1, _MAX_NEWTON + 1):
            res = U - base - gh * self.rate(U, t)
            delta = solve_banded(lu, ab, res.reshape(K * m), check_finite=False).reshape(K, m)
            if not np.all(np.isfinite(delta)):
                return None, it
            U = U - delta
            size = float(np.max(np.abs(delta)))
            if size < tol:
                return U, it
            rate = size / prev
            if it > 1 and rate < 1.0 and size * rate / (1.0 - rate) < tol:
                return U, it
            if it > 2 and rate > 0.9:
                return None, it
            prev = size
        return None, _MAX_NEWTON


def _as_current(current) -> Callable[[float], float]:
    if callable(current):
        return current
    value = float(current)
    if not math.isfinite(value):
        raise ValueError("current density must be finite")
    return lambda t: value


def solve_electroneutral(
    grid: Grid,
    species: Sequence[Species],
    medium: Medium,
    initial: np.ndarray,
    duration: float,
    *,
    front: Bath,
    back: ClosedFace | Electrode,
    current: float | Callable[[float], float] = 0.0,
    output_times=(),
    rtol: float = 1e-4,
    atol: float = 1e-7,
    first_step: float | None = None,
    max_step: float | None = None,
    max_steps: int = 200_000,
) -> ElectroneutralSolution:
    """Integrate the electroneutral reduced model over ``duration`` seconds.

    Args:
        grid: the mesh (m; front at 0).
        species: N ≥ 2 mobile cations (the last one is eliminated by neutrality).
        medium: only n_0 is used (T enters only through ε = eE/k_BT, reported as a
            voltage via k_BT/e).
        initial: n_i per cell (N, K) (m⁻³), neutral: Σ z_i n_i = n_0 (to 1e-9 relative).
        duration: run length (s).
        front: a Bath (neutral fractions held).
        back: ClosedFace (j must be 0) or Electrode (migration outflow).
        current: j in A/m² (> 0 from front to back), a number or a callable t ↦ j.
        output_times: times in [0, duration] (s).
        rtol, atol: local error tolerance on the fractions.
    Raises:
        ValueError: bad input. SolverError: the step collapses.
    """
    species = tuple(species)
    N = len(species)
    if N < 2:
        raise ValueError("the reduced model needs at least two species")
    if not isinstance(front, Bath):
        raise ValueError("front must be a Bath")  # noqa: TRY004
    if not isinstance(back, (ClosedFace, Electrode)):
        raise ValueError("back must be a ClosedFace or an Electrode")  # noqa: TRY004
    if len(front.fractions) != N:
        raise ValueError(f"Bath has {len(front.fractions)} fractions for {N} species")
    z = np.array([s.charge for s in species], dtype=float)
    if abs(float(np.dot(z, front.fractions)) - 1.0) > 1e-9:
        raise ValueError("the bath fractions must be neutral: Σ z_i f_i = 1")
    current_fn = _as_current(current)
    if isinstance(back, ClosedFace) and current_fn(0.0) != 0.0:
        raise ValueError("a closed back face carries no current: use an Electrode for j ≠ 0")
    n0 = medium.background_density
    dens = np.array(initial, dtype=float)
    K = grid.n_cells
    if dens.shape != (N, K):
        raise ValueError(f"initial densities have shape {dens.shape}, expected ({N}, {K})")
    c0 = dens.T / n0
    if np.max(np.abs(c0 @ z - 1.0)) > 1e-9:
        raise ValueError("the initial state must be neutral: Σ z_i n_i = n_0 in every cell")
    if not (duration > 0 and rtol > 0 and atol > 0):
        raise ValueError("duration, rtol and atol must be > 0")

    sysm = _Reduced(grid, species, medium, front, back, current_fn)
    U = c0[:, :-1].copy()
    outs = np.asarray(sorted(float(t) for t in output_times), dtype=float)
    if outs.size and (outs[0] < 0 or outs[-1] > duration * (1 + 1e-12)):
        raise ValueError("output times must lie within [0, duration]")
    stops = sorted({float(t) for t in outs if 0 < t < duration} | {float(duration)})
    dens_out = np.empty((outs.size, N, K))
    out_idx = 0
    while out_idx < outs.size and step_control.output_due(outs[out_idx], 0.0):
        dens_out[out_idx] = sysm.full(U).T * n0
        out_idx += 1
    h = first_step if first_step is not None else 1e-6 * duration
    h_cap = max_step if max_step is not None else math.inf
    h_min = step_control.step_floor(duration)
    t = 0.0
    stop_idx = 0
    rejected_last = False  # no step growth right after a rejection (step_control)
    n_steps = n_rej = n_newton = 0
    cum_in = np.zeros(N)
    cum_out = np.zeros(N)
    max_pe = 0.0
    c2 = C[1]
    while t < duration:
        while step_control.stop_passed(stops[stop_idx], t):
            stop_idx += 1
        target = stops[stop_idx]
        if n_steps >= max_steps:
            raise SolverError(
                f"electroneutral model: more than {max_steps} steps (t = {t:.4g} s, h = {h:.3g} s, rejected {n_rej})"
            )
        h = min(h, h_cap)
        landing = step_control.lands(t, h, target, adaptive=True)
        hs = target - t if landing else h
        gh = G * hs
        tol = 1e-2 * atol
        # one Jacobian per step (all stages share γh): simplified Newton
        jac = sysm.jacobian_banded(U, t, gh)
        Y1, it1 = sysm.newton(U, U, gh, t + G * hs, tol, jac)
        ok = Y1 is not None
        if ok:
            k1 = (Y1 - U) / gh
            base2 = U + hs * A21 * k1
            Y2, it2 = sysm.newton(Y1, base2, gh, t + c2 * hs, tol, jac)
            ok = Y2 is not None
        if ok:
            k2 = (Y2 - base2) / gh
            base3 = U + hs * (B[0] * k1 + B[1] * k2)
            Y3, it3 = sysm.newton(Y2, base3, gh, t + hs, tol, jac)
            ok = Y3 is not None
        if not ok:
            n_rej += 1
            h = step_control.step_after_failure(hs)
            rejected_last = True
            if not h >= h_min:
                raise SolverError(f"electroneutral model: step collapsed at t = {t:.6g} s")
            continue
        n_newton += it1 + it2 + it3
        k3 = (Y3 - base3) / gh
        est = hs * (E[0] * k1 + E[1] * k2 + E[2] * k3)
        # Shampine's filter through the stage matrix (I − γh J): damps the stiff modes
        ab, lu = sysm.last
        est = solve_banded(lu, ab, est.reshape(-1), check_finite=False).reshape(est.shape)
        err = float(np.max(np.abs(est) / (atol + rtol * np.abs(Y3))))
        factor = step_control.step_factor(err)
        if err > 1.0:
            n_rej += 1
            h = step_control.step_after_reject(hs, factor)
            rejected_last = True
            if not h >= h_min:
                raise SolverError(f"electroneutral model: step collapsed at t = {t:.6g} s")
            continue
        # boundary transport (stage-weighted fluxes, consistent with the update)
        for w, Y, tt in ((B[0], Y1, t + G * hs), (B[1], Y2, t + c2 * hs), (B[2], Y3, t + hs)):
            fl, _ = sysm.fluxes(Y, tt)
            cum_in += hs * w * fl[0] * n0
            cum_out += hs * w * fl[-1] * n0
        U = Y3
        t = target if landing else t + hs
        n_steps += 1
        _, eps = sysm.fluxes(U, t)
        max_pe = max(max_pe, float(np.max(np.abs(eps) * sysm.h)) * float(np.max(np.abs(z))))
        h = step_control.step_after_accept(hs, factor, h, landing, rejected_last)
        rejected_last = False
        while out_idx < outs.size and step_control.output_due(outs[out_idx], t):
            dens_out[out_idx] = sysm.full(U).T * n0
            out_idx += 1

    c_fin = sysm.full(U)
    _, eps = sysm.fluxes(U, t)
    voltage = float(np.sum(eps * sysm.h)) * medium.thermal_voltage
    return ElectroneutralSolution(
        times=outs,
        densities=dens_out,
        final_densities=c_fin.T * n0,
        field=eps,
        voltage=voltage,
        inflow=cum_in,
        outflow=cum_out,
        n_steps=n_steps,
        n_rejected=n_rej,
        n_newton=n_newton,
        diagnostics={"max_cell_peclet": max_pe},
    )
