"""Nernst–Planck–Poisson recipes: [model] kind, sample, species laws, steps, overrides, errors."""

from pathlib import Path

import pytest

from ionex.errors import RecipeError
from ionex.io.recipe import load_recipe, parse_recipe
from ionex.physics.site_energy import SiteEnergyDiffusion
from ionex.process.experiments import CaitStep, ExperimentRecipe

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "double_cait_li3b7o12.toml"
TEXT = EXAMPLE.read_text()


def test_double_cait_example_parses_to_si():
    r = load_recipe(EXAMPLE)
    assert isinstance(r, ExperimentRecipe)
    assert r.sample.thickness == pytest.approx(2.325e-3) and r.sample.area == pytest.approx(
        28.26e-6
    )
    assert r.sample.temperature == pytest.approx(323.15)
    li, rb, cs = r.species
    assert (li.name, rb.name, cs.name) == ("Li", "Rb", "Cs")
    assert isinstance(li.diffusion, SiteEnergyDiffusion)
    # D_bulk at 50 °C with 0.65 eV: D0 = 7.96e-9 m²/s (docs/physics.md §2.3)
    assert li.diffusion.prefactor == pytest.approx(7.96e-9, rel=1e-3)
    assert li.diffusion.bulk_diffusion(323.15) == pytest.approx(5.8e-19, rel=1e-12)
    assert rb.diffusion == pytest.approx(2.67e-22)
    first, second = r.steps
    assert (
        isinstance(first, CaitStep)
        and first.charge == pytest.approx(2.52e-3)
        and first.beam_current == pytest.approx(2e-8)
    )
    # per-step overrides: Li's fall-off 3 %, Rb native with its own SED
    assert second.diffusion["Li"].fall_off.threshold == pytest.approx(0.03)
    assert second.diffusion["Li"].sed.width == li.diffusion.sed.width
    assert second.diffusion["Rb"].sed is not None and second.diffusion[
        "Rb"
    ].fall_off.threshold == pytest.approx(0.10)
    assert (
        r.numerics.zone_cell == pytest.approx(1e-9) and r.numerics.growth == 1.1
    )  # the rest at defaults


@pytest.mark.parametrize(
    "old, new, field, words",
    [
        (
            'kind = "nernst-planck-poisson"',
            'kind = "npp"',
            "model.kind",
            ['"nernst-planck-poisson"'],
        ),
        ('ion = "Rb"', 'ion = "K"', "step[1].ion", ["declares: Li, Rb, Cs"]),
        ('charge = "2.52 mC"', 'charge = "2.52 mA"', "step[1].charge", ["unit of charge"]),
        ("initial_fraction = 1.0", "initial_fraction = 0.5", "species", ["add up to 0.5"]),
        ('D = "3.1e-23 m^2/s"', 'D = "-3.1e-23 m^2/s"', "species.Cs.D", ["> 0"]),
        (
            'charge = "2.52 mC"',
            'duration = "80 h"\ncharge = "2.52 mC"',
            "step[1]",
            ["exactly one of charge, duration"],
        ),
        (
            "relative_permittivity = 8",
            'relative_permittivity = "8 F/m"',
            "sample.relative_permittivity",
            ["plain number"],
        ),
    ],
)
def test_bad_npp_fields(old, new, field, words):
    assert old in TEXT
    with pytest.raises(RecipeError) as info:
        parse_recipe(TEXT.replace(old, new, 1), "dc.toml")
    msg = str(info.value)
    assert msg.startswith("dc.toml") and f"{field}: " in msg, msg
    for w in words:
        assert w in msg, msg


FIELD = """
[model]
kind = "nernst-planck-poisson"

[sample]
thickness = "2 um"
area = "1 cm^2"
background_density = "1e28 m^-3"
relative_permittivity = 8
temperature = "600 K"

[species.Na]
charge = 1
D = "1e-16 m^2/s"
initial_fraction = 1.0

[species.K]
charge = 1
D = "1e-17 m^2/s"

[[step]]
kind = "field"
DRIVE
anode = { K = 1.0 }
duration = "500 s"
"""


def test_field_step_with_a_constant_current():
    r = parse_recipe(FIELD.replace("DRIVE", 'current = "2 uA"'), "f.toml")
    (step,) = r.steps
    assert step.current == pytest.approx(2e-6) and step.voltage is None
    r = parse_recipe(FIELD.replace("DRIVE", 'voltage = "0.5 V"'), "f.toml")
    assert r.steps[0].voltage == pytest.approx(0.5) and r.steps[0].current is None


@pytest.mark.parametrize(
    "drive, field, words",
    [
        ('voltage = "0.5 V"\ncurrent = "2 uA"', "step[1]", "exactly one of voltage, current"),
        ("", "step[1]", "exactly one of voltage, current"),
        ('current = "2 uA/cm^2"', "step[1].current", "unit of current"),
        ("current = 2e-6", "step[1].current", "unit"),
    ],
)
def test_bad_field_step_drive(drive, field, words):
    with pytest.raises(RecipeError) as info:
        parse_recipe(FIELD.replace("DRIVE", drive), "f.toml")
    msg = str(info.value)
    assert msg.startswith("f.toml") and f"{field}: " in msg and words in msg, msg


# --- numerics, output times and messages, in-process through the CLI -------------------

from ionex.cli import main  # noqa: E402

ZONE = 'zone_cell = "1 nm"'


def _run(tmp_path, capsys, text):
    path = tmp_path / "cait.toml"
    path.write_text(text, encoding="utf-8")
    rc = main(["run", str(path), "-o", str(tmp_path / "out"), "-q", "--no-plot"])
    err = capsys.readouterr().err.strip()
    assert rc == 2, err
    assert (
        len(err.splitlines()) == 1
        and err.startswith("ionex: error: ")
        and err.count("cait.toml") == 1
    ), err
    return err


@pytest.mark.parametrize(
    "extra, words",
    [
        (
            "growth = 0.5",
            ["numerics.growth: found 0.5; expected a cell growth factor within (1, 1.5]"],
        ),
        (
            "growth = 1.0",
            ["numerics.growth: found 1.0; expected a cell growth factor within (1, 1.5]"],
        ),
        (
            'finest_cell = "1 km"',
            [
                "numerics.finest_cell: found '1 km'; expected a cell width within [1e-13, 0.0002325] m"
            ],
        ),
        ("rtol = 5", ["numerics.rtol: found 5; expected a relative tolerance within [1e-10, 0.1]"]),
        (
            'zone_depth = "1 m"',
            [
                "numerics.zone_depth: the mesh would need about",
                "(more than 50000)",
                "lower zone_depth",
            ],
        ),
    ],
)
def test_npp_numerics_outside_their_range_are_refused(tmp_path, capsys, extra, words):
    err = _run(tmp_path, capsys, TEXT.replace(ZONE, f"{ZONE}\n{extra}", 1))
    for w in words:
        assert w in err, err


@pytest.mark.parametrize(
    "times, words",
    [
        (
            '["-1 s"]',
            "found '-1 s'; expected a time within the process (0 to 3333.33 h, a CAIT that stops at its charge",
        ),
        ('["5000 h"]', "found '5000 h'; expected a time within the process"),
    ],
)
def test_npp_output_times_outside_the_process_are_refused(tmp_path, capsys, times, words):
    err = _run(tmp_path, capsys, TEXT + f"\n[output]\ntimes = {times}\n")
    assert "output.times: " + words in err, err


@pytest.mark.parametrize(
    "old, new, words",
    [
        (
            "relative_permittivity = 8",
            'relative_permittivity = "8 F/m"',
            "sample.relative_permittivity: found '8 F/m'",
        ),
        ("fall_off = 0.10", 'fall_off = "x"', "fall_off: cannot read 'x'"),
    ],
)
def test_npp_errors_name_their_location_once(tmp_path, capsys, old, new, words):
    assert TEXT.count(old) >= 1
    err = _run(tmp_path, capsys, TEXT.replace(old, new, 1))
    assert words in err, err


def test_the_recipe_dataclass_checks_numerics_and_output_times():
    r = load_recipe(EXAMPLE)
    with pytest.raises(
        ValueError, match=r"growth: found 2; expected a cell growth factor within \(1, 1.5\]"
    ):
        ExperimentRecipe(r.sample, r.species, r.steps, numerics={"growth": 2.0})
    with pytest.raises(ValueError, match="output time -1.0 s lies outside the process"):
        ExperimentRecipe(r.sample, r.species, r.steps, output_times=(-1.0,))


# --- one registry of step kinds; the step classes judge the values -----------------------


def test_the_step_kinds_of_a_file_are_the_step_classes_labels():
    from ionex.io.npp_recipe import _STEP_FORMS
    from ionex.process.experiments import BathStep, FieldStep

    assert {kind: form.section.target for kind, form in _STEP_FORMS.items()} == {
        "bath": BathStep,
        "field": FieldStep,
        "cait": CaitStep,
    }
    with pytest.raises(RecipeError) as info:
        parse_recipe(TEXT.replace('kind = "cait"', "kind = 3", 1), "dc.toml")
    assert 'step[1].kind: found 3; expected "bath", "field" or "cait"' in str(info.value)


@pytest.mark.parametrize(
    "text, old, new, words",
    [
        (
            TEXT,
            'charge = "2.52 mC"',
            'charge = "-2.52 mC"',
            "step[1].charge: found '-2.52 mC'; expected a charge > 0",
        ),
        (
            TEXT,
            'beam_current = "20 nA"',
            'beam_current = "0 nA"',
            "step[1].beam_current: found '0 nA'; expected a current > 0",
        ),
        (
            TEXT,
            'charge = "2.52 mC"',
            'duration = "-3 h"',
            "step[1].duration: found '-3 h'; expected a duration > 0",
        ),
        (
            TEXT,
            'thickness = "2.325 mm"',
            'thickness = "0 mm"',
            "sample.thickness: found '0 mm'; expected a thickness > 0",
        ),
        (
            FIELD.replace("DRIVE", 'voltage = "1 V"'),
            "anode = { K = 1.0 }",
            "anode = { K = 0.7 }",
            "step[1].anode: found {'K': 0.7}; expected fractions that sum to 1",
        ),
        (
            FIELD.replace("DRIVE", 'voltage = "1 V"'),
            'duration = "500 s"',
            'duration = "0 s"',
            "step[1].duration: found '0 s'; expected a duration > 0",
        ),
    ],
)
def test_a_step_s_refusal_is_located_at_its_key(text, old, new, words):
    """The rule is the step dataclass's (a FieldError naming its field); the reader shows
    the value as written at the key it came from."""
    assert old in text
    with pytest.raises(RecipeError) as info:
        parse_recipe(text.replace(old, new, 1), "dc.toml")
    assert words in str(info.value), str(info.value)


def test_where_the_psed_is_full_is_read_per_species_and_step():
    from ionex.physics.site_energy import CarriedFill, FullAtReference

    old = 'psed_filled = "full"    '  # the key, not the header comment that mentions it
    assert old in TEXT  # the example reads Rb as Table 1 does
    assert load_recipe(EXAMPLE).steps[1].diffusion["Rb"].filled == FullAtReference()
    assert load_recipe(EXAMPLE).steps[1].diffusion["Li"].filled == CarriedFill()  # the default
    like_li = parse_recipe(TEXT.replace(old, 'psed_filled = "Li"    ', 1), "dc.toml")
    assert like_li.steps[1].diffusion["Rb"].filled == CarriedFill("Li")


@pytest.mark.parametrize(
    "anchor, line, words",
    [
        ('psed_filled = "full"    ', "psed_filled = 3", ['found 3; expected "carried", "full"']),
        (
            'D = "3.1e-23 m^2/s"',
            'psed_filled = "full"',
            ["species.Cs.psed_filled: ", "found 'full'", "only with an SED"],
        ),
    ],
)
def test_bad_psed_filled_is_refused_at_its_key(anchor, line, words):
    assert anchor in TEXT
    text = TEXT.replace(anchor, line, 1) if anchor.startswith("psed") else TEXT
    if not anchor.startswith("psed"):
        text = TEXT.replace(anchor, anchor + "\n" + line, 1)
    with pytest.raises(RecipeError) as info:
        parse_recipe(text, "dc.toml")
    msg = str(info.value)
    assert msg.startswith("dc.toml, line ") and "psed_filled" in msg, msg
    for w in words:
        assert w in msg, msg
