"""Read a fit file (TOML): the recipe, the parameters to vary with their bounds, and the
datasets with their uncertainties — into the SI objects of ionex.process.fitting.

    recipe = "../examples/soda_lime_k_na.toml"   # relative to the fit file
    [[parameter]]
    path = "ions.K.D"           # any numeric recipe field (RecipeDocument path)
    value = "1e-15 m^2/s"       # start (default: the recipe's value)
    min = "1e-17 m^2/s"
    max = "1e-13 m^2/s"
    log = true                  # vary log10 (positive quantities spanning decades)
    [[parameter]]
    path = "step[1].bath.K"     # a site fraction of a multicomponent recipe's bath
    balance = "Na"              # the ion whose fraction takes up the change (or "others")
    [[dataset]]
    kind = "profile"            # profile | sims | zone | index | modes | surface_stress
                                # | oxide_profile | stress_profile
    file = "k_profile_420C.csv"
    time = "8 h"                # default: the end of the process
    column = "frac_K"           # default per kind
    sigma = 0.01                # or a column "sigma" in the file
    weight = 1.0
    set = { "step[1].temperature" = "420 degC" }   # this dataset's recipe overrides
    recipe = "other.toml"       # this dataset's own recipe (default: the top-level one)
    [fit]                       # optional: method, rtol, atol, fd_step, max_nfev, ftol, xtol, scale_covar

Datasets whose recipe and ``set`` agree (the same file, the same fields at the same values
in the fields' units) share one builder, so one forward run per evaluation serves them all:
an EDX profile and a stress profile of one plate cost one run; a global fit over plates of
several thicknesses, ``set = { "glass.thickness" = "0.5 mm" }`` on each, one run per plate.

A bath's (or the glass's initial) site fractions in a multicomponent recipe add up to 1, so
a fitted one names its ``balance``: an ion of the same table that takes up the difference
(χ_balance = 1 − Σ the others, e.g. K fitted and Na = 1 − χ_Li − χ_K), or "others" (the
ions not fitted share 1 − Σ the fitted in the proportions the recipe gives them). Every
fitted fraction of one table names the same balance (so the balance ion is never fitted),
no dataset sets a fraction of a balanced table, and the fitted recipe is written with the
balance applied. A bound that
would take the balance below 0 is refused when the file is read.

Errors name the file, the line and the field, what was found and what was expected
(the conventions of ionex.io.recipe). The rules of the values — a parameter's start and
bounds, a dataset's times, depths, σ and weight, what its recipe must have, the options,
the number of points — belong to ionex.process.fitting, which raises FitInputError naming
the field; this reader locates it in the file and shows the value as written. What is
checked here is what only a file can get wrong: keys, TOML types, units, data files.
KIND_READERS is the one place that reads ``kind = "…"``. The data files are CSV with a
header:

    profile         depth_m | depth_um | depth_nm, the fraction column (frac_<Ion>), [sigma]
    zone            species,fraction[,sigma]: mean fractions over depth_range = [from, to]
    sims            a ToF-SIMS profile (ionex.io.sims: sputter time, isotope counts) with
                    species, crater_depth and roughness: the model is convolved with a
                    Gaussian depth resolution of that rms roughness before it meets the data
    index           `ionex iwkb` output (polarisation,depth_m,n) or depth_m | depth_um with
                    n_TE, n_TM or n (the stress-free index n_0); [sigma]
    modes           `ionex modes` output: polarisation,order,effective_index (or
                    synchronous_angle_deg with the recipe's prism); sigma from the fit file
    surface_stress  time_s | time_min | time_h, surface_stress_Pa | surface_stress_MPa
                    (compression < 0); [sigma] in the unit of the stress column. Or a
                    surface stress meter's results (FSM-6000-type; a file with a sample, CS
                    or DOL column: ionex.io.stress_data.read_surface_stress_meter):
                    sample, CS_MPa | CS_Pa (compression > 0), DOL_um | DOL_nm | DOL_m, one
                    row per sample, every row a repeated measurement of the one process the
                    dataset's recipe and set describe (thickness and mode-line columns are
                    not used: plates of another thickness go in a dataset of their own with
                    set = { "glass.thickness" = … }). Compared with the model at the end of
                    the process (SurfaceStressMeterData): CS = −σ(0), DOL = the depth where
                    the enriching ion's excess site fraction falls to 1 % of its surface
                    value (the depth_of_layer of ionex's stress metrics). Keys:
                    sigma_cs = "20 MPa", sigma_dol = "0.5 um" (each needed for the quantity
                    used, and only then), use = ["CS", "DOL"] (the default; ["CS"] or
                    ["DOL"] fits one), ion = "K" (the ion whose layer DOL measures: a
                    binary recipe's incoming ion, K by default in a multicomponent recipe).
    oxide_profile   depth_m | depth_um | depth_nm, one column <Oxide>_mol_pct per exchanging
                    oxide M₂O measured (Na2O_mol_pct, K2O_mol_pct, …), [sigma] (mol %).
                    total_alkali_oxide = "15 mol%" (the mol % of all exchanging oxides of
                    the glass, Li₂O included where EDX cannot see it) turns each into a site
                    fraction χ_M = mol %(M₂O) / total (OxideProfileData); sigma = "0.2 mol%"
                    or per oxide { Na2O = "0.3 mol%", K2O = "0.2 mol%" }; oxides = ["K2O"]
                    fits only those columns (default: every M₂O column; other oxide columns,
                    SiO2_mol_pct say, are not exchanged and are left out). Every M₂O column's
                    cation must be an ion of the recipe.
    stress_profile  depth_m | depth_um | depth_nm and one stress column: stress_MPa |
                    stress_Pa with compression = "positive" or "negative" declared, or
                    compressive_stress_MPa | compressive_stress_Pa (compression > 0, as
                    polariscopes report it); [sigma] in the unit of the stress column, or
                    sigma = "10 MPa". The recipe needs a [stress] section.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import numpy as np

from ..errors import RecipeError
from ..process.fitting import (
    KINDS,
    FitDataset,
    FitInputError,
    FitOptions,
    FitParameter,
    IndexData,
    ModesData,
    OxideProfileData,
    ProfileData,
    SimsData,
    StressProfileData,
    SurfaceStressData,
    SurfaceStressMeterData,
    ZoneData,
    check_data,
    check_parameters,
    oxide_cation,
)
from ..process.recipe import Recipe
from ..units import FieldUnit, UnitError, in_unit
from .sims import read_sims_profile
from .sweep_file import one_dimensional
from .recipe import RecipeReader, parse_toml, read_user_file
from .recipe_document import RecipeDocument, parse_path
from .schema import SI, SURFACE_STRESS_COLUMNS
from .stress_data import (
    CS_COLUMNS,
    DOL_COLUMNS,
    CompressionError,
    read_surface_stress_meter,
    stress_column,
)
from .tables import TIME_COLUMNS, check_width, depth_column, number_cell, open_table, read_mode_list

__all__ = [
    "Balance",
    "FitSetup",
    "FieldUnit",
    "RecipeBuilder",
    "load_fit",
    "quantity_text",
    "MIN_POINTS",
]

_TOP = {"recipe", "title", "fit", "parameter", "dataset"}
_PARAMETER = {"path", "value", "min", "max", "log", "balance"}
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
    "species",
    "crater_depth",
    "roughness",
    "depth_range",
    "total_alkali_oxide",
    "oxides",
    "compression",
    "sigma_cs",
    "sigma_dol",
    "use",
    "ion",
}
# keys only some kinds take: the kinds, by key
_KIND_KEYS = {
    "total_alkali_oxide": ("oxide_profile",),
    "oxides": ("oxide_profile",),
    "compression": ("stress_profile",),
    "sigma_cs": ("surface_stress",),
    "sigma_dol": ("surface_stress",),
    "use": ("surface_stress",),
    "ion": ("surface_stress",),
}
# the keys of a surface stress meter's dataset (a surface_stress dataset of a meter file)
_METER_KEYS = ("sigma_cs", "sigma_dol", "use", "ion")
_FIT = {"method", "rtol", "atol", "fd_step", "max_nfev", "ftol", "xtol", "scale_covar"}
_FIT_NUMBERS = {"rtol", "atol", "fd_step", "ftol", "xtol"}  # plain numbers; the rest as written
MIN_POINTS = 3  # fewest points a dataset may have


@dataclass(frozen=True)
class Balance:
    """How the fitted site fractions of one table of a multicomponent recipe (a bath's, or
    the glass's initial ones) keep it adding up to 1.

    Attributes:
        table: the table's path ("step[1].bath", "glass.initial").
        fitted: the fitted ions of the table.
        ion: the ion that takes up the difference, χ_ion = 1 − Σ the others; or "others":
            the ions not fitted share 1 − Σ_fitted χ in the proportions the recipe gives
            them.
    """

    table: str
    fitted: tuple
    ion: str

    @property
    def paths(self) -> tuple:
        """The fitted parameters' paths."""
        return tuple(f"{self.table}.{ion}" for ion in self.fitted)

    def terms(self, document: RecipeDocument) -> tuple:
        """(path, c, a) for each fraction the balance sets, χ = c − a·Σ_fitted χ, from the
        fractions ``document`` writes in the table.

        Raises:
            RecipeError when the table is not in the document or "others" has nothing to
            share the rest with.
        """
        ions = _table_ions(document, self.table)
        values = {ion: float(document.value(f"{self.table}.{ion}")[0]) for ion in ions}
        rest = [ion for ion in ions if ion not in self.fitted]
        if self.ion != "others":
            if self.ion not in values:
                raise RecipeError(
                    f"{document.path}: {self.table} has no {self.ion}; expected the balance "
                    f"ion in the table ({', '.join(ions)})"
                )
            fixed = math.fsum(values[ion] for ion in rest if ion != self.ion)
            return ((f"{self.table}.{self.ion}", 1.0 - fixed, 1.0),)
        total = math.fsum(values[ion] for ion in rest)
        if not total > 0.0:
            raise RecipeError(
                f"{document.path}: {self.table}: the ions not fitted ({', '.join(rest) or 'none'}) "
                'hold no fraction to share; expected balance = "others" to have some, or a '
                "named balance ion"
            )
        return tuple(
            (f"{self.table}.{ion}", values[ion] / total, values[ion] / total) for ion in rest
        )


def _table_ions(document: RecipeDocument, table: str) -> tuple:
    """The keys of the fractions table at path ``table`` of ``document``."""
    node = document.document
    for part in parse_path(table):
        ok = (isinstance(part, int) and isinstance(node, list) and part < len(node)) or (
            isinstance(part, str) and isinstance(node, dict) and part in node
        )
        if not ok:
            raise RecipeError(f"{document.path}: no table {table}")
        node = node[part]
    if not isinstance(node, dict):
        raise RecipeError(
            f"{document.path}: {table}: found {node!r}; expected a table of fractions"
        )
    return tuple(node)


def _balanced(terms, values) -> dict:
    """{path: χ} of the fractions the balance ``terms`` ((path, c, a, fitted paths), …) set
    at ``values`` (by path)."""
    out = {}
    for path, c, a, fitted in terms:
        v = c - a * math.fsum(values[p] for p in fitted)
        out[path] = 0.0 if abs(v) < 1e-12 else v  # the round-off of a fraction taken to 0
    return out


def _edited(recipe, edits: dict):
    """The recipe rebuilt with ``edits`` {path: SI value}: through with_values, or the
    editor its reader left on it (a MulticomponentRecipe)."""
    with_values = getattr(recipe, "with_values", None)
    if with_values is not None:
        return with_values(edits)
    if getattr(recipe, "editor", None) is None:
        raise ValueError("this recipe was not read from a file, so it has no field paths")
    return recipe.editor(edits)


@dataclass(frozen=True, eq=False)
class RecipeBuilder:
    """values (SI, by parameter path) → Recipe: the dataset's recipe, its overrides applied
    once, edited in memory for each trial (Recipe.with_values: no text, no disk, no pint).
    Picklable, so it runs on dask workers, which get the recipe's logs with it.

    Attributes:
        base: the dataset's recipe with its overrides.
        units: (path, FieldUnit) of each fitted parameter (for messages in the field's unit).
        balances: (path, c, a, fitted paths) of each site fraction set by a Balance:
            χ_path = c − a·Σ values[fitted].
    """

    base: object
    units: tuple
    balances: tuple = ()

    @classmethod
    def of(cls, document: RecipeDocument, units, overrides=(), balances=()) -> RecipeBuilder:
        """The builder of ``document`` with ``overrides`` ((path, magnitude in the field's
        unit), …) for the parameters ``units`` ((path, FieldUnit), …), keeping the tables
        of ``balances`` (Balance, …) adding up to 1."""
        base = document.with_values(dict(overrides)) if overrides else document
        terms = tuple((path, c, a, b.paths) for b in balances for path, c, a in b.terms(base))
        return cls(base.recipe(), tuple(units), terms)

    def __reduce__(self):
        # a MulticomponentRecipe holds read-only mappings (MappingProxyType), which do not
        # pickle: a dask worker gets the editor that read it and reads it again
        editor = getattr(self.base, "editor", None)
        if isinstance(self.base, Recipe) or editor is None:
            return (RecipeBuilder, (self.base, self.units, self.balances))
        return (_rebuilt, (editor, self.units, self.balances))

    def __call__(self, values):
        edits = {
            path: SI(values[path], f"{unit.from_si(values[path]):.6g} {unit.text}".rstrip())
            for path, unit in self.units
        }
        edits.update(
            (path, SI(v, f"{v:.6g}")) for path, v in _balanced(self.balances, values).items()
        )
        return _edited(self.base, edits)


def _rebuilt(editor, units: tuple, balances: tuple) -> RecipeBuilder:
    """A RecipeBuilder unpickled from the editor of its recipe (RecipeBuilder.__reduce__)."""
    return RecipeBuilder(editor({}), units, balances)


class _BalancedDocument(RecipeDocument):
    """The top-level recipe whose edits (the fitted recipe) keep the balanced tables adding
    up to 1."""

    def __init__(self, document: RecipeDocument, balances: tuple):
        self.path, self.document, self.text = document.path, document.document, document.text
        self.balances = tuple(balances)

    def with_values(self, values) -> RecipeDocument:
        values = dict(values)
        for b in self.balances:
            if all(p in values for p in b.paths):
                terms = tuple((path, c, a, b.paths) for path, c, a in b.terms(self))
                values.update(_balanced(terms, values))
        return super().with_values(values)


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
        try:
            return unit.to_si(in_unit(raw, unit.text, "value"))
        except UnitError as exc:
            self.fail(f, f"{str(exc).removeprefix('value: ')} (the unit of {what})")


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
    params, units, balances = _parameters(r, doc["parameter"], main)
    raw_sets = doc["dataset"]
    if not isinstance(raw_sets, list) or not raw_sets:
        r.fail(("dataset",), "expected one or more [[dataset]] tables")
    builders: dict = {}
    datasets, files, recipes = [], [], []
    start = {p.name: p.value for p in params}
    for k, raw in enumerate(raw_sets):
        fd, file, recipe_path = _dataset(r, raw, k, main, params, units, balances, builders, start)
        datasets.append(fd)
        files.append(file)
        recipes.append(recipe_path)
    try:
        check_data(params, datasets)
    except FitInputError as exc:
        r.fail(("dataset", 0, "file") if len(datasets) == 1 else ("dataset",), exc.describe())
    names = [fd.data.name for fd in datasets]
    for k, n in enumerate(names):
        if names.count(n) > 1:
            r.fail(
                ("dataset", k, "name"),
                f"found the name {n!r} twice; expected a distinct name per dataset",
            )
    start_recipe = RecipeBuilder.of(main, tuple(units.items()), balances=balances)(start)
    one_dimensional(start_recipe, "a fit")
    _check_bounds(r, params, units, main, start, balances)
    return FitSetup(
        path,
        title,
        _BalancedDocument(main, balances) if balances else main,
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
    if "scale_covar" in raw and not isinstance(raw["scale_covar"], bool):
        r.fail(f + ("scale_covar",), f"found {raw['scale_covar']!r}; expected true or false")
    kw = {
        key: r.number(value, f + (key,)) if key in _FIT_NUMBERS else value
        for key, value in raw.items()
    }
    try:
        return FitOptions(**kw)
    except FitInputError as exc:  # the rule is FitOptions'; the value is shown as written
        key = exc.field
        r.fail(f + (key,), exc.describe(found=repr(raw[key])) if key in raw else exc.describe())
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
        if "balance" in spec and not isinstance(spec["balance"], str):
            r.fail(
                f + ("balance",),
                f'found {spec["balance"]!r}; expected an ion such as "Na", or "others"',
            )
        try:
            params.append(FitParameter(path, value, lo, hi, log))
        except FitInputError as exc:  # the rule is FitParameter's; said in the field's unit
            # the first field of the rule the file gives (the start value may be the recipe's)
            key = next((k for k in exc.fields if k in spec), exc.field)
            came = {} if "value" in spec else {"value": " (from the recipe)"}
            r.fail(f + (key,), exc.describe(_shown(unit), notes=came))
        units[path] = unit
    try:
        check_parameters(params)
    except FitInputError as exc:
        r.fail(("parameter", exc.position, "path"), exc.describe())
    balances = _balances(r, raw, params, main)
    return tuple(params), units, balances


def _fraction_table(parts: tuple) -> str | None:
    """The path of the site-fraction table (adding up to 1 in a multicomponent recipe) that
    a field's path ``parts`` names a member of: "step[k].bath" or "glass.initial"."""
    if len(parts) == 4 and parts[0] == "step" and isinstance(parts[1], int) and parts[2] == "bath":
        return f"step[{parts[1] + 1}].bath"
    if len(parts) == 3 and parts[:2] == ("glass", "initial"):
        return "glass.initial"
    return None


def _balances(r: _FitReader, raw: list, params, main: RecipeDocument) -> tuple:
    """The Balance of every fractions table with fitted members (see the module docstring);
    each rule located at the parameter that breaks it."""
    from ..process.multicomponent import MulticomponentRecipe

    multicomponent = isinstance(main.recipe(), MulticomponentRecipe)
    tables: dict = {}  # table → (balance, [(position, ion)])
    for i, (spec, p) in enumerate(zip(raw, params)):
        f = ("parameter", i)
        table = _fraction_table(parse_path(p.name)) if multicomponent else None
        ion = p.name.rsplit(".", 1)[-1]
        if table is None:
            if "balance" in spec:
                r.fail(
                    f + ("balance",),
                    f"found {spec['balance']!r} for {p.name}; expected a balance only for a "
                    "site fraction of a multicomponent recipe (step[k].bath.<Ion>, "
                    "glass.initial.<Ion>), whose table adds up to 1",
                )
            continue
        others = [x for x in _table_ions(main, table) if x != ion]
        choices = ", ".join(repr(x) for x in others) + (", " if others else "") + "'others'"
        if "balance" not in spec:
            r.fail(
                f + ("balance",),
                f"missing; {p.name} is one of the site fractions of {table}, which add up to "
                f"1: expected balance = {' or '.join(repr(x) for x in others) or 'an ion'} "
                "(the ion that takes up the change) or 'others' (the ions not fitted share it "
                "in their proportions)",
            )
        balance = spec["balance"]
        if balance != "others" and balance not in others:
            r.fail(f + ("balance",), f"found {balance!r}; expected one of {choices}")
        if table in tables and tables[table][0] != balance:
            first = tables[table][1][0][0]
            r.fail(
                f + ("balance",),
                f"found {balance!r}, but parameter[{first + 1}] balances {table} with "
                f"{tables[table][0]!r}; expected one balance per table",
            )
        tables.setdefault(table, (balance, []))[1].append((i, ion))
    out = []
    for table, (balance, members) in tables.items():
        # one balance per table, never a table's own ion: so never a fitted one
        b = Balance(table, tuple(ion for _, ion in members), balance)
        try:
            b.terms(main)
        except RecipeError as exc:
            r.fail(("parameter", members[0][0], "balance"), str(exc).split(": ", 1)[-1])
        out.append(b)
    return tuple(out)


def _check_bounds(
    r: _FitReader, params, units: dict, main: RecipeDocument, start: dict, balances=()
) -> None:
    """The fit may take each parameter to its bounds: the recipe must accept it there (a bath
    fraction of 3, a D of 0, a bath fraction whose balance would fall below 0 are refused
    now, not in the middle of the fit)."""
    build = RecipeBuilder.of(main, tuple(units.items()), balances=balances)
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
                balance = next((b for b in balances if p.name in b.paths), None)
                if balance is not None:
                    taker = (
                        "the ions not fitted take"
                        if balance.ion == "others"
                        else f"the balance {balance.ion} takes"
                    )
                    reason += f"; {taker} up the change of {p.name}"
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


# --------------------------------------------------------------------------- datasets


@dataclass
class _Input:
    """One [[dataset]] table being read: what the reader of every kind needs."""

    r: _FitReader
    raw: dict
    at: tuple  # ("dataset", k)
    file: Path
    recipe: object  # the dataset's recipe at the start values
    name: str
    weight: float
    time: float | None
    sigma: float | None  # SI

    @property
    def binary(self) -> bool:
        return isinstance(self.recipe, Recipe)

    def uncertainty(self, column_sigma):
        """σ from the data file's sigma column or the fit file's sigma: one of them."""
        if column_sigma is not None and self.sigma is not None:
            self.r.fail(
                self.at + ("sigma",),
                f"{self.file.name} has a sigma column and the fit file gives sigma too; expected one of them",
            )
        if column_sigma is None and self.sigma is None:
            self.r.fail(
                self.at,
                f"no uncertainty for {self.file.name}: expected sigma = … (a number) or a sigma column in the file",
            )
        return column_sigma if column_sigma is not None else self.sigma


def _ions_of(recipe) -> tuple:
    """The ions (species) a recipe's profiles name: a binary recipe's two, a multicomponent
    recipe's ions, a Nernst–Planck–Poisson recipe's species."""
    if isinstance(recipe, Recipe):
        return (recipe.incoming_ion, recipe.glass.host_ion)
    return tuple(getattr(s, "name", s) for s in recipe.species)


def _in_table(path: str, table: str) -> bool:
    """Whether the field ``path`` is a member of the table at path ``table``."""
    try:
        return parse_path(path)[:-1] == parse_path(table)
    except ValueError:
        return False


def _recipe_file(recipe) -> str:
    path = getattr(recipe, "source_path", "")
    return f"the recipe {Path(path).name}" if path else "the recipe"


def _mol_pct(r: _FitReader, value, at: tuple) -> float:
    """An amount in mol %: "15 mol%" (or a bare number, read as mol %)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = value.replace(" ", "") if isinstance(value, str) else ""
    if text.endswith("mol%"):
        try:
            return float(text.removesuffix("mol%"))
        except ValueError:
            pass
    r.fail(at, f'found {value!r}; expected an amount in mol %, e.g. "15 mol%"')


def _oxide_sigma(r: _FitReader, raw, at: tuple, oxides: list):
    """sigma = "0.2 mol%" (every oxide) or { Na2O = "0.3 mol%", … } (each oxide fitted)."""
    if not isinstance(raw, dict):
        return _mol_pct(r, raw, at)
    out = {}
    for oxide in raw:
        if oxide not in oxides:
            r.fail(
                at + (oxide,), f"not an oxide of the dataset; expected one of {', '.join(oxides)}"
            )
        out[oxide] = _mol_pct(r, raw[oxide], at + (oxide,))
    missing = [o for o in oxides if o not in out]
    if missing:
        r.fail(at, f"no sigma for {', '.join(missing)}; expected one for every oxide fitted")
    return out


def _oxide_profile(d: _Input) -> OxideProfileData:
    """Oxide mol % per depth (EDX, EPMA): the columns <Oxide>_mol_pct of exchanging oxides
    M₂O, each turned into its cation's site fraction by total_alkali_oxide."""
    r, raw, f = d.r, d.raw, d.at
    if "total_alkali_oxide" not in raw:
        r.fail(
            f + ("total_alkali_oxide",),
            'missing; expected the mol % of all exchanging oxides of the glass (e.g. "15 mol%"), '
            "which turns each oxide's mol % into its cation's site fraction",
        )
    total = _mol_pct(r, raw["total_alkali_oxide"], f + ("total_alkali_oxide",))
    line, header, _ = open_table(d.file, "a header such as depth_um,Na2O_mol_pct,K2O_mol_pct")
    i_x, scale, x_name = depth_column(header, d.file, line)
    columns = {h.removesuffix("_mol_pct"): h for h in header if h.endswith("_mol_pct")}
    if "oxides" in raw:
        wanted = raw["oxides"]
        if not (isinstance(wanted, list) and wanted and all(isinstance(o, str) for o in wanted)):
            r.fail(f + ("oxides",), f'found {wanted!r}; expected a list such as ["Na2O", "K2O"]')
        for oxide in wanted:
            if oxide_cation(oxide) is None:
                r.fail(
                    f + ("oxides",),
                    f"found {oxide!r}; expected exchanging oxides M2O (Li2O, Na2O, K2O, …)",
                )
            _column(header, f"{oxide}_mol_pct", d.file, line, "a column per oxide named in oxides")
    else:
        wanted = [o for o in columns if oxide_cation(o) is not None]
    if not wanted:
        raise RecipeError(
            f"{d.file}, line {line}: header {','.join(header)!r}; expected a column "
            "<Oxide>_mol_pct per exchanging oxide measured, e.g. Na2O_mol_pct,K2O_mol_pct"
        )
    ions = _ions_of(d.recipe)
    for oxide in wanted:
        ion = oxide_cation(oxide)
        if ion not in ions:
            raise RecipeError(
                f"{d.file}, line {line}: column {columns[oxide]!r}: {oxide}'s cation {ion} is not "
                f"an ion of {_recipe_file(d.recipe)} (ions: {', '.join(ions)}); expected columns "
                f"of its ions' oxides ({', '.join(i + '2O_mol_pct' for i in ions)}), or "
                "oxides = [...] naming those to fit"
            )
    i_s = _sigma_index(header, raw.get("sigma_column"), d.file, line)
    names = [x_name, *(columns[o] for o in wanted), header[i_s] if i_s is not None else ""]
    cols = [i_x, *(header.index(columns[o]) for o in wanted), i_s]
    arrays = _read_table(d.file, cols, names, [scale] + [1.0] * (len(cols) - 1))
    if "sigma" in raw:
        d.sigma = _oxide_sigma(r, raw["sigma"], f + ("sigma",), wanted)
    return OxideProfileData.from_mol_pct(
        arrays[0],
        dict(zip(wanted, arrays[1:-1])),
        d.uncertainty(arrays[-1]),
        total,
        time=d.time,
        name=d.name,
        weight=d.weight,
    )


def _stress_profile(d: _Input) -> StressProfileData:
    """σ per depth with its sign declared once (ionex.io.stress_data.stress_column: by the
    column, by `ionex invert`'s file, or by compression = "positive" | "negative");
    stored compression < 0."""
    r, raw, f = d.r, d.raw, d.at
    line, header, _ = open_table(d.file, "a header such as depth_um,compressive_stress_MPa")
    i_x, scale, x_name = depth_column(header, d.file, line)
    try:
        column = stress_column(d.file, header, line, raw.get("compression"))
    except CompressionError as exc:
        r.fail(f + ("compression",), str(exc))
    i_s = _sigma_index(header, raw.get("sigma_column"), d.file, line)
    depth, stress, col_sigma = _read_table(
        d.file,
        [i_x, header.index(column.name), i_s],
        [x_name, column.name, header[i_s] if i_s is not None else ""],
        [scale, column.to_pa, abs(column.to_pa)],
    )
    return StressProfileData(
        depth,
        stress,
        d.uncertainty(col_sigma),
        time=d.time,
        name=d.name,
        weight=d.weight,
    )


def _profile(d: _Input) -> ProfileData:
    r, raw, f, recipe = d.r, d.raw, d.at, d.recipe
    column = raw.get("column", f"frac_{recipe.incoming_ion}" if d.binary else None)
    if column is None:
        r.fail(
            f + ("column",), 'missing; name the measured species column, e.g. column = "frac_Cs"'
        )
    ions = _ions_of(recipe)
    if not column.startswith("frac_") or column[5:] not in ions:
        r.fail(
            f + ("column",),
            f"found {column!r}; expected one of {', '.join('frac_' + i for i in ions)}",
        )
    depth, values, col_sigma = _read_profile(d.file, column, raw.get("sigma_column"))
    return ProfileData(
        depth,
        values,
        d.uncertainty(col_sigma),
        time=d.time,
        ion=column[5:],
        name=d.name,
        weight=d.weight,
    )


def _index(d: _Input) -> IndexData:
    depth, values, col_sigma, pol = _read_index(
        d.file, d.raw.get("column"), d.raw.get("sigma_column")
    )
    return IndexData(
        depth,
        values,
        d.uncertainty(col_sigma),
        polarisation=pol,
        time=d.time,
        name=d.name,
        weight=d.weight,
    )


def _modes(d: _Input) -> ModesData:
    which = d.raw.get("polarisation", "both")
    if which not in ("TE", "TM", "both"):
        d.r.fail(d.at + ("polarisation",), f'found {which!r}; expected "TE", "TM" or "both"')
    optics = d.recipe.optics
    prism = None
    if optics.prism_index is not None:
        from ..physics.prism import Prism

        prism = Prism(optics.prism_index, optics.prism_angle)
    modes = read_mode_list(d.file, prism)
    pols, orders, values = [], [], []
    for pol in ("TE", "TM"):
        if pol in modes and which in (pol, "both"):
            pols += [pol] * modes[pol].size
            orders += list(range(modes[pol].size))
            values += modes[pol].tolist()
    if not values:
        d.r.fail(d.at + ("polarisation",), f"{d.file.name} lists no {which} modes")
    return ModesData(
        tuple(pols),
        np.array(orders),
        np.array(values),
        d.uncertainty(None),
        time=d.time,
        name=d.name,
        weight=d.weight,
    )


def _sims(d: _Input) -> SimsData:
    """A ToF-SIMS depth profile (the format of ionex.io.sims) of one species: the crater
    depth scales sputter time to depth, the roughness is the Gaussian depth resolution the
    model is convolved with."""
    r, raw, f = d.r, d.raw, d.at
    for key in ("species", "crater_depth", "roughness"):
        if key not in raw:
            r.fail(f + (key,), "missing; a sims dataset needs species, crater_depth and roughness")
    species = raw["species"]
    names = _ions_of(d.recipe)
    if species not in names:
        r.fail(f + ("species",), f"found {species!r}; expected one of {', '.join(names)}")
    crater = r.quantity(raw["crater_depth"], "length", f + ("crater_depth",))
    roughness = r.quantity(raw["roughness"], "length", f + ("roughness",))
    profile = read_sims_profile(d.file, crater_depth=crater, elements=names)
    if species not in profile.fractions:
        r.fail(f + ("species",), f"{d.file.name} has no isotope of {species}")
    keep = profile.valid
    return SimsData(
        profile.depth[keep],
        profile.fractions[species][keep],
        d.uncertainty(None),
        time=d.time,
        ion=species,
        name=d.name,
        weight=d.weight,
        resolution=_resolution(r, roughness, f + ("roughness",)),
    )


def _resolution(r, roughness: float, at: tuple):
    from ..physics.depth_resolution import GaussianResolution

    try:
        return GaussianResolution(roughness)
    except ValueError as exc:  # the rule is GaussianResolution's; here it is located
        r.fail(at, str(exc))


def _zone(d: _Input) -> ZoneData:
    """A zone composition: a CSV of species,fraction[,sigma] and the depth range it averages."""
    r, raw, f = d.r, d.raw, d.at
    rng = raw.get("depth_range")
    if not (isinstance(rng, list) and len(rng) == 2):
        r.fail(
            f + ("depth_range",),
            f'found {rng!r}; expected the averaged depths, e.g. depth_range = ["0 nm", "40 nm"]',
        )
    lo, hi = (r.quantity(v, "length", f + ("depth_range",)) for v in rng)
    header_line, header, rows = open_table(d.file, "a header species,fraction[,sigma]")
    i_s = _column(header, "species", d.file, header_line, "species,fraction[,sigma]")
    i_f = _column(header, "fraction", d.file, header_line, "species,fraction[,sigma]")
    i_u = _sigma_index(header, raw.get("sigma_column"), d.file, header_line)
    names = _ions_of(d.recipe)
    species, values, sigmas = [], [], []
    for number, fields in rows:
        where = f"{d.file}, line {number}"
        check_width(fields, header, where)
        name = fields[i_s].strip()
        if name not in names:
            raise RecipeError(f"{where}: species {name!r}; expected one of {', '.join(names)}")
        species.append(name)
        values.append(number_cell(fields[i_f], where, "fraction"))
        if i_u is not None:
            sigmas.append(number_cell(fields[i_u], where, header[i_u]))
    return ZoneData(
        tuple(species),
        np.array(values),
        d.uncertainty(np.array(sigmas) if i_u is not None else None),
        (lo, hi),
        time=d.time,
        name=d.name,
        weight=d.weight,
    )


def _surface_stress(d: _Input) -> SurfaceStressData | SurfaceStressMeterData:
    """σ(0, t) against time, or a surface stress meter's CS and DOL per sample: told apart
    by the data file's header (a sample, CS or DOL column makes it a meter's)."""
    line, header, _ = open_table(d.file, "a header such as time_h,surface_stress_MPa")
    if "sample" in header or any(h in CS_COLUMNS or h in DOL_COLUMNS for h in header):
        return _surface_meter(d)
    for key in _METER_KEYS:
        if key in d.raw:
            d.r.fail(
                d.at + (key,),
                f"{d.file.name} is a time series of σ(0, t); expected {key} only with a surface "
                "stress meter's file (sample,CS_MPa,DOL_um)",
            )
    times, values, col_sigma = _read_stress(d.file, d.raw.get("sigma_column"))
    return SurfaceStressData(times, values, d.uncertainty(col_sigma), name=d.name, weight=d.weight)


def _surface_meter(d: _Input) -> SurfaceStressMeterData:
    """A surface stress meter's rows (read_surface_stress_meter): CS and/or DOL per sample,
    each with the fit file's sigma_cs, sigma_dol."""
    r, raw, f = d.r, d.raw, d.at
    for key, why in (
        ("sigma", "a surface stress meter's dataset takes sigma_cs and sigma_dol"),
        (
            "sigma_column",
            "a surface stress meter's file has no sigma column; give sigma_cs, sigma_dol",
        ),
        ("column", 'a surface stress meter\'s dataset reads CS and DOL; choose with use = ["CS"]'),
    ):
        if key in raw:
            r.fail(f + (key,), why)
    use = raw.get("use", ["CS", "DOL"])
    if not (isinstance(use, list) and all(isinstance(q, str) for q in use)):
        r.fail(f + ("use",), f'found {use!r}; expected a list such as ["CS", "DOL"]')
    if "ion" in raw and not isinstance(raw["ion"], str):
        r.fail(f + ("ion",), f'found {raw["ion"]!r}; expected an ion such as "K"')
    sigma = {
        key: r.quantity(raw[key], kind, f + (key,))
        for key, kind in (("sigma_cs", "pressure"), ("sigma_dol", "length"))
        if key in raw
    }
    try:
        records = read_surface_stress_meter(d.file)
    except RecipeError as exc:  # the data file's line and column, located at the dataset
        r.fail(f + ("file",), str(exc))
    try:
        data = SurfaceStressMeterData.from_meter(
            [x.sample for x in records],
            [x.compressive_stress for x in records],
            [x.depth_of_layer for x in records],
            use=use,
            ion=raw.get("ion"),
            name=d.name,
            weight=d.weight,
            **sigma,
        )
        data.check_recipe(d.recipe)
    except FitInputError as exc:  # the rule is the dataset's; located at its key
        key = exc.field if exc.field in _METER_KEYS else "file"
        text = exc.describe()
        r.fail(f + (key,), text if key != "file" else f"{d.file.name}: {text}")
    return data


@dataclass(frozen=True)
class _Kind:
    """How a fit file gives one dataset kind: its type, the reader of its data file, the
    quantity of ``sigma = …``, and the keys it does not take (with why)."""

    data: type
    read: Callable[[_Input], object]
    sigma: str | None = "dimensionless"  # None: the kind's reader reads sigma itself
    refuses: tuple = ()  # (key, why)


_ONLY_MODES = (
    "polarisation",
    "only a modes dataset takes polarisation (an index dataset names its column: n_TE, n_TM or n)",
)
# the one place a dataset's ``kind = "…"`` is read: its reader, by the kind's name
KIND_READERS = {
    k.data.kind: k
    for k in (
        _Kind(ProfileData, _profile, refuses=(_ONLY_MODES,)),
        _Kind(SimsData, _sims, refuses=(_ONLY_MODES,)),
        _Kind(ZoneData, _zone, refuses=(_ONLY_MODES,)),
        _Kind(IndexData, _index, refuses=(_ONLY_MODES,)),
        _Kind(
            ModesData,
            _modes,
            refuses=(
                (
                    "column",
                    "a modes dataset reads polarisation, order and effective_index; use "
                    'polarisation = "TE", "TM" or "both" to choose',
                ),
                ("sigma_column", "a mode list has no sigma column; give sigma = … in the fit file"),
            ),
        ),
        _Kind(
            SurfaceStressData,
            _surface_stress,
            sigma="pressure",
            refuses=(
                (
                    "time",
                    "a surface_stress dataset takes its times from the file (σ(0, t)) or "
                    "compares the end of the process (a surface stress meter's CS and DOL); "
                    "remove time",
                ),
                _ONLY_MODES,
            ),
        ),
        _Kind(
            OxideProfileData,
            _oxide_profile,
            sigma=None,
            refuses=(
                (
                    "column",
                    "an oxide_profile dataset reads every column <Oxide>_mol_pct; choose with "
                    'oxides = ["Na2O", "K2O"]',
                ),
                _ONLY_MODES,
            ),
        ),
        _Kind(
            StressProfileData,
            _stress_profile,
            sigma="pressure",
            refuses=(
                (
                    "column",
                    "a stress_profile dataset reads its one stress column (stress_MPa, "
                    "compressive_stress_MPa, …)",
                ),
                _ONLY_MODES,
            ),
        ),
    )
}


def _refused_dataset(r: _FitReader, exc: FitInputError, d: _Input) -> NoReturn:
    """Locate a dataset's FitInputError: at the key of the fit file that gave the value
    (shown as written), else at the data file it was read from."""
    key = exc.field
    if key in d.raw and key in _DATASET:
        r.fail(d.at + (key,), exc.describe(found=repr(d.raw[key])))
    r.fail(d.at + ("file",), f"{d.file.name}: {exc.describe()}")


def _dataset(
    r: _FitReader, raw, k: int, main, params, units, balances, builders: dict, start: dict
):
    f = ("dataset", k)
    raw = r.table(raw, f, _DATASET, {"kind", "file"})
    kind = raw["kind"]
    if kind not in KIND_READERS:
        hint = difflib.get_close_matches(str(kind), KINDS, n=1)
        did = f" (did you mean {hint[0]!r}?)" if hint else ""
        r.fail(f + ("kind",), f"found {kind!r}{did}; expected one of: {', '.join(KINDS)}")
    spec = KIND_READERS[kind]
    for key, why in spec.refuses:
        if key in raw:
            r.fail(f + (key,), why)
    for key, kinds in _KIND_KEYS.items():
        if key in raw and kind not in kinds:
            r.fail(f + (key,), f"only a {' or '.join(kinds)} dataset takes {key}; remove it")
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
        table = next((b for b in balances if _in_table(key, b.table)), None)
        if table is not None:
            r.fail(
                g,
                f"{key!r} belongs to {table.table}, which the fit keeps adding up to 1 through "
                f"the balance {table.ion!r}; a dataset cannot set it",
            )
        unit = FieldUnit.of(unit_text)
        v = unit.from_si(r.field_value(value, unit, g, f"{key} in {doc.path.name}"))
        # "0.8 mm" and "800 um" are one override (one forward run), not two
        overrides.append((key, float(f"{v:.12g}")))
    bkey = (str(recipe_path), tuple(sorted(overrides)))
    if bkey not in builders:
        try:
            builders[bkey] = RecipeBuilder.of(
                doc, tuple(units.items()), tuple(sorted(overrides)), balances
            )
        except RecipeError as exc:
            r.fail(f + ("set",) if overrides else f, f"the dataset's recipe is invalid: {exc}")
    builder = builders[bkey]
    try:
        recipe = builder(start)
    except RecipeError as exc:
        r.fail(
            f + ("set",) if overrides else f,
            f"the dataset's recipe at the start values is invalid: {exc}",
        )

    name = raw.get("name", file.stem)
    if not isinstance(name, str) or not name:
        r.fail(f + ("name",), f"found {name!r}; expected a non-empty string")
    weight = r.number(raw.get("weight", 1.0), f + ("weight",))
    time = r.quantity(raw["time"], "time", f + ("time",)) if "time" in raw else None
    sigma = (
        r.quantity(raw["sigma"], spec.sigma, f + ("sigma",))
        if "sigma" in raw and spec.sigma is not None
        else None
    )
    for key in ("column", "sigma_column", "polarisation"):
        if key in raw and not isinstance(raw[key], str):
            r.fail(f + (key,), f"found {raw[key]!r}; expected a string")
    d = _Input(r, raw, f, file, recipe, name, weight, time, sigma)
    # the rules are the dataset kind's (ionex.process.fitting); here they are located
    try:
        spec.data.check_model(recipe, name)  # before reading: a mode list needs the optics
        data = spec.read(d)
        data.check_recipe(recipe)
    except FitInputError as exc:
        _refused_dataset(r, exc, d)
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
    return depth, values, sigma  # ProfileData refuses depths < 0


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
    stresses = [h for h in header if h in SURFACE_STRESS_COLUMNS]
    if len(times) != 1 or len(stresses) != 1:
        raise RecipeError(
            f"{path}, line {header_line}: header {','.join(header)!r}; expected one time column "
            f"({', '.join(TIME_COLUMNS)}) and one of {', '.join(SURFACE_STRESS_COLUMNS)}"
        )
    i_s = _sigma_index(header, sigma_column, path, header_line)
    unit = SURFACE_STRESS_COLUMNS[stresses[0]]
    t, s, sig = _read_table(
        path,
        [header.index(times[0]), header.index(stresses[0]), i_s],
        [times[0], stresses[0], "sigma"],
        [TIME_COLUMNS[times[0]], unit, unit],
    )
    return t, s, sig  # SurfaceStressData refuses times < 0


def quantity_text(value_si: float, unit: FieldUnit, digits: int = 6) -> str:
    """An SI value written in the field's unit, e.g. "1.0234e-15 m^2/s"."""
    v = unit.from_si(value_si)
    return f"{v:.{digits}g} {unit.text}".strip()
