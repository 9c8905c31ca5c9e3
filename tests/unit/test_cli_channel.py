"""`ionex run` of a channel recipe (a [mask]) and `ionex modes2d`: the files, the 2-D
result.nc (dims time, x, y) read back equal to the run in memory, one clear line for what
they cannot do."""

import netCDF4
import numpy as np
import pytest

from ionex.cli import main
from ionex.io.recipe import load_recipe
from ionex.process.channel import run_channel

RECIPE = """
name = "small channel"
[glass]
host_ion = "Na"
total_mobile = "6.48 mol/L"
[ions.K]
D0 = "5.61e-7 m^2/s"
Q = "125 kJ/mol"
[ions.Na]
D0 = "5.61e-6 m^2/s"
Q = "125 kJ/mol"
[[step]]
bath = { K = 1.0 }
temperature = "400 degC"
duration = "6 h"
[mask]
opening = "4 um"
depth_cells = 50
lateral_cells = 70
[stress]
material = "BK7"
[optics]
material = "BK7"
"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    base = tmp_path_factory.mktemp("channel")
    path = base / "channel.toml"
    path.write_text(RECIPE)
    out = base / "out"
    assert main(["run", str(path), "-o", str(out), "-q"]) == 0
    return path, out


def test_run_writes_the_cross_section_and_its_modes(run_dir):
    path, out = run_dir
    for name in ("result.nc", "modes.csv", "channel.png", "modes.png"):
        assert (out / name).stat().st_size > 0, name
    ref = run_channel(load_recipe(path))
    with netCDF4.Dataset(out / "result.nc") as nc:
        assert nc["frac_K"].dimensions == ("time", "x", "y")
        np.testing.assert_array_equal(nc["frac_K"][:], ref.fractions)
        np.testing.assert_array_equal(nc["stress_zz"][:], ref.stress.sigma_zz)
        np.testing.assert_array_equal(nc["n_TE"][:], ref.index_te)
        te = np.asarray(nc["n_eff_TE"][:])
        assert nc.getncattr("mask_opening_m") == pytest.approx(4e-6)
        assert "[mask]" in nc.getncattr("recipe")
    np.testing.assert_array_equal(te, ref.modes.effective_indices("TE", guided_only=True))
    rows = (out / "modes.csv").read_text().splitlines()
    assert rows[0] == "polarisation,order,effective_index,guided" and len(rows) > 2


def test_modes2d_recomputes_the_run_s_modes(run_dir, tmp_path, capsys):
    _, out = run_dir
    again = tmp_path / "modes"
    assert main(["modes2d", str(out), "-o", str(again)]) == 0
    assert (again / "modes.csv").read_text() == (out / "modes.csv").read_text()
    assert "TE:" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, words",
    [
        (["modes2d", "{empty}", "-o", "{tmp}/m"], "no result.nc"),
        (["modes2d", "{out}", "-o", "{tmp}/m", "--wavelength", "5 um"], "no guided mode"),
        (["modes2d", "{out}", "-o", "{tmp}/m", "--wavelength", "5"], "--wavelength"),
        (["run", "{recipe}", "-o", "{tmp}/r", "--sims", "{recipe}"], "--sims applies to 1-D"),
        (["sweep", "{sweep}", "-o", "{tmp}/s"], "has a [mask]"),
    ],
)
def test_what_channels_cannot_do_is_one_line_exit_2(run_dir, tmp_path, capsys, argv, words):
    path, out = run_dir
    (tmp_path / "empty").mkdir()
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(
        f'recipe = "{path}"\n[[parameter]]\npath = "step[1].duration"\nvalues = ["2 h", "4 h"]\n'
    )
    subs = {"{empty}": tmp_path / "empty", "{tmp}": tmp_path, "{out}": out, "{recipe}": path,
            "{sweep}": sweep}  # fmt: skip
    args = []
    for a in argv:
        for k, v in subs.items():
            a = a.replace(k, str(v))
        args.append(a)
    assert main(args) == 2
    errors = [x for x in capsys.readouterr().err.splitlines() if x.startswith("ionex: error")]
    assert len(errors) == 1 and words in errors[0], errors
