"""Compiled solver for the interdiffusion of N mobile monovalent ions on a fixed site lattice.

Model (the generalised Helfferich/Doremus form of Nernst–Planck, the field eliminated by
zero current and electroneutrality). χ_i(x, t) are the site fractions of the N ions,
Σ_i χ_i = 1, the total mobile concentration constant:

    J_i = −D_i ∂χ_i/∂x + χ_i D_i (Σ_j D_j ∂χ_j/∂x)/S = −D_i S ∂(χ_i/S)/∂x,
    S = Σ_j D_j χ_j,        ∂χ_i/∂t = −∂J_i/∂x,

so Σ_i J_i = 0 (no current) and the field is eE/k_BT = ∂ln S/∂x. For N = 2 this is binary
interdiffusion with D̃ = D_A D_B/(χ_A D_A + χ_B D_B)
(ionex.physics.interdiffusion.nernst_planck_coefficient).

Space: cell-centred finite volumes. The second form of J_i is a Nernst–Planck flux in the
potential ψ = ln S; with ψ linear between two centres a distance h apart
(Scharfetter–Gummel), the exact steady flux across the face is

    F_i = D_i m(S_L, S_R) (χ_i,L/S_L − χ_i,R/S_R)/h,    m(a, b) = a b ln(b/a)/(b − a),

m being a b over the logarithmic mean of a and b (a symmetric mean of S). Its properties:

* Σ_i F_i = 0 at every face to round-off, because Σ_i D_i χ_i/S = 1 on both sides: no
  current and Σχ = 1 whatever the state. The unknowns are χ_1 … χ_{N−1} per cell and
  χ_N = 1 − Σ, so Σχ = 1 holds by construction.
* For N = 2 it is the exact steady (Kirchhoff) flux of the binary engine,
  −(Φ(χ_R) − Φ(χ_L))/h with Φ = ∫ D_A D_B/(D_B + (D_A − D_B)χ) dχ: ionex.solvers.diffusion's
  semi-discretisation, face for face. Ions with equal D add up to one binary ion likewise.
* Second-order accurate (m is a second-order mean of S).
* Positive: where χ_i vanishes in a cell its rate is Σ_faces D_i m χ_i,nb/(S_nb h) ≥ 0
  (nb: the neighbour across the face), so the semi-discrete system keeps every fraction
  ≥ 0 — unlike the plain central flux (face χ the mean of the cells), whose drift term
  can drive a vanishing fraction negative once the cell Péclet number exceeds 2. The
  time integration can undershoot by its local error, which the step control keeps below
  atol near χ = 0: measured at a pure bath on a glass free of that ion, D ratios up to
  1e3, the lowest fraction over all accepted steps is −1.4e-10 at the default tolerances
  (MulticomponentSolution.diagnostics["min_fraction"] reports it for every run).

A bath face holds the surface fractions at the surface (its flux spans the half cell to
the surface, as in the binary engine); a closed face carries no flux.

Time: the Rosenbrock method ROS3 (the coefficients of ionex.solvers._rosenbrock), linearly
implicit with the exact block-tridiagonal Jacobian ((N−1)×(N−1) blocks, factorised once
per step by block Thomas), its embedded estimate in the max norm over cells and all N
ions, and the step-size rules of ionex.solvers.step_control. The amount of each ion that
entered through each face is booked from the same linear systems (the row sums
telescope), so the inventory change equals the booked inflow to round-off. Constant D:
the whole step loop runs compiled; a callable d_at(t) (a temperature program) is driven
from Python with ∂R/∂t by a forward-difference probe, as in _rosenbrock, and so is a run
with a tracker (the same steps: it sees every accepted state).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from ..errors import SolverError
from ..grids import Grid
from ..validators import positive
from . import _loop, step_control
from ._rosenbrock import (
    A21,
    C21,
    C31,
    C32,
    E1,
    E2,
    E3,
    GAMMA,
    GAMMA2,
    GAMMA3,
    M1,
    M2,
    M3,
    NODES,
    PROBE,
)
from .diffusion import _schedule, _too_many_steps
from .trackers import Tracker

__all__ = [
    "BathFace",
    "ClosedFace",
    "MulticomponentSolution",
    "solve_multicomponent",
    "face_mean",
]

FRACTION_SUM_TOLERANCE = 1e-9  # |Σχ − 1| accepted in the caller's fractions

# status codes of a step
OK = 0
NON_FINITE = 1
NON_POSITIVE_MOBILITY = 2
MESSAGES = {
    NON_FINITE: "non-finite stage value",
    NON_POSITIVE_MOBILITY: "a stage value made Σ D_j χ_j ≤ 0",
}


# --------------------------------------------------------------------------- faces


def _check_fractions(values, name: str, tol: float = FRACTION_SUM_TOLERANCE) -> np.ndarray:
    """The fractions as floats, after checking they lie in [0, 1] and sum to 1 within tol
    (along the first axis)."""
    f = np.array(values, dtype=float)
    if f.ndim == 0 or f.shape[0] < 2:
        raise ValueError(f"{name}: expected fractions of at least two ions, got {values!r}")
    if not np.all(np.isfinite(f)):
        raise ValueError(f"{name}: fractions must be finite, got non-finite values")
    if f.min() < -tol or f.max() > 1.0 + tol:
        raise ValueError(
            f"{name}: fractions must lie in [0, 1], found values in [{f.min():.6g}, {f.max():.6g}]"
        )
    total = f.sum(axis=0)
    worst = float(np.max(np.abs(total - 1.0)))
    if worst > tol:
        raise ValueError(
            f"{name}: fractions must sum to 1 within {tol:g}, found a sum off by {worst:.3g}"
        )
    return f


@dataclass(frozen=True)
class BathFace:
    """A bath at the face: the site fractions of all N ions are held at the surface.

    Attributes:
        fractions: χ_i at the surface, one per ion in the solver's order (dimensionless,
            each in [0, 1], summing to 1 within 1e-9).
    """

    fractions: tuple

    def __post_init__(self):
        f = _check_fractions(np.atleast_1d(self.fractions), "bath fractions")
        if f.ndim != 1:
            raise ValueError(f"bath fractions: expected one value per ion, got shape {f.shape}")
        object.__setattr__(self, "fractions", tuple(float(v) for v in f))


@dataclass(frozen=True)
class ClosedFace:
    """No ion crosses the face (an anneal, a symmetry plane, the far end of a slab)."""


@dataclass
class MulticomponentSolution:
    """States at the output times of one call.

    Attributes:
        times: output times (s, from the start of the call).
        states: χ per output time, ion and cell, shape (n_times, N, n_cells).
        inflow: cumulative amount of each ion that entered through the front (…, 0) and
            the back (…, 1) face up to each output time, shape (n_times, N, 2), as
            ∫ flux dt in χ·m (multiply by the total mobile concentration for mol/m²); the
            N inflows of a face sum to zero (no current).
        final: χ at the end, (N, n_cells).  final_inflow: (N, 2) at the end.
        n_steps, n_rejected: accepted and rejected steps. n_solves: block-tridiagonal
            solves (three per step attempt).
        diagnostics: "min_fraction" (the lowest χ of any ion over the accepted steps),
            "cell_steps" (cells × step attempts), "n_cells", "last_failure".
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


# --------------------------------------------------------------------------- kernels


@njit(cache=True)
def face_mean(a, b):
    """m(a, b) = a b ln(b/a)/(b − a) (m²/s for S in m²/s) and ∂m/∂a, ∂m/∂b.

    With w = b/a − 1, m = b·ℓ(w), ℓ(w) = ln(1 + w)/w; near w = 0 ℓ and ℓ' are their
    Taylor series (exact to round-off for |w| < 1e-3, and free of the cancellation of the
    closed form of ℓ' there)."""
    w = b / a - 1.0
    if abs(w) < 1e-3:
        ell = 1.0 - w * (0.5 - w * (1.0 / 3.0 - w * (0.25 - w * (0.2 - w / 6.0))))
        dell = -0.5 + w * (2.0 / 3.0 - w * (0.75 - w * (0.8 - w * (5.0 / 6.0))))
    else:
        ell = math.log1p(w) / w
        dell = (a / b - ell) / w
    return b * ell, -(1.0 + w) * (1.0 + w) * dell, ell + (1.0 + w) * dell


@njit(cache=True)
def _face_mean_value(a, b):
    """m(a, b) alone (face_mean without the derivatives)."""
    w = b / a - 1.0
    if abs(w) < 1e-3:
        return b * (1.0 - w * (0.5 - w * (1.0 / 3.0 - w * (0.25 - w * (0.2 - w / 6.0)))))
    return b * math.log1p(w) / w


@njit(cache=True)
def _mobility(d, f):
    """S = Σ_j D_j χ_j for the first N − 1 fractions f (χ_N = 1 − Σ f)."""
    m = f.size
    s = d[m]
    for k in range(m):
        s += (d[k] - d[m]) * f[k]
    return s


@njit(cache=True)
def _set_face(c, d, w, sl, sr, derivs, du, mf, ma, mb, flux):
    """Face c's mean m of S (and its derivatives when ``derivs``) and fluxes, du[c] given."""
    if derivs:
        mm, da, db = face_mean(sl, sr)
        ma[c] = da
        mb[c] = db
    else:
        mm = _face_mean_value(sl, sr)
    mf[c] = mm
    g = mm * w
    for k in range(du.shape[1]):
        flux[c, k] = d[k] * g * du[c, k]


@njit(cache=True)
def face_fluxes(
    d, y, inv_sp, front, back, has_front, has_back, derivs, s, u, du, mf, ma, mb, flux, res
):  # fmt: skip
    """Fluxes of the state y (n, M = N − 1) with the diffusivities d (N, m²/s).

    Face c lies left of cell c (face 0 the front, face n the back). Fills s (S per cell),
    u = χ/S, du (u_L − u_R per face), mf (m per face; with ``derivs`` also ma, mb, its
    derivatives), flux (+x, χ·m/s per face and ion) and res (net inflow per cell,
    χ·m/s). front/back: the first M bath fractions. Returns False when some S ≤ 0
    (nothing else is filled then).
    """
    n, m = y.shape
    dl = d[m]
    for c in range(n):
        sc = dl
        for k in range(m):
            sc += (d[k] - dl) * y[c, k]
        if not sc > 0.0:  # also catches NaN
            return False
        s[c] = sc
        r = 1.0 / sc
        for k in range(m):
            u[c, k] = y[c, k] * r
    for c in (0, n):
        # a closed face: no flux, no derivatives
        mf[c] = 0.0
        ma[c] = 0.0
        mb[c] = 0.0
        for k in range(m):
            du[c, k] = 0.0
            flux[c, k] = 0.0
    if has_front:
        ss = _mobility(d, front)
        for k in range(m):
            du[0, k] = front[k] / ss - u[0, k]
        _set_face(0, d, inv_sp[0], ss, s[0], derivs, du, mf, ma, mb, flux)
    for c in range(1, n):
        if derivs:
            mm, ma[c], mb[c] = face_mean(s[c - 1], s[c])
        else:
            mm = _face_mean_value(s[c - 1], s[c])
        mf[c] = mm
        g = mm * inv_sp[c]
        for k in range(m):
            du[c, k] = u[c - 1, k] - u[c, k]
            flux[c, k] = d[k] * g * du[c, k]
    if has_back:
        ss = _mobility(d, back)
        for k in range(m):
            du[n, k] = u[n - 1, k] - back[k] / ss
        _set_face(n, d, inv_sp[n], s[n - 1], ss, derivs, du, mf, ma, mb, flux)
    for c in range(n):
        for k in range(m):
            res[c, k] = flux[c, k] - flux[c + 1, k]
    return True


@njit(cache=True)
def face_jacobians(d, inv_sp, has_front, has_back, s, u, du, mf, ma, mb, al, ar):
    """∂F/∂y of every face with respect to the cell on its left (al) and on its right (ar),
    (n + 1, M, M), from the quantities face_fluxes filled (with derivatives); zero where
    there is no cell or no flux. F_k = D_k m (u_k,L − u_k,R)/h, u = χ/S,
    S = D_N + Σ_l (D_l − D_N) χ_l:

        ∂F_k/∂χ_l,L = D_k/h [ m δ_kl/S_L + δ_l (m_a Δu_k − m u_k,L/S_L) ],
        ∂F_k/∂χ_l,R = D_k/h [ −m δ_kl/S_R + δ_l (m_b Δu_k + m u_k,R/S_R) ],  δ_l = D_l − D_N.
    """
    n, m = u.shape
    dl = d[m]
    al[0, :, :] = 0.0  # the front face has no cell on its left, the back none on its right
    ar[n, :, :] = 0.0
    if not has_front:
        ar[0, :, :] = 0.0
    if not has_back:
        al[n, :, :] = 0.0
    for c in range(n + 1):
        w = inv_sp[c]
        mm = mf[c]
        if c > 0 and (c < n or has_back):
            q = mm / s[c - 1]
            for k in range(m):
                g = d[k] * w
                b = g * (ma[c] * du[c, k] - q * u[c - 1, k])
                for j in range(m):
                    al[c, k, j] = (d[j] - dl) * b
                al[c, k, k] += g * q
        if c < n and (c > 0 or has_front):
            q = mm / s[c]
            for k in range(m):
                g = d[k] * w
                b = g * (mb[c] * du[c, k] + q * u[c, k])
                for j in range(m):
                    ar[c, k, j] = (d[j] - dl) * b
                ar[c, k, k] -= g * q


@njit(cache=True)
def _invert(a, out):
    """out = a⁻¹ for a small dense matrix (Gauss–Jordan, partial pivoting; a is destroyed)."""
    m = a.shape[0]
    for i in range(m):
        for j in range(m):
            out[i, j] = 1.0 if i == j else 0.0
    for col in range(m):
        p = col
        big = abs(a[col, col])
        for r in range(col + 1, m):
            if abs(a[r, col]) > big:
                big = abs(a[r, col])
                p = r
        if p != col:
            for j in range(m):
                a[col, j], a[p, j] = a[p, j], a[col, j]
                out[col, j], out[p, j] = out[p, j], out[col, j]
        piv = 1.0 / a[col, col]
        for j in range(m):
            a[col, j] *= piv
            out[col, j] *= piv
        for r in range(m):
            if r != col:
                f = a[r, col]
                if f != 0.0:
                    for j in range(m):
                        a[r, j] -= f * a[col, j]
                        out[r, j] -= f * out[col, j]


@njit(cache=True)
def _factorise(vol, hg, al, ar, dinv, xup, tmp):
    """Block Thomas factorisation of M/(γh) − J, J the block-tridiagonal Jacobian with
    J[c, c−1] = al[c], J[c, c] = ar[c] − al[c+1], J[c, c+1] = −ar[c+1]:
    dinv[c] = D'_c⁻¹, D'_c = B_c + al[c]·xup[c−1], xup[c] = dinv[c]·ar[c+1].
    One and two unknowns per cell (two and three ions) are written out."""
    n = vol.size
    m = al.shape[1]
    if m == 1:
        x = 0.0
        for c in range(n):
            v = 1.0 / (vol[c] / hg - ar[c, 0, 0] + al[c + 1, 0, 0] + al[c, 0, 0] * x)
            dinv[c, 0, 0] = v
            x = v * ar[c + 1, 0, 0]
            xup[c, 0, 0] = x
        return
    if m == 2:
        x00 = x01 = x10 = x11 = 0.0
        for c in range(n):
            scale = vol[c] / hg
            l00, l01, l10, l11 = al[c, 0, 0], al[c, 0, 1], al[c, 1, 0], al[c, 1, 1]
            b00 = scale - ar[c, 0, 0] + al[c + 1, 0, 0] + l00 * x00 + l01 * x10
            b01 = -ar[c, 0, 1] + al[c + 1, 0, 1] + l00 * x01 + l01 * x11
            b10 = -ar[c, 1, 0] + al[c + 1, 1, 0] + l10 * x00 + l11 * x10
            b11 = scale - ar[c, 1, 1] + al[c + 1, 1, 1] + l10 * x01 + l11 * x11
            r = 1.0 / (b00 * b11 - b01 * b10)
            i00, i01, i10, i11 = b11 * r, -b01 * r, -b10 * r, b00 * r
            dinv[c, 0, 0], dinv[c, 0, 1], dinv[c, 1, 0], dinv[c, 1, 1] = i00, i01, i10, i11
            u00, u01, u10, u11 = ar[c + 1, 0, 0], ar[c + 1, 0, 1], ar[c + 1, 1, 0], ar[c + 1, 1, 1]
            x00 = i00 * u00 + i01 * u10
            x01 = i00 * u01 + i01 * u11
            x10 = i10 * u00 + i11 * u10
            x11 = i10 * u01 + i11 * u11
            xup[c, 0, 0], xup[c, 0, 1], xup[c, 1, 0], xup[c, 1, 1] = x00, x01, x10, x11
        return
    for c in range(n):
        scale = vol[c] / hg
        for i in range(m):
            for j in range(m):
                v = -ar[c, i, j] + al[c + 1, i, j]
                if c > 0:
                    for q in range(m):
                        v += al[c, i, q] * xup[c - 1, q, j]
                tmp[i, j] = v
            tmp[i, i] += scale
        _invert(tmp, dinv[c])
        for i in range(m):
            for j in range(m):
                v = 0.0
                for q in range(m):
                    v += dinv[c, i, q] * ar[c + 1, q, j]
                xup[c, i, j] = v


@njit(cache=True)
def _solve(al, dinv, xup, rhs, out, tmpv):
    """Solve the factorised block system for rhs (n, M) into out."""
    n, m = rhs.shape
    if m == 1:
        z = 0.0
        for c in range(n):
            z = dinv[c, 0, 0] * (rhs[c, 0] + al[c, 0, 0] * z)
            out[c, 0] = z
        for c in range(n - 2, -1, -1):
            out[c, 0] -= xup[c, 0, 0] * out[c + 1, 0]
        return
    if m == 2:
        z0 = z1 = 0.0
        for c in range(n):
            v0 = rhs[c, 0] + al[c, 0, 0] * z0 + al[c, 0, 1] * z1
            v1 = rhs[c, 1] + al[c, 1, 0] * z0 + al[c, 1, 1] * z1
            z0 = dinv[c, 0, 0] * v0 + dinv[c, 0, 1] * v1
            z1 = dinv[c, 1, 0] * v0 + dinv[c, 1, 1] * v1
            out[c, 0] = z0
            out[c, 1] = z1
        for c in range(n - 2, -1, -1):
            out[c, 0] = out[c, 0] - xup[c, 0, 0] * out[c + 1, 0] - xup[c, 0, 1] * out[c + 1, 1]
            out[c, 1] = out[c, 1] - xup[c, 1, 0] * out[c + 1, 0] - xup[c, 1, 1] * out[c + 1, 1]
        return
    for c in range(n):
        for i in range(m):
            v = rhs[c, i]
            if c > 0:
                for q in range(m):
                    v += al[c, i, q] * out[c - 1, q]
            tmpv[i] = v
        for i in range(m):
            v = 0.0
            for q in range(m):
                v += dinv[c, i, q] * tmpv[q]
            out[c, i] = v
    for c in range(n - 2, -1, -1):
        for i in range(m):
            v = 0.0
            for q in range(m):
                v += xup[c, i, q] * out[c + 1, q]
            tmpv[i] = v
        for i in range(m):
            out[c, i] -= tmpv[i]


# rows of the workspace arrays (see workspace)
_U, _RES, _RT, _K1, _K2, _K3, _Y2, _RHS = range(8)  # cells: (8, n, M)
_DU, _FLUX = range(2)  # faces: (2, n + 1, M)
_S, _MF, _MA, _MB = range(4)  # scalars: (4, n + 1); S uses the first n
_AL, _AR, _DINV, _XUP = range(4)  # blocks: (4, n + 1, M, M)
_ROWS, _BOOK, _TMPV = 0, 6, 12  # small: (13, M): f0, b0, ft, bt, f2, b2 | six booked | tmpv


@njit(cache=True)
def workspace(n, m):
    """Scratch for ros3_step on n cells and M = N − 1 unknowns per cell: the arrays
    (cells, faces, scalars, blocks, small, tmp), rows as named above; tmp is (M, M)."""
    return (
        np.zeros((8, n, m)),
        np.zeros((2, n + 1, m)),
        np.zeros((4, n + 1)),
        np.zeros((4, n + 1, m, m)),
        np.zeros((13, m)),
        np.zeros((m, m)),
    )


@njit(cache=True)
def ros3_step(
    d_nodes, y, step, vol, inv_sp, front, back, has_front, has_back, autonomous, atol, rtol,
    ws, y_new, inflow,
):  # fmt: skip
    """One ROS3 step of size ``step`` (s) from y (n, M).

    d_nodes: the N diffusivities at the step's NODES (rows: start, second stage, start +
    PROBE·step; the third unused when ``autonomous``), m²/s. ``ws`` from workspace(n, M).
    On success fills y_new and inflow (2, M): the amounts of the first M ions in through
    the front and the back over the step (χ·m). Returns (status, error norm — the
    embedded estimate over atol + rtol·max(|χ|, |χ_new|), max over cells and all N ions —,
    linear solves).

    Stage i (Hairer & Wanner eq. 7.4'): (M/(γh) − J) K_i = R(Y_i) + M Σ_j (c_ij/h) K_j +
    γ_i h ∂R/∂t, Y_1 = y, Y_2 = Y_3 = y + K_1. Summing its rows, the interior fluxes
    telescope and Σ_cells width·K_i splits into the faces' shares
    γh [F(Y_i) + (∂F/∂y) K_i + Σ_j (c_ij/h)·share_j + γ_i h ∂F/∂t], booked per face and ion.
    """
    n, m = y.shape
    cells, faces, scalars, blocks, small, tmp = ws
    rt, y2, rhs = cells[_RT], cells[_Y2], cells[_RHS]
    du, flux = faces[_DU], faces[_FLUX]
    s, mf, ma, mb = scalars[_S], scalars[_MF], scalars[_MA], scalars[_MB]
    al, ar, dinv, xup = blocks[_AL], blocks[_AR], blocks[_DINV], blocks[_XUP]
    rows = small[_ROWS:_BOOK]  # face inflows: start (0, 1), ∂/∂t (2, 3), stage 2 (4, 5)
    book = small[_BOOK:_TMPV]  # booked shares: stage i at rows 2i (front), 2i + 1 (back)
    tmpv = small[_TMPV]
    hg = GAMMA * step
    # the rates at the start (with the Jacobian's ingredients), then at the probe
    for e in range(2):
        if e == 1 and autonomous:
            rt[:, :] = 0.0
            rows[2:4] = 0.0
            break
        out = cells[_RES] if e == 0 else rt
        if not face_fluxes(
            d_nodes[2 * e], y, inv_sp, front, back, has_front, has_back, e == 0, s, cells[_U],
            du, mf, ma, mb, flux, out,
        ):  # fmt: skip
            return NON_POSITIVE_MOBILITY, math.inf, 0
        for k in range(m):
            rows[2 * e, k] = flux[0, k]
            rows[2 * e + 1, k] = -flux[n, k]
        if e == 0:
            face_jacobians(
                d_nodes[0], inv_sp, has_front, has_back, s, cells[_U], du, mf, ma, mb, al, ar
            )
            _factorise(vol, hg, al, ar, dinv, xup, tmp)
        else:
            probe = PROBE * step
            res = cells[_RES]
            for c in range(n):
                for k in range(m):
                    rt[c, k] = (rt[c, k] - res[c, k]) / probe
            for j in range(2):
                for k in range(m):
                    rows[2 + j, k] = (rows[2 + j, k] - rows[j, k]) / probe
    for i in range(3):
        if i == 1:
            for c in range(n):
                for k in range(m):
                    y2[c, k] = y[c, k] + A21 * cells[_K1, c, k]
            if not face_fluxes(
                d_nodes[1], y2, inv_sp, front, back, has_front, has_back, i == 0, s, cells[_U],
                du, mf, ma, mb, flux, cells[_RES],
            ):  # fmt: skip
                return NON_POSITIVE_MOBILITY, math.inf, 1
            for k in range(m):
                rows[4, k] = flux[0, k]
                rows[5, k] = -flux[n, k]
        if i == 0:
            g, c1, c2 = GAMMA * step, 0.0, 0.0
        elif i == 1:
            g, c1, c2 = GAMMA2 * step, C21 / step, 0.0
        else:
            g, c1, c2 = GAMMA3 * step, C31 / step, C32 / step
        res = cells[_RES]
        k1 = cells[_K1]
        k2 = cells[_K2]
        # only the stages already taken in this step enter: the others hold what an
        # earlier (possibly failed, non-finite) attempt left
        for c in range(n):
            for k in range(m):
                v = res[c, k] + g * rt[c, k]
                if i == 1:
                    v += vol[c] * c1 * k1[c, k]
                elif i == 2:
                    v += vol[c] * (c1 * k1[c, k] + c2 * k2[c, k])
                rhs[c, k] = v
        ki = cells[_K1 + i]
        _solve(al, dinv, xup, rhs, ki, tmpv)
        r0 = 0 if i == 0 else 4  # the face inflows at Y_i
        for j in range(2):  # front, back
            jac = ar[0] if j == 0 else al[n]
            sign = 1.0 if j == 0 else -1.0
            cell = 0 if j == 0 else n - 1
            for q in range(m):
                v = rows[r0 + j, q] + g * rows[2 + j, q]
                if i > 0:
                    v += c1 * book[j, q]
                if i > 1:
                    v += c2 * book[2 + j, q]
                for p in range(m):
                    v += sign * jac[q, p] * ki[cell, p]
                book[2 * i + j, q] = hg * v
    k1, k2, k3 = cells[_K1], cells[_K2], cells[_K3]
    err = 0.0
    for c in range(n):
        rest = 1.0
        rest_new = 1.0
        e_rest = 0.0
        for k in range(m):
            yn = y[c, k] + M1 * k1[c, k] + M2 * k2[c, k] + M3 * k3[c, k]
            y_new[c, k] = yn
            ek = E1 * k1[c, k] + E2 * k2[c, k] + E3 * k3[c, k]
            e = abs(ek) / (atol + rtol * max(abs(y[c, k]), abs(yn)))
            if not e <= err:  # also propagates NaN
                err = e
            rest -= y[c, k]
            rest_new -= yn
            e_rest -= ek
        e = abs(e_rest) / (atol + rtol * max(abs(rest), abs(rest_new)))
        if not e <= err:
            err = e
    if not math.isfinite(err):
        return NON_FINITE, math.inf, 3
    for j in range(2):
        for k in range(m):
            inflow[j, k] = M1 * book[j, k] + M2 * book[2 + j, k] + M3 * book[4 + j, k]
    return OK, err, 3


@njit(cache=True)
def same_rows(d_nodes):
    """Whether the diffusivities are the same at every node of the step (no ∂R/∂t)."""
    for j in range(1, d_nodes.shape[0]):
        for k in range(d_nodes.shape[1]):
            if d_nodes[j, k] != d_nodes[0, k]:
                return False
    return True


@njit(cache=True)
def lowest_fraction(y):
    """The lowest fraction of any of the N ions in y (n, M), χ_N = 1 − Σ."""
    n, m = y.shape
    low = math.inf
    for c in range(n):
        rest = 1.0
        for k in range(m):
            low = min(low, y[c, k])
            rest -= y[c, k]
        low = min(low, rest)
    return low


@njit(cache=True)
def advance_constant(
    d, y, vol, inv_sp, front, back, has_front, has_back, duration, first_step, outs, stops,
    rtol, atol, max_steps, states, out_inflow, cum, totals, counts,
):  # fmt: skip
    """Advance y (n, M) over ``duration`` s with constant diffusivities d (N) and return the
    final state (in y or in the loop's second buffer); fill states[k] (n, M) and
    out_inflow[k] (2, M) at outs[k].

    cum ← the cumulative inflow (2, M) at the end; totals ← (time reached, lowest fraction
    met); counts ← (steps, rejected, linear solves, outcome (_loop.DONE, …), status of the
    last failed step, cells × step attempts).
    """
    n, m = y.shape
    d_nodes = np.empty((len(NODES), d.size))
    for j in range(len(NODES)):
        d_nodes[j, :] = d
    autonomous = same_rows(d_nodes)  # True; a runtime flag, not a compile-time constant
    ws = workspace(n, m)
    y_new = np.empty((n, m))
    inflow = np.empty((2, m))
    t = 0.0
    h = first_step
    h_min = step_control.step_floor_jit(duration)
    low = lowest_fraction(y)
    out_idx = 0
    cum[:, :] = 0.0
    while out_idx < outs.size and outs[out_idx] <= 0.0:
        states[out_idx] = y
        out_inflow[out_idx] = 0.0
        out_idx += 1
    n_steps = 0
    n_rejected = 0
    n_solves = 0
    cell_steps = 0
    stop_idx = 0
    outcome = _loop.DONE
    last_status = 0
    after_rejection = False
    while t < duration:
        while step_control.stop_passed_jit(stops[stop_idx], t):
            stop_idx += 1
        target = stops[stop_idx]
        landing = step_control.lands_jit(t, h, target, True)
        step = target - t if landing else h
        status, en, solves = ros3_step(
            d_nodes, y, step, vol, inv_sp, front, back, has_front, has_back, autonomous, atol,
            rtol, ws, y_new, inflow,
        )  # fmt: skip
        n_solves += solves
        cell_steps += n
        if status != OK:
            n_rejected += 1
            last_status = status
            h = step_control.step_after_failure_jit(step)
            after_rejection = True
            if not h >= h_min:  # also catches NaN
                outcome = _loop.STEP_TOO_SMALL
                break
            continue
        factor = step_control.step_factor_jit(en)
        if en > 1.0:
            n_rejected += 1
            h = step_control.step_after_reject_jit(step, factor)
            after_rejection = True
            continue
        n_steps += 1
        if n_steps > max_steps:
            outcome = _loop.TOO_MANY_STEPS
            break
        cum += inflow
        t = target if landing else t + step
        y, y_new = y_new, y
        low = min(low, lowest_fraction(y))
        h = step_control.step_after_accept_jit(step, factor, h, landing, after_rejection)
        after_rejection = False
        while out_idx < outs.size and step_control.output_due_jit(outs[out_idx], t):
            states[out_idx] = y
            out_inflow[out_idx] = cum
            out_idx += 1
    totals[0] = t
    totals[1] = low
    counts[0] = n_steps
    counts[1] = n_rejected
    counts[2] = n_solves
    counts[3] = outcome
    counts[4] = last_status
    counts[5] = cell_steps
    return y


# --------------------------------------------------------------------------- driver


def solve_multicomponent(
    grid: Grid,
    diffusivities,
    initial,
    duration: float,
    *,
    front: BathFace | ClosedFace,
    back: BathFace | ClosedFace,
    output_times=(),
    breakpoints=(),
    rtol: float = 4e-4,
    atol: float = 4e-6,
    first_step: float | None = None,
    max_step: float | None = None,
    max_steps: int = 1_000_000,
    fixed_step: float | None = None,
    time_offset: float = 0.0,
    tracker: Tracker | None = None,
) -> MulticomponentSolution:
    """Advance the site fractions of N ions over ``duration`` s; return them at ``output_times``.

    ∂χ_i/∂t = ∂/∂x [D_i ∂χ_i/∂x − χ_i D_i (Σ_j D_j ∂χ_j/∂x)/(Σ_j D_j χ_j)], Σ_i χ_i = 1.

    Args:
        grid: the mesh (depth in m).
        diffusivities: the N self-diffusion coefficients D_i (m²/s, > 0) of the whole call,
            or a callable t ↦ the N D_i valid at t (s from the start of this call), e.g.
            Arrhenius D_i(T(t)) of a temperature program. A callable is called three
            times per step; the solver skips ∂R/∂t while its values do not change.
        initial: χ_i per ion and cell, shape (N, n_cells) (each in [0, 1], the N of a cell
            summing to 1 within 1e-9; χ_N is then taken as 1 − Σ_{i<N} χ_i).
        duration: length of the integration (s, > 0).
        front, back: BathFace (the N surface fractions held) or ClosedFace, at depth 0 and
            at grid.length. A plate exchanged on both faces is the full plate with two
            baths, or its half with a ClosedFace at the mid-plane.
        output_times: times in [0, duration] (s) at which to store χ (hit exactly).
        breakpoints: times (s) where the diffusivities have a kink; steps land on them.
        rtol, atol: local error tolerance per cell and ion: |err| ≤ atol + rtol·|χ|.
        first_step, max_step: optional bounds on the step (s).
        fixed_step: steps of exactly this size (s), shortened only to land on stops, with
            no error control (for convergence studies).
        max_steps: the most accepted steps before the call fails.
        time_offset: added to t in error messages and when reporting to the tracker (s),
            for a call within a process.
        tracker: receives ``handle(time_offset + t, χ)`` after every accepted step, χ of
            shape (N, n_cells) (e.g. the history hereditary stress relaxation needs).
    Constant diffusivities without max_step, fixed_step or tracker run the whole loop
    compiled.
    Raises:
        ValueError: on malformed arguments (shapes, fractions, D ≤ 0).
        SolverError: when the step falls below round-off (the message names the time and
            the depth of the largest rate) or more than max_steps steps are needed.
    """
    positive(duration, "duration", "s")
    if not (rtol > 0 and atol > 0):
        raise ValueError(f"rtol and atol must be > 0, got {rtol!r}, {atol!r}")
    n = grid.n_cells
    d_at = diffusivities if callable(diffusivities) else None
    d_start = _checked_diffusivities(d_at(0.0) if d_at else diffusivities, None, "diffusivities")
    n_ions = d_start.size
    chi0 = _check_fractions(initial, "initial")
    if chi0.shape != (n_ions, n):
        raise ValueError(
            f"initial state has shape {chi0.shape}, expected ({n_ions}, {n}): one row per ion"
        )
    m = n_ions - 1
    front_f, has_front = _face(front, n_ions, "front")
    back_f, has_back = _face(back, n_ions, "back")
    y = np.ascontiguousarray(chi0[:m].T)
    vol = np.array(grid.volumes, dtype=float)  # writable: one compiled signature
    inv_sp = 1.0 / np.asarray(grid.spacing, dtype=float)
    outs, stops = _schedule(duration, output_times, breakpoints)
    stops = np.asarray(stops, dtype=float)
    if fixed_step is not None:
        positive(fixed_step, "fixed_step", "s")
        first_step = fixed_step
    if first_step is None:
        first_step = min(0.25 * grid.volumes[0] ** 2 / float(d_start.max()), 1e-3 * duration)
    h = max(first_step, 1e-12 * duration)
    states = np.empty((outs.size, n, m))
    out_inflow = np.empty((outs.size, 2, m))

    if d_at is None and max_step is None and fixed_step is None and tracker is None:
        cum = np.zeros((2, m))
        totals = np.zeros(2)
        counts = np.zeros(6, dtype=np.int64)
        y = advance_constant(
            d_start, y, vol, inv_sp, front_f, back_f, has_front, has_back, float(duration),
            float(h), outs, stops, float(rtol), float(atol), int(max_steps), states, out_inflow,
            cum, totals, counts,
        )  # fmt: skip
        n_steps, n_rejected, n_solves, outcome, last, cell_steps = (int(v) for v in counts)
        t_end = time_offset + float(totals[0])
        if outcome == _loop.STEP_TOO_SMALL:
            raise SolverError(
                _failure_message(
                    t_end,
                    MESSAGES[last],
                    step_control.step_floor(duration),
                    _worst_depth(d_start, y, grid, front_f, back_f, has_front, has_back),
                )
            )
        if outcome == _loop.TOO_MANY_STEPS:
            raise SolverError(_too_many_steps(max_steps, t_end))
        return _solution(
            outs, states, out_inflow, y, cum, n_steps, n_rejected, n_solves,
            {
                "min_fraction": float(totals[1]),
                "cell_steps": cell_steps,
                "n_cells": n,
                "last_failure": MESSAGES[last] if last else "",
            },
        )  # fmt: skip

    if d_at is None:
        constant = d_start
        d_at = lambda t: constant
    ws = workspace(n, m)
    y_new = np.empty_like(y)
    inflow = np.empty((2, m))
    cum = np.zeros((2, m))
    d_nodes = np.empty((len(NODES), n_ions))
    t = 0.0
    h_cap = max_step if max_step is not None else math.inf
    adaptive = fixed_step is None
    h_min = step_control.step_floor(duration)
    out_idx = 0
    while out_idx < outs.size and outs[out_idx] <= 0.0:
        states[out_idx] = y
        out_inflow[out_idx] = 0.0
        out_idx += 1
    n_steps = n_rejected = n_solves = cell_steps = 0
    stop_idx = 0
    after_rejection = False
    last_failure = ""
    low = float(lowest_fraction(y))
    while t < duration:
        while step_control.stop_passed(stops[stop_idx], t):
            stop_idx += 1
        target = stops[stop_idx]
        h = min(h, h_cap)
        landing = step_control.lands(t, h, target, adaptive)
        step = target - t if landing else h
        for j, c in enumerate(NODES):
            d_nodes[j] = _checked_diffusivities(d_at(t + c * step), n_ions, "diffusivities(t)")
        autonomous = bool(same_rows(d_nodes))
        status, en, solves = ros3_step(
            d_nodes, y, step, vol, inv_sp, front_f, back_f, has_front, has_back, autonomous,
            float(atol), float(rtol), ws, y_new, inflow,
        )  # fmt: skip
        n_solves += solves
        cell_steps += n
        if status != OK:
            failed = MESSAGES[status]
            n_rejected += 1
            last_failure = failed
            if fixed_step is not None:
                raise SolverError(
                    f"time integration failed at t = {time_offset + t:.6g} s with the fixed "
                    f"step {fixed_step:.6g} s: {failed}"
                )
            h = step_control.step_after_failure(step)
            after_rejection = True
            if not h >= h_min:  # also catches NaN
                raise SolverError(
                    _failure_message(
                        time_offset + t,
                        failed,
                        h_min,
                        _worst_depth(d_nodes[0], y, grid, front_f, back_f, has_front, has_back),
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
        n_steps += 1
        if n_steps > max_steps:
            raise SolverError(_too_many_steps(max_steps, time_offset + t))
        cum += inflow
        t = target if landing else t + step
        y, y_new = y_new, y
        low = min(low, float(lowest_fraction(y)))
        h = (
            fixed_step
            if fixed_step is not None
            else step_control.step_after_accept(step, factor, h, landing, after_rejection)
        )
        after_rejection = False
        while out_idx < outs.size and step_control.output_due(outs[out_idx], t):
            states[out_idx] = y
            out_inflow[out_idx] = cum
            out_idx += 1
        if tracker is not None:
            tracker.handle(time_offset + t, _all_ions(y.T))
    return _solution(
        outs, states, out_inflow, y, cum, n_steps, n_rejected, n_solves,
        {
            "min_fraction": low,
            "cell_steps": cell_steps,
            "n_cells": n,
            "last_failure": last_failure,
        },
    )  # fmt: skip


def _checked_diffusivities(values, n_ions, name) -> np.ndarray:
    """The D_i as a float vector, after checking the count and that each is finite > 0."""
    d = np.array(values, dtype=float)
    if d.ndim != 1 or d.size < 2:
        raise ValueError(
            f"{name}: expected one diffusion coefficient per ion (at least two), "
            f"got shape {d.shape}"
        )
    if n_ions is not None and d.size != n_ions:
        raise ValueError(f"{name}: expected {n_ions} diffusion coefficients, got {d.size}")
    bad = np.nonzero(~(np.isfinite(d) & (d > 0)))[0]
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"{name}[{i}] = {d[i]!r}: diffusion coefficients must be finite and > 0 m^2/s"
        )
    return d


def _face(face, n_ions: int, name: str) -> tuple[np.ndarray, bool]:
    """(the first N − 1 surface fractions, whether the face is a bath)."""
    if isinstance(face, ClosedFace):
        return np.zeros(n_ions - 1), False
    if not isinstance(face, BathFace):
        raise TypeError(f"{name} must be a BathFace or a ClosedFace, got {face!r}")
    if len(face.fractions) != n_ions:
        raise ValueError(
            f"{name} bath holds {len(face.fractions)} fractions; expected {n_ions}, one per ion"
        )
    return np.array(face.fractions[:-1], dtype=float), True


def _solution(outs, states, out_inflow, y, cum, n_steps, n_rejected, n_solves, diagnostics):
    """The solution with all N ions: χ_N = 1 − Σ χ_{i<N}, inflow_N = −Σ inflow_{i<N}."""
    return MulticomponentSolution(
        times=outs,
        states=_all_ions(np.moveaxis(states, 1, 2)),
        inflow=_all_ions(np.moveaxis(out_inflow, 1, 2), rest=0.0),
        final=_all_ions(y.T),
        final_inflow=_all_ions(cum.T, rest=0.0),
        n_steps=n_steps,
        n_rejected=n_rejected,
        n_solves=n_solves,
        diagnostics=diagnostics,
    )


def _all_ions(first, rest=1.0) -> np.ndarray:
    """Append the last ion along axis −2: rest − Σ of the others."""
    last = rest - first.sum(axis=-2, keepdims=True)
    return np.ascontiguousarray(np.concatenate([first, last], axis=-2))


def _worst_depth(d, y, grid, front, back, has_front, has_back) -> float:
    """Depth (m) of the cell with the largest rate |Σ_k R_k|/width, for error messages."""
    n, m = y.shape
    ws = workspace(n, m)
    cells, faces, scalars = ws[0], ws[1], ws[2]
    s, mf, ma, mb = scalars[_S], scalars[_MF], scalars[_MA], scalars[_MB]
    u, res, du, flux = cells[_U], cells[_RES], faces[_DU], faces[_FLUX]
    inv_sp = 1.0 / np.asarray(grid.spacing, dtype=float)
    if not face_fluxes(
        np.asarray(d, dtype=float), y, inv_sp, front, back, has_front, has_back, False, s, u,
        du, mf, ma, mb, flux, res,
    ):  # fmt: skip
        return 0.0
    rate = np.abs(res).sum(axis=1) / grid.volumes
    rate[~np.isfinite(rate)] = np.inf
    return float(grid.centres[int(np.argmax(rate))])


def _failure_message(t: float, failed: str, h_min: float, worst_depth: float) -> str:
    return (
        f"time integration failed at t = {t:.6g} s: {failed}; the step fell below "
        f"{h_min:.1e} s. Largest change rate near depth {worst_depth:.3e} m. Check that the "
        "diffusion coefficients are positive and finite at this temperature."
    )
