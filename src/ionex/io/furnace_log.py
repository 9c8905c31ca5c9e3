"""The one reader of furnace temperature logs — a recipe's ``log = "file.csv"``, ``ionex run
--temperature-log`` and the process monitor all read through it — surviving what real
logs do: a writer caught mid-line, garbage and non-numeric values, sensor drop-outs,
duplicate or out-of-order time stamps, rotation and truncation.

The log is a CSV with a header naming one time column (``time_s``, ``time_min``,
``time_h`` or ISO-8601 ``timestamp``) and one temperature column (``temperature_C`` or
``temperature_K``) — the unit is in the header; other columns are ignored.

One policy for bad lines, two modes: *lenient* (the monitor, and ``ionex run --lenient``)
skips a bad line with a warning; *strict* (``ionex run``'s default) stops at the first one
with an error naming the file and the line. A gap is not a bad line: it is bridged in both
modes and reported when a gap limit is set.

Rules (each broken rule is a warning — or, strict, an error — naming the file and line):

* a last line without its newline is not read until the writer finishes it (a finished
  file, ``read(final=True)``, reads it);
* a line with the wrong number of fields, a value that is not a number, NaN/inf or an
  empty temperature (a sensor drop-out) or a temperature at or below 0 K is skipped;
* a time stamp equal to the last one taken (duplicate) or earlier (out of order) is
  skipped — the first value for a time wins; a time that overflows (``time_h = 1e306``) is
  an unreadable time;
* an implausible temperature is skipped (strict: an error): outside ``LogLimits``'
  range (−50 °C to 1500 °C by default), or changing from the last sample taken faster
  than its ``max_rate`` (50 K/min by default) plus ``NOISE`` (5 K) of sensor noise;
* a gap longer than ``gap_limit`` between taken samples is bridged by linear
  interpolation (the rule ``ionex run`` applies between log points) and reported;
* a file that is replaced (new inode) or shorter than what was read (truncated) is read
  again from its start, taking only samples after the last one taken.

:class:`LogPosition` is what a checkpoint stores to resume reading exactly where the
taken samples end. Warnings are :class:`LogWarning` strings that also carry their ``kind``
and line; :class:`WarningSummary` aggregates them by kind (count, first and last) and keeps
every sensor drop-out and every gap as an event of its own.
"""

from __future__ import annotations

import csv
import math
import os
import re
import stat
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from ..constants import ZERO_CELSIUS
from ..errors import RecipeError
from .schema import TEMPERATURE_COLUMNS, TIME_COLUMNS, TIMESTAMP_COLUMN

__all__ = [
    "LogPosition",
    "FurnaceLogReader",
    "DEFAULT_GAP_LIMIT",
    "LogWarning",
    "WarningSummary",
    "read_log_file",
    "DROP_OUT",
    "GAP",
    "EVENT_KINDS",
    "LogLimits",
    "IMPLAUSIBLE",
    "NOISE",
]

DEFAULT_GAP_LIMIT = 600.0  # s: a furnace logger writes every few seconds to a minute
_FAST_BLOCK = 4096  # lines checked at once (vectorised); a block with a fault is read line by line
MAX_LOG_TIME = (
    1e5 * 3600.0
)  # s: 100 000 h (11 years); a later time is a logger fault, not a process
NOISE = (
    5.0  # K: a step between two samples that is always plausible (thermocouple noise, quantisation)
)

# kinds of warning (a fault class each); the two that lose real data are kept as events
MISSING = "log file missing"
NOT_TEXT = "not UTF-8 text"
FIELDS = "wrong number of fields"
BAD_TIME = "unreadable time"
NOT_A_NUMBER = "temperature not a number"
DROP_OUT = "sensor drop-out"
BELOW_ZERO = "temperature at or below 0 K"
DUPLICATE = "duplicate time stamp"
OUT_OF_ORDER = "out-of-order time stamp"
GAP = "gap"
IMPLAUSIBLE = "implausible temperature"
ROTATED = "log rotated"
TRUNCATED = "log truncated or rewritten"
EVENT_KINDS = (DROP_OUT, GAP)


class LogWarning(str):
    """A warning text that also tells its ``kind`` (one of the fault classes above), the
    ``line`` it is about (or None) and, for a drop-out, ``after``: the log time of the last
    sample taken before it (consecutive drop-out lines share it: one event)."""

    kind: str
    line: int | None
    after: float | None

    def __new__(cls, text: str, kind: str, line: int | None = None, after: float | None = None):
        self = super().__new__(cls, text)
        self.kind, self.line, self.after = kind, line, after
        return self


# what identifies the kind of a plain warning text (a checkpoint written before kinds), in
# the order tried: the message of one kind may quote a line that holds another's words
_TEXT_KINDS = (
    ("does not exist", MISSING),
    ("not UTF-8", NOT_TEXT),
    (" fields (", FIELDS),
    ("sensor drop-out", DROP_OUT),
    ("duplicate time stamp", DUPLICATE),
    ("out-of-order", OUT_OF_ORDER),
    ("gap of", GAP),
    ("replaced (rotated)", ROTATED),
    ("truncated", TRUNCATED),
    ("absolute zero", BELOW_ZERO),
    ("time '", BAD_TIME),
    ("timestamp '", BAD_TIME),
    ("is not a number", NOT_A_NUMBER),
    ("plausible", IMPLAUSIBLE),
)


def _kind_of_text(text: str) -> str:
    for words, kind in _TEXT_KINDS:
        if words in text:
            return kind
    return "other"


def _line_of_text(text: str) -> int | None:
    m = re.search(r", line (\d+): ", text)
    return int(m.group(1)) if m else None


class WarningSummary:
    """Warnings aggregated by kind, so that 180 repeated lines do not hide a real fault.

    Every kind is one entry — its count and its first and last warning — except the two
    that lose data: each sensor drop-out (consecutive drop-out lines are one) and each gap
    is an entry of its own, never merged away. Entries keep the order in which they first
    appeared. :meth:`add` tells whether a warning opened a new entry (worth announcing)."""

    def __init__(self, entries: list | None = None):
        self.entries: list[dict] = [dict(e) for e in (entries or [])]
        self._kinds = {e["kind"]: e for e in self.entries if e["kind"] not in EVENT_KINDS}
        drops = [e for e in self.entries if e["kind"] == DROP_OUT]
        self._drop = drops[-1] if drops else None  # the latest drop-out: more lines may extend it

    @property
    def total(self) -> int:
        """How many warnings (lines) in all."""
        return sum(int(e["count"]) for e in self.entries)

    def add(self, warning) -> bool:
        kind = getattr(warning, "kind", None) or _kind_of_text(warning)
        line = getattr(warning, "line", None)
        line = _line_of_text(warning) if line is None else line
        text = str(warning)
        if kind == DROP_OUT and self._drop is not None:
            after = getattr(warning, "after", None)
            if (
                after is not None and self._drop.get("after") == after
            ):  # no sample taken since: the same drop-out
                self._drop.update(count=self._drop["count"] + 1, last=text, last_line=line)
                return False
        if kind not in EVENT_KINDS and kind in self._kinds:
            entry = self._kinds[kind]
            entry.update(count=entry["count"] + 1, last=text, last_line=line)
            return False
        entry = {
            "kind": kind,
            "count": 1,
            "first": text,
            "last": text,
            "first_line": line,
            "last_line": line,
        }
        if kind == DROP_OUT:
            entry["after"] = getattr(warning, "after", None)
            self._drop = entry
        self.entries.append(entry)
        if kind not in EVENT_KINDS:
            self._kinds[kind] = entry
        return True

    def extend(self, warnings) -> list:
        """Add each; returns those that opened a new entry."""
        return [w for w in warnings if self.add(w)]

    def to_list(self) -> list[dict]:
        """JSON-ready entries: kind, count, first, last, first_line, last_line."""
        return [
            {
                k: e.get(k)
                for k in ("kind", "count", "first", "last", "first_line", "last_line", "after")
                if k != "after" or e.get("after") is not None
            }
            for e in self.entries
        ]

    @classmethod
    def from_texts(cls, texts) -> WarningSummary:
        summary = cls()
        summary.extend(texts)
        return summary

    def __len__(self) -> int:
        return len(self.entries)

    def kinds(self) -> set:
        return {e["kind"] for e in self.entries}

    def repeated(self) -> list[str]:
        """One line for each entry that holds more than one warning (what a terminal that
        printed only the first of each kind has not shown)."""
        out = []
        for e in self.entries:
            if e["count"] > 1:
                span = (
                    f" (lines {e['first_line']} to {e['last_line']})"
                    if e.get("first_line") is not None and e.get("last_line") is not None
                    else ""
                )
                many = (
                    f"{e['count']} lines in one"
                    if e["kind"] in EVENT_KINDS
                    else f"{e['count']} in all"
                )
                out.append(f"{e['kind']}: {many}{span}; the last: {e['last']}")
        return out


def _celsius(T: float) -> str:
    return f"{T - ZERO_CELSIUS:.6g} degC"


@dataclass(frozen=True)
class LogLimits:
    """What a furnace can log: temperatures within [``minimum``, ``maximum``] (K) that change
    from one sample to the next by at most ``max_rate`` (K/s) × the time between them,
    plus NOISE. The defaults (−50 °C to 1500 °C, 50 K/min) hold for any salt bath or glass
    furnace: a bath of molten salt heats and cools at a few K/min, and its thermocouple
    cannot follow a change of 50 K in a minute; a value outside is a logger or sensor
    fault, not a temperature the glass saw."""

    minimum: float = ZERO_CELSIUS - 50.0
    maximum: float = ZERO_CELSIUS + 1500.0
    max_rate: float = 50.0 / 60.0

    def __post_init__(self):
        if not (
            math.isfinite(self.minimum)
            and math.isfinite(self.maximum)
            and 0 <= self.minimum < self.maximum
        ):
            raise RecipeError(
                f"log range: found {_celsius(self.minimum)}..{_celsius(self.maximum)}; expected "
                'finite temperatures at or above 0 K with the lower first, e.g. "-50 degC..1500 degC"'
            )
        if not self.max_rate > 0:
            raise RecipeError(
                f"maximum rate of change: found {self.max_rate * 60:.6g} K/min; expected a rate > 0, "
                'e.g. "50 K/min"'
            )

    def describe(self) -> str:
        return f"{_celsius(self.minimum)}..{_celsius(self.maximum)}, at most {self.max_rate * 60:.6g} K/min"


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
    skip_until: float | None = (
        None  # re-reading: samples up to here were taken before (quietly skipped)
    )
    head: str = (
        ""  # hex of the file's first bytes (up to 256, complete lines): a rewrite changes them
    )
    last_temperature: float | None = (
        None  # of the last sample taken (K): the rate of change is judged from it
    )

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
        gap_limit: longest gap between samples taken without a warning (s; ``math.inf``:
            never warn).
        strict: a bad line is an error (RecipeError naming the file and line) instead of a
            skipped line with a warning; a missing file too.
        limits: the plausible temperatures (LogLimits; the defaults when None).
    """

    def __init__(
        self,
        path,
        position: LogPosition | None = None,
        gap_limit: float = DEFAULT_GAP_LIMIT,
        strict: bool = False,
        limits: LogLimits | None = None,
    ):
        self.path = Path(path)
        self.position = position if position is not None else LogPosition()
        if not gap_limit > 0:
            raise ValueError(f"gap_limit must be > 0 s, got {gap_limit!r}")
        self.gap_limit = float(gap_limit)
        self.strict = bool(strict)
        self.limits = limits if limits is not None else LogLimits()
        self._missing_warned = False

    def _columns(self, header: list, where: str):
        time_cols = [h for h in header if h in TIME_COLUMNS or h == TIMESTAMP_COLUMN]
        temp_cols = [h for h in header if h in TEMPERATURE_COLUMNS]
        if len(time_cols) != 1 or len(temp_cols) != 1:
            raise RecipeError(
                f"{where}: header {','.join(header)!r} must name exactly one time column (time_s, time_min, "
                "time_h or timestamp) and one temperature column (temperature_C or temperature_K)"
            )
        return (
            header.index(time_cols[0]),
            header.index(temp_cols[0]),
            TIME_COLUMNS.get(time_cols[0]),
            TEMPERATURE_COLUMNS[temp_cols[0]],
        )

    def _bad(
        self,
        warnings: list,
        kind: str,
        where: str,
        line: int,
        message: str,
        skipped: str = "line skipped",
        after: float | None = None,
    ) -> None:
        """A bad line: an error when strict, else a warning and the line is skipped."""
        if self.strict:
            raise RecipeError(
                f"{where}: {message} (ionex run --lenient skips bad lines with a warning; the "
                "monitor always does)"
            )
        warnings.append(LogWarning(f"{where}: {message}; {skipped}", kind, line, after))

    def read(
        self, final: bool = False, max_bytes: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """New samples since the last call: (log times s, temperatures K, warnings).

        Args:
            final: the file is finished: a last line without its newline is read too
                (a live log's is left for its writer to finish).
            max_bytes: read at most about this many new bytes (whole lines; at least one
                line) — a big log is then read block by block, ``more`` telling whether
                bytes are left; None: everything new.
        Raises:
            RecipeError: the header does not name a time and a temperature column (the
                log cannot be interpreted at all); strict: a bad line or a missing file.
        """
        pos = self.position
        warnings: list[str] = []
        self.more = False
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            if self.strict:
                raise RecipeError(f"{self.path}: no such file") from None
            if not self._missing_warned:
                warnings.append(
                    LogWarning(
                        f"{self.path}: the log file does not exist (yet); waiting for it", MISSING
                    )
                )
                self._missing_warned = True
            return np.zeros(0), np.zeros(0), warnings
        self._missing_warned = False
        if stat.S_ISDIR(
            st.st_mode
        ):  # not a passing state of a live log: say so at once, lenient or not
            raise RecipeError(f"{self.path}: is a directory; expected a temperature log file (CSV)")
        try:
            fh = open(self.path, "rb")
        except OSError as exc:
            raise RecipeError(
                f"{self.path}: cannot read the temperature log ({exc.strerror or exc})"
            ) from None
        with fh:
            head_now = fh.read(len(pos.head) // 2).hex() if pos.head else ""
            if pos.inode >= 0 and (
                (st.st_dev, st.st_ino) != (pos.device, pos.inode)
                or st.st_size < pos.offset
                or head_now != pos.head
            ):
                rotated = (st.st_dev, st.st_ino) != (pos.device, pos.inode)
                what = "replaced (rotated)" if rotated else "truncated"
                after = (
                    ""
                    if pos.last_time is None
                    else f", taking only samples after t = {pos.last_time:.10g} s"
                )
                warnings.append(
                    LogWarning(
                        f"{self.path}: the log was {what}; reading it again from the start{after}",
                        ROTATED if rotated else TRUNCATED,
                    )
                )
                pos.offset, pos.line, pos.header, pos.head = 0, 0, [], ""
                pos.skip_until = pos.last_time
            pos.device, pos.inode = st.st_dev, st.st_ino
            if len(pos.head) < 512:  # until it holds 256 bytes: the log's identity for a checkpoint
                fh.seek(0)
                first = fh.read(256)
                cut = first.rfind(b"\n")
                pos.head = first[: cut + 1].hex() if cut >= 0 else ""
            fh.seek(pos.offset)
            data = fh.read() if max_bytes is None else fh.read(max_bytes)
            if max_bytes is not None and len(data) == max_bytes:
                if b"\n" not in data:  # one line longer than the block: read on to its end
                    data += fh.readline()
                self.more = pos.offset + len(data) < st.st_size
        if self.more and not data.endswith(b"\n"):
            data = data[: data.rfind(b"\n") + 1]  # the rest of the line comes with the next block
        if final and data and not data.endswith(b"\n") and not self.more:
            chunk, lines = data, data.split(b"\n")  # the writer is done: the last line is whole
        else:
            end = data.rfind(b"\n")
            if end < 0:
                return (
                    np.zeros(0),
                    np.zeros(0),
                    warnings,
                )  # nothing complete yet (a writer mid-line)
            chunk = data[: end + 1]
            lines = chunk.split(b"\n")[:-1]
        times: list[float] = []
        temps: list[float] = []
        columns = self._columns(pos.header, f"{self.path}") if pos.header else None
        line_no = pos.line
        found = warnings
        fast_from = 0  # the first index of lines that the fast path may take
        k = -1
        while k + 1 < len(lines):
            k += 1
            raw = lines[k]
            if (
                k >= fast_from
                and columns is not None
                and columns[2] is not None
                and pos.skip_until is None
                and len(lines) - k >= 64
            ):
                block = lines[k : k + _FAST_BLOCK]
                clean = self._clean_block(
                    block,
                    columns,
                    times[-1] if times else pos.last_time,
                    temps[-1] if temps else pos.last_temperature,
                )
                if clean is not None:
                    times.extend(clean[0].tolist())
                    temps.extend(clean[1].tolist())
                    line_no += len(block)
                    k += len(block) - 1
                    continue
                fast_from = k + len(block)  # a fault in there: these lines one by one
            line_no += 1
            where = f"{self.path}, line {line_no}"
            warnings = [] if pos.skip_until is not None else found
            last = times[-1] if times else pos.last_time
            try:
                line = raw.decode("utf-8").strip()
            except UnicodeDecodeError:
                self._bad(warnings, NOT_TEXT, where, line_no, "not UTF-8 text")
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
                self._bad(
                    warnings,
                    FIELDS,
                    where,
                    line_no,
                    f"found {len(fields)} fields ({line!r}); expected {len(pos.header)} as in the header",
                )
                continue
            t = self._time(fields[it], scale, where, line_no, warnings, pos.header[it])
            if t is None:
                continue
            try:
                T = (
                    float(fields[iT] or "nan") + offset
                )  # an empty field is a missing reading: a drop-out
            except ValueError:
                self._bad(
                    warnings,
                    NOT_A_NUMBER,
                    where,
                    line_no,
                    f"{pos.header[iT]} = {fields[iT]!r} is not a number",
                )
                continue
            if not (math.isfinite(t) and math.isfinite(T)):
                self._bad(
                    warnings,
                    DROP_OUT,
                    where,
                    line_no,
                    f"sensor drop-out ({line!r}): a value is missing or not a finite number",
                    "line skipped, the temperature is interpolated across the gap",
                    after=last,
                )
                continue
            if T <= 0:
                self._bad(
                    warnings,
                    BELOW_ZERO,
                    where,
                    line_no,
                    f"{pos.header[iT]} = {fields[iT]!r} is at or below absolute zero; expected a temperature "
                    "above 0 K",
                )
                continue
            if pos.skip_until is not None:
                if t <= pos.skip_until:
                    continue
                pos.skip_until = None
                warnings = found
            if last is not None and t <= last:
                kind = DUPLICATE if t == last else OUT_OF_ORDER
                self._bad(
                    warnings,
                    kind,
                    where,
                    line_no,
                    f"{kind} {fields[it]!r}: the time does not increase (last sample taken at {last:.10g} s); "
                    "expected a later time",
                )
                continue
            lim = self.limits
            if not lim.minimum <= T <= lim.maximum:
                self._bad(
                    warnings,
                    IMPLAUSIBLE,
                    where,
                    line_no,
                    f"{pos.header[iT]} = {fields[iT]!r} is not a plausible furnace temperature; expected "
                    f"{_celsius(lim.minimum)}..{_celsius(lim.maximum)} (--log-range)",
                    "sample rejected",
                )
                continue
            last_T = temps[-1] if temps else pos.last_temperature
            if (
                last is not None
                and last_T is not None
                and abs(T - last_T) > lim.max_rate * (t - last) + NOISE
            ):
                self._bad(
                    warnings,
                    IMPLAUSIBLE,
                    where,
                    line_no,
                    f"{pos.header[iT]} = {fields[iT]!r} is not plausible: a change of {T - last_T:+.6g} K in "
                    f"{t - last:.6g} s since the last sample taken "
                    f"({(T - last_T) / (t - last) * 60:+.6g} K/min); expected at most "
                    f"{lim.max_rate * 60:.6g} K/min + {NOISE:g} K (--max-rate)",
                    "sample rejected",
                )
                continue
            if last is not None and t - last > self.gap_limit:
                warnings.append(
                    LogWarning(
                        f"{where}: gap of {t - last:.6g} s in the log (limit {self.gap_limit:.6g} s); the temperature is "
                        "interpolated linearly across it",
                        GAP,
                        line_no,
                    )
                )
            times.append(t)
            temps.append(T)
        pos.offset += len(chunk)
        pos.line = line_no
        if times:
            pos.last_time = times[-1]
            pos.last_temperature = temps[-1]
        return np.asarray(times, float), np.asarray(temps, float), found

    def last_time_in_file(self) -> float | None:
        """The log time (s) of the file's last complete line, when it reads as a sample
        (for a progress estimate only), else None."""
        pos = self.position
        if not pos.header:
            return None
        it, _, scale, _ = self._columns(pos.header, str(self.path))
        try:
            with open(self.path, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                fh.seek(max(0, fh.tell() - 4096))
                tail = fh.read().rsplit(b"\n", 2)
            fields = tail[-2].decode("utf-8").strip().split(",") if len(tail) >= 2 else []
            if len(fields) != len(pos.header):
                return None
            t = self._time(fields[it].strip(), scale, "", 0, [], pos.header[it])
        except (OSError, UnicodeDecodeError, RecipeError, ValueError):
            return None
        return t if t is not None and math.isfinite(t) else None

    def _clean_block(self, lines: list, columns, last: float | None, last_T: float | None):
        """(times s, temperatures K) of a block of lines when every one of them is a plain
        good sample (nothing to warn about), or None: then the lines are read one by one.
        The same values and the same rules as the line-by-line reading, vectorised."""
        it, iT, scale, offset = columns
        ncols = len(self.position.header)
        blob = b"\n".join(lines)
        if not blob.isascii() or b'"' in blob or b"#" in blob:
            return None
        raw = np.frombuffer(blob + b"\n", np.uint8)
        seps = raw[(raw == 44) | (raw == 10)]
        if seps.size != len(lines) * ncols:
            return None
        seps = seps.reshape(len(lines), ncols)
        if np.any(seps[:, :-1] != 44) or np.any(
            seps[:, -1] != 10
        ):  # a line with the wrong number of fields
            return None
        fields = blob.replace(b"\n", b",").split(b",")
        try:
            t = np.array(list(map(float, fields[it::ncols]))) * scale
            T = np.array(list(map(float, fields[iT::ncols]))) + offset
        except ValueError:
            return None
        lim = self.limits
        if not (
            np.all(np.abs(t) <= MAX_LOG_TIME)
            and np.all(np.isfinite(T))
            and np.all(T > 0)
            and np.all((T >= lim.minimum) & (T <= lim.maximum))
        ):
            return None
        tt = t if last is None else np.concatenate([[last], t])
        dt = np.diff(tt)
        if np.any(dt <= 0) or np.any(dt > self.gap_limit):
            return None
        if last is not None and last_T is not None:
            dT = np.diff(np.concatenate([[last_T], T]))
        else:  # the first sample has nothing to be compared with
            dT, dt = np.diff(T), dt[-(T.size - 1) :] if T.size > 1 else dt[:0]
        if np.any(np.abs(dT) > lim.max_rate * dt + NOISE):
            return None
        return t, T

    def _time(
        self, text: str, scale, where: str, line: int, warnings: list, column: str = "time"
    ) -> float | None:
        pos = self.position
        if scale is not None:
            try:
                value = float(text)
            except ValueError:
                self._bad(warnings, BAD_TIME, where, line, f"time {text!r} is not a number")
                return None
            seconds = value * scale
            if (
                math.isinf(seconds) and "inf" not in text.lower()
            ):  # a number too large, not a written inf
                self._bad(
                    warnings,
                    BAD_TIME,
                    where,
                    line,
                    f"{column} = {text!r} overflows ({value:.6g} × {scale:g} s is not "
                    "a finite time); expected a finite time",
                )
                return None
            return self._within_span(seconds, f"{column} = {text!r}", where, line, warnings)
        try:
            stamp = datetime.fromisoformat(text)
        except ValueError:
            self._bad(
                warnings,
                BAD_TIME,
                where,
                line,
                f"timestamp {text!r} is not ISO 8601 (e.g. 2024-05-01T08:30:00)",
            )
            return None
        if pos.origin is None:
            pos.origin = stamp.isoformat()
        origin = datetime.fromisoformat(pos.origin)
        if (stamp.tzinfo is None) != (origin.tzinfo is None):
            self._bad(
                warnings,
                BAD_TIME,
                where,
                line,
                f"timestamp {text!r} mixes time-zone-aware and naive times",
            )
            return None
        return self._within_span(
            (stamp - origin).total_seconds(), f"timestamp {text!r}", where, line, warnings
        )

    def _within_span(
        self, seconds: float, shown: str, where: str, line: int, warnings: list
    ) -> float | None:
        """A time within ±MAX_LOG_TIME (a finite but absurd stamp would stretch the process)."""
        if (
            not abs(seconds) > MAX_LOG_TIME
        ):  # NaN passes: a missing time is a drop-out, reported as one
            return seconds
        self._bad(
            warnings,
            BAD_TIME,
            where,
            line,
            f"{shown} is {seconds / 3600:.3g} h; expected a log time within "
            f"±{MAX_LOG_TIME / 3600:.0f} h",
        )
        return None


def read_log_file(
    path, *, lenient: bool = False, gap_limit: float = math.inf, limits: LogLimits | None = None
):
    """A finished log read at once: (times from the first sample s, temperatures K,
    warnings). Strict (the default) stops at the first bad line with a RecipeError naming
    the file and line; lenient skips it with a warning. Either way a gap longer than
    ``gap_limit`` is a warning and is bridged linearly. ``limits``: the plausible
    temperatures (LogLimits; the defaults when None).

    Raises:
        RecipeError: no such file, an empty file, a header without the columns, no sample;
            strict: a bad line.
    """
    if not Path(path).exists():
        raise RecipeError(f"{path}: no such file")  # lenient or not: a finished log must be there
    reader = FurnaceLogReader(path, gap_limit=gap_limit, strict=not lenient, limits=limits)
    try:
        times, temps, warnings = reader.read(final=True)
    except IsADirectoryError:
        raise RecipeError(f"{path}: is a directory, not a log file") from None
    except OSError as exc:
        raise RecipeError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    if not reader.position.header:
        raise RecipeError(
            f"{path}: the file is empty; expected a header such as time_h,temperature_C and data lines"
        )
    if times.size == 0:
        raise RecipeError(
            f"{path}: the temperature log has a header but no data lines"
            + (f" ({len(warnings)} skipped)" if warnings else "")
        )
    return times - times[0], temps, warnings
