"""Sequential Nernst–Planck–Poisson experiments: baths, applied fields and CAIT ion beams
run one after another on the same sample (docs/physics.md §2; Gunawan et al. (2026), the Double-CAIT).

    result = run_experiments(sample, species, [CaitStep("Rb", ...), CaitStep("Cs", ...)])

What carries from one step to the next (no re-equilibration in between):

* the density of every species per cell (the end state of a step is the start of the next);
* the **site occupation** of every species (physics.site_energy.Occupation, kept
  here in fractions of n_0): where a species' own populated site-energy distribution (PSED)
  is full. A species present at the start fills its PSED up to its initial fraction (Li in
  pristine glass: 1); a species that arrives (initial_fraction 0) fills vacated sites top-down
  and keeps its bulk D. At the end of every step each species that *entered* the sample
  during the step (net front inflow > 0: the beam ion of a CAIT, the incoming ions of a bath
  or anode) becomes native: its filled fraction is frozen at its end density per cell
  (``Occupation.after``). Species that did not enter keep theirs — their remaining ions sit
  lower in the same PSED (Li in the 2nd CAIT of Gunawan et al. (2026), docs/physics.md §2.3).

A step may replace the diffusion law of any species for its duration (``diffusion``
mapping), as Gunawan et al. (2026) does: Li's fall-off moves from 10 % to 3 % and Rb becomes native
with its own SED in the 2nd CAIT. A SiteEnergyDiffusion law is evaluated at the step's
temperature with the carried occupation; its fractions are relative to its
``reference_density`` and converted here from and to fractions of n_0.

Boundary conditions per step (ionex.solvers.npp): BathStep — Bath at the front (surface
fractions, φ = 0), no flux and no field at the back; FieldStep — anode bath at the front at
``voltage`` (potentiostatic) or carrying ``current`` (galvanostatic, the anode potential
floats and is reported as the surface potential), absorbing grounded electrode at the back; CaitStep — IonBeam at the front
(the beam ion enters while φ_s < U_src, aperture Robin condition), absorbing grounded
electrode at the back, stopping at the delivered ``charge`` (back-electrode charge, as the
paper measures it) or after ``duration``.

Everything is SI floats (m, s, V, A, C, K, m⁻³); recipes with units are parsed by the io
layer into these dataclasses.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import math
import numbers
import time as _time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import ClassVar

import numpy as np

from ..errors import SolverError
from ..grids import Grid
from ..physics.site_energy import (
    Occupation,
    SiteEnergyDiffusion,
    diffusion_coefficient_and_derivative,
)
from ..solvers import npp
from ..solvers.trackers import Tracker
from ..validators import FieldError
from .recipe import Editable

__all__ = [
    "BathStep",
    "BoundaryConditions",
    "CaitStep",
    "ExperimentRecipe",
    "ExperimentResult",
    "FieldStep",
    "Sample",
    "Species",
    "StepEnd",
    "check_diffusion",
    "check_numerics",
    "ExperimentNumerics",
    "experiment_grid",
    "mesh_cell_count",
    "planned_end",
    "run_experiments",
    "run_recipe",
]

# fractions given for a bath or an anode must sum to 1 (the surface is electroneutral)
_SUM_TOL = 1e-9
# longest CAIT run allowed for a charge target, in multiples of charge/beam current
_CAIT_MAX_FACTOR = 50.0
# end-of-step fractions below −this are a solver failure; above it round-off, set to 0
_NEGATIVE_TOL = 1e-9


def _fraction_map(fractions, name: str) -> Mapping[str, float]:
    """``fractions`` (species name → n/n_0) of the field ``name``: each finite and ≥ 0,
    summing to 1 (the surface is electroneutral)."""
    if not isinstance(fractions, Mapping):
        raise FieldError(name, fractions, "expected a mapping species name → fraction")
    out = {}
    for ion, v in fractions.items():
        if not (isinstance(v, numbers.Real) and math.isfinite(v) and v >= 0):
            raise FieldError(name, v, f"expected a fraction ≥ 0 of {ion!r}")
        out[str(ion)] = float(v)
    total = sum(out.values())
    if abs(total - 1.0) > _SUM_TOL:
        raise FieldError(
            name,
            out,
            f"expected fractions that sum to 1 (an electroneutral surface), not {total:.12g}",
        )
    return MappingProxyType(out)


def _positive(value, name: str, meaning: str, unit: str) -> None:
    """FieldError naming the field ``name`` unless ``value`` is a finite number > 0
    (``meaning``: what it is, "a duration"; ``unit``: its SI unit)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if not (_real(value) and value > 0):
        raise FieldError(name, value, f"expected {meaning} > 0", unit)


def check_diffusion(law, of: str = ""):
    """A species' diffusion law, checked: a constant D (m²/s, finite and > 0) or a
    SiteEnergyDiffusion (which checks its own values); a number is returned as a float.

    Args:
        law: the law.
        of: whose law it is, for the message (e.g. "'Li'").
    Raises:
        FieldError naming the field "diffusion" for a number that is no D > 0; ValueError
        for anything else that is no law.
    """
    if isinstance(law, SiteEnergyDiffusion):
        return law
    whose = f" of {of}" if of else ""
    if isinstance(law, numbers.Real) and not isinstance(law, bool):
        if not (math.isfinite(law) and law > 0):
            raise FieldError(
                "diffusion", law, f"expected a diffusion coefficient > 0{whose}", "m²/s"
            )
        return float(law)
    raise ValueError(
        f"diffusion{whose} must be a float D (m²/s) or a SiteEnergyDiffusion, got {law!r}"
    )


def _check_overrides(diffusion, where: str):
    if not isinstance(diffusion, Mapping):
        raise ValueError(f"{where}: diffusion must be a mapping species name → law")  # noqa: TRY004
    return MappingProxyType({str(k): check_diffusion(v, repr(k)) for k, v in diffusion.items()})


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Sample:
    """The glass sample (SI).

    Attributes:
        thickness: m (front face at depth 0, back face at ``thickness``).
        area: exchanged (illuminated) area, m²; converts currents and charges to densities.
        background_density: n_0, the immobile anionic charge = initial mobile charge, m⁻³.
        relative_permittivity: ε_r.
        temperature: K (a step may override it).
    """

    thickness: float
    area: float
    background_density: float
    relative_permittivity: float
    temperature: float

    def __post_init__(self):
        _positive(self.thickness, "thickness", "a thickness", "m")
        _positive(self.area, "area", "an area", "m²")
        _positive(self.background_density, "background_density", "a number density", "m⁻³")
        _positive(
            self.relative_permittivity, "relative_permittivity", "a relative permittivity", ""
        )
        _positive(self.temperature, "temperature", "a temperature", "K")


@dataclass(frozen=True)
class Species:
    """A mobile cation, present at the start or arriving later (initial_fraction 0).

    Attributes:
        name: label used by the steps and in ``frac_<name>`` (e.g. "Li").
        charge: z (non-zero integer).
        diffusion: D in m²/s (constant) or a SiteEnergyDiffusion (its SED/fall-off make D
            depend on the local density and the carried occupation).
        initial_fraction: n/n_0 at the start, uniform in depth (≥ 0).
    """

    name: str
    charge: int = 1
    diffusion: float | SiteEnergyDiffusion = 1e-18
    initial_fraction: float = 0.0

    def __post_init__(self):
        if not (isinstance(self.name, str) and self.name.isidentifier()):
            raise ValueError(
                f"species name must be a non-empty identifier (it becomes frac_<name>), got {self.name!r}"
            )
        if isinstance(self.charge, bool) or int(self.charge) != self.charge or self.charge == 0:
            raise ValueError(
                f"species {self.name!r}: charge must be a non-zero integer, got {self.charge!r}"
            )
        object.__setattr__(self, "diffusion", check_diffusion(self.diffusion, repr(self.name)))
        f = self.initial_fraction
        if not (isinstance(f, numbers.Real) and math.isfinite(f) and f >= 0):
            raise ValueError(
                f"species {self.name!r}: initial_fraction must be a finite number ≥ 0, got {f!r}"
            )


@dataclass(frozen=True)
class BoundaryConditions:
    """What one step sets for the solver (ionex.solvers.npp.solve_npp), SI.

    Attributes:
        front: the condition at the front face (npp.Bath, npp.GalvanostaticBath, npp.IonBeam).
        back: the condition at the back face (npp.ClosedFace, npp.Electrode).
        duration: the longest the step runs (s).
        stop_charge: back-electrode charge per area at which the step ends (C/m²), or None.
    """

    front: object
    back: object
    duration: float
    stop_charge: float | None = None


class _ExperimentStep(ABC):
    """What every step of a sequence does: the label messages and tables give it, the
    species it names, its longest run, its solver tolerance and the boundary conditions it
    sets (BathStep, FieldStep and CaitStep each say how)."""

    label: ClassVar[str]  # the step's kind: StepEnd.kind, the steps of to_dataset, messages

    def title(self, index: int) -> str:
        """The step at 0-based ``index`` as messages name it: "step 2 (cait, Rb+)"."""
        return f"step {index + 1} ({self.label}{', ' + self.name if self.name else ''})"

    def species_names(self) -> tuple[str, ...]:
        """The species the step names: its fractions, its beam ion, its per-step laws."""
        return tuple(self.diffusion)

    @property
    def planned_duration(self) -> float:
        """The longest the step may run (s)."""
        return float(self.duration)

    @property
    def stops_at_charge(self) -> bool:
        """True when the step ends at a delivered charge: its end time is not known ahead."""
        return False

    def absolute_tolerance(self, atol: float, cait_atol: float) -> float:
        """The solver's atol during the step, of run_experiments' ``atol`` and ``cait_atol``."""
        return atol

    @abstractmethod
    def boundary_conditions(self, names: Sequence[str], sample: Sample) -> BoundaryConditions:
        """The step's conditions at the faces of ``sample`` for species ``names`` in order."""


@dataclass(frozen=True)
class BathStep(_ExperimentStep):
    """Thermal exchange with a bath at the front face (potential 0, the reference);
    the back face is closed (no ion flux, no field).

    Attributes:
        surface_fractions: n_i/n_0 held at the surface, name → fraction (sum 1; missing → 0).
        duration: s.
        name: label.
        temperature: K, or None for the sample's.
        diffusion: optional per-step laws, name → float or SiteEnergyDiffusion.
    """

    label: ClassVar[str] = "bath"

    surface_fractions: Mapping[str, float]
    duration: float
    name: str = ""
    temperature: float | None = None
    diffusion: Mapping = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(
            self, "surface_fractions", _fraction_map(self.surface_fractions, "surface_fractions")
        )
        _positive(self.duration, "duration", "a duration", "s")
        if self.temperature is not None:
            _positive(self.temperature, "temperature", "a temperature", "K")
        object.__setattr__(
            self, "diffusion", _check_overrides(self.diffusion, f"BathStep {self.name!r}")
        )

    def species_names(self) -> tuple[str, ...]:
        return (*self.surface_fractions, *self.diffusion)

    def boundary_conditions(self, names: Sequence[str], sample: Sample) -> BoundaryConditions:
        """The bath's fractions at the front at φ = 0; no flux and no field at the back."""
        return BoundaryConditions(
            front=npp.Bath(tuple(self.surface_fractions.get(n, 0.0) for n in names), 0.0),
            back=npp.ClosedFace(),
            duration=self.duration,
        )


@dataclass(frozen=True)
class FieldStep(_ExperimentStep):
    """Field-assisted exchange: an anode bath on the front face, held at ``voltage``
    (potentiostatic) or passing a constant ``current`` (galvanostatic: the anode potential
    adjusts, solvers.npp.GalvanostaticBath); a grounded absorbing electrode at the back
    (every arriving cation is neutralised there). Give exactly one of voltage and current.

    Attributes:
        voltage: anode potential, V.
        current: conduction current into the front face, A (over the sample's area;
            > 0 drives the anode's ions in).
        anode_fractions: n_i/n_0 held at the anode surface (sum 1).
        duration: s.
        name, temperature, diffusion: as for BathStep.
    """

    label: ClassVar[str] = "field"

    voltage: float | None = None
    anode_fractions: Mapping[str, float] = field(default_factory=dict)
    duration: float = 0.0
    name: str = ""
    temperature: float | None = None
    diffusion: Mapping = field(default_factory=dict)
    current: float | None = None

    def __post_init__(self):
        if (self.voltage is None) == (self.current is None):
            raise ValueError(
                "a field step is driven by an applied voltage (V) or a constant current (A): "
                "give exactly one of voltage, current"
            )
        for what, value, unit in (("voltage", self.voltage, "V"), ("current", self.current, "A")):
            if value is not None and not (isinstance(value, numbers.Real) and math.isfinite(value)):
                raise ValueError(
                    f"FieldStep {self.name!r}: {what} must be a finite number of {unit}, got {value!r}"
                )
        object.__setattr__(
            self, "anode_fractions", _fraction_map(self.anode_fractions, "anode_fractions")
        )
        _positive(self.duration, "duration", "a duration", "s")
        if self.temperature is not None:
            _positive(self.temperature, "temperature", "a temperature", "K")
        object.__setattr__(
            self, "diffusion", _check_overrides(self.diffusion, f"FieldStep {self.name!r}")
        )

    def species_names(self) -> tuple[str, ...]:
        return (*self.anode_fractions, *self.diffusion)

    def boundary_conditions(self, names: Sequence[str], sample: Sample) -> BoundaryConditions:
        """The anode at the front (held at the voltage, or passing the current over the
        sample's area); a grounded absorbing electrode at the back."""
        anode = tuple(self.anode_fractions.get(n, 0.0) for n in names)
        front = (
            npp.Bath(anode, float(self.voltage))
            if self.current is None
            else npp.GalvanostaticBath(anode, float(self.current) / sample.area)
        )
        return BoundaryConditions(
            front=front, back=npp.Electrode(0.0, absorbing=True), duration=self.duration
        )


@dataclass(frozen=True)
class CaitStep(_ExperimentStep):
    """Charge-attachment-induced transport (docs/physics.md §2.2): a beam of ``ion`` on the front.

    Give exactly one of ``charge`` (stop when the back-electrode charge reaches it; the run
    may last up to ``max_duration``, default 50 × charge/beam_current) or ``duration``.

    Attributes:
        ion: the beam species.
        source_potential: U_src, V (the surface potential cannot exceed it).
        aperture_distance: grounded aperture in front of the surface, m.
        beam_current: A over the sample area (> the conduction-limited current, so that
            the surface charges to U_src; Gunawan et al. (2026) does not state it, docs/physics.md §2.5).
        charge: C delivered (back-electrode charge), or None.
        duration: s, or None.
        name: label.
        cutoff_width: V, width of the beam's smooth cutoff at U_src (kinetic-energy spread).
        max_duration: s, longest run for a charge target (None: 50 × charge/beam_current).
        temperature, diffusion: as for BathStep.
    """

    label: ClassVar[str] = "cait"

    ion: str
    source_potential: float
    aperture_distance: float
    beam_current: float
    charge: float | None = None
    duration: float | None = None
    name: str = ""
    cutoff_width: float = 0.1
    max_duration: float | None = None
    temperature: float | None = None
    diffusion: Mapping = field(default_factory=dict)

    def __post_init__(self):
        where = f"CaitStep {self.name!r}"
        if not (
            isinstance(self.source_potential, numbers.Real) and math.isfinite(self.source_potential)
        ):
            raise ValueError(f"{where}: source_potential must be a finite number of V")
        _positive(self.aperture_distance, "aperture_distance", "a distance", "m")
        _positive(self.beam_current, "beam_current", "a current", "A")
        _positive(self.cutoff_width, "cutoff_width", "a width", "V")
        if (self.charge is None) == (self.duration is None):
            raise ValueError(
                "a cait step stops at a delivered charge (C) or after a duration (s): "
                "give exactly one of charge, duration"
            )
        if self.charge is not None:
            _positive(self.charge, "charge", "a charge", "C")
        if self.duration is not None:
            _positive(self.duration, "duration", "a duration", "s")
        if self.max_duration is not None:
            _positive(self.max_duration, "max_duration", "a duration", "s")
        if self.temperature is not None:
            _positive(self.temperature, "temperature", "a temperature", "K")
        object.__setattr__(self, "diffusion", _check_overrides(self.diffusion, where))

    @property
    def planned_duration(self) -> float:
        """The longest the step may run (s): its duration, or for a charge target
        max_duration (default 50 × charge/beam_current)."""
        if self.duration is not None:
            return float(self.duration)
        if self.max_duration is not None:
            return float(self.max_duration)
        return _CAIT_MAX_FACTOR * self.charge / self.beam_current

    @property
    def stops_at_charge(self) -> bool:
        return self.charge is not None

    def species_names(self) -> tuple[str, ...]:
        return (self.ion, *self.diffusion)

    def absolute_tolerance(self, atol: float, cait_atol: float) -> float:
        """cait_atol: the beam front is sharp, and deep in the glass only its trapped foot
        changes (run_experiments)."""
        return cait_atol

    def boundary_conditions(self, names: Sequence[str], sample: Sample) -> BoundaryConditions:
        """The ion beam at the front (current density over the sample's area), a grounded
        absorbing electrode at the back; a charge target per area of the sample."""
        return BoundaryConditions(
            front=npp.IonBeam(
                species=list(names).index(self.ion),
                current_density=self.beam_current / sample.area,
                source_potential=self.source_potential,
                aperture_distance=self.aperture_distance,
                cutoff_width=self.cutoff_width,
            ),
            back=npp.Electrode(0.0, absorbing=True),
            duration=self.planned_duration,
            stop_charge=None if self.charge is None else self.charge / sample.area,
        )


Step = BathStep | FieldStep | CaitStep


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class StepEnd:
    """State at the end of one step.

    Attributes:
        index: 0-based step index; name: the step's name; kind: the step's label, "bath",
            "field" or "cait".
        start_time, end_time: s since the start of the sequence.
        fractions: name → n/n_0 per cell at the end.
        potential: φ per cell (V) at the end.
        occupation: the Occupation (filled fractions in units of n_0) carried into the next step.
        inflow, outflow: name → ions per m² through the front / back during the step.
        back_charge: C through the back electrode during the step (over the sample area).
        surface_potential: V at the end.
        solver: work counters (steps, rejected, newton) and wall time (s).
    """

    index: int
    name: str
    kind: str
    start_time: float
    end_time: float
    fractions: Mapping[str, np.ndarray]
    potential: np.ndarray
    occupation: Occupation
    inflow: Mapping[str, float]
    outflow: Mapping[str, float]
    back_charge: float
    surface_potential: float
    solver: Mapping[str, float]


@dataclass(eq=False)
class ExperimentResult:
    """Profiles of a sequence of NPP experiments.

    Attributes:
        species: names, in order.
        depth: cell-centre depths (m); cell_width: cell widths (m).
        times: output times since the start of the sequence (s).
        step: 0-based index of the step each output belongs to.
        fractions: n_i/n_0, shape (n_times, n_species, n_depth).
        potential: φ (V), shape (n_times, n_depth).
        current_time, current, charge: back-electrode current history across all steps
            (s, A over the sample area, cumulative C since the start).
        surface_potential: φ at the front face along the same history (V).
        current_step: step index of each history point.
        step_ends: one StepEnd per step.
        sample: the Sample; steps: the steps.
        diagnostics: cells, solver work, wall times.
    """

    species: tuple
    depth: np.ndarray
    cell_width: np.ndarray
    times: np.ndarray
    step: np.ndarray
    fractions: np.ndarray
    potential: np.ndarray
    current_time: np.ndarray
    current: np.ndarray
    charge: np.ndarray
    surface_potential: np.ndarray
    current_step: np.ndarray
    step_ends: tuple
    sample: Sample
    steps: tuple
    diagnostics: dict = field(default_factory=dict)
    recipe: object = None  # the ExperimentRecipe, when run from one

    def fraction(self, name: str) -> np.ndarray:
        """n/n_0 of ``name``, shape (n_times, n_depth)."""
        try:
            i = self.species.index(name)
        except ValueError:
            raise KeyError(
                f"no species {name!r} in this result (species: {', '.join(self.species)})"
            ) from None
        return self.fractions[:, i]

    def inventory(self, name: str) -> np.ndarray:
        """Ions of ``name`` per m² in the sample, ∫ n dx, per output time (m⁻²)."""
        return self.fraction(name) @ self.cell_width * self.sample.background_density

    def current_table(self) -> dict:
        """Columns of current.csv: time_s, current_A, charge_C, surface_potential_V, step (1-based)."""
        return {
            "time_s": self.current_time.copy(),
            "current_A": self.current.copy(),
            "charge_C": self.charge.copy(),
            "surface_potential_V": self.surface_potential.copy(),
            "step": self.current_step.astype(int) + 1,
        }

    def to_dataset(self):
        """An xarray.Dataset: dims (time, depth); frac_<Ion>, potential_V, step (1-based),
        step_name; the current history on its own dim ``current_time``; units in attrs."""
        import xarray as xr

        from .._version import __version__

        prof = ("time", "depth")
        data = {
            f"frac_{s}": (
                prof,
                self.fractions[:, i],
                {"units": "1", "long_name": f"density of {s} as a fraction of n_0"},
            )
            for i, s in enumerate(self.species)
        }
        names = [self.step_ends[int(k)].name for k in self.step]
        data.update(
            {
                "potential_V": (
                    prof,
                    self.potential,
                    {"units": "V", "long_name": "electric potential"},
                ),
                "step": (
                    "time",
                    self.step.astype(np.int32) + 1,
                    {"units": "1", "long_name": "experiment step (1-based)"},
                ),
                "step_name": (
                    "time",
                    np.array(names, dtype=object),
                    {"long_name": "experiment step name"},
                ),
                "cell_width": ("depth", self.cell_width, {"units": "m"}),
                "current_A": (
                    "current_time",
                    self.current,
                    {"units": "A", "long_name": "back-electrode current"},
                ),
                "charge_C": (
                    "current_time",
                    self.charge,
                    {"units": "C", "long_name": "cumulative back-electrode charge"},
                ),
                "surface_potential_V": (
                    "current_time",
                    self.surface_potential,
                    {"units": "V", "long_name": "front-surface potential"},
                ),
            }
        )
        s = self.sample
        attrs = {
            "title": "sequential Nernst-Planck-Poisson experiments",
            "software": f"ionex {__version__}",
            "species": ",".join(self.species),
            "steps": "; ".join(f"{e.index + 1}:{e.kind}:{e.name}" for e in self.step_ends),
            "thickness_m": s.thickness,
            "area_m2": s.area,
            "background_density_m-3": s.background_density,
            "relative_permittivity": s.relative_permittivity,
            "temperature_K": s.temperature,
            **{
                f"solver_{k}": v
                for k, v in self.diagnostics.items()
                if isinstance(v, (int, float, str))
            },
        }
        return xr.Dataset(
            data_vars=data,
            coords={
                "time": (
                    "time",
                    self.times,
                    {"units": "s", "long_name": "time since the start of the sequence"},
                ),
                "depth": (
                    "depth",
                    self.depth,
                    {"units": "m", "long_name": "depth below the front surface"},
                ),
                "current_time": ("current_time", self.current_time, {"units": "s"}),
            },
            attrs=attrs,
        )


# --------------------------------------------------------------------------- mesh


# Sane ranges of the numerics of run_experiments. Tolerances: looser than 0.1 leaves the
# step control's error estimate meaningless, tighter than 1e-10 (rtol) or 1e-14 (atol, on
# fractions ≤ 1) asks for less than the round-off. Mesh: a cell growth factor above 1.5
# loses the second-order accuracy of the non-uniform mesh; cells below 0.1 pm resolve
# nothing physical (the space-charge layer is ~0.03 nm); a cell wider than a tenth of the
# sample leaves fewer than ten cells in it.
NPP_TOLERANCES = {
    "rtol": (1e-10, 0.1, "a relative tolerance"),
    "atol": (1e-14, 0.01, "an absolute tolerance on the fractions"),
    "cait_atol": (1e-14, 0.01, "an absolute tolerance on the fractions"),
}
MAX_GROWTH = 1.5
MIN_CELL = 1e-13  # m
CELLS_ACROSS = 10  # the finest and zone cells: at most thickness / CELLS_ACROSS
MAX_NPP_CELLS = 50_000
_MESH_DEFAULTS = {"finest_cell": 1e-11, "zone_cell": 0.5e-9, "zone_depth": 250e-9, "growth": 1.1}


def _real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def mesh_cell_count(
    thickness: float,
    *,
    finest_cell: float = 1e-11,
    zone_cell: float = 0.5e-9,
    zone_depth: float = 250e-9,
    growth: float = 1.1,
) -> int:
    """The number of cells experiment_grid makes (within one or two), from the arithmetic of
    the geometric series, without building the mesh (m throughout). Raises ValueError,
    "name: found …; expected …", for a value outside its range."""
    _check_mesh_values(finest_cell, zone_cell, zone_depth, growth, thickness / CELLS_ACROSS)
    first = min(finest_cell, zone_cell)
    ln_g = math.log(growth)
    n_grow = math.ceil(math.log(zone_cell / first) / ln_g)
    x_grow = min(thickness, first * math.expm1(n_grow * ln_g) / (growth - 1.0))
    zone_end = min(thickness, max(x_grow, zone_depth))
    n_zone = math.ceil((zone_end - x_grow) / zone_cell)
    n_bulk = math.ceil(math.log1p((thickness - zone_end) * (growth - 1.0) / zone_cell) / ln_g)
    return n_grow + n_zone + n_bulk + 1


def _check_mesh_values(finest_cell, zone_cell, zone_depth, growth, widest: float) -> None:
    """The ranges of the mesh settings (m; ``widest``: the widest cell the sample allows);
    FieldError naming the setting."""
    for name, value in (("finest_cell", finest_cell), ("zone_cell", zone_cell)):
        if not _real(value):
            raise FieldError(name, value, "expected a cell width in m")
        if not MIN_CELL <= value <= widest:
            raise FieldError(
                name,
                value,
                f"expected a cell width within [{MIN_CELL:g}, {widest:g}] m "
                f"(at most 1/{CELLS_ACROSS} of the sample thickness)"
                if math.isfinite(widest)
                else f"expected a cell width of at least {MIN_CELL:g} m",
                "m",
            )
    if not (_real(zone_depth) and 0 < zone_depth):
        raise FieldError("zone_depth", zone_depth, "expected a depth > 0", "m")
    if not (_real(growth) and 1.0 < growth <= MAX_GROWTH):
        raise FieldError(
            "growth", growth, f"expected a cell growth factor within (1, {MAX_GROWTH:g}]"
        )


def _check_tolerances(numerics: Mapping) -> None:
    """The tolerances among ``numerics`` within NPP_TOLERANCES; FieldError naming the setting."""
    for name, (low, high, meaning) in NPP_TOLERANCES.items():
        if name in numerics:
            v = numerics[name]
            if not (_real(v) and low <= v <= high):
                raise FieldError(name, v, f"expected {meaning} within [{low:g}, {high:g}]")


@dataclass(frozen=True)
class ExperimentNumerics:
    """Mesh and tolerance settings of a Nernst–Planck–Poisson run (the keyword settings of
    run_experiments), each checked against its range (NPP_TOLERANCES, MIN_CELL, MAX_GROWTH).

    Attributes:
        finest_cell: width of the first cell at the front face (m).
        zone_cell: cell width in the exchange zone (m).  zone_depth: its depth (m).
        growth: cell growth factor of the graded parts (dimensionless, in (1, 1.5]).
        rtol, atol: step-control tolerances (atol on the fractions).
        cait_atol: the absolute tolerance during a CAIT step.
    """

    finest_cell: float = _MESH_DEFAULTS["finest_cell"]
    zone_cell: float = _MESH_DEFAULTS["zone_cell"]
    zone_depth: float = _MESH_DEFAULTS["zone_depth"]
    growth: float = _MESH_DEFAULTS["growth"]
    rtol: float = 1e-3
    atol: float = 1e-5
    cait_atol: float = 1e-4

    def __post_init__(self):
        _check_tolerances(self.tolerances)
        _check_mesh_values(**self.mesh, widest=math.inf)

    @classmethod
    def from_mapping(cls, numerics: Mapping) -> ExperimentNumerics:
        """The settings of a mapping (missing keys at their defaults); ValueError names an
        unknown key."""
        if isinstance(numerics, cls):
            return numerics
        known = [f.name for f in fields(cls)]
        unknown = set(numerics) - set(known)
        if unknown:
            raise ValueError(
                f"numerics: found {', '.join(sorted(unknown))}; expected keys among {', '.join(known)}"
            )
        return cls(**numerics)

    @property
    def mesh(self) -> dict:
        """The keyword settings of experiment_grid."""
        return {name: getattr(self, name) for name in _MESH_DEFAULTS}

    @property
    def tolerances(self) -> dict:
        return {name: getattr(self, name) for name in NPP_TOLERANCES}

    def settings(self) -> dict:
        """The keyword settings of run_experiments."""
        return {**self.mesh, **self.tolerances}

    def check_mesh(self, sample: Sample) -> None:
        """The mesh fits ``sample``: cells at most 1/CELLS_ACROSS of it, at most
        MAX_NPP_CELLS cells in all (counted before anything is allocated)."""
        n = mesh_cell_count(sample.thickness, **self.mesh)
        if n > MAX_NPP_CELLS:
            raise ValueError(
                f"numerics: the mesh would need about {n} cells (more than {MAX_NPP_CELLS}); "
                "expected a coarser mesh: raise zone_cell, finest_cell or growth, or lower zone_depth"
            )


def check_numerics(sample: Sample, numerics: Mapping) -> None:
    """Check the numerics settings of run_experiments (NPP_TOLERANCES, the mesh of
    experiment_grid and its size, at most MAX_NPP_CELLS) before anything is allocated:
    ExperimentNumerics.from_mapping(numerics).check_mesh(sample).

    Raises:
        ValueError, "name: found …; expected …" (name "numerics" for the mesh size).
    """
    ExperimentNumerics.from_mapping(numerics).check_mesh(sample)


def experiment_grid(
    sample: Sample,
    *,
    finest_cell: float = 1e-11,
    zone_cell: float = 0.5e-9,
    zone_depth: float = 250e-9,
    growth: float = 1.1,
) -> Grid:
    """Mesh for CAIT-scale experiments: cells grow by ``growth`` from ``finest_cell`` at the
    front (resolving the ~0.03 nm space-charge layer) up to ``zone_cell``, stay at
    ``zone_cell`` down to ``zone_depth`` (the exchange zone with its sharp fronts), then grow
    by ``growth`` again through the bulk to the back face (m throughout). The settings are
    checked (check_numerics) before the mesh is built."""
    check_numerics(
        sample,
        {
            "finest_cell": finest_cell,
            "zone_cell": zone_cell,
            "zone_depth": zone_depth,
            "growth": growth,
        },
    )
    return npp.geometric_grid(
        sample.thickness,
        min(finest_cell, zone_cell),
        growth,
        coarsest=zone_cell,
        cap_depth=zone_depth,
    )


# --------------------------------------------------------------------------- laws


class _StepLaw:
    """A SiteEnergyDiffusion as the NPP solver's callable frac ↦ (D, dD/dfrac), frac = n/n_0,
    at one temperature with the carried filled fraction (units of n_0, scalar or per cell)."""

    def __init__(
        self, law: SiteEnergyDiffusion, temperature: float, n0: float, filled, n_cells: int
    ):
        self.law = law
        self.temperature = temperature
        self.scale = n0 / law.reference_density  # fraction of n_ref per fraction of n_0
        filled = np.asarray(filled, float) * self.scale
        self.filled = filled
        self.n_cells = n_cells

    def _fill_for(self, shape):
        f = self.filled
        if f.ndim == 0 or shape[-1:] == f.shape:  # the cells, or points per cell (last axis)
            return f
        if shape == (1,):
            # the solver evaluates single values at the front surface (a bath) and, for the
            # reported current only, at the last cell: the front cell's occupation is used
            return f[:1]
        return float(np.max(f))  # the solver's sanity probes at fixed fractions

    def __call__(self, frac):
        frac = np.asarray(frac, float)
        d, dd = diffusion_coefficient_and_derivative(
            frac * self.scale, self.law, self.temperature, self._fill_for(frac.shape)
        )
        if np.shape(d) != frac.shape:  # a scalar law value for an array of fractions
            d = np.broadcast_to(d, frac.shape).astype(float)
            dd = np.broadcast_to(dd, frac.shape)
        return d, dd * self.scale


def _solver_species(species, laws, temperature, n0, occupation, n_cells):
    out = []
    for s in species:
        law = laws[s.name]
        if isinstance(law, SiteEnergyDiffusion):
            if law.sed is None and law.fall_off is None:
                law = float(law.bulk_diffusion(temperature))
            else:
                filled = law.filled.filled_fraction(s.name, occupation, law.reference_density / n0)
                law = _StepLaw(law, temperature, n0, filled, n_cells)
        out.append(npp.Species(s.name, law, s.charge))
    return out


# --------------------------------------------------------------------------- driver


def check_species(species) -> list[str]:
    """The names of ``species`` (Species), checked as one glass: unique names, and
    Σ z·initial_fraction = 1 (n_0 is the initial mobile charge: the glass starts neutral;
    FieldError "initial_fraction" with the sum found)."""
    names = [s.name for s in species]
    if not species:
        raise ValueError("at least one species is needed")
    if not all(isinstance(s, Species) for s in species):
        raise ValueError("species must be ionex.process.experiments.Species instances")
    if len(set(names)) != len(names):
        raise ValueError(f"species names must be unique, got {names}")
    total = sum(s.charge * s.initial_fraction for s in species)
    if abs(total - 1.0) > _SUM_TOL:
        raise FieldError(
            "initial_fraction",
            total,
            "expected Σ z·initial_fraction = 1 (n_0 is the initial mobile charge: the glass "
            "starts neutral)",
        )
    return names


def _validate(species, steps):
    names = check_species(species)
    if not steps:
        raise ValueError("at least one step is needed")
    for k, step in enumerate(steps):
        if not isinstance(step, Step):
            raise ValueError(f"a step must be a BathStep, FieldStep or CaitStep, got {step!r}")  # noqa: TRY004
        unknown = [n for n in step.species_names() if n not in names]
        if unknown:
            raise ValueError(
                f"{step.title(k)} names unknown species {sorted(set(unknown))}; known: {names}"
            )
    return names


def run_experiments(
    sample: Sample,
    species: Sequence[Species],
    steps: Sequence[Step],
    *,
    output_times=None,
    finest_cell: float = 1e-11,
    zone_cell: float = 0.5e-9,
    zone_depth: float = 250e-9,
    growth: float = 1.1,
    grid: Grid | None = None,
    initial: Mapping[str, object] | None = None,
    initial_occupation: Occupation | None = None,
    rtol: float = 1e-3,
    atol: float = 1e-5,
    cait_atol: float = 1e-4,
    tracker: Tracker | None = None,
    face_mean: str = "integral",
) -> ExperimentResult:
    """Run ``steps`` in order on ``sample``; each step starts from the previous step's end
    state (densities and site occupation, module docstring).

    Args:
        sample: the glass (SI).
        species: every mobile cation, those present at the start and those that arrive.
        steps: BathStep / FieldStep / CaitStep in order.
        output_times: extra output times since the start of the sequence (s); the end of
            every step is always an output. Times inside a charge-stopped CAIT that fall
            after its actual end are dropped. 0 gives the initial state.
        finest_cell, zone_cell, zone_depth, growth: the mesh (experiment_grid), unless ``grid``.
        initial: optional name → n/n_0 per cell of the mesh (overrides initial_fraction).
        initial_occupation: optional Occupation (units of n_0); default: each species' PSED
            is filled up to its initial fraction.
        rtol, atol: the NPP solver's local error tolerances on the fractions. atol = 1e-5
            (was 1e-6, which held the steps to the ~1e-3 feet of the CAIT fronts, ~20 short
            steps per front cell crossing the steep fall-off; the Double-CAIT features moved
            by < 1e-3 nm and < 1e-5 in fraction, far below the mesh error). 1e-4 is too loose
            for bath steps (negative undershoots).
        cait_atol: atol of CAIT steps (default 1e-4): the beam front is sharp and deep in the
            glass only the trapped foot of the front changes; on the Double-CAIT example this
            takes the 2nd CAIT from 6.0 s to 4.2 s with every paper feature unchanged to
            ≤ 1e-4 in fraction and < 0.01 nm (the 0.5 nm mesh's own error is ≈ 0.7 nm).
        tracker: observer (initialize/handle/finalize) of every accepted solver step.
        face_mean: the face mean of D in the NPP fluxes (ionex.solvers.npp.FACE_MEANS; default
            "integral", the mean along the face's concentration path).
    Returns:
        ExperimentResult.
    Raises:
        ValueError for bad input; ionex.errors.SolverError (message prefixed with the step)
        when a step cannot proceed or a charge target is not reached.

    Example — 10 min of K⁺ from a bath into a 2 µm Na⁺ glass at 600 K:

    >>> from ionex import run_experiments
    >>> from ionex.process.experiments import BathStep, Sample, Species
    >>> glass = Sample(thickness=2e-6, area=1e-4, background_density=1e28,
    ...                relative_permittivity=8.0, temperature=600.0)
    >>> ions = [Species("Na", 1, 1e-16, 1.0), Species("K", 1, 1e-17, 0.0)]
    >>> result = run_experiments(glass, ions, [BathStep({"K": 1.0, "Na": 0.0}, 600.0)])
    >>> round(float(result.fraction("K")[-1][0]), 4)  # at the surface, the bath's fraction
    1.0
    """
    started = _time.perf_counter()
    if not isinstance(sample, Sample):
        raise ValueError("sample must be an ionex.process.experiments.Sample")  # noqa: TRY004
    species = tuple(species)
    steps = tuple(steps)
    names = _validate(species, steps)
    _check_tolerances({"rtol": rtol, "atol": atol, "cait_atol": cait_atol})
    N = len(species)
    n0 = sample.background_density
    if grid is None:
        grid = experiment_grid(
            sample,
            finest_cell=finest_cell,
            zone_cell=zone_cell,
            zone_depth=zone_depth,
            growth=growth,
        )
    elif abs(grid.length - sample.thickness) > 1e-9 * sample.thickness:
        raise ValueError(
            f"grid length {grid.length} m differs from the sample thickness {sample.thickness} m"
        )
    K = grid.n_cells
    frac = np.empty((N, K))
    for i, s in enumerate(species):
        frac[i] = s.initial_fraction
    if initial is not None:
        for name, value in initial.items():
            if name not in names:
                raise ValueError(f"initial names unknown species {name!r}; known: {names}")
            arr = np.broadcast_to(np.asarray(value, float), (K,))
            if not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise ValueError(f"initial fractions of {name!r} must be finite and ≥ 0")
            frac[names.index(name)] = arr
    occupation = (
        initial_occupation
        if initial_occupation is not None
        else Occupation({s.name: float(s.initial_fraction) for s in species})
    )
    if not isinstance(occupation, Occupation):
        raise ValueError("initial_occupation must be a physics.site_energy.Occupation")  # noqa: TRY004
    wanted = np.unique(np.asarray([] if output_times is None else output_times, float))
    if wanted.size and (not np.all(np.isfinite(wanted)) or wanted[0] < 0):
        raise ValueError("output_times must be finite and ≥ 0 s")

    out_t, out_step, out_frac, out_phi = [], [], [], []
    cur_t, cur_i, cur_q, cur_phis, cur_step = [], [], [], [], []
    ends = []
    q_total = 0.0
    clipped = 0.0
    t0 = 0.0
    phi = np.zeros(K)
    if tracker is not None:
        # a step that stops at a delivered charge has no end time known in advance
        open_ended = any(s.stops_at_charge for s in steps)
        tracker.initialize(math.inf if open_ended else planned_end(steps))
    try:
        if wanted.size and wanted[0] == 0.0:
            out_t.append(0.0)
            out_step.append(0)
            out_frac.append(frac.copy())
            out_phi.append(phi.copy())
        for k, step in enumerate(steps):
            label = step.title(k)
            T = sample.temperature if step.temperature is None else step.temperature
            medium = npp.Medium(n0, sample.relative_permittivity, T)
            laws = {s.name: step.diffusion.get(s.name, s.diffusion) for s in species}
            solver_species = _solver_species(species, laws, T, n0, occupation, K)
            faces = step.boundary_conditions(names, sample)
            end = t0 + faces.duration * (1 - 1e-12)
            local = wanted[(wanted > t0) & (wanted < end)] - t0
            tic = _time.perf_counter()
            try:
                sol = npp.solve_npp(
                    grid,
                    solver_species,
                    medium,
                    frac * n0,
                    faces.duration,
                    front=faces.front,
                    back=faces.back,
                    output_times=local,
                    rtol=rtol,
                    atol=step.absolute_tolerance(atol, cait_atol),
                    stop_at_charge=faces.stop_charge,
                    tracker=tracker,
                    time_offset=t0,
                    face_mean=face_mean,
                )
            except SolverError as err:
                raise SolverError(f"{label}: {err}") from err
            except ValueError as err:
                raise ValueError(f"{label}: {err}") from err
            wall = _time.perf_counter() - tic
            for t_loc, dens, pot in zip(sol.times, sol.densities, sol.potential):
                if t_loc < sol.end_time * (1 - 1e-12):
                    out_t.append(t0 + float(t_loc))
                    out_step.append(k)
                    out_frac.append(dens / n0)
                    out_phi.append(pot.copy())
            frac = sol.final_densities / n0
            # round-off undershoots far below the tolerance (e.g. −1e-60 ahead of a front)
            # are set to 0 before the next step (the solver accepts no negative density);
            # the ions removed that way are booked in the diagnostics
            low = frac < 0.0
            if np.any(frac < -_NEGATIVE_TOL):
                i, j = np.unravel_index(int(np.argmin(frac)), frac.shape)
                raise SolverError(
                    f"{label}: the density of {names[i]} ended negative ({frac[i, j]:.3g} n_0) at "
                    f"depth {grid.centres[j]:.3e} m; tighten rtol/atol or refine the mesh"
                )
            clipped += float(-(np.where(low, frac, 0.0) @ grid.volumes).sum()) * n0
            frac = np.where(low, 0.0, frac)
            phi = sol.final_potential.copy()
            t1 = t0 + sol.end_time
            out_t.append(t1)
            out_step.append(k)
            out_frac.append(frac.copy())
            out_phi.append(phi.copy())
            h = sol.history
            first = 0 if k == 0 else 1  # the first point of a later step repeats the previous end
            cur_t.extend((t0 + h["time"][first:]).tolist())
            cur_i.extend((h["current"][first:] * sample.area).tolist())
            cur_q.extend((q_total + h["back_charge"][first:] * sample.area).tolist())
            cur_phis.extend(h["surface_potential"][first:].tolist())
            cur_step.extend([k] * (h["time"].size - first))
            step_charge = float(h["back_charge"][-1]) * sample.area
            q_total += step_charge
            entered = [n for n, q in zip(names, sol.final_inflow) if q > 0]
            occupation = occupation.after({n: frac[i] for i, n in enumerate(names)}, entered)
            ends.append(
                StepEnd(
                    index=k,
                    name=step.name,
                    kind=step.label,
                    start_time=t0,
                    end_time=t1,
                    fractions=MappingProxyType({n: frac[i].copy() for i, n in enumerate(names)}),
                    potential=phi.copy(),
                    occupation=occupation,
                    inflow=MappingProxyType({n: float(v) for n, v in zip(names, sol.final_inflow)}),
                    outflow=MappingProxyType(
                        {n: float(v) for n, v in zip(names, sol.final_outflow)}
                    ),
                    back_charge=step_charge,
                    surface_potential=float(h["surface_potential"][-1]),
                    solver=MappingProxyType(
                        {
                            "steps": sol.n_steps,
                            "rejected": sol.n_rejected,
                            "newton": sol.n_newton,
                            "wall_time_s": wall,
                        }
                    ),
                )
            )
            t0 = t1
    finally:
        if tracker is not None:
            tracker.finalize()

    diagnostics = {
        "cells": K,
        "finest_cell_m": float(grid.volumes[0]),
        "debye_length_m": npp.Medium(
            n0, sample.relative_permittivity, sample.temperature
        ).debye_length,
        "time_steps": sum(e.solver["steps"] for e in ends),
        "rejected_steps": sum(e.solver["rejected"] for e in ends),
        "newton_iterations": sum(e.solver["newton"] for e in ends),
        "rtol": rtol,
        "atol": atol,
        "cait_atol": cait_atol,
        "clipped_negative_ions_m-2": clipped,
        "wall_time_s": _time.perf_counter() - started,
        "step_wall_times_s": [e.solver["wall_time_s"] for e in ends],
    }
    # a CAIT that stops at its charge may end the sequence before a requested time
    unreached = wanted[wanted > t0 * (1 + 1e-12)]
    if unreached.size:
        diagnostics["warning"] = (
            f"the sequence ended at {t0 / 3600:.6g} h, before the output time(s) "
            + ", ".join(f"{t / 3600:.6g} h" for t in unreached)
            + "; no profile is kept there"
        )
    return ExperimentResult(
        species=tuple(names),
        depth=np.asarray(grid.centres, float).copy(),
        cell_width=np.asarray(grid.volumes, float).copy(),
        times=np.asarray(out_t, float),
        step=np.asarray(out_step, int),
        fractions=np.asarray(out_frac, float),
        potential=np.asarray(out_phi, float),
        current_time=np.asarray(cur_t, float),
        current=np.asarray(cur_i, float),
        charge=np.asarray(cur_q, float),
        surface_potential=np.asarray(cur_phis, float),
        current_step=np.asarray(cur_step, int),
        step_ends=tuple(ends),
        sample=sample,
        steps=steps,
        diagnostics=diagnostics,
    )


@dataclass(frozen=True)
class ExperimentRecipe(Editable):
    """A Nernst–Planck–Poisson recipe: the sample, its species and the sequence of
    experiments, with mesh and tolerance settings (SI). Read from TOML by ionex.io.recipe
    when ``[model] kind = "nernst-planck-poisson"``.

    Attributes:
        sample, species, steps: as for run_experiments.
        output_times: extra output times from the start of the sequence (s).
        numerics: ExperimentNumerics (a mapping of its fields is converted).
        name, source_text, source_path: title and the recipe file as written.
        editor: set by the reader: rebuilds the recipe with fields changed (with_values).
    """

    sample: Sample
    species: tuple
    steps: tuple
    output_times: tuple = ()
    numerics: ExperimentNumerics = field(default_factory=ExperimentNumerics)
    name: str = "ionex NPP run"
    source_text: str = ""
    source_path: str = ""
    editor: object = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        if not self.steps:
            raise ValueError("a recipe needs at least one step")
        object.__setattr__(self, "numerics", ExperimentNumerics.from_mapping(self.numerics))
        self.numerics.check_mesh(self.sample)
        end = planned_end(self.steps)
        for t in self.output_times:
            if not (_real(t) and 0.0 <= t <= end * (1 + 1e-12)):
                raise ValueError(f"output time {t!r} s lies outside the process (0 … {end} s)")


def planned_end(steps) -> float:
    """The latest end of a sequence of steps (s): the sum of their durations, a CAIT that
    stops at a charge counted at its longest run (CaitStep.planned_duration)."""
    return float(sum(s.planned_duration for s in steps))


def run_recipe(recipe: ExperimentRecipe, *, tracker: Tracker | None = None) -> ExperimentResult:
    """run_experiments on a recipe's sample, species and steps with its numerics."""
    result = run_experiments(
        recipe.sample,
        recipe.species,
        recipe.steps,
        output_times=recipe.output_times or None,
        tracker=tracker,
        **recipe.numerics.settings(),
    )
    result.recipe = recipe
    return result
