"""ionex — simulate and measure ion exchange in glass.

Public API (every function carries an example that runs as a doctest)::

    recipe = ionex.load_recipe("examples/soda_lime_k_na.toml")
    result = ionex.simulate(recipe)                    # binary or Nernst–Planck–Poisson recipe
    ds = result.to_dataset()

    fitted = ionex.fit(*...)      # load_fit(FILE) gives its parameters, datasets and options
    table = ionex.run_sweep(ionex.load_sweep("examples/sweep_bk7.toml").sweep)
    modes = ionex.solve_modes(depth, index, wavelength)
    profile = ionex.invert_modes({"TE": indices}, wavelength)

Names are imported on first use: ``import ionex`` does not pull in pint, xarray or
matplotlib.
"""

from ._version import __version__
from .errors import IonexError, RecipeError, SolverError

# public name → module that defines it (imported lazily)
_EXPORTS = {
    "load_recipe": "io.recipe",
    "simulate": "process.simulate",
    "Result": "process.result",
    "run_experiments": "process.experiments",
    "load_fit": "io.fit_file",
    "fit": "process.fitting",
    "load_sweep": "io.sweep_file",
    "run_sweep": "process.sweep",
    "solve_modes": "solvers.modes",
    "invert_modes": "process.inversion",
    "fit_arrhenius": "process.arrhenius_fit",
    "fit_stretched_exponential": "process.relaxation_fit",
    "boltzmann_matano": "process.matano",
    "sauer_freise": "process.matano",
}

__all__ = [*_EXPORTS, "IonexError", "RecipeError", "SolverError", "__version__"]


def __getattr__(name):
    if name in _EXPORTS:
        from importlib import import_module

        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'ionex' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
