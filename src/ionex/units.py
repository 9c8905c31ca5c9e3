"""Quantities with units at the edges of ionex: the one module that imports pint.

Every physical value in a user file is a string such as "420 degC", "8 h", "1e-15 m^2/s"
or "0.7 mm". :func:`to_si` checks its dimension and returns a float in SI units (kelvin
for temperatures). Numerics inside ionex never see pint.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import json
import math
import os
import re
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = [
    "UnitError",
    "DIMENSIONS",
    "to_si",
    "format_quantity",
    "registry",
    "split_quantity",
    "in_unit",
    "FieldUnit",
    "si_factor",
    "shown_in",
]


class UnitError(ValueError):
    """A value has no unit, an unparsable unit, or the wrong dimension."""


# kind → (pint dimensionality, SI unit it is converted to, an example for messages)
DIMENSIONS: dict[str, tuple[str, str, str]] = {
    "length": ("[length]", "m", '"0.7 mm"'),
    "time": ("[time]", "s", '"8 h"'),
    "temperature": ("[temperature]", "K", '"420 degC"'),
    "temperature_rate": ("[temperature] / [time]", "K/s", '"50 K/min"'),
    "diffusivity": ("[length] ** 2 / [time]", "m**2/s", '"1e-15 m^2/s"'),
    "molar_energy": ("[mass] * [length] ** 2 / [time] ** 2 / [substance]", "J/mol", '"110 kJ/mol"'),
    "concentration": ("[substance] / [length] ** 3", "mol/m**3", '"10.9 mol/L"'),
    "pressure": ("[mass] / [length] / [time] ** 2", "Pa", '"72 GPa"'),
    "toughness": ("[mass] / [length] ** 0.5 / [time] ** 2", "Pa*m**0.5", '"0.75 MPa m^0.5"'),
    "molar_volume": ("[length] ** 3 / [substance]", "m**3/mol", '"3 cm^3/mol"'),
    "inverse_pressure": ("[length] * [time] ** 2 / [mass]", "1/Pa", '"-3.3e-12 1/Pa"'),
    "angle": ("", "radian", '"70.0963 deg"'),
    "energy": ("[mass] * [length] ** 2 / [time] ** 2", "J", '"0.16 eV"'),
    "number_density": ("1 / [length] ** 3", "1/m**3", '"1.4e28 m^-3"'),
    "area": ("[length] ** 2", "m**2", '"28.26 mm^2"'),
    "voltage": ("[mass] * [length] ** 2 / [time] ** 3 / [current]", "V", '"15 V"'),
    "electric_field": ("[mass] * [length] / [time] ** 3 / [current]", "V/m", '"100 V/mm"'),
    "current": ("[current]", "A", '"20 nA"'),
    "charge": ("[current] * [time]", "C", '"2.52 mC"'),
    "dimensionless": ("", "", '"0.5"'),
}


@lru_cache(maxsize=1)
def registry() -> "pint.UnitRegistry":  # noqa: F821
    """The shared unit registry (offset units such as degC are allowed in plain values).

    Pint's definitions are parsed once per machine and kept in pint's cache folder (the
    user's cache directory): building the registry then takes ~0.05 s instead of ~0.25 s
    of every command's start. Where that folder cannot be written the registry is built
    from the definitions as before."""
    import pint  # imported on the first quantity not already converted (see _DiskCache)

    try:
        ureg = pint.UnitRegistry(cache_folder=":auto:", autoconvert_offset_to_baseunit=True)
    except OSError:
        ureg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    ureg.formatter.default_format = "~P"
    return ureg


# (text, kind) → SI value of every string read so far: a fit or sweep rebuilds its recipe
# for each run from the same texts but one or two, and pint's parsing is ~75 % of that cost.
# Only successes are stored (an error names ``what``, which differs between callers).
_SI_CACHE: dict = {}
_SI_CACHE_SIZE = 4096


class _DiskCache:
    """The conversions of earlier commands, kept in the user's cache directory: a command
    whose every quantity was converted before starts without importing pint (~0.4 s of a
    command's start: pint imports dask and uncertainties).

    The file is named by a key of pint's package and unit definitions, of this module and
    of DIMENSIONS, so another pint, another version of these conversions or another table
    of dimensions starts a new file: no conversion is ever taken from a different one. Anything that goes wrong with the file (no cache
    directory, no permission, a damaged file) only turns the cache off."""

    def __init__(self):
        self.path: Path | None = None
        self.loaded = False
        self.dirty = False

    def _locate(self) -> Path | None:
        spec = importlib.util.find_spec("pint")
        if spec is None or spec.origin is None:
            return None
        package = Path(spec.origin).parent
        stamps = [
            f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}"
            for p in (
                package / "__init__.py",
                package / "default_en.txt",
                package / "constants_en.txt",
                Path(__file__),  # this module: how ionex converts
            )
            if p.exists()
        ]
        key = hashlib.sha256(f"{stamps}{sorted(DIMENSIONS.items())}".encode()).hexdigest()[:20]
        home = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        return Path(home) / "ionex" / f"units-{key}.json"

    def load(self) -> None:
        """Merge the file's conversions into _SI_CACHE (once per process)."""
        if self.loaded:
            return
        self.loaded = True
        try:
            self.path = self._locate()
            if self.path is None or not self.path.exists():
                return
            stored = json.loads(self.path.read_text(encoding="utf-8"))
            for kind, text, value in stored[:_SI_CACHE_SIZE]:
                if (
                    (kind in DIMENSIONS or kind == _FACTOR)
                    and isinstance(text, str)
                    and isinstance(value, float)
                ):
                    _SI_CACHE.setdefault((text, kind), value)
        except (OSError, ValueError, TypeError, RuntimeError):
            self.path = None

    def remember(self) -> None:
        """Note that _SI_CACHE has new conversions: the file is written once, at exit."""
        if self.path is not None and not self.dirty:
            self.dirty = True
            atexit.register(self.save)

    def save(self) -> None:
        """Write _SI_CACHE to the file (atomically: other commands may read it meanwhile)."""
        self.dirty = False
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            entries = [[kind, text, value] for (text, kind), value in _SI_CACHE.items()]
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".units-", suffix=".part")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(entries, fh)
            os.replace(tmp, self.path)
        except OSError:
            self.path = None


_DISK_CACHE = _DiskCache()


def _cached(text: str, kind: str) -> float | None:
    """The kept conversion of ``text`` as ``kind``: in memory, else from the cache file
    (read on the first miss of the process), else None."""
    hit = _SI_CACHE.get((text, kind))
    if hit is None and not _DISK_CACHE.loaded:
        _DISK_CACHE.load()
        hit = _SI_CACHE.get((text, kind))
    return hit


def to_si(value, kind: str, what: str) -> float:
    """Parse ``value`` (a string with a unit) as a quantity of ``kind``; return SI float.

    Args:
        value: e.g. "420 degC". Bare numbers are accepted only for kind "dimensionless".
        kind: a key of DIMENSIONS.
        what: how to name the value in an error (e.g. "step[2].duration").
    Raises:
        UnitError naming ``what``, what was found and what was expected.
    """
    dim, si_unit, example = DIMENSIONS[kind]
    if isinstance(value, bool):
        raise UnitError(f"{what}: found {value!r}; expected {_expected(kind, example)}")
    if isinstance(value, (int, float)):
        if kind == "dimensionless":
            return _finite(float(value), what)
        raise UnitError(
            f"{what}: found the bare number {value!r} with no unit; expected {_with_units(value, kind)}"
        )
    if not isinstance(value, str):
        raise UnitError(
            f"{what}: found {type(value).__name__} {value!r}; expected {_expected(kind, example)}"
        )
    hit = _cached(value, kind)
    if hit is not None:
        return hit
    si = _to_si_text(value, kind, what)
    if len(_SI_CACHE) >= _SI_CACHE_SIZE:
        _SI_CACHE.clear()
    _SI_CACHE[value, kind] = si
    _DISK_CACHE.remember()
    return si


def _to_si_text(value: str, kind: str, what: str) -> float:
    """to_si of a string, through pint."""
    dim, si_unit, example = DIMENSIONS[kind]
    ureg = registry()
    magnitude, unit = _split(value, what, _expected(kind, example))
    q = ureg.Quantity(magnitude, unit)
    if kind == "angle":
        # an angle must say deg or rad: a bare number would be ambiguous
        if q.unitless:
            raise UnitError(
                f"{what}: found {value!r} with no unit; expected {_with_units(q.magnitude, kind)}"
            )
        if not q.dimensionless:
            raise UnitError(f"{what}: found {value!r}; expected {_expected(kind, example)}")
        return _finite(float(q.to("radian").magnitude), what)
    if kind == "dimensionless":
        if not q.dimensionless:
            raise UnitError(
                f"{what}: found {value!r} with dimension {q.dimensionality}; expected a plain number"
            )
        return _finite(float(q.to("").magnitude), what)
    if q.unitless:
        raise UnitError(
            f"{what}: found {value!r} with no unit; expected {_with_units(q.magnitude, kind)}"
        )
    if q.dimensionality != ureg.get_dimensionality(dim):
        hint = ""
        misread = {ureg.Unit("coulomb"): ("coulomb", "degC"), ureg.Unit("farad"): ("farad", "degF")}
        if kind == "temperature" and q.units in misread:
            # "420 C" is 420 coulomb to pint: a temperature in °C is written degC
            name, scale = misread[q.units]
            hint = f' (C and F are the {name} there; a temperature is written "{q.magnitude:g} {scale}")'
            hint = hint.replace("C and F are the", "C is the" if name == "coulomb" else "F is the")
        raise UnitError(
            f"{what}: found {value!r}, a quantity of dimension {q.dimensionality}{hint}; expected {_expected(kind, example)}"
        )
    if kind == "temperature":
        # offset units must go through to() as absolute temperatures
        return _finite(float(q.to("kelvin").magnitude), what)
    return _finite(float(q.to(si_unit).magnitude), what)


def _finite(x: float, what: str, written=None) -> float:
    if not math.isfinite(x):
        found = f"{written!r}, " if written is not None and str(written) != repr(x) else ""
        raise UnitError(f"{what}: found {found}a non-finite value {x!r}; expected a finite number")
    return x


# units to offer with a bare number, so that the suggestion uses the user's own number
_SUGGESTED_UNITS = {
    "length": ("nm", "um", "mm"),
    "time": ("s", "min", "h"),
    "temperature": ("degC", "K"),
    "diffusivity": ("m^2/s", "cm^2/s"),
    "pressure": ("MPa", "GPa"),
    "concentration": ("mol/L",),
    "molar_energy": ("kJ/mol",),
    "energy": ("eV",),
    "voltage": ("V",),
    "electric_field": ("V/mm", "V/m"),
    "current": ("nA", "mA"),
    "charge": ("mC",),
    "angle": ("deg",),
}


def _with_units(number, kind: str) -> str:
    """'a length with its unit, e.g. "677 nm", "677 um" or "677 mm"' for a bare number."""
    units = _SUGGESTED_UNITS.get(kind)
    if not units:
        return _expected(kind, DIMENSIONS[kind][2])
    options = [f'"{number:g} {u}"' for u in units]
    listed = options[0] if len(options) == 1 else ", ".join(options[:-1]) + " or " + options[-1]
    name = kind.replace("_", " ")
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name} with its unit, e.g. {listed}"


def _expected(kind: str, example: str) -> str:
    if kind == "dimensionless":
        return "a plain number"
    return f"a string with a unit of {kind.replace('_', ' ')}, e.g. {example}"


def format_quantity(value_si: float, si_unit: str, display_unit: str, digits: int = 4) -> str:
    """Format an SI value in a display unit, e.g. (28800, "s", "h") → "8 h"."""
    ureg = registry()
    q = ureg.Quantity(value_si, si_unit).to(display_unit)
    return f"{q.magnitude:.{digits}g} {display_unit}"


_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")
# The unit part of a value, token by token. pint evaluates the numbers in a unit string
# with Python integers ("10**10**10" takes minutes), so a unit may hold numbers only as
# the 1 of "1/Pa" and as small exponents: "m^2", "cm^-3", "m**2", "m²".
_UNIT_TOKEN = re.compile(
    r"\s*(?:(?P<exp>(?:\^|\*\*)\s*[-+]?\d{1,2}(?:\.\d{1,3})?(?![\d.]))"
    r"|(?P<sup>[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2})"
    r"|(?P<name>(?:(?![⁰¹²³⁴⁵⁶⁷⁸⁹])[^\W\d]|[°%])+)"
    r"|(?P<one>1(?![\d.]))"
    r"|(?P<op>[*/()·]))"
)
_MAX_UNIT_CHARS = 80


def _safe_unit(unit: str) -> bool:
    """Whether ``unit`` is names, operators, a leading 1 and small exponents only."""
    if len(unit) > _MAX_UNIT_CHARS:
        return False
    pos, previous = 0, None
    while pos < len(unit):
        m = _UNIT_TOKEN.match(unit, pos)
        if not m or m.end() == pos:
            return False
        kind = m.lastgroup
        token = m.group(kind)
        if kind == "name" and any(ch.isdigit() for ch in token):
            return False
        # an exponent raises a unit name, never a number, a bracket or another exponent
        if kind in ("exp", "sup") and previous != "name":
            return False
        if kind == "one" and previous not in (None, "("):
            return False
        previous = token if token in "()" and kind == "op" else kind
        pos = m.end()
    return True


def _split(value: str, what: str, expected: str) -> tuple[float, str]:
    """(magnitude, unit text) of a string value, the unit checked by pint without letting
    it evaluate arithmetic. Raises UnitError naming ``what``, the value and ``expected``."""
    m = _NUMBER.match(value)
    if not m:
        if re.match(r"^\s*[-+]?(nan|inf)", value, re.IGNORECASE):
            raise UnitError(f"{what}: found {value!r}, a non-finite value; expected {expected}")
        raise UnitError(f"{what}: cannot read {value!r} as a quantity; expected {expected}")
    unit = m.group(2)
    if unit and not _safe_unit(unit):
        raise UnitError(
            f"{what}: cannot read the unit {unit!r} of {value!r}; expected {expected}, with unit "
            f"names and small whole exponents only (m^2, cm^-3), at most {_MAX_UNIT_CHARS} characters"
        )
    if unit:
        try:
            # the root-unit factor overflows for units such as km^99 km^99: fail here, once
            registry().Quantity(1.0, unit).to_root_units()
        except Exception as exc:  # pint raises several unrelated types for bad strings
            raise UnitError(
                f"{what}: cannot read the unit {unit!r} of {value!r} ({exc}); expected {expected}"
            ) from None
    return _finite(float(m.group(1)), what, value), unit


def split_quantity(value, what: str) -> tuple[float, str]:
    """Split a user value into its magnitude and the unit text it was written in:
    "1e-15 m^2/s" → (1e-15, "m^2/s"); a bare number → (x, ""). The unit is checked.

    Raises:
        UnitError naming ``what`` when the value is not a number or a quantity.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise UnitError(f"{what}: found {value!r}; expected a number or a string with a unit")
    if isinstance(value, (int, float)):
        return _finite(float(value), what), ""
    return _split(value, what, 'a number followed by a unit, e.g. "1e-15 m^2/s"')


def in_unit(value, unit: str, what: str) -> float:
    """The magnitude of ``value`` (number or string with a unit) expressed in ``unit``
    ("" = dimensionless): ("300 degC", "K") → 573.15.

    Raises:
        UnitError naming ``what`` when the dimensions differ.
    """
    magnitude, given = split_quantity(value, what)
    if given == unit:
        return magnitude
    import pint

    ureg = registry()
    try:
        return _finite(float(ureg.Quantity(magnitude, given or "").to(unit or "").magnitude), what)
    except pint.DimensionalityError:
        raise UnitError(
            f"{what}: found {value!r}; expected a value in units of {unit or 'a plain number'}"
        ) from None


_FACTOR = "@factor"  # the kind under which si_factor keeps its results in _SI_CACHE


def si_factor(unit: str) -> float:
    """The SI value of one ``unit`` ("um" → 1e-6, "h" → 3600, "MPa" → 1e6): for showing SI
    values in a unit (plots, tables). Multiplicative units only. Kept like to_si's
    conversions, so that a figure does not import pint when its units were seen before."""
    hit = _cached(unit, _FACTOR)
    if hit is not None:
        return hit
    ureg = registry()
    if float(ureg.Quantity(0.0, unit).to_base_units().magnitude) != 0.0:
        raise UnitError(f"{unit!r} is an offset unit; expected a multiplicative unit")
    factor = float(ureg.Quantity(1.0, unit).to_base_units().magnitude)
    _SI_CACHE[unit, _FACTOR] = factor
    _DISK_CACHE.remember()
    return factor


def shown_in(values, unit: str):
    """SI ``values`` (a number or an array) expressed in ``unit`` (multiplicative)."""
    import numpy as np

    return np.asarray(values, dtype=float) / si_factor(unit)


@dataclass(frozen=True)
class FieldUnit:
    """The unit a file writes a field in, as its linear map to SI (pint is asked once):
    written value = offset + factor·SI value ("420 degC" ↔ 693.15 K: offset −273.15,
    factor 1). Fits and sweeps convert every trial value with it, without pint.

    Attributes:
        text: the unit as written ("" for a plain number).
        offset, factor: the map SI → written unit.
    """

    text: str
    offset: float = 0.0
    factor: float = 1.0

    @classmethod
    def of(cls, unit: str) -> FieldUnit:
        if not unit:
            return cls("")
        base = f"{registry().Quantity(1.0, unit).to_base_units().units:~}"
        offset = in_unit(f"0 {base}", unit, unit)
        return cls(unit, offset, in_unit(f"1 {base}", unit, unit) - offset)

    def from_si(self, value: float) -> float:
        return self.offset + self.factor * value

    def to_si(self, value: float) -> float:
        return (value - self.offset) / self.factor

    def label(self) -> str:
        return self.text or "(dimensionless)"
