"""Concentration-dependent diffusion coefficient of a native ion from a Gaussian site-energy
distribution (SED), and the Double-CAIT Li3B7O12 parameter set (docs/physics.md §2.3–2.5, Gunawan et al. (2026)).

The picture (Gunawan et al. (2026), Fig. 2; docs/physics.md §2.3, eqs 7–8 [RECONSTRUCTED]): native ions fill
the sites of a Gaussian SED from the bottom up to an ionic Fermi level E_F; in the pristine
bulk E_F sits at the centre E_c, so the populated part (PSED) is the lower half-Gaussian.
Ions leave from the top, so with r = n/n_full the Fermi level drops by

    ΔE_F(r) = E_F,bulk − E_F(r) = √2 σ erfcinv(r)                       (0 < r ≤ 1)

and D(n) = D_bulk(T) · exp(−ΔE_F/(k_B T)) · F(n), where F is a sharp fall-off below a
threshold fraction (the "trapped" ions, Gunawan et al. (2026): "a sharp fall-off … at 10 % bulk density").
A foreign ion fills the vacated sites from the top down; its D looks constant.

Units: every energy inside ionex is in joule (SI, like every other field); the ``from_ev``
constructors and the ``*_ev`` properties are the only places eV appears.

Fractions: a law's fractions are densities divided by its ``reference_density`` (m⁻³), the
bulk density n_bulk of the reference species (Li in Gunawan et al. (2026); n_0 of the Poisson equation).
The NPP solver divides its cell densities by it and multiplies dD/d(fraction) by 1/n_ref to
get dD/dn.

Which sites a species occupies (sequential experiments, no re-equilibration): the argument
``filled_fraction`` is the density fraction at which the species' own PSED is filled up to
its bulk Fermi level (where D = D_bulk). The remaining fraction is r = n/n_ref/filled_fraction.
``Occupation`` carries it from one experiment to the next:
  * a species native in both experiments (Li) keeps its filled fraction (1 for pristine
    glass): the same Li SED serves both CAITs and the Li left behind sits low in it;
  * a species that came in as the foreign ion (Rb after the first CAIT) fills the top of the
    sites it took, so in the next experiment it is native with its PSED full at its local
    end density: filled_fraction(x) = n_Rb(x, end)/n_ref. Where it never was (filled
    fraction 0) it fills fresh sites top-down and keeps D_bulk, as a foreign ion does.
The fall-off threshold is always applied to n/n_ref itself, as Gunawan et al. (2026) Table 1 states it
("fall-off in D at 10 % n_bulk,Li+" for Rb too). A consequence to keep in mind: a species
pushed at low density (< f_cut) into cells it never occupied is slowed down too.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from numba import njit
from scipy.special import erfcinv

from ..constants import AVOGADRO, BOLTZMANN, ELEMENTARY_CHARGE, ZERO_CELSIUS
from ..validators import FieldError, positive

__all__ = [
    "DOUBLE_CAIT_LI3B7O12",
    "ELECTRON_VOLT",
    "SED_CONVENTIONS",
    "DoubleCaitParameters",
    "FallOff",
    "Occupation",
    "SiteEnergyDiffusion",
    "SiteEnergyDistribution",
    "diffusion_coefficient",
    "diffusion_coefficient_and_derivative",
    "diffusion_coefficient_derivative",
    "equivalent_exchange_depth",
    "fall_off_factor",
    "fermi_level_shift",
    "gaussian_sigma",
    "number_density",
]

ELECTRON_VOLT = ELEMENTARY_CHARGE  # J per eV (exact, SI 2019)

# How the width Γ of g(E) is read: σ = Γ·factor. "sigma": g ∝ exp(−(E−E_c)²/(2Γ²));
# "1/e-halfwidth": g ∝ exp(−(E−E_c)²/Γ²); "fwhm": Γ is the full width at half maximum.
SED_CONVENTIONS = {
    "sigma": 1.0,
    "1/e-halfwidth": 1.0 / math.sqrt(2.0),
    "fwhm": 1.0 / (2.0 * math.sqrt(2.0 * math.log(2.0))),
}
_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))  # 2.3548

# Remaining fractions below this are evaluated at it: erfcinv(1e-300) = 26.2, where
# D/D_bulk < 1e-90 for any plausible σ/kT, so D stays positive, continuous and monotone,
# and exp(y²) in the derivative cannot overflow (26.2² = 686 < 709).
_R_FLOOR = 1e-300


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class SiteEnergyDistribution:
    """Gaussian site-energy distribution of one ion species (docs/physics.md §2.3).

    Attributes:
        width: Γ in J (> 0), read according to ``convention``.
        convention: "sigma" (Γ = σ, default: reproduces the paper's "about four orders of
            magnitude at 10 %"), "1/e-halfwidth" (g ∝ exp(−(E−E_c)²/Γ²)), or "fwhm"
            (Γ is the full width at half maximum).
    """

    width: float
    convention: str = "sigma"

    def __post_init__(self):
        positive(self.width, "SED width Γ", "J")
        if self.convention not in SED_CONVENTIONS:
            raise ValueError(
                f"SED convention {self.convention!r} is unknown; expected one of {', '.join(SED_CONVENTIONS)}"
            )

    @classmethod
    def from_ev(cls, width_ev: float, convention: str = "sigma") -> SiteEnergyDistribution:
        """The distribution of width Γ given in eV."""
        return cls(width=width_ev * ELECTRON_VOLT, convention=convention)

    @property
    def sigma(self) -> float:
        """Standard deviation σ of g(E), J."""
        return gaussian_sigma(self.width, self.convention)

    @property
    def fwhm(self) -> float:
        """Full width at half maximum of g(E) = 2√(2 ln 2) σ, J."""
        return _FWHM_PER_SIGMA * self.sigma

    @property
    def width_ev(self) -> float:
        """Γ in eV."""
        return self.width / ELECTRON_VOLT


@dataclass(frozen=True)
class FallOff:
    """Sharp drop of D below a threshold fraction (Gunawan et al. (2026): "trapped" ions).

    F(f) = 10^(−k·s(t)),  t = clip((f_cut − f)/(δ·f_cut), 0, 1),
    s(t) = 6t⁵ − 15t⁴ + 10t³ (C² smoothstep) for form "smooth"; s = [f < f_cut] for "step".

    So D is untouched at and above f_cut, k decades lower at and below (1 − δ)·f_cut, and in
    between a C² blend that keeps D continuous and increasing in f (Newton needs both; the
    "step" form is the literal rule D → D·10^(−k), discontinuous at f_cut).
    Below the blend D keeps falling with the SED, so D(f) ≤ D(f_cut)·10^(−k) for f ≤ (1−δ) f_cut.

    Attributes:
        threshold: f_cut, fraction of the law's reference density (0 < f_cut < 1).
        decades: k > 0 (Gunawan et al. (2026): the trapped Li has D "at least 2 orders" lower; default 2).
        relative_width: δ, blend width as a fraction of f_cut (0 < δ ≤ 1; default 0.1).
        form: "smooth" (default) or "step".
    """

    threshold: float
    decades: float = 2.0
    relative_width: float = 0.1
    form: str = "smooth"

    def __post_init__(self):
        if not (math.isfinite(self.threshold) and 0.0 < self.threshold < 1.0):
            raise ValueError(
                f"fall-off threshold must be a fraction in (0, 1), got {self.threshold!r}"
            )
        positive(self.decades, "fall-off decades k", "decades")
        if not (math.isfinite(self.relative_width) and 0.0 < self.relative_width <= 1.0):
            raise ValueError(
                f"fall-off relative_width must be in (0, 1], got {self.relative_width!r}"
            )
        if self.form not in ("smooth", "step"):
            raise ValueError(f"fall-off form {self.form!r} is unknown; expected 'smooth' or 'step'")


class FillLevel(ABC):
    """Where a species' populated site-energy distribution (PSED) is full — the level its
    Fermi-level shift ΔE_F(f/f_fill) is measured from. A kind of reference, chosen per
    species and step (Gunawan et al. (2026) tabulate a native ion's law at the host's bulk
    density; a foreign ion that became native may instead keep the level it reached)."""

    @abstractmethod
    def filled_fraction(self, species: str, occupation: "Occupation", reference: float):
        """Where ``species``' PSED is full, in fractions of n_0 (scalar or per cell), given the
        carried ``occupation`` (fractions of n_0) and the law's reference density / n_0
        (``reference``)."""

    @property
    @abstractmethod
    def label(self) -> str:
        """How a recipe writes it."""


@dataclass(frozen=True)
class CarriedFill(FillLevel):
    """Full where the carried occupation says (Occupation): for a species that entered in
    an earlier step, its end density there, per cell — the frozen-front reading. With
    ``species`` set, the occupation of that other species is used instead."""

    species: str | None = None

    def filled_fraction(self, species, occupation, reference):
        return occupation.filled_fraction(self.species or species)

    @property
    def label(self) -> str:
        return self.species or "carried"


@dataclass(frozen=True)
class FullAtReference(FillLevel):
    """Full at the law's reference density everywhere (f_fill = 1): the native-ion reading of
    Gunawan et al. (2026), Table 1, with the reference density n_bulk of the host ion."""

    def filled_fraction(self, species, occupation, reference):
        return reference

    @property
    def label(self) -> str:
        return "full"


FILL_LEVELS = {"carried": CarriedFill(), "full": FullAtReference()}


def fill_level(text: str) -> FillLevel:
    """The FillLevel a recipe names: "carried", "full", or another species' name (that
    species' carried occupation)."""
    if not isinstance(text, str) or not text.strip():
        raise FieldError("filled", text, 'expected "carried", "full" or a species name')
    return FILL_LEVELS.get(text, CarriedFill(text))


@dataclass(frozen=True)
class SiteEnergyDiffusion:
    """Diffusion law of one ion species: D(f, T) = D0 exp(−E_act/(k_B T)) · exp(−ΔE_F/(k_B T)) · F(f).

    Without ``sed`` and ``fall_off`` it is a constant-in-f law (the foreign ion).

    Attributes:
        prefactor: D0 in m²/s (> 0).
        activation_energy: bulk E_act in J (≥ 0; 0 for a D known at one temperature only).
        sed: the species' SiteEnergyDistribution, or None (D independent of f).
        fall_off: a FallOff, or None.
        reference_density: n_ref in m⁻³, the density the fractions are relative to.
        name: label, e.g. "Li".
        filled: where the PSED is full (FillLevel): the carried occupation (default) or
            full at reference_density.
    """

    prefactor: float
    activation_energy: float = 0.0
    sed: SiteEnergyDistribution | None = None
    fall_off: FallOff | None = None
    reference_density: float = 1.0
    name: str = ""
    filled: FillLevel = CarriedFill()

    def __post_init__(self):
        positive(self.prefactor, f"{self.name or 'species'} prefactor D0", "m^2/s")
        if not (math.isfinite(self.activation_energy) and self.activation_energy >= 0):
            raise ValueError(
                f"activation_energy must be a non-negative number of J, got {self.activation_energy!r}"
            )
        positive(self.reference_density, "reference_density", "m^-3")
        if not isinstance(self.filled, FillLevel):
            raise ValueError(
                f"filled must be a FillLevel (CarriedFill or FullAtReference), got {self.filled!r}"
            )
        if self.sed is None and self.filled != CarriedFill():
            raise FieldError(
                "filled",
                self.filled.label,
                "no psed_filled: where the PSED is full matters only with an SED (sed_width)",
            )

    @classmethod
    def at_temperature(
        cls, bulk_diffusion: float, temperature: float, activation_energy: float = 0.0, **kw
    ) -> SiteEnergyDiffusion:
        """The law whose bulk D equals ``bulk_diffusion`` (m²/s) at ``temperature`` (K);
        D0 = D_bulk exp(E_act/(k_B T)) with ``activation_energy`` in J."""
        positive(bulk_diffusion, "bulk_diffusion", "m^2/s")
        positive(temperature, "temperature", "K")
        prefactor = bulk_diffusion * math.exp(activation_energy / (BOLTZMANN * temperature))
        return cls(prefactor=prefactor, activation_energy=activation_energy, **kw)

    @classmethod
    def constant(cls, diffusion: float, **kw) -> SiteEnergyDiffusion:
        """A D independent of fraction and temperature (m²/s): the foreign ion."""
        return cls(prefactor=diffusion, activation_energy=0.0, **kw)

    def bulk_diffusion(self, temperature):
        """D_bulk(T) = D0 exp(−E_act/(k_B T)) in m²/s; T in K (may be an array)."""
        return (
            self.prefactor
            * np.exp(-self.activation_energy / (BOLTZMANN * np.asarray(temperature, float)))[()]
        )


@dataclass(frozen=True)
class Occupation:
    """Filled fraction of each species' PSED at the start of an experiment (module docstring).

    ``filled[species]`` (scalar or per-cell array, fractions of n_ref) is where that
    species' own PSED is full up to its bulk Fermi level. A species not listed is full at
    the reference density (filled fraction 1: pristine glass).
    """

    filled: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self):
        frozen = {}
        for name, value in self.filled.items():
            arr = np.array(value, dtype=float)  # a copy: later edits by the caller cannot leak in
            if not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise ValueError(f"filled fraction of {name} must be finite and ≥ 0")
            arr.setflags(write=False)
            frozen[name] = arr[()] if arr.ndim == 0 else arr
        object.__setattr__(self, "filled", MappingProxyType(frozen))

    def filled_fraction(self, species: str):
        """The filled fraction of ``species`` (1.0 if not listed)."""
        return self.filled.get(species, 1.0)

    def after(self, end_fractions: Mapping[str, object], newly_native: Iterable[str]) -> Occupation:
        """The occupation at the start of the next experiment, without re-equilibration.

        Species in ``newly_native`` (the foreign ion of the finished experiment) take their
        end density fraction ``end_fractions[s]`` (per cell) as their filled fraction; all
        others keep theirs (their remaining ions sit lower in the same PSED).
        """
        new = dict(self.filled)
        for species in newly_native:
            if species not in end_fractions:
                raise KeyError(
                    f"no end density fraction given for the newly native species {species!r}"
                )
            new[species] = np.clip(np.asarray(end_fractions[species], float), 0.0, None)
        return Occupation(new)


# --------------------------------------------------------------------------- pure functions


def gaussian_sigma(width: float, convention: str = "sigma") -> float:
    """Standard deviation σ (J) of g(E) from its width Γ (J) read by ``convention``.

    σ = Γ ("sigma"), Γ/√2 ("1/e-halfwidth"), Γ/(2√(2 ln 2)) ("fwhm").
    """
    try:
        return width * SED_CONVENTIONS[convention]
    except KeyError:
        raise ValueError(
            f"SED convention {convention!r} is unknown; expected one of {', '.join(SED_CONVENTIONS)}"
        ) from None


def fermi_level_shift(remaining_fraction, sed: SiteEnergyDistribution):
    """Drop of the ionic Fermi level when a fraction r of the PSED remains, docs/physics.md §2.3.

    ΔE_F = E_F,bulk − E_F(r) = √2 σ erfcinv(r) for the lower half-Gaussian PSED with
    E_F,bulk at the centre (from r = erfc((E_c − E_F)/(√2 σ))).

    Args:
        remaining_fraction: r = n/n_full (dimensionless); r ≥ 1 gives 0 (D stays at its bulk
            value where n ≥ n_full: Gunawan et al. (2026), "the decrease … applies where n_Li < n_bulk"),
            r = 0 gives +inf.
        sed: the SiteEnergyDistribution (σ in J).
    Returns: ΔE_F in J (≥ 0, non-increasing in r).
    """
    r = np.clip(np.asarray(remaining_fraction, float), 0.0, 1.0)
    return (math.sqrt(2.0) * sed.sigma * erfcinv(r))[()]


def _fall_off_and_derivative(fraction, fall_off: FallOff):
    """F(f) of FallOff and dF/df (per unit fraction)."""
    f = np.asarray(fraction, float)
    k, f_cut = fall_off.decades, fall_off.threshold
    if fall_off.form == "step":
        return np.where(f < f_cut, 10.0**-k, 1.0), np.zeros_like(f)
    w = fall_off.relative_width * f_cut
    t = np.clip((f_cut - f) / w, 0.0, 1.0)
    s = t**3 * (10.0 + t * (-15.0 + 6.0 * t))
    factor = 10.0 ** (-k * s)
    # dF/df = F·(−k ln10)·s'(t)·dt/df with dt/df = −1/w inside the blend, s' = 30 t²(1−t)²
    # (zero at t = 0 and 1, so the clipped ends need no special case).
    derivative = factor * k * math.log(10.0) * 30.0 * t * t * (1.0 - t) ** 2 / w
    return factor, derivative


def fall_off_factor(fraction, fall_off: FallOff):
    """Multiplier F(f) ∈ [10^(−k), 1] of the fall-off (see FallOff); f = n/n_ref (dimensionless)."""
    return _fall_off_and_derivative(fraction, fall_off)[0][()]


def diffusion_coefficient_and_derivative(
    density_fraction, law: SiteEnergyDiffusion, temperature, filled_fraction=1.0
):
    """D(f) and dD/df of a species, docs/physics.md §2.3 eq (8) [RECONSTRUCTED] with the fall-off.

    D = D_bulk(T) · exp(−ΔE_F(r)/(k_B T)) · F(f),  r = f/f_fill,
    dD/df = D_bulk · (√2σ/(k_B T)) · (√π/2) · exp(y² − ΔE_F/(k_B T)) / f_fill · F + D_SED · dF/df,
    with y = erfcinv(r), since d erfcinv(r)/dr = −(√π/2) exp(y²).

    Args:
        density_fraction: f = n/n_ref (dimensionless, array or scalar). Values with r below
            1e-300 (including f ≤ 0 from a Newton iterate) are evaluated at r = 1e-300,
            where D/D_bulk < 1e-90; D is thus positive, continuous and non-decreasing in f.
        law: the species' SiteEnergyDiffusion.
        temperature: T in K.
        filled_fraction: f_fill (dimensionless, scalar or per cell, see Occupation); where
            f_fill ≤ 0 the species fills fresh sites top-down and ΔE_F = 0.
    Returns: (D in m²/s, dD/df in m²/s per unit fraction; divide by n_ref for dD/dn).
        At r = 1 exactly the derivative is the right-hand one (0).
    """
    f = np.asarray(density_fraction, float)
    d_bulk = float(law.bulk_diffusion(temperature))
    fill = np.asarray(filled_fraction, float)
    f_b, fill_b = np.broadcast_arrays(f, fill) if fill.ndim else (f, fill)
    flat = np.ascontiguousarray(f_b, dtype=float).ravel()
    fills = np.ascontiguousarray(fill_b, dtype=float).ravel()
    scale = 0.0
    y = flat  # unused without an SED
    if law.sed is not None:
        scale = math.sqrt(2.0) * law.sed.sigma / (BOLTZMANN * temperature)
        # ΔE_F/(k_B T) = scale·y with y = erfcinv(r), r = f/f_fill clipped to [_R_FLOOR, 1]
        y = erfcinv(_remaining_fraction(flat, fills))
    fo = law.fall_off
    form = _NO_FALL_OFF if fo is None else (_STEP if fo.form == "step" else _SMOOTH)
    k, f_cut, width = (
        (0.0, 0.0, 1.0)
        if fo is None
        else (fo.decades, fo.threshold, fo.relative_width * fo.threshold)
    )
    D = np.empty(flat.size)
    dD = np.empty(flat.size)
    _coefficient_kernel(
        flat, fills, y, d_bulk, scale, law.sed is not None, form, k, f_cut, width, D, dD
    )
    return D.reshape(f_b.shape)[()], dD.reshape(f_b.shape)[()]


_NO_FALL_OFF, _STEP, _SMOOTH = 0, 1, 2


@njit(cache=True)
def _remaining_fraction(f, fill):
    """r = f/f_fill clipped to [_R_FLOOR, 1] (r = 1 where f_fill ≤ 0: fresh sites, ΔE_F = 0;
    a subnormal f_fill may overflow r to inf, the right limit)."""
    r = np.empty(f.size)
    for i in range(f.size):
        fi = fill[i] if fill.size > 1 else fill[0]
        q = f[i] / fi if fi > 0 else math.inf
        r[i] = min(max(q, _R_FLOOR), 1.0)
    return r


@njit(cache=True)
def _coefficient_kernel(f, fill, y, d_bulk, scale, has_sed, form, k, f_cut, width, D, dD):
    """D and dD/df per element (see diffusion_coefficient_and_derivative): the SED factor
    exp(−scale·y) with its slope, times the fall-off F(f) with its slope."""
    ln10 = math.log(10.0)
    half_sqrt_pi = math.sqrt(math.pi) / 2.0
    for i in range(f.size):
        fi = f[i]
        d = d_bulk
        dd = 0.0
        if has_sed:
            fill_i = fill[i] if fill.size > 1 else fill[0]
            d = d_bulk * math.exp(-scale * y[i])
            if fill_i > 0:
                r = fi / fill_i
                if _R_FLOOR < r < 1.0:
                    # exp(y² − scale·y) in one exponent: exp(y²) alone may reach 1e298
                    dd = d_bulk * scale * half_sqrt_pi * math.exp(y[i] * (y[i] - scale)) / fill_i
        if form == _STEP:
            if fi < f_cut:
                d *= 10.0**-k
                dd *= 10.0**-k
        elif form == _SMOOTH:
            t = min(max((f_cut - fi) / width, 0.0), 1.0)
            if t == 0.0:  # above the blend: F = 1, F' = 0
                D[i] = d
                dD[i] = dd
                continue
            s = t**3 * (10.0 + t * (-15.0 + 6.0 * t))
            factor = 10.0 ** (-k * s)
            # dF/df = F·(−k ln10)·s'(t)·dt/df, dt/df = −1/w, s' = 30 t²(1−t)² (zero at the
            # clipped ends)
            dfactor = factor * k * ln10 * 30.0 * t * t * (1.0 - t) ** 2 / width
            dd = dd * factor + d * dfactor
            d *= factor
        D[i] = d
        dD[i] = dd


def diffusion_coefficient(
    density_fraction, law: SiteEnergyDiffusion, temperature, filled_fraction=1.0
):
    """D(f) = D_bulk(T) exp(−ΔE_F(f/f_fill)/(k_B T)) F(f) in m²/s (arguments as in
    diffusion_coefficient_and_derivative: f, f_fill dimensionless, T in K)."""
    return diffusion_coefficient_and_derivative(
        density_fraction, law, temperature, filled_fraction
    )[0]


def diffusion_coefficient_derivative(
    density_fraction, law: SiteEnergyDiffusion, temperature, filled_fraction=1.0
):
    """dD/df in m²/s per unit fraction, analytic (arguments as in diffusion_coefficient_and_derivative)."""
    return diffusion_coefficient_and_derivative(
        density_fraction, law, temperature, filled_fraction
    )[1]


def number_density(mass_density: float, molar_mass: float, ions_per_formula_unit: float) -> float:
    """Number density of an ion n = ν ρ N_A / M (docs/physics.md §2.5).

    Args: mass_density ρ in kg/m³, molar_mass M in kg/mol, ions_per_formula_unit ν.
    Returns: n in m⁻³.
    """
    return ions_per_formula_unit * mass_density * AVOGADRO / molar_mass


def equivalent_exchange_depth(
    charge: float, area: float, density: float, valence: int = 1
) -> float:
    """Depth that a delivered charge would exchange completely: d = Q/(z e A n) (docs/physics.md §2.5).

    Args: charge Q in C, area A in m², density n of the replaced ion in m⁻³, valence z.
    Returns: d in m.
    """
    return charge / (valence * ELEMENTARY_CHARGE * area * density)


# --------------------------------------------------------------------------- parameter set


@dataclass(frozen=True)
class DoubleCaitParameters:
    """The sequential Double-CAIT Cs+@Rb+@Li3B7O12 of Gunawan et al. (2026) (Table 1, docs/physics.md §2.4–2.5), SI.

    Attributes (each with its tag in ``provenance``):
        temperature (K), source_potential (V), aperture_distance (m), thickness (m), area (m²),
        charge_first, charge_second (C: Rb+ then Cs+), mass_density (kg/m³), molar_mass
        (kg/mol), relative_permittivity, li_prefactor (m²/s, printed D0), li_activation_energy (J),
        li_bulk_diffusion (m²/s), li_sed_width (Γ, J), li_sed_fwhm_label (the paper's "FWHM", J),
        li_fall_off_first, li_fall_off_second (fractions of n_bulk,Li), rb_diffusion (m²/s,
        Table 1), rb_diffusion_text (m²/s, text), rb_sed_fwhm_label (J), rb_sed_width_fitted
        (σ_Rb in J, not in the paper: fitted to the 2nd CAIT's zone composition), rb_fall_off
        (fraction of n_bulk,Li), cs_diffusion (m²/s), cs_diffusion_bracket (m²/s, the two
        other curves of Fig. 5).
    """

    temperature: float = ZERO_CELSIUS + 50.0
    source_potential: float = 15.0
    aperture_distance: float = 8e-3
    thickness: float = 2.325e-3
    area: float = 28.26e-6
    charge_first: float = 2.52e-3
    charge_second: float = 2.28e-3
    mass_density: float = 2230.0
    molar_mass: float = 0.28849
    relative_permittivity: float = 8.0
    li_prefactor: float = 7.8e-9
    li_activation_energy: float = 0.65 * ELECTRON_VOLT
    li_bulk_diffusion: float = 5.8e-19
    li_sed_width: float = 0.16 * ELECTRON_VOLT
    li_sed_fwhm_label: float = 0.250 * ELECTRON_VOLT
    li_fall_off_first: float = 0.10
    li_fall_off_second: float = 0.03
    rb_diffusion: float = 2.67e-22
    rb_diffusion_text: float = 2.126e-22
    rb_sed_fwhm_label: float = 0.225 * ELECTRON_VOLT
    rb_sed_width_fitted: float = 0.175 * ELECTRON_VOLT
    rb_fall_off: float = 0.10
    cs_diffusion: float = 3.1e-23
    cs_diffusion_bracket: tuple = (2.4e-23, 3.8e-23)
    provenance: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def bulk_density(self) -> float:
        """n_bulk,Li = 3 ρ N_A / M in m⁻³ [DERIVED from an UNCONFIRMED ρ]: the reference density."""
        return number_density(self.mass_density, self.molar_mass, 3)

    def unconfirmed(self) -> list[str]:
        """Fields whose value rests on a placeholder or is flagged inconsistent."""
        return [k for k, v in self.provenance.items() if "UNCONFIRMED" in v or "FLAGGED" in v]

    def sed(self, fwhm_label: float, convention: str = "sigma") -> SiteEnergyDistribution:
        """The SED whose paper "FWHM" is ``fwhm_label`` (J), read with ``convention``.

        "fwhm": Γ = the label. "sigma" / "1/e-halfwidth": Γ scales with the label as the
        paper's Li pair does (250 meV ↔ Γ = 0.16 eV), so Rb's 225 meV gives Γ = 0.144 eV
        ("the same convention as Li's", docs/physics.md §2.5) [DERIVED].
        """
        if convention == "fwhm":
            return SiteEnergyDistribution(fwhm_label, "fwhm")
        return SiteEnergyDistribution(
            fwhm_label * self.li_sed_width / self.li_sed_fwhm_label, convention
        )

    def lithium(
        self,
        experiment: int,
        *,
        convention: str = "sigma",
        decades: float = 2.0,
        relative_width: float = 0.1,
        form: str = "smooth",
    ) -> SiteEnergyDiffusion:
        """Li law of CAIT ``experiment`` (1 or 2): D_bulk = 5.8e-19 m²/s at 50 °C with E_act =
        0.65 eV (so D0 = 7.96e-9, the printed 7.8e-9 rounded), SED 250 meV, fall-off 10 % / 3 %."""
        threshold = {1: self.li_fall_off_first, 2: self.li_fall_off_second}[_experiment(experiment)]
        return SiteEnergyDiffusion.at_temperature(
            self.li_bulk_diffusion,
            self.temperature,
            self.li_activation_energy,
            sed=self.sed(self.li_sed_fwhm_label, convention),
            fall_off=FallOff(threshold, decades, relative_width, form),
            reference_density=self.bulk_density,
            name="Li",
        )

    def rubidium(
        self,
        experiment: int,
        *,
        use_text_value: bool = False,
        filled: FillLevel = FullAtReference(),
        convention: str = "sigma",
        decades: float = 2.0,
        relative_width: float = 0.1,
        form: str = "smooth",
    ) -> SiteEnergyDiffusion:
        """Rb law: constant in the 1st CAIT (foreign ion); native with its SED and fall-off
        10 % n_bulk,Li in the 2nd. D_Rb = 2.67e-22 (Table 1) or, with ``use_text_value``,
        2.126e-22 m²/s (text); its temperature dependence is unknown (valid at 50 °C only).

        The 2nd CAIT's law is read by ``filled``: FullAtReference() (default), as Table 1
        tabulates Rb, a native ion whose PSED is full at n_bulk,Li, with σ_Rb =
        rb_sed_width_fitted [FITTED]; or CarriedFill(), referenced to the Rb density frozen
        at the end of the 1st CAIT, with the SED of the paper's 225 meV label read by
        ``convention`` (Γ = 0.144 eV for "sigma") [DERIVED]."""
        value = self.rb_diffusion_text if use_text_value else self.rb_diffusion
        if _experiment(experiment) == 1:
            return SiteEnergyDiffusion.constant(
                value, reference_density=self.bulk_density, name="Rb"
            )
        if isinstance(filled, FullAtReference):
            sed = SiteEnergyDistribution(self.rb_sed_width_fitted, "sigma")
        else:
            sed = self.sed(self.rb_sed_fwhm_label, convention)
        return SiteEnergyDiffusion.constant(
            value,
            sed=sed,
            fall_off=FallOff(self.rb_fall_off, decades, relative_width, form),
            reference_density=self.bulk_density,
            name="Rb",
            filled=filled,
        )

    def caesium(self, diffusion: float | None = None) -> SiteEnergyDiffusion:
        """Cs law of the 2nd CAIT: constant, 3.1e-23 m²/s best fit (or ``diffusion``)."""
        return SiteEnergyDiffusion.constant(
            self.cs_diffusion if diffusion is None else diffusion,
            reference_density=self.bulk_density,
            name="Cs",
        )


def _experiment(experiment: int) -> int:
    if experiment not in (1, 2):
        raise ValueError(f"experiment must be 1 (Rb+ CAIT) or 2 (Cs+ CAIT), got {experiment!r}")
    return experiment


DOUBLE_CAIT_LI3B7O12 = DoubleCaitParameters(
    provenance={
        "temperature": "50 °C, CAIT and simulation [PAPER]; 2nd-CAIT temperature assumed equal (docs/physics.md §2.5)",
        "source_potential": "U_src = 15 V [PAPER]",
        "aperture_distance": "grounded aperture 8 mm in front of the surface [PAPER]",
        "thickness": "2.325 mm after polishing [PAPER]",
        "area": "28.26 mm², 6 mm mask [PAPER]",
        "charge_first": "2.52 mC of Rb+ from the back-electrode current [PAPER]",
        "charge_second": "2.28 mC of Cs+ [PAPER]",
        "mass_density": "2.23 g/cm³ for 30Li2O-70B2O3, literature-typical 2.20-2.25 [UNCONFIRMED] (docs/physics.md §2.5)",
        "molar_mass": "M(Li3B7O12) = 288.49 g/mol [DERIVED]",
        "relative_permittivity": "ε_r ≈ 7-10 [UNCONFIRMED]; results insensitive (Debye length ~0.03 nm)",
        "li_prefactor": "printed '7.8 × 10^9'; exponent sign lost, 7.8e-9 m²/s [PAPER, sign DERIVED]",
        "li_activation_energy": "0.65 eV, two-electrode DC reference [PAPER]",
        "li_bulk_diffusion": "5.8e-19 m²/s at 50 °C, adjusted to the conductivity [PAPER]",
        "li_sed_width": "Γ = 0.16 eV [PAPER]; its reading (σ, 1/e half-width, FWHM) is [RECONSTRUCTED], default σ",
        "li_sed_fwhm_label": "'mobile part of the Li-SED has a FWHM of 250 meV' [PAPER]",
        "li_fall_off_first": "10 % n_bulk,Li [PAPER]; form of the drop (k decades, smooth blend) [RECONSTRUCTED]",
        "li_fall_off_second": "3 % n_bulk,Li [PAPER]",
        "rb_diffusion": "2.67e-22 m²/s, Table 1 [PAPER; FLAGGED: text says 2.126e-22]",
        "rb_diffusion_text": "2.126e-22 m²/s, text [PAPER; FLAGGED: Table 1 says 2.67e-22]",
        "rb_sed_fwhm_label": "225 meV [PAPER]; Γ by the Li convention [DERIVED]",
        "rb_sed_width_fitted": "σ_Rb = 0.175 ± 0.008 eV, not in the paper [FITTED to the 2nd CAIT's zone composition 57/40/3 %, Table 1 reading]",
        "rb_fall_off": "10 % n_bulk,Li, 2nd CAIT [PAPER]",
        "cs_diffusion": "3.1e-23 m²/s best fit [PAPER]",
        "cs_diffusion_bracket": "2.4e-23 and 3.8e-23 m²/s, the other curves of Fig. 5 [PAPER]",
        "bulk_density": "n_bulk = 3ρN_A/M = 1.40e28 m⁻³ [DERIVED, UNCONFIRMED ρ]; 2.52 mC → ≈ 40 nm matches the observed zone",
    }
)
