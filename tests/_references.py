"""Independent reference solutions for the interdiffusion validation tests.

Nothing here uses the ionex solver: the references are closed forms (erfc, Fourier series)
or scipy's collocation BVP solver applied to the Boltzmann similarity equation. The only
ionex code they take is D̃(χ) itself (the function under test is the PDE solver, not D̃,
which tests/unit/physics checks separately against the paper's formulas).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_bvp
from scipy.interpolate import PchipInterpolator
from scipy.optimize import brentq
from scipy.special import erfc

__all__ = [
    "erfc_profile",
    "fourier_plate_profile",
    "SimilaritySolution",
    "similarity_solution",
    "depth_of_level",
]


def erfc_profile(x, t, diffusion_coefficient, surface_fraction=1.0):
    """χ = χ_s erfc(x / (2√(D t))) of a semi-infinite slab with constant D (docs/physics.md §1.6)."""
    return surface_fraction * erfc(
        np.asarray(x, dtype=float) / (2.0 * math.sqrt(diffusion_coefficient * t))
    )


def fourier_plate_profile(
    x, t, diffusion_coefficient, thickness, surface_fraction=1.0, rel_tail=1e-16
):
    """Plate of thickness L exchanged on both faces, constant D (docs/physics.md §1.6):

    χ/χ_s = 1 − (4/π) Σ_k (2k+1)⁻¹ exp(−(2k+1)²π²Dt/L²) sin((2k+1)πx/L).

    The series is summed until the next term's bound (4/π)·exp(−m²π²Dt/L²)/m, m = 2k+1,
    falls below ``rel_tail`` (the terms decay like a Gaussian in m, so the remainder is
    smaller than the first omitted bound).
    """
    x = np.asarray(x, dtype=float)
    tau = math.pi**2 * diffusion_coefficient * t / thickness**2
    total = np.zeros_like(x)
    k = 0
    while True:
        m = 2 * k + 1
        amp = math.exp(-m * m * tau) / m
        if 4.0 / math.pi * amp < rel_tail and k > 0:
            break
        total += amp * np.sin(m * math.pi * x / thickness)
        k += 1
        if k > 100_000:  # pragma: no cover - only for absurdly small t
            raise RuntimeError("Fourier series did not converge")
    return surface_fraction * (1.0 - 4.0 / math.pi * total)


@dataclass
class SimilaritySolution:
    """χ(ξ) of the Boltzmann similarity problem, ξ = x / √(D_ref t) (dimensionless)."""

    d_ref: float
    xi_max: float
    profile: object  # callable ξ ↦ χ (cubic collocation interpolant)
    max_residual: float

    def fraction(self, x, t):
        """χ at depth x (m) and time t (s)."""
        xi = np.asarray(x, dtype=float) / math.sqrt(self.d_ref * t)
        return np.where(xi < self.xi_max, self.profile(np.minimum(xi, self.xi_max))[0], 0.0)

    def depth_of(self, level, t):
        """Depth (m) where χ = level at time t (s)."""
        xi = brentq(lambda s: self.profile(s)[0] - level, 0.0, self.xi_max, xtol=1e-15, rtol=1e-15)
        return xi * math.sqrt(self.d_ref * t)


def similarity_solution(coefficient, surface_fraction, d_ref, xi_max=12.0, tol=1e-9, nodes=2001):
    """Solve −(ξ/2) χ' = (d(χ) χ')' on [0, ξ_max], χ(0) = χ_s, χ(ξ_max) = 0, by collocation.

    ξ = x/√(D_ref t) and d = D̃/D_ref, so that the problem is O(1). First-order system
    y1 = χ, y2 = d(χ)·χ' (the scaled flux, smooth even where d(χ) is steep):
        y1' = y2 / d(y1),   y2' = −(ξ/2) y1' .
    ``coefficient`` maps an array of χ to D̃ (m²/s). The erfc profile of D_ref is the
    initial guess; solve_bvp refines its mesh until the relative collocation residual is
    below ``tol``. The scaled problem's solution is independent of t (Boltzmann).

    Form C's D̃ contains √(χ(1−χ)): with χ_s = 1 the similarity solution has a √ξ
    singularity at the surface that collocation cannot resolve to a relative tolerance;
    use χ_s < 1 for Form C references.

    Returns a SimilaritySolution; raises RuntimeError if solve_bvp does not converge.
    """

    def d_of(chi):
        # D̃ is only defined on [0, 1]; collocation iterates may stray slightly outside.
        return np.asarray(coefficient(np.clip(chi, 0.0, 1.0)), dtype=float) / d_ref

    def rhs(xi, y):
        dchi = y[1] / d_of(y[0])
        return np.vstack([dchi, -0.5 * xi * dchi])

    def bc(ya, yb):
        return np.array([ya[0] - surface_fraction, yb[0]])

    # initial guess: the constant-D profile for the smallest and the largest D̃ give the
    # range; use the geometric-mean D̃ (a better guess for strongly varying D̃).
    chis = np.linspace(0.0, 1.0, 101)
    d_vals = d_of(chis)
    d_guess = float(np.exp(np.mean(np.log(d_vals))))
    xi = np.linspace(0.0, xi_max, nodes)
    y0 = surface_fraction * erfc(xi / (2 * math.sqrt(d_guess)))
    dy0 = -surface_fraction * np.exp(-(xi**2) / (4 * d_guess)) / math.sqrt(math.pi * d_guess)
    guess = np.vstack([y0, d_of(y0) * dy0])
    sol = solve_bvp(rhs, bc, xi, guess, tol=tol, max_nodes=500_000, bc_tol=1e-12)
    if not sol.success:
        raise RuntimeError(f"similarity BVP did not converge: {sol.message}")
    profile = lambda s: sol.sol(s)  # noqa: E731
    return SimilaritySolution(
        d_ref=d_ref, xi_max=xi_max, profile=profile, max_residual=float(np.max(sol.rms_residuals))
    )


def depth_of_level(centres, fractions, level, surface_fraction=None):
    """Depth (m) where a monotone cell-centred profile crosses ``level``.

    Interpolates χ(x) through the cell centres (and the surface value at x = 0 when given)
    with a monotone cubic (PCHIP), whose interpolation error is O(h³) for smooth profiles,
    below the O(h²) error of the finite-volume values themselves; then finds the root.
    """
    x = np.asarray(centres, dtype=float)
    y = np.asarray(fractions, dtype=float)
    if surface_fraction is not None:
        x = np.concatenate([[0.0], x])
        y = np.concatenate([[surface_fraction], y])
    below = np.nonzero(y < level)[0]
    if below.size == 0 or below[0] == 0:
        raise ValueError("profile does not cross the level")
    i = int(below[0])
    lo = max(i - 3, 0)
    hi = min(i + 3, x.size)
    interp = PchipInterpolator(x[lo:hi], y[lo:hi])
    return brentq(
        lambda s: float(interp(s)) - level,
        x[i - 1],
        x[i],
        xtol=1e-18 * max(x[i], 1e-300),
        rtol=1e-15,
    )


def central_difference_jacobian(residual, y, relative_step=1e-7):
    """∂residual/∂y by central differences, column by column: the reference an analytic
    Jacobian is checked against. residual maps an array shaped like y to any array; the
    result has one row per residual entry and one column per entry of y."""
    y = np.asarray(y, dtype=float)
    flat = y.ravel()
    columns = []
    for col in range(flat.size):
        e = np.zeros(flat.size)
        step = relative_step * max(1.0, abs(flat[col]))
        e[col] = step
        plus = np.asarray(residual((flat + e).reshape(y.shape))).ravel()
        minus = np.asarray(residual((flat - e).reshape(y.shape))).ravel()
        columns.append((plus - minus) / (2 * step))
    return np.stack(columns, axis=1)


def dense_from_band(ab, n, kl, ku):
    """The n × n matrix held in LAPACK's general band storage (dgbtrf's layout, with kl
    extra rows on top for the factors): A[i, j] = ab[kl + ku + i − j, j]."""
    dense = np.zeros((n, n))
    for j in range(n):
        for i in range(max(0, j - ku), min(n, j + kl + 1)):
            dense[i, j] = ab[kl + ku + i - j, j]
    return dense
