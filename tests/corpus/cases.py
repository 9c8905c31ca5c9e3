"""The bad-input corpus: malformed, extreme and misplaced inputs for every command and every
file type ionex reads, each with what a user must see.

A case is a set of files written into a fresh folder, the command line that reads them
(``{d}`` stands for the folder) and the expected outcome:

- ``error``: exit 2 and one line on stderr, ``ionex: error: …``, that names the file (or the
  command-line option) and contains each of ``needles`` — the field or line, and the value
  found — together with what was expected;
- ``warn``: exit 0 and a ``warning:`` line containing the needles (the leniency the README
  documents: the monitor's live log, ``--lenient``);
- ``ok``: exit 0 (inputs that look odd but are valid, e.g. a UTF-8 byte-order mark).

The cases are built from the bundled examples by replacing one thing at a time, so the
corpus follows the file formats as they evolve.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@dataclass(frozen=True)
class Case:
    """One corpus input: files to write, the argv that reads them, the expected outcome."""

    id: str
    files: dict = field(default_factory=dict)  # name -> str | bytes | None (None: a directory)
    argv: tuple = ()
    expect: str = "error"  # error | warn | ok
    needles: tuple = ()

    def __post_init__(self):
        if self.expect not in ("error", "warn", "ok"):
            raise ValueError(f"{self.id}: expect must be error, warn or ok, not {self.expect!r}")


def _example(name: str) -> str:
    return (EXAMPLES / name).read_text(encoding="utf-8")


def _replace(text: str, old: str, new: str, first: bool = False) -> str:
    """``text`` with ``old`` replaced, which must occur once (or at least once, ``first``)."""
    if text.count(old) != 1 and not (first and text.count(old) > 1):
        raise AssertionError(f"corpus base: {old!r} occurs {text.count(old)} times")
    return text.replace(old, new, 1)


SODA = _example("soda_lime_k_na.toml")
TWO_STEP = _example("two_step_post_anneal.toml")
BK7 = _example("bk7_k_na_91h.toml")
MONITOR = _example("monitor_bk7.toml")
CAIT = _example("double_cait_li3b7o12.toml")
SWEEP = _example("sweep_bk7.toml")
FIT = _example("fit_soda_lime.toml")
PROFILE = (EXAMPLES / "data" / "k_profile_soda_lime_420C_8h.csv").read_text(encoding="utf-8")
INDEX_PROFILE = (EXAMPLES / "data" / "bk7_index_profile.csv").read_text(encoding="utf-8")
MODES = (EXAMPLES / "data" / "erfc_guide_modes_677nm.csv").read_text(encoding="utf-8")
ARRHENIUS = (EXAMPLES / "data" / "arrhenius_k_soda_lime.csv").read_text(encoding="utf-8")
SIMS = (EXAMPLES / "data" / "sims_double_cait.csv").read_text(encoding="utf-8")
LOG = "time_h,temperature_C\n" + "".join(
    f"{0.25 * i:g},{400 + (i % 3) * 0.2:g}\n" for i in range(9)
)


def run(recipe="recipe.toml", *extra):
    return ("run", "{d}/" + recipe, "-o", "{d}/out", "--no-plot", *extra)


# --- binary recipes: every dimensional field against every class of bad value -------------

# (field as named in messages, the line in the base recipe, a unit of its dimension)
SODA_FIELDS = [
    ("total_mobile", 'total_mobile = "10.9 mol/L"', "mol/L"),
    ("thickness", 'thickness = "1 mm"', "mm"),
    ("ions.K.D", 'D = "1e-15 m^2/s"', "m^2/s"),
    ("ions.Na.D", 'D = "1e-14 m^2/s"', "m^2/s"),
    ("temperature", 'temperature = "420 degC"', "K"),
    ("duration", 'duration = "8 h"', "h"),
]
TWO_STEP_FIELDS = [
    ("D0", 'D0 = "1.55e-7 m^2/s"', "m^2/s"),
    ("Q", 'Q = "110 kJ/mol"', "kJ/mol"),
]
BK7_FIELDS = [("tau", 'tau = "2000 h"', "h")]

WRONG_DIMENSION = {
    "mol/L": "12 kg",
    "mm": "12 kg",
    "m^2/s": "12 m/s",
    "K": "12 C",
    "h": "12 m",
    "kJ/mol": "12 kJ",
}


def _bad_values(unit: str):
    """(label, TOML value, needle that the message must contain)."""
    yield "bare-int", "12", "12"
    yield "bare-float", "1.5", "1.5"
    yield "number-string", '"12"', "12"
    yield "wrong-dimension", f'"{WRONG_DIMENSION[unit]}"', WRONG_DIMENSION[unit]
    yield "words", '"twelve"', "twelve"
    yield "empty", '""', "''"
    yield "nan", f'"nan {unit}"', "nan"
    yield "inf", f'"inf {unit}"', "inf"
    yield "overflow", f'"1e400 {unit}"', "1e400"
    yield "power-bomb", f'"10**10**10 {unit}"', "10**10**10"
    yield "unknown-unit", '"12 furlongs_per_blink"', "furlongs_per_blink"
    yield "bool", "true", "true"
    yield "array", f'["1 {unit}"]', "1 " + unit
    yield "table", "{ value = 1 }", "value"
    if unit not in ("K", "kJ/mol"):
        yield "negative", f'"-3 {unit}"', "-"  # messages may give the SI value
        yield "zero", f'"0 {unit}"', "0"


def _field_cases(base: str, prefix: str, fields):
    for name, line, unit in fields:
        key = line.split(" = ")[0]
        for label, value, needle in _bad_values(unit):
            text = _replace(base, line, f"{key} = {value}")
            yield Case(
                f"{prefix}-{name}-{label}",
                {"recipe.toml": text},
                run(),
                needles=("recipe.toml", key, needle),
            )


def recipe_field_cases():
    yield from _field_cases(SODA, "soda", SODA_FIELDS)
    yield from _field_cases(TWO_STEP, "two-step", TWO_STEP_FIELDS)
    yield from _field_cases(BK7, "bk7", BK7_FIELDS)


def _soda(old, new):
    return {"recipe.toml": _replace(SODA, old, new)}


def recipe_structure_cases():
    """Whole-file and structural faults of a binary recipe."""
    deep = "x = " + "[" * 500 + "1" + "]" * 500 + "\n"
    c = []
    c += [
        Case("recipe-empty", {"recipe.toml": ""}, run(), needles=("recipe.toml",)),
        Case(
            "recipe-comments-only", {"recipe.toml": "# nothing\n"}, run(), needles=("recipe.toml",)
        ),
        Case("recipe-deep-nesting", {"recipe.toml": deep + SODA}, run(), needles=("recipe.toml",)),
        Case(
            "recipe-deep-tables",
            {"recipe.toml": SODA + "[" + ".".join(["a"] * 300) + "]\n"},
            run(),
            needles=("recipe.toml",),
        ),
        Case(
            "recipe-binary", {"recipe.toml": bytes(range(256)) * 4}, run(), needles=("recipe.toml",)
        ),
        Case(
            "recipe-latin1",
            {
                "recipe.toml": SODA.encode("ascii", "replace").replace(
                    b"420 degC", b"420 degC # 420 \xb0C"
                )
            },
            run(),
            needles=("recipe.toml", "UTF-8"),
        ),
        Case("recipe-bom", {"recipe.toml": "\ufeff" + SODA}, run(), expect="ok"),
        Case("recipe-crlf", {"recipe.toml": SODA.replace("\n", "\r\n")}, run(), expect="ok"),
        Case(
            "recipe-unclosed-string",
            _soda('thickness = "1 mm"', 'thickness = "1 mm'),
            run(),
            needles=("recipe.toml", "line"),
        ),
        Case(
            "recipe-missing-value",
            _soda('thickness = "1 mm"', "thickness ="),
            run(),
            needles=("recipe.toml", "line"),
        ),
        Case(
            "recipe-duplicate-key",
            _soda('thickness = "1 mm"', 'thickness = "1 mm"\nthickness = "2 mm"'),
            run(),
            needles=("recipe.toml", "line"),
        ),
        Case(
            "recipe-duplicate-table",
            {"recipe.toml": SODA + '\n[glass]\nhost_ion = "Na"\n'},
            run(),
            needles=("recipe.toml", "glass"),
        ),
        Case(
            "recipe-missing-glass",
            {"recipe.toml": SODA.replace("[glass]", "[glassy]")},
            run(),
            needles=("recipe.toml", "glass"),
        ),
        Case(
            "recipe-typo-key",
            _soda('thickness = "1 mm"', 'thicknes = "1 mm"'),
            run(),
            needles=("recipe.toml", "thicknes"),
        ),
        Case(
            "recipe-unknown-section",
            {"recipe.toml": SODA + "\n[numerix]\nrtol = 1e-4\n"},
            run(),
            needles=("recipe.toml", "numerix"),
        ),
        Case(
            "recipe-unknown-host",
            _soda('host_ion = "Na"', 'host_ion = "Xx"'),
            run(),
            needles=("recipe.toml", "host ion", "Xx"),
        ),
        Case(
            "recipe-host-number",
            _soda('host_ion = "Na"', "host_ion = 11"),
            run(),
            needles=("recipe.toml", "host_ion", "11"),
        ),
        Case(
            "recipe-faces-three",
            _soda('faces = "both"', 'faces = "three"'),
            run(),
            needles=("recipe.toml", "faces", "three"),
        ),
        Case(
            "recipe-faces-number",
            _soda('faces = "both"', "faces = 2"),
            run(),
            needles=("recipe.toml", "faces", "2"),
        ),
        Case(
            "recipe-no-steps",
            {"recipe.toml": SODA.split("[[step]]")[0]},
            run(),
            needles=("recipe.toml", "step"),
        ),
        Case(
            "recipe-bath-over-one",
            _soda("bath = { K = 1.0 }", "bath = { K = 1.5 }"),
            run(),
            needles=("recipe.toml", "bath", "1.5"),
        ),
        Case(
            "recipe-bath-negative",
            _soda("bath = { K = 1.0 }", "bath = { K = -0.1 }"),
            run(),
            needles=("recipe.toml", "bath", "-0.1"),
        ),
        Case(
            "recipe-bath-unknown-ion",
            _soda("bath = { K = 1.0 }", "bath = { Xx = 1.0 }"),
            run(),
            needles=("recipe.toml", "bath", "Xx"),
        ),
        Case(
            "recipe-bath-words",
            _soda("bath = { K = 1.0 }", 'bath = "salty"'),
            run(),
            needles=("recipe.toml", "bath", "salty"),
        ),
        Case(
            "recipe-bath-with-unit",
            _soda("bath = { K = 1.0 }", 'bath = { K = "1 mol" }'),
            run(),
            needles=("recipe.toml", "bath", "1 mol"),
        ),
        Case(
            "recipe-times-beyond",
            _soda('times = ["1 h", "4 h", "8 h"]', 'times = ["1 h", "9 h"]'),
            run(),
            needles=("recipe.toml", "times", "9 h"),
        ),
        Case(
            "recipe-times-negative",
            _soda('times = ["1 h", "4 h", "8 h"]', 'times = ["-1 h"]'),
            run(),
            needles=("recipe.toml", "times", "-1 h"),
        ),
        Case(
            "recipe-times-bare",
            _soda('times = ["1 h", "4 h", "8 h"]', "times = [1, 4]"),
            run(),
            needles=("recipe.toml", "times", "1"),
        ),
        Case(
            "recipe-times-string",
            _soda('times = ["1 h", "4 h", "8 h"]', 'times = "1 h"'),
            run(),
            needles=("recipe.toml", "times", "1 h"),
        ),
        Case(
            "recipe-thermo-negative",
            _soda("thermodynamic_factor = 1.0", "thermodynamic_factor = -1.0"),
            run(),
            needles=("recipe.toml", "thermodynamic_factor", "-1"),
        ),
        Case(
            "recipe-thermo-words",
            _soda("thermodynamic_factor = 1.0", 'thermodynamic_factor = "one"'),
            run(),
            needles=("recipe.toml", "thermodynamic_factor", "one"),
        ),
        Case(
            "recipe-stress-coupling-unit",
            _soda("stress_coupling = 0.0", 'stress_coupling = "1 GPa"'),
            run(),
            needles=("recipe.toml", "stress_coupling", "1 GPa"),
        ),
        Case(
            "recipe-name-number",
            _soda('name = "K+/Na+ strengthening of soda-lime, 420 °C, 8 h"', "name = 5"),
            run(),
            needles=("recipe.toml", "name", "5"),
        ),
        Case("recipe-missing-file", {}, run("absent.toml"), needles=("absent.toml",)),
        Case(
            "recipe-is-directory",
            {"folder.toml": None},
            run("folder.toml"),
            needles=("folder.toml",),
        ),
        Case(
            "recipe-json",
            {"recipe.toml": '{"glass": {"host_ion": "Na"}}'},
            run(),
            needles=("recipe.toml",),
        ),
    ]
    numerics = {
        "cells-per-efold-tiny": ("cells_per_efold = 0.1", "cells_per_efold", "0.1"),
        "cells-per-efold-huge": ("cells_per_efold = 1e7", "cells_per_efold", "1e+07"),
        "cells-per-efold-words": ('cells_per_efold = "many"', "cells_per_efold", "many"),
        "rtol-huge": ("rtol = 1e6", "rtol", "1e+06"),
        "rtol-zero": ("rtol = 0", "rtol", "0"),
        "rtol-negative": ("rtol = -1e-4", "rtol", "-0.0001"),
        "domain-lengths-tiny": ("domain_lengths = 1e-6", "domain_lengths", "1e-06"),
        "unknown-key": ("cell_count = 100", "cell_count", "cell_count"),
    }
    for label, (line, key, needle) in numerics.items():
        c.append(
            Case(
                f"recipe-numerics-{label}",
                {"recipe.toml": SODA + f"\n[numerics]\n{line}\n"},
                run(),
                needles=("recipe.toml", key, needle),
            )
        )
    # Arrhenius laws at temperatures where D underflows, and broken temperature programs
    for t in ("20 K", "1 K", "0.01 K"):
        text = _replace(TWO_STEP, 'temperature = "450 degC"', f'temperature = "{t}"')
        c.append(
            Case(
                f"arrhenius-at-{t.replace(' ', '')}",
                {"recipe.toml": text},
                run(),
                needles=("recipe.toml", "step", t.split()[0]),
            )
        )
    program_line = 'temperature = { program = [["0 h", "400 degC"], ["0.5 h", "350 degC"], ["2 h", "350 degC"]] }'
    programs = {
        "cold-hot-cold": ('[["0 h", "1 K"], ["1 h", "2000 degC"], ["2 h", "1 K"]]', "1 K"),
        "time-backwards": (
            '[["0 h", "400 degC"], ["2 h", "350 degC"], ["1 h", "350 degC"]]',
            "1 h",
        ),
        "single-point": ('[["0 h", "400 degC"]]', "program"),
        "empty": ("[]", "program"),
        "bare-temperature": ('[["0 h", 400], ["2 h", 350]]', "400"),
        "negative-time": ('[["-1 h", "400 degC"], ["2 h", "350 degC"]]', "-1 h"),
        "three-columns": ('[["0 h", "400 degC", "x"], ["2 h", "350 degC", "y"]]', "program"),
        "not-a-list": ('"hot"', "hot"),
    }
    for label, (program, needle) in programs.items():
        text = _replace(TWO_STEP, program_line, f"temperature = {{ program = {program} }}")
        c.append(
            Case(f"program-{label}", {"recipe.toml": text}, run(), needles=("recipe.toml", needle))
        )
    for label, log in {"missing": '"absent.csv"', "directory": '"logdir"', "number": "5"}.items():
        text = _replace(MONITOR, 'temperature = "400 degC"', f"temperature = {{ log = {log} }}")
        text = _replace(text, 'duration = "100 h"', "")
        files = {"recipe.toml": text}
        if label == "directory":
            files["logdir"] = None
        c.append(
            Case(
                f"recipe-log-{label}",
                files,
                run(),
                needles=("recipe.toml",) if label == "number" else (log.strip('"'),),
            )
        )
    # [stress] and [optics]
    stress_cases = {
        "beta-over-one": ("beta = 0.6", "beta = 1.5", "beta", "1.5"),
        "beta-zero": ("beta = 0.6", "beta = 0", "beta", "0"),
        "relaxation-unknown": ('relaxation = "kww"', 'relaxation = "magic"', "relaxation", "magic"),
        "material-unknown": (
            'material = "BK7"                      # E',
            'material = "Unobtainium" # E',
            "material",
            "Unobtainium",
        ),
    }
    for label, (old, new, key, needle) in stress_cases.items():
        c.append(
            Case(
                f"bk7-stress-{label}",
                {"recipe.toml": _replace(BK7, old, new)},
                run(),
                needles=("recipe.toml", key, needle),
            )
        )
    return c


# --- Nernst-Planck-Poisson recipes ------------------------------------------------------

CAIT_FIELDS = [
    ("thickness", 'thickness = "2.325 mm"', "mm"),
    ("area", 'area = "28.26 mm^2"', "mm^2"),
    ("background_density", 'background_density = "1.3965e28 m^-3"', "m^-3"),
    ("temperature", 'temperature = "50 degC"', "K"),
    ("D_bulk", 'D_bulk = "5.8e-19 m^2/s"', "m^2/s"),
    ("activation_energy", 'activation_energy = "0.65 eV"', "eV"),
    ("beam_current", 'beam_current = "20 nA"', "nA"),
    ("charge", 'charge = "2.52 mC"', "mC"),
]
NPP_WRONG = {
    "mm": "3 kg",
    "mm^2": "3 mm",
    "m^-3": "3 mol",
    "K": "3 C",
    "m^2/s": "3 m/s",
    "eV": "3 V",
    "nA": "3 V",
    "mC": "3 A",
}


def _npp_values(unit):
    yield "bare", "12", "12"
    yield "wrong-dimension", f'"{NPP_WRONG[unit]}"', NPP_WRONG[unit]
    yield "words", '"lots"', "lots"
    yield "nan", f'"nan {unit}"', "nan"
    yield "power-bomb", f'"9**9**9 {unit}"', "9**9**9"
    yield "bool", "false", "false"
    if unit not in ("K", "eV"):
        yield "negative", f'"-3 {unit}"', "-"  # messages may give the SI value
        yield "zero", f'"0 {unit}"', "0"


def npp_cases():
    c = []
    for name, line, unit in CAIT_FIELDS:
        key = line.split(" = ")[0]
        for label, value, needle in _npp_values(unit):
            text = _replace(CAIT, line, f"{key} = {value}", first=True)
            c.append(
                Case(
                    f"npp-{name}-{label}",
                    {"recipe.toml": text},
                    run(),
                    needles=("recipe.toml", key, needle),
                )
            )
    single = {
        "permittivity-negative": (
            "relative_permittivity = 8",
            "relative_permittivity = -8",
            "relative_permittivity",
            "-8",
        ),
        "permittivity-unit": (
            "relative_permittivity = 8",
            'relative_permittivity = "8 F/m"',
            "relative_permittivity",
            "8 F/m",
        ),
        "fall-off-over-one": ("fall_off = 0.10", "fall_off = 1.5", "fall_off", "1.5"),
        "convention-unknown": (
            'sed_convention = "sigma"',
            'sed_convention = "width"',
            "sed_convention",
            "width",
        ),
        "initial-fraction-two": (
            "initial_fraction = 1.0",
            "initial_fraction = 2.0",
            "initial_fraction",
            "2",
        ),
        "step-kind-unknown": (
            'kind = "cait"\nname = "CAIT 1: Rb+"',
            'kind = "laser"\nname = "CAIT 1: Rb+"',
            "kind",
            "laser",
        ),
        "ion-unknown": ('ion = "Rb"', 'ion = "Xx"', "ion", "Xx"),
        "model-kind-unknown": (
            'kind = "nernst-planck-poisson"\n',
            'kind = "nernst-planck-posson"\n',
            "kind",
            "nernst-planck-posson",
        ),
        "zone-cell-words": ('zone_cell = "1 nm"', 'zone_cell = "small"', "zone_cell", "small"),
        "zone-cell-km": ('zone_cell = "1 nm"', 'zone_cell = "1 km"', "zone_cell", "1 km"),
        "growth-half": ('zone_cell = "1 nm"', 'zone_cell = "1 nm"\ngrowth = 0.5', "growth", "0.5"),
        "growth-one": ('zone_cell = "1 nm"', 'zone_cell = "1 nm"\ngrowth = 1.0', "growth", "1"),
        "finest-cell-km": (
            'zone_cell = "1 nm"',
            'zone_cell = "1 nm"\nfinest_cell = "1 km"',
            "finest_cell",
            "1 km",
        ),
        "numerics-typo": ('zone_cell = "1 nm"', 'zone_cel = "1 nm"', "zone_cel", "zone_cel"),
    }
    for label, (old, new, key, needle) in single.items():
        c.append(
            Case(
                f"npp-{label}",
                {"recipe.toml": _replace(CAIT, old, new, first=True)},
                run(),
                needles=("recipe.toml", key, needle),
            )
        )
    for label, times, needle in (
        ("negative", '["-1 s"]', "-1 s"),
        ("beyond", '["5000 h"]', "5000 h"),
        ("bare", "[5]", "5"),
    ):
        c.append(
            Case(
                f"npp-output-times-{label}",
                {"recipe.toml": CAIT + f"\n[output]\ntimes = {times}\n"},
                run(),
                needles=("recipe.toml", "times", needle),
            )
        )
    c.append(
        Case(
            "npp-no-species",
            {"recipe.toml": CAIT.replace("[species.", "[specie.")},
            run(),
            needles=("recipe.toml",),
        )
    )
    return c


# --- sweep and fit files -----------------------------------------------------------------


def sweep(*extra):
    return ("sweep", "{d}/sweep.toml", "-o", "{d}/out", "--serial", "--no-plot", *extra)


def fit(*extra):
    return ("fit", "{d}/fit.toml", "-o", "{d}/out", "--serial", "--no-plot", *extra)


def _sweep_files(text):
    return {"sweep.toml": text, "bk7_k_na_91h.toml": BK7}


def _fit_files(text, data=PROFILE):
    return {
        "fit.toml": text,
        "soda_lime_k_na.toml": SODA,
        "data/k_profile_soda_lime_420C_8h.csv": data,
    }


def sweep_cases():
    rng = 'range = { start = "380 degC", stop = "420 degC", num = 5 }'
    c = []
    edits = {
        "num-billion": (
            rng,
            'range = { start = "380 degC", stop = "420 degC", num = 1000000000 }',
            "num",
            "1000000000",
        ),
        "num-zero": (rng, 'range = { start = "380 degC", stop = "420 degC", num = 0 }', "num", "0"),
        "num-negative": (
            rng,
            'range = { start = "380 degC", stop = "420 degC", num = -3 }',
            "num",
            "-3",
        ),
        "num-float": (
            rng,
            'range = { start = "380 degC", stop = "420 degC", num = 2.5 }',
            "num",
            "2.5",
        ),
        "start-bare": (rng, 'range = { start = 380, stop = "420 degC", num = 5 }', "start", "380"),
        "start-wrong-dimension": (
            rng,
            'range = { start = "380 h", stop = "420 degC", num = 5 }',
            "start",
            "380 h",
        ),
        "range-missing-stop": (rng, 'range = { start = "380 degC", num = 5 }', "stop", "range"),
        "path-unknown-step": (
            'path = "step[1].temperature"',
            'path = "step[9].temperature"',
            "path",
            "step[9]",
        ),
        "path-unknown-ion": (
            'path = "step[1].temperature"',
            'path = "ions.Xx.D"',
            "path",
            "ions.Xx.D",
        ),
        "path-garbage": ('path = "step[1].temperature"', 'path = "]]["', "path", "]]["),
        "values-empty": ('values = ["24 h", "48 h", "91 h"]', "values = []", "values", "[]"),
        "values-wrong-dimension": (
            'values = ["24 h", "48 h", "91 h"]',
            'values = ["24 m"]',
            "values",
            "24 m",
        ),
        "values-bare": ('values = ["24 h", "48 h", "91 h"]', "values = [24, 48]", "values", "24"),
        "depth-at-over-one": ("depth_at = [0.5]", "depth_at = [1.5]", "depth_at", "1.5"),
        "depth-at-negative": ("depth_at = [0.5]", "depth_at = [-0.1]", "depth_at", "-0.1"),
        "depth-at-words": ("depth_at = [0.5]", 'depth_at = ["half"]', "depth_at", "half"),
        "metrics-times-beyond": (
            "depth_at = [0.5]",
            'depth_at = [0.5]\ntimes = ["500 h"]',
            "times",
            "500 h",
        ),
        "metrics-unknown": (
            "depth_at = [0.5]",
            "depth_at = [0.5]\nsharpness = 3",
            "sharpness",
            "sharpness",
        ),
        "recipe-missing": (
            'recipe = "bk7_k_na_91h.toml"',
            'recipe = "absent.toml"',
            "recipe",
            "absent.toml",
        ),
        "recipe-number": ('recipe = "bk7_k_na_91h.toml"', "recipe = 7", "recipe", "7"),
    }
    for label, (old, new, key, needle) in edits.items():
        c.append(
            Case(
                f"sweep-{label}",
                _sweep_files(_replace(SWEEP, old, new)),
                sweep(),
                needles=("sweep.toml", key, needle),
            )
        )
    c += [
        Case("sweep-empty", {"sweep.toml": ""}, sweep(), needles=("sweep.toml",)),
        Case(
            "sweep-deep-nesting",
            _sweep_files("y = " + "[" * 600 + "]" * 600 + "\n" + SWEEP),
            sweep(),
            needles=("sweep.toml",),
        ),
        Case(
            "sweep-no-parameters",
            _sweep_files(SWEEP.split("[[parameter]]")[0]),
            sweep(),
            needles=("sweep.toml", "parameter"),
        ),
        Case(
            "sweep-design-unknown",
            _sweep_files(SWEEP + '\n[design]\nkind = "magic"\n'),
            sweep(),
            needles=("sweep.toml", "magic"),
        ),
    ]
    return c


def fit_cases():
    c = []
    edits = {
        "path-unknown": ('path = "ions.K.D"', 'path = "ions.K.E"', "path", "ions.K.E"),
        "min-over-max": ('min = "1e-17 m^2/s"', 'min = "1e-12 m^2/s"', "min", "1e-12"),
        "min-bare": ('min = "1e-17 m^2/s"', "min = 1e-17", "min", "1e-17"),
        "min-wrong-dimension": ('min = "1e-17 m^2/s"', 'min = "1e-17 m"', "min", "1e-17 m"),
        "log-with-negative-min": ('min = "1e-17 m^2/s"', 'min = "-1e-17 m^2/s"', "min", "-1e-17"),
        "bath-over-one": ("max = 1.0", "max = 3.0", "max", "3"),
        "dataset-kind-unknown": ('kind = "profile"', 'kind = "hologram"', "kind", "hologram"),
        "dataset-file-missing": (
            'file = "data/k_profile_soda_lime_420C_8h.csv"',
            'file = "data/absent.csv"',
            "file",
            "absent.csv",
        ),
        "dataset-column-missing": ('column = "frac_K"', 'column = "frac_Rb"', "column", "frac_Rb"),
        "dataset-time-beyond": ('time = "8 h"', 'time = "9 h"', "time", "9 h"),
        "dataset-time-bare": ('time = "8 h"', "time = 8", "time", "8"),
        "sigma-negative": ("sigma = 0.01", "sigma = -0.01", "sigma", "-0.01"),
        "sigma-zero": ("sigma = 0.01", "sigma = 0", "sigma", "0"),
        "sigma-words": ("sigma = 0.01", 'sigma = "small"', "sigma", "small"),
        "recipe-missing": (
            'recipe = "soda_lime_k_na.toml"',
            'recipe = "absent.toml"',
            "recipe",
            "absent.toml",
        ),
        "unknown-key": ("log = true", "log = true\nstep = 2", "step", "step"),
    }
    for label, (old, new, key, needle) in edits.items():
        c.append(
            Case(
                f"fit-{label}",
                _fit_files(_replace(FIT, old, new)),
                fit(),
                needles=("fit.toml", key, needle),
            )
        )
    percent = PROFILE.replace(",0.9", ",9").replace(",0.8", ",8")
    c += [
        Case("fit-data-percent", _fit_files(FIT, percent), fit(), needles=("k_profile", "frac_K")),
        Case(
            "fit-data-words",
            _fit_files(FIT, PROFILE.replace("0.93921", "high")),
            fit(),
            needles=("k_profile", "high"),
        ),
        Case("fit-data-empty", _fit_files(FIT, ""), fit(), needles=("k_profile",)),
        Case("fit-empty", {"fit.toml": ""}, fit(), needles=("fit.toml",)),
        Case(
            "fit-no-datasets",
            _fit_files(FIT.split("[[dataset]]")[0]),
            fit(),
            needles=("fit.toml", "dataset"),
        ),
    ]
    return c


# --- tables: profiles, index profiles, mode lists, Arrhenius tables, SIMS -----------------


def _table_variants(text: str, column: str, value_in_row: str):
    """Generic faults of a CSV table with a header line; ``value_in_row`` is a cell of row 1."""
    lines = text.splitlines()
    comments = [x for x in lines if x.startswith("#")]
    body = [x for x in lines if not x.startswith("#")]
    header, rows = body[0], body[1:]
    yield "empty", "", ()
    yield "header-only", header + "\n", ()
    yield "comments-only", "\n".join(comments) + "\n", ()
    yield "one-row", header + "\n" + rows[0] + "\n", ()
    yield "words-cell", text.replace(value_in_row, "abc", 1), ("abc",)
    yield "nan-cell", text.replace(value_in_row, "nan", 1), ("nan",)
    yield "inf-cell", text.replace(value_in_row, "inf", 1), ("inf",)
    yield "missing-column", "\n".join([header.replace(column, "value")] + rows) + "\n", (column,)
    yield "short-row", "\n".join([header, rows[0].rsplit(",", 1)[0]] + rows[1:]) + "\n", ()
    yield "semicolons", "\n".join(x.replace(",", ";") for x in body) + "\n", ()
    yield "binary", bytes(range(256)) * 8, ()
    yield "latin1", ("\n".join([header + "\xb5"] + rows) + "\n").encode("latin-1"), ()
    yield "duplicate-header", "\n".join([header, header] + rows) + "\n", ()


def table_cases():
    c = []
    matano = ("matano", "{d}/profile.csv", "--time", "8 h", "-o", "{d}/out", "--no-plot")
    for label, text, needles in _table_variants(PROFILE, "frac_K", "0.93921"):
        c.append(
            Case(
                f"matano-{label}", {"profile.csv": text}, matano, needles=("profile.csv", *needles)
            )
        )
    for label, old, new, needle in (
        ("percent", "0.93921", "93.921", "93.921"),
        ("negative-depth", "0.500,", "-5,", "-5"),
        ("depth-backwards", "1.128,", "0.2,", "0.2"),
        ("over-one", "0.93921", "1.5", "1.5"),
    ):
        c.append(
            Case(
                f"matano-{label}",
                {"profile.csv": PROFILE.replace(old, new, 1)},
                matano,
                needles=("profile.csv", needle),
            )
        )
    for label, t in (
        ("bare", "8"),
        ("zero", "0 h"),
        ("negative", "-8 h"),
        ("words", "long"),
        ("length", "8 m"),
    ):
        c.append(
            Case(
                f"matano-time-{label}",
                {"profile.csv": PROFILE},
                ("matano", "{d}/profile.csv", "--time", t, "-o", "{d}/out", "--no-plot"),
                needles=("--time", t),
            )
        )
    modes = ("modes", "{d}/profile.csv", "--wavelength", "677 nm", "-o", "{d}/out")
    for label, text, needles in _table_variants(INDEX_PROFILE, "n_TE", "1.522782"):
        if label == "missing-column":  # n_TM alone is a valid TM-only profile: rename both
            text, needles = text.replace("value,n_TM", "value,other"), ("n_TE",)
        c.append(
            Case(f"modes-{label}", {"profile.csv": text}, modes, needles=("profile.csv", *needles))
        )
    for label, w in (
        ("bare", "677"),
        ("zero", "0 nm"),
        ("negative", "-677 nm"),
        ("mass", "677 kg"),
        ("words", "red"),
    ):
        c.append(
            Case(
                f"modes-wavelength-{label}",
                {"profile.csv": INDEX_PROFILE},
                ("modes", "{d}/profile.csv", "--wavelength", w, "-o", "{d}/out"),
                needles=("--wavelength", w),
            )
        )
    for label, cover in (("nan", "nan"), ("above-guide", "1.6"), ("below-one", "0.5")):
        c.append(
            Case(
                f"modes-cover-{label}",
                {"profile.csv": INDEX_PROFILE},
                (*modes, "--cover", cover),
                needles=("cover", cover),
            )
        )
    c.append(
        Case(
            "modes-index-huge",
            {"profile.csv": INDEX_PROFILE.replace("1.522782", "1e6", 1)},
            modes,
            needles=("profile.csv", "1e6"),
        )
    )
    c.append(
        Case(
            "modes-time-absent",
            {"profile.csv": INDEX_PROFILE},
            (*modes, "--time", "5 h"),
            needles=("profile.csv", "time"),
        )
    )
    iwkb = ("iwkb", "{d}/modes.csv", "--wavelength", "677 nm", "-o", "{d}/out", "--no-plot")
    invert = ("invert", "{d}/modes.csv", "--wavelength", "677 nm", "-o", "{d}/out", "--no-plot")
    for label, text, needles in _table_variants(MODES, "effective_index", "1.520441"):
        c.append(Case(f"iwkb-{label}", {"modes.csv": text}, iwkb, needles=("modes.csv", *needles)))
    mode_faults = {
        "below-cover": ("1.520441", "0.9", "0.9"),
        "huge-index": ("1.520441", "1e6", "1e6"),
        "negative-order": ("TE,0,", "TE,-1,", "-1"),
        "fractional-order": ("TE,0,", "TE,0.5,", "0.5"),
        "polarisation-unknown": ("TE,0,", "XY,0,", "XY"),
    }
    for label, (old, new, needle) in mode_faults.items():
        for cmd, argv in (("iwkb", iwkb), ("invert", invert)):
            c.append(
                Case(
                    f"{cmd}-{label}",
                    {"modes.csv": MODES.replace(old, new, 1)},
                    argv,
                    needles=("modes.csv", needle),
                )
            )
    for label, cover in (("nan", "nan"), ("above-modes", "1.6"), ("below-one", "0.3")):
        for cmd, argv in (("iwkb", iwkb), ("invert", invert)):
            c.append(
                Case(
                    f"{cmd}-cover-{label}",
                    {"modes.csv": MODES},
                    (*argv, "--cover", cover),
                    needles=("cover", cover),
                )
            )
    c += [
        Case(
            "iwkb-index-sigma",
            {"modes.csv": MODES},
            (*iwkb, "--index-sigma", "1e-5"),
            needles=("--index-sigma",),
        ),
        Case(
            "invert-index-sigma-negative",
            {"modes.csv": MODES},
            (*invert, "--index-sigma=-1e-5"),
            needles=("--index-sigma", "-1e-05"),
        ),
        Case(
            "invert-family-unknown",
            {"modes.csv": MODES},
            (*invert, "--family", "sinc"),
            needles=("--family", "sinc"),
        ),
        Case(
            "invert-c-parallel-bare",
            {"modes.csv": MODES},
            (*invert, "--c-parallel=-0.5e-12"),
            needles=("--c-parallel", "-0.5e-12"),
        ),
        Case(
            "invert-prism-half",
            {"modes.csv": MODES},
            (*invert, "--prism-index", "1.8"),
            needles=("--prism",),
        ),
        Case(
            "invert-prism-unknown",
            {"modes.csv": MODES},
            (*invert, "--prism", "NoSuchPrism"),
            needles=("--prism", "NoSuchPrism"),
        ),
        Case(
            "invert-substrate-above",
            {"modes.csv": MODES},
            (*invert, "--substrate-index", "1.7"),
            needles=("substrate", "1.7"),
        ),
    ]
    arr = ("arrhenius", "{d}/table.csv", "-o", "{d}/out", "--no-plot")
    for label, text, needles in _table_variants(ARRHENIUS, "D_m2_s", "2.5302e-16"):
        c.append(
            Case(f"arrhenius-{label}", {"table.csv": text}, arr, needles=("table.csv", *needles))
        )
    for label, old, new, needle in (
        ("D-huge", "2.5302e-16", "1e300", "1e300"),
        ("D-negative", "2.5302e-16", "-2e-16", "-2e-16"),
        ("D-zero", "2.5302e-16", "0", "0"),
        ("T-absolute-zero", "380,", "-280,", "-280"),
        ("err-negative", "9.90e-18", "-9.9e-18", "-9.9e-18"),
    ):
        c.append(
            Case(
                f"arrhenius-{label}",
                {"table.csv": ARRHENIUS.replace(old, new, 1)},
                arr,
                needles=("table.csv", needle),
            )
        )
    return c


def sims_cases():
    recipe = {"recipe.toml": CAIT}
    counts = [line for line in SIMS.splitlines() if not line.startswith("#")]
    zero = (
        "\n".join([counts[0]] + [line.split(",")[0] + ",0,0,0,0,0" for line in counts[1:]]) + "\n"
    )
    c = [
        Case(
            "sims-on-binary-recipe",
            {"recipe.toml": SODA, "sims.csv": SIMS},
            run("recipe.toml", "--sims", "{d}/sims.csv", "--crater-depth", "300 nm"),
            needles=("--sims",),
        ),
        Case(
            "crater-without-sims",
            {"recipe.toml": SODA},
            run("recipe.toml", "--crater-depth", "300 nm"),
            needles=("--crater-depth",),
        ),
        Case(
            "sims-all-zero",
            {**recipe, "sims.csv": zero},
            run("recipe.toml", "--sims", "{d}/sims.csv", "--crater-depth", "300 nm"),
            needles=("sims.csv",),
        ),
        Case(
            "sims-foreign-isotope",
            {**recipe, "sims.csv": SIMS.replace("counts_133Cs", "counts_107Ag")},
            run("recipe.toml", "--sims", "{d}/sims.csv", "--crater-depth", "300 nm"),
            needles=("sims.csv", "Ag"),
        ),
        Case(
            "sims-empty",
            {**recipe, "sims.csv": ""},
            run("recipe.toml", "--sims", "{d}/sims.csv", "--crater-depth", "300 nm"),
            needles=("sims.csv",),
        ),
        Case(
            "sims-missing",
            recipe,
            run("recipe.toml", "--sims", "{d}/absent.csv", "--crater-depth", "300 nm"),
            needles=("absent.csv",),
        ),
        Case(
            "sims-crater-bare",
            {**recipe, "sims.csv": SIMS},
            run("recipe.toml", "--sims", "{d}/sims.csv", "--crater-depth", "300"),
            needles=("--crater-depth", "300"),
        ),
        Case(
            "sims-crater-negative",
            {**recipe, "sims.csv": SIMS},
            run("recipe.toml", "--sims", "{d}/sims.csv", "--crater-depth", "-300 nm"),
            needles=("--crater-depth", "-300"),
        ),
    ]
    return c


# --- furnace logs: ionex run --temperature-log (strict) and the monitor (lenient) ----------

PLAN = _replace(MONITOR, 'duration = "100 h"', 'duration = "2 h"')


def log_run(*extra):
    return (
        "run",
        "{d}/plan.toml",
        "--temperature-log",
        "{d}/log.csv",
        "-o",
        "{d}/out",
        "--no-plot",
        *extra,
    )


def monitor(*extra):
    return (
        "monitor",
        "{d}/plan.toml",
        "--temperature-log",
        "{d}/log.csv",
        "-o",
        "{d}/out",
        "--no-plot",
        *extra,
    )


def log_cases():
    c = []
    strict = {
        "words": (LOG.replace("0.25,400.2", "0.25,hot"), ("hot",)),
        "nan": (LOG.replace("0.25,400.2", "0.25,nan"), ("nan",)),
        "time-overflow": (LOG.replace("0.25,400.2", "1e306,400.2"), ("1e306",)),
        "time-absurd": (
            LOG.replace("time_h", "time_s").replace("\n0.25,400.2", "\n1e300,400.2"),
            ("1e300",),
        ),
        "time-backwards": (LOG.replace("0.5,400.4", "0.1,400.4"), ("0.1",)),
        "time-repeated": (LOG.replace("0.5,400.4", "0.25,400.4"), ("0.25",)),
        "million-degrees": (LOG.replace("0.25,400.2", "0.25,1e6"), ("1e6",)),
        "below-absolute-zero": (LOG.replace("0.25,400.2", "0.25,-300"), ("-300",)),
        "short-row": (LOG.replace("0.25,400.2", "0.25"), ("line",)),
    }
    for label, (text, needles) in strict.items():
        c.append(
            Case(
                f"run-log-{label}",
                {"plan.toml": PLAN, "log.csv": text},
                log_run(),
                needles=("log.csv", *needles),
            )
        )
        c.append(
            Case(
                f"monitor-log-{label}",
                {"plan.toml": PLAN, "log.csv": text},
                monitor(),
                expect="warn",
                needles=("log.csv", *needles),
            )
        )
    whole = {
        "empty": "",
        "header-only": "time_h,temperature_C\n",
        "unknown-columns": LOG.replace("time_h,temperature_C", "hours,celsius"),
        "binary": bytes(range(256)) * 8,
        "one-sample": "time_h,temperature_C\n0,400\n",
        "bad-timestamps": "timestamp,temperature_C\nyesterday,400\ntoday,401\n",
    }
    for label, text in whole.items():
        for cmd, argv in (("run", log_run()), ("monitor", monitor())):
            c.append(
                Case(
                    f"{cmd}-log-whole-{label}",
                    {"plan.toml": PLAN, "log.csv": text},
                    argv,
                    needles=("log.csv",),
                )
            )
    for cmd, argv in (("run", log_run()), ("monitor", monitor())):
        c.append(
            Case(
                f"{cmd}-log-directory",
                {"plan.toml": PLAN, "log.csv": None},
                argv,
                needles=("log.csv",),
            )
        )
        c.append(Case(f"{cmd}-log-missing", {"plan.toml": PLAN}, argv, needles=("log.csv",)))
    flags = {
        "poll-zero": (monitor("--poll", "0 s"), ("--poll", "0 s")),
        "poll-bare": (monitor("--poll", "1"), ("--poll", "1")),
        "gap-limit-words": (monitor("--gap-limit", "soon"), ("--gap-limit", "soon")),
        "gap-limit-negative": (monitor("--gap-limit", "-1 min"), ("--gap-limit", "-1")),
        "write-every-zero": (monitor("--follow", "--write-every", "0 s"), ("--write-every", "0 s")),
        "exit-after-idle-bare": (
            monitor("--follow", "--exit-after-idle", "5"),
            ("--exit-after-idle", "5"),
        ),
        "port-too-big": (monitor("--serve", "--port", "70000"), ("--port", "70000")),
        "run-gap-limit-without-log": (run("plan.toml", "--gap-limit", "5 min"), ("--gap-limit",)),
        "run-lenient-without-log": (run("plan.toml", "--lenient"), ("--lenient",)),
    }
    for label, (argv, needles) in flags.items():
        c.append(Case(f"flag-{label}", {"plan.toml": PLAN, "log.csv": LOG}, argv, needles=needles))
    c.append(
        Case(
            "monitor-recipe-two-steps",
            {"plan.toml": TWO_STEP, "log.csv": LOG},
            monitor(),
            needles=("plan.toml", "step"),
        )
    )
    c.append(
        Case(
            "monitor-recipe-npp",
            {"plan.toml": CAIT, "log.csv": LOG},
            monitor(),
            needles=("plan.toml",),
        )
    )
    return c


def demo_cases():
    def demo(*extra):
        return ("furnace-demo", "{d}/log.csv", "--instant", "-q", *extra)

    c = []
    for label, (flag, value) in {
        "speed-negative": ("--speed", "-1"),
        "speed-words": ("--speed", "fast"),
        "interval-zero": ("--interval", "0 s"),
        "interval-bare": ("--interval", "10"),
        "duration-words": ("--duration", "long"),
        "duration-negative": ("--duration", "-1 h"),
        "setpoint-length": ("--setpoint", "400 m"),
        "setpoint-below-zero": ("--setpoint", "-300 degC"),
        "interval-over-duration": ("--interval", "48 h"),
    }.items():
        argv = (
            demo(flag, value)
            if flag != "--speed"
            else ("furnace-demo", "{d}/log.csv", "-q", flag, value)
        )
        c.append(Case(f"furnace-demo-{label}", {}, argv, needles=(flag, value)))
    c.append(
        Case(
            "furnace-demo-speed-with-instant",
            {},
            demo("--speed", "10"),
            needles=("--speed", "--instant"),
        )
    )
    c.append(Case("furnace-demo-into-directory", {"log.csv": None}, demo(), needles=("log.csv",)))
    return c


def cli_cases():
    """Command-line faults that argparse meets: unknown options, missing arguments."""
    return [
        Case("cli-unknown-command", {}, ("simulate", "x"), needles=("simulate",)),
        Case(
            "cli-run-without-output",
            {"recipe.toml": SODA},
            ("run", "{d}/recipe.toml"),
            needles=("-o",),
        ),
        Case(
            "cli-unknown-option",
            {"recipe.toml": SODA},
            run("recipe.toml", "--fast"),
            needles=("--fast",),
        ),
        Case(
            "cli-workers-words",
            {"fit.toml": FIT},
            ("fit", "{d}/fit.toml", "-o", "{d}/out", "--workers", "two"),
            needles=("--workers", "two"),
        ),
        Case(
            "cli-workers-zero",
            _fit_files(FIT),
            ("fit", "{d}/fit.toml", "-o", "{d}/out", "--workers", "0"),
            needles=("--workers", "0"),
        ),
        Case(
            "cli-method-unknown",
            {"modes.csv": MODES},
            ("invert", "{d}/modes.csv", "-o", "{d}/out", "--method", "x"),
            needles=("--method", "x"),
        ),
        Case(
            "cli-output-is-file",
            {"recipe.toml": SODA, "out": "a file"},
            ("run", "{d}/recipe.toml", "-o", "{d}/out", "--no-plot"),
            needles=("out",),
        ),
    ]


def all_cases() -> list[Case]:
    cases = [
        *recipe_field_cases(),
        *recipe_structure_cases(),
        *npp_cases(),
        *sweep_cases(),
        *fit_cases(),
        *table_cases(),
        *sims_cases(),
        *log_cases(),
        *demo_cases(),
        *cli_cases(),
    ]
    ids = [c.id for c in cases]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise AssertionError(f"duplicate corpus ids: {sorted(duplicates)}")
    return cases
