"""A recipe file as an editable document: read or replace any numeric field by its path,
then build the Recipe from the edited text (what fits and sweeps vary).

Paths name fields the way recipe error messages do: dotted keys, 1-based indices for
arrays of tables — ``ions.K.D``, ``step[2].duration``, ``step[1].bath.K``,
``species.Li.sed_width``, ``stress.tau``, ``output.times[3]``. A value keeps the unit it
is written in: ``"420 degC"`` is varied in degC, ``"1e-15 m^2/s"`` in m²/s, a bare number
(a documented dimensionless field) as a number.

    doc = RecipeDocument.load("examples/soda_lime_k_na.toml")
    doc.value("ions.K.D")                          # (1e-15, "m^2/s")
    recipe = doc.with_values({"ions.K.D": 2e-15}).recipe()
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import tomli_w

from ..errors import RecipeError
from ..units import UnitError, split_quantity
from .recipe import RecipeReader, parse_recipe, parse_toml, read_user_file
from .schema import SI

__all__ = ["RecipeDocument", "RecipeEdits", "SI", "parse_path"]

_PART = re.compile(r"^([A-Za-z_][A-Za-z0-9_\-]*)(?:\[(\d+)\])?$")


def parse_path(path: str) -> tuple:
    """``"step[2].bath.K"`` → ("step", 1, "bath", "K") (indices 0-based inside).

    Raises:
        ValueError for a malformed path.
    """
    if not isinstance(path, str) or not path.strip():
        raise ValueError(
            f'found {path!r}; expected a field path such as "ions.K.D" or "step[1].duration"'
        )
    out: list = []
    for part in path.strip().split("."):
        m = _PART.match(part)
        if not m or (m.group(2) is not None and int(m.group(2)) < 1):
            raise ValueError(
                f'found {path!r}; expected dotted keys with 1-based indices, e.g. "step[1].duration"'
            )
        out.append(m.group(1))
        if m.group(2) is not None:
            out.append(int(m.group(2)) - 1)
    return tuple(out)


def _dotted(parts: tuple) -> str:
    s = ""
    for p in parts:
        s += f"[{p + 1}]" if isinstance(p, int) else ("." if s else "") + p
    return s


def _numeric_leaves(node, prefix: tuple = ()):
    """Every (path, value) whose value is a number or a string that reads as a quantity."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _numeric_leaves(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _numeric_leaves(v, prefix + (i,))
    elif isinstance(node, (int, float, str)) and not isinstance(node, bool):
        try:
            split_quantity(node, "")
        except UnitError:
            return
        yield prefix, node


@lru_cache(maxsize=4096)
def _reads_as_quantity(text: str) -> bool:
    # cached: a sweep or fit edits the same fields of the same document many times
    try:
        split_quantity(text, "")
    except UnitError:
        return False
    return True


def _locate(document: dict, path: str, where) -> tuple:
    """The parts of ``path`` and the numeric leaf it names in ``document``, or a RecipeError
    naming ``where`` with the closest numeric paths."""
    try:
        parts = parse_path(path)
    except ValueError as exc:
        raise RecipeError(f"{where}: {exc}") from None
    node = document
    for p in parts:
        ok = (isinstance(p, int) and isinstance(node, list) and p < len(node)) or (
            isinstance(p, str) and isinstance(node, dict) and p in node
        )
        if not ok:
            known = [_dotted(q) for q, _ in _numeric_leaves(document)]
            hint = difflib.get_close_matches(path, known, n=3)
            did = f" (did you mean {', '.join(hint)}?)" if hint else ""
            raise RecipeError(
                f"{where}: {path!r} is not a field of this recipe{did}; its numeric fields are: "
                f"{', '.join(known)}"
            )
        node = node[p]
    numeric = isinstance(node, (int, float)) and not isinstance(node, bool)
    if not (numeric or (isinstance(node, str) and _reads_as_quantity(node))):
        raise RecipeError(
            f"{where}: {path}: found {node!r}; expected a number or a quantity "
            "(only numeric fields can be varied)"
        )
    return parts, node


def _replaced(document: dict, parts: tuple, value):
    """A copy of ``document`` with the leaf at ``parts`` replaced; only the tables and arrays
    on the way are copied (the rest is shared: documents are never changed in place)."""
    if not parts:
        return value
    head = parts[0]
    node = list(document) if isinstance(document, list) else dict(document)
    node[head] = _replaced(document[head], parts[1:], value)
    return node


@dataclass(frozen=True, eq=False)
class RecipeEdits:
    """What a reader leaves on each recipe it makes (its ``editor``): the parsed file, the
    temperature logs and tables already read, and the edits so far. Calling it with
    {path: value} edits the parsed file in memory and reads it again — no text, no disk,
    no pint for SI floats. Picklable: a sweep's workers get the logs with it.

    Attributes:
        path, text: the recipe file and its text (for messages and the embedded copy).
        document: the parsed TOML with the edits so far.
        logs: the files the recipe names (temperature logs, D̃ tables) by path, read once.
        options: the reader's keyword options (lenient_logs, log_limits).
        edits: (path, value) of every edit so far, in order.
    """

    path: Path
    text: str
    document: dict
    logs: dict
    options: dict
    edits: tuple = ()

    def __call__(self, values: Mapping):
        doc = self.document
        for path, value in values.items():
            parts, _ = _locate(doc, path, self.path)
            if isinstance(value, (str, SI)):
                new = value
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                new = SI(value)
            else:
                raise RecipeError(
                    f"{self.path}: {path}: found {value!r}; expected an SI number or a string "
                    'with units such as "420 degC"'
                )
            doc = _replaced(doc, parts, new)
        edits = self.edits + tuple((p, v) for p, v in values.items())
        return RecipeReader(
            self.text, self.path, document=doc, logs=self.logs, edits=edits, **self.options
        ).recipe()


class RecipeDocument:
    """The parsed TOML of a recipe file with its path (for messages and relative files)."""

    def __init__(self, text: str, path="<recipe>"):
        self.path = Path(path)
        self.document = parse_toml(text, self.path)
        self.text = text

    @classmethod
    def load(cls, path) -> RecipeDocument:
        return cls(read_user_file(path, "recipe"), Path(path))

    # ------------------------------------------------------------------ reading
    def numeric_paths(self) -> list[str]:
        """Paths of every numeric field (numbers and quantities) in the document."""
        return [_dotted(p) for p, _ in _numeric_leaves(self.document)]

    def _lookup(self, path: str):
        return _locate(self.document, path, self.path)

    def value(self, path: str) -> tuple[float, str]:
        """(magnitude, unit text) of the numeric field at ``path`` ("" for a bare number).

        Raises:
            RecipeError when the path is not in the recipe or its value is not numeric.
        """
        _, raw = self._lookup(path)
        return split_quantity(raw, path)

    # ------------------------------------------------------------------ editing
    def with_values(self, values: Mapping[str, float]) -> RecipeDocument:
        """A copy with each field at ``path`` set to ``magnitude`` in the unit it is written in."""
        doc = self.document
        for path, magnitude in values.items():
            parts, raw = _locate(doc, path, self.path)
            _, unit = split_quantity(raw, path)
            x = float(magnitude)
            doc = _replaced(doc, parts, f"{x!r} {unit}" if unit else x)
        new = RecipeDocument.__new__(RecipeDocument)
        new.path, new.document = self.path, doc
        new.text = tomli_w.dumps(doc)
        return new

    def to_toml(self, header: str = "") -> str:
        """The document as TOML text, with ``header`` as leading comment lines."""
        lead = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
        return lead + tomli_w.dumps(self.document)

    def recipe(self):
        """Parse the (edited) document into a Recipe or ExperimentRecipe; messages name the
        recipe file (line numbers refer to the original file only when it is unedited)."""
        return parse_recipe(self.text, self.path, document=self.document)
