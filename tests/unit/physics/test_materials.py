"""Material and exchange presets: C_T counts ions (not oxide units), every value carries its
provenance, and the BK7 K+/Na+ set is the calibrated one."""

import math

import pytest

from ionex.constants import GAS_CONSTANT
from ionex.physics.materials import (
    BK7_677,
    BK7_K_NA,
    EXCHANGES,
    K2O_MOLAR_MASS,
    NA2O_MOLAR_MASS,
    SODA_LIME_589,
    exchange,
    oxide_cation_concentration,
)


def test_oxide_molar_masses():
    # IUPAC standard atomic weights: Na 22.98977, K 39.0983, O 15.999 g/mol
    assert NA2O_MOLAR_MASS == pytest.approx(61.979e-3, rel=1e-5)
    assert K2O_MOLAR_MASS == pytest.approx(94.196e-3, rel=1e-5)


def test_an_oxide_brings_two_cations_per_formula_unit():
    # 8 wt% Na2O at 2.51 g/cm³: 0.08 × 2510 / 0.061979 = 3240 mol/m³ of Na2O, 6480 of Na+
    assert oxide_cation_concentration(0.08, 2510.0, NA2O_MOLAR_MASS) == pytest.approx(
        2 * 0.08 * 2510 / 0.061979, rel=1e-5
    )
    assert oxide_cation_concentration(
        0.08, 2510.0, NA2O_MOLAR_MASS, cations_per_oxide=1
    ) == pytest.approx(3240, rel=1e-3)
    with pytest.raises(ValueError, match="mass fraction"):
        oxide_cation_concentration(8.0, 2510.0, NA2O_MOLAR_MASS)


def test_bk7_total_mobile_is_its_sodium():
    # 8 wt% Na2O at 2.51 g/cm³, mid-range of the 6–10.4 wt% quoted; the preset keeps three digits
    assert BK7_K_NA.total_mobile == pytest.approx(
        oxide_cation_concentration(0.08, 2510.0, NA2O_MOLAR_MASS), rel=1e-3
    )
    # the native K+ (8 wt% K2O, 4.26 mol/L) is not counted
    k_plus = oxide_cation_concentration(0.08, 2510.0, K2O_MOLAR_MASS)
    assert k_plus == pytest.approx(4263, rel=1e-3)
    assert (
        "K2O" in BK7_K_NA.provenance["total_mobile"]
        and "not counted" in BK7_K_NA.provenance["total_mobile"]
    )


def test_soda_lime_dilation_uses_sodium_ions():
    # B = Ω_AB·C_T/3 with Ω_AB = 3 cm³/mol and C_T = the Na+ of 13.5 wt% Na2O at 2.5 g/cm³
    c_t = oxide_cation_concentration(0.135, 2500.0, NA2O_MOLAR_MASS)
    assert c_t == pytest.approx(1.09e4, rel=1e-3)  # the examples' "10.9 mol/L"
    assert SODA_LIME_589.dilation == pytest.approx(3e-6 * c_t / 3, rel=1e-3)


def test_bk7_exchange_preset():
    assert exchange("BK7 K/Na") is BK7_K_NA and set(EXCHANGES) == {"BK7 K/Na"}
    with pytest.raises(ValueError, match="presets"):
        exchange("unobtainium")
    # D_Na/D_K = 10 with one Q: the same ratio at every temperature
    for t in (643.15, 686.25, 723.15):
        assert BK7_K_NA.host_coefficient(t) / BK7_K_NA.incoming_coefficient(t) == pytest.approx(
            10.0, rel=1e-12
        )
    # the calibration: D_K(413.1 °C) at the geometric middle of the 10-TE interval
    # [1.5565e-16, 1.8954e-16) m²/s (checked by tests/test_examples.py)
    d_k = BK7_K_NA.incoming_coefficient(413.1 + 273.15)
    assert d_k == pytest.approx(5.61e-7 * math.exp(-125e3 / (GAS_CONSTANT * 686.25)), rel=1e-12)
    assert d_k == pytest.approx(math.sqrt(1.5565e-16 * 1.8954e-16), rel=1e-3)
    # every value is a placeholder until the paper's Table 2 is found
    assert set(BK7_K_NA.unconfirmed()) == {
        "total_mobile",
        "incoming_d0",
        "incoming_q",
        "host_d0",
        "host_q",
    }


def test_bk7_dilation_implies_a_plausible_molar_volume_change():
    # B = Ω_AB·C_T/3 ⇒ Ω_AB = 3B/C_T ≈ 2.2 cm³/mol, near soda-lime's 3 (with the oxide count,
    # 3.2 mol/L, it would have been 4.5 cm³/mol)
    assert 3 * BK7_677.dilation / BK7_K_NA.total_mobile == pytest.approx(2.22e-6, rel=1e-2)
