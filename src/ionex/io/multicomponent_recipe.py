"""Read a multicomponent recipe (three or more ``[ions.X]``, or ``[glass] initial = {…}``)
into a MulticomponentRecipe. Same conventions and errors as ionex.io.recipe (file, line,
field, found, expected); the format is documented in the README ("Multicomponent
exchange").

Salt baths and their ageing:

    [bath]
    chemistry = "illustrative LAS K/Na/Li"    # a preset (physics.salt_bath.CHEMISTRY_PRESETS)
    # or, instead of chemistry, one table per exchange equilibrium:
    # [[bath.pair]]
    # ion = "K"                      # i(melt) + j(glass) ⇌ i(glass) + j(melt)
    # partner = "Na"
    # constant = 0.009               # K_ij at reference_temperature
    # reference_temperature = "400 degC"   # needed with an enthalpy
    # enthalpy = "20 kJ/mol"         # ΔH of the exchange (van 't Hoff); default 0
    # form = "ideal"                 # or "rothmund_kornfeld" (exponent = n) or
    #                                # "regular" (margules_W = "… kJ/mol"; one pair only)
    # provenance = "…"
    salt_mass = "500 kg"             # ageing (all three or none): each salt step's tank,
    load_area = "2 m^2"              # the glass per load (sheet area, one side),
    loads_before = 200               # and the loads each tank has already exchanged

    [[step]]
    bath = { salt = { KNO3 = "99.7 mol%", NaNO3 = "0.3 mol%" } }   # or "… wt%", or
    temperature = "400 degC"                                        # mole fractions

A salt step needs a constant temperature; its surface fractions are the equilibria's there.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..constants import ZERO_CELSIUS
from ..physics.salt_bath import (
    NITRATES,
    ExchangeEquilibrium,
    SaltBathChemistry,
    chemistry_preset,
    melt_from_salt_mass_fractions,
    melt_from_salt_mole_fractions,
)
from ..physics.stress import MultiIonGlass, RelaxationLaw
from ..process.multicomponent import (
    BathAgeing,
    MulticomponentGlass,
    MulticomponentRecipe,
    MulticomponentStep,
    MultiIonStressOptions,
    SaltBath,
)
from ..units import UnitError, in_unit
from ..validators import FieldError
from .schema import NUMBER, SI, TEXT, Field, Quantity, Section, construct, read, shown

__all__ = ["is_multicomponent", "read_multicomponent_recipe"]


@dataclass(frozen=True)
class _Mass:
    """A mass with its unit ("500 kg", "1.2 t"), converted to kg (ionex.units has no mass
    kind); an SI value (a recipe edited in memory) is taken as kg."""

    def convert(self, value, reader, at: tuple) -> float:
        if isinstance(value, SI):
            return float(value)
        if isinstance(value, str):
            try:
                return in_unit(value, "kg", "value")
            except UnitError:
                pass
        reader.fail(at, f'found {shown(value)}; expected a mass with its unit, e.g. "500 kg"')


_TOP = {
    "name",
    "model",
    "glass",
    "ions",
    "step",
    "output",
    "numerics",
    "stress",
    "bath",
    "strength",
}
_AGEING = Section(
    BathAgeing,
    (
        Field("chemistry", None),
        Field("pair", None),
        Field("salt_mass", _Mass()),
        Field("load_area", Quantity("area")),
        Field("loads_before", NUMBER),
    ),
)
_AGEING_KEYS = ("salt_mass", "load_area", "loads_before")
_PAIR = Section(
    None,
    (
        Field("ion", TEXT, required=True),
        Field("partner", TEXT, required=True),
        Field("constant", NUMBER, required=True),
        Field("reference_temperature", Quantity("temperature"), target="temperature"),
        Field("enthalpy", Quantity("molar_energy"), target="reaction_enthalpy"),
        Field("form", TEXT),
        Field("exponent", NUMBER),
        Field("margules_W", Quantity("molar_energy"), target="margules"),
        Field("provenance", TEXT),
    ),
)
# with ΔH = 0, K does not depend on T and any reference temperature gives K0 = constant
_ANY_TEMPERATURE = ZERO_CELSIUS
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
    chemistry, ageing = read_bath(r, doc["bath"]) if "bath" in doc else (None, None)
    raw_steps = doc["step"]
    if not isinstance(raw_steps, list) or not raw_steps:
        r.fail(("step",), "expected one or more [[step]] tables")
    steps = tuple(_step(r, s, k, ions, chemistry) for k, s in enumerate(raw_steps))
    total = sum(s.duration for s in steps)
    outputs = r.outputs(doc.get("output", {}), total)
    stress = _stress(r, doc["stress"], ions, glass) if "stress" in doc else None
    strength = r.strength(doc["strength"]) if "strength" in doc else None
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
            ageing=ageing,
            strength=strength,
            **numerics,
            **r.provenance(doc),
        )
    except FieldError as exc:
        if exc.field == "strength":
            r.fail(("strength",), exc.expected)
        r.fail(tuple(exc.field.split(".")), f"found {exc.found!r}; {exc.expected}")


def _ions(r, raw) -> dict:
    f = ("ions",)
    if not isinstance(raw, dict) or len(raw) < 2:
        r.fail(f, f"found {raw!r}; expected two or more tables [ions.<Symbol>]")
    return {sym: r.ion_law(spec, f + (sym,)) for sym, spec in raw.items()}


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


def read_bath(r, raw) -> tuple[SaltBathChemistry | None, BathAgeing | None]:
    """[bath]: the melt–glass equilibria (a preset or [[bath.pair]] tables) and the ageing."""
    f = ("bath",)
    values = read(_AGEING, raw, r, f)
    if "chemistry" in raw and "pair" in raw:
        r.fail(f + ("pair",), 'give chemistry = "…" (a preset) or [[bath.pair]] tables, not both')
    chemistry = None
    if "chemistry" in raw:
        try:
            chemistry = chemistry_preset(raw["chemistry"])
        except FieldError as exc:
            r.fail(f + ("chemistry",), f"found {shown(raw['chemistry'])}; {exc.expected}")
    elif "pair" in raw:
        chemistry = _pairs(r, raw["pair"], f + ("pair",))
    given = [key for key in _AGEING_KEYS if key in raw]
    if not given:
        return chemistry, None
    if len(given) < len(_AGEING_KEYS):
        missing = next(key for key in _AGEING_KEYS if key not in raw)
        r.fail(
            f + (missing,),
            "missing; a bath's ageing needs salt_mass, load_area and loads_before together",
        )
    return chemistry, construct(_AGEING, values, raw, r, f)


def _pairs(r, raw, f) -> SaltBathChemistry:
    """[[bath.pair]]: one ExchangeEquilibrium each (K given at a reference temperature)."""
    if not isinstance(raw, list) or not raw:
        r.fail(f, 'expected [[bath.pair]] tables such as ion = "K", partner = "Na", constant = …')
    equilibria = []
    for k, table in enumerate(raw):
        g = f + (k,)
        values = read(_PAIR, table, r, g)
        t_ref = values.pop("temperature", None)
        if values.get("reaction_enthalpy", 0.0) != 0.0 and t_ref is None:
            r.fail(
                g + ("enthalpy",),
                "a reaction enthalpy needs the reference_temperature at which constant holds",
            )
        try:
            equilibria.append(
                ExchangeEquilibrium.from_reference(
                    values.pop("ion"),
                    values.pop("partner"),
                    values.pop("constant"),
                    _ANY_TEMPERATURE if t_ref is None else t_ref,
                    **values,
                )
            )
        except FieldError as exc:
            r.refused(exc, g, table, _PAIR)
    try:
        return SaltBathChemistry(tuple(equilibria), reference=equilibria[0].partner)
    except FieldError as exc:
        at = f if exc.index is None else f + (exc.index,)
        r.fail(at, f"found {exc.found!r}; {exc.expected}")


def read_salt(r, raw, f, ions, chemistry) -> SaltBath:
    """A step's ``bath = { salt = { KNO3 = "99.7 mol%", … } }``: the melt's cation mole
    fractions from the salts' mol%, wt% (over the nitrates' molar masses) or mole fractions."""
    r.table(raw, f, {"salt"})
    g = f + ("salt",)
    table = raw["salt"]
    if not isinstance(table, dict) or not table:
        r.fail(g, f'found {table!r}; expected e.g. {{ KNO3 = "99.7 mol%", NaNO3 = "0.3 mol%" }}')
    amounts, bases = {}, set()
    for salt, value in table.items():
        h = g + (salt,)
        if salt not in NITRATES:
            r.fail(h, f"unknown salt; expected one of {', '.join(NITRATES)}")
        cation = NITRATES[salt]
        if cation not in ions:
            r.fail(h, f"its cation {cation} has no [ions.{cation}]; declared: {', '.join(ions)}")
        if chemistry is None:
            r.fail(
                h,
                "a salt bath needs the melt–glass exchange equilibria: expected a [bath] table "
                'with chemistry = "illustrative LAS K/Na/Li" or [[bath.pair]] tables',
            )
        if cation not in chemistry.ions:
            r.fail(
                h,
                f"no exchange equilibrium for {cation} in [bath] (it covers "
                f"{', '.join(chemistry.ions)}); expected a salt of those cations, or "
                f'[[bath.pair]] tables that include {cation} (e.g. ion = "{cation}", '
                f'partner = "{chemistry.reference}")',
            )
        text = value.strip() if isinstance(value, str) else None
        if text is not None and (text.endswith("mol%") or text.endswith("wt%")):
            basis = "wt%" if text.endswith("wt%") else "mol%"
            amount = r.number(text.removesuffix(basis) + "%", h)
        elif isinstance(value, SI):  # edited in memory: a fraction on the others' basis
            basis, amount = None, float(value)
        elif text is None:
            basis, amount = "fraction", r.number(value, h)
        else:
            r.fail(h, f'found {value!r}; expected "… mol%", "… wt%" or a mole fraction')
        if not amount >= 0.0:
            r.fail(h, f"found {shown(value)}; expected an amount ≥ 0")
        if basis is not None:
            bases.add(basis)
        amounts[salt] = amount
    if len(bases) > 1:
        r.fail(g, f"found {' and '.join(sorted(bases))}; expected one basis for all salts")
    by_mass = bases == {"wt%"}
    try:
        melt = (melt_from_salt_mass_fractions if by_mass else melt_from_salt_mole_fractions)(
            amounts
        )
    except FieldError as exc:
        r.fail(g, f"the amounts add up to {exc.found:.6g}; {exc.expected}")
    return SaltBath(melt, chemistry)


def _step(r, raw, k: int, ions, chemistry) -> MulticomponentStep:
    f = ("step", k)
    raw = r.table(raw, f, _STEP, {"bath", "temperature"})
    name = raw.get("name", f"step {k + 1}")
    bath = raw["bath"]
    salt = None
    if isinstance(bath, str) and bath.strip().lower() == "none":
        fractions = None
    elif isinstance(bath, dict) and "salt" in bath:
        fractions = None
        salt = read_salt(r, bath, f + ("bath",), ions, chemistry)
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
        return MulticomponentStep(duration, program, fractions, name, salt)
    except FieldError as exc:
        if exc.field == "temperature":  # a salt's step with a program that varies
            r.fail(f + ("temperature",), exc.expected)
        if exc.field.split(".")[0] in _STEP:
            _located(r, f, exc, raw)
        # the salt's equilibria refused the step's temperature (a regular form's W ≥ 2RT)
        r.fail(f + ("bath", "salt"), str(exc))
