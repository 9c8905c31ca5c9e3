"""`ionex strength` on a result directory and on measured profile tables: the files it
writes, the figures it prints, and one clear line for what it cannot assess.

References: assess_strength called on the same profile (the CLI adds nothing to the
numbers), a half-thickness table equal to the whole-thickness table it was cut from, and
the force-balance imbalance of a table made unbalanced on purpose."""

import json
import textwrap

import numpy as np
import pytest

from ionex.cli import main
from ionex.io.strength_files import read_profile_stress, read_result_stress
from ionex.process.strength import StrengthOptions, assess_strength

RECIPE = textwrap.dedent(
    """
    name = "K/Na plate"
    [glass]
    host_ion = "Na"
    total_mobile = "5 mol/L"
    thickness = "0.7 mm"
    faces = "both"
    [ions.K]
    D = "1e-15 m^2/s"
    [ions.Na]
    D = "1e-14 m^2/s"
    [[step]]
    bath = { K = 1.0 }
    temperature = "420 degC"
    duration = "8 h"
    [stress]
    youngs_modulus = "72 GPa"
    poisson_ratio = 0.22
    dilation = 0.0045
    """
)
T = 0.7e-3


@pytest.fixture(scope="module")
def result_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    (folder / "r.toml").write_text(RECIPE)
    assert main(["run", str(folder / "r.toml"), "-o", str(folder / "out"), "-q", "--no-plot"]) == 0
    return folder / "out"


def _table(path, depth, stress, column="compressive_stress_MPa", sign=-1.0):
    rows = "\n".join(f"{d * 1e6:.9g},{sign * s / 1e6:.12g}" for d, s in zip(depth, stress))
    path.write_text(f"depth_um,{column}\n{rows}\n")
    return path


def test_a_result_directory_is_assessed_as_the_workflow_does(result_dir, tmp_path, capsys):
    out = tmp_path / "s"
    code = main(
        [
            "strength",
            str(result_dir),
            "-o",
            str(out),
            "--kic",
            "0.8 MPa m^0.5",
            "--bending",
            "300 MPa",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "K_Ic = 0.8 MPa·√m; loading: bending" in printed and "frangibility" in printed
    for name in ("strength.csv", "strength.json", "strength.png"):
        assert (out / name).stat().st_size > 0
    table = np.genfromtxt(out / "strength.csv", delimiter=",", names=True)
    assert table.dtype.names == (
        "flaw_depth_m",
        "K_I_Pa_sqrt_m",
        "retained_strength_Pa",
        "annealed_strength_Pa",
    )
    source = read_result_stress(result_dir)
    assert source.thickness == pytest.approx(T) and source.spans_plate
    from ionex.process.strength import Loading

    ref = assess_strength(
        source.depth,
        source.stress,
        T,
        StrengthOptions(toughness=0.8e6, loading=Loading.BENDING, applied_stress=300e6),
        source.glass,
    )
    np.testing.assert_allclose(
        table["retained_strength_Pa"], ref.retained.retained_strength, rtol=1e-9
    )
    summary = json.loads((out / "strength.json").read_text())
    assert summary["toughness_source"] == "given" and summary["loading"] == "bending"
    assert summary["central_tension_Pa"] == pytest.approx(ref.central_tension, rel=1e-12)
    assert summary["tensile_strain_energy_J_m2"] == pytest.approx(ref.tensile_energy, rel=1e-12)
    assert len(summary["frangibility"]) == 3 and summary["critical_flaw_depth_m"] > 0


def test_a_half_thickness_table_is_mirrored_to_the_plate(result_dir, tmp_path):
    """The run's profile written from face to mid-plane (compression positive) and from
    face to face (compression negative) give the same assessment."""
    source = read_result_stress(result_dir)
    d, s = source.depth, source.stress
    half = d <= T / 2
    whole = _table(tmp_path / "whole.csv", d, s, "stress_MPa", sign=1.0)
    part = _table(tmp_path / "half.csv", d[half], s[half])
    a = read_profile_stress(whole, T, "negative", 72e9, 0.22)
    b = read_profile_stress(part, T, None, 72e9, 0.22)
    assert a.spans_plate and b.spans_plate
    opts = StrengthOptions(deepest=0.3e-3)
    ra = assess_strength(a.depth, a.stress, T, opts, a.glass)
    rb = assess_strength(b.depth, b.stress, T, opts, b.glass)
    np.testing.assert_allclose(
        ra.retained.retained_strength, rb.retained.retained_strength, rtol=1e-6
    )
    assert ra.central_tension == pytest.approx(rb.central_tension, rel=1e-9)


def test_an_unbalanced_table_warns_with_its_imbalance(tmp_path, capsys):
    depth = np.linspace(0.0, T, 701)
    stress = np.where(depth < 30e-6, -400e6, 0.0) + np.where(
        (depth > 30e-6) & (depth < T - 30e-6), 10e6, 0.0
    )  # half the tension that would balance it
    path = _table(tmp_path / "unbalanced.csv", depth, stress)
    assert (
        main(["strength", str(path), "-o", str(tmp_path / "o"), "--thickness", "0.7 mm", "-q"]) == 0
    )
    err = capsys.readouterr().err
    assert "unbalanced.csv" in err and "imbalance" in err


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--kic", "-1 MPa m^0.5"], ["--kic", "K_Ic > 0"]),
        (["--kic", "0.75 MPa"], ["--kic", "toughness"]),
        (["--deepest", "0.65 mm"], ["--deepest", "0.6 of the thickness"]),
        (["--applied", "100 MPa", "--bending", "100 MPa"], ["--applied and --bending"]),
        (["--thickness", "1 mm"], ["--thickness", "result directory"]),
        (["--applied", "-5 MPa"], ["--applied", "stress > 0"]),
    ],
)
def test_bad_options_on_a_result_are_one_line_exit_2(result_dir, tmp_path, capsys, extra, words):
    assert main(["strength", str(result_dir), "-o", str(tmp_path / "o"), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    for w in words:
        assert w in err, (w, err)


def test_bad_tables_are_one_line_exit_2(tmp_path, capsys):
    depth = np.linspace(0.0, T, 11)
    stress = -np.cos(np.pi * depth / T * 2) * 1e6
    mixed = _table(tmp_path / "mixed.csv", depth, stress)
    cases = [
        ([str(mixed), "--thickness", "0.7 mm", "--compression", "negative"], "mixed.csv"),
        ([str(mixed)], "--thickness"),
        ([str(mixed), "--thickness", "0.7 mm", "--youngs-modulus", "70 GPa"], "--poisson-ratio"),
        ([str(tmp_path / "none.csv"), "--thickness", "0.7 mm"], "none.csv"),
    ]
    for args, word in cases:
        assert main(["strength", *args, "-o", str(tmp_path / "o")]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and word in err and "Traceback" not in err, err


def test_a_recipe_s_strength_section_is_ionex_strength_of_its_result(tmp_path, capsys):
    """[strength] in a recipe: `ionex run` writes what `ionex strength OUT` writes."""
    text = RECIPE + '[strength]\ntoughness = "0.7 MPa m^0.5"\napplied = "150 MPa"\n'
    (tmp_path / "r.toml").write_text(text)
    assert main(["run", str(tmp_path / "r.toml"), "-o", str(tmp_path / "run"), "-q"]) == 0
    assert (
        main(
            [
                "strength",
                str(tmp_path / "run"),
                "-o",
                str(tmp_path / "s"),
                "-q",
                "--kic",
                "0.7 MPa m^0.5",
                "--applied",
                "150 MPa",
            ]
        )
        == 0
    )
    for name in ("strength.csv", "strength.json"):
        assert (tmp_path / "run" / name).read_text() == (tmp_path / "s" / name).read_text()
    # a [strength] without [stress] is one line, exit 2
    bad = (
        text.replace("[stress]", "[stress_]").split("[stress_]")[0]
        + text.split("dilation = 0.0045\n")[1]
    )
    (tmp_path / "bad.toml").write_text(bad)
    assert main(["run", str(tmp_path / "bad.toml"), "-o", str(tmp_path / "b")]) == 2
    assert "strength: expected a [stress] section" in capsys.readouterr().err


def test_measured_profiles_and_meter_readings_are_plotted_against_the_run(
    result_dir, tmp_path, capsys
):
    """--measured tables and --meter readings: stress_comparison.png beside strength.*;
    a measured table with its sign given by --compression."""
    source = read_result_stress(result_dir)
    half = source.depth <= T / 2
    scalp = _table(
        tmp_path / "scalp.csv", source.depth[half], source.stress[half], "stress_MPa", 1.0
    )
    meter = tmp_path / "fsm.csv"
    meter.write_text("sample,CS_MPa,DOL_um\nA,650,20\n")
    out = tmp_path / "cmp"
    args = ["strength", str(result_dir), "-o", str(out), "-q", "--measured", str(scalp)]
    assert main(args + ["--compression", "negative", "--meter", str(meter)]) == 0
    assert (out / "stress_comparison.png").read_bytes()[:4] == b"\x89PNG"
    # without its sign the table is refused, naming it
    assert main(args) == 2
    assert "scalp.csv" in capsys.readouterr().err


def test_a_noisy_measured_table_gets_its_ct_from_the_core(tmp_path, capsys):
    """The shipped polariscope table is the final stress of examples/las_two_step.toml plus
    8 MPa Gaussian noise; that run's CT is 55.83 MPa. The core fit lands within two of its
    standard errors of it, the largest measured tension (75.8 MPa) does not."""
    from pathlib import Path

    table = Path(__file__).parents[2] / "examples" / "data" / "las_two_step_scalp.csv"
    out = tmp_path / "out"
    assert main(["strength", str(table), "--thickness", "0.8 mm", "-o", str(out)]) == 0
    summary = json.loads((out / "strength.json").read_text())
    ct, err = summary["central_tension_Pa"], summary["central_tension_standard_error_Pa"]
    assert abs(ct - 55.83e6) < 2 * err and abs(75.8e6 - 55.83e6) > 2 * err
    assert "largest measured tension is 75.8 MPa" in summary["central_tension_note"]
    assert "CT fitted to" in capsys.readouterr().out
