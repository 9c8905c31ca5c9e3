"""Read a Nernst–Planck–Poisson recipe (``[model] kind = "nernst-planck-poisson"``) into an
ExperimentRecipe. Same conventions and errors as ionex.io.recipe (file, line, field, found,
expected); the format is documented in the README ("Nernst–Planck–Poisson recipes")."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import RecipeError
from ..physics.site_energy import (
    CarriedFill,
    FallOff,
    SiteEnergyDiffusion,
    SiteEnergyDistribution,
    fill_level,
)
from ..process.experiments import (
    BathStep,
    CaitStep,
    ExperimentRecipe,
    FieldStep,
    Sample,
    Species,
    check_diffusion,
    check_numerics,
    check_species,
    planned_end,
)
from ..validators import FieldError
from .schema import NUMBER, TEXT, Field, Quantity, Section, build, construct, read

__all__ = ["read_experiment_recipe"]

_TOP = {"name", "model", "sample", "species", "step", "output", "numerics"}
_SAMPLE = Section(
    Sample,
    (
        Field("thickness", Quantity("length"), required=True),
        Field("area", Quantity("area"), required=True),
        Field("background_density", Quantity("number_density"), required=True),
        Field("relative_permittivity", NUMBER, required=True),
        Field("temperature", Quantity("temperature"), required=True),
    ),
)
_LAW = {
    "D",
    "D_bulk",
    "D0",
    "activation_energy",
    "sed_width",
    "sed_convention",
    "fall_off",
    "fall_off_decades",
    "fall_off_width",
    "fall_off_form",
    "reference_density",
    "psed_filled",
}
_SPECIES = {"charge", "initial_fraction"} | _LAW
_COMMON_STEP = (
    Field("kind", None, required=True),  # read first: it picks the step's form
    Field("name", TEXT),
    Field("temperature", Quantity("temperature")),
    Field("species", None, target="diffusion"),  # per-step laws, read with the species'
)


@dataclass(frozen=True)
class _StepForm:
    """How a [[step]] of one kind is read.

    Attributes:
        section: its keys, their units and the step class they build (which judges the values).
        fractions: the key of its table of species fractions, or None.
        names: keys whose value names a species.
    """

    section: Section
    fractions: str | None = None
    names: tuple[str, ...] = ()


# kind = "…" of a [[step]] → how it is read: the one place the kind text is looked up
_STEP_FORMS = {
    BathStep.label: _StepForm(
        Section(
            BathStep,
            _COMMON_STEP
            + (
                Field("surface", None, required=True, target="surface_fractions"),
                Field("duration", Quantity("time"), required=True),
            ),
        ),
        fractions="surface",
    ),
    FieldStep.label: _StepForm(
        Section(
            FieldStep,
            _COMMON_STEP
            + (
                Field("anode", None, required=True, target="anode_fractions"),
                Field("duration", Quantity("time"), required=True),
                Field("voltage", Quantity("voltage")),
                Field("current", Quantity("current")),
            ),
        ),
        fractions="anode",
    ),
    CaitStep.label: _StepForm(
        Section(
            CaitStep,
            _COMMON_STEP
            + (
                Field("ion", TEXT, required=True),
                Field("source_potential", Quantity("voltage"), required=True),
                Field("aperture_distance", Quantity("length"), required=True),
                Field("beam_current", Quantity("current"), required=True),
                Field("charge", Quantity("charge")),
                Field("duration", Quantity("time")),
                Field("cutoff_width", Quantity("voltage")),
            ),
        ),
        names=("ion",),
    ),
}
_QUOTED = [f'"{label}"' for label in _STEP_FORMS]
_KINDS = ", ".join(_QUOTED[:-1]) + " or " + _QUOTED[-1]  # '"bath", "field" or "cait"'
_NUMERICS = {
    "finest_cell": "length",
    "zone_cell": "length",
    "zone_depth": "length",
    "growth": "dimensionless",
    "rtol": "dimensionless",
    "atol": "dimensionless",
    "cait_atol": "dimensionless",
}


def read_experiment_recipe(reader, doc: dict) -> ExperimentRecipe:
    """Build the ExperimentRecipe of a parsed TOML ``doc``; ``reader`` is the
    ionex.io.recipe reader (its fail/quantity/table helpers name file, line and field)."""
    r = reader
    r.table(doc, (), _TOP, {"sample", "species", "step"})
    r.table(doc.get("model", {}), ("model",), {"kind"})
    name = doc.get("name", r.path.stem)
    if not isinstance(name, str):
        r.fail(("name",), f"found {name!r}; expected a string")
    sample = build(_SAMPLE, doc["sample"], r, ("sample",))
    raw_species = doc["species"]
    if not isinstance(raw_species, dict) or not raw_species:
        r.fail(("species",), "expected tables [species.<Symbol>]")
    specs = {}
    species = []
    for sym, spec in raw_species.items():
        f = ("species", sym)
        spec = r.table(spec, f, _SPECIES)
        specs[sym] = {k: v for k, v in spec.items() if k in _LAW}
        charge = spec.get("charge", 1)
        if not isinstance(charge, int) or isinstance(charge, bool) or charge < 1:
            r.fail(f + ("charge",), f"found {charge!r}; expected a positive whole number (cations)")
        frac = r.number(spec.get("initial_fraction", 0.0), f + ("initial_fraction",))
        if not 0.0 <= frac <= 1.0:
            r.fail(
                f + ("initial_fraction",),
                f"found {frac!r}; expected a fraction of the background density in [0, 1]",
            )
        law = _law(r, specs[sym], f, sample)
        try:
            species.append(Species(name=sym, charge=charge, diffusion=law, initial_fraction=frac))
        except ValueError as exc:
            r.fail(f, str(exc))
    try:
        check_species(species)
    except FieldError as exc:
        r.fail(("species",), f"the initial fractions add up to {exc.found:g}; {exc.expected}")
    except ValueError as exc:
        r.fail(("species",), str(exc))
    raw_steps = doc["step"]
    if not isinstance(raw_steps, list) or not raw_steps:
        r.fail(("step",), "expected one or more [[step]] tables")
    steps = tuple(_step(r, s, k, specs, sample) for k, s in enumerate(raw_steps))
    outputs = _output_times(r, doc.get("output", {}), steps)
    numerics = {}
    for key, value in r.table(doc.get("numerics", {}), ("numerics",), set(_NUMERICS)).items():
        numerics[key] = r.quantity(value, _NUMERICS[key], ("numerics", key))
        try:
            check_numerics(sample, {key: numerics[key]})
        except FieldError as exc:  # the rule is check_numerics'; the value is shown as written
            r.fail(("numerics", key), f"found {value!r}; {exc.expected}")
        except ValueError as exc:  # the mesh's size, which this setting makes too large
            r.fail(("numerics", key), str(exc).removeprefix("numerics: "))
    try:
        check_numerics(sample, numerics)
    except ValueError as exc:
        r.fail(("numerics",), str(exc).removeprefix("numerics: "))
    try:
        return ExperimentRecipe(
            sample=sample,
            species=tuple(species),
            steps=steps,
            output_times=outputs,
            numerics=numerics,
            name=name,
            **r.provenance(doc),
        )
    except ValueError as exc:
        r.fail((), str(exc))


def _output_times(r, raw, steps) -> tuple:
    """The [output] times (s), each within the process: 0 to the sum of the step durations,
    a CAIT that stops at a charge counted at its longest run (as ExperimentRecipe checks)."""
    f = ("output", "times")
    values = r.table(raw, ("output",), {"times"}).get("times", [])
    if not isinstance(values, list):
        r.fail(f, f"found {values!r}; expected a list of times")
    end = planned_end(steps)
    times = []
    for v in values:
        t = r.quantity(v, "time", f)
        if not 0 <= t <= end * (1 + 1e-12):
            longest = (
                ", a CAIT that stops at its charge counted at its longest run"
                if any(s.stops_at_charge for s in steps)
                else ""
            )
            r.fail(
                f,
                f"found {v!r}; expected a time within the process (0 to {end / 3600:.6g} h{longest})",
            )
        times.append(t)
    return tuple(times)


def _law(r, spec: dict, f, sample: Sample, temperature: float | None = None):
    """A float D (constant, no site-energy distribution) or a SiteEnergyDiffusion."""
    given = [k for k in ("D", "D_bulk", "D0") if k in spec]
    if len(given) != 1:
        r.fail(
            f,
            f"found {', '.join(given) or 'no diffusion coefficient'}; expected exactly one of D (constant), "
            "D_bulk (at the sample temperature, with activation_energy) or D0 (with activation_energy)",
        )
    key = given[0]
    d = r.quantity(spec[key], "diffusivity", f + (key,))
    try:  # the species' rule, asked of the coefficient as written: D_bulk becomes a D0 later
        check_diffusion(d)
    except FieldError as exc:
        r.fail(f + (key,), f"found {spec[key]!r}; {exc.expected}")
    e_act = (
        r.quantity(spec["activation_energy"], "energy", f + ("activation_energy",))
        if "activation_energy" in spec
        else 0.0
    )
    if key == "D" and "activation_energy" in spec:
        r.fail(
            f + ("activation_energy",),
            "a constant D takes no activation energy; use D_bulk or D0 with it",
        )
    sed = fall_off = None
    if "sed_width" in spec:
        try:
            sed = SiteEnergyDistribution(
                r.quantity(spec["sed_width"], "energy", f + ("sed_width",)),
                spec.get("sed_convention", "sigma"),
            )
        except RecipeError:  # already names the file, line and field
            raise
        except ValueError as exc:
            key = (
                "sed_convention"
                if "sed_convention" in spec and "convention" in str(exc)
                else "sed_width"
            )
            r.fail(f + (key,), str(exc))
    elif "sed_convention" in spec:
        r.fail(f + ("sed_convention",), "a convention needs sed_width")
    if "fall_off" in spec:
        try:
            fall_off = FallOff(
                threshold=r.number(spec["fall_off"], f + ("fall_off",)),
                decades=r.number(spec.get("fall_off_decades", 2.0), f + ("fall_off_decades",)),
                relative_width=r.number(spec.get("fall_off_width", 0.1), f + ("fall_off_width",)),
                form=spec.get("fall_off_form", "smooth"),
            )
        except RecipeError:  # already names the file, line and field
            raise
        except ValueError as exc:
            r.fail(f + ("fall_off",), str(exc))
    reference = (
        r.quantity(spec["reference_density"], "number_density", f + ("reference_density",))
        if "reference_density" in spec
        else sample.background_density
    )
    filled = CarriedFill()
    if "psed_filled" in spec:
        try:
            filled = fill_level(spec["psed_filled"])
        except FieldError as exc:
            r.fail(f + ("psed_filled",), f"found {spec['psed_filled']!r}; {exc.expected}")
    if key == "D" and sed is None and fall_off is None and "psed_filled" not in spec:
        return d
    kw = {
        "sed": sed,
        "fall_off": fall_off,
        "reference_density": reference,
        "name": f[-1],
        "filled": filled,
    }
    try:
        if key == "D":
            return SiteEnergyDiffusion.constant(d, **kw)
        if key == "D_bulk":
            return SiteEnergyDiffusion.at_temperature(
                d, temperature or sample.temperature, e_act, **kw
            )
        return SiteEnergyDiffusion(prefactor=d, activation_energy=e_act, **kw)
    except RecipeError:  # already names the file, line and field
        raise
    except FieldError as exc:
        if exc.field == "filled":
            r.fail(f + ("psed_filled",), f"found {spec['psed_filled']!r}; {exc.expected}")
        r.fail(f, str(exc))
    except ValueError as exc:
        r.fail(f, str(exc))


def _fractions(r, raw, f, specs):
    if not isinstance(raw, dict) or not raw:
        r.fail(f, f"found {raw!r}; expected a table such as {{ Rb = 1.0 }}")
    out = {}
    for ion, v in raw.items():
        if ion not in specs:
            r.fail(f + (ion,), f"unknown species; the recipe declares {', '.join(specs)}")
        out[ion] = r.number(v, f + (ion,))
    return out


def _step(r, raw, k: int, specs: dict, sample: Sample):
    """The step of the k-th [[step]] table, of the class its ``kind`` names (_STEP_FORMS);
    the step class judges the values, and its refusals are located here."""
    f = ("step", k)
    if not isinstance(raw, dict) or "kind" not in raw:
        r.fail(f + ("kind",), f"missing; expected kind = {_KINDS}")
    kind = raw["kind"]
    form = _STEP_FORMS.get(kind) if isinstance(kind, str) else None
    if form is None:
        r.fail(f + ("kind",), f"found {kind!r}; expected {_KINDS}")
    values = read(form.section, raw, r, f)
    values.setdefault("name", f"{kind} {k + 1}")
    values["diffusion"] = _overrides(r, raw, f, specs, sample, values.get("temperature"))
    if form.fractions is not None:
        target = next(x.name for x in form.section.fields if x.key == form.fractions)
        values[target] = _fractions(r, raw[form.fractions], f + (form.fractions,), specs)
    for key in form.names:
        if values[key] not in specs:
            r.fail(
                f + (key,),
                f"found {raw[key]!r}; expected one of the species the recipe declares: "
                f"{', '.join(specs)}",
            )
    return construct(form.section, values, raw, r, f)


def _overrides(r, raw, f, specs: dict, sample: Sample, temperature: float | None) -> dict:
    """The step's [step.species.<Ion>] laws: each the species' own with the keys given
    here replaced (a new D, D_bulk or D0 replaces the species' coefficient)."""
    overrides = {}
    for ion, partial in r.table(raw.get("species", {}), f + ("species",), set(specs)).items():
        g = f + ("species", ion)
        partial = r.table(partial, g, _LAW)
        merged = dict(specs[ion])
        if any(key in partial for key in ("D", "D_bulk", "D0")):
            for key in ("D", "D_bulk", "D0", "activation_energy"):
                merged.pop(key, None)
        merged.update(partial)
        overrides[ion] = _law(r, merged, g, sample, temperature)
    return overrides
