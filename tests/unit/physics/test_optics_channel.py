"""TE/TM indices of a channel cross-section under a triaxial stress (channel_indices)."""

import numpy as np
import pytest

from ionex.physics.materials import BK7_677
from ionex.physics.optics import ElastoOptic, channel_indices, stressed_indices

EO = ElastoOptic(BK7_677.c_parallel, BK7_677.c_perp)


def test_biaxial_layer_reduces_to_stressed_indices():
    n0 = np.array([1.51, 1.515, 1.52])
    sigma = np.array([-600e6, -100e6, 20e6])
    n_te, n_tm = channel_indices(n0, np.zeros(3), sigma, sigma, EO)
    te_ref, tm_ref = stressed_indices(n0, sigma, EO)
    np.testing.assert_allclose(n_te, te_ref, rtol=0, atol=1e-15)
    np.testing.assert_allclose(n_tm, tm_ref, rtol=0, atol=1e-15)


def test_each_polarisation_sees_c_parallel_along_its_field():
    # a uniaxial σ_xx acts with C_∥ on TM (E along x) and with C_⊥ on TE
    n_te, n_tm = channel_indices(1.5, -1e8, 0.0, 0.0, EO)
    assert n_tm - 1.5 == pytest.approx(EO.c_parallel * -1e8, rel=1e-12)
    assert n_te - 1.5 == pytest.approx(EO.c_perp * -1e8, rel=1e-12)
    # σ_zz, along the guide, is perpendicular to both fields
    n_te, n_tm = channel_indices(1.5, 0.0, 0.0, -1e8, EO)
    assert n_te == pytest.approx(n_tm, abs=1e-15)


def test_birefringence_is_the_stress_optic_coefficient_times_the_in_plane_difference():
    sxx, syy, szz = np.array([-3e7, 5e6]), np.array([-2e8, 1e7]), np.array([-4e8, 0.0])
    n_te, n_tm = channel_indices(1.5, sxx, syy, szz, EO)
    np.testing.assert_allclose(n_te - n_tm, EO.stress_optic * (syy - sxx), rtol=1e-9)


def test_broadcasts_over_a_cross_section():
    sxx = np.zeros((3, 4))
    n_te, n_tm = channel_indices(1.5, sxx, -1e8, sxx, EO)
    assert n_te.shape == n_tm.shape == (3, 4)
