"""Sweep files (TOML): which recipe fields to vary over which values, and what to keep;
and the outputs of a sweep — sweep.nc, sweep.csv, sweep.png.

    recipe = "soda_lime_k_na.toml"                 # relative to the sweep file
    [[parameter]]
    path = "ions.K.D"                              # a numeric field of the recipe
    values = ["5e-16 m^2/s", "1e-15 m^2/s"]        # or
    # range = { start = "400 degC", stop = "480 degC", num = 5, scale = "linear" }
    [design]
    kind = "grid"                                  # or "random" / "latin-hypercube" with
    # samples = 1000, seed = 1                     # (num is for grids only)
    [metrics]
    depth_at = [0.5, 0.1]                          # depths where frac_A falls to these
                                                   # (binary recipes; a multicomponent
                                                   # sweep reports surface and reach per ion)
    times = ["4 h", "8 h"]                         # optional; default: each run's end
    profiles = true                                # final profiles on one depth axis

Values are converted to the unit the recipe writes the field in ("400 degC" for a field
written in K is 673.15 K); a bare number only for a dimensionless field. The recipe's
[output] times are not used: metrics are taken at [metrics] times, or at the end of each
run's process. Errors name the sweep file, the line and the field, as recipe errors do.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tomli_w

from ..errors import RecipeError
from ..process.multicomponent import MulticomponentRecipe
from ..process.sweep import (
    DESIGNS,
    MAX_RUNS,
    SWEPT_RECIPES,
    Sweep,
    SweepMetrics,
    grid_points,
    sample_points,
)
from ..units import FieldUnit, UnitError, in_unit
from .recipe import parse_toml, read_user_file
from .recipe_document import RecipeDocument, parse_path
from .schema import SI, Reader
from .plots import save_figure
from .writers import atomic_path, write_netcdf_dataset

__all__ = [
    "SweepFile",
    "load_sweep",
    "parse_sweep",
    "SweepRecipes",
    "write_sweep_outputs",
    "write_sweep_csv",
    "plot_sweep",
    "sweep_figure",
    "parameter_words",
    "unit_text",
]

_TOP = {"recipe", "parameter", "design", "metrics"}
_PARAMETER = {"path", "values", "range"}
_RANGE = {"start", "stop", "num", "scale"}
_DESIGN = {"kind", "samples", "seed"}
_METRICS = {"depth_at", "times", "profiles", "profile_points"}


@dataclass(frozen=True)
class SweepFile:
    """A parsed sweep file.

    Attributes:
        path: the sweep file.  recipe_path: the recipe it varies.
        sweep: the runs, ready for ionex.process.sweep.run_sweep.
        time_labels: the [metrics] times as written (for CSV headers).
    """

    path: Path
    recipe_path: Path
    sweep: Sweep
    time_labels: tuple[str, ...] = ()


def load_sweep(path) -> SweepFile:
    """Read the sweep file at ``path``. Raises RecipeError naming file, line and field.

    >>> from ionex import load_sweep
    >>> sweep = load_sweep("examples/sweep_bk7.toml")
    >>> sweep.recipe_path.name, len(sweep.sweep.points)
    ('bk7_k_na_91h.toml', 15)
    """
    path = Path(path)
    return parse_sweep(read_user_file(path, "sweep"), path)


def one_dimensional(recipe, what: str):
    """``recipe``, refused with RecipeError when it has a [mask] (a channel cross-section,
    which only `ionex run` runs)."""
    if getattr(recipe, "mask", None) is not None:
        raise RecipeError(
            f"{recipe.source_path or recipe.name}: the recipe has a [mask], a channel "
            f"cross-section; {what} takes recipes of 1-D profiles: run it with `ionex run`"
        )
    return recipe


@dataclass(frozen=True, eq=False)
class SweepRecipes:
    """The sweep's builder, {path: value in the unit the recipe writes the field in} →
    Recipe or MulticomponentRecipe: the base recipe edited in memory (Recipe.with_values), each value mapped to SI
    by its field's unit without pint. Picklable: it runs on the sweep's workers, which get
    the recipe's temperature logs with it.

    Attributes:
        base: the recipe as read (without its [output] times).
        units: (path, FieldUnit) of each varied field.
    """

    base: object
    units: tuple

    @classmethod
    def of(cls, document: RecipeDocument, paths) -> SweepRecipes:
        """The builder for ``paths`` of ``document`` (read once, here)."""
        units = tuple((p, FieldUnit.of(document.value(p)[1])) for p in paths)
        return cls(one_dimensional(document.recipe(), "a sweep"), units)

    def __call__(self, values: Mapping[str, float]):
        si = {}
        for path, unit in self.units:
            if path in values:
                v = float(values[path])
                si[path] = SI(unit.to_si(v), f"{v:g} {unit.text}".rstrip())
        try:
            return self.base.with_values(si)
        except RecipeError as exc:
            # the value is shown in SI: name the field without the file's line
            raise RecipeError(f"{self.base.source_path}: {_unlocated(str(exc))}") from None


def _unlocated(message: str) -> str:
    return re.sub(r"^.*?(, line \d+)?: ", "", message, count=1)


def parse_sweep(text: str, path="<sweep>") -> SweepFile:
    """Parse sweep TOML ``text``; ``path`` names it and resolves the recipe path."""
    path = Path(path)
    r = Reader(text, path)
    doc = parse_toml(text, path)
    r.table(doc, (), _TOP, {"recipe", "parameter"})
    original, document, recipe_path, base = _recipe(r, doc["recipe"])

    design = r.table(doc.get("design", {}), ("design",), _DESIGN)
    kind = design.get("kind", "grid")
    if kind not in DESIGNS:
        r.fail(("design", "kind"), f"found {kind!r}; expected one of: {', '.join(DESIGNS)}")
    grid = kind == "grid"
    if grid:
        for key in ("samples", "seed"):
            if key in design:
                r.fail(
                    ("design", key),
                    "only random and latin-hypercube designs take it; a grid runs every combination",
                )
    else:
        if "samples" not in design:
            r.fail(
                ("design", "samples"),
                f"missing; a {kind} design needs the number of runs, e.g. samples = 1000",
            )
        samples = _integer(r, design["samples"], ("design", "samples"), 1)
        seed = _integer(r, design.get("seed", 0), ("design", "seed"), 0)

    raw = doc["parameter"]
    if not isinstance(raw, list) or not raw:
        r.fail(("parameter",), "expected one or more [[parameter]] tables")
    names, units, axes, lows, highs, scales, choices = [], [], [], [], [], [], []
    for i, spec in enumerate(raw):
        name, unit, values, bounds = _parameter(r, spec, i, original, grid, names)
        names.append(name)
        units.append(unit)
        axes.append(values)
        lows.append(bounds[0] if bounds else None)
        highs.append(bounds[1] if bounds else None)
        scales.append(bounds[2] if bounds else None)
        choices.append(None if bounds else values)
    # bad values fail here, not on the workers: every parameter at both ends of its values
    # (the process lengths there bound the longest run: durations add up)
    builder = SweepRecipes.of(document, names)
    longest = base.total_time
    for i, name in enumerate(names):
        ends = (min(axes[i]), max(axes[i])) if axes[i] is not None else (lows[i], highs[i])
        extension = 0.0
        for v in ends:
            try:
                built = builder({name: v})
            except RecipeError as exc:
                r.fail(
                    ("parameter", i),
                    f"{name} = {v:g} {units[i]}".rstrip() + " makes an invalid recipe: "
                    f"{_unlocated(str(exc))}",
                )
            extension = max(extension, built.total_time - base.total_time)
        longest += extension

    if grid:
        n_runs = math.prod(len(a) for a in axes)
        if n_runs > MAX_RUNS:
            r.fail(("parameter",), f"the grid has {n_runs} runs; expected at most {MAX_RUNS}")
        points, grid_axes = grid_points(axes), tuple(axes)
        design_attrs = {"design_kind": "grid"}
    else:
        if samples > MAX_RUNS:
            r.fail(("design", "samples"), f"found {samples}; expected at most {MAX_RUNS}")
        points = sample_points(
            [lo if lo is not None else 0.0 for lo in lows],
            [hi if hi is not None else 0.0 for hi in highs],
            [s or "linear" for s in scales],
            samples,
            seed,
            kind,
            choices,
        )
        grid_axes = None
        design_attrs = {"design_kind": kind, "design_samples": samples, "design_seed": seed}

    metrics, labels = _metrics(r, doc.get("metrics", {}))
    if isinstance(base, MulticomponentRecipe) and "depth_at" in doc.get("metrics", {}):
        r.fail(
            ("metrics", "depth_at"),
            "depths at fractions of the incoming ion are for binary recipes; a multicomponent "
            "sweep reports each ion's surface fraction and reach (surface_<Ion>, reach_<Ion>)",
        )
    for t, label in zip(metrics.times, labels):
        if t > longest * (1 + 1e-12):
            r.fail(
                ("metrics", "times"),
                f"found {label!r}; expected a time within the process of some run "
                f"(0 to {longest / 3600:.6g} h, the longest)",
            )
    attrs = {
        "sweep_file": str(path),
        "sweep_text": text,
        "recipe_path": str(recipe_path),
        "recipe": base.source_text,
        **design_attrs,
    }
    sweep = Sweep(
        builder,
        tuple(names),
        tuple(units),
        points,
        grid_axes,
        metrics,
        attrs,
    )
    return SweepFile(path, recipe_path, sweep, labels)


def _recipe(r: Reader, value):
    """(the recipe document, the same without [output], its path, the recipe as written)."""
    f = ("recipe",)
    if not isinstance(value, str) or not value.strip():
        r.fail(
            f,
            f'found {value!r}; expected the recipe file, e.g. recipe = "soda_lime_k_na.toml" (relative to the sweep file)',
        )
    recipe_path = Path(value)
    if not recipe_path.is_absolute():
        recipe_path = r.path.parent / recipe_path
    try:
        document = RecipeDocument.load(recipe_path)
        base = document.recipe()
    except RecipeError as exc:
        r.fail(f, str(exc))
    if not isinstance(base, SWEPT_RECIPES):
        r.fail(
            f,
            f"{recipe_path} is a Nernst–Planck–Poisson recipe; sweeps run interdiffusion "
            "recipes (binary or multicomponent)",
        )
    original = document
    if "output" in document.document:
        # a sweep takes its metrics at [metrics] times: the recipe's output times would
        # make every run shorter than one of them an invalid recipe
        stripped = {k: v for k, v in document.document.items() if k != "output"}
        document = RecipeDocument(tomli_w.dumps(stripped), recipe_path)
    return original, document, recipe_path, base


def _parameter(r: Reader, spec, i: int, document: RecipeDocument, grid: bool, earlier: list):
    """(path, unit, values or None, (low, high, scale) or None) of [[parameter]] i; paths
    are looked up in the recipe as written (its fields listed in the file's order)."""
    f = ("parameter", i)
    spec = r.table(spec, f, _PARAMETER, {"path"})
    name = spec["path"]
    try:
        parts = parse_path(name)
    except ValueError as exc:
        r.fail(f + ("path",), str(exc))
    if name in earlier:
        r.fail(f + ("path",), f"{name!r} is already varied by parameter[{earlier.index(name) + 1}]")
    if parts[0] == "output":
        r.fail(
            f + ("path",),
            "output times are not varied; give [metrics] times = [...] for the times to report",
        )
    try:
        _, unit = document.value(name)
    except RecipeError as exc:
        r.fail(f + ("path",), _unlocated(str(exc)))
    if ("values" in spec) == ("range" in spec):
        r.fail(f, "expected exactly one of values = [...] or range = { start, stop, num, scale }")

    def convert(value, field):
        try:
            return in_unit(value, unit, "value")
        except UnitError as exc:
            r.fail(
                field,
                str(exc).removeprefix("value: ")
                + f" (the recipe writes {name} in {unit or 'plain numbers'})",
            )

    if "values" in spec:
        raw = spec["values"]
        if not isinstance(raw, list) or not raw:
            r.fail(
                f + ("values",),
                f'found {raw!r}; expected a non-empty list such as ["1e-15 m^2/s", "2e-15 m^2/s"]',
            )
        values = [convert(v, f + ("values",)) for v in raw]
        if len(set(values)) != len(values):
            r.fail(f + ("values",), "values repeat; expected each value once")
        return name, unit, values, None
    g = f + ("range",)
    rng = r.table(spec["range"], g, _RANGE, {"start", "stop"} | ({"num"} if grid else set()))
    start = convert(rng["start"], g + ("start",))
    stop = convert(rng["stop"], g + ("stop",))
    scale = rng.get("scale", "linear")
    if scale not in ("linear", "log"):
        r.fail(g + ("scale",), f'found {scale!r}; expected "linear" or "log"')
    if scale == "log" and not (start > 0 and stop > 0):
        r.fail(
            g,
            f"a log range needs start and stop > 0 (in {unit or 'plain numbers'}); found {start:g} to {stop:g}",
        )
    if not grid:
        if "num" in rng:
            r.fail(
                g + ("num",),
                "only a grid takes num; a random design draws its samples between start and stop",
            )
        if start == stop:
            r.fail(g, f"start and stop are both {start:g}; expected a range to draw from")
        return name, unit, None, (min(start, stop), max(start, stop), scale)
    num = _integer(r, rng["num"], g + ("num",), 1)
    if num > MAX_RUNS:
        # refused before the values are allocated: no grid may have more runs than this
        r.fail(
            g + ("num",),
            f"found {num}; expected at most {MAX_RUNS} (the most runs a sweep may have)",
        )
    if num > 1 and start == stop:
        r.fail(g, f"start and stop are both {start:g}; expected different ends for num = {num}")
    values = list(
        np.geomspace(start, stop, num) if scale == "log" else np.linspace(start, stop, num)
    )
    return name, unit, [float(v) for v in values], None


def _integer(r: Reader, value, field, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        r.fail(field, f"found {value!r}; expected a whole number ≥ {least}")
    return value


def _metrics(r: Reader, raw):
    f = ("metrics",)
    raw = r.table(raw, f, _METRICS)
    levels = raw.get("depth_at", [0.5, 0.1])
    if not isinstance(levels, list) or not levels:
        r.fail(
            f + ("depth_at",), f"found {levels!r}; expected a list of fractions such as [0.5, 0.1]"
        )
    levels = [r.number(v, f + ("depth_at",)) for v in levels]
    for v in levels:
        if not 0.0 < v <= 1.0:
            r.fail(f + ("depth_at",), f"found {v!r}; expected site fractions in (0, 1]")
    times_raw = raw.get("times", [])
    if not isinstance(times_raw, list):
        r.fail(
            f + ("times",), f'found {times_raw!r}; expected a list of times such as ["4 h", "8 h"]'
        )
    times = [r.quantity(v, "time", f + ("times",)) for v in times_raw]
    if any(t < 0 for t in times) or any(b <= a for a, b in zip(times, times[1:])):
        r.fail(f + ("times",), "expected times ≥ 0 in increasing order")
    profiles = raw.get("profiles", False)
    if not isinstance(profiles, bool):
        r.fail(f + ("profiles",), f"found {profiles!r}; expected true or false")
    points = _integer(r, raw.get("profile_points", 200), f + ("profile_points",), 2)
    try:
        metrics = SweepMetrics(tuple(levels), tuple(times), profiles, points)
    except ValueError as exc:
        r.fail(f, str(exc))
    return metrics, tuple(str(v) for v in times_raw)


# ----------------------------------------------------------------------------- outputs


def write_sweep_outputs(
    ds, directory, spec: SweepFile | None = None, *, plot: bool = True
) -> list[Path]:
    """sweep.nc (the Dataset), sweep.csv (one row per run) and sweep.png (a panel per metric
    against the first parameter) in ``directory``, each written atomically."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = [
        write_netcdf_dataset(ds, directory / "sweep.nc"),
        write_sweep_csv(ds, directory / "sweep.csv", spec.time_labels if spec else ()),
    ]
    if plot:
        written.append(plot_sweep(ds, directory / "sweep.png"))
    return written


# metric variable → (CSV suffix, factor from SI to the CSV unit)
_CSV_UNITS = {"m": "m", "Pa": "Pa", "mol m-2": "mol_m2", "s": "s", "1": ""}


def _parameter_vars(ds) -> list[str]:
    return [name for name in ds.coords if "parameter" in ds[name].attrs]


def _metric_vars(ds) -> list[str]:
    skip = {"error"}
    return [v for v in ds.data_vars if v not in skip and "depth" not in ds[v].dims]


def write_sweep_csv(ds, path, time_labels=()) -> Path:
    """One row per run: the parameters (header "path (unit)"), then every metric (header
    name_unit, with " @ time" per metric time), then the error message."""
    run_dims = [d for d in ds.dims if d not in ("time", "depth")]
    flat = (
        ds.stack(_run=run_dims)
        if len(run_dims) > 1 or run_dims != ["run"]
        else ds.rename({"run": "_run"})
    )
    if "_run" not in flat.dims:
        flat = flat.expand_dims("_run")
    header, columns = [], []
    for name in _parameter_vars(ds):
        unit = ds[name].attrs.get("units", "1")
        header.append(f"{ds[name].attrs['parameter']}" + (f" ({unit})" if unit != "1" else ""))
        columns.append(
            [f"{v:.10g}" for v in np.broadcast_to(flat[name].values, flat.sizes["_run"])]
        )
    labels = list(time_labels) or (
        [f"{t:g} s" for t in ds["time"].values] if "time" in ds.dims else []
    )
    for var in _metric_vars(ds):
        suffix = _CSV_UNITS.get(ds[var].attrs.get("units", "1"), "")
        base = f"{var}_{suffix}" if suffix else var
        values = flat[var].transpose("_run", ...).values
        if values.ndim == 1:
            header.append(base)
            columns.append([_fmt(v) for v in values])
        else:
            for k, label in enumerate(labels):
                header.append(f"{base} @ {label}")
                columns.append([_fmt(v) for v in values[:, k]])
    header.append("error")
    columns.append([str(v) for v in flat["error"].values])
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(zip(*columns))
    return Path(path)


def _fmt(v) -> str:
    return "" if not np.isfinite(v) else f"{v:.10g}"


# ----------------------------------------------------------------------------- the figure

# metric variable → (panel title, axis label, unit of the axis, factor from the Dataset's SI unit)
_METRIC_WORDS = {
    "uptake": ("{A}⁺ taken up per unit area", "uptake", "mol/m²", 1.0),
    "compressive_stress": ("surface compressive stress CS", "CS", "MPa", 1e-6),
    "depth_of_compression": ("depth of compression DOC", "DOC", "µm", 1e6),
    "central_tension": ("central tension CT", "CT", "MPa", 1e-6),
    "depth_of_layer": ("depth of layer DOL", "DOL", "µm", 1e6),
    "knee_depth": ("depth of the knee", "knee depth", "µm", 1e6),
    "knee_compressive_stress": ("compressive stress at the knee", "CS at the knee", "MPa", 1e-6),
    "mode_count_TE": ("guided TE modes", "number of TE modes", "", 1.0),
    "mode_count_TM": ("guided TM modes", "number of TM modes", "", 1.0),
    "tensile_energy": ("stored tensile strain energy W_t", "W_t", "J/m²", 1.0),
}
# a multicomponent sweep's per-ion metrics: prefix → (title, axis words, unit, factor)
_ION_METRIC_WORDS = {
    "uptake_": ("{ion}⁺ taken up per unit area", "uptake", "mol/m²", 1.0),
    "surface_": ("surface fraction of {ion}⁺", "site fraction", "", 1.0),
    "reach_": ("reach of {ion}⁺ (changed by > 0.01)", "depth", "µm", 1e6),
}

# recipe fields in words: (section, key) → words; {ion} and {n} are filled in
_FIELD_WORDS = {
    ("glass", "total_mobile"): "mobile-ion concentration C_T",
    ("glass", "thickness"): "plate thickness",
    ("ions", "D"): "D of {ion}⁺",
    ("ions", "D0"): "D₀ of {ion}⁺",
    ("ions", "Q"): "activation energy of {ion}⁺",
    ("model", "thermodynamic_factor"): "thermodynamic factor n",
    ("model", "margules_W"): "Margules parameter W",
    ("model", "stress_coupling"): "stress coupling K_AB",
    ("model", "onsager_cross_ratio"): "Onsager cross ratio ρ",
    ("step", "temperature"): "temperature of step {n}",
    ("step", "bath_temperature"): "bath temperature, step {n}",
    ("step", "duration"): "duration of step {n}",
    ("step", "bath"): "bath surface fraction of {ion}⁺, step {n}",
    ("step", "salt"): "{ion} in the salt, step {n}",
    ("bath", "salt_mass"): "salt mass",
    ("bath", "load_area"): "glass area per load",
    ("bath", "loads_before"): "loads the salt exchanged before",
    ("glass", "initial"): "initial site fraction of {ion}⁺",
    ("stress", "youngs_modulus"): "Young's modulus E",
    ("stress", "poisson_ratio"): "Poisson's ratio ν",
    ("stress", "dilation"): "dilation coefficient B",
    ("stress", "molar_volume_difference"): "molar volume difference Ω_AB",
    ("stress", "tau"): "relaxation time τ",
    ("stress", "beta"): "stretching exponent β",
    ("stress", "tau_activation_energy"): "activation energy of τ",
    ("stress", "tau_reference_temperature"): "reference temperature of τ",
    ("optics", "wavelength"): "wavelength",
    ("optics", "base_index"): "base index n_b",
    ("optics", "index_change"): "index change Δn₀",
    ("optics", "c_parallel"): "elasto-optic constant C∥",
    ("optics", "c_perp"): "elasto-optic constant C⊥",
    ("optics", "cover_index"): "cover index",
}

_UNIT_WORDS = [
    ("degC", "°C"),
    ("degF", "°F"),
    ("kelvin", "K"),
    ("um", "µm"),
    ("^-1", "⁻¹"),
    ("^2", "²"),
    ("^3", "³"),
    ("**2", "²"),
    ("**3", "³"),
    (" * ", "·"),
    ("*", "·"),
    ("ohm", "Ω"),
]


def unit_text(unit: str) -> str:
    """A unit as written in a recipe ("degC", "m^2/s") as it is printed ("°C", "m²/s")."""
    if unit in ("", "1", "dimensionless"):
        return ""
    for a, b in _UNIT_WORDS:
        unit = unit.replace(a, b)
    return unit


def parameter_words(path: str, recipe_text: str = "") -> str:
    """A recipe field path in words: "step[1].temperature" → "bath temperature, step 1"
    (a bath step; "temperature of step 2" for an anneal), "ions.K.D" → "D of K⁺"; a path
    without words of its own is returned as it is."""
    try:
        parts = parse_path(path)
    except ValueError:
        return path
    keys = [p for p in parts if isinstance(p, str)]
    numbers = [p for p in parts if isinstance(p, int)]
    section = keys[0] if keys else ""
    if section == "ions" and len(keys) == 3:
        words = _FIELD_WORDS.get(("ions", keys[2]))
        return words.format(ion=keys[1]) if words else path
    if section == "glass" and len(keys) == 3 and keys[1] == "initial":
        return _FIELD_WORDS[("glass", "initial")].format(ion=keys[2])
    if section == "step" and numbers and len(keys) >= 2:
        n = numbers[0] + 1  # parse_path counts from 0
        key = keys[1]
        if key == "bath" and len(keys) == 3:
            return _FIELD_WORDS[("step", "bath")].format(ion=keys[2], n=n)
        if key == "bath" and len(keys) == 4 and keys[2] == "salt":
            return _FIELD_WORDS[("step", "salt")].format(ion=keys[3], n=n)
        if key == "temperature" and len(parts) == 3:
            key = "bath_temperature" if _is_bath(recipe_text, n) else "temperature"
        words = _FIELD_WORDS.get(("step", key)) if len(parts) == 3 else None
        return words.format(n=n) if words else path
    words = _FIELD_WORDS.get(tuple(keys[:2])) if len(parts) == 2 else None
    return words or path


def _is_bath(recipe_text: str, n: int) -> bool:
    """Whether step n (1-based) of the recipe text holds a bath (not an anneal)."""
    try:
        steps = parse_toml(recipe_text, "<recipe>").get("step", [])
        bath = steps[n - 1].get("bath", "none")
    except (RecipeError, IndexError, AttributeError, TypeError):
        return False
    return bath != "none"


def _axis_label(words: str, unit: str) -> str:
    return f"{words} ({unit})" if unit else words


def _metric_panels(ds) -> list[tuple[str, str, str, float]]:
    """(variable, panel title, axis label, factor) of each metric the sweep computed and
    holds a finite value of: uptake, the depths, CS/DOC/CT/DOL/knee, the mode counts."""
    ion = ds.attrs.get("incoming_ion", "A")
    panels = []
    for var in ds.data_vars:
        if var in ("error", "end_time", "time_steps") or "depth" in ds[var].dims:
            continue
        if not np.any(np.isfinite(np.asarray(ds[var].values, dtype=float))):
            continue  # e.g. no run has a knee
        if var.startswith("depth_frac_"):
            title, label, unit, factor = (
                f"depth where the {ion}⁺ fraction falls to {var.removeprefix('depth_frac_')}",
                "depth",
                "µm",
                1e6,
            )
        elif var in _METRIC_WORDS:
            title, label, unit, factor = _METRIC_WORDS[var]
            title = title.format(A=ion)
        elif "species" in ds.attrs and var.startswith("melt_"):
            species, step = var.removeprefix("melt_").split("_step_")
            title = f"{species}⁺ in the aged salt of step {step}"
            label, unit, factor = "mole fraction of the cations", "", 1.0
        elif "species" in ds.attrs and var.startswith(tuple(_ION_METRIC_WORDS)):
            prefix, species = var.split("_", 1)
            title, label, unit, factor = _ION_METRIC_WORDS[prefix + "_"]
            title = title.format(ion=species)
        else:
            title = label = ds[var].attrs.get("long_name", var)
            unit, factor = unit_text(ds[var].attrs.get("units", "")), 1.0
        panels.append((var, title, _axis_label(label, unit), factor))
    return panels


def _parameter_label(ds, name: str) -> str:
    attrs = ds[name].attrs
    return _axis_label(
        parameter_words(attrs["parameter"], ds.attrs.get("recipe", "")),
        unit_text(attrs.get("units", "1")),
    )


def _value_text(value: float, unit: str) -> str:
    return f"{value:.4g} {unit}".strip()


def sweep_figure(ds, figure=None):
    """The figure of sweep.png: one panel per metric the sweep computed (uptake, depths,
    CS/DOC/CT/DOL/knee with [stress], mode counts with [optics]) against the first
    parameter — one line per value of the second parameter for a grid (any further
    parameters held at their first value, which the title says), colour-coded points
    for sampled designs. Labels in words with units. ``figure``: a matplotlib Figure to
    draw on (default: a new one, not managed by pyplot)."""
    from matplotlib import colormaps
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    panels = _metric_panels(ds)
    params = _parameter_vars(ds)
    first = params[0]
    second = params[1] if len(params) > 1 else None
    ncols = min(3, max(1, len(panels)))
    nrows = max(1, math.ceil(len(panels) / ncols))
    fig = (
        figure
        if figure is not None
        else Figure(figsize=(4.6 * ncols, 3.6 * nrows + 0.6), layout="constrained")
    )
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[len(panels) :]:
        ax.remove()
    xv = np.asarray(ds[first].values, dtype=float)
    log_x = bool(np.all(xv > 0) and xv.max() / xv.min() > 10)
    cmap = colormaps["viridis"]
    held = []
    at_time = ""
    scatter = None
    for ax, (var, title, label, factor) in zip(axes, panels):
        y = ds[var]
        if "time" in y.dims:
            y = y.isel(time=-1)
            at_time = f"at {_value_text(float(ds['time'].values[-1]) / 3600.0, 'h')} from the start"
        if "run" in ds.dims:
            if second is not None:
                scatter = ax.scatter(xv, y.values * factor, c=ds[second].values, s=12, cmap=cmap)
            else:
                ax.plot(xv, y.values * factor, "o", ms=3)
        else:
            others = [d for d in y.dims if d != first]
            dim2 = others[0] if others else None
            fixed = {d: 0 for d in others[1:]}
            held = [
                f"{parameter_words(ds[d].attrs['parameter'], ds.attrs.get('recipe', ''))} held at "
                f"{_value_text(float(ds[d].values[0]), unit_text(ds[d].attrs.get('units', '1')))}"
                for d in fixed
            ]
            y = y.isel(fixed)
            if dim2 is None:
                ax.plot(xv, y.values * factor, "o-", ms=3)
            else:
                n2 = y.sizes[dim2]
                unit2 = unit_text(ds[dim2].attrs.get("units", "1"))
                for k in range(n2):
                    ax.plot(
                        xv,
                        y.isel({dim2: k}).transpose(first).values * factor,
                        "o-",
                        ms=3,
                        color=cmap(k / max(n2 - 1, 1)),
                        label=_value_text(float(ds[dim2].values[k]), unit2),
                    )
        if log_x:
            ax.set_xscale("log")
        if var.startswith("mode_count_"):
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(_parameter_label(ds, first))
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    if panels and second is not None:
        if scatter is not None:
            fig.colorbar(scatter, ax=list(axes[: len(panels)]), label=_parameter_label(ds, second))
        elif "run" not in ds.dims:
            handles, labels = axes[0].get_legend_handles_labels()
            axes[0].legend(
                handles, labels, fontsize=8, title=_parameter_label(ds, second), title_fontsize=8
            )
    if "species" in ds.attrs:
        exchange = "/".join(f"{ion}⁺" for ion in ds.attrs["species"].split(","))
    else:
        exchange = f"{ds.attrs.get('incoming_ion', 'A')}⁺/{ds.attrs.get('host_ion', 'B')}⁺"
    swept = [parameter_words(ds[p].attrs["parameter"], ds.attrs.get("recipe", "")) for p in params]
    design = f"{ds.attrs.get('runs', '')} runs" + (
        "" if "run" not in ds.dims else f", {ds.attrs.get('design_kind', 'sampled')} design"
    )
    listed = swept[0] if len(swept) == 1 else ", ".join(swept[:-1]) + " and " + swept[-1]
    lines = [f"{exchange} exchange swept over {listed} ({design})"]
    notes = [n for n in [at_time] + held if n]
    if notes:
        lines.append("; ".join(notes))
    fig.suptitle("\n".join(lines), fontsize=11)
    return fig


def plot_sweep(ds, path) -> Path:
    """sweep.png (sweep_figure), written atomically."""
    return save_figure(sweep_figure(ds), path)
