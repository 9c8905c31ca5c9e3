"""The monitor's loop: read what the log has, advance, checkpoint, publish — and, with
``follow``, keep polling. Survives being killed at any moment: every checkpoint is atomic
and holds the log position matching the state, so a restart resumes exactly there.

Files in the output directory:
    monitor_checkpoint.npz   state + log position + warnings (resume)
    state.json               the latest prediction (what the live page's /state.json serves)
    profiles.csv, result.nc, modes.csv, profiles.png, stress_index.png
                             the monitored process as ``ionex run`` writes a simulated one
                             (the recipe's output times passed so far, and now); each
                             replaced atomically. They cost ~0.5 s (the plots), so they are
                             written after the catch-up, then on an update at most every
                             ``write_every`` s, and always at the end.
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..io.furnace_log import DEFAULT_GAP_LIMIT, FurnaceLogReader, WarningSummary
from ..io.monitor_files import load_checkpoint, recipe_fingerprint, save_checkpoint, snapshot_to_json, write_json_atomic
from ..process.monitor import ProcessMonitor

__all__ = ["MonitorLoop", "WRITE_EVERY"]

CHECKPOINT = "monitor_checkpoint.npz"
STATE = "state.json"
CHUNK = 24 * 3600.0  # s of process time per advance while catching up: a checkpoint at least this often
WRITE_EVERY = 30.0  # s of wall time between two writes of the result files while following


class _Progress:
    """Passes the solver's steps of one advance to the catch-up's tracker, shifted to the
    time since the catch-up began."""

    def __init__(self, tracker, offset: float):
        self.tracker, self.offset = tracker, offset

    def handle(self, time: float, state) -> None:
        self.tracker.handle(self.offset + time, state)


class MonitorLoop:
    """Follow ``log`` for ``recipe`` writing into ``out``; see the module docstring.

    Args:
        recipe: the planned process (a Recipe with one bath step).
        log: the temperature log file.
        out: output directory (created).
        gap_limit: longest gap between samples without a warning (s).
        publish: called with the JSON state after every update (the live page).
        on_warning: called with each warning that opens a new entry of the summary — the
            first of its kind, each sensor drop-out and each gap (repeats are counted).
        tracker: shown the progress of each catch-up (initialize(process seconds to go),
            handle(seconds done, state), finalize()) — e.g. ionex.cli.ProgressBar.
        write_every: least wall time (s) between two writes of the result files while
            following; they are always written after the first step and at the end.
        plots: also draw profiles.png and stress_index.png.
    """

    def __init__(self, recipe, log, out, *, gap_limit: float = DEFAULT_GAP_LIMIT,
                 publish: Callable[[dict], None] | None = None, on_warning: Callable[[str], None] | None = None,
                 tracker=None, write_every: float = WRITE_EVERY, plots: bool = True):
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.log = Path(log)
        self.recipe = recipe
        self.fingerprint = recipe_fingerprint(recipe.source_text or repr(recipe))
        self.publish = publish
        self.on_warning = on_warning
        self.tracker = tracker
        self.write_every = float(write_every)
        self.plots = plots
        self.written: list[Path] = []
        self._last_write = -math.inf
        self._stale = True  # the result files are behind the state
        saved = load_checkpoint(self.out / CHECKPOINT, self.fingerprint)
        if saved is None:
            self.monitor = ProcessMonitor(recipe)
            self.reader = FurnaceLogReader(self.log, gap_limit=gap_limit)
            self.warnings = WarningSummary()
            self.resumed = False
        else:
            state, position, warnings = saved
            self.monitor = ProcessMonitor.from_state(recipe, state)
            self.reader = FurnaceLogReader(self.log, position, gap_limit=gap_limit)
            self.warnings = warnings
            self.resumed = True
        self.status = "starting"

    def _warn(self, texts):
        for w in texts:
            if self.warnings.add(w) and self.on_warning is not None:
                self.on_warning(w)

    def _checkpoint(self):
        save_checkpoint(self.out / CHECKPOINT, self.monitor.state(), self.reader.position, self.warnings,
                        self.fingerprint)

    def step(self) -> int:
        """Read the log once and advance through everything new. Returns samples taken."""
        times, temps, warnings = self.reader.read()
        self._warn(warnings)
        if times.size == 0:
            if warnings:
                self._checkpoint()  # the position moved past skipped lines
            return 0
        m = self.monitor
        begun = m.sample_times[-1] if m.sample_times.size else times[0]
        tracker = self.tracker
        if tracker is not None:
            tracker.initialize(float(times[-1] - begun))
        try:
            # catch up in chunks of process time so that a kill loses at most one chunk of work
            start = 0
            while start < times.size:
                stop = int(np.searchsorted(times, times[start] + CHUNK, side="right"))
                progress = None
                if tracker is not None:
                    progress = _Progress(tracker, float((m.sample_times[-1] if m.sample_times.size else times[0])
                                                        - begun))
                m.advance(times[start:stop], temps[start:stop], tracker=progress)
                start = stop
                if start < times.size:
                    self._checkpoint_partial(float(times[start - 1]))
        finally:
            if tracker is not None:
                tracker.finalize()
        self._checkpoint()
        self._stale = True
        return int(times.size)

    def _checkpoint_partial(self, last_taken: float):
        """A checkpoint in the middle of a catch-up: the state is behind the bytes read, and
        the byte offset of its last sample is not kept, so it records a re-read from the
        start of the log that quietly skips the samples up to ``last_taken``."""
        pos = self.reader.position
        saved = (pos.offset, pos.line, pos.header, pos.last_time, pos.skip_until)
        pos.offset, pos.line, pos.header, pos.last_time, pos.skip_until = 0, 0, [], last_taken, last_taken
        try:
            self._checkpoint()
        finally:
            pos.offset, pos.line, pos.header, pos.last_time, pos.skip_until = saved

    def snapshot_json(self) -> dict:
        snap = self.monitor.snapshot()
        return snapshot_to_json(snap, warnings=self.warnings, status=self.status, log=str(self.log),
                                updated=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                incoming_ion=self.recipe.incoming_ion)

    def write_results(self) -> list[Path]:
        """profiles.csv, result.nc (and modes.csv, profiles.png, stress_index.png as
        ``ionex run`` writes them) of the process so far, each replaced atomically."""
        from ..io.run_outputs import write_run_outputs

        if self.monitor.sample_times.size < 2:
            return []
        written = write_run_outputs(self.monitor.result(), self.out, plot=self.plots)
        self.written = written
        self._last_write = _time.monotonic()
        self._stale = False
        return written

    def update_outputs(self, *, final: bool = False) -> dict:
        """state.json (and the live page) now; the result files too when the state changed
        since they were written and ``final`` or ``write_every`` s have passed."""
        data = self.snapshot_json()
        write_json_atomic(self.out / STATE, data)
        if self.publish is not None:
            self.publish(data)
        if self._stale and (final or _time.monotonic() - self._last_write >= self.write_every):
            self.write_results()
        return data

    def run(self, *, follow: bool = False, poll: float = 1.0, stop_after_idle: float = math.inf,
            should_stop: Callable[[], bool] = lambda: False) -> dict:
        """Process the log; with ``follow`` keep polling every ``poll`` s until
        ``should_stop()`` or ``stop_after_idle`` s without new data. Returns the last state.
        The result files are written after the first pass and at the end — also when
        interrupted (KeyboardInterrupt is re-raised after the final write)."""
        try:
            self.status = "catching up"
            self.step()
            self.status = "following" if follow else "done"
            data = self.update_outputs(final=True)
            idle_since = _time.monotonic()
            while follow and not should_stop():
                _time.sleep(poll)
                if self.step():
                    idle_since = _time.monotonic()
                    data = self.update_outputs()
                elif _time.monotonic() - idle_since > stop_after_idle:
                    break
        except KeyboardInterrupt:
            self.status = "stopped"
            self.update_outputs(final=True)
            raise
        if follow:
            self.status = "stopped"
            data = self.update_outputs(final=True)
        return data
