"""The planar guide a prism coupler sees in an index profile: the part of the profile that
belongs to the front face, its substrate index, and why a profile guides nothing.

A measured or simulated profile is not always a guide as it stands: `ionex run` writes a
plate exchanged on both faces through its whole thickness (a second guide at the back
face, and a "substrate" that is the back surface), and a profile cut inside the guide has
no substrate at all. These functions decide what the mode solver is given, and refuse what
cannot be a guide, with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..physics.optics import vacuum_wavenumber

__all__ = ["FrontGuide", "front_guide", "why_no_modes"]

# A profile counts as a plate exchanged on both faces when its index rises again toward the
# deepest point by more than this share of its index range, and both halves agree to
# _MIRROR_TOLERANCE of that range (ionex's own plates are mirror images to rounding).
_RISE_AT_BACK = 0.01
_MIRROR_TOLERANCE = 0.02
# The substrate must be reached: over the deepest _TAIL_SHARE of the depth range the index
# may change by at most _TAIL_CHANGE of the index rise above the substrate.
_TAIL_SHARE = 0.1
_TAIL_CHANGE = 0.01
# A profile whose first point lies deeper than this share of its depth range is refused
# rather than extrapolated to the surface.
_SURFACE_GAP = 0.01


@dataclass(frozen=True)
class FrontGuide:
    """The guide at the front face.

    Attributes:
        depth: x in m from the surface (depth[0] = 0), increasing.
        index: n at those depths (dimensionless).
        substrate_index: n_s beyond the last point (dimensionless).
        notes: what was done to the profile to get here, in words (empty if nothing).
    """

    depth: np.ndarray
    index: np.ndarray
    substrate_index: float
    notes: tuple = ()

    @property
    def index_rise(self) -> float:
        """max n − n_s (dimensionless): how far the guide rises above its substrate."""
        return float(self.index.max() - self.substrate_index)


def front_guide(depth, index, *, substrate_index: float | None = None) -> FrontGuide:
    """The guide at the front face of an index profile n(x), ready for the mode solver.

    * A profile that falls from the front face and rises again, symmetric about the middle
      of its depth range, is a plate exchanged on both faces: it is cut at the mid-plane
      (the front guide sees the back one only through a millimetre of glass). One that
      rises again without that symmetry is refused (which guide is meant is unclear).
    * A first point below the surface (cell centres) is extrapolated linearly to depth 0
      when it lies within 1 % of the depth range; deeper, the profile is refused.
    * The substrate is ``substrate_index``, or the index at the deepest point — which must
      then be where the profile has flattened (over the deepest 10 % of the depth range the
      index changes by ≤ 1 % of its rise), else the guide would be cut off at an arbitrary
      depth and the modes be wrong without a sign.
    * A profile that never rises above its substrate is refused: nothing can be guided.

    Args:
        depth: x in m, increasing, from the surface or a point just below it.
        index: n at those depths (dimensionless).
        substrate_index: n_s beyond the last point (dimensionless), or None.

    Returns a FrontGuide; raises ValueError naming the reason a profile is not a guide.
    """
    x = np.asarray(depth, dtype=float)
    n = np.asarray(index, dtype=float)
    notes = []
    span = float(x[-1] - x[0])
    low = int(np.argmin(n))
    spread = float(n.max() - n[low])
    if spread > 0 and n[-1] - n[low] > _RISE_AT_BACK * spread and low < x.size - 1:
        mid = 0.5 * (x[0] + x[-1])
        front = x <= mid * (1 + 1e-12)
        mirrored = np.interp(x[0] + x[-1] - x[front], x, n)
        if np.max(np.abs(mirrored - n[front])) > _MIRROR_TOLERANCE * spread:
            raise ValueError(
                f"the index rises again toward the deepest point (from {n[low]:.6f} at {x[low] * 1e6:.4g} µm to "
                f"{n[-1]:.6f} at {x[-1] * 1e6:.4g} µm) and is not the mirror image of the front part: give the "
                "profile of the front guide only, down to its substrate"
            )
        x, n = x[front], n[front]
        notes.append(
            f"the profile spans a plate exchanged on both faces ({span * 1e3:.4g} mm, symmetric): the guide at "
            f"the front face is solved, down to the mid-plane at {mid * 1e3:.4g} mm"
        )
    if x[0] < 0:
        raise ValueError(f"the first depth is {x[0]!r} m; expected depths from the surface (≥ 0)")
    if x[0] > 0:
        if x[0] > _SURFACE_GAP * (x[-1] - x[0]):
            raise ValueError(
                f"the profile starts at {x[0] * 1e6:.4g} µm, more than 1 % of its depth below the surface; "
                "add the surface point (depth 0)"
            )
        surface = n[0] - (n[1] - n[0]) * x[0] / (x[1] - x[0])
        notes.append(
            f"the profile starts at {x[0] * 1e9:.3g} nm; it is extrapolated linearly to the surface"
        )
        x, n = np.concatenate([[0.0], x]), np.concatenate([[surface], n])
    if substrate_index is None:
        n_s = float(n[-1])
        rise = float(n.max() - n_s)
        tail = float(np.interp(x[-1] - _TAIL_SHARE * (x[-1] - x[0]), x, n))
        if rise > 0 and abs(tail - n_s) > _TAIL_CHANGE * rise:
            raise ValueError(
                f"the profile has not reached its substrate at its deepest point ({x[-1] * 1e6:.4g} µm): the index "
                f"still changes by {abs(tail - n_s):.2g} over the last {_TAIL_SHARE * 100:.0f} % of the depth "
                f"({rise:.2g} above the deepest value in all); give the profile down to where it is flat, or the "
                "substrate index"
            )
    else:
        n_s = float(substrate_index)
        if not (math.isfinite(n_s) and n_s > 0):
            raise ValueError(
                f"the substrate index must be a positive number, got {substrate_index!r}"
            )
    if not n.max() > n_s:
        raise ValueError(
            f"the index never rises above the substrate (max n = {n.max():.6f}, substrate {n_s:.6f}): "
            "no mode can be guided"
        )
    return FrontGuide(depth=x, index=n, substrate_index=n_s, notes=tuple(notes))


def why_no_modes(
    guide: FrontGuide, wavelength: float, polarisation: str, cover_index: float = 1.0
) -> str:
    """Why a guide with a real index rise carries no mode, in words with numbers.

    The guide's phase integral Q = (k0/π) ∫ √(max(n² − n_s², 0)) dx against the ≈ 3/4 the
    first mode needs (the WKB condition at cut-off, cover phase of a high-contrast cover).

    Args: guide (depths in m), wavelength λ (m), polarisation "TE" or "TM", cover_index n_c.
    """
    k0 = vacuum_wavenumber(wavelength)
    excess = np.maximum(guide.index**2 - guide.substrate_index**2, 0.0)
    q = k0 * float(np.trapezoid(np.sqrt(excess), guide.depth)) / math.pi
    return (
        f"the index rise {guide.index_rise:.2g} above the substrate ({guide.substrate_index:.6f}) is below the "
        f"cut-off of the first {polarisation} mode: (k0/π)∫√(n² − n_s²)dx = {q:.2g}, where a first mode needs "
        "about 0.75"
    )
