"""Depth resolution functions refuse what is no length, and convolve_profile what is no
profile: one FieldError or ValueError naming the field and what was expected."""

import math

import numpy as np
import pytest

from ionex.physics.depth_resolution import GaussianResolution, MriResolution, convolve_profile
from ionex.validators import FieldError

NM = 1e-9


@pytest.mark.parametrize("bad", [-1 * NM, 0.0, math.nan, math.inf, True, "20 nm", None])
def test_gaussian_roughness_must_be_a_positive_length(bad):
    with pytest.raises(FieldError) as caught:
        GaussianResolution(bad)
    assert caught.value.field == "roughness" and "> 0" in str(caught.value)


@pytest.mark.parametrize(
    "field",
    ["mixing_length", "roughness", "information_depth"],
)
@pytest.mark.parametrize("bad", [-1 * NM, math.nan, math.inf, False])
def test_mri_lengths_must_be_finite_and_not_negative(field, bad):
    given = dict(mixing_length=2 * NM, roughness=3 * NM, information_depth=1 * NM)
    given[field] = bad
    with pytest.raises(FieldError) as caught:
        MriResolution(**given)
    assert caught.value.field == field and "≥ 0" in str(caught.value)


def test_an_mri_function_of_zero_width_is_refused():
    with pytest.raises(FieldError, match="at least one"):
        MriResolution(0.0, 0.0, 0.0)


def test_zero_terms_of_the_mri_function_are_accepted():
    assert MriResolution(0.0, 5 * NM, 0.0).variance == pytest.approx((5 * NM) ** 2, abs=0)
    assert MriResolution(0.0, 0.0, 1 * NM).mean == -1 * NM


def test_resolution_functions_are_frozen():
    r = GaussianResolution(10 * NM)
    with pytest.raises(AttributeError):
        r.roughness = 1 * NM


DEPTH = np.linspace(0.5 * NM, 200 * NM, 400)
VALUES = np.exp(-DEPTH / (30 * NM))
GAUSS = GaussianResolution(5 * NM)


def test_depths_must_increase():
    depth = DEPTH.copy()
    depth[10] = depth[9]
    with pytest.raises(FieldError) as caught:
        convolve_profile(depth, VALUES, GAUSS)
    assert caught.value.field == "depth" and caught.value.index == 10


def test_depths_start_at_or_below_the_surface():
    with pytest.raises(FieldError, match="≥ 0"):
        convolve_profile(DEPTH - 1 * NM, VALUES, GAUSS)


def test_one_value_per_depth():
    with pytest.raises(ValueError, match="one per point"):
        convolve_profile(DEPTH, VALUES[:-1], GAUSS)


def test_values_must_be_finite():
    values = VALUES.copy()
    values[3] = np.nan
    with pytest.raises(ValueError, match=r"values\[3\]"):
        convolve_profile(DEPTH, values, GAUSS)


def test_measured_depths_lie_below_the_surface():
    with pytest.raises(FieldError) as caught:
        convolve_profile(DEPTH, VALUES, GAUSS, [10 * NM, -1 * NM])
    assert caught.value.field == "measured_depth" and caught.value.index == 1


def test_a_profile_too_deep_for_the_resolution_is_refused_not_slow():
    with pytest.raises(ValueError, match="depths of interest"):
        convolve_profile(DEPTH, VALUES, GaussianResolution(0.1 * NM), [1e-3])


def test_default_measured_depths_are_the_cell_centres():
    out = convolve_profile(DEPTH, VALUES, GAUSS)
    assert out.shape == DEPTH.shape and np.all(np.isfinite(out))
    # an exponential of length L convolved with a Gaussian: × exp(σ²/2L²) = 1.014 (away from
    # the surface and from the end, beyond which the profile is held at its last value)
    inside = (DEPTH > 50 * NM) & (DEPTH < 150 * NM)
    # (the line through samples 0.5 nm apart lies (d/L)²/12 = 2e-5 above the convex decay)
    assert np.allclose(out[inside] / VALUES[inside], math.exp(25 / 1800), rtol=5e-5, atol=0)
    assert convolve_profile(DEPTH, VALUES, GAUSS, []).size == 0
