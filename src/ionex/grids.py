"""Finite-volume meshes graded toward the exchanged face at depth 0: one-dimensional
(depth) and two-dimensional tensor meshes (depth × lateral) for exchange through a mask."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Grid", "Grid2D", "graded_cell_count", "graded_grid", "mask_grid", "uniform_grid"]


@dataclass(frozen=True, eq=False)
class Grid:
    """Cell-centred 1-D mesh on [0, faces[-1]] (depth in m).

    Attributes:
        faces: cell-face depths, strictly increasing, faces[0] = 0 (m).
    Derived: centres (m), volumes (cell widths, m), spacing (distance between the
    neighbouring centres across each face, with the boundary faces measured to the
    boundary itself; length n_cells + 1, m).
    """

    faces: np.ndarray

    def __post_init__(self):
        f = np.array(
            self.faces, dtype=float
        )  # a private copy: freezing it must not touch the caller
        if f.ndim != 1 or f.size < 3 or f[0] != 0.0 or np.any(np.diff(f) <= 0):
            raise ValueError(
                "grid faces must start at 0 and increase strictly (at least two cells)"
            )
        f.setflags(write=False)
        object.__setattr__(self, "faces", f)
        centres = 0.5 * (f[1:] + f[:-1])
        spacing = np.empty(f.size)
        spacing[0] = centres[0]
        spacing[1:-1] = np.diff(centres)
        spacing[-1] = f[-1] - centres[-1]
        for a in (centres, spacing):
            a.setflags(write=False)
        vol = np.diff(f)
        vol.setflags(write=False)
        object.__setattr__(self, "centres", centres)
        object.__setattr__(self, "spacing", spacing)
        object.__setattr__(self, "volumes", vol)

    @property
    def n_cells(self) -> int:
        return self.faces.size - 1

    @property
    def length(self) -> float:
        return float(self.faces[-1])


def uniform_grid(length: float, n_cells: int) -> Grid:
    """n_cells equal cells on [0, length] (m)."""
    return Grid(np.linspace(0.0, length, n_cells + 1))


def graded_cell_count(
    length: float,
    diffusion_length: float,
    cells_per_efold: float = 43.0,
    surface_scale: float = 0.12,
) -> int:
    """The number of cells graded_grid makes for these arguments (same units), found
    without building the mesh, so that callers can refuse a mesh too large to allocate."""
    values = (length, diffusion_length, cells_per_efold, surface_scale)
    if not all(math.isfinite(v) and v > 0 for v in values):
        raise ValueError(
            "graded_grid needs finite length, diffusion_length, cells_per_efold, surface_scale > 0, got "
            + ", ".join(f"{v:g}" for v in values)
        )
    a = math.log1p(length / (surface_scale * diffusion_length))
    return max(int(math.ceil(cells_per_efold * a)), 8)


def graded_grid(
    length: float,
    diffusion_length: float,
    cells_per_efold: float = 43.0,
    surface_scale: float = 0.12,
) -> Grid:
    """Smoothly graded mesh on [0, length], finest at the exchanged face (depth 0).

    Faces x_k = length·(e^{a k/N} − 1)/(e^a − 1), k = 0…N: the cell width grows linearly
    with depth, h(x) ≈ (x + x₀)/q, so the relative resolution is the same at every depth
    beyond x₀ = surface_scale·L_D, and neighbouring cells differ by the factor e^{a/N},
    which tends to 1 under refinement (second-order accuracy of the cell-centred scheme).
    a = ln(1 + length/x₀) and N = ⌈q·a⌉.

    Args:
        length: domain depth (m).
        diffusion_length: L_D = √(∫ D_max dt) of the process (m).
        cells_per_efold: q, cells per e-fold of depth (resolution; default ≈ 200 cells
            for a 12·L_D slab).
        surface_scale: x₀/L_D, the depth below which the mesh stops refining.
    """
    n = graded_cell_count(length, diffusion_length, cells_per_efold, surface_scale)
    a = math.log1p(length / (surface_scale * diffusion_length))
    xi = np.linspace(0.0, 1.0, n + 1)
    faces = length * np.expm1(a * xi) / math.expm1(a)
    faces[-1] = length
    return Grid(faces)


@dataclass(frozen=True, eq=False)
class Grid2D:
    """Cell-centred tensor mesh of a channel-waveguide cross-section: depth x ∈ [0, X]
    (x = 0 the glass surface) times lateral position y ∈ [−Y, Y] (the mask opening centred
    at y = 0). Cell (i, j) spans depth cell i and lateral cell j.

    Attributes:
        depth: the depth mesh (a Grid, m).
        lateral_faces: lateral cell faces, strictly increasing from −Y to Y (m).
    Derived: lateral_centres (m), lateral_volumes (cell widths, m), lateral_spacing
    (distance between neighbouring centres across each face, the two end faces measured
    to the boundary; length n_lateral + 1, m), areas (cell areas, shape (n_depth,
    n_lateral), m²).
    """

    depth: Grid
    lateral_faces: np.ndarray

    def __post_init__(self):
        if not isinstance(self.depth, Grid):
            raise ValueError(f"depth must be a Grid, got {type(self.depth).__name__}")
        f = np.array(self.lateral_faces, dtype=float)
        if f.ndim != 1 or f.size < 3 or not np.all(np.isfinite(f)) or np.any(np.diff(f) <= 0):
            raise ValueError(
                "lateral_faces must be finite and increase strictly (at least two cells), "
                f"got {f.size} values"
            )
        f.setflags(write=False)
        object.__setattr__(self, "lateral_faces", f)
        centres = 0.5 * (f[1:] + f[:-1])
        spacing = np.empty(f.size)
        spacing[0] = centres[0] - f[0]
        spacing[1:-1] = np.diff(centres)
        spacing[-1] = f[-1] - centres[-1]
        vol = np.diff(f)
        areas = np.outer(self.depth.volumes, vol)
        for a in (centres, spacing, vol, areas):
            a.setflags(write=False)
        object.__setattr__(self, "lateral_centres", centres)
        object.__setattr__(self, "lateral_spacing", spacing)
        object.__setattr__(self, "lateral_volumes", vol)
        object.__setattr__(self, "areas", areas)

    @property
    def n_depth(self) -> int:
        return self.depth.n_cells

    @property
    def n_lateral(self) -> int:
        return self.lateral_faces.size - 1

    @property
    def shape(self) -> tuple[int, int]:
        """(n_depth, n_lateral), the shape of a state on this mesh."""
        return (self.n_depth, self.n_lateral)


def _graded_faces(length: float, n_cells: int, fine: float) -> np.ndarray:
    """n_cells + 1 faces on [0, length], finest at 0 where cells are about ``fine`` wide
    and growing linearly with distance (the profile of graded_grid with a given count)."""
    a = math.log1p(length / fine)
    xi = np.linspace(0.0, 1.0, n_cells + 1)
    faces = length * np.expm1(a * xi) / math.expm1(a)
    faces[-1] = length
    return faces


def mask_grid(
    opening: float,
    depth: float,
    half_width: float,
    n_depth: int,
    n_lateral: int,
    diffusion_length: float | None = None,
    surface_scale: float = 0.12,
) -> Grid2D:
    """Tensor mesh for exchange through a mask opening of width w on [0, X] × [−Y, Y],
    graded toward the surface x = 0 and toward the mask edges y = ±w/2.

    Depth faces follow graded_grid with a given count: x_k = X·(e^{a k/N} − 1)/(e^a − 1),
    a = ln(1 + X/x₀), x₀ = surface_scale·L_D. Laterally, each side of each edge is graded the
    same way toward the edge (cells ≈ x₀ wide there, growing linearly away from it), the
    cells shared between the segments in proportion to their a, so the spacing is
    continuous across the edge. The faces on y < 0 are the exact negatives of those on
    y > 0 and y = 0 is a face: a state symmetric about the opening's axis stays so to
    round-off.

    At the mask edge the surface condition switches from a fixed fraction to no flux, and
    the profile has a r^½ singularity there: with surface_scale fixed, refining n alone
    gives first-order convergence of the uptake; shrinking surface_scale as n⁻² with it
    restores second order.

    Args:
        opening: w, the width of the mask opening (m, 0 < w < 2Y).
        depth: X, the depth of the domain (m).
        half_width: Y, half the lateral extent of the domain (m).
        n_depth: cells in depth (≥ 2).
        n_lateral: cells laterally (even, ≥ 4).
        diffusion_length: L_D = √(∫ D_max dt) of the process (m); default X/12 (the depth
            graded_grid would give a 12·L_D slab).
        surface_scale: x₀/L_D, the cell size the mesh refines to at the surface and the edges.
    """
    for name, value in (("opening", opening), ("depth", depth), ("half_width", half_width)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ValueError(f"{name}: found {value!r} m; expected a finite length > 0")
    if not opening < 2.0 * half_width:
        raise ValueError(
            f"opening: found {opening:g} m; expected less than the lateral extent "
            f"2·half_width = {2 * half_width:g} m"
        )
    if int(n_depth) != n_depth or n_depth < 2:
        raise ValueError(f"n_depth: found {n_depth!r}; expected an integer ≥ 2")
    if int(n_lateral) != n_lateral or n_lateral < 4 or n_lateral % 2:
        raise ValueError(f"n_lateral: found {n_lateral!r}; expected an even integer ≥ 4")
    l_d = depth / 12.0 if diffusion_length is None else diffusion_length
    if not (math.isfinite(l_d) and l_d > 0 and math.isfinite(surface_scale) and surface_scale > 0):
        raise ValueError(
            f"diffusion_length and surface_scale: found {l_d!r} m, {surface_scale!r}; "
            "expected finite values > 0"
        )
    fine = surface_scale * l_d
    depth_grid = Grid(_graded_faces(depth, int(n_depth), fine))
    edge = 0.5 * opening
    inner, outer = edge, half_width - edge
    a_in, a_out = math.log1p(inner / fine), math.log1p(outer / fine)
    n_half = int(n_lateral) // 2
    n_in = min(max(int(round(n_half * a_in / (a_in + a_out))), 1), n_half - 1)
    # inside the opening: from the edge back toward the axis; outside: from the edge out
    toward_axis = edge - _graded_faces(inner, n_in, fine)[::-1]
    away = edge + _graded_faces(outer, n_half - n_in, fine)
    half = np.concatenate([toward_axis, away[1:]])
    half[0], half[n_in], half[-1] = 0.0, edge, half_width
    faces = np.concatenate([-half[:0:-1], half])
    return Grid2D(depth_grid, faces)
