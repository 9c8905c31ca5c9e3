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
from copy import deepcopy
from pathlib import Path

import tomli_w

from ..errors import RecipeError
from ..units import UnitError, split_quantity
from .recipe import parse_recipe, parse_toml, read_user_file

__all__ = ["RecipeDocument", "parse_path"]

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
        try:
            parts = parse_path(path)
        except ValueError as exc:
            raise RecipeError(f"{self.path}: {exc}") from None
        node = self.document
        for i, p in enumerate(parts):
            ok = (isinstance(p, int) and isinstance(node, list) and p < len(node)) or (
                isinstance(p, str) and isinstance(node, dict) and p in node
            )
            if not ok:
                known = self.numeric_paths()
                hint = difflib.get_close_matches(path, known, n=3)
                did = f" (did you mean {', '.join(hint)}?)" if hint else ""
                raise RecipeError(
                    f"{self.path}: {path!r} is not a field of this recipe{did}; its numeric fields are: "
                    f"{', '.join(known)}"
                )
            node = node[p]
        return parts, node

    def value(self, path: str) -> tuple[float, str]:
        """(magnitude, unit text) of the numeric field at ``path`` ("" for a bare number).

        Raises:
            RecipeError when the path is not in the recipe or its value is not numeric.
        """
        _, raw = self._lookup(path)
        try:
            return split_quantity(raw, path)
        except UnitError:
            raise RecipeError(
                f"{self.path}: {path}: found {raw!r}; expected a number or a quantity "
                "(only numeric fields can be varied)"
            ) from None

    # ------------------------------------------------------------------ editing
    def with_values(self, values: Mapping[str, float]) -> RecipeDocument:
        """A copy with each field at ``path`` set to ``magnitude`` in the unit it is written in."""
        doc = deepcopy(self.document)
        for path, magnitude in values.items():
            _, unit = self.value(path)
            parts = parse_path(path)
            node = doc
            for p in parts[:-1]:
                node = node[p]
            x = float(magnitude)
            node[parts[-1]] = f"{x!r} {unit}" if unit else x
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
