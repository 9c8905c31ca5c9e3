"""The files and figures of ``ionex run`` for a Result, in one place: what the command
writes, what Result.save(directory) writes, and the figures Result.plot() returns.

    write_run_outputs(result, "out/")      # profiles.csv, result.nc, [modes.csv], profiles.png, [stress_index.png]
    result_figure(result, "profiles")      # a matplotlib Figure (pyplot-managed)
"""

from __future__ import annotations

from pathlib import Path

from ..process.result import Result
from .output_set import writing
from .plots import plot_profiles, plot_stress_and_index, profiles_figure, stress_index_figure
from .writers import write_modes_csv, write_netcdf, write_profiles_csv

__all__ = ["FIGURES", "write_run_outputs", "result_figure"]

# the figures of a Result: name → (file, figure maker)
FIGURES = {
    "profiles": ("profiles.png", profiles_figure),
    "stress_index": ("stress_index.png", stress_index_figure),
}


def _has_stress_or_index(result: Result) -> bool:
    p = result.properties
    return p is not None and (p.stress is not None or p.n0 is not None)


def write_run_outputs(
    result: Result, directory, *, plot: bool = True, command: str = "run", force: bool = False
) -> list[Path]:
    """Write what ``ionex run`` writes for ``result`` into ``directory`` (created if
    missing) as one output set (io.output_set: staged, renamed, then recorded in the
    manifest as ``command``'s): profiles.csv, result.nc, modes.csv (with guided modes),
    profiles.png and stress_index.png (with [stress] or [optics]; both skipped when
    ``plot`` is false). Returns the paths in that order.

    Raises:
        IonexError: a file of those names that ionex did not write is there (and not ``force``).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with writing(directory, command, force=force):
        return _write(result, directory, plot)


def _write(result: Result, directory: Path, plot: bool) -> list[Path]:
    written = [
        write_profiles_csv(result, directory / "profiles.csv"),
        write_netcdf(result, directory / "result.nc"),
    ]
    props = result.properties
    if props is not None and props.modes is not None:
        from ..physics.prism import Prism

        o = result.recipe.optics
        prism = Prism(o.prism_index, o.prism_angle) if o.prism_index is not None else None
        written.append(write_modes_csv(props.modes, directory / "modes.csv", prism))
    if plot:
        written.append(plot_profiles(result, directory / "profiles.png"))
        if _has_stress_or_index(result):
            written.append(plot_stress_and_index(result, directory / "stress_index.png"))
    return written


def result_figure(result: Result, which: str = "profiles"):
    """The figure ``ionex run`` draws into ``<which>.png`` — "profiles" or "stress_index" —
    as a pyplot-managed matplotlib Figure (plt.show() shows it; notebooks display it)."""
    if which not in FIGURES:
        raise ValueError(f"no figure {which!r}; expected one of: {', '.join(FIGURES)}")
    if which == "stress_index" and not _has_stress_or_index(result):
        raise ValueError("no stress_index figure: the recipe has neither [stress] nor [optics]")
    return FIGURES[which][1](result, pyplot=True)
