"""Recipe TOML → Recipe: units, defaults, and errors that name file, line and field."""

import textwrap

import pytest

from ionex.errors import RecipeError
from ionex.io.recipe import load_recipe, parse_recipe
from ionex.physics.interdiffusion import StressCouplingMaterial

BASE = textwrap.dedent(
    """
    [glass]
    host_ion = "Na"
    total_mobile = "10.9 mol/L"
    thickness = "1 mm"
    faces = "both"
    [ions.K]
    D = "1e-15 m^2/s"
    [ions.Na]
    D = "1e-14 m^2/s"
    [model]
    thermodynamic_factor = 1.0
    stress_coupling = 0.0
    [[step]]
    bath = { K = 1.0 }
    temperature = "420 degC"
    duration = "8 h"
    [output]
    times = ["1 h", "4 h", "8 h"]
    """
)


def test_issue_example_fields_parse_to_si():
    r = parse_recipe(BASE, "base.toml")
    assert r.glass.host_ion == "Na" and r.incoming_ion == "K"
    assert r.glass.total_mobile == pytest.approx(10900.0)
    assert r.glass.thickness == pytest.approx(1e-3)
    assert r.glass.faces == "both"
    assert r.model.incoming(700.0) == pytest.approx(1e-15)
    assert r.model.host(700.0) == pytest.approx(1e-14)
    assert r.model.form == "A"
    (step,) = r.steps
    assert step.surface_fraction == 1.0
    assert step.temperature(0.0) == pytest.approx(693.15)
    assert step.duration == pytest.approx(8 * 3600)
    assert r.output_times == pytest.approx((3600, 4 * 3600, 8 * 3600))
    assert "total_mobile" in r.source_text


def test_arrhenius_ions_and_form_b_from_material():
    text = BASE.replace('D = "1e-15 m^2/s"', 'D0 = "1.55e-7 m^2/s"\nQ = "110 kJ/mol"').replace(
        "stress_coupling = 0.0",
        '[model.stress_coupling]\nyoungs_modulus = "72 GPa"\npoisson_ratio = 0.22\nmolar_volume_difference = "3 cm^3/mol"',
    )
    r = parse_recipe(text)
    assert r.model.incoming.prefactor == pytest.approx(1.55e-7)
    assert r.model.incoming.activation_energy == pytest.approx(110e3)
    assert isinstance(r.model.stress_coupling, StressCouplingMaterial)
    assert r.model.form == "B"
    # docs/physics.md §1.4: K_AB ≈ 0.33 for soda-lime at 450 °C
    assert r.model.coupling(723.15) == pytest.approx(0.335, abs=0.005)


def test_anneal_program_and_mixed_bath():
    text = BASE.replace("bath = { K = 1.0 }", "bath = { K = 0.6, Na = 0.4 }") + textwrap.dedent(
        """
        [[step]]
        bath = "none"
        temperature = { program = [["0 h", "400 degC"], ["30 min", "350 degC"], ["2 h", "350 degC"]] }
        """
    )
    r = parse_recipe(text)
    assert r.steps[0].surface_fraction == pytest.approx(0.6)
    anneal = r.steps[1]
    assert anneal.is_anneal
    assert anneal.duration == pytest.approx(7200)  # implied by the program
    assert anneal.temperature(900.0) == pytest.approx(673.15 - 25)
    assert anneal.temperature.breakpoints(anneal.duration) == (1800.0,)


def test_temperature_log_relative_to_recipe(tmp_path):
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "furnace.csv").write_text("time_h,temperature_C\n0,400\n1,410\n3,410\n")
    text = BASE.replace(
        'temperature = "420 degC"\nduration = "8 h"', 'temperature = { log = "logs/furnace.csv" }'
    ).replace('times = ["1 h", "4 h", "8 h"]', 'times = ["1 h"]')
    path = tmp_path / "r.toml"
    path.write_text(text)
    r = load_recipe(path)
    assert r.steps[0].duration == pytest.approx(3 * 3600)
    assert r.steps[0].temperature(1800.0) == pytest.approx(678.15)


@pytest.mark.parametrize(
    "old, new, field, words",
    [
        (
            'duration = "8 h"',
            'durration = "8 h"',
            "step[1].durration",
            ["unknown key", "did you mean 'duration'"],
        ),
        (
            'duration = "8 h"',
            "duration = 8",
            "step[1].duration",
            ["bare number 8", "a time with its unit", '"8 h"'],
        ),
        ('duration = "8 h"', 'duration = "8 mm"', "step[1].duration", ["[length]", "unit of time"]),
        ('duration = "8 h"', 'duration = "-8 h"', "step[1].duration", ["-8 h", "> 0"]),
        ("bath = { K = 1.0 }", "bath = { K = 1.3 }", "step[1].bath.K", ["1.3", "[0, 1]"]),
        ("bath = { K = 1.0 }", "bath = { K = 0.5, Na = 0.6 }", "step[1].bath", ["add up to 1.1"]),
        ("bath = { K = 1.0 }", "bath = { Li = 1.0 }", "step[1].bath.Li", ["unknown ion"]),
        ('D = "1e-15 m^2/s"', 'D = "0 m^2/s"', "ions.K.D", ["> 0"]),
        ('D = "1e-15 m^2/s"', 'D = "-1e-15 m^2/s"', "ions.K.D", ["> 0"]),
        ('D = "1e-15 m^2/s"', 'D = "1e-15 m^2"', "ions.K.D", ["unit of diffusivity"]),
        ('total_mobile = "10.9 mol/L"', 'total_mobile = "10.9"', "glass.total_mobile", ["no unit"]),
        (
            'temperature = "420 degC"',
            'temperature = "hot"',
            "step[1].temperature",
            ["cannot read 'hot'"],
        ),
        ('faces = "both"', 'faces = "back"', "glass.faces", ['"front" or "both"']),
        (
            'times = ["1 h", "4 h", "8 h"]',
            'times = ["9 h"]',
            "output.times",
            ["within the process"],
        ),
        (
            "thermodynamic_factor = 1.0",
            "thermodynamic_factor = -1.0",
            "model.thermodynamic_factor",
            ["n > 0"],
        ),
        (
            "stress_coupling = 0.0",
            "onsager_cross_ratio = 1.5",
            "model.onsager_cross_ratio",
            ["found 1.5", "entropy production"],
        ),
        (
            "stress_coupling = 0.0",
            'margules_W = "30 kJ/mol"',
            "model.margules_W",
            ["miscibility gap"],
        ),
        (
            '[ions.Na]\nD = "1e-14 m^2/s"',
            '[ions.Na]\nD = "1e-14 m^2/s"\n[ions.Li]\nD = "1e-14 m^2/s"',
            "ions",
            ["exactly two"],
        ),
    ],
)
def test_bad_field_names_file_line_field_found_expected(old, new, field, words):
    assert old in BASE
    text = BASE.replace(old, new)
    with pytest.raises(RecipeError) as info:
        parse_recipe(text, "bad.toml")
    msg = str(info.value)
    assert msg.startswith("bad.toml, line "), msg
    line = int(msg.split("line ")[1].split(":")[0])
    # the line named is the one holding the field (or its table header)
    key = field.split(".")[-1].split("[")[0]
    assert key in text.splitlines()[line - 1] or key == "model", (line, text.splitlines()[line - 1])
    assert f": {field}: " in msg, msg
    for w in words:
        assert w in msg, msg


def test_missing_sections_and_toml_syntax():
    with pytest.raises(RecipeError, match=r"x.toml: \(top level\)|step: missing"):
        parse_recipe(BASE.split("[[step]]")[0], "x.toml")
    with pytest.raises(RecipeError, match=r"not valid TOML: .*line 7"):
        parse_recipe(BASE.replace("[ions.K]", "[ions.K"), "x.toml")


def test_missing_file():
    with pytest.raises(RecipeError, match="no such recipe file"):
        load_recipe("/nonexistent/recipe.toml")


# --- inputs that must be refused with one line, in-process through the CLI -------------

from pathlib import Path  # noqa: E402

from ionex.cli import main  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def _run(tmp_path, capsys, text: str, name: str = "recipe.toml") -> tuple[int, str]:
    """Exit code and the stderr of ``ionex run`` on ``text`` written to tmp_path/name."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    rc = main(["run", str(path), "-o", str(tmp_path / "out"), "-q", "--no-plot"])
    return rc, capsys.readouterr().err.strip()


def _example(name: str, old: str = "", new: str = "") -> str:
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    if old:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def _one_error_line(rc: int, err: str, *needles: str):
    assert rc == 2, err
    assert (
        len(err.splitlines()) == 1 and err.startswith("ionex: error: ") and "recipe.toml" in err
    ), err
    for n in needles:
        assert n in err, (n, err)


def test_a_deeply_nested_array_is_one_error_line(tmp_path, capsys):
    text = _example("soda_lime_k_na.toml") + "\nx = " + "[" * 500 + "1" + "]" * 500 + "\n"
    rc, err = _run(tmp_path, capsys, text)
    _one_error_line(
        rc,
        err,
        "line ",
        "x: found arrays or tables nested more than 32 levels deep",
        "expected at most 32 levels",
    )


def test_deep_tables_are_refused_with_their_path(tmp_path, capsys):
    rc, err = _run(
        tmp_path, capsys, _example("soda_lime_k_na.toml") + "\n[" + ".".join(["a"] * 40) + "]\n"
    )
    _one_error_line(
        rc, err, "a.a.a…: found arrays or tables nested more than 32", "expected at most 32"
    )


def test_a_byte_order_mark_is_accepted():
    text = "\ufeff" + _example("soda_lime_k_na.toml")
    assert parse_recipe(text, "bom.toml").name == parse_recipe(text[1:], "bom.toml").name


def test_a_byte_order_mark_in_the_file_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + _example("soda_lime_k_na.toml").encode())
    assert load_recipe(path).glass.host_ion == "Na"


def test_a_power_in_a_unit_is_refused_with_field_and_value(tmp_path, capsys):
    rc, err = _run(
        tmp_path,
        capsys,
        _example("soda_lime_k_na.toml", 'D = "1e-15 m^2/s"', 'D = "10**10**10 m^2/s"'),
    )
    _one_error_line(rc, err, "ions.K.D", "10**10**10", "expected", "small whole exponents")


@pytest.mark.parametrize(
    "line, key, found, expected",
    [
        ("cells_per_efold = 0.1", "cells_per_efold", "found 0.1", "within [10, 1000]"),
        ("cells_per_efold = 1e7", "cells_per_efold", "found 1e+07", "within [10, 1000]"),
        ("rtol = 1e6", "rtol", "found 1e+06", "within [1e-10, 0.1]"),
        ("atol = 0.5", "atol", "found 0.5", "within [1e-14, 0.01]"),
        ("domain_lengths = 1e-6", "domain_lengths", "found 1e-06", "within [6, 1000]"),
    ],
)
def test_numerics_outside_their_range_are_refused_with_the_range(
    tmp_path, capsys, line, key, found, expected
):
    rc, err = _run(tmp_path, capsys, _example("soda_lime_k_na.toml") + f"\n[numerics]\n{line}\n")
    _one_error_line(rc, err, f"numerics.{key}: {found}; expected", expected)


@pytest.mark.parametrize(
    "temperature, shown", [("20 K", "at 20 K"), ("1 K", "at 1 K"), ("0.01 K", "at 0.01 K")]
)
def test_a_diffusion_coefficient_that_underflows_names_step_and_temperature(
    tmp_path, capsys, temperature, shown
):
    text = _example(
        "two_step_post_anneal.toml", 'temperature = "450 degC"', f'temperature = "{temperature}"'
    )
    rc, err = _run(tmp_path, capsys, text)
    _one_error_line(
        rc,
        err,
        "step 1 (mixed bath)",
        shown,
        "D_K = ",
        "expected a temperature at which D̃ is finite and > 0",
    )


def test_a_program_through_one_kelvin_names_the_step(tmp_path, capsys):
    text = _example(
        "two_step_post_anneal.toml",
        '[["0 h", "400 degC"], ["0.5 h", "350 degC"], ["2 h", "350 degC"]]',
        '[["0 h", "1 K"], ["1 h", "2000 degC"], ["2 h", "1 K"]]',
    )
    rc, err = _run(tmp_path, capsys, text)
    _one_error_line(rc, err, "step 3 (anneal): at 1 K", "D̃ is undefined", "expected a temperature")


def test_a_location_is_named_once(tmp_path, capsys):
    text = _example(
        "soda_lime_k_na.toml",
        "stress_coupling = 0.0",
        'stress_coupling = { youngs_modulus = "72 m", poisson_ratio = 0.22, '
        'molar_volume_difference = "3 cm^3/mol" }',
    )
    rc, err = _run(tmp_path, capsys, text)
    _one_error_line(rc, err, "model.stress_coupling.youngs_modulus: found '72 m'")
    assert err.count("recipe.toml") == 1, err
