"""Each rule on a value is stated once: by the dataclass or function of the numerics that
owns the value (ionex.physics, solvers, process). The readers of user files (ionex.io) only
say where in the file a refused value came from; they must not state the rule again.

The test collects the messages of every call in the source (the literal text of strings and
f-strings, placeholders blanked) and takes from each the clauses that state a rule: the
words from "expected", "must" or "needs" up to the end of the clause. A rule stated both in
ionex.io and in the numerics is a duplicate — the two texts drift apart, and a user meets
two versions of one limit.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "ionex"
NUMERICS = {"physics", "solvers", "process", "grids.py", "validators.py"}
INTERFACES = {"io"}


def _text(node) -> str | None:
    """The literal text of a string, f-string or concatenation, placeholders as {}."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return (_text(node.left) or "{}") + (_text(node.right) or "{}")
    return None


def _rules(message: str) -> set[str]:
    """The rule clauses of a message, normalised (case, punctuation, placeholders)."""
    out = set()
    for clause in re.split(r";|\(|\n", message):
        m = re.search(r"\b(expected|must|needs?)\b.*", clause)
        if not m:
            continue
        rule = re.sub(r"\{\}", " ", m.group(0)).lower()
        rule = " ".join(re.sub(r"[^a-z0-9<>=≥≤\[\], ]+", " ", rule).split())
        if len(rule.split()) >= 4:  # "expected a list" says how to write, not a limit
            out.add(rule)
    return out


def rule_places() -> dict[str, set[tuple[str, str, int]]]:
    """rule → {(room, module, line)} over every call's string arguments in ionex."""
    places: dict = {}
    for path in SRC.rglob("*.py"):
        room = path.relative_to(SRC).parts[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                text = _text(arg)
                for rule in _rules(text) if text else ():
                    module = str(path.relative_to(SRC))
                    places.setdefault(rule, set()).add((room, module, node.lineno))
    return places


def test_the_rule_finder_sees_rules_in_messages():
    assert _rules("found {}; expected a duration > 0 (the step length)") == {
        "expected a duration > 0"
    }
    assert _rules("glass.faces: found 'x'; expected a table") == set()
    found = rule_places()
    # a rule the numerics own, as a check of the finder itself
    assert any(
        m == "physics/arrhenius.py" for _, m, _ in found["expected a diffusion coefficient > 0"]
    )


def test_no_rule_is_stated_both_in_a_reader_and_in_the_numerics():
    twice = {}
    for rule, places in rule_places().items():
        rooms = {room for room, _, _ in places}
        if rooms & INTERFACES and rooms & NUMERICS:
            twice[rule] = sorted(f"{m}:{line}" for _, m, line in places)
    assert not twice, (
        "rules stated in ionex.io and again in the numerics (let the owner raise, and the "
        f"reader locate its ValueError in the file): {twice}"
    )
