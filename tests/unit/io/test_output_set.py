"""Output folders: a command never overwrites its inputs or a user's file (without --force),
records its files in the manifest, shares a folder with other commands, removes its stale
temporaries, and a reader names files that differ from the manifest."""

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest

import ionex.io.output_set as output_set
from ionex.cli import main
from ionex.io.output_set import MANIFEST, check_output_set, stale_temporaries

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
RECIPE = str(EXAMPLES / "soda_lime_k_na.toml")
MEASURED = "polarisation,order,effective_index\nTE,0,1.5150\nTE,1,1.5120\n"


def index_profile(path: Path) -> Path:
    """A graded index profile (depth_um, n) with a few guided modes at 677 nm."""
    x = np.linspace(0.0, 40.0, 201)
    n = 1.512 + 0.009 * np.exp(-((x / 8.0) ** 2))
    path.write_text("depth_um,n\n" + "".join(f"{a:.4f},{b:.6f}\n" for a, b in zip(x, n)))
    return path


def manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text())


def test_modes_refuses_to_overwrite_its_own_input_even_with_force(tmp_path, capsys):
    source = index_profile(tmp_path / "modes.csv")
    before = source.read_text()
    for force in ([], ["--force"]):
        rc = main(
            ["modes", str(source), "--wavelength", "677 nm", "-o", str(tmp_path), "-q", *force]
        )
        err = capsys.readouterr().err
        assert rc == 2, err
        assert f"{source}: is an input of `ionex modes`" in err
        assert "would be overwritten by its output modes.csv" in err
        assert "-o" in err and err.count("\n") == 1
    assert source.read_text() == before and not (tmp_path / MANIFEST).exists()


def test_modes_refuses_a_users_modes_csv_without_force_and_replaces_it_with_force(tmp_path, capsys):
    meas = tmp_path / "meas"
    meas.mkdir()
    profile = index_profile(meas / "profile.csv")
    (meas / "modes.csv").write_text(MEASURED)
    argv = ["modes", str(profile), "--wavelength", "677 nm", "-o", str(meas), "-q"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"ionex: error: {meas / 'modes.csv'}: found a file not written by ionex" in err
    assert "-o another folder" in err and "--force" in err
    assert (meas / "modes.csv").read_text() == MEASURED and stale_temporaries(meas) == []

    assert main([*argv, "--force"]) == 0
    assert (meas / "modes.csv").read_text() != MEASURED
    assert set(manifest(meas)["sets"]) == {"modes"} and check_output_set(meas) == []
    assert main(argv) == 0  # now ionex's own: replaced without --force


def test_a_changed_ionex_file_is_the_users(tmp_path, capsys):
    profile = index_profile(tmp_path / "profile.csv")
    argv = ["modes", str(profile), "--wavelength", "677 nm", "-o", str(tmp_path), "-q"]
    assert main(argv) == 0
    (tmp_path / "modes.csv").write_text(MEASURED)  # the user edited it
    assert main(argv) == 2
    assert "modes.csv: found a file changed since ionex wrote it" in capsys.readouterr().err
    assert (tmp_path / "modes.csv").read_text() == MEASURED


def test_run_refuses_a_foreign_profiles_csv_before_simulating(tmp_path, capsys, monkeypatch):
    import ionex.process.simulate as simulate

    mine = "time_s,depth_m,frac_K\n0,0,1\n"
    (tmp_path / "profiles.csv").write_text(mine)
    monkeypatch.setattr(
        simulate, "simulate", lambda *a, **k: pytest.fail("simulated before refusing")
    )
    assert main(["run", RECIPE, "-o", str(tmp_path), "-q"]) == 2
    err = capsys.readouterr().err
    assert (
        f"{tmp_path / 'profiles.csv'}: found a file not written by ionex" in err
        and "--force" in err
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["profiles.csv"]
    assert (tmp_path / "profiles.csv").read_text() == mine


def test_run_into_a_folder_it_wrote_before_succeeds_and_records_checksums(tmp_path):
    for _ in range(2):
        assert main(["run", RECIPE, "-o", str(tmp_path), "-q", "--no-plot"]) == 0
    doc = manifest(tmp_path)
    run = doc["sets"]["run"]
    assert set(run["files"]) == {"profiles.csv", "result.nc"} and "pending" not in run
    assert run["command"].startswith("ionex run ") and run["ionex"] and run["written"]
    for name, entry in run["files"].items():
        data = (tmp_path / name).read_bytes()
        assert entry == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert check_output_set(tmp_path) == [] and stale_temporaries(tmp_path) == []


def test_two_commands_sharing_a_folder_keep_each_others_files(tmp_path, capsys):
    assert main(["run", RECIPE, "-o", str(tmp_path), "-q", "--no-plot"]) == 0
    assert (
        main(
            [
                "modes",
                str(tmp_path / "profiles.csv"),
                "--material",
                "BK7",
                "-o",
                str(tmp_path),
                "-q",
            ]
        )
        == 0
    )
    modes = (tmp_path / "modes.csv").read_bytes()
    assert main(["run", RECIPE, "-o", str(tmp_path), "-q", "--no-plot"]) == 0  # writes no modes.csv
    sets = manifest(tmp_path)["sets"]
    assert set(sets["run"]["files"]) == {"profiles.csv", "result.nc"} and set(
        sets["modes"]["files"]
    ) == {"modes.csv"}
    assert (tmp_path / "modes.csv").read_bytes() == modes and check_output_set(tmp_path) == []
    assert capsys.readouterr().err == ""


def test_a_run_without_plots_removes_the_plot_of_its_previous_set(tmp_path):
    assert main(["run", RECIPE, "-o", str(tmp_path), "-q"]) == 0
    assert (tmp_path / "profiles.png").exists()
    assert main(["run", RECIPE, "-o", str(tmp_path), "-q", "--no-plot"]) == 0
    assert not (tmp_path / "profiles.png").exists() and check_output_set(tmp_path) == []


def test_stale_temporaries_of_ionex_are_removed_and_others_kept(tmp_path):
    stale = [tmp_path / ".profiles.csv.ab_cd123.part", tmp_path / f".{MANIFEST}.zz9yx8w7.part"]
    kept = [
        tmp_path / ".notes.txt.abcd1234.part",
        tmp_path / ".result.nc.xyz.part",
        tmp_path / "profiles.csv.part",
    ]
    for p in stale + kept:
        p.write_bytes(b"\0" * 1000)
    assert stale_temporaries(tmp_path) == sorted(stale)
    assert main(["run", RECIPE, "-o", str(tmp_path), "-q", "--no-plot"]) == 0
    assert not any(p.exists() for p in stale) and all(p.exists() for p in kept)


def shorter_recipe(path: Path) -> str:
    """The soda-lime example with a 6 h bath: other numbers in every file."""
    text = (
        Path(RECIPE)
        .read_text()
        .replace('duration = "8 h"', 'duration = "6 h"')
        .replace('"8 h"]', '"6 h"]')
    )
    path.write_text(text)
    return str(path)


def test_an_interrupted_commit_is_named_and_repaired_by_the_next_run(tmp_path, monkeypatch, capsys):
    argv = ["run", RECIPE, "-o", str(tmp_path), "-q", "--no-plot"]
    assert (
        main(
            ["run", shorter_recipe(tmp_path / "short.toml"), "-o", str(tmp_path), "-q", "--no-plot"]
        )
        == 0
    )
    before = manifest(tmp_path)
    real = os.replace
    calls = []

    def killed_after_the_first_rename(src, dst):
        if Path(dst).name != MANIFEST:
            calls.append(dst)
            if len(calls) == 2:
                raise KeyboardInterrupt
        real(src, dst)

    monkeypatch.setattr(output_set.os, "replace", killed_after_the_first_rename)
    assert main(argv) == 130
    monkeypatch.setattr(output_set.os, "replace", real)
    assert manifest(tmp_path)["sets"]["run"]["files"] == before["sets"]["run"]["files"]
    found = check_output_set(tmp_path)
    assert [m.path.name for m in found] == ["profiles.csv"]  # renamed; result.nc still the old one
    assert str(found[0]) == (
        f"{tmp_path / 'profiles.csv'}: written by an interrupted `ionex run` (its manifest was "
        "not updated); rerun it"
    )
    # the next reader of the file names it; the next run recognises it as its own
    capsys.readouterr()
    assert (
        main(
            [
                "modes",
                str(tmp_path / "profiles.csv"),
                "--material",
                "BK7",
                "-o",
                str(tmp_path / "m"),
            ]
        )
        == 0
    )
    err = capsys.readouterr().err
    assert err.startswith(
        f"warning: {tmp_path / 'profiles.csv'}: written by an interrupted `ionex run`"
    )
    assert err.count("\n") == 1
    assert main(argv) == 0
    assert check_output_set(tmp_path) == [] and stale_temporaries(tmp_path) == []


def test_check_output_set_names_missing_and_changed_files(tmp_path):
    assert main(["run", RECIPE, "-o", str(tmp_path), "-q", "--no-plot"]) == 0
    (tmp_path / "result.nc").unlink()
    with open(tmp_path / "profiles.csv", "a") as fh:
        fh.write("1,2,3,4\n")
    found = {m.path.name: m.problem for m in check_output_set(tmp_path)}
    assert found.keys() == {"result.nc", "profiles.csv"}
    assert found["result.nc"].startswith("missing") and "checksum differs" in found["profiles.csv"]


def test_an_unreadable_manifest_is_an_error_naming_it(tmp_path, capsys):
    (tmp_path / MANIFEST).write_text("{not json")
    (tmp_path / "profiles.csv").write_text("x\n")
    assert main(["run", RECIPE, "-o", str(tmp_path), "-q", "--no-plot"]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / MANIFEST}: found an unreadable output manifest" in err and "--force" in err
    assert main(["run", RECIPE, "-o", str(tmp_path), "-q", "--no-plot", "--force"]) == 0
    assert check_output_set(tmp_path) == []


@pytest.mark.parametrize(
    "command", ["run", "modes", "invert", "iwkb", "fit", "monitor", "sweep", "arrhenius", "matano"]
)
def test_every_command_with_an_output_folder_takes_force(command):
    from ionex.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert any(a.dest == "force" for a in sub.choices[command]._actions)


DATA = EXAMPLES / "data"
COMMANDS = {  # argv before -o, the first file the command writes
    "run": ([str(EXAMPLES / "soda_lime_k_na.toml")], "profiles.csv"),
    "modes": ([str(DATA / "bk7_index_profile.csv"), "--wavelength", "677 nm"], "modes.csv"),
    "invert": ([str(DATA / "bk7_modes_677nm.csv"), "--material", "BK7"], "profile.csv"),
    "iwkb": ([str(DATA / "erfc_guide_modes_677nm.csv"), "--material", "BK7"], "inversion.json"),
    "fit": ([str(EXAMPLES / "fit_soda_lime.toml")], "fit.json"),
    "sweep": ([str(EXAMPLES / "sweep_bk7.toml"), "--serial"], "sweep.nc"),
    "arrhenius": ([str(DATA / "arrhenius_k_soda_lime.csv")], "arrhenius.json"),
    "matano": (
        [str(DATA / "k_profile_soda_lime_420C_8h.csv"), "--time", "8 h"],
        "interdiffusion.csv",
    ),
    "monitor": (
        [str(EXAMPLES / "monitor_bk7.toml"), "--temperature-log", "not-read-before-refusing.csv"],
        "result.nc",
    ),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_refuses_a_users_file_before_its_work(command, tmp_path, capsys):
    args, name = COMMANDS[command]
    (tmp_path / name).write_text("mine\n")
    assert main([command, *args, "-o", str(tmp_path), "-q"]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"ionex: error: {tmp_path / name}: found a file not written by ionex; expected none or ionex's own "
        f"{name} — write elsewhere (-o another folder) or replace it with --force\n"
    )
    assert (
        sorted(p.name for p in tmp_path.iterdir()) == [name]
        and (tmp_path / name).read_text() == "mine\n"
    )
