"""Salt baths in multicomponent recipes: a step's bath given as a nitrate melt, the melt–glass
equilibria of a [bath] table, and the ageing of the salt by the loads it has exchanged.

References: ionex.physics.salt_bath called directly (the equilibria, the mass balance of
age_bath), the closed form of an ideal binary exchange, the same recipe with the surface
fractions written out, and the salt aged load by load (each load run on the salt the
previous one left)."""

import math
import textwrap
from dataclasses import replace

import numpy as np
import pytest
import xarray as xr

from ionex.cli import main
from ionex.constants import ZERO_CELSIUS
from ionex.io.recipe import load_recipe
from ionex.io.recipe_document import RecipeDocument
from ionex.physics.salt_bath import (
    ILLUSTRATIVE_LAS_K_NA_LI,
    age_bath,
    bath_state,
    melt_from_salt_mass_fractions,
)
from ionex.process.multicomponent import (
    MulticomponentStep,
    SaltBath,
    run_multicomponent,
)

T400 = ZERO_CELSIUS + 400.0
EPS = np.finfo(float).eps

# A K step on a sodium-rich lithium aluminosilicate, a plate exchanged on both faces.
LAS = textwrap.dedent(
    """
    name = "K step"
    [glass]
    total_mobile = "15 mol/L"
    initial = { Li = 0.1, Na = 0.88, K = 0.02 }
    thickness = "0.7 mm"
    faces = "both"
    [ions.Li]
    D = "2.5e-14 m^2/s"
    [ions.Na]
    D = "8e-14 m^2/s"
    [ions.K]
    D = "2e-15 m^2/s"
    [bath]
    chemistry = "illustrative LAS K/Na/Li"
    [[step]]
    name = "K step"
    bath = { salt = { KNO3 = "70 mol%", NaNO3 = "30 mol%" } }
    temperature = "400 degC"
    duration = "4 h"
    """
)
PURE_KNO3 = 'bath = { salt = { KNO3 = "100 mol%" } }'
# 300 kg of KNO3 (2967 mol); a load of 1.2 m² of plate gives it about 0.46 mol of Na
AGEING = '\nsalt_mass = "300 kg"\nload_area = "1.2 m^2"\nloads_before = 20\n'


def _path(tmp_path, text, name="salt.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _load(tmp_path, text, name="salt.toml"):
    return load_recipe(_path(tmp_path, text, name))


def _aged_text(loads: float) -> str:
    return (
        LAS.replace('"illustrative LAS K/Na/Li"\n', '"illustrative LAS K/Na/Li"' + AGEING)
        .replace("loads_before = 20", f"loads_before = {loads}")
        .replace('bath = { salt = { KNO3 = "70 mol%", NaNO3 = "30 mol%" } }', PURE_KNO3)
    )


@pytest.fixture(scope="module")
def aged_runs(tmp_path_factory):
    """The aged K step after 0, 10 and 30 loads (run once for the tests below)."""
    folder = tmp_path_factory.mktemp("aged")
    return {
        loads: run_multicomponent(_load(folder, _aged_text(loads), f"aged{loads}.toml"))
        for loads in (0, 10, 30)
    }


# --------------------------------------------------------------------------- the salt


def test_salt_bath_holds_the_chemistry_s_surface_fractions(tmp_path):
    """70/30 mol% KNO3/NaNO3 at 400 °C: the step holds what
    SaltBathChemistry.surface_fractions gives for the salt's melt (exactly), and for
    x = {K: 0.7, Na: 0.3} to the few ε of reading "70 mol%" (70 × 0.01, then over the
    sum); the salt and the chemistry stay on the step."""
    step = _load(tmp_path, LAS).steps[0]
    assert isinstance(step.salt, SaltBath)
    assert step.salt.chemistry is ILLUSTRATIVE_LAS_K_NA_LI
    assert step.salt.salts == pytest.approx({"KNO3": 0.7, "NaNO3": 0.3}, rel=4 * EPS)
    assert set(step.bath) == {"K", "Na"}  # Li is absent from melt and surface
    direct = ILLUSTRATIVE_LAS_K_NA_LI.surface_fractions(dict(step.salt.melt), T400)
    written = ILLUSTRATIVE_LAS_K_NA_LI.surface_fractions({"K": 0.7, "Na": 0.3}, T400)
    for ion in ("K", "Na"):
        assert step.bath[ion] == direct[ion]
        # χ = ρ/Σρ with ρ ∝ x: the relative error of x, plus a few ε of the closed form
        assert step.bath[ion] == pytest.approx(written[ion], rel=16 * EPS)


def test_weight_percent_and_plain_fractions_of_the_salt(tmp_path):
    """wt% goes through the nitrates' molar masses (melt_from_salt_mass_fractions); plain
    numbers are mole fractions, the same as mol%."""
    by_mass = _load(
        tmp_path,
        LAS.replace('"70 mol%", NaNO3 = "30 mol%"', '"70 wt%", NaNO3 = "30 wt%"'),
        "w.toml",
    ).steps[0]
    melt = melt_from_salt_mass_fractions({"KNO3": 0.7, "NaNO3": 0.3})
    assert dict(by_mass.salt.melt) == pytest.approx(melt, rel=1e-15)
    assert by_mass.salt.melt["K"] < 0.7  # KNO3 (101 g/mol) is heavier than NaNO3 (85 g/mol)
    plain = _load(tmp_path, LAS.replace('"70 mol%", NaNO3 = "30 mol%"', "0.7, NaNO3 = 0.3")).steps[
        0
    ]
    percent = _load(tmp_path, LAS, "m.toml").steps[0].bath
    assert dict(plain.bath) == pytest.approx(dict(percent), rel=16 * EPS)


def test_explicit_pairs_equal_the_preset_at_another_temperature(tmp_path):
    """[[bath.pair]] with the preset's numbers (K at 400 °C and ΔH) give the preset's surface
    fractions at 380 °C, through van 't Hoff, to round-off."""
    pairs = textwrap.dedent(
        """
        [bath]
        [[bath.pair]]
        ion = "K"
        partner = "Na"
        constant = 0.009
        reference_temperature = "400 degC"
        enthalpy = "20 kJ/mol"
        form = "ideal"
        [[bath.pair]]
        ion = "Li"
        partner = "Na"
        constant = 10
        reference_temperature = "400 degC"
        enthalpy = "-15 kJ/mol"
        """
    )
    text = LAS.replace('[bath]\nchemistry = "illustrative LAS K/Na/Li"\n', pairs)
    text = text.replace(
        '"70 mol%", NaNO3 = "30 mol%"', '"99 mol%", NaNO3 = "0.9 mol%", LiNO3 = "0.1 mol%"'
    )
    text = text.replace('"400 degC"\nduration', '"380 degC"\nduration')
    step = _load(tmp_path, text).steps[0]
    melt = {"K": 0.99, "Na": 0.009, "Li": 0.001}
    expected = ILLUSTRATIVE_LAS_K_NA_LI.surface_fractions(melt, ZERO_CELSIUS + 380.0)
    for ion, value in expected.items():
        # exp of ln K ~ 5 plus a few sums: a few ε relative
        assert step.bath[ion] == pytest.approx(value, rel=1e-14)


def test_fractions_and_the_equivalent_salt_give_the_same_profiles(tmp_path):
    """The surface fractions the salt resolves to, written into the recipe as numbers: the
    solver gets the same floats, so the profiles and uptakes are identical."""
    salt = _load(tmp_path, LAS)
    surface = ", ".join(f"{ion} = {value!r}" for ion, value in salt.steps[0].bath.items())
    written = LAS.replace(
        'bath = { salt = { KNO3 = "70 mol%", NaNO3 = "30 mol%" } }', f"bath = {{ {surface} }}"
    )
    fractions = _load(tmp_path, written, "f.toml")
    assert fractions.steps[0].salt is None
    a, b = run_multicomponent(salt), run_multicomponent(fractions)
    np.testing.assert_array_equal(a.fractions, b.fractions)
    np.testing.assert_array_equal(a.uptake, b.uptake)
    ds = a.to_dataset()
    assert float(ds["bath_K"][0]) == salt.steps[0].bath["K"]
    assert float(ds["melt_Na"][0]) == pytest.approx(0.3, rel=1e-15)


def test_sodium_poisoning_of_a_fresh_salt_closed_form(tmp_path):
    """0.3 mol% NaNO3 in KNO3 at 400 °C with the illustrative preset: χ_K = K x_K/(x_Na +
    K x_K) with K = 0.009, 0.749 — a quarter of the surface K gone (pure KNO3: χ_K = 1)."""
    poisoned = _load(
        tmp_path, LAS.replace('"70 mol%", NaNO3 = "30 mol%"', '"99.7 mol%", NaNO3 = "0.3 mol%"')
    ).steps[0]
    k = 0.009
    expected = k * 0.997 / (0.003 + k * 0.997)
    assert poisoned.bath["K"] == pytest.approx(expected, rel=1e-14)
    assert 1.0 - poisoned.bath["K"] == pytest.approx(0.251, abs=5e-4)
    assert _load(
        tmp_path,
        LAS.replace('bath = { salt = { KNO3 = "70 mol%", NaNO3 = "30 mol%" } }', PURE_KNO3),
        "pure.toml",
    ).steps[0].bath == {"K": 1.0}


def test_a_salt_bath_needs_a_constant_temperature():
    """K(T) would move the surface along a program: refused with the reason."""
    from ionex.process.temperature import TemperatureProgram

    salt = SaltBath({"K": 0.99, "Na": 0.01}, ILLUSTRATIVE_LAS_K_NA_LI)
    ramp = TemperatureProgram((0.0, 3600.0), (T400, T400 + 20.0))
    with pytest.raises(ValueError, match="constant temperature"):
        MulticomponentStep(3600.0, ramp, None, "ramp", salt)
    held = TemperatureProgram((0.0, 3600.0), (T400, T400))  # a program that holds: accepted
    assert MulticomponentStep(3600.0, held, None, "held", salt).bath["K"] < 1.0


# --------------------------------------------------------------------------- ageing


def test_more_loads_leave_less_surface_potassium(aged_runs):
    """Each load gives the KNO3 Na (and Li) from the glass: the aged salt's Na grows with
    the loads and its surface K falls; the K taken up per load falls with it."""
    surface_k = [aged_runs[n].recipe.steps[0].bath["K"] for n in (0, 10, 30)]
    sodium = [aged_runs[n].aged_baths[0].aged.melt.get("Na", 0.0) for n in (0, 10, 30)]
    assert surface_k[0] == 1.0 and surface_k[0] > surface_k[1] > surface_k[2]
    assert 0.0 == sodium[0] < sodium[1] < sodium[2]
    uptake_k = [float(aged_runs[n].uptake[-1, 2]) for n in (0, 10, 30)]
    assert uptake_k[0] > uptake_k[1] > uptake_k[2] > 0.0


def test_ageing_mass_balance_is_age_bath_s(aged_runs):
    """The aged salt is age_bath of N loads of the mean exchange per load; the loads swap
    cations one for one (the total stays m/M̄); the run's surface is the aged salt's
    equilibrium; the recipe returned is the one run (aged salt, no ageing left to apply)."""
    result = aged_runs[30]
    (aged,) = result.aged_baths
    loads = aged.ageing.loads_before
    assert loads == 30 and aged.ageing.salt_mass == 300.0
    states = age_bath(aged.fresh.melt, 300.0, [dict(aged.released_per_load)] * 30)
    for ion, x in states[-1].melt.items():
        # 30 additions of numbers ~0.5 mol to ~3000 mol: round-off ~30 ε relative
        assert aged.aged.melt.get(ion, 0.0) == pytest.approx(x, rel=1e-12, abs=1e-15)
    assert math.fsum(aged.released_per_load.values()) == pytest.approx(0.0, abs=1e-12)
    fresh_total = bath_state(aged.fresh.melt, 300.0).total
    assert states[-1].total == pytest.approx(fresh_total, rel=1e-14)
    expected = ILLUSTRATIVE_LAS_K_NA_LI.surface_fractions(dict(aged.aged.melt), T400)
    for ion, value in aged.aged_surface.items():
        assert value == expected[ion]
    assert result.recipe.steps[0].bath == aged.aged_surface and result.recipe.ageing is None
    # the K taken from the salt per load falls from the first load to the last; the mean
    # lies between them
    first, mean, last = (
        -aged.released_first_load["K"],
        -aged.released_per_load["K"],
        -aged.released_last_load["K"],
    )
    assert first > mean > last > 0.0
    # the first load of the fresh salt: 1.2 m² times the K uptake per area of the fresh run
    fresh_uptake = float(aged_runs[0].uptake[-1, 2])
    assert first == pytest.approx(1.2 * fresh_uptake, rel=1e-12)


def test_a_few_thousand_ppm_sodium_from_the_loads_cost_a_quarter_of_the_surface_k(aged_runs):
    """The rule of thumb the illustrative preset is calibrated to, reached by ageing: after
    30 loads the KNO3 holds about 3000 ppm (mol) Na, and the surface K is about 25 % down
    (the Li the glass gives off adds a little)."""
    (aged,) = aged_runs[30].aged_baths
    sodium_ppm = aged.aged.melt["Na"] * 1e6
    assert 2500.0 < sodium_ppm < 3500.0, sodium_ppm
    loss = 1.0 - aged.aged_surface["K"]
    assert 0.2 < loss < 0.3, loss


def test_ageing_against_the_salt_aged_load_by_load(tmp_path, aged_runs):
    """Reference: each of 10 loads run on the salt the previous one left (the run's uptake
    times the load's area taken from the salt). The recipe takes the loads as a continuum;
    the two differ by a fraction of one load's change of the surface: within a quarter of
    the first load's change of χ_K (measured: 2.3e-3 after 10 loads, against a first
    load's change of 2.6e-2; the integration's own error is ~3e-5)."""
    recipe = _load(tmp_path, _aged_text(0))
    step = recipe.steps[0]
    species = recipe.species
    moles = dict(bath_state(step.salt.melt, 300.0).moles)
    first_change = None
    for _ in range(10):
        total = math.fsum(moles.values())
        salt = SaltBath({c: n / total for c, n in moles.items()}, step.salt.chemistry)
        one = MulticomponentStep(step.duration, step.temperature, None, step.name, salt)
        run = run_multicomponent(replace(recipe, steps=(one,), ageing=None))
        for ion, uptake in zip(species, run.uptake[-1]):
            moles[ion] = moles.get(ion, 0.0) - 1.2 * float(uptake)
        if first_change is None:
            total = math.fsum(moles.values())
            after = ILLUSTRATIVE_LAS_K_NA_LI.surface_fractions(
                {c: n / total for c, n in moles.items()}, T400
            )
            first_change = 1.0 - after["K"]
    total = math.fsum(moles.values())
    reference = ILLUSTRATIVE_LAS_K_NA_LI.surface_fractions(
        {c: n / total for c, n in moles.items()}, T400
    )
    got = aged_runs[10].aged_baths[0].aged_surface
    assert got["K"] == pytest.approx(reference["K"], abs=0.25 * first_change)


def test_loads_are_a_plain_numeric_field_for_sweeps_and_fits(tmp_path):
    """bath.loads_before and bath.salt_mass are numeric fields of the recipe document: the
    editor of sweeps and fits sets them by path."""
    path = _path(tmp_path, _aged_text(20))
    doc = RecipeDocument.load(path)
    assert {"bath.loads_before", "bath.salt_mass", "bath.load_area"} <= set(doc.numeric_paths())
    assert doc.value("bath.loads_before") == (20.0, "")
    assert doc.value("bath.salt_mass") == (300.0, "kg")
    edited = doc.with_values({"bath.loads_before": 45, "bath.salt_mass": 600}).recipe()
    assert edited.ageing.loads_before == 45.0 and edited.ageing.salt_mass == 600.0
    recipe = load_recipe(path)
    in_memory = recipe.editor({"bath.loads_before": 12.5, "bath.load_area": 2.0})
    assert in_memory.ageing.loads_before == 12.5 and in_memory.ageing.load_area == 2.0
    # a salt's amounts: in the unit written (mol%), or SI fractions on the others' basis
    salty = RecipeDocument(_aged_text(20).replace(PURE_KNO3, SALT), path)
    assert salty.value("step[1].bath.salt.NaNO3") == (30.0, "mol%")
    edited = salty.with_values({"step[1].bath.salt.NaNO3": 0.3, "step[1].bath.salt.KNO3": 99.7})
    assert edited.recipe().steps[0].salt.melt["Na"] == pytest.approx(0.003, rel=4 * EPS)
    in_memory = (
        salty.with_values({})
        .recipe()
        .editor({"step[1].bath.salt.NaNO3": 0.003, "step[1].bath.salt.KNO3": 0.997})
    )
    assert in_memory.steps[0].salt.melt["Na"] == pytest.approx(0.003, rel=4 * EPS)


def test_ionex_run_of_an_aged_bath_reports_the_salt(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(_path(tmp_path, _aged_text(10))), "-o", str(out), "--no-plot"]) == 0
    assert "K step" in capsys.readouterr().out
    with xr.open_dataset(out / "result.nc") as ds:
        assert ds["bath_K"].dims == ("process_step",)
        assert 0.8 < float(ds["bath_K"][0]) < 1.0
        assert float(ds["fresh_melt_K"][0]) == 1.0 and float(ds["melt_Na"][0]) > 0.0
        assert float(ds["released_per_load_K"][0]) < 0.0
        assert "10 loads" in ds.attrs["salt_ageing"]


# --------------------------------------------------------------------------- bad input

SALT = 'bath = { salt = { KNO3 = "70 mol%", NaNO3 = "30 mol%" } }'
RUBIDIUM = (
    '[ions.K]\nD = "2e-15 m^2/s"',
    '[ions.K]\nD = "2e-15 m^2/s"\n[ions.Rb]\nD = "1e-16 m^2/s"',
)
PRESET = ('chemistry = "illustrative LAS K/Na/Li"\n', "")
K_NA_PAIR = '[[bath.pair]]\nion = "K"\npartner = "Na"\nconstant = 0.01\n'


def _pairs(pairs: str):
    """The edit that adds [[bath.pair]] tables after the [bath] keys."""
    return ("[[step]]", pairs + "[[step]]")


@pytest.mark.parametrize(
    "edits, words",
    [
        (
            [(SALT, 'bath = { salt = { KNO2 = "100 mol%" } }')],
            ["step[1].bath.salt.KNO2", "unknown salt", "KNO3"],
        ),
        (
            [(SALT, 'bath = { salt = { KNO3 = "90 mol%", RbNO3 = "10 mol%" } }')],
            ["step[1].bath.salt.RbNO3", "cation Rb has no [ions.Rb]", "declared: Li, Na, K"],
        ),
        (
            [RUBIDIUM, (SALT, 'bath = { salt = { RbNO3 = "100 mol%" } }')],
            ["step[1].bath.salt.RbNO3", "no exchange equilibrium for Rb", "covers K, Na, Li"],
        ),
        (
            [RUBIDIUM],  # ageing passes the glass's ions into the salt: each needs equilibria
            ["bath.loads_before", "'Rb'", "equilibria for each ion of [ions]"],
        ),
        (
            [PRESET],
            ["step[1].bath.salt.KNO3", "needs the melt–glass exchange equilibria"],
        ),
        (
            [('salt_mass = "300 kg"', 'salt_mass = "-5 kg"')],
            ["bath.salt_mass", "'-5 kg'", "salt mass > 0"],
        ),
        ([('salt_mass = "300 kg"', "salt_mass = 300")], ["bath.salt_mass", '"500 kg"']),
        ([("loads_before = 20", "loads_before = -1")], ["bath.loads_before", "≥ 0"]),
        ([("loads_before = 20\n", "")], ["bath.loads_before", "missing", "together"]),
        (
            [
                (
                    'temperature = "400 degC"',
                    'temperature = { program = [["0 h", "400 degC"], ["4 h", "420 degC"]] }',
                )
            ],
            ["step[1].temperature", "constant temperature"],
        ),
        (
            [('"illustrative LAS K/Na/Li"', '"soda-lime"')],
            ["bath.chemistry", "'soda-lime'", "'illustrative LAS K/Na/Li'"],
        ),
        (
            [(SALT, 'bath = { salt = { KNO3 = "70 mol%", NaNO3 = "30 wt%" } }')],
            ["step[1].bath.salt", "mol% and wt%"],
        ),
        (
            [(SALT, 'bath = { salt = { KNO3 = "70 mol%", NaNO3 = "20 mol%" } }')],
            ["step[1].bath.salt", "add up to 0.9"],
        ),
        ([_pairs(K_NA_PAIR)], ["bath.pair", "not both"]),
        (
            [PRESET, _pairs(K_NA_PAIR + 'enthalpy = "20 kJ/mol"\n')],
            ["bath.pair[1].enthalpy", "reference_temperature"],
        ),
        (
            [PRESET, _pairs(K_NA_PAIR + 'form = "sigmoid"\n')],
            ["bath.pair[1].form", "'sigmoid'", "rothmund_kornfeld"],
        ),
    ],
)
def test_bad_input_is_one_clear_line_with_exit_2(tmp_path, capsys, edits, words):
    text = _aged_text(20).replace(PURE_KNO3, SALT)
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = _path(tmp_path, text)
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith(f"ionex: error: {path}"), err
    for w in words:
        assert w in err, (w, err)
