"""Fit recipe parameters to measured data: weighted least squares through lmfit, with the
forward runs of every Jacobian spread over a dask cluster (process layer: SI floats).

The data are datasets of several kinds, each bound to a *builder* — a picklable callable
``values → Recipe`` (``values`` maps every fitted parameter name to its SI value), so
each dataset can carry its own recipe or overrides (e.g. its bath temperature, its plate
thickness):

    profile          site fraction χ(x_i, t) of one ion at measured depths, one time
    sims             the same through the depth resolution of a sputter profile
    zone             mean site fractions of several ions over one depth range, one time
    index            n_TE, n_TM or n_0 at measured depths (an IWKB reconstruction), one time
    modes            effective indices N_m of measured mode orders m (TE and/or TM), one time
    surface_stress   σ(0, t_i) at measured times (SurfaceStressData); or a surface stress
                     meter's CS and DOL of samples of one process, at its end
                     (SurfaceStressMeterData: CS = −σ(0), DOL = the depth where the
                     enriching ion's excess fraction falls to 1 % of its surface value)
    oxide_profile    oxide mol % of exchanging oxides M₂O at measured depths (EDX, EPMA),
                     as site fractions χ_M = mol %(M₂O)/total alkali oxide mol %, one time
    stress_profile   σ(x_i, t) at measured depths (polariscope, layer removal), one time

Each kind is a type (ProfileData, …, StressProfileData; DATA_KINDS by name; a
surface_stress dataset of a meter is a SurfaceStressMeterData, which fit files tell from
the time series by its data file) that knows what a recipe must have to model it, how to
predict it from a forward run, and how a report shows it. A recipe is a binary Recipe
(interdiffusion of two ions), a MulticomponentRecipe (N ions; the kinds with
``multicomponent``: every composition and stress kind) or a Nernst–Planck–Poisson
ExperimentRecipe (the kinds with ``experiments``: profile, sims, zone). The rules of a
fit's inputs — a dataset's values and times, a parameter's start and bounds, the options,
the lists given to :func:`fit` — are stated here and raised as FitInputError naming the field; the reader of fit files only
says where in the file the refused value came from.

The fit minimises χ² = Σ_d w_d Σ_i ((model_di − data_di)/σ_di)² over the parameters
shared by all datasets (a *global* fit when several datasets share them), with
Levenberg–Marquardt (lmfit ``leastsq``, MINPACK lmder) or a trust-region reflective
method (lmfit ``least_squares``) inside the parameter bounds.

Numerics (see FitOptions for the measured figures behind the defaults):

* The forward model is an adaptive ODE integration: its output moves in small jumps when
  a parameter change alters the accepted step sequence, and it has kinks where cell
  centres (the mesh scales with the diffusion length) pass a measured depth. Forward runs
  inside a fit therefore use tightened tolerances (FitOptions.rtol/atol, never looser
  than the recipe's own), each Jacobian runs on one mesh, and its step lies far above
  the remaining noise.
* Parameters are varied in scaled form: u = log10(p) when the fit file asks for ``log``
  (positive quantities spanning decades: D, D0, τ), else u = p/|p_start| (O(1)).
* The Jacobian is computed here, not by MINPACK: central differences, two forward runs
  per parameter and per recipe, all on the base point's mesh and all submitted at once to
  the dask client (ionex.process.cluster.run_many), or run serially without a client;
  with an AutoCluster, serially until a local cluster pays (the serial runs are timed).
  lmfit applies the chain rule of its bound transformation to the Jacobian it is given
  (lmfit 1.3 Minimizer._jacobian multiplies the columns by Parameter.scale_gradient for
  leastsq; for least_squares the bounds go to scipy and no transformation is applied).
* Uncertainties come from the covariance (JᵀJ)⁻¹ of a Jacobian recomputed at the
  solution (scaled by χ²_red unless FitOptions.scale_covar is off), propagated from u to
  the physical values: σ_p = |dp/du|·σ_u.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import dataclasses
import math
import re
import time as _time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import ClassVar

import numpy as np

from ..errors import IonexError
from ..physics.stress import stress_metrics
from ..validators import finite
from .properties import History, compute_properties, front_index
from .recipe import Recipe

__all__ = [
    "ProfileData",
    "IndexData",
    "ModesData",
    "SurfaceStressData",
    "SurfaceStressMeterData",
    "METER_QUANTITIES",
    "OxideProfileData",
    "StressProfileData",
    "oxide_cation",
    "FitDataset",
    "FitParameter",
    "FitOptions",
    "DatasetFit",
    "FitResult",
    "FitError",
    "FitInputError",
    "DATA_KINDS",
    "KINDS",
    "check_parameters",
    "check_data",
    "fit",
    "predict",
]


class FitError(IonexError, ValueError):
    """A fit cannot be set up or its forward model failed; the message says where and why."""


class FitInputError(FitError):
    """An input of a fit that breaks one of the fit's rules.

    The rule is stated here, once, by the class or function of this module that owns it; a
    reader of a fit file (ionex.io.fit_file) only locates the error — which parameter,
    dataset or option, which key — and may show the value as the user wrote it.

    The message reads ``"<owner>: found <found>; <expected>"`` (or ``"<owner>: <expected>"``
    when the rule is not about one value).

    Attributes:
        owner: what breaks the rule, as the message names it ("parameter 'ions.K.D'",
            "profile dataset 'k'", "method"); "" for the lists given to :func:`fit`.
        fields: the fields the rule involves, the most to blame first: of FitParameter
            ("name", "value", "min", "max", "log"), of a dataset ("kind", "time", "times",
            "depth", "sigma", "weight", "oxide", "total_alkali_oxide"), of FitOptions, or
            "datasets" for the dataset list.
        position: for a rule on the lists given to fit: the index of the parameter or
            dataset that breaks it; None otherwise.
        found: the value found, as text; None when the rule is not about one value.
        expected: the rule, in words.
        values: SI values that ``found`` and ``expected`` name as {placeholders} (then no
            other braces may appear in them); :meth:`describe` writes them with its ``shown``.
    """

    def __init__(
        self,
        owner: str,
        fields: tuple,
        found: str | None,
        expected: str,
        values: dict | None = None,
        position: int | None = None,
    ):
        self.owner = owner
        self.fields = tuple(fields)
        self.found = found
        self.expected = expected
        self.values = dict(values or {})
        self.position = position
        text = self.describe()
        super().__init__(f"{owner}: {text}" if owner else text)

    def __reduce__(self):  # picklable (raised on dask workers), despite the keyword fields
        args = (self.owner, self.fields, self.found, self.expected, self.values, self.position)
        return type(self), args

    @property
    def field(self) -> str:
        """The field most to blame."""
        return self.fields[0]

    def describe(self, shown=None, found: str | None = None, notes: dict | None = None) -> str:
        """The message without its owner.

        Args:
            shown: writes an SI value of ``values`` as text (default: 6 significant digits).
            found: replaces the found value (e.g. by the value as the user wrote it).
            notes: text to put after a placeholder's value, by placeholder name (where the
                value came from).
        """
        expected = self.expected
        if found is None:
            found = self.found
        if self.values:
            shown = shown or (lambda v: f"{v:.6g}")
            notes = notes or {}
            written = {k: shown(v) + notes.get(k, "") for k, v in self.values.items()}
            expected = expected.format(**written)
            if found is self.found and found is not None:
                found = found.format(**written)
        return expected if found is None else f"found {found}; {expected}"


# --------------------------------------------------------------------------- datasets


def _frozen(values, name: str, where: str, dtype=float) -> np.ndarray:
    a = np.atleast_1d(np.array(values, dtype=dtype))
    if a.ndim != 1:
        raise ValueError(f"{where}: {name} must be one-dimensional")
    a.setflags(write=False)
    return a


# the recipe section a dataset kind needs: how the message names it, and why
_SECTIONS = {
    "optics": ("an [optics] section", "to compute indices"),
    "stress": ("a [stress] section", "to compute the stress"),
}


def _recipe_name(recipe) -> str:
    """The recipe's file name for messages ("the recipe" when it has none)."""
    path = getattr(recipe, "source_path", "")
    return f"the recipe {PurePath(path).name}" if path else "the recipe"


def _is_multicomponent(recipe) -> bool:
    """Whether ``recipe`` is a MulticomponentRecipe (imported only when one is met)."""
    if isinstance(recipe, Recipe) or type(recipe).__name__ != "MulticomponentRecipe":
        return False
    from .multicomponent import MulticomponentRecipe

    return isinstance(recipe, MulticomponentRecipe)


def _recipe_ions(recipe) -> tuple[str, ...]:
    """The exchanging ions of a binary or multicomponent recipe."""
    if isinstance(recipe, Recipe):
        return (recipe.incoming_ion, recipe.glass.host_ion)
    return tuple(recipe.species)


class _Data(ABC):
    """A dataset kind: its validation (matching lengths, finite values, σ > 0), what a
    recipe must have to model it, the model's prediction of it from a forward run, and how
    a report shows it. Each kind is a subclass; ``kind`` is its name in files and reports.

    Class attributes (per kind):
        kind: the name fit files and reports use.  label: the name in report text.
        needs: the recipe sections (Recipe attributes) the model needs.
        experiments: whether a Nernst–Planck–Poisson recipe can model it.
        multicomponent: whether a multicomponent run (MulticomponentRecipe) can model it.
        needs_properties: whether the model needs the run's stress or indices.
        at_one_time: measured at one process time (``time``); else against time.
        abscissa_name, abscissa_unit: what the data were measured against, and its SI unit.
        value_unit: the SI unit of the measured values ("" for a plain number).
        discrete: the abscissa is discrete (mode orders): the model is a set of points.
    """

    kind: ClassVar[str] = ""
    label: ClassVar[str] = ""
    needs: ClassVar[tuple[str, ...]] = ()
    experiments: ClassVar[bool] = False
    multicomponent: ClassVar[bool] = False
    needs_properties: ClassVar[bool] = True
    at_one_time: ClassVar[bool] = True
    abscissa_name: ClassVar[str] = "depth below the surface"
    abscissa_unit: ClassVar[str] = "m"
    value_unit: ClassVar[str] = ""
    discrete: ClassVar[bool] = False
    _abscissa: ClassVar[str] = ""
    _values: ClassVar[str] = ""

    @property
    def owner(self) -> str:
        """The dataset, as messages name it."""
        return f"{self.kind} dataset {self.name!r}"

    def _validate(self) -> None:
        where = self.owner
        x = _frozen(getattr(self, self._abscissa), self._abscissa, where)
        y = _frozen(getattr(self, self._values), self._values, where)
        s = np.broadcast_to(np.asarray(self.sigma, dtype=float), y.shape).copy()
        if x.size != y.size:
            raise ValueError(
                f"{where}: {x.size} {self._abscissa} values but {y.size} {self._values} values"
            )
        if y.size < 1:
            raise ValueError(f"{where}: no data points")
        for a, n in ((x, self._abscissa), (y, self._values), (s, "sigma")):
            finite(a, n, where)
        if np.any(s <= 0):
            i = int(np.argmin(s))
            raise FitInputError(
                where, ("sigma",), f"sigma[{i}] = {s[i]:g}", "expected an uncertainty > 0"
            )
        if not (math.isfinite(self.weight) and self.weight > 0):
            raise FitInputError(
                where, ("weight",), f"weight = {self.weight!r}", "expected a weight > 0"
            )
        time = getattr(self, "time", None)
        if time is not None and not (math.isfinite(time) and time >= 0):
            raise FitInputError(
                where,
                ("time",),
                f"time = {time!r} s",
                "expected a time ≥ 0 from the start of the process",
            )
        s.setflags(write=False)
        object.__setattr__(self, self._abscissa, x)
        object.__setattr__(self, self._values, y)
        object.__setattr__(self, "sigma", s)

    def _check_depths(self) -> None:
        """Depths are measured from the exchanged face: ≥ 0."""
        self._non_negative("depth", "m", "expected depths ≥ 0 below the exchanged face")

    def _check_plate(self, recipe) -> None:
        """The depths lie within the plate (a binary or multicomponent recipe's glass)."""
        thickness = recipe.glass.thickness
        if thickness is not None and self.depth.max() > thickness * (1 + 1e-9):
            i = int(np.argmax(self.depth))
            raise FitInputError(
                self.owner,
                ("depth",),
                f"depth[{i}] = {self.depth[i] * 1e6:.6g} µm",
                f"expected depths within the plate (0 to {thickness * 1e6:.6g} µm)",
            )

    def _non_negative(self, field: str, unit: str, expected: str) -> None:
        """FitInputError naming the most negative value of the array ``field``, if any."""
        values = getattr(self, field)
        if np.any(values < 0):
            i = int(np.argmin(values))
            raise FitInputError(
                self.owner, (field,), f"{field}[{i}] = {values[i]:g} {unit}", expected
            )

    @property
    def abscissa(self) -> np.ndarray:
        """Where the data were measured: depths (m), mode orders, or times (s)."""
        return getattr(self, self._abscissa)

    @property
    def observed(self) -> np.ndarray:
        """The measured values (fractions, indices, effective indices, or Pa)."""
        return getattr(self, self._values)

    @property
    def n_points(self) -> int:
        return int(self.observed.size)

    # ------------------------------------------------------------------ the recipe
    @classmethod
    def check_model(cls, recipe, name: str | None = None) -> None:
        """Raise FitInputError (field "kind") unless ``recipe`` can model a dataset of this
        kind (named ``name`` in the message): it has the sections the kind needs, and is a
        binary Recipe unless the kind fits multicomponent or Nernst–Planck–Poisson recipes
        too."""
        owner = f"{cls.kind} dataset" + ("" if name is None else f" {name!r}")
        if _is_multicomponent(recipe):
            if not cls.multicomponent:
                kinds = ", ".join(k for k, t in DATA_KINDS.items() if t.multicomponent)
                raise FitInputError(
                    owner,
                    ("kind",),
                    None,
                    f"expected one of {kinds}: a multicomponent recipe models compositions "
                    "and stress (it has no [optics])",
                )
            if "stress" in cls.needs and recipe.stress is None:
                what, why = _SECTIONS["stress"]
                raise FitInputError(
                    owner, ("kind",), None, f"expected {what} in {_recipe_name(recipe)} ({why})"
                )
            return
        if not isinstance(recipe, Recipe):
            if not cls.experiments:
                raise FitInputError(
                    owner,
                    ("kind",),
                    None,
                    "expected a profile dataset: a Nernst–Planck–Poisson recipe can be fitted "
                    "to profiles only",
                )
            return
        for section in cls.needs:
            if getattr(recipe, section) is None:
                what, why = _SECTIONS[section]
                raise FitInputError(
                    owner, ("kind",), None, f"expected {what} in {_recipe_name(recipe)} ({why})"
                )

    def check_recipe(self, recipe) -> None:
        """Raise FitInputError unless ``recipe`` can model this dataset: check_model, and
        for a binary or multicomponent recipe every measurement inside the process (times,
        depths)."""
        self.check_model(recipe, self.name)
        if isinstance(recipe, Recipe) or _is_multicomponent(recipe):
            self._check_inside(recipe)

    def _check_inside(self, recipe) -> None:
        """The time measured lies within the process."""
        if self.time is not None:
            _check_time(self, "time", 0, self.time, recipe.total_time)

    # ------------------------------------------------------------------ the model
    def _time_in(self, total: float) -> float:
        """The output time (s) measured: its own (within ``total``), or the end."""
        return total if self.time is None else min(self.time, total)

    def output_times(self, total: float, curves: bool = False) -> set[float]:
        """The process times (s) a forward run of ``total`` s must output for this dataset
        (with ``curves``: also those of its model curve)."""
        return {self._time_in(total)}

    @abstractmethod
    def predict(self, result, props, curves: bool = False) -> Prediction:
        """The model of this dataset from a forward run ``result``, with a curve to plot
        when ``curves``: a binary Result (its properties ``props`` when needs_properties)
        or, for kinds with ``multicomponent``, a MulticomponentResult (``props`` None: the
        run carries its own stress)."""

    def predict_experiment(self, result, curves: bool = False) -> Prediction:
        """The model of this dataset from a Nernst–Planck–Poisson run (kinds with
        ``experiments`` only; check_recipe refuses the others before a run)."""
        raise FitInputError(
            self.owner,
            ("kind",),
            None,
            f"a Nernst–Planck–Poisson run models profile datasets only, not a {self.label}",
        )

    # ------------------------------------------------------------------ reports
    @property
    @abstractmethod
    def value_name(self) -> str:
        """What the values are, in words (a plot's axis)."""

    def groups(self, curve) -> list[tuple[str, np.ndarray, object]]:
        """The data as series to draw, each (name, mask of its points, its model curve
        (abscissa, model) or None), from the curve of a DatasetFit."""
        return [("", np.ones(self.n_points, dtype=bool), curve)]

    def series_axis(self, name: str) -> tuple[str, str]:
        """(what, SI unit) of the series ``name`` of groups(): a plot gives each unit its
        own axis."""
        return self.value_name, self.value_unit


def _check_ions(data, field: str, ions, recipe) -> None:
    """A multicomponent recipe has each ion a dataset measures (a binary run names its
    two ions when predicted)."""
    if not _is_multicomponent(recipe):
        return
    for ion in ions:
        if ion not in recipe.species:
            raise FitInputError(
                data.owner,
                (field,),
                f"{field} {ion!r}" if ion is not None else f"no {field}",
                f"expected an ion of {_recipe_name(recipe)}: {', '.join(recipe.species)}",
            )


def _check_time(data, field: str, i: int, t: float, total: float) -> None:
    """A measured time (s) must lie within the process (``total`` s)."""
    if t > total * (1 + 1e-12):
        at = field if field == "time" else f"{field}[{i}]"
        raise FitInputError(
            data.owner,
            (field,),
            f"{at} = {t / 3600:.6g} h",
            f"expected a time from 0 to the end of the process, {total / 3600:.6g} h",
        )


@dataclass(frozen=True, eq=False)
class ProfileData(_Data):
    """A measured composition profile (EPMA, SIMS) at one time.

    Attributes:
        depth: depths below the exchanged face (m, ≥ 0).
        fraction: site fraction of ``ion`` at those depths (dimensionless).
        sigma: 1-σ uncertainty of each fraction (dimensionless; scalar or per point).
        time: time from the start of the process (s); None = the end of the process.
        ion: the ion measured ("K", "Na", or an NPP species); None = the incoming ion.
        name: a label.  weight: multiplier of the dataset's χ² contribution (> 0).
    """

    depth: np.ndarray
    fraction: np.ndarray
    sigma: np.ndarray | float
    time: float | None = None
    ion: str | None = None
    name: str = "profile"
    weight: float = 1.0
    kind: ClassVar[str] = "profile"
    label: ClassVar[str] = "profile"
    experiments: ClassVar[bool] = True
    multicomponent: ClassVar[bool] = True
    needs_properties: ClassVar[bool] = False
    _abscissa: ClassVar[str] = "depth"
    _values: ClassVar[str] = "fraction"

    def __post_init__(self):
        self._validate()
        self._check_depths()

    def _check_inside(self, recipe) -> None:
        """The time lies within the process, the depths within the plate, and a
        multicomponent recipe has the ion measured."""
        super()._check_inside(recipe)
        self._check_plate(recipe)
        _check_ions(self, "ion", (self.ion,), recipe)

    def predict(self, result, props, curves: bool = False) -> Prediction:
        """χ_ion(x_i, t) interpolated linearly between cell centres (the surface point
        holds the bath fraction); binary or multicomponent runs."""
        k = _index_of(result, self._time_in(result.recipe.total_time))
        return self._seen(*_whole_profile(result, k, self.ion), curves)

    def predict_experiment(self, result, curves: bool = False) -> Prediction:
        """The fraction of the species ``ion`` of a Nernst–Planck–Poisson run."""
        k = result.times.size - 1 if self.time is None else _index_of(result, self.time)
        if self.ion is None:
            raise FitError(
                f"{self.owner}: name the species measured (frac_<species>) for an NPP recipe"
            )
        try:
            y = result.fraction(self.ion)[k]
        except KeyError as exc:
            raise FitError(f"{self.owner}: {exc.args[0]}") from None
        return self._seen(result.depth, y, curves)

    def _seen(self, xs, ys, curves: bool) -> Prediction:
        """The model profile (xs, ys) as the data measure it: at the measured depths."""
        return _interpolated(self.depth, xs, ys, curves)

    @property
    def value_name(self) -> str:
        return f"site fraction of {self.ion}⁺"


@dataclass(frozen=True, eq=False)
class SimsData(ProfileData):
    """A sputter depth profile (ToF-SIMS) of one species at one time, compared with the model
    as the instrument sees it: the model profile convolved with the depth resolution
    (ionex.physics.depth_resolution) before it meets the data.

    Attributes (besides ProfileData's):
        resolution: the DepthResolution of the measurement (e.g. GaussianResolution of the
            crater's rms roughness).
    """

    resolution: object = None
    kind: ClassVar[str] = "sims"
    label: ClassVar[str] = "SIMS profile"

    def __post_init__(self):
        super().__post_init__()
        from ..physics.depth_resolution import DepthResolution

        if not isinstance(self.resolution, DepthResolution):
            raise FitInputError(
                self.owner,
                ("resolution",),
                f"resolution = {self.resolution!r}",
                "expected a depth resolution (GaussianResolution or MriResolution)",
            )

    def _seen(self, xs, ys, curves: bool) -> Prediction:
        """The model profile convolved with the resolution, at the measured depths."""
        from ..physics.depth_resolution import convolve_profile

        values = convolve_profile(xs, ys, self.resolution, self.depth)
        curve = None
        if curves:
            xf = _fine(min(1.15 * float(self.depth.max()), float(xs[-1])))
            curve = (xf, convolve_profile(xs, ys, self.resolution, xf))
        return Prediction(values, (), curve)

    @property
    def value_name(self) -> str:
        return f"site fraction of {self.ion}⁺ as measured"


@dataclass(frozen=True, eq=False)
class ZoneData(_Data):
    """Mean site fractions of several species over one depth range at one time: a zone
    composition read off a measured profile or reported in a paper.

    Attributes:
        species: the species (or ions) measured, one per value.
        fraction: the mean site fraction of each over the range (dimensionless).
        sigma: 1-σ uncertainty of each mean (dimensionless; scalar or per species).
        depth_range: (from, to) below the exchanged face (m, 0 ≤ from < to).
        time: time from the start of the process (s); None = the end of the process.
        name: a label.  weight: multiplier of the dataset's χ² contribution (> 0).
    """

    species: tuple
    fraction: np.ndarray
    sigma: np.ndarray | float
    depth_range: tuple
    time: float | None = None
    name: str = "zone"
    weight: float = 1.0
    position: np.ndarray = field(init=False, repr=False)
    kind: ClassVar[str] = "zone"
    label: ClassVar[str] = "zone composition"
    experiments: ClassVar[bool] = True
    multicomponent: ClassVar[bool] = True
    needs_properties: ClassVar[bool] = False
    discrete: ClassVar[bool] = True
    abscissa_name: ClassVar[str] = "species"
    abscissa_unit: ClassVar[str] = ""
    _abscissa: ClassVar[str] = "position"
    _values: ClassVar[str] = "fraction"

    def __post_init__(self):
        species = tuple(self.species)
        object.__setattr__(self, "species", species)
        object.__setattr__(self, "position", np.arange(len(species), dtype=float))
        self._validate()
        lo, hi = (float(v) for v in self.depth_range)
        if not (math.isfinite(lo) and math.isfinite(hi) and 0.0 <= lo < hi):
            raise FitInputError(
                self.owner,
                ("depth_range",),
                f"depth_range = ({lo:g}, {hi:g}) m",
                "expected 0 ≤ from < to below the exchanged face",
            )
        object.__setattr__(self, "depth_range", (lo, hi))

    def _check_inside(self, recipe) -> None:
        """The time lies within the process, and a multicomponent recipe has every species."""
        super()._check_inside(recipe)
        _check_ions(self, "species", self.species, recipe)

    def _mean(self, depth, profile) -> float:
        """The mean of a profile (linear between the given depths, m) over the range."""
        lo, hi = self.depth_range
        x = np.linspace(lo, hi, 4001)
        return float(np.trapezoid(np.interp(x, depth, profile), x) / (hi - lo))

    def predict(self, result, props, curves: bool = False) -> Prediction:
        """The mean χ of each ion over the range (the profile linear between cell centres,
        the surface point holding the bath fraction)."""
        k = _index_of(result, self._time_in(result.recipe.total_time))
        values = [self._mean(*_whole_profile(result, k, s)) for s in self.species]
        return Prediction(np.array(values), (), None)

    def predict_experiment(self, result, curves: bool = False) -> Prediction:
        """The mean fraction of each species of a Nernst–Planck–Poisson run over the range."""
        k = result.times.size - 1 if self.time is None else _index_of(result, self.time)
        try:
            values = [self._mean(result.depth, result.fraction(s)[k]) for s in self.species]
        except KeyError as exc:
            raise FitError(f"{self.owner}: {exc.args[0]}") from None
        return Prediction(np.array(values), (), None)

    @property
    def value_name(self) -> str:
        lo, hi = self.depth_range
        return f"mean site fraction over {lo * 1e9:g}–{hi * 1e9:g} nm"


@dataclass(frozen=True, eq=False)
class IndexData(_Data):
    """A measured refractive-index profile (e.g. an inverse-WKB reconstruction) at one time.

    Attributes:
        depth: depths below the exchanged face (m, ≥ 0).
        index: refractive index at those depths (dimensionless).
        sigma: 1-σ uncertainty of each index (dimensionless; scalar or per point).
        polarisation: "TE" (n_TE), "TM" (n_TM) or "none" (the stress-free index n_0).
        time: s from the start of the process; None = the end.  name, weight: as ProfileData.
    """

    depth: np.ndarray
    index: np.ndarray
    sigma: np.ndarray | float
    polarisation: str = "TE"
    time: float | None = None
    name: str = "index"
    weight: float = 1.0
    kind: ClassVar[str] = "index"
    label: ClassVar[str] = "index profile"
    needs: ClassVar[tuple[str, ...]] = ("optics",)
    _abscissa: ClassVar[str] = "depth"
    _values: ClassVar[str] = "index"

    def __post_init__(self):
        if self.polarisation not in ("TE", "TM", "none"):
            raise ValueError(
                f'index dataset {self.name!r}: polarisation {self.polarisation!r}; expected "TE", "TM" or "none"'
            )
        self._validate()
        self._check_depths()

    def predict(self, result, props, curves: bool = False) -> Prediction:
        """n(x_i, t) of the polarisation, interpolated linearly between cell centres."""
        k = _index_of(result, self._time_in(result.recipe.total_time))
        xs, ns = front_index(result, props, k, self.polarisation)
        return _interpolated(self.depth, xs, ns, curves)

    @property
    def value_name(self) -> str:
        return {"TE": "n_TE", "TM": "n_TM", "none": "n₀"}[self.polarisation]


@dataclass(frozen=True, eq=False)
class ModesData(_Data):
    """Measured effective indices of guided modes (a prism-coupler mode list) at one time.

    Attributes:
        polarisation: "TE" or "TM" of each measured mode.
        order: mode order m = 0, 1, … of each measured mode.
        effective_index: N of each measured mode (dimensionless).
        sigma: 1-σ uncertainty of each N (dimensionless; scalar or per mode).
        time: s from the start of the process; None = the end.  name, weight: as ProfileData.
    """

    polarisation: tuple
    order: np.ndarray
    effective_index: np.ndarray
    sigma: np.ndarray | float
    time: float | None = None
    name: str = "modes"
    weight: float = 1.0
    kind: ClassVar[str] = "modes"
    label: ClassVar[str] = "mode indices"
    needs: ClassVar[tuple[str, ...]] = ("optics",)
    abscissa_name: ClassVar[str] = "mode order m"
    abscissa_unit: ClassVar[str] = ""
    discrete: ClassVar[bool] = True
    _abscissa: ClassVar[str] = "order"
    _values: ClassVar[str] = "effective_index"

    def __post_init__(self):
        pols = tuple(str(p) for p in np.atleast_1d(self.polarisation))
        bad = [p for p in pols if p not in ("TE", "TM")]
        if bad:
            raise ValueError(
                f'modes dataset {self.name!r}: polarisation {bad[0]!r}; expected "TE" or "TM"'
            )
        object.__setattr__(self, "polarisation", pols)
        self._validate()
        if len(pols) != self.order.size:
            raise ValueError(
                f"modes dataset {self.name!r}: {len(pols)} polarisations for {self.order.size} modes"
            )
        if np.any(self.order < 0) or np.any(self.order != np.round(self.order)):
            raise ValueError(f"modes dataset {self.name!r}: mode orders must be whole numbers ≥ 0")

    def _mask(self, pol: str) -> np.ndarray:
        return np.array([p == pol for p in self.polarisation])

    def predict(self, result, props, curves: bool = False) -> Prediction:
        """N_m of the index profile at t; a mode the model does not guide is compared with
        the substrate index, its cut-off value, and noted."""
        from ..solvers.modes import solve_modes

        k = _index_of(result, self._time_in(result.recipe.total_time))
        o = result.recipe.optics
        values = np.empty(self.n_points)
        notes = []
        curve = {}
        for pol in ("TE", "TM"):
            mine = self._mask(pol)
            if not mine.any():
                continue
            depth, index = front_index(result, props, k, pol)
            n_eff = solve_modes(
                depth, index, o.wavelength, cover_index=o.cover_index, polarisations=(pol,)
            ).effective_indices(pol)
            cutoff = float(index[-1])  # a mode at cut-off has N = n_substrate: a continuous penalty
            orders = self.order[mine].astype(int)
            values[mine] = [n_eff[m] if m < n_eff.size else cutoff for m in orders]
            if orders.max() >= n_eff.size:
                notes.append(
                    f"{self.owner}: the model guides {n_eff.size} {pol} mode(s) but mode "
                    f"{int(orders.max())} was measured; each missing mode is compared with the cut-off "
                    f"(substrate index {cutoff:.6f})"
                )
            curve[pol] = (np.arange(n_eff.size), n_eff)
        return Prediction(values, tuple(notes), curve if curves else None)

    @property
    def value_name(self) -> str:
        return "effective index N"

    def groups(self, curve) -> list[tuple[str, np.ndarray, object]]:
        """One series per polarisation, with the model's modes of that polarisation."""
        curve = curve or {}
        return [(pol, self._mask(pol), curve.get(pol)) for pol in ("TE", "TM")]


@dataclass(frozen=True, eq=False)
class SurfaceStressData(_Data):
    """Measured surface stress σ(0, t) against process time (e.g. from TE/TM mode shifts).

    Attributes:
        times: s from the start of the process.
        stress: σ at the surface (Pa; compression < 0, as ionex writes stress).
        sigma: 1-σ uncertainty (Pa; scalar or per point).  name, weight: as ProfileData.
    """

    times: np.ndarray
    stress: np.ndarray
    sigma: np.ndarray | float
    name: str = "surface_stress"
    weight: float = 1.0
    kind: ClassVar[str] = "surface_stress"
    label: ClassVar[str] = "surface stress"
    needs: ClassVar[tuple[str, ...]] = ("stress",)
    multicomponent: ClassVar[bool] = True
    at_one_time: ClassVar[bool] = False
    abscissa_name: ClassVar[str] = "time"
    abscissa_unit: ClassVar[str] = "s"
    value_unit: ClassVar[str] = "Pa"
    _abscissa: ClassVar[str] = "times"
    _values: ClassVar[str] = "stress"

    def __post_init__(self):
        self._validate()
        self._non_negative("times", "s", "expected times ≥ 0 from the start of the process")

    def _check_inside(self, recipe) -> None:
        """Every time lies within the process."""
        i = int(np.argmax(self.times))
        _check_time(self, "times", i, float(self.times[i]), recipe.total_time)

    def output_times(self, total: float, curves: bool = False) -> set[float]:
        """Every measured time, and with ``curves`` 60 more up to just past the last."""
        out = {min(float(t), total) for t in self.times}
        if curves:
            out.update(
                np.linspace(0.0, min(total, 1.05 * float(self.times.max())), 61)[1:].tolist()
            )
        return out

    def predict(self, result, props, curves: bool = False) -> Prediction:
        """σ(0, t_i), linearly extrapolated to the surface from the first two cells."""
        s = _stress_of(result, props)
        x = result.depth
        # σ(0) by linear extrapolation of the first two cells (the first centre lies
        # ~1e-3 diffusion lengths deep: a second-order surface value, not the cell's)
        surface = s[:, 0] - x[0] * (s[:, 1] - s[:, 0]) / (x[1] - x[0])
        surface = np.where(result.times <= 0.0, 0.0, surface)
        values = np.array([surface[_index_of(result, float(t))] for t in self.times])
        curve = None
        if curves:
            keep = result.times <= 1.05 * float(self.times.max()) * (1 + 1e-12)
            curve = (result.times[keep], surface[keep])
        return Prediction(values, (), curve)

    @property
    def value_name(self) -> str:
        return "surface stress σ(0, t)"


METER_QUANTITIES = ("CS", "DOL")  # what a surface stress meter reports per sample
DOL_FRACTION = 0.01  # DOL: the enriching ion's excess falls to this fraction of its surface value


@dataclass(frozen=True, eq=False)
class SurfaceStressMeterData(_Data):
    """A surface stress meter's results (FSM-6000-type, from the mode lines of the layer the
    exchange enriches): CS and DOL of samples of one process, compared with the model at
    the end of the process (or at ``time``). Every sample is a repeated measurement of the
    same process, so each row adds a CS and a DOL residual against the same model values:

        CS  = −σ(0)   σ linearly extrapolated to the face from the first two cells (Pa, > 0)
        DOL = the first depth where Δχ(x) = χ_ion(x) − χ_ion⁰ falls to DOL_FRACTION (1 %)
              of Δχ at the first cell centre (m)

    with χ_ion⁰ the glass's starting fraction of the enriching ion (0 in a binary recipe).
    For a binary recipe this is the depth_of_layer of ionex's stress metrics
    (ionex.physics.stress.stress_metrics, the figure ``ionex run`` reports); for a
    multicomponent recipe it is the same function applied to the excess of ``ion``
    (default K⁺, the spike a meter sees on a lithium glass): MultiIonStressMetrics has no
    layer depth of its own — its knee_depth is a feature of σ, NaN after one step although
    the K⁺ layer has a depth, and its depth_of_compression is where σ turns tensile, at
    the end of the deep Na⁺ tail rather than of the K⁺ layer whose modes the meter reads.
    A meter infers its DOL from the mode spectrum through a model of the index profile's
    shape, so its DOL may differ from this one by a factor of that shape (the same for
    every sample of a process); a mode list (ModesData) avoids that model.

    Attributes:
        sample: the sample of each value.  quantity: "CS" or "DOL" of each value.
        value: CS (Pa, > 0 in compression) or DOL (m, > 0).
        sigma: 1-σ uncertainty of each value (Pa or m; scalar or per value).
        ion: the enriching ion whose layer DOL measures: None = a binary recipe's incoming
            ion, or K for a multicomponent recipe.
        time: s from the start of the process; None = the end.  name, weight: as ProfileData.
    """

    sample: tuple
    quantity: tuple
    value: np.ndarray
    sigma: np.ndarray | float
    ion: str | None = None
    time: float | None = None
    name: str = "surface_stress"
    weight: float = 1.0
    position: np.ndarray = field(init=False, repr=False)
    kind: ClassVar[str] = "surface_stress"
    label: ClassVar[str] = "surface stress meter (CS, DOL)"
    needs: ClassVar[tuple[str, ...]] = ("stress",)
    multicomponent: ClassVar[bool] = True
    discrete: ClassVar[bool] = True
    abscissa_name: ClassVar[str] = "sample"
    abscissa_unit: ClassVar[str] = ""
    _abscissa: ClassVar[str] = "position"
    _values: ClassVar[str] = "value"

    def __post_init__(self):
        samples = tuple(str(x) for x in self.sample)
        quantities = tuple(self.quantity)
        object.__setattr__(self, "sample", samples)
        object.__setattr__(self, "quantity", quantities)
        if len(samples) != len(quantities):
            raise ValueError(
                f"{self.owner}: {len(samples)} samples but {len(quantities)} quantities"
            )
        for q in quantities:
            if q not in METER_QUANTITIES:
                raise FitInputError(self.owner, ("quantity",), repr(q), 'expected "CS" or "DOL"')
        order = list(dict.fromkeys(samples))
        object.__setattr__(self, "position", np.array([order.index(x) for x in samples], float))
        self._validate()
        if np.any(self.value <= 0):
            i = int(np.argmin(self.value))
            unit = "Pa" if quantities[i] == "CS" else "m"
            raise FitInputError(
                self.owner,
                ("value",),
                f"{quantities[i]} of {samples[i]!r} = {self.value[i]:g} {unit}",
                "expected CS > 0 (compression) and DOL > 0, as a surface stress meter reports them",
            )

    @classmethod
    def from_meter(
        cls,
        samples,
        compressive_stress,
        depth_of_layer,
        *,
        sigma_cs: float | None = None,
        sigma_dol: float | None = None,
        use=METER_QUANTITIES,
        ion: str | None = None,
        time: float | None = None,
        name: str = "surface_stress",
        weight: float = 1.0,
    ) -> SurfaceStressMeterData:
        """The dataset of a meter's rows: the CS and/or DOL of each sample (``use``).

        Args:
            samples: the samples' names.  compressive_stress: CS of each (Pa, > 0).
            depth_of_layer: DOL of each (m).
            sigma_cs, sigma_dol: 1-σ of every CS (Pa) and every DOL (m); each needed when
                its quantity is used, and only then.
            use: the quantities compared, a subset of ("CS", "DOL"), each once.
            ion, time, name, weight: as the dataset's.
        """
        owner = f"{cls.kind} dataset {name!r}"
        use = (use,) if isinstance(use, str) else tuple(use)
        for q in use:
            if q not in METER_QUANTITIES:
                raise FitInputError(
                    owner, ("use",), repr(q), 'expected "CS" and/or "DOL", what a meter reports'
                )
        if not use or len(set(use)) != len(use):
            raise FitInputError(
                owner, ("use",), repr(list(use)), 'expected "CS", "DOL" or both, each once'
            )
        samples = tuple(samples)
        columns = {"CS": compressive_stress, "DOL": depth_of_layer}
        sigmas = {"CS": ("sigma_cs", sigma_cs, "Pa"), "DOL": ("sigma_dol", sigma_dol, "m")}
        for q in METER_QUANTITIES:
            key, s, unit = sigmas[q]
            if q in use and s is None:
                raise FitInputError(
                    owner,
                    (key,),
                    None,
                    f"missing; expected the 1-σ uncertainty of every {q} ({unit})",
                )
            if q not in use and s is not None:
                raise FitInputError(
                    owner,
                    (key,),
                    None,
                    f"given, but use leaves {q} out; expected {key} only with {q}",
                )
        quantity, value, sigma, sample = [], [], [], []
        for q in (q for q in METER_QUANTITIES if q in use):
            values = np.atleast_1d(np.asarray(columns[q], dtype=float))
            if values.size != len(samples):
                raise ValueError(f"{owner}: {values.size} {q} values for {len(samples)} samples")
            key, s, unit = sigmas[q]
            if not (math.isfinite(s) and s > 0):
                raise FitInputError(owner, (key,), f"{s:g} {unit}", "expected an uncertainty > 0")
            quantity += [q] * values.size
            value.append(values)
            sigma += [s] * values.size
            sample += samples
        return cls(
            tuple(sample),
            tuple(quantity),
            np.concatenate(value),
            np.array(sigma),
            ion=ion,
            time=time,
            name=name,
            weight=weight,
        )

    def _mask(self, quantity: str) -> np.ndarray:
        return np.array([q == quantity for q in self.quantity])

    def _layer_ion(self, recipe) -> str:
        """The ion whose enriched layer DOL measures."""
        if self.ion is not None:
            return self.ion
        return recipe.incoming_ion if isinstance(recipe, Recipe) else "K"

    def _check_inside(self, recipe) -> None:
        """The time lies within the process, and DOL names an ion the recipe exchanges in:
        a binary recipe's incoming ion, an ion of a multicomponent recipe."""
        super()._check_inside(recipe)
        if "DOL" not in self.quantity:
            return
        ion = self._layer_ion(recipe)
        if isinstance(recipe, Recipe):
            if ion != recipe.incoming_ion:
                raise FitInputError(
                    self.owner,
                    ("ion",),
                    f"ion {ion!r}",
                    f"expected the incoming ion {recipe.incoming_ion} of {_recipe_name(recipe)}: "
                    "DOL is the depth of the layer it enriches",
                )
        elif ion not in recipe.species:
            found = f"ion {ion!r}" if self.ion is not None else "no ion, and no K in the recipe"
            raise FitInputError(
                self.owner,
                ("ion",),
                found,
                f"expected the ion whose enriched layer the meter's DOL measures, one of "
                f"{', '.join(recipe.species)} of {_recipe_name(recipe)}",
            )

    def _layer_depth(self, result, props, k: int, stress) -> tuple[float, tuple]:
        """DOL (m) at output k, and a note when the layer reaches through the domain."""
        recipe = result.recipe
        ion = self._layer_ion(recipe)
        if props is None:  # a multicomponent run: the same definition on the ion's excess
            excess = result.fraction(ion)[k] - recipe.glass.initial.get(ion, 0.0)
            dol = stress_metrics(result.depth, stress, excess).depth_of_layer
            top = float(excess[0])
        else:
            dol = props.metrics[k].depth_of_layer
            top = float(result.frac_incoming[k][0])
        if not top > 0.0:
            raise FitError(
                f"{self.owner}: at t = {result.times[k] / 3600:.6g} h the surface holds no "
                f"{ion}⁺ beyond the glass's own (excess {top:.3g}); a DOL needs a layer the "
                "exchange enriches"
            )
        if math.isfinite(dol):
            return float(dol), ()
        # the layer reaches the far side (or the mid-plane): its depth is the domain's, a
        # continuous limit of the 1 % depth as it approaches it
        g = recipe.glass
        end = g.thickness / 2 if g.thickness is not None and g.faces == "both" else result.depth[-1]
        note = (
            f"{self.owner}: the {ion}⁺ excess stays above {DOL_FRACTION:.0%} of its surface value "
            f"through the modelled depth; DOL is taken as {end * 1e6:.6g} µm"
        )
        return float(end), (note,)

    def predict(self, result, props, curves: bool = False) -> Prediction:
        """CS = −σ(0) and DOL of the run at the dataset's time, for every sample."""
        k = _index_of(result, self._time_in(result.recipe.total_time))
        stress = _stress_of(result, props)[k]
        model = {"CS": -float(_stress_profile(result, stress)[1][0]), "DOL": math.nan}
        notes: tuple = ()
        if "DOL" in self.quantity:
            model["DOL"], notes = self._layer_depth(result, props, k, stress)
        values = np.array([model[q] for q in self.quantity])
        curve = None
        if curves:
            curve = {
                q: (self.position[m], values[m])
                for q in METER_QUANTITIES
                if (m := self._mask(q)).any()
            }
        return Prediction(values, notes, curve)

    @property
    def value_name(self) -> str:
        return "CS (Pa) and DOL (m)"

    def groups(self, curve) -> list[tuple[str, np.ndarray, object]]:
        """One series per quantity (CS, DOL), with its model at each sample."""
        curve = curve or {}
        return [(q, self._mask(q), curve.get(q)) for q in METER_QUANTITIES if self._mask(q).any()]

    def series_axis(self, name: str) -> tuple[str, str]:
        """CS in Pa, DOL in m: two axes."""
        return {"CS": ("CS", "Pa"), "DOL": ("DOL", "m")}[name]


_OXIDE = re.compile(r"([A-Z][a-z]?)2O")


def oxide_cation(oxide: str) -> str | None:
    """The monovalent cation M of an oxide M₂O ("K2O" → "K"); None for any other oxide
    (SiO2, Al2O3, MgO: not exchanged one for one with the alkalis)."""
    m = _OXIDE.fullmatch(oxide) if isinstance(oxide, str) else None
    return m.group(1) if m else None


@dataclass(frozen=True, eq=False)
class OxideProfileData(_Data):
    """A measured composition profile in oxide mol % (an EDX or EPMA line scan from the
    exchanged face) of one or more exchanging oxides M₂O at one time, as the site
    fractions of their cations.

        χ_M = c(M₂O) / c_T,   σ_χ = σ(c) / c_T

    with c(M₂O) the measured mol % of the oxide and c_T (``total_alkali_oxide``) the
    mol % of all exchanging oxides Σ_j c(M_j₂O) of the glass, measured or not (Li₂O, which
    EDX does not detect, included). Each M₂O unit holds two cations, in the numerator as
    in the total, so the factor 2 cancels. The exchange swaps cations one for one, so
    c_T is the same at every depth and time: the bulk glass's, read off its nominal
    composition. Build from the measured contents with :meth:`from_mol_pct`.

    Attributes:
        oxide: the oxide of each point ("Na2O"); ``ion`` holds its cation ("Na").
        depth: depths below the exchanged face (m, ≥ 0).
        fraction: site fraction χ of the oxide's cation at those depths (dimensionless).
        sigma: 1-σ uncertainty of each χ (dimensionless; scalar or per point).
        total_alkali_oxide: c_T (mol %, in (0, 100]).
        time: s from the start of the process; None = the end.  name, weight: as ProfileData.
    """

    oxide: tuple
    depth: np.ndarray
    fraction: np.ndarray
    sigma: np.ndarray | float
    total_alkali_oxide: float
    time: float | None = None
    name: str = "oxide_profile"
    weight: float = 1.0
    ion: tuple = field(init=False, repr=False)
    kind: ClassVar[str] = "oxide_profile"
    label: ClassVar[str] = "oxide profile"
    multicomponent: ClassVar[bool] = True
    needs_properties: ClassVar[bool] = False
    _abscissa: ClassVar[str] = "depth"
    _values: ClassVar[str] = "fraction"

    def __post_init__(self):
        oxides = tuple(str(o) for o in np.atleast_1d(np.asarray(self.oxide, dtype=object)))
        object.__setattr__(self, "oxide", oxides)
        for o in dict.fromkeys(oxides):
            if oxide_cation(o) is None:
                raise FitInputError(
                    self.owner,
                    ("oxide",),
                    f"oxide {o!r}",
                    "expected an exchanging oxide M2O of a monovalent cation (Li2O, Na2O, K2O, …)",
                )
        object.__setattr__(self, "ion", tuple(oxide_cation(o) for o in oxides))
        total = self.total_alkali_oxide
        if not (isinstance(total, (int, float)) and math.isfinite(total) and 0 < total <= 100):
            raise FitInputError(
                self.owner,
                ("total_alkali_oxide",),
                f"total_alkali_oxide = {total!r} mol %",
                "expected the mol % of all exchanging oxides of the glass, in (0, 100]",
            )
        self._validate()
        if len(oxides) != self.depth.size:
            raise ValueError(f"{self.owner}: {len(oxides)} oxides for {self.depth.size} depths")
        self._check_depths()

    @classmethod
    def from_mol_pct(
        cls,
        depth,
        contents: Mapping[str, object],
        sigma,
        total_alkali_oxide: float,
        *,
        time: float | None = None,
        name: str = "oxide_profile",
        weight: float = 1.0,
    ) -> OxideProfileData:
        """The dataset of oxide contents measured at common depths.

        Args:
            depth: depths (m), one per measurement row.
            contents: measured mol % per oxide, {"Na2O": array like depth, …}.
            sigma: 1-σ of each content (mol %): a number, one per oxide {"Na2O": σ, …},
                or an array like depth (each row's σ, for every oxide).
            total_alkali_oxide: c_T (mol %).
            time, name, weight: as the dataset's.
        """
        depth = np.atleast_1d(np.asarray(depth, dtype=float))
        oxides, xs, cs, ss = [], [], [], []
        for oxide, values in contents.items():
            values = np.atleast_1d(np.asarray(values, dtype=float))
            s = sigma.get(oxide) if isinstance(sigma, Mapping) else sigma
            if s is None:
                raise FitInputError(
                    f"{cls.kind} dataset {name!r}",
                    ("sigma",),
                    f"no sigma for {oxide}",
                    "expected one uncertainty per oxide measured",
                )
            if values.size != depth.size:
                raise ValueError(
                    f"{cls.kind} dataset {name!r}: {values.size} {oxide} values for "
                    f"{depth.size} depths"
                )
            oxides += [oxide] * values.size
            xs.append(depth)
            cs.append(values)
            ss.append(np.broadcast_to(np.asarray(s, dtype=float), values.shape))
        total = total_alkali_oxide
        real = isinstance(total, (int, float)) and math.isfinite(total) and total > 0
        scale = float(total) if real else 1.0  # a refused total: __post_init__ says so
        return cls(
            tuple(oxides),
            np.concatenate(xs) if xs else np.array([]),
            np.concatenate(cs) / scale if cs else np.array([]),
            np.concatenate(ss) / scale if ss else 1.0,
            total,
            time=time,
            name=name,
            weight=weight,
        )

    @property
    def oxides(self) -> tuple[str, ...]:
        """The oxides measured, in the order of the data."""
        return tuple(dict.fromkeys(self.oxide))

    def _mask(self, oxide: str) -> np.ndarray:
        return np.array([o == oxide for o in self.oxide])

    def _check_inside(self, recipe) -> None:
        """The time lies within the process, the depths within the plate, and every
        oxide's cation is an ion of the recipe."""
        ions = _recipe_ions(recipe)
        for oxide in self.oxides:
            if oxide_cation(oxide) not in ions:
                raise FitInputError(
                    self.owner,
                    ("oxide",),
                    f"{oxide}, whose cation {oxide_cation(oxide)} is not an ion of "
                    f"{_recipe_name(recipe)}",
                    f"expected oxides of its ions: {', '.join(i + '2O' for i in ions)}",
                )
        super()._check_inside(recipe)
        self._check_plate(recipe)

    def predict(self, result, props, curves: bool = False) -> Prediction:
        """χ of each oxide's cation at its depths, interpolated linearly between cell
        centres (the surface point holds the bath fraction)."""
        k = _index_of(result, self._time_in(result.recipe.total_time))
        values = np.empty(self.n_points)
        curve = {}
        for oxide in self.oxides:
            mine = self._mask(oxide)
            pred = _interpolated(
                self.depth[mine], *_whole_profile(result, k, oxide_cation(oxide)), curves
            )
            values[mine] = pred.values
            curve[oxide] = pred.curve
        return Prediction(values, (), curve if curves else None)

    @property
    def value_name(self) -> str:
        return f"site fraction χ = mol % M₂O / {self.total_alkali_oxide:g} mol %"

    def groups(self, curve) -> list[tuple[str, np.ndarray, object]]:
        """One series per oxide, with its model curve."""
        curve = curve or {}
        return [(o, self._mask(o), curve.get(o)) for o in self.oxides]


@dataclass(frozen=True, eq=False)
class StressProfileData(_Data):
    """A measured residual-stress depth profile σ(x) at one time (scattered-light or
    refracted-near-field polariscope, FSM with an inverse analysis, layer removal).

    Attributes:
        depth: depths below the exchanged face (m, ≥ 0).
        stress: σ at those depths (Pa; compression < 0, as ionex writes stress: a reader
            turns a compression-positive file around).
        sigma: 1-σ uncertainty (Pa; scalar or per point).
        time: s from the start of the process; None = the end.  name, weight: as ProfileData.
    """

    depth: np.ndarray
    stress: np.ndarray
    sigma: np.ndarray | float
    time: float | None = None
    name: str = "stress_profile"
    weight: float = 1.0
    kind: ClassVar[str] = "stress_profile"
    label: ClassVar[str] = "stress profile"
    needs: ClassVar[tuple[str, ...]] = ("stress",)
    multicomponent: ClassVar[bool] = True
    value_unit: ClassVar[str] = "Pa"
    _abscissa: ClassVar[str] = "depth"
    _values: ClassVar[str] = "stress"

    def __post_init__(self):
        self._validate()
        self._check_depths()

    def _check_inside(self, recipe) -> None:
        """The time lies within the process, the depths within the plate."""
        super()._check_inside(recipe)
        self._check_plate(recipe)

    def predict(self, result, props, curves: bool = False) -> Prediction:
        """σ(x_i, t) interpolated linearly between cell centres, extrapolated linearly from
        the first (last) two cells to the face(s)."""
        k = _index_of(result, self._time_in(result.recipe.total_time))
        xs, ys = _stress_profile(result, _stress_of(result, props)[k])
        return _interpolated(self.depth, xs, ys, curves)

    @property
    def value_name(self) -> str:
        return "stress σ (compression < 0)"


Data = (
    ProfileData
    | SimsData
    | ZoneData
    | IndexData
    | ModesData
    | SurfaceStressData
    | SurfaceStressMeterData
    | OxideProfileData
    | StressProfileData
)
# every dataset kind by its name in files and reports; KINDS: the names, in this order
# (surface_stress names SurfaceStressData here; a meter's is SurfaceStressMeterData)
DATA_KINDS: dict[str, type] = {
    t.kind: t
    for t in (
        ProfileData,
        SimsData,
        ZoneData,
        IndexData,
        ModesData,
        SurfaceStressData,
        OxideProfileData,
        StressProfileData,
    )
}
KINDS = tuple(DATA_KINDS)


@dataclass(frozen=True, eq=False)
class FitDataset:
    """A dataset bound to the recipe that models it.

    Attributes:
        data: the measurements.
        builder: picklable callable ``values → Recipe`` (a MulticomponentRecipe for the
            kinds with ``multicomponent``, an ExperimentRecipe for those with ``experiments``);
            ``values`` maps every fitted parameter name to its SI value. Datasets that
            share one builder object share one forward run per evaluation.
    """

    data: Data
    builder: Callable


# --------------------------------------------------------------------------- parameters and options


@dataclass(frozen=True)
class FitParameter:
    """One fitted parameter.

    Attributes:
        name: the recipe field it sets (e.g. "ions.K.D"); the builders read it.
        value: start value (SI).  min, max: bounds (SI; ±inf = none).
        log: vary log10(value) (needs value > 0 and min ≥ 0): for quantities spanning decades.
    """

    name: str
    value: float
    min: float = -math.inf
    max: float = math.inf
    log: bool = False

    def __post_init__(self):
        v, lo, hi = self.value, self.min, self.max
        values = {"value": v, "min": lo, "max": hi}
        owner = f"parameter {self.name!r}"
        if not math.isfinite(v):
            raise FitInputError(
                owner, ("value",), "start value {value}", "expected a finite number", values
            )
        if math.isnan(lo) or math.isnan(hi) or not lo < hi:
            raise FitInputError(
                owner, ("min", "max"), "min = {min} and max = {max}", "expected min < max", values
            )
        if not lo <= v <= hi:
            raise FitInputError(
                owner,
                ("value", "min" if v < lo else "max"),
                None,
                "the start value {value} lies outside [{min}, {max}]; expected bounds that "
                "include the start value",
                values,
            )
        if self.log and not (v > 0 and lo >= 0):
            raise FitInputError(
                owner,
                ("min",) if lo < 0 else ("value", "log"),
                "start {value}, min {min}",
                "log = true needs a positive start value and bounds ≥ 0 (in SI)",
                values,
            )

    @property
    def scale(self) -> float:
        """p = scale·u for a linear parameter: |start|, else the largest finite bound, else 1."""
        if self.value != 0.0:
            return abs(self.value)
        finite = [abs(b) for b in (self.min, self.max) if math.isfinite(b) and b != 0.0]
        return max(finite) if finite else 1.0

    def to_scaled(self, p: float) -> float:
        """u(p): log10(p) or p/scale."""
        if self.log:
            return math.log10(p) if p > 0 else -math.inf
        return p / self.scale

    def from_scaled(self, u: float) -> float:
        """p(u): 10**u or scale·u (SI)."""
        return 10.0**u if self.log else u * self.scale

    def derivative(self, u: float) -> float:
        """dp/du at u: ln(10)·p or scale."""
        return math.log(10.0) * 10.0**u if self.log else self.scale


@dataclass(frozen=True)
class FitOptions:
    """How to fit.

    Attributes:
        method: "leastsq" (Levenberg–Marquardt, MINPACK lmder) or "least_squares" (scipy's
            trust-region reflective method).
        rtol, atol: solver tolerances of the forward runs inside the fit (the tighter of
            these and the recipe's are used). Noise of the forward model, measured by
            benchmarks/fit.py on examples/soda_lime_k_na.toml (χ at 40 depths after 8 h, one
            parameter varied over ±1 % on 41 points, largest residual of a quartic fit, over
            D_K, D_Na, χ_s, on a fixed mesh): 2.1e-6 at the default rtol 1e-3 (the accepted
            step sequence changes), 1.4e-7 at 1e-4, 8e-9 at 1e-5. Fits run at 1e-4 / 1e-6:
            the noise is 7e4× below a typical σ = 0.01 and adds ≲ 3e-4 to a central
            difference; 1e-5 moved the benchmark's fitted values by < 1e-3 σ at twice the
            cost (each forward run of a fit costs ≈ 2× one at the default tolerances). On
            the run's own mesh the model also has kinks of ≈ 4e-6 (linear interpolation
            between cell centres that move with the diffusion length): hence the Jacobian's
            fixed mesh below.
        fd_step: relative step h of the finite differences: u ± h·max(|u|, 1), i.e. p·(1 ± h)
            for a log parameter.
        fd_scheme: "central" (2 runs per parameter) or "forward" (1, the base point reused).
            With h = 1e-3 the central error is ≈ (k h)²/6 + noise/(2 h |f'|), where k is how
            nonlinearly the parameter enters (k = 1 for D, k = Q/RT ≈ 19 for an activation
            energy: exp(−Q/RT)); the forward error ≈ k h/2 reaches 1e-2 for Q. Measured on
            the example (benchmarks/fit.py, columns against central differences at rtol
            1e-7): central ≤ 2.5e-4 (the noise term), forward ≤ 1.6e-3 (truncation).
            That matters: Levenberg–Marquardt stops where its own Jacobian says the gradient
            vanishes, and in the long D0–Q valley of an Arrhenius fit the forward-difference
            fit stopped 0.23σ from the minimum with 7 % wrong standard errors (measured on
            two profiles at 380 and 460 °C). Each Jacobian runs on its base point's mesh (see
            _Evaluator), so moving cell centres do not enter the differences.
        step_bound: MINPACK's ``factor``, the first step bound relative to the scaled
            parameters (leastsq only). scipy's 100 let the first step of an Arrhenius fit
            started 30× off in D run along the D0–Q valley to where the profile no longer
            depends on either; 1 converged from each of four starts 30× off.
        max_nfev: most residual evaluations (each one forward run per recipe).
        ftol, xtol: relative tolerances on χ² and on the parameters (MINPACK's meaning).
        scale_covar: scale the covariance by χ²_red (lmfit's default: uncertainties follow
            the scatter of the data); off: trust the given σ as absolute.
    """

    method: str = "leastsq"
    rtol: float = 1e-4
    atol: float = 1e-6
    fd_step: float = 1e-3
    fd_scheme: str = "central"
    step_bound: float = 1.0
    max_nfev: int = 200
    ftol: float = 1e-8
    xtol: float = 1e-8
    scale_covar: bool = True

    def __post_init__(self):
        def refuse(name, expected):
            raise FitInputError(name, (name,), repr(getattr(self, name)), expected)

        if self.method not in ("leastsq", "least_squares"):
            refuse("method", 'expected "leastsq" (Levenberg–Marquardt) or "least_squares"')
        if self.fd_scheme not in ("central", "forward"):
            refuse("fd_scheme", 'expected "central" or "forward"')
        for name in ("rtol", "atol", "fd_step", "ftol", "xtol", "step_bound"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                refuse(name, "expected a number > 0")
        if self.fd_step >= 0.1:
            refuse("fd_step", "expected a relative step < 0.1")
        if not (
            isinstance(self.max_nfev, int)
            and not isinstance(self.max_nfev, bool)
            and self.max_nfev >= 1
        ):
            refuse("max_nfev", "expected a whole number ≥ 1")


def check_parameters(parameters: Sequence[FitParameter]) -> None:
    """Raise FitError unless ``parameters`` lists at least one parameter, each once
    (FitInputError with the position of the second listing)."""
    names = [p.name for p in parameters]
    if not names:
        raise FitError("nothing to fit: give at least one parameter")
    for i, name in enumerate(names):
        if name in names[:i]:
            raise FitInputError(
                "",
                ("name",),
                None,
                f"parameter {name!r} is listed twice; expected each parameter once",
                position=i,
            )


def check_data(parameters: Sequence[FitParameter], datasets: Sequence[FitDataset]) -> None:
    """Raise FitError unless there is at least one dataset and more data points in all
    than parameters (FitInputError, field "datasets")."""
    if not datasets:
        raise FitError("nothing to fit to: give at least one dataset")
    n_data = sum(fd.data.n_points for fd in datasets)
    if n_data <= len(parameters):
        raise FitInputError(
            "",
            ("datasets",),
            None,
            f"{n_data} data point(s) in all for {len(parameters)} fitted parameter(s); "
            "expected more points than parameters",
        )


# --------------------------------------------------------------------------- forward model


@dataclass(frozen=True)
class Prediction:
    """The model of one dataset: values at the data points, notes, and a curve to plot."""

    values: np.ndarray
    notes: tuple = ()
    curve: tuple | None = None  # (abscissa, model) on a fine axis, or per-mode arrays


@dataclass(frozen=True, eq=False)
class _Forward:
    """One forward run: a builder and the datasets it models, with the fit tolerances."""

    builder: Callable
    datasets: tuple
    rtol: float
    atol: float


def _forward(item) -> list:
    """Worker entry point (module level, picklable):
    (forward, values, values of the mesh point or None, curves) → predictions."""
    from .simulate import process_grid

    forward, values, mesh_values, curves = item
    recipe = forward.builder(dict(values))
    grid = None
    if mesh_values is not None:
        base = forward.builder(dict(mesh_values))
        if isinstance(base, Recipe):
            grid = process_grid(base)
        elif _is_multicomponent(base):
            from .multicomponent import multicomponent_grid

            grid = multicomponent_grid(base)
    return predict(
        recipe, forward.datasets, rtol=forward.rtol, atol=forward.atol, curves=curves, grid=grid
    )


def _tightened(recipe, rtol: float | None, atol: float | None):
    from .experiments import ExperimentRecipe

    if _is_multicomponent(recipe):
        return dataclasses.replace(
            recipe,
            rtol=min(recipe.rtol, rtol if rtol is not None else recipe.rtol),
            atol=min(recipe.atol, atol if atol is not None else recipe.atol),
        )
    if isinstance(recipe, ExperimentRecipe):
        n = recipe.numerics
        return dataclasses.replace(
            recipe,
            numerics=dataclasses.replace(
                n,
                rtol=min(n.rtol, rtol if rtol is not None else n.rtol),
                atol=min(n.atol, atol if atol is not None else n.atol),
            ),
        )
    n = recipe.numerics
    return dataclasses.replace(
        recipe,
        numerics=dataclasses.replace(
            n,
            rtol=min(n.rtol, rtol if rtol is not None else n.rtol),
            atol=min(n.atol, atol if atol is not None else n.atol),
        ),
    )


def predict(
    recipe,
    datasets: Sequence[Data],
    *,
    rtol: float | None = None,
    atol: float | None = None,
    curves: bool = False,
    grid=None,
) -> list[Prediction]:
    """Simulate ``recipe`` once and return the model of every dataset at its data points
    (each dataset kind's ``predict``: e.g. a profile interpolates the run's χ between
    cell centres, a mode list solves the modes of the index profile).

    Args:
        recipe: a Recipe (any kind), a MulticomponentRecipe (composition and stress
            kinds) or an ExperimentRecipe (profiles only).
        datasets: what to predict; their times are added to the recipe's output times.
        rtol, atol: solver tolerances (the tighter of these and the recipe's are used).
        curves: also return each model on a fine axis (for plots).
        grid: the mesh (default: process_grid or multicomponent_grid of the recipe; not
            for an ExperimentRecipe).
    Raises:
        FitInputError naming the dataset when the recipe cannot model it (each kind's
        check_recipe: a time after the end of the process, a depth beyond the plate, no
        [optics]/[stress] in the recipe, a Nernst–Planck–Poisson recipe for anything but
        profiles).
    """
    from .simulate import simulate

    recipe = _tightened(recipe, rtol, atol)
    for d in datasets:
        d.check_recipe(recipe)
    if not (isinstance(recipe, Recipe) or _is_multicomponent(recipe)):
        return _predict_experiment(recipe, datasets, curves)
    total = recipe.total_time
    wanted: set[float] = set()
    for d in datasets:
        wanted |= d.output_times(total, curves)
    if _is_multicomponent(recipe):
        # the run computes its stress itself (and its metrics at every output): only when
        # a dataset needs it
        stress = recipe.stress if any("stress" in d.needs for d in datasets) else None
        full = dataclasses.replace(recipe, output_times=tuple(sorted(wanted)), stress=stress)
        result = simulate(full, grid=grid)
        return [d.predict(result, None, curves) for d in datasets]
    needs_props = any(d.needs_properties for d in datasets)
    full = dataclasses.replace(recipe, output_times=tuple(sorted(wanted)))
    # the properties (and never the modes at every output time) are computed here, once
    bare = dataclasses.replace(full, stress=None, optics=None)
    history = (
        History()
        if (needs_props and full.stress is not None and full.stress.relaxation == "hereditary")
        else None
    )
    result = simulate(bare, tracker=history, grid=grid)
    result = dataclasses.replace(result, recipe=full)
    props = compute_properties(result, history, modes=False) if needs_props else None
    return [d.predict(result, props, curves) for d in datasets]


def _index_of(result, t: float) -> int:
    k = int(np.argmin(np.abs(result.times - t)))
    if not abs(result.times[k] - t) <= 1e-9 * max(
        abs(t), 1.0
    ):  # simulate lands on requested times exactly
        raise FitError(
            f"no output at {t!r} s in the simulation (outputs at {result.times.tolist()})"
        )
    return k


def _whole_profile(result, k: int, ion: str | None):
    """Depth (m) and χ of ``ion`` through the simulated domain at output k, with the
    surface point(s) of the exchanged face(s); a binary or multicomponent run."""
    if result.__class__.__name__ == "MulticomponentResult":
        return _multicomponent_profile(result, k, ion)
    x, y = result.depth, result.frac_incoming[k]
    s = result.surface_fraction[k]
    top = y[0] if np.isnan(s) else s
    g = result.recipe.glass
    xs = np.concatenate([[0.0], x])
    ys = np.concatenate([[top], y])
    if g.thickness is not None and g.faces == "both":
        xs = np.concatenate([xs, [g.thickness]])
        ys = np.concatenate([ys, [y[-1] if np.isnan(s) else s]])
    if ion is not None and ion != result.incoming_ion:
        if ion != result.host_ion:
            raise FitError(
                f"no ion {ion!r} in this recipe (ions: {result.incoming_ion}, {result.host_ion})"
            )
        ys = 1.0 - ys
    return xs, ys


def _multicomponent_profile(result, k: int, ion: str | None):
    """Depth (m) and χ of ``ion`` of a multicomponent run at output k, with the surface
    point(s): the bath's fraction while a bath holds the face(s), else (an anneal's closed
    faces, the start) the first cell's."""
    if ion not in result.species:
        named = "no ion named" if ion is None else f"no ion {ion!r}"
        raise FitError(f"{named} in this recipe (ions: {', '.join(result.species)})")
    x, y = result.depth, result.fraction(ion)[k]
    bath = result.recipe.steps[int(result.step_index[k])].bath
    held = bath is not None and result.times[k] > 0.0
    g = result.recipe.glass
    xs = np.concatenate([[0.0], x])
    ys = np.concatenate([[bath.get(ion, 0.0) if held else y[0]], y])
    if g.thickness is not None and g.faces == "both":  # the run holds the whole plate
        xs = np.concatenate([xs, [g.thickness]])
        ys = np.concatenate([ys, [bath.get(ion, 0.0) if held else y[-1]]])
    return xs, ys


def _stress_of(result, props) -> np.ndarray:
    """σ (Pa, compression < 0) per output time and cell: a multicomponent run's own, or
    the properties of a binary run."""
    return result.stress if props is None else props.stress


def _stress_profile(result, stress):
    """Depth (m) and σ (Pa) of one output through the domain, extended linearly from the
    first two cells to the face, and from the last two to the back of a plate (the first
    centre lies a fraction of the slow diffusion length deep, where σ still changes)."""
    x, s = result.depth, np.asarray(stress, dtype=float)
    top = s[0] - x[0] * (s[1] - s[0]) / (x[1] - x[0])
    xs = np.concatenate([[0.0], x])
    ys = np.concatenate([[top], s])
    thickness = result.recipe.glass.thickness
    if thickness is not None:
        back = s[-1] + (thickness - x[-1]) * (s[-1] - s[-2]) / (x[-1] - x[-2])
        xs = np.concatenate([xs, [thickness]])
        ys = np.concatenate([ys, [back]])
    return xs, ys


def _fine(x_max: float, n: int = 300) -> np.ndarray:
    return np.linspace(0.0, x_max, n)


def _interpolated(depth, xs, ys, curves: bool) -> Prediction:
    """A depth profile (xs, ys) at the measured depths, linearly; with ``curves``, also on
    a fine axis to 15 % past the deepest point (within the profile)."""
    values = np.interp(depth, xs, ys)
    curve = None
    if curves:
        xf = _fine(min(1.15 * float(depth.max()), float(xs[-1])))
        curve = (xf, np.interp(xf, xs, ys))
    return Prediction(values, (), curve)


def _predict_experiment(recipe, datasets, curves: bool) -> list[Prediction]:
    """Datasets a Nernst–Planck–Poisson run models (check_recipe has let only those pass)."""
    from .experiments import run_recipe

    wanted = sorted({d.time for d in datasets if d.time is not None} | set(recipe.output_times))
    result = run_recipe(dataclasses.replace(recipe, output_times=tuple(wanted)))
    return [d.predict_experiment(result, curves) for d in datasets]


# --------------------------------------------------------------------------- results


@dataclass
class DatasetFit:
    """One dataset at the solution.

    Attributes:
        data: the dataset.  model: the model at its data points (units of the data).
        residual: √w·(model − data)/σ per point.  chisqr: Σ residual².
        curve: the model on a fine axis (abscissa, model) — for modes {pol: (orders, N)}.
        notes: what the model could not match (e.g. missing modes).
    """

    data: Data
    model: np.ndarray
    residual: np.ndarray
    chisqr: float
    curve: object = None
    notes: tuple = ()

    @property
    def name(self) -> str:
        return self.data.name

    @property
    def kind(self) -> str:
        return self.data.kind


@dataclass
class FitResult:
    """The outcome of a fit (all values SI).

    Attributes:
        parameters: the FitParameters, in order.  values, stderr: by name; stderr is None
            when it cannot be estimated.  correlations: n×n matrix (NaN where undefined).
        chisqr: Σ residual²;  redchi: chisqr/(n_data − n_params).
        n_data, n_params, n_forward_runs (simulations run), nfev (residual evaluations),
        n_jacobians;  success, message: the minimiser's verdict (method: which one).
        datasets: a DatasetFit per dataset.  warnings: parameter identifiability and model
        notes, each naming the parameter or dataset and why.  wall_time: s.
        execution: where the forward runs ran, in words (serial, which cluster, and for
        an AutoCluster why it chose so).
    """

    parameters: tuple
    values: dict
    stderr: dict
    correlations: np.ndarray
    chisqr: float
    redchi: float
    n_data: int
    n_params: int
    n_forward_runs: int
    nfev: int
    n_jacobians: int
    success: bool
    message: str
    method: str
    datasets: list
    warnings: list
    wall_time: float
    scale_covar: bool = True
    minimizer_result: object = field(default=None, repr=False)
    execution: str = "serial in this process"

    @property
    def names(self) -> tuple:
        return tuple(p.name for p in self.parameters)

    def correlation(self, a: str, b: str) -> float:
        """Correlation coefficient of parameters ``a`` and ``b`` (NaN when undefined)."""
        i, j = self.names.index(a), self.names.index(b)
        return float(self.correlations[i, j])


# --------------------------------------------------------------------------- the fit


class _Evaluator:
    """Residuals and Jacobians in scaled variables u, with a cache of forward runs.

    A forward run is keyed by (u, forward index, mesh point): residuals run on their own
    mesh (mesh point None); the runs of one Jacobian all use the mesh of its base point,
    so that a column sees the parameter's effect and not a change of the cell count
    (process_grid sizes the mesh from the diffusion lengths, which the parameters move).
    """

    def __init__(
        self, parameters, datasets, forwards, order, options: FitOptions, client, progress
    ):
        self.parameters = parameters
        self.datasets = datasets
        self.forwards = forwards
        self.order = order  # (forward index, position in it) of each dataset, in input order
        self.options = options
        self.client = client
        self.progress = progress
        self.cache: OrderedDict = OrderedDict()
        self.runs = 0
        self.jacobians = 0
        self.best = math.inf
        self.run_times: list[float] = []  # s, each forward run made in this process

    def values(self, u) -> dict:
        return {p.name: p.from_scaled(float(x)) for p, x in zip(self.parameters, u)}

    def _run(self, points: list) -> None:
        """Forward runs for every (u, mesh point) × forward not cached, as one batch."""
        todo = []
        for u, mesh in points:
            for i in range(len(self.forwards)):
                key = (_key(u), i, None if mesh is None else _key(mesh))
                if key not in self.cache and key not in todo:
                    todo.append(key)
        if not todo:
            return
        items = [
            (
                self.forwards[i],
                tuple(self.values(u).items()),
                None if m is None else tuple(self.values(m).items()),
                False,
            )
            for u, i, m in todo
        ]
        done0 = self.runs

        def tick(done, total):
            if self.progress is not None:
                self.progress(done0 + done, self.best)

        try:
            out = self._map(items, tick)
        except Exception as exc:
            cause = exc.__cause__ if exc.__cause__ is not None else exc
            where = ", ".join(f"{k} = {v:.6g}" for k, v in self.values(todo[0][0]).items())
            raise FitError(f"the forward model failed near {where} (SI): {cause}") from exc
        self.runs += len(items)
        for key, preds in zip(todo, out):
            self.cache[key] = preds
        while len(self.cache) > 8 * (2 * len(self.parameters) + 2) * len(self.forwards):
            self.cache.popitem(last=False)

    def _serial(self, items: list, tick=None, done: int = 0, total: int | None = None) -> list:
        """Forward runs in this process, each timed (run_time estimates their cost)."""
        total = len(items) if total is None else total
        out = []
        for n, it in enumerate(items):
            t0 = _time.perf_counter()
            out.append(_forward(it))
            self.run_times.append(_time.perf_counter() - t0)
            if tick is not None:
                tick(done + n + 1, total)
        return out

    def run_time(self) -> float | None:
        """Median wall time of a forward run in this process (s), leaving out the first run,
        which also loads the compiled kernels; None before a second run."""
        warm = self.run_times[1:]
        return float(np.median(warm)) if warm else None

    def _map(self, items: list, tick=None) -> list:
        from .cluster import AutoCluster, run_many

        if self.client is None:
            return self._serial(items, tick)
        if not isinstance(self.client, AutoCluster):
            return run_many(self.client, _forward, items, progress=tick)
        # automatic: serial unless this batch makes a local cluster pay (AutoCluster)
        auto = self.client
        if len(items) < 2:
            return self._serial(items, tick)
        head = []
        if self.run_time() is None:  # time one run of the batch first
            head = self._serial(items[:1], tick)
            items = items[1:]
        if len(items) >= 2 and auto.use_cluster(len(items), self.run_time()):
            offset = len(head)

            def shifted(done, total):
                if tick is not None:
                    tick(offset + done, offset + total)

            return head + run_many(auto.client, _forward, items, progress=shifted)
        return head + self._serial(items, tick, len(head), len(head) + len(items))

    def curves(self, u) -> list:
        """Predictions with model curves at u (one more forward run per recipe)."""
        items = [(f, tuple(self.values(u).items()), None, True) for f in self.forwards]
        done0 = self.runs
        out = self._map(
            items, lambda done, total: self.progress and self.progress(done0 + done, self.best)
        )
        self.runs += len(items)
        return [out[i][j] for i, j in self.order]

    def predictions(self, u, mesh=None) -> list:
        self._run([(u, mesh)])
        key, m = _key(u), None if mesh is None else _key(mesh)
        by_forward = [self.cache[(key, i, m)] for i in range(len(self.forwards))]
        return [by_forward[i][j] for i, j in self.order]

    def residual(self, u, mesh=None) -> np.ndarray:
        preds = self.predictions(u, mesh)
        r = np.concatenate([_weighted(fd.data, p.values) for fd, p in zip(self.datasets, preds)])
        if mesh is None:
            self.best = min(self.best, float(r @ r))
        return r

    def steps(self, u) -> list:
        """Difference steps in u: h·max(|u|, 1), or h/ln 10 for log10 p (p·(1 + h)); a
        forward step points inward at a bound."""
        h = self.options.fd_step
        out = []
        for p, x in zip(self.parameters, u):
            du = h / math.log(10.0) if p.log else h * max(abs(x), 1.0)
            lo = p.to_scaled(p.min) if p.min > -math.inf else -math.inf
            hi = p.to_scaled(p.max) if p.max < math.inf else math.inf
            out.append(_inside(x, du, lo, hi, self.options.fd_scheme == "central"))
        return out

    def jacobian(self, u) -> np.ndarray:
        """∂r/∂u by finite differences: every run of it in one batch, on u's mesh (the base
        point itself, where a quotient uses it, is the residual already computed there)."""
        u = np.asarray(u, dtype=float)
        steps = self.steps(u)

        def shifted(j, d):
            v = u.copy()
            v[j] += d
            return v

        requests = [(u, None)] if any(0.0 in pair for pair in steps) else []
        requests += [(shifted(j, d), u) for j, pair in enumerate(steps) for d in pair if d != 0.0]
        self._run(requests)
        columns = []
        for j, (minus, plus) in enumerate(steps):
            lo, hi = (
                self.residual(u) if d == 0.0 else self.residual(shifted(j, d), u)
                for d in (minus, plus)
            )
            columns.append((hi - lo) / (plus - minus))
        self.jacobians += 1
        return np.column_stack(columns)


def _key(u) -> tuple:
    return tuple(float(x) for x in u)


def _inside(x: float, du: float, lo: float, hi: float, central: bool) -> tuple[float, float]:
    """(minus, plus) offsets of a difference quotient inside [lo, hi]: (−du, du) for a
    central difference, (0, du) forward, shifted or flipped where a bound is near."""
    if central:
        if x + du > hi:
            return (-2 * du, 0.0) if x - 2 * du >= lo else (lo - x, hi - x)
        if x - du < lo:
            return (0.0, 2 * du) if x + 2 * du <= hi else (lo - x, hi - x)
        return -du, du
    if x + du > hi:
        return (-du, 0.0) if x - du >= lo else (lo - x, 0.0)
    return 0.0, du


def _weighted(data, model) -> np.ndarray:
    return math.sqrt(data.weight) * (np.asarray(model) - data.observed) / data.sigma


def fit(
    parameters: Sequence[FitParameter],
    datasets: Sequence[FitDataset],
    *,
    options: FitOptions = FitOptions(),
    client=None,
    progress: Callable[[int, float], None] | None = None,
) -> FitResult:
    """Weighted least-squares fit of recipe parameters to one or several datasets.

        minimise χ²(p) = Σ_d w_d Σ_i ((model_di(p) − data_di)/σ_di)²  within the bounds

    Args:
        parameters: what to vary (SI start values and bounds); names are passed to the
            builders, shared by all datasets.
        datasets: the data, each with its builder (see FitDataset).
        options: method, tolerances, finite-difference step (FitOptions).
        client: a dask.distributed Client (ionex.process.cluster.open_client) to run the
            forward runs of each evaluation and Jacobian in parallel; None runs serially;
            an ionex.process.cluster.AutoCluster runs serially until a local cluster pays
            for itself (small fits never start one) and says in ``execution`` which it chose.
        progress: called as progress(forward runs so far, best χ² so far) as runs finish.
    Returns:
        FitResult with values, standard errors, correlations, χ², per-dataset residuals
        and model curves, and warnings about unidentifiable parameters.
    Raises:
        FitError for an empty or duplicated parameter list, too few data
        (check_parameters, check_data), or a forward model that fails during the fit (the
        message gives the parameter values).

    Example — the fit example recovers D_K = 1.3e-15 m²/s and a bath surface fraction 0.95
    from a noisy synthetic profile (σ = 0.01), within its uncertainties:

    >>> from ionex import fit, load_fit
    >>> setup = load_fit("examples/fit_soda_lime.toml")
    >>> result = fit(setup.parameters, setup.datasets, options=setup.options)
    >>> round(result.values["ions.K.D"] / 1e-15, 2), round(result.values["step[1].bath.K"], 3)
    (1.27, 0.951)
    """
    import lmfit

    started = _time.perf_counter()
    parameters = tuple(parameters)
    datasets = tuple(datasets)
    check_parameters(parameters)
    check_data(parameters, datasets)
    n_data = sum(fd.data.n_points for fd in datasets)

    # datasets sharing a builder share one forward run
    forwards, order, index = [], [], {}
    members: list[list] = []
    for fd in datasets:
        key = id(fd.builder)
        if key not in index:
            index[key] = len(members)
            members.append([])
        order.append((index[key], len(members[index[key]])))
        members[index[key]].append(fd)
    for group in members:
        forwards.append(
            _Forward(group[0].builder, tuple(fd.data for fd in group), options.rtol, options.atol)
        )
    ev = _Evaluator(parameters, datasets, forwards, order, options, client, progress)

    lp = lmfit.Parameters()
    keys = [f"p{i}" for i in range(len(parameters))]
    start_notes = []
    for key, p in zip(keys, parameters):
        lo = p.to_scaled(p.min) if p.min > -math.inf else -np.inf
        hi = p.to_scaled(p.max) if p.max < math.inf else np.inf
        u0 = p.to_scaled(p.value)
        # lmfit maps a bounded parameter through arcsin/sqrt transforms whose derivative
        # vanishes on the bound: a start exactly there never moves (nor do the parameters
        # it is correlated with). Start 1 % of the range (or of the scale) inside instead.
        inset = 0.01 * ((hi - lo) if math.isfinite(hi - lo) else max(1.0, abs(u0)))
        if u0 <= lo or u0 >= hi:
            moved = min(max(u0, lo + inset), hi - inset)
            start_notes.append(
                f"{p.name}: the start {p.value:.6g} lies on its bound; the fit started at "
                f"{p.from_scaled(moved):.6g}, just inside (on the bound the bound transform has no "
                "gradient)"
            )
            u0 = moved
        lp.add(key, value=u0, min=lo, max=hi)

    def u_of(params) -> list:
        return [params[k].value for k in keys]

    def residual(params):
        return ev.residual(u_of(params))

    def jacobian(params, *args, **kwargs):
        return ev.jacobian(u_of(params))

    mini = lmfit.Minimizer(residual, lp, nan_policy="raise", scale_covar=options.scale_covar)
    if options.method == "leastsq":
        out = mini.leastsq(
            Dfun=jacobian,
            col_deriv=0,
            max_nfev=options.max_nfev,
            ftol=options.ftol,
            xtol=options.xtol,
            factor=options.step_bound,
        )
    else:
        out = mini.least_squares(
            jac=jacobian,
            max_nfev=options.max_nfev,
            ftol=options.ftol,
            xtol=options.xtol,
            x_scale="jac",
        )
    u_best = np.array(u_of(out.params), dtype=float)

    # uncertainties from a Jacobian recomputed at the solution (MINPACK's last one may
    # belong to the previous iterate), then the model curves for the plots
    jac = ev.jacobian(u_best)
    r = ev.residual(u_best)
    chisqr = float(r @ r)
    dof = n_data - len(parameters)
    redchi = chisqr / dof
    cov_u, why = _covariance(jac)
    if options.scale_covar and cov_u is not None:
        cov_u = cov_u * redchi
    values = {p.name: p.from_scaled(float(x)) for p, x in zip(parameters, u_best)}
    stderr: dict = {}
    n = len(parameters)
    corr = np.full((n, n), np.nan)
    for i, (p, x) in enumerate(zip(parameters, u_best)):
        var = cov_u[i, i] if cov_u is not None else np.nan
        s = (
            abs(p.derivative(float(x))) * math.sqrt(var)
            if (np.isfinite(var) and var >= 0)
            else math.nan
        )
        stderr[p.name] = s if math.isfinite(s) else None
    if cov_u is not None:
        d = np.sqrt(np.abs(np.diag(cov_u)))
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = cov_u / np.outer(d, d)
        corr[~np.isfinite(corr)] = np.nan
        np.fill_diagonal(corr, np.where(np.isfinite(d) & (d > 0), 1.0, np.nan))

    # the model at the solution, with curves for the plots (one more forward run each)
    final = ev.curves(u_best)
    fits = []
    for fd, pred in zip(datasets, final):
        res = _weighted(fd.data, pred.values)
        fits.append(DatasetFit(fd.data, pred.values, res, float(res @ res), pred.curve, pred.notes))
    warnings = start_notes + _identifiability(parameters, u_best, values, stderr, corr, jac, why)
    for f in fits:
        warnings.extend(f.notes)
    success = bool(out.success)
    message = str(out.message)
    if not success:
        warnings.append(f"the minimiser did not converge: {message}")
    return FitResult(
        parameters=parameters,
        values=values,
        stderr=stderr,
        correlations=corr,
        chisqr=chisqr,
        redchi=redchi,
        n_data=n_data,
        n_params=n,
        n_forward_runs=ev.runs,
        nfev=int(out.nfev),
        n_jacobians=ev.jacobians,
        success=success,
        message=message,
        method=options.method,
        datasets=fits,
        warnings=warnings,
        wall_time=_time.perf_counter() - started,
        scale_covar=options.scale_covar,
        minimizer_result=out,
        execution=_execution(client),
    )


def _execution(client) -> str:
    """Where the forward runs ran, in words."""
    from .cluster import AutoCluster

    if client is None:
        return "serial in this process"
    if isinstance(client, AutoCluster):
        return client.describe()
    try:
        workers = len(client.scheduler_info().get("workers", {}))
    except Exception:  # noqa: BLE001 - a description only
        workers = None
    count = f"{workers} worker(s)" if workers is not None else "its workers"
    if getattr(client, "cluster", None) is not None:
        return f"a local dask cluster, {count}"
    return f"the dask scheduler at {getattr(getattr(client, 'scheduler', None), 'address', '?')}, {count}"


def _covariance(jac: np.ndarray):
    """(JᵀJ)⁻¹ in scaled variables, with columns of zero sensitivity left infinite.

    Returns (covariance or None, reason when None)."""
    n = jac.shape[1]
    norms = np.linalg.norm(jac, axis=0)
    live = norms > 0
    cov = np.full((n, n), np.nan)
    cov[~live, ~live] = np.inf
    if not live.any():
        return cov, "no parameter changes the model"
    j = jac[:, live]
    # column scaling makes the condition number a property of the parameters' effects,
    # not of their units
    js = j / norms[live]
    s = np.linalg.svd(js, compute_uv=False)
    cond = s[0] / s[-1] if s[-1] > 0 else math.inf
    if not cond < 1e10:
        return (
            None,
            f"the Jacobian is singular (condition number {cond:.3g}): the parameters are not separately identifiable",
        )
    inner = np.linalg.inv(js.T @ js) / np.outer(norms[live], norms[live])
    idx = np.nonzero(live)[0]
    cov[np.ix_(idx, idx)] = inner
    return cov, None


def _identifiability(parameters, u, values, stderr, corr, jac, why) -> list[str]:
    """Warnings naming each parameter the data do not determine, and why."""
    out = []
    norms = np.linalg.norm(jac, axis=0)
    for i, p in enumerate(parameters):
        s = stderr[p.name]
        v = values[p.name]
        if norms[i] == 0:
            out.append(
                f"{p.name}: changing it does not change the model at any data point (zero sensitivity); "
                "these datasets cannot determine it"
            )
        elif s is None:
            out.append(
                f"{p.name}: no standard error could be estimated ({why or 'infinite or undefined variance'})"
            )
        elif v != 0 and s > abs(v):
            out.append(
                f"{p.name}: standard error {s:.3g} exceeds the value {v:.3g} (relative {s / abs(v):.3g} > 1); "
                "the data hardly determine it"
            )
        lo = p.to_scaled(p.min) if p.min > -math.inf else -math.inf
        hi = p.to_scaled(p.max) if p.max < math.inf else math.inf
        span = hi - lo if math.isfinite(hi - lo) else max(abs(u[i]), 1.0)
        for bound, side in ((lo, "lower"), (hi, "upper")):
            if math.isfinite(bound) and abs(u[i] - bound) <= 1e-4 * span:
                out.append(
                    f"{p.name}: at its {side} bound ({p.from_scaled(bound):.6g}); the data pull it beyond, "
                    "and its standard error is not meaningful there"
                )
    n = len(parameters)
    for i in range(n):
        for j in range(i + 1, n):
            c = corr[i, j]
            if np.isfinite(c) and abs(c) > 0.99:
                out.append(
                    f"{parameters[i].name} and {parameters[j].name}: correlation {c:+.4f} (|r| > 0.99); "
                    "the data determine a combination of them, not each one"
                )
    return out
