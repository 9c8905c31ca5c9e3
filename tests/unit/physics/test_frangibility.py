"""Frangibility criteria: the published limits in SI, one verdict per criterion at, below and
above each limit and outside its range, and refused inputs named by their field."""

import dataclasses
import math

import numpy as np
import pytest

from ionex.physics.frangibility import (
    ASAHI_ENERGY_INDEX,
    BAREFOOT_LINEAR_CT,
    LOGARITHMIC_CT,
    PUBLISHED_CRITERIA,
    FrangibilityCriterion,
    LimitedQuantity,
    ParabolicProfile,
    VerdictKind,
    assess_frangibility,
    energy_index,
)
from ionex.validators import FieldError

MM = 1e-3
UM = 1e-6
ENERGY_CRITERION = FrangibilityCriterion(
    name="a W_t threshold",
    citation="a threshold of the caller's own, for the test",
    quantity=LimitedQuantity.TENSILE_STRAIN_ENERGY,
    constant=10.0,
)


def verdict(criterion, ct=30e6, energy=5.0, thickness=0.6 * MM, doc=30 * UM):
    (only,) = assess_frangibility(ct, energy, thickness, doc, criteria=(criterion,))
    return only


# --------------------------------------------------------------------- the limits in SI


def test_the_linear_limit_in_si_reproduces_the_published_mm_formula():
    # −15.7 (MPa/mm)·t(mm) + 52.5 MPa
    for t_mm in (0.5, 0.6, 0.8, 1.0):
        expected = (-15.7 * t_mm + 52.5) * 1e6
        assert BAREFOOT_LINEAR_CT.limit(t_mm * MM) == pytest.approx(expected, rel=1e-14)


def test_the_logarithmic_limit_in_si_reproduces_the_published_formula():
    # −38.7·ln(t/1000) + 48.2 MPa, t in µm
    for t_um in (300.0, 500.0, 800.0, 1000.0):
        expected = (-38.7 * math.log(t_um / 1000.0) + 48.2) * 1e6
        assert LOGARITHMIC_CT.limit(t_um * UM) == pytest.approx(expected, rel=1e-14)
    assert LOGARITHMIC_CT.limit(1 * MM) == pytest.approx(48.2e6, rel=1e-15)


def test_the_energy_index_in_si_is_the_patent_kj_per_m2_times_1000():
    # rE = CT5·(t − 2·DOL)²/(1000·t) kJ/m² with CT in MPa, t and DOL in µm; limit 23.3·t/1000 + 15
    ct_mpa, t_um, dol_um = 60.0, 800.0, 100.0
    patent = ct_mpa * (t_um - 2 * dol_um) ** 2 / (1000.0 * t_um)
    assert energy_index(ct_mpa * 1e6, t_um * UM, dol_um * UM) == pytest.approx(patent * 1e3)
    assert ASAHI_ENERGY_INDEX.limit(t_um * UM) == pytest.approx((23.3 * 0.8 + 15.0) * 1e3)


def test_limit_takes_arrays():
    t = np.array([0.5, 0.6, 0.7]) * MM
    np.testing.assert_allclose(BAREFOOT_LINEAR_CT.limit(t), (-15.7 * t / MM + 52.5) * 1e6)


def test_the_published_criteria_carry_their_citation_and_range():
    for criterion in PUBLISHED_CRITERIA:
        assert criterion.confirmed
        assert "US" in criterion.citation or "WO" in criterion.citation
        lo, hi = criterion.thickness_range
        assert 0.0 <= lo < hi <= 1 * MM
    assert BAREFOOT_LINEAR_CT.thickness_range == pytest.approx((0.5 * MM, 0.8 * MM))
    assert "8,075,999" in BAREFOOT_LINEAR_CT.citation  # named, and marked unconfirmed
    assert "Unconfirmed" in BAREFOOT_LINEAR_CT.citation


# ------------------------------------------------------------------- at, below, above


@pytest.mark.parametrize("criterion", [BAREFOOT_LINEAR_CT, LOGARITHMIC_CT])
def test_central_tension_at_below_and_above_the_limit(criterion):
    t = 0.6 * MM
    limit = criterion.limit(t)
    at = verdict(criterion, ct=limit, thickness=t)
    assert at.kind is VerdictKind.BELOW_LIMIT  # the published criteria read CT ≤ limit
    assert at.margin == 0.0 and at.limit == limit and at.value == limit
    below = verdict(criterion, ct=0.9 * limit, thickness=t)
    assert below.kind is VerdictKind.BELOW_LIMIT
    assert below.margin == pytest.approx(0.1 * limit)
    above = verdict(criterion, ct=np.nextafter(limit, math.inf), thickness=t)
    assert above.kind is VerdictKind.ABOVE_LIMIT
    assert above.margin < 0
    assert "MPa" in above.reason and ">" in above.reason


def test_tensile_energy_at_below_and_above_a_threshold():
    assert verdict(ENERGY_CRITERION, energy=10.0).kind is VerdictKind.BELOW_LIMIT
    low = verdict(ENERGY_CRITERION, energy=4.0)
    assert low.kind is VerdictKind.BELOW_LIMIT and low.margin == pytest.approx(6.0)
    high = verdict(ENERGY_CRITERION, energy=10.5)
    assert high.kind is VerdictKind.ABOVE_LIMIT and high.margin == pytest.approx(-0.5)
    assert "J/m²" in high.reason


def test_energy_index_at_below_and_above_the_limit():
    t, doc = 0.8 * MM, 120 * UM
    limit = ASAHI_ENERGY_INDEX.limit(t)
    ct = limit * t / (t - 2 * doc) ** 2
    while energy_index(ct, t, doc) > limit:  # the largest CT whose rE is still ≤ the limit
        ct = np.nextafter(ct, 0.0)
    at = verdict(ASAHI_ENERGY_INDEX, ct=ct, thickness=t, doc=doc)
    assert at.kind is VerdictKind.BELOW_LIMIT and abs(at.margin) <= 1e-12 * limit
    above = verdict(ASAHI_ENERGY_INDEX, ct=ct * (1 + 1e-9), thickness=t, doc=doc)
    assert above.kind is VerdictKind.ABOVE_LIMIT and above.margin < 0
    below = verdict(ASAHI_ENERGY_INDEX, ct=0.5 * ct, thickness=t, doc=doc)
    assert below.kind is VerdictKind.BELOW_LIMIT
    assert below.value == pytest.approx(0.5 * at.value)


# ----------------------------------------------------------------------- outside range


def test_thickness_outside_the_range_is_no_verdict_on_the_limit():
    thick = verdict(BAREFOOT_LINEAR_CT, ct=80e6, thickness=1.0 * MM)
    assert thick.kind is VerdictKind.OUTSIDE_RANGE
    assert "thickness" in thick.reason and "0.5–0.8 mm" in thick.reason
    assert thick.limit == pytest.approx(36.8e6)  # still reported, extrapolated
    assert thick.margin == pytest.approx(36.8e6 - 80e6)
    thin = verdict(BAREFOOT_LINEAR_CT, ct=10e6, thickness=0.4 * MM)
    assert thin.kind is VerdictKind.OUTSIDE_RANGE
    for criterion in (LOGARITHMIC_CT, ASAHI_ENERGY_INDEX):
        assert verdict(criterion, thickness=1.2 * MM).kind is VerdictKind.OUTSIDE_RANGE


def test_a_deep_two_step_profile_is_outside_the_ct_criteria():
    # a Li-aluminosilicate plate, K+ spike on a Na+ layer: DOC ≈ 0.16·t, CT well above the lines
    t, doc, ct = 0.7 * MM, 112 * UM, 85e6
    by_name = {
        v.criterion.name: v for v in assess_frangibility(ct, 20.0, t, doc, PUBLISHED_CRITERIA)
    }
    for criterion in (BAREFOOT_LINEAR_CT, LOGARITHMIC_CT):
        v = by_name[criterion.name]
        assert v.kind is VerdictKind.OUTSIDE_RANGE
        assert "DOC/t = 0.16" in v.reason and "two-step" in v.reason
    rE = by_name[ASAHI_ENERGY_INDEX.name]
    assert rE.kind is not VerdictKind.OUTSIDE_RANGE
    assert rE.value == pytest.approx(ct * (t - 2 * doc) ** 2 / t)


def test_the_depth_bound_is_inclusive():
    t = 0.6 * MM
    v = verdict(BAREFOOT_LINEAR_CT, thickness=t, doc=0.1 * t)
    assert v.kind is VerdictKind.BELOW_LIMIT


def test_one_verdict_per_criterion_in_the_order_given():
    order = (ENERGY_CRITERION, LOGARITHMIC_CT, BAREFOOT_LINEAR_CT)
    out = assess_frangibility(30e6, 5.0, 0.6 * MM, 30 * UM, criteria=order)
    assert tuple(v.criterion for v in out) == order
    assert assess_frangibility(30e6, 5.0, 0.6 * MM, 30 * UM, criteria=()) == ()


def test_verdict_kinds_read_as_the_words_of_the_criteria():
    assert VerdictKind.BELOW_LIMIT.value == "below limit"
    assert VerdictKind.ABOVE_LIMIT.value == "above limit (frangible)"
    assert VerdictKind.OUTSIDE_RANGE.value == "outside the criterion's range"


# ------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "field, args",
    [
        ("thickness", (30e6, 5.0, 0.0, 0.0)),
        ("thickness", (30e6, 5.0, -0.6 * MM, 30 * UM)),
        ("thickness", (30e6, 5.0, math.nan, 30 * UM)),
        ("thickness", (30e6, 5.0, math.inf, 30 * UM)),
        ("central_tension", (-1.0, 5.0, 0.6 * MM, 30 * UM)),
        ("central_tension", (math.nan, 5.0, 0.6 * MM, 30 * UM)),
        ("central_tension", (True, 5.0, 0.6 * MM, 30 * UM)),
        ("tensile_energy", (30e6, -0.1, 0.6 * MM, 30 * UM)),
        ("tensile_energy", (30e6, math.nan, 0.6 * MM, 30 * UM)),
        ("depth_of_compression", (30e6, 5.0, 0.6 * MM, -1 * UM)),
        ("depth_of_compression", (30e6, 5.0, 0.6 * MM, math.nan)),
        ("depth_of_compression", (30e6, 5.0, 0.6 * MM, 0.6 * MM)),
    ],
)
def test_bad_input_names_its_field(field, args):
    with pytest.raises(FieldError) as err:
        assess_frangibility(*args)
    assert err.value.field == field
    assert str(err.value).startswith(field)


def test_a_criteria_entry_that_is_not_a_criterion_is_refused():
    with pytest.raises(FieldError) as err:
        assess_frangibility(30e6, 5.0, 0.6 * MM, 30 * UM, criteria=("Barefoot",))
    assert err.value.field == "criteria"


@pytest.mark.parametrize(
    "field, change",
    [
        ("name", {"name": " "}),
        ("citation", {"citation": ""}),
        ("quantity", {"quantity": "central tension"}),
        ("constant", {"constant": math.nan}),
        ("thickness_slope", {"thickness_slope": math.inf}),
        ("log_thickness_slope", {"log_thickness_slope": math.nan}),
        ("thickness_range", {"thickness_range": (0.8 * MM, 0.5 * MM)}),
        ("thickness_range", {"thickness_range": (-1 * MM, 1 * MM)}),
        ("thickness_range", {"thickness_range": (0.5 * MM,)}),
        ("max_depth_fraction", {"max_depth_fraction": 0.0}),
        ("max_depth_fraction", {"max_depth_fraction": 0.7}),
        ("confirmed", {"confirmed": "yes"}),
    ],
)
def test_a_criterion_validates_its_fields(field, change):
    with pytest.raises(FieldError) as err:
        dataclasses.replace(BAREFOOT_LINEAR_CT, **change)
    assert err.value.field == field


def test_criteria_and_verdicts_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        BAREFOOT_LINEAR_CT.constant = 60e6
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdict(LOGARITHMIC_CT).kind = VerdictKind.ABOVE_LIMIT
    assert hash(BAREFOOT_LINEAR_CT) == hash(dataclasses.replace(BAREFOOT_LINEAR_CT))


# ------------------------------------------------------------------ parabolic profile


def test_parabolic_profile_closed_forms():
    p = ParabolicProfile(central_tension=60e6, thickness=1 * MM)
    assert p.stress(0.5 * MM) == pytest.approx(60e6)
    assert p.stress([0.0, 1 * MM]) == pytest.approx([-120e6, -120e6])
    assert p.compressive_stress == 120e6
    assert p.stress(p.depth_of_compression) == pytest.approx(0.0, abs=1e-6)
    assert p.depth_of_compression == pytest.approx(0.5 * MM * (1 - 1 / math.sqrt(3)))


@pytest.mark.parametrize(
    "field, args",
    [
        ("central_tension", (-1.0, 1 * MM)),
        ("thickness", (60e6, 0.0)),
        ("thickness", (60e6, math.nan)),
    ],
)
def test_parabolic_profile_validates_its_fields(field, args):
    with pytest.raises(FieldError) as err:
        ParabolicProfile(*args)
    assert err.value.field == field
