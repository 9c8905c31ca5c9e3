"""The command line: outputs, summary, and one clear message (no traceback) on bad input."""

import io
import math
import subprocess
from pathlib import Path
import sys
import textwrap

import numpy as np
import pytest
import xarray as xr

from ionex.cli import main

RECIPE = textwrap.dedent(
    """
    name = "cli test"
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
    [output]
    times = ["1 h", "4 h"]
    """
)


def test_run_writes_csv_netcdf_png_and_prints_summary(tmp_path, capsys):
    recipe = tmp_path / "r.toml"
    recipe.write_text(RECIPE)
    assert main(["run", str(recipe), "-o", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "depth frac_K=0.5" in out and "(µm)" in out and "(mol/m²)" in out
    csv = np.genfromtxt(tmp_path / "out" / "profiles.csv", delimiter=",", names=True)
    assert csv.dtype.names == ("time_s", "depth_m", "frac_K", "frac_Na")
    assert sorted(set(csv["time_s"])) == [3600.0, 14400.0, 28800.0]
    ds = xr.open_dataset(tmp_path / "out" / "result.nc")
    assert ds["frac_K"].shape == (3, csv.size // 3)
    assert "total_mobile" in ds.attrs["recipe"]
    # the summary's depth at 8 h is the dataset's, in µm
    assert f"{ds['depth_frac_0.5'].values[-1] * 1e6:.4g}" in out
    ds.close()
    assert (tmp_path / "out" / "profiles.png").read_bytes()[:4] == b"\x89PNG"


def test_failed_run_keeps_previous_outputs(tmp_path):
    recipe = tmp_path / "r.toml"
    recipe.write_text(RECIPE)
    out = tmp_path / "out"
    assert main(["run", str(recipe), "-o", str(out), "-q"]) == 0
    before = (out / "profiles.csv").read_bytes()
    recipe.write_text(RECIPE.replace('"8 h"', "8"))
    assert main(["run", str(recipe), "-o", str(out), "-q"]) == 2
    assert (out / "profiles.csv").read_bytes() == before
    assert not list(out.glob("*.part"))


@pytest.mark.parametrize(
    "edit, words",
    [
        (
            ('duration = "8 h"', 'durration = "8 h"'),
            ["line 13", "step[1].durration", "unknown key"],
        ),
        (('duration = "8 h"', "duration = 8"), ["line 13", "step[1].duration", "no unit"]),
        (('D = "1e-15 m^2/s"', 'D = "0 m^2/s"'), ["line 7", "ions.K.D", "> 0"]),
        (
            ('temperature = "420 degC"', 'temperature = { log = "missing.csv" }'),
            ["missing.csv", "no such file"],
        ),
    ],
)
def test_bad_input_exits_nonzero_with_one_message(tmp_path, edit, words):
    recipe = tmp_path / "bad.toml"
    recipe.write_text(RECIPE.replace(*edit))
    proc = subprocess.run(
        [sys.executable, "-m", "ionex.cli", "run", str(recipe), "-o", str(tmp_path / "o")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ionex: error: ")
    assert str(recipe) in lines[0] or "missing.csv" in lines[0]
    for w in words:
        assert w in lines[0], lines[0]


def test_unwritable_output_directory(tmp_path, capsys):
    recipe = tmp_path / "r.toml"
    recipe.write_text(RECIPE)
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert main(["run", str(recipe), "-o", str(blocker / "out"), "-q"]) == 2
    assert "cannot create the output directory" in capsys.readouterr().err


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_on_a_terminal_only_for_runs_longer_than_its_delay():
    from ionex.cli import ProgressBar

    for delay, shown in ((1.0, False), (0.0, True)):
        stream = _Terminal()
        bar = ProgressBar(delay=delay, stream=stream)
        bar.initialize(8 * 3600.0)
        for t in (3600.0, 4 * 3600.0, 8 * 3600.0):
            bar.handle(t, None)
        bar.finalize()
        assert ("8/8 h process time" in stream.getvalue()) is shown, stream.getvalue()


def test_progress_in_a_log_is_a_line_per_tenth_not_a_redraw_per_step():
    """Not a terminal (a log file, a pipe): at most one line per tenth of the run, whatever the
    number of solver steps; an open-ended run (stopped at a charge) writes every 30 s."""
    from ionex.cli import ProgressBar

    log = io.StringIO()
    bar = ProgressBar(delay=0.0, stream=log)
    bar.initialize(91 * 3600.0)
    for t in np.linspace(0.0, 91 * 3600.0, 2000):
        bar.handle(t, None)
    bar.finalize()
    lines = log.getvalue().splitlines()
    assert len(lines) == 10 and "\r" not in log.getvalue()
    assert lines[0].startswith("progress: 10 % (9.1") and lines[-1].startswith(
        "progress: 100 % (91 of 91 h"
    )
    open_ended = io.StringIO()
    bar = ProgressBar(delay=0.0, stream=open_ended)
    bar.initialize(math.inf)
    for t in range(500):
        bar.handle(60.0 * t, None)
    assert open_ended.getvalue() == ""  # all within the first 30 s of wall time


def _profile_csv(path, n_surface=1.525, base=1.5137, width_um=8.0, points=400):
    depth = np.linspace(0.0, 6 * width_um, points)
    n = base + (n_surface - base) * np.exp(-((depth / width_um) ** 2))
    path.write_text(
        "depth_um,n_TE,n_TM\n"
        + "".join(
            f"{x:.8g},{v:.10f},{v + 5e-4 * np.exp(-((x / width_um) ** 2)):.10f}\n"
            for x, v in zip(depth, n)
        )
    )
    return path


def test_modes_then_iwkb_chain(tmp_path, capsys):
    prof = _profile_csv(tmp_path / "profile.csv")
    assert (
        main(
            [
                "modes",
                str(prof),
                "--wavelength",
                "677 nm",
                "--prism",
                "PSK-3",
                "-o",
                str(tmp_path / "m"),
            ]
        )
        == 0
    )
    rows = (tmp_path / "m" / "modes.csv").read_text().splitlines()
    assert rows[0] == "polarisation,order,effective_index,synchronous_angle_deg"
    te = [float(r.split(",")[2]) for r in rows[1:] if r.startswith("TE")]
    assert len(te) >= 3 and all(a > b for a, b in zip(te, te[1:]))
    assert (
        main(
            [
                "iwkb",
                str(tmp_path / "m" / "modes.csv"),
                "--wavelength",
                "677 nm",
                "--material",
                "BK7",
                "-o",
                str(tmp_path / "r"),
            ]
        )
        == 0
    )
    rec = np.genfromtxt(
        tmp_path / "r" / "profile.csv", delimiter=",", names=True, dtype=None, encoding="utf-8"
    )
    te_rows = rec[rec["polarisation"] == "TE"]
    # the reconstructed TE surface index lies near the true 1.525 (Chiang: a few % of Δn)
    assert te_rows["n"][0] == pytest.approx(1.525, abs=0.1 * (1.525 - 1.5137))
    assert (tmp_path / "r" / "stress.csv").exists()


@pytest.mark.parametrize(
    "command, content, words",
    [
        (
            "iwkb",
            "polarisation,order,effective_index\nTE,0,1.518\nTE,1,1.520\n",
            ["not below mode 0"],
        ),
        ("iwkb", "order,effective_index\n0,1.52\n", ["polarisation"]),
        ("iwkb", "polarisation,order,synchronous_angle_deg\nTE,0,89.0\n", ["line 2"]),
    ],
)
def test_modes_and_iwkb_bad_input(tmp_path, command, content, words):
    data = tmp_path / "data.csv"
    data.write_text(content)
    extra = ["--prism", "PSK-3"] if "synchronous" in content else []
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ionex.cli",
            command,
            str(data),
            "--wavelength",
            "677 nm",
            *extra,
            "-o",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    line = proc.stderr.strip()
    assert line.startswith("ionex: error: ") and str(data) in line and "\n" not in line
    for w in words:
        assert w in line, line


NPP_BATH = """
[model]
kind = "nernst-planck-poisson"
[sample]
thickness = "10 um"
area = "1 mm^2"
background_density = "1.4e28 m^-3"
relative_permittivity = 8
temperature = "50 degC"
[species.Li]
initial_fraction = 1.0
D = "1e-18 m^2/s"
[species.Rb]
D = "1e-19 m^2/s"
[[step]]
kind = "bath"
surface = { Rb = 0.8, Li = 0.2 }
duration = "10 min"
"""


COARSE = """
[numerics]
zone_cell = "2 nm"
"""


def test_npp_run_with_sims_overlay(tmp_path, capsys):
    recipe = tmp_path / "bath.toml"
    recipe.write_text(NPP_BATH)
    sims = Path(__file__).resolve().parents[1] / "data" / "sims_first_cait.csv"
    args = [
        "run",
        str(recipe),
        "-o",
        str(tmp_path / "o"),
        "--sims",
        str(sims),
        "--crater-depth",
        "120 nm",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Nernst–Planck–Poisson" in out and "species Li, Rb" in out
    assert (tmp_path / "o" / "profiles.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "o" / "current.csv").exists()
    assert main(["run", str(recipe), "-o", str(tmp_path / "p"), "--sims", str(sims), "-q"]) == 2
    assert "--crater-depth" in capsys.readouterr().err


def test_npp_run_with_sims_and_roughness_overlays_and_writes_the_measured_profiles(tmp_path):
    from ionex.physics.depth_resolution import GaussianResolution, convolve_profile

    recipe = tmp_path / "bath.toml"
    recipe.write_text(NPP_BATH.replace('thickness = "10 um"', 'thickness = "2 um"') + COARSE)
    sims = Path(__file__).resolve().parents[1] / "data" / "sims_first_cait.csv"
    out = tmp_path / "o"
    argv = ["run", str(recipe), "-o", str(out), "-q", "--sims", str(sims)]
    assert main([*argv, "--crater-depth", "120 nm", "--roughness", "10 nm"]) == 0
    assert (out / "profiles.png").read_bytes()[:4] == b"\x89PNG"
    table = np.genfromtxt(out / "profiles_convolved.csv", delimiter=",", names=True)
    assert table.dtype.names == ("depth_m", "frac_Li", "frac_Rb")
    assert table["depth_m"].max() <= 120e-9 and table["depth_m"].size > 10
    # the physics function on the final profile of profiles.csv, at the same depths
    profiles = np.genfromtxt(out / "profiles.csv", delimiter=",", names=True)
    final = profiles[profiles["time_s"] == profiles["time_s"].max()]
    # fractions summing to 1 (to the model's space charge) still do as measured
    off = np.max(np.abs(final["frac_Li"] + final["frac_Rb"] - 1))
    assert np.max(np.abs(table["frac_Li"] + table["frac_Rb"] - 1)) <= off < 1e-4
    expected = convolve_profile(
        final["depth_m"], final["frac_Rb"], GaussianResolution(10e-9), table["depth_m"]
    )
    assert np.allclose(table["frac_Rb"], expected, rtol=0, atol=1e-8)
    # roughening smooths the exchanged front: shallower Rb falls, deeper Rb rises
    raw = np.interp(table["depth_m"], final["depth_m"], final["frac_Rb"])
    assert table["frac_Rb"][0] < raw[0] and table["frac_Rb"][-1] >= raw[-1]


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--roughness", "20 nm"], ["--roughness applies only with --sims", "'20 nm'"]),
        (["--sims", "S", "--crater-depth", "120 nm", "--roughness", "-5 nm"], ["-5 nm", "> 0"]),
        (["--sims", "S", "--crater-depth", "120 nm", "--roughness", "0 nm"], ["0 nm", "> 0"]),
        (["--sims", "S", "--crater-depth", "120 nm", "--roughness", "20 s"], ["--roughness"]),
    ],
)
def test_roughness_is_refused_without_sims_or_unless_a_positive_length(
    tmp_path, capsys, extra, words
):
    recipe = tmp_path / "bath.toml"
    recipe.write_text(NPP_BATH + COARSE)
    sims = Path(__file__).resolve().parents[1] / "data" / "sims_first_cait.csv"
    extra = [str(sims) if e == "S" else e for e in extra]
    assert main(["run", str(recipe), "-o", str(tmp_path / "o"), *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ionex: error: ") and "Traceback" not in err
    for w in words:
        assert w in err, err
    assert not (tmp_path / "o" / "profiles.csv").exists()


def test_python_dash_m_ionex_is_the_ionex_command(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "ionex", "--version"], capture_output=True, text=True
    )
    assert proc.returncode == 0 and proc.stdout.startswith("ionex ")
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "ionex",
            "modes",
            str(tmp_path / "missing.csv"),
            "--wavelength",
            "677 nm",
            "-o",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert (
        bad.returncode == 2
        and bad.stderr.startswith("ionex: error: ")
        and "no such file" in bad.stderr
    )


def test_a_reader_that_goes_away_gets_no_traceback(tmp_path):
    """`ionex arrhenius … | true`: the reader is gone before ionex writes; it stops quietly."""
    table = Path(__file__).resolve().parents[2] / "examples" / "data" / "arrhenius_k_soda_lime.csv"
    proc = subprocess.run(
        f"{sys.executable} -m ionex arrhenius {table} -o {tmp_path} --no-plot | true",
        shell=True,
        capture_output=True,
        text=True,
        executable="/bin/bash",
    )
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
    assert (tmp_path / "arrhenius.json").exists()  # the work was done and written
