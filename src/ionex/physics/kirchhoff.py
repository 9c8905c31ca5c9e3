"""The Kirchhoff potential Φ(χ) = ∫₀^χ D̃(ξ) dξ of a nonlinear diffusion law, as data.

The finite-volume flux between two points of a 1-D profile is exactly −ΔΦ/Δx for a steady
profile, whatever the nonlinearity of D̃ (docs/physics.md §1.6); the solver needs Φ and D̃ = Φ'.
A :class:`KirchhoffLaw` holds one law at one temperature in a form that compiled code can
evaluate (:func:`evaluate_law`, numba), so the solver's compiled steps run without Python
overhead:

* kind RATIONAL: D̃ = D_A·(n0 + k·χ(1−χ))/(1 + aχ), a = D_A/D_B − 1 — Forms A and B with a
  constant or Margules thermodynamic factor; Φ in closed form.
* kind TABLE: Φ and D̃ as cubic Hermite tables in s, χ = (1 − cos πs)/2 (nodes clustered at
  χ = 0 and 1), for any other D̃(χ) — Form C, user tables, or any callable.

Outside [0, 1] Φ continues linearly with slope D̃(0) or D̃(1), so that a stage value that
overshoots slightly still sees a smooth, monotone flux law.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit

__all__ = ["KirchhoffLaw", "RATIONAL", "TABLE", "evaluate_law", "GAUSS_NODES", "GAUSS_WEIGHTS"]

RATIONAL = 0
TABLE = 1

# 12-point Gauss–Legendre rule on [0, 1]
_x, _w = np.polynomial.legendre.leggauss(12)
GAUSS_NODES = 0.5 * (_x + 1.0)
GAUSS_WEIGHTS = 0.5 * _w
_EMPTY = np.zeros(2)


@dataclass(frozen=True, eq=False)
class KirchhoffLaw:
    """χ ↦ (Φ(χ), D̃(χ)) at one temperature, in m²/s.

    Attributes:
        kind: RATIONAL or TABLE.
        params: RATIONAL: (D_A, a, n0, k); TABLE: unused.
        phi, phi_slope: TABLE: Φ at the nodes s_j = j/M and dΦ/ds·(1/M) there.
        coefficient: TABLE: D̃ at the nodes (linear in s between them).
    """

    kind: int
    params: np.ndarray
    phi: np.ndarray = field(default_factory=lambda: _EMPTY)
    phi_slope: np.ndarray = field(default_factory=lambda: _EMPTY)
    coefficient: np.ndarray = field(default_factory=lambda: _EMPTY)

    @classmethod
    def rational(cls, d_a: float, d_b: float, n0: float = 1.0, k: float = 0.0) -> "KirchhoffLaw":
        """D̃ = D_A D_B/(χD_A + (1−χ)D_B)·(n0 + kχ(1−χ)); D in m²/s, n0 and k dimensionless."""
        if not (d_a > 0 and d_b > 0 and math.isfinite(d_a) and math.isfinite(d_b)):
            raise ValueError(f"D_A and D_B must be finite and > 0 m^2/s, got {d_a!r}, {d_b!r}")
        if not n0 + min(k, 0.0) / 4.0 > 0:
            raise ValueError(f"n0 + k·χ(1−χ) must stay > 0 on [0, 1] (n0 = {n0!r}, k = {k!r})")
        return cls(RATIONAL, np.array([d_a, d_a / d_b - 1.0, n0, k], dtype=float))

    @classmethod
    def tabulate(cls, coefficient, intervals: int = 512) -> "KirchhoffLaw":
        """Tabulate Φ and D̃ for a vectorised callable D̃(χ) (m²/s, > 0 on [0, 1]).

        Φ is integrated with 12-point Gauss–Legendre per s-interval; the cubic Hermite
        interpolant in s is then accurate to ~1e-12 relative for laws smooth in s (Form C's
        √(χ(1−χ)) is), and to the resolution of the clustered nodes (Δχ ≈ 1e-5 at the
        ends) for laws varying faster than that.
        """
        s = np.linspace(0.0, 1.0, intervals + 1)
        chi = 0.5 * (1.0 - np.cos(np.pi * s))
        h = 1.0 / intervals
        sq = s[:-1, None] + h * GAUSS_NODES
        d_q = np.asarray(coefficient(0.5 * (1.0 - np.cos(np.pi * sq))), dtype=float)
        integrand = d_q * 0.5 * np.pi * np.sin(np.pi * sq)
        phi = np.concatenate([[0.0], np.cumsum(h * (integrand @ GAUSS_WEIGHTS))])
        d = np.asarray(coefficient(chi), dtype=float)
        for values, at in ((d_q, 0.5 * (1.0 - np.cos(np.pi * sq))), (d, chi)):
            bad = np.isfinite(values) & (values <= 0)
            if np.any(bad):
                k = np.flatnonzero(bad.ravel())[0]
                raise ValueError(
                    f"D̃(χ) must be > 0 m^2/s on [0, 1]: found {values.ravel()[k]:.3g} at "
                    f"χ = {at.ravel()[k]:.4g} (a negative D̃ is uphill diffusion, which this "
                    "model does not describe)"
                )
        slope = d * 0.5 * np.pi * np.sin(np.pi * s) * h
        return cls(TABLE, np.zeros(4), phi, slope, d)

    def scaled(self, factor: float) -> "KirchhoffLaw":
        """The law of factor·D̃ (Φ scales with it): D̃ in a rescaled clock dθ = dt/factor."""
        if not (factor > 0 and math.isfinite(factor)):
            raise ValueError(f"scale factor must be finite and > 0, got {factor!r}")
        if self.kind == RATIONAL:
            params = self.params.copy()
            params[0] *= factor  # D̃ = D_A (n0 + kχ(1−χ))/(1 + aχ) is linear in D_A at fixed a
            return KirchhoffLaw(RATIONAL, params)
        return KirchhoffLaw(
            self.kind,
            self.params,
            self.phi * factor,
            self.phi_slope * factor,
            self.coefficient * factor,
        )

    def __call__(self, frac):
        """(Φ, D̃) at the site fractions ``frac`` (any shape), in m²/s."""
        c = np.ascontiguousarray(frac, dtype=float)
        flat = c.ravel()
        phi = np.empty_like(flat)
        d = np.empty_like(flat)
        evaluate_law(
            self.kind, self.params, self.phi, self.phi_slope, self.coefficient, flat, phi, d
        )
        return phi.reshape(c.shape), d.reshape(c.shape)


@njit(cache=True)
def _rational_point(c, d_a, a, n0, k):
    """Φ(c) and D̃(c) of the RATIONAL kind for c in [0, 1]."""
    den = 1.0 + a * c
    d = d_a * (n0 + k * c * (1.0 - c)) / den
    if k == 0.0:
        z = a * c
        if abs(z) < 1e-6:
            # log1p(z)/a = c(1 − z/2 + z²/3 − …): exact to round-off here, and most cells of
            # a slab lie in this far field, so the series saves a transcendental call
            return d_a * n0 * c * (1.0 - z * (0.5 - z * (1.0 / 3.0))), d
        return d_a * n0 * math.log1p(z) / a, d
    if abs(a) > 0.5:
        # ∫ (n0 + kξ − kξ²)/(1 + aξ) = −(k/a)ξ²/2 + qξ + (n0 − q) ln(1 + aξ)/a, q = k(a+1)/a²
        q = k * (a + 1.0) / (a * a)
        return d_a * (-(k / a) * 0.5 * c * c + q * c + (n0 - q) * math.log1p(a * c) / a), d
    # |a| ≤ 0.5: the pole of the integrand lies ≥ 2 from [0, c]; Gauss–Legendre converges
    # like (3+√8)^−24 and avoids the 1/a² cancellation of the closed form
    total = 0.0
    for j in range(GAUSS_NODES.size):
        xi = c * GAUSS_NODES[j]
        total += GAUSS_WEIGHTS[j] * (n0 + k * xi * (1.0 - xi)) / (1.0 + a * xi)
    return d_a * c * total, d


@njit(cache=True)
def _table_point(c, phi, slope, coef):
    m = phi.size - 1
    u = math.acos(1.0 - 2.0 * c) / math.pi * m
    i = min(int(u), m - 1)
    t = u - i
    t2 = t * t
    t3 = t2 * t
    p = (
        (2 * t3 - 3 * t2 + 1) * phi[i]
        + (t3 - 2 * t2 + t) * slope[i]
        + (-2 * t3 + 3 * t2) * phi[i + 1]
        + (t3 - t2) * slope[i + 1]
    )
    return p, (1.0 - t) * coef[i] + t * coef[i + 1]


@njit(cache=True)
def evaluate_law(kind, params, phi_tab, slope_tab, coef_tab, frac, out_phi, out_d):
    """Fill out_phi, out_d with Φ(χ), D̃(χ) for every χ in ``frac`` (1-D arrays)."""
    d_a, a, n0, k = params[0], params[1], params[2], params[3]
    for i in range(frac.size):
        x = frac[i]
        c = min(max(x, 0.0), 1.0)
        if kind == RATIONAL:
            p, d = _rational_point(c, d_a, a, n0, k)
        else:
            p, d = _table_point(c, phi_tab, slope_tab, coef_tab)
        out_phi[i] = p + d * (x - c)
        out_d[i] = d
