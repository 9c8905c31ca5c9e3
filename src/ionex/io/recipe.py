"""Read a TOML recipe into an ionex Recipe (SI floats), with errors that name the file,
the line and the field, what was found and what was expected.

Every physical value is a string with units parsed by pint ("420 degC", "8 h",
"1e-15 m^2/s", "0.7 mm"). Bare numbers are accepted only where the field is documented
as dimensionless (fractions, n, K_AB, ν, ρ, tolerances). See the README for the format.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path

from ..errors import RecipeError
from ..physics.arrhenius import ArrheniusLaw
from ..physics.interdiffusion import (
    InterdiffusionModel,
    StressCouplingMaterial,
    TabulatedInterdiffusion,
)
from ..physics import materials
from ..physics.optics import ElastoOptic
from ..physics.stress import ElasticGlass, RelaxationLaw, dilation_coefficient
from ..process.recipe import Glass, Numerics, OpticsOptions, Recipe, Step, StressOptions, Target
from ..process.temperature import TemperatureProgram
from ..units import UnitError, to_si
from .tables import read_temperature_log, read_interdiffusion_table

__all__ = ["load_recipe", "parse_recipe", "parse_toml", "read_user_file"]

_TOP = {
    "name",
    "glass",
    "ions",
    "model",
    "step",
    "output",
    "numerics",
    "stress",
    "optics",
    "target",
}
# [target]: one quantity the process monitor predicts the time of, and the kind of its value
_TARGET = {
    "depth_of_layer": "length",
    "compressive_stress": "pressure",
    "modes_TE": "dimensionless",
    "modes_TM": "dimensionless",
}
_STRESS_SECTION = {
    "material",
    "youngs_modulus",
    "poisson_ratio",
    "dilation",
    "molar_volume_difference",
    "relaxation",
    "tau",
    "beta",
    "tau_activation_energy",
    "tau_reference_temperature",
    "relaxation_clock",
}
_OPTICS = {
    "material",
    "wavelength",
    "base_index",
    "index_change",
    "c_parallel",
    "c_perp",
    "cover_index",
    "prism",
}
_PRISM = {"index", "angle"}
_GLASS = {"host_ion", "total_mobile", "thickness", "faces"}
_ION = {"D", "D0", "Q"}
_MODEL = {
    "kind",
    "thermodynamic_factor",
    "margules_W",
    "stress_coupling",
    "onsager_cross_ratio",
    "interdiffusion_table",
}
_STRESS = {"youngs_modulus", "poisson_ratio", "molar_volume_difference", "host_molar_volume"}
_TABLE = {"file", "fractions", "coefficients", "activation_energy", "reference_temperature"}
_STEP = {"name", "bath", "temperature", "duration"}
_TEMPERATURE = {"program", "log"}
_OUTPUT = {"times"}
_NUMERICS = {"rtol", "atol", "cells_per_efold", "domain_lengths"}


# Deepest nesting of arrays and tables a user file may have: the recipe formats need 6
# (a temperature program inside a step); deeper input is a mistake or an attack on the
# recursive code that walks a document.
MAX_TOML_DEPTH = 32


def read_user_file(path, what: str) -> str:
    """The UTF-8 text of a user's ``what`` file ("recipe", "fit", …), without a leading
    byte-order mark, or a RecipeError naming it and saying why it cannot be read."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RecipeError(f"{path}: no such {what} file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RecipeError(f"{path}: cannot read the {what} file ({exc})") from None


def parse_toml(text: str, path) -> dict:
    """The TOML document of ``text`` (a leading byte-order mark is ignored), or a
    RecipeError naming ``path`` (and the line, where known) for invalid TOML or arrays and
    tables nested deeper than MAX_TOML_DEPTH."""
    text = text.removeprefix("\ufeff")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RecipeError(
            f"{path}: not valid TOML: {exc}; expected TOML syntax (key = value, text in quotes, "
            "[section] headers)"
        ) from None
    except RecursionError:
        doc = None
    where = _too_deep(doc) if doc is not None else ()
    if doc is None or where:
        line = _deep_line(text)
        at = f"{path}, line {line}" if line else f"{path}"
        if where:
            field = f"{_dotted(where[:3])}{'…' if len(where) > 3 else ''}: "
        else:
            key = re.match(r"\s*([^=\[{]+?)\s*=", text.splitlines()[line - 1]) if line else None
            field = f"{key.group(1)}: " if key else ""
        raise RecipeError(
            f"{at}: {field}found arrays or tables nested more than {MAX_TOML_DEPTH} levels deep; "
            f"expected at most {MAX_TOML_DEPTH} levels"
        )
    return doc


def _too_deep(doc: dict) -> tuple:
    """The path of the first value nested deeper than MAX_TOML_DEPTH, or () (iterative: the
    document may be too deep for recursion)."""
    stack = [(doc, ())]
    while stack:
        node, where = stack.pop()
        if len(where) > MAX_TOML_DEPTH:
            return where
        if isinstance(node, dict):
            stack.extend((v, where + (k,)) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, where + (i,)) for i, v in enumerate(node))
    return ()


def _deep_line(text: str) -> int | None:
    """Best-effort 1-based line where the brackets of ``text`` (outside simple strings)
    open more than MAX_TOML_DEPTH deep."""
    depth, quote = 0, None
    for n, line in enumerate(text.splitlines(), 1):
        for ch in line:
            if quote:
                quote = None if ch == quote else quote
            elif ch in "\"'":
                quote = ch
            elif ch == "#":
                break
            elif ch in "[{":
                depth += 1
                if depth > MAX_TOML_DEPTH:
                    return n
            elif ch in "]}":
                depth = max(depth - 1, 0)
        if quote == "'":
            quote = None
    return None


def load_recipe(path, *, lenient_logs: bool = False, warnings: list | None = None, log_limits=None):
    """Read the recipe file at ``path`` (TOML): a Recipe (binary interdiffusion) or, with
    ``[model] kind = "nernst-planck-poisson"``, an ExperimentRecipe. Raises RecipeError
    with a clear message.

    A temperature ``log = "file.csv"`` is read strictly (a bad line is an error naming the
    file and line) unless ``lenient_logs``: then bad lines are skipped and a warning for
    each is appended to ``warnings`` (see :func:`ionex.io.tables.read_temperature_log`).
    ``log_limits`` (a furnace_log.LogLimits) sets its plausible temperatures (default:
    −50…1500 °C, 50 K/min).

    >>> import ionex
    >>> recipe = ionex.load_recipe("examples/soda_lime_k_na.toml")
    >>> recipe.incoming_ion, recipe.glass.host_ion, recipe.total_time / 3600  # SI inside: s
    ('K', 'Na', 8.0)
    """
    return parse_recipe(
        read_user_file(path, "recipe"),
        Path(path),
        lenient_logs=lenient_logs,
        warnings=warnings,
        log_limits=log_limits,
    )


def parse_recipe(
    text: str,
    path="<recipe>",
    *,
    lenient_logs: bool = False,
    warnings: list | None = None,
    log_limits=None,
    document: dict | None = None,
) -> Recipe:
    """Parse recipe TOML ``text``; ``path`` names it in messages and resolves relative
    files; ``lenient_logs`` and ``warnings`` as in :func:`load_recipe`. ``document``, the
    TOML of ``text`` already parsed (an edited RecipeDocument), is read instead of parsing
    the text again."""
    return RecipeReader(
        text,
        Path(path),
        lenient_logs=lenient_logs,
        warnings=warnings,
        log_limits=log_limits,
        document=document,
    ).recipe()


class RecipeReader:
    def __init__(
        self,
        text: str,
        path: Path,
        *,
        lenient_logs: bool = False,
        warnings: list | None = None,
        log_limits=None,
        document: dict | None = None,
    ):
        self.document = document  # the parsed TOML of ``text``, when the caller has it
        self.text = text = text.removeprefix("\ufeff")
        self.path = path
        self.lines = text.splitlines()
        self.lenient_logs = lenient_logs
        self.log_warnings = warnings
        self.log_limits = (
            log_limits  # plausible logged temperatures (furnace_log.LogLimits; None: the defaults)
        )

    # ------------------------------------------------------------------ errors
    def fail(self, field: tuple, message: str):
        line = _line_of(self.lines, field)
        where = f"{self.path}, line {line}" if line else f"{self.path}"
        raise RecipeError(f"{where}: {_dotted(field)}: {message}")

    def quantity(self, value, kind: str, field: tuple) -> float:
        try:
            return to_si(value, kind, "value")
        except UnitError as exc:
            self.fail(field, str(exc).removeprefix("value: "))

    def number(self, value, field: tuple) -> float:
        return self.quantity(value, "dimensionless", field)

    def table(self, value, field: tuple, allowed: set, required: set = frozenset()) -> dict:
        if not isinstance(value, dict):
            self.fail(field, f"found {type(value).__name__} {value!r}; expected a table")
        for key in value:
            if key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                did = f" (did you mean {hint[0]!r}?)" if hint else ""
                self.fail(
                    field + (key,),
                    f"unknown key{did}; expected one of: {', '.join(sorted(allowed))}",
                )
        for key in sorted(required):
            if key not in value:
                self.fail(field + (key,), "missing (required)")
        return value

    # ------------------------------------------------------------------ parts
    def recipe(self) -> Recipe:
        doc = parse_toml(self.text, self.path) if self.document is None else self.document
        model = doc.get("model", {})
        kind = model.get("kind", "interdiffusion") if isinstance(model, dict) else "interdiffusion"
        if kind == "nernst-planck-poisson":
            from .npp_recipe import read_experiment_recipe

            return read_experiment_recipe(self, doc)
        if kind != "interdiffusion":
            self.fail(
                ("model", "kind"),
                f'found {kind!r}; expected "interdiffusion" (default) or "nernst-planck-poisson"',
            )
        self.table(doc, (), _TOP, {"glass", "ions", "step"})
        name = doc.get("name", self.path.stem)
        if not isinstance(name, str):
            self.fail(("name",), f"found {name!r}; expected a string")
        glass = self.glass(doc["glass"])
        ions = self.ions(doc["ions"], glass.host_ion)
        incoming = next(i for i in ions if i != glass.host_ion)
        model = self.model(
            doc.get("model", {}), ions[incoming], ions[glass.host_ion], glass.total_mobile
        )
        steps = doc["step"]
        if not isinstance(steps, list) or not steps:
            self.fail(("step",), "expected one or more [[step]] tables")
        parsed = tuple(self.step(s, k, incoming, glass.host_ion) for k, s in enumerate(steps))
        total = sum(s.duration for s in parsed)
        outputs = self.outputs(doc.get("output", {}), total)
        numerics = self.numerics(doc.get("numerics", {}))
        stress = self.stress(doc["stress"], glass) if "stress" in doc else None
        optics = self.optics(doc["optics"]) if "optics" in doc else None
        target = self.target(doc["target"]) if "target" in doc else None
        try:
            return Recipe(
                target=target,
                stress=stress,
                optics=optics,
                glass=glass,
                incoming_ion=incoming,
                model=model,
                steps=parsed,
                output_times=outputs,
                numerics=numerics,
                name=name,
                source_text=self.text,
                source_path=str(self.path),
            )
        except ValueError as exc:
            if "thermodynamic factor" in str(exc) and model.margules_energy:
                self.fail(("model", "margules_W"), str(exc))
            raise RecipeError(f"{self.path}: {exc}") from None

    def glass(self, raw) -> Glass:
        f = ("glass",)
        raw = self.table(raw, f, _GLASS, {"host_ion", "total_mobile"})
        host = raw["host_ion"]
        if not isinstance(host, str) or not re.fullmatch(r"[A-Z][a-z]?", host):
            self.fail(f + ("host_ion",), f'found {host!r}; expected an element symbol such as "Na"')
        c_t = self.quantity(raw["total_mobile"], "concentration", f + ("total_mobile",))
        if c_t <= 0:
            self.fail(
                f + ("total_mobile",),
                f"found {raw['total_mobile']!r}; expected a concentration > 0",
            )
        thickness = None
        if "thickness" in raw:
            thickness = self.quantity(raw["thickness"], "length", f + ("thickness",))
            if thickness <= 0:
                self.fail(
                    f + ("thickness",), f"found {raw['thickness']!r}; expected a thickness > 0"
                )
        faces = raw.get("faces", "both" if thickness is not None else "front")
        if faces not in ("front", "both"):
            self.fail(f + ("faces",), f'found {faces!r}; expected "front" or "both"')
        if faces == "both" and thickness is None:
            self.fail(
                f + ("faces",),
                'found "both" but no thickness; a semi-infinite slab has one face (give thickness)',
            )
        return Glass(host_ion=host, total_mobile=c_t, thickness=thickness, faces=faces)

    def ions(self, raw, host: str) -> dict:
        f = ("ions",)
        if not isinstance(raw, dict):
            self.fail(f, f"found {raw!r}; expected tables [ions.<Symbol>]")
        if host not in raw:
            self.fail(f, f"no [ions.{host}] for the host ion {host!r}")
        if len(raw) != 2:
            self.fail(
                f,
                f"found {len(raw)} ions ({', '.join(raw)}); binary interdiffusion needs exactly two: the host and one incoming ion",
            )
        laws = {}
        for sym, spec in raw.items():
            g = f + (sym,)
            if not re.fullmatch(r"[A-Z][a-z]?", sym):
                self.fail(g, "expected an element symbol such as K or Ag")
            spec = self.table(spec, g, _ION)
            if "D" in spec and ("D0" in spec or "Q" in spec):
                self.fail(g, "give either D (constant) or D0 and Q (Arrhenius), not both")
            if "D" in spec:
                d = self.quantity(spec["D"], "diffusivity", g + ("D",))
                if d <= 0:
                    self.fail(
                        g + ("D",), f"found {spec['D']!r}; expected a diffusion coefficient > 0"
                    )
                laws[sym] = ArrheniusLaw.constant(d)
            elif "D0" in spec and "Q" in spec:
                d0 = self.quantity(spec["D0"], "diffusivity", g + ("D0",))
                if d0 <= 0:
                    self.fail(g + ("D0",), f"found {spec['D0']!r}; expected a prefactor > 0")
                q = self.quantity(spec["Q"], "molar_energy", g + ("Q",))
                if q < 0:
                    self.fail(
                        g + ("Q",), f"found {spec['Q']!r}; expected an activation energy >= 0"
                    )
                laws[sym] = ArrheniusLaw(d0, q)
            else:
                self.fail(g, 'missing D (e.g. D = "1e-15 m^2/s"), or D0 and Q for an Arrhenius law')
        return laws

    def model(self, raw, d_in, d_host, c_t) -> InterdiffusionModel:
        f = ("model",)
        raw = self.table(raw, f, _MODEL)
        kw: dict = {"incoming": d_in, "host": d_host, "total_mobile": c_t}
        if "thermodynamic_factor" in raw:
            n = self.number(raw["thermodynamic_factor"], f + ("thermodynamic_factor",))
            if n <= 0:
                self.fail(f + ("thermodynamic_factor",), f"found {n!r}; expected n > 0 (1 = ideal)")
            kw["thermodynamic_factor"] = n
        if "margules_W" in raw:
            kw["margules_energy"] = self.quantity(
                raw["margules_W"], "molar_energy", f + ("margules_W",)
            )
        if "stress_coupling" in raw:
            sc = raw["stress_coupling"]
            g = f + ("stress_coupling",)
            if isinstance(sc, dict):
                sc = self.table(
                    sc, g, _STRESS, {"youngs_modulus", "poisson_ratio", "molar_volume_difference"}
                )
                try:
                    kw["stress_coupling"] = StressCouplingMaterial(
                        youngs_modulus=self.quantity(
                            sc["youngs_modulus"], "pressure", g + ("youngs_modulus",)
                        ),
                        poisson_ratio=self.number(sc["poisson_ratio"], g + ("poisson_ratio",)),
                        molar_volume_difference=self.quantity(
                            sc["molar_volume_difference"],
                            "molar_volume",
                            g + ("molar_volume_difference",),
                        ),
                        host_molar_volume=(
                            self.quantity(
                                sc["host_molar_volume"], "molar_volume", g + ("host_molar_volume",)
                            )
                            if "host_molar_volume" in sc
                            else None
                        ),
                    )
                except RecipeError:  # already names the file, line and field
                    raise
                except ValueError as exc:
                    self.fail(g, str(exc))
            else:
                k = self.number(sc, g)
                if k < 0:
                    self.fail(
                        g,
                        f"found {k!r}; expected K_AB >= 0 (it is proportional to (Omega_A - Omega_B)^2)",
                    )
                kw["stress_coupling"] = k
        if "onsager_cross_ratio" in raw:
            kw["cross_ratio"] = self.number(
                raw["onsager_cross_ratio"], f + ("onsager_cross_ratio",)
            )
        if "interdiffusion_table" in raw:
            kw["table"] = self.interdiffusion_table(
                raw["interdiffusion_table"], f + ("interdiffusion_table",)
            )
        try:
            return InterdiffusionModel(**kw)
        except ValueError as exc:
            self.fail(f, str(exc))

    def interdiffusion_table(self, raw, f) -> TabulatedInterdiffusion:
        if isinstance(raw, str):
            raw = {"file": raw}
        raw = self.table(raw, f, _TABLE)
        if "file" in raw:
            if "fractions" in raw or "coefficients" in raw:
                self.fail(f, "give either file or fractions + coefficients, not both")
            fr, co = read_interdiffusion_table(self.resolve(raw["file"], f + ("file",)))
        else:
            if "fractions" not in raw or "coefficients" not in raw:
                self.fail(f, 'expected file = "table.csv" or both fractions and coefficients')
            fr = [
                self.number(v, f + ("fractions",))
                for v in _as_list(raw["fractions"], self, f + ("fractions",))
            ]
            co = [
                self.quantity(v, "diffusivity", f + ("coefficients",))
                for v in _as_list(raw["coefficients"], self, f + ("coefficients",))
            ]
        q = (
            self.quantity(raw["activation_energy"], "molar_energy", f + ("activation_energy",))
            if "activation_energy" in raw
            else 0.0
        )
        t_ref = (
            self.quantity(
                raw["reference_temperature"], "temperature", f + ("reference_temperature",)
            )
            if "reference_temperature" in raw
            else None
        )
        try:
            return TabulatedInterdiffusion(tuple(fr), tuple(co), q, t_ref)
        except ValueError as exc:
            self.fail(f, str(exc))

    def step(self, raw, k: int, incoming: str, host: str) -> Step:
        f = ("step", k)
        raw = self.table(raw, f, _STEP, {"bath", "temperature"})
        name = raw.get("name", f"step {k + 1}")
        if not isinstance(name, str):
            self.fail(f + ("name",), f"found {name!r}; expected a string")
        fraction = self.bath(raw["bath"], f + ("bath",), incoming, host)
        program, implied = self.temperature(raw["temperature"], f + ("temperature",))
        if "duration" in raw:
            duration = self.quantity(raw["duration"], "time", f + ("duration",))
            if duration <= 0:
                self.fail(f + ("duration",), f"found {raw['duration']!r}; expected a duration > 0")
            if implied is not None and duration > implied * (1 + 1e-9):
                self.fail(
                    f + ("duration",),
                    f"found {raw['duration']!r} but the temperature {'log' if program.source != 'program' else 'program'} "
                    f"ends after {implied:.6g} s; expected a duration within it (or omit duration)",
                )
        elif implied is not None:
            duration = implied
        else:
            self.fail(
                f + ("duration",),
                'missing; expected e.g. duration = "8 h" (only a program or log implies its own)',
            )
        if duration <= 0:
            self.fail(
                f + ("duration",),
                "the temperature program has zero length; expected a duration > 0",
            )
        return Step(duration=duration, temperature=program, surface_fraction=fraction, name=name)

    def bath(self, raw, f, incoming: str, host: str):
        if isinstance(raw, str):
            if raw.strip().lower() == "none":
                return None
            self.fail(
                f,
                f'found {raw!r}; expected a table such as {{ {incoming} = 1.0 }} or "none" for an anneal',
            )
        if not isinstance(raw, dict) or not raw:
            self.fail(
                f,
                f'found {raw!r}; expected a table such as {{ {incoming} = 1.0 }} or "none" for an anneal',
            )
        fracs = {}
        for ion, v in raw.items():
            if ion not in (incoming, host):
                self.fail(f + (ion,), f"unknown ion; this recipe exchanges {incoming} for {host}")
            x = self.number(v, f + (ion,))
            if not 0.0 <= x <= 1.0:
                self.fail(
                    f + (ion,), f"found {v!r}; expected a surface site fraction within [0, 1]"
                )
            fracs[ion] = x
        if len(fracs) == 2 and abs(fracs[incoming] + fracs[host] - 1.0) > 1e-9:
            self.fail(
                f,
                f"the fractions of {incoming} and {host} add up to {fracs[incoming] + fracs[host]:g}; expected 1",
            )
        return fracs[incoming] if incoming in fracs else 1.0 - fracs[host]

    def temperature(self, raw, f):
        """Returns (program, implied duration or None)."""
        if isinstance(raw, (str, int, float)) and not isinstance(raw, bool):
            T = self.quantity(raw, "temperature", f)
            if T <= 0:
                self.fail(f, f"found {raw!r}; expected a temperature above absolute zero")
            return TemperatureProgram.constant(T), None
        raw = self.table(raw, f, _TEMPERATURE)
        if len(raw) != 1:
            self.fail(
                f,
                'expected exactly one of program = [[time, temperature], ...] or log = "file.csv"',
            )
        if "log" in raw:
            path = self.resolve(raw["log"], f + ("log",))
            program = read_temperature_log(
                path, lenient=self.lenient_logs, warnings=self.log_warnings, limits=self.log_limits
            )
            return program, program.end
        pts = _as_list(raw["program"], self, f + ("program",))
        times, temps = [], []
        for i, pair in enumerate(pts):
            g = f + ("program", i)
            if not (isinstance(pair, list) and len(pair) == 2):
                self.fail(
                    g,
                    f'found {pair!r}; expected a pair ["time", "temperature"] such as ["2 h", "420 degC"]',
                )
            times.append(self.quantity(pair[0], "time", g))
            temps.append(self.quantity(pair[1], "temperature", g))
        if not times or times[0] != 0.0:
            found = f"found the first point at {pts[0][0]!r}; " if times else "found no points; "
            self.fail(f + ("program",), found + "expected the first point at time 0")
        for i, (a, b) in enumerate(zip(times, times[1:])):
            if b <= a:
                self.fail(
                    f + ("program", i + 1),
                    f"found {pts[i + 1][0]!r} after {pts[i][0]!r}; "
                    "expected strictly increasing times",
                )
        if any(T <= 0 for T in temps):
            self.fail(f + ("program",), "expected temperatures above absolute zero")
        return TemperatureProgram(tuple(times), tuple(temps), source="program"), (
            times[-1] if len(times) > 1 else None
        )

    def outputs(self, raw, total: float) -> tuple:
        f = ("output",)
        raw = self.table(raw, f, _OUTPUT)
        times = []
        for i, v in enumerate(_as_list(raw.get("times", []), self, f + ("times",))):
            t = self.quantity(v, "time", f + ("times",))
            if not 0 <= t <= total * (1 + 1e-12):
                self.fail(
                    f + ("times",),
                    f"found {v!r}; expected a time within the process (0 to {total / 3600:.6g} h)",
                )
            times.append(t)
        return tuple(times)

    def preset(self, raw, f):
        if "material" not in raw:
            return None
        try:
            return materials.material(raw["material"])
        except ValueError as exc:
            self.fail(f + ("material",), str(exc))

    def stress(self, raw, glass: Glass) -> StressOptions:
        f = ("stress",)
        raw = self.table(raw, f, _STRESS_SECTION)
        preset = self.preset(raw, f)
        e = (
            self.quantity(raw["youngs_modulus"], "pressure", f + ("youngs_modulus",))
            if "youngs_modulus" in raw
            else None
        )
        nu = (
            self.number(raw["poisson_ratio"], f + ("poisson_ratio",))
            if "poisson_ratio" in raw
            else None
        )
        if "dilation" in raw and "molar_volume_difference" in raw:
            self.fail(
                f, "give either dilation (B) or molar_volume_difference (B = Ω_AB·C_T/3), not both"
            )
        if "dilation" in raw:
            b = self.number(raw["dilation"], f + ("dilation",))
        elif "molar_volume_difference" in raw:
            omega = self.quantity(
                raw["molar_volume_difference"], "molar_volume", f + ("molar_volume_difference",)
            )
            b = dilation_coefficient(omega, glass.total_mobile)
        else:
            b = None
        if preset is not None:
            e = preset.youngs_modulus if e is None else e
            nu = preset.poisson_ratio if nu is None else nu
            b = preset.dilation if b is None else b
        for key, value in (("youngs_modulus", e), ("poisson_ratio", nu), ("dilation", b)):
            if value is None:
                self.fail(
                    f + (key,),
                    "missing; give it (or dilation via molar_volume_difference) or a material preset",
                )
        try:
            elastic = ElasticGlass(e, nu, b)
        except ValueError as exc:
            self.fail(f, str(exc))
        relaxation = raw.get("relaxation", "none")
        if relaxation not in ("none", "kww", "hereditary"):
            self.fail(
                f + ("relaxation",), f'found {relaxation!r}; expected "none", "kww" or "hereditary"'
            )
        law = None
        if relaxation != "none":
            if "tau" not in raw:
                self.fail(
                    f + ("tau",),
                    f'missing; relaxation "{relaxation}" needs a relaxation time, e.g. tau = "300 h"',
                )
            tau = self.quantity(raw["tau"], "time", f + ("tau",))
            beta = self.number(raw.get("beta", 0.6), f + ("beta",))
            q = (
                self.quantity(
                    raw["tau_activation_energy"], "molar_energy", f + ("tau_activation_energy",)
                )
                if "tau_activation_energy" in raw
                else 0.0
            )
            t_ref = (
                self.quantity(
                    raw["tau_reference_temperature"],
                    "temperature",
                    f + ("tau_reference_temperature",),
                )
                if "tau_reference_temperature" in raw
                else None
            )
            try:
                law = RelaxationLaw(
                    tau=tau, beta=beta, activation_energy=q, reference_temperature=t_ref
                )
            except ValueError as exc:
                self.fail(f, str(exc))
        clock = raw.get("relaxation_clock", "total")
        if clock not in ("total", "exchange"):
            self.fail(f + ("relaxation_clock",), f'found {clock!r}; expected "total" or "exchange"')
        return StressOptions(glass=elastic, relaxation=relaxation, law=law, clock=clock)

    def target(self, raw) -> Target:
        f = ("target",)
        raw = self.table(raw, f, set(_TARGET))
        if len(raw) != 1:
            self.fail(f, f"found {len(raw)} targets; expected exactly one of {', '.join(_TARGET)}")
        ((kind, value),) = raw.items()
        x = self.quantity(value, _TARGET[kind], f + (kind,))
        if kind.startswith("modes") and (x != int(x) or x < 1):
            self.fail(f + (kind,), f"found {value!r}; expected a whole number of modes ≥ 1")
        if not x > 0:
            self.fail(
                f + (kind,),
                f"found {value!r}; expected a value > 0"
                + (" (CS is positive in compression)" if kind == "compressive_stress" else ""),
            )
        return Target(kind, x)

    def optics(self, raw) -> OpticsOptions:
        f = ("optics",)
        raw = self.table(raw, f, _OPTICS)
        preset = self.preset(raw, f)

        def value(key, kind, fallback):
            if key in raw:
                return self.quantity(raw[key], kind, f + (key,))
            if fallback is None:
                self.fail(f + (key,), "missing; give it or a material preset")
            return fallback

        wavelength = value("wavelength", "length", preset and preset.wavelength)
        if (
            preset is not None
            and "wavelength" in raw
            and abs(wavelength - preset.wavelength) > 1e-12
        ):
            self.fail(
                f + ("wavelength",),
                f"the {preset.name} preset holds values at {preset.wavelength * 1e9:g} nm; "
                "give base_index, index_change, c_parallel and c_perp for another wavelength, or drop material",
            )
        n_b = value("base_index", "dimensionless", preset and preset.base_index)
        dn = value("index_change", "dimensionless", preset and preset.index_change)
        eo = None
        if "c_parallel" in raw or "c_perp" in raw or preset is not None:
            c_par = value("c_parallel", "inverse_pressure", preset and preset.c_parallel)
            c_perp = value("c_perp", "inverse_pressure", preset and preset.c_perp)
            try:
                eo = ElastoOptic(c_par, c_perp)
            except ValueError as exc:
                self.fail(f, str(exc))
        cover = self.number(raw.get("cover_index", 1.0), f + ("cover_index",))
        prism_index = prism_angle = None
        if "prism" in raw:
            g = f + ("prism",)
            pr = raw["prism"]
            if isinstance(pr, str):
                try:
                    preset_prism = materials.prism(pr)
                except ValueError as exc:
                    self.fail(g, str(exc))
                prism_index, prism_angle = preset_prism.index, preset_prism.angle
            else:
                pr = self.table(pr, g, _PRISM, {"index", "angle"})
                prism_index = self.number(pr["index"], g + ("index",))
                prism_angle = self.quantity(pr["angle"], "angle", g + ("angle",))
        try:
            return OpticsOptions(
                wavelength=wavelength,
                base_index=n_b,
                index_change=dn,
                elasto_optic=eo,
                cover_index=cover,
                prism_index=prism_index,
                prism_angle=prism_angle,
            )
        except ValueError as exc:
            self.fail(f, str(exc))

    def numerics(self, raw) -> Numerics:
        f = ("numerics",)
        raw = self.table(raw, f, _NUMERICS)
        kw = {}
        for key, value in raw.items():
            kw[key] = self.number(value, f + (key,))
            try:
                Numerics(**{key: kw[key]})
            except ValueError as exc:
                self.fail(f + (key,), str(exc).removeprefix(f"{key}: "))
        return Numerics(**kw)

    def resolve(self, value, f) -> Path:
        if not isinstance(value, str) or not value.strip():
            self.fail(f, f"found {value!r}; expected a file path (relative to the recipe file)")
        p = Path(value)
        return p if p.is_absolute() else self.path.parent / p


def _as_list(value, reader: RecipeReader, f) -> list:
    if not isinstance(value, list):
        reader.fail(f, f"found {value!r}; expected a list")
    return value


def _dotted(field: tuple) -> str:
    out = ""
    for part in field:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _line_of(lines: list[str], field: tuple) -> int | None:
    """Best-effort 1-based line of ``field`` in the TOML text (None when not found)."""
    # the table the field lives in, e.g. ("step", 1, "duration") → 2nd [[step]], key duration
    keys = [p for p in field if isinstance(p, str)]
    index = next((p for p in field if isinstance(p, int)), None)
    header_re = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    for depth in range(len(keys), 0, -1):
        table = ".".join(keys[: depth - 1])
        key = keys[depth - 1]
        current, seen = "", {}
        for i, line in enumerate(lines):
            m = header_re.match(line)
            if m:
                current = m.group(1)
                seen[current] = seen.get(current, -1) + 1
                name = ".".join(keys[:depth])
                if (current == name or current.startswith(name + ".")) and (
                    index is None or seen[current] == index
                ):
                    return i + 1
                continue
            if current == table and (index is None or seen.get(current, 0) == index):
                if re.match(rf"^\s*{re.escape(key)}\s*=", line) or re.match(
                    rf'^\s*"{re.escape(key)}"\s*=', line
                ):
                    return i + 1
    return None
