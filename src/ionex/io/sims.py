"""Reader of ToF-SIMS depth profiles: counts per isotope against sputter time, converted to
depth and to species fractions that sum to one (Gunawan et al. (2026), eq. 1; docs/physics.md §2.4).

File format (CSV, UTF-8)::

    # Cs+@Rb+@Li3B7O12, crater 310 nm        <- lines starting with '#' are comments
    sputter_time_s,6Li,7Li,85Rb,87Rb,133Cs   <- header
    0.0,120,1480,10,4,2000
    2.5,130,1510,12,5,1890
    ...

* exactly one time column, ``sputter_time_s`` or ``time_s`` (seconds since the sputtering
  started), strictly increasing, ≥ 0;
* one column per isotope, named mass number + element symbol (``7Li``, ``85Rb``, ``133Cs``),
  optionally prefixed ``counts_`` (``counts_7Li``); counts are non-negative numbers
  (Poisson-corrected counts need not be integers);
* at least one count somewhere (a file of zeros is an export without data);
* blank lines are skipped. Errors are RecipeError naming the file and line, what was found
  and what was expected.

Depth: a constant sputter rate (Gunawan et al. (2026): the crater depth measured by profilometry "assuming
a constant sputter rate"), so depth = sputter_time / last sputter_time · crater_depth.

Normalisation (eq. 1): Ĩ_s = Σ_{isotopes of s} I / Σ_species Σ_isotopes I. Rows with no
counts at all have NaN fractions and ``valid`` False (kept, so depth and counts keep every
row; computed without a floating-point warning).
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np

from ..errors import RecipeError
from .schema import SPUTTER_TIME_COLUMNS
from .tables import check_width, number_cell, open_table

__all__ = ["PAPER_001_SPECIES", "TIME_COLUMNS", "SimsProfile", "read_sims_profile"]

PAPER_001_SPECIES = MappingProxyType(
    {"Li": ("6Li", "7Li"), "Rb": ("85Rb", "87Rb"), "Cs": ("133Cs",)}
)
TIME_COLUMNS = SPUTTER_TIME_COLUMNS
_ISOTOPE = re.compile(r"^(?:counts_)?(\d{1,3})([A-Z][a-z]?)$")


@dataclass(frozen=True, eq=False)
class SimsProfile:
    """A normalised ToF-SIMS depth profile (arrays read-only, one entry per data row).

    Attributes:
        depth: m from the surface, = sputter_time/sputter_time[-1] · crater_depth.
        sputter_time: s.
        fractions: species → Ĩ (dimensionless; Σ over species = 1 where ``valid``, NaN elsewhere).
        counts: isotope (e.g. "7Li") → raw counts.
        species: species → the isotopes summed for it.
        valid: True where the row had any counts.
        crater_depth: m.  source: path of the file read.
    """

    depth: np.ndarray
    sputter_time: np.ndarray
    fractions: Mapping[str, np.ndarray]
    counts: Mapping[str, np.ndarray]
    species: Mapping[str, tuple]
    valid: np.ndarray
    crater_depth: float
    source: str


def read_sims_profile(
    path, *, crater_depth: float, species: Mapping[str, object] | None = None, elements=None
) -> SimsProfile:
    """Read a ToF-SIMS depth profile and normalise it (Gunawan et al. (2026) eq. 1; format in the module docstring).

    Args:
        path: the CSV file.
        crater_depth: final crater depth in m (> 0), from profilometry.
        species: species → isotope names (``counts_`` prefix optional), e.g. PAPER_001_SPECIES.
            Every isotope column of the file must belong to one species, and a species must
            find all its isotopes or none (a species with none is left out: Cs before the
            2nd CAIT). None: group the isotope columns by element (7Li, 6Li → "Li").
        elements: the element symbols the profile may hold (a recipe's species), or None for any.
    Returns: a SimsProfile.
    """
    path = Path(path)
    if not (
        isinstance(crater_depth, numbers.Real) and math.isfinite(crater_depth) and crater_depth > 0
    ):
        raise RecipeError(
            f"{path}: crater_depth = {crater_depth!r}; expected a positive depth in m"
        )
    header_line, header, rows = open_table(
        path, "a header such as sputter_time_s,6Li,7Li,85Rb,87Rb"
    )
    where_header = f"{path}, line {header_line}"
    time_cols = [h for h in header if h in TIME_COLUMNS]
    if len(time_cols) != 1:
        raise RecipeError(
            f"{where_header}: header {','.join(header)!r} has {len(time_cols)} time columns; "
            f"expected exactly one of {', '.join(TIME_COLUMNS)}"
        )
    isotopes = {}  # isotope name → column index
    for index, name in enumerate(header):
        if name == time_cols[0]:
            continue
        match = _ISOTOPE.match(name)
        if match is None:
            raise RecipeError(
                f"{where_header}: column {name!r} is neither a time column nor an isotope; "
                "expected isotope columns like 7Li, 85Rb or counts_133Cs"
            )
        isotope = match.group(1) + match.group(2)
        if isotope in isotopes:
            raise RecipeError(
                f"{where_header}: isotope {isotope} appears in two columns; expected one column per isotope"
            )
        isotopes[isotope] = index
    if not isotopes:
        raise RecipeError(
            f"{where_header}: header {','.join(header)!r} has no isotope column; expected e.g. 6Li,7Li,85Rb"
        )
    if elements is not None:
        allowed = set(elements)
        foreign = [
            header[i] for iso, i in isotopes.items() if _ISOTOPE.match(iso).group(2) not in allowed
        ]
        if foreign:
            element = _ISOTOPE.match(foreign[0]).group(2)
            raise RecipeError(
                f"{where_header}: column {foreign[0]} is an isotope of {element}, which is not a species of the recipe; "
                f"expected isotopes of {', '.join(sorted(allowed))} only"
            )
    groups = _group(isotopes, species, where_header)

    i_time = header.index(time_cols[0])
    times, counts = [], {iso: [] for iso in isotopes}
    for number, fields in rows:
        where = f"{path}, line {number}"
        check_width(fields, header, where)
        t = number_cell(fields[i_time], where, time_cols[0])
        if t < 0:
            raise RecipeError(
                f"{where}: {time_cols[0]} = {fields[i_time].strip()!r} is negative; expected seconds ≥ 0"
            )
        if times and t <= times[-1]:
            raise RecipeError(
                f"{where}: {time_cols[0]} = {fields[i_time].strip()!r} does not increase "
                f"(previous line has {times[-1]!r}); expected strictly increasing sputter times"
            )
        times.append(t)
        for iso, index in isotopes.items():
            value = number_cell(fields[index], where, header[index])
            if value < 0:
                raise RecipeError(
                    f"{where}: {header[index]} = {fields[index].strip()!r} is negative; expected counts ≥ 0"
                )
            counts[iso].append(value)
    if len(times) < 2:
        raise RecipeError(
            f"{path}: found {len(times)} data line(s); expected at least two rows of a depth profile"
        )

    time = _frozen(times)
    count_arrays = {iso: _frozen(v) for iso, v in counts.items()}
    summed = {s: np.sum([count_arrays[i] for i in isos], axis=0) for s, isos in groups.items()}
    total = np.sum(list(summed.values()), axis=0)
    valid = total > 0
    if not valid.any():
        raise RecipeError(
            f"{path}: every count of every isotope is zero; expected a depth profile with counts "
            "(an export without data?)"
        )
    fractions = {}
    for s, value in summed.items():
        frac = np.full(total.shape, np.nan)
        np.divide(value, total, out=frac, where=valid)  # no 0/0 warning for empty rows
        fractions[s] = _frozen(frac)
    return SimsProfile(
        depth=_frozen(time / time[-1] * crater_depth),
        sputter_time=time,
        fractions=MappingProxyType(fractions),
        counts=MappingProxyType(count_arrays),
        species=MappingProxyType({s: tuple(v) for s, v in groups.items()}),
        valid=_frozen(valid),
        crater_depth=float(crater_depth),
        source=str(path),
    )


def _group(isotopes: Mapping[str, int], species, where: str) -> dict:
    """species → isotopes present, checked against the file's isotope columns."""
    if species is None:
        groups: dict = {}
        for iso in isotopes:  # header order
            groups.setdefault(_ISOTOPE.match(iso).group(2), []).append(iso)
        return groups
    owner, groups = {}, {}
    for name, wanted in species.items():
        wanted = [wanted] if isinstance(wanted, str) else list(wanted)
        normalised = []
        for w in wanted:
            match = _ISOTOPE.match(str(w).strip())
            if match is None:
                raise RecipeError(
                    f"{where}: species {name!r} lists {w!r}; expected isotope names like 7Li or 133Cs"
                )
            iso = match.group(1) + match.group(2)
            if iso in owner:
                raise RecipeError(
                    f"{where}: isotope {iso} is given to both {owner[iso]!r} and {name!r}; expected one species per isotope"
                )
            owner[iso] = name
            normalised.append(iso)
        present = [i for i in normalised if i in isotopes]
        if present and len(present) != len(normalised):
            missing = [i for i in normalised if i not in isotopes]
            raise RecipeError(
                f"{where}: species {name!r} has columns {', '.join(present)} but not {', '.join(missing)}; "
                f"expected all of {', '.join(normalised)} (or pass species= with the isotopes measured)"
            )
        if present:
            groups[name] = present
    stray = [i for i in isotopes if i not in owner]
    if stray:
        raise RecipeError(
            f"{where}: isotope column(s) {', '.join(stray)} match no species; expected only the isotopes of "
            + "; ".join(
                f"{n}: {', '.join([w] if isinstance(w, str) else w)}" for n, w in species.items()
            )
        )
    if not groups:
        raise RecipeError(
            f"{where}: none of the species {', '.join(species)} has a column in the file"
        )
    return groups


def _frozen(values) -> np.ndarray:
    arr = np.array(values, dtype=float) if not isinstance(values, np.ndarray) else values
    arr.setflags(write=False)
    return arr
