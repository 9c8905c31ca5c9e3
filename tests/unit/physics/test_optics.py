"""TE/TM index profiles from n_0 and σ, and back (docs/physics.md §3.4 eqs. 5–8)."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ionex.physics.materials import BK7_677, MATERIALS, material
from ionex.physics.optics import (
    ElastoOptic,
    isotropic_index,
    stress_free_index,
    stress_from_indices,
    stressed_indices,
)

EO = ElastoOptic(BK7_677.c_parallel, BK7_677.c_perp)


def test_physics_md_numerical_feel():
    # §3.2 table: σ = −300 MPa → TE +0.0011, TM +0.0020 (rounded), TE−TM −0.0008
    te, tm = stressed_indices(0.0, -300e6, EO)
    assert te == pytest.approx(0.00114, abs=1e-5) and tm == pytest.approx(0.00198, abs=1e-5)
    assert te - tm == pytest.approx(-0.00084, abs=1e-5)


@settings(max_examples=60, derandomize=True, deadline=None)
@given(n0=st.floats(1.45, 1.75), sigma=st.floats(-1.5e9, 1.5e9))
def test_round_trip_and_sign(n0, sigma):
    te, tm = stressed_indices(n0, sigma, EO)
    # one ulp of n (≈ 3.3e-16 at n ≈ 1.5) over C∥ − C⊥ = 2.8e-12 Pa⁻¹ is ≈ 1.2e-4 Pa: allow a few ulps
    assert stress_from_indices(te, tm, EO) == pytest.approx(sigma, rel=1e-9, abs=1e-3)
    assert isotropic_index(te, tm, EO) == pytest.approx(n0, abs=1e-14)
    if sigma < -1e3:  # compression (above round-off), as for K+ exchange: n_TE − n_TM < 0 (C∥ > C⊥)
        assert te - tm < 0


def test_stress_free_index_profile():
    chi = np.array([1.0, 0.5, 0.0])
    np.testing.assert_allclose(stress_free_index(chi, 1.5137, 0.0075), [1.5212, 1.51745, 1.5137])


def test_presets_carry_provenance():
    for m in MATERIALS.values():
        assert set(m.provenance) >= {"base_index", "c_parallel", "c_perp", "dilation"}
        assert m.unconfirmed(), "placeholders must be marked"
    with pytest.raises(ValueError, match="presets"):
        material("unobtainium")


def test_no_birefringence_rejected():
    with pytest.raises(ValueError, match="birefringence"):
        ElastoOptic(-1e-12, -1e-12)
