"""Unit tests of ionex.solvers.iwkb: exactness on a linear profile, the surface-index options,
the cover phase, the stress and fit helpers, and clear refusals of bad input."""

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import brentq
from scipy.special import erfc

from ionex.solvers import iwkb
from ionex.physics.optics import wkb_phase
from ionex.solvers.iwkb import (
    fit_diffusion_profile,
    reconstruct_profile,
    stress_at_tm_turning_points,
)

WAVELENGTH = 677e-9
K0 = 2 * math.pi / WAVELENGTH
N_S, N_B = 1.5237, 1.5137
SLOPE = 0.01 / 20e-6  # dn/dx of the linear profile, 1/m: falls by 0.01 over 20 µm


def exact_phase(polarisation="TE", n_s=N_S):
    """φ(N) = 1/4 + arctan(ρ√((N² − 1)/(n_s² − N²)))/π under air, written out here."""
    rho = 1.0 if polarisation == "TE" else n_s**2
    return lambda N: (
        0.25 + math.atan(rho * math.sqrt((N * N - 1.0) / (n_s * n_s - N * N))) / math.pi
    )


def linear_modes(phase=exact_phase(), n_s=N_S, n_b=N_B):
    """N_m of n = n_s − g x (then n_b) by the WKB condition, the integral by quadrature (not iwkb's G).

    k0 ∫_0^{x_t} √(n² − N²) dx = (k0/g) ∫_N^{n_s} √(ν² − N²) dν, with ν = N + δs²,
    δ = n_s − N, which makes the integrand smooth at the turning point.
    """

    def mismatch(N, m):
        d = n_s - N
        f = lambda s: 2 * d * s * math.sqrt(d * s * s * (2 * N + d * s * s))
        return K0 / SLOPE * quad(f, 0.0, 1.0, epsabs=0, epsrel=1e-13)[0] - (m + phase(N)) * math.pi

    out = []
    for m in range(100):
        if mismatch(n_b + 1e-12, m) < 0:
            break
        out.append(brentq(mismatch, n_b + 1e-12, n_s - 1e-14, args=(m,), xtol=1e-15, rtol=1e-15))
    return np.array(out)


LINEAR = linear_modes()


# --------------------------------------------------------------------------- exactness


def test_segment_primitive_matches_quadrature():
    N = 1.514
    for nu in (1.514 + 1e-6, 1.515, 1.53, 2.0):
        d = nu - N  # t = N + d s²: smooth integrand at t = N
        ref = quad(
            lambda s: 2 * d * s * math.sqrt(d * s * s * (2 * N + d * s * s)),
            0,
            1,
            epsabs=0,
            epsrel=1e-13,
        )[0]
        assert iwkb._segment_primitive(nu, N) == pytest.approx(ref, rel=1e-9)


def test_linear_profile_is_recovered_exactly():
    """A linear profile is its own broken line: with exact segment integrals IWKB is exact."""
    assert 6 <= LINEAR.size <= 12
    recon = reconstruct_profile(LINEAR, WAVELENGTH, surface_index=N_S)
    assert recon.method == "given" and recon.surface_index == N_S
    assert recon.depth[0] == 0.0 and recon.index[0] == N_S
    np.testing.assert_allclose(recon.turning_points, (N_S - LINEAR) / SLOPE, rtol=1e-9)
    np.testing.assert_array_equal(recon.effective_indices, LINEAR)


@pytest.mark.parametrize("polarisation", ["TE", "TM"])
def test_linear_profile_exact_with_the_exact_cover_phase(polarisation):
    modes = linear_modes(lambda N: wkb_phase(N, N_S, 1.0, polarisation))
    recon = reconstruct_profile(modes, WAVELENGTH, surface_index=N_S, polarisation=polarisation)
    np.testing.assert_allclose(recon.turning_points, (N_S - modes) / SLOPE, rtol=1e-9)
    assert np.all(recon.phase < 0.75) and np.all(recon.phase > 0.25)


def test_reconstruction_is_the_exact_inverse_of_wkb_on_its_broken_line():
    """Feeding the broken line back into the WKB condition, with the exact cover phase it was
    built with, gives the modes back (to 1e-9 in the phase number)."""
    modes = N_B + 0.01 * erfc(
        np.array([0.25, 0.5, 0.72, 0.92, 1.12, 1.33, 1.56])
    )  # erfc-like spacing
    recon = reconstruct_profile(modes, WAVELENGTH, surface_index=N_B + 0.0108)
    x, n = recon.depth, recon.index
    for m, N in enumerate(modes):
        total = 0.0
        for k in range(m + 1):  # segments above N_m, integrated by quadrature
            line = lambda t: n[k] + (n[k + 1] - n[k]) * (t - x[k]) / (x[k + 1] - x[k])
            f = lambda t: math.sqrt(max(line(t) ** 2 - N * N, 0.0))
            total += quad(f, x[k], x[k + 1], epsabs=0, epsrel=1e-13, limit=200)[0]
        assert K0 * total / math.pi - m == pytest.approx(recon.phase[m], abs=1e-9)


# --------------------------------------------------------------------------- surface index


def test_chiang_default_is_nearly_exact_for_a_linear_profile():
    """n_s − N ∝ (m + φ)^(2/3) for a linear profile (up to O(Δn/n)): the cubic in t recovers n_s."""
    recon = reconstruct_profile(LINEAR, WAVELENGTH)
    assert recon.method == "chiang"
    assert abs(recon.surface_index - N_S) < 1e-9  # measured 4e-11
    np.testing.assert_allclose(recon.turning_points, (N_S - LINEAR) / SLOPE, rtol=1e-6)
    # Chiang's q (exponent 1, quadratic) cannot follow the (m + φ)^(2/3) law: 0.11 Δn low
    in_q = reconstruct_profile(LINEAR, WAVELENGTH, chiang_exponent=1.0, chiang_degree=2)
    assert -0.13 < (in_q.surface_index - N_S) / (N_S - N_B) < -0.09


def test_chiang_with_a_constant_phase_extrapolates_to_minus_phi():
    """The extrapolation itself: with φ constant the surface is q = −φ, so modes computed with
    φ = 0.6 give n_s back (the public reconstruction always uses the exact phase)."""
    modes = linear_modes(lambda N: 0.6)
    n_s = iwkb._chiang_surface_index(
        modes, lambda n_s: np.full(modes.shape, 0.6), 3, iwkb.CHIANG_EXPONENT
    )
    assert abs(n_s - N_S) < 1e-6


def test_chiang_with_the_exact_phase_converges_to_a_fixed_point():
    modes = linear_modes(lambda N: wkb_phase(N, N_S, 1.0, "TE"))
    recon = reconstruct_profile(modes, WAVELENGTH)
    assert abs(recon.surface_index - N_S) < 2e-6
    np.testing.assert_allclose(
        recon.phase, wkb_phase(modes, recon.surface_index), rtol=0, atol=1e-15
    )


def test_chiang_degree_follows_the_mode_count():
    three = LINEAR[:3]
    recon = reconstruct_profile(three, WAVELENGTH)  # degree 1 with 3 modes
    assert recon.surface_index > three[0]
    with pytest.raises(ValueError, match="chiang_degree must be an integer from 1 to 2"):
        reconstruct_profile(three, WAVELENGTH, chiang_degree=3)


def test_smooth_surface_index_minimises_the_roughness_of_the_depths():
    modes = N_B + 0.01 * erfc(
        np.array([0.25, 0.5, 0.72, 0.92, 1.12, 1.33, 1.56])
    )  # erfc-like spacing
    recon = reconstruct_profile(modes, WAVELENGTH, surface_index="smooth")
    assert recon.method == "smooth" and recon.surface_index > modes[0]

    def roughness(n_s):
        x = reconstruct_profile(modes, WAVELENGTH, surface_index=n_s).turning_points
        return np.sum(np.diff(x, 2) ** 2)

    best = roughness(recon.surface_index)
    step = 0.02 * (modes[0] - modes[1])
    assert best <= roughness(recon.surface_index + step) and best <= roughness(
        recon.surface_index - step
    )


def test_smooth_on_a_linear_profile_is_close():
    recon = reconstruct_profile(LINEAR, WAVELENGTH, surface_index="smooth")
    assert abs(recon.surface_index - N_S) < 0.05 * (N_S - N_B)


# --------------------------------------------------------------------------- cover phase


def test_wkb_phase_limits_and_polarisation():
    assert wkb_phase(1.52, 1.52) == 0.75  # N = n_s: the cover reflects totally, arctan(∞) = π/2
    assert wkb_phase(1.52, 1.52 + 1e-12) == pytest.approx(0.75, abs=1e-6)
    with pytest.raises(ValueError, match="polarisation: found .*; expected TE or TM"):
        wkb_phase(1.515, 1.5237, 1.0, "te")
    te, tm = wkb_phase(1.515, 1.5237, 1.0, "TE"), wkb_phase(1.515, 1.5237, 1.0, "TM")
    assert 0.25 < te < tm < 0.75  # TM reflects more strongly at the air interface (ρ > 1)
    # a hand value: √((1.515² − 1)/(1.5237² − 1.515²)) = 7.0117…, arctan/π = 0.45473…
    r = math.sqrt((1.515**2 - 1) / (1.5237**2 - 1.515**2))
    assert te == pytest.approx(0.25 + math.atan(r) / math.pi, rel=1e-14)
    assert tm == pytest.approx(0.25 + math.atan((1.5237**2) * r) / math.pi, rel=1e-14)


# --------------------------------------------------------------------------- profile helpers


def test_index_at_interpolates_on_the_broken_line():
    recon = reconstruct_profile(LINEAR, WAVELENGTH, surface_index=N_S)
    x = np.array([0.0, 3e-6, 11e-6, recon.depth[-1]])
    np.testing.assert_allclose(recon.index_at(x), N_S - SLOPE * x, rtol=0, atol=1e-12)
    assert np.isnan(recon.index_at(recon.depth[-1] * 1.01))
    assert np.isnan(recon.index_at(-1e-6))


# --------------------------------------------------------------------------- stress


def test_one_profile_for_te_and_tm_gives_zero_stress():
    """TE and TM modes of the same (linear, unstressed) profile, each with its own exact cover
    phase: σ = 0 at every TM turning point, although the two mode lists differ."""
    tm = linear_modes(exact_phase("TM"))
    assert np.max(np.abs(tm[: LINEAR.size] - LINEAR[: tm.size])) > 1e-6  # the phases differ
    x, s = stress_at_tm_turning_points(
        LINEAR, tm, WAVELENGTH, -0.5e-12, -3.3e-12, surface_index=(N_S, N_S)
    )
    np.testing.assert_allclose(s, 0.0, atol=1e-3)
    # each TM mode lies below its TE partner (a larger cover phase), so the last TM turning
    # point falls beyond the deepest TE point: dropped, not extrapolated
    assert np.all(tm < LINEAR) and x.size == tm.size - 1


def test_tm_above_te_means_compression():
    """n_TM > n_TE by a uniform δ: σ = −δ/(C∥ − C⊥) < 0 at every TM turning point."""
    delta = 2.8e-4  # ↔ −100 MPa
    # the same linear profile, raised by δ
    tm = linear_modes(exact_phase("TM", N_S + delta), n_s=N_S + delta, n_b=N_B + delta)
    x, s = stress_at_tm_turning_points(
        LINEAR, tm, WAVELENGTH, -0.5e-12, -3.3e-12, surface_index=(N_S, N_S + delta)
    )
    np.testing.assert_allclose(s, -100e6, rtol=1e-6)  # both linear: IWKB is exact, so is σ


def test_stress_refuses_bad_constants_and_names_the_polarisation():
    with pytest.raises(ValueError, match="c_parallel and c_perp must be finite and differ"):
        stress_at_tm_turning_points(LINEAR, LINEAR, WAVELENGTH, 1e-12, 1e-12)
    with pytest.raises(ValueError, match="interpolation must be"):
        stress_at_tm_turning_points(
            LINEAR, LINEAR, WAVELENGTH, -0.5e-12, -3.3e-12, interpolation="cubic"
        )
    with pytest.raises(ValueError, match=r"a pair \(n_s TE, n_s TM\)"):
        stress_at_tm_turning_points(
            LINEAR, LINEAR, WAVELENGTH, -0.5e-12, -3.3e-12, surface_index=1.53
        )
    with pytest.raises(ValueError, match=r"^TM modes: .*decrease strictly"):
        stress_at_tm_turning_points(LINEAR, LINEAR[::-1], WAVELENGTH, -0.5e-12, -3.3e-12)


# --------------------------------------------------------------------------- diffusion fit


def recon_from_points(depth, index):
    return iwkb.ReconstructedProfile(
        depth=np.asarray(depth),
        index=np.asarray(index),
        surface_index=float(index[0]),
        method="given",
        wavelength=WAVELENGTH,
        polarisation="TE",
        phase=np.full(len(depth) - 1, 0.75),
    )


@pytest.mark.parametrize("model, f", [("erfc", erfc), ("gaussian", lambda u: np.exp(-u * u))])
def test_fit_recovers_exact_points(model, f):
    x = np.linspace(0, 40e-6, 12)
    recon = recon_from_points(x, 1.5137 + 0.0095 * f(x / 15e-6))
    fit = fit_diffusion_profile(recon, model)
    assert fit.model == model and fit.points == 12
    assert fit.index_change == pytest.approx(0.0095, rel=1e-8)
    assert fit.width == pytest.approx(15e-6, rel=1e-8)
    assert fit.background_index == pytest.approx(1.5137, abs=1e-10)
    assert fit.index_change_error < 1e-9 and fit.residual_rms < 1e-12
    np.testing.assert_allclose(fit.index(x), recon.index, atol=1e-11)


def test_fit_with_known_background_and_custom_shape():
    shape = lambda u: 1.0 / (1.0 + u * u)
    x = np.linspace(0, 40e-6, 10)
    recon = recon_from_points(x, 1.5137 + 0.008 * shape(x / 9e-6))
    fit = fit_diffusion_profile(recon, shape, background_index=1.5137, include_surface=False)
    assert fit.points == 9 and fit.background_index == 1.5137 and fit.background_index_error == 0.0
    assert fit.width == pytest.approx(9e-6, rel=1e-8) and fit.index_change == pytest.approx(
        0.008, rel=1e-8
    )


def test_fit_standard_errors_scale_with_the_noise():
    """Seeded noise of 1e-5: the errors are recovered within 3 standard errors and SE ∝ noise."""
    rng = np.random.default_rng(11)
    x = np.linspace(0, 40e-6, 15)
    clean = 1.5137 + 0.01 * erfc(x / 15e-6)
    noisy = [recon_from_points(x, clean + s * rng.standard_normal(x.size)) for s in (1e-5, 1e-4)]
    fits = [fit_diffusion_profile(recon, "erfc") for recon in noisy]
    for fit in fits:
        assert abs(fit.index_change - 0.01) < 3 * fit.index_change_error
        assert abs(fit.width - 15e-6) < 3 * fit.width_error
    assert 3 < fits[1].width_error / fits[0].width_error < 30


def test_fit_refuses_unknown_model_and_too_few_points():
    recon = recon_from_points([0.0, 5e-6], [1.5237, 1.52])
    with pytest.raises(ValueError, match="model must be 'erfc', 'gaussian' or a callable"):
        fit_diffusion_profile(recon, "lorentzian")
    with pytest.raises(ValueError, match="needs at least 3 points, got 2"):
        fit_diffusion_profile(recon, "erfc")


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "modes, kwargs, words",
    [
        (
            [1.520, 1.518, 1.519, 1.515],
            {},
            r"mode 2 breaks it: N_2 = 1\.5190000 ≥ N_1 = 1\.5180000",
        ),
        ([1.520, 1.518, 1.518], {}, r"decrease strictly.*mode 2"),
        ([1.520], {"surface_index": 1.53}, r"at least 2 modes .* got 1"),
        (
            [1.520, 1.518],
            {},
            r"at least 3 modes to extrapolate the surface index \(Chiang\), got 2",
        ),
        ([1.520, 1.518], {"surface_index": "smooth"}, r"at least 3 modes .*smoothness.*got 2"),
        ([1.520, float("nan"), 1.515], {}, r"mode 1 is not finite"),
        ([1.520, 1.518, float("inf")], {}, r"mode 2 is not finite"),
        ([[1.52, 1.51]], {}, r"1-D"),
        (
            [1.520, 1.518, 1.515],
            {"surface_index": 1.519},
            r"must exceed the fundamental .* N_0 = 1\.5200000",
        ),
        ([1.520, 1.518, 1.515], {"surface_index": "guess"}, r"'chiang', 'smooth' or a number"),
        ([1.520, 1.518, 1.515], {"cover_index": 1.6}, r"cover_index must be .* below every"),
        (
            [1.520, 1.518, 1.515],
            {"cover_index": float("nan")},
            r"cover_index must be .* below every",
        ),
        (
            [1.520, 1.518, 1.515],
            {"polarisation": "TEM"},
            r"polarisation: found 'TEM'; expected TE or TM",
        ),
        (
            [1.520, 1.518, 1.515],
            {"chiang_exponent": 0.0},
            r"chiang_exponent must be a positive number",
        ),
    ],
)
def test_bad_modes_are_refused_with_a_clear_message(modes, kwargs, words):
    with pytest.raises(ValueError, match=words):
        reconstruct_profile(modes, WAVELENGTH, **kwargs)


@pytest.mark.parametrize("wavelength", [0.0, -677e-9, float("nan")])
def test_bad_wavelength(wavelength):
    with pytest.raises(ValueError, match="wavelength must be a positive length in m"):
        reconstruct_profile(LINEAR, wavelength, surface_index=N_S)


def test_modes_no_monotone_profile_can_produce():
    """n_s just above N_0 sends x_0 deeper than x_1: refused, naming the mode and the depths."""
    with pytest.raises(ValueError) as info:
        reconstruct_profile(LINEAR, WAVELENGTH, surface_index=LINEAR[0] + 1e-7)
    msg = str(info.value)
    assert "not consistent with an index profile that decreases monotonically" in msg
    assert "mode 1 (N_1 = " in msg and "not deeper than mode 0" in msg and "µm" in msg
