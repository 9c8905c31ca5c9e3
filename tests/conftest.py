"""Shared set-up of every test: the helper modules at the top of tests/ (_references.py,
_recipes.py) are importable from any test directory (pytest puts only the test's own
directory on sys.path)."""

import sys
from pathlib import Path

_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)
