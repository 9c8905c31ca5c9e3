"""`ionex modes` on what ionex writes and on measured tables: one time of a run's profiles,
the front guide of a plate, an index made from a fraction with a material, zero modes
explained, and one clear line for every profile that is not a guide."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from ionex.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def bk7_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bk7")
    assert main(["run", str(EXAMPLES / "bk7_k_na_91h.toml"), "-o", str(out), "-q", "--no-plot"]) == 0
    return out


def mode_table(path):
    rows = [line.split(",") for line in Path(path).read_text().splitlines()[1:]]
    return {pol: np.array([float(r[2]) for r in rows if r[0] == pol]) for pol in ("TE", "TM")}


def test_modes_of_a_run_reproduce_the_runs_modes(bk7_run, tmp_path, capsys):
    """`ionex run` → `ionex modes out/profiles.csv`: the last time, the front half of the plate,
    the cells extrapolated to the surface — the run's own modes to the 10 digits written."""
    assert main(["modes", str(bk7_run / "profiles.csv"), "--wavelength", "677 nm", "--prism", "PSK-3",
                 "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "holds 3 times; the profile at 91 h is solved (the last; choose with --time)" in out
    assert "plate exchanged on both faces" in out and "mid-plane at 0.75 mm" in out
    mine, run = mode_table(tmp_path / "modes.csv"), mode_table(bk7_run / "modes.csv")
    for pol in ("TE", "TM"):
        assert mine[pol].size == run[pol].size >= 10
        assert np.max(np.abs(mine[pol] - run[pol])) < 2e-9
    head = (tmp_path / "modes.csv").read_text().splitlines()[0]
    assert head == (bk7_run / "modes.csv").read_text().splitlines()[0]


def test_an_earlier_time_of_the_run(bk7_run, tmp_path):
    ds = xr.open_dataset(bk7_run / "result.nc")
    assert main(["modes", str(bk7_run / "profiles.csv"), "--wavelength", "677 nm", "--time", "24 h", "-q",
                 "-o", str(tmp_path)]) == 0
    mine = mode_table(tmp_path / "modes.csv")
    assert mine["TE"].size == int(ds["mode_count_TE"][0]) and mine["TM"].size == int(ds["mode_count_TM"][0])


def test_fraction_and_stress_with_a_material_give_the_same_modes(bk7_run, tmp_path, capsys):
    """The run's fraction and stress columns alone, turned into n_TE/n_TM with the BK7 preset
    that the run itself used: the same modes."""
    lines = (bk7_run / "profiles.csv").read_text().splitlines()
    keep = [0, 1, 2, 3, 4]  # time_s, depth_m, frac_K, frac_Na, stress_Pa
    assert lines[0].split(",")[:5] == ["time_s", "depth_m", "frac_K", "frac_Na", "stress_Pa"]
    src = tmp_path / "composition.csv"
    src.write_text("\n".join(",".join(line.split(",")[k] for k in keep) for line in lines) + "\n")
    assert main(["modes", str(src), "--material", "BK7", "-o", str(tmp_path / "m")]) == 0
    assert "n_TE, n_TM from frac_K and stress_Pa with the BK7 (677 nm) preset" in capsys.readouterr().out
    mine, run = mode_table(tmp_path / "m" / "modes.csv"), mode_table(bk7_run / "modes.csv")
    for pol in ("TE", "TM"):
        assert mine[pol].size == run[pol].size and np.max(np.abs(mine[pol] - run[pol])) < 2e-9


def test_a_guide_below_cut_off_has_zero_modes_and_says_why(tmp_path, capsys):
    prof = tmp_path / "weak.csv"
    prof.write_text("depth_um,n\n0,1.51372\n1,1.51372\n1.000001,1.5137\n30,1.5137\n")
    assert main(["modes", str(prof), "--wavelength", "677 nm", "-o", str(tmp_path / "m")]) == 0
    out = capsys.readouterr().out
    assert "TE: 0 guided modes — the index rise 2e-05 above the substrate (1.513700) is below the cut-off of " \
           "the first TE mode" in out
    assert (tmp_path / "m" / "modes.csv").read_text() == "polarisation,order,effective_index\n"


@pytest.mark.parametrize(
    "content, args, words",
    [
        ("depth_um,n_TE\n0,0.9\n10,0.8\n20,0.8\n", [], ["lies below the cover index"]),
        ("depth_um,n\n0,1.5137\n10,1.5137\n", [], ["never rises above the substrate"]),
        ("depth_um,n\n0,1.524\n5,1.52\n10,1.516\n", [], ["has not reached its substrate", "substrate index"]),
        ("depth_um,n\n0,1.524\n10,1.5137\n20,1.5137\n30,1.53\n", [], ["rises again", "not the mirror image"]),
        ("depth_um,n\n0,1.524\n10,1.5137\n20,1.5137\n", ["--material", "BK7"], ["--material", "already holds"]),
        ("depth_um,frac_K\n0,1\n10,0\n20,0\n", [], ["no index", "--material"]),
        ("time_s,depth_m,n\n10,0,1.52\n10,1e-5,1.5137\n10,2e-5,1.5137\n", ["--time", "1 h"],
         ["no profile at 1 h", "times 0.00277778 h"]),
        ("depth_um,n\n0,1.524\n10,1.5137\n20,1.5137\n", ["--cover", "nan"], ["--cover", "≥ 1"]),
        ("depth_um,n\n0,1.524\n10,1.5137\n20,1.5137\n", ["--wavelength", "677"], ["--wavelength"]),
    ],
)
def test_profiles_that_are_not_a_guide_get_one_clear_line(tmp_path, content, args, words):
    data = tmp_path / "data.csv"
    data.write_text(content)
    wavelength = [] if "--wavelength" in args or "--material" in args else ["--wavelength", "677 nm"]
    proc = subprocess.run([sys.executable, "-m", "ionex.cli", "modes", str(data), *wavelength, *args,
                           "-o", str(tmp_path / "o")], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    line = proc.stderr.strip()
    assert line.startswith("ionex: error: ") and "\n" not in line and "Traceback" not in line
    for w in words:
        assert w in line, line
