"""Unit tests of ionex.physics.interdiffusion and ionex.physics.arrhenius (docs/physics.md §1).

Every expected value is computed here from the formulas of docs/physics.md, written out
independently of the implementation (no call into the function under test to build
the expectation). Tolerances are stated next to each assertion with their origin.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from ionex.physics.arrhenius import ArrheniusLaw, arrhenius
from ionex.physics.interdiffusion import (
    InterdiffusionModel,
    StressCouplingMaterial,
    TabulatedInterdiffusion,
    cross_term_factor,
    interdiffusion_coefficient,
    kirchhoff_law,
    kirchhoff_potential,
    margules_thermodynamic_factor,
    nernst_planck_coefficient,
    onsager_cross_coefficients,
    stress_coupling_constant,
)

R = 8.314462618  # J/(mol K), CODATA 2018 (written out: the test must not borrow the constant)
T = 723.15  # K (450 °C)
D_B = 1e-14  # m²/s, host ion
# interior fractions, including values close to both ends
CHI = np.array([1e-9, 1e-6, 1e-3, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1 - 1e-6])
CHI_CLOSED = np.concatenate([[0.0], CHI, [1.0]])
RATIOS = [1e-4, 1e-3, 1e-2, 0.1, 0.5, 0.6, 0.9, 1.0, 1.2, 1.5, 2.0, 10.0, 1e2, 1e3, 1e4]
EPS = np.finfo(float).eps


def model_for(ratio, **kw):
    """Constant-D model with D_A/D_B = ratio."""
    return InterdiffusionModel(
        incoming=ArrheniusLaw.constant(ratio * D_B), host=ArrheniusLaw.constant(D_B), **kw
    )


# reference formulas of docs/physics.md, written independently of the implementation
def ref_d_ab(chi, da, db):
    """§1.3 Helfferich–Plesset form D_A / (1 − α_HP χ), α_HP = 1 − D_A/D_B."""
    return da / (1.0 - (1.0 - da / db) * chi)


def ref_form_c(chi, da, db, rho, n=1.0):
    """Form C from the Onsager L matrix, §1.5 (first display):
    D* = (RT/(C_T χ_A χ_B)) (L_AA L_BB − L_AB²)/(L_AA + L_BB + 2 L_AB) · n,
    L_ii = D_i C_T χ_i/(RT), L_AB = ρ √(L_AA L_BB). C_T and RT cancel; set both to 1."""
    laa = da * chi
    lbb = db * (1.0 - chi)
    lab = rho * np.sqrt(laa * lbb)
    return n * (laa * lbb - lab * lab) / (laa + lbb + 2.0 * lab) / (chi * (1.0 - chi))


# --------------------------------------------------------------------------- Arrhenius


class TestArrhenius:
    def test_value_matches_formula(self):
        law = ArrheniusLaw(prefactor=2.5e-4, activation_energy=150e3)
        temps = np.array([500.0, 723.15, 900.0])
        expected = 2.5e-4 * np.exp(-150e3 / (R * temps))
        # one exp and two products: a few ulp
        np.testing.assert_allclose(law(temps), expected, rtol=4 * EPS, atol=0)
        assert law(723.15) == pytest.approx(2.5e-4 * math.exp(-150e3 / (R * 723.15)), rel=4 * EPS)

    def test_ratio_between_temperatures(self):
        # ln(D1/D2) = −Q/R (1/T1 − 1/T2): checks Q is used in J/mol with R in J/(mol K)
        law = ArrheniusLaw(1e-3, 100e3)
        assert math.log(law(700.0) / law(600.0)) == pytest.approx(
            -100e3 / R * (1 / 700 - 1 / 600), rel=1e-13
        )

    def test_constant_law_is_temperature_independent(self):
        law = ArrheniusLaw.constant(3e-15)
        assert law.activation_energy == 0.0
        assert law(300.0) == 3e-15 and law(1500.0) == 3e-15
        out = law(np.array([[300.0, 400.0], [500.0, 600.0]]))
        assert out.shape == (2, 2) and np.all(out == 3e-15)

    def test_array_shape_and_function_form(self):
        temps = np.linspace(500, 900, 7)
        np.testing.assert_array_equal(arrhenius(temps, 1e-4, 80e3), ArrheniusLaw(1e-4, 80e3)(temps))
        assert np.ndim(ArrheniusLaw(1e-4, 80e3)(700.0)) == 0

    @pytest.mark.parametrize("prefactor", [0.0, -1e-14, math.nan, math.inf])
    def test_rejects_bad_prefactor(self, prefactor):
        with pytest.raises(ValueError, match="prefactor"):
            ArrheniusLaw(prefactor, 1e5)

    @pytest.mark.parametrize("energy", [-1.0, math.nan, math.inf])
    def test_rejects_bad_activation_energy(self, energy):
        with pytest.raises(ValueError, match="activation_energy"):
            ArrheniusLaw(1e-4, energy)


# --------------------------------------------------------------------------- Form A and reductions


class TestFormA:
    @pytest.mark.parametrize("ratio", RATIOS)
    def test_nernst_planck_both_forms(self, ratio):
        da = ratio * D_B
        # the two equivalent forms of §1.3; each is a handful of roundings, but
        # 1 − α_HP χ cancels when D_A ≪ D_B (χ→1): allow 8 ulp × 1/min(ratio, 1)
        tol = 8 * EPS * max(1.0, 1.0 / ratio)
        np.testing.assert_allclose(
            nernst_planck_coefficient(CHI_CLOSED, da, D_B),
            ref_d_ab(CHI_CLOSED, da, D_B),
            rtol=tol,
            atol=0,
        )

    def test_limits(self):
        # χ → 0: dilute A, limited by D_A; χ → 1: dilute B, limited by D_B
        assert nernst_planck_coefficient(0.0, 3e-15, 2e-14) == pytest.approx(3e-15, rel=EPS)
        assert nernst_planck_coefficient(1.0, 3e-15, 2e-14) == pytest.approx(2e-14, rel=EPS)

    @pytest.mark.parametrize("n", [1.0, 1.37])
    def test_model_form_a(self, n):
        m = model_for(0.1, thermodynamic_factor=n)
        assert m.form == "A"
        d = interdiffusion_coefficient(CHI_CLOSED, m, T)
        np.testing.assert_allclose(
            d, n * ref_d_ab(CHI_CLOSED, 0.1 * D_B, D_B), rtol=8 * EPS, atol=0
        )

    def test_form_b_with_zero_coupling_is_form_a_exactly(self):
        # K_AB = 0 (the default) must take exactly the Form-A arithmetic
        a = model_for(0.1)
        b = model_for(0.1, stress_coupling=0.0)
        np.testing.assert_array_equal(
            interdiffusion_coefficient(CHI_CLOSED, b, T),
            interdiffusion_coefficient(CHI_CLOSED, a, T),
        )
        np.testing.assert_array_equal(
            interdiffusion_coefficient(CHI_CLOSED, a, T),
            nernst_planck_coefficient(CHI_CLOSED, 0.1 * D_B, D_B),
        )

    def test_form_b_tends_to_form_a(self):
        # K = 1e-12: D̃_B/D̃_A − 1 = K χ(1−χ) ≤ 2.5e-13, continuous at K → 0
        a = interdiffusion_coefficient(CHI_CLOSED, model_for(0.1), T)
        b = interdiffusion_coefficient(CHI_CLOSED, model_for(0.1, stress_coupling=1e-12), T)
        np.testing.assert_allclose(b, a, rtol=2.5e-13 + 8 * EPS, atol=0)

    def test_form_c_with_zero_cross_ratio_is_form_a_exactly(self):
        # Ψ_cross of the paper formula with D_AB = D_BA = 0 is exactly 1
        d_ab, d_ba = onsager_cross_coefficients(CHI, 0.1 * D_B, D_B, 0.0)
        assert np.all(d_ab == 0.0) and np.all(d_ba == 0.0)
        np.testing.assert_array_equal(
            cross_term_factor(CHI, 0.1 * D_B, D_B, d_ab, d_ba), np.ones_like(CHI)
        )
        assert model_for(0.1, cross_ratio=0.0).form == "A"

    @pytest.mark.parametrize("ratio", [1e-3, 0.1, 10.0, 1e3])
    def test_form_c_tends_to_form_a(self, ratio):
        # Ψ = (1 − ρ²) M/(M + 2ρ√(D_A D_B χ(1−χ))) with M ≥ 2√(D_A D_B χ(1−χ)) (AM–GM):
        # |Ψ − 1| ≤ |ρ| + ρ² ⇒ 1e-10 at ρ = 1e-10 (plus round-off)
        a = interdiffusion_coefficient(CHI_CLOSED, model_for(ratio), T)
        c_model = model_for(ratio, cross_ratio=1e-10)
        assert c_model.form == "C"
        c = interdiffusion_coefficient(CHI_CLOSED, c_model, T)
        np.testing.assert_allclose(c, a, rtol=1.1e-10, atol=0)


# --------------------------------------------------------------------------- Form C


class TestFormC:
    @pytest.mark.parametrize("ratio", [1e-4, 1e-2, 0.5, 1.0, 3.0, 1e2, 1e4])
    @pytest.mark.parametrize("rho", [-0.95, -0.4, 0.3, 0.9])
    def test_closed_form_equals_paper_formula(self, ratio, rho):
        da = ratio * D_B
        d_ab, d_ba = onsager_cross_coefficients(CHI, da, D_B, rho)
        # paper (Macrelli eq. 41): D* = D_AB(χ) · n · Ψ_cross(χ; D_AB, D_BA)
        paper = nernst_planck_coefficient(CHI, da, D_B) * cross_term_factor(
            CHI, da, D_B, d_ab, d_ba
        )
        # the other display of §1.5 (no Ψ): n(D_A D_B − D_AB D_BA)/(χ_A(D_A+D_BA) + χ_B(D_B+D_AB))
        direct = (da * D_B - d_ab * d_ba) / (CHI * (da + d_ba) + (1 - CHI) * (D_B + d_ab))
        onsager = ref_form_c(CHI, da, D_B, rho)
        got = interdiffusion_coefficient(CHI, model_for(ratio, cross_ratio=rho), T)
        # each expression is ~20 roundings; 1 − ρ² and M + 2ρ√… lose up to a factor
        # 1/(1−|ρ|)² = 400 at |ρ| = 0.95 (both are sums of terms of opposite sign)
        tol = 20 * EPS / (1 - abs(rho)) ** 2
        for ref in (paper, direct, onsager):
            np.testing.assert_allclose(got, ref, rtol=tol, atol=0)

    @pytest.mark.parametrize("rho", [-0.7, 0.5])
    def test_finite_limits_at_the_ends(self, rho):
        # the closed form has no 0/0 at χ = 0, 1: D̃(0) = D_A(1−ρ²), D̃(1) = D_B(1−ρ²)
        m = model_for(0.2, cross_ratio=rho)
        d = interdiffusion_coefficient(np.array([0.0, 1.0]), m, T)
        np.testing.assert_allclose(d, np.array([0.2 * D_B, D_B]) * (1 - rho * rho), rtol=8 * EPS)

    @pytest.mark.parametrize("rho", [-0.9, 0.0, 0.6])
    def test_onsager_symmetry(self, rho):
        da = 0.03 * D_B
        d_ab, d_ba = onsager_cross_coefficients(CHI, da, D_B, rho)
        # χ_B D_AB = χ_A D_BA  (L_AB = L_BA, §1.5); sqrt and products: a few ulp
        np.testing.assert_allclose((1 - CHI) * d_ab, CHI * d_ba, rtol=8 * EPS, atol=0)
        # and ρ is recovered as L_AB/√(L_AA L_BB) with L_ij ∝ D_ij χ_j
        if rho != 0.0:
            l_ab = d_ab * (1 - CHI)
            np.testing.assert_allclose(
                l_ab / np.sqrt(da * CHI * D_B * (1 - CHI)), rho, rtol=8 * EPS
            )

    def test_cross_terms_reduce_interdiffusion_for_positive_rho(self):
        # Ψ < 1 for ρ > 0 (positive correlation slows the exchange), > 1 possible for ρ < 0
        a = interdiffusion_coefficient(CHI, model_for(0.1), T)
        c = interdiffusion_coefficient(CHI, model_for(0.1, cross_ratio=0.5), T)
        assert np.all(c < a)

    @pytest.mark.parametrize("rho", [1.0, -1.0, 1.5, -3.0, math.nan, math.inf])
    def test_rejects_cross_ratio_violating_entropy_production(self, rho):
        with pytest.raises(ValueError, match="entropy"):
            model_for(0.1, cross_ratio=rho)

    @pytest.mark.parametrize(
        "coupling", [0.33, StressCouplingMaterial(72e9, 0.22, 3e-6)], ids=["constant", "material"]
    )
    def test_rejects_forms_b_and_c_combined(self, coupling):
        with pytest.raises(ValueError, match=r"Form B.*Form C"):
            model_for(0.1, stress_coupling=coupling, cross_ratio=0.2, total_mobile=1.09e4)

    def test_margules_factor_with_cross_terms(self):
        """§1.5: D*_AB = n·(…): a regular-solution n(χ) must enter Form C as it does A and B
        (or the combination must be rejected); it must not be dropped silently."""
        w = 0.8 * R * T
        m = model_for(0.1, cross_ratio=0.3, margules_energy=w)
        try:
            got = interdiffusion_coefficient(CHI, m, T)
        except ValueError:
            return  # rejecting the combination is acceptable
        n = 1 - 2 * 0.8 * CHI * (1 - CHI)
        np.testing.assert_allclose(got, ref_form_c(CHI, 0.1 * D_B, D_B, 0.3, n), rtol=1e-13)

    def test_ill_posed_margules_rejected_with_cross_terms(self):
        # W/RT = 2.5 makes n(0.5) < 0 whatever the cross terms: must not be evaluated
        m = model_for(0.1, cross_ratio=0.3, margules_energy=2.5 * R * T)
        with pytest.raises(ValueError):
            interdiffusion_coefficient(CHI, m, T)


# --------------------------------------------------------------------------- thermodynamic factor


class TestMargules:
    @pytest.mark.parametrize("w_over_rt", [-1.0, 0.0, 0.7, 1.9])
    def test_formula(self, w_over_rt):
        n = margules_thermodynamic_factor(CHI_CLOSED, w_over_rt * R * T, T)
        np.testing.assert_allclose(
            n, 1 - 2 * w_over_rt * CHI_CLOSED * (1 - CHI_CLOSED), rtol=0, atol=8 * EPS
        )

    @pytest.mark.parametrize("w_over_rt", [-1.0, 0.7, 1.9])
    def test_is_dlna_dlnchi_of_regular_solution(self, w_over_rt):
        # n = ∂ln a_A/∂ln χ_A with ln a_A = ln χ + (W/RT)(1−χ)²: central difference in
        # ln χ with step h = 1e-5: truncation h²/6·|f'''| ~ 1e-10, round-off eps/h ~ 1e-11
        chi = np.array([0.05, 0.3, 0.5, 0.8, 0.97])
        h = 1e-5

        def ln_a(lnx):
            x = np.exp(lnx)
            return lnx + w_over_rt * (1 - x) ** 2

        numeric = (ln_a(np.log(chi) + h) - ln_a(np.log(chi) - h)) / (2 * h)
        np.testing.assert_allclose(
            margules_thermodynamic_factor(chi, w_over_rt * R * T, T), numeric, atol=1e-9
        )

    def test_model_uses_margules_factor(self):
        m = model_for(0.1, margules_energy=1.2 * R * T)
        expected = ref_d_ab(CHI_CLOSED, 0.1 * D_B, D_B) * (1 - 2.4 * CHI_CLOSED * (1 - CHI_CLOSED))
        np.testing.assert_allclose(
            interdiffusion_coefficient(CHI_CLOSED, m, T), expected, rtol=16 * EPS
        )

    @pytest.mark.parametrize("w_over_rt", [2.0001, 2.5, 5.0])
    def test_rejects_miscibility_gap_at_evaluation(self, w_over_rt):
        # the model is valid data (W is a property, T is not yet known) ...
        m = model_for(0.1, margules_energy=w_over_rt * R * T)
        # ... but at this T, n(0.5) = 1 − W/(2RT) ≤ 0: ill-posed diffusion equation
        with pytest.raises(ValueError, match="ill-posed"):
            interdiffusion_coefficient(CHI, m, T)
        with pytest.raises(ValueError, match="ill-posed"):
            kirchhoff_law(m, T)
        # at a temperature where W/RT < 2 the same model is fine
        hot = T * w_over_rt / 1.9
        assert np.all(interdiffusion_coefficient(CHI, m, hot) > 0)

    def test_just_below_critical_is_accepted(self):
        m = model_for(0.1, margules_energy=1.999 * R * T)
        assert np.all(interdiffusion_coefficient(CHI_CLOSED, m, T) > 0)

    def test_rothmund_kornfeld_and_margules_are_exclusive(self):
        with pytest.raises(ValueError, match="not both"):
            model_for(0.1, thermodynamic_factor=1.2, margules_energy=1e3)

    @pytest.mark.parametrize("n", [0.0, -1.0, math.nan])
    def test_rejects_bad_thermodynamic_factor(self, n):
        with pytest.raises(ValueError, match="thermodynamic_factor"):
            model_for(0.1, thermodynamic_factor=n)


# --------------------------------------------------------------------------- Form B


class TestStressCoupling:
    # docs/physics.md §1.4 soda-lime example
    E, NU, OMEGA, C_T, T450 = 72e9, 0.22, 3e-6, 1.09e4, 450.0 + 273.15

    def test_soda_lime_example(self):
        k = stress_coupling_constant(self.E, self.NU, self.OMEGA, self.C_T, self.T450)
        # docs/physics.md quotes K_AB ≈ 0.33 and α·C_T ≈ 0.67 GPa (two significant figures):
        # allow half a unit of the last quoted digit
        assert abs(k - 0.33) <= 0.005
        alpha_ct = k * R * self.T450 / self.OMEGA
        assert abs(alpha_ct - 0.67e9) <= 0.005e9
        # unrelaxed in-plane stress at full exchange, −EΩC_T/(3(1−ν)) ≈ −1.0 GPa (§1.4)
        assert abs(-self.E * self.OMEGA * self.C_T / (3 * (1 - self.NU)) + 1.0e9) <= 0.05e9

    def test_formula(self):
        k = stress_coupling_constant(self.E, self.NU, self.OMEGA, self.C_T, self.T450)
        expected = 2 * self.E * self.OMEGA**2 * self.C_T / (9 * (1 - self.NU) * R * self.T450)
        assert k == pytest.approx(expected, rel=8 * EPS)

    def test_paper_variant_with_vm_equal_inverse_ct_is_default(self):
        default = stress_coupling_constant(self.E, self.NU, self.OMEGA, self.C_T, self.T450)
        paper = stress_coupling_constant(
            self.E, self.NU, self.OMEGA, self.C_T, self.T450, host_molar_volume=1.0 / self.C_T
        )
        # V_m·C_T = (1/C_T)·C_T = 1 up to one rounding each: a few ulp
        assert paper == pytest.approx(default, rel=8 * EPS)
        # and otherwise it scales as 1/(V_m C_T)
        vm = 2.6e-5
        other = stress_coupling_constant(
            self.E, self.NU, self.OMEGA, self.C_T, self.T450, host_molar_volume=vm
        )
        assert other == pytest.approx(default / (vm * self.C_T), rel=8 * EPS)

    def test_material_and_model(self):
        mat = StressCouplingMaterial(self.E, self.NU, self.OMEGA)
        k = mat.coupling(self.C_T, self.T450)
        assert k == stress_coupling_constant(self.E, self.NU, self.OMEGA, self.C_T, self.T450)
        m = model_for(0.1, stress_coupling=mat, total_mobile=self.C_T)
        assert m.form == "B"
        assert m.coupling(self.T450) == k
        # K ∝ 1/T
        assert m.coupling(2 * self.T450) == pytest.approx(k / 2, rel=8 * EPS)
        expected = ref_d_ab(CHI_CLOSED, 0.1 * D_B, D_B) * (1 + k * CHI_CLOSED * (1 - CHI_CLOSED))
        np.testing.assert_allclose(
            interdiffusion_coefficient(CHI_CLOSED, m, self.T450), expected, rtol=16 * EPS
        )

    def test_form_b_with_margules(self):
        # n(χ) + K χ(1−χ) with n = 1 − 2(W/RT)χ(1−χ)
        m = model_for(0.1, stress_coupling=0.33, margules_energy=0.5 * R * T)
        s = CHI_CLOSED * (1 - CHI_CLOSED)
        expected = ref_d_ab(CHI_CLOSED, 0.1 * D_B, D_B) * (1 - 1.0 * s + 0.33 * s)
        np.testing.assert_allclose(
            interdiffusion_coefficient(CHI_CLOSED, m, T), expected, rtol=16 * EPS
        )

    def test_material_needs_total_mobile(self):
        with pytest.raises(ValueError, match="total_mobile"):
            model_for(0.1, stress_coupling=StressCouplingMaterial(self.E, self.NU, self.OMEGA))

    @pytest.mark.parametrize(
        "kwargs, field",
        [
            (dict(youngs_modulus=0.0), "youngs_modulus"),
            (dict(poisson_ratio=0.5), "poisson_ratio"),
            (dict(poisson_ratio=-1.0), "poisson_ratio"),
            (dict(host_molar_volume=0.0), "host_molar_volume"),
        ],
    )
    def test_material_validation(self, kwargs, field):
        args = dict(
            youngs_modulus=self.E, poisson_ratio=self.NU, molar_volume_difference=self.OMEGA
        )
        args.update(kwargs)
        with pytest.raises(ValueError, match=field):
            StressCouplingMaterial(**args)

    @pytest.mark.parametrize("k", [-0.1, math.nan, math.inf])
    def test_rejects_negative_or_nonfinite_coupling(self, k):
        with pytest.raises(ValueError):
            model_for(0.1, stress_coupling=k)


# --------------------------------------------------------------------------- model validation


def test_model_needs_both_ions_or_a_table():
    with pytest.raises(ValueError, match="both ions"):
        InterdiffusionModel(incoming=ArrheniusLaw.constant(1e-14))


def test_model_with_arrhenius_temperature_dependence():
    a = ArrheniusLaw(1e-6, 120e3)
    b = ArrheniusLaw(5e-7, 90e3)
    m = InterdiffusionModel(a, b)
    for temp in (600.0, 750.0):
        da = 1e-6 * math.exp(-120e3 / (R * temp))
        db = 5e-7 * math.exp(-90e3 / (R * temp))
        np.testing.assert_allclose(
            interdiffusion_coefficient(CHI_CLOSED, m, temp),
            ref_d_ab(CHI_CLOSED, da, db),
            rtol=1e-14,
        )


def test_max_and_min_coefficient_bound_the_profile():
    m = model_for(1e-2, margules_energy=1.5 * R * T)
    d = interdiffusion_coefficient(np.linspace(0, 1, 100001), m, T)
    # the maximum is at χ = 1 (D_B, n = 1), which the 201-point sampling contains: exact
    assert m.max_coefficient(T) == pytest.approx(d.max(), rel=1e-14)
    # the minimum is interior (n dips to 0.25 at χ = 0.5 while D_AB rises 100×); a
    # 201-point sampling lands within Δχ/2 = 2.5e-3 of it, i.e. above the true minimum by
    # ≤ (Δχ/2)²/2·|(ln D̃)''| ≈ 3e-6·O(100) ≲ 1e-3 relative: allow 1 %
    assert d.min() <= m.min_coefficient(T) <= 1.01 * d.min()


# --------------------------------------------------------------------------- Kirchhoff potential


def quad_potential(model, chis, breaks=()):
    """Φ(χ) = ∫₀^χ D̃ dξ by adaptive quadrature (scipy QUADPACK), relative accuracy 1e-13."""
    f = lambda x: float(interdiffusion_coefficient(x, model, T))  # noqa: E731
    out = []
    for c in chis:
        pts = [b for b in breaks if 0 < b < c]
        out.append(quad(f, 0.0, c, points=pts or None, epsabs=0.0, epsrel=1e-13, limit=500)[0])
    return np.array(out)


CLOSED_FORMS = {
    "A": {},
    "A_n1.3": dict(thermodynamic_factor=1.3),
    "B_K0.33": dict(stress_coupling=0.33),
    "Margules_W1.5RT": dict(margules_energy=1.5 * R * T),
    "B+Margules": dict(stress_coupling=0.33, margules_energy=0.9 * R * T),
}


@pytest.mark.parametrize("ratio", RATIOS)
@pytest.mark.parametrize("form", list(CLOSED_FORMS))
def test_kirchhoff_closed_forms_against_quadrature(form, ratio):
    """Forms A and B have Φ in closed form (log/rational) or by a quadrature that the
    implementation claims is exact to round-off: Φ must match QUADPACK (epsrel 1e-13)
    to 1e-12 pointwise-relative (~10× the quadrature's own accuracy, ~4000 ulp)."""
    m = model_for(ratio, **CLOSED_FORMS[form])
    phi, d = kirchhoff_potential(CHI, m, T)
    ref = quad_potential(m, CHI)
    np.testing.assert_allclose(phi, ref, rtol=1e-12, atol=0)
    # D̃ returned with Φ is D̃ itself; 1 + (D_A/D_B − 1)χ cancels by up to 1/ratio
    np.testing.assert_allclose(
        d, interdiffusion_coefficient(CHI, m, T), rtol=1e-15 * (1 + 1 / ratio), atol=0
    )
    phi0, _ = kirchhoff_potential(np.array([0.0]), m, T)
    assert phi0[0] == 0.0


@pytest.mark.parametrize("ratio", [1e-4, 1e-2, 0.1, 0.5, 1.0, 2.0, 10.0, 1e2, 1e4])
@pytest.mark.parametrize("rho", [-0.9, 0.5, 0.99])
def test_kirchhoff_form_c_against_quadrature(ratio, rho):
    """Form C's Φ is a cubic-Hermite table on 512 cosine-clustered intervals (O(h⁴)).
    Measured max |ΔΦ|/Φ(1): ≤ 4e-10 for 0.1 ≤ D_A/D_B ≤ 10, ≤ 4e-8 at 1e±2 and
    ≤ 4.5e-5 at 1e±4 (D̃ then changes by 10⁴ within χ ≲ 1e-4, i.e. the first 3 nodes).
    Tolerances: 1e-9 (smooth D̃) and 1e-4 otherwise, 30× below the production rtol 3e-3,
    so the flux law's own error stays negligible against the time integration."""
    m = model_for(ratio, cross_ratio=rho)
    phi, d = kirchhoff_potential(CHI_CLOSED, m, T)
    ref = quad_potential(m, CHI_CLOSED)
    tol = 1e-9 if 0.1 <= ratio <= 10 else 1e-4
    assert np.max(np.abs(phi - ref)) / ref[-1] <= tol
    np.testing.assert_array_equal(d, interdiffusion_coefficient(CHI_CLOSED, m, T))
    assert phi[0] == 0.0
    assert np.all(np.diff(phi) > 0)  # Φ strictly increasing (D̃ > 0)


def test_kirchhoff_tabulated_against_quadrature():
    """Table over the whole [0, 1]: PCHIP in ln D̃ is C¹, so the cubic-Hermite Φ table is
    O(h⁴): measured 3e-10 of Φ(1); 1e-9 allows a factor 3."""
    fr = (0.0, 0.2, 0.5, 0.8, 1.0)
    m = InterdiffusionModel(table=TabulatedInterdiffusion(fr, (1e-15, 3e-15, 2e-14, 1e-13, 1e-12)))
    phi, d = kirchhoff_potential(CHI_CLOSED, m, T)
    ref = quad_potential(m, CHI_CLOSED, breaks=fr)
    assert np.max(np.abs(phi - ref)) / ref[-1] <= 1e-9


def test_kirchhoff_tabulated_with_constant_extension():
    """Table on [0.1, 0.9], constant beyond: D̃' jumps at 0.1 and 0.9 and the Φ table
    (nodes not aligned with the kinks) is locally only O(h²) there, h ≈ (π/512)·√(χ(1−χ))
    ≈ 1.8e-3 ⇒ h² ≈ 3e-6. Measured 2.8e-6 of Φ(1); tolerance 2e-5."""
    fr = (0.1, 0.2, 0.5, 0.8, 0.9)
    m = InterdiffusionModel(table=TabulatedInterdiffusion(fr, (1e-15, 3e-15, 2e-14, 1e-13, 1e-12)))
    phi, _ = kirchhoff_potential(CHI_CLOSED, m, T)
    ref = quad_potential(m, CHI_CLOSED, breaks=fr)
    assert np.max(np.abs(phi - ref)) / ref[-1] <= 2e-5


@pytest.mark.parametrize(
    "model_kw", [dict(), dict(stress_coupling=0.5), dict(cross_ratio=0.4)], ids=["A", "B", "C"]
)
def test_kirchhoff_linear_continuation_outside_unit_interval(model_kw):
    # Φ continues with slope D̃(0) below 0 and D̃(1) above 1 (Newton overshoot safety)
    m = model_for(0.05, **model_kw)
    law = kirchhoff_law(m, T)
    ends_phi, ends_d = law(np.array([0.0, 1.0]))
    phi, d = law(np.array([-0.01, 1.02]))
    np.testing.assert_array_equal(d, ends_d)
    np.testing.assert_allclose(phi, ends_phi + ends_d * np.array([-0.01, 0.02]), rtol=1e-14)


def test_kirchhoff_law_matches_potential():
    m = model_for(3.0, stress_coupling=0.2)
    law = kirchhoff_law(m, T)
    a = law(CHI)
    b = kirchhoff_potential(CHI, m, T)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


# --------------------------------------------------------------------------- tabulated D̃


class TestTabulated:
    FR = (0.1, 0.3, 0.5, 0.7, 0.9)
    CO = (2e-15, 5e-15, 3e-14, 8e-14, 4e-13)

    def table(self, **kw):
        return TabulatedInterdiffusion(self.FR, self.CO, **kw)

    def test_passes_through_nodes(self):
        # exp(ln c): relative error ≤ |ln c|·eps ≈ 35 eps
        np.testing.assert_allclose(
            self.table()(np.array(self.FR), 700.0), self.CO, rtol=64 * EPS, atol=0
        )

    def test_constant_beyond_the_ends(self):
        tab = self.table()
        lo = tab(np.array([0.0, 0.05, 0.1]), 700.0)
        hi = tab(np.array([0.9, 0.95, 1.0]), 700.0)
        assert np.all(lo == lo[-1]) and np.all(hi == hi[0])

    def test_monotone_between_monotone_nodes(self):
        # PCHIP preserves monotonicity of the data (no overshoot between nodes)
        chi = np.linspace(0.1, 0.9, 2001)
        d = self.table()(chi, 700.0)
        assert np.all(np.diff(d) >= 0)
        assert d.min() >= min(self.CO) * (1 - 64 * EPS) and d.max() <= max(self.CO) * (1 + 64 * EPS)

    def test_arrhenius_scaling(self):
        q, tref = 110e3, 700.0
        tab = self.table(activation_energy=q, reference_temperature=tref)
        chi = np.array([0.0, 0.2, 0.6, 1.0])
        base = self.table()(chi, tref)
        np.testing.assert_array_equal(tab(chi, tref), base)
        for temp in (650.0, 780.0):
            factor = math.exp(-q / R * (1 / temp - 1 / tref))
            np.testing.assert_allclose(tab(chi, temp), base * factor, rtol=8 * EPS)
        # through the model too
        m = InterdiffusionModel(table=tab)
        assert m.form == "tabulated"
        np.testing.assert_allclose(
            interdiffusion_coefficient(chi, m, 780.0), tab(chi, 780.0), rtol=0
        )

    @pytest.mark.parametrize(
        "fr, co, kw",
        [
            ((0.1,), (1e-15,), {}),
            ((0.1, 0.5), (1e-15,), {}),
            ((0.5, 0.1), (1e-15, 1e-14), {}),
            ((0.1, 0.1), (1e-15, 1e-14), {}),
            ((-0.1, 0.5), (1e-15, 1e-14), {}),
            ((0.1, 1.1), (1e-15, 1e-14), {}),
            ((0.1, 0.5), (0.0, 1e-14), {}),
            ((0.1, 0.5), (1e-15, math.nan), {}),
            ((0.1, 0.5), (1e-15, 1e-14), dict(activation_energy=-1.0)),
            ((0.1, 0.5), (1e-15, 1e-14), dict(activation_energy=1e5)),
        ],
    )
    def test_validation(self, fr, co, kw):
        with pytest.raises(ValueError):
            TabulatedInterdiffusion(fr, co, **kw)

    @pytest.mark.parametrize(
        "kw",
        [
            dict(stress_coupling=0.1),
            dict(cross_ratio=0.1),
            dict(thermodynamic_factor=1.2),
            dict(margules_energy=1e3),
        ],
    )
    def test_table_excludes_other_options(self, kw):
        with pytest.raises(ValueError, match="tabulated"):
            InterdiffusionModel(table=self.table(), **kw)


@pytest.mark.parametrize("tabulated", [False, True])
def test_scaled_law_is_the_law_times_the_factor(tabulated):
    """KirchhoffLaw.scaled(f) (the reduced clock's D̃/s): D̃ and Φ = ∫D̃ both scale by f, for
    the closed form and for a table (Φ against QUADPACK of f·D̃)."""
    from ionex.physics.kirchhoff import KirchhoffLaw

    def coefficient(c):
        return nernst_planck_coefficient(c, 1e-15, 1e-14) * (1.0 + 0.3 * np.sqrt(c * (1.0 - c)))

    law = (
        KirchhoffLaw.tabulate(coefficient)
        if tabulated
        else KirchhoffLaw.rational(1e-15, 1e-14, 1.2, 0.4)
    )
    chi = np.linspace(0.0, 1.0, 41)
    phi, d = law(chi)
    phi_s, d_s = law.scaled(2.5)(chi)
    np.testing.assert_allclose(d_s, 2.5 * d, rtol=1e-13)
    np.testing.assert_allclose(phi_s, 2.5 * phi, rtol=1e-13, atol=1e-30)
    if tabulated:
        exact = quad(lambda c: 2.5 * coefficient(c), 0.0, 0.7, epsabs=0, epsrel=1e-13)[0]
        assert law.scaled(2.5)(np.array([0.7]))[0][0] == pytest.approx(exact, rel=1e-9)
    with pytest.raises(ValueError, match="scale factor"):
        law.scaled(0.0)
