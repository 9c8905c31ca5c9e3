"""Read a fit file (TOML): the recipe, the parameters to vary with their bounds, and the
datasets with their uncertainties — into the SI objects of ionex.process.fitting.

    recipe = "../examples/soda_lime_k_na.toml"   # relative to the fit file
    [[parameter]]
    path = "ions.K.D"           # any numeric recipe field (RecipeDocument path)
    value = "1e-15 m^2/s"       # start (default: the recipe's value)
    min = "1e-17 m^2/s"
    max = "1e-13 m^2/s"
    log = true                  # vary log10 (positive quantities spanning decades)
    [[dataset]]
    kind = "profile"            # profile | index | modes | surface_stress
    file = "k_profile_420C.csv"
    time = "8 h"                # default: the end of the process
    column = "frac_K"           # default per kind
    sigma = 0.01                # or a column "sigma" in the file
    weight = 1.0
    set = { "step[1].temperature" = "420 degC" }   # this dataset's recipe overrides
    recipe = "other.toml"       # this dataset's own recipe (default: the top-level one)
    [fit]                       # optional: method, rtol, atol, fd_step, max_nfev, ftol, xtol, scale_covar

Errors name the file, the line and the field, what was found and what was expected
(the conventions of ionex.io.recipe). The data files are CSV with a header:

    profile         depth_m | depth_um | depth_nm, the fraction column (frac_<Ion>), [sigma]
    index           `ionex iwkb` output (polarisation,depth_m,n) or depth_m | depth_um with
                    n_TE, n_TM or n (the stress-free index n_0); [sigma]
    modes           `ionex modes` output: polarisation,order,effective_index (or
                    synchronous_angle_deg with the recipe's prism); sigma from the fit file
    surface_stress  time_s | time_min | time_h, surface_stress_Pa | surface_stress_MPa
                    (compression < 0); [sigma] in the unit of the stress column
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import RecipeError
from ..process.fitting import (
    KINDS,
    FitDataset,
    FitOptions,
    FitParameter,
    IndexData,
    ModesData,
    ProfileData,
    SurfaceStressData,
)
from ..process.recipe import Recipe
from ..units import UnitError, registry, split_quantity
from .recipe import RecipeReader, parse_toml, read_user_file
from .recipe_document import RecipeDocument
from .tables import TIME_COLUMNS, check_width, depth_column, number_cell, open_table, read_mode_list

__all__ = ["FitSetup", "FieldUnit", "RecipeBuilder", "load_fit", "quantity_text", "MIN_POINTS"]

_TOP = {"recipe", "title", "fit", "parameter", "dataset"}
_PARAMETER = {"path", "value", "min", "max", "log"}
_DATASET = {
    "kind",
    "file",
    "name",
    "time",
    "column",
    "sigma",
    "sigma_column",
    "weight",
    "set",
    "recipe",
    "polarisation",
}
_FIT = {"method", "rtol", "atol", "fd_step", "max_nfev", "ftol", "xtol", "scale_covar"}
_STRESS_COLUMNS = {"surface_stress_Pa": 1.0, "surface_stress_MPa": 1e6}
MIN_POINTS = 3  # fewest points a dataset may have


@dataclass(frozen=True)
class FieldUnit:
    """The unit a recipe field is written in, and its linear map to SI:
    field value = offset + factor·SI value ("420 degC" ↔ 693.15 K: offset −273.15, factor 1)."""

    text: str
    offset: float = 0.0
    factor: float = 1.0

    @classmethod
    def of(cls, unit: str) -> FieldUnit:
        if not unit:
            return cls("")
        ureg = registry()
        base = ureg.Quantity(1.0, unit).to_base_units().units
        a = float(ureg.Quantity(0.0, base).to(unit).magnitude)
        b = float(ureg.Quantity(1.0, base).to(unit).magnitude) - a
        return cls(unit, a, b)

    def from_si(self, value: float) -> float:
        return self.offset + self.factor * value

    def to_si(self, value: float) -> float:
        return (value - self.offset) / self.factor

    def label(self) -> str:
        return self.text or "(dimensionless)"


@dataclass(frozen=True, eq=False)
class RecipeBuilder:
    """values (SI, by parameter path) → Recipe: the recipe document with this dataset's
    overrides and the parameter values written in the units of their fields. Picklable,
    so it runs on dask workers."""

    document: RecipeDocument
    units: tuple  # (path, FieldUnit) of each fitted parameter
    overrides: tuple = ()  # (path, magnitude in the field's unit)

    def __call__(self, values):
        magnitudes = dict(self.overrides)
        for path, unit in self.units:
            magnitudes[path] = unit.from_si(values[path])
        return self.document.with_values(magnitudes).recipe()


@dataclass
class FitSetup:
    """A loaded fit file.

    Attributes:
        path: the fit file.  title: its title (default: the file name).
        document: the top-level recipe (the fitted recipe is written from it).
        parameters: FitParameters (SI).  units: FieldUnit of each parameter, by path.
        datasets: FitDatasets in file order.  files: the data file of each dataset.
        recipes: the recipe file of each dataset.  options: FitOptions.
        start_recipe: the top-level recipe at the start values.
    """

    path: Path
    title: str
    document: RecipeDocument
    parameters: tuple
    units: dict
    datasets: tuple
    files: tuple
    recipes: tuple
    options: FitOptions
    start_recipe: object = field(default=None, repr=False)


class _FitReader(RecipeReader):
    """The recipe reader's helpers (fail with file/line/field, table checks) on a fit file."""

    def recipe_document(self, raw, f) -> RecipeDocument:
        path = self.resolve(raw, f)
        if not path.is_file():
            self.fail(
                f,
                f"found {raw!r}, but {path} does not exist; expected a recipe file (relative to the fit file)",
            )
        try:
            doc = RecipeDocument.load(path)
            doc.recipe()  # the recipe as written must be valid
        except RecipeError as exc:
            self.fail(f, f"the recipe does not load: {exc}")
        return doc

    def field_value(self, raw, unit: FieldUnit, f, what: str) -> float:
        """A fit-file value for a recipe field, in the field's unit → SI."""
        expected = f"a value in {unit.text}" if unit.text else "a plain number"
        try:
            magnitude, given = split_quantity(raw, "value")
        except UnitError:
            self.fail(f, f"found {raw!r}; expected {expected} (the unit of {what})")
        if given != unit.text:
            if not given or not unit.text:
                self.fail(f, f"found {raw!r}; expected {expected} (the unit of {what})")
            ureg = registry()
            try:
                magnitude = float(ureg.Quantity(magnitude, given).to(unit.text).magnitude)
            except Exception:  # pint's DimensionalityError and friends
                self.fail(
                    f,
                    f"found {raw!r}, which is not convertible to {unit.text}; expected {expected} "
                    f"(the unit of {what})",
                )
        return unit.to_si(magnitude)


def load_fit(path) -> FitSetup:
    """Read the fit file at ``path``: parameters, datasets with their data and recipes.

    Raises:
        RecipeError naming the file, line and field for every malformed input (see the
        module docstring): unknown keys or kinds, a parameter path not in the recipe,
        bounds that exclude the start, min ≥ max, log with non-positive values, units
        that do not fit the field, missing or unreadable data files, NaN in the data, a
        dataset with fewer than MIN_POINTS points or fewer points in all than parameters.

    >>> from ionex import load_fit
    >>> setup = load_fit("examples/fit_soda_lime.toml")
    >>> [p.name for p in setup.parameters], setup.units["ions.K.D"].text, len(setup.datasets)
    (['ions.K.D', 'step[1].bath.K'], 'm^2/s', 1)
    """
    path = Path(path)
    text = read_user_file(path, "fit")
    r = _FitReader(text, path)
    doc = parse_toml(text, path)
    r.table(doc, (), _TOP, {"recipe", "parameter", "dataset"})
    title = doc.get("title", path.stem)
    if not isinstance(title, str):
        r.fail(("title",), f"found {title!r}; expected a string")
    main = r.recipe_document(doc["recipe"], ("recipe",))
    options = _options(r, doc.get("fit", {}))
    params, units = _parameters(r, doc["parameter"], main)
    raw_sets = doc["dataset"]
    if not isinstance(raw_sets, list) or not raw_sets:
        r.fail(("dataset",), "expected one or more [[dataset]] tables")
    builders: dict = {}
    datasets, files, recipes = [], [], []
    start = {p.name: p.value for p in params}
    for k, raw in enumerate(raw_sets):
        fd, file, recipe_path = _dataset(r, raw, k, main, params, units, builders, start)
        datasets.append(fd)
        files.append(file)
        recipes.append(recipe_path)
    total = sum(fd.data.n_points for fd in datasets)
    if total <= len(params):
        where = ("dataset", 0, "file") if len(datasets) == 1 else ("dataset",)
        r.fail(
            where,
            f"{total} data point(s) in all for {len(params)} fitted parameter(s); expected more points than "
            "parameters",
        )
    names = [fd.data.name for fd in datasets]
    for k, n in enumerate(names):
        if names.count(n) > 1:
            r.fail(
                ("dataset", k, "name"),
                f"found the name {n!r} twice; expected a distinct name per dataset",
            )
    start_recipe = RecipeBuilder(main, tuple(units.items()))(start)
    _check_bounds(r, params, units, main, start)
    return FitSetup(
        path,
        title,
        main,
        params,
        units,
        tuple(datasets),
        tuple(files),
        tuple(recipes),
        options,
        start_recipe,
    )


def _options(r: _FitReader, raw) -> FitOptions:
    f = ("fit",)
    raw = r.table(raw, f, _FIT)
    kw = {}
    for key, value in raw.items():
        if key == "method":
            if value not in ("leastsq", "least_squares"):
                r.fail(
                    f + (key,),
                    f'found {value!r}; expected "leastsq" (Levenberg–Marquardt) or "least_squares"',
                )
            kw[key] = value
        elif key == "scale_covar":
            if not isinstance(value, bool):
                r.fail(f + (key,), f"found {value!r}; expected true or false")
            kw[key] = value
        elif key == "max_nfev":
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                r.fail(f + (key,), f"found {value!r}; expected a whole number ≥ 1")
            kw[key] = value
        else:
            v = r.number(value, f + (key,))
            if not v > 0:
                r.fail(f + (key,), f"found {value!r}; expected a number > 0")
            kw[key] = v
    try:
        return FitOptions(**kw)
    except ValueError as exc:
        r.fail(f, str(exc))


def _parameters(r: _FitReader, raw, main: RecipeDocument):
    if not isinstance(raw, list) or not raw:
        r.fail(("parameter",), "expected one or more [[parameter]] tables")
    params, units = [], {}
    for i, spec in enumerate(raw):
        f = ("parameter", i)
        spec = r.table(spec, f, _PARAMETER, {"path"})
        path = spec["path"]
        if not isinstance(path, str):
            r.fail(f + ("path",), f'found {path!r}; expected a field path such as "ions.K.D"')
        if path in units:
            r.fail(f + ("path",), f"{path!r} is listed twice; expected each parameter once")
        magnitude, unit_text = _field(r, main, path, f + ("path",))
        unit = FieldUnit.of(unit_text)
        what = f"{path} in {main.path.name}"
        value = (
            r.field_value(spec["value"], unit, f + ("value",), what)
            if "value" in spec
            else unit.to_si(magnitude)
        )
        lo = r.field_value(spec["min"], unit, f + ("min",), what) if "min" in spec else -math.inf
        hi = r.field_value(spec["max"], unit, f + ("max",), what) if "max" in spec else math.inf
        log = spec.get("log", False)
        if not isinstance(log, bool):
            r.fail(f + ("log",), f"found {log!r}; expected true or false")
        if unit.factor < 0:  # a unit that reverses the order of values (none in practice)
            lo, hi = hi, lo
        shown = _shown(unit)
        if not lo < hi:
            r.fail(
                f + ("min",), f"found min = {shown(lo)} and max = {shown(hi)}; expected min < max"
            )
        if not lo <= value <= hi:
            key = "value" if "value" in spec else ("min" if value < lo else "max")
            r.fail(
                f + (key,),
                f"the start value {shown(value)}{'' if 'value' in spec else ' (from the recipe)'} lies "
                f"outside [{shown(lo)}, {shown(hi)}]; expected bounds that include the start value",
            )
        if log and not (value > 0 and lo >= 0):
            key = "min" if lo < 0 else ("value" if "value" in spec else "log")
            r.fail(
                f + (key,),
                f"log = true needs a positive start value and bounds ≥ 0 (in SI); found start "
                f"{shown(value)}, min {shown(lo)}",
            )
        params.append(FitParameter(path, value, lo, hi, log))
        units[path] = unit
    return tuple(params), units


def _check_bounds(r: _FitReader, params, units: dict, main: RecipeDocument, start: dict) -> None:
    """The fit may take each parameter to its bounds: the recipe must accept it there (a bath
    fraction of 3, a D of 0 are refused now, not in the middle of the fit)."""
    build = RecipeBuilder(main, tuple(units.items()))
    for i, p in enumerate(params):
        for key, bound in (("min", p.min), ("max", p.max)):
            if not math.isfinite(bound) or (p.log and bound <= 0.0):  # log10 never reaches 0
                continue
            try:
                build({**start, p.name: bound})
            except RecipeError as exc:
                reason = (
                    str(exc).split(": ", 1)[-1] if str(exc).startswith(str(main.path)) else str(exc)
                )
                r.fail(
                    ("parameter", i, key),
                    f"found {key} = {_shown(units[p.name])(bound)}, where the recipe does not "
                    f"load ({reason}); expected a bound the recipe accepts",
                )


def _shown(unit: FieldUnit):
    def shown(si: float) -> str:
        if not math.isfinite(si):
            return "-inf" if si < 0 else "inf"
        v = unit.from_si(si)
        return f"{v:.6g} {unit.text}".strip()

    return shown


def _field(r: _FitReader, doc: RecipeDocument, path: str, f) -> tuple[float, str]:
    try:
        return doc.value(path)
    except RecipeError as exc:
        msg = str(exc).removeprefix(f"{doc.path}: ")
        r.fail(f, f"{msg} (recipe {doc.path})")


def _dataset(r: _FitReader, raw, k: int, main, params, units, builders: dict, start: dict):
    f = ("dataset", k)
    raw = r.table(raw, f, _DATASET, {"kind", "file"})
    kind = raw["kind"]
    if kind not in KINDS:
        hint = difflib.get_close_matches(str(kind), KINDS, n=1)
        did = f" (did you mean {hint[0]!r}?)" if hint else ""
        r.fail(f + ("kind",), f"found {kind!r}{did}; expected one of: {', '.join(KINDS)}")
    file = r.resolve(raw["file"], f + ("file",))
    if not file.is_file():
        r.fail(
            f + ("file",),
            f"found {raw['file']!r}, but {file} does not exist; expected a data file (relative to the fit file)",
        )
    # the dataset's recipe and overrides → its builder (shared by datasets that agree)
    doc, recipe_path = main, main.path
    if "recipe" in raw:
        doc = r.recipe_document(raw["recipe"], f + ("recipe",))
        recipe_path = doc.path
    for p in params:
        if doc is not main:
            _field(r, doc, p.name, f + ("recipe",))
    overrides = []
    sets = raw.get("set", {})
    if not isinstance(sets, dict):
        r.fail(
            f + ("set",),
            f'found {sets!r}; expected a table such as {{ "step[1].temperature" = "420 degC" }}',
        )
    for key, value in sets.items():
        g = f + ("set", key)
        if key in units:
            r.fail(g, f"{key!r} is a fitted parameter; a dataset cannot also set it")
        magnitude, unit_text = _field(r, doc, key, g)
        unit = FieldUnit.of(unit_text)
        overrides.append(
            (key, unit.from_si(r.field_value(value, unit, g, f"{key} in {doc.path.name}")))
        )
    bkey = (str(recipe_path), tuple(sorted(overrides)))
    if bkey not in builders:
        builders[bkey] = RecipeBuilder(doc, tuple(units.items()), tuple(sorted(overrides)))
    builder = builders[bkey]
    try:
        recipe = builder(start)
    except RecipeError as exc:
        r.fail(
            f + ("set",) if overrides else f,
            f"the dataset's recipe at the start values is invalid: {exc}",
        )
    binary = isinstance(recipe, Recipe)

    name = raw.get("name", file.stem)
    if not isinstance(name, str) or not name:
        r.fail(f + ("name",), f"found {name!r}; expected a non-empty string")
    weight = r.number(raw.get("weight", 1.0), f + ("weight",))
    if not weight > 0:
        r.fail(f + ("weight",), f"found {raw['weight']!r}; expected a weight > 0")
    time = None
    if "time" in raw:
        if kind == "surface_stress":
            r.fail(
                f + ("time",), "a surface_stress dataset takes its times from the file; remove time"
            )
        time = r.quantity(raw["time"], "time", f + ("time",))
        if time < 0:
            r.fail(
                f + ("time",),
                f"found {raw['time']!r}; expected a time ≥ 0 from the start of the process",
            )
        if binary and time > recipe.total_time * (1 + 1e-12):
            r.fail(
                f + ("time",),
                f"found {raw['time']!r}; expected a time within the process (0 to "
                f"{recipe.total_time / 3600:.6g} h at the start values)",
            )
    sigma = None
    if "sigma" in raw:
        sigma = (
            r.quantity(raw["sigma"], "pressure", f + ("sigma",))
            if kind == "surface_stress"
            else r.number(raw["sigma"], f + ("sigma",))
        )
        if not sigma > 0:
            r.fail(f + ("sigma",), f"found {raw['sigma']!r}; expected an uncertainty > 0")
    for key in ("column", "sigma_column", "polarisation"):
        if key in raw and not isinstance(raw[key], str):
            r.fail(f + (key,), f"found {raw[key]!r}; expected a string")
    if kind == "modes" and "column" in raw:
        r.fail(
            f + ("column",),
            "a modes dataset reads polarisation, order and effective_index; use polarisation "
            '= "TE", "TM" or "both" to choose',
        )
    if kind != "modes" and "polarisation" in raw:
        r.fail(
            f + ("polarisation",),
            "only a modes dataset takes polarisation (an index dataset names its column: "
            "n_TE, n_TM or n)",
        )
    if binary and kind in ("index", "modes") and recipe.optics is None:
        r.fail(
            f + ("kind",),
            f"{'an' if kind == 'index' else 'a'} {kind} dataset needs an [optics] section in the recipe "
            f"{recipe_path.name}",
        )
    if binary and kind == "surface_stress" and recipe.stress is None:
        r.fail(
            f + ("kind",),
            f"a surface_stress dataset needs a [stress] section in the recipe {recipe_path.name}",
        )
    if not binary and kind != "profile":
        r.fail(
            f + ("kind",),
            f"a Nernst–Planck–Poisson recipe can be fitted to profile datasets only, not {kind}",
        )

    def need_sigma(column_sigma):
        if column_sigma is not None and sigma is not None:
            r.fail(
                f + ("sigma",),
                f"{file.name} has a sigma column and the fit file gives sigma too; expected one of them",
            )
        if column_sigma is None and sigma is None:
            r.fail(
                f,
                f"no uncertainty for {file.name}: expected sigma = … (a number) or a sigma column in the file",
            )
        return column_sigma if column_sigma is not None else sigma

    try:
        if kind == "profile":
            default = f"frac_{recipe.incoming_ion}" if binary else None
            column = raw.get("column", default)
            if column is None:
                r.fail(
                    f + ("column",),
                    'missing; name the measured species column, e.g. column = "frac_Cs"',
                )
            ions = (
                (recipe.incoming_ion, recipe.glass.host_ion)
                if binary
                else tuple(s.name for s in recipe.species)
            )
            if not column.startswith("frac_") or column[5:] not in ions:
                r.fail(
                    f + ("column",),
                    f"found {column!r}; expected one of {', '.join('frac_' + i for i in ions)}",
                )
            depth, values, col_sigma = _read_profile(file, column, raw.get("sigma_column"))
            if (
                binary
                and recipe.glass.thickness is not None
                and depth.max() > recipe.glass.thickness
            ):
                r.fail(
                    f + ("file",),
                    f"{file.name}: depth {depth.max() * 1e6:.6g} µm lies beyond the plate "
                    f"({recipe.glass.thickness * 1e6:.6g} µm)",
                )
            data = ProfileData(
                depth,
                values,
                need_sigma(col_sigma),
                time=time,
                ion=column[5:],
                name=name,
                weight=weight,
            )
        elif kind == "index":
            depth, values, col_sigma, pol = _read_index(
                file, raw.get("column"), raw.get("sigma_column")
            )
            data = IndexData(
                depth,
                values,
                need_sigma(col_sigma),
                polarisation=pol,
                time=time,
                name=name,
                weight=weight,
            )
        elif kind == "modes":
            if "sigma_column" in raw:
                r.fail(
                    f + ("sigma_column",),
                    "a mode list has no sigma column; give sigma = … in the fit file",
                )
            which = raw.get("polarisation", "both")
            if which not in ("TE", "TM", "both"):
                r.fail(f + ("polarisation",), f'found {which!r}; expected "TE", "TM" or "both"')
            prism = None
            if recipe.optics.prism_index is not None:
                from ..physics.prism import Prism

                prism = Prism(recipe.optics.prism_index, recipe.optics.prism_angle)
            modes = read_mode_list(file, prism)
            pols, orders, values = [], [], []
            for pol in ("TE", "TM"):
                if pol in modes and which in (pol, "both"):
                    pols += [pol] * modes[pol].size
                    orders += list(range(modes[pol].size))
                    values += modes[pol].tolist()
            if not values:
                r.fail(f + ("polarisation",), f"{file.name} lists no {which} modes")
            data = ModesData(
                tuple(pols),
                np.array(orders),
                np.array(values),
                need_sigma(None),
                time=time,
                name=name,
                weight=weight,
            )
        else:
            times, values, col_sigma = _read_stress(file, raw.get("sigma_column"))
            if binary and times.max() > recipe.total_time * (1 + 1e-12):
                r.fail(
                    f + ("file",),
                    f"{file.name}: time {times.max() / 3600:.6g} h lies after the end of the process "
                    f"({recipe.total_time / 3600:.6g} h at the start values)",
                )
            data = SurfaceStressData(times, values, need_sigma(col_sigma), name=name, weight=weight)
    except ValueError as exc:
        if isinstance(exc, RecipeError):
            raise
        r.fail(f, str(exc))
    if data.n_points < MIN_POINTS:
        r.fail(
            f + ("file",),
            f"{file.name} has {data.n_points} data point(s); expected at least {MIN_POINTS}",
        )
    return FitDataset(data, builder), file, recipe_path


# --------------------------------------------------------------------------- data files


def _column(header: list, name: str, path: Path, line: int, expected: str) -> int:
    if name not in header:
        hint = difflib.get_close_matches(name, header, n=1)
        did = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise RecipeError(
            f"{path}, line {line}: no column {name!r}{did} in the header {','.join(header)!r}; expected {expected}"
        )
    return header.index(name)


def _sigma_index(header, sigma_column, path, line):
    if sigma_column is not None:
        return _column(header, sigma_column, path, line, "the sigma_column named in the fit file")
    return header.index("sigma") if "sigma" in header else None


def _read_table(
    path: Path, columns: list, names: list, scales: list, filter_col=None, filter_value=None
):
    """Rows of the chosen columns as arrays (SI via ``scales``); line numbers in errors."""
    header_line, header, rows = open_table(path, "a header line and data lines")
    out = [[] for _ in columns]
    for number, fields in rows:
        where = f"{path}, line {number}"
        check_width(fields, header, where)
        if filter_col is not None and fields[filter_col].strip() != filter_value:
            continue
        for a, i, n, s in zip(out, columns, names, scales):
            if i is not None:
                a.append(number_cell(fields[i], where, n) * s)
    return [np.asarray(a) if i is not None else None for a, i in zip(out, columns)]


def _read_profile(path: Path, column: str, sigma_column):
    header_line, header, _ = open_table(
        path, "a header such as depth_um,frac_K,sigma and data lines"
    )
    i_x, scale, x_name = depth_column(header, path, header_line)
    i_y = _column(header, column, path, header_line, "the fraction column of the dataset")
    i_s = _sigma_index(header, sigma_column, path, header_line)
    sigma_name = header[i_s] if i_s is not None else ""
    depth, values, sigma = _read_table(
        path, [i_x, i_y, i_s], [x_name, column, sigma_name], [scale, 1.0, 1.0]
    )
    if depth.size and depth.min() < 0:
        raise RecipeError(
            f"{path}: depth {depth.min() / scale:g} < 0; expected depths below the exchanged face (≥ 0)"
        )
    return depth, values, sigma


def _read_index(path: Path, column, sigma_column):
    header_line, header, _ = open_table(
        path, "a header such as polarisation,depth_m,n (ionex iwkb) or depth_um,n_TE"
    )
    names = {"n_TE": "TE", "n_TM": "TM", "n": "none", "n_0": "none"}
    if "polarisation" in header:  # `ionex iwkb` writes polarisation,depth_m,n
        column = column or "n_TE"
        if column not in ("n_TE", "n_TM"):
            raise RecipeError(
                f"{path}, line {header_line}: column {column!r}; expected n_TE or n_TM for an iwkb profile "
                "(it lists rows of polarisation TE and TM)"
            )
        pol = names[column]
        i_x, scale, x_name = depth_column(header, path, header_line)
        i_n = _column(
            header, "n", path, header_line, "polarisation,depth_m,n as `ionex iwkb` writes it"
        )
        i_s = _sigma_index(header, sigma_column, path, header_line)
        depth, values, sigma = _read_table(
            path,
            [i_x, i_n, i_s],
            [x_name, "n", "sigma"],
            [scale, 1.0, 1.0],
            header.index("polarisation"),
            pol,
        )
        if depth.size == 0:
            raise RecipeError(f"{path}: no rows of polarisation {pol}; expected the {pol} profile")
        return depth, values, sigma, pol
    if column is None:
        column = next((c for c in ("n_TE", "n", "n_TM", "n_0") if c in header), "n_TE")
    if column not in names:
        raise RecipeError(
            f"{path}: column {column!r}; expected n_TE, n_TM or n (the stress-free index)"
        )
    i_x, scale, x_name = depth_column(header, path, header_line)
    i_n = _column(header, column, path, header_line, "an index column n_TE, n_TM or n")
    i_s = _sigma_index(header, sigma_column, path, header_line)
    depth, values, sigma = _read_table(
        path, [i_x, i_n, i_s], [x_name, column, "sigma"], [scale, 1.0, 1.0]
    )
    return depth, values, sigma, names[column]


def _read_stress(path: Path, sigma_column):
    header_line, header, _ = open_table(
        path, "a header such as time_h,surface_stress_MPa,sigma and data lines"
    )
    times = [h for h in header if h in TIME_COLUMNS]
    stresses = [h for h in header if h in _STRESS_COLUMNS]
    if len(times) != 1 or len(stresses) != 1:
        raise RecipeError(
            f"{path}, line {header_line}: header {','.join(header)!r}; expected one time column "
            f"({', '.join(TIME_COLUMNS)}) and one of {', '.join(_STRESS_COLUMNS)}"
        )
    i_s = _sigma_index(header, sigma_column, path, header_line)
    unit = _STRESS_COLUMNS[stresses[0]]
    t, s, sig = _read_table(
        path,
        [header.index(times[0]), header.index(stresses[0]), i_s],
        [times[0], stresses[0], "sigma"],
        [TIME_COLUMNS[times[0]], unit, unit],
    )
    if t.size and t.min() < 0:
        raise RecipeError(
            f"{path}: time {t.min():g} s < 0; expected times from the start of the process"
        )
    return t, s, sig


def quantity_text(value_si: float, unit: FieldUnit, digits: int = 6) -> str:
    """An SI value written in the field's unit, e.g. "1.0234e-15 m^2/s"."""
    v = unit.from_si(value_si)
    return f"{v:.{digits}g} {unit.text}".strip()
