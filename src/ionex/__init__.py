"""ionex — simulate and measure ion exchange in glass.

Public API::

    recipe = ionex.load_recipe("examples/soda_lime_k_na.toml")
    result = ionex.simulate(recipe)
    ds = result.to_dataset()
"""

from .errors import IonexError, RecipeError, SolverError

from ._version import __version__

__all__ = [
    "load_recipe",
    "simulate",
    "Result",
    "IonexError",
    "RecipeError",
    "SolverError",
    "__version__",
]


def __getattr__(name):
    # lazy: importing ionex must not pull in pint, xarray or matplotlib
    if name == "load_recipe":
        from .io.recipe import load_recipe

        return load_recipe
    if name == "simulate":
        from .process.simulate import simulate

        return simulate
    if name == "Result":
        from .process.result import Result

        return Result
    raise AttributeError(f"module 'ionex' has no attribute {name!r}")
