"""Plane-strain stress of an ion-exchanged channel waveguide cross-section.

Geometry: depth x ≥ 0 (x = 0 the free glass surface) × lateral y, z along the guide. The
exchanged ions impose an isotropic eigenstrain ε*(x, y) = B·(χ − χ⁰) (ε*_ij = ε*·δ_ij in
3-D). The guide is long and the substrate much thicker and wider than the exchanged
region, so the unexchanged glass holds every cross-section to ε_zz = 0: plane strain.
(Generalized plane strain, ε_zz = const, would let the whole bar stretch by the mean
eigenstrain over its cross-section, a fraction A_exchanged/A_substrate → 0 of ε*.) With
λ, μ the Lamé constants and 3K = E/(1 − 2ν),

    σ_ij = λ·(ε_xx + ε_yy)·δ_ij + 2μ·ε_ij − 3K·ε*·δ_ij        (i, j ∈ {x, y})
    σ_zz = ν·(σ_xx + σ_yy) − E·ε*,      ∂_j σ_ij = 0,

traction-free at x = 0. A laterally uniform layer gives σ_xx = 0 and
σ_yy = σ_zz = −E·ε*/(1 − ν), the biaxial stress of ionex's 1-D model (local_biaxial_stress).

Half-space: the given cell-centred mesh [0, X] × [y_0, y_n] is extended by graded cells
(each `growth` times the previous) to x = X + s·L and laterally by s·L on both sides,
L = max(X, y_n − y_0), s = `extension`. The far boundaries are symmetry planes (rollers:
u_x = 0 and σ_xy = 0 at the bottom, u_y = 0 and σ_xy = 0 at the sides), which makes a
laterally uniform layer exact and truncates the decaying field of a channel (a centre of
dilatation, |σ| ∝ 1/r²) at a relative error O(1/s²). Measured for a 4 µm × 3 µm
channel in a 12 µm × 24 µm mesh: doubling s from 20 to 40 changes the stresses by
≈ 3e-5 of the largest |σ|.

Discretisation: Galerkin finite elements with tensor-product Lagrange elements (bilinear Q1
by default, biquadratic Q2 with order=2; scikit-fem's 1-D P1/P2 bases in each direction) on
the tensor mesh whose cells are the given cells plus the extension, the eigenstrain
constant per cell. On a tensor mesh of a homogeneous solid the stiffness is a sum of
Kronecker products of 1-D matrices, e.g. the (x, x) block is
(λ + 2μ)·A_x ⊗ M_y + μ·M_x ⊗ A_y (A stiffness, M mass; the coupling blocks use
G_ik = ∫φ_i φ_k'), so it is applied without assembling the 2-D matrix. The system is
solved by conjugate gradients preconditioned with the displacement-decoupled operator (the
two diagonal blocks, lumped mass), each inverted exactly by fast diagonalisation (Lynch,
Rice & Thomas, Numer. Math. 6 (1964) 185: the eigenvectors of the 1-D pairs (A, M)). The
decoupled operator is spectrally equivalent to elasticity (Korn's inequality), so the
iteration count (≈ 20) does not grow with the mesh. Stresses are the cell averages of the
FE stress; with the eigenstrain given as cell averages they converge at second order for
both Q1 (superconvergent cell averages) and Q2, whose error is then dominated by the
piecewise-constant eigenstrain: on a 4 µm × 3 µm channel both reach ≈ 1e-4 of the largest
|σ| with 0.075 µm cells (tests/validation/test_stress2d_references.py measures the order).
Q1 is the default because it meets the same accuracy ≈ 5× faster: a 200 × 200 mesh takes
≈ 0.3 s (Q1) and ≈ 1.7 s (Q2) on one core with a single-threaded BLAS (the fast
diagonalisation is dense matrix products; a multithreaded BLAS on busy cores can be
several times slower).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import scipy.linalg
import scipy.sparse as sparse
import scipy.sparse.linalg as sparse_linalg
import skfem
from skfem.helpers import grad

from ..errors import SolverError

__all__ = ["ChannelStress", "plane_strain_stress", "local_biaxial_stress"]

EXTENSION = 20.0  # far boundaries s·L beyond the given mesh (s = 20: truncation ≈ 3e-5 of max |σ|)
GROWTH = 1.3  # each extension cell 1.3 × the previous one
CG_RTOL = 1e-9  # far below the discretisation error (≈ 1e-4 of the largest |σ|)
CG_MAXITER = 500


class ChannelStress(NamedTuple):
    """Stress components per cell of a cross-section (Pa, compression < 0), each of
    shape (n_depth, n_lateral): σ_xx (depth), σ_yy (lateral), σ_zz (along the guide) and
    the shear σ_xy."""

    sigma_xx: np.ndarray
    sigma_yy: np.ndarray
    sigma_zz: np.ndarray
    sigma_xy: np.ndarray


def local_biaxial_stress(eigenstrain, glass) -> ChannelStress:
    """The "local 1-D" approximation: each cell stressed as in a laterally uniform layer,

        σ_yy = σ_zz = −E·ε*/(1 − ν),   σ_xx = σ_xy = 0.

    Its error for a channel: a 4 µm opening diffused 3 µm deep (ε* ∝ erfc(x/d)·
    ½[erf((y + w/2)/d) − erf((y − w/2)/d)], d = 3 µm, w = 4 µm; tests/validation/
    test_stress2d_references.py), in fractions of the largest |σ_zz| of plane_strain_stress:
    the peak |σ_zz| is overestimated by 17 %; σ_yy, whose true peak is only 0.40 (the
    channel's glass is free to expand sideways towards the surface), is off by up to 0.78;
    the ignored σ_xx and σ_xy reach 0.049 and 0.046. The approximation holds only for
    openings much wider than the diffusion depth (on the axis of a layer of half-width W,
    ε* ∝ erfc(x/d), the error is ≈ 0.8·d/W).

    Args:
        eigenstrain: ε* per cell (dimensionless), any shape.
        glass: elastic data with youngs_modulus E (Pa) and poisson_ratio ν.
    Returns: ChannelStress of the shape of eigenstrain (Pa).
    """
    eps = np.asarray(eigenstrain, dtype=float)
    modulus, nu = _elastic_constants(glass)
    biaxial = -modulus / (1.0 - nu) * eps
    zero = np.zeros_like(eps)
    return ChannelStress(zero, biaxial, biaxial.copy(), zero.copy())


def plane_strain_stress(
    x_faces,
    y_faces,
    eigenstrain,
    glass,
    *,
    extension: float = EXTENSION,
    growth: float = GROWTH,
    order: int = 1,
) -> ChannelStress:
    """Plane-strain stress (ε_zz = 0) of a half-space x ≥ 0 with eigenstrain ε*(x, y),
    traction-free at x = 0 (see the module docstring for the equations and the method).

        ∂_j σ_ij = 0,  σ_ij = λ·tr(ε)·δ_ij + 2μ·ε_ij − 3K·ε*·δ_ij,  σ_zz = ν(σ_xx + σ_yy) − E·ε*

    Args:
        x_faces: depth faces of the cells (m), strictly increasing from 0, shape (nx + 1,).
        y_faces: lateral faces (m), strictly increasing, shape (ny + 1,), normally
            symmetric about 0.
        eigenstrain: ε* per cell (dimensionless), shape (nx, ny), finite; zero outside the
            given mesh.
        glass: elastic data with youngs_modulus E (Pa) and poisson_ratio ν (ElasticGlass).
        extension: the far boundaries lie extension·L beyond the given mesh (L its larger
            extent), > 0.
        growth: size ratio of successive extension cells, in (1, 3].
        order: 1 (bilinear) or 2 (biquadratic) elements.
    Returns: ChannelStress, the cell averages of the FE stress on the given cells (Pa).
    Raises: ValueError on bad input; SolverError if the iteration does not converge.
    """
    xf = _faces(x_faces, "x_faces")
    yf = _faces(y_faces, "y_faces")
    if xf[0] != 0.0:
        raise ValueError(f"x_faces: found first face {xf[0]!r} m; expected 0 (the surface)")
    eps = np.asarray(eigenstrain, dtype=float)
    shape = (xf.size - 1, yf.size - 1)
    if eps.shape != shape:
        raise ValueError(
            f"eigenstrain: found shape {eps.shape}; expected {shape} (one value per cell)"
        )
    if not np.all(np.isfinite(eps)):
        raise ValueError("eigenstrain: found non-finite values; expected finite strains")
    if not (math.isfinite(extension) and extension > 0):
        raise ValueError(f"extension: found {extension!r}; expected a finite factor > 0")
    if not (math.isfinite(growth) and 1.0 < growth <= 3.0):
        raise ValueError(f"growth: found {growth!r}; expected a cell-size ratio in (1, 3]")
    if order not in (1, 2):
        raise ValueError(f"order: found {order!r}; expected 1 or 2")
    modulus, nu = _elastic_constants(glass)

    reach = extension * max(xf[-1], yf[-1] - yf[0])
    x_all = np.concatenate([xf, xf[-1] + _graded(xf[-1] - xf[-2], reach, growth)])
    left = yf[0] - _graded(yf[1] - yf[0], reach, growth)[::-1]
    y_all = np.concatenate([left, yf, yf[-1] + _graded(yf[-1] - yf[-2], reach, growth)])
    lateral_offset = left.size
    eps_all = np.zeros((x_all.size - 1, y_all.size - 1))
    eps_all[: shape[0], lateral_offset : lateral_offset + shape[1]] = eps

    lam = modulus * nu / ((1.0 + nu) * (1.0 - 2.0 * nu))
    mu = modulus / (2.0 * (1.0 + nu))
    bulk3 = modulus / (1.0 - 2.0 * nu)
    lx = _Line(x_all, order)
    ly = _Line(y_all, order)
    problem = _Problem(lx, ly, lam, mu)
    # u_x = 0 on the bottom plane, u_y = 0 on the side planes (rollers)
    free_x = np.ones((lx.n, ly.n), dtype=bool)
    free_x[lx.locs == x_all[-1], :] = False
    free_y = np.ones((lx.n, ly.n), dtype=bool)
    free_y[:, (ly.locs == y_all[0]) | (ly.locs == y_all[-1])] = False
    problem.constrain(free_x, free_y)

    # load: ∫ 3K·ε*·div v over each cell
    source = bulk3 * eps_all
    fx = lx.cell_slope @ source @ ly.cell_value.T
    fy = lx.cell_value @ source @ ly.cell_slope.T
    rhs = np.concatenate([(fx * free_x).ravel(), (fy * free_y).ravel()])
    size = rhs.size
    op = sparse_linalg.LinearOperator((size, size), matvec=problem.apply, dtype=float)
    pre = sparse_linalg.LinearOperator((size, size), matvec=problem.precondition, dtype=float)
    counter = [0]

    def count(_):
        counter[0] += 1

    sol, info = sparse_linalg.cg(
        op, rhs, rtol=CG_RTOL, atol=0.0, maxiter=CG_MAXITER, M=pre, callback=count
    )
    if info != 0:
        raise SolverError(
            f"plane-strain stress: conjugate gradients did not converge in {counter[0]} "
            f"iterations (relative tolerance {CG_RTOL})"
        )
    ux = sol[: size // 2].reshape(lx.n, ly.n)
    uy = sol[size // 2 :].reshape(lx.n, ly.n)

    area = np.outer(lx.widths, ly.widths)
    exx = (lx.cell_slope.T @ ux @ ly.cell_value) / area
    eyy = (lx.cell_value.T @ uy @ ly.cell_slope) / area
    gxy = (lx.cell_value.T @ ux @ ly.cell_slope + lx.cell_slope.T @ uy @ ly.cell_value) / area
    trace = exx + eyy
    sxx = lam * trace + 2.0 * mu * exx - bulk3 * eps_all
    syy = lam * trace + 2.0 * mu * eyy - bulk3 * eps_all
    sxy = mu * gxy
    szz = nu * (sxx + syy) - modulus * eps_all
    cut = (slice(0, shape[0]), slice(lateral_offset, lateral_offset + shape[1]))
    return ChannelStress(sxx[cut].copy(), syy[cut].copy(), szz[cut].copy(), sxy[cut].copy())


def _elastic_constants(glass) -> tuple[float, float]:
    """(E, ν) of ``glass``, checked: E > 0 finite (Pa), −1 < ν < 0.5."""
    try:
        modulus = float(glass.youngs_modulus)
        nu = float(glass.poisson_ratio)
    except AttributeError:
        raise ValueError(
            f"glass: found {type(glass).__name__}; expected elastic data with "
            "youngs_modulus and poisson_ratio (ElasticGlass)"
        ) from None
    if not (math.isfinite(modulus) and modulus > 0):
        raise ValueError(f"glass: found youngs_modulus {modulus!r}; expected E > 0 in Pa")
    if not -1.0 < nu < 0.5:
        raise ValueError(f"glass: found poisson_ratio {nu!r}; expected ν in (-1, 0.5)")
    return modulus, nu


def _faces(faces, name: str) -> np.ndarray:
    """Cell faces as a float array: 1-D, ≥ 2 entries, finite, strictly increasing."""
    f = np.asarray(faces, dtype=float)
    if f.ndim != 1 or f.size < 2:
        raise ValueError(f"{name}: found shape {f.shape}; expected a 1-D array of >= 2 faces")
    if not np.all(np.isfinite(f)):
        raise ValueError(f"{name}: found non-finite values; expected finite positions in m")
    if not np.all(np.diff(f) > 0):
        raise ValueError(f"{name}: found non-increasing faces; expected strictly increasing")
    return f


def _graded(first: float, reach: float, growth: float) -> np.ndarray:
    """Offsets (m) of extension faces beyond a mesh edge: cells growing by ``growth`` from
    ``first`` until ``reach``, scaled so the last face lands on ``reach`` exactly."""
    sizes = [first * growth]
    while sum(sizes) < reach:
        sizes.append(sizes[-1] * growth)
    offsets = np.cumsum(sizes)
    return offsets * (reach / offsets[-1])


class _Line:
    """1-D Lagrange FE matrices on cell faces, assembled by scikit-fem.

    A_ik = ∫φ_i'φ_k', M_ik = ∫φ_iφ_k, G_ik = ∫φ_iφ_k' (sparse, n × n);
    cell_value[i, c] = ∫_c φ_i, cell_slope[i, c] = ∫_c φ_i' (dense, n × n_cells).
    """

    def __init__(self, faces: np.ndarray, order: int):
        element = skfem.ElementLineP2() if order == 2 else skfem.ElementLineP1()
        basis = skfem.Basis(skfem.MeshLine(faces), element)
        self.n = basis.N
        self.order = order
        self.locs = basis.doflocs[0]
        self.widths = np.diff(faces)
        self.stiffness = skfem.asm(_stiffness_1d, basis).tocsr()
        self.mass = skfem.asm(_mass_1d, basis).tocsr()
        self.coupling = skfem.asm(_coupling_1d, basis).tocsr()
        # MeshLine keeps the faces' order, so element c is the cell [faces[c], faces[c+1]]
        value = np.zeros((self.n, faces.size - 1))
        slope = np.zeros_like(value)
        cells = np.arange(faces.size - 1)
        for local, dofs in enumerate(basis.element_dofs):
            phi = basis.basis[local][0]
            np.add.at(value, (dofs, cells), np.sum(np.asarray(phi) * basis.dx, axis=1))
            np.add.at(slope, (dofs, cells), np.sum(phi.grad[0] * basis.dx, axis=1))
        self.cell_value = value
        self.cell_slope = slope


@skfem.BilinearForm
def _stiffness_1d(u, v, w):
    return grad(u)[0] * grad(v)[0]


@skfem.BilinearForm
def _mass_1d(u, v, w):
    return u * v


@skfem.BilinearForm
def _coupling_1d(u, v, w):
    return grad(u)[0] * v  # row: test function φ_i, column: differentiated trial φ_k


class _Problem:
    """The plane-strain stiffness as Kronecker products of 1-D matrices, applied to the
    displacement arrays U_x, U_y of shape (n_x, n_y), and its decoupled preconditioner."""

    def __init__(self, lx: _Line, ly: _Line, lam: float, mu: float):
        self.lx, self.ly, self.lam, self.mu = lx, ly, lam, mu
        self.shape = (lx.n, ly.n)

    def constrain(self, free_x: np.ndarray, free_y: np.ndarray):
        """Fix the dofs outside the masks at zero and factor the preconditioner."""
        self.free_x, self.free_y = free_x, free_y
        lx, ly, lam, mu = self.lx, self.ly, self.lam, self.mu
        # the constraints are whole rows (x) or columns (y) of the tensor grid, so each
        # block of the decoupled operator stays a Kronecker sum on the kept 1-D dofs
        rows_x = np.nonzero(free_x.any(axis=1))[0]
        cols_y = np.nonzero(free_y.any(axis=0))[0]
        self.blocks = (
            _FastDiagonal(lx, ly, np.s_[rows_x], np.s_[:], lam + 2 * mu, mu),
            _FastDiagonal(lx, ly, np.s_[:], np.s_[cols_y], mu, lam + 2 * mu),
        )
        self.keep = (np.ix_(rows_x, np.arange(ly.n)), np.ix_(np.arange(lx.n), cols_y))

    def apply(self, vector: np.ndarray) -> np.ndarray:
        n = vector.size // 2
        ux = vector[:n].reshape(self.shape) * self.free_x
        uy = vector[n:].reshape(self.shape) * self.free_y
        lx, ly, lam, mu = self.lx, self.ly, self.lam, self.mu
        ax, mx, gx = lx.stiffness, lx.mass, lx.coupling
        ay, my, gy = ly.stiffness, ly.mass, ly.coupling
        # (x, x): (λ+2μ)∂x ux ∂x vx + μ ∂y ux ∂y vx; (x, y): λ ∂y uy ∂x vx + μ ∂x uy ∂y vx
        rx = (
            (lam + 2 * mu) * (ax @ (my @ ux.T).T)
            + mu * (mx @ (ay @ ux.T).T)
            + lam * (gx.T @ (gy @ uy.T).T)
            + mu * (gx @ (gy.T @ uy.T).T)
        )
        ry = (
            mu * (ax @ (my @ uy.T).T)
            + (lam + 2 * mu) * (mx @ (ay @ uy.T).T)
            + lam * (gx @ (gy.T @ ux.T).T)
            + mu * (gx.T @ (gy @ ux.T).T)
        )
        return np.concatenate([(rx * self.free_x).ravel(), (ry * self.free_y).ravel()])

    def precondition(self, vector: np.ndarray) -> np.ndarray:
        n = vector.size // 2
        out = np.zeros(2 * n)
        for k, (block, keep) in enumerate(zip(self.blocks, self.keep)):
            r = vector[k * n : (k + 1) * n].reshape(self.shape)
            z = np.zeros(self.shape)
            z[keep] = block.solve(r[keep])
            out[k * n : (k + 1) * n] = z.ravel()
        return out


class _FastDiagonal:
    """Exact inverse of a·A_x ⊗ M_y + b·M_x ⊗ A_y on the kept 1-D dofs: with
    A V = M V Λ, VᵀMV = I in each direction, the operator is diagonal, a·Λx_i + b·Λy_j."""

    def __init__(self, lx: _Line, ly: _Line, keep_x, keep_y, a: float, b: float):
        vals_x, self.vx = _eigen(lx, keep_x)
        vals_y, self.vy = _eigen(ly, keep_y)
        denominator = a * vals_x[:, None] + b * vals_y[None, :]
        if not np.all(denominator > 0):
            raise SolverError("plane-strain stress: the constrained operator is singular")
        self.inverse = 1.0 / denominator

    def solve(self, r: np.ndarray) -> np.ndarray:
        return self.vx @ ((self.vx.T @ r @ self.vy) * self.inverse) @ self.vy.T


def _eigen(line: _Line, keep):
    """Eigenpairs of the 1-D stiffness against the lumped (row-sum) mass on the kept dofs:
    A V = M_L V Λ, VᵀM_L V = I. The lumped mass is spectrally equivalent to the consistent
    one (within a factor 3 for P1, 5 for P2), which only costs a few CG iterations, and
    turns the problem into a standard symmetric one (tridiagonal for P1)."""
    a = line.stiffness[keep][:, keep]
    scale = 1.0 / np.sqrt(np.asarray(line.mass.sum(axis=1)).ravel()[keep])
    b = sparse.diags(scale) @ a @ sparse.diags(scale)
    if line.order == 1:
        # P1 dofs are the faces in order: the scaled stiffness is tridiagonal
        vals, vecs = scipy.linalg.eigh_tridiagonal(b.diagonal(), b.diagonal(1))
    else:
        vals, vecs = scipy.linalg.eigh(b.toarray())
    return np.maximum(vals, 0.0), scale[:, None] * vecs
