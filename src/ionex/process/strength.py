"""Strength of an exchanged plate from its residual stress profile: the retained strength
against an edge flaw (ionex.physics.fracture), the surface and central stresses, the stored
tensile strain energy and the frangibility verdicts (ionex.physics.frangibility).

    options = StrengthOptions(toughness=0.75e6, loading=Loading.BENDING, applied_stress=300e6)
    report = assess_strength(depth, stress, thickness, options, glass)

The profile is σ(x) over the whole thickness, x from the face the flaw starts at (m; Pa,
compression negative). SI throughout.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np

from ..physics.fracture import RetainedStrength, retained_strength
from ..physics.frangibility import (
    FrangibilityVerdict,
    assess_frangibility,
    mean_core_tension,
)
from ..physics.stress import (
    ElasticGlass,
    MultiIonGlass,
    core_tension,
    tensile_strain_energy,
)
from ..validators import FieldError

__all__ = [
    "Loading",
    "ProfileKind",
    "StrengthOptions",
    "StrengthReport",
    "assess_strength",
    "DEEPEST_FLAW_FRACTION",
    "DEFAULT_TOUGHNESS",
]

# the weight function's range of validity: flaws up to this fraction of the thickness
DEEPEST_FLAW_FRACTION = 0.6
# K_Ic of silicate glasses lies within 0.7–1.0 MPa·√m; soda-lime 0.75 (used when none given,
# and said so in the outputs)
DEFAULT_TOUGHNESS = 0.75e6


class Loading(enum.Enum):
    """How the part is loaded when it breaks."""

    UNIFORM = "uniform"  # in-plane tension, the same through the thickness
    BENDING = "bending"  # outer-fibre stress on the flawed face, zero at the mid-plane

    @property
    def words(self) -> str:
        return "uniform tension" if self is Loading.UNIFORM else "bending"


class ProfileKind(enum.Enum):
    """Where a stress profile comes from, which decides how CT is read off it."""

    COMPUTED = "computed"  # a smooth simulated profile: CT is its largest tension
    MEASURED = "measured"  # scattered data: CT is fitted to the core (core_tension)


@dataclass(frozen=True)
class StrengthOptions:
    """What to assess.

    Attributes:
        toughness: K_Ic (Pa·√m, > 0).
        loading: Loading of the part.
        applied_stress: the applied (outer-fibre) stress σ_a (Pa, > 0), or None: then
            K_I(a) is the residual stress's alone and no flaw is called critical.
        shallowest, deepest: flaw depths assessed (m); None: 0.1 µm (or 1e-4·t if that is
            less) and DEEPEST_FLAW_FRACTION·t.
        points: how many flaw depths (≥ 2), log-spaced.
        toughness_given: whether the user gave K_Ic (reported with the result).
    """

    toughness: float = DEFAULT_TOUGHNESS
    loading: Loading = Loading.UNIFORM
    applied_stress: float | None = None
    shallowest: float | None = None
    deepest: float | None = None
    points: int = 200
    toughness_given: bool = False

    def __post_init__(self):
        if not (isinstance(self.toughness, (int, float)) and self.toughness > 0):
            raise FieldError("toughness", self.toughness, "expected K_Ic > 0", "Pa m^0.5")
        if not isinstance(self.loading, Loading):
            raise FieldError("loading", self.loading, 'expected "uniform" or "bending"')
        if self.applied_stress is not None and not (
            math.isfinite(self.applied_stress) and self.applied_stress > 0
        ):
            raise FieldError(
                "applied_stress", self.applied_stress, "expected a stress > 0 (tension)", "Pa"
            )
        for name in ("shallowest", "deepest"):
            v = getattr(self, name)
            if v is not None and not (math.isfinite(v) and v > 0):
                raise FieldError(name, v, "expected a flaw depth > 0", "m")
        if (
            self.shallowest is not None
            and self.deepest is not None
            and not self.shallowest < self.deepest
        ):
            raise FieldError(
                "deepest", self.deepest, f"expected a depth beyond shallowest ({self.shallowest} m)"
            )
        if not (isinstance(self.points, int) and self.points >= 2):
            raise FieldError("points", self.points, "expected 2 or more flaw depths")

    def flaw_depths(self, thickness: float, reach: float) -> np.ndarray:
        """The flaw depths for a plate of ``thickness`` whose profile reaches ``reach`` (m)."""
        limit = min(DEEPEST_FLAW_FRACTION * thickness, reach)
        deepest = limit if self.deepest is None else self.deepest
        if deepest > limit * (1 + 1e-12):
            what = (
                f"{DEEPEST_FLAW_FRACTION:g} of the thickness ({limit:.6g} m), the weight "
                "function's range"
                if limit < reach
                else f"the deepest point of the stress profile ({reach:.6g} m)"
            )
            raise FieldError("deepest", deepest, f"expected a flaw depth within {what}", "m")
        shallowest = min(1e-7, 1e-4 * thickness) if self.shallowest is None else self.shallowest
        if not shallowest < deepest:
            raise FieldError(
                "shallowest", shallowest, f"expected a flaw depth below {deepest:.6g} m", "m"
            )
        return np.geomspace(shallowest, deepest, self.points)


@dataclass(frozen=True)
class StrengthReport:
    """The strength of a plate.

    Attributes:
        thickness: t (m).  options: the StrengthOptions used.
        retained: the retained-strength curve (RetainedStrength: flaw_depth, k_residual,
            k_unit, retained_strength, annealed_strength, stronger_intervals).
        stress_intensity: K_I(a) = K_res(a) + σ_a·K_unit(a) at the applied stress (Pa·√m),
            K_res alone without one.
        critical_flaw_depth: the shallowest assessed flaw that breaks at the applied stress
            (σ_f(a) ≤ σ_a), m; None when none does or no stress is applied.
        compressive_stress: CS (Pa, > 0), the compression at the flawed face.
        central_tension: CT (Pa, > 0): a computed profile's largest tension, a measured
            profile's core fit (ionex.physics.stress.core_tension; its largest tension when
            the core holds too few points, said in ``central_tension_note``); None when the
            profile does not reach the mid-plane.
        central_tension_error: the core fit's standard error (Pa), None otherwise.
        depth_of_compression: DOC (m), the first zero crossing; None without one.
        tensile_energy: W_t (J/m²) with the glass's E and ν; None without them or when the
            profile does not span the plate.
        frangibility: one FrangibilityVerdict per published criterion; () when CT or W_t
            is not known (``frangibility_note`` says why).
    """

    thickness: float
    options: StrengthOptions
    retained: RetainedStrength
    stress_intensity: np.ndarray
    critical_flaw_depth: float | None
    compressive_stress: float
    central_tension: float | None
    depth_of_compression: float | None
    tensile_energy: float | None
    frangibility: tuple[FrangibilityVerdict, ...]
    frangibility_note: str = ""
    central_tension_error: float | None = None
    central_tension_note: str = ""


def _first_zero(depth: np.ndarray, stress: np.ndarray) -> float | None:
    """Depth of the first sign change from compression to tension (linear between points)."""
    tension = np.flatnonzero(stress > 0)
    if stress[0] >= 0 or tension.size == 0:
        return None
    i = int(tension[0])
    x0, x1, s0, s1 = depth[i - 1], depth[i], stress[i - 1], stress[i]
    return float(x0 + (x1 - x0) * (-s0) / (s1 - s0))


def assess_strength(
    depth,
    stress,
    thickness: float,
    options: StrengthOptions,
    glass: ElasticGlass | MultiIonGlass | None = None,
    *,
    spans_plate: bool = True,
    kind: ProfileKind = ProfileKind.COMPUTED,
) -> StrengthReport:
    """Retained strength, K_I, CS, CT, DOC, W_t and the frangibility verdicts of a profile.

    σ_f(a) = (K_Ic − K_res(a))/K_unit(a); K_I(a) = K_res(a) + σ_a·K_unit(a).

    Args:
        depth: x from the flawed face (m), increasing; stress: σ(x) (Pa, compression < 0),
            over the whole thickness for a plate exchanged on both faces (a profile that
            stops short limits the flaws assessed to its reach).
        thickness: t (m, > 0).
        options: StrengthOptions.
        glass: E and ν for W_t (ElasticGlass or MultiIonGlass), or None.
        spans_plate: whether the profile covers the whole thickness (CT, W_t and the
            frangibility verdicts need it).
        kind: ProfileKind, how CT is read off the profile.
    """
    depth = np.asarray(depth, dtype=float)
    stress = np.asarray(stress, dtype=float)
    if not (math.isfinite(thickness) and thickness > 0):
        raise FieldError("thickness", thickness, "expected the plate thickness > 0", "m")
    flaws = options.flaw_depths(thickness, float(depth[-1]))
    curve = retained_strength(
        depth, stress, thickness, flaws, options.toughness, options.loading.value
    )
    applied = options.applied_stress
    k_total = curve.k_residual + (applied or 0.0) * curve.k_unit
    critical = None
    if applied is not None:
        broken = np.flatnonzero(curve.retained_strength <= applied)
        critical = float(flaws[broken[0]]) if broken.size else None
    cs = float(max(-stress[0], 0.0))
    doc = _first_zero(depth, stress)
    ct = energy = ct_error = None
    verdicts: tuple = ()
    note = ct_note = ""
    if spans_plate:
        ct = float(max(stress.max(), 0.0))
        if kind is ProfileKind.MEASURED:
            ct, ct_error, ct_note = _measured_central_tension(depth, stress, thickness, doc, ct)
        if glass is not None:
            energy = float(tensile_strain_energy(depth, stress, glass))
    if not spans_plate:
        note = "the profile does not span the plate: CT and W_t are not known"
    elif glass is None:
        note = "no E and ν: W_t is not known (give the glass's Young's modulus and Poisson's ratio)"
    elif doc is None:
        note = "the profile has no depth of compression"
    else:
        ct5 = None
        if doc < 0.5 * thickness:
            ct5 = mean_core_tension(depth, stress, thickness, doc)
        verdicts = tuple(assess_frangibility(ct, energy, thickness, doc, mean_tension=ct5))
    return StrengthReport(
        thickness=thickness,
        options=options,
        retained=curve,
        stress_intensity=k_total,
        critical_flaw_depth=critical,
        compressive_stress=cs,
        central_tension=ct,
        depth_of_compression=doc,
        tensile_energy=energy,
        frangibility=verdicts,
        frangibility_note=note,
        central_tension_error=ct_error,
        central_tension_note=ct_note,
    )


def _measured_central_tension(depth, stress, thickness, doc, peak):
    """(CT, its standard error, a note) of a measured profile: the core fit, or the peak
    tension with the reason when the core cannot be fitted."""
    if doc is None:
        return (
            peak,
            None,
            "CT is the largest measured tension: the profile has no depth of compression",
        )
    try:
        fit = core_tension(depth, stress, thickness, doc)
    except ValueError as exc:
        return peak, None, f"CT is the largest measured tension, biased high by the scatter ({exc})"
    note = (
        f"CT fitted to {fit.points} points of the core ({fit.core[0] * 1e6:.4g}–"
        f"{fit.core[1] * 1e6:.4g} µm; scatter {fit.scatter / 1e6:.3g} MPa); the largest "
        f"measured tension is {peak / 1e6:.4g} MPa"
    )
    return max(fit.value, 0.0), fit.standard_error, note
