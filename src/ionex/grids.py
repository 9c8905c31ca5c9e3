"""One-dimensional finite-volume meshes graded toward the exchanged face at depth 0."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Grid", "graded_cell_count", "graded_grid", "uniform_grid"]


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
