"""Helfferich–Plesset similarity profile: the constant-D limit erfc(ξ/2), the exact
half-depth node, shape properties, caching and input errors (the independent collocation
reference is in tests/validation/test_similarity_profile_bvp.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import erfc, erfcinv

from ionex.solvers.similarity import RATIO_RANGE, helfferich_plesset_profile

XI = np.linspace(0.0, 12.0, 2401)


def test_equal_mobilities_give_erfc():
    """r = 1: D̃ = D_A, u = erfc(ξ/2), surface flux 1/√π, half-depth 2 erfc⁻¹(1/2).

    Measured: 5e-9 absolute, 1.6e-7 relative where u ≥ 1e-6; flux and half-depth 1.2e-9 and
    2.7e-9 relative (the RK4 error at step 0.04)."""
    prof = helfferich_plesset_profile(1.0)
    ref = erfc(XI / 2)
    err = np.abs(prof(XI) - ref)
    assert err.max() < 2e-8
    big = ref >= 1e-6
    assert np.max(err[big] / ref[big]) < 1e-6
    assert prof.surface_flux == pytest.approx(1 / math.sqrt(math.pi), rel=1e-8)
    assert prof.half_depth == pytest.approx(2 * erfcinv(0.5), rel=1e-8)


def test_slope_is_the_derivative_of_the_profile():
    """evaluate() returns u': −e^(−ξ²/4)/√π at r = 1 (measured 2.3e-7) and the derivative of u."""
    prof = helfferich_plesset_profile(1.0)
    u, du = prof.evaluate(XI)
    assert (
        np.max(np.abs(du + np.exp(-(XI**2) / 4) / math.sqrt(math.pi))) < 5e-7
    )  # measured 2.3e-7 (O(h³) of the interpolant)
    prof = helfferich_plesset_profile(0.05)
    h = 1e-5
    fd = (prof(XI[1:-1] + h) - prof(XI[1:-1] - h)) / (2 * h)
    assert np.max(np.abs(prof.evaluate(XI[1:-1])[1] - fd)) < 1e-5


@pytest.mark.parametrize("ratio", [1e-3, 0.03, 0.1, 0.5, 3.0, 100.0])
def test_shape(ratio):
    """u(0) = 1, u(ξ_½) = 1/2 at the half-depth node, strictly decreasing to < 1e-11 at 12."""
    prof = helfferich_plesset_profile(ratio)
    u = prof(XI)
    assert u[0] == pytest.approx(1.0, abs=1e-14)
    assert float(prof(prof.half_depth)) == pytest.approx(0.5, abs=1e-12)
    assert np.all(np.diff(prof.u) < 0) and np.all(np.diff(prof.xi) > 0)
    assert np.all(np.diff(u) <= 0)
    assert u[-1] < 1e-11


def test_slow_incoming_ion_flattens_the_top_and_steepens_the_front():
    """At equal half-depths, r = 0.03 stays higher than erfc in front of ξ_½ and lower beyond."""
    flat, plain = helfferich_plesset_profile(0.03), helfferich_plesset_profile(1.0)
    s = np.linspace(0.05, 0.95, 10)
    assert np.all(flat(s * flat.half_depth) > plain(s * plain.half_depth))
    s = np.linspace(1.1, 2.0, 10)
    assert np.all(flat(s * flat.half_depth) < plain(s * plain.half_depth))


def test_cached_and_read_only():
    a = helfferich_plesset_profile(0.1)
    assert helfferich_plesset_profile(0.1) is a
    with pytest.raises(ValueError):
        a.u[0] = 2.0


@pytest.mark.parametrize(
    "ratio", [0.0, -1.0, RATIO_RANGE[0] / 2, RATIO_RANGE[1] * 2, math.nan, math.inf]
)
def test_ratio_out_of_range_is_refused(ratio):
    with pytest.raises(ValueError, match="ratio D_A/D_B must lie in"):
        helfferich_plesset_profile(ratio)


def test_every_ratio_in_the_range_solves():
    """A dense scan, and r = 0.279…, whose brentq once met a trial Q₀ that let ξ run far
    enough for erfc(ξ/2) to underflow (the tail condition now uses erfcx)."""
    for r in list(np.geomspace(*RATIO_RANGE, 400)) + [0.27904732659363707]:
        prof = helfferich_plesset_profile(float(r))
        assert 0 < prof.half_depth < 10 and math.isfinite(prof.surface_flux)
        assert float(prof(prof.half_depth)) == pytest.approx(0.5, abs=1e-12)
