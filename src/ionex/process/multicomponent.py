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
"""

from __future__ import annotations

import math
import re
import time as _time
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

import numpy as np

from ..grids import Grid, graded_grid
from ..physics.arrhenius import ArrheniusLaw
from ..physics.stress import (
    MultiIonGlass,
    RelaxationLaw,
    balanced_multi_ion_stress,
    kohlrausch_factor,
    multi_ion_stress_metrics,
)
from ..solvers.multicomponent import BathFace, ClosedFace, solve_multicomponent
from ..validators import FieldError
from .simulate import step_output_times
from .temperature import TemperatureProgram

__all__ = [
    "MulticomponentGlass",
    "MulticomponentStep",
    "MulticomponentRecipe",
    "MulticomponentResult",
    "MultiIonStressOptions",
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
    return MappingProxyType(out)


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


@dataclass(frozen=True)
class MulticomponentStep:
    """One step: a bath holding every ion's surface site fraction at the exchanged face(s),
    or an anneal (``bath`` None: closed faces).

    Attributes:
        duration: s (> 0).  temperature: T(t) (K).  name: a label.
        bath: surface site fraction per ion (sum 1), or None for an anneal.
    """

    duration: float
    temperature: TemperatureProgram
    bath: Mapping[str, float] | None = None
    name: str = ""

    def __post_init__(self):
        if not (_real(self.duration) and self.duration > 0):
            raise FieldError("duration", self.duration, "expected a duration > 0", "s")
        if self.bath is not None:
            object.__setattr__(self, "bath", _site_fractions("bath", self.bath))


@dataclass(frozen=True)
class MultiIonStressOptions:
    """How to compute the residual stress of a multicomponent profile (docs/physics.md §3.1
    for several ions): σ = −E/(1−ν)·[Σ_i B_i (χ_i − χ_i⁰) − a − b(x − x_c)], balanced.

    Attributes:
        glass: MultiIonGlass (E, ν, B_i per ion, the native fractions χ_i⁰).
        relaxation: "none", or "kww" (the unrelaxed profile times exp(−(ξ/τ)^β), ξ the
            reduced time at temperature).
        law: τ, β (and an optional Arrhenius τ(T)) for "kww".
        clock: "total" time at temperature or "exchange" time only (bath steps).
    """

    glass: MultiIonGlass
    relaxation: str = "none"
    law: RelaxationLaw | None = None
    clock: str = "total"

    def __post_init__(self):
        if self.relaxation not in ("none", "kww"):
            raise FieldError(
                "relaxation",
                self.relaxation,
                'expected "none" or "kww" (hereditary relaxation needs every solver state; '
                "the multicomponent engine keeps the output states only)",
            )
        if self.relaxation != "none" and self.law is None:
            raise FieldError(
                "law", None, 'relaxation "kww" needs a relaxation time tau, e.g. "300 h"'
            )
        if self.clock not in ("total", "exchange"):
            raise FieldError("clock", self.clock, 'expected "total" or "exchange"')


@dataclass(frozen=True)
class MulticomponentRecipe:
    """A multicomponent exchange process, SI units throughout.

    Attributes:
        name: label.  glass: MulticomponentGlass.
        ions: D_i(T) per ion (ArrheniusLaw, m²/s); every ion of the glass and the baths.
        steps: MulticomponentStep in order.  output_times: s from the start of the process.
        rtol, atol: the solver's local error tolerances on the fractions.
        zone_cells: cells across the exchanged zone; the mesh is graded to the bulk.
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
    source_text: str = ""
    source_path: str = ""
    editor: object = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        if len(self.ions) < 2:
            raise FieldError("ions", ", ".join(self.ions), "expected two or more exchanging ions")
        for ion, law in self.ions.items():
            if not isinstance(law, ArrheniusLaw):
                raise FieldError(f"ions.{ion}", law, "expected an ArrheniusLaw D(T)")
        object.__setattr__(self, "ions", MappingProxyType(dict(self.ions)))
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
        diagnostics: solver work and wall time.
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

    def fraction(self, ion: str) -> np.ndarray:
        """χ of ``ion`` per output time and cell, (n_times, n_cells)."""
        return self.fractions[:, self.species.index(ion), :]

    @property
    def step_names(self) -> list[str]:
        return [self.recipe.steps[int(k)].name for k in self.step_index]

    def to_dataset(self):
        """An xarray.Dataset: dims (time, depth); frac_<Ion>, uptake_<Ion> (mol/m²),
        step (1-based), step_name, cell_width; units in attrs."""
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
        return xr.Dataset(data, coords=coords, attrs=attrs)


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
    """Run every step of ``recipe`` in order, the state carrying from step to step.

    Returns a MulticomponentResult with the profiles at the output times and at the end of
    every step. Raises ionex.errors.SolverError when a step cannot proceed."""
    started = _time.perf_counter()
    grid = multicomponent_grid(recipe) if grid is None else grid
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
    if recipe.stress is not None:
        result.stress, result.metrics = _stress(result, recipe.stress)
    return result


def _reduced_time(recipe: MulticomponentRecipe, times, law: RelaxationLaw, clock: str):
    """ξ(t) = ∫ τ_ref/τ(T) dt up to each time (s), over every step ("total") or the bath
    steps only ("exchange")."""
    out = []
    starts = np.concatenate([[0.0], np.cumsum([s.duration for s in recipe.steps])[:-1]])
    for t in np.atleast_1d(np.asarray(times, dtype=float)):
        xi = 0.0
        for start, step in zip(starts, recipe.steps):
            if start >= t:
                break
            if clock == "exchange" and step.bath is None:
                continue
            span = min(step.duration, t - start)
            s, temps = step.temperature.sample(span, n=65)
            xi += float(np.trapezoid(law.rate(temps), s))
        out.append(xi)
    return np.asarray(out)


def _stress(result: MulticomponentResult, opts: MultiIonStressOptions):
    """σ (n_times, n_depth) in Pa and its metrics per output time."""
    g = result.recipe.glass
    plate = g.thickness is not None
    fractions = {ion: result.fraction(ion) for ion in result.species}
    stress = balanced_multi_ion_stress(
        result.depth,
        result.cell_width,
        fractions,
        opts.glass,
        plate=plate,
        bending=plate and g.faces == "front",
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
