"""m-line (prism coupler) mapping between synchronous angle and effective index (docs/physics.md §3.6).

Sign convention (docs/physics.md §3.6): θ is the external synchronous angle of the beam at the
prism's entrance face, measured from the normal of that face, positive when the beam
inside the prism is tilted away from the apex (towards the base normal). Refraction at the
entrance face gives the internal angle ψ = arcsin(sin θ / n_p); the internal angle to the
base normal is then φ = δ + ψ (δ the refracting angle between entrance face and base), and
phase matching at the base gives

    N = n_p sin φ = n_p sin(δ + arcsin(sin θ / n_p)).

With the opposite convention (θ positive towards the apex) replace θ by −θ.

Admissible range: the beam must reach the base from inside, 0 < φ < π/2, and refract into
the prism, |θ| ≤ π/2, i.e. max(0, δ − ψ_c) ≤ φ ≤ min(π/2, δ + ψ_c) with ψ_c = arcsin(1/n_p)
the critical angle. On it θ ↦ N is strictly increasing, so the inverse is unique.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Prism", "effective_index_from_angle", "synchronous_angle"]


@dataclass(frozen=True)
class Prism:
    """A coupling prism.

    Attributes:
        index: n_p of the prism glass at the measuring wavelength (dimensionless, 1 < n_p < 5).
        angle: refracting angle δ between the entrance face and the base, in rad (0 < δ < π/2).
    """

    index: float
    angle: float

    def __post_init__(self):
        if not (math.isfinite(self.index) and 1.0 < self.index < 5.0):
            raise ValueError(
                f"prism index n_p must be a refractive index above 1 and below 5, got {self.index!r}"
            )
        if not (math.isfinite(self.angle) and 0.0 < self.angle < math.pi / 2):
            raise ValueError(f"prism angle δ must lie in (0, π/2) rad, got {self.angle!r} rad")

    @property
    def internal_angle_range(self) -> tuple[float, float]:
        """(φ_min, φ_max) in rad: the internal angles to the base normal the prism can reach."""
        critical = math.asin(1.0 / self.index)
        return max(0.0, self.angle - critical), min(math.pi / 2, self.angle + critical)

    @property
    def angle_range(self) -> tuple[float, float]:
        """(θ_min, θ_max) in rad: the admissible external synchronous angles."""
        lo, hi = self.internal_angle_range
        return _external(lo, self), _external(hi, self)

    @property
    def index_range(self) -> tuple[float, float]:
        """(N_min, N_max): the effective indices the prism can couple (dimensionless)."""
        lo, hi = self.internal_angle_range
        return self.index * math.sin(lo), self.index * math.sin(hi)


def effective_index_from_angle(theta, prism: Prism):
    """N = n_p sin(δ + arcsin(sin θ / n_p)) (docs/physics.md §3.6; module docstring for the signs).

    Args:
        theta: external synchronous angle θ in rad from the entrance-face normal, positive
            when the beam inside the prism is tilted away from the apex; scalar or array.
        prism: the coupling prism (n_p, δ).

    Returns N (dimensionless), same shape as theta. Raises ValueError for angles outside
    prism.angle_range (the beam would not reach the base from inside the prism).
    """
    t = np.asarray(theta, dtype=float)
    lo, hi = prism.angle_range
    bad = ~((t >= lo - 1e-15) & (t <= hi + 1e-15))
    if np.any(bad):
        raise ValueError(
            f"synchronous angle {float(t[bad].flat[0])!r} rad ({math.degrees(float(t[bad].flat[0])):.4f}°) is outside "
            f"what this prism admits: [{lo:.6f}, {hi:.6f}] rad ([{math.degrees(lo):.4f}°, {math.degrees(hi):.4f}°])"
        )
    phi = np.clip(prism.angle + np.arcsin(np.sin(t) / prism.index), *prism.internal_angle_range)
    return (prism.index * np.sin(phi))[()]


def synchronous_angle(effective_index, prism: Prism):
    """θ = arcsin(n_p sin(arcsin(N/n_p) − δ)), the inverse of effective_index_from_angle.

    Args:
        effective_index: N (dimensionless), scalar or array, within prism.index_range.
        prism: the coupling prism (n_p, δ).

    Returns θ in rad (sign convention of the module docstring), same shape as N. Raises
    ValueError, naming the allowed range, for an N the prism cannot couple.
    """
    N = np.asarray(effective_index, dtype=float)
    lo, hi = prism.index_range
    bad = ~((N >= lo) & (N <= hi))
    if np.any(bad):
        raise ValueError(
            f"effective index {float(N[bad].flat[0])!r} cannot be coupled by this prism "
            f"(n_p = {prism.index}, δ = {math.degrees(prism.angle):.4f}°): allowed N is [{lo:.6f}, {hi:.6f}]"
        )
    return _external(np.arcsin(np.clip(N / prism.index, -1.0, 1.0)), prism)


def _external(phi, prism: Prism):
    """θ (rad) of the internal base angle φ (rad): sin θ = n_p sin(φ − δ), clipped to |θ| ≤ π/2."""
    s = prism.index * np.sin(np.asarray(phi, dtype=float) - prism.angle)
    return np.arcsin(np.clip(s, -1.0, 1.0))[()]
