"""Read a Nernst–Planck–Poisson recipe (``[model] kind = "nernst-planck-poisson"``) into an
ExperimentRecipe. Same conventions and errors as ionex.io.recipe (file, line, field, found,
expected); the format is documented in the README ("Nernst–Planck–Poisson recipes")."""

from __future__ import annotations

import re

from ..errors import RecipeError
from ..physics.site_energy import FallOff, SiteEnergyDiffusion, SiteEnergyDistribution
from ..process.experiments import (
    BathStep,
    CaitStep,
    ExperimentRecipe,
    FieldStep,
    Sample,
    Species,
    check_numerics,
    planned_end,
)

__all__ = ["read_experiment_recipe"]

_TOP = {"name", "model", "sample", "species", "step", "output", "numerics"}
_SAMPLE = {"thickness", "area", "background_density", "relative_permittivity", "temperature"}
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
}
_SPECIES = {"charge", "initial_fraction"} | _LAW
_COMMON_STEP = {"kind", "name", "temperature", "species"}
_STEPS = {
    "bath": _COMMON_STEP | {"surface", "duration"},
    "field": _COMMON_STEP | {"voltage", "current", "anode", "duration"},
    "cait": _COMMON_STEP
    | {
        "ion",
        "source_potential",
        "aperture_distance",
        "beam_current",
        "charge",
        "duration",
        "cutoff_width",
    },
}
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
    sample = _sample(r, doc["sample"])
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
    total = sum(s.initial_fraction * s.charge for s in species)
    if abs(total - 1.0) > 1e-9:
        r.fail(
            ("species",),
            f"the initial fractions add up to {total:g}; expected 1 (the glass starts neutral)",
        )
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
        except ValueError as exc:
            # the rule is check_numerics'; the value is shown as written
            message = str(exc).removeprefix(f"{key}: ").removeprefix("numerics: ")
            r.fail(("numerics", key), re.sub(r"^found [^;]*;", f"found {value!r};", message))
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
            source_text=r.text,
            source_path=str(r.path),
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
                if any(isinstance(s, CaitStep) and s.charge is not None for s in steps)
                else ""
            )
            r.fail(
                f,
                f"found {v!r}; expected a time within the process (0 to {end / 3600:.6g} h{longest})",
            )
        times.append(t)
    return tuple(times)


def _sample(r, raw) -> Sample:
    f = ("sample",)
    raw = r.table(raw, f, _SAMPLE, _SAMPLE)
    try:
        return Sample(
            thickness=r.quantity(raw["thickness"], "length", f + ("thickness",)),
            area=r.quantity(raw["area"], "area", f + ("area",)),
            background_density=r.quantity(
                raw["background_density"], "number_density", f + ("background_density",)
            ),
            relative_permittivity=r.number(
                raw["relative_permittivity"], f + ("relative_permittivity",)
            ),
            temperature=r.quantity(raw["temperature"], "temperature", f + ("temperature",)),
        )
    except RecipeError:  # already names the file, line and field
        raise
    except ValueError as exc:
        r.fail(f, str(exc))


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
    if not d > 0:
        r.fail(f + (key,), f"found {spec[key]!r}; expected a diffusion coefficient > 0")
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
    if key == "D" and sed is None and fall_off is None:
        return d
    kw = {"sed": sed, "fall_off": fall_off, "reference_density": reference, "name": f[-1]}
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
    f = ("step", k)
    if not isinstance(raw, dict) or "kind" not in raw:
        r.fail(f + ("kind",), 'missing; expected kind = "bath", "field" or "cait"')
    kind = raw["kind"]
    if kind not in _STEPS:
        r.fail(f + ("kind",), f'found {kind!r}; expected "bath", "field" or "cait"')
    raw = r.table(raw, f, _STEPS[kind])
    name = raw.get("name", f"{kind} {k + 1}")
    temperature = (
        r.quantity(raw["temperature"], "temperature", f + ("temperature",))
        if "temperature" in raw
        else None
    )
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
    common = {"name": name, "temperature": temperature, "diffusion": overrides}

    def duration():
        d = r.quantity(raw["duration"], "time", f + ("duration",))
        if not d > 0:
            r.fail(f + ("duration",), f"found {raw['duration']!r}; expected a duration > 0")
        return d

    try:
        if kind == "bath":
            if "surface" not in raw or "duration" not in raw:
                r.fail(f, "a bath step needs surface = { Ion = fraction, … } and duration")
            return BathStep(
                surface_fractions=_fractions(r, raw["surface"], f + ("surface",), specs),
                duration=duration(),
                **common,
            )
        if kind == "field":
            for key in ("anode", "duration"):
                if key not in raw:
                    r.fail(
                        f + (key,),
                        "missing (a field step needs anode, duration and one of voltage, current)",
                    )
            if ("voltage" in raw) == ("current" in raw):
                r.fail(
                    f,
                    "a field step is driven by an applied voltage or a constant current: "
                    "give exactly one of voltage, current",
                )
            drive = (
                {"voltage": r.quantity(raw["voltage"], "voltage", f + ("voltage",))}
                if "voltage" in raw
                else {"current": r.quantity(raw["current"], "current", f + ("current",))}
            )
            return FieldStep(
                **drive,
                anode_fractions=_fractions(r, raw["anode"], f + ("anode",), specs),
                duration=duration(),
                **common,
            )
        for key in ("ion", "source_potential", "aperture_distance", "beam_current"):
            if key not in raw:
                r.fail(
                    f + (key,),
                    "missing (a cait step needs ion, source_potential, aperture_distance, beam_current)",
                )
        if raw["ion"] not in specs:
            r.fail(
                f + ("ion",),
                f"found {raw['ion']!r}; expected one of the species the recipe declares: "
                f"{', '.join(specs)}",
            )
        if ("charge" in raw) == ("duration" in raw):
            r.fail(
                f,
                "a cait step stops at a delivered charge or after a duration: give exactly one of charge, duration",
            )
        extra = {}
        if "cutoff_width" in raw:
            extra["cutoff_width"] = r.quantity(
                raw["cutoff_width"], "voltage", f + ("cutoff_width",)
            )
        return CaitStep(
            ion=raw["ion"],
            source_potential=r.quantity(
                raw["source_potential"], "voltage", f + ("source_potential",)
            ),
            aperture_distance=r.quantity(
                raw["aperture_distance"], "length", f + ("aperture_distance",)
            ),
            beam_current=r.quantity(raw["beam_current"], "current", f + ("beam_current",)),
            charge=r.quantity(raw["charge"], "charge", f + ("charge",))
            if "charge" in raw
            else None,
            duration=duration() if "duration" in raw else None,
            **extra,
            **common,
        )
    except RecipeError:  # already names the file, line and field
        raise
    except ValueError as exc:
        r.fail(f, str(exc))
