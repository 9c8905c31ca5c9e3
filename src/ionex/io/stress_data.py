"""Readers of measured residual stress: depth profiles (scattered-light polariscopes, the
stress profile of `ionex invert`) and the results of surface stress meters (CS and DOL
from mode lines), so that simulated stress can be compared with and fitted to them.

Files are CSV with a header, ``#`` comment lines allowed:

    stress profile   depth_m | depth_um | depth_nm and one stress column:
                     compressive_stress_MPa | compressive_stress_Pa (compression > 0, as
                     polariscopes report it), or stress_MPa | stress_Pa with the sign
                     declared by the caller (compression = "positive" | "negative");
                     [sigma] or [<stress column>_stderr] in the unit of the stress column.
                     `ionex invert`'s stress.csv (depth_m,stress_Pa[,stress_Pa_stderr]
                     with its inversion.json beside it) declares compression < 0 itself.
    surface meter    sample, CS_MPa | CS_Pa (compression > 0), DOL_um | DOL_nm | DOL_m,
                     [thickness_mm | thickness_um | thickness_m], [n_TE_1, n_TE_2, …],
                     [n_TM_1, …]: the effective indices of the mode lines from the
                     fundamental down (a sample with fewer lines leaves the last cells
                     blank); other columns are ignored.

Every stress is returned in ionex's convention, σ in Pa with compression < 0 (the
surface meter's CS stays > 0, as CS is defined). Errors name the file, the line and the
column, what was found and what was expected (the conventions of ionex.io.tables).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import RecipeError
from ..process.matano import DEPTHS_INCREASING
from ..units import to_si
from ..validators import FieldError, increasing, positive, same_length, vector
from .schema import SIGMA_COLUMN, STRESS_COLUMNS
from .tables import INDEX_RANGE, _depth, check_width, depth_column, number_cell, open_table

__all__ = [
    "COMPRESSION",
    "COMPRESSIVE_STRESS_COLUMNS",
    "FORCE_BALANCE_WARNING",
    "SPAN_TOLERANCE",
    "CompressionError",
    "StressColumn",
    "MeasuredStressProfile",
    "SurfaceStressRecord",
    "stress_column",
    "force_balance_imbalance",
    "force_balance_warning",
    "read_stress_profile",
    "read_surface_stress_meter",
]

COMPRESSION = ("positive", "negative")  # the sign conventions a stress column may declare
# stress columns that say compression is positive (→ Pa); those of STRESS_COLUMNS do not
COMPRESSIVE_STRESS_COLUMNS = {"compressive_stress_Pa": 1.0, "compressive_stress_MPa": 1e6}
FORCE_BALANCE_WARNING = 0.05  # |∫σ dx / ∫|σ| dx| above which a free plate's profile is suspect
# how close (fraction of the thickness) a profile must come to the faces (or the mid-plane)
# to count as spanning the plate: the unmeasured ends are left out of the balance
SPAN_TOLERANCE = 0.01
CS_COLUMNS = {"CS_Pa": 1.0, "CS_MPa": 1e6}  # → Pa, compression > 0
DOL_COLUMNS = {"DOL_m": 1.0, "DOL_um": 1e-6, "DOL_nm": 1e-9}  # → m
THICKNESS_COLUMNS = {"thickness_m": 1.0, "thickness_mm": 1e-3, "thickness_um": 1e-6}  # → m
_MODE_COLUMN = re.compile(r"^n_(TE|TM)_(\d+)$")
_INVERT_HEADERS = (["depth_m", "stress_Pa"], ["depth_m", "stress_Pa", "stress_Pa_stderr"])
_SIGN_HINT = (
    'expected compression = "positive" (compressive stress > 0, as polariscopes report it) '
    'or "negative" (as ionex writes stress)'
)


class CompressionError(ValueError):
    """A sign convention that is missing, mixed or misspelt. The message reads
    "<found>; <expected>" for the caller to locate (a fit file's key, an argument)."""


@dataclass(frozen=True)
class StressColumn:
    """The stress column of a table and how its values become σ in Pa, compression < 0.

    Attributes:
        name: the column's name in the header.
        compression: the sign convention it was declared with, "positive" or "negative".
        to_pa: the factor σ (Pa, compression < 0) = to_pa · cell (sign and unit).
    """

    name: str
    compression: str
    to_pa: float


def _written_by_invert(path: Path, header: list) -> bool:
    """Whether ``path`` is the stress.csv of `ionex invert`: its header, and the
    inversion.json that write_inversion puts beside it, reporting a surface stress."""
    if header not in _INVERT_HEADERS:
        return False
    try:
        report = json.loads((path.parent / "inversion.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(report, dict)
        and str(report.get("software", "")).startswith("ionex")
        and isinstance(report.get("surface_stress_Pa"), (int, float))
    )


def stress_column(path, header: list, line: int, compression: str | None) -> StressColumn:
    """The one stress column of a header and its sign, declared once: by the column's name
    (compressive_stress_*: compression > 0), by the file (`ionex invert`'s stress.csv:
    compression < 0), or by ``compression`` ("positive" | "negative") for stress_*.

    Raises:
        RecipeError (file and line) when the header has no stress column or several;
        CompressionError when ``compression`` is misspelt, missing for a stress_* column,
        or contradicts the column or the file (two conventions for one column).
    """
    path = Path(path)
    found = [h for h in header if h in STRESS_COLUMNS or h in COMPRESSIVE_STRESS_COLUMNS]
    if len(found) != 1:
        what = "no stress column" if not found else f"the stress columns {', '.join(found)}"
        raise RecipeError(
            f"{path}, line {line}: header {','.join(header)!r} has {what}; expected one, with "
            "one sign convention: compressive_stress_MPa | compressive_stress_Pa (compression "
            '> 0), or stress_MPa | stress_Pa with compression = "positive" or "negative" declared'
        )
    column = found[0]
    if compression is not None and compression not in COMPRESSION:
        raise CompressionError(f'found {compression!r}; expected "positive" or "negative"')
    if column in COMPRESSIVE_STRESS_COLUMNS:
        if compression == "negative":
            raise CompressionError(
                f"found 'negative', but {path.name}'s column {column!r} gives compression as "
                "positive; expected one sign convention: drop compression, or name the column "
                f"{column.removeprefix('compressive_')}"
            )
        return StressColumn(column, "positive", -COMPRESSIVE_STRESS_COLUMNS[column])
    if _written_by_invert(path, header):
        if compression == "positive":
            raise CompressionError(
                f"found 'positive', but {path.name} is the stress profile of `ionex invert` "
                f"(its inversion.json is beside it), whose column {column!r} gives compression "
                "as negative; expected one sign convention: drop compression"
            )
        compression = "negative"
    if compression is None:
        raise CompressionError(
            f"missing; {path.name}'s column {column!r} does not say its sign: {_SIGN_HINT}"
        )
    sign = -1.0 if compression == "positive" else 1.0
    return StressColumn(column, compression, sign * STRESS_COLUMNS[column])


def _frozen(values) -> np.ndarray:
    a = np.array(values, dtype=float)
    a.setflags(write=False)
    return a


def force_balance_imbalance(depth, stress) -> float:
    """The relative force imbalance of a stress profile, of its piecewise-linear interpolant:

        imbalance = ∫ σ dx / ∫ |σ| dx over [depth[0], depth[-1]]

    0 for a profile in force balance (a free plate over its thickness, or a symmetric plate
    over its half thickness), −1 for compression only. Both integrals are exact for the
    interpolant (a segment through zero is split at its root), so the error against a
    smooth σ(x) is that of linear interpolation, ≤ (x_end − x_0)·h²·max|σ''|/8.

    Args:
        depth: depths (m), strictly increasing.
        stress: σ at those depths (Pa; any sign convention).
    Returns the imbalance (dimensionless); 0 for a profile that is zero everywhere.
    """
    x, s = vector(depth, "depth"), vector(stress, "stress")
    same_length(x.size, stress=s)
    increasing(x, "depth", "m", DEPTHS_INCREASING)
    h = np.diff(x)
    a, b = s[:-1], s[1:]
    net = float(np.sum(h * (a + b) / 2))
    magnitude = np.abs(a) + np.abs(b)
    crossing = a * b < 0
    # a segment through zero: |σ| is two triangles, h (a² + b²) / (2 (|a| + |b|))
    area = np.where(
        crossing,
        h * (a * a + b * b) / (2 * np.where(crossing, magnitude, 1.0)),
        h * magnitude / 2,
    )
    total = float(np.sum(area))
    return net / total if total > 0 else 0.0


@dataclass(frozen=True, eq=False)
class MeasuredStressProfile:
    """A measured residual-stress depth profile, in ionex's sign convention.

    Attributes:
        source: the file read.
        depth: depths below the face (m, ≥ 0, strictly increasing, at least two).
        stress: σ at those depths (Pa; compression < 0).
        compression: the sign convention the file's column was declared with: "positive"
            (compression > 0 in the file, as polariscopes report it) or "negative".
        column: the stress column read (stress_MPa, compressive_stress_MPa, …).
        sigma: 1-σ uncertainty of each point (Pa, ≥ 0), or None when the file gives none.
        thickness: the plate's thickness (m) the caller gave, or None.
        span: "thickness" when the profile runs from face to face, "half thickness" when
            from the face to the mid-plane of a symmetric plate (within SPAN_TOLERANCE of
            the thickness), else None.
        imbalance: ∫σ dx / ∫|σ| dx over the profile when it spans the plate, else None
            (force_balance_imbalance).
    """

    source: Path
    depth: np.ndarray
    stress: np.ndarray
    compression: str
    column: str = "stress_Pa"
    sigma: np.ndarray | None = None
    thickness: float | None = None
    span: str | None = None
    imbalance: float | None = None

    def __post_init__(self):
        depth = vector(self.depth, "depth")
        stress = vector(self.stress, "stress")
        same_length(depth.size, stress=stress, sigma=self.sigma)
        if depth.size < 2:
            raise FieldError("depth", depth.size, "expected at least two points of a profile")
        if depth[0] < 0:
            raise FieldError("depth", float(depth[0]), "expected depths ≥ 0", "m", index=0)
        increasing(depth, "depth", "m", DEPTHS_INCREASING)
        if self.compression not in COMPRESSION:
            raise FieldError("compression", self.compression, 'expected "positive" or "negative"')
        object.__setattr__(self, "source", Path(self.source))
        object.__setattr__(self, "depth", _frozen(depth))
        object.__setattr__(self, "stress", _frozen(stress))
        if self.sigma is not None:
            sigma = vector(self.sigma, "sigma")
            bad = np.nonzero(sigma < 0)[0]
            if bad.size:
                i = int(bad[0])
                raise FieldError("sigma", float(sigma[i]), "expected a value ≥ 0", "Pa", index=i)
            object.__setattr__(self, "sigma", _frozen(sigma))
        if self.thickness is not None:
            positive(self.thickness, "thickness", "m")
        if self.span not in (None, "thickness", "half thickness"):
            raise FieldError("span", self.span, 'expected "thickness", "half thickness" or None')
        if self.imbalance is not None and not -1.0 <= self.imbalance <= 1.0:
            raise FieldError("imbalance", self.imbalance, "expected a value in [-1, 1]")

    @property
    def compressive_stress(self) -> np.ndarray:
        """−σ (Pa): compression > 0, as the lab plots it."""
        return -self.stress


def _balance_span(depth: np.ndarray, thickness: float) -> str | None:
    """Which part of the plate the depths cover: "thickness", "half thickness" or None."""
    tol = SPAN_TOLERANCE * thickness
    if depth[0] > tol:
        return None
    for span, end in (("thickness", thickness), ("half thickness", thickness / 2)):
        if abs(depth[-1] - end) <= tol:
            return span
    return None


def _thickness(thickness) -> float | None:
    """The thickness argument in m: a number (m) or a string with a unit ("0.7 mm")."""
    if thickness is None:
        return None
    value = to_si(thickness, "length", "thickness") if isinstance(thickness, str) else thickness
    positive(value, "thickness", "m")
    return float(value)


def read_stress_profile(path, compression: str | None = None, *, thickness=None):
    """Read a measured stress depth profile (see the module for the formats).

    Args:
        path: the CSV file.
        compression: "positive" | "negative": the sign of compression in a stress_MPa |
            stress_Pa column; None for a compressive_stress_* column (which says it) and for
            `ionex invert`'s stress.csv (compression < 0). Given where the column or the
            file declares the sign, it must agree.
        thickness: the plate's thickness (m, or a string with a unit), or None. Given, the
            depths must lie within it, and a profile from the face to the far face (or to
            the mid-plane of a symmetric plate) gets its force imbalance.

    Returns a MeasuredStressProfile (σ in Pa, compression < 0).
    Raises:
        RecipeError naming the file, the line and the column: no or several stress
        columns, a sign convention missing or declared twice, a cell that is not a finite
        number, depths that do not increase or lie beyond the plate, σ < 0 in a sigma
        column, fewer than two points.
    """
    path = Path(path)
    thick = _thickness(thickness)
    line, header, rows = open_table(path, "a header such as depth_um,compressive_stress_MPa")
    i_x, scale, x_name = depth_column(header, path, line)
    try:
        column = stress_column(path, header, line, compression)
    except CompressionError as exc:
        col = next(h for h in header if h in STRESS_COLUMNS or h in COMPRESSIVE_STRESS_COLUMNS)
        raise RecipeError(f"{path}, line {line}, column {col}: compression: {exc}") from None
    sigmas = [h for h in (SIGMA_COLUMN, f"{column.name}_stderr") if h in header]
    if len(sigmas) > 1:
        raise RecipeError(
            f"{path}, line {line}: header {','.join(header)!r} has the uncertainty columns "
            f"{', '.join(sigmas)}; expected at most one"
        )
    i_s = header.index(sigmas[0]) if sigmas else None
    i_y = header.index(column.name)
    depth, stress, sigma, lines = [], [], [], []
    for number, fields in rows:
        where = f"{path}, line {number}"
        check_width(fields, header, where)
        x = _depth(fields[i_x], where, x_name, scale)
        if thick is not None and x > thick * (1 + 1e-9):
            raise RecipeError(
                f"{where}: {x_name} = {fields[i_x].strip()!r} lies beyond the plate; expected "
                f"depths up to its thickness, {thick / scale:g} in the unit of {x_name}"
            )
        depth.append(x)
        stress.append(column.to_pa * number_cell(fields[i_y], where, column.name))
        if i_s is not None:
            s = number_cell(fields[i_s], where, header[i_s])
            if s < 0:
                raise RecipeError(
                    f"{where}: {header[i_s]} = {fields[i_s].strip()!r} is negative; expected "
                    "an uncertainty ≥ 0"
                )
            sigma.append(abs(column.to_pa) * s)
        lines.append(number)
    if len(depth) < 2:
        raise RecipeError(
            f"{path}: {len(depth)} data line(s); expected at least two points of a stress profile"
        )
    try:
        increasing(depth, "depth", "m")
    except FieldError as exc:
        i = exc.index
        raise RecipeError(
            f"{path}, line {lines[i]}, column {x_name}: {depth[i] / scale:g} does not increase "
            f"(line {lines[i - 1]} has {depth[i - 1] / scale:g}); expected {DEPTHS_INCREASING}"
        ) from None
    depth_a, stress_a = np.asarray(depth), np.asarray(stress)
    span = _balance_span(depth_a, thick) if thick is not None else None
    return MeasuredStressProfile(
        source=path,
        depth=depth_a,
        stress=stress_a,
        compression=column.compression,
        column=column.name,
        sigma=np.asarray(sigma) if i_s is not None else None,
        thickness=thick,
        span=span,
        imbalance=force_balance_imbalance(depth_a, stress_a) if span else None,
    )


def force_balance_warning(
    profile: MeasuredStressProfile, threshold: float = FORCE_BALANCE_WARNING
) -> str | None:
    """The warning for a profile out of force balance (|imbalance| > ``threshold``), naming
    the file and the imbalance; None when it is balanced or does not span the plate."""
    if profile.imbalance is None or abs(profile.imbalance) <= threshold:
        return None
    end_um = profile.depth[-1] * 1e6
    return (
        f"{profile.source}: the stress profile is out of force balance: ∫σ dx / ∫|σ| dx = "
        f"{profile.imbalance:+.3f} over the {profile.span} (0 to {end_um:.6g} µm); expected "
        f"|imbalance| ≤ {threshold:g} for a free plate (a wrong sign convention, a depth unit, "
        "an offset of the stress, or a profile cut short?)"
    )


# --------------------------------------------------------------------------- surface meter


@dataclass(frozen=True)
class SurfaceStressRecord:
    """One sample's result from a surface stress meter (FSM-6000-type, reading mode lines).

    Attributes:
        sample: the sample's name.
        compressive_stress: CS, the surface compression (Pa, > 0 in compression).
        depth_of_layer: DOL (m, > 0).
        thickness: the plate's thickness (m), or None.
        n_TE, n_TM: effective indices of the TE and TM mode lines from the fundamental down
            (strictly falling); empty when not given.
        source: the file read; line: the sample's line in it (0 when not from a file).
    """

    sample: str
    compressive_stress: float
    depth_of_layer: float
    thickness: float | None = None
    n_TE: tuple = ()
    n_TM: tuple = ()
    source: Path | None = None
    line: int = 0

    def __post_init__(self):
        if not isinstance(self.sample, str) or not self.sample.strip():
            raise FieldError("sample", self.sample, "expected a non-empty name")
        positive(self.compressive_stress, "compressive_stress", "Pa")
        positive(self.depth_of_layer, "depth_of_layer", "m")
        if self.thickness is not None:
            positive(self.thickness, "thickness", "m")
            if self.depth_of_layer >= self.thickness:
                raise FieldError(
                    "depth_of_layer",
                    self.depth_of_layer,
                    f"expected a depth of layer below the thickness {self.thickness:g} m",
                    "m",
                )
        for pol in ("TE", "TM"):
            values = tuple(float(v) for v in getattr(self, f"n_{pol}"))
            lo, hi = INDEX_RANGE
            for k, n in enumerate(values):
                if not lo <= n < hi:
                    raise FieldError(
                        f"n_{pol}",
                        n,
                        f"expected a refractive index of glass, ≥ {lo:g} and below {hi:g}",
                        index=k,
                    )
                if k and not n < values[k - 1]:
                    raise FieldError(
                        f"n_{pol}",
                        n,
                        f"expected effective indices falling strictly from the fundamental "
                        f"(mode {k} has {values[k - 1]:.6f})",
                        index=k,
                    )
            object.__setattr__(self, f"n_{pol}", values)


def _one_column(header: list, columns: dict, path: Path, line: int, what: str, required: bool):
    """(position, scale, name) of the one column of ``columns`` in the header, or None
    when there is none and it is not ``required``."""
    found = [h for h in header if h in columns]
    if len(found) > 1 or (required and not found):
        listed = " | ".join(columns)
        got = f"the {what} columns {', '.join(found)}" if found else f"no {what} column"
        raise RecipeError(
            f"{path}, line {line}: header {','.join(header)!r} has {got}; expected one: {listed}"
        )
    return (header.index(found[0]), columns[found[0]], found[0]) if found else None


def _mode_columns(header: list, path: Path, line: int) -> dict:
    """{"TE": [positions of n_TE_1, n_TE_2, …], "TM": […]} of a header."""
    numbered: dict = {"TE": {}, "TM": {}}
    for i, h in enumerate(header):
        if not (h.startswith("n_TE") or h.startswith("n_TM")):
            continue
        m = _MODE_COLUMN.match(h)
        if not m or int(m.group(2)) < 1:
            raise RecipeError(
                f"{path}, line {line}: column {h!r}; expected mode-line indices named "
                "n_TE_1, n_TE_2, … and n_TM_1, … (the fundamental is mode 1)"
            )
        numbered[m.group(1)][int(m.group(2))] = i
    out = {}
    for pol, by_mode in numbered.items():
        modes = sorted(by_mode)
        if modes != list(range(1, len(modes) + 1)):
            raise RecipeError(
                f"{path}, line {line}: the n_{pol}_k columns number the modes {modes}; "
                "expected 1, 2, 3, … without gaps"
            )
        out[pol] = [by_mode[k] for k in modes]
    return out


def _mode_indices(fields: list, header: list, positions: list, where: str) -> tuple:
    """The mode-line indices of one row: the cells up to the first blank; none after it."""
    values = []
    blank = None
    for i in positions:
        text = fields[i].strip()
        if not text:
            blank = blank or header[i]
            continue
        if blank is not None:
            raise RecipeError(
                f"{where}: {header[i]} = {text!r} follows the blank {blank}; expected the mode "
                "lines from the fundamental down without gaps (leave only the last cells blank)"
            )
        n = number_cell(text, where, header[i])
        lo, hi = INDEX_RANGE
        if not lo <= n < hi:
            raise RecipeError(
                f"{where}: {header[i]} = {text!r} is not a refractive index of glass; expected "
                f"a number ≥ {lo:g} and below {hi:g}"
            )
        if values and not n < values[-1]:
            raise RecipeError(
                f"{where}: {header[i]} = {text!r} is not below the mode before it "
                f"({values[-1]:.6f}); expected effective indices falling strictly from the "
                "fundamental"
            )
        values.append(n)
    return tuple(values)


def read_surface_stress_meter(path) -> tuple[SurfaceStressRecord, ...]:
    """Read a surface stress meter's results, one row per sample (see the module for the
    columns): CS in compression > 0, DOL, and optionally the thickness and the effective
    indices of the TE and TM mode lines.

    Returns a SurfaceStressRecord per sample (SI: Pa, m), in file order.
    Raises:
        RecipeError naming the file, the line and the column: a missing or doubled column,
        a cell that is not a finite number, CS ≤ 0, DOL ≤ 0 or not below the thickness,
        mode indices that do not fall, a sample named twice, no data lines.
    """
    path = Path(path)
    line, header, rows = open_table(path, "a header such as sample,CS_MPa,DOL_um")
    if "sample" not in header:
        raise RecipeError(
            f"{path}, line {line}: header {','.join(header)!r} has no sample column; "
            "expected sample,CS_MPa,DOL_um (and optionally thickness_mm, n_TE_1, …, n_TM_1, …)"
        )
    i_name = header.index("sample")
    i_cs, cs_scale, cs_name = _one_column(header, CS_COLUMNS, path, line, "CS", True)
    i_dol, dol_scale, dol_name = _one_column(header, DOL_COLUMNS, path, line, "DOL", True)
    thick = _one_column(header, THICKNESS_COLUMNS, path, line, "thickness", False)
    modes = _mode_columns(header, path, line)
    records: list = []
    seen: dict = {}
    for number, fields in rows:
        where = f"{path}, line {number}"
        check_width(fields, header, where)
        sample = fields[i_name].strip()
        if not sample:
            raise RecipeError(f"{where}: sample is blank; expected the sample's name")
        if sample in seen:
            raise RecipeError(
                f"{where}: sample {sample!r} appears twice (first on line {seen[sample]}); "
                "expected one row per sample"
            )
        seen[sample] = number
        cs = number_cell(fields[i_cs], where, cs_name) * cs_scale
        if cs <= 0:
            raise RecipeError(
                f"{where}: {cs_name} = {fields[i_cs].strip()!r}; expected the surface "
                "compression > 0, as a surface stress meter reports it"
            )
        dol = _depth(fields[i_dol], where, dol_name, dol_scale)
        if dol <= 0:
            raise RecipeError(
                f"{where}: {dol_name} = {fields[i_dol].strip()!r}; expected a depth of layer > 0"
            )
        thickness = None
        if thick is not None and fields[thick[0]].strip():
            i_t, t_scale, t_name = thick
            thickness = number_cell(fields[i_t], where, t_name) * t_scale
            if thickness <= 0:
                raise RecipeError(
                    f"{where}: {t_name} = {fields[i_t].strip()!r}; expected the sample's thickness > 0"
                )
            if dol >= thickness:
                raise RecipeError(
                    f"{where}: {dol_name} = {fields[i_dol].strip()!r} is not below the thickness "
                    f"({t_name} = {fields[i_t].strip()}); expected a depth of layer inside the plate"
                )
        n_te, n_tm = (_mode_indices(fields, header, modes[p], where) for p in ("TE", "TM"))
        records.append(
            SurfaceStressRecord(
                sample=sample,
                compressive_stress=cs,
                depth_of_layer=dol,
                thickness=thickness,
                n_TE=n_te,
                n_TM=n_tm,
                source=path,
                line=number,
            )
        )
    if not records:
        raise RecipeError(
            f"{path}: the file has a header but no data lines; expected a row per sample"
        )
    return tuple(records)
