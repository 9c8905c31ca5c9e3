"""The strength workflow: retained strength, K_I at an applied stress, CS/DOC/CT/W_t and
the frangibility verdicts of a profile.

References: a profile of no residual stress (the exchanged plate is the annealed one), the
closed forms of a parabolic (tempered-like) profile — CS = 2·CT, DOC = t/2·(1 − 1/√3),
W_t = 8/(15√3)·(1−ν)/E·CT²·t — and K_I(a) = K_res(a) + σ_a·K_unit(a) at the critical flaw."""

import math

import numpy as np
import pytest

from ionex.physics.fracture import unit_stress_intensity
from ionex.physics.frangibility import (
    ASAHI_ENERGY_INDEX,
    ParabolicProfile,
    VerdictKind,
    energy_index,
)
from ionex.physics.stress import ElasticGlass
from ionex.process.strength import (
    DEEPEST_FLAW_FRACTION,
    Loading,
    StrengthOptions,
    assess_strength,
)
from ionex.validators import FieldError

T = 1.0e-3
GLASS = ElasticGlass(72e9, 0.22, 0.0)


def _grid(n=4001):
    return np.linspace(0.0, T, n)


def test_without_residual_stress_the_plate_is_as_strong_as_annealed_glass():
    depth = _grid()
    report = assess_strength(depth, np.zeros_like(depth), T, StrengthOptions(toughness=0.8e6))
    curve = report.retained
    np.testing.assert_allclose(curve.retained_strength, curve.annealed_strength, rtol=1e-12)
    np.testing.assert_allclose(
        curve.annealed_strength, 0.8e6 / unit_stress_intensity(curve.flaw_depth, T), rtol=1e-12
    )
    assert curve.stronger_intervals == ()
    assert curve.flaw_depth[-1] == pytest.approx(DEEPEST_FLAW_FRACTION * T, rel=1e-12)
    assert report.frangibility == () and "no E and ν" in report.frangibility_note


def test_parabolic_profile_cs_doc_ct_and_energy_against_closed_forms():
    """On 4001 points with the mid-plane on a grid point: CT exact, CS = 2·CT, DOC within
    the linear interpolation's bound, W_t within the trapezoid rule's (Δx/h)³ bound."""
    ct = 60e6
    parabola = ParabolicProfile(ct, T)
    depth = _grid()
    report = assess_strength(depth, parabola.stress(depth), T, StrengthOptions(), GLASS)
    assert report.central_tension == pytest.approx(ct, rel=1e-12)
    assert report.compressive_stress == pytest.approx(2 * ct, rel=1e-12)
    h = T / 2
    dx = depth[1]
    assert report.depth_of_compression == pytest.approx(h * (1 - 1 / math.sqrt(3)), abs=dx**2 / h)
    closed = 8 / (15 * math.sqrt(3)) * (1 - 0.22) / 72e9 * ct**2 * T
    assert report.tensile_energy == pytest.approx(closed, rel=20 * (dx / h) ** 3)
    assert report.tensile_energy == pytest.approx(parabola.tensile_energy(GLASS), rel=1e-6)
    assert {v.kind for v in report.frangibility} <= set(VerdictKind)
    # the energy index is read with the core's mean tension CT₅ = 2·CT/3 of the parabola
    (index,) = [v for v in report.frangibility if v.criterion is ASAHI_ENERGY_INDEX]
    doc = report.depth_of_compression
    assert index.value == pytest.approx(energy_index(2 * ct / 3, T, doc), rel=1e-6)
    assert len(report.frangibility) == 3


def test_the_critical_flaw_is_where_k_i_reaches_the_toughness():
    """A compressive layer: K_I(a) = K_res + σ_a·K_unit crosses K_Ic between the critical
    flaw and the flaw before it; the curve's K_I is that sum."""
    depth = _grid()
    stress = np.where(depth < 50e-6, -500e6, 0.0)
    stress = stress - np.trapezoid(stress, depth) / T  # force balance
    opts = StrengthOptions(toughness=0.75e6, loading=Loading.BENDING, applied_stress=250e6)
    report = assess_strength(depth, stress, T, opts, GLASS)
    curve = report.retained
    np.testing.assert_allclose(
        report.stress_intensity, curve.k_residual + 250e6 * curve.k_unit, rtol=1e-12
    )
    i = int(np.flatnonzero(curve.flaw_depth == report.critical_flaw_depth)[0])
    assert report.stress_intensity[i] >= 0.75e6 > report.stress_intensity[i - 1]
    # the compression protects flaws shallower than the layer
    assert report.critical_flaw_depth > 20e-6
    no_load = assess_strength(depth, stress, T, StrengthOptions(toughness=0.75e6), GLASS)
    assert no_load.critical_flaw_depth is None


def test_a_profile_short_of_the_mid_plane_has_no_ct_or_verdicts():
    depth = np.linspace(0.0, 100e-6, 201)
    stress = -300e6 * (1 - depth / 100e-6)
    report = assess_strength(depth, stress, T, StrengthOptions(), GLASS, spans_plate=False)
    assert report.central_tension is None and report.tensile_energy is None
    assert report.frangibility == () and "does not span" in report.frangibility_note
    assert report.retained.flaw_depth[-1] == pytest.approx(100e-6, rel=1e-12)


@pytest.mark.parametrize(
    "values, field",
    [
        ({"toughness": 0.0}, "toughness"),
        ({"toughness": -1e6}, "toughness"),
        ({"applied_stress": -5e6}, "applied_stress"),
        ({"points": 1}, "points"),
        ({"loading": "bending"}, "loading"),
        ({"shallowest": 2e-6, "deepest": 1e-6}, "deepest"),
    ],
)
def test_bad_options_name_their_field(values, field):
    with pytest.raises(FieldError) as err:
        StrengthOptions(**values)
    assert err.value.field == field


def test_flaws_beyond_the_weight_function_s_range_or_the_profile_are_refused():
    depth = _grid()
    with pytest.raises(FieldError, match="0.6 of the thickness"):
        assess_strength(depth, np.zeros_like(depth), T, StrengthOptions(deepest=0.8e-3))
    short = np.linspace(0.0, 100e-6, 11)
    with pytest.raises(FieldError, match="deepest point of the stress profile"):
        assess_strength(
            short, np.zeros_like(short), T, StrengthOptions(deepest=200e-6), spans_plate=False
        )
