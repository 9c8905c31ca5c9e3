"""Unit tests of ionex.physics.site_energy (docs/physics.md §2.3–2.5, Gunawan et al. (2026)).

Expected values are the numbers printed in docs/physics.md, or closed forms written out here
(erfc, Arrhenius, Q/(eAn)); the implementation is not used to build an expectation.
Each tolerance is stated with its origin next to the assertion.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import erfc

from ionex.physics.site_energy import (
    DOUBLE_CAIT_LI3B7O12,
    ELECTRON_VOLT,
    CarriedFill,
    FallOff,
    FullAtReference,
    Occupation,
    SiteEnergyDiffusion,
    SiteEnergyDistribution,
    diffusion_coefficient,
    diffusion_coefficient_and_derivative,
    diffusion_coefficient_derivative,
    equivalent_exchange_depth,
    fall_off_factor,
    fermi_level_shift,
)

K_B_EV = 8.617333262e-5  # eV/K, CODATA 2018 (written out: the test does not borrow the constant)
T50 = 323.15  # K, 50 °C
KT50 = K_B_EV * T50  # 27.85 meV
P = DOUBLE_CAIT_LI3B7O12
# docs/physics.md prints ΔE_F to 1 meV; ±0.5 meV of rounding moves exp(−ΔE_F/kT) by exp(0.5/27.85) − 1 = 1.8 %.
ROUNDING_OF_TABLE = 0.018


def li_without_fall_off(convention="sigma"):
    """Li law with Γ = 0.16 eV in ``convention`` and D_bulk = 1 (ratios only), no fall-off."""
    return SiteEnergyDiffusion.constant(1.0, sed=SiteEnergyDistribution.from_ev(0.16, convention))


# ---------------------------------------------------------------- docs/physics.md §2.3 table


@pytest.mark.parametrize(
    "fraction, shift_ev, ratio", [(0.10, 0.263, 7.9e-5), (0.03, 0.347, 3.9e-6)]
)
def test_fermi_shift_and_drop_match_physics_md_table(fraction, shift_ev, ratio):
    law = li_without_fall_off()
    # ΔE_F is printed to 3 decimals of eV: half a unit of the last digit.
    assert fermi_level_shift(fraction, law.sed) / ELECTRON_VOLT == pytest.approx(shift_ev, abs=5e-4)
    # D/D_bulk printed to 2 digits, computed in docs/physics.md from the rounded ΔE_F (see ROUNDING_OF_TABLE);
    # the exact values are 7.86e-5 and 3.85e-6.
    assert diffusion_coefficient(fraction, law, T50) == pytest.approx(
        ratio, rel=ROUNDING_OF_TABLE + 0.005
    )


def test_about_four_orders_at_ten_percent_only_three_with_one_over_e_convention():
    """Paper 001: D_Li falls "about 4 orders of magnitude" down to 10 %; the 1/e reading gives ~1.2e-3."""
    sigma_drop = diffusion_coefficient(0.1, li_without_fall_off("sigma"), T50)
    one_over_e_drop = diffusion_coefficient(0.1, li_without_fall_off("1/e-halfwidth"), T50)
    assert 3.5 < -math.log10(sigma_drop) < 4.5
    # closed form: exp(−Γ erfcinv(0.1)/kT) with erfcinv(0.1) = 1.1630871536766743 (tabulated, 16 digits)
    expected = math.exp(-0.16 * 1.1630871536766743 / KT50)
    assert one_over_e_drop == pytest.approx(
        expected, rel=1e-12
    )  # same formula, float rounding only
    assert one_over_e_drop == pytest.approx(
        1.2e-3, rel=0.05
    )  # docs/physics.md prints 2 digits (1.25e-3 exact)


def test_shift_inverts_the_erfc_filling_law():
    """n/n_bulk = erfc((E_c − E_F)/(√2 σ)): the forward law of docs/physics.md §2.3 recovers r."""
    sed = SiteEnergyDistribution.from_ev(0.16)
    r = np.array([1e-12, 1e-6, 0.01, 0.03, 0.1, 0.3, 0.5, 0.9, 0.999])
    shift = fermi_level_shift(r, sed)
    back = erfc(shift / (math.sqrt(2.0) * sed.sigma))
    np.testing.assert_allclose(
        back, r, rtol=1e-12
    )  # erfc∘erfcinv round trip, a few ulp × condition number


def test_full_and_overfull_pspd_give_bulk_d_and_empty_gives_inf_shift():
    sed = SiteEnergyDistribution.from_ev(0.16)
    assert fermi_level_shift(1.0, sed) == 0.0
    assert fermi_level_shift(1.7, sed) == 0.0  # paper: D drops only where n < n_bulk
    assert fermi_level_shift(0.0, sed) == math.inf
    assert diffusion_coefficient(1.3, li_without_fall_off(), T50) == 1.0


# ---------------------------------------------------------------- conventions


@pytest.mark.parametrize(
    "convention, fwhm_per_width",
    [("sigma", 2.3548200450309493), ("1/e-halfwidth", 1.6651092223153954), ("fwhm", 1.0)],
)
def test_conventions_fwhm_over_gamma(convention, fwhm_per_width):
    """2√(2 ln 2), 2√(ln 2), 1 (written out to 17 digits)."""
    sed = SiteEnergyDistribution.from_ev(0.16, convention)
    assert sed.fwhm / sed.width == pytest.approx(fwhm_per_width, rel=1e-14)
    assert sed.width_ev == pytest.approx(0.16, rel=1e-15)


def test_unknown_convention_and_bad_width_are_refused():
    with pytest.raises(ValueError, match="convention"):
        SiteEnergyDistribution.from_ev(0.16, "hwhm")
    with pytest.raises(ValueError, match="width"):
        SiteEnergyDistribution(-1.0)


def test_rb_sed_uses_the_li_convention():
    """Rb: label 225 meV; σ/1e readings scale Γ as 0.16/0.25 → 0.144 eV; fwhm reading Γ = 0.225 eV."""
    assert P.sed(P.rb_sed_fwhm_label, "sigma").width_ev == pytest.approx(0.144, rel=1e-12)
    assert P.sed(P.rb_sed_fwhm_label, "1/e-halfwidth").width_ev == pytest.approx(0.144, rel=1e-12)
    assert P.sed(P.rb_sed_fwhm_label, "fwhm").fwhm / ELECTRON_VOLT == pytest.approx(
        0.225, rel=1e-12
    )
    assert P.sed(P.li_sed_fwhm_label, "fwhm").fwhm / ELECTRON_VOLT == pytest.approx(
        0.250, rel=1e-12
    )
    rb2 = P.rubidium(2, filled=CarriedFill())
    assert rb2.sed.width_ev == pytest.approx(0.144, rel=1e-12)
    assert rb2.fall_off.threshold == 0.10 and rb2.reference_density == P.bulk_density
    # the default reading, Table 1's: full at n_bulk,Li with the fitted width, whatever the
    # convention (a fitted σ has none)
    for convention in ("sigma", "fwhm"):
        native = P.rubidium(2, convention=convention)
        assert native.filled == FullAtReference()
        assert native.sed.sigma == P.rb_sed_width_fitted == pytest.approx(0.175 * ELECTRON_VOLT)
    assert "FITTED" in P.provenance["rb_sed_width_fitted"]


# ---------------------------------------------------------------- Arrhenius, parameter set


def test_printed_prefactor_gives_the_bulk_d():
    """docs/physics.md §2.4: 7.8e-9·exp(−0.65 eV/k_B·323.15 K) = 5.7e-19 m²/s."""
    d = P.li_prefactor * math.exp(-0.65 / KT50)
    assert d == pytest.approx(5.7e-19, rel=0.01)  # 2 printed digits: ±0.05/5.7 = 0.9 %
    assert P.li_activation_energy / ELECTRON_VOLT == pytest.approx(0.65, rel=1e-15)


def test_li_law_reproduces_table_1_bulk_d_and_back_calculated_prefactor():
    li = P.lithium(1)
    assert li.bulk_diffusion(T50) == pytest.approx(5.8e-19, rel=1e-12)
    assert li.prefactor == pytest.approx(
        7.96e-9, rel=0.001
    )  # docs/physics.md: "exact back-calculated 7.96e-9" (3 digits)
    assert li.fall_off.threshold == 0.10 and P.lithium(2).fall_off.threshold == 0.03
    # Arrhenius: 10 K hotter multiplies D_bulk by exp(E/k (1/T − 1/T')) (closed form)
    ratio = li.bulk_diffusion(T50 + 10) / li.bulk_diffusion(T50)
    assert ratio == pytest.approx(
        math.exp(0.65 / K_B_EV * (1 / T50 - 1 / (T50 + 10))), rel=1e-9
    )  # k_B in eV/K to 10 digits


def test_parameter_set_values_and_flags():
    assert P.rb_diffusion == 2.67e-22 and P.rb_diffusion_text == 2.126e-22
    assert P.rubidium(1).bulk_diffusion(T50) == 2.67e-22
    assert P.rubidium(1, use_text_value=True).bulk_diffusion(T50) == 2.126e-22
    assert P.rubidium(1).sed is None  # foreign ion in the 1st CAIT: constant D
    assert P.caesium().bulk_diffusion(T50) == 3.1e-23 and P.caesium().sed is None
    for name in (
        "rb_diffusion",
        "rb_diffusion_text",
        "mass_density",
        "relative_permittivity",
        "bulk_density",
    ):
        assert name in P.unconfirmed()
    for name, tag in P.provenance.items():
        assert "[" in tag, name  # every provenance names its tag
    fields = {f for f in P.__dataclass_fields__ if f != "provenance"}
    assert fields <= set(P.provenance), fields - set(P.provenance)
    with pytest.raises(ValueError, match="experiment"):
        P.lithium(3)


def test_bulk_density_and_equivalent_depth_of_section_2_5():
    """n = 3ρN_A/M = 1.40e28 m⁻³; Q/(eAn): 2.52 mC → ≈ 40 nm, 2.28 mC → ≈ 36 nm."""
    n_bulk = 3 * 2230.0 * 6.02214076e23 / 0.28849
    assert P.bulk_density == pytest.approx(n_bulk, rel=1e-12)
    assert P.bulk_density == pytest.approx(1.40e28, rel=0.004)  # printed to 3 digits
    depth1 = equivalent_exchange_depth(P.charge_first, P.area, P.bulk_density)
    depth2 = equivalent_exchange_depth(P.charge_second, P.area, P.bulk_density)
    assert depth1 == pytest.approx(2.52e-3 / 1.602176634e-19 / 28.26e-6 / n_bulk, rel=1e-12)
    assert depth1 == pytest.approx(40e-9, rel=0.0125)  # "≈ 40 nm": half a unit of the printed nm
    assert depth2 == pytest.approx(36e-9, rel=0.014)


# ---------------------------------------------------------------- fall-off


def test_fall_off_drops_at_least_k_decades_below_threshold():
    for form in ("smooth", "step"):
        li = P.lithium(1, decades=3.0, form=form)
        d_cut = diffusion_coefficient(0.10, li, T50)
        assert d_cut == pytest.approx(
            5.8e-19 * 7.862387e-5, rel=1e-6
        )  # untouched at f_cut (7 digits above)
        assert diffusion_coefficient(0.05, li, T50) <= d_cut * 1e-3
        assert (
            diffusion_coefficient(0.0899, li, T50) <= d_cut * 1e-3
        )  # below (1 − δ) f_cut, δ = 0.1


def test_smooth_fall_off_is_continuous_and_bounded():
    fo = FallOff(0.1, decades=2.0, relative_width=0.1)
    f = np.linspace(0.08, 0.11, 30001)
    factor = fall_off_factor(f, fo)
    assert factor.min() == pytest.approx(1e-2, rel=1e-12) and factor.max() == 1.0
    assert np.all(np.diff(factor) >= 0)
    # the largest jump between neighbours 1e-6 apart is bounded by max|F'|·Δf = k ln10·(15/8)/w·1e-6 (w = 0.01)
    assert np.max(np.abs(np.diff(factor))) <= 2 * math.log(10) * 1.875 / 0.01 * 1e-6 * 1.001


@pytest.mark.parametrize(
    "bad",
    [
        {"threshold": 0.0},
        {"threshold": 1.0},
        {"threshold": 0.1, "decades": 0.0},
        {"threshold": 0.1, "relative_width": 0.0},
        {"threshold": 0.1, "form": "tanh"},
    ],
)
def test_bad_fall_off_is_refused(bad):
    with pytest.raises(ValueError):
        FallOff(**bad)


# ---------------------------------------------------------------- derivative and monotonicity


@pytest.mark.parametrize("form", ["smooth", "step"])
@pytest.mark.parametrize("filled", [1.0, 0.9, 0.4])
def test_derivative_matches_central_differences(form, filled):
    li = P.lithium(1, form=form)
    # points away from the kinks at r = 1 and the step at f_cut; 0.092–0.099 lies inside the blend
    f = np.array([1e-4, 0.01, 0.05, 0.0905, 0.093, 0.095, 0.0985, 0.101, 0.2, 0.35, 0.5, 0.7, 0.85])
    f = f[f / filled < 0.999]
    h = 1e-7
    fd = (
        diffusion_coefficient(f + h, li, T50, filled)
        - diffusion_coefficient(f - h, li, T50, filled)
    ) / (2 * h)
    an = diffusion_coefficient_derivative(f, li, T50, filled)
    # central difference error ~ h²·D'''/6 relative (≲ 1e-8 here) plus round-off eps·D/h (≲ 1e-9 relative)
    np.testing.assert_allclose(an, fd, rtol=1e-5)
    d, dd = diffusion_coefficient_and_derivative(f, li, T50, filled)
    np.testing.assert_array_equal(dd, an)
    assert np.all(d > 0) and np.all(dd > 0)


def test_derivative_is_zero_where_d_is_flat():
    li = P.lithium(1)
    np.testing.assert_array_equal(
        diffusion_coefficient_derivative(np.array([1.0, 1.2, -0.1, 0.0]), li, T50), 0.0
    )
    assert diffusion_coefficient_derivative(0.5, P.caesium(), T50) == 0.0


@settings(max_examples=200, deadline=None)
@given(
    a=st.floats(0.0, 1.5),
    b=st.floats(0.0, 1.5),
    width_ev=st.floats(0.02, 0.4),
    convention=st.sampled_from(["sigma", "1/e-halfwidth", "fwhm"]),
)
def test_shift_is_non_negative_and_non_increasing(a, b, width_ev, convention):
    sed = SiteEnergyDistribution.from_ev(width_ev, convention)
    lo, hi = min(a, b), max(a, b)
    s_lo, s_hi = fermi_level_shift(lo, sed), fermi_level_shift(hi, sed)
    assert s_hi >= 0.0 and s_lo >= s_hi


@settings(max_examples=200, deadline=None)
@given(
    a=st.floats(-0.1, 1.5),
    b=st.floats(-0.1, 1.5),
    filled=st.floats(0.0, 1.2),
    form=st.sampled_from(["smooth", "step"]),
    experiment=st.sampled_from([1, 2]),
)
def test_d_is_positive_and_non_decreasing_in_the_fraction(a, b, filled, form, experiment):
    law = P.lithium(experiment, form=form) if experiment == 1 else P.rubidium(2, form=form)
    lo, hi = min(a, b), max(a, b)
    d_lo, d_hi = diffusion_coefficient(np.array([lo, hi]), law, T50, filled)
    assert 0.0 < d_lo <= d_hi <= law.bulk_diffusion(T50)
    assert diffusion_coefficient_derivative(lo, law, T50, filled) >= 0.0


# ---------------------------------------------------------------- occupation across experiments


def test_occupation_carries_the_foreign_ion_as_native_without_re_equilibration():
    li2, rb2 = P.lithium(2), P.rubidium(2, filled=CarriedFill())
    end_rb = np.array([0.9, 0.9, 0.5, 0.0])  # Rb fraction after the 1st CAIT, per cell
    end_li = 1.0 - end_rb
    occ = Occupation().after({"Rb": end_rb, "Li": end_li}, newly_native=["Rb"])
    assert (
        occ.filled_fraction("Li") == 1.0
    )  # Li keeps the pristine SED (paper: same SED both CAITs)
    np.testing.assert_array_equal(occ.filled_fraction("Rb"), end_rb)
    end_rb[0] = 0.0
    assert occ.filled_fraction("Rb")[0] == 0.9  # a copy: the caller's later edits cannot leak in
    # at the start of the 2nd CAIT Rb is full where it sits: D_Rb = D_bulk except where it is below the fall-off
    d_rb = diffusion_coefficient(
        np.array([0.9, 0.9, 0.5, 0.0]), rb2, T50, occ.filled_fraction("Rb")
    )
    np.testing.assert_allclose(d_rb[:3], 2.67e-22, rtol=1e-14)
    # the Li left in the zone (10 %) sits low in the same Li SED: D ≈ 7.9e-5 D_bulk, not D_bulk
    d_li = diffusion_coefficient(0.1, li2, T50, occ.filled_fraction("Li"))
    assert d_li == pytest.approx(5.8e-19 * 7.862387e-5, rel=1e-6)
    # Cs taking half of the Rb in a cell where Rb was full at 0.9: r = 0.5 → ΔE_F = √2σ erfcinv(0.5)
    d_half = diffusion_coefficient(0.45, rb2, T50, 0.9)
    sigma_ev = 0.144
    assert d_half == pytest.approx(
        2.67e-22 * math.exp(-math.sqrt(2) * sigma_ev * 0.4769362762044699 / KT50), rel=1e-9
    )


def test_occupation_validates_and_is_read_only():
    with pytest.raises(ValueError, match="Rb"):
        Occupation({"Rb": [0.5, -0.1]})
    occ = Occupation({"Rb": [0.5, 0.2]})
    with pytest.raises(ValueError):
        occ.filled_fraction("Rb")[0] = 1.0
    with pytest.raises(KeyError, match="Cs"):
        occ.after({"Rb": [0.1, 0.1]}, newly_native=["Cs"])


def test_per_cell_fill_matches_the_shift_and_fall_off_formulas():
    """D per cell with a per-cell filled fraction (fresh sites f_fill = 0, a subnormal one,
    partly filled cells) equals D_bulk·exp(−ΔE_F(f/f_fill)/k_BT)·F(f) built from the public
    fermi_level_shift and fall_off_factor."""
    law = DOUBLE_CAIT_LI3B7O12.lithium(2, convention="sigma", decades=2.0, form="smooth")
    rng = np.random.default_rng(3)
    f = np.r_[rng.random(60), 0.0, 0.03, 0.029, 1.0]
    fill = np.r_[rng.random(60) + 0.2, 0.0, 1e-310, 0.5, 1.0]
    d, _ = diffusion_coefficient_and_derivative(f, law, T50, fill)
    with np.errstate(over="ignore"):
        r = np.where(fill > 0, f / np.where(fill > 0, fill, 1.0), 1.0)
    shift = fermi_level_shift(np.clip(r, 1e-300, 1.0), law.sed)
    from scipy.constants import Boltzmann

    k_b_t = Boltzmann * T50
    expect = law.bulk_diffusion(T50) * np.exp(-shift / k_b_t) * fall_off_factor(f, law.fall_off)
    np.testing.assert_allclose(d, expect, rtol=1e-13)


def test_fill_levels_carried_full_and_another_species():
    from ionex.physics.site_energy import fill_level

    occupation = Occupation({"Rb": np.array([0.9, 0.5, 0.0]), "Li": 0.8})
    # fractions of n_0; a law referenced to 1.25·n_0 is full at 1.25 when "full"
    np.testing.assert_array_equal(
        CarriedFill().filled_fraction("Rb", occupation, 1.25), [0.9, 0.5, 0.0]
    )
    assert CarriedFill("Li").filled_fraction("Rb", occupation, 1.25) == 0.8
    assert FullAtReference().filled_fraction("Rb", occupation, 1.25) == 1.25
    assert fill_level("full") == FullAtReference() and fill_level("carried") == CarriedFill()
    assert fill_level("Li") == CarriedFill("Li")
    for bad in ("", "  ", None):
        with pytest.raises(ValueError, match='expected "carried", "full" or a species name'):
            fill_level(bad)


def test_a_fill_level_without_an_sed_is_refused():
    from ionex.physics.site_energy import FullAtReference
    from ionex.validators import FieldError

    with pytest.raises(FieldError, match="only with an SED"):
        SiteEnergyDiffusion.constant(1e-22, filled=FullAtReference())
    with pytest.raises(ValueError, match="FillLevel"):
        SiteEnergyDiffusion.constant(
            1e-22, sed=SiteEnergyDistribution(0.1 * ELECTRON_VOLT), filled="full"
        )
