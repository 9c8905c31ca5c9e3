"""The monitor's loop: read what the log has, advance, checkpoint, publish — and, with
``follow``, keep polling. Survives being killed at any moment: every checkpoint is atomic
and holds the log position matching the state, so a restart resumes exactly there.

Files in the output directory:
    monitor_checkpoint.npz   state + log position + warnings (resume); a damaged one is
                             reported, moved aside to ``monitor_checkpoint.npz.damaged-<UTC
                             time>`` and the monitor starts over from the log. A checkpoint
                             of another log (its first lines differ) is an error unless
                             ``resume`` (continue with this log) or ``restart`` (move the
                             checkpoint aside to ``….old-<UTC time>`` and start over).
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

from ..errors import RecipeError
from ..io.furnace_log import (
    DEFAULT_GAP_LIMIT,
    FurnaceLogReader,
    LogLimits,
    LogPosition,
    LogWarning,
    WarningSummary,
)
from ..io.monitor_files import (
    DamagedCheckpoint,
    load_checkpoint,
    move_aside,
    recipe_fingerprint,
    save_checkpoint,
    snapshot_to_json,
    write_json_atomic,
)
from ..process.monitor import ProcessMonitor

__all__ = ["MonitorLoop", "WRITE_EVERY", "MIN_POLL", "MAX_POLL", "check_poll", "DAMAGED"]

CHECKPOINT = "monitor_checkpoint.npz"
STATE = "state.json"
BLOCK = 8 << 20  # bytes of log read at once, then advanced through and checkpointed: ~1 s of work
CHUNK = (
    24 * 3600.0
)  # s of process time per advance: a solver restart as often keeps it as accurate as documented
WRITE_EVERY = 30.0  # s of wall time between two writes of the result files while following
MIN_POLL = 0.05  # s: polling faster only burns a core (a logger writes every second at most)
MAX_POLL = 3600.0  # s: slower and a live page is not live
DAMAGED = "damaged checkpoint"


def check_poll(poll: float) -> float:
    """The polling interval (s), refused outside MIN_POLL..MAX_POLL."""
    if not MIN_POLL <= poll <= MAX_POLL:
        raise RecipeError(f"--poll: found {poll:g} s; expected {MIN_POLL:g} s to {MAX_POLL:g} s")
    return float(poll)


def _same_log(path: Path, position: LogPosition) -> bool:
    """Does ``path`` begin as the log that ``position`` was read from (its first lines, up to
    256 bytes)? A missing file or a checkpoint that read nothing cannot tell: True."""
    if not position.head:
        return True
    try:
        with open(path, "rb") as fh:
            return fh.read(len(position.head) // 2).hex() == position.head
    except OSError:
        return True


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
        force: replace result files in ``out`` that ionex did not write.
        limits: the plausible temperatures of the log (LogLimits; the defaults when None).
        on_notice: called with what the loop does on its own that the user should know
            (waiting for a first sample, a checkpoint moved aside by ``restart``).
        resume: continue from the checkpoint even when the log is not the one it followed.
        restart: move an existing checkpoint aside and start over from the log.

    Raises:
        RecipeError: the checkpoint is of another recipe, or of another log (without
            ``resume`` or ``restart``).
    """

    def __init__(
        self,
        recipe,
        log,
        out,
        *,
        gap_limit: float = DEFAULT_GAP_LIMIT,
        publish: Callable[[dict], None] | None = None,
        on_warning: Callable[[str], None] | None = None,
        tracker=None,
        write_every: float = WRITE_EVERY,
        plots: bool = True,
        force: bool = False,
        limits: LogLimits | None = None,
        on_notice: Callable[[str], None] | None = None,
        resume: bool = False,
        restart: bool = False,
    ):
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
        self.force = force
        self.written: list[Path] = []
        self._last_write = -math.inf
        self._stale = True  # the result files are behind the state
        self.on_notice = on_notice
        self.limits = limits
        path = self.out / CHECKPOINT
        if restart and path.exists():
            aside = move_aside(path, "old")
            self._notice(
                f"--restart: moved the checkpoint aside to {aside}; starting over from the log"
            )
        monitor, damaged = None, None
        try:
            saved = load_checkpoint(path, self.fingerprint)
            if saved is not None:
                monitor = ProcessMonitor.from_state(recipe, saved[0])
        except DamagedCheckpoint as exc:
            damaged = str(exc)
        except RecipeError:
            raise
        except ValueError as exc:  # consistent in itself, but not on this recipe's mesh
            damaged = f"{path}: {exc}"
        self.warnings = WarningSummary()
        if damaged is not None:
            aside = move_aside(path, "damaged")
            self._warn(
                [
                    LogWarning(
                        f"{damaged}; moved it aside to {aside.name} and starting over from the log",
                        DAMAGED,
                    )
                ]
            )
        elif saved is not None and not resume and not _same_log(self.log, saved[1]):
            raise RecipeError(
                f"{self.log}: not the log that the checkpoint {path} followed (its first lines differ); "
                "expected the same log, growing — pass --resume to continue the old run with this log (e.g. the "
                "old one was rotated), or --restart to move the checkpoint aside and start over"
            )
        if monitor is None:
            self.monitor = ProcessMonitor(recipe)
            self.reader = FurnaceLogReader(self.log, gap_limit=gap_limit, limits=limits)
            self.resumed = False
        else:
            state, position, warnings = saved
            self.monitor = monitor
            self.reader = FurnaceLogReader(self.log, position, gap_limit=gap_limit, limits=limits)
            self.warnings = warnings
            self.resumed = True
        self.status = "starting"

    def _notice(self, text: str) -> None:
        if self.on_notice is not None:
            self.on_notice(text)

    def _warn(self, texts):
        for w in texts:
            if self.warnings.add(w) and self.on_warning is not None:
                self.on_warning(w)

    def _checkpoint(self):
        save_checkpoint(
            self.out / CHECKPOINT,
            self.monitor.state(),
            self.reader.position,
            self.warnings,
            self.fingerprint,
        )

    def step(self) -> int:
        """Read what the log has, block by block (BLOCK bytes), advancing through each (in
        CHUNK pieces of process time) and checkpointing after each — the checkpoint then
        holds the exact byte offset of the state. Returns samples taken."""
        m, tracker = self.monitor, self.tracker
        taken, begun, shown = 0, None, False
        try:
            while True:
                times, temps, warnings = self.reader.read(max_bytes=BLOCK)
                self._warn(warnings)
                if times.size:
                    if begun is None:
                        begun = m.sample_times[-1] if m.sample_times.size else times[0]
                    progress = None
                    if tracker is not None:
                        if (
                            not shown
                        ):  # the catch-up's length: to the log's last line, as far as it tells
                            end = self.reader.last_time_in_file() if self.reader.more else None
                            tracker.initialize(float(max(end or times[-1], times[-1]) - begun))
                            shown = True
                    start = 0
                    while start < times.size:
                        stop = int(np.searchsorted(times, times[start] + CHUNK, side="right"))
                        if tracker is not None:
                            progress = _Progress(
                                tracker,
                                float(
                                    (m.sample_times[-1] if m.sample_times.size else times[0])
                                    - begun
                                ),
                            )
                        m.advance(times[start:stop], temps[start:stop], tracker=progress)
                        start = stop
                    taken += int(times.size)
                if times.size or warnings:
                    self._checkpoint()  # the state and the position after the lines just read
                if not self.reader.more:
                    break
        finally:
            if tracker is not None and shown:
                tracker.finalize()
        if taken:
            self._stale = True
        return taken

    def snapshot_json(self) -> dict:
        snap = self.monitor.snapshot()
        return snapshot_to_json(
            snap,
            warnings=self.warnings,
            status=self.status,
            log=str(self.log),
            updated=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            incoming_ion=self.recipe.incoming_ion,
        )

    def write_results(self) -> list[Path]:
        """profiles.csv, result.nc (and modes.csv, profiles.png, stress_index.png as
        ``ionex run`` writes them) of the process so far, each replaced atomically."""
        from ..io.run_outputs import write_run_outputs

        if self.monitor.sample_times.size < 2:
            return []
        written = write_run_outputs(
            self.monitor.result(), self.out, plot=self.plots, command="monitor", force=self.force
        )
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

    def run(
        self,
        *,
        follow: bool = False,
        poll: float = 1.0,
        stop_after_idle: float = math.inf,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> dict:
        """Process the log; with ``follow`` keep polling every ``poll`` s until
        ``should_stop()`` or ``stop_after_idle`` s without new data. Returns the last state.
        The result files are written after the first pass and at the end — also when
        interrupted (KeyboardInterrupt is re-raised after the final write)."""
        if follow:
            check_poll(poll)
        try:
            self.status = "catching up"
            self.step()
            n = self.monitor.n_samples
            if n < 2:  # nothing to advance over yet
                if not follow:
                    what = (
                        "no such file"
                        if not self.log.exists()
                        else "no samples in the log"
                        if n == 0
                        else "found 1 sample in the log"
                    )
                    raise RecipeError(
                        f"{self.log}: {what}; expected a header such as time_s,temperature_C and at "
                        "least 2 samples (with --follow the monitor waits for them)"
                    )
                self._notice(
                    f"{'no samples' if n == 0 else 'one sample'} in {self.log} yet; waiting for more"
                )
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
