"""Guided modes of a channel waveguide written into a glass surface: 2D finite differences.

Cross-section: x = depth (x = 0 the glass surface, x > 0 the glass, the cover of index n_c
for x < 0), y = lateral; propagation along z, k0 = 2π/λ, N = β/k0. Three wave equations:

    scalar:   ∂²E/∂x² + ∂²E/∂y² + k0² n² E = β² E
    quasi-TE: ∂²E_y/∂x² + ∂/∂y[(1/n²) ∂(n² E_y)/∂y] + k0² n² E_y = β² E_y   (E ∥ surface)
    quasi-TM: ∂/∂x[(1/n²) ∂(n² E_x)/∂x] + ∂²E_x/∂y² + k0² n² E_x = β² E_x   (E ∥ depth)

The semi-vectorial forms keep the interface conditions of the dominant component: across an
interface normal to it, n²E (the normal D) and (1/n²)∂(n²E)/∂(normal) are continuous.

Discretisation (finite volumes on the nodes of a tensor-product, possibly graded mesh): each
node i owns the cell between the midpoints to its neighbours (width w_i). The flux through the
face between nodes L and R (spacing h) is (u_R − u_L)/h with u = E for a tangential direction
and, for the direction normal to the dominant field, a·(n_R²E_R − n_L²E_L)/h with the harmonic
face coefficient a = 2/(n_L² + n_R²) of 1/n² — the three-point semi-vectorial formula of
M. S. Stern, "Semivectorial polarised finite difference method for optical waveguides with
arbitrary index profiles", IEE Proc. J 135 (1988) 56–63, on a non-uniform mesh. The scalar
matrix is symmetric after scaling by the cell areas (scipy eigsh); the semi-vectorial ones are
not (scipy eigs). Both use shift-invert (one sparse LU) about a shift above the largest N²
(placed from a solve on the every-other-node mesh), so the returned modes are the m of
largest N.

Order: second in the mesh spacing for smooth index maps, for steps halfway between nodes (on
a cell face), and — for the scalar and quasi-TE fields, and for steps parallel to the quasi-TM
field — for steps on a node whose n² is the average over its cell (the surface node, when
depth[0] = 0, is averaged with the cover automatically). A step normal to the quasi-TM field
on a node (the surface with depth[0] = 0) is only about first order (measured on a step slab);
for accurate quasi-TM results give depth[0] > 0: the rows are then cell centres and the
surface is a face. A step anywhere else also costs an order.

Accuracy: ``extrapolate=True`` also solves on the mesh of every other node (spacing 2h) and
returns N = (4 N_h − N_2h)/3 (Richardson), which removes the h² term of the error. The coarse
mesh reuses the same index samples, so it solves the same profile; steps must then lie on
even-numbered nodes of the given mesh (node 0, the surface, always does).

Computational window: the solver adds the cover above the surface, by default 14 cover decay
lengths ℓ = 1/(k0 √(n_s² − n_c²)) (n_s the substrate index), with spacing growing smoothly
from the first glass spacing h as h·exp(s/2ℓ), s = j·h (a fixed stretching, so the cover is
refined with the glass mesh), and puts the zero-field (Dirichlet) boundary one spacing beyond
the outermost node on every side. After solving it measures each guided mode's field on the
outermost ring of nodes; a side where it exceeds ``boundary_tolerance`` of the peak is
extended (graded, continuing the edge index) by ln(10·ratio/tol) decay lengths (by half the
window where the edge itself still guides) and the problem is solved again (``pad=True``, up
to three times); what remains is reported by a RuntimeWarning. A Dirichlet wall where the
field is f of its peak shifts N by ~f², so the default tolerance 1e-5 keeps that error far
below 1e-6.

Units: coordinates and wavelength in m, indices dimensionless; fields in 1/m, normalised so
that Σ w_x w_y E² = 1 over the mesh (∫∫E² dx dy = 1).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..physics.optics import vacuum_wavenumber

__all__ = ["Mode2D", "ModeSet2D", "solve_modes_2d", "POLARISATIONS_2D", "ORDER_2D"]

POLARISATIONS_2D = ("scalar", "TE", "TM")
ORDER_2D = 2  # of N in the mesh spacing; Richardson (extrapolate=True) removes the h² term
_COVER_DECAY_LENGTHS = 14.0  # cover field at the wall ~e^-14 ≈ 1e-6 of its surface value
_GRADING = 1.2  # growth of the spacing in the padding (where the field is below tolerance)
_COVER_STRETCH = 0.5  # cover spacing grows as h·exp(0.5·s/ℓ): ~8h at 14 decay lengths
_PAD_ROUNDS = 3
_EIG_TOL = 1e-12  # relative accuracy of the Ritz values: far below the discretisation error


@dataclass(frozen=True, eq=False)
class Mode2D:
    """One mode of the channel.

    Attributes:
        polarisation: "scalar", "TE" (quasi-TE, dominant E_y) or "TM" (quasi-TM, dominant E_x).
        order: 0, 1, … by descending N within the polarisation.
        effective_index: N = β/k0 (dimensionless; extrapolated when the set says so).
        guided: N above the background index max(n_c, n_s): not cut off.
        depth: x in m of the mesh rows (cover and padding included; x < 0 is the cover).
        lateral: y in m of the mesh columns (padding included).
        field: the dominant field on the mesh, shape (depth.size, lateral.size), in 1/m,
            Σ w_x w_y field² = 1, sign chosen so that its largest-magnitude value is positive.
        boundary_fraction: max |field| on the outermost ring of nodes over max |field|.
    """

    polarisation: str
    order: int
    effective_index: float
    guided: bool
    depth: np.ndarray = dataclasses.field(repr=False)
    lateral: np.ndarray = dataclasses.field(repr=False)
    field: np.ndarray = dataclasses.field(repr=False)
    boundary_fraction: float = 0.0


@dataclass
class ModeSet2D:
    """The modes of one channel at one wavelength.

    Attributes:
        wavelength: λ in m.  background_index: max(n_c, n_s) of the cover and the
        unexchanged glass (dimensionless); a mode is guided above it.
        extrapolated: whether the effective indices are Richardson-extrapolated.
        modes: all computed modes, each polarisation by descending N.
    """

    wavelength: float
    background_index: float
    extrapolated: bool
    modes: list[Mode2D] = dataclasses.field(default_factory=list)

    def of(self, polarisation: str, *, guided_only: bool = False) -> list[Mode2D]:
        """The modes of one polarisation by order (only the guided ones if asked)."""
        return sorted(
            (
                m
                for m in self.modes
                if m.polarisation == polarisation and (m.guided or not guided_only)
            ),
            key=lambda m: m.order,
        )

    def effective_indices(self, polarisation: str, *, guided_only: bool = False) -> np.ndarray:
        """N_0 ≥ N_1 ≥ … of one polarisation (dimensionless)."""
        return np.array(
            [m.effective_index for m in self.of(polarisation, guided_only=guided_only)], dtype=float
        )


# --------------------------------------------------------------------------- public API


def solve_modes_2d(
    depth,
    lateral,
    index,
    wavelength: float,
    *,
    polarisations=("scalar",),
    modes: int = 4,
    cover_index=1.0,
    substrate_index: float | None = None,
    extrapolate: bool = False,
    cover_thickness: float | None = None,
    pad: bool = True,
    boundary_tolerance: float = 1e-5,
) -> ModeSet2D:
    """The ``modes`` modes of largest N of a channel n(x, y) under a cover (module docstring).

        ∇_t²E + k0² n² E = β² E (scalar; semi-vectorial forms in the module docstring), N = β/k0

    Args:
        depth: x in m of the mesh rows in the glass: depth[0] ≥ 0, strictly increasing, at
            least 3 values. depth[0] = 0 puts a node on the surface (its n² is averaged with
            the cover); depth[0] > 0 treats the rows as cell centres, the surface halfway
            between depth[0] and a mirrored cover node at −depth[0].
        lateral: y in m of the mesh columns, strictly increasing, at least 3 values.
        index: n(depth[i], lateral[j]) in the glass, shape (depth.size, lateral.size),
            finite and positive; or a mapping from polarisation to such an array (e.g.
            {"TE": n_TE, "TM": n_TM} for a stress-birefringent glass; "scalar" falls back
            to "TE").
        wavelength: vacuum wavelength λ in m (> 0).
        polarisations: any of "scalar", "TE" (quasi-TE), "TM" (quasi-TM).
        modes: how many modes per polarisation (≥ 1).
        cover_index: n_c of the cover x < 0 (dimensionless), a number or one value per
            lateral node.
        substrate_index: n_s of the unexchanged glass (dimensionless); default the largest
            index on the deepest row. A mode is guided when N > max(n_c, n_s).
        extrapolate: Richardson-extrapolate N over the mesh and its every-other-node mesh.
        cover_thickness: cover added above the surface in m; default 14 decay lengths.
        pad: extend the window where a guided mode's field reaches the boundary.
        boundary_tolerance: largest acceptable boundary_fraction of a guided mode.

    Returns a ModeSet2D. Raises ValueError for malformed input, when the index never exceeds
    the background (nothing can be guided), and when none of the computed modes is guided.
    """
    x, y = _checked_axis(depth, "depth", first_nonnegative=True), _checked_axis(lateral, "lateral")
    k0 = vacuum_wavenumber(wavelength)
    pols = _checked_polarisations(polarisations)
    if isinstance(modes, bool) or not isinstance(modes, (int, np.integer)) or modes < 1:
        raise ValueError(f"modes must be a positive integer, got {modes!r}")
    maps = _checked_index_maps(index, pols, x.size, y.size)
    n_c = _checked_cover(cover_index, y.size)
    if not (math.isfinite(boundary_tolerance) and 0 < boundary_tolerance < 1):
        raise ValueError(f"boundary_tolerance must lie in (0, 1), got {boundary_tolerance!r}")
    if cover_thickness is not None and not (math.isfinite(cover_thickness) and cover_thickness > 0):
        raise ValueError(f"cover_thickness must be a positive length in m, got {cover_thickness!r}")
    if substrate_index is None:
        n_s = max(float(n[-1].max()) for n in maps.values())
    else:
        n_s = float(substrate_index)
        if not (math.isfinite(n_s) and n_s > 0):
            raise ValueError(f"substrate_index must be a positive number, got {substrate_index!r}")
    background = max(float(n_c.max()), n_s)
    for pol, n in maps.items():
        if float(n.max()) <= background:
            raise ValueError(
                f"the {pol} index map never exceeds the background index {background:.6g} "
                f"max(n_c, n_s) (max n = {n.max():.6g}): no mode can be guided"
            )
    result = ModeSet2D(float(wavelength), background, bool(extrapolate))
    for pol in pols:
        result.modes.extend(
            _solve_polarisation(
                x,
                y,
                maps[pol],
                n_c,
                k0,
                pol,
                modes,
                background,
                extrapolate,
                cover_thickness,
                pad,
                boundary_tolerance,
            )  # fmt: skip
        )
    if not any(m.guided for m in result.modes):
        best = max(m.effective_index for m in result.modes)
        raise ValueError(
            f"no guided mode: the highest effective index {best:.8g} does not exceed the "
            f"background index {background:.8g} (the channel is below cut-off at "
            f"λ = {wavelength * 1e9:.6g} nm)"
        )
    return result


# --------------------------------------------------------------------------- input checks


def _checked_axis(values, name: str, first_nonnegative: bool = False) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    if a.ndim != 1 or a.size < 3:
        raise ValueError(
            f"{name} must be a 1-D array of at least 3 coordinates, got shape {a.shape}"
        )
    if not np.all(np.isfinite(a)):
        raise ValueError(
            f"{name} has a non-finite value at position {int(np.argmin(np.isfinite(a)))}"
        )
    steps = np.diff(a)
    if np.any(steps <= 0):
        i = int(np.argmax(steps <= 0))
        raise ValueError(
            f"{name} must be strictly increasing: {name}[{i + 1}] = {a[i + 1]!r} m does not "
            f"exceed {name}[{i}] = {a[i]!r} m"
        )
    if first_nonnegative and a[0] < 0:
        raise ValueError(
            f"{name}[0] must be ≥ 0 (the glass lies at x ≥ 0; the solver adds the cover), got {a[0]!r} m"
        )
    return a


def _checked_polarisations(polarisations) -> tuple[str, ...]:
    pols = (polarisations,) if isinstance(polarisations, str) else tuple(polarisations)
    if not pols:
        raise ValueError("polarisations is empty; expected some of 'scalar', 'TE', 'TM'")
    for p in pols:
        if p not in POLARISATIONS_2D:
            raise ValueError(f"polarisation must be one of 'scalar', 'TE', 'TM', got {p!r}")
    return tuple(dict.fromkeys(pols))


def _checked_index_maps(index, pols, nx: int, ny: int) -> dict[str, np.ndarray]:
    if isinstance(index, Mapping):
        source = dict(index)
        if "scalar" not in source and "TE" in source:
            source["scalar"] = source["TE"]
    else:
        source = {p: index for p in pols}
    maps = {}
    for p in pols:
        if p not in source:
            raise ValueError(f"index has no map for polarisation {p!r} (keys: {sorted(source)})")
        n = np.asarray(source[p], dtype=float)
        if n.shape != (nx, ny):
            raise ValueError(
                f"index map for {p} has shape {n.shape}, expected (depth.size, lateral.size) = {(nx, ny)}"
            )
        if not np.all(np.isfinite(n)) or np.any(n <= 0):
            raise ValueError(f"index map for {p} must be finite and positive")
        maps[p] = n
    return maps


def _checked_cover(cover_index, ny: int) -> np.ndarray:
    n_c = np.asarray(cover_index, dtype=float)
    if n_c.ndim == 0:
        n_c = np.full(ny, float(n_c))
    if n_c.shape != (ny,):
        raise ValueError(
            f"cover_index must be a number or one value per lateral node ({ny}), got shape {n_c.shape}"
        )
    if not np.all(np.isfinite(n_c)) or np.any(n_c <= 0):
        raise ValueError(f"cover_index must be finite and positive, got {cover_index!r}")
    return n_c


# --------------------------------------------------------------------------- mesh


def _graded_offsets(
    first_step: float, length: float, max_step: float, parity: int, growth: float = _GRADING
) -> np.ndarray:
    """Distances > 0 of added nodes from an edge: steps growing by ``growth`` from first_step
    (capped at max_step) until ``length`` is covered; the count has the given parity."""
    offsets, step, total = [], first_step, 0.0
    while total < length or len(offsets) % 2 != parity:
        step = min(step * growth, max(max_step, first_step))
        total += step
        offsets.append(total)
    return np.array(offsets)


@dataclass
class _Window:
    """The computational mesh: coordinates, n² on every node, the surface row (or None)."""

    x: np.ndarray
    y: np.ndarray
    n2: np.ndarray
    surface: int | None

    def extended(self, side: str, length: float, max_step: float, parity: int = 0) -> _Window:
        """The window with ``length`` of graded nodes added on one side (edge index kept); an
        even count (the default) keeps the node parities the 2h mesh relies on."""
        x, y, n2 = self.x, self.y, self.n2
        if side in ("top", "bottom"):
            a = x
        else:
            a = y
        if side in ("top", "left"):
            d = _graded_offsets(a[1] - a[0], length, max_step, parity)
            new = np.concatenate((a[0] - d[::-1], a))
            shift = d.size
        else:
            d = _graded_offsets(a[-1] - a[-2], length, max_step, parity)
            new = np.concatenate((a, a[-1] + d))
            shift = 0
        if side in ("top", "bottom"):
            rows = np.repeat(n2[:1] if side == "top" else n2[-1:], d.size, axis=0)
            n2 = np.vstack((rows, n2) if side == "top" else (n2, rows))
            surface = None if self.surface is None else self.surface + shift
            return _Window(new, y, n2, surface)
        cols = np.repeat(n2[:, :1] if side == "left" else n2[:, -1:], d.size, axis=1)
        n2 = np.hstack((cols, n2) if side == "left" else (n2, cols))
        return _Window(x, new, n2, self.surface)

    def coarse(self) -> _Window:
        """Every other node (the 2h mesh), the same index samples."""
        surface = None if self.surface is None else self.surface // 2
        return _Window(self.x[::2], self.y[::2], self.n2[::2, ::2], surface)


def _initial_window(x, y, n, n_c, k0, background, cover_thickness) -> _Window:
    """Glass mesh plus the cover above it, with odd node counts and the surface on an even row."""
    nc2 = n_c**2
    if cover_thickness is None:
        gap = background**2 - float(nc2.max())
        # a cover index at or above the glass background gives no decay rate a priori: start
        # with the glass depth and let the boundary check extend it
        cover_thickness = _COVER_DECAY_LENGTHS / (k0 * math.sqrt(gap)) if gap > 0 else x[-1] - x[0]
    first = x[1] - x[0]
    # Cover spacing h·exp(c·s/ℓ) at node parameter s = j·h (ℓ = thickness/14, one decay
    # length): a fixed stretching of a uniform mesh, so refining the glass mesh refines the
    # cover with it and the error keeps its h² form. A fixed growth ratio per step would not
    # (measured: the order drops to ~1.3 on a step slab).
    growth = math.exp(_COVER_STRETCH * first * _COVER_DECAY_LENGTHS / cover_thickness)
    max_step = np.inf
    # d: depths above the surface of the cover nodes, an even count so that glass row 0 is even
    if x[0] == 0.0:
        d = _graded_offsets(first, cover_thickness, max_step, 0, growth)
    else:  # cell centres: a mirrored node at −x0 puts the surface on the face between them
        d = np.concatenate(
            ([x[0]], x[0] + _graded_offsets(first, cover_thickness, max_step, 1, growth))
        )
    xs = np.concatenate((-d[::-1], x))
    n2 = np.vstack((np.repeat(nc2[None, :], d.size, axis=0), n**2))
    w = _Window(xs, y, n2, d.size if x[0] == 0.0 else None)
    if w.x.size % 2 == 0:
        w = w.extended("bottom", 0.0, np.inf, parity=1)
    if w.y.size % 2 == 0:
        w = w.extended("right", 0.0, np.inf, parity=1)
    return w


def _ghost_spacings(a: np.ndarray) -> np.ndarray:
    """Face spacings including the two Dirichlet faces, one edge spacing beyond each end."""
    h = np.diff(a)
    return np.concatenate(([h[0]], h, [h[-1]]))


# --------------------------------------------------------------------------- assembly


def _operator(w: _Window, pol: str):
    """(−K + W n², W): the discrete wave operator times the cell areas, in ξ = k0·x units
    already applied to the coordinates; eigenvalues of W⁻¹(−K + W n²) are N²."""
    x, y = w.x, w.y
    nx, ny = x.size, y.size
    n2 = w.n2.copy()
    if w.surface is not None:
        s = w.surface
        hc, hg = x[s] - x[s - 1], x[s + 1] - x[s]
        n2[s] = (hc * w.n2[s - 1] + hg * w.n2[s]) / (hc + hg)
    hx, hy = _ghost_spacings(x), _ghost_spacings(y)
    wx, wy = 0.5 * (hx[:-1] + hx[1:]), 0.5 * (hy[:-1] + hy[1:])
    area = np.outer(wx, wy).ravel()
    flat = n2.ravel()
    idx = np.arange(nx * ny).reshape(nx, ny)
    rows, cols, vals = [], [], []
    diag = np.zeros(nx * ny)

    def faces(left, right, geom, normal):
        # interior faces: flux g·a·(ρ_R E_R − ρ_L E_L) with ρ = n² (normal) or 1
        L, R = left.ravel(), right.ravel()
        g = geom.ravel()
        if normal:
            a = 2.0 / (flat[L] + flat[R])
            rl, rr = flat[L], flat[R]
        else:
            a = np.ones_like(g)
            rl = rr = np.ones_like(g)
        c = g * a
        # −K row L gains +flux, row R gains −flux
        rows.extend((L, L, R, R))
        cols.extend((R, L, R, L))
        vals.extend((c * rr, -c * rl, -c * rr, c * rl))

    def walls(nodes, geom):
        # Dirichlet face: the ghost value is 0; ρ cancels against a = 1/n² of the wall face
        diag[nodes.ravel()] -= geom.ravel()

    gx = np.outer(1.0 / hx[1:-1], wy)  # x faces between rows i, i+1
    faces(idx[:-1], idx[1:], gx, pol == "TM")
    walls(idx[0], wy / hx[0])
    walls(idx[-1], wy / hx[-1])
    gy = np.outer(wx, 1.0 / hy[1:-1])
    faces(idx[:, :-1], idx[:, 1:], gy, pol == "TE")
    walls(idx[:, 0], wx / hy[0])
    walls(idx[:, -1], wx / hy[-1])
    rows.append(np.arange(nx * ny))
    cols.append(np.arange(nx * ny))
    vals.append(diag + area * flat)
    A = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(nx * ny,) * 2
    )
    return A, area, float(flat.max())


def _eigen(w: _Window, pol: str, count: int, guess: np.ndarray | None = None):
    """(N descending, fields (count, nx, ny) with Σ area·E² = 1) on one window (ξ units).

    The shift lies just above max n² (every N² lies below it: the largest are the nearest) or,
    given an estimate ``guess`` of the N wanted (from a coarser or smaller window), above its
    largest by half their spread: the wanted eigenvalues of the shifted inverse are then well
    separated from the rest and ARPACK needs several times fewer iterations.
    """
    A, area, n2max = _operator(w, pol)
    count = min(count, A.shape[0] - 2)
    sigma = n2max * (1.0 + 1e-7)
    if guess is not None and guess.size:
        top, low = float(guess[0]) ** 2, float(guess[-1]) ** 2
        sigma = min(sigma, top + max(0.5 * (top - low), 1e-4 * top))
    size = A.shape[0]
    ncv = min(size - 1, max(2 * count + 1, 20))
    if pol == "scalar":
        s = 1.0 / np.sqrt(area)
        C = (sp.diags(s) @ A @ sp.diags(s)).tocsc()
    else:
        C = (sp.diags(1.0 / area) @ A).tocsc()
    # one sparse LU of (C − σ) serves every shift-invert iteration
    lu = spla.splu(C - sigma * sp.identity(size, format="csc"))
    op = spla.LinearOperator(C.shape, matvec=lu.solve, dtype=float)
    # a fixed start vector: the same input gives the same modes, bit for bit
    v0 = np.random.default_rng(0).standard_normal(size)
    if pol == "scalar":
        vals, vecs = spla.eigsh(C, k=count, sigma=sigma, OPinv=op, ncv=ncv, tol=_EIG_TOL, v0=v0)
        vecs = vecs * s[:, None]
    else:
        vals, vecs = spla.eigs(C, k=count, sigma=sigma, OPinv=op, ncv=ncv, tol=_EIG_TOL, v0=v0)
        vals, vecs = vals.real, vecs.real
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    fields = []
    for v in vecs.T:
        v = v / math.sqrt(float(np.sum(area * v * v)))
        if v[np.argmax(np.abs(v))] < 0:
            v = -v
        fields.append(v.reshape(w.x.size, w.y.size))
    return np.sqrt(np.maximum(vals, 0.0)), fields


def _side_fractions(field: np.ndarray) -> dict[str, float]:
    peak = float(np.abs(field).max())
    return {
        "top": float(np.abs(field[0]).max()) / peak,
        "bottom": float(np.abs(field[-1]).max()) / peak,
        "left": float(np.abs(field[:, 0]).max()) / peak,
        "right": float(np.abs(field[:, -1]).max()) / peak,
    }


def _edge_index(w: _Window, side: str) -> float:
    edge = {"top": w.n2[0], "bottom": w.n2[-1], "left": w.n2[:, 0], "right": w.n2[:, -1]}[side]
    return math.sqrt(float(edge.max()))


def _solve_polarisation(
    x, y, n, n_c, k0, pol, count, background, extrapolate, cover_thickness, pad, tol
) -> list[Mode2D]:
    # all work in ξ = k0·x: the eigenvalues are then N² directly, and well scaled
    w = _initial_window(k0 * x, k0 * y, n, n_c, 1.0, background, _scaled(cover_thickness, k0))
    guess, _ = _eigen(w.coarse(), pol, count)  # 4× cheaper; places the shift for the rest
    N_coarse = guess
    for _ in range(_PAD_ROUNDS + 1):
        N, fields = _eigen(w, pol, count, guess)
        guess = N
        grow: dict[str, float] = {}
        for Nm, f in zip(N, fields):
            if Nm <= background:
                continue
            for side, frac in _side_fractions(f).items():
                if frac <= tol:
                    continue
                gap = Nm * Nm - _edge_index(w, side) ** 2
                if gap > 0:
                    length = math.log(10.0 * frac / tol) / math.sqrt(gap)
                else:  # the edge still guides (e.g. a planar layer): no decay rate to go by
                    length = 0.5 * (
                        w.x[-1] - w.x[0] if side in ("top", "bottom") else w.y[-1] - w.y[0]
                    )
                grow[side] = max(grow.get(side, 0.0), length)
        if not grow or not pad:
            break
        for side, length in grow.items():
            w = w.extended(side, length, length / 8)
        N_coarse = None
    fractions = [max(_side_fractions(f).values()) for f in fields]
    for Nm, frac in zip(N, fractions):
        if Nm > background and frac > tol:
            warnings.warn(
                f"{pol} mode with N = {Nm:.8g} still has {frac:.2g} of its peak field on the "
                f"boundary of the window (tolerance {tol:g}); its N may be affected by the wall",
                RuntimeWarning,
                stacklevel=3,
            )
            break
    if extrapolate:
        if N_coarse is None:  # the window grew: the coarse solve must see the same window
            N_coarse, _ = _eigen(w.coarse(), pol, count, N)
        m = min(N.size, N_coarse.size)
        N = (4.0 * N[:m] - N_coarse[:m]) / 3.0
        fields = fields[:m]
    return [
        Mode2D(
            polarisation=pol,
            order=i,
            effective_index=float(N[i]),
            guided=bool(N[i] > background),
            depth=w.x / k0,
            lateral=w.y / k0,
            field=fields[i] * k0,
            boundary_fraction=float(fractions[i]),
        )
        for i in range(N.size)
    ]


def _scaled(length: float | None, k0: float) -> float | None:
    return None if length is None else length * k0
