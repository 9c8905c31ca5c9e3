"""Edge-crack fracture mechanics of an exchanged plate: the closed-form quadrature, retained
strength, the intervals where the part beats annealed glass, failure probability, and the
refusals of bad input."""

import math

import numpy as np
import pytest
from scipy.special import erfc

from ionex.physics.fracture import (
    RetainedStrength,
    WeibullFlawDepths,
    edge_crack_weight_function,
    failure_probability,
    flaw_failure_probability,
    retained_strength,
    stress_intensity,
    unit_stress_intensity,
)
from ionex.validators import FieldError

T = 1e-3  # plate thickness (m)
K_IC = 0.75e6  # soda-lime glass (Pa·√m)


def erfc_plate(x, surface=-800e6, length=20e-6, thickness=T):
    """σ of a plate exchanged on both faces: σ₀[erfc(x/L) + erfc((t − x)/L)] + σ_c, with σ_c
    making it force-free (symmetric, so moment-free)."""
    u = thickness / length
    mean = 2 * surface * length * (u * erfc(u) - math.expm1(-(u**2)) / math.sqrt(math.pi))
    return surface * (erfc(x / length) + erfc((thickness - x) / length)) - mean / thickness


def test_piecewise_linear_profiles_are_integrated_exactly():
    # a uniform and a bending profile are linear: the closed form must give the unit K exactly,
    # on any grid, for flaws ending on or between its points
    x = np.sort(np.concatenate([[0.0, T], np.random.default_rng(1).uniform(0, T, 37)]))
    a = np.concatenate([np.linspace(1e-7, 0.95 * T, 50), x[1:-1][:5]])
    uniform = stress_intensity(x, np.full_like(x, 3e6), a, T)
    bending = stress_intensity(x, 3e6 * (1 - 2 * x / T), a, T)
    assert np.allclose(uniform, 3e6 * unit_stress_intensity(a, T), rtol=1e-12, atol=0)
    assert np.allclose(bending, 3e6 * unit_stress_intensity(a, T, "bending"), rtol=1e-12, atol=0)


def test_profile_held_constant_above_its_first_depth():
    # cell-centre grids start half a cell deep: σ is held at its first value up to the face
    x = np.linspace(5e-6, T - 5e-6, 100)
    a = np.array([3e-6, 50e-6])
    k = stress_intensity(x, np.full_like(x, -1e8), a, T)
    assert np.allclose(k, -1e8 * unit_stress_intensity(a, T), rtol=1e-12)


def test_weight_function_is_the_kernel_of_stress_intensity():
    # a narrow tent of stress at depth x0 gives K ≈ h(x0, a)·(its area)
    a, x0, w = 100e-6, 40e-6, 1e-8
    x = np.array([0.0, x0 - w, x0, x0 + w, T])
    k = stress_intensity(x, [0.0, 0.0, 1.0, 0.0, 0.0], a, T)
    assert k == pytest.approx(edge_crack_weight_function(x0, a, T) * w, rel=1e-6)
    assert edge_crack_weight_function(a, a, T) == 0.0


def test_quadrature_converges_at_second_order_in_the_profile_spacing():
    # the only error is the linear interpolation of σ: O(Δx²)
    a = np.array([10e-6, 30e-6, 80e-6, 400e-6])
    reference = stress_intensity(
        np.linspace(0, T, 64001), erfc_plate(np.linspace(0, T, 64001)), a, T
    )
    errors = []
    for n in (251, 501, 1001, 2001):
        x = np.linspace(0, T, n)
        errors.append(np.max(np.abs(stress_intensity(x, erfc_plate(x), a, T) - reference)))
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all((orders > 1.8) & (orders < 2.2)), orders


def test_many_flaw_depths_keep_their_shape():
    x = np.linspace(0, T, 400)
    a = np.linspace(1e-6, 0.5 * T, 12).reshape(3, 4)
    k = stress_intensity(x, erfc_plate(x), a, T)
    assert k.shape == (3, 4)
    assert k[1, 2] == pytest.approx(stress_intensity(x, erfc_plate(x), a[1, 2], T), rel=1e-12)
    assert np.ndim(stress_intensity(x, erfc_plate(x), 1e-5, T)) == 0


def test_zero_residual_stress_retains_the_annealed_strength():
    x = np.linspace(0, T, 50)
    a = np.geomspace(1e-6, 0.8 * T, 40)
    for loading in ("uniform", "bending"):
        r = retained_strength(x, np.zeros_like(x), T, a, K_IC, loading)
        assert np.array_equal(r.retained_strength, K_IC / unit_stress_intensity(a, T, loading))
        assert np.array_equal(r.annealed_strength, r.retained_strength)
        assert r.stronger_intervals == ()


def test_compressive_layer_strengthens_shallow_flaws():
    x = np.linspace(0, T, 2001)
    a = np.geomspace(1e-6, 0.3 * T, 300)
    sigma = erfc_plate(x, surface=-800e6, length=20e-6) + 60e6  # a tensile bias: K_res > 0 deep
    r = retained_strength(x, sigma, T, a, K_IC)
    assert len(r.stronger_intervals) == 1
    start, end = r.stronger_intervals[0]
    assert start == a[0]
    # the end is the linear zero of K_res between the bracketing flaw depths: its residual
    # is ≲ (Δa)²|K''|/8, a fraction ≈ (Δa/a)/8 ≈ 0.25 % of the bracket's jump in K
    i = np.searchsorted(a, end)
    assert r.k_residual[i - 1] < 0 <= r.k_residual[i]
    jump = r.k_residual[i] - r.k_residual[i - 1]
    assert abs(stress_intensity(x, sigma, end, T)) < 1e-2 * jump
    inside = a < end
    assert np.all(r.retained_strength[inside] > r.annealed_strength[inside])
    assert np.all(r.retained_strength[~inside] <= r.annealed_strength[~inside])
    # the compression adds its h-weighted mean over the crack, which (h > 0, σ monotonic on
    # [0, a]) lies between σ at the face and σ at the tip
    gain = r.retained_strength[0] - r.annealed_strength[0]
    assert -sigma[0] > gain > -np.interp(a[0], x, sigma)


def test_retained_strength_result_is_frozen():
    x = np.linspace(0, T, 20)
    r = retained_strength(x, erfc_plate(x), T, [1e-5, 2e-5], K_IC)
    with pytest.raises(AttributeError):
        r.loading = "bending"
    with pytest.raises(ValueError):
        r.retained_strength[0] = 0.0
    with pytest.raises(FieldError, match="k_unit"):
        RetainedStrength([1e-5], [0.0], [-1.0], [1.0], [1.0], ())


def test_weibull_failure_probability_of_annealed_glass_inverts_the_strength():
    # annealed glass: σ_f(a) falls with a, so F(σ) = P(a ≥ a*(σ)) with σ_f(a*) = σ
    flaws = WeibullFlawDepths(scale=20e-6, modulus=2.0)
    x = np.linspace(0, T, 10)
    a = np.geomspace(1e-7, 0.5 * T, 4000)
    r = retained_strength(x, np.zeros_like(x), T, a, K_IC)
    sigma = np.array([30e6, 60e6, 120e6])
    a_star = np.interp(sigma, r.retained_strength[::-1], a[::-1])
    expected = np.exp(-((a_star / flaws.scale) ** flaws.modulus))
    got = flaw_failure_probability(r, sigma, flaws)
    # σ_f linear between 4000 geometric depths: relative depth error ≲ (Δa/a)² ~ 1e-5
    assert got == pytest.approx(expected, rel=1e-4)
    n = 7
    assert failure_probability(r, sigma, flaws, n) == pytest.approx(
        1 - (1 - expected) ** n, rel=1e-4
    )


def test_sampled_flaw_depths_agree_with_the_distribution():
    # a sample at the distribution's quantiles (i + ½)/N reproduces F within 1/N
    flaws = WeibullFlawDepths(scale=15e-6, modulus=1.5)
    x = np.linspace(0, T, 1001)
    a = np.geomspace(1e-8, 0.6 * T, 3000)
    r = retained_strength(x, erfc_plate(x), T, a, K_IC, "bending")
    n = 20000
    q = (np.arange(n) + 0.5) / n
    sample = flaws.scale * (-np.log1p(-q)) ** (1 / flaws.modulus)
    sample = sample[(sample >= a[0]) & (sample <= a[-1])]
    sigma = np.linspace(0, 1.5e9, 31)
    from_sample = flaw_failure_probability(r, sigma, sample) * sample.size / n
    from_cdf = flaw_failure_probability(r, sigma, flaws)
    tail = 1 - flaws.cdf(a[-1]) + flaws.cdf(a[0])
    assert np.all(np.abs(from_sample - from_cdf) <= 1.0 / n + tail + 1e-4)
    assert np.all(np.diff(from_cdf) >= 0)


def test_bad_input_is_refused_with_the_field_named():
    x = np.linspace(0, T, 10)
    s = np.zeros_like(x)
    with pytest.raises(FieldError, match=r"flaw_depth\[1\]: found 0.001 m; expected .*0 < a < t"):
        stress_intensity(x, s, [1e-5, T], T)
    with pytest.raises(FieldError, match=r"flaw_depth: found 0 m; expected .*0 < a < t"):
        unit_stress_intensity(0.0, T)
    with pytest.raises(FieldError, match=r"flaw_depth\[0\]: found -1e-05 m"):
        retained_strength(x, s, T, [-1e-5, 1e-5], K_IC)
    with pytest.raises(FieldError, match=r"toughness: found 0 Pa·√m; expected .*K_Ic > 0"):
        retained_strength(x, s, T, [1e-5], 0.0)
    with pytest.raises(FieldError, match=r"toughness: found -750000"):
        retained_strength(x, s, T, [1e-5], -K_IC)
    with pytest.raises(FieldError, match=r"depth\[5\]: found .*expected depths increasing"):
        stress_intensity(np.r_[x[:5], x[3], x[6:]], s, 1e-5, T)
    with pytest.raises(FieldError, match=r"flaw_depth\[1\]: .*expected flaw depths increasing"):
        retained_strength(x, s, T, [2e-5, 1e-5], K_IC)
    with pytest.raises(FieldError, match=r"depth\[9\]: found 0.002 m; expected depths within"):
        stress_intensity(2 * x, s, 1e-5, T)
    with pytest.raises(FieldError, match=r"flaw_depth: found 0.0005 m; expected flaws no deeper"):
        stress_intensity(x[:4], s[:4], 5e-4, T)
    with pytest.raises(FieldError, match=r"loading: found 'torsion'; expected one of"):
        unit_stress_intensity(1e-5, T, "torsion")
    with pytest.raises(FieldError, match=r"thickness"):
        unit_stress_intensity(1e-5, -T)
    with pytest.raises(FieldError, match=r"flaws_per_part"):
        r = retained_strength(x, s, T, [1e-5, 2e-5], K_IC)
        failure_probability(r, 1e8, WeibullFlawDepths(1e-5, 2.0), 0)
    with pytest.raises(FieldError, match=r"flaws\[0\]: found 1e-06 m; expected sampled"):
        flaw_failure_probability(r, 1e8, [1e-6])
    with pytest.raises(FieldError, match=r"modulus"):
        WeibullFlawDepths(1e-5, 0.0)
