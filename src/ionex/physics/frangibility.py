"""Frangibility of a chemically strengthened plate: published limits on its central tension
or stored energy, and a verdict per limit (SI: Pa, m, J/m²).

A strengthened plate whose tensile core stores too much elastic energy breaks into many small,
ejected fragments (frangible fracture). The published criteria bound one figure of the
stress profile as a function of the thickness t:

    central tension   CT ≤ a + b·t + c·ln(t/1 mm)                         (Pa)
    stored energy     W_t = (1 − ν)/E·∫_{σ>0} σ² dx ≤ a + b·t               (J/m², per unit
                      area of plate over the whole thickness: tensile_strain_energy)
    index rE          rE = CT·(t − 2·DOL)²/t ≤ a + b·t                      (Pa·m = J/m²)

Each holds only where it was established: a thickness range, and single-step (erfc-like)
profiles whose compressive layer is thin, DOL ≪ t. A two-step lithium aluminosilicate
profile, a K⁺ spike on a Na⁺ layer reaching 0.15–0.2·t, lies outside the CT criteria.

Provenance of the built-in criteria (what was read in the source, what was not):

* BAREFOOT_LINEAR_CT, CT ≤ −15.7 (MPa/mm)·t + 52.5 MPa. Read in claim 1 of WO 2013/184205 A1
  (Barefoot et al., Corning), as the lower bound of the central tension of its thin
  (t < 0.5 mm) non-frangible articles; that document cites US 2010/0035038 A1 (Barefoot et
  al.), the application this line is known from. Not read: that application's text, its
  grant number (US 8,075,999 is the number usually quoted) and the thickness range it states.
* LOGARITHMIC_CT, CT ≤ −38.7 MPa·ln(t/1 mm) + 48.2 MPa. Read in claim 1 of US 10,144,670 B2
  and US 10,457,594 B2 (Akatsuka & Ogami, Asahi Glass), as the level their glasses' CT₁ =
  CS·DOL/(t − 2·DOL) exceeds. Not read: that the line is the onset of frangibility in a
  source of its own (Corning patents such as US 9,359,251 or US 8,946,103 are named for it).
* ASAHI_ENERGY_INDEX, rE ≤ 23.3 (kJ/m²)/mm·t + 15 kJ/m². Read in the same claims (eq. (6),
  with CT₅ = 2∫₀^DOL σ dx/(t − 2·DOL), t ≤ 1000 µm in US 10,457,594 B2). Its role — the bound
  that keeps their high-CT glasses from crushing — is inferred from the claim, not read.
* No threshold on W_t itself could be confirmed: neither the constant of R. Tandon &
  S. J. Glass, "Controlling the fragmentation behavior of stressed glass", Fracture
  Mechanics of Ceramics 14 (2005) 77–91, nor a K_Ic²-based one. FrangibilityCriterion takes
  one with quantity=LimitedQuantity.TENSILE_STRAIN_ENERGY and the caller's constant.

The parabolic profile of a thermally tempered plate, σ(z) = CT·(1 − 3z²/h²) with z from the
mid-plane and h = t/2, is force-free (∫σ dz = 0) and has CS = 2·CT (the usual description of
tempered glass, e.g. US 11,485,673 B2, background), DOC = h·(1 − 1/√3) and, over its tensile
zone |z| < h/√3,

    W_t = (1 − ν)/E·CT²·h·2∫₀^{1/√3}(1 − 3u²)² du = 8/(15√3)·(1 − ν)/E·CT²·t,

closed forms that check tensile_strain_energy and stress_metrics (ParabolicProfile).
"""

from __future__ import annotations

import enum
import math
import numbers
from dataclasses import dataclass

import numpy as np

from ..validators import FieldError, positive

__all__ = [
    "REFERENCE_THICKNESS",
    "LimitedQuantity",
    "VerdictKind",
    "FrangibilityCriterion",
    "FrangibilityVerdict",
    "BAREFOOT_LINEAR_CT",
    "LOGARITHMIC_CT",
    "ASAHI_ENERGY_INDEX",
    "mean_core_tension",
    "PUBLISHED_CRITERIA",
    "energy_index",
    "assess_frangibility",
    "ParabolicProfile",
]

REFERENCE_THICKNESS = 1e-3  # m: the published formulas take t in mm, ln(t) is ln(t/1 mm)
MPA = 1e6
MM = 1e-3


class LimitedQuantity(enum.Enum):
    """The figure of the profile a criterion bounds, with its SI unit."""

    CENTRAL_TENSION = ("central tension CT", "Pa")
    TENSILE_STRAIN_ENERGY = ("stored tensile strain energy W_t", "J/m²")
    ENERGY_INDEX = ("energy index rE = CT·(t − 2·DOL)²/t", "J/m²")

    def __init__(self, label: str, unit: str):
        self.label = label
        self.unit = unit


class VerdictKind(enum.Enum):
    """What a criterion says of a plate: its figure at or below the limit, above it, or the
    plate lies outside the range the criterion was established for."""

    BELOW_LIMIT = "below limit"
    ABOVE_LIMIT = "above limit (frangible)"
    OUTSIDE_RANGE = "outside the criterion's range"


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _finite(value, field: str, what: str, unit: str = "") -> float:
    if not (_is_real(value) and math.isfinite(value)):
        raise FieldError(field, value, f"expected a finite {what}", unit)
    return float(value)


def _text(value, field: str, what: str) -> str:
    if not (isinstance(value, str) and value.strip()):
        raise FieldError(field, value, f"expected {what} as a non-empty string")
    return value


@dataclass(frozen=True)
class FrangibilityCriterion:
    """A published frangibility limit: the plate is frangible when its figure exceeds

        limit(t) = constant + thickness_slope·t + log_thickness_slope·ln(t/REFERENCE_THICKNESS)

    Attributes:
        name: short name of the criterion.
        citation: the source, precise enough to find the formula (patent number and claim,
            or journal, volume, pages, year), and what of it was not confirmed.
        quantity: the figure it bounds (LimitedQuantity); the limit is in its unit.
        constant: the limit at t = REFERENCE_THICKNESS when the slopes vanish (Pa or J/m²).
        thickness_slope: d(limit)/dt (Pa/m or J/m³).
        log_thickness_slope: d(limit)/d ln t (Pa or J/m²).
        thickness_range: (lowest, highest) thickness the criterion was established for (m,
            0 ≤ lowest < highest; highest may be math.inf), inclusive.
        max_depth_fraction: the deepest compressive layer, DOC/t (or DOL/t), it was
            established for (in (0, 0.5]; 0.5 when only the geometry limits it).
        profile_assumption: the profiles it was established on, in words.
        confirmed: True when the formula was read in the cited source as stated.
    """

    name: str
    citation: str
    quantity: LimitedQuantity
    constant: float
    thickness_slope: float = 0.0
    log_thickness_slope: float = 0.0
    thickness_range: tuple[float, float] = (0.0, math.inf)
    max_depth_fraction: float = 0.5
    profile_assumption: str = ""
    confirmed: bool = False

    def __post_init__(self):
        _text(self.name, "name", "the criterion's name")
        _text(self.citation, "citation", "the source of the criterion")
        if not isinstance(self.quantity, LimitedQuantity):
            raise FieldError("quantity", self.quantity, "expected a LimitedQuantity member")
        unit = self.quantity.unit
        _finite(self.constant, "constant", "limit constant", unit)
        _finite(self.thickness_slope, "thickness_slope", "slope of the limit", f"{unit}/m")
        _finite(self.log_thickness_slope, "log_thickness_slope", "slope in ln t", unit)
        bounds = tuple(self.thickness_range)
        if len(bounds) != 2 or not all(_is_real(b) for b in bounds):
            raise FieldError(
                "thickness_range", self.thickness_range, "expected (lowest, highest) thickness"
            )
        lo, hi = float(bounds[0]), float(bounds[1])
        if not (math.isfinite(lo) and 0.0 <= lo < hi) or math.isnan(hi):
            raise FieldError(
                "thickness_range",
                self.thickness_range,
                "expected 0 <= lowest < highest thickness (highest may be inf)",
                "m",
            )
        object.__setattr__(self, "thickness_range", (lo, hi))
        if not (_is_real(self.max_depth_fraction) and 0.0 < self.max_depth_fraction <= 0.5):
            raise FieldError(
                "max_depth_fraction",
                self.max_depth_fraction,
                "expected a depth fraction DOC/t in (0, 0.5]",
            )
        if not isinstance(self.profile_assumption, str):
            raise FieldError(
                "profile_assumption", self.profile_assumption, "expected a description in words"
            )
        if not isinstance(self.confirmed, bool):
            raise FieldError("confirmed", self.confirmed, "expected a bool")

    def limit(self, thickness):
        """The limit at plate thickness t (m, > 0), in the unit of ``quantity``; arrays too."""
        t = np.asarray(thickness, dtype=float)
        value = self.constant + self.thickness_slope * t
        if self.log_thickness_slope:
            value = value + self.log_thickness_slope * np.log(t / REFERENCE_THICKNESS)
        return value[()] if isinstance(value, np.ndarray) else value


BAREFOOT_LINEAR_CT = FrangibilityCriterion(
    name="Barefoot linear CT limit",
    citation=(
        "K. L. Barefoot, J. J. Price, J. M. Quintal, R. L. Stewart, D. J. Brockway (Corning "
        "Inc.), 'Strengthened glass articles and methods of making', WO 2013/184205 A1 "
        "(PCT/US2013/031376, published 12 Dec 2013), claim 1: -15.7(MPa/mm)·t(mm) + 52.5(MPa) "
        "< CT of its non-frangible articles of t < 0.5 mm; the line of US 2010/0035038 A1 "
        "(Barefoot et al.), cited there. Unconfirmed: the grant number US 8,075,999 and the "
        "thickness range stated in US 2010/0035038 A1."
    ),
    quantity=LimitedQuantity.CENTRAL_TENSION,
    constant=52.5 * MPA,
    thickness_slope=-15.7 * MPA / MM,
    # Below 0.5 mm WO 2013/184205 A1 claims non-frangible plates above this line, so it no
    # longer marks the onset there; above 0.8 mm and for DOL not ≪ t the thickness-dependent
    # CT criteria do not hold (US 11,878,941 B2, background); DOL > 0.1·t is the "deep"
    # regime of US 10,239,784 B2 (Oram et al.), non-frangible beyond these limits.
    thickness_range=(0.5 * MM, 0.8 * MM),
    max_depth_fraction=0.1,
    profile_assumption=(
        "single-step K+/Na+ (erfc-like) profiles with DOL ≪ t; thickness range and the 0.1·t "
        "depth bound inferred from WO 2013/184205 A1, US 11,878,941 B2 and US 10,239,784 B2"
    ),
    confirmed=True,
)

LOGARITHMIC_CT = FrangibilityCriterion(
    name="logarithmic CT limit",
    citation=(
        "K. Akatsuka, S. Ogami (Asahi Glass Co.), 'Chemically strengthened glass', "
        "US 10,144,670 B2 (granted 4 Dec 2018) and US 10,457,594 B2, claim 1: their glasses "
        "have CT1 > -38.7·ln(t/1000) + 48.2 [MPa] (t in µm), CT1 = CS·DOL/(t - 2·DOL). "
        "Unconfirmed: the line as a frangibility onset in a source of its own (Corning "
        "US 9,359,251 / US 8,946,103 are named for it)."
    ),
    quantity=LimitedQuantity.CENTRAL_TENSION,
    constant=48.2 * MPA,
    log_thickness_slope=-38.7 * MPA,
    # t ≤ 1000 µm is claim 1 of US 10,457,594 B2; the depth bound is that of every
    # thickness-dependent CT criterion (US 11,878,941 B2, background).
    thickness_range=(0.0, 1.0 * MM),
    max_depth_fraction=0.1,
    profile_assumption=(
        "CT as CS·DOL/(t − 2·DOL) of a thin compressive layer; no lower thickness bound "
        "stated in the claims read; the 0.1·t depth bound is inferred"
    ),
    confirmed=True,
)

ASAHI_ENERGY_INDEX = FrangibilityCriterion(
    name="Asahi energy index rE",
    citation=(
        "K. Akatsuka, S. Ogami (Asahi Glass Co.), 'Chemically strengthened glass', "
        "US 10,144,670 B2 (granted 4 Dec 2018), claim 1, and US 10,457,594 B2, claim 1 "
        "(t ≤ 1000 µm): rE = CT5·(t - 2·DOL)²/(1000·t) ≤ 23.3·t/1000 + 15 [kJ/m²], t and DOL "
        "in µm, CT5 = 2∫σ dx over [0, DOL]/(t - 2·DOL). Inferred, not read: that the bound "
        "separates crushing from non-crushing fracture."
    ),
    quantity=LimitedQuantity.ENERGY_INDEX,
    constant=15e3,
    thickness_slope=23.3e3 / MM,
    thickness_range=(0.0, 1.0 * MM),
    max_depth_fraction=0.5,
    profile_assumption=(
        "claimed for steep profiles, σ(DOL/2) ≤ 10 % of CS, with CT5/CT1 ≤ 0.85 and "
        "CT5 ≥ 30 MPa; evaluated with the profile's CT5 when it is given, else with CT ≥ CT5"
    ),
    confirmed=True,
)

PUBLISHED_CRITERIA = (BAREFOOT_LINEAR_CT, LOGARITHMIC_CT, ASAHI_ENERGY_INDEX)


def energy_index(central_tension: float, thickness: float, depth_of_compression: float):
    """The energy index of US 10,144,670 B2, eq. (6), in SI:

        rE = CT·(t − 2·DOL)²/t    (Pa·m = J/m²; the patent's kJ/m² is this over 1000)

    The patent takes CT₅ = 2∫₀^DOL σ dx/(t − 2·DOL), the mean tension of the core; the
    largest tension CT ≥ CT₅ gives an rE on the frangible side.

    Args: central_tension CT (Pa); thickness t (m); depth_of_compression DOL (m).
    """
    core = thickness - 2.0 * depth_of_compression
    return central_tension * core * core / thickness


@dataclass(frozen=True)
class FrangibilityVerdict:
    """What one criterion says of one plate.

    Attributes:
        criterion: the criterion applied.
        kind: VerdictKind.
        value: the plate's figure the criterion bounds (unit of criterion.quantity).
        limit: the criterion's limit at the plate's thickness (same unit; extrapolated
            when the plate is outside the range).
        margin: limit − value (same unit): > 0 below the limit, < 0 above it.
        reason: the comparison, or why the criterion does not apply, in words.
    """

    criterion: FrangibilityCriterion
    kind: VerdictKind
    value: float
    limit: float
    margin: float
    reason: str


def _non_negative(value, field: str, what: str, unit: str) -> float:
    if not (_is_real(value) and math.isfinite(value) and value >= 0):
        raise FieldError(field, value, f"expected a finite {what} >= 0", unit)
    return float(value)


def _outside(criterion: FrangibilityCriterion, thickness: float, depth: float) -> str | None:
    """Why the plate lies outside the criterion's range, or None."""
    lo, hi = criterion.thickness_range
    if not lo <= thickness <= hi:
        return (
            f"thickness {thickness / MM:.3g} mm outside the {lo / MM:.3g}–{hi / MM:.3g} mm "
            "the criterion was established for"
        )
    fraction = depth / thickness
    if fraction > criterion.max_depth_fraction:
        return (
            f"DOC/t = {fraction:.3g} above {criterion.max_depth_fraction:.3g}, deeper than the "
            f"profiles the criterion was established for ({criterion.profile_assumption}); "
            "a two-step profile with a deep Na+ layer is such a case"
        )
    return None


def _show(value: float, quantity: LimitedQuantity) -> str:
    if quantity is LimitedQuantity.CENTRAL_TENSION:
        return f"{value / MPA:.4g} MPa"
    return f"{value:.4g} J/m²"


def assess_frangibility(
    central_tension: float,
    tensile_energy: float,
    thickness: float,
    depth_of_compression: float,
    criteria=PUBLISHED_CRITERIA,
    *,
    mean_tension: float | None = None,
) -> tuple[FrangibilityVerdict, ...]:
    """One verdict per criterion on a plate's CT, W_t, thickness and depth of compression.

    A criterion applies when t lies in its thickness_range and DOC/t ≤ max_depth_fraction;
    then the plate is BELOW_LIMIT when its figure ≤ limit(t) (the published criteria are
    "≤"), ABOVE_LIMIT otherwise. The figure is CT, W_t or energy_index(CT, t, DOC).

    Args:
        central_tension: CT, the largest tensile stress (Pa, ≥ 0).
        tensile_energy: W_t = (1 − ν)/E·∫_{σ>0} σ² dx over the whole thickness, per unit
            area of plate (J/m², ≥ 0), as tensile_strain_energy computes it.
        thickness: t (m, > 0).
        depth_of_compression: DOC (or the DOL of the patents), the depth of the
            compressive layer from each face (m, 0 ≤ DOC < t).
        criteria: the FrangibilityCriterion to apply (default PUBLISHED_CRITERIA).
        mean_tension: CT₅ = 2∫₀^DOC |σ| dx/(t − 2·DOC), the mean tension of the core that the
            energy index is defined with (Pa, ≥ 0; mean_core_tension); None: the index takes
            CT, which is ≥ CT₅ and errs on the frangible side.
    Returns: a FrangibilityVerdict per criterion, in the order given.

    >>> v = assess_frangibility(40e6, 5.0, 0.55e-3, 30e-6)
    >>> [x.kind.value for x in v]
    ['below limit', 'below limit', 'below limit']
    """
    ct = _non_negative(central_tension, "central_tension", "central tension CT", "Pa")
    energy = _non_negative(tensile_energy, "tensile_energy", "tensile strain energy W_t", "J/m²")
    positive(thickness, "thickness", "m")
    t = float(thickness)
    doc = _non_negative(depth_of_compression, "depth_of_compression", "depth of compression", "m")
    if not doc < t:
        raise FieldError(
            "depth_of_compression", doc, "expected a depth of compression below the thickness", "m"
        )
    ct5 = None
    if mean_tension is not None:
        ct5 = _non_negative(mean_tension, "mean_tension", "mean core tension CT5", "Pa")
    verdicts = []
    for criterion in criteria:
        if not isinstance(criterion, FrangibilityCriterion):
            raise FieldError("criteria", criterion, "expected FrangibilityCriterion entries")
        quantity = criterion.quantity
        if quantity is LimitedQuantity.CENTRAL_TENSION:
            value = ct
        elif quantity is LimitedQuantity.TENSILE_STRAIN_ENERGY:
            value = energy
        else:
            value = energy_index(ct if ct5 is None else ct5, t, doc)
        limit = float(criterion.limit(t))
        margin = limit - value
        why = _outside(criterion, t, doc)
        if why is not None:
            kind, reason = VerdictKind.OUTSIDE_RANGE, why
        elif value <= limit:
            kind = VerdictKind.BELOW_LIMIT
            reason = f"{quantity.label} {_show(value, quantity)} ≤ limit {_show(limit, quantity)}"
        else:
            kind = VerdictKind.ABOVE_LIMIT
            reason = f"{quantity.label} {_show(value, quantity)} > limit {_show(limit, quantity)}"
        verdicts.append(FrangibilityVerdict(criterion, kind, value, limit, margin, reason))
    return tuple(verdicts)


def mean_core_tension(depth, stress, thickness: float, depth_of_compression: float) -> float:
    """The mean tension of the core from the compressive layer at the face x = 0:

        CT₅ = 2∫₀^DOC |σ| dx / (t − 2·DOC)     (Pa)

    (US 10,144,670 B2, claim 1) — by force balance the compression of both faces spread over
    the core; trapezoidal over the points, the last interval cut at DOC.

    Args: depth x (m, increasing, from 0 or near it); stress σ (Pa, compression < 0);
        thickness t (m); depth_of_compression DOC (m, 0 < DOC < t/2).
    """
    x = np.asarray(depth, dtype=float)
    s = np.asarray(stress, dtype=float)
    if not 0.0 < depth_of_compression < 0.5 * thickness:
        raise FieldError(
            "depth_of_compression",
            depth_of_compression,
            "expected a depth of compression within half the thickness",
            "m",
        )
    inside = x < depth_of_compression
    xs = np.concatenate([[0.0], x[inside], [depth_of_compression]])
    ss = np.concatenate([[s[0]], s[inside], [0.0]])
    compression = float(np.sum(0.5 * (ss[1:] + ss[:-1]) * np.diff(xs)))
    return max(-2.0 * compression / (thickness - 2.0 * depth_of_compression), 0.0)


PARABOLA_ENERGY_FACTOR = 8.0 / (15.0 * math.sqrt(3.0))  # W_t/[(1 − ν)/E·CT²·t]


@dataclass(frozen=True)
class ParabolicProfile:
    """The force-free parabolic stress of a thermally tempered plate, for checks in closed form:

        σ(x) = CT·(1 − 3z²/h²),   z = x − h, h = t/2, x the depth from a face

    CS = 2·CT, DOC = h·(1 − 1/√3), W_t = 8/(15√3)·(1 − ν)/E·CT²·t.

    Attributes: central_tension CT (Pa, ≥ 0); thickness t (m, > 0).
    """

    central_tension: float
    thickness: float

    def __post_init__(self):
        _non_negative(self.central_tension, "central_tension", "central tension CT", "Pa")
        positive(self.thickness, "thickness", "m")

    def stress(self, depth):
        """σ at depths x from a face (m, in [0, t]), in Pa (compression < 0)."""
        h = 0.5 * self.thickness
        z = (np.asarray(depth, dtype=float) - h) / h
        return self.central_tension * (1.0 - 3.0 * z * z)

    @property
    def compressive_stress(self) -> float:
        """CS = −σ(0) = 2·CT (Pa, positive in compression)."""
        return 2.0 * self.central_tension

    @property
    def depth_of_compression(self) -> float:
        """DOC = t/2·(1 − 1/√3) (m), where σ changes sign."""
        return 0.5 * self.thickness * (1.0 - 1.0 / math.sqrt(3.0))

    def tensile_energy(self, glass) -> float:
        """W_t = 8/(15√3)·(1 − ν)/E·CT²·t (J/m²); glass: anything with biaxial_modulus E/(1 − ν)."""
        return (
            PARABOLA_ENERGY_FACTOR
            * self.central_tension**2
            * self.thickness
            / glass.biaxial_modulus
        )
