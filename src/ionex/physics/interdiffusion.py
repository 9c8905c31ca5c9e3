"""Binary interdiffusion coefficient D̃(χ) of an incoming ion A replacing a host ion B.

Macrelli's kinetic flux equations (docs/physics.md §1, Macrelli's preprint). The transport equation is
∂χ/∂t = ∂/∂x [D̃(χ) ∂χ/∂x] with χ the site fraction of A; D̃ takes one of the forms

* Form A (§1.3)  D̃ = D_AB(χ)·n(χ),            D_AB = D_A D_B / (χ D_A + (1−χ) D_B)
* Form B (§1.4)  D̃ = D_AB(χ)·{n(χ) + K_AB χ(1−χ)}
* Form C (§1.5)  D̃ = D_AB(χ)·n·Ψ_cross(χ)
* a user table D̃(χ), interpolated (for fitted or Boltzmann–Matano data).

n is the thermodynamic factor: constant (Rothmund–Kornfeld, n = 1 is *ideal*) or from a
regular (Margules) solution, n(χ) = 1 − 2(W/RT)χ(1−χ).

The solver uses the Kirchhoff potential Φ(χ) = ∫₀^χ D̃(ξ) dξ: the flux between two points
of a 1-D steady profile is exactly −ΔΦ/Δx, whatever the nonlinearity of D̃.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ..constants import FARADAY, GAS_CONSTANT
from ..validators import FieldError
from .arrhenius import ArrheniusLaw, check_activation
from .kirchhoff import KirchhoffLaw
from .stress import check_elastic_constants

__all__ = [
    "InterdiffusionModel",
    "StressCouplingMaterial",
    "TabulatedInterdiffusion",
    "nernst_planck_coefficient",
    "margules_thermodynamic_factor",
    "stress_coupling_constant",
    "onsager_cross_coefficients",
    "cross_term_factor",
    "transference_number",
    "far_field_current",
    "interdiffusion_coefficient",
    "kirchhoff_potential",
    "kirchhoff_law",
]


# --------------------------------------------------------------------------- pure forms


def nernst_planck_coefficient(frac_a, d_a, d_b):
    """Nernst–Planck (Helfferich–Plesset) interdiffusion coefficient, docs/physics.md §1.3.

    D_AB = D_A·D_B / (χ_A·D_A + (1 − χ_A)·D_B) = D_A / (1 − α_HP χ_A),  α_HP = 1 − D_A/D_B.

    Args:
        frac_a: site fraction χ_A of the incoming ion (dimensionless, 0..1).
        d_a, d_b: self-diffusion coefficients D_A, D_B of incoming and host ion (m²/s).
    Returns: D_AB in m²/s.
    """
    frac_a = np.asarray(frac_a, dtype=float)
    return d_a * d_b / (frac_a * d_a + (1.0 - frac_a) * d_b)


def transference_number(frac_a, d_a, d_b):
    """Share of the ionic current carried by the incoming ion in an electroneutral binary glass.

        t_A = χ_A·D_A / (χ_A·D_A + (1 − χ_A)·D_B)

    With j = i/(F·C_T) the current density in units of a flux per site concentration (m/s),
    the flux of A is J_A/C_T = −D̃ ∇χ_A + t_A·j: the same D̃ as without a field (the
    thermodynamic factor and stress coupling multiply D̃ only), plus migration.

    Args:
        frac_a: site fraction χ_A (dimensionless, 0..1).
        d_a, d_b: self-diffusion coefficients D_A, D_B (m²/s).
    Returns: t_A (dimensionless, 0..1).
    """
    frac_a = np.asarray(frac_a, dtype=float)
    return frac_a * d_a / (frac_a * d_a + (1.0 - frac_a) * d_b)


def far_field_current(field, d_b, temperature):
    """Current density, per unit site concentration, that an applied field drives through
    the unexchanged glass (only host ions B there): Nernst–Einstein,

        j = i/(F·C_T) = D_B·F·E/(R·T)

    Args:
        field: E in the unexchanged glass (V/m; positive drives cations into the glass).
        d_b: D_B of the host ion (m²/s).  temperature: T (K).
    Returns: j in m/s.
    """
    return d_b * FARADAY * field / (GAS_CONSTANT * temperature)


def margules_thermodynamic_factor(frac_a, margules_energy, temperature):
    """Thermodynamic factor of a regular (Margules) solution, docs/physics.md §1.3.

    ln γ_A = (W/RT)(1 − χ_A)²  ⇒  n(χ_A) = 1 − 2(W/RT)·χ_A(1 − χ_A).

    Args:
        frac_a: χ_A (dimensionless).  margules_energy: W in J/mol.  temperature: T in K.
    """
    frac_a = np.asarray(frac_a, dtype=float)
    return 1.0 - 2.0 * margules_energy / (GAS_CONSTANT * temperature) * frac_a * (1.0 - frac_a)


def stress_coupling_constant(
    youngs_modulus,
    poisson_ratio,
    molar_volume_difference,
    total_mobile,
    temperature,
    host_molar_volume=None,
):
    """Chemical-stress coupling constant K_AB of Form B, docs/physics.md §1.4.

    K_AB = α·C_T·Ω_AB/(R T) with the free-plate (default) choice
    α = 2 E Ω_AB / (9 (1 − ν)), i.e. K_AB = 2 E Ω_AB² C_T / (9 (1 − ν) R T).
    With ``host_molar_volume`` V_m the paper's printed variant α = 2EΩ_AB/(9 V_m C_T (1−ν))
    is used instead (it agrees with the default only when V_m·C_T = 1).

    Args:
        youngs_modulus: E in Pa.  poisson_ratio: ν (dimensionless).
        molar_volume_difference: Ω_AB = Ω_A − Ω_B in m³/mol.
        total_mobile: C_T in mol/m³.  temperature: T in K.
        host_molar_volume: V_m in m³/mol, or None for the default α.
    Returns: K_AB (dimensionless).
    """
    if host_molar_volume is None:
        alpha = 2.0 * youngs_modulus * molar_volume_difference / (9.0 * (1.0 - poisson_ratio))
    else:
        alpha = (
            2.0
            * youngs_modulus
            * molar_volume_difference
            / (9.0 * host_molar_volume * total_mobile * (1.0 - poisson_ratio))
        )
    return alpha * total_mobile * molar_volume_difference / (GAS_CONSTANT * temperature)


def onsager_cross_coefficients(frac_a, d_a, d_b, cross_ratio):
    """Cross diffusion coefficients D_AB, D_BA consistent with Onsager symmetry, §1.5.

    With ρ = L_AB/√(L_AA L_BB) (|ρ| < 1 for positive entropy production) and
    L_ii = D_i C_T χ_i/(RT):  D_AB = ρ√(D_A D_B χ_A/χ_B),  D_BA = ρ√(D_A D_B χ_B/χ_A),
    so that χ_B·D_AB = χ_A·D_BA (L_AB = L_BA).

    Args: frac_a χ_A; d_a, d_b in m²/s; cross_ratio ρ (dimensionless). Returns m²/s.
    """
    frac_a = np.asarray(frac_a, dtype=float)
    frac_b = 1.0 - frac_a
    root = np.sqrt(d_a * d_b)
    return cross_ratio * root * np.sqrt(frac_a / frac_b), cross_ratio * root * np.sqrt(
        frac_b / frac_a
    )


def cross_term_factor(frac_a, d_a, d_b, d_ab, d_ba):
    """Onsager cross-term factor Ψ_cross of Form C, docs/physics.md §1.5 (Macrelli eq. 41).

    Ψ = (χ_A D_A + χ_B D_B)/(χ_A D_A + χ_B D_B + χ_A D_BA + χ_B D_AB) · (1 − D_AB D_BA/(D_A D_B))

    Args: frac_a χ_A; d_a, d_b, d_ab, d_ba in m²/s. Returns Ψ (dimensionless).
    """
    frac_a = np.asarray(frac_a, dtype=float)
    frac_b = 1.0 - frac_a
    mobility = frac_a * d_a + frac_b * d_b
    return mobility / (mobility + frac_a * d_ba + frac_b * d_ab) * (1.0 - d_ab * d_ba / (d_a * d_b))


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class StressCouplingMaterial:
    """Glass data from which the Form-B coupling K_AB(T) is computed (docs/physics.md §1.4).

    Attributes:
        youngs_modulus: E (Pa).  poisson_ratio: ν.
        molar_volume_difference: Ω_A − Ω_B (m³/mol).
        host_molar_volume: V_m (m³/mol) to use the paper's printed α, or None (default,
            free-plate α = 2EΩ_AB/(9(1−ν))).
    """

    youngs_modulus: float
    poisson_ratio: float
    molar_volume_difference: float
    host_molar_volume: float | None = None

    def __post_init__(self):
        check_elastic_constants(self.youngs_modulus, self.poisson_ratio)
        if not math.isfinite(self.molar_volume_difference):
            raise FieldError(
                "molar_volume_difference",
                self.molar_volume_difference,
                "expected a finite molar volume difference",
                "m^3/mol",
            )
        if self.host_molar_volume is not None and not self.host_molar_volume > 0:
            raise FieldError(
                "host_molar_volume",
                self.host_molar_volume,
                "expected a molar volume > 0",
                "m^3/mol",
            )

    def coupling(self, total_mobile: float, temperature: float) -> float:
        """K_AB at C_T (mol/m³) and T (K)."""
        return stress_coupling_constant(
            self.youngs_modulus,
            self.poisson_ratio,
            self.molar_volume_difference,
            total_mobile,
            temperature,
            self.host_molar_volume,
        )


@dataclass(frozen=True)
class TabulatedInterdiffusion:
    """A user-tabulated D̃(χ), interpolated monotonically (PCHIP) in ln D̃.

    Held constant beyond the first and last tabulated fraction. Optionally scaled in
    temperature as D̃(χ, T) = D̃_table(χ)·exp(−Q/R·(1/T − 1/T_ref)).

    Attributes:
        fractions: strictly increasing χ values (dimensionless, within [0, 1]).
        coefficients: D̃ at those fractions (m²/s, > 0).
        activation_energy: Q (J/mol), 0 for a temperature-independent table.
        reference_temperature: T_ref (K) of the table, needed when Q > 0.
    """

    fractions: tuple[float, ...]
    coefficients: tuple[float, ...]
    activation_energy: float = 0.0
    reference_temperature: float | None = None
    _log_interp: object = field(default=None, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self):
        fr = np.asarray(self.fractions, dtype=float)
        co = np.asarray(self.coefficients, dtype=float)
        if fr.ndim != 1 or fr.size < 2 or fr.size != co.size:
            raise ValueError(
                "a D̃(χ) table needs at least two (fraction, coefficient) pairs of equal length"
            )
        if not np.all(np.isfinite(fr)) or np.any(np.diff(fr) <= 0) or fr[0] < 0 or fr[-1] > 1:
            raise FieldError(
                "fractions",
                self.fractions,
                "expected finite fractions, strictly increasing and within [0, 1]",
            )
        if not np.all(np.isfinite(co)) or np.any(co <= 0):
            raise FieldError(
                "coefficients", self.coefficients, "expected finite coefficients D̃ > 0 m^2/s"
            )
        check_activation(self.activation_energy, self.reference_temperature, "table")
        from scipy.interpolate import PchipInterpolator

        object.__setattr__(
            self, "_log_interp", PchipInterpolator(fr, np.log(co), extrapolate=False)
        )

    def __call__(self, frac_a, temperature):
        """D̃ (m²/s) at χ and T (K)."""
        fr = self.fractions
        c = np.clip(np.asarray(frac_a, dtype=float), fr[0], fr[-1])
        d = np.exp(self._log_interp(c))
        if self.activation_energy > 0:
            d = d * math.exp(
                -self.activation_energy
                / GAS_CONSTANT
                * (1 / temperature - 1 / self.reference_temperature)
            )
        return d


@dataclass(frozen=True)
class InterdiffusionModel:
    """Parameters of D̃(χ, T) for A (incoming) replacing B (host); all SI.

    Attributes:
        incoming: D_A(T) of the incoming ion A (m²/s, Arrhenius law).
        host: D_B(T) of the host ion B (m²/s, Arrhenius law).
        thermodynamic_factor: constant Rothmund–Kornfeld n (> 0; 1 = ideal).
        margules_energy: regular-solution interaction W (J/mol); 0 = ideal.
        stress_coupling: Form-B K_AB, a dimensionless constant or a StressCouplingMaterial.
        cross_ratio: Form-C Onsager cross ratio ρ = L_AB/√(L_AA L_BB), |ρ| < 1.
        total_mobile: C_T (mol/m³), needed when K_AB comes from a material.
        table: a TabulatedInterdiffusion replacing the analytic forms.
    """

    incoming: ArrheniusLaw | None = None
    host: ArrheniusLaw | None = None
    thermodynamic_factor: float = 1.0
    margules_energy: float = 0.0
    stress_coupling: float | StressCouplingMaterial = 0.0
    cross_ratio: float = 0.0
    total_mobile: float | None = None
    table: TabulatedInterdiffusion | None = None

    def __post_init__(self):
        if self.table is None and (self.incoming is None or self.host is None):
            raise ValueError(
                "an interdiffusion model needs D of both ions (incoming and host) or a D̃(χ) table"
            )
        if not (math.isfinite(self.thermodynamic_factor) and self.thermodynamic_factor > 0):
            raise FieldError(
                "thermodynamic_factor",
                self.thermodynamic_factor,
                "expected a thermodynamic factor n > 0 (1 = ideal)",
            )
        if not math.isfinite(self.margules_energy):
            raise FieldError(
                "margules_energy", self.margules_energy, "expected a finite energy W", "J/mol"
            )
        if self.thermodynamic_factor != 1.0 and self.margules_energy != 0.0:
            raise ValueError(
                "give either a constant thermodynamic_factor (Rothmund–Kornfeld n) or a "
                "regular-solution margules_energy W, not both: they are alternative activity models"
            )
        if not (math.isfinite(self.cross_ratio) and abs(self.cross_ratio) < 1.0):
            raise FieldError(
                "cross_ratio",
                self.cross_ratio,
                "expected an Onsager cross ratio rho = L_AB/sqrt(L_AA L_BB) with |rho| < 1 "
                "(positive entropy production: L_AA·L_BB > L_AB²)",
            )
        coupled = (
            isinstance(self.stress_coupling, StressCouplingMaterial) or self.stress_coupling != 0.0
        )
        if isinstance(self.stress_coupling, (int, float)) and not (
            math.isfinite(self.stress_coupling) and self.stress_coupling >= 0
        ):
            raise FieldError(
                "stress_coupling",
                self.stress_coupling,
                "expected K_AB >= 0 (it is proportional to (Omega_A - Omega_B)^2)",
            )
        if coupled and self.cross_ratio != 0.0:
            raise ValueError(
                "Form B (stress coupling) and Form C (Onsager cross terms) are derived separately "
                "(docs/physics.md §1.4, §1.5); their combination is not defined: set one of them to zero"
            )
        if isinstance(self.stress_coupling, StressCouplingMaterial) and not (
            self.total_mobile and self.total_mobile > 0
        ):
            raise ValueError("computing K_AB from E, ν, Ω needs total_mobile C_T > 0 mol/m^3")
        if self.table is not None and (
            coupled
            or self.cross_ratio != 0.0
            or self.thermodynamic_factor != 1.0
            or self.margules_energy != 0.0
        ):
            raise ValueError(
                "a tabulated D̃(χ) already contains n, K_AB and cross terms: give no other model options"
            )

    @property
    def form(self) -> str:
        """'A', 'B', 'C' or 'tabulated'."""
        if self.table is not None:
            return "tabulated"
        if self.cross_ratio != 0.0:
            return "C"
        if isinstance(self.stress_coupling, StressCouplingMaterial) or self.stress_coupling != 0.0:
            return "B"
        return "A"

    def coupling(self, temperature: float) -> float:
        """K_AB at temperature T (K)."""
        if isinstance(self.stress_coupling, StressCouplingMaterial):
            return self.stress_coupling.coupling(self.total_mobile, temperature)
        return float(self.stress_coupling)

    def polynomial_factor(self, temperature: float) -> tuple[float, float]:
        """(n0, k) of the factor n(χ) + K_AB χ(1−χ) = n0 + k·χ(1−χ) of Forms A and B at T (K)."""
        n0 = self.thermodynamic_factor
        k = self.coupling(temperature) - 2.0 * self.margules_energy / (GAS_CONSTANT * temperature)
        if n0 + min(k, 0.0) / 4.0 <= 0.0:
            raise ValueError(
                f"the thermodynamic factor becomes <= 0 at χ = 0.5 at T = {temperature:.2f} K "
                f"(W/RT = {self.margules_energy / (GAS_CONSTANT * temperature):.3g} > 2): the regular solution "
                "is inside its miscibility gap and the diffusion equation is ill-posed"
            )
        return n0, k

    def max_coefficient(self, temperature: float) -> float:
        """An upper bound of D̃ over χ ∈ [0, 1] at T (K), in m²/s (for domain sizing)."""
        c = np.linspace(0.0, 1.0, 201)
        return float(np.max(interdiffusion_coefficient(c, self, temperature)))

    def min_coefficient(self, temperature: float) -> float:
        """The smallest D̃ over χ ∈ [0, 1] at T (K), in m²/s (for mesh resolution)."""
        c = np.linspace(0.0, 1.0, 201)
        return float(np.min(interdiffusion_coefficient(c, self, temperature)))


# --------------------------------------------------------------------------- D̃ and Φ


def interdiffusion_coefficient(frac_a, model: InterdiffusionModel, temperature: float):
    """Interdiffusion coefficient D̃(χ_A) at temperature T, docs/physics.md §1.3–1.7.

    Args:
        frac_a: site fraction χ_A of the incoming ion (dimensionless); clipped to [0, 1].
        model: InterdiffusionModel (SI).
        temperature: T in K.
    Returns: D̃ in m²/s, same shape as frac_a.
    """
    c = np.clip(np.asarray(frac_a, dtype=float), 0.0, 1.0)
    if model.table is not None:
        return model.table(c, temperature)
    d_a = float(model.incoming(temperature))
    d_b = float(model.host(temperature))
    d_ab = nernst_planck_coefficient(c, d_a, d_b)
    # thermodynamic factor n(χ) (+ K_AB χ(1−χ) in Form B) = n0 + k·χ(1−χ)
    n0, k = model.polynomial_factor(temperature)
    factor = d_ab * (n0 + k * c * (1.0 - c))
    if model.cross_ratio != 0.0:
        return factor * _form_c_factor(c, d_a, d_b, model.cross_ratio)
    return factor


def _form_c_factor(c, d_a, d_b, rho):
    # Ψ_cross in closed form for the Onsager-consistent ρ parameterisation:
    # Ψ = (1−ρ²)(χD_A+(1−χ)D_B)/(χD_A+(1−χ)D_B+2ρ√(D_A D_B χ(1−χ)))  (no 0/0 at χ = 0, 1).
    mobility = c * d_a + (1.0 - c) * d_b
    return (
        (1.0 - rho * rho) * mobility / (mobility + 2.0 * rho * np.sqrt(d_a * d_b * c * (1.0 - c)))
    )


def kirchhoff_potential(frac_a, model: InterdiffusionModel, temperature: float):
    """Kirchhoff potential Φ(χ) = ∫₀^χ D̃(ξ) dξ and D̃(χ) = dΦ/dχ at temperature T.

    Outside [0, 1] Φ continues linearly with slope D̃(0) or D̃(1) (ionex.physics.kirchhoff).

    Args: frac_a χ_A (dimensionless array); model; temperature T (K).
    Returns: (Φ in m²/s, D̃ in m²/s), arrays shaped like frac_a.
    """
    frac_a = np.asarray(frac_a, dtype=float)
    phi, d = kirchhoff_law(model, temperature)(frac_a)
    if model.table is not None or model.cross_ratio != 0.0:
        # the tabulated law interpolates D̃ only for the solver's Jacobian; give the exact one
        c = np.clip(frac_a, 0.0, 1.0)
        exact = interdiffusion_coefficient(c, model, temperature)
        phi = phi + (exact - d) * (frac_a - c)
        d = exact
    return phi, d


def kirchhoff_law(model: InterdiffusionModel, temperature: float) -> KirchhoffLaw:
    """The law χ ↦ (Φ(χ), D̃(χ)) of ``model`` at T (K), in the form the solver evaluates.

    Forms A and B (constant or Margules n, any K_AB) have Φ in closed form; Form C and
    tabulated D̃ are tabulated in Φ (see KirchhoffLaw.tabulate), once per temperature.
    """
    temperature = float(temperature)
    if model.table is None and model.cross_ratio == 0.0:
        n0, k = model.polynomial_factor(temperature)
        return KirchhoffLaw.rational(
            float(model.incoming(temperature)), float(model.host(temperature)), n0, k
        )
    return _tabulated_law(model, temperature)


@lru_cache(maxsize=64)
def _tabulated_law(model: InterdiffusionModel, temperature: float) -> KirchhoffLaw:
    return KirchhoffLaw.tabulate(lambda c: interdiffusion_coefficient(c, model, temperature))
