"""One declarative layer for reading the sections of user files (recipes, fits, sweeps).

A section is a table of fields — its key in the file, the kind of value (a quantity of a
given dimension, a plain number, a text), whether it is required, and the dataclass field
it fills. :func:`build` checks the keys (unknown keys get a did-you-mean), converts every
quantity to SI with pint, constructs the dataclass and, when the dataclass refuses a value,
says where: file, line, field, the value as the user wrote it and the dataclass's own rule.

Each rule is stated once. The frozen dataclasses of ionex.process and ionex.physics own
the rules of their values and raise :class:`ionex.validators.FieldError` naming the
field; this module only locates the error in the file. What is checked here is what only
a file can get wrong: the key, the TOML type, the unit.

    GLASS = Section(Glass, (Field("total_mobile", CONCENTRATION, required=True), ...))
    glass = build(GLASS, raw_table, reader, ("glass",))
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from ..constants import ZERO_CELSIUS
from ..errors import RecipeError
from ..units import UnitError, to_si
from ..validators import FieldError

__all__ = [
    "TIME_COLUMNS",
    "TIMESTAMP_COLUMN",
    "SPUTTER_TIME_COLUMNS",
    "DEPTH_COLUMNS",
    "TEMPERATURE_COLUMNS",
    "STRESS_COLUMNS",
    "SURFACE_STRESS_COLUMNS",
    "SIGMA_COLUMN",
    "SI",
    "Quantity",
    "Text",
    "Whole",
    "Field",
    "Section",
    "Reader",
    "build",
    "read",
    "construct",
    "dotted",
    "line_of",
    "shown",
]


# --------------------------------------------------------------------------- kinds of value


@dataclass(frozen=True)
class Quantity:
    """A number with a unit of ``dimension`` (a ionex.units kind: "length", "time",
    "temperature", "diffusivity", …), converted to SI; "dimensionless" takes a bare number."""

    dimension: str

    def convert(self, value, reader: Reader, at: tuple) -> float:
        return reader.quantity(value, self.dimension, at)


@dataclass(frozen=True)
class Text:
    """A TOML string, passed on as written (the dataclass judges its content)."""

    def convert(self, value, reader: Reader, at: tuple) -> str:
        if not isinstance(value, str):
            reader.fail(at, f"found {value!r}; expected a string")
        return value


@dataclass(frozen=True)
class Whole:
    """A TOML integer (a count, a step number), passed on as written."""

    def convert(self, value, reader: Reader, at: tuple) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            reader.fail(at, f"found {value!r}; expected a whole number")
        return value


class SI(float):
    """A value already in SI units, standing in a parsed document where the file has a
    quantity text (a recipe edited in memory): readers take it as it is, without pint.
    ``written``, when given, is how the user wrote it (shown in messages instead)."""

    def __new__(cls, value: float, written: str | None = None):
        new = super().__new__(cls, value)
        new.written = written
        return new

    def __reduce__(self):
        return (SI, (float(self), self.written))

    def __repr__(self) -> str:
        return repr(self.written) if self.written else f"{float(self)!r} (SI)"


NUMBER = Quantity("dimensionless")
TEXT = Text()
WHOLE = Whole()


@dataclass(frozen=True)
class Field:
    """One key of a section.

    Attributes:
        key: the key in the file.
        kind: Quantity or Text; None for a value the reader's glue code converts (a
            sub-table, a list, a file name, one of several forms).
        required: the section is refused without it.
        target: the dataclass field it fills (default: ``key``).
    """

    key: str
    kind: Quantity | Text | None
    required: bool = False
    target: str | None = None

    @property
    def name(self) -> str:
        return self.target or self.key


@dataclass(frozen=True)
class Section:
    """The fields of one table of a file and the dataclass they build.

    Attributes:
        target: the dataclass (or any callable taking the fields by keyword), or None when
            glue code builds the object from the values.
        fields: the keys the section allows.
    """

    target: Callable | None
    fields: tuple[Field, ...]

    @property
    def keys(self) -> set:
        return {f.key for f in self.fields}

    @property
    def required(self) -> set:
        return {f.key for f in self.fields if f.required}

    def key_of(self, name: str, raw: Mapping) -> str | None:
        """The key in ``raw`` that fills dataclass field ``name`` (None if none does)."""
        keys = [f.key for f in self.fields if f.name == name]
        present = [k for k in keys if k in raw]
        return (present or keys or [None])[0]


# --------------------------------------------------------------------------- table columns
# The unit-bearing columns of every table ionex reads (CSV): the name says the unit, and
# the value is the factor to SI (for temperatures, the offset to kelvin).

TIME_COLUMNS = {"time_s": 1.0, "time_min": 60.0, "time_h": 3600.0}  # → s
TIMESTAMP_COLUMN = "timestamp"  # ISO 8601 date and time (furnace logs)
SPUTTER_TIME_COLUMNS = ("sputter_time_s", "time_s")  # s of sputtering (ToF-SIMS depth profiles)
DEPTH_COLUMNS = {"depth_m": 1.0, "depth_um": 1e-6, "depth_nm": 1e-9}  # → m
TEMPERATURE_COLUMNS = {"temperature_C": ZERO_CELSIUS, "temperature_K": 0.0}  # + offset → K
STRESS_COLUMNS = {"stress_Pa": 1.0, "stress_MPa": 1e6}  # → Pa (compression < 0)
SURFACE_STRESS_COLUMNS = {"surface_stress_Pa": 1.0, "surface_stress_MPa": 1e6}  # → Pa
SIGMA_COLUMN = "sigma"  # one standard error, in the unit of the measured column


# --------------------------------------------------------------------------- locating


def shown(value) -> str:
    """A value as the user wrote it: text quoted, a number short when that is exact (1e+06)."""
    if isinstance(value, SI):
        return repr(value)
    if isinstance(value, float) and float(f"{value:g}") == value:
        return f"{value:g}"
    return repr(value)


def dotted(field: tuple) -> str:
    """``("step", 1, "duration")`` → ``"step[2].duration"`` (indices shown 1-based)."""
    out = ""
    for part in field:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def line_of(lines: list[str], field: tuple) -> int | None:
    """Best-effort 1-based line of ``field`` in TOML text ``lines`` (None when not found)."""
    # the table the field lives in, e.g. ("step", 1, "duration") → 2nd [[step]], key duration
    keys = [p for p in field if isinstance(p, str)]
    index = next((p for p in field if isinstance(p, int)), None)
    for depth in range(len(keys), 0, -1):
        table = ".".join(keys[: depth - 1])
        key = keys[depth - 1]
        current, seen = "", {}
        for i, line in enumerate(lines):
            m = _HEADER.match(line)
            if m:
                current = m.group(1)
                seen[current] = seen.get(current, -1) + 1
                name = ".".join(keys[:depth])
                if (current == name or current.startswith(name + ".")) and (
                    index is None or seen[current] == index
                ):
                    return i + 1
                continue
            if current == table and (index is None or seen.get(current, 0) == index):
                if re.match(rf"^\s*{re.escape(key)}\s*=", line) or re.match(
                    rf'^\s*"{re.escape(key)}"\s*=', line
                ):
                    return i + 1
    return None


class Reader:
    """A user file being read: its path (for messages and relative file names) and its
    text (for line numbers). Every error names the file, the line and the field."""

    def __init__(self, text: str, path):
        self.text = text = text.removeprefix("\ufeff")
        self.path = Path(path)
        self.lines = text.splitlines()

    def fail(self, field: tuple, message: str) -> NoReturn:
        line = line_of(self.lines, field)
        where = f"{self.path}, line {line}" if line else f"{self.path}"
        raise RecipeError(f"{where}: {dotted(field)}: {message}")

    def quantity(self, value, kind: str, field: tuple) -> float:
        if isinstance(value, SI):
            return float(value)
        try:
            return to_si(value, kind, "value")
        except UnitError as exc:
            self.fail(field, str(exc).removeprefix("value: "))

    def number(self, value, field: tuple) -> float:
        return self.quantity(value, "dimensionless", field)

    def table(self, value, field: tuple, allowed: set, required: set = frozenset()) -> dict:
        """``value`` as a table with only ``allowed`` keys and every ``required`` one."""
        if not isinstance(value, dict):
            self.fail(field, f"found {type(value).__name__} {value!r}; expected a table")
        for key in value:
            if key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                did = f" (did you mean {hint[0]!r}?)" if hint else ""
                self.fail(
                    field + (key,),
                    f"unknown key{did}; expected one of: {', '.join(sorted(allowed))}",
                )
        for key in sorted(required):
            if key not in value:
                self.fail(field + (key,), "missing (required)")
        return value

    def list(self, value, field: tuple) -> list:
        if not isinstance(value, list):
            self.fail(field, f"found {value!r}; expected a list")
        return value

    def resolve(self, value, field: tuple) -> Path:
        """A file named in the file, relative to the file's folder."""
        if not isinstance(value, str) or not value.strip():
            self.fail(field, f"found {value!r}; expected a file path (relative to the recipe file)")
        p = Path(value)
        return p if p.is_absolute() else self.path.parent / p

    def refused(
        self, exc: ValueError, at: tuple, raw: Mapping | None = None, section=None
    ) -> NoReturn:
        """Locate a dataclass's ValueError: a FieldError at the key that gave its field, with
        the value as written (or "missing" when the key is absent and nothing was given);
        any other at the section ``at``."""
        if isinstance(exc, FieldError) and isinstance(raw, Mapping):
            key = section.key_of(exc.field, raw) if section is not None else exc.field
            if key is not None and key in raw:
                self.fail(at + (key,), f"found {shown(raw[key])}; {exc.expected}")
            if key is not None and exc.found is None:
                self.fail(at + (key,), f"missing; {exc.expected}")
        self.fail(at, str(exc))


# --------------------------------------------------------------------------- building


def read(spec: Section, raw, reader: Reader, at: tuple) -> dict:
    """The converted values of ``raw`` (a TOML table) by dataclass field name; only the keys
    present (the dataclass holds the defaults). Unknown keys and missing required keys are
    refused."""
    raw = reader.table(raw, at, spec.keys, spec.required)
    out = {}
    for f in spec.fields:
        if f.kind is not None and f.key in raw:
            out[f.name] = f.kind.convert(raw[f.key], reader, at + (f.key,))
    return out


def construct(spec: Section, values: Mapping, raw: Mapping, reader: Reader, at: tuple):
    """``spec.target`` built from those of ``values`` that are fields of it; a refusal is
    located in the file (Reader.refused)."""
    names = {f.name for f in dataclasses.fields(spec.target)}
    try:
        return spec.target(**{k: v for k, v in values.items() if k in names})
    except ValueError as exc:
        reader.refused(exc, at, raw, spec)


def build(spec: Section, raw, reader: Reader, at: tuple, **given):
    """Read section ``raw`` at ``at`` and construct its dataclass; ``given`` adds values that
    come from elsewhere (another section, glue code)."""
    values = read(spec, raw, reader, at)
    values.update(given)
    return construct(spec, values, raw, reader, at)
