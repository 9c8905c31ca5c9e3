"""A recipe: the glass, the ion pair and its interdiffusion model, and an ordered list of
process steps (baths, anneals) — all in SI units. Files are read by ionex.io.recipe."""

from __future__ import annotations

from abc import ABC, abstractmethod

import math
import re
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from ..physics.interdiffusion import InterdiffusionModel
from ..physics.optics import ElastoOptic
from ..physics.stress import ElasticGlass, RelaxationLaw
from ..validators import FieldError
from .strength import StrengthOptions
from .temperature import TemperatureProgram

__all__ = [
    "Glass",
    "Step",
    "BathExchange",
    "Anneal",
    "Numerics",
    "NUMERICS_RANGES",
    "StressOptions",
    "OpticsOptions",
    "Target",
    "TARGET_KINDS",
    "Recipe",
    "Editable",
    "Mask",
    "MASK_CELL_RANGE",
]


_SYMBOL = r"[A-Z][a-z]?"  # an element symbol: the ion's name in tables and plots


@dataclass(frozen=True)
class Glass:
    """The glass being exchanged.

    Attributes:
        host_ion: symbol of the native mobile ion B (e.g. "Na").
        total_mobile: C_T, total mobile-ion concentration (mol/m³, > 0).
        thickness: plate thickness (m), or None for a semi-infinite slab.
        faces: "front" (exchanged at depth 0 only; the back face is closed) or "both"
            (a plate exchanged symmetrically on both faces; needs a thickness).
    """

    host_ion: str
    total_mobile: float
    thickness: float | None = None
    faces: str = "front"

    def __post_init__(self):
        if not (isinstance(self.host_ion, str) and re.fullmatch(_SYMBOL, self.host_ion)):
            raise FieldError("host_ion", self.host_ion, 'expected an element symbol such as "Na"')
        if not (_real(self.total_mobile) and self.total_mobile > 0):
            raise FieldError(
                "total_mobile", self.total_mobile, "expected a concentration > 0", "mol/m^3"
            )
        if self.thickness is not None and not (_real(self.thickness) and self.thickness > 0):
            raise FieldError("thickness", self.thickness, "expected a thickness > 0", "m")
        if self.faces not in ("front", "both"):
            raise FieldError("faces", self.faces, 'expected "front" or "both"')
        if self.faces == "both" and self.thickness is None:
            raise FieldError(
                "faces",
                self.faces,
                "expected a plate thickness with it (a semi-infinite slab has one face)",
            )


def _real(value) -> bool:
    """A finite real number (a bool is no concentration)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class Step(ABC):
    """One process step: a BathExchange (a bath holds the incoming ion at the exchanged
    face(s)) or an Anneal (closed faces). ``Step(duration, temperature, surface_fraction,
    name)`` builds the kind that fits, as ``pathlib.Path(...)`` builds a PosixPath: a
    BathExchange for a surface fraction, an Anneal for None.

    Attributes:
        duration: length of the step (s, > 0).
        temperature: T(t) during the step (K).
        surface_fraction: χ_s of the incoming ion held at the exchanged face(s) by the bath,
            or None for an anneal with closed faces.
        name: a label for tables and plots.
    """

    is_anneal: ClassVar[bool] = False  # True for an Anneal: closed faces, no ion crosses them

    duration: float
    temperature: TemperatureProgram
    surface_fraction: float | None = None
    name: str = ""

    def __new__(cls, *args, **kwargs):
        if cls is Step:
            fraction = args[2] if len(args) > 2 else kwargs.get("surface_fraction")
            cls = Anneal if fraction is None else BathExchange
        return super().__new__(cls)

    def __post_init__(self):
        if not (_real(self.duration) and self.duration > 0):
            raise FieldError("duration", self.duration, "expected a duration > 0", "s")

    @property
    @abstractmethod
    def held_fraction(self) -> float:
        """χ_s held at the exchanged face(s) as a number, NaN when none is (an anneal): the
        surface_fraction column of a Result."""


@dataclass(frozen=True)
class BathExchange(Step):
    """A bath step: the bath holds the incoming ion's site fraction ``surface_fraction``
    (χ_s, within [0, 1]) at the exchanged face(s) — the front, or both faces of a plate.

    ``electric_field``: a field-assisted step: the field E applied across the glass, as it
    is in the unexchanged glass far from the surface (V/m, > 0: the melt is the anode and
    drives cations in); None for a thermal step."""

    surface_fraction: float = field()  # required: a bath holds a fraction
    electric_field: float | None = None

    def __post_init__(self):
        super().__post_init__()
        f = self.surface_fraction
        if not (_real(f) and 0.0 <= f <= 1.0):
            raise FieldError(
                "surface_fraction", f, "expected a surface site fraction within [0, 1]"
            )
        e = self.electric_field
        if e is not None and not (_real(e) and e > 0):
            raise FieldError(
                "electric_field",
                e,
                "expected a field > 0 (the melt as the anode, driving cations into the glass)",
                "V/m",
            )

    @property
    def held_fraction(self) -> float:
        return float(self.surface_fraction)


@dataclass(frozen=True)
class Anneal(Step):
    """A step with closed faces: no ion enters or leaves, the profile spreads by
    interdiffusion alone. ``surface_fraction`` is None (there is no bath)."""

    is_anneal: ClassVar[bool] = True
    electric_field: ClassVar[None] = None  # no bath, no current

    def __post_init__(self):
        super().__post_init__()
        if self.surface_fraction is not None:
            raise FieldError(
                "surface_fraction",
                self.surface_fraction,
                "expected none: an anneal has closed faces (a bath step is a BathExchange)",
            )

    @property
    def held_fraction(self) -> float:
        return math.nan


@dataclass(frozen=True)
class Numerics:
    """Accuracy controls of the interdiffusion solver. The defaults put the depth of χ = 0.5
    within ~1e-4 relative of the exact similarity solution for D_A/D_B from 1e-4 to 10, and
    within 2.5e-4 up to 1e4 (README, "Accuracy"); the error comes from the last part of a
    run, so tighten rtol for more.

    Attributes:
        rtol, atol: local error tolerance per cell and step, |err| ≤ atol + rtol·|χ|.
        cells_per_efold: mesh resolution q (see ionex.grids.graded_grid); the mesh
            refines toward the face down to the slow diffusion length √(∫ min D̃ dt).
        domain_lengths: depth of a semi-infinite slab's domain in diffusion lengths.

    Each lies in NUMERICS_RANGES: looser tolerances than 0.1 leave the error estimate of
    the step control meaningless, tighter than ~1e-10 (rtol) or 1e-14 (atol, χ ≤ 1) ask
    for less than the round-off of the solve; below 10 cells per e-fold neighbouring
    cells differ by more than e^(1/10) ≈ 1.105 and the profile is off by percents, above
    1000 the mesh only costs time; a slab shallower than 6 diffusion lengths cuts the
    profile (erfc(3) ≈ 2e-5 at its end), one deeper than 1000 only adds cells.
    """

    rtol: float = 4e-4
    atol: float = 4e-6
    cells_per_efold: float = 60.0
    domain_lengths: float = 12.0

    def __post_init__(self):
        for name, (low, high, meaning) in NUMERICS_RANGES.items():
            v = getattr(self, name)
            if (
                isinstance(v, bool)
                or not isinstance(v, (int, float))
                or not (math.isfinite(v) and low <= v <= high)
            ):
                raise FieldError(name, v, f"expected {meaning} within [{low:g}, {high:g}]")


# name → (lowest, highest, what it is): the sane range of each Numerics value (its docstring)
NUMERICS_RANGES = {
    "rtol": (1e-10, 0.1, "a relative tolerance"),
    "atol": (1e-14, 0.01, "an absolute tolerance on the site fraction"),
    "cells_per_efold": (10.0, 1000.0, "a number of cells per e-fold of depth"),
    "domain_lengths": (6.0, 1000.0, "a slab depth in diffusion lengths"),
}


# the sane number of cells along each axis of a cross-section mesh: below 20 a channel's
# corner is not resolved, above 1000 each direction the 2-D solve only costs time
MASK_CELL_RANGE = (20, 1000)


@dataclass(frozen=True)
class Mask:
    """A mask on the exchanged face with a slit opening: the process then runs in the
    cross-section (depth x, lateral y) of a channel waveguide.

    Attributes:
        opening: width w of the slit, centred at y = 0 (m, > 0). In the opening the step's
            bath holds χ_s; under the mask the face is closed.
        removed_from_step: the 1-based number of the first step run without the mask (the
            whole face open to that step's bath, e.g. a burial in a host-ion melt); None:
            the mask stays on throughout.
        half_width: the lateral half-extent of the computed cross-section (m, > w/2); None:
            w/2 plus the domain depth (set by the process).
        depth_cells, lateral_cells: cells of the tensor mesh in depth and across the whole
            width, each within MASK_CELL_RANGE.
    """

    opening: float
    removed_from_step: int | None = None
    half_width: float | None = None
    depth_cells: int = 100
    lateral_cells: int = 160

    def __post_init__(self):
        if not (_real(self.opening) and self.opening > 0):
            raise FieldError("opening", self.opening, "expected a slit width > 0", "m")
        k = self.removed_from_step
        if k is not None and not (isinstance(k, int) and not isinstance(k, bool) and k >= 1):
            raise FieldError(
                "removed_from_step", k, "expected the number of a step (1 for the first)"
            )
        if self.half_width is not None and not (
            _real(self.half_width) and self.half_width > 0.5 * self.opening
        ):
            raise FieldError(
                "half_width",
                self.half_width,
                f"expected a half-width beyond the opening's half, {0.5 * self.opening:g} m",
                "m",
            )
        low, high = MASK_CELL_RANGE
        for name in ("depth_cells", "lateral_cells"):
            v = getattr(self, name)
            if not (isinstance(v, int) and not isinstance(v, bool) and low <= v <= high):
                raise FieldError(name, v, f"expected a number of cells within [{low}, {high}]")

    def masked(self, step_index: int) -> bool:
        """Whether the mask is on during the step of 0-based ``step_index``."""
        return self.removed_from_step is None or step_index + 1 < self.removed_from_step


@dataclass(frozen=True)
class StressOptions:
    """How to compute the residual stress of the profile (docs/physics.md §3.1, §3.3).

    Attributes:
        glass: E, ν and the dilation B.
        relaxation: "none", "kww" (the paper's scheme: the unrelaxed profile times
            exp(−(t/τ)^β)) or "hereditary" (each strain increment relaxes from its birth).
        law: τ, β (and an optional Arrhenius τ(T)) for "kww" and "hereditary".
        clock: for "kww", "total" time at temperature (default) or "exchange" time only
            (docs/physics.md §3.2 leaves this open for post-exchange anneals).
    """

    glass: ElasticGlass
    relaxation: str = "none"
    law: RelaxationLaw | None = None
    clock: str = "total"

    def __post_init__(self):
        if self.relaxation not in ("none", "kww", "hereditary"):
            raise FieldError(
                "relaxation", self.relaxation, 'expected "none", "kww" or "hereditary"'
            )
        if self.relaxation != "none" and self.law is None:
            raise FieldError(
                "law",
                None,
                f'relaxation "{self.relaxation}" needs a relaxation law (a relaxation time tau, '
                'e.g. "300 h")',
            )
        if self.clock not in ("total", "exchange"):
            raise FieldError("clock", self.clock, 'expected "total" or "exchange"')


@dataclass(frozen=True)
class OpticsOptions:
    """Refractive-index profiles and guided modes (docs/physics.md §3.4, §3.5).

    Attributes:
        wavelength (m); base_index n_b; index_change Δn_0 per unit site fraction;
        elasto_optic: C_∥, C_⊥ (None: no stress birefringence, n_TE = n_TM = n_0);
        cover_index: index above the surface (air 1.0);
        prism_index, prism_angle: a coupling prism (n_p, δ in rad) for synchronous angles.
    """

    wavelength: float
    base_index: float
    index_change: float
    elasto_optic: ElastoOptic | None = None
    cover_index: float = 1.0
    prism_index: float | None = None
    prism_angle: float | None = None

    def __post_init__(self):
        if not (_real(self.wavelength) and self.wavelength > 0):
            raise FieldError("wavelength", self.wavelength, "expected a wavelength > 0", "m")
        if not (_real(self.base_index) and self.base_index >= 1.0):
            raise FieldError("base_index", self.base_index, "expected a refractive index >= 1")
        if not (_real(self.index_change)):
            raise FieldError("index_change", self.index_change, "expected a finite number")
        if not (_real(self.cover_index) and 1.0 <= self.cover_index < self.base_index):
            raise FieldError(
                "cover_index",
                self.cover_index,
                f"expected an index in [1, base_index = {self.base_index:g})",
            )
        if (self.prism_index is None) != (self.prism_angle is None):
            raise FieldError(
                "prism_angle" if self.prism_angle is None else "prism_index",
                None,
                "a prism needs both its index and its angle",
            )


@dataclass(frozen=True)
class _StressMetric:
    """A target quantity read from the stress metrics (the StressMetrics field ``name``)."""

    name: str
    note: str = ""  # what a user must know of the sign, for messages
    section: ClassVar[str] = "stress"  # the recipe section that computes it
    block: ClassVar[str] = "a [stress] block"  # that section, in messages
    whole: ClassVar[bool] = False  # a continuous quantity: its crossing is Brent-solved

    def measure(self, result, props, k: int) -> float:
        """The metric at output ``k`` of ``result`` from its properties (SI)."""
        return getattr(props.metrics[k], self.name) if props.metrics else math.nan


@dataclass(frozen=True)
class _ModeCount:
    """A target quantity that counts the guided modes of one polarisation."""

    polarisation: str
    section: ClassVar[str] = "optics"
    block: ClassVar[str] = "an [optics] block"
    whole: ClassVar[bool] = True  # a count: reached at a jump, found by bisection

    def measure(self, result, props, k: int) -> float:
        """The number of guided modes at output ``k``: from the properties when they hold
        the modes, else counted for this polarisation alone (cheaper than solving both)."""
        if props.mode_counts:
            return float(props.mode_counts[self.polarisation][k])
        from ..solvers.modes import count_modes
        from .properties import front_index

        o = result.recipe.optics
        depth, index = front_index(result, props, k, self.polarisation)
        return float(
            count_modes(
                depth,
                index,
                o.wavelength,
                cover_index=o.cover_index,
                polarisation=self.polarisation,
            )
        )


# what each target kind watches, by the name recipes give it
_TARGET_QUANTITIES = {
    "depth_of_layer": _StressMetric("depth_of_layer"),
    "compressive_stress": _StressMetric("compressive_stress", " (CS is positive in compression)"),
    "modes_TE": _ModeCount("TE"),
    "modes_TM": _ModeCount("TM"),
}
TARGET_KINDS = tuple(_TARGET_QUANTITIES)


@dataclass(frozen=True)
class Target:
    """A process target: the run is done when ``kind`` reaches ``value``.

    Attributes:
        kind: "depth_of_layer" (m; DOL, 1 % of the surface fraction), "compressive_stress"
            (Pa; CS > 0 in compression, relaxation included), "modes_TE" or "modes_TM"
            (number of guided modes).
        value: the level to reach (≥ it).
    """

    kind: str
    value: float

    def __post_init__(self):
        if self.kind not in TARGET_KINDS:
            raise FieldError("kind", self.kind, f"expected one of {', '.join(TARGET_KINDS)}")
        quantity = _TARGET_QUANTITIES[self.kind]
        if quantity.whole and not (_real(self.value) and self.value == int(self.value) >= 1):
            raise FieldError("value", self.value, "expected a whole number of modes ≥ 1")
        if not (_real(self.value) and self.value > 0):
            raise FieldError(
                "value", self.value, f"expected a target level > 0{getattr(quantity, 'note', '')}"
            )

    @property
    def whole(self) -> bool:
        """Whether the quantity is a count (of modes): it is reached at a jump."""
        return _TARGET_QUANTITIES[self.kind].whole

    def measurable(self, recipe) -> bool:
        """Whether ``recipe`` computes the quantity (has the section it needs)."""
        return getattr(recipe, _TARGET_QUANTITIES[self.kind].section) is not None

    def check_recipe(self, recipe) -> None:
        """Raise ValueError unless ``recipe`` computes the quantity."""
        if not self.measurable(recipe):
            block = _TARGET_QUANTITIES[self.kind].block
            raise ValueError(f"the target {self.kind} needs {block} in the recipe")

    def measure(self, result, props, k: int) -> float:
        """The quantity at output ``k`` of ``result`` (SI; a mode count for modes_*), from
        the run's properties ``props`` (compute_properties; modes are counted when absent)."""
        return _TARGET_QUANTITIES[self.kind].measure(result, props, k)


class Editable:
    """Recipes that can be rebuilt with some fields changed, without text or disk.

    The reader that made a recipe leaves an ``editor`` on it: a picklable callable
    {path: value} → new recipe that edits the parsed file in memory, with its temperature
    logs and tables already read, and validates the result like the file itself.
    """

    def with_values(self, values):
        """A new, validated recipe with the fields at the given paths set.

        Args:
            values: {path: value}. Paths name fields as the recipe file and its messages
                do — ``"ions.K.D"``, ``"step[1].temperature"``, ``"step[2].bath.K"``,
                ``"stress.tau"`` (1-based indices). A value is an SI float (m²/s, K, s, …;
                a plain number for dimensionless fields) or a string with units
                (``"420 degC"``).
        Raises:
            ValueError when the recipe was not read from a file (build it with
            dataclasses.replace instead); ionex.errors.RecipeError for an unknown path or
            a value the recipe refuses.

        >>> import ionex
        >>> recipe = ionex.load_recipe("examples/soda_lime_k_na.toml")
        >>> hotter = recipe.with_values({"ions.K.D": 2e-15, "step[1].temperature": "440 degC"})
        >>> float(hotter.model.incoming(700.0)), float(hotter.steps[0].temperature(0.0))
        (2e-15, 713.15)
        """
        if self.editor is None:
            raise ValueError(
                "this recipe was not read from a file, so it has no field paths; "
                "change its dataclasses with dataclasses.replace"
            )
        return self.editor(values)


def check_strength(strength, stress, thickness) -> None:
    """A recipe's strength assessment needs its stress and a plate."""
    if strength is None:
        return
    if not isinstance(strength, StrengthOptions):
        raise FieldError("strength", strength, "expected StrengthOptions")
    if stress is None:
        raise FieldError(
            "strength", "[strength]", "expected a [stress] section: the strength comes from it"
        )
    if thickness is None:
        raise FieldError(
            "strength", "[strength]", "expected a plate (glass thickness): flaws are in a plate"
        )


@dataclass(frozen=True)
class Recipe(Editable):
    """Everything needed to simulate a process.

    Attributes:
        glass: the glass.  incoming_ion: symbol of ion A (e.g. "K").
        model: D̃(χ, T) of A replacing B.  steps: the process, in order (state carries over).
        output_times: times from the start of the process (s) at which to keep profiles;
            the end of every step is always kept.
        numerics: solver accuracy controls.  name: a title.
        target: what the process monitor predicts the time of (optional).
        strength: the strength assessment of the final state (needs ``stress``), or None.
        source_text, source_path: the recipe file as written (embedded in outputs).
        editor: set by the reader: rebuilds the recipe with fields changed (with_values).
    """

    glass: Glass
    incoming_ion: str
    model: InterdiffusionModel
    steps: tuple[Step, ...]
    output_times: tuple[float, ...] = ()
    numerics: Numerics = field(default_factory=Numerics)
    name: str = "ionex run"
    source_text: str = ""
    source_path: str = ""
    stress: StressOptions | None = None
    optics: OpticsOptions | None = None
    target: Target | None = None
    strength: StrengthOptions | None = None
    mask: Mask | None = None
    editor: object = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        if not self.steps:
            raise ValueError("a recipe needs at least one step")
        check_strength(self.strength, self.stress, self.glass.thickness)
        if self.mask is not None:
            self._check_mask()
        self._check_fields()
        if not (isinstance(self.incoming_ion, str) and re.fullmatch(_SYMBOL, self.incoming_ion)):
            raise FieldError(
                "incoming_ion", self.incoming_ion, "expected an element symbol such as K or Ag"
            )
        if self.incoming_ion == self.glass.host_ion:
            raise ValueError(f"the incoming ion and the host ion are both {self.incoming_ion!r}")
        for k, step in enumerate(self.steps):
            label = f"step {k + 1}" + (
                f" ({step.name})" if step.name and step.name != f"step {k + 1}" else ""
            )
            # the activity model must stay well-posed at every temperature of the process
            temperatures = np.unique(step.temperature.sample(step.duration, n=17)[1])
            for T in temperatures:
                try:
                    self.model.polynomial_factor(float(T)) if self.model.form in (
                        "A",
                        "B",
                    ) else None
                except ValueError as exc:
                    raise ValueError(f"{label}: {exc}") from None
            # Arrhenius laws (Q ≥ 0) rise with T: D̃ is smallest at the coldest point, largest at the hottest
            for T in {float(temperatures[0]), float(temperatures[-1])}:
                self._check_diffusion(T, label)
        total = self.total_time
        for t in self.output_times:
            if not (0.0 <= t <= total * (1 + 1e-12)):
                raise ValueError(f"output time {t!r} s lies outside the process (0 … {total} s)")

    def _check_mask(self) -> None:
        """What a channel (cross-section) run can do: the front face only, the stress of
        an elastic or Kohlrausch-relaxed layer, no strength or target."""
        mask = self.mask
        if self.glass.faces != "front":
            raise FieldError(
                "mask", "faces = both", "expected a mask on the front face only (faces = front)"
            )
        k = mask.removed_from_step
        if k is not None and k > len(self.steps):
            raise FieldError(
                "removed_from_step", k, f"expected a step number within 1 … {len(self.steps)}"
            )
        refused = {
            "strength": (self.strength, "the strength of a plate needs its 1-D profile"),
            "target": (self.target, "the process monitor follows 1-D runs"),
        }
        for name, (value, why) in refused.items():
            if value is not None:
                raise FieldError("mask", name, f"expected no [{name}] with a mask: {why}")
        if self.stress is not None and self.stress.relaxation == "hereditary":
            raise FieldError(
                "mask",
                "relaxation = hereditary",
                "expected relaxation none or kww with a mask: hereditary relaxation of a "
                "cross-section is not built",
            )

    def _check_fields(self) -> None:
        """Field-assisted steps: what the electroneutral migration of the channel run needs
        (ionex.solvers.diffusion2d, "Field-assisted steps")."""
        for k, step in enumerate(self.steps):
            if step.electric_field is None:
                continue
            label = f"step {k + 1}" + (f" ({step.name})" if step.name else "")
            if self.mask is None:
                why = (
                    "field-assisted steps run in the cross-section of a channel (a recipe "
                    "with a [mask]); planar field-assisted exchange is modelled by "
                    '[model] kind = "nernst-planck-poisson"'
                )
            elif self.mask.masked(k):
                why = (
                    "a field-assisted step needs the mask removed (mask.removed_from_step ≤ "
                    f"{k + 1}): at the edges of an opening in an insulating mask the current "
                    "density is singular"
                )
            elif not step.temperature.is_constant:
                why = "a field-assisted step needs a constant temperature"
            elif self.model.form not in ("A", "B"):
                why = (
                    "a field-assisted step needs D of both ions (a Nernst–Planck D̃, Forms A "
                    "or B): a tabulated D̃ or Onsager cross terms do not say how the current "
                    "divides between the ions"
                )
            else:
                continue
            raise ValueError(f"{label}: field: {why}")

    def _check_diffusion(self, T: float, label: str) -> None:
        """D̃ at T (K) must be finite and > 0 for every χ: at a few kelvin an Arrhenius
        factor exp(−Q/RT) underflows to 0 (or D_A·D_B does), and nothing diffuses."""
        with np.errstate(all="ignore"):
            low = self.model.min_coefficient(T)
            high = self.model.max_coefficient(T)
        if math.isfinite(low) and math.isfinite(high) and low > 0:
            return
        m = self.model
        ions = ""
        if m.incoming is not None and m.host is not None:
            ions = (
                f" (D_{self.incoming_ion} = {float(m.incoming(T)):.3g} m²/s, "
                f"D_{self.glass.host_ion} = {float(m.host(T)):.3g} m²/s)"
            )
        shown = f"{low:.3g} m²/s" if math.isfinite(low) else "undefined (0/0)"
        raise ValueError(
            f"{label}: at {T:.6g} K the interdiffusion coefficient D̃ is {shown}{ions}; "
            "expected a temperature at which D̃ is finite and > 0 (the Arrhenius factor "
            "exp(−Q/RT) underflows at a few kelvin)"
        )

    @property
    def total_time(self) -> float:
        """Sum of the step durations (s)."""
        return float(sum(s.duration for s in self.steps))

    @property
    def step_starts(self) -> tuple[float, ...]:
        """Start time of every step (s from the start of the process)."""
        starts, t = [], 0.0
        for s in self.steps:
            starts.append(t)
            t += s.duration
        return tuple(starts)
