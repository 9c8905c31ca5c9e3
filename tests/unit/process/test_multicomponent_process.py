"""Multicomponent recipes end to end: the reader, the run through the steps, the outputs of
`ionex run`, and one clear line (exit 2) for each kind of bad input."""

import textwrap

import numpy as np
import pytest
import xarray as xr

from ionex.cli import main
from ionex.io.recipe import load_recipe
from ionex.process.multicomponent import MulticomponentRecipe, run_multicomponent
from ionex.process.simulate import process_grid, simulate

from _recipes import LAS_TWO_STEP as LAS


def _recipe(tmp_path, text=LAS):
    path = tmp_path / "las.toml"
    path.write_text(text)
    return path


def test_three_ions_read_as_a_multicomponent_recipe(tmp_path):
    recipe = load_recipe(_recipe(tmp_path))
    assert isinstance(recipe, MulticomponentRecipe)
    assert recipe.species == ("Li", "Na", "K")
    assert recipe.glass.total_mobile == pytest.approx(15e3)
    assert dict(recipe.glass.initial) == {"Li": 0.55, "Na": 0.43, "K": 0.02}
    assert recipe.steps[1].bath == {"Na": 0.1, "K": 0.9}
    assert recipe.ions["Na"](668.15) == pytest.approx(8e-12)


def test_oxide_composition_gives_the_cation_site_fractions(tmp_path):
    """Two cations per M₂O: 11 / 8.6 / 0.4 mol% Li₂O / Na₂O / K₂O → 0.55 / 0.43 / 0.02; by
    weight, each amount over its oxide's molar mass first."""
    text = LAS.replace(
        "initial = { Li = 0.55, Na = 0.43, K = 0.02 }",
        'initial_oxides = { Li2O = "11 mol%", Na2O = "8.6 mol%", K2O = "0.4 mol%" }',
    )
    recipe = load_recipe(_recipe(tmp_path, text))
    assert recipe.glass.initial["Li"] == pytest.approx(0.55)
    assert recipe.glass.initial["K"] == pytest.approx(0.02)
    text = LAS.replace(
        "initial = { Li = 0.55, Na = 0.43, K = 0.02 }",
        'initial_oxides = { Li2O = "2.9881 wt%", Na2O = "0.61979 wt%" }',
    )
    (tmp_path / "w").mkdir()
    recipe = load_recipe(_recipe(tmp_path / "w", text))
    assert recipe.glass.initial["Li"] == pytest.approx(1 / 1.1, rel=1e-12)  # 0.1 : 0.01 mol


def test_the_run_conserves_sites_and_books_what_crossed_the_faces(tmp_path):
    """Σχ = 1 in every cell and time; each ion's uptake equals the change of its inventory
    (the whole plate, mirrored through its mid-plane; C_T per site fraction); the ions
    exchange one for one."""
    recipe = load_recipe(_recipe(tmp_path))
    result = run_multicomponent(recipe)
    np.testing.assert_allclose(result.fractions.sum(axis=1), 1.0, atol=1e-12)
    c_t, half = recipe.glass.total_mobile, recipe.glass.thickness / 2
    start = 2 * c_t * half * np.array([recipe.glass.initial[ion] for ion in result.species])
    assert result.depth[-1] == pytest.approx(2 * half - result.depth[0])
    inventory = c_t * (result.fractions @ result.cell_width)
    scale = 2 * c_t * half
    np.testing.assert_allclose(result.uptake, inventory - start, atol=1e-10 * scale)
    np.testing.assert_allclose(result.uptake.sum(axis=1), 0.0, atol=1e-10 * scale)
    assert result.uptake[-1, 2] > 0 > result.uptake[-1, 0]  # K taken up, Li released
    # the output times: the one asked for and the step ends
    np.testing.assert_array_equal(result.times, [7200.0, 14400.0, 18000.0])
    np.testing.assert_array_equal(result.step_index, [0, 0, 1])


def test_two_ions_in_the_multicomponent_form_equal_the_binary_recipe(tmp_path):
    """The same K⁺/Na⁺ exchange written as a binary recipe (host_ion) and as site fractions
    per ion: on one mesh, the profiles agree to the solvers' tolerance (measured 1.1e-6 at
    the default tolerances, 9e-10 at rtol 1e-7: the two discretisations are the same)."""
    binary = textwrap.dedent(
        """
        [glass]
        host_ion = "Na"
        total_mobile = "10.9 mol/L"
        [ions.K]
        D = "1e-15 m^2/s"
        [ions.Na]
        D = "1e-14 m^2/s"
        [[step]]
        bath = { K = 1.0 }
        temperature = "420 degC"
        duration = "8 h"
        """
    )
    multi = binary.replace('host_ion = "Na"', "initial = { Na = 1.0, K = 0.0 }").replace(
        "bath = { K = 1.0 }", "bath = { K = 1.0, Na = 0.0 }"
    )
    (tmp_path / "b").mkdir()
    a = load_recipe(_recipe(tmp_path / "b", binary))
    b = load_recipe(_recipe(tmp_path, multi))
    grid = process_grid(a)
    ref = simulate(a, grid=grid)
    got = simulate(b, grid=grid)
    np.testing.assert_allclose(got.fraction("K")[-1], ref.frac_incoming[-1], atol=1e-5)


def test_ionex_run_writes_every_ion(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(_recipe(tmp_path)), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "multicomponent exchange of Li, Na, K" in text and "K step" in text
    csv = np.genfromtxt(out / "profiles.csv", delimiter=",", names=True)
    assert csv.dtype.names == ("time_s", "step", "depth_m", "frac_Li", "frac_Na", "frac_K")
    with xr.open_dataset(out / "result.nc") as ds:
        assert ds["frac_K"].dims == ("time", "depth") and ds["frac_K"].attrs["units"] == "1"
        assert "uptake_Na" in ds and "[ions.K]" in ds.attrs["recipe"]
    assert (out / "profiles.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "edit, words",
    [
        (
            (
                "initial = { Li = 0.55, Na = 0.43, K = 0.02 }",
                "initial = { Li = 0.55, Na = 0.40, K = 0.02 }",
            ),
            ["glass.initial", "add up to 0.97", "expected site fractions that add up to 1"],
        ),
        (
            ("bath = { Na = 0.1, K = 0.9 }", "bath = { Na = 0.1, Ag = 0.9 }"),
            ["step[2].bath.Ag", "no [ions.Ag]", "declared: Li, Na, K"],
        ),
        (
            ("bath = { Na = 0.1, K = 0.9 }", "bath = { Na = 0.2, K = 0.9 }"),
            ["step[2].bath", "add up to 1.1"],
        ),
        (
            ("bath = { Na = 0.1, K = 0.9 }", "bath = { Na = -0.1, K = 1.1 }"),
            ["step[2].bath.Na", "-0.1", "within [0, 1]"],
        ),
        (
            ('D = "6e-16 m^2/s"', 'D = "6e-16 m^2"'),
            ["ions.K.D", "m^2/s"],
        ),
        (
            (
                "initial = { Li = 0.55, Na = 0.43, K = 0.02 }",
                'initial_oxides = { Li2O = "11", Na2O = "8.6 mol%" }',
            ),
            ["glass.initial_oxides.Li2O", '"11 mol%"'],
        ),
        (
            (
                "initial = { Li = 0.55, Na = 0.43, K = 0.02 }",
                'initial_oxides = { MgO = "11 mol%" }',
            ),
            ["glass.initial_oxides.MgO", "unknown oxide"],
        ),
    ],
)
def test_bad_input_is_one_clear_line_with_exit_2(tmp_path, capsys, edit, words):
    old, new = edit
    assert old in LAS
    path = _recipe(tmp_path, LAS.replace(old, new))
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith(f"ionex: error: {path}, line "), err
    for w in words:
        assert w in err, (w, err)


STRESS = textwrap.dedent(
    """
    [stress]
    youngs_modulus = "82 GPa"
    poisson_ratio = 0.21
    dilation = { Na = 0.004, K = 0.011 }
    """
)


def test_stress_of_several_ions_is_balanced_and_reported(tmp_path, capsys):
    """σ = −E/(1−ν)·[Σ B_i(χ_i − χ_i⁰) − a]: zero net force on the plate at every output
    time; CS, DOC, CT and the stored tensile energy printed per step and kept in result.nc."""
    path = _recipe(tmp_path, LAS + STRESS)
    result = simulate(load_recipe(path))
    np.testing.assert_allclose(result.stress @ result.cell_width, 0.0, atol=1e-9 * 1e9 * 8e-4)
    strain = 0.004 * (result.fraction("Na") - 0.43) + 0.011 * (result.fraction("K") - 0.02)
    direct = -82e9 / (1 - 0.21) * (strain - (strain @ result.cell_width)[:, None] / 8e-4)
    np.testing.assert_allclose(result.stress, direct, atol=1e-6 * np.abs(direct).max())
    m = result.metrics[-1]
    assert m.compressive_stress == pytest.approx(-result.stress[-1, 0])
    assert 0 < m.depth_of_compression < 4e-4 and m.central_tension > 0
    out = tmp_path / "out"
    assert main(["run", str(path), "-o", str(out), "--no-plot"]) == 0
    text = capsys.readouterr().out
    assert "CS (MPa)" in text and f"{m.compressive_stress / 1e6:.4g}" in text
    with xr.open_dataset(out / "result.nc") as ds:
        assert ds["stress_Pa"].attrs["units"] == "Pa"
        assert float(ds["central_tension"][-1]) == pytest.approx(m.central_tension)
    csv = np.genfromtxt(out / "profiles.csv", delimiter=",", names=True)
    assert csv.dtype.names[-1] == "stress_Pa"


def test_two_ion_stress_equals_the_binary_engine_s(tmp_path):
    """K⁺ for Na⁺ on a plate, as a binary recipe with dilation B and as site fractions per
    ion with dilation { K = B }: the same balanced stress (to the profiles' agreement)."""
    binary = textwrap.dedent(
        """
        [glass]
        host_ion = "Na"
        total_mobile = "10.9 mol/L"
        thickness = "1 mm"
        [ions.K]
        D = "1e-15 m^2/s"
        [ions.Na]
        D = "1e-14 m^2/s"
        [[step]]
        bath = { K = 1.0 }
        temperature = "420 degC"
        duration = "8 h"
        [stress]
        youngs_modulus = "72 GPa"
        poisson_ratio = 0.22
        dilation = 0.0087
        """
    )
    multi = (
        binary.replace('host_ion = "Na"', "initial = { Na = 1.0, K = 0.0 }")
        .replace("bath = { K = 1.0 }", "bath = { K = 1.0, Na = 0.0 }")
        .replace("dilation = 0.0087", "dilation = { K = 0.0087 }")
    )
    (tmp_path / "b").mkdir()
    a = load_recipe(_recipe(tmp_path / "b", binary))
    b = load_recipe(_recipe(tmp_path, multi))
    grid = process_grid(a)
    ref, got = simulate(a, grid=grid), simulate(b, grid=grid)
    np.testing.assert_allclose(got.depth, ref.depth, rtol=1e-12)
    scale = 72e9 / 0.78 * 0.0087
    np.testing.assert_allclose(got.stress[-1], ref.properties.stress[-1], atol=1e-5 * scale)


@pytest.mark.parametrize(
    "edit, words",
    [
        ("dilation = { Na = 0.004, K = 0.011 }", ["stress.dilation.Rb", "no [ions.Rb]"]),
        ('relaxation = "maxwell"\ntau = "10 h"', ["stress.relaxation", "hereditary"]),
        ("poisson_ratio = 0.6", ["stress.poisson_ratio", "0.6"]),
    ],
)
def test_bad_stress_input_is_one_clear_line(tmp_path, capsys, edit, words):
    text = LAS + STRESS
    if edit.startswith("dilation"):
        text = text.replace(edit, "dilation = { Na = 0.004, Rb = 0.011 }")
    elif edit.startswith("poisson"):
        text = text.replace("poisson_ratio = 0.21", edit)
    else:
        text = text + edit + "\n"
    path = _recipe(tmp_path, text)
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    for w in words:
        assert w in err, (w, err)
