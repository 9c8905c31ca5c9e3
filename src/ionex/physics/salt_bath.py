"""Equilibrium between a mixed molten-nitrate bath and the glass surface, and the ageing of
the bath by the ions the glass gives off.

Exchange equilibria. For the pair (i, j), the reaction i(melt) + j(glass) ⇌ i(glass) + j(melt)
has the constant

    K_ij(T) = K0 · exp(−ΔH/(R T))          (van 't Hoff: d ln K/d(1/T) = −ΔH/R)

and fixes the ratio of the glass surface site fractions χ in one of three forms:

    ideal               χ_i/χ_j = K_ij · x_i/x_j
    rothmund_kornfeld   (χ_i/χ_j)^n = K_ij · x_i/x_j,   n ≥ 1
    regular             ln(χ_i/χ_j) + W (χ_j − χ_i)/(R T) = ln K_ij + ln(x_i/x_j)

x are the cation mole fractions of the melt, taken as an ideal (Temkin) mixture of cations on
the common nitrate anion lattice, so a_i = x_i. The regular form is the exact equilibrium of a
binary regular-solution glass, G_ex = W χ_i χ_j per mole of sites (W in J/mol, temperature-
independent, RT ln γ_i = W χ_j²); it has one solution only while W < 2RT (above, the glass
would separate into two phases), and it is offered for a chemistry of one pair of ions: with
three or more ions it needs a W for every pair, which no preset supplies.

Several ions. A chemistry is a set of pair equilibria that connects every ion to a reference
ion r. For the ideal and Rothmund–Kornfeld forms each ratio ρ_i = χ_i/χ_r is explicit in the
melt composition (the product of the pair ratios along the path from r to i), and Σχ = 1 then
gives χ_r = 1/Σρ: a closed form, no iteration. A cycle of equilibria must close at every
temperature and melt (K around the cycle multiplies to 1, ΔH adds to 0, equal n), or the
chemistry is refused. An ion absent from the melt is absent from the surface.

Bath ageing (mass balance). Assumptions: the melt is well mixed; nothing is dragged out with
the glass and nothing is replenished; the nitrate anion is conserved, so every load exchanges
cations one for one (the released amounts sum to zero) and the total moles of cation stay
m/M̄, with M̄ = Σ x_i M(iNO3) the mean molar mass of the initial salt.

Units: temperatures K, energies J/mol, masses kg, amounts mol, molar masses kg/mol, areas m²,
concentrations mol/m³; fractions are plain numbers.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from scipy.special import expit

from ..constants import GAS_CONSTANT, ZERO_CELSIUS
from ..validators import FieldError, FrozenMapping, positive

__all__ = [
    "ATOMIC_WEIGHTS",
    "CHEMISTRY_PRESETS",
    "EQUILIBRIUM_FORMS",
    "ILLUSTRATIVE_LAS_K_NA_LI",
    "NITRATES",
    "BathLoad",
    "BathState",
    "ExchangeEquilibrium",
    "SaltBathChemistry",
    "age_bath",
    "bath_state",
    "chemistry_preset",
    "exchange_load",
    "melt_from_salt_mass_fractions",
    "melt_from_salt_mole_fractions",
    "nitrate_molar_mass",
    "salt_mass_fractions",
]

EQUILIBRIUM_FORMS = ("ideal", "rothmund_kornfeld", "regular")

# IUPAC standard atomic weights (CIAAW 2021; Li, N, O: the conventional values), kg/mol
ATOMIC_WEIGHTS = {
    "Li": 6.94e-3,
    "N": 14.007e-3,
    "O": 15.999e-3,
    "Na": 22.98976928e-3,
    "K": 39.0983e-3,
    "Rb": 85.4678e-3,
    "Cs": 132.90545196e-3,
    "Ag": 107.8682e-3,
}
# salt name → its cation; the anion of every salt here is NO3⁻
NITRATES = {
    "LiNO3": "Li",
    "NaNO3": "Na",
    "KNO3": "K",
    "RbNO3": "Rb",
    "CsNO3": "Cs",
    "AgNO3": "Ag",
}
_CATION_SALT = {cation: salt for salt, cation in NITRATES.items()}
_NITRATE_ION = ATOMIC_WEIGHTS["N"] + 3 * ATOMIC_WEIGHTS["O"]

# Fractions typed to ten digits, or summed in floating point, miss 1 by far less; a forgotten
# component or a percent misses it by far more.
SUM_TOLERANCE = 1e-9
# A cycle closes when ln K around it vanishes to this (K to 1e-9 relative) ...
_CYCLE_LN_K = 1e-9
# ... and ΔH/n to this (J/mol): far below any measured reaction enthalpy
_CYCLE_ENTHALPY = 1e-6
# exponents 1/n along a path are sums of two terms; zero within this is zero
_COEFFICIENT_ZERO = 1e-12


def nitrate_molar_mass(cation: str) -> float:
    """Molar mass of the nitrate of ``cation`` ("Li", "Na", "K", "Rb", "Cs", "Ag"), kg/mol:
    M(iNO3) = M(i) + M(N) + 3 M(O)."""
    if cation not in _CATION_SALT:
        raise FieldError(
            "cation", cation, f"expected the cation of a known nitrate ({', '.join(_CATION_SALT)})"
        )
    return ATOMIC_WEIGHTS[cation] + _NITRATE_ION


# --------------------------------------------------------------------------- fractions


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _fractions(values, name: str) -> dict[str, float]:
    """The fractions of ``values`` (key → number in [0, 1], summing to 1 within
    SUM_TOLERANCE), divided by their sum so that they add up to 1 in floating point."""
    if not isinstance(values, Mapping) or not values:
        raise FieldError(name, values, "expected a table of fractions such as {'KNO3': 0.7, ...}")
    out = {}
    for key, value in values.items():
        # ≤ 1 follows from the sum; checked there so that percent are recognised
        if not (_is_real(value) and 0.0 <= value < math.inf):
            raise FieldError(f"{name}[{key!r}]", value, "expected a fraction in [0, 1]")
        out[key] = float(value)
    total = math.fsum(out.values())
    if abs(total - 1.0) > SUM_TOLERANCE:
        hint = " (percent? divide by 100)" if abs(total - 100.0) < 1e-6 else ""
        raise FieldError(
            name, total, f"expected fractions summing to 1 within {SUM_TOLERANCE:g}{hint}"
        )
    return {key: value / total for key, value in out.items()}


def _salt_cation(salt: str, name: str) -> str:
    if salt not in NITRATES:
        raise FieldError(name, salt, f"expected a known nitrate salt ({', '.join(NITRATES)})")
    return NITRATES[salt]


def melt_from_salt_mole_fractions(salts: Mapping[str, float]) -> dict[str, float]:
    """Cation mole fractions x_i of a nitrate melt given by the mole fractions of its salts
    (e.g. {"KNO3": 0.7, "NaNO3": 0.3}, summing to 1): one cation per salt, so x_i = salt's
    fraction. Keys are salt names of NITRATES."""
    fractions = _fractions(salts, "salts")
    melt: dict[str, float] = {}
    for salt, value in fractions.items():
        cation = _salt_cation(salt, "salts")
        melt[cation] = melt.get(cation, 0.0) + value
    return melt


def melt_from_salt_mass_fractions(salts: Mapping[str, float]) -> dict[str, float]:
    """Cation mole fractions of a nitrate melt given by the mass fractions w_s of its salts
    (summing to 1): x_i = (w_s/M_s) / Σ_s (w_s/M_s), with M_s the salt's molar mass (kg/mol)."""
    fractions = _fractions(salts, "salts")
    moles: dict[str, float] = {}
    for salt, value in fractions.items():
        cation = _salt_cation(salt, "salts")
        moles[cation] = moles.get(cation, 0.0) + value / nitrate_molar_mass(cation)
    total = math.fsum(moles.values())
    return {cation: n / total for cation, n in moles.items()}


def salt_mass_fractions(melt: Mapping[str, float]) -> dict[str, float]:
    """Mass fractions of the nitrate salts of a melt of cation mole fractions x_i:
    w_s = x_i M_s / Σ x_k M_k (keys: salt names)."""
    fractions = _fractions(melt, "melt")
    masses = {_CATION_SALT[c]: x * nitrate_molar_mass(c) for c, x in _cations(fractions).items()}
    total = math.fsum(masses.values())
    return {salt: m / total for salt, m in masses.items()}


def _cations(melt: Mapping[str, float]) -> Mapping[str, float]:
    """``melt`` after checking that every key is the cation of a known nitrate."""
    for cation in melt:
        if cation not in _CATION_SALT:
            raise FieldError(
                "melt",
                cation,
                f"expected cations of known nitrates ({', '.join(_CATION_SALT)})",
            )
    return melt


# --------------------------------------------------------------------------- one pair


@dataclass(frozen=True)
class ExchangeEquilibrium:
    """Equilibrium of the exchange ion(melt) + partner(glass) ⇌ ion(glass) + partner(melt).

    K(T) = K0·exp(−ΔH/(R T)); with x the melt and χ the glass surface site fractions:
      "ideal":              χ_i/χ_j = K·x_i/x_j
      "rothmund_kornfeld":  (χ_i/χ_j)^n = K·x_i/x_j
      "regular":            ln(χ_i/χ_j) + W(χ_j − χ_i)/(R T) = ln K + ln(x_i/x_j)
                            (binary regular-solution glass, G_ex = W χ_i χ_j)

    Attributes:
        ion: i, the ion the constant favours when K > 1 (e.g. "K").
        partner: j (e.g. "Na").
        prefactor: K0 (> 0, dimensionless).
        reaction_enthalpy: ΔH of the exchange reaction, J/mol (any sign).
        form: one of EQUILIBRIUM_FORMS.
        exponent: n of the Rothmund–Kornfeld form (≥ 1; 1 for the other forms).
        margules: W of the regular form, J/mol (0 for the other forms).
        provenance: where the numbers come from.
    """

    ion: str
    partner: str
    prefactor: float
    reaction_enthalpy: float = 0.0
    form: str = "ideal"
    exponent: float = 1.0
    margules: float = 0.0
    provenance: str = ""

    def __post_init__(self):
        for name in ("ion", "partner"):
            value = getattr(self, name)
            if not (isinstance(value, str) and value.strip()):
                raise FieldError(name, value, 'expected an ion symbol such as "Na"')
        if self.ion == self.partner:
            raise FieldError("partner", self.partner, "expected an ion other than ion")
        positive(self.prefactor, "prefactor")
        if not (_is_real(self.reaction_enthalpy) and math.isfinite(self.reaction_enthalpy)):
            raise FieldError(
                "reaction_enthalpy", self.reaction_enthalpy, "expected a finite number", "J/mol"
            )
        if self.form not in EQUILIBRIUM_FORMS:
            raise FieldError("form", self.form, f"expected one of {', '.join(EQUILIBRIUM_FORMS)}")
        n = self.exponent
        if not (_is_real(n) and math.isfinite(n) and n >= 1.0):
            raise FieldError("exponent", n, "expected a Rothmund–Kornfeld exponent n >= 1")
        if self.form != "rothmund_kornfeld" and n != 1.0:
            raise FieldError("exponent", n, f"the {self.form} form has n = 1")
        w = self.margules
        if not (_is_real(w) and math.isfinite(w)):
            raise FieldError("margules", w, "expected a finite Margules W", "J/mol")
        if self.form != "regular" and w != 0.0:
            raise FieldError("margules", w, "a Margules W needs form 'regular'", "J/mol")
        if not isinstance(self.provenance, str):
            raise FieldError("provenance", self.provenance, "expected a text")

    @classmethod
    def from_reference(
        cls,
        ion: str,
        partner: str,
        constant: float,
        temperature: float,
        reaction_enthalpy: float = 0.0,
        **kwargs,
    ) -> ExchangeEquilibrium:
        """The equilibrium whose constant is K_ref = ``constant`` at ``temperature`` T_ref (K):
        K0 = K_ref·exp(ΔH/(R T_ref)); other keywords as the fields."""
        positive(constant, "constant")
        positive(temperature, "temperature", "K")
        prefactor = constant * math.exp(reaction_enthalpy / (GAS_CONSTANT * temperature))
        return cls(ion, partner, prefactor, reaction_enthalpy, **kwargs)

    def log_constant(self, temperature: float) -> float:
        """ln K(T) = ln K0 − ΔH/(R T), T in K."""
        positive(temperature, "temperature", "K")
        return math.log(self.prefactor) - self.reaction_enthalpy / (GAS_CONSTANT * temperature)

    def constant(self, temperature: float) -> float:
        """K(T) = K0·exp(−ΔH/(R T)), T in K."""
        return math.exp(self.log_constant(temperature))

    def surface_fraction(self, melt_fraction: float, temperature: float) -> float:
        """χ_i of the ion in a glass in equilibrium with a melt of the two ions only, with
        x_i = ``melt_fraction`` and x_j = 1 − x_i, at T (K). Ideal and Rothmund–Kornfeld:
        χ_i = 1/(1 + (x_j/(K x_i))^(1/n)); regular: the root in u = ln(χ_i/χ_j) of
        u + w(1 − 2σ(u)) = ln K + ln(x_i/x_j), w = W/(R T), σ(u) = 1/(1 + e^−u)."""
        x = melt_fraction
        if not (_is_real(x) and 0.0 <= x <= 1.0):
            raise FieldError("melt_fraction", x, "expected a fraction in [0, 1]")
        log_k = self.log_constant(temperature)
        if x == 0.0 or x == 1.0:
            return float(x)
        log_ratio = log_k + math.log(x) - math.log1p(-x)
        if self.form == "regular":
            return float(expit(_regular_log_ratio(log_ratio, self._reduced_margules(temperature))))
        return float(expit(log_ratio / self.exponent))

    def _reduced_margules(self, temperature: float) -> float:
        """w = W/(R T), checked to lie below 2 (one glass phase)."""
        w = self.margules / (GAS_CONSTANT * temperature)
        if w >= 2.0:
            raise FieldError(
                "margules",
                self.margules,
                f"expected W < 2RT = {2 * GAS_CONSTANT * temperature:g} J/mol at "
                f"{temperature:g} K: above, the regular-solution glass separates into two "
                "phases and its surface fraction is not unique",
                "J/mol",
            )
        return w


def _regular_log_ratio(log_ratio: float, w: float) -> float:
    """The root u of g(u) = u + w(1 − 2σ(u)) − L (L = ``log_ratio``, w < 2): Newton's method
    kept inside a bracket. g' = 1 − 2wσ(1 − σ) ≥ min(1, 1 − w/2) > 0, so the root is unique,
    and |1 − 2σ| ≤ 1 puts it in [L − |w|, L + |w|]."""
    lo, hi = log_ratio - abs(w), log_ratio + abs(w)
    u = log_ratio
    for _ in range(200):
        s = float(expit(u))
        g = u + w * (1.0 - 2.0 * s) - log_ratio
        if g > 0.0:
            hi = u
        elif g < 0.0:
            lo = u
        else:
            return u
        step = g / (1.0 - 2.0 * w * s * (1.0 - s))
        new = u - step
        if not (lo < new < hi):
            new = 0.5 * (lo + hi)
        if abs(new - u) <= 4.0 * math.ulp(max(1.0, abs(u))):
            return new
        u = new
    return u  # the bracket halves at least every other step: 200 steps exhaust a float


# --------------------------------------------------------------------------- several ions


@dataclass(frozen=True)
class _LogRatio:
    """ln(χ_a/χ_r) = c − h/(R T) + Σ_k b_k ln x_k (c: ln K0/n, h: ΔH/n in J/mol)."""

    c: float
    h: float
    b: Mapping[str, float]

    @staticmethod
    def of(eq: ExchangeEquilibrium) -> _LogRatio:
        n = eq.exponent
        return _LogRatio(
            math.log(eq.prefactor) / n,
            eq.reaction_enthalpy / n,
            {eq.ion: 1 / n, eq.partner: -1 / n},
        )

    def plus(self, other: _LogRatio, sign: float) -> _LogRatio:
        b = dict(self.b)
        for k, v in other.b.items():
            b[k] = b.get(k, 0.0) + sign * v
        b = {k: v for k, v in b.items() if abs(v) > _COEFFICIENT_ZERO}
        return _LogRatio(self.c + sign * other.c, self.h + sign * other.h, b)

    def closes_with(self, other: _LogRatio) -> bool:
        keys = set(self.b) | set(other.b)
        return (
            abs(self.c - other.c) <= _CYCLE_LN_K
            and abs(self.h - other.h) <= _CYCLE_ENTHALPY
            and all(
                abs(self.b.get(k, 0.0) - other.b.get(k, 0.0)) <= _COEFFICIENT_ZERO for k in keys
            )
        )

    def text(self) -> str:
        return f"ln K0/n = {self.c:.6g}, ΔH/n = {self.h:.6g} J/mol, exponents {dict(self.b)}"


@dataclass(frozen=True)
class SaltBathChemistry:
    """Ion-exchange equilibria between a nitrate melt and the glass surface, for every ion
    relative to ``reference``.

    Attributes:
        equilibria: the pair equilibria; together they must connect every ion to the
            reference, and any cycle among them must close (K around it multiplies to 1 and
            ΔH adds up to 0 at every temperature, with equal n).
        reference: the reference ion r (e.g. "Na"); one of the ions of the equilibria.
        name: what the set describes.
    """

    equilibria: tuple[ExchangeEquilibrium, ...]
    reference: str = "Na"
    name: str = ""
    _paths: Mapping[str, _LogRatio] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        eqs = self.equilibria
        if isinstance(eqs, ExchangeEquilibrium) or not isinstance(eqs, Iterable):
            raise FieldError("equilibria", eqs, "expected a sequence of ExchangeEquilibrium")
        eqs = tuple(eqs)
        object.__setattr__(self, "equilibria", eqs)
        if not eqs:
            raise FieldError("equilibria", eqs, "expected at least one ExchangeEquilibrium")
        for k, eq in enumerate(eqs):
            if not isinstance(eq, ExchangeEquilibrium):
                raise FieldError("equilibria", eq, "expected an ExchangeEquilibrium", index=k)
        ions = self.ions
        if self.reference not in ions:
            raise FieldError(
                "reference",
                self.reference,
                f"expected an ion of the equilibria ({', '.join(ions)})",
            )
        if any(eq.form == "regular" for eq in eqs) and len(eqs) != 1:
            raise FieldError(
                "equilibria",
                len(eqs),
                "a regular-solution glass (form 'regular') is supported for one pair of ions "
                "only: with more ions it needs a Margules W for every pair",
            )
        object.__setattr__(self, "_paths", FrozenMapping(self._connect(eqs)))

    def _connect(self, eqs: tuple[ExchangeEquilibrium, ...]) -> dict[str, _LogRatio]:
        """ln(χ_i/χ_r) of every ion along a spanning tree from the reference; the remaining
        equilibria are checked to agree with it."""
        r = self.reference
        paths = {r: _LogRatio(0.0, 0.0, {})}
        route = {r: [r]}
        used = [False] * len(eqs)
        grew = True
        while grew:
            grew = False
            for k, eq in enumerate(eqs):
                if used[k]:
                    continue
                if eq.partner in paths and eq.ion not in paths:
                    paths[eq.ion] = paths[eq.partner].plus(_LogRatio.of(eq), +1.0)
                    route[eq.ion] = route[eq.partner] + [eq.ion]
                elif eq.ion in paths and eq.partner not in paths:
                    paths[eq.partner] = paths[eq.ion].plus(_LogRatio.of(eq), -1.0)
                    route[eq.partner] = route[eq.ion] + [eq.partner]
                else:
                    continue
                used[k] = grew = True
        missing = [ion for ion in self.ions if ion not in paths]
        if missing:
            raise FieldError(
                "equilibria",
                ", ".join(missing),
                f"expected every ion connected to the reference {r} by a chain of equilibria",
            )
        for k, eq in enumerate(eqs):
            if used[k]:
                continue
            implied = paths[eq.ion].plus(paths[eq.partner], -1.0)
            given = _LogRatio.of(eq)
            if not implied.closes_with(given):
                cycle = "–".join(route[eq.ion][::-1] + route[eq.partner][1:])
                raise FieldError(
                    "equilibria",
                    f"{eq.ion} over {eq.partner}: {given.text()}",
                    f"expected the cycle {cycle}–{eq.ion} to close, i.e. the values the other "
                    f"equilibria imply: {implied.text()}",
                    index=k,
                )
        return paths

    @property
    def ions(self) -> tuple[str, ...]:
        """The ions of the equilibria, in order of first appearance."""
        seen: dict[str, None] = {}
        for eq in self.equilibria:
            seen.setdefault(eq.ion)
            seen.setdefault(eq.partner)
        return tuple(seen)

    def surface_fractions(self, melt: Mapping[str, float], temperature: float) -> dict[str, float]:
        """Glass surface site fractions χ_i (Σχ = 1) in equilibrium with a melt of cation mole
        fractions x_i (``melt``, summing to 1; ions of the chemistry left out are 0) at T (K).

        Ideal and Rothmund–Kornfeld: χ_i = ρ_i/Σρ with ln ρ_i = ln(χ_i/χ_r) the sum along the
        chain r → i of (ln K − ln x_partner + ln x_ion)/n (closed form). Regular: see
        ExchangeEquilibrium.surface_fraction.
        """
        positive(temperature, "temperature", "K")
        fractions = _fractions(melt, "melt")
        x = {ion: 0.0 for ion in self.ions}
        for ion, value in fractions.items():
            if ion in x:
                x[ion] = value
            elif value > 0.0:
                raise FieldError(
                    "melt",
                    ion,
                    f"expected only ions of the chemistry ({', '.join(self.ions)}); the melt "
                    f"holds {ion} at {value:g}",
                )
        if self.equilibria[0].form == "regular":
            eq = self.equilibria[0]
            chi = eq.surface_fraction(x[eq.ion] / (x[eq.ion] + x[eq.partner]), temperature)
            pair = {eq.ion: chi, eq.partner: 1.0 - chi}
            return {ion: pair[ion] for ion in self.ions}
        return self._closed_form(x, temperature)

    def _closed_form(self, x: Mapping[str, float], temperature: float) -> dict[str, float]:
        absent = [ion for ion, v in x.items() if v == 0.0]
        rt = GAS_CONSTANT * temperature
        finite = {}
        order = {}  # exponent of each absent ion's ln x in ln ρ_i: they decide who vanishes
        for ion, p in self._paths.items():
            finite[ion] = (
                p.c - p.h / rt + math.fsum(b * math.log(x[k]) for k, b in p.b.items() if x[k] > 0.0)
            )
            order[ion] = tuple(p.b.get(k, 0.0) for k in absent)
        surface = self._surviving(order, absent)
        top = max(finite[ion] for ion in surface)
        weights = {ion: math.exp(finite[ion] - top) for ion in surface}
        total = math.fsum(weights.values())
        return {ion: weights.get(ion, 0.0) / total for ion in self.ions}

    def _surviving(self, order: Mapping[str, tuple], absent: list[str]) -> list[str]:
        """The ions on the surface when the ions ``absent`` from the melt have x → 0: ln ρ_i
        carries Σ_a b_ia ln x_a, so the ratio of two ions stays finite iff their exponents b
        agree on every absent ion, and ion j vanishes beside ion i, however the x_a → 0, iff
        b_ja ≥ b_ia for every absent a, with one strict. Every ion present in the melt must
        stay on the surface and every absent one vanish; otherwise (Rothmund–Kornfeld pairs
        of different n meeting at an absent ion) the limit would wipe a present ion off the
        surface, an artefact of the form, and the surface is refused."""
        present = [ion for ion in order if ion not in absent]
        if not absent:
            return present
        low = order[present[0]]
        if all(_same(order[ion], low) for ion in present) and all(
            all(b >= a - _COEFFICIENT_ZERO for a, b in zip(low, order[ion]))
            and not _same(order[ion], low)
            for ion in absent
        ):
            return present
        raise FieldError(
            "melt",
            ", ".join(absent),
            "the equilibria leave the surface undefined when these ions are absent from the "
            "melt (Rothmund–Kornfeld pairs of different n meet at them); expected a small "
            "fraction of them instead of 0",
        )


def _same(a: tuple, b: tuple) -> bool:
    return all(abs(p - q) <= _COEFFICIENT_ZERO for p, q in zip(a, b))


# --------------------------------------------------------------------------- bath ageing


@dataclass(frozen=True)
class BathLoad:
    """The cations one load of glass exchanges with the melt: mol released into the melt per
    cation (negative: taken up by the glass), e.g. {"Na": 0.8, "Li": 0.2, "K": -1.0}. The
    exchange is one for one, so the amounts sum to zero (within 1e-9 of Σ|amount|)."""

    released: Mapping[str, float]

    def __post_init__(self):
        if not isinstance(self.released, Mapping):
            raise FieldError("released", self.released, "expected a table cation → mol")
        amounts = {}
        for cation, value in self.released.items():
            if cation not in _CATION_SALT:
                raise FieldError(
                    "released",
                    cation,
                    f"expected cations of known nitrates ({', '.join(_CATION_SALT)})",
                )
            if not (_is_real(value) and math.isfinite(value)):
                raise FieldError(f"released[{cation!r}]", value, "expected a finite amount", "mol")
            amounts[cation] = float(value)
        net = math.fsum(amounts.values())
        if abs(net) > 1e-9 * math.fsum(abs(v) for v in amounts.values()):
            raise FieldError(
                "released",
                net,
                "expected amounts summing to 0: the glass takes up one cation for each it "
                "releases (nitrate conserved)",
                "mol",
            )
        object.__setattr__(self, "released", FrozenMapping(amounts))


def exchange_load(
    area: float, depth_integrated_change: Mapping[str, float], total_mobile: float
) -> BathLoad:
    """The load of glass of exchanged ``area`` A (m², every exchanged face) whose site
    fractions changed by ΔΣ_i = ∫(χ_i,after − χ_i,before) dx (m, ``depth_integrated_change``,
    summing to 0) over a mobile-ion concentration C_T (mol/m³, ``total_mobile``): the melt
    receives n_i = −A·C_T·ΔΣ_i mol of cation i."""
    positive(area, "area", "m^2")
    positive(total_mobile, "total_mobile", "mol/m^3")
    if not isinstance(depth_integrated_change, Mapping):
        raise FieldError(
            "depth_integrated_change", depth_integrated_change, "expected a table cation → m"
        )
    released = {}
    for cation, change in depth_integrated_change.items():
        if not (_is_real(change) and math.isfinite(change)):
            raise FieldError(
                f"depth_integrated_change[{cation!r}]", change, "expected a finite number", "m"
            )
        released[cation] = -area * total_mobile * change
    return BathLoad(released)


@dataclass(frozen=True)
class BathState:
    """The cations of a melt: mol of each (= mol of its nitrate)."""

    moles: Mapping[str, float]

    @property
    def total(self) -> float:
        """Σ n_i, mol (= mol of nitrate)."""
        return math.fsum(self.moles.values())

    @property
    def melt(self) -> dict[str, float]:
        """Cation mole fractions x_i = n_i/Σn."""
        total = self.total
        return {cation: n / total for cation, n in self.moles.items()}

    @property
    def mass(self) -> float:
        """Salt mass Σ n_i M(iNO3), kg."""
        return math.fsum(n * nitrate_molar_mass(c) for c, n in self.moles.items())


def bath_state(melt: Mapping[str, float], salt_mass: float) -> BathState:
    """The bath of ``salt_mass`` kg of nitrates with cation mole fractions ``melt``:
    n_i = x_i·m/M̄, M̄ = Σ x_k M(kNO3) (kg/mol)."""
    positive(salt_mass, "salt_mass", "kg")
    x = _cations(_fractions(melt, "melt"))
    mean_molar_mass = math.fsum(v * nitrate_molar_mass(c) for c, v in x.items())
    total = salt_mass / mean_molar_mass
    return BathState(FrozenMapping({c: v * total for c, v in x.items()}))


def age_bath(
    melt: Mapping[str, float],
    salt_mass: float,
    loads: Sequence[BathLoad | Mapping[str, float]],
) -> list[BathState]:
    """The bath after each load: n_i,k = n_i,k−1 + released_i,k (mol), starting from
    ``salt_mass`` kg of melt of cation mole fractions ``melt`` (well mixed, no drag-out, no
    replenishment, nitrate conserved). A load may be a BathLoad or its table cation → mol."""
    state = bath_state(melt, salt_mass)
    if isinstance(loads, (Mapping, BathLoad)) or not isinstance(loads, Iterable):
        raise FieldError("loads", loads, "expected a sequence of loads")
    out = []
    moles = dict(state.moles)
    for k, load in enumerate(loads):
        if not isinstance(load, BathLoad):
            load = BathLoad(load)
        for cation, amount in load.released.items():
            left = moles.get(cation, 0.0) + amount
            if left < 0.0:
                raise FieldError(
                    "loads",
                    -amount,
                    f"the bath holds {moles.get(cation, 0.0):g} mol of {cation} before this "
                    "load; expected a load taking no more than that",
                    "mol",
                    index=k,
                )
            moles[cation] = left
        out.append(BathState(FrozenMapping(dict(moles))))
    return out


# --------------------------------------------------------------------------- presets

_T_400C = ZERO_CELSIUS + 400.0  # K

_ILLUSTRATIVE = (
    "ILLUSTRATIVE, not measured: no published equilibrium constant for a lithium "
    "aluminosilicate cover glass in mixed nitrates was found. "
)

ILLUSTRATIVE_LAS_K_NA_LI = SaltBathChemistry(
    equilibria=(
        ExchangeEquilibrium.from_reference(
            "K",
            "Na",
            0.009,
            _T_400C,
            20e3,
            provenance=_ILLUSTRATIVE
            + "K_KNa(400 °C) = 0.009 is calibrated to the industrial rule of thumb that a few "
            "thousand ppm (mol) of Na in KNO3 cost about a quarter of the surface K: with it, "
            "3000 ppm NaNO3 in KNO3 gives χ_K = 0.749 instead of 1 (−25.1 %). ΔH = +20 kJ/mol "
            "is a placeholder that weakens the glass's preference for Na as T rises (K ×1.43 "
            "from 380 to 450 °C). For soda-lime float glass the effect is weaker: Sglavo, Int. "
            "J. Appl. Glass Sci. (2015), doi:10.1111/ijag.12101, found Na up to about 0.5 wt% "
            "NaNO3 in KNO3 not critical, and Hassani & Sglavo (2015), doi:10.5772/60976, that "
            "the surface K scales with the purity of the bath; the constant is not "
            "transferable between glasses.",
        ),
        ExchangeEquilibrium.from_reference(
            "Li",
            "Na",
            10.0,
            _T_400C,
            -15e3,
            provenance=_ILLUSTRATIVE
            + "K_LiNa(400 °C) = 10 expresses that the aluminosilicate network holds Li more "
            "strongly than Na (why LiNO3 building up in a bath cuts the Na and K uptake); "
            "ΔH = −15 kJ/mol lets that preference weaken with temperature. Both are "
            "placeholders.",
        ),
    ),
    reference="Na",
    name="illustrative lithium aluminosilicate in K/Na/Li nitrates, 380–450 °C (ideal form)",
)


# recipe name → preset (recipes name a chemistry by these words; matched ignoring case)
CHEMISTRY_PRESETS = FrozenMapping({"illustrative LAS K/Na/Li": ILLUSTRATIVE_LAS_K_NA_LI})


def chemistry_preset(name: str) -> SaltBathChemistry:
    """The preset of CHEMISTRY_PRESETS called ``name`` (case and surrounding spaces ignored)."""
    wanted = name.strip().casefold() if isinstance(name, str) else None
    for key, chemistry in CHEMISTRY_PRESETS.items():
        if key.casefold() == wanted:
            return chemistry
    known = ", ".join(repr(k) for k in CHEMISTRY_PRESETS)
    raise FieldError("chemistry", name, f"expected the name of a preset: {known}")
