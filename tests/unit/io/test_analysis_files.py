"""Files of the closed-form analyses: D(T) tables, measured profiles, arrhenius.json and
the D̃(χ) tables (loadable by a recipe); every bad value named by file, line and column."""

import json
import math

import numpy as np
import pytest
from scipy.special import erfc

from ionex.errors import RecipeError
from ionex.io.analysis_files import (
    plot_arrhenius,
    plot_interdiffusion,
    read_arrhenius_table,
    read_fraction_profile,
    write_arrhenius_json,
    write_interdiffusion_tables,
)
from ionex.io.tables import read_interdiffusion_table
from ionex.process.arrhenius_fit import fit_arrhenius
from ionex.process.matano import sauer_freise

ARR = "# tracer data\ntemperature_C,D_m2_s,D_err_m2_s,operator\n400,1.2e-15,1e-16,A\n430,3.3e-15,2e-16,B\n\n460,8.1e-15,5e-16,A\n490,1.9e-14,1e-15,A\n"


def test_read_arrhenius_table_celsius_with_errors(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text(ARR)
    data = read_arrhenius_table(p)
    np.testing.assert_allclose(data.temperature, [673.15, 703.15, 733.15, 763.15])
    np.testing.assert_allclose(data.coefficient, [1.2e-15, 3.3e-15, 8.1e-15, 1.9e-14])
    np.testing.assert_allclose(data.coefficient_err, [1e-16, 2e-16, 5e-16, 1e-15])
    assert data.temperature_column == "temperature_C" and data.source == str(p)


def test_read_arrhenius_table_kelvin_without_errors(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("temperature_K,D_m2_s\n673,1e-15\n700,2e-15\n750,9e-15\n")
    data = read_arrhenius_table(p)
    assert data.coefficient_err is None
    np.testing.assert_allclose(data.temperature, [673, 700, 750])


@pytest.mark.parametrize(
    "content, words",
    [
        ("temperature_C,D_m2_s\n400,1e-15\n430,2e-15\n", ["found 2 data point", "at least 3"]),
        (
            "temperature_C,D_m2_s\n400,1e-15\n430,nan\n460,3e-15\n",
            ["line 3", "D_m2_s = 'nan'", "not a finite number"],
        ),
        ("temperature_C,D_m2_s\n400,1e-15\n430,0\n460,3e-15\n", ["line 3", "D_m2_s = '0'", "> 0"]),
        (
            "temperature_C,D_m2_s\n400,1e-15\n-300,2e-15\n460,3e-15\n",
            ["line 3", "temperature_C = '-300'", "> 0 K"],
        ),
        (
            "temperature_K,D_m2_s\n0,1e-15\n700,2e-15\n760,3e-15\n",
            ["line 2", "temperature_K = '0'", "> 0 K"],
        ),
        (
            "temperature_C,D_m2_s,D_err_m2_s\n400,1e-15,1e-16\n430,2e-15,\n460,3e-15,1e-16\n",
            ["line 3", "D_err_m2_s is empty"],
        ),
        (
            "temperature_C,D_m2_s,D_err_m2_s\n400,1e-15,-1e-16\n430,2e-15,1e-16\n460,3e-15,1e-16\n",
            ["line 2", "D_err_m2_s = '-1e-16'"],
        ),
        ("temperature_C,D\n400,1e-15\n", ["line 1", "expected one temperature column", "D_m2_s"]),
        ("T,D_m2_s\n400,1e-15\n", ["line 1", "temperature_C or temperature_K"]),
        ("temperature_C,D_m2_s\n400,1e-15\n430\n", ["line 3", "found 1 fields", "expected 2"]),
        ("temperature_C,D_m2_s\n400,1e-15\n400,2e-15\n400,3e-15\n", ["every point is at 673.15 K"]),
        ("", ["the file is empty"]),
    ],
)
def test_bad_arrhenius_tables_name_file_line_and_column(tmp_path, content, words):
    p = tmp_path / "d.csv"
    p.write_text(content)
    with pytest.raises(RecipeError) as info:
        read_arrhenius_table(p)
    msg = str(info.value)
    assert msg.startswith(str(p))
    for w in words:
        assert w in msg, msg


def test_missing_table_file(tmp_path):
    with pytest.raises(RecipeError, match="no such file"):
        read_arrhenius_table(tmp_path / "missing.csv")


def test_arrhenius_json_keys_units_and_plot(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text(ARR)
    data = read_arrhenius_table(p)
    fit = fit_arrhenius(data.temperature, data.coefficient, data.coefficient_err)
    path = write_arrhenius_json(fit, tmp_path / "arrhenius.json", source=str(p))
    doc = json.loads(path.read_text())
    for key in (
        "D0_m2_s",
        "Q_J_per_mol",
        "D0_m2_s_stderr",
        "Q_J_per_mol_stderr",
        "correlation_lnD0_Q",
        "reduced_chi2",
        "method",
        "n_points",
        "units",
    ):
        assert key in doc, key
    assert (
        doc["D0_m2_s"] == fit.prefactor
        and doc["Q_J_per_mol_stderr"] == fit.activation_energy_stderr
    )
    assert doc["units"]["Q_J_per_mol"] == "J/mol" and doc["units"]["D0_m2_s"] == "m^2/s"
    assert doc["method"] == "weighted" and doc["n_points"] == 4 and doc["source"] == str(p)
    assert doc["D_ref_m2_s_stderr"] == pytest.approx(
        fit.reference_coefficient * fit.reference_ln_stderr
    )
    png = plot_arrhenius(fit, data, tmp_path / "arrhenius.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert not list(tmp_path.glob("*.part"))


# --------------------------------------------------------------------------- profiles

D, T_EX = 2e-15, 8 * 3600.0


def profile_text(header="depth_um,frac_K", scale=1e6, n=120, noise=0.0, time=None):
    x = np.linspace(0.0, 7 * math.sqrt(D * T_EX), n)
    chi = erfc(x / (2 * math.sqrt(D * T_EX))) + noise * np.random.default_rng(0).standard_normal(n)
    prefix = "" if time is None else f"{time},"
    return header + "\n" + "".join(f"{prefix}{a * scale:.8g},{c:.8f}\n" for a, c in zip(x, chi))


def test_read_fraction_profile_um_and_m(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text(profile_text())
    prof = read_fraction_profile(p)
    assert prof.column == "frac_K" and prof.depth.size == 120
    assert prof.depth[-1] == pytest.approx(7 * math.sqrt(D * T_EX), rel=1e-7)
    p.write_text(profile_text("depth_m,frac", scale=1.0))
    assert read_fraction_profile(p).column == "frac"


def test_read_ionex_profiles_csv_at_one_time(tmp_path):
    """ionex run's long-format profiles.csv: the rows at the requested time are used."""
    p = tmp_path / "profiles.csv"
    one = profile_text("time_s,depth_m,frac_K", scale=1.0, time=3600).split("\n", 1)[1]
    two = profile_text("x", scale=1.0, time=28800).split("\n", 1)[1]
    p.write_text("time_s,depth_m,frac_K\n" + one + two)
    prof = read_fraction_profile(p, time=28800.0)
    assert prof.depth.size == 120
    with pytest.raises(
        RecipeError, match=r"profiles at time_s = 3600, 28800; none at time_s = 7200"
    ):
        read_fraction_profile(p, time=7200.0)


@pytest.mark.parametrize(
    "content, kw, words",
    [
        (
            "depth_um,frac_K\n" + "".join(f"{i},{1 - i / 10}\n" for i in range(5)),
            {},
            ["found 5 profile point", "at least 10"],
        ),
        ("depth_um,frac_K\n0,1\n1,nan\n", {}, ["line 3", "frac_K = 'nan'", "not a finite"]),
        (
            "depth_um,frac_K\n0,1\n2,0.5\n1,0.2\n",
            {},
            ["line 4", "depth_um = '1'; expected depths increasing"],
        ),
        ("depth_um,frac_K\n-1,1\n", {}, ["line 2", "depths ≥ 0"]),
        (
            "depth_um,frac_K\n0,45\n",
            {},
            ["line 2", "frac_K = '45' is not a site fraction", "percent"],
        ),
        (
            "depth_um,frac_K,frac_Na\n0,1,0\n",
            {},
            ["line 1", "several (frac_K, frac_Na)", "--column"],
        ),
        ("depth_um,K\n0,1\n", {}, ["line 1", "found none"]),
        ("depth_um,frac_K\n0,1\n", {"column": "frac_Ag"}, ["line 1", "no column 'frac_Ag'"]),
        ("frac_K\n1\n", {}, ["line 1", "depth_m, depth_um, depth_nm"]),
        ("time_s,depth_m,frac_K\n3600,0,1\n", {}, ["time_s = 3600", "no --time given"]),
    ],
)
def test_bad_profiles_name_file_line_and_column(tmp_path, content, kw, words):
    p = tmp_path / "p.csv"
    p.write_text(content)
    with pytest.raises(RecipeError) as info:
        read_fraction_profile(p, **kw)
    msg = str(info.value)
    assert msg.startswith(str(p))
    for w in words:
        assert w in msg, msg


def test_interdiffusion_tables_load_as_recipe_tables_and_plot(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text(profile_text(noise=0.003))
    prof = read_fraction_profile(p)
    est = sauer_freise(prof.depth, prof.fraction, T_EX)
    table, full = write_interdiffusion_tables(est, tmp_path, prof.column)
    fr, co = read_interdiffusion_table(table)  # what a recipe's interdiffusion_table reads
    want_fr, want_co, extrapolated = est.table_points()
    np.testing.assert_allclose(fr, want_fr, atol=1e-6)
    np.testing.assert_allclose(co, want_co, rtol=1e-6)
    assert extrapolated[0] and extrapolated[-1] and fr[0] == 0.0
    assert table.read_text().splitlines()[2] == "frac_K,D_m2_s"
    rows = np.genfromtxt(full, delimiter=",", names=True)
    assert rows.dtype.names == ("frac_K", "D_m2_s", "D_m2_s_stderr", "reliable")
    assert rows.size == est.fraction.size and rows["reliable"].sum() == est.reliable.sum()
    png = plot_interdiffusion(est, prof, tmp_path / "matano.png")
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_no_table_from_too_few_reliable_points(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text(profile_text())
    prof = read_fraction_profile(p)
    est = sauer_freise(prof.depth, prof.fraction, T_EX, smoothing=0.0, end_margin=0.49)
    with pytest.raises(ValueError, match="fewer than two reliable"):
        write_interdiffusion_tables(est, tmp_path)
    assert not (tmp_path / "interdiffusion.csv").exists()


def test_every_table_takes_the_same_depth_columns(tmp_path):
    """Depth in m, µm or nm: one registry (io.tables.DEPTH_COLUMNS) for every reader."""
    from ionex.io.analysis_files import read_fraction_profile
    from ionex.io.tables import DEPTH_COLUMNS

    rows = [(0.5 * i, 0.9 - 0.08 * i) for i in range(10)]
    depths = []
    for column, per_metre in (("depth_um", 1e6), ("depth_nm", 1e9), ("depth_m", 1.0)):
        assert column in DEPTH_COLUMNS
        text = f"{column},frac_K\n" + "".join(f"{x * 1e-6 * per_metre!r},{f}\n" for x, f in rows)
        (tmp_path / f"{column}.csv").write_text(text, encoding="utf-8")
        depths.append(read_fraction_profile(tmp_path / f"{column}.csv").depth)
    np.testing.assert_allclose(depths[1], depths[0], rtol=1e-12)
    np.testing.assert_allclose(depths[2], depths[0], rtol=1e-12)
