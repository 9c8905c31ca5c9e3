"""Unit tests of ionex.physics.salt_bath: melt–glass exchange equilibria and bath ageing.

Each test is named for the reference it checks against: a closed form written out here, a
linear system solved by numpy, scipy's brentq on the defining equation, or a mass balance
added up by hand. Tolerances are derived next to the assertion.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from ionex.physics.salt_bath import (
    ILLUSTRATIVE_LAS_K_NA_LI,
    BathLoad,
    ExchangeEquilibrium,
    SaltBathChemistry,
    age_bath,
    bath_state,
    exchange_load,
    melt_from_salt_mass_fractions,
    melt_from_salt_mole_fractions,
    nitrate_molar_mass,
    salt_mass_fractions,
)
from ionex.validators import FieldError

R = 8.314462618  # J/(mol K), CODATA 2018, written out
T = 673.15  # K, 400 °C
EPS = np.finfo(float).eps
# The closed forms go through exp(ln ρ): exp of a number of size ≤ 40 carries a relative
# error ≤ 40 ε ≈ 1e-14, and the sum of three terms adds a few ε. 1e-13 bounds both.
CLOSED_FORM = 1e-13


def ideal(ion, partner, k, **kw):
    return ExchangeEquilibrium(ion, partner, k, **kw)


# --------------------------------------------------------------------------- closed forms


@pytest.mark.parametrize("k", [0.009, 1.0, 37.0])
@pytest.mark.parametrize("x", [1e-6, 0.003, 0.3, 0.5, 0.97, 1 - 1e-9])
def test_ideal_binary_closed_form(k, x):
    # χ_i = K x_i / (x_j + K x_i)
    expected = k * x / ((1 - x) + k * x)
    eq = ideal("K", "Na", k)
    assert eq.surface_fraction(x, T) == pytest.approx(expected, rel=CLOSED_FORM)
    chi = SaltBathChemistry((eq,), reference="Na").surface_fractions({"K": x, "Na": 1 - x}, T)
    assert chi["K"] == pytest.approx(expected, rel=CLOSED_FORM)
    assert chi["Na"] == pytest.approx(1 - expected, rel=CLOSED_FORM, abs=EPS)


@pytest.mark.parametrize("n", [1.0, 1.4, 2.3])
@pytest.mark.parametrize("x", [1e-4, 0.2, 0.5, 0.9])
def test_rothmund_kornfeld_binary_closed_form(n, x):
    # (χ/(1−χ))^n = K x/(1−x)  ⇔  χ = 1/(1 + ((1−x)/(K x))^(1/n))
    k = 0.3
    expected = 1.0 / (1.0 + ((1 - x) / (k * x)) ** (1 / n))
    eq = ExchangeEquilibrium("K", "Na", k, form="rothmund_kornfeld", exponent=n)
    chem = SaltBathChemistry((eq,), reference="Na")
    chi = chem.surface_fractions({"K": x, "Na": 1 - x}, T)
    assert chi["K"] == pytest.approx(expected, rel=CLOSED_FORM)
    assert eq.surface_fraction(x, T) == pytest.approx(expected, rel=CLOSED_FORM)
    # the defining equation itself, to the 1e-12 asked of the Rothmund–Kornfeld form
    assert (chi["K"] / chi["Na"]) ** n == pytest.approx(k * x / (1 - x), rel=1e-12)


def linear_system_fractions(constants, melt, reference):
    """χ from the linear system χ_i − K_i (x_i/x_r) χ_r = 0 (i ≠ r), Σχ = 1 (numpy.solve)."""
    ions = list(melt)
    r = ions.index(reference)
    a = np.zeros((len(ions), len(ions)))
    rhs = np.zeros(len(ions))
    row = 0
    for i, ion in enumerate(ions):
        if i == r:
            continue
        a[row, i] = 1.0
        a[row, r] = -constants[ion] * melt[ion] / melt[reference]
        row += 1
    a[row, :] = 1.0
    rhs[row] = 1.0
    return dict(zip(ions, np.linalg.solve(a, rhs)))


def test_three_ions_ideal_against_linear_system():
    chem = SaltBathChemistry((ideal("K", "Na", 0.02), ideal("Li", "Na", 8.0)), reference="Na")
    melt = {"K": 0.9, "Na": 0.07, "Li": 0.03}
    expected = linear_system_fractions({"K": 0.02, "Li": 8.0}, melt, "Na")
    chi = chem.surface_fractions(melt, T)
    # numpy's LU solve of a 3×3 system: error ≤ a few ε·cond; cond < 1e3 here → ≤ 1e-12
    for ion in melt:
        assert chi[ion] == pytest.approx(expected[ion], abs=1e-12)
    assert math.fsum(chi.values()) == pytest.approx(1.0, abs=4 * EPS)


def test_chain_not_through_the_reference_against_linear_system():
    # Li is tied to K, K to Na: χ_Li/χ_Na = K_LiK·K_KNa·x_Li/x_Na
    chem = SaltBathChemistry((ideal("K", "Na", 0.02), ideal("Li", "K", 400.0)), reference="Na")
    melt = {"K": 0.5, "Na": 0.3, "Li": 0.2}
    expected = linear_system_fractions({"K": 0.02, "Li": 400.0 * 0.02}, melt, "Na")
    chi = chem.surface_fractions(melt, T)
    for ion in melt:
        assert chi[ion] == pytest.approx(expected[ion], abs=1e-12)


def test_rothmund_kornfeld_chain_of_equal_n_closed_form():
    # equal n along K–Na and Li–K: χ_Li/χ_Na = (K_LiK K_KNa x_Li/x_Na)^(1/n)
    n = 1.5
    rk = dict(form="rothmund_kornfeld", exponent=n)
    chem = SaltBathChemistry(
        (ExchangeEquilibrium("K", "Na", 0.05, **rk), ExchangeEquilibrium("Li", "K", 60.0, **rk)),
        reference="Na",
    )
    x = {"K": 0.6, "Na": 0.3, "Li": 0.1}
    rho = {
        "Na": 1.0,
        "K": (0.05 * x["K"] / x["Na"]) ** (1 / n),
        "Li": (60.0 * 0.05 * x["Li"] / x["Na"]) ** (1 / n),
    }
    total = sum(rho.values())
    chi = chem.surface_fractions(x, T)
    for ion in x:
        assert chi[ion] == pytest.approx(rho[ion] / total, rel=CLOSED_FORM)


# a melt's cation fractions: absent, or from 1e-15 (below a part per trillion: ~1e-294
# would bring products near the subnormal range, where round-off exceeds the bound)
_MELT_FRACTION = st.one_of(st.just(0.0), st.floats(1e-15, 1.0))


@settings(max_examples=200, deadline=None)
@given(_MELT_FRACTION, _MELT_FRACTION, _MELT_FRACTION, st.floats(500.0, 900.0))
def test_ideal_pair_equations_hold_for_any_melt(a, b, c, temperature):
    # property: Σχ = 1 and χ_i x_r = K_i x_i χ_r for every pair with the reference
    if a + b + c == 0:
        return
    melt = {"K": a / (a + b + c), "Na": b / (a + b + c), "Li": c / (a + b + c)}
    chem = ILLUSTRATIVE_LAS_K_NA_LI
    chi = chem.surface_fractions(melt, temperature)
    assert math.fsum(chi.values()) == pytest.approx(1.0, abs=8 * EPS)
    for eq in chem.equilibria:
        lhs = chi[eq.ion] * melt[eq.partner]
        rhs = eq.constant(temperature) * melt[eq.ion] * chi[eq.partner]
        assert lhs == pytest.approx(rhs, rel=CLOSED_FORM, abs=1e-300)


# --------------------------------------------------------------------------- absent ions


def test_pure_potassium_nitrate_gives_a_potassium_surface():
    chi = ILLUSTRATIVE_LAS_K_NA_LI.surface_fractions({"K": 1.0}, T)
    assert chi == {"K": 1.0, "Na": 0.0, "Li": 0.0}


def test_reference_absent_from_the_melt_closed_form():
    # without Na the ideal form still gives χ ∝ K_i x_i over the ions present
    chem = ILLUSTRATIVE_LAS_K_NA_LI
    melt = {"K": 0.99, "Li": 0.01}
    k_k, k_li = (eq.constant(T) for eq in chem.equilibria)
    total = k_k * 0.99 + k_li * 0.01
    chi = chem.surface_fractions(melt, T)
    assert chi["Na"] == 0.0
    assert chi["K"] == pytest.approx(k_k * 0.99 / total, rel=CLOSED_FORM)
    assert chi["Li"] == pytest.approx(k_li * 0.01 / total, rel=CLOSED_FORM)


def test_rothmund_kornfeld_pairs_of_different_n_without_their_common_ion_are_refused():
    chem = SaltBathChemistry(
        (
            ExchangeEquilibrium("K", "Na", 0.05, form="rothmund_kornfeld", exponent=1.5),
            ExchangeEquilibrium("Li", "Na", 5.0),
        ),
        reference="Na",
    )
    with pytest.raises(FieldError, match="Na") as err:
        chem.surface_fractions({"K": 0.9, "Li": 0.1}, T)
    assert err.value.field == "melt"
    # with a little Na the surface is defined
    chi = chem.surface_fractions({"K": 0.9, "Li": 0.0999, "Na": 1e-4}, T)
    assert math.fsum(chi.values()) == pytest.approx(1.0, abs=4 * EPS)


# --------------------------------------------------------------------------- regular form


@pytest.mark.parametrize("w_over_rt", [-3.0, -0.5, 0.5, 1.5, 1.99])
@pytest.mark.parametrize("x", [1e-5, 0.1, 0.5, 0.8])
def test_regular_solution_against_brentq_on_the_defining_equation(w_over_rt, x):
    k = 0.4
    w = w_over_rt * R * T
    eq = ExchangeEquilibrium("K", "Na", k, form="regular", margules=w)

    def defining(chi):  # ln(χ/(1−χ)) + W(1 − 2χ)/(RT) − ln(K x/(1−x))
        return math.log(chi / (1 - chi)) + w_over_rt * (1 - 2 * chi) - math.log(k * x / (1 - x))

    expected = brentq(defining, 1e-300, 1 - 1e-16, xtol=1e-300, rtol=4 * EPS, maxiter=2000)
    chi = eq.surface_fraction(x, T)
    # brentq brackets χ to 4ε relative; ours stops at 4 ulp in u = ln(χ/(1−χ)), i.e. χ to
    # ≤ 4ε·|u|·(1 − χ) relative (|u| < 15 here). 1e-12 covers both (the asked accuracy).
    assert chi == pytest.approx(expected, rel=1e-12)
    assert abs(defining(chi)) < 1e-12
    chem = SaltBathChemistry((eq,), reference="Na")
    assert chem.surface_fractions({"Na": 1 - x, "K": x}, T)["K"] == chi


def test_regular_solution_without_interaction_is_ideal():
    eq = ExchangeEquilibrium("K", "Na", 0.4, form="regular", margules=0.0)
    x = 0.3
    assert eq.surface_fraction(x, T) == pytest.approx(0.4 * x / (1 - x + 0.4 * x), rel=CLOSED_FORM)


def test_regular_solution_above_its_critical_interaction_is_refused():
    eq = ExchangeEquilibrium("K", "Na", 0.4, form="regular", margules=2.0 * R * T * 1.001)
    with pytest.raises(FieldError) as err:
        eq.surface_fraction(0.5, T)
    assert err.value.field == "margules" and "two phases" in str(err.value)


def test_regular_form_with_three_ions_is_refused():
    with pytest.raises(FieldError) as err:
        SaltBathChemistry(
            (
                ExchangeEquilibrium("K", "Na", 0.4, form="regular", margules=1e3),
                ideal("Li", "Na", 3),
            ),
        )
    assert err.value.field == "equilibria"


# --------------------------------------------------------------------------- temperature


def test_van_t_hoff_slope_of_the_constant():
    dh = 20e3
    eq = ExchangeEquilibrium.from_reference("K", "Na", 0.009, T, dh)
    assert eq.constant(T) == pytest.approx(0.009, rel=4 * EPS)
    t1, t2 = 653.15, 723.15
    slope = (eq.log_constant(t2) - eq.log_constant(t1)) / (1 / t2 - 1 / t1)
    # ln K is linear in 1/T: the quotient is exact but for rounding of ln K (|ln K| ≈ 5,
    # ε·5/Δ(1/T) ≈ 1e-11 against a slope of 2.4e3)
    assert slope == pytest.approx(-dh / R, rel=1e-12)
    assert eq.constant(t1) == pytest.approx(eq.prefactor * math.exp(-dh / (R * t1)), rel=1e-14)


def test_van_t_hoff_slope_of_the_surface_fractions():
    # ideal binary: ln[(χ_K/χ_Na)/(x_K/x_Na)] = ln K(T), so its slope in 1/T is −ΔH/R
    chem = ILLUSTRATIVE_LAS_K_NA_LI
    melt = {"K": 0.99, "Na": 0.01}

    def log_selectivity(temperature):
        chi = chem.surface_fractions(melt, temperature)
        return math.log(chi["K"] / chi["Na"] * melt["Na"] / melt["K"])

    t1, t2 = 653.15, 723.15
    slope = (log_selectivity(t2) - log_selectivity(t1)) / (1 / t2 - 1 / t1)
    dh = chem.equilibria[0].reaction_enthalpy
    # each χ carries ≈ 1e-14 relative error (CLOSED_FORM), over Δ(1/T) = 1.5e-4 → 1e-10
    assert slope == pytest.approx(-dh / R, rel=1e-9)


# --------------------------------------------------------------------------- consistency


def test_a_closing_cycle_is_accepted_and_changes_nothing():
    k_kna, k_lina, dh_k, dh_li = 0.009, 10.0, 20e3, -15e3
    closing = ExchangeEquilibrium("K", "Li", k_kna / k_lina, dh_k - dh_li)
    base = (
        ideal("K", "Na", k_kna, reaction_enthalpy=dh_k),
        ideal("Li", "Na", k_lina, reaction_enthalpy=dh_li),
    )
    melt = {"K": 0.95, "Na": 0.04, "Li": 0.01}
    with_cycle = SaltBathChemistry((*base, closing)).surface_fractions(melt, 700.0)
    without = SaltBathChemistry(base).surface_fractions(melt, 700.0)
    for ion in melt:
        assert with_cycle[ion] == pytest.approx(without[ion], rel=CLOSED_FORM)


@pytest.mark.parametrize(
    "closing",
    [
        ExchangeEquilibrium("K", "Li", 0.009 / 10.0 * 1.01, 35e3),  # K around the cycle ≠ 1
        ExchangeEquilibrium("K", "Li", 0.009 / 10.0, 30e3),  # ΔH around the cycle ≠ 0
        ExchangeEquilibrium(
            "K", "Li", 0.009 / 10.0, 35e3, form="rothmund_kornfeld", exponent=1.2
        ),  # n differs
    ],
)
def test_cycle_consistency_error(closing):
    base = (
        ideal("K", "Na", 0.009, reaction_enthalpy=20e3),
        ideal("Li", "Na", 10.0, reaction_enthalpy=-15e3),
    )
    with pytest.raises(FieldError, match="cycle") as err:
        SaltBathChemistry((*base, closing))
    assert err.value.field == "equilibria" and err.value.index == 2


def test_an_ion_not_connected_to_the_reference_is_refused():
    with pytest.raises(FieldError, match="Li") as err:
        SaltBathChemistry((ideal("K", "Na", 0.01), ideal("Li", "Ag", 2.0)), reference="Na")
    assert err.value.field == "equilibria"
    with pytest.raises(FieldError) as err:
        SaltBathChemistry((ideal("K", "Na", 0.01),), reference="Li")
    assert err.value.field == "reference"


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(prefactor=-1.0), "prefactor"),
        (dict(form="langmuir"), "form"),
        (dict(form="rothmund_kornfeld", exponent=0.8), "exponent"),
        (dict(exponent=1.3), "exponent"),
        (dict(margules=1e3), "margules"),
        (dict(partner="K"), "partner"),
        (dict(reaction_enthalpy=math.nan), "reaction_enthalpy"),
    ],
)
def test_exchange_equilibrium_refuses_bad_fields(kwargs, field):
    args = dict(ion="K", partner="Na", prefactor=0.01) | kwargs
    with pytest.raises(FieldError) as err:
        ExchangeEquilibrium(**args)
    assert err.value.field == field


# --------------------------------------------------------------------------- salts

# molar masses written out from IUPAC atomic weights (g/mol): N 14.007, O 15.999
M_KNO3 = (39.0983 + 14.007 + 3 * 15.999) * 1e-3
M_NANO3 = (22.98976928 + 14.007 + 3 * 15.999) * 1e-3
M_LINO3 = (6.94 + 14.007 + 3 * 15.999) * 1e-3


def test_nitrate_molar_masses_from_atomic_weights():
    assert nitrate_molar_mass("K") == pytest.approx(M_KNO3, rel=4 * EPS)
    assert nitrate_molar_mass("Na") == pytest.approx(M_NANO3, rel=4 * EPS)
    assert nitrate_molar_mass("Li") == pytest.approx(M_LINO3, rel=4 * EPS)
    assert M_KNO3 == pytest.approx(101.1023e-3, abs=1e-7)


def test_melt_from_salt_mole_fractions_is_one_cation_per_salt():
    assert melt_from_salt_mole_fractions({"KNO3": 0.7, "NaNO3": 0.3}) == pytest.approx(
        {"K": 0.7, "Na": 0.3}, rel=4 * EPS
    )


def test_melt_from_salt_mass_fractions_by_hand():
    w = {"KNO3": 0.6, "NaNO3": 0.39, "LiNO3": 0.01}
    moles = {"K": 0.6 / M_KNO3, "Na": 0.39 / M_NANO3, "Li": 0.01 / M_LINO3}
    total = sum(moles.values())
    melt = melt_from_salt_mass_fractions(w)
    for ion, n in moles.items():
        assert melt[ion] == pytest.approx(n / total, rel=1e-14)
    back = salt_mass_fractions(melt)
    for salt, value in w.items():
        assert back[salt] == pytest.approx(value, rel=1e-14)


# --------------------------------------------------------------------------- bath ageing


def test_bath_state_mass_balance_by_hand():
    # 1000 kg of 0.7 KNO3 / 0.3 NaNO3 (mol): N = m / (0.7 M_K + 0.3 M_Na)
    state = bath_state({"K": 0.7, "Na": 0.3}, 1000.0)
    n_total = 1000.0 / (0.7 * M_KNO3 + 0.3 * M_NANO3)
    assert state.total == pytest.approx(n_total, rel=1e-14)
    assert state.moles["K"] == pytest.approx(0.7 * n_total, rel=1e-14)
    assert state.mass == pytest.approx(1000.0, rel=1e-14)


def test_ageing_conserves_total_cations_and_adds_each_exchange():
    loads = [{"Na": 0.8, "Li": 0.2, "K": -1.0}, {"Na": 1.5, "K": -1.5}, {"Li": 0.4, "K": -0.4}]
    start = bath_state({"K": 1.0}, 50.0)
    states = age_bath({"K": 1.0}, 50.0, loads)
    assert len(states) == 3
    cumulative = {"K": start.moles["K"], "Na": 0.0, "Li": 0.0}
    for load, state in zip(loads, states):
        for ion, amount in load.items():
            cumulative[ion] += amount
        # sums of a few numbers of size ≤ 500 mol: rounding ≤ 1e-13 mol
        for ion, n in cumulative.items():
            assert state.moles.get(ion, 0.0) == pytest.approx(n, abs=1e-12)
        assert state.total == pytest.approx(start.total, rel=1e-14)


def test_sodium_build_up_is_linear_in_the_loads():
    # nitrate conserved → N constant → x_Na after k equal loads is k·δ/N exactly
    delta = 0.05  # mol of Na per load, against ≈ 495 mol of KNO3 in 50 kg
    loads = [BathLoad({"Na": delta, "K": -delta})] * 20
    states = age_bath({"K": 1.0}, 50.0, loads)
    n_total = 50.0 / M_KNO3
    x_na = np.array([s.melt["Na"] for s in states])
    k = np.arange(1, 21)
    assert np.allclose(x_na, k * delta / n_total, rtol=1e-13, atol=0)
    assert np.abs(np.diff(x_na, 2)).max() < 1e-16  # second differences vanish to rounding


def test_ageing_lowers_the_surface_potassium_monotonically():
    chem = ILLUSTRATIVE_LAS_K_NA_LI
    per_load = {"Na": 0.08, "Li": 0.02, "K": -0.10}
    states = age_bath({"K": 0.999, "Na": 0.001}, 100.0, [per_load] * 30)
    chi_k = [chem.surface_fractions(s.melt, T)["K"] for s in states]
    assert all(later < earlier for earlier, later in zip(chi_k, chi_k[1:]))


def test_exchange_load_from_depth_integrated_change_by_hand():
    # 2 m² of glass, C_T = 1e4 mol/m³, ΔΣ_K = +5 µm, ΔΣ_Na = −4 µm, ΔΣ_Li = −1 µm
    load = exchange_load(2.0, {"K": 5e-6, "Na": -4e-6, "Li": -1e-6}, 1e4)
    assert load.released["K"] == pytest.approx(-0.1, rel=1e-15)
    assert load.released["Na"] == pytest.approx(0.08, rel=1e-15)
    assert load.released["Li"] == pytest.approx(0.02, rel=1e-15)


def test_a_load_must_exchange_one_for_one():
    with pytest.raises(FieldError) as err:
        BathLoad({"Na": 1.0, "K": -0.9})
    assert err.value.field == "released"


def test_a_load_taking_more_than_the_bath_holds_is_refused():
    with pytest.raises(FieldError) as err:
        age_bath({"K": 1.0}, 0.1, [{"Na": 5.0, "K": -5.0}])
    assert err.value.field == "loads" and err.value.index == 0


# --------------------------------------------------------------------------- preset


def test_illustrative_preset_sodium_poisoning_closed_form():
    # 3000 ppm (mol) Na in KNO3 at 400 °C: χ_K = K x_K/(x_Na + K x_K) with K = 0.009
    chi = ILLUSTRATIVE_LAS_K_NA_LI.surface_fractions({"K": 0.997, "Na": 0.003}, T)
    expected = 0.009 * 0.997 / (0.003 + 0.009 * 0.997)
    assert chi["K"] == pytest.approx(expected, rel=CLOSED_FORM)
    assert 1 - chi["K"] == pytest.approx(0.251, abs=5e-4)  # "roughly a quarter"
    for eq in ILLUSTRATIVE_LAS_K_NA_LI.equilibria:
        assert "ILLUSTRATIVE" in eq.provenance


# --------------------------------------------------------------------------- bad input


def test_fractions_not_summing_to_one_are_refused():
    with pytest.raises(FieldError) as err:
        ILLUSTRATIVE_LAS_K_NA_LI.surface_fractions({"K": 0.7, "Na": 0.2}, T)
    assert err.value.field == "melt" and "summing to 1" in str(err.value)
    with pytest.raises(FieldError, match="percent"):
        melt_from_salt_mole_fractions({"KNO3": 70.0, "NaNO3": 30.0})


def test_unknown_salt_is_named():
    with pytest.raises(FieldError, match="KNO2") as err:
        melt_from_salt_mass_fractions({"KNO2": 0.5, "NaNO3": 0.5})
    assert err.value.field == "salts"


def test_negative_salt_mass_is_refused():
    with pytest.raises(FieldError) as err:
        age_bath({"K": 1.0}, -5.0, [])
    assert err.value.field == "salt_mass"


def test_ion_missing_from_the_chemistry_is_refused():
    with pytest.raises(FieldError, match="Rb") as err:
        ILLUSTRATIVE_LAS_K_NA_LI.surface_fractions({"K": 0.9, "Rb": 0.1}, T)
    assert err.value.field == "melt"
