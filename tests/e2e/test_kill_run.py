"""`ionex run` killed (SIGKILL) at random moments while it replaces an earlier run's files in
the same folder: afterwards the folder holds either a complete set matching its manifest or
files that check_output_set names — never an undetected mix of two runs; the next run repairs
the folder (no temporaries left, the manifest matches every file).

Twenty kills, two folders driven by two threads. Each kill interrupts a run of a recipe other
than the one whose files are in the folder, so that old and new files differ. Kill times are
drawn from the measured durations of whole runs (python start-up and imports take most of
them), a third of them in the last 20 %, where the files are written; every fourth kill
instead waits for the commit (the manifest's pending checksums) and lands in the window where
the folder holds a mix."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from ionex.cli import main
from ionex.io.output_set import MANIFEST, check_output_set, stale_temporaries

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "soda_lime_k_na.toml"
HOURS = (8, 5, 7, 6)  # the bath of each recipe variant
FILES = {"profiles.csv", "result.nc", "profiles.png"}
KILLS = 20


def variants(folder: Path) -> list[Path]:
    text = EXAMPLE.read_text(encoding="utf-8")
    paths = []
    for h in HOURS:
        path = folder / f"bath_{h}h.toml"
        path.write_text(
            text.replace('duration = "8 h"', f'duration = "{h} h"').replace('"8 h"]', f'"{h} h"]'),
            encoding="utf-8",
        )
        paths.append(path)
    return paths


def start(recipe: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "ionex", "run", str(recipe), "-o", str(out), "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def last_time_h(profiles: Path) -> float:
    with open(profiles, "rb") as fh:
        fh.seek(-200, 2)
        return float(fh.read().decode().strip().splitlines()[-1].split(",")[0]) / 3600.0


def killed(proc: subprocess.Popen, out: Path, at: float | None) -> bool:
    """SIGKILL ``proc`` ``at`` s after its start, or (None) the moment its manifest shows a
    commit under way — between the first rename and the final manifest, where the folder
    holds a mix. True when the run finished first."""
    if at is not None:
        try:
            proc.wait(timeout=at)
            return True
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return False
    manifest = out / MANIFEST
    seen = manifest.stat().st_mtime_ns
    while proc.poll() is None:
        try:
            now = manifest.stat().st_mtime_ns
            if now != seen and b'"pending"' in manifest.read_bytes():
                proc.kill()
                break
            seen = now
        except OSError:  # replaced between the two calls
            pass
        time.sleep(0.0005)
    return proc.wait() == 0


def verdict(out: Path) -> str:
    """Assert that the folder is a recorded set or that every difference is named; say which."""
    named = {m.path.name for m in check_output_set(out)}
    doc = json.loads((out / MANIFEST).read_text())  # the folder always holds an earlier run
    recorded = doc["sets"]["run"]["files"]
    present = {name for name in FILES if (out / name).exists()}
    for name in present | set(recorded):
        if name in named:
            continue
        assert name in present and sha256(out / name) == recorded[name]["sha256"], (
            f"{out / name}: an undetected mix"
        )
    if named:
        return "mix, named"
    assert present == set(recorded) == FILES
    hours = float(doc["sets"]["run"]["command"].split("bath_")[1].split("h.toml")[0])
    assert abs(last_time_h(out / "profiles.csv") - hours) < 1e-9, (
        "the recorded set is not the run it names"
    )
    return "recorded set, a commit pending" if "pending" in doc["sets"]["run"] else "recorded set"


def assert_repaired(out: Path) -> None:
    assert check_output_set(out) == [] and stale_temporaries(out) == []
    assert not [p.name for p in out.iterdir() if p.name.endswith(".part")]
    doc = json.loads((out / MANIFEST).read_text())
    assert set(doc["sets"]["run"]["files"]) == FILES and "pending" not in doc["sets"]["run"]


def test_twenty_kills_of_ionex_run_leave_a_recorded_set_or_a_named_mix(tmp_path):
    began = time.monotonic()
    recipes = variants(tmp_path)
    rng = np.random.default_rng(20261204)
    fractions = rng.permutation(
        np.concatenate(
            [rng.uniform(0.05, 0.8, KILLS - KILLS // 3), rng.uniform(0.8, 1.0, KILLS // 3)]
        )
    )
    assert np.count_nonzero(fractions >= 0.8) >= KILLS // 3
    folders = [tmp_path / "a", tmp_path / "b"]

    # the durations of whole runs, two at a time as below; their files are the first sets
    durations = []
    runs = []
    for out in folders:
        runs.append((time.monotonic(), start(recipes[0], out)))
    for t0, proc in runs:
        assert proc.wait(timeout=60) == 0, proc.stderr.read().decode()
        durations.append(time.monotonic() - t0)
    first = list(durations)
    picks = rng.integers(0, 1 << 30, KILLS)
    in_process = threading.Lock()  # the repairing runs share this interpreter (and matplotlib)
    outcomes: list[tuple[float, str]] = []
    failures: list[BaseException] = []

    def cycles(k: int, out: Path) -> None:
        try:
            for i in range(KILLS // 2):
                j = k * (KILLS // 2) + i
                recipe = recipes[1 + i % (len(recipes) - 1)] if i % 2 == 0 else recipes[0]
                # a fraction of a duration drawn from those measured so far (the load varies)
                kill_at = fractions[j] * durations[picks[j] % len(durations)]
                t0 = time.monotonic()
                proc = start(recipe, out)
                finished = killed(proc, out, kill_at if j % 4 else None)
                if finished:
                    durations.append(time.monotonic() - t0)
                proc.stderr.close()
                what = verdict(out)
                outcomes.append((fractions[j], "finished" if finished else what))
                with in_process:
                    assert main(["run", str(recipe), "-o", str(out), "-q"]) == 0
                assert_repaired(out)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=cycles, args=(k, out)) for k, out in enumerate(folders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]
    assert len(outcomes) == KILLS
    kinds = {kind: sum(1 for _, k in outcomes if k == kind) for _, kind in outcomes}
    print(
        f"\nruns of {np.round(first, 2)} s at first, {np.round(durations[2:], 2)} s later; {KILLS} kills in {time.monotonic() - began:.1f} s: {kinds}"
    )
