"""Cited material presets (SI). Every value carries its provenance; values marked
UNCONFIRMED are literature-typical placeholders, to be replaced by your data.

ROG-2019: R. Rogoziński, "Stresses Produced in the BK7 Glass by the K+–Na+ Ion Exchange:
Real-Time Process Control Method", Appl. Sci. 9(12) (2019) 2548, doi:10.3390/app9122548.
ROG-2015: R. Rogoziński, "Producing the Gradient Changes in Glass Refraction by the Ion
Exchange Method — Selected Aspects", in A. Kilislioglu (ed.), Ion Exchange — Studies and
Applications, InTech (2015), doi:10.5772/60641."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..constants import GAS_CONSTANT

__all__ = [
    "Material",
    "PrismPreset",
    "ExchangePreset",
    "MATERIALS",
    "PRISMS",
    "EXCHANGES",
    "material",
    "prism",
    "exchange",
    "oxide_cation_concentration",
]


@dataclass(frozen=True)
class Material:
    """Optical and elastic data of a glass at one wavelength (SI).

    Attributes:
        name, wavelength (m), base_index n_b, index_change Δn_0 (per unit site fraction of
        the incoming ion), youngs_modulus E (Pa), poisson_ratio ν, dilation B (linear strain
        per unit site fraction), c_parallel, c_perp (Pa⁻¹), provenance: field → source.
    """

    name: str
    wavelength: float
    base_index: float
    index_change: float
    youngs_modulus: float
    poisson_ratio: float
    dilation: float
    c_parallel: float
    c_perp: float
    provenance: dict = field(default_factory=dict, compare=False, hash=False)

    def unconfirmed(self) -> list[str]:
        """Fields whose value is a placeholder."""
        return [k for k, v in self.provenance.items() if "UNCONFIRMED" in v]


@dataclass(frozen=True)
class PrismPreset:
    """A coupling prism: index n_p at ``wavelength`` (m) and refracting angle δ (rad)."""

    name: str
    wavelength: float
    index: float
    angle: float
    provenance: str = ""


BK7_677 = Material(
    name="BK7 (677 nm)",
    wavelength=677e-9,
    base_index=1.5137,
    index_change=0.0075,
    youngs_modulus=82e9,
    poisson_ratio=0.206,
    dilation=4.8e-3,
    c_parallel=-0.5e-12,
    c_perp=-3.3e-12,
    provenance={
        "base_index": "Schott N-BK7 Sellmeier formula evaluated at 677 nm [DERIVED/STANDARD]",
        "index_change": "Δn_0 ≈ 0.006–0.008 for K+/Na+, estimated from Δn_TE(0) ≈ 0.009 and Δn_TM(0) ≈ 0.010 of ROG-2019; its Table 2 value was not recovered [DERIVED, UNCONFIRMED]",
        "youngs_modulus": "Schott N-BK7 [STANDARD]",
        "poisson_ratio": "Schott N-BK7 [STANDARD]",
        "dilation": "B from |σ(0)| ≈ 500 MPa = E·B/(1−ν), |σ(0)| of several hundred MPa in ROG-2019 [DERIVED, UNCONFIRMED]; with C_T of BK7_K_NA it means Ω_AB = 3B/C_T ≈ 2.2 cm³/mol",
        "c_parallel": "BK-7 C1 = −5.0e-7 MPa⁻¹ as quoted by literature citing ROG-2015, not at 677 nm [UNCONFIRMED]",
        "c_perp": "BK-7 C2 = −3.3e-6 MPa⁻¹, ibid.; C∥ − C⊥ = 2.8e-12 Pa⁻¹ ≈ Schott K = 2.77e-12 at 589 nm [UNCONFIRMED]",
    },
)

SODA_LIME_589 = Material(
    name="soda-lime float (589 nm)",
    wavelength=589e-9,
    base_index=1.52,
    index_change=0.009,
    youngs_modulus=72e9,
    poisson_ratio=0.22,
    dilation=3e-6 * 1.09e4 / 3.0,
    c_parallel=-0.4e-12,
    c_perp=-3.0e-12,
    provenance={
        "base_index": "typical soda-lime float glass [STANDARD]",
        "index_change": "K+/Na+ surface index change ≈ 0.009 [UNCONFIRMED]",
        "youngs_modulus": "typical soda-lime float glass [STANDARD]",
        "poisson_ratio": "typical soda-lime float glass [STANDARD]",
        "dilation": "B = Ω_AB·C_T/3 with Ω_AB ≈ 3 cm³/mol [UNCONFIRMED] and C_T = 1.09e4 mol/m³ of Na+ (13.5 wt% Na2O at 2.5 g/cm³: 2 × 0.135 × 2500 / 0.061979 = 1.089e4 mol/m³)",
        "c_parallel": "soda-lime C∥ − C⊥ ≈ 2.6e-12 Pa⁻¹ (typical stress-optic coefficient) split like BK7 [UNCONFIRMED]",
        "c_perp": "see c_parallel [UNCONFIRMED]",
    },
)

PSK3_677 = PrismPreset(
    name="PSK-3 (677 nm)",
    wavelength=677e-9,
    index=1.5491,
    angle=math.radians(70.0963),
    provenance="Rogoziński (2019): n_p(677 nm) = 1.5491, refracting angle 70.0963° [PAPER]",
)

MATERIALS = {"BK7": BK7_677, "soda-lime": SODA_LIME_589}
PRISMS = {"PSK-3": PSK3_677}


# molar masses (g/mol → kg/mol) of the alkali oxides, from the IUPAC standard atomic weights
NA2O_MOLAR_MASS = (2 * 22.98977 + 15.999) * 1e-3
K2O_MOLAR_MASS = (2 * 39.0983 + 15.999) * 1e-3


def oxide_cation_concentration(
    mass_fraction: float, density: float, oxide_molar_mass: float, cations_per_oxide: int = 2
) -> float:
    """Concentration of the cations an oxide brings into a glass (mol/m³).

    c = n·w·ρ/M: one mole of M2O (M = Na, K, Li) carries n = 2 moles of M+. C_T of a
    binary exchange counts *ions*, never oxide units — 8 wt% Na2O is twice as many Na+
    as Na2O formula units.

    Args: mass_fraction w (dimensionless, 0.08 for 8 wt%); density ρ (kg/m³);
        oxide_molar_mass M (kg/mol); cations_per_oxide n.
    """
    if not (0.0 <= mass_fraction <= 1.0):
        raise ValueError(f"mass fraction must lie in [0, 1], got {mass_fraction!r}")
    return cations_per_oxide * mass_fraction * density / oxide_molar_mass


@dataclass(frozen=True)
class ExchangePreset:
    """One ion pair in one glass: the exchanging-site concentration and the Arrhenius laws
    D = D0·exp(−Q/(R T)) of both ions (SI). A recipe takes these values as its [glass]
    total_mobile and its [ions.<A>], [ions.<B>] D0 and Q.

    Attributes:
        name, glass, incoming_ion (A), host_ion (B);
        total_mobile: C_T, concentration of the exchanging sites — the host ions of the
            glass (mol/m³);
        incoming_d0, incoming_q, host_d0, host_q: D0 (m²/s) and Q (J/mol) of A and B;
        provenance: field → source.
    """

    name: str
    glass: str
    incoming_ion: str
    host_ion: str
    total_mobile: float
    incoming_d0: float
    incoming_q: float
    host_d0: float
    host_q: float
    provenance: dict = field(default_factory=dict, compare=False, hash=False)

    def incoming_coefficient(self, temperature: float) -> float:
        """D_A(T) in m²/s at T in K."""
        return self.incoming_d0 * math.exp(-self.incoming_q / (GAS_CONSTANT * temperature))

    def host_coefficient(self, temperature: float) -> float:
        """D_B(T) in m²/s at T in K."""
        return self.host_d0 * math.exp(-self.host_q / (GAS_CONSTANT * temperature))

    def unconfirmed(self) -> list[str]:
        """Fields whose value is a placeholder."""
        return [k for k, v in self.provenance.items() if "UNCONFIRMED" in v]


# D_K(413.1 °C) giving exactly 10 TE modes at 677 nm for examples/bk7_k_na_91h.toml
# (91 h, 1.5 mm plate exchanged on both faces, KWW τ = 2000 h, β = 0.6, the BK7_677 optics):
# the interval [1.5565e-16, 1.8954e-16) m²/s, measured by bisection to 1e-4 relative;
# D0_K is set so that D_K(413.1 °C) = 1.7165e-16 m²/s, 0.07 % from the interval's geometric
# middle 1.7176e-16 (10.3 % and 10.4 % from its ends).
# With it the example gives 11 TM modes where the paper reports 10 (a prediction of the
# unconfirmed constants): the 11th TM mode lies only 4.5e-6 above the substrate index. It
# goes for D_K(413.1 °C) < 1.6843e-16 (×0.981), or 89.26 h instead of 91 h, or — the others
# held, 10 TE kept — |C⊥| < 3.074e-12 1/Pa (from 3.3e-12) or Δn_0 < 0.007309 (from 0.0075);
# C∥ does not enter n_TM = n_0 + 2C⊥σ.
_BK7_Q = 125e3

BK7_K_NA = ExchangePreset(
    name="K+/Na+ in BK7",
    glass="BK7",
    incoming_ion="K",
    host_ion="Na",
    total_mobile=6.48e3,
    incoming_d0=5.61e-7,
    incoming_q=_BK7_Q,
    host_d0=5.61e-6,
    host_q=_BK7_Q,
    provenance={
        "total_mobile": (
            "C_T = the Na+ of the glass: 8 wt% Na2O at the density 2.51 g/cm³ of Schott N-BK7, "
            "2 × 0.08 × 2510 kg/m³ / 0.061979 kg/mol = 6.48e3 mol/m³ (6.48 mol/L of Na+, 3.24 mol/L of "
            "Na2O). Compositions quoted for BK7 put Na2O between 6 and 10.4 wt% (6 wt% in the ForMatter "
            "materials library, 'Optical Crown Glass (BK7)'; 10.4 wt% in the analysis SiO2 69.1 / B2O3 "
            "10.8 / Na2O 10.4 / K2O 6.3 / BaO 3.1 wt% used for N-BK7 in simulation material libraries), "
            "C_T 4.9–8.4 mol/L; 8 wt% is mid-range, and Schott's analysis of the plates used in ROG-2019 "
            "is not known [UNCONFIRMED]. C_T scales only the uptake: profiles, stress (B is given) and "
            "modes do not depend on it. The native K+ (6–8 wt% K2O) is not counted: those sites already "
            "hold K+, and exchanging them with K+ from the bath changes no composition, so they are not "
            "K+/Na+ exchange sites; whatever they do to the mobility (mixed-alkali effect) is inside the "
            "fitted D's"
        ),
        "incoming_d0": (
            "D0_K calibrated: D_K(413.1 °C) = 1.7165e-16 m²/s, the geometric middle of the range "
            "[1.5565e-16, 1.8954e-16) m²/s in which examples/bk7_k_na_91h.toml gives the 10 TE modes "
            "at 677 nm that ROG-2019 reports after 91 h at 413.1 °C; ROG-2019's Table 2 "
            "(Arrhenius coefficients) was not recovered [UNCONFIRMED, calibrated]"
        ),
        "incoming_q": "Q_K = 125 kJ/mol, typical of K+/Na+ exchange (100–150 kJ/mol) [UNCONFIRMED]",
        "host_d0": "D0_Na = 10·D0_K: D_Na/D_K = 10 (Helfferich–Plesset α = 0.9) [UNCONFIRMED]",
        "host_q": "Q_Na = Q_K = 125 kJ/mol (the ratio D_Na/D_K is then the same at every temperature) [UNCONFIRMED]",
    },
)

EXCHANGES = {"BK7 K/Na": BK7_K_NA}


def material(name: str) -> Material:
    """The preset called ``name`` (a key of MATERIALS)."""
    try:
        return MATERIALS[name]
    except KeyError:
        raise ValueError(f"unknown material {name!r}; presets: {', '.join(MATERIALS)}") from None


def prism(name: str) -> PrismPreset:
    """The prism preset called ``name`` (a key of PRISMS)."""
    try:
        return PRISMS[name]
    except KeyError:
        raise ValueError(f"unknown prism {name!r}; presets: {', '.join(PRISMS)}") from None


def exchange(name: str) -> ExchangePreset:
    """The exchange preset called ``name`` (a key of EXCHANGES)."""
    try:
        return EXCHANGES[name]
    except KeyError:
        raise ValueError(
            f"unknown exchange preset {name!r}; presets: {', '.join(EXCHANGES)}"
        ) from None
