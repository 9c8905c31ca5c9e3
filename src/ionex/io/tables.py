"""Readers for the CSV tables a recipe refers to: furnace temperature logs and tabulated
interdiffusion coefficients. Errors name the file and line, what was found and expected."""

from __future__ import annotations

import csv
import io
import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import RecipeError
from ..physics.optics import check_polarisation
from ..process.matano import DEPTHS_INCREASING
from ..process.temperature import TemperatureProgram
from ..validators import FieldError, increasing
from .schema import DEPTH_COLUMNS, TEMPERATURE_COLUMNS, TIME_COLUMNS

__all__ = [
    "DEPTH_COLUMNS",
    "TIME_COLUMNS",
    "TEMPERATURE_COLUMNS",
    "IndexProfileTable",
    "open_table",
    "check_width",
    "depth_column",
    "number_cell",
    "fraction_cell",
    "is_fraction_column",
    "read_temperature_log",
    "read_interdiffusion_table",
    "read_index_profile",
    "read_mode_list",
]


MAX_TABLE_BYTES = 50_000_000  # ~1.5 million rows of three numbers; larger tables are refused, not read for minutes


def _read_text(path: Path) -> str:
    """The text of a CSV table, refused beyond MAX_TABLE_BYTES before it is read."""
    try:
        size = os.stat(path).st_size
    except FileNotFoundError:
        raise RecipeError(f"{path}: no such file") from None
    except OSError as exc:
        raise RecipeError(f"{path}: cannot read the file ({exc.strerror})") from None
    if size > MAX_TABLE_BYTES:
        raise RecipeError(
            f"{path}: the file has {size / 1e6:.3g} MB; expected a table of at most "
            f"{MAX_TABLE_BYTES / 1e6:.3g} MB (keep every n-th row: a profile needs no more than "
            "a few thousand points)"
        )
    try:
        with open(
            path, newline="", encoding="utf-8-sig"
        ) as fh:  # -sig: spreadsheets start with a byte-order mark
            return fh.read()
    except FileNotFoundError:
        raise RecipeError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RecipeError(f"{path}: cannot read the file ({exc})") from None


def _rows(path: Path, text: str | None = None):
    """Yield (line number, fields) of the non-blank, non-comment lines of a CSV file (of
    ``text`` when it was read already)."""
    if text is None:
        text = _read_text(path)
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        # the csv module only for quoted fields: a plain split is several times faster
        yield number, (next(csv.reader([line])) if '"' in line else line.split(","))


def open_table(path: Path, expected: str, text: str | None = None):
    """(header line number, stripped header fields, iterator over the data rows)."""
    rows = _rows(path, text)
    try:
        header_line, header = next(rows)
    except StopIteration:
        raise RecipeError(f"{path}: the file is empty; expected {expected}") from None
    return header_line, [h.strip() for h in header], rows


def read_header(path) -> list[str]:
    """The stripped header fields of a CSV table (the first line that is not a comment)."""
    return open_table(Path(path), "a header line and data lines")[1]


def check_width(fields: list, header: list, where: str) -> None:
    if len(fields) != len(header):
        raise RecipeError(
            f"{where}: found {len(fields)} fields ({','.join(fields)!r}); expected {len(header)} as in the header"
        )


def read_temperature_log(
    path,
    *,
    lenient: bool = False,
    warnings: list | None = None,
    gap_limit: float = math.inf,
    limits=None,
) -> TemperatureProgram:
    """Read a finished furnace log: a header naming a time column (``time_s``,
    ``time_min``, ``time_h`` or ISO-8601 ``timestamp``) and a temperature column
    (``temperature_C`` or ``temperature_K``); other columns are ignored.

    The one log reader of ionex (:mod:`ionex.io.furnace_log`) with its one policy: strict
    (the default) stops at the first bad line — wrong field count, a value that is not a
    number, a drop-out (NaN), T ≤ 0 K, a time that does not increase — with an error
    naming the file and line; ``lenient`` skips such lines and appends a warning for each
    to ``warnings``. A gap longer than ``gap_limit`` (s) is a warning (none by default).

    Returns a TemperatureProgram with times from the first record (s) and T in K.
    """
    from .furnace_log import read_log_file

    try:  # the same unchanged file read with the same policy: read once (fits, sweeps rebuild)
        stat = os.stat(path)
        key = (os.path.realpath(path), stat.st_mtime_ns, stat.st_size, lenient, gap_limit, limits)
    except OSError:
        key = None  # read_log_file says what is wrong with the path
    if key is not None and key in _LOG_CACHE:
        program, found = _LOG_CACHE[key]
    else:
        times, temps, found = read_log_file(
            path, lenient=lenient, gap_limit=gap_limit, limits=limits
        )
        program = TemperatureProgram(
            tuple(float(t) for t in times), tuple(float(T) for T in temps), source=str(path)
        )
        if key is not None:
            if len(_LOG_CACHE) >= 8:
                _LOG_CACHE.clear()
            _LOG_CACHE[key] = program, tuple(found)
    if warnings is not None:
        warnings.extend(found)
    return program


_LOG_CACHE: dict = {}  # (file identity, policy) → (TemperatureProgram, warnings)


def read_interdiffusion_table(path) -> tuple[list[float], list[float]]:
    """Read a tabulated D̃(χ): header ``frac`` (or ``frac_<Ion>``) and ``D_m2_s``.

    Returns (fractions, coefficients in m²/s) in file order.
    """
    path = Path(path)
    header_line, header, rows = open_table(path, "a header frac,D_m2_s and data lines")
    fcols = [h for h in header if is_fraction_column(h)]
    if len(fcols) != 1 or "D_m2_s" not in header:
        raise RecipeError(
            f"{path}, line {header_line}: header {','.join(header)!r}; expected columns frac and D_m2_s"
        )
    i_f, i_d = header.index(fcols[0]), header.index("D_m2_s")
    fr, co = [], []
    for number, fields in rows:
        check_width(fields, header, f"{path}, line {number}")
        where = f"{path}, line {number}"
        fr.append(fraction_cell(fields[i_f], where, fcols[0]))
        co.append(number_cell(fields[i_d], where, "D_m2_s"))
    if len(fr) < 2:
        raise RecipeError(f"{path}: expected at least two rows of (frac, D_m2_s)")
    order = np.argsort(fr)
    return [fr[i] for i in order], [co[i] for i in order]


FRACTION_RANGE = (-0.1, 1.1)  # measured site fractions: [0, 1] plus room for noise
INDEX_RANGE = (1.0, 5.0)  # refractive indices of glass and its modes: above vacuum, below any glass
INDEX_COLUMNS = ("n", "n_0", "n_TE", "n_TM", "effective_index")
MAX_DEPTH = 1.0  # m: no plate is a metre thick; larger depths are a unit mistake


def is_fraction_column(name: str) -> bool:
    """True for a site-fraction column: ``frac`` or ``frac_<Ion>``."""
    return name == "frac" or name.startswith("frac_")


def number_cell(text: str, where: str, column: str) -> float:
    """The finite number in a cell of ``column``. Wherever a table holds one, a site fraction
    (``frac``, ``frac_<Ion>``) must lie in FRACTION_RANGE and a refractive index
    (INDEX_COLUMNS) in INDEX_RANGE."""
    try:
        value = float(text)
    except ValueError:
        raise RecipeError(
            f"{where}: {column} = {text.strip()!r} is not a number; expected a number"
        ) from None
    if not math.isfinite(value):
        raise RecipeError(
            f"{where}: {column} = {text.strip()!r} is not a finite number; expected a number"
        )
    if is_fraction_column(column):
        _check_fraction(value, text, where, column)
    elif column in INDEX_COLUMNS and not INDEX_RANGE[0] <= value < INDEX_RANGE[1]:
        raise RecipeError(
            f"{where}: {column} = {text.strip()!r} is not a refractive index of glass; expected a number "
            f"≥ {INDEX_RANGE[0]:g} and below {INDEX_RANGE[1]:g}"
        )
    return value


def _depth(text: str, where: str, column: str, scale: float) -> float:
    """A depth cell of ``column`` in m (``scale`` m per unit): ≥ 0 and below MAX_DEPTH."""
    value = number_cell(text, where, column) * scale
    if not 0.0 <= value < MAX_DEPTH:
        raise RecipeError(
            f"{where}: {column} = {text.strip()!r} is not a depth in the glass; expected a depth ≥ 0 "
            f"and below {MAX_DEPTH:g} m (check the unit of the column)"
        )
    return value


def fraction_cell(text: str, where: str, column: str) -> float:
    """The site fraction in a cell of ``column`` (whatever its name), within FRACTION_RANGE."""
    return _check_fraction(number_cell(text, where, column), text, where, column)


def _check_fraction(value: float, text: str, where: str, column: str) -> float:
    if not FRACTION_RANGE[0] <= value <= FRACTION_RANGE[1]:
        raise RecipeError(
            f"{where}: {column} = {text.strip()!r} is not a site fraction (outside [{FRACTION_RANGE[0]:g}, "
            f"{FRACTION_RANGE[1]:g}]); expected a value in [0, 1], noise to ±0.1 accepted (percent? divide by 100)"
        )
    return value


@dataclass(frozen=True)
class IndexProfileTable:
    """An index profile (or a composition profile to make one) read from a CSV file.

    Attributes:
        path: the file.
        profiles: {"TE" | "TM": (depth in m, n)} from n_TE / n_TM, or n / n_0 for both
            polarisations, or the rows of `ionex invert`'s long format; empty when the file
            holds a composition only.
        fraction: (depth in m, χ) of ``fraction_column`` (site fraction), or None.
        fraction_column: the name of that column (frac_<Ion>), or None.
        stress: σ in Pa at the fraction's depths (compression < 0), or None.
        time: the time (s) of the profile read, when the file holds a time column.
        times: every distinct time (s) in the file, in file order (empty without a time column).
        index_column: which column gave the index ("n_TE/n_TM", "n", "n_0", "polarisation rows").
    """

    path: Path
    profiles: dict
    fraction: tuple | None
    fraction_column: str | None
    stress: np.ndarray | None
    time: float | None
    times: tuple
    index_column: str | None


def depth_column(header: list, path: Path, line: int) -> tuple[int, float, str]:
    """(position, metres per unit, name) of the one depth column of a header."""
    found = [h for h in header if h in DEPTH_COLUMNS]
    if len(found) != 1:
        raise RecipeError(
            f"{path}, line {line}: header {','.join(header)!r}; expected one depth column: "
            f"{', '.join(DEPTH_COLUMNS)}"
        )
    return header.index(found[0]), DEPTH_COLUMNS[found[0]], found[0]


def _choose_time(path: Path, times: tuple, time: float | None) -> float | None:
    """The time (s) of ``times`` (a file's, in file order; empty without a time column)
    that ``time`` asks for; the last when None."""
    if times:
        if time is None:
            return times[-1]
        match = [t for t in times if abs(t - time) <= 1e-9 * max(abs(time), 1.0) + 1e-6]
        if not match:
            listed = ", ".join(f"{t / 3600:.6g}" for t in times)
            raise RecipeError(
                f"{path}: no profile at {time / 3600:.6g} h; the file holds the times {listed} h"
            )
        return match[0]
    if time is not None:
        raise RecipeError(
            f"{path}: the file has no time column ({', '.join(TIME_COLUMNS)}), so a time (--time) cannot "
            "be chosen; expected no --time for a file of one profile"
        )
    return None


def _index_profile_at_once(
    path, text, header_line, header, time, index_cols, index_column, frac_col, scale
):
    """read_index_profile of an all-numeric table by numpy's parser (large tables in a
    fraction of the time), or None when any cell or row breaks a rule: then the reader goes
    line by line and names the first fault."""
    try:
        with (
            warnings.catch_warnings()
        ):  # a header without data lines: the line-by-line reader says so
            warnings.simplefilter("ignore", UserWarning)
            values = np.loadtxt(
                io.StringIO(text), delimiter=",", comments="#", skiprows=header_line, ndmin=2
            )
    except ValueError:
        return None
    if values.shape[0] == 0 or values.shape[1] != len(header) or not np.isfinite(values).all():
        return None
    column = {name: values[:, k] for k, name in enumerate(header)}
    for name, v in column.items():
        if (
            is_fraction_column(name)
            and not ((v >= FRACTION_RANGE[0]) & (v <= FRACTION_RANGE[1])).all()
        ):
            return None
        if name in INDEX_COLUMNS and not ((v >= INDEX_RANGE[0]) & (v < INDEX_RANGE[1])).all():
            return None
    i_x, _, x_name = depth_column(header, path, header_line)
    depth = column[x_name] * scale
    if not ((depth >= 0) & (depth < MAX_DEPTH)).all():
        return None
    time_cols = [h for h in header if h in TIME_COLUMNS]
    times: tuple = ()
    rows = np.ones(depth.size, dtype=bool)
    if time_cols:
        t = column[time_cols[0]] * TIME_COLUMNS[time_cols[0]]
        _, first = np.unique(t, return_index=True)
        times = tuple(float(t[k]) for k in np.sort(first))
    chosen = _choose_time(path, times, time)
    if time_cols:
        rows = t == chosen
    x = depth[rows]
    if x.size < 2 or np.any(np.diff(x) <= 0):
        return None
    profiles = {pol: (x, column[name][rows]) for pol, name in index_cols.items()}
    return IndexProfileTable(
        path=path,
        profiles=profiles,
        fraction=(x, column[frac_col][rows]) if frac_col else None,
        fraction_column=frac_col,
        stress=column["stress_Pa"][rows] if "stress_Pa" in column else None,
        time=chosen,
        times=times,
        index_column=index_column,
    )


def _polarisation(value: str, where: str) -> str:
    """A polarisation cell (physics.optics.check_polarisation's rule), located at ``where``."""
    try:
        return check_polarisation(value)
    except FieldError as exc:
        raise RecipeError(f"{where}: polarisation {value!r}; {exc.expected}") from None


def _increasing_depths(path, depths, lines, scale: float, what: str, within_time: str) -> None:
    """The depths of a profile table must increase (the rule is the profile's, stated in
    validators.increasing); a refusal names the line."""
    try:
        increasing(depths, "depth", "m", DEPTHS_INCREASING + within_time)
    except FieldError as exc:
        i = exc.index
        raise RecipeError(
            f"{path}, line {lines[i]}: depth {depths[i] / scale:g}{what} does not increase; "
            f"expected {DEPTHS_INCREASING}{within_time}"
        ) from None


def read_index_profile(
    path, *, time: float | None = None, column: str | None = None
) -> IndexProfileTable:
    """Read an index profile: the `profiles.csv` of `ionex run` (one time of several, with
    n_TE/n_TM or a fraction column), the `profile.csv` of `ionex invert` (rows per
    polarisation), or a measured table.

    Columns: a depth (``depth_m``, ``depth_um`` or ``depth_nm``); the index as ``n_TE``
    and/or ``n_TM``, or ``n`` (or ``n_0``) for both polarisations, or ``polarisation`` + ``n``
    rows; otherwise a site-fraction column ``frac_<Ion>`` (and ``stress_Pa``) to be turned
    into an index with a material's optics. An optional time column (``time_s``, ``time_min``,
    ``time_h``) holds several profiles: ``time`` (s) chooses one, default the last.
    ``column`` names the fraction column when there are several (default: the first, which
    is the incoming ion in `ionex run`'s files). Depths must increase within a profile.
    """
    path = Path(path)
    text = _read_text(path)
    header_line, header, rows = open_table(
        path, "a header such as depth_um,n_TE,n_TM and data lines", text
    )
    where_header = f"{path}, line {header_line}"
    i_x, scale, _ = depth_column(header, path, header_line)
    time_cols = [h for h in header if h in TIME_COLUMNS]
    if len(time_cols) > 1:
        raise RecipeError(
            f"{where_header}: header {','.join(header)!r} names {len(time_cols)} time columns; expected one"
        )
    i_t = header.index(time_cols[0]) if time_cols else None
    t_scale = TIME_COLUMNS[time_cols[0]] if time_cols else 1.0
    long_format = "polarisation" in header
    if long_format:
        if "n" not in header:
            raise RecipeError(
                f"{where_header}: rows by polarisation need an index column n; found {','.join(header)!r}"
            )
        index_cols, index_column = {"rows": "n"}, "polarisation rows"
    elif "n_TE" in header or "n_TM" in header:
        index_cols = {pol: f"n_{pol}" for pol in ("TE", "TM") if f"n_{pol}" in header}
        index_column = "n_TE/n_TM"
    elif "n" in header or "n_0" in header:
        name = "n" if "n" in header else "n_0"
        index_cols, index_column = {"TE": name, "TM": name}, name
    else:
        index_cols, index_column = {}, None
    fractions = [h for h in header if is_fraction_column(h)]
    if column is not None:
        if column not in fractions:
            raise RecipeError(
                f"{where_header}: no fraction column {column!r}; the header has {', '.join(fractions) or 'none'}"
            )
        fractions = [column]
    if not index_cols and not fractions:
        raise RecipeError(
            f"{where_header}: header {','.join(header)!r} has no index column; expected n_TE and/or n_TM, n, "
            "polarisation + n, or a fraction column frac_<Ion> together with a material"
        )
    frac_col = fractions[0] if fractions else None
    i_stress = header.index("stress_Pa") if "stress_Pa" in header else None
    if not long_format:
        fast = _index_profile_at_once(
            path, text, header_line, header, time, index_cols, index_column, frac_col, scale
        )
        if fast is not None:
            return fast
    blocks: dict = {}  # time → rows of (line, depth, {pol: n}, frac, stress)
    for number, fields in rows:
        where = f"{path}, line {number}"
        check_width(fields, header, where)
        t = number_cell(fields[i_t], where, time_cols[0]) * t_scale if i_t is not None else None
        x = _depth(fields[i_x], where, header[i_x], scale)
        if long_format:
            pol = _polarisation(fields[header.index("polarisation")].strip(), where)
            values = {pol: number_cell(fields[header.index("n")], where, "n")}
        else:
            values = {
                pol: number_cell(fields[header.index(name)], where, name)
                for pol, name in index_cols.items()
            }
        f = fraction_cell(fields[header.index(frac_col)], where, frac_col) if frac_col else None
        sig = number_cell(fields[i_stress], where, "stress_Pa") if i_stress is not None else None
        blocks.setdefault(t, []).append((number, x, values, f, sig))
    if not blocks:
        raise RecipeError(f"{path}: the file has a header but no data lines")
    times = tuple(t for t in blocks if t is not None)
    chosen = _choose_time(path, times, time)
    block = blocks[chosen]
    series: dict = {}  # polarisation → (depths, indices, lines)
    for number, x, values, f, sig in block:
        for pol, n in values.items():
            depths, indices, lines = series.setdefault(pol, ([], [], []))
            depths.append(x)
            indices.append(n)
            lines.append(number)
    within_time = " within each time" if times else ""
    for pol, (depths, _, lines) in series.items():
        what = f" of {pol}" if long_format else ""
        _increasing_depths(path, depths, lines, scale, what, within_time)
    profiles = {pol: (np.asarray(d), np.asarray(v)) for pol, (d, v, _) in series.items()}
    if not index_cols:  # composition only: depths checked on the fraction
        depth = [row[1] for row in block]
        _increasing_depths(path, depth, [row[0] for row in block], scale, "", within_time)
        fraction = (np.asarray(depth), np.asarray([row[3] for row in block]))
    else:
        fraction = (
            (np.asarray([row[1] for row in block]), np.asarray([row[3] for row in block]))
            if frac_col
            else None
        )
    stress = np.asarray([row[4] for row in block]) if i_stress is not None else None
    for pol, (d, _) in profiles.items():
        if d.size < 2:
            raise RecipeError(
                f"{path}: the {pol} profile has {d.size} point(s); expected at least two"
            )
    if not profiles and fraction[0].size < 2:
        raise RecipeError(f"{path}: expected at least two profile points")
    return IndexProfileTable(
        path=path,
        profiles=profiles,
        fraction=fraction,
        fraction_column=frac_col,
        stress=stress,
        time=chosen,
        times=times,
        index_column=index_column,
    )


def read_mode_list(path, prism=None, polarisation: str | None = None) -> dict:
    """Read mode indices: columns ``polarisation`` (TE|TM), ``order`` and ``effective_index``
    (or ``synchronous_angle_deg`` when a prism is given to convert it). A list of one
    polarisation may leave out the polarisation column when ``polarisation`` names it.

    Returns {"TE": N_0 > N_1 > …, "TM": …} ordered by mode order; the indices of each
    polarisation must fall strictly with order (a monotone profile).
    """
    path = Path(path)
    header_line, header, rows = open_table(
        path, "a header polarisation,order,effective_index and data lines"
    )
    if "order" not in header:
        raise RecipeError(
            f"{path}, line {header_line}: header {','.join(header)!r}; expected columns polarisation, order and effective_index"
        )
    if "polarisation" not in header and polarisation is None:
        raise RecipeError(
            f"{path}, line {header_line}: no polarisation column; add one (TE or TM on every row), or name the "
            "polarisation of a one-polarisation list (--polarisation TE|TM)"
        )
    if polarisation is not None:
        _polarisation(polarisation, "--polarisation")
    use_angle = "effective_index" not in header
    if use_angle and ("synchronous_angle_deg" not in header or prism is None):
        raise RecipeError(
            f"{path}, line {header_line}: no effective_index column; give it, or synchronous_angle_deg together with the prism"
        )
    got: dict = {}
    lines: dict = {}
    for number, fields in rows:
        where = f"{path}, line {number}"
        check_width(fields, header, where)
        pol = (
            fields[header.index("polarisation")].strip()
            if "polarisation" in header
            else polarisation
        )
        _polarisation(pol, where)
        if "polarisation" in header and polarisation is not None and pol != polarisation:
            continue
        order = number_cell(fields[header.index("order")], where, "order")
        if order != int(order) or order < 0:
            raise RecipeError(f"{where}: order {order!r}; expected a whole number >= 0")
        if use_angle:
            from ..physics.prism import effective_index_from_angle

            theta = math.radians(
                number_cell(
                    fields[header.index("synchronous_angle_deg")], where, "synchronous_angle_deg"
                )
            )
            try:
                value = float(effective_index_from_angle(theta, prism))
            except ValueError as exc:
                raise RecipeError(f"{where}: {exc}") from None
        else:
            value = number_cell(fields[header.index("effective_index")], where, "effective_index")
        if int(order) in got.setdefault(pol, {}):
            if "polarisation" not in header:
                raise RecipeError(
                    f"{where}: mode {int(order)} appears twice (first on line {lines[pol][int(order)]}): the list seems "
                    "to mix polarisations without a polarisation column; add one (TE or TM on every row)"
                )
            raise RecipeError(f"{where}: {pol} mode {int(order)} appears twice")
        got[pol][int(order)] = value
        lines.setdefault(pol, {})[int(order)] = number
    if not got:
        raise RecipeError(
            f"{path}: no modes listed"
            + (f" for polarisation {polarisation}" if polarisation else "")
        )
    out = {}
    for pol, by_order in got.items():
        orders = sorted(by_order)
        if orders != list(range(len(orders))):
            raise RecipeError(
                f"{path}: {pol} mode orders {orders}; expected 0, 1, 2, … without gaps"
            )
        values = np.array([by_order[m] for m in orders])
        bad = np.nonzero(np.diff(values) >= 0)[0]
        if bad.size:
            m = int(bad[0])
            raise RecipeError(
                f"{path}: {pol} mode {m + 1} (N = {values[m + 1]:.6f}) is not below mode {m} (N = {values[m]:.6f}); "
                "the effective indices of a monotone profile fall strictly with order"
            )
        out[pol] = values
    return out
