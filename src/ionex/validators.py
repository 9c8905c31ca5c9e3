"""Checks of numeric arguments shared by every layer (SI floats; numpy and math only).

Each function states one rule and raises ValueError with a one-line message naming the
argument, the value found (and its index in an array) and what was expected; the frozen
dataclass or the analysis that owns the value calls it, and ionex.io adds where in a file
the value came from.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np

__all__ = [
    "FrozenMapping",
    "FieldError",
    "vector",
    "finite",
    "same_length",
    "positive",
    "within",
    "increasing",
]


class FrozenMapping(Mapping):
    """A read-only mapping for the fields of frozen dataclasses: like types.MappingProxyType
    over a private copy, but picklable (recipes travel to a sweep's workers) and hashable
    when its values are."""

    __slots__ = ("_data",)

    def __init__(self, data=()):
        object.__setattr__(self, "_data", dict(data))

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __setattr__(self, name, value):
        raise AttributeError(f"a FrozenMapping is read-only (setting {name!r})")

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __reduce__(self):
        return (FrozenMapping, (self._data,))

    def __repr__(self) -> str:
        return f"FrozenMapping({self._data!r})"


class FieldError(ValueError):
    """A value that breaks the rule of the field it was given for.

    The message reads ``"<field>: found <value><unit>; <expected>"``. ``field`` is the name
    of the dataclass field (or argument) the rule belongs to, ``found`` the value as given
    (SI), ``expected`` the rule in words. A reader of a user file catches it, finds the
    key that ``field`` came from and repeats ``expected`` next to the value as the user
    wrote it: the rule is stated once, by the dataclass that owns the value.
    """

    def __init__(self, field: str, found, expected: str, unit: str = "", index: int | None = None):
        self.field = field
        self.found = found
        self.expected = expected
        self.index = index  # the offending element of a list field (0-based), or None
        shown = f"{found:g}" if _is_real(found) else repr(found)
        at = f"{field}[{index}]" if index is not None else field
        super().__init__(f"{at}: found {shown}{_with_unit(unit)}; {expected}")


def _with_unit(unit: str) -> str:
    return f" {unit}" if unit else ""


def _prefix(where: str | None) -> str:
    return f"{where}: " if where else ""


def _is_real(value) -> bool:
    # bool is an int to Python, but True is no temperature
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def finite(values, name: str, where: str | None = None) -> None:
    """Raise ValueError unless every value of the array ``values`` is finite (no NaN, no ±inf).

    Args:
        values: array of numbers (any unit).
        name: the argument's name, quoted in the message with the index of the first bad value.
        where: optional context put in front of the message (e.g. "Arrhenius dataset 'A'").
    """
    a = np.asarray(values, dtype=float)
    bad = np.nonzero(~np.isfinite(a.ravel()))[0]
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"{_prefix(where)}{name}[{i}] = {float(a.ravel()[i])!r} is not a finite number; "
            "expected finite values only"
        )


def vector(values, name: str) -> np.ndarray:
    """The 1-D float array of ``values`` (any unit), all finite; ValueError otherwise.

    Args:
        values: a sequence of numbers.
        name: the argument's name, quoted in the message.
    """
    a = np.asarray(values, dtype=float)
    if a.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of numbers, got shape {a.shape}")
    finite(a, name)
    return a


def same_length(n: int, **arrays) -> None:
    """Raise ValueError unless each array given by keyword (None: skipped) has ``n`` values.

    The keyword is the array's name in the message, e.g. ``same_length(t.size, D=d)``.
    """
    for name, a in arrays.items():
        if a is not None and np.size(a) != n:
            raise ValueError(f"{name} has {np.size(a)} values; expected {n}, one per point")


def positive(value, name: str, unit: str = "") -> None:
    """Raise ValueError unless ``value`` is a finite real number > 0, or an array of them.

    Args:
        value: a number, or an array (then the message names the index of the first bad value).
        name: the argument's name, quoted in the message.
        unit: the SI unit of ``value`` for the message ("" for a plain number).
    """
    u = _with_unit(unit)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (np.ndarray, list, tuple)):
        a = np.asarray(value, dtype=float)
        bad = np.nonzero(~(a.ravel() > 0))[0]  # NaN is not > 0
        if bad.size:
            i = int(bad[0])
            raise FieldError(name, float(a.ravel()[i]), f"expected a value > 0{u}", unit, index=i)
        return
    if not (_is_real(value) and math.isfinite(value) and value > 0):
        raise FieldError(name, value, f"expected a finite number > 0{u}", unit)


def within(value, bounds: tuple, name: str, unit: str = "") -> None:
    """Raise ValueError unless ``value`` (a number, or an array of them) lies in
    [bounds[0], bounds[1]] (same unit as ``value``; NaN is outside).

    Args:
        value: a number, or an array (then the message names the index of the first bad value).
        bounds: (lowest, highest) accepted value, inclusive.
        name: the argument's name, quoted in the message.
        unit: the SI unit of ``value`` and ``bounds`` for the message ("" for a plain number).
    """
    lo, hi = bounds
    expected = f"expected a value in [{lo:g}, {hi:g}]{_with_unit(unit)}"
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (np.ndarray, list, tuple)):
        a = np.asarray(value, dtype=float).ravel()
        bad = np.nonzero(~((a >= lo) & (a <= hi)))[0]
        if bad.size:
            i = int(bad[0])
            raise FieldError(name, float(a[i]), expected, unit, index=i)
        return
    if not (_is_real(value) and lo <= value <= hi):
        raise FieldError(name, value, expected, unit)


def increasing(values, name: str, unit: str = "", what: str = "") -> None:
    """Raise FieldError (with the index) unless the 1-D array ``values`` increases strictly.

    Args:
        values: array of numbers (e.g. depths of a profile, m).
        name: the argument's name, quoted in the message.
        unit: the SI unit of ``values`` for the message.
        what: what they are, for the message ("depths increasing from the surface").
    """
    a = np.asarray(values, dtype=float).ravel()
    bad = np.nonzero(~(np.diff(a) > 0))[0]
    if bad.size:
        i = int(bad[0]) + 1
        expected = f"expected {what or 'strictly increasing values'} (the one before is {a[i - 1]:g}{_with_unit(unit)})"
        raise FieldError(name, float(a[i]), expected, unit, index=i)
