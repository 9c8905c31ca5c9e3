"""The monitor's loop: read what the log has, advance, checkpoint, publish — and, with
``follow``, keep polling. Survives being killed at any moment: every checkpoint is atomic
and holds the log position matching the state, so a restart resumes exactly there.

Files in the output directory:
    monitor_checkpoint.npz   state + log position + warnings (resume)
    state.json               the latest prediction (what the live page's /state.json serves)
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..io.furnace_log import DEFAULT_GAP_LIMIT, FurnaceLogReader
from ..io.monitor_files import load_checkpoint, recipe_fingerprint, save_checkpoint, snapshot_to_json, write_json_atomic
from ..process.monitor import ProcessMonitor

__all__ = ["MonitorLoop"]

CHECKPOINT = "monitor_checkpoint.npz"
STATE = "state.json"
CHUNK = 24 * 3600.0  # s of process time per advance while catching up: a checkpoint at least this often


class MonitorLoop:
    """Follow ``log`` for ``recipe`` writing into ``out``; see the module docstring.

    Args:
        recipe: the planned process (a Recipe with one bath step).
        log: the temperature log file.
        out: output directory (created).
        gap_limit: longest gap between samples without a warning (s).
        publish: called with the JSON state after every update (the live page).
        on_warning: called with every new warning text.
    """

    def __init__(self, recipe, log, out, *, gap_limit: float = DEFAULT_GAP_LIMIT,
                 publish: Callable[[dict], None] | None = None, on_warning: Callable[[str], None] | None = None):
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.log = Path(log)
        self.fingerprint = recipe_fingerprint(recipe.source_text or repr(recipe))
        self.publish = publish
        self.on_warning = on_warning
        saved = load_checkpoint(self.out / CHECKPOINT, self.fingerprint)
        if saved is None:
            self.monitor = ProcessMonitor(recipe)
            self.reader = FurnaceLogReader(self.log, gap_limit=gap_limit)
            self.warnings: list[str] = []
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
            self.warnings.append(w)
            if self.on_warning is not None:
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
        # catch up in chunks of process time so that a kill loses at most one chunk of work
        start = 0
        while start < times.size:
            stop = int(np.searchsorted(times, times[start] + CHUNK, side="right"))
            self.monitor.advance(times[start:stop], temps[start:stop])
            start = stop
            if start < times.size:
                self._checkpoint_partial(float(times[start - 1]))
        self._checkpoint()
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
                                updated=datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def update_outputs(self) -> dict:
        data = self.snapshot_json()
        write_json_atomic(self.out / STATE, data)
        if self.publish is not None:
            self.publish(data)
        return data

    def run(self, *, follow: bool = False, poll: float = 1.0, stop_after_idle: float = math.inf,
            should_stop: Callable[[], bool] = lambda: False) -> dict:
        """Process the log; with ``follow`` keep polling every ``poll`` s until
        ``should_stop()`` or ``stop_after_idle`` s without new data. Returns the last state."""
        self.status = "catching up"
        self.step()
        self.status = "following" if follow else "done"
        data = self.update_outputs()
        idle_since = _time.monotonic()
        while follow and not should_stop():
            _time.sleep(poll)
            n = self.step()
            if n:
                idle_since = _time.monotonic()
                data = self.update_outputs()
            elif _time.monotonic() - idle_since > stop_after_idle:
                break
        if follow:
            self.status = "stopped"
            data = self.update_outputs()
        return data
