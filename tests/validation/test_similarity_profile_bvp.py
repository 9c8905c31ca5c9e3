"""The Helfferich–Plesset similarity profile (ionex.solvers.similarity: shooting with RK4)
against the independent collocation solution of the same Boltzmann problem
(tests/_references.similarity_solution: scipy solve_bvp, relative residual 1e-10).

    −(ξ/2) u' = (d(u) u')',  d = 1/(1 − (1 − r)u) = D̃/D_A,  u(0) = 1, u(∞) = 0

Measured (ξ ∈ [0, 0.9 min(ξ_max, ξ_end)], 4001 points): absolute 1.3e-9 (r ≤ 0.5) to
2.3e-8 (r = 3); relative ≤ 2.3e-7 wherever u ≥ 1e-6; the half-depth to 3e-9 (r ≤ 0.5) …
2.5e-8 (r = 30) relative.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from _references import similarity_solution

from ionex.solvers.similarity import helfferich_plesset_profile


@pytest.mark.parametrize("ratio", [1e-3, 0.03, 0.1, 0.5, 3.0, 30.0])
def test_profile_matches_the_collocation_reference(ratio):
    ref = similarity_solution(
        lambda c: 1.0 / (1.0 - (1.0 - ratio) * np.asarray(c)), 1.0, 1.0, xi_max=14.0, tol=1e-10
    )
    prof = helfferich_plesset_profile(ratio)
    xi = np.linspace(0.0, 0.9 * min(ref.xi_max, prof.xi[-1]), 4001)
    u_ref = ref.profile(xi)[0]
    err = np.abs(prof(xi) - u_ref)
    assert err.max() < 5e-8
    big = u_ref >= 1e-6
    assert np.max(err[big] / u_ref[big]) < 1e-6
    assert prof.half_depth == pytest.approx(ref.depth_of(0.5, 1.0), rel=1e-7)
    assert math.isfinite(prof.surface_flux) and prof.surface_flux > 0
