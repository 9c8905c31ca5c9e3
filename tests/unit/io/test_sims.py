"""ToF-SIMS depth profiles: depth from crater depth, eq. (1) normalisation, bad input (Gunawan et al. (2026))."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from ionex.errors import RecipeError
from ionex.io.sims import PAPER_001_SPECIES, read_sims_profile

DATA = Path(__file__).resolve().parents[2] / "data"
FIRST = DATA / "sims_first_cait.csv"
SECOND = DATA / "sims_second_cait.csv"


def test_first_cait_fixture_isotopes_summed_per_species():
    prof = read_sims_profile(FIRST, crater_depth=200e-9)
    assert list(prof.fractions) == ["Li", "Rb"]  # inferred from the header, in header order
    assert prof.species == {"Li": ("6Li", "7Li"), "Rb": ("85Rb", "87Rb")}
    # first data line: 152 + 1848 Li, 6495 + 2505 Rb counts → Li 2000/11000, Rb 9000/11000
    assert prof.fractions["Li"][0] == pytest.approx(2000 / 11000, rel=1e-15)
    assert prof.fractions["Rb"][0] == pytest.approx(9000 / 11000, rel=1e-15)
    assert prof.counts["7Li"][0] == 1848.0
    sums = prof.fractions["Li"] + prof.fractions["Rb"]
    np.testing.assert_allclose(sums, 1.0, rtol=0, atol=1e-15)
    assert prof.valid.all()
    assert prof.source == str(FIRST)


def test_depth_scales_sputter_time_to_the_crater_depth():
    prof = read_sims_profile(FIRST, crater_depth=200e-9)
    assert prof.sputter_time[0] == 0.0 and prof.sputter_time[-1] == 400.0
    np.testing.assert_allclose(prof.depth, prof.sputter_time * 0.5e-9, rtol=1e-15)  # 200 nm / 400 s
    assert prof.depth[-1] == 200e-9
    double = read_sims_profile(FIRST, crater_depth=400e-9)
    np.testing.assert_allclose(double.depth, 2 * prof.depth, rtol=1e-15)
    # the synthetic zone: Rb replaces ~90 % of Li in the first 40 nm (fixture built with yield ratio 1/2)
    rb_density = prof.fractions["Rb"] / (
        prof.fractions["Rb"] + 0.5 * prof.fractions["Li"]
    )  # undo yield only for this check
    assert rb_density[prof.depth < 25e-9].min() > 0.89


def test_second_cait_fixture_prefix_time_s_zero_row_and_explicit_species():
    prof = read_sims_profile(SECOND, crater_depth=300e-9, species=PAPER_001_SPECIES)
    assert set(prof.fractions) == {"Li", "Rb", "Cs"}
    assert prof.counts["133Cs"][0] == 5130.0
    assert list(prof.valid).count(False) == 1 and not prof.valid[3]
    for frac in prof.fractions.values():
        assert np.isnan(frac[3])  # no counts: no composition
    total = sum(prof.fractions.values())
    np.testing.assert_allclose(total[prof.valid], 1.0, rtol=0, atol=1e-15)
    first = np.array([24 + 291, 2040 + 784, 5130.0])
    np.testing.assert_allclose(
        [prof.fractions[s][0] for s in ("Li", "Rb", "Cs")], first / first.sum(), rtol=1e-15
    )
    assert prof.depth[-1] == 300e-9


def test_empty_rows_give_nan_without_a_warning(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("sputter_time_s,7Li,85Rb\n0,0,0\n1,3,1\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a 0/0 RuntimeWarning would fail the test
        prof = read_sims_profile(p, crater_depth=1e-7)
    assert np.isnan(prof.fractions["Li"][0]) and prof.fractions["Li"][1] == 0.75
    assert list(prof.valid) == [False, True]


def test_species_missing_from_the_file_is_left_out():
    prof = read_sims_profile(FIRST, crater_depth=200e-9, species=PAPER_001_SPECIES)
    assert set(prof.fractions) == {"Li", "Rb"}  # no Cs before the 2nd CAIT


def test_result_is_read_only():
    prof = read_sims_profile(FIRST, crater_depth=200e-9)
    with pytest.raises(ValueError):
        prof.fractions["Li"][0] = 0.5
    with pytest.raises(TypeError):
        prof.fractions["Cs"] = prof.depth


@pytest.mark.parametrize(
    "content, kwargs, words",
    [
        ("sputter_time_s,7Li\n0,10\n1,1x\n", {}, ["line 3", "7Li", "'1x' is not a number"]),
        ("sputter_time_s,7Li\n0,10\n1,nan\n", {}, ["line 3", "finite"]),
        (
            "# c\nsputter_time_s,7Li,85Rb\n0,10,2\n1,-3,2\n",
            {},
            ["line 4", "7Li", "'-3' is negative", "counts ≥ 0"],
        ),
        ("depth_nm,7Li\n0,10\n1,3\n", {}, ["line 1", "depth_nm", "time column"]),
        ("7Li,85Rb\n0,10\n1,3\n", {}, ["line 1", "0 time columns", "sputter_time_s"]),
        ("time_s,sputter_time_s,7Li\n0,0,1\n", {}, ["line 1", "2 time columns"]),
        (
            "sputter_time_s,6Li,7Li,11B\n0,1,10,5\n1,1,3,5\n",
            {"species": PAPER_001_SPECIES},
            ["line 1", "11B", "match no species", "Li: 6Li, 7Li"],
        ),
        (
            "sputter_time_s,7Li,85Rb,87Rb\n0,10,5,1\n1,3,5,1\n",
            {"species": PAPER_001_SPECIES},
            ["line 1", "'Li'", "not 6Li"],
        ),
        (
            "sputter_time_s,7Li\n0,10\n2,3\n2,4\n",
            {},
            ["line 4", "'2' does not increase", "strictly increasing"],
        ),
        ("sputter_time_s,7Li\n0,10\n2,3\n1,4\n", {}, ["line 4", "does not increase"]),
        ("sputter_time_s,7Li\n-1,10\n2,3\n", {}, ["line 2", "negative"]),
        ("sputter_time_s,7Li\n0,10\n1\n", {}, ["line 3", "found 1 fields", "expected 2"]),
        ("sputter_time_s,7Li,7Li\n0,1,1\n1,1,1\n", {}, ["line 1", "7Li appears in two columns"]),
        ("sputter_time_s\n0\n1\n", {}, ["line 1", "no isotope column"]),
        ("sputter_time_s,7Li\n0,10\n", {}, ["1 data line", "at least two"]),
        ("", {}, ["empty", "header"]),
        (
            "sputter_time_s,7Li\n0,1\n1,1\n",
            {"crater_depth": 0.0},
            ["crater_depth = 0.0", "positive"],
        ),
        ("sputter_time_s,7Li\n0,1\n1,1\n", {"crater_depth": -3e-7}, ["crater_depth", "positive"]),
        (
            "sputter_time_s,7Li,133Cs\n0,1,1\n1,1,1\n",
            {"species": {"Li": ["7Li"], "Cs": ["7Li"]}},
            ["7Li", "both"],
        ),
        (
            "sputter_time_s,7Li\n0,1\n1,1\n",
            {"species": {"Li": ["lithium"]}},
            ["'lithium'", "isotope names"],
        ),
    ],
)
def test_bad_input_names_file_line_found_and_expected(tmp_path, content, kwargs, words):
    p = tmp_path / "profile.csv"
    p.write_text(content, encoding="utf-8")
    kwargs = {"crater_depth": 2e-7, **kwargs}
    with pytest.raises(RecipeError) as err:
        read_sims_profile(p, **kwargs)
    message = str(err.value)
    assert str(p) in message
    for word in words:
        assert word in message, (word, message)


def test_missing_file(tmp_path):
    with pytest.raises(RecipeError, match="no such file"):
        read_sims_profile(tmp_path / "nope.csv", crater_depth=1e-7)


def test_all_zero_counts_and_isotopes_of_other_elements_are_refused(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("time_s,7Li,85Rb\n0,0,0\n1,0,0\n")
    with pytest.raises(
        RecipeError, match="s.csv: every count of every isotope is zero; expected a depth profile"
    ):
        read_sims_profile(p, crater_depth=3e-7)
    p.write_text("time_s,7Li,107Ag\n0,1,2\n1,3,4\n")
    assert set(read_sims_profile(p, crater_depth=3e-7).species) == {"Li", "Ag"}
    with pytest.raises(
        RecipeError,
        match="s.csv, line 1: column 107Ag is an isotope of Ag, which is not a species "
        "of the recipe; expected isotopes of Cs, Li only",
    ):
        read_sims_profile(p, crater_depth=3e-7, elements=("Li", "Cs"))
