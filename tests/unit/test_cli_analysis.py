"""``ionex arrhenius`` and ``ionex matano``: outputs, summary, and one clear message with
exit code 2 (no traceback) on bad input. (main() is called in-process: an exception that
escaped it would fail the test; tests/unit/test_cli.py runs the same main() in a fresh
process.)"""

import json
import math
import textwrap

import numpy as np
import pytest
from scipy.special import erfc

from ionex.cli import main
from ionex.constants import GAS_CONSTANT as R
from ionex.io.tables import read_interdiffusion_table

D0, Q = 4.8e-7, 100e3


def arrhenius_csv(path, errors=True):
    t = np.array([380.0, 410.0, 440.0, 470.0, 500.0])
    d = D0 * np.exp(-Q / (R * (t + 273.15))) * (1 + 0.03 * np.array([1, -1, 0.5, -0.5, 0.2]))
    head = "temperature_C,D_m2_s" + (",D_err_m2_s" if errors else "")
    path.write_text(
        head
        + "\n"
        + "".join(
            f"{a},{b:.6e}" + (f",{0.03 * b:.3e}" if errors else "") + "\n" for a, b in zip(t, d)
        )
    )
    return path


@pytest.mark.parametrize("method", ["weighted", "linear"])
def test_arrhenius_writes_json_png_and_prints_summary(tmp_path, capsys, method):
    table = arrhenius_csv(tmp_path / "d.csv")
    assert main(["arrhenius", str(table), "-o", str(tmp_path / "out"), "--method", method]) == 0
    out = capsys.readouterr().out
    doc = json.loads((tmp_path / "out" / "arrhenius.json").read_text())
    assert set(doc) >= {"D0_m2_s", "Q_J_per_mol", "D0_m2_s_stderr", "Q_J_per_mol_stderr"}
    assert doc["method"] == method and doc["n_points"] == 5
    # the data are 3 % off the law, the errors 3 %: Q within a few standard errors of 100 kJ/mol
    assert abs(doc["Q_J_per_mol"] - Q) < 4 * doc["Q_J_per_mol_stderr"]
    assert f"{doc['Q_J_per_mol'] / 1e3:.5g} ± " in out and "kJ/mol" in out and "m²/s" in out
    assert (tmp_path / "out" / "arrhenius.png").read_bytes()[:4] == b"\x89PNG"


def test_arrhenius_without_errors_and_quiet(tmp_path, capsys):
    table = arrhenius_csv(tmp_path / "d.csv", errors=False)
    assert main(["arrhenius", str(table), "-o", str(tmp_path / "out"), "-q", "--no-plot"]) == 0
    assert capsys.readouterr().out == ""
    doc = json.loads((tmp_path / "out" / "arrhenius.json").read_text())
    assert "scaled by the reduced chi-square" in doc["uncertainties"]
    assert not (tmp_path / "out" / "arrhenius.png").exists()


D, T_EX = 2e-15, 8 * 3600.0


def profile_csv(path, noise=0.003, n=120):
    x = np.linspace(0.0, 7 * math.sqrt(D * T_EX), n)
    chi = erfc(x / (2 * math.sqrt(D * T_EX))) + noise * np.random.default_rng(1).standard_normal(n)
    path.write_text(
        "depth_um,frac_K\n" + "".join(f"{a * 1e6:.6f},{c:.6f}\n" for a, c in zip(x, chi))
    )
    return path


@pytest.mark.parametrize("method", ["matano", "sauer-freise"])
def test_matano_writes_a_recipe_table_and_prints_d(tmp_path, capsys, method):
    prof = profile_csv(tmp_path / "p.csv")
    out_dir = tmp_path / "out"
    plot = [] if method == "matano" else ["--no-plot"]  # one figure is enough
    assert (
        main(["matano", str(prof), "--time", "8 h", "-o", str(out_dir), "--method", method, *plot])
        == 0
    )
    out = capsys.readouterr().out
    assert "D̃ (m²/s)" in out and "reliable for frac_K" in out
    for name in ("interdiffusion.csv", "matano.csv"):
        assert (out_dir / name).exists()
    assert (out_dir / "matano.png").exists() is (method == "matano")
    # the table goes straight into a recipe, and the recipe runs
    (tmp_path / "r.toml").write_text(
        textwrap.dedent(f"""
        [glass]
        host_ion = "Na"
        total_mobile = "10.9 mol/L"
        [ions.K]
        D = "1e-15 m^2/s"
        [ions.Na]
        D = "1e-14 m^2/s"
        [model]
        interdiffusion_table = "{(out_dir / "interdiffusion.csv").as_posix()}"
        [[step]]
        bath = {{ K = 1.0 }}
        temperature = "420 degC"
        duration = "8 h"
        """)
    )
    assert (
        main(["run", str(tmp_path / "r.toml"), "-o", str(tmp_path / "run"), "-q", "--no-plot"]) == 0
    )
    _, coefficients = read_interdiffusion_table(out_dir / "interdiffusion.csv")
    # constant D = 2e-15 m²/s recovered within the noise-limited accuracy: the reliable rows to
    # 2.7 % (measured; bound 5 %), the two extrapolated ends to 8.3 % (bound 15 %)
    np.testing.assert_allclose(coefficients[1:-1], D, rtol=0.05)
    np.testing.assert_allclose([coefficients[0], coefficients[-1]], D, rtol=0.15)


def test_matano_on_ionex_profiles_csv_with_time_and_column(tmp_path, capsys):
    """The output of ionex run, analysed at one of its times, interpolated (noise-free)."""
    (tmp_path / "r.toml").write_text(
        textwrap.dedent("""
        [glass]
        host_ion = "Na"
        total_mobile = "10.9 mol/L"
        [ions.K]
        D = "2e-15 m^2/s"
        [ions.Na]
        D = "2e-15 m^2/s"
        [[step]]
        bath = { K = 1.0 }
        temperature = "420 degC"
        duration = "8 h"
        [output]
        times = ["2 h"]
        """)
    )
    assert (
        main(["run", str(tmp_path / "r.toml"), "-o", str(tmp_path / "run"), "-q", "--no-plot"]) == 0
    )
    assert (
        main(
            [
                "matano",
                str(tmp_path / "run" / "profiles.csv"),
                "--time",
                "120 min",
                "--column",
                "frac_K",
                "--smoothing",
                "none",
                "-o",
                str(tmp_path / "m"),
                "-q",
            ]
        )
        == 0
    )
    _, coefficients = read_interdiffusion_table(tmp_path / "m" / "interdiffusion.csv")
    # equal D_A = D_B: D̃ = 2e-15 everywhere; the simulated profile (default accuracy, 1e-4
    # in the depth of χ = 0.5) gives it to 3e-4 (measured); bound 3e-3, 10× for changes of
    # the solver within its stated accuracy
    np.testing.assert_allclose(coefficients, 2e-15, rtol=3e-3)


BAD = [
    (
        "arrhenius",
        "temperature_C,D_m2_s\n400,1e-15\n430,2e-15\n",
        [],
        ["found 2 data point", "at least 3"],
    ),
    (
        "arrhenius",
        "temperature_C,D_m2_s\n400,1e-15\n430,NaN\n460,3e-15\n",
        [],
        ["line 3", "D_m2_s = 'NaN'", "finite"],
    ),
    (
        "arrhenius",
        "temperature_C,D_m2_s\n400,1e-15\n430,-2e-15\n460,3e-15\n",
        [],
        ["line 3", "> 0 m^2/s"],
    ),
    (
        "arrhenius",
        "temperature_K,D_m2_s\n-5,1e-15\n430,2e-15\n460,3e-15\n",
        [],
        ["line 2", "temperature_K = '-5'", "> 0 K"],
    ),
    ("arrhenius", "temp,D_m2_s\n400,1e-15\n", [], ["line 1", "temperature_C or temperature_K"]),
    (
        "matano",
        "depth_um,frac_K\n0,1\n1,0.5\n2,0.2\n",
        ["--time", "8 h"],
        ["found 3 profile point", "at least 10"],
    ),
    ("matano", "depth_um,frac_K\n0,1\n1,nan\n", ["--time", "8 h"], ["line 3", "frac_K = 'nan'"]),
    (
        "matano",
        "depth_um,frac_K\n0,1\n2,0.5\n1,0.2\n",
        ["--time", "8 h"],
        ["line 4", "expected depths increasing"],
    ),
    (
        "matano",
        "depth_um,frac_K\n" + "".join(f"{i},{max(1 - i / 5, 0.3)}\n" for i in range(20)),
        ["--time", "8 h"],
        ["does not reach the bulk"],
    ),
    ("matano", "depth_um,frac_K\n0,1\n", ["--time", "8"], ["--time", "no unit"]),
    (
        "matano",
        "depth_um,frac_K\n0,1\n",
        ["--time", "8 h", "--smoothing", "lots"],
        ["--smoothing", "gcv, none"],
    ),
]


@pytest.mark.parametrize("command, content, extra, words", BAD)
def test_bad_input_exits_2_with_one_message(tmp_path, capsys, command, content, extra, words):
    p = tmp_path / "in.csv"
    p.write_text(content)
    assert main([command, str(p), "-o", str(tmp_path / "o"), *extra]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ionex: error: "), lines
    for w in words:
        assert w in lines[0], lines[0]
