"""Read a TOML recipe into an ionex Recipe (SI floats), with errors that name the file,
the line and the field, what was found and what was expected.

Every physical value is a string with units parsed by pint ("420 degC", "8 h",
"1e-15 m^2/s", "0.7 mm"). Bare numbers are accepted only where the field is documented
as dimensionless (fractions, n, K_AB, ν, ρ, tolerances). See the README for the format.
"""

from __future__ import annotations

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
from ..process.recipe import (
    NUMERICS_RANGES,
    Glass,
    Mask,
    Numerics,
    OpticsOptions,
    Recipe,
    Anneal,
    BathExchange,
    Step,
    StressOptions,
    Target,
)
from ..process.temperature import TemperatureProgram
from ..validators import FieldError
from .schema import (
    NUMBER,
    TEXT,
    WHOLE,
    Field,
    Quantity,
    SI,
    Reader,
    Section,
    build,
    construct,
    dotted,
    read,
    shown,
)
from .tables import read_temperature_log, read_interdiffusion_table

__all__ = ["load_recipe", "parse_recipe", "parse_toml", "read_user_file"]

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
            field = f"{dotted(where[:3])}{'…' if len(where) > 3 else ''}: "
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


class RecipeReader(Reader):
    """Reads one recipe file: the sections of ionex.io.schema, and the glue between them."""

    def __init__(
        self,
        text: str,
        path: Path,
        *,
        lenient_logs: bool = False,
        warnings: list | None = None,
        log_limits=None,
        document: dict | None = None,
        logs: dict | None = None,
        edits: tuple = (),
    ):
        super().__init__(text, path)
        self.document = document  # the parsed TOML of ``text``, when the caller has it
        # the files a recipe names (temperature logs, D̃ tables), read once: path → content
        self.logs = {} if logs is None else logs
        self.edits = edits  # (path, value) applied to ``document`` in memory
        self.lenient_logs = lenient_logs
        self.log_warnings = warnings
        # plausible logged temperatures (furnace_log.LogLimits; None: the defaults)
        self.log_limits = log_limits

    def editor(self, document: dict):
        """The RecipeEdits to leave on the recipe read from ``document``."""
        from .recipe_document import RecipeEdits

        options = {"lenient_logs": self.lenient_logs, "log_limits": self.log_limits}
        return RecipeEdits(self.path, self.text, document, self.logs, options, self.edits)

    def provenance(self, document: dict) -> dict:
        """The fields every recipe type keeps of its file: its text (with the in-memory
        edits said), its path, and the editor that rebuilds it with fields changed."""
        return {
            "source_text": self.source_text(),
            "source_path": str(self.path),
            "editor": self.editor(document),
        }

    def source_text(self) -> str:
        """The recipe as written, preceded by the in-memory edits (if any) as comments."""
        if not self.edits:
            return self.text
        lines = "".join(f"# {p} = {v!r}\n" for p, v in self.edits)
        return f"# edited in memory (SI values, or as written):\n{lines}{self.text}"

    # ------------------------------------------------------------------ parts
    def recipe(self) -> Recipe:
        doc = parse_toml(self.text, self.path) if self.document is None else self.document
        self.document = doc
        model = doc.get("model", {})
        kind = model.get("kind", "interdiffusion") if isinstance(model, dict) else "interdiffusion"
        if kind == "nernst-planck-poisson":
            from .npp_recipe import read_experiment_recipe

            return read_experiment_recipe(self, doc)
        if kind not in ("interdiffusion", "multicomponent"):
            self.fail(
                ("model", "kind"),
                f'found {kind!r}; expected "interdiffusion" (default), "multicomponent" or '
                '"nernst-planck-poisson"',
            )
        from .multicomponent_recipe import is_multicomponent, read_multicomponent_recipe

        if kind == "multicomponent" or is_multicomponent(doc):
            return read_multicomponent_recipe(self, doc)
        values = read(_RECIPE, doc, self, ())
        glass = self.glass(doc["glass"])
        ions = self.ions(doc["ions"], glass.host_ion)
        incoming = next(i for i in ions if i != glass.host_ion)
        model = self.model(
            doc.get("model", {}), ions[incoming], ions[glass.host_ion], glass.total_mobile
        )
        steps = doc["step"]
        if not isinstance(steps, list) or not steps:
            self.fail(("step",), "expected one or more [[step]] tables")
        self.salt_chemistry = self.binary_salt_chemistry(doc["bath"]) if "bath" in doc else None
        parsed = tuple(self.step(s, k, incoming, glass.host_ion) for k, s in enumerate(steps))
        total = sum(s.duration for s in parsed)
        outputs = self.outputs(doc.get("output", {}), total)
        numerics = build(_NUMERICS, doc.get("numerics", {}), self, ("numerics",))
        stress = self.stress(doc["stress"], glass) if "stress" in doc else None
        optics = self.optics(doc["optics"]) if "optics" in doc else None
        target = self.target(doc["target"]) if "target" in doc else None
        strength = self.strength(doc["strength"]) if "strength" in doc else None
        mask = build(_MASK, doc["mask"], self, ("mask",)) if "mask" in doc else None
        values = dict(
            name=values.get("name", self.path.stem),
            mask=mask,
            target=target,
            strength=strength,
            stress=stress,
            optics=optics,
            glass=glass,
            incoming_ion=incoming,
            model=model,
            steps=parsed,
            output_times=outputs,
            numerics=numerics,
            **self.provenance(doc),
        )
        try:
            return Recipe(**values)
        except FieldError as exc:
            if exc.field == "incoming_ion":
                self.fail(("ions", incoming), f"found {incoming!r}; {exc.expected}")
            if exc.field == "strength":
                self.fail(("strength",), exc.expected)
            if exc.field in ("mask", "removed_from_step"):
                key = () if exc.field == "mask" else (exc.field,)
                self.fail(("mask", *key), f"found {shown(exc.found)}; {exc.expected}")
            self.fail((), str(exc))
        except ValueError as exc:
            if "thermodynamic factor" in str(exc) and model.margules_energy:
                self.fail(("model", "margules_W"), str(exc))
            raise RecipeError(f"{self.path}: {exc}") from None

    def glass(self, raw) -> Glass:
        f = ("glass",)
        values = read(_GLASS, raw, self, f)
        # a plate is exchanged on both faces unless the recipe says otherwise
        values.setdefault("faces", "both" if "thickness" in values else "front")
        return construct(_GLASS, values, raw, self, f)

    def ions(self, raw, host: str) -> dict:
        f = ("ions",)
        if not isinstance(raw, dict):
            self.fail(f, f"found {raw!r}; expected tables [ions.<Symbol>]")
        if host not in raw:
            self.fail(f, f"no [ions.{host}] for the host ion {host!r}")
        if len(raw) != 2:
            self.fail(
                f,
                f"found {len(raw)} ions ({', '.join(raw)}); binary interdiffusion needs exactly "
                "two: the host and one incoming ion (for three or more, give the glass's "
                "site fractions as [glass] initial = { … } instead of host_ion)",
            )
        return {sym: self.ion_law(spec, f + (sym,)) for sym, spec in raw.items()}

    def ion_law(self, spec, g: tuple) -> ArrheniusLaw:
        """One [ions.X] table: D (constant) or D0 and Q (Arrhenius)."""
        values = read(_ION, spec, self, g)
        if "D" in spec and ("D0" in spec or "Q" in spec):
            self.fail(g, "give either D (constant) or D0 and Q (Arrhenius), not both")
        if not ("D" in spec or ("D0" in spec and "Q" in spec)):
            self.fail(g, 'missing D (e.g. D = "1e-15 m^2/s"), or D0 and Q for an Arrhenius law')
        return construct(_ION, values, spec, self, g)

    def model(self, raw, d_in, d_host, c_t) -> InterdiffusionModel:
        f = ("model",)
        values = read(_MODEL, raw, self, f)
        values.update(incoming=d_in, host=d_host, total_mobile=c_t)
        if "stress_coupling" in raw:
            sc, g = raw["stress_coupling"], f + ("stress_coupling",)
            values["stress_coupling"] = (
                build(_STRESS_COUPLING, sc, self, g) if isinstance(sc, dict) else self.number(sc, g)
            )
        if "interdiffusion_table" in raw:
            values["table"] = self.interdiffusion_table(
                raw["interdiffusion_table"], f + ("interdiffusion_table",)
            )
        return construct(_MODEL, values, raw, self, f)

    def interdiffusion_table(self, raw, f) -> TabulatedInterdiffusion:
        if isinstance(raw, str):
            raw = {"file": raw}
        values = read(_TABLE, raw, self, f)
        if "file" in raw:
            if "fractions" in raw or "coefficients" in raw:
                self.fail(f, "give either file or fractions + coefficients, not both")
            path = self.resolve(raw["file"], f + ("file",))
            key = f"table:{path}"
            if key not in self.logs:
                self.logs[key] = read_interdiffusion_table(path)
            fr, co = self.logs[key]
        else:
            if "fractions" not in raw or "coefficients" not in raw:
                self.fail(f, 'expected file = "table.csv" or both fractions and coefficients')
            g, h = f + ("fractions",), f + ("coefficients",)
            fr = [self.number(v, g) for v in self.list(raw["fractions"], g)]
            co = [self.quantity(v, "diffusivity", h) for v in self.list(raw["coefficients"], h)]
        values.update(fractions=tuple(fr), coefficients=tuple(co))
        return construct(_TABLE, values, raw, self, f)

    def binary_salt_chemistry(self, raw):
        """[bath] of a binary recipe: the melt–glass equilibria its salt baths need. The
        salt's ageing is refused: it moves every ion of the glass into the salt, which only
        a recipe that follows each ion (the multicomponent engine) can track."""
        from .multicomponent_recipe import read_bath

        chemistry, ageing = read_bath(self, raw)
        if ageing is not None:
            self.fail(
                ("bath", "loads_before"),
                "a salt's ageing moves every ion of the glass into it, which a binary recipe "
                "does not follow: give [glass] initial = { … } per ion (a multicomponent "
                "recipe) to age the salt",
            )
        return chemistry

    def step(self, raw, k: int, incoming: str, host: str) -> Step:
        f = ("step", k)
        values = read(_STEP, raw, self, f)
        name = values.get("name", f"step {k + 1}")
        program, implied = self.temperature(raw["temperature"], f + ("temperature",))
        if isinstance(raw["bath"], dict) and "salt" in raw["bath"]:
            fraction = self.salt_surface_fraction(raw["bath"], f, program, incoming, host)
        else:
            fraction = self.bath(raw["bath"], f + ("bath",), incoming, host)
        if "duration" in values:
            duration = values["duration"]
            if implied is not None and duration > implied * (1 + 1e-9):
                source = "log" if program.source != "program" else "program"
                self.fail(
                    f + ("duration",),
                    f"found {raw['duration']!r} but the temperature {source} ends after "
                    f"{implied:.6g} s; expected a duration within it (or omit duration)",
                )
        elif implied is not None:
            duration = implied
        else:
            self.fail(
                f + ("duration",),
                'missing; expected e.g. duration = "8 h" (only a program or log implies its own)',
            )
        electric_field = values.get("electric_field")
        if fraction is None and electric_field is not None:
            self.fail(
                f + ("field",),
                f"found {raw['field']!r} on an anneal; expected a bath (the melt carries the "
                "current into the glass) or no field",
            )
        try:
            if fraction is None:
                return Anneal(duration=duration, temperature=program, name=name)
            return BathExchange(
                duration=duration,
                temperature=program,
                surface_fraction=fraction,
                name=name,
                electric_field=electric_field,
            )
        except ValueError as exc:
            field = getattr(exc, "field", None)
            if field == "surface_fraction" and isinstance(raw["bath"], dict):
                # χ_s is the incoming ion's fraction, or 1 − the host's when only that is given
                ion = incoming if incoming in raw["bath"] else host
                value = raw["bath"][ion]
                self.fail(f + ("bath", ion), f"found {shown(value)}; {exc.expected}")
            if "duration" not in raw and field == "duration":
                self.fail(f + ("temperature",), f"the temperature program implies {exc.expected}")
            self.refused(exc, f, raw, _STEP)

    def salt_surface_fraction(self, raw, f, program, incoming: str, host: str) -> float:
        """χ_s of the incoming ion that a step's salt (``bath = { salt = { … } }``) holds at
        the glass surface, from the [bath] equilibria at the step's constant temperature."""
        from .multicomponent_recipe import read_salt

        salt = read_salt(self, raw, f + ("bath",), (incoming, host), self.salt_chemistry)
        if not program.is_constant:
            self.fail(
                f + ("temperature",),
                "a salt bath needs a constant temperature: the surface fraction follows the "
                "exchange constants K(T); split the program into steps at constant "
                "temperature or give the bath as a surface fraction",
            )
        try:
            surface = salt.surface_fractions(float(program(0.0)))
        except FieldError as exc:  # a regular form's W ≥ 2RT at this temperature
            self.fail(f + ("bath", "salt"), str(exc))
        return surface.get(incoming, 0.0)

    def bath(self, raw, f, incoming: str, host: str):
        """χ_s of the incoming ion from a bath table, or None for an anneal ("none")."""
        expected = f'expected a table such as {{ {incoming} = 1.0 }} or "none" for an anneal'
        if isinstance(raw, str) and raw.strip().lower() == "none":
            return None
        if not isinstance(raw, dict) or not raw:
            self.fail(f, f"found {raw!r}; {expected}")
        fracs = {}
        for ion, v in raw.items():
            if ion not in (incoming, host):
                self.fail(f + (ion,), f"unknown ion; this recipe exchanges {incoming} for {host}")
            fracs[ion] = self.number(v, f + (ion,))
        if len(fracs) == 2 and abs(fracs[incoming] + fracs[host] - 1.0) > 1e-9:
            self.fail(
                f,
                f"the fractions of {incoming} and {host} add up to "
                f"{fracs[incoming] + fracs[host]:g}; expected 1",
            )
        return fracs[incoming] if incoming in fracs else 1.0 - fracs[host]

    def temperature(self, raw, f):
        """(the TemperatureProgram, the duration it implies or None)."""
        if isinstance(raw, (str, int, float)) and not isinstance(raw, bool):
            program = self.program([[SI(0.0), raw]], f, constant=True)
            return program, None
        raw = self.table(raw, f, {"program", "log"})
        if len(raw) != 1:
            self.fail(
                f,
                'expected exactly one of program = [[time, temperature], ...] or log = "file.csv"',
            )
        if "log" in raw:
            path = self.resolve(raw["log"], f + ("log",))
            program = self.logs.get(str(path))
            if program is None:
                program = read_temperature_log(
                    path,
                    lenient=self.lenient_logs,
                    warnings=self.log_warnings,
                    limits=self.log_limits,
                )
                self.logs[str(path)] = program
            return program, program.end
        program = self.program(raw["program"], f + ("program",))
        return program, (program.end if len(program.times) > 1 else None)

    def program(self, raw, f, constant: bool = False) -> TemperatureProgram:
        """A TemperatureProgram from [[time, temperature], ...] (or one constant temperature)."""
        pts = self.list(raw, f)
        times, temps = [], []
        for i, pair in enumerate(pts):
            g = f if constant else f + (i,)
            if not (isinstance(pair, list) and len(pair) == 2):
                self.fail(
                    g,
                    f'found {pair!r}; expected a pair ["time", "temperature"] such as '
                    '["2 h", "420 degC"]',
                )
            times.append(self.quantity(pair[0], "time", g))
            temps.append(self.quantity(pair[1], "temperature", g))
        if not pts:
            self.fail(f, "found no points; expected a list of [time, temperature] pairs")
        try:
            if constant:
                return TemperatureProgram.constant(temps[0])
            return TemperatureProgram(tuple(times), tuple(temps), source="program")
        except FieldError as exc:
            i = exc.index or 0
            shown = pts[i][1] if exc.field == "temperatures" else pts[i][0]
            self.fail(f if constant else f + (i,), f"found {shown!r}; {exc.expected}")

    def outputs(self, raw, total: float) -> tuple:
        f = ("output",)
        raw = self.table(raw, f, {"times"})
        times = []
        for v in self.list(raw.get("times", []), f + ("times",)):
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
        values = read(_STRESS, raw, self, f)
        preset = self.preset(raw, f)
        if "dilation" in raw and "molar_volume_difference" in raw:
            self.fail(
                f, "give either dilation (B) or molar_volume_difference (B = Ω_AB·C_T/3), not both"
            )
        if "molar_volume_difference" in values:
            values["dilation"] = dilation_coefficient(
                values.pop("molar_volume_difference"), glass.total_mobile
            )
        for key in ("youngs_modulus", "poisson_ratio", "dilation"):
            if key not in values and preset is not None:
                values[key] = getattr(preset, key)
            if key not in values:
                self.fail(
                    f + (key,),
                    "missing; give it (or dilation via molar_volume_difference) or a material "
                    "preset",
                )
        elastic = construct(_ELASTIC, values, raw, self, f)
        law = None
        if values.get("relaxation", "none") != "none" and "tau" in values:
            law = construct(_RELAXATION, values, raw, self, f)
        return construct(_STRESS_OPTIONS, values | {"glass": elastic, "law": law}, raw, self, f)

    def strength(self, raw):
        """[strength]: K_Ic, the loading and the flaw depths of the final state's
        strength assessment (ionex.process.strength.StrengthOptions)."""
        from ..process.strength import Loading, StrengthOptions

        f = ("strength",)
        raw = self.table(
            raw, f, {"toughness", "applied", "bending", "shallowest", "deepest", "points"}
        )
        if "applied" in raw and "bending" in raw:
            self.fail(f + ("bending",), "give applied (uniform tension) or bending, not both")
        values = {"loading": Loading.BENDING if "bending" in raw else Loading.UNIFORM}
        if "toughness" in raw:
            values["toughness"] = self.quantity(raw["toughness"], "toughness", f + ("toughness",))
            values["toughness_given"] = True
        for key in ("applied", "bending"):
            if key in raw:
                values["applied_stress"] = self.quantity(raw[key], "pressure", f + (key,))
        for key in ("shallowest", "deepest"):
            if key in raw:
                values[key] = self.quantity(raw[key], "length", f + (key,))
        if "points" in raw:
            points = raw["points"]
            if not isinstance(points, int) or isinstance(points, bool):
                self.fail(f + ("points",), f"found {points!r}; expected a whole number ≥ 2")
            values["points"] = points
        try:
            return StrengthOptions(**values)
        except FieldError as exc:
            key = {
                "toughness": "toughness",
                "applied_stress": "bending" if "bending" in raw else "applied",
            }.get(exc.field, exc.field)
            self.fail(f + (key,), f"found {shown(raw.get(key, exc.found))}; {exc.expected}")

    def target(self, raw) -> Target:
        f = ("target",)
        raw = self.table(raw, f, set(_TARGET))
        if len(raw) != 1:
            self.fail(f, f"found {len(raw)} targets; expected exactly one of {', '.join(_TARGET)}")
        ((kind, value),) = raw.items()
        try:
            return Target(kind, self.quantity(value, _TARGET[kind], f + (kind,)))
        except FieldError as exc:
            self.fail(f + (kind,), f"found {shown(value)}; {exc.expected}")

    def optics(self, raw) -> OpticsOptions:
        f = ("optics",)
        values = read(_OPTICS, raw, self, f)
        preset = self.preset(raw, f)
        if (
            preset is not None
            and "wavelength" in values
            and abs(values["wavelength"] - preset.wavelength) > 1e-12
        ):
            self.fail(
                f + ("wavelength",),
                f"the {preset.name} preset holds values at {preset.wavelength * 1e9:g} nm; "
                "give base_index, index_change, c_parallel and c_perp for another wavelength, "
                "or drop material",
            )
        needed = ["wavelength", "base_index", "index_change"]
        if preset is not None or {"c_parallel", "c_perp"} & set(values):
            needed += ["c_parallel", "c_perp"]  # stress birefringence, once one constant is given
        for key in needed:
            if key not in values and preset is not None:
                values[key] = getattr(preset, key)
            if key not in values:
                self.fail(f + (key,), "missing; give it or a material preset")
        if "c_parallel" in values:
            values["elasto_optic"] = construct(_ELASTO_OPTIC, values, raw, self, f)
        if "prism" in raw:
            values.update(self.prism(raw["prism"], f + ("prism",)))
        return construct(_OPTICS, values, raw, self, f)

    def prism(self, raw, f) -> dict:
        """The coupling prism (a preset name or {index, angle}) as OpticsOptions fields."""
        if isinstance(raw, str):
            try:
                preset = materials.prism(raw)
            except ValueError as exc:
                self.fail(f, str(exc))
            return {"prism_index": preset.index, "prism_angle": preset.angle}
        return read(_PRISM, raw, self, f)


# --------------------------------------------------------------------------- sections
# Each section: its keys, the kind of value of each and the dataclass field it fills.
# Fields with kind None are read by the glue above (tables, lists, files, either/or keys).

_RECIPE = Section(
    None,
    (
        Field("name", TEXT),
        Field("glass", None, required=True),
        Field("ions", None, required=True),
        Field("step", None, required=True),
        *(
            Field(k, None)
            for k in (
                "model",
                "output",
                "numerics",
                "stress",
                "optics",
                "target",
                "bath",
                "strength",
                "mask",
            )
        ),
    ),
)
_GLASS = Section(
    Glass,
    (
        Field("host_ion", TEXT, required=True),
        Field("total_mobile", Quantity("concentration"), required=True),
        Field("thickness", Quantity("length")),
        Field("faces", TEXT),
    ),
)
_ION = Section(
    ArrheniusLaw,
    (
        Field("D", Quantity("diffusivity"), target="prefactor"),
        Field("D0", Quantity("diffusivity"), target="prefactor"),
        Field("Q", Quantity("molar_energy"), target="activation_energy"),
    ),
)
_MODEL = Section(
    InterdiffusionModel,
    (
        Field("kind", None),
        Field("thermodynamic_factor", NUMBER),
        Field("margules_W", Quantity("molar_energy"), target="margules_energy"),
        Field("onsager_cross_ratio", NUMBER, target="cross_ratio"),
        Field("stress_coupling", None),
        Field("interdiffusion_table", None, target="table"),
    ),
)
_STRESS_COUPLING = Section(
    StressCouplingMaterial,
    (
        Field("youngs_modulus", Quantity("pressure"), required=True),
        Field("poisson_ratio", NUMBER, required=True),
        Field("molar_volume_difference", Quantity("molar_volume"), required=True),
        Field("host_molar_volume", Quantity("molar_volume")),
    ),
)
_TABLE = Section(
    TabulatedInterdiffusion,
    (
        Field("file", None),
        Field("fractions", None),
        Field("coefficients", None),
        Field("activation_energy", Quantity("molar_energy")),
        Field("reference_temperature", Quantity("temperature")),
    ),
)
_STEP = Section(
    None,
    (
        Field("name", TEXT),
        Field("bath", None, required=True, target="surface_fraction"),
        Field("temperature", None, required=True),
        Field("duration", Quantity("time")),
        Field("field", Quantity("electric_field"), target="electric_field"),
    ),
)
_MASK = Section(
    Mask,
    (
        Field("opening", Quantity("length"), required=True),
        Field("removed_from_step", WHOLE),
        Field("half_width", Quantity("length")),
        Field("depth_cells", WHOLE),
        Field("lateral_cells", WHOLE),
    ),
)
_NUMERICS = Section(Numerics, tuple(Field(k, NUMBER) for k in NUMERICS_RANGES))
_ELASTIC = Section(
    ElasticGlass,
    (
        Field("youngs_modulus", Quantity("pressure")),
        Field("poisson_ratio", NUMBER),
        Field("dilation", NUMBER),
        Field("molar_volume_difference", Quantity("molar_volume"), target="dilation"),
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
_STRESS_OPTIONS = Section(
    StressOptions,
    (
        Field("relaxation", TEXT),
        Field("relaxation_clock", TEXT, target="clock"),
        Field("tau", None, target="law"),
    ),
)
_STRESS = Section(
    None,
    (
        Field("material", TEXT),
        *_ELASTIC.fields[:3],
        Field("molar_volume_difference", Quantity("molar_volume")),  # gives B = Ω_AB·C_T/3
        *_RELAXATION.fields,
        *_STRESS_OPTIONS.fields[:2],
    ),
)
_ELASTO_OPTIC = Section(
    ElastoOptic,
    (
        Field("c_parallel", Quantity("inverse_pressure")),
        Field("c_perp", Quantity("inverse_pressure")),
    ),
)
_OPTICS = Section(
    OpticsOptions,
    (
        Field("material", TEXT),
        Field("wavelength", Quantity("length")),
        Field("base_index", NUMBER),
        Field("index_change", NUMBER),
        *_ELASTO_OPTIC.fields,
        Field("cover_index", NUMBER),
        Field("prism", None, target="prism_index"),
        Field("prism", None, target="prism_angle"),
    ),
)
_PRISM = Section(
    None,
    (
        Field("index", NUMBER, required=True, target="prism_index"),
        Field("angle", Quantity("angle"), required=True, target="prism_angle"),
    ),
)
# [target]: one quantity the process monitor predicts the time of, and the kind of its value
_TARGET = {
    "depth_of_layer": "length",
    "compressive_stress": "pressure",
    "modes_TE": "dimensionless",
    "modes_TM": "dimensionless",
}
