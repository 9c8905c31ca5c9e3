"""Depth resolution of ToF-SIMS against exact references (physics.depth_resolution).

* a step convolved with a Gaussian of rms σ is (1 − erf((z − z₀)/σ√2))/2;
* a Gaussian of rms s convolved with it is a Gaussian of rms √(s² + σ²) and the same area;
* the MRI function integrates to 1, has first moment −λ and variance w² + σ² + λ², equals
  the quadrature of the asymmetric Laplace density g_w ∗ g_λ against g_σ, and is the mixing
  exponential exp(−(u + w)/w)/w when σ = λ = 0 (and tends to it as σ, λ → 0);
* a layer buried deeper than the resolution width keeps its area and moves its centroid by
  −λ; a uniform profile stays uniform up to the surface (renormalised resolution function);
  the fractions of all species still sum to one.

The model profiles are sampled at cell centres d = 0.1 nm apart; the piecewise-linear line
through them puts a ramp of one cell across a step, which alone accounts for
(d/σ)²/24·max|ζφ(ζ)| ≈ 1e-6 of the step test's error at σ = 10 nm.
"""

import math

import numpy as np
import pytest
from scipy import integrate, special

from ionex.physics.depth_resolution import GaussianResolution, MriResolution, convolve_profile

NM = 1e-9
CELL = 0.1 * NM
DEPTH = np.arange(0.5 * CELL, 1000 * NM, CELL)  # cell centres of a 1 µm model
MEASURED = np.linspace(0.0, 900 * NM, 1801)

MRI_CASES = [
    MriResolution(2 * NM, 3 * NM, 1 * NM),
    MriResolution(1 * NM, 10 * NM, 0.5 * NM),  # SIMS-like: roughness dominates
    MriResolution(5 * NM, 0.0, 0.0),  # mixing alone
    MriResolution(5 * NM, 1 * NM, 0.0),
    MriResolution(0.0, 1 * NM, 2 * NM),  # roughness and information depth
]


def _moments(resolution):
    """∫ g, ∫ u g, ∫ (u − mean)² g by adaptive quadrature over the support (m⁰, m, m²)."""
    lo, hi = resolution.support
    kinks = [-resolution.mixing_length] if isinstance(resolution, MriResolution) else []
    opts = dict(points=kinks or None, limit=400, epsabs=0, epsrel=1e-12)
    m0 = integrate.quad(resolution.density, lo, hi, **opts)[0]
    first = dict(opts, epsabs=1e-12 * NM)  # the mean is 0 when λ = 0: no relative tolerance
    m1 = integrate.quad(lambda u: u * resolution.density(u), lo, hi, **first)[0]
    var = integrate.quad(lambda u: (u - m1) ** 2 * resolution.density(u), lo, hi, **opts)[0]
    return m0, m1, var


def test_a_step_becomes_the_erf_form():
    sigma, z0 = 10 * NM, 500 * NM
    step = (DEPTH < z0).astype(float)
    measured = convolve_profile(DEPTH, step, GaussianResolution(sigma), MEASURED)
    exact = 0.5 * special.erfc((MEASURED - z0) / (sigma * math.sqrt(2)))
    assert np.max(np.abs(measured - exact)) < 2e-6  # measured 1.3e-6


def test_a_gaussian_layer_broadens_by_adding_variances():
    s, sigma, z0, area = 20 * NM, 15 * NM, 400 * NM, 3.0 * NM
    layer = area / (s * math.sqrt(2 * math.pi)) * np.exp(-0.5 * ((DEPTH - z0) / s) ** 2)
    measured = convolve_profile(DEPTH, layer, GaussianResolution(sigma), MEASURED)
    wide = math.hypot(s, sigma)
    exact = area / (wide * math.sqrt(2 * math.pi)) * np.exp(-0.5 * ((MEASURED - z0) / wide) ** 2)
    # the line through the samples overestimates a curved profile by (d/s)²/12 ≈ 2e-6 of its peak
    assert np.max(np.abs(measured - exact)) / exact.max() < 3e-6  # measured 1.8e-6


@pytest.mark.parametrize("resolution", MRI_CASES, ids=str)
def test_the_mri_function_has_unit_area_mean_minus_lambda_and_added_variances(resolution):
    w, s, lam = resolution.mixing_length, resolution.roughness, resolution.information_depth
    m0, m1, var = _moments(resolution)
    assert abs(m0 - 1) < 1e-10
    assert abs(m1 - (-lam)) < 1e-9 * NM  # the centroid: 0 from mixing, −λ from information depth
    assert var == pytest.approx(w**2 + s**2 + lam**2, rel=1e-9, abs=0)
    assert resolution.mean == -lam and resolution.variance == pytest.approx(var, rel=1e-9, abs=0)


@pytest.mark.parametrize("resolution", MRI_CASES[:2] + MRI_CASES[3:], ids=str)
def test_the_mri_closed_form_equals_the_quadrature_of_its_three_factors(resolution):
    """g = (g_w ∗ g_λ) ∗ g_σ, the first an asymmetric Laplace density in v = u + w."""
    w, s, lam = resolution.mixing_length, resolution.roughness, resolution.information_depth

    def laplace(v):
        return np.where(v >= 0, np.exp(-v / w) if w else 0.0, np.exp(v / lam) if lam else 0.0)

    def by_quadrature(u):
        gauss = GaussianResolution(s).density
        f = lambda t: laplace(u + w - t) / (w + lam) * gauss(t)
        return integrate.quad(f, -12 * s, 12 * s, points=[u + w], limit=200, epsrel=1e-12)[0]

    u = np.linspace(*resolution.support, 41)
    reference = np.array([by_quadrature(x) for x in u])
    assert np.max(np.abs(resolution.density(u) - reference)) < 1e-9 * reference.max()
    cdf = integrate.cumulative_trapezoid(
        resolution.density(fine := np.linspace(u[0], u[-1], 200001)), fine, initial=0
    )
    assert np.max(np.abs(resolution.cdf(fine) - cdf)) < 1e-8


def test_without_roughness_and_information_depth_the_mri_function_is_the_mixing_exponential():
    w = 4 * NM
    u = np.linspace(-10 * NM, 60 * NM, 7001)
    exponential = np.where(u >= -w, np.exp(-(u + w) / w) / w, 0.0)
    assert np.array_equal(MriResolution(w, 0.0, 0.0).density(u), exponential)
    exp_cdf = np.where(u >= -w, 1 - np.exp(-(u + w) / w), 0.0)
    # σ, λ → 0: the cdf approaches the exponential's, in proportion to σ + λ
    for small in (1e-2, 1e-3, 1e-4):  # measured gaps 0.0115, 0.00116, 0.000116
        near = MriResolution(w, small * w, small * w)
        assert np.max(np.abs(near.cdf(u) - exp_cdf)) < 1.2 * small


@pytest.mark.parametrize(
    "resolution", [GaussianResolution(10 * NM), MRI_CASES[0], MRI_CASES[1]], ids=str
)
def test_a_buried_layer_keeps_its_area_and_moves_by_the_mean(resolution):
    z0, s = 450 * NM, 8 * NM
    layer = np.exp(-0.5 * ((DEPTH - z0) / s) ** 2)
    measured = convolve_profile(DEPTH, layer, resolution, DEPTH)
    area = integrate.trapezoid(layer, DEPTH)
    seen = integrate.trapezoid(measured, DEPTH)
    centroid = integrate.trapezoid(DEPTH * measured, DEPTH) / seen
    spread = integrate.trapezoid((DEPTH - centroid) ** 2 * measured, DEPTH) / seen
    assert seen == pytest.approx(area, rel=1e-10, abs=0)  # measured ≤ 6e-12
    assert abs(centroid - (z0 + resolution.mean)) < 1e-9 * NM  # measured ≤ 1e-10 nm
    # the line through the samples is the layer convolved with a hat of variance d²/6; the
    # quadrature cells (h = √variance/400) broaden by about h²/3 more: ≤ 2e-6 of the total
    spread_expected = s**2 + resolution.variance + CELL**2 / 6
    assert spread == pytest.approx(spread_expected, rel=4e-6, abs=0)  # measured ≤ 1.6e-6


@pytest.mark.parametrize("resolution", [GaussianResolution(10 * NM), MRI_CASES[0]], ids=str)
def test_at_the_surface_the_resolution_function_is_renormalised_over_the_sample(resolution):
    uniform = np.full(DEPTH.size, 0.37)
    assert np.max(np.abs(convolve_profile(DEPTH, uniform, resolution, MEASURED) - 0.37)) < 1e-13
    # two species exchanged near the surface: their measured fractions still sum to one
    rb = 0.5 * special.erfc((DEPTH - 30 * NM) / (12 * NM))
    li = 1 - rb
    total = convolve_profile(DEPTH, rb, resolution, MEASURED) + convolve_profile(
        DEPTH, li, resolution, MEASURED
    )
    assert np.max(np.abs(total - 1)) < 1e-13
    # at z = 0 the Gaussian sees only the half below: the mean of X over it, not X/2
    if isinstance(resolution, GaussianResolution):
        sigma = resolution.roughness
        half = (
            2
            * integrate.quad(
                lambda z: np.interp(z, DEPTH, rb) * resolution.density(z), 0, 12 * sigma
            )[0]
        )
        assert convolve_profile(DEPTH, rb, resolution, [0.0])[0] == pytest.approx(
            half, rel=1e-6, abs=0
        )
