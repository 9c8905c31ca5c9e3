"""`ionex modes` and `ionex invert` on what ionex writes and on measured tables: one time of
a run's profiles, the front guide of a plate, an index made from a fraction with a material,
zero modes explained, the run → modes → invert chain, and one clear line (in-process) for
every profile that is not a guide and every bad mode list."""

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from ionex.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def bk7_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bk7")
    assert (
        main(["run", str(EXAMPLES / "bk7_k_na_91h.toml"), "-o", str(out), "-q", "--no-plot"]) == 0
    )
    return out


def mode_table(path):
    rows = [line.split(",") for line in Path(path).read_text().splitlines()[1:]]
    return {pol: np.array([float(r[2]) for r in rows if r[0] == pol]) for pol in ("TE", "TM")}


def test_modes_of_a_run_reproduce_the_runs_modes(bk7_run, tmp_path, capsys):
    """`ionex run` → `ionex modes out/profiles.csv`: the last time, the front half of the plate,
    the cells extrapolated to the surface — the run's own modes to the 10 digits written."""
    assert (
        main(
            [
                "modes",
                str(bk7_run / "profiles.csv"),
                "--wavelength",
                "677 nm",
                "--prism",
                "PSK-3",
                "-o",
                str(tmp_path),
            ]
        )
        == 0
    )
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
    assert (
        main(
            [
                "modes",
                str(bk7_run / "profiles.csv"),
                "--wavelength",
                "677 nm",
                "--time",
                "24 h",
                "-q",
                "-o",
                str(tmp_path),
            ]
        )
        == 0
    )
    mine = mode_table(tmp_path / "modes.csv")
    assert mine["TE"].size == int(ds["mode_count_TE"][0]) and mine["TM"].size == int(
        ds["mode_count_TM"][0]
    )


def test_fraction_and_stress_with_a_material_give_the_same_modes(bk7_run, tmp_path, capsys):
    """The run's fraction and stress columns alone, turned into n_TE/n_TM with the BK7 preset
    that the run itself used: the same modes."""
    lines = (bk7_run / "profiles.csv").read_text().splitlines()
    keep = [0, 1, 2, 3, 4]  # time_s, depth_m, frac_K, frac_Na, stress_Pa
    assert lines[0].split(",")[:5] == ["time_s", "depth_m", "frac_K", "frac_Na", "stress_Pa"]
    src = tmp_path / "composition.csv"
    src.write_text("\n".join(",".join(line.split(",")[k] for k in keep) for line in lines) + "\n")
    assert main(["modes", str(src), "--material", "BK7", "-o", str(tmp_path / "m")]) == 0
    assert (
        "n_TE, n_TM from frac_K and stress_Pa with the BK7 (677 nm) preset"
        in capsys.readouterr().out
    )
    mine, run = mode_table(tmp_path / "m" / "modes.csv"), mode_table(bk7_run / "modes.csv")
    for pol in ("TE", "TM"):
        assert mine[pol].size == run[pol].size and np.max(np.abs(mine[pol] - run[pol])) < 2e-9


def test_a_guide_below_cut_off_has_zero_modes_and_says_why(tmp_path, capsys):
    prof = tmp_path / "weak.csv"
    prof.write_text("depth_um,n\n0,1.51372\n1,1.51372\n1.000001,1.5137\n30,1.5137\n")
    assert main(["modes", str(prof), "--wavelength", "677 nm", "-o", str(tmp_path / "m")]) == 0
    out = capsys.readouterr().out
    assert (
        "TE: 0 guided modes — the index rise 2e-05 above the substrate (1.513700) is below the cut-off of "
        "the first TE mode" in out
    )
    assert (tmp_path / "m" / "modes.csv").read_text() == "polarisation,order,effective_index\n"


@pytest.mark.parametrize(
    "content, args, words",
    [
        (
            "depth_um,n_TE\n0,1.3\n10,1.2\n20,1.2\n",
            ["--cover", "1.33"],
            ["--cover: found 1.33", "below 1.3", "lie below the cover index"],
        ),
        ("depth_um,n\n0,1.5137\n10,1.5137\n", [], ["never rises above the substrate"]),
        (
            "depth_um,n\n0,1.524\n5,1.52\n10,1.516\n",
            [],
            ["has not reached its substrate", "substrate index"],
        ),
        (
            "depth_um,n\n0,1.524\n10,1.5137\n20,1.5137\n30,1.53\n",
            [],
            ["rises again", "not the mirror image"],
        ),
        (
            "depth_um,n\n0,1.524\n10,1.5137\n20,1.5137\n",
            ["--material", "BK7"],
            ["--material", "already holds"],
        ),
        ("depth_um,frac_K\n0,1\n10,0\n20,0\n", [], ["no index", "--material"]),
        (
            "time_s,depth_m,n\n10,0,1.52\n10,1e-5,1.5137\n10,2e-5,1.5137\n",
            ["--time", "1 h"],
            ["no profile at 1 h", "times 0.00277778 h"],
        ),
        ("depth_um,n\n0,1.524\n10,1.5137\n20,1.5137\n", ["--cover", "nan"], ["--cover", "≥ 1"]),
        ("depth_um,n\n0,1.524\n10,1.5137\n20,1.5137\n", ["--wavelength", "677"], ["--wavelength"]),
    ],
)
def test_profiles_that_are_not_a_guide_get_one_clear_line(tmp_path, capsys, content, args, words):
    data = tmp_path / "data.csv"
    data.write_text(content)
    wavelength = (
        [] if "--wavelength" in args or "--material" in args else ["--wavelength", "677 nm"]
    )
    assert main(["modes", str(data), *wavelength, *args, "-o", str(tmp_path / "o")]) == 2
    line = capsys.readouterr().err.strip()
    assert line.startswith("ionex: error: ") and "\n" not in line and "Traceback" not in line
    for w in words:
        assert w in line, line


# --------------------------------------------------------------------------- the whole chain


def run_profile(bk7_run, column):
    """The run's profile at its last time, front half of the plate: (depth m, values)."""
    data = np.genfromtxt(bk7_run / "profiles.csv", delimiter=",", names=True)
    last = data[data["time_s"] == data["time_s"].max()]
    front = last["depth_m"] <= 0.75e-3
    return last["depth_m"][front], last[column][front]


def test_run_modes_invert_chain_reproduces_the_runs_index_and_stress(bk7_run, tmp_path, capsys):
    """`ionex run` → its modes.csv → `ionex invert`: n_TE, n_TM within 2e-4 of the run's
    profiles over the depth the modes cover, σ within 15 MPa at every TM turning point (the
    targets; ΔN = 1e-4 is ≈ 36 MPa). The modes of the written profile are the measured ones."""
    assert (
        main(["invert", str(bk7_run / "modes.csv"), "--material", "BK7", "-o", str(tmp_path)]) == 0
    )
    out = capsys.readouterr().out
    assert "model: one-step profile" in out and "stress at the surface" in out
    prof = np.genfromtxt(
        tmp_path / "profile.csv", delimiter=",", names=True, dtype=None, encoding="utf-8"
    )
    report = __import__("json").loads((tmp_path / "inversion.json").read_text())
    turning = {}
    for pol in ("TE", "TM"):
        rows = prof[prof["polarisation"] == pol]
        covered = report["profiles"][pol]["covered_depth_m"]
        x, n = run_profile(bk7_run, f"n_{pol}")
        inside = (rows["depth_m"] > 0) & (rows["depth_m"] <= covered)
        assert np.max(np.abs(rows["n"][inside] - np.interp(rows["depth_m"][inside], x, n))) < 2e-4
        assert np.all(rows["n_stderr"] >= 0)
        # the run's own turning points of its TM modes, where the stress is judged
        modes = mode_table(bk7_run / "modes.csv")[pol]
        turning[pol] = np.array([x[np.nonzero(n >= N)[0][-1]] for N in modes])
    stress = np.genfromtxt(tmp_path / "stress.csv", delimiter=",", names=True)
    x, sigma = run_profile(bk7_run, "stress_Pa")
    fitted = np.interp(turning["TM"], stress["depth_m"], stress["stress_Pa"])
    assert np.max(np.abs(fitted - np.interp(turning["TM"], x, sigma))) < 15e6
    # and the fitted profile, written down to its substrate, guides the measured modes again
    assert (
        main(
            [
                "modes",
                str(tmp_path / "profile.csv"),
                "--wavelength",
                "677 nm",
                "-q",
                "-o",
                str(tmp_path / "m"),
            ]
        )
        == 0
    )
    again, measured = mode_table(tmp_path / "m" / "modes.csv"), mode_table(bk7_run / "modes.csv")
    for pol in ("TE", "TM"):
        assert (
            again[pol].size == measured[pol].size
            and np.max(np.abs(again[pol] - measured[pol])) < 2e-6
        )
    assert (tmp_path / "inversion.png").read_bytes()[:4] == b"\x89PNG"


def test_iwkb_is_invert_with_the_iwkb_method(tmp_path):
    """`ionex iwkb` is `ionex invert --method iwkb`, on the modes of an erfc guide (a shape
    inverse WKB handles)."""
    x = np.linspace(0.0, 80.0, 801)
    erfc_n = (
        1.5137
        + np.array([[0.009, 0.0101]]) * np.vectorize(__import__("math").erfc)(x / 20.0)[:, None]
    )
    table = tmp_path / "erfc.csv"
    table.write_text(
        "depth_um,n_TE,n_TM\n"
        + "".join(f"{a:g},{b:.10f},{c:.10f}\n" for a, (b, c) in zip(x, erfc_n))
    )
    assert (
        main(["modes", str(table), "--wavelength", "677 nm", "-q", "-o", str(tmp_path / "m")]) == 0
    )
    modes = tmp_path / "m" / "modes.csv"
    assert main(["iwkb", str(modes), "--material", "BK7", "-q", "-o", str(tmp_path / "a")]) == 0
    assert (
        main(
            [
                "invert",
                str(modes),
                "--method",
                "iwkb",
                "--material",
                "BK7",
                "-q",
                "-o",
                str(tmp_path / "b"),
            ]
        )
        == 0
    )
    for name in ("profile.csv", "stress.csv"):
        assert (tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text()
    assert (tmp_path / "a" / "profile.csv").read_text().startswith("polarisation,depth_m,n\nTE,0,")
    assert (tmp_path / "a" / "stress.csv").read_text().startswith("depth_m,stress_Pa\n")


def test_iwkb_refuses_the_flat_topped_bk7_guide_with_the_reason(bk7_run, tmp_path, capsys):
    """The BK7 example's profile is flat-topped (D_K/D_Na = 0.1): its TM turning points come out
    of order, and inverse WKB says so instead of returning wrong stresses; the model does not."""
    assert main(["iwkb", str(bk7_run / "modes.csv"), "--material", "BK7", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert (
        "not consistent with an index profile that decreases monotonically" in err
        and "\n" not in err.strip()
    )


MODES = "polarisation,order,effective_index\n" + "".join(
    f"{pol},{m},{n:.7f}\n"
    for pol, values in (
        ("TE", (1.5226, 1.5203, 1.5181, 1.5162, 1.5147)),
        ("TM", (1.5236, 1.5212, 1.5189, 1.5169, 1.5152)),
    )
    for m, n in enumerate(values)
)


@pytest.mark.parametrize(
    "content, args, words",
    [
        (
            "polarisation,order,effective_index\nTE,0,1.518\nTE,1,1.520\nTE,2,1.516\n",
            [],
            ["TE mode 1", "not below mode 0", "fall strictly"],
        ),
        (
            "order,effective_index\n0,1.522\n1,1.518\n0,1.523\n1,1.519\n",
            ["--polarisation", "TE"],
            ["mode 0 appears twice", "mix polarisations"],
        ),
        ("order,effective_index\n0,1.522\n1,1.518\n", [], ["no polarisation column"]),
        (
            "\n".join(MODES.splitlines()[:4] + MODES.splitlines()[6:9]) + "\n",
            ["--family", "two-step"],
            ["two-step", "parameters", "6 modes"],
        ),
        (MODES, ["--substrate-index", "1.515"], ["not above the given substrate index"]),
        (MODES, ["--family", "lorentzian"], ["--family", "expected auto or one of", "erfc"]),
        (
            MODES,
            ["--method", "iwkb", "--index-sigma", "2e-5"],
            ["--index-sigma", "only the model method"],
        ),
        (MODES, ["--surface-index", "smooth"], ["--surface-index", "only inverse WKB"]),
        (MODES, ["--index-sigma", "-1"], ["--index-sigma", "> 0"]),
        (MODES, ["--material", "BK7", "--wavelength", "633 nm"], ["--wavelength", "677 nm"]),
        (MODES, ["--c-parallel", "-0.5e-12 1/Pa"], ["--c-parallel and --c-perp go together"]),
    ],
)
def test_bad_mode_lists_and_options_get_one_clear_line(tmp_path, capsys, content, args, words):
    data = tmp_path / "modes.csv"
    data.write_text(content)
    wavelength = [] if "--material" in args else ["--wavelength", "677 nm"]
    assert main(["invert", str(data), *wavelength, *args, "-o", str(tmp_path / "o")]) == 2
    line = capsys.readouterr().err.strip()
    assert line.startswith("ionex: error: ") and "\n" not in line and "Traceback" not in line
    for w in words:
        assert w in line, line


def test_a_fit_index_dataset_reads_the_inverted_profile_with_its_errors(bk7_run, tmp_path):
    """The fit's `index` dataset reads invert's profile.csv, n_stderr as its sigma column."""
    from ionex.io.fit_file import _read_index

    assert (
        main(
            [
                "invert",
                str(bk7_run / "modes.csv"),
                "--material",
                "BK7",
                "-q",
                "--no-plot",
                "-o",
                str(tmp_path),
            ]
        )
        == 0
    )
    depth, n, sigma, pol = _read_index(tmp_path / "profile.csv", "n_TM", "n_stderr")
    assert pol == "TM" and depth[0] == 0.0 and np.all(np.diff(depth) > 0)
    assert np.all(sigma > 0) and n[0] > n[-1]
