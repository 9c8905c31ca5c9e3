"""A sweep gives identical results on the default local cluster, on a separately started
``dask scheduler`` with its own workers, and in this process.

The scheduler and two single-threaded workers are started here as subprocesses of this
Python (``-m distributed.cli.dask_scheduler`` / ``dask_worker``: no reliance on a console
script being on PATH), on 127.0.0.1 with a free port chosen by the scheduler; they report
the address through a scheduler file. Each is started in its own process group, which is
terminated (then killed) when the module's tests are done, whatever happened.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import xarray as xr

from ionex.cli import main
from ionex.io.sweep_file import load_sweep, write_sweep_outputs
from ionex.process.sweep import run_sweep

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# a 2 × 3 grid with metrics at two times and profiles, and a seeded Latin hypercube over
# D and temperature — kept small: the clusters' start-up is the cost here
SWEEP = textwrap.dedent(
    """\
    recipe = "soda_lime_k_na.toml"
    [[parameter]]
    path = "ions.K.D"
    values = ["5e-16 m^2/s", "2e-15 m^2/s"]
    [[parameter]]
    path = "step[1].duration"
    range = { start = "2 h", stop = "16 h", num = 3, scale = "log" }
    [metrics]
    depth_at = [0.5, 0.1]
    times = ["1 h", "4 h"]
    profiles = true
    """
)
SAMPLED = textwrap.dedent(
    """\
    recipe = "soda_lime_k_na.toml"
    [[parameter]]
    path = "ions.K.D"
    range = { start = "5e-16 m^2/s", stop = "2e-15 m^2/s", scale = "log" }
    [[parameter]]
    path = "step[1].temperature"
    range = { start = "400 degC", stop = "440 degC" }
    [design]
    kind = "latin-hypercube"
    samples = 9
    seed = 11
    """
)


def _start(args, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", *args],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # its own process group: workers' nannies included


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """Address of a scheduler with two one-thread workers, all on 127.0.0.1."""
    from dask.distributed import Client

    where = tmp_path_factory.mktemp("dask")
    file = where / "scheduler.json"
    procs = []
    try:
        procs.append(
            _start(
                [
                    "distributed.cli.dask_scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--no-dashboard",
                    "--scheduler-file",
                    str(file),
                ],
                where / "scheduler.log",
            )
        )
        deadline = time.monotonic() + 60
        while not file.exists() or not file.read_text().strip():
            if procs[0].poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    "the dask scheduler did not start:\n" + (where / "scheduler.log").read_text()
                )
            time.sleep(0.1)
        address = json.loads(file.read_text())["address"]
        procs.append(
            _start(
                [
                    "distributed.cli.dask_worker",
                    "--scheduler-file",
                    str(file),
                    "--nworkers",
                    "2",
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                    "--host",
                    "127.0.0.1",
                    "--death-timeout",
                    "30s",
                ],
                where / "workers.log",
            )
        )
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for proc in reversed(procs):
            _stop(proc)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    where = tmp_path_factory.mktemp("sweep")
    shutil.copy(EXAMPLES / "soda_lime_k_na.toml", where)
    (where / "grid.toml").write_text(SWEEP)
    (where / "sampled.toml").write_text(SAMPLED)
    return where


@pytest.mark.parametrize("name", ["grid.toml", "sampled.toml"])
def test_local_cluster_remote_scheduler_and_this_process_agree(folder, scheduler, name, capsys):
    sweep = folder / name
    local, remote, here = (
        folder / f"{name}.local",
        folder / f"{name}.remote",
        folder / f"{name}.here",
    )
    assert main(["sweep", str(sweep), "-o", str(local), "--workers", "2"]) == 0
    assert main(["sweep", str(sweep), "-o", str(remote), "--scheduler", scheduler]) == 0
    out = capsys.readouterr().out
    assert (
        "on 2 worker(s) of a local dask cluster" in out and f"on 2 worker(s) of {scheduler}" in out
    )
    spec = load_sweep(sweep)
    write_sweep_outputs(
        run_sweep(spec.sweep, batched=False), here, spec, plot=False
    )  # one by one, no dask
    with (
        xr.open_dataset(local / "sweep.nc") as a,
        xr.open_dataset(remote / "sweep.nc") as b,
        xr.open_dataset(here / "sweep.nc") as c,
    ):
        xr.testing.assert_identical(a, b)
        xr.testing.assert_identical(a, c)
        assert a.attrs["runs"] == spec.sweep.n_runs and a.attrs["failed_runs"] == 0
    assert (
        (local / "sweep.csv").read_bytes()
        == (remote / "sweep.csv").read_bytes()
        == (here / "sweep.csv").read_bytes()
    )
    assert (local / "sweep.png").read_bytes()[:4] == b"\x89PNG"


def test_workers_with_a_scheduler_is_an_error(folder, capsys):
    assert (
        main(
            [
                "sweep",
                str(folder / "grid.toml"),
                "-o",
                str(folder / "x"),
                "--scheduler",
                "tcp://127.0.0.1:1",
                "--workers",
                "2",
            ]
        )
        == 2
    )
    assert "--workers sizes the local cluster" in capsys.readouterr().err
