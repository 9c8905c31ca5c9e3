"""``ionex fit``: end to end on temporary files, on a one-worker local dask cluster and
serially (same numbers), outputs that re-parse, and clean errors."""

import json
import textwrap

import numpy as np
import pytest

from ionex.cli import main
from ionex.io.recipe import load_recipe
from ionex.process.properties import front_profile
from ionex.process.simulate import simulate

RECIPE = textwrap.dedent(
    """
    name = "cli fit test"
    [glass]
    host_ion = "Na"
    total_mobile = "10.9 mol/L"
    [ions.K]
    D = "3e-15 m^2/s"       # the start: the truth below is 1e-15
    [ions.Na]
    D = "1e-14 m^2/s"
    [[step]]
    bath = { K = 0.8 }      # the truth is 0.9
    temperature = "420 degC"
    duration = "2 h"
    [numerics]
    cells_per_efold = 20
    """
)

FIT = textwrap.dedent(
    """
    title = "K profile at 420 degC"
    recipe = "recipe.toml"
    [[parameter]]
    path = "ions.K.D"
    min = "1e-17 m^2/s"
    max = "1e-13 m^2/s"
    log = true
    [[parameter]]
    path = "step[1].bath.K"
    min = 0.3
    max = 1.0
    [[dataset]]
    kind = "profile"
    file = "k.csv"
    time = "2 h"
    column = "frac_K"
    sigma = 0.01
    """
)

TRUE_D, TRUE_SURFACE = 1e-15, 0.9


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fit")
    (tmp / "recipe.toml").write_text(RECIPE)
    truth = RECIPE.replace('"3e-15 m^2/s"', '"1e-15 m^2/s"').replace("K = 0.8", "K = 0.9")
    (tmp / "truth.toml").write_text(truth)
    result = simulate(load_recipe(tmp / "truth.toml"))
    depth = np.linspace(0.2e-6, 8e-6, 30)
    x, chi = front_profile(result, -1)
    noisy = np.interp(depth, x, chi) + 0.01 * np.random.default_rng(5).standard_normal(depth.size)
    (tmp / "k.csv").write_text(
        "# synthetic EPMA profile\ndepth_um,frac_K\n"
        + "".join(f"{a * 1e6:.4f},{b:.5f}\n" for a, b in zip(depth, noisy))
    )
    (tmp / "fit.toml").write_text(FIT)
    return tmp


def test_fit_on_a_local_cluster_writes_outputs_and_matches_the_serial_fit(files, capsys):
    out = files / "out"
    assert main(["fit", str(files / "fit.toml"), "-o", str(out), "--workers", "1"]) == 0
    printed = capsys.readouterr().out
    assert "ions.K.D" in printed and "m^2/s" in printed and "reduced chi-square" in printed
    report = (out / "fit_report.txt").read_text()
    assert "[[Variables]]" in report and "m^2/s +/-" in report and "[[Correlations]]" in report
    assert (out / "fit.png").read_bytes()[:4] == b"\x89PNG"
    js = json.loads((out / "fit.json").read_text())
    assert js["success"] and js["n_data"] == 30 and js["n_params"] == 2 and js["n_forward_runs"] > 0
    assert js["wall_time_s"] > 0 and js["warnings"] == []
    d, s = js["parameters"]
    assert (d["path"], d["unit"], s["unit"]) == ("ions.K.D", "m^2/s", "")
    assert d["start"] == pytest.approx(3e-15)  # the recipe's value
    # one seeded draw: the truth within 3 standard errors
    assert (
        abs(d["value"] - TRUE_D) < 3 * d["stderr"]
        and abs(s["value"] - TRUE_SURFACE) < 3 * s["stderr"]
    )
    assert -1 < js["correlations"]["ions.K.D"]["step[1].bath.K"] < 1
    # the fitted recipe re-parses and holds the fitted values in the fields' units
    text = (out / "fitted_recipe.toml").read_text()
    assert text.startswith("# Fitted by ionex") and str(files / "fit.toml") in text
    fitted = load_recipe(out / "fitted_recipe.toml")
    assert fitted.model.incoming(693.15) == pytest.approx(d["value"], rel=1e-7)
    assert fitted.steps[0].surface_fraction == pytest.approx(s["value"], rel=1e-7)
    # the serial path gives the same numbers (each forward run is a pure function)
    assert (
        main(["fit", str(files / "fit.toml"), "-o", str(files / "serial"), "--serial", "-q"]) == 0
    )
    serial = json.loads((files / "serial" / "fit.json").read_text())
    for a, b in zip(js["parameters"], serial["parameters"]):
        assert a["value"] == b["value"] and a["stderr"] == b["stderr"]


def test_bad_fit_file_exits_2_with_one_line(files, capsys):
    bad = files / "bad.toml"
    bad.write_text(FIT.replace('path = "ions.K.D"', 'path = "ions.K.Q"'))
    assert main(["fit", str(bad), "-o", str(files / "bad_out"), "--serial"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"ionex: error: {bad}, line 5: parameter[1].path: 'ions.K.Q' is not a field of this recipe"
    )
    assert "Traceback" not in err and not (files / "bad_out").exists()


def test_serial_and_cluster_options_conflict(files, capsys):
    assert (
        main(["fit", str(files / "fit.toml"), "-o", str(files / "x"), "--serial", "--workers", "2"])
        == 2
    )
    assert "--serial runs without a cluster" in capsys.readouterr().err


def test_a_small_fit_runs_serially_by_itself_and_says_so(files, capsys, monkeypatch):
    """No --serial, --workers or --scheduler: this fit (one forward run ~10 ms, 4 per
    Jacobian) would lose time to a cluster's start, so none is started; the output and the
    report say what was chosen and why, and the numbers are those of --serial."""
    import ionex.process.cluster as cluster

    def no_cluster(*args, **kwargs):
        raise AssertionError("a local cluster was started for a small fit")

    monkeypatch.setattr(cluster, "open_client", no_cluster)
    assert main(["fit", str(files / "fit.toml"), "-o", str(files / "auto")]) == 0
    printed = capsys.readouterr().out
    assert (
        "forward runs: serial in this process, chosen automatically: a forward run takes" in printed
    )
    js = json.loads((files / "auto" / "fit.json").read_text())
    assert js["execution"].startswith("serial in this process, chosen automatically")
    report = (files / "auto" / "fit_report.txt").read_text()
    assert "    forward runs ran   = serial in this process, chosen automatically" in report
    assert (
        main(["fit", str(files / "fit.toml"), "-o", str(files / "serial_too"), "--serial", "-q"])
        == 0
    )
    serial = json.loads((files / "serial_too" / "fit.json").read_text())
    assert serial["execution"] == "serial in this process"
    for a, b in zip(js["parameters"], serial["parameters"]):
        assert a["value"] == b["value"] and a["stderr"] == b["stderr"]


def test_fit_and_sweep_help_tell_their_options_apart(capsys):
    for command in ("fit", "sweep"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert "--serial no dask: every" in text and "in this process" in text
    assert "--unbatched simulate each run alone" in text and "--one-by-one" not in text
