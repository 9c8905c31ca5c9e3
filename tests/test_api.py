"""The public API: every name of ``ionex.__all__`` resolves, importing ionex stays light, and
every public function's docstring example runs as written (doctest, from the repository
root, where the examples' paths point)."""

import doctest
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import ionex

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = [name for name in ionex.__all__ if inspect.isfunction(getattr(ionex, name))]
# methods of the objects the functions return, documented the same way
METHODS = ["process.recipe.Editable.with_values"]


def test_every_public_name_resolves():
    for name in ionex.__all__:
        assert getattr(ionex, name) is not None
    assert set(ionex.__all__) <= set(dir(ionex))


def test_importing_ionex_does_not_import_the_heavy_libraries():
    code = "import sys, ionex; print(sorted(m for m in ('pint', 'xarray', 'matplotlib') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def _public(name: str):
    import importlib

    module, _, attribute = name.rpartition(".")
    if not module:
        return getattr(ionex, name)
    owner, _, method = module.rpartition(".")
    return getattr(getattr(importlib.import_module(f"ionex.{owner}"), method), attribute)


@pytest.mark.parametrize("name", FUNCTIONS + METHODS)
def test_docstring_example_runs(name, monkeypatch):
    monkeypatch.chdir(ROOT)
    function = _public(name)
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = finder.find(function, name, globs={})
    examples = sum(len(t.examples) for t in tests)
    assert examples > 0, f"ionex.{name} has no docstring example"
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, (
        f"ionex.{name}: {result.failed} of {result.attempted} examples failed"
    )
