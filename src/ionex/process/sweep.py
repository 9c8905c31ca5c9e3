"""Parameter sweeps: run a recipe at many parameter points on dask.distributed and collect
the metrics of every run into one xarray Dataset.

    sweep = Sweep(builder, names=("ions.K.D", "step[1].duration"), units=("m^2/s", "h"),
                  points=grid_points(axes), axes=axes, metrics=SweepMetrics(depth_levels=(0.5, 0.1)))
    with open_client() as client:                  # a LocalCluster; or open_client("tcp://…")
        ds = run_sweep(sweep, client)

``builder`` maps {name: value} to a Recipe or a MulticomponentRecipe (e.g. a
functools.partial over a recipe document from ionex.io); it must be picklable, since it
runs on the workers. Values are plain
numbers in the parameter's unit; this layer treats names and units as labels.

Work is cut into chunks of consecutive points whose size depends only on the number of
points, never on the workers; each chunk is one task, and its runs are simulated together
(process.batch.simulate_batch), which gives each run exactly the result simulate() gives
it. Every run is therefore a pure function of its parameter values, and the Dataset is the
same — bit for bit — on any number of workers, on a local cluster or a remote scheduler,
batched or one by one.

A run that fails (the solver gives up, the values make an invalid recipe) is recorded —
NaN metrics and its message in the ``error`` variable — and the sweep goes on. Bad input
(non-finite values, a builder that fails at the first point) fails before anything runs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from .batch import simulate_batch
from .cluster import run_many
from .multicomponent import _METRIC_COLUMNS, MulticomponentRecipe
from .properties import front_profile
from .recipe import Recipe
from .result import STRESS_METRICS

__all__ = [
    "MAX_RUNS",
    "SweepMetrics",
    "Sweep",
    "grid_points",
    "sample_points",
    "chunk_slices",
    "run_sweep",
    "variable_name",
    "SWEPT_RECIPES",
    "REACH_CHANGE",
]

# stress metrics kept per run: attribute of StressMetrics → (units, long name), as in result.nc
_STRESS = STRESS_METRICS
# ... and of a multicomponent run's MultiIonStressMetrics
_MULTI_ION_STRESS = {
    **{name: (unit, text) for name, unit, text in _METRIC_COLUMNS},
    "knee_compressive_stress": STRESS_METRICS["knee_compressive_stress"],
}
# the recipes a sweep runs
SWEPT_RECIPES = (Recipe, MulticomponentRecipe)
# a multicomponent run's reach_<Ion>: the deepest depth where the ion's site fraction differs
# from the glass's by more than this (as `ionex run` reports a step's penetration)
REACH_CHANGE = 0.01
MAX_CHUNK = 16  # runs per task at most: ~0.2 s of work, so the scheduler's ~ms per task is noise
MAX_RUNS = 1_000_000  # runs a sweep may have: counted before any array of points is allocated


@dataclass(frozen=True)
class SweepMetrics:
    """What each run reports.

    Attributes:
        depth_levels: incoming-ion site fractions whose depth is reported (dimensionless,
            in (0, 1]): ``depth_frac_<level>`` is the first depth where χ falls to it (m).
            Binary recipes only: a multicomponent run reports, per ion, its surface
            fraction and its reach (REACH_CHANGE) instead.
        times: times from the start of the process (s) at which the metrics are taken
            (a ``time`` dimension; NaN for a run that ends earlier). Empty: at the end of
            each run's process only.
        profiles: keep each run's final χ(depth) on a common depth axis.
        profile_points: points of that axis.
    """

    depth_levels: tuple[float, ...] = (0.5, 0.1)
    times: tuple[float, ...] = ()
    profiles: bool = False
    profile_points: int = 200

    def __post_init__(self):
        for level in self.depth_levels:
            if not (math.isfinite(level) and 0.0 < level <= 1.0):
                raise ValueError(f"depth levels must be fractions in (0, 1], got {level!r}")
        if len(set(self.depth_levels)) != len(self.depth_levels):
            raise ValueError(f"depth levels repeat: {self.depth_levels}")
        for t in self.times:
            if not (math.isfinite(t) and t >= 0.0):
                raise ValueError(f"metric times must be finite and ≥ 0 s, got {t!r}")
        if list(self.times) != sorted(set(self.times)):
            raise ValueError(f"metric times must increase strictly, got {self.times}")
        if self.profile_points < 2:
            raise ValueError(f"profile_points must be ≥ 2, got {self.profile_points}")


@dataclass(frozen=True)
class Sweep:
    """A sweep: the runs to make and what to keep.

    Attributes:
        builder: picklable callable {name: value} → Recipe or MulticomponentRecipe.
        names: parameter names (e.g. recipe field paths "ions.K.D").
        units: the unit each parameter's values are in (labels, e.g. "m^2/s"; "" = none).
        points: values, shape (n_runs, n_parameters), in those units.
        axes: for a full-factorial grid, the values of each parameter; ``points`` is then
            their product in C order (the last parameter varies fastest) and the Dataset
            has one dimension per parameter. None: a list of runs (dimension ``run``).
        metrics: what each run reports.
        attrs: extra global attributes for the Dataset (design, seed, sources, …).
    """

    builder: Callable
    names: tuple[str, ...]
    units: tuple[str, ...]
    points: np.ndarray
    axes: tuple | None = None
    metrics: SweepMetrics = field(default_factory=SweepMetrics)
    attrs: dict = field(default_factory=dict)

    def __post_init__(self):
        names = tuple(self.names)
        if not names:
            raise ValueError("a sweep needs at least one parameter")
        if len(set(names)) != len(names):
            raise ValueError(f"parameter names repeat: {', '.join(names)}")
        if len(self.units) != len(names):
            raise ValueError(f"{len(names)} parameters but {len(self.units)} units")
        points = np.array(self.points, dtype=float)
        if points.ndim != 2 or points.shape[1] != len(names) or points.shape[0] < 1:
            raise ValueError(f"points must have shape (runs ≥ 1, {len(names)}), got {points.shape}")
        bad = np.argwhere(~np.isfinite(points))
        if bad.size:
            run, col = (int(v) for v in bad[0])
            raise ValueError(
                f"parameter {names[col]!r}: run {run + 1} has the value {float(points[run, col])!r}; "
                "expected a finite number"
            )
        if self.axes is not None:
            axes = tuple(np.array(a, dtype=float) for a in self.axes)
            if len(axes) != len(names) or not np.array_equal(grid_points(axes), points):
                raise ValueError("a grid sweep's points must be the product of its axes (C order)")
            object.__setattr__(self, "axes", axes)
        points.setflags(write=False)
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "units", tuple(self.units))
        object.__setattr__(self, "points", points)

    @property
    def n_runs(self) -> int:
        return int(self.points.shape[0])

    def values(self, i: int) -> dict[str, float]:
        """{name: value} of run i."""
        return dict(zip(self.names, (float(v) for v in self.points[i])))


def grid_points(axes: Sequence) -> np.ndarray:
    """Full-factorial points of the given axes, shape (Π len, n_axes), last axis fastest.

    Raises:
        ValueError when the product has more than MAX_RUNS points (before allocating it).
    """
    n_runs = math.prod(len(a) for a in axes)
    if n_runs > MAX_RUNS:
        raise ValueError(f"the grid has {n_runs} runs; expected at most {MAX_RUNS}")
    axes = [np.asarray(a, dtype=float) for a in axes]
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=1)


def _uniform(samples: int, n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((samples, n))


def _latin_hypercube(samples: int, n: int, seed: int) -> np.ndarray:
    from scipy.stats import qmc

    return qmc.LatinHypercube(d=n, seed=np.random.default_rng(seed)).random(samples)


# design kind → (samples, n parameters, seed) ↦ unit draws in [0, 1)^n; "grid" is grid_points
SAMPLED_DESIGNS = {"random": _uniform, "latin-hypercube": _latin_hypercube}
DESIGNS = ("grid", *SAMPLED_DESIGNS)


def sample_points(
    lows, highs, scales, samples: int, seed: int, kind: str = "random", choices=None
) -> np.ndarray:
    """Random or Latin-hypercube points, reproducible from ``seed``.

    Args:
        lows, highs: bounds per parameter (for a log scale both > 0).
        scales: "linear" or "log" per parameter (log: uniform in ln x).
        samples: number of points (≥ 1).
        seed: seed of numpy's default generator (random) or of scipy's LatinHypercube.
        kind: "random" or "latin-hypercube" (each parameter's range cut into ``samples``
            strata, one point in each).
        choices: optional per parameter a sequence of allowed values (or None): the unit
            draw then picks among them with equal weight instead of a value in the range.
    Returns:
        shape (samples, n_parameters).
    """
    n = len(lows)
    if not 1 <= samples <= MAX_RUNS:
        raise ValueError(
            f"samples: found {samples}; expected a number of runs within [1, {MAX_RUNS}]"
        )
    if kind not in SAMPLED_DESIGNS:
        raise ValueError(f"design kind {kind!r}; expected one of {', '.join(SAMPLED_DESIGNS)}")
    u = SAMPLED_DESIGNS[kind](samples, n, seed)
    out = np.empty((samples, n))
    choices = choices or [None] * n
    for j in range(n):
        if choices[j] is not None:
            values = np.asarray(choices[j], dtype=float)
            out[:, j] = values[np.minimum((u[:, j] * values.size).astype(int), values.size - 1)]
        elif scales[j] == "log":
            if not (lows[j] > 0 and highs[j] > 0):
                raise ValueError(f"a log scale needs bounds > 0, got {lows[j]!r}, {highs[j]!r}")
            out[:, j] = np.exp(np.log(lows[j]) + u[:, j] * (np.log(highs[j]) - np.log(lows[j])))
        else:
            out[:, j] = lows[j] + u[:, j] * (highs[j] - lows[j])
    return out


def chunk_slices(n_runs: int) -> list[slice]:
    """Consecutive runs per task: ~64 tasks (load balance on a few workers), at most
    MAX_CHUNK runs each. A function of n_runs only, so results never depend on the workers."""
    size = max(1, min(MAX_CHUNK, math.ceil(n_runs / 64)))
    return [slice(i, min(i + size, n_runs)) for i in range(0, n_runs, size)]


def variable_name(name: str) -> str:
    """A netCDF-friendly name for a parameter: "step[1].duration" → "step_1_duration"."""
    return re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_") or "parameter"


# ----------------------------------------------------------------------------- the runs


@dataclass(frozen=True)
class _Task:
    builder: Callable
    names: tuple
    points: np.ndarray
    metrics: SweepMetrics
    batched: bool


@dataclass
class _Record:
    """What one run sends back: metric → values per time (or one value), the final front
    profile (depth m, χ) and an error message ("" when the run succeeded)."""

    values: dict
    profile: tuple | None = None
    error: str = ""


def _run_chunk(task: _Task) -> list[_Record]:
    """Build, simulate and measure the runs of one chunk (executed on a worker)."""
    recipes: list = []
    for row in task.points:
        try:
            recipes.append(
                _with_times(
                    task.builder(dict(zip(task.names, (float(v) for v in row)))), task.metrics.times
                )
            )
        except Exception as exc:  # noqa: BLE001 - recorded per run
            recipes.append(exc)
    todo = [r for r in recipes if not isinstance(r, Exception)]
    results = iter(simulate_batch(todo, batched=task.batched))
    records = []
    for recipe in recipes:
        outcome = recipe if isinstance(recipe, Exception) else next(results)
        if isinstance(outcome, Exception):
            records.append(_Record({}, None, _message(outcome)))
            continue
        try:
            records.append(_measure(outcome, task.metrics))
        except Exception as exc:  # noqa: BLE001 - recorded per run
            records.append(_Record({}, None, _message(exc)))
    return records


def _message(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}".replace("\n", " ")


def _with_times(recipe, times):
    if not isinstance(recipe, SWEPT_RECIPES):
        raise TypeError(
            f"the builder returned a {type(recipe).__name__}; sweeps run interdiffusion "
            "recipes (binary or multicomponent)"
        )
    total = recipe.total_time
    return replace(recipe, output_times=tuple(t for t in times if t <= total * (1 + 1e-12)))


def _picker(result, metrics: SweepMetrics):
    """series (one value per output time) ↦ its values at the metric times (NaN past the
    end of the run's process), or at the end of the process without metric times."""
    total = result.recipe.total_time
    if metrics.times:
        index = []
        for t in metrics.times:
            hit = np.flatnonzero(np.isclose(result.times, t, rtol=1e-12, atol=0.0))
            index.append(int(hit[-1]) if t <= total * (1 + 1e-12) and hit.size else -1)
    else:
        index = [result.times.size - 1]
    index = np.asarray(index)
    valid = index >= 0

    def pick(series):
        series = np.asarray(series, dtype=float)
        return np.where(valid, series[np.maximum(index, 0)], np.nan)

    return pick


def _measure(result, metrics: SweepMetrics) -> _Record:
    if isinstance(result.recipe, MulticomponentRecipe):
        return _measure_multicomponent(result, metrics)
    total = result.recipe.total_time
    pick = _picker(result, metrics)
    values = {"uptake": pick(result.uptake)}
    for level in metrics.depth_levels:
        values[f"depth_frac_{level:g}"] = pick(result.depth_at(level))
    props = result.properties
    if props is not None and props.metrics is not None:
        for key in _STRESS:
            values[key] = pick([getattr(m, key) for m in props.metrics])
    if props is not None and props.mode_counts is not None:
        for pol in ("TE", "TM"):
            values[f"mode_count_{pol}"] = pick(props.mode_counts[pol])
    values["end_time"] = np.array([total])
    values["time_steps"] = np.array([float(result.diagnostics["time_steps"])])
    profile = None
    if metrics.profiles:
        depth, frac = front_profile(result, result.times.size - 1)
        profile = (depth, frac[None, :], np.zeros(1))
    return _Record(values, profile)


def _measure_multicomponent(result, metrics: SweepMetrics) -> _Record:
    """A multicomponent run's metrics: per ion its uptake, surface fraction and reach; the
    stress metrics with [stress]; the melt each aged salt step ran in."""
    recipe = result.recipe
    pick = _picker(result, metrics)
    glass = recipe.glass
    half = result.depth <= (glass.thickness / 2 if glass.faces == "both" else result.depth[-1])
    depth = result.depth[half]
    values = {}
    for i, ion in enumerate(result.species):
        frac = result.fraction(ion)[:, half]
        values[f"uptake_{ion}"] = pick(result.uptake[:, i])
        values[f"surface_{ion}"] = pick(frac[:, 0])
        changed = np.abs(frac - glass.initial.get(ion, 0.0)) > REACH_CHANGE
        deepest = np.where(
            changed.any(axis=1), depth[depth.size - 1 - np.argmax(changed[:, ::-1], axis=1)], 0.0
        )
        values[f"reach_{ion}"] = pick(deepest)
    if result.metrics is not None:
        for key in _MULTI_ION_STRESS:
            values[key] = pick([getattr(m, key) for m in result.metrics])
    for aged in result.aged_baths:
        for ion in result.species:
            values[f"melt_{ion}_step_{aged.step + 1}"] = np.array([aged.aged.melt.get(ion, 0.0)])
    values["end_time"] = np.array([recipe.total_time])
    values["time_steps"] = np.array([float(result.diagnostics["steps"])])
    profile = None
    if metrics.profiles:
        final = result.fractions[-1][:, half]
        baseline = np.array([glass.initial.get(ion, 0.0) for ion in result.species])
        profile = (depth, final, baseline)
    return _Record(values, profile)


# ----------------------------------------------------------------------------- the sweep


def run_sweep(
    sweep: Sweep,
    client=None,
    *,
    batched: bool = True,
    progress: Callable[[int, int], None] | None = None,
):
    """Run every point of ``sweep`` and return the metrics as an xarray.Dataset.

    Args:
        sweep: the points, builder and metrics.
        client: a dask.distributed Client (process.cluster.open_client); None runs the
            chunks one after another in this process (same chunks, same results).
        batched: simulate each chunk's runs together (False: one by one, the reference).
        progress: called as progress(runs done, runs in total) as chunks finish.
    Returns:
        Dataset with one dimension per parameter (grid) or ``run``, plus ``time`` when
        metric times are given and ``depth`` with profiles. Variables: uptake (mol m-2),
        depth_frac_<level> (m), compressive_stress, depth_of_compression, central_tension,
        depth_of_layer, knee_depth, knee_compressive_stress (with [stress]; CS and CS_knee
        positive in compression, CT in tension, NaN knee: none), mode_count_TE/TM (with
        [optics]), end_time (s), time_steps, error (message, "" when the run succeeded),
        frac_<ion> profiles; parameters as coordinates with ``units`` attributes.
        A multicomponent recipe's runs report, per ion, uptake_<Ion> (mol m-2, < 0 given
        off), surface_<Ion> and reach_<Ion> (m) instead of uptake and depth_frac_<level>;
        CS, DOC, CT, knee_depth, knee_compressive_stress and tensile_energy (J m-2) with
        [stress]; melt_<Ion>_step_<k> (the aged salt of step k) when the baths age; and
        frac_<Ion> profiles of every ion.
    Raises:
        ValueError (or the builder's own error) when the first point cannot be built.

    Example — the BK7 sweep: 5 temperatures × 3 durations, run in this process:

    >>> from ionex import load_sweep, run_sweep
    >>> ds = run_sweep(load_sweep("examples/sweep_bk7.toml").sweep)
    >>> dict(ds.sizes), int(ds["mode_count_TE"].sel(step_1_temperature=420.0, step_1_duration=91.0))
    ({'step_1_temperature': 5, 'step_1_duration': 3}, 11)
    """
    # bad input fails here, before any work is sent out
    first = sweep.builder(sweep.values(0))
    if not isinstance(first, SWEPT_RECIPES):
        raise ValueError(
            "sweeps run interdiffusion recipes (binary or multicomponent); the builder "
            f"returned a {type(first).__name__}"
        )
    _with_times(first, sweep.metrics.times)
    slices = chunk_slices(sweep.n_runs)
    tasks = [
        _Task(sweep.builder, sweep.names, sweep.points[s], sweep.metrics, batched) for s in slices
    ]
    sizes = np.cumsum([s.stop - s.start for s in slices])

    def report(done: int, total: int) -> None:
        # chunks finish in any order; their sizes differ only in the last one
        if progress is not None:
            progress(min(sweep.n_runs, round(done * sweep.n_runs / total)), sweep.n_runs)

    if client is None:
        chunks = []
        for i, task in enumerate(tasks):
            chunks.append(_run_chunk(task))
            if progress is not None:
                progress(int(sizes[i]), sweep.n_runs)
    else:
        chunks = run_many(client, _run_chunk, tasks, progress=report)
    records = [r for chunk in chunks for r in chunk]
    return _dataset(sweep, records, first)


def _specs(first, metrics: SweepMetrics) -> list[tuple[str, str, str]]:
    """(variable, units, long name) of every metric the runs of ``first``'s kind report;
    stress and modes when the recipe asks for them (decided by the first point's recipe,
    so that the variables do not depend on which runs failed)."""
    if isinstance(first, MulticomponentRecipe):
        specs = []
        for ion in first.species:
            specs += [
                (
                    f"uptake_{ion}",
                    "mol m-2",
                    f"{ion}+ taken up per unit plate area (< 0: given off)",
                ),
                (f"surface_{ion}", "1", f"surface site fraction of {ion}+"),
                (
                    f"reach_{ion}",
                    "m",
                    f"depth to which the {ion}+ fraction differs from the glass's by > "
                    f"{REACH_CHANGE:g}",
                ),
            ]
        if first.stress is not None:
            specs += [(k, u, name) for k, (u, name) in _MULTI_ION_STRESS.items()]
        return specs
    a = first.incoming_ion
    specs = [("uptake", "mol m-2", f"{a}+ taken up per unit plate area")]
    specs += [
        (f"depth_frac_{lv:g}", "m", f"depth where frac_{a} falls to {lv:g}")
        for lv in metrics.depth_levels
    ]
    if first.stress is not None:
        specs += [(k, u, name) for k, (u, name) in _STRESS.items()]
    if first.optics is not None:
        specs += [(f"mode_count_{p}", "1", f"guided {p} modes") for p in ("TE", "TM")]
    return specs


def _melt_specs(first, records: list[_Record]) -> list[tuple[str, str, str]]:
    """The aged salts' melt fractions of a multicomponent sweep that ages its baths (one
    value per run, not per time)."""
    if not isinstance(first, MulticomponentRecipe) or first.ageing is None:
        return []
    steps = [k for k, step in enumerate(first.steps) if step.salt is not None]
    return [
        (
            f"melt_{ion}_step_{k + 1}",
            "1",
            f"mole fraction of {ion}+ among the cations of step {k + 1}'s aged salt",
        )
        for k in steps
        for ion in first.species
    ]


def _dataset(sweep: Sweep, records: list[_Record], first):
    import xarray as xr

    from .._version import __version__

    metrics = sweep.metrics
    n = sweep.n_runs
    grid = sweep.axes is not None
    dims = tuple(variable_name(name) for name in sweep.names) if grid else ("run",)
    if len(set(dims)) != len(dims):
        dims = tuple(f"{d}_{i + 1}" for i, d in enumerate(dims))
    shape = tuple(ax.size for ax in sweep.axes) if grid else (n,)
    timed = bool(metrics.times)
    n_t = len(metrics.times) if timed else 1

    def per_run(key, width):
        out = np.full((n, width), np.nan)
        for i, rec in enumerate(records):
            if key in rec.values:
                out[i] = rec.values[key]
        return out

    data_vars = {}
    for key, unit, long_name in _specs(first, metrics):
        values = per_run(key, n_t).reshape(shape + (n_t,))
        vdims = dims + ("time",) if timed else dims
        data_vars[key] = (
            vdims,
            values if timed else values[..., 0],
            {"units": unit, "long_name": long_name},
        )
    for key, unit, long_name in _melt_specs(first, records):
        data_vars[key] = (
            dims,
            per_run(key, 1).reshape(shape),
            {"units": unit, "long_name": long_name},
        )
    data_vars["end_time"] = (
        dims,
        per_run("end_time", 1).reshape(shape),
        {"units": "s", "long_name": "length of the run's process"},
    )
    data_vars["time_steps"] = (
        dims,
        per_run("time_steps", 1).reshape(shape),
        {"units": "1", "long_name": "accepted solver steps (NaN: the run failed)"},
    )
    errors = np.array([rec.error for rec in records], dtype=object).reshape(shape)
    data_vars["error"] = (dims, errors, {"long_name": 'why the run failed ("" when it succeeded)'})

    coords = {}
    for j, (name, unit) in enumerate(zip(sweep.names, sweep.units)):
        attrs = {"units": unit or "1", "long_name": name, "parameter": name}
        if grid:
            coords[dims[j]] = (dims[j], sweep.axes[j], attrs)
        else:
            coords[variable_name(name)] = ("run", sweep.points[:, j], attrs)
    if not grid:
        coords["run"] = ("run", np.arange(1, n + 1), {"long_name": "run number (1-based)"})
    if timed:
        coords["time"] = (
            "time",
            np.asarray(metrics.times, dtype=float),
            {"units": "s", "long_name": "time since the start of the process"},
        )
    multi = isinstance(first, MulticomponentRecipe)
    ions = first.species if multi else (first.incoming_ion,)
    if metrics.profiles:
        depth, frac = _common_profiles(records, metrics.profile_points, len(ions))
        coords["depth"] = (
            "depth",
            depth,
            {"units": "m", "long_name": "depth below the exchanged surface"},
        )
        for i, ion in enumerate(ions):
            data_vars[f"frac_{ion}"] = (
                dims + ("depth",),
                frac[:, i].reshape(shape + (depth.size,)),
                {"units": "1", "long_name": f"site fraction of {ion}+ at the end of the process"},
            )
    failed = sum(1 for rec in records if rec.error)
    kind = (
        {"species": ",".join(first.species)}
        if multi
        else {"incoming_ion": first.incoming_ion, "host_ion": first.glass.host_ion}
    )
    attrs = {
        "title": f"sweep of {first.name}",
        "software": f"ionex {__version__}",
        **kind,
        "parameters": ", ".join(sweep.names),
        "design": "grid" if grid else "list of runs",
        "runs": n,
        "failed_runs": failed,
        "metrics_at": "the given times" if timed else "the end of each run's process",
        **sweep.attrs,
    }
    return xr.Dataset(data_vars=data_vars, coords=coords, attrs=attrs)


def _common_profiles(records: list[_Record], points: int, n_ions: int):
    """Final profiles interpolated onto one depth axis (m): from the surface to 1.25× the
    deepest point where any run's fractions differ from the glass's by more than 1e-3
    (the whole domain if none does). Returns (depth, fractions of shape (runs, ions,
    points))."""
    reach = 0.0
    extent = 0.0
    for rec in records:
        if rec.profile is None:
            continue
        depth, frac, baseline = rec.profile
        extent = max(extent, float(depth[-1]))
        filled = np.flatnonzero(np.any(np.abs(frac - baseline[:, None]) > 1e-3, axis=0))
        if filled.size:
            reach = max(reach, float(depth[filled[-1]]))
    top = min(1.25 * reach, extent) if reach > 0 else extent
    axis = np.linspace(0.0, top if top > 0 else 1.0, points)
    out = np.full((len(records), n_ions, points), np.nan)
    for i, rec in enumerate(records):
        if rec.profile is not None:
            depth, frac, _ = rec.profile
            for k in range(n_ions):
                out[i, k] = np.interp(axis, depth, frac[k])  # beyond a run's domain: its last value
    return axis, out
