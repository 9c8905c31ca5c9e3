"""Read a multicomponent recipe (three or more ``[ions.X]``, or ``[glass] initial = {…}``)
into a MulticomponentRecipe. Same conventions and errors as ionex.io.recipe (file, line,
field, found, expected); the format is documented in the README ("Multicomponent
exchange")."""

from __future__ import annotations

from ..physics.arrhenius import ArrheniusLaw
from ..physics.stress import MultiIonGlass, RelaxationLaw
from ..process.multicomponent import (
    MulticomponentGlass,
    MulticomponentRecipe,
    MulticomponentStep,
    MultiIonStressOptions,
)
from ..validators import FieldError
from .schema import NUMBER, TEXT, Field, Quantity, Section, construct, read

__all__ = ["is_multicomponent", "read_multicomponent_recipe"]

_TOP = {"name", "model", "glass", "ions", "step", "output", "numerics", "stress"}
_ELASTIC = Section(
    MultiIonGlass,
    (
        Field("youngs_modulus", Quantity("pressure"), required=True),
        Field("poisson_ratio", NUMBER, required=True),
        Field("dilation", None, required=True, target="dilations"),
    ),
)
_RELAXATION = Section(
    RelaxationLaw,
    (
        Field("tau", Quantity("time")),
        Field("beta", NUMBER),
        Field("tau_activation_energy", Quantity("molar_energy"), target="activation_energy"),
        Field("tau_reference_temperature", Quantity("temperature"), target="reference_temperature"),
    ),
)
_STRESS = Section(
    MultiIonStressOptions,
    (
        *_ELASTIC.fields,
        Field("relaxation", TEXT),
        Field("relaxation_clock", TEXT, target="clock"),
        *_RELAXATION.fields,
    ),
)
_GLASS = {"total_mobile", "initial", "initial_oxides", "thickness", "faces"}
_ION = {"D", "D0", "Q"}
_STEP = {"name", "bath", "temperature", "duration"}
_NUMERICS = {"rtol", "atol"}
# alkali (and silver) oxides: each formula unit gives two exchanging cations; molar
# masses (g/mol, IUPAC 2021 atomic weights) convert a weight percent to moles
_OXIDES = {"Li2O": "Li", "Na2O": "Na", "K2O": "K", "Rb2O": "Rb", "Cs2O": "Cs", "Ag2O": "Ag"}
_OXIDE_MOLAR_MASS = {
    "Li2O": 29.881,
    "Na2O": 61.979,
    "K2O": 94.196,
    "Rb2O": 186.935,
    "Cs2O": 281.810,
    "Ag2O": 231.735,
}


def is_multicomponent(doc: dict) -> bool:
    """Whether a parsed recipe describes multicomponent exchange: the glass's starting
    fractions given per ion, or three or more ions without a binary host ion."""
    ions = doc.get("ions")
    glass = doc.get("glass")
    if not isinstance(glass, dict):
        return False
    per_ion = "initial" in glass or "initial_oxides" in glass
    many = isinstance(ions, dict) and len(ions) >= 3 and "host_ion" not in glass
    return per_ion or many


def read_multicomponent_recipe(reader, doc: dict) -> MulticomponentRecipe:
    """Build the MulticomponentRecipe of a parsed TOML ``doc``; ``reader`` is the
    ionex.io.recipe reader (its fail/quantity/table helpers name file, line and field)."""
    r = reader
    r.table(doc, (), _TOP, {"glass", "ions", "step"})
    r.table(doc.get("model", {}), ("model",), {"kind"})
    name = doc.get("name", r.path.stem)
    if not isinstance(name, str):
        r.fail(("name",), f"found {name!r}; expected a string")
    ions = _ions(r, doc["ions"])
    glass = _glass(r, doc["glass"], ions)
    raw_steps = doc["step"]
    if not isinstance(raw_steps, list) or not raw_steps:
        r.fail(("step",), "expected one or more [[step]] tables")
    steps = tuple(_step(r, s, k, ions) for k, s in enumerate(raw_steps))
    total = sum(s.duration for s in steps)
    outputs = r.outputs(doc.get("output", {}), total)
    stress = _stress(r, doc["stress"], ions, glass) if "stress" in doc else None
    numerics = {}
    for key, value in r.table(doc.get("numerics", {}), ("numerics",), _NUMERICS).items():
        v = r.number(value, ("numerics", key))
        if not 0.0 < v < 1.0:
            r.fail(("numerics", key), f"found {value!r}; expected a tolerance in (0, 1)")
        numerics[key] = v
    try:
        return MulticomponentRecipe(
            name=name,
            glass=glass,
            ions=ions,
            steps=steps,
            output_times=outputs,
            stress=stress,
            **numerics,
            **r.provenance(doc),
        )
    except FieldError as exc:
        r.fail(tuple(exc.field.split(".")), f"found {exc.found!r}; {exc.expected}")


def _ions(r, raw) -> dict:
    f = ("ions",)
    if not isinstance(raw, dict) or len(raw) < 2:
        r.fail(f, f"found {raw!r}; expected two or more tables [ions.<Symbol>]")
    laws = {}
    for sym, spec in raw.items():
        g = f + (sym,)
        spec = r.table(spec, g, _ION)
        if "D" in spec and ("D0" in spec or "Q" in spec):
            r.fail(g, "give either D (constant) or D0 and Q (Arrhenius), not both")
        if "D" in spec:
            law = (r.quantity(spec["D"], "diffusivity", g + ("D",)), 0.0)
        elif "D0" in spec and "Q" in spec:
            law = (
                r.quantity(spec["D0"], "diffusivity", g + ("D0",)),
                r.quantity(spec["Q"], "molar_energy", g + ("Q",)),
            )
        else:
            r.fail(g, 'missing D (e.g. D = "1e-15 m^2/s"), or D0 and Q for an Arrhenius law')
        try:
            laws[sym] = ArrheniusLaw(*law)
        except FieldError as exc:
            key = "D" if "D" in spec else ("D0" if exc.field == "prefactor" else "Q")
            r.fail(g + (key,), f"found {spec[key]!r}; {exc.expected}")
    return laws


def _stress(r, raw, ions, glass: MulticomponentGlass) -> MultiIonStressOptions:
    """[stress]: E, ν, the dilation B_i per ion (strain per unit site fraction relative to
    the glass's initial composition; ions not named do not dilate), relaxation."""
    f = ("stress",)
    values = read(_STRESS, raw, r, f)
    table = raw["dilation"]
    if not isinstance(table, dict) or not table:
        r.fail(f + ("dilation",), f"found {table!r}; expected e.g. {{ K = 0.02, Na = 0.01 }}")
    dilations = {}
    for ion, value in table.items():
        if ion not in ions:
            r.fail(
                f + ("dilation", ion),
                f"dilation for an ion with no [ions.{ion}]; declared: {', '.join(ions)}",
            )
        dilations[ion] = r.number(value, f + ("dilation", ion))
    native = {ion: glass.initial.get(ion, 0.0) for ion in ions}
    elastic = construct(_ELASTIC, values | {"dilations": dilations, "native": native}, raw, r, f)
    law = None
    if values.get("relaxation", "none") != "none" and "tau" in values:
        law = construct(_RELAXATION, values, raw, r, f)
    return construct(_STRESS, values | {"glass": elastic, "law": law}, raw, r, f)


def _fractions(r, raw, f, ions, what: str) -> dict:
    """Site fractions {ion: number} of declared ions (their range and sum are the
    dataclass's rule: see _located)."""
    if not isinstance(raw, dict) or not raw:
        example = ", ".join(f"{i} = …" for i in ions)
        r.fail(f, f"found {raw!r}; expected {what} such as {{ {example} }}")
    out = {}
    for ion, value in raw.items():
        if ion not in ions:
            r.fail(f + (ion,), f"an ion with no [ions.{ion}]; declared: {', '.join(ions)}")
        out[ion] = r.number(value, f + (ion,))
    return out


def _located(r, f, exc: FieldError, raw):
    """Fail at the place in the file a dataclass's FieldError names: a field of the table
    ``f`` (``raw``), or one ion of a fractions table in it ("bath.K")."""
    parts = exc.field.split(".")
    where = f + tuple(parts)
    shown = raw
    for part in parts:
        shown = shown.get(part, exc.found) if isinstance(shown, dict) else exc.found
    if len(parts) == 1 and isinstance(shown, dict):  # a whole table: its sum
        r.fail(where, f"the site fractions add up to {exc.found:.6g}; {exc.expected}")
    r.fail(where, f"found {shown!r}; {exc.expected}")


def _glass(r, raw, ions) -> MulticomponentGlass:
    f = ("glass",)
    raw = r.table(raw, f, _GLASS, {"total_mobile"})
    if ("initial" in raw) == ("initial_oxides" in raw):
        r.fail(
            f,
            "give the starting composition as initial = { Li = …, … } (site fractions) "
            'or initial_oxides = { Li2O = "… mol%", … }, one of them',
        )
    if "initial" in raw:
        initial = _fractions(r, raw["initial"], f + ("initial",), ions, "site fractions")
    else:
        initial = _oxide_fractions(r, raw["initial_oxides"], f + ("initial_oxides",), ions)
    total = r.quantity(raw["total_mobile"], "concentration", f + ("total_mobile",))
    thickness = (
        r.quantity(raw["thickness"], "length", f + ("thickness",)) if "thickness" in raw else None
    )
    faces = raw.get("faces", "both" if thickness is not None else "front")
    try:
        return MulticomponentGlass(total, initial, thickness, faces)
    except FieldError as exc:
        _located(r, f, exc, raw)


def _oxide_fractions(r, raw, f, ions) -> dict:
    """Site fractions of the exchanging cations from oxide amounts (two cations per M₂O):
    χ_i = 2 n_i / Σ_j 2 n_j with n the oxide's mol %, or its wt % over its molar mass."""
    if not isinstance(raw, dict) or not raw:
        r.fail(f, f'found {raw!r}; expected e.g. {{ Li2O = "11 mol%", Na2O = "8.6 mol%" }}')
    amounts = {}
    bases = set()
    for oxide, value in raw.items():
        if oxide not in _OXIDES:
            r.fail(f + (oxide,), f"unknown oxide; expected one of {', '.join(_OXIDES)}")
        ion = _OXIDES[oxide]
        if ion not in ions:
            r.fail(
                f + (oxide,), f"its cation {ion} has no [ions.{ion}]; declared: {', '.join(ions)}"
            )
        text = value.strip() if isinstance(value, str) else None
        if not (text and (text.endswith("mol%") or text.endswith("wt%"))):
            r.fail(
                f + (oxide,),
                f'found {value!r}; expected an amount with its basis, e.g. "11 mol%" or "4.5 wt%"',
            )
        weight = text.endswith("wt%")
        amount = r.number(text.removesuffix("mol%").removesuffix("wt%") + "%", f + (oxide,))
        if not amount >= 0.0:
            r.fail(f + (oxide,), f"found {value!r}; expected an amount ≥ 0")
        moles = amount / _OXIDE_MOLAR_MASS[oxide] if weight else amount
        bases.add("wt%" if weight else "mol%")
        amounts[ion] = 2.0 * moles
    if len(bases) > 1:
        r.fail(f, "found both mol% and wt%; expected one basis for all oxides")
    total = sum(amounts.values())
    if not total > 0.0:
        r.fail(f, "found no exchanging oxide; expected at least one amount > 0")
    return {ion: a / total for ion, a in amounts.items()}


def _step(r, raw, k: int, ions) -> MulticomponentStep:
    f = ("step", k)
    raw = r.table(raw, f, _STEP, {"bath", "temperature"})
    name = raw.get("name", f"step {k + 1}")
    bath = raw["bath"]
    if isinstance(bath, str) and bath.strip().lower() == "none":
        fractions = None
    else:
        fractions = _fractions(r, bath, f + ("bath",), ions, "surface site fractions")
    program, implied = r.temperature(raw["temperature"], f + ("temperature",))
    if "duration" in raw:
        duration = r.quantity(raw["duration"], "time", f + ("duration",))
        if implied is not None and duration > implied * (1 + 1e-9):
            r.fail(
                f + ("duration",),
                f"found {raw['duration']!r} but the temperature program ends after "
                f"{implied:.6g} s; expected a duration within it (or omit duration)",
            )
    elif implied is not None:
        duration = implied
    else:
        r.fail(f + ("duration",), 'missing; expected e.g. duration = "4 h"')
    try:
        return MulticomponentStep(duration, program, fractions, name)
    except FieldError as exc:
        _located(r, f, exc, raw)
