"""Follow a furnace temperature log that another program appends to, surviving what real
logs do: a writer caught mid-line, garbage and non-numeric values, sensor drop-outs,
duplicate or out-of-order time stamps, rotation and truncation.

The log is the CSV of ``ionex run``'s temperature logs: a header naming one time column
(``time_s``, ``time_min``, ``time_h`` or ISO-8601 ``timestamp``) and one temperature
column (``temperature_C`` or ``temperature_K``) — the unit is in the header.

Rules (each broken rule is a warning naming the file and line; the line is skipped):

* a last line without its newline is not read until the writer finishes it;
* a line with the wrong number of fields, a value that is not a number, NaN/inf (a
  sensor drop-out) or a temperature at or below 0 K is skipped;
* a time stamp equal to the last one taken (duplicate) or earlier (out of order) is
  skipped — the first value for a time wins;
* a gap longer than ``gap_limit`` between taken samples is bridged by linear
  interpolation (the rule ``ionex run`` applies between log points) and reported;
* a file that is replaced (new inode) or shorter than what was read (truncated) is read
  again from its start, taking only samples after the last one taken.

:class:`LogPosition` is what a checkpoint stores to resume reading exactly where the
taken samples end.
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from ..errors import RecipeError
from .tables import _TEMPERATURE_COLUMNS, _TIME_COLUMNS

__all__ = ["LogPosition", "FurnaceLogReader", "DEFAULT_GAP_LIMIT"]

DEFAULT_GAP_LIMIT = 600.0  # s: a furnace logger writes every few seconds to a minute


@dataclass
class LogPosition:
    """Where reading stopped: the file's identity, the byte offset after the last complete
    line read, its line number, the header and the time origin of ISO time stamps, and the
    last sample taken (log time, s). ``skip_until`` marks a re-read from the start (after a
    rotation, or from a checkpoint written in the middle of a catch-up): lines up to that
    time were judged before and are passed over without new warnings."""

    device: int = -1
    inode: int = -1
    offset: int = 0
    line: int = 0
    header: list = field(default_factory=list)
    origin: str | None = None
    last_time: float | None = None
    skip_until: float | None = None  # re-reading: samples up to here were taken before (quietly skipped)
    head: str = ""  # hex of the file's first bytes (up to 256, complete lines): a rewrite changes them

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> LogPosition:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


class FurnaceLogReader:
    """Incremental, fault-tolerant reader of a growing temperature log.

    Args:
        path: the log file.
        position: where a previous reader stopped (from a checkpoint), or None.
        gap_limit: longest gap between samples taken without a warning (s).
    """

    def __init__(self, path, position: LogPosition | None = None, gap_limit: float = DEFAULT_GAP_LIMIT):
        self.path = Path(path)
        self.position = position if position is not None else LogPosition()
        if not gap_limit > 0:
            raise ValueError(f"gap_limit must be > 0 s, got {gap_limit!r}")
        self.gap_limit = float(gap_limit)
        self._missing_warned = False

    def _columns(self, header: list, where: str):
        time_cols = [h for h in header if h in _TIME_COLUMNS or h == "timestamp"]
        temp_cols = [h for h in header if h in _TEMPERATURE_COLUMNS]
        if len(time_cols) != 1 or len(temp_cols) != 1:
            raise RecipeError(
                f"{where}: header {','.join(header)!r} must name exactly one time column (time_s, time_min, "
                "time_h or timestamp) and one temperature column (temperature_C or temperature_K)")
        return header.index(time_cols[0]), header.index(temp_cols[0]), _TIME_COLUMNS.get(time_cols[0]), \
            _TEMPERATURE_COLUMNS[temp_cols[0]]

    def read(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """New samples since the last call: (log times s, temperatures K, warnings).

        Raises:
            RecipeError: the header does not name a time and a temperature column (the
                log cannot be interpreted at all).
        """
        pos = self.position
        warnings: list[str] = []
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            if not self._missing_warned:
                warnings.append(f"{self.path}: the log file does not exist (yet); waiting for it")
                self._missing_warned = True
            return np.zeros(0), np.zeros(0), warnings
        self._missing_warned = False
        with open(self.path, "rb") as fh:
            head_now = fh.read(len(pos.head) // 2).hex() if pos.head else ""
            if pos.inode >= 0 and ((st.st_dev, st.st_ino) != (pos.device, pos.inode) or st.st_size < pos.offset
                                   or head_now != pos.head):
                what = "replaced (rotated)" if (st.st_dev, st.st_ino) != (pos.device, pos.inode) else "truncated"
                after = "" if pos.last_time is None else f", taking only samples after t = {pos.last_time:.10g} s"
                warnings.append(f"{self.path}: the log was {what}; reading it again from the start{after}")
                pos.offset, pos.line, pos.header, pos.head = 0, 0, [], ""
                pos.skip_until = pos.last_time
            pos.device, pos.inode = st.st_dev, st.st_ino
            if not pos.head:
                fh.seek(0)
                first = fh.read(256)
                cut = first.rfind(b"\n")
                pos.head = first[: cut + 1].hex() if cut >= 0 else ""
            fh.seek(pos.offset)
            data = fh.read()
        end = data.rfind(b"\n")
        if end < 0:
            return np.zeros(0), np.zeros(0), warnings  # nothing complete yet (a writer mid-line)
        chunk = data[: end + 1]
        times: list[float] = []
        temps: list[float] = []
        columns = self._columns(pos.header, f"{self.path}") if pos.header else None
        line_no = pos.line
        found = warnings
        for raw in chunk.split(b"\n")[:-1]:
            line_no += 1
            where = f"{self.path}, line {line_no}"
            warnings = [] if pos.skip_until is not None else found
            try:
                line = raw.decode("utf-8").strip()
            except UnicodeDecodeError:
                warnings.append(f"{where}: not UTF-8 text; line skipped")
                continue
            if not line or line.startswith("#"):
                continue
            fields = [f.strip() for f in next(csv.reader([line]))]
            if columns is None:
                columns = self._columns(fields, where)
                pos.header = fields
                continue
            it, iT, scale, offset = columns
            if len(fields) != len(pos.header):
                warnings.append(f"{where}: found {len(fields)} fields ({line!r}); expected {len(pos.header)} as in "
                                "the header; line skipped")
                continue
            t = self._time(fields[it], scale, where, warnings)
            try:
                T = float(fields[iT]) + offset
            except ValueError:
                warnings.append(f"{where}: {pos.header[iT]} = {fields[iT]!r} is not a number; line skipped")
                continue
            if t is None:
                continue
            if not (math.isfinite(t) and math.isfinite(T)):
                warnings.append(f"{where}: sensor drop-out ({line!r}); line skipped, the temperature is interpolated "
                                "across the gap")
                continue
            if T <= 0:
                warnings.append(f"{where}: {pos.header[iT]} = {fields[iT]!r} is at or below absolute zero; line skipped")
                continue
            if pos.skip_until is not None:
                if t <= pos.skip_until:
                    continue
                pos.skip_until = None
                warnings = found
            last = times[-1] if times else pos.last_time
            if last is not None and t <= last:
                kind = "duplicate" if t == last else "out-of-order"
                warnings.append(f"{where}: {kind} time stamp {fields[it]!r} (last taken {last:.10g} s); line skipped")
                continue
            if last is not None and t - last > self.gap_limit:
                warnings.append(f"{where}: gap of {t - last:.6g} s in the log (limit {self.gap_limit:.6g} s); the "
                                "temperature is interpolated linearly across it")
            times.append(t)
            temps.append(T)
        pos.offset += len(chunk)
        pos.line = line_no
        if times:
            pos.last_time = times[-1]
        return np.asarray(times, float), np.asarray(temps, float), found

    def _time(self, text: str, scale, where: str, warnings: list) -> float | None:
        pos = self.position
        if scale is not None:
            try:
                return float(text) * scale
            except ValueError:
                warnings.append(f"{where}: time {text!r} is not a number; line skipped")
                return None
        try:
            stamp = datetime.fromisoformat(text)
        except ValueError:
            warnings.append(f"{where}: timestamp {text!r} is not ISO 8601 (e.g. 2024-05-01T08:30:00); line skipped")
            return None
        if pos.origin is None:
            pos.origin = stamp.isoformat()
        origin = datetime.fromisoformat(pos.origin)
        if (stamp.tzinfo is None) != (origin.tzinfo is None):
            warnings.append(f"{where}: timestamp {text!r} mixes time-zone-aware and naive times; line skipped")
            return None
        return (stamp - origin).total_seconds()
