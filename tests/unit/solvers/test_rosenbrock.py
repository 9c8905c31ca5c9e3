"""The ROS3 coefficients (ionex.solvers._rosenbrock) against the Rosenbrock order conditions.

Reference: Hairer & Wanner, Solving ODEs II, §IV.7, Table 7.1. The kernel uses the
transformed form (eq. 7.4'): with Γ = (γ_ij) (lower triangular, diagonal γ) and α = (α_ij),
A = αΓ⁻¹, C = diag(1/γ) − Γ⁻¹, m = bᵀΓ⁻¹. Recovering α, Γ and b from the kernel's
constants, the conditions of order 3 hold for b, those of order 2 for the embedded weights
b̂ (from m − e), the stage times are Σ_j α_ij = (0, γ, γ) and the ∂f/∂t weights
Σ_j γ_ij = (γ, GAMMA2, GAMMA3)."""

from __future__ import annotations

import numpy as np

from ionex.solvers import _rosenbrock as R


def _original_coefficients():
    g = R.GAMMA
    C = np.array([[0, 0, 0], [R.C21, 0, 0], [R.C31, R.C32, 0]])
    Gi = np.diag([1 / g] * 3) - C  # Γ⁻¹
    Gm = np.linalg.inv(Gi)
    A = np.array([[0, 0, 0], [R.A21, 0, 0], [1.0, 0, 0]])  # a31 = 1, a32 = 0
    alpha = A @ Gm
    m = np.array([R.M1, R.M2, R.M3])
    e = np.array([R.E1, R.E2, R.E3])
    return g, Gm, alpha, m @ Gm, (m - e) @ Gm


def test_order_three_conditions():
    g, Gm, alpha, b, _ = _original_coefficients()
    beta = alpha + Gm - np.diag(np.diag(Gm))  # β_ij = α_ij + γ_ij, j < i
    a_i = alpha.sum(axis=1)
    b_i = beta.sum(axis=1)
    assert abs(b.sum() - 1.0) < 1e-14
    assert abs(b @ b_i - (0.5 - g)) < 1e-14
    assert abs(b @ a_i**2 - 1.0 / 3.0) < 1e-14
    assert abs(b @ (beta @ b_i) - (1.0 / 6.0 - g + g * g)) < 1e-14


def test_embedded_order_two_and_a_different_solution():
    g, Gm, alpha, b, b_hat = _original_coefficients()
    beta = alpha + Gm - np.diag(np.diag(Gm))
    assert abs(b_hat.sum() - 1.0) < 1e-14
    assert abs(b_hat @ beta.sum(axis=1) - (0.5 - g)) < 1e-14
    # not third order itself, so the difference estimates the error of the pair
    defects = (
        b_hat @ (beta @ beta.sum(axis=1)) - (1.0 / 6.0 - g + g * g),
        b_hat @ alpha.sum(axis=1) ** 2 - 1.0 / 3.0,
    )
    assert max(abs(d) for d in defects) > 1e-3, defects


def test_stage_times_and_time_derivative_weights():
    g, Gm, alpha, _, _ = _original_coefficients()
    np.testing.assert_allclose(alpha.sum(axis=1), [0.0, R.ALPHA2, R.ALPHA2], atol=1e-14)
    assert R.NODES[1] == R.ALPHA2
    np.testing.assert_allclose(Gm.sum(axis=1), [g, R.GAMMA2, R.GAMMA3], rtol=1e-13)


def test_l_stable():
    """R(z) = 1 + z bᵀ(I − zB)⁻¹1 with B = α + Γ: |R(iy)| ≤ 1 and R(∞) = 0."""
    g, Gm, alpha, b, _ = _original_coefficients()
    B = alpha + Gm
    one = np.ones(3)

    def stab(z):
        return 1 + z * b @ np.linalg.solve(np.eye(3) - z * B, one)

    assert max(abs(stab(1j * y)) for y in np.logspace(-3, 6, 400)) <= 1 + 1e-12
    assert abs(stab(-1e12)) < 1e-9
