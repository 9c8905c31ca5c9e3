"""What the monitor and `ionex run --temperature-log` do with what should not be there: a
damaged checkpoint (reported, moved aside, started over), a checkpoint of another log, a
log that is a directory, has no samples or a time that overflows, implausible
temperatures, and a polling interval that would spin a core."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from ionex.cli import main
from ionex.dashboard.follow import CHECKPOINT, MonitorLoop
from ionex.io.recipe import load_recipe

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "monitor_bk7.toml"


def plan_file(tmp_path, hours=2.0):
    path = tmp_path / "plan.toml"
    path.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace(
            'duration = "100 h"', f'duration = "{hours} h"'
        ),
        encoding="utf-8",
    )
    return path


def write_log(path, hours=1.0, every=120.0, T=400.0, start=0.0):
    t = np.arange(start, start + hours * 3600.0 + 1.0, every)
    path.write_text(
        "time_s,temperature_C\n"
        + "".join(f"{a:.1f},{T + 0.01 * k:.3f}\n" for k, a in enumerate(t)),
        encoding="utf-8",
    )
    return path


def monitor(tmp_path, *extra, log=None, out="out"):
    return main(
        [
            "monitor",
            str(plan_file(tmp_path)),
            "--temperature-log",
            str(log or tmp_path / "f.csv"),
            "-o",
            str(tmp_path / out),
            "--no-plot",
            *extra,
        ]
    )


def checkpointed(tmp_path):
    """A monitor folder with a checkpoint of 1 h of log (and the log)."""
    write_log(tmp_path / "f.csv")
    assert monitor(tmp_path, "-q") == 0
    return tmp_path / "out" / CHECKPOINT


def hand_edited(path: Path, change):
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    original = arrays["meta"]
    meta = json.loads(str(original))
    change(arrays, meta)
    if arrays["meta"] is original:
        arrays["meta"] = np.array(json.dumps(meta))
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def flip_a_byte(path: Path):
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(
        path
    ) as z:  # a byte inside frac's compressed data, not the zip's directory
        info = z.getinfo("frac.npy")
    data[info.header_offset + 30 + len(info.filename) + info.file_size // 2] ^= 0xFF
    path.write_bytes(bytes(data))


DAMAGES = {
    "truncated to half": (
        lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
        "not a readable .npz",
    ),
    "truncated to 100 B": (lambda p: p.write_bytes(p.read_bytes()[:100]), "not a readable .npz"),
    "empty": (lambda p: p.write_bytes(b""), "is empty"),
    "a byte flipped": (flip_a_byte, "not a readable .npz"),
    "frac too short": (
        lambda p: hand_edited(p, lambda a, m: a.update(frac=a["frac"][:-2])),
        "frac has shape",
    ),
    "n_cells edited": (
        lambda p: hand_edited(p, lambda a, m: m.update(n_cells=m["n_cells"] + 1)),
        "frac has shape",
    ),
    "samples of two lengths": (
        lambda p: hand_edited(p, lambda a, m: a.update(sample_times=a["sample_times"][:-1])),
        "sample times and",
    ),
    "meta emptied": (
        lambda p: hand_edited(p, lambda a, m: m.clear() or m.update(x=1)),
        "meta lacks 'version'",
    ),
    "meta not JSON": (
        lambda p: hand_edited(p, lambda a, m: a.update(meta=np.array("{oops"))),
        "not valid JSON",
    ),
    "output states of another size": (
        lambda p: hand_edited(
            p,
            lambda a, m: a.update(
                output_states=np.zeros((len(a["output_times"]) + 1, m["n_cells"]))
            ),
        ),
        "output_states has shape",
    ),
}


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_checkpoint_is_reported_moved_aside_and_the_monitor_starts_over(
    tmp_path, capsys, damage
):
    path = checkpointed(tmp_path)
    apply, words = DAMAGES[damage]
    apply(path)
    assert monitor(tmp_path) == 0
    err = capsys.readouterr().err
    assert (
        f"warning: {path}: " in err
        and words in err
        and "moved it aside to monitor_checkpoint.npz.damaged-" in err
    )
    aside = list(path.parent.glob(CHECKPOINT + ".damaged-*"))
    assert len(aside) == 1
    state = json.loads((tmp_path / "out" / "state.json").read_text())
    assert state["n_samples"] == 31  # started over: the whole log
    assert any(e["kind"] == "damaged checkpoint" for e in state["warnings"])
    assert MonitorLoop(
        load_recipe(plan_file(tmp_path)), tmp_path / "f.csv", tmp_path / "out"
    ).resumed


def test_a_checkpoint_on_another_mesh_says_what_differs(tmp_path, capsys):
    path = checkpointed(tmp_path)

    def other_mesh(a, m):
        m["n_cells"] += 3
        a["frac"] = np.zeros(m["n_cells"])
        a["output_states"] = np.zeros((len(a["output_times"]), m["n_cells"]))

    hand_edited(path, other_mesh)
    assert monitor(tmp_path) == 0
    err = capsys.readouterr().err
    n = json.loads(str(np.load(next(path.parent.glob(CHECKPOINT + ".damaged-*")))["meta"]))[
        "n_cells"
    ]
    assert f"the saved state is on a mesh of {n} cells; this recipe's mesh has {n - 3}" in err


def test_a_new_log_with_an_old_checkpoint_is_an_error_unless_resume_or_restart(tmp_path, capsys):
    checkpointed(tmp_path)
    write_log(tmp_path / "f.csv", T=410.0, hours=1.5)  # a new run of the same recipe, same path
    assert monitor(tmp_path, "-q") == 2
    err = capsys.readouterr().err
    assert "not the log that the checkpoint" in err and "--resume" in err and "--restart" in err
    assert monitor(tmp_path, "--restart") == 0
    assert "moved the checkpoint aside" in capsys.readouterr().err
    assert len(list((tmp_path / "out").glob(CHECKPOINT + ".old-*"))) == 1
    state = json.loads((tmp_path / "out" / "state.json").read_text())
    assert state["n_samples"] == 46 and state["temperature_C"] == pytest.approx(410.45)
    # the same log, grown: a normal resume
    write_log(tmp_path / "f.csv", T=410.0, hours=2.0)
    assert monitor(tmp_path) == 0
    assert "resuming from" in capsys.readouterr().out
    assert json.loads((tmp_path / "out" / "state.json").read_text())["n_samples"] == 61
    # --resume continues the old run with another log: its samples after the old end
    write_log(tmp_path / "f.csv", T=400.0, hours=2.5)
    assert monitor(tmp_path, "--resume", "-q") == 0
    assert json.loads((tmp_path / "out" / "state.json").read_text())["n_samples"] == 76


def test_a_log_without_samples_is_an_error_unless_following(tmp_path, capsys):
    (tmp_path / "f.csv").write_text("time_s,temperature_C\n", encoding="utf-8")
    assert monitor(tmp_path, "-q") == 2
    assert f"ionex: error: {tmp_path / 'f.csv'}: no samples in the log" in capsys.readouterr().err
    (tmp_path / "f.csv").write_text("", encoding="utf-8")
    assert monitor(tmp_path, "-q") == 2
    assert "no samples in the log" in capsys.readouterr().err
    loop = MonitorLoop(
        load_recipe(plan_file(tmp_path)),
        tmp_path / "f.csv",
        tmp_path / "o",
        plots=False,
        on_notice=(said := []).append,
    )
    loop.run(follow=True, poll=0.05, stop_after_idle=0.2)
    assert said == [f"no samples in {tmp_path / 'f.csv'} yet; waiting for more"]
    (tmp_path / "f.csv").write_text("time_s,temperature_C\n0,400\n", encoding="utf-8")
    assert monitor(tmp_path, "-q", out="o1") == 2
    assert (
        "f.csv: found 1 sample in the log; expected a header such as time_s,temperature_C and at least 2 "
        "samples" in capsys.readouterr().err
    )


@pytest.mark.parametrize("poll", ["0 s", "0.01 s", "2 h"])
def test_a_poll_outside_its_range_is_refused(tmp_path, capsys, poll):
    write_log(tmp_path / "f.csv")
    assert monitor(tmp_path, "--follow", "--poll", poll, "-q") == 2
    err = capsys.readouterr().err
    assert err.startswith("ionex: error: --poll: found ") and err.endswith(
        "; expected 0.05 s to 3600 s\n"
    )
    assert not (tmp_path / "out").exists() or not (tmp_path / "out" / CHECKPOINT).exists()


@pytest.mark.parametrize("command", ["run", "monitor"])
def test_a_log_that_is_a_directory_is_a_clear_error(tmp_path, capsys, command):
    (tmp_path / "logs").mkdir()
    args = [
        command,
        str(plan_file(tmp_path)),
        "--temperature-log",
        str(tmp_path / "logs"),
        "-o",
        str(tmp_path / "out"),
        "--no-plot",
        "-q",
    ]
    assert main(args) == 2
    assert (
        capsys.readouterr().err
        == f"ionex: error: {tmp_path / 'logs'}: is a directory; expected a temperature "
        "log file (CSV)\n"
    )


@pytest.mark.parametrize("command", ["run", "monitor"])
def test_a_time_that_overflows_is_an_unreadable_time(tmp_path, capsys, command):
    (tmp_path / "f.csv").write_text(
        "time_h,temperature_C\n0,400\n1,400\n1e306,400\n", encoding="utf-8"
    )
    rc = main(
        [
            command,
            str(plan_file(tmp_path)),
            "--temperature-log",
            str(tmp_path / "f.csv"),
            "-o",
            str(tmp_path / "out"),
            "--no-plot",
        ]
    )
    err = capsys.readouterr().err
    assert "line 4: time_h = '1e306' overflows" in err and "expected a finite time" in err
    assert rc == (2 if command == "run" else 0)  # the monitor skips it with a warning


SPIKE = "time_s,temperature_C\n0,400\n60,400.2\n120,1e6\n180,400.1\n240,470\n300,400.3\n360,400.1\n"


def test_an_implausible_temperature_is_an_error_in_run_and_skipped_when_lenient(tmp_path, capsys):
    (tmp_path / "f.csv").write_text(SPIKE, encoding="utf-8")
    args = [
        "run",
        str(plan_file(tmp_path)),
        "--temperature-log",
        str(tmp_path / "f.csv"),
        "-o",
        str(tmp_path / "out"),
        "--no-plot",
        "-q",
    ]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert (
        f"{tmp_path / 'f.csv'}, line 4: temperature_C = '1e6' is not a plausible furnace temperature; "
        "expected -50 degC..1500 degC (--log-range)" in err
    )
    assert main([*args, "--log-range", "-50 degC..2e6 degC", "--max-rate", "1e9 K/min"]) == 0
    assert main([*args[:-1], "--lenient"]) == 0
    err = capsys.readouterr().err
    assert "line 4: temperature_C = '1e6' is not a plausible" in err and "sample rejected" in err
    assert "line 6: temperature_C = '470' is not plausible: a change of +69.9 K in 60 s" in err
    assert "expected at most 50 K/min + 5 K (--max-rate)" in err


def test_the_monitor_rejects_an_implausible_temperature_with_a_warning(tmp_path, capsys):
    (tmp_path / "f.csv").write_text(SPIKE, encoding="utf-8")
    assert monitor(tmp_path) == 0
    assert "temperature_C = '1e6' is not a plausible" in capsys.readouterr().err
    state = json.loads((tmp_path / "out" / "state.json").read_text())
    assert state["n_samples"] == 5 and max(state["history"]["temperature_C"]) < 401
    entry = next(e for e in state["warnings"] if e["kind"] == "implausible temperature")
    assert entry["count"] == 2 and "'470'" in entry["last"]
    assert monitor(tmp_path, "--restart", "--max-rate", "100 K/min", "-q") == 0
    assert json.loads((tmp_path / "out" / "state.json").read_text())["n_samples"] == 6


@pytest.mark.parametrize(
    "flags, words",
    [
        (
            ["--log-range", "1500 degC..-50 degC"],
            "expected finite temperatures at or above 0 K with the lower first",
        ),
        (["--log-range", "400 degC"], "expected two temperatures joined by '..'"),
        (["--max-rate", "0 K/min"], "expected a rate > 0"),
        (["--max-rate", "5 K"], "--max-rate: found '5 K'"),
    ],
)
def test_bad_limits_are_clear_errors(tmp_path, capsys, flags, words):
    write_log(tmp_path / "f.csv")
    assert monitor(tmp_path, *flags, "-q") == 2
    assert words in capsys.readouterr().err
