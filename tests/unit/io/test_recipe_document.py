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
