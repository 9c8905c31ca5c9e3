"""The central tension of a measured profile fitted to its core (core_tension)."""

import numpy as np
import pytest
from scipy.special import erfc

from ionex.physics.frangibility import ParabolicProfile
from ionex.physics.stress import CORE_FIT_MIN_POINTS, core_tension

T = 0.8e-3


def test_a_parabolic_profile_gives_its_central_tension_exactly():
    """The fitted form is exact for the parabola σ = CT(1 − 3z²), z = 2x/t − 1."""
    p = ParabolicProfile(60e6, T)
    x = np.linspace(0.0, T, 41)
    fit = core_tension(x, p.stress(x), T, p.depth_of_compression)
    assert fit.value == pytest.approx(60e6, rel=1e-12)
    assert fit.standard_error < 1e-6 * 60e6 and fit.scatter < 1e-6 * 60e6


def test_a_flat_topped_core_gives_its_mid_plane_tension():
    """An erfc layer on both faces with DOC ≪ t: the core is flat to 1e-12 of CT."""
    x = np.linspace(0.0, T, 801)
    strain = erfc(x / 20e-6) + erfc((T - x) / 20e-6)
    sigma = -(strain - strain.mean()) * 100e9
    doc = x[np.flatnonzero(sigma > 0)[0]]
    fit = core_tension(x, sigma, T, doc)
    assert fit.value == pytest.approx(sigma[400], rel=1e-9)


def test_noise_leaves_the_fit_unbiased_while_the_peak_is_biased_high():
    """Gaussian noise of 8 MPa on a parabolic 55 MPa core, 300 tables of 41 points (13 in
    the core): the mean fitted CT lies within 4 standard errors of the mean of the truth,
    the fit's standard error matches the spread of the estimates within 25 % (300 samples
    give the spread to ±4 %; the standard error is itself scattered by the 11 residual
    degrees of freedom), while the largest point lies high by about one noise deviation
    (the expected largest of the few points near the top of the parabola)."""
    rng = np.random.default_rng(7)
    p = ParabolicProfile(55e6, T)
    x = np.linspace(0.0, T, 41)
    fits, peaks, errors = [], [], []
    for _ in range(300):
        s = p.stress(x) + rng.normal(0.0, 8e6, x.size)
        fit = core_tension(x, s, T, p.depth_of_compression)
        fits.append(fit.value)
        errors.append(fit.standard_error)
        peaks.append(s.max())
    fits = np.array(fits)
    assert abs(fits.mean() - 55e6) < 4 * fits.std() / np.sqrt(fits.size)
    assert np.mean(errors) == pytest.approx(fits.std(), rel=0.25)
    peak_bias = np.mean(peaks) - 55e6
    assert peak_bias > 0.8 * 8e6 and abs(fits.mean() - 55e6) < 0.1 * peak_bias


def test_a_mirrored_half_profile_counts_its_points_once():
    p = ParabolicProfile(40e6, T)
    half = np.linspace(0.0, T / 2, 21)
    mirrored = T - half[::-1][1:]
    x = np.concatenate([half, mirrored])
    s = p.stress(x) + np.concatenate([[0.0] * 20, [3e6], [0.0] * 20])
    whole = core_tension(x, s, T, p.depth_of_compression)
    one = core_tension(half, p.stress(half), T, p.depth_of_compression)
    assert whole.points == one.points


def test_too_few_core_points_are_refused_with_the_count():
    p = ParabolicProfile(40e6, T)
    x = np.array([0.0, 0.1e-3, 0.2e-3, 0.4e-3, 0.6e-3, 0.7e-3, 0.8e-3])
    with pytest.raises(ValueError, match=f"needs {CORE_FIT_MIN_POINTS}"):
        core_tension(x, p.stress(x), T, p.depth_of_compression)


def test_a_depth_of_compression_beyond_the_mid_plane_is_refused():
    x = np.linspace(0.0, T, 11)
    with pytest.raises(ValueError, match="no tensile core"):
        core_tension(x, np.zeros(11), T, 0.5e-3)
