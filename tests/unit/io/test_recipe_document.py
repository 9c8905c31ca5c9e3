"""RecipeDocument: numeric recipe fields by path, edited in their own units and re-parsed."""

from pathlib import Path

import pytest

from ionex.errors import RecipeError
from ionex.io.recipe_document import RecipeDocument, parse_path

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "soda_lime_k_na.toml"


def test_paths_parse_with_one_based_indices():
    assert parse_path("step[2].bath.K") == ("step", 1, "bath", "K")
    assert parse_path("ions.K.D") == ("ions", "K", "D")
    for bad in ("", "step[0].duration", "ions..D", "step[x]"):
        with pytest.raises(ValueError, match="expected"):
            parse_path(bad)


def test_values_keep_their_unit_and_edits_re_parse():
    doc = RecipeDocument.load(EXAMPLE)
    assert doc.value("ions.K.D") == (1e-15, "m^2/s")
    assert doc.value("step[1].temperature") == (420.0, "degC")
    assert doc.value("model.thermodynamic_factor") == (1.0, "")
    edited = doc.with_values(
        {"ions.K.D": 2e-15, "step[1].temperature": 430.0, "step[1].bath.K": 0.9}
    )
    r = edited.recipe()
    assert r.model.incoming(700.0) == pytest.approx(2e-15)
    assert r.steps[0].temperature(0.0) == pytest.approx(703.15)
    assert r.steps[0].surface_fraction == 0.9
    # the original is untouched, and every numeric field is listed
    assert doc.recipe().steps[0].temperature(0.0) == pytest.approx(693.15)
    assert {"ions.K.D", "step[1].duration", "output.times[2]"} <= set(doc.numeric_paths())


def test_unknown_and_non_numeric_fields_are_clear_errors():
    doc = RecipeDocument.load(EXAMPLE)
    with pytest.raises(
        RecipeError, match=r"'ions\.K\.DD' is not a field of this recipe \(did you mean ions\.K\.D"
    ):
        doc.value("ions.K.DD")
    with pytest.raises(RecipeError, match=r"step\[2\]\.duration' is not a field"):
        doc.value("step[2].duration")
    with pytest.raises(RecipeError, match="only numeric fields can be varied"):
        doc.value("glass.host_ion")
    with pytest.raises(RecipeError, match="no such recipe file"):
        RecipeDocument.load(EXAMPLE.with_name("missing.toml"))


# --------------------------------------------------------------------------- Recipe.with_values

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def test_with_values_equals_the_recipe_file_edited_by_hand(tmp_path):
    from ionex.io.recipe import load_recipe

    text = (EXAMPLES / "soda_lime_k_na.toml").read_text(encoding="utf-8")
    edited = tmp_path / "edited.toml"
    edited.write_text(
        text.replace('D = "1e-15 m^2/s"', 'D = "2.5e-15 m^2/s"').replace(
            'temperature = "420 degC"', 'temperature = "437.5 degC"'
        ),
        encoding="utf-8",
    )
    by_hand = load_recipe(edited)
    base = load_recipe(EXAMPLES / "soda_lime_k_na.toml")
    for values in (
        {"ions.K.D": 2.5e-15, "step[1].temperature": 710.65},  # SI floats
        {"ions.K.D": "2.5e-15 m^2/s", "step[1].temperature": "437.5 degC"},  # as written
    ):
        new = base.with_values(values)
        assert new.model == by_hand.model
        assert new.steps == by_hand.steps
        assert new.glass == by_hand.glass and new.output_times == by_hand.output_times
        assert "# ions.K.D = " in new.source_text  # the edits are said in the embedded copy
    # chained edits compose; the base is left as it was
    twice = base.with_values({"ions.K.D": 2.5e-15}).with_values({"step[1].temperature": 710.65})
    assert twice.model == by_hand.model and twice.steps == by_hand.steps
    assert base.model.incoming.prefactor == 1e-15


def test_with_values_refuses_unknown_paths_and_bad_values_where_the_file_has_them():
    from ionex.io.recipe import load_recipe

    base = load_recipe(EXAMPLES / "soda_lime_k_na.toml")
    with pytest.raises(
        RecipeError, match=r"'ions\.K\.DD' is not a field .*did you mean ions\.K\.D"
    ):
        base.with_values({"ions.K.DD": 1e-15})
    with pytest.raises(
        RecipeError,
        match=r"line \d+: ions\.K\.D: found -1e-15 \(SI\); expected a diffusion coefficient > 0",
    ):
        base.with_values({"ions.K.D": -1e-15})
    with pytest.raises(RecipeError, match="expected an SI number or a string with units"):
        base.with_values({"ions.K.D": None})
    with pytest.raises(RecipeError, match="only numeric fields can be varied"):
        base.with_values({"glass.host_ion": 1.0})


def test_with_values_reads_a_log_once_and_carries_it_to_pickled_copies(tmp_path):
    import pickle

    from ionex.io.recipe import load_recipe

    log = tmp_path / "furnace.csv"
    log.write_text("time_h,temperature_C\n0,400\n1,420\n2,420\n", encoding="utf-8")
    recipe = tmp_path / "r.toml"
    recipe.write_text(
        (EXAMPLES / "soda_lime_k_na.toml")
        .read_text(encoding="utf-8")
        .replace('temperature = "420 degC"', 'temperature = { log = "furnace.csv" }')
        .replace('duration = "8 h"\n', "")
        .replace('times = ["1 h", "4 h", "8 h"]', 'times = ["1 h"]'),
        encoding="utf-8",
    )
    base = load_recipe(recipe)
    log.unlink()  # a worker has no access to the log: the editor carries it
    copy = pickle.loads(pickle.dumps(base))
    new = copy.with_values({"ions.K.D": 3e-15})
    assert new.steps[0].temperature(3600.0) == pytest.approx(693.15)
    assert new.total_time == pytest.approx(7200.0)


def test_with_values_edits_nernst_planck_poisson_recipes_and_refuses_python_built_ones():
    from ionex.io.recipe import load_recipe
    from ionex.process.recipe import Recipe

    npp = load_recipe(EXAMPLES / "double_cait_li3b7o12.toml")
    assert npp.with_values({"sample.temperature": 450.0}).sample.temperature == 450.0
    base = load_recipe(EXAMPLES / "soda_lime_k_na.toml")
    built = Recipe(base.glass, base.incoming_ion, base.model, base.steps)
    with pytest.raises(ValueError, match="not read from a file"):
        built.with_values({"ions.K.D": 2e-15})
