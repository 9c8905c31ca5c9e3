"""Multicomponent ion exchange: N mobile monovalent ions (Li⁺, Na⁺, K⁺, …) on one site lattice.

A MulticomponentRecipe holds the glass (total mobile concentration, its starting site
fractions, plate thickness and faces), each ion's D(T) (an ArrheniusLaw), and the steps
(a bath holding the surface site fractions of every ion, or an anneal with closed faces,
each with its temperature program). ``run_multicomponent`` runs the steps in order with
ionex.solvers.multicomponent (the Nernst–Planck fluxes with the field eliminated at zero
current, docs/physics.md §1.3 generalised to N ions), the state carrying from step to
step, and returns a MulticomponentResult with every ion's profile at the output times.

A plate exchanged on both faces is solved on its half (closed at the mid-plane), as the
binary engine does.

Salt baths. A step's bath may be a nitrate melt (SaltBath: its cation mole fractions and the
melt–glass exchange equilibria, ionex.physics.salt_bath): the surface site fractions it
holds are the equilibria's at the step's temperature, which must then be constant (K(T)
would move the surface along a program; such a step is refused, not approximated).

Bath ageing (BathAgeing). Every salt step is its own tank of ``salt_mass`` that has already
exchanged ``loads_before`` identical loads of this recipe's glass, ``load_area`` each. A
load gives tank k the cations e_k = −A·ΔU_k (mol; ΔU_k the uptake per area during step k,
mol/m², from a run of the whole process on the salts as they are), so the salts' cations n
follow dn/dN = e(n) over the loads N. That is integrated from the fresh salt by Heun's
method — each batch of h loads a run on the salt predicted with e at the batch's start,
and a run on the corrected salt n + h·(e(n) + e(predicted))/2 — with h chosen so that the
predicted and corrected surface fractions differ by at most AGEING_TOLERANCE; the run on
the salt after the last load is the result. The loads are taken as a continuum: the salt
after a load-by-load sequence (each load seeing the salt as the previous one left it)
differs by about half a load's exchange (measured: 0.001 of the surface K of a K step on
a lithium aluminosilicate after 40 loads that brought 2100 ppm Na into 500 kg of KNO₃).
The salt's minor cations (Li⁺ released by such a glass is held strongly at its surface)
settle within a few loads, which keeps the batches short while they do. Assumed as in
ionex.physics.salt_bath.age_bath: well-mixed melt, no drag-out or replenishment, one
cation for one.
"""

from __future__ import annotations

import math
import re
import time as _time
from dataclasses import dataclass, field, replace
from typing import Mapping

import numpy as np

from ..errors import SolverError
from ..grids import Grid, graded_grid
from ..physics.arrhenius import ArrheniusLaw
from ..physics.salt_bath import (
    NITRATES,
    SUM_TOLERANCE,
    BathLoad,
    SaltBathChemistry,
    age_bath,
    bath_state,
)
from ..physics.stress import (
    ElasticGlass,
    MultiIonGlass,
    RelaxationLaw,
    balanced_multi_ion_stress,
    balanced_stress,
    hereditary_stress,
    kohlrausch_factor,
    multi_ion_stress_metrics,
)
from ..solvers.multicomponent import BathFace, ClosedFace, solve_multicomponent
from ..validators import FieldError, FrozenMapping
from .recipe import Editable, check_strength
from .strength import StrengthOptions
from .simulate import step_output_times
from .temperature import TemperatureProgram

__all__ = [
    "AgedSaltBath",
    "BathAgeing",
    "MulticomponentGlass",
    "MulticomponentStep",
    "MulticomponentRecipe",
    "MulticomponentResult",
    "MultiIonStressOptions",
    "SaltBath",
    "run_multicomponent",
]

_SYMBOL = r"[A-Z][a-z]?"
FRACTION_SUM_TOLERANCE = 1e-6  # site fractions as written in a recipe (a few digits)


def _real(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _site_fractions(name: str, fractions) -> Mapping[str, float]:
    """Validated site fractions {ion: χ} (each in [0, 1], summing to 1), read-only."""
    if not isinstance(fractions, Mapping) or not fractions:
        raise FieldError(
            name, fractions, "expected site fractions per ion, e.g. { Li = 0.6, Na = 0.4 }"
        )
    out = {}
    for ion, value in fractions.items():
        if not (isinstance(ion, str) and re.fullmatch(_SYMBOL, ion)):
            raise FieldError(name, ion, 'expected ions named by element symbols such as "Na"')
        if not (_real(value) and 0.0 <= value <= 1.0):
            raise FieldError(f"{name}.{ion}", value, "expected a site fraction within [0, 1]")
        out[ion] = float(value)
    total = sum(out.values())
    if abs(total - 1.0) > FRACTION_SUM_TOLERANCE:
        raise FieldError(name, total, "expected site fractions that add up to 1")
    return FrozenMapping(out)


@dataclass(frozen=True)
class MulticomponentGlass:
    """The glass: its exchanging ions and their starting site fractions.

    Attributes:
        total_mobile: C_T, the exchanging ions per volume (mol/m³, > 0; ions, not oxide units).
        initial: site fraction χ_i⁰ of each ion at the start (dimensionless, sum 1).
        thickness: plate thickness (m), or None for a semi-infinite slab.
        faces: "front" or "both" (a plate exchanged on both faces; needs a thickness).
    """

    total_mobile: float
    initial: Mapping[str, float]
    thickness: float | None = None
    faces: str = "front"

    def __post_init__(self):
        if not (_real(self.total_mobile) and self.total_mobile > 0):
            raise FieldError(
                "total_mobile", self.total_mobile, "expected a concentration > 0", "mol/m^3"
            )
        object.__setattr__(self, "initial", _site_fractions("initial", self.initial))
        if self.thickness is not None and not (_real(self.thickness) and self.thickness > 0):
            raise FieldError("thickness", self.thickness, "expected a thickness > 0", "m")
        if self.faces not in ("front", "both"):
            raise FieldError("faces", self.faces, 'expected "front" or "both"')
        if self.faces == "both" and self.thickness is None:
            raise FieldError("faces", self.faces, "expected a plate thickness with it")


_CATIONS = frozenset(NITRATES.values())
# the surface fractions a salt gives, compared with those a copy of its step was given
_SAME_SURFACE = 1e-12


@dataclass(frozen=True)
class SaltBath:
    """A nitrate melt over the glass: the surface site fractions it holds follow from the
    melt–glass exchange equilibria at the temperature (χ = chemistry.surface_fractions(x, T)).

    Attributes:
        melt: cation mole fractions x_i of the melt (dimensionless, each in [0, 1], sum 1
            within 1e-9), e.g. {"K": 0.997, "Na": 0.003}; cations of ionex.physics.
            salt_bath.NITRATES.
        chemistry: the equilibria K_ij(T); every cation present in the melt needs one.
    """

    melt: Mapping[str, float]
    chemistry: SaltBathChemistry

    def __post_init__(self):
        if not isinstance(self.chemistry, SaltBathChemistry):
            raise FieldError("chemistry", self.chemistry, "expected a SaltBathChemistry")
        melt = self.melt
        if not isinstance(melt, Mapping) or not melt:
            raise FieldError("melt", melt, "expected cation mole fractions, e.g. { K = 0.997, … }")
        out = {}
        for cation, x in melt.items():
            if cation not in _CATIONS:
                raise FieldError(
                    "melt", cation, f"expected cations of nitrates ({', '.join(sorted(_CATIONS))})"
                )
            if not (_real(x) and 0.0 <= x <= 1.0):
                raise FieldError(f"melt.{cation}", x, "expected a mole fraction within [0, 1]")
            if x > 0.0 and cation not in self.chemistry.ions:
                raise FieldError(
                    f"melt.{cation}",
                    cation,
                    f"no exchange equilibrium for {cation}: expected a chemistry covering every "
                    f"cation of the melt (it covers {', '.join(self.chemistry.ions)})",
                )
            out[cation] = float(x)
        total = math.fsum(out.values())
        if abs(total - 1.0) > SUM_TOLERANCE:
            raise FieldError(
                "melt", total, f"expected mole fractions adding up to 1 within {SUM_TOLERANCE:g}"
            )
        object.__setattr__(self, "melt", FrozenMapping({c: x / total for c, x in out.items()}))

    @property
    def salts(self) -> dict[str, float]:
        """Mole fractions of the salts, e.g. {"KNO3": 0.997, "NaNO3": 0.003}."""
        name = {cation: salt for salt, cation in NITRATES.items()}
        return {name[c]: x for c, x in self.melt.items()}

    def surface_fractions(self, temperature: float) -> dict[str, float]:
        """χ_i at the glass surface in equilibrium with the melt at T (K); ions of the
        chemistry that the surface does not hold (χ = 0, absent from the melt) left out."""
        chi = self.chemistry.surface_fractions(self.melt, temperature)
        return {ion: v for ion, v in chi.items() if v > 0.0 or ion in self.melt}


@dataclass(frozen=True)
class MulticomponentStep:
    """One step: a bath holding every ion's surface site fraction at the exchanged face(s),
    or an anneal (``bath`` None: closed faces).

    Attributes:
        duration: s (> 0).  temperature: T(t) (K).  name: a label.
        bath: surface site fraction per ion (sum 1), or None for an anneal; with ``salt``,
            the salt's surface fractions at the step's temperature (derived, not given).
        salt: the SaltBath the surface fractions come from, or None when they are given;
            it needs a constant temperature.
    """

    duration: float
    temperature: TemperatureProgram
    bath: Mapping[str, float] | None = None
    name: str = ""
    salt: SaltBath | None = None

    def __post_init__(self):
        if not (_real(self.duration) and self.duration > 0):
            raise FieldError("duration", self.duration, "expected a duration > 0", "s")
        if self.salt is not None:
            self._hold_salt()
        if self.bath is not None:
            object.__setattr__(self, "bath", _site_fractions("bath", self.bath))

    def _hold_salt(self):
        """``bath`` from the salt at the step's (constant) temperature."""
        if not isinstance(self.salt, SaltBath):
            raise FieldError("salt", self.salt, "expected a SaltBath")
        program = self.temperature
        if not program.is_constant:
            raise FieldError(
                "temperature",
                program.source,
                "a salt bath needs a constant temperature: the surface fractions follow the "
                "exchange constants K(T); split the program into steps at constant temperature "
                "or give the bath as surface site fractions",
            )
        surface = self.salt.surface_fractions(float(program(0.0)))
        given = self.bath
        if given is not None and (
            set(given) != set(surface)
            or any(abs(given[ion] - v) > _SAME_SURFACE for ion, v in surface.items())
        ):
            raise FieldError(
                "bath",
                dict(given),
                "expected the surface fractions as a salt or as numbers, not both "
                f"(the salt holds {surface})",
            )
        object.__setattr__(self, "bath", surface)


@dataclass(frozen=True)
class BathAgeing:
    """The use the salt baths have already seen: each step with a salt bath is its own tank
    of ``salt_mass`` that has exchanged ``loads_before`` loads of this recipe's glass.

    Attributes:
        salt_mass: the salt in each tank, kg (> 0).
        load_area: glass per load, m² (> 0): the area of the sheets, one side (both sides
            exchange when the glass's faces = "both"), as the uptake is per.
        loads_before: loads already exchanged (≥ 0; need not be whole: the mass balance is
            linear in them).
    """

    salt_mass: float
    load_area: float
    loads_before: float

    def __post_init__(self):
        if not (_real(self.salt_mass) and self.salt_mass > 0):
            raise FieldError("salt_mass", self.salt_mass, "expected a salt mass > 0", "kg")
        if not (_real(self.load_area) and self.load_area > 0):
            raise FieldError("load_area", self.load_area, "expected a glass area > 0", "m^2")
        if not (_real(self.loads_before) and self.loads_before >= 0):
            raise FieldError("loads_before", self.loads_before, "expected a number of loads ≥ 0")


@dataclass(frozen=True)
class MultiIonStressOptions:
    """How to compute the residual stress of a multicomponent profile (docs/physics.md §3.1
    for several ions): σ = −E/(1−ν)·[Σ_i B_i (χ_i − χ_i⁰) − a − b(x − x_c)], balanced.

    Attributes:
        glass: MultiIonGlass (E, ν, B_i per ion, the native fractions χ_i⁰).
        relaxation: "none", "kww" (the unrelaxed profile times exp(−(ξ/τ)^β), ξ the
            reduced time at temperature) or "hereditary" (each increment of the balanced
            stress relaxes from the accepted solver step that made it, as in the binary
            engine: ionex.physics.stress.hereditary_stress).
        law: τ, β (and an optional Arrhenius τ(T)) for "kww" and "hereditary".
        clock: for "kww", "total" time at temperature or "exchange" time only (bath
            steps); "hereditary" relaxes at every temperature of the process, as the
            binary engine does.
    """

    glass: MultiIonGlass
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
                f'relaxation "{self.relaxation}" needs a relaxation time tau, e.g. "300 h"',
            )
        if self.clock not in ("total", "exchange"):
            raise FieldError("clock", self.clock, 'expected "total" or "exchange"')


@dataclass(frozen=True)
class MulticomponentRecipe(Editable):
    """A multicomponent exchange process, SI units throughout.

    Attributes:
        name: label.  glass: MulticomponentGlass.
        ions: D_i(T) per ion (ArrheniusLaw, m²/s); every ion of the glass and the baths.
        steps: MulticomponentStep in order.  output_times: s from the start of the process.
        rtol, atol: the solver's local error tolerances on the fractions.
        stress: how to compute the residual stress, or None.
        ageing: the use the salt baths have already seen (BathAgeing), or None for fresh
            salt; it needs a step with a salt bath, and equilibria (in every salt's
            chemistry) for each ion of the glass, since any of them can enter the salt.
        strength: the strength assessment of the final state (needs ``stress``), or None.
        source_text, source_path: the recipe file as written (for the result's provenance).
    """

    name: str
    glass: MulticomponentGlass
    ions: Mapping[str, ArrheniusLaw]
    steps: tuple
    output_times: tuple = ()
    rtol: float = 4e-4
    atol: float = 4e-6
    stress: MultiIonStressOptions | None = None
    ageing: BathAgeing | None = None
    strength: StrengthOptions | None = None
    source_text: str = ""
    source_path: str = ""
    editor: object = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        if len(self.ions) < 2:
            raise FieldError("ions", ", ".join(self.ions), "expected two or more exchanging ions")
        check_strength(self.strength, self.stress, self.glass.thickness)
        for ion, law in self.ions.items():
            if not isinstance(law, ArrheniusLaw):
                raise FieldError(f"ions.{ion}", law, "expected an ArrheniusLaw D(T)")
        object.__setattr__(self, "ions", FrozenMapping(dict(self.ions)))
        for ion in self.glass.initial:
            if ion not in self.ions:
                raise FieldError(
                    f"glass.initial.{ion}",
                    ion,
                    f"an ion with no [ions.{ion}] (declared: {', '.join(self.ions)})",
                )
        for k, step in enumerate(self.steps):
            if not isinstance(step, MulticomponentStep):
                raise FieldError(f"step[{k + 1}]", step, "expected a MulticomponentStep")
            for ion in step.bath or {}:
                if ion not in self.ions:
                    raise FieldError(
                        f"step[{k + 1}].bath.{ion}",
                        ion,
                        f"an ion with no [ions.{ion}] (declared: {', '.join(self.ions)})",
                    )
        if not self.steps:
            raise FieldError("step", "none", "expected one or more steps")
        if self.ageing is not None:
            self._check_ageing()
        if self.stress is not None:
            glass = self.stress.glass
            for ion in glass.dilations:
                if ion not in self.ions:
                    raise FieldError(
                        f"stress.dilation.{ion}",
                        ion,
                        f"an ion with no [ions.{ion}] (declared: {', '.join(self.ions)})",
                    )
            native = {ion: self.glass.initial.get(ion, 0.0) for ion in glass.native}
            if native != dict(glass.native):
                raise FieldError(
                    "stress.native", dict(glass.native), "expected the glass's initial fractions"
                )

    def _check_ageing(self):
        if not isinstance(self.ageing, BathAgeing):
            raise FieldError("bath", self.ageing, "expected a BathAgeing")
        salts = [step.salt for step in self.steps if step.salt is not None]
        if not salts:
            raise FieldError(
                "bath.loads_before",
                self.ageing.loads_before,
                "expected a step whose bath is a salt (bath = { salt = { … } }) to age",
            )
        for salt in salts:
            for ion in self.ions:
                if ion not in _CATIONS or ion not in salt.chemistry.ions:
                    raise FieldError(
                        "bath.loads_before",
                        ion,
                        f"ageing passes every ion the glass gives off into the salt: expected "
                        f"exchange equilibria for each ion of [ions], and {ion} has none (the "
                        f"chemistry covers {', '.join(salt.chemistry.ions)})",
                    )

    @property
    def species(self) -> tuple[str, ...]:
        """The ions in the order of the solver's arrays."""
        return tuple(self.ions)

    @property
    def total_time(self) -> float:
        return float(sum(s.duration for s in self.steps))


# the metrics of a stressed result: attribute of MultiIonStressMetrics, unit, description
_METRIC_COLUMNS = (
    ("compressive_stress", "Pa", "surface compressive stress CS (> 0)"),
    ("depth_of_compression", "m", "depth of compression DOC"),
    ("central_tension", "Pa", "central tension CT (> 0)"),
    ("knee_depth", "m", "depth of the knee of the spike"),
    ("tensile_energy", "J/m^2", "stored tensile strain energy per area W_t"),
)


# --------------------------------------------------------------------------- running

CELLS_PER_EFOLD = 60.0  # as the binary engine's default resolution (Numerics)
DOMAIN_LENGTHS = 12.0  # depth of a semi-infinite slab's domain in fast diffusion lengths


def _diffusion_length(recipe: MulticomponentRecipe, pick) -> float:
    """√(Σ_steps pick_i D_i(T_max) t_step) in m: the fast (max) or slow (min) ion's length."""
    total = 0.0
    for step in recipe.steps:
        t_hot = float(np.max(step.temperature.temperatures))
        total += pick(float(law(t_hot)) for law in recipe.ions.values()) * step.duration
    return math.sqrt(total)


def multicomponent_grid(recipe: MulticomponentRecipe) -> Grid:
    """The mesh: depth 0 is the exchanged face; a plate exchanged on both faces is solved on
    its half thickness (symmetry). Graded (ionex.grids.graded_grid) from the slow ion's
    diffusion length at the face (the near-surface spike) to the fast ion's depth."""
    l_max = _diffusion_length(recipe, max)
    l_min = max(_diffusion_length(recipe, min), 1e-3 * l_max)
    g = recipe.glass
    if g.thickness is None:
        length = DOMAIN_LENGTHS * l_max
    else:
        length = g.thickness / 2.0 if g.faces == "both" else g.thickness
    return graded_grid(length, min(l_min, length), cells_per_efold=CELLS_PER_EFOLD)


@dataclass(frozen=True)
class AgedSaltBath:
    """One tank's salt before and after the loads of a BathAgeing.

    Attributes:
        step: the step the tank serves (0-based index).
        ageing: the salt mass, the glass per load and N, the loads before the run.
        fresh, aged: the SaltBath before the first load and after the last one.
        released_first_load: mol of each cation one load gives the fresh melt (negative:
            taken up by the glass).
        released_per_load: the mean over the N loads, ē (mol; aged = fresh + N·ē).
        released_last_load: what the next load gives the aged melt (mol).
        fresh_surface, aged_surface: the surface site fractions they hold at the step's
            temperature.
    """

    step: int
    ageing: BathAgeing
    fresh: SaltBath
    aged: SaltBath
    released_first_load: Mapping[str, float]
    released_per_load: Mapping[str, float]
    released_last_load: Mapping[str, float]
    fresh_surface: Mapping[str, float]
    aged_surface: Mapping[str, float]


@dataclass
class MulticomponentResult:
    """Profiles of every ion at the output times of a multicomponent run.

    Attributes:
        recipe: the MulticomponentRecipe run.
        species: the ions, in the order of ``fractions``' second axis.
        times: output times (s from the start of the process).
        depth, cell_width: cell centres and widths (m) from the exchanged face.
        fractions: χ per output time, ion and cell, shape (n_times, N, n_cells).
        step_index: the step each output time belongs to.
        uptake: amount of each ion that entered the glass per unit exchanged area up to each
            output time (mol/m², negative for an ion that left), shape (n_times, N); both
            faces of a plate counted.
        diagnostics: solver work and wall time ("runs": process runs, more than one when
            the bath ageing is iterated).
        aged_baths: one AgedSaltBath per salt step when the recipe ages its baths; the
            recipe is then the one run: its salt steps hold the aged salt, ageing None.
    """

    recipe: MulticomponentRecipe
    species: tuple
    times: np.ndarray
    depth: np.ndarray
    cell_width: np.ndarray
    fractions: np.ndarray
    step_index: np.ndarray
    uptake: np.ndarray
    diagnostics: dict = field(default_factory=dict)
    stress: np.ndarray | None = None
    metrics: list | None = None
    aged_baths: tuple = ()

    def fraction(self, ion: str) -> np.ndarray:
        """χ of ``ion`` per output time and cell, (n_times, n_cells)."""
        return self.fractions[:, self.species.index(ion), :]

    @property
    def step_names(self) -> list[str]:
        return [self.recipe.steps[int(k)].name for k in self.step_index]

    def to_dataset(self):
        """An xarray.Dataset: dims (time, depth); frac_<Ion>, uptake_<Ion> (mol/m²),
        step (1-based), step_name, cell_width; per process_step the baths: bath_<Ion> (the
        surface fractions held, NaN for an anneal), melt_<Ion> (a salt's cation mole
        fractions, NaN for a bath given as surface fractions) and, when the baths aged,
        fresh_melt_<Ion> and released_per_load_<Ion> (mol); units in attrs."""
        import xarray as xr

        from .._version import __version__

        prof = ("time", "depth")
        data = {
            f"frac_{ion}": (
                prof,
                self.fraction(ion),
                {"units": "1", "long_name": f"site fraction of {ion}"},
            )
            for ion in self.species
        }
        for i, ion in enumerate(self.species):
            data[f"uptake_{ion}"] = (
                "time",
                self.uptake[:, i],
                {
                    "units": "mol/m^2",
                    "long_name": f"{ion} taken up per exchanged area (negative: released)",
                },
            )
        data["step"] = (
            "time",
            self.step_index.astype(np.int32) + 1,
            {"units": "1", "long_name": "process step (1-based)"},
        )
        data["step_name"] = (
            "time",
            np.array(self.step_names, dtype=object),
            {"long_name": "process step name"},
        )
        data["cell_width"] = ("depth", self.cell_width, {"units": "m"})
        data.update(self._bath_variables())
        if self.stress is not None:
            data["stress_Pa"] = (
                prof,
                self.stress,
                {"units": "Pa", "long_name": "residual stress, compression < 0"},
            )
            for name, unit, text in _METRIC_COLUMNS:
                values = np.array([getattr(m, name) for m in self.metrics], dtype=float)
                data[name] = ("time", values, {"units": unit, "long_name": text})
        coords = {
            "process_step": (
                "process_step",
                np.arange(1, len(self.recipe.steps) + 1, dtype=np.int32),
                {"units": "1", "long_name": "process step (1-based)"},
            ),
            "time": ("time", self.times, {"units": "s"}),
            "depth": (
                "depth",
                self.depth,
                {"units": "m", "long_name": "depth below the exchanged face"},
            ),
        }
        attrs = {
            "title": self.recipe.name,
            "model": "multicomponent interdiffusion (Nernst–Planck, zero current)",
            "species": ",".join(self.species),
            "ionex_version": __version__,
            "recipe": self.recipe.source_text,
        }
        if self.aged_baths:
            a = self.aged_baths[0].ageing
            attrs["salt_ageing"] = (
                f"each salt step's {a.salt_mass:g} kg of salt had exchanged {a.loads_before:g} "
                f"loads of {a.load_area:g} m^2 of glass before this run"
            )
        return xr.Dataset(data, coords=coords, attrs=attrs)

    def _bath_variables(self) -> dict:
        """The per-step variables of to_dataset: what each bath held and, aged, gave up."""
        steps = self.recipe.steps
        nan = np.full(len(steps), np.nan)

        def column(value_of, units: str, text: str):
            values = nan.copy()
            for k, step in enumerate(steps):
                v = value_of(k, step)
                if v is not None:
                    values[k] = v
            return ("process_step", values, {"units": units, "long_name": text})

        data = {}
        aged = {a.step: a for a in self.aged_baths}
        for ion in self.species:
            data[f"bath_{ion}"] = column(
                lambda k, s: None if s.bath is None else s.bath.get(ion, 0.0),
                "1",
                f"surface site fraction of {ion} the bath holds",
            )
            if any(s.salt is not None for s in steps):
                data[f"melt_{ion}"] = column(
                    lambda k, s: None if s.salt is None else s.salt.melt.get(ion, 0.0),
                    "1",
                    f"mole fraction of {ion} among the cations of the salt",
                )
            if aged:
                data[f"fresh_melt_{ion}"] = column(
                    lambda k, s: aged[k].fresh.melt.get(ion, 0.0) if k in aged else None,
                    "1",
                    f"mole fraction of {ion} among the cations of the fresh salt",
                )
                data[f"released_per_load_{ion}"] = column(
                    lambda k, s: aged[k].released_per_load.get(ion, 0.0) if k in aged else None,
                    "mol",
                    f"{ion} one load gave the salt, mean over the loads before (negative: "
                    "taken up)",
                )
        return data


def _diffusivities_at(recipe: MulticomponentRecipe, step: MulticomponentStep):
    """D_i of the step (m²/s): a vector for a constant temperature, else t ↦ the vector."""
    laws = tuple(recipe.ions.values())
    program = step.temperature
    if program.is_constant:
        t_k = float(program(0.0))
        return np.array([float(law(t_k)) for law in laws])
    cache = {}

    def at(t: float) -> np.ndarray:
        t_k = float(program(t))
        if t_k not in cache:  # the same vector object while T holds: no ∂R/∂t
            cache.clear()
            cache[t_k] = np.array([float(law(t_k)) for law in laws])
        return cache[t_k]

    return at


def run_multicomponent(recipe: MulticomponentRecipe, *, grid: Grid | None = None):
    """Run every step of ``recipe`` in order, the state carrying from step to step; with
    ``recipe.ageing``, first age its salt baths (see the module's docstring).

    Returns a MulticomponentResult with the profiles at the output times and at the end of
    every step. Raises ionex.errors.SolverError when a step cannot proceed, or when the
    ageing of the salts needs more than AGEING_RUNS runs."""
    started = _time.perf_counter()
    grid = multicomponent_grid(recipe) if grid is None else grid
    opts = recipe.stress
    # hereditary relaxation superposes the state of every accepted step, not the outputs
    history = (
        _StrainHistory(opts.glass, recipe.species)
        if opts is not None and opts.relaxation == "hereditary"
        else None
    )
    if recipe.ageing is None:
        result = _run(recipe, grid, history)
    else:
        result = _run_aged(recipe, grid, history)
    result.diagnostics.setdefault("runs", 1)
    result.diagnostics["wall_time_s"] = _time.perf_counter() - started
    if opts is not None:
        result.stress, result.metrics = _stress(result, opts, history)
    return result


# Bath ageing: the loads are integrated in batches sized so that the predicted and the
# corrected surface site fractions of a batch differ by at most this (absolute). That is
# the predictor's error; the corrector's is far smaller (measured 3e-5 in the final surface
# fractions of the module docstring's example, against 1e-3 between the continuum of
# loads and the load-by-load sequence) ...
AGEING_TOLERANCE = 1e-3
# ... with at most this many process runs (two per batch)
AGEING_RUNS = 1000


def _run_aged(
    recipe: MulticomponentRecipe, grid: Grid, history: _StrainHistory | None = None
) -> MulticomponentResult:
    """The run on the salt after ``loads_before`` loads: dn/dN = e(n), the salts' cations n
    (mol) over the loads N, e the exchange per load of a run on the salts n, integrated by
    Heun's method (a predictor n + h·e(n), the corrector n + h·(e(n) + e(predictor))/2)
    with the batch h of loads set by the difference of the two in surface fractions.
    ``history`` (if any) ends up holding the states of the run returned."""
    ageing = recipe.ageing
    loads = float(ageing.loads_before)
    plain = replace(recipe, ageing=None)
    tanks = [k for k, step in enumerate(recipe.steps) if step.salt is not None]
    species = recipe.species
    n = len(species)
    result = _run(plain, grid, history)
    runs = 1
    first = _released_per_load(result, tanks, ageing.load_area)
    fresh = np.concatenate(
        [
            _vector(bath_state(plain.steps[k].salt.melt, ageing.salt_mass).moles, species)
            for k in tanks
        ]
    )
    moles, rate, run = fresh, _stacked(first, tanks), plain
    done, batch = 0.0, loads
    while done < loads:
        if runs + 2 > AGEING_RUNS or batch <= 1e-9 * loads:
            raise SolverError(
                f"bath.loads_before: the salt's ageing needs more than {AGEING_RUNS} runs "
                f"(reached {done:.6g} of {loads:g} loads); expected fewer loads or more salt"
            )
        closing = batch >= loads - done
        h = loads - done if closing else batch
        try:
            ahead = _with_aged_salts(plain, tanks, fresh, moles + h * rate, ageing.salt_mass)
        except SolverError:  # the batch would take more of a cation than the salt holds
            batch = 0.2 * h
            continue
        predicted = _stacked(_released_per_load(_run(ahead, grid), tanks, ageing.load_area), tanks)
        runs += 1
        corrected = moles + 0.5 * h * (rate + predicted)
        if np.min(corrected) < 0.0:
            batch = 0.2 * h
            continue
        error = float(
            np.max(np.abs(_surfaces(plain, tanks, corrected) - _surfaces(ahead, tanks, None)))
        )
        if error <= AGEING_TOLERANCE:
            moles, done = corrected, loads if closing else done + h
            run = _with_aged_salts(plain, tanks, fresh, moles, ageing.salt_mass)
            result = _run(run, grid, history)
            runs += 1
            rate = _stacked(_released_per_load(result, tanks, ageing.load_area), tanks)
        batch = h * min(4.0, max(0.2, 0.9 * math.sqrt(AGEING_TOLERANCE / max(error, 1e-300))))
    last = _released_per_load(result, tanks, ageing.load_area)
    out = []
    for t, k in enumerate(tanks):
        held = slice(t * n, (t + 1) * n)
        mean = (moles[held] - fresh[held]) / loads if loads else first[k]
        out.append(
            AgedSaltBath(
                step=k,
                ageing=ageing,
                fresh=recipe.steps[k].salt,
                aged=run.steps[k].salt,
                released_first_load=FrozenMapping(dict(zip(species, first[k].tolist()))),
                released_per_load=FrozenMapping(dict(zip(species, np.asarray(mean).tolist()))),
                released_last_load=FrozenMapping(dict(zip(species, last[k].tolist()))),
                fresh_surface=recipe.steps[k].bath,
                aged_surface=run.steps[k].bath,
            )
        )
    result.recipe = run
    result.aged_baths = tuple(out)
    result.diagnostics["runs"] = runs
    return result


def _vector(values: Mapping[str, float], species) -> np.ndarray:
    return np.array([float(values.get(ion, 0.0)) for ion in species])


def _stacked(per_tank: dict, tanks) -> np.ndarray:
    return np.concatenate([per_tank[k] for k in tanks])


def _surfaces(recipe, tanks, moles) -> np.ndarray:
    """The surface fractions of the salt steps ``tanks`` (species order, tank after tank):
    of ``recipe``'s salts, or of salts holding ``moles`` (mol, same order) with the same
    equilibria and temperatures."""
    species = recipe.species
    n = len(species)
    out = []
    for t, k in enumerate(tanks):
        step = recipe.steps[k]
        if moles is None:
            out.append(_vector(step.bath, species))
            continue
        held = moles[t * n : (t + 1) * n]
        melt = dict(zip(species, (held / held.sum()).tolist()))
        chi = step.salt.chemistry.surface_fractions(melt, float(step.temperature(0.0)))
        out.append(_vector(chi, species))
    return np.concatenate(out)


def _released_per_load(result: MulticomponentResult, tanks, area: float) -> dict:
    """mol of each ion (species order) one load of ``area`` m² gives the salt of each step
    in ``tanks``: −A·ΔU over the step, ΔU the uptake per area. The run books the ions
    one for one to round-off; the largest amount takes the remainder so that the load sums
    to zero exactly (the salt's nitrate is conserved) and ions that did not move stay 0."""
    steps = np.asarray(result.step_index)
    out = {}
    for k in tanks:
        end = int(np.nonzero(steps == k)[0][-1])
        before = result.uptake[int(np.nonzero(steps == k - 1)[0][-1])] if k > 0 else 0.0
        out[k] = _zero_sum(-area * (result.uptake[end] - before))
    return out


def _zero_sum(amounts: np.ndarray) -> np.ndarray:
    out = np.array(amounts, dtype=float)
    big = int(np.argmax(np.abs(out)))
    out[big] = -(math.fsum(out) - out[big])
    return out


def _with_aged_salts(recipe, tanks, fresh, aged, salt_mass: float):
    """``recipe`` with each salt step's salt changed from ``fresh`` to ``aged`` (mol,
    species order) by ionex.physics.salt_bath.age_bath of that change as one load (the
    balance is linear in the loads: N loads of ē are one load of N·ē)."""
    species = recipe.species
    n = len(species)
    steps = list(recipe.steps)
    for t, k in enumerate(tanks):
        step = steps[k]
        change = _zero_sum(aged[t * n : (t + 1) * n] - fresh[t * n : (t + 1) * n])
        load = BathLoad({ion: float(v) for ion, v in zip(species, change) if v != 0.0})
        try:
            (state,) = age_bath(step.salt.melt, salt_mass, [load])
        except FieldError as exc:
            raise SolverError(
                f"bath.loads_before: the loads would take more of a cation than the salt of "
                f"{step.name or f'step {k + 1}'} holds ({exc}); expected fewer loads or more "
                "salt"
            ) from None
        salt = SaltBath(state.melt, step.salt.chemistry)
        steps[k] = MulticomponentStep(step.duration, step.temperature, None, step.name, salt)
    return replace(recipe, steps=tuple(steps))


class _StrainHistory:
    """The free strain ε = Σ_i B_i(χ_i − χ_i⁰) per cell of the solver's grid after every
    accepted solver step, and its time (s from the start of the process): what hereditary
    relaxation superposes. The stress is linear in ε, so ε alone is kept (N times less
    than the states); a solver tracker (handle only)."""

    def __init__(self, glass: MultiIonGlass, species):
        self.dilations = np.array([glass.dilations.get(ion, 0.0) for ion in species])
        self.native = np.array([glass.native.get(ion, 0.0) for ion in species])
        self.times: list[float] = []
        self.strains: list[np.ndarray] = []

    def clear(self) -> None:
        self.times.clear()
        self.strains.clear()

    def handle(self, time: float, state) -> None:
        self.times.append(float(time))
        self.strains.append(self.dilations @ (state - self.native[:, None]))


def _run(
    recipe: MulticomponentRecipe, grid: Grid, history: _StrainHistory | None = None
) -> MulticomponentResult:
    """One run of the steps as they are (no ageing, no stress); ``history`` (if any) is
    emptied, then given the strain after every accepted step."""
    started = _time.perf_counter()
    if history is not None:  # a run of the bath ageing replaces the earlier ones
        history.clear()
    species = recipe.species
    n_ions = len(species)
    y = np.array([[recipe.glass.initial.get(ion, 0.0)] * grid.n_cells for ion in species])
    ends = np.cumsum([s.duration for s in recipe.steps])
    starts = np.concatenate([[0.0], ends[:-1]])
    wanted = np.union1d(np.asarray(recipe.output_times, dtype=float), ends)
    faces = 2.0 if recipe.glass.faces == "both" else 1.0
    c_t = recipe.glass.total_mobile
    times, states, steps_of, uptake = [], [], [], []
    cum = np.zeros(n_ions)
    work = {"steps": 0, "rejected": 0, "linear_solves": 0}
    for k, step in enumerate(recipe.steps):
        t0, t1 = starts[k], ends[k]
        at_zero, local = step_output_times(wanted, t0, t1, k == 0)
        for _ in range(at_zero):
            times.append(0.0)
            states.append(y.copy())
            steps_of.append(0)
            uptake.append(cum.copy())
        if step.bath is None:
            front = ClosedFace()
        else:
            front = BathFace(tuple(step.bath.get(ion, 0.0) for ion in species))
        rel = np.minimum(local - t0, step.duration)
        program = step.temperature
        sol = solve_multicomponent(
            grid,
            _diffusivities_at(recipe, step),
            y,
            step.duration,
            front=front,
            back=ClosedFace(),
            output_times=rel,
            breakpoints=program.breakpoints(step.duration),
            rtol=recipe.rtol,
            atol=recipe.atol,
            time_offset=t0,
            tracker=history,
        )
        for t_out, state, infl in zip(local, sol.states, sol.inflow):
            times.append(float(t_out))
            states.append(state)
            steps_of.append(k)
            uptake.append(cum + infl.sum(axis=1))
        cum = cum + sol.final_inflow.sum(axis=1)
        y = sol.final
        work["steps"] += sol.n_steps
        work["rejected"] += sol.n_rejected
        work["linear_solves"] += sol.n_solves
    work["wall_time_s"] = _time.perf_counter() - started
    work["cells"] = grid.n_cells
    depth = np.asarray(grid.centres, dtype=float)
    width = np.asarray(grid.volumes, dtype=float)
    fractions = np.asarray(states, dtype=float)
    if recipe.glass.faces == "both":  # the solved half mirrored through the mid-plane
        depth = np.concatenate([depth, recipe.glass.thickness - depth[::-1]])
        width = np.concatenate([width, width[::-1]])
        fractions = np.concatenate([fractions, fractions[..., ::-1]], axis=-1)
    result = MulticomponentResult(
        recipe=recipe,
        species=species,
        times=np.asarray(times, dtype=float),
        depth=depth,
        cell_width=width,
        fractions=fractions,
        step_index=np.asarray(steps_of, dtype=int),
        uptake=c_t * faces * np.asarray(uptake, dtype=float),
        diagnostics=work,
    )
    return result


def _reduced_time(recipe: MulticomponentRecipe, times, law: RelaxationLaw, clock: str):
    """ξ(t) = ∫ τ_ref/τ(T) dt up to each time (s), over every step ("total") or the bath
    steps only ("exchange"). Exact where the temperature is constant; along a program, the
    trapezoidal rule on its samples (every kink) and the times themselves, so that ξ
    increases with t however close two times lie."""
    t = np.atleast_1d(np.asarray(times, dtype=float))
    out = np.zeros(t.size)
    start = 0.0
    for step in recipe.steps:
        span = np.clip(t - start, 0.0, step.duration)
        start += step.duration
        if clock == "exchange" and step.bath is None:
            continue
        program = step.temperature
        if program.is_constant:
            out += float(law.rate(float(program(0.0)))) * span
            continue
        samples, _ = program.sample(step.duration)
        nodes = np.union1d(samples, span[(span > 0.0) & (span < step.duration)])
        rate = law.rate(program(nodes))
        integral = np.concatenate([[0.0], np.cumsum(0.5 * (rate[1:] + rate[:-1]) * np.diff(nodes))])
        out += np.interp(span, nodes, integral)
    return out


def _stress(
    result: MulticomponentResult,
    opts: MultiIonStressOptions,
    history: _StrainHistory | None = None,
):
    """σ (n_times, n_depth) in Pa and its metrics per output time; "hereditary" needs the
    ``history`` of the run."""
    g = result.recipe.glass
    plate = g.thickness is not None
    bending = plate and g.faces == "front"
    if opts.relaxation == "hereditary":
        stress = _hereditary(result, opts, history, plate, bending)
    else:
        fractions = {ion: result.fraction(ion) for ion in result.species}
        stress = balanced_multi_ion_stress(
            result.depth, result.cell_width, fractions, opts.glass, plate=plate, bending=bending
        )
    if opts.relaxation == "kww":
        xi = _reduced_time(result.recipe, result.times, opts.law, opts.clock)
        stress = stress * kohlrausch_factor(xi, opts.law.tau, opts.law.beta)[:, None]
    symmetric = plate and g.faces == "both"
    metrics = [
        multi_ion_stress_metrics(
            result.depth, s, opts.glass, width=result.cell_width, symmetric_plate=symmetric
        )
        for s in stress
    ]
    return stress, metrics


def _hereditary(
    result: MulticomponentResult,
    opts: MultiIonStressOptions,
    history: _StrainHistory | None,
    plate: bool,
    bending: bool,
) -> np.ndarray:
    """σ at the output times (Pa) when every increment of the balanced stress relaxes from
    the accepted step that made it: ionex.physics.stress.hereditary_stress over the history,
    its reduced time counting every step (as the binary engine's)."""
    if history is None or not history.times:
        raise ValueError(
            "hereditary relaxation needs the strain after every accepted step of the run "
            "(run_multicomponent collects it)"
        )
    g = result.recipe.glass
    t = np.asarray(history.times)
    strain = np.asarray(history.strains)
    if plate and g.faces == "both":  # the solved half mirrored, as the profiles are
        strain = np.concatenate([strain, strain[:, ::-1]], axis=1)
    # σ = −E/(1−ν)·[ε − a − b(x − x_c)]: balanced_stress of the free strain itself (B = 1)
    unit = ElasticGlass(opts.glass.youngs_modulus, opts.glass.poisson_ratio, 1.0)
    elastic = balanced_stress(
        result.depth, result.cell_width, strain, unit, plate=plate, bending=bending
    )
    xi = _reduced_time(result.recipe, t, opts.law, "total")
    # each output time is the time of an accepted step (the steps land on them)
    right = np.clip(np.searchsorted(t, result.times), 0, t.size - 1)
    left = np.maximum(right - 1, 0)
    nearer_left = np.abs(t[left] - result.times) <= np.abs(t[right] - result.times)
    relaxed = hereditary_stress(xi, elastic, opts.law, at=np.where(nearer_left, left, right))
    # the glass starts native: stress-free before the first step
    relaxed[result.times <= 0.0] = 0.0
    return relaxed
