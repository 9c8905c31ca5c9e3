"""Sweeps: the Dataset's layout, its numbers (those of simulate at each point), per-run
failures, bad input up front, reproducible designs and chunking. Runs in this process
(client=None); tests/validation/test_sweep_scheduler.py runs the same on dask clusters."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from ionex.io.recipe_document import RecipeDocument
from ionex.io.sweep_file import SweepRecipes
from ionex.process.simulate import simulate
from ionex.process.sweep import (
    MAX_CHUNK,
    Sweep,
    SweepMetrics,
    chunk_slices,
    grid_points,
    run_sweep,
    sample_points,
    variable_name,
)

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def document(name="soda_lime_k_na.toml", drop_output=True) -> RecipeDocument:
    doc = RecipeDocument.load(EXAMPLES / name)
    if drop_output:
        import tomli_w

        doc = RecipeDocument(
            tomli_w.dumps({k: v for k, v in doc.document.items() if k != "output"}), doc.path
        )
    return doc


SODA = SweepRecipes.of(document(), ("ions.K.D", "step[1].duration"))
AXES = (np.array([5e-16, 1e-15]), np.array([2.0, 8.0, 16.0]))  # m^2/s, h


def grid_sweep(**metrics) -> Sweep:
    return Sweep(
        SODA,
        ("ions.K.D", "step[1].duration"),
        ("m^2/s", "h"),
        grid_points(AXES),
        AXES,
        SweepMetrics(**metrics),
    )


@pytest.fixture(scope="module")
def grid_ds():
    return run_sweep(grid_sweep(depth_levels=(0.5, 0.1), profiles=True))


def test_grid_layout_units_and_values_are_those_of_simulate(grid_ds):
    ds = grid_ds
    assert ds["uptake"].dims == ("ions_K_D", "step_1_duration")
    np.testing.assert_array_equal(ds["ions_K_D"].values, AXES[0])
    assert ds["ions_K_D"].attrs["units"] == "m^2/s" and ds["step_1_duration"].attrs["units"] == "h"
    assert ds["ions_K_D"].attrs["parameter"] == "ions.K.D"
    assert ds["depth_frac_0.5"].attrs["units"] == "m" and ds["uptake"].attrs["units"] == "mol m-2"
    assert "compressive_stress" not in ds and "mode_count_TE" not in ds  # no [stress], no [optics]
    assert np.all(ds["error"].values == "") and ds.attrs["failed_runs"] == 0
    # the point (1e-15 m²/s, 8 h) is the example itself (without its output times, which
    # would be stops of the solver): the same depths, uptake and steps, bit for bit
    ref = simulate(SODA({}))
    at = ds.sel(ions_K_D=1e-15, step_1_duration=8.0)
    assert float(at["depth_frac_0.5"]) == ref.depth_at(0.5)[-1]
    assert float(at["depth_frac_0.1"]) == ref.depth_at(0.1)[-1]
    assert float(at["uptake"]) == ref.uptake[-1]
    assert float(at["end_time"]) == 8 * 3600.0
    assert int(at["time_steps"]) == ref.diagnostics["time_steps"]
    # and the depth grows like √(D t) between points of the sweep (similarity, ±1e-3)
    d = ds["depth_frac_0.5"]
    ratio = float(
        d.sel(ions_K_D=1e-15, step_1_duration=16.0) / d.sel(ions_K_D=1e-15, step_1_duration=2.0)
    )
    assert ratio == pytest.approx(math.sqrt(8.0), rel=1e-3)


def test_profiles_share_one_depth_axis(grid_ds):
    frac = grid_ds["frac_K"]
    assert frac.dims == ("ions_K_D", "step_1_duration", "depth")
    depth = grid_ds["depth"].values
    assert depth[0] == 0.0 and np.all(np.diff(depth) > 0)
    np.testing.assert_allclose(
        frac.isel(depth=0).values, 1.0
    )  # the bath holds χ_s = 1 at the surface
    # the deepest-reaching run falls below 1e-3 within the axis (1.25× its reach)
    assert float(frac.isel(depth=-1).max()) < 1e-3
    # the profile crosses 0.5 where depth_frac_0.5 says (interpolation on the axis: ±2 % of a spacing)
    one = frac.sel(ions_K_D=1e-15, step_1_duration=8.0).values
    crossing = np.interp(0.5, one[::-1], depth[::-1])
    assert (
        abs(crossing - float(grid_ds["depth_frac_0.5"].sel(ions_K_D=1e-15, step_1_duration=8.0)))
        < depth[1]
    )


def test_batched_and_one_by_one_sweeps_are_identical(grid_ds):
    xr.testing.assert_identical(
        run_sweep(grid_sweep(depth_levels=(0.5, 0.1), profiles=True), batched=False), grid_ds
    )


def test_metric_times_add_a_time_dimension_with_nan_after_a_run_ends():
    ds = run_sweep(grid_sweep(times=(0.0, 4 * 3600.0, 12 * 3600.0)))
    assert ds["uptake"].dims == ("ions_K_D", "step_1_duration", "time")
    np.testing.assert_array_equal(ds["time"].values, [0.0, 14400.0, 43200.0])
    short = ds.sel(step_1_duration=2.0)
    assert np.all(np.isnan(short["uptake"].sel(time=[14400.0, 43200.0])))  # the 2 h runs end before
    assert np.all(ds["uptake"].sel(time=0.0) == 0.0)
    ref = simulate(replace(SODA({}), output_times=(0.0, 14400.0)))  # the point 1e-15, 8 h
    assert (
        float(ds["uptake"].sel(ions_K_D=1e-15, step_1_duration=8.0, time=14400.0)) == ref.uptake[1]
    )


def test_sampled_design_has_a_run_dimension_and_is_reproducible():
    pts = sample_points(
        [5e-16, 2.0], [2e-15, 16.0], ["log", "log"], 6, seed=3, kind="latin-hypercube"
    )
    again = sample_points(
        [5e-16, 2.0], [2e-15, 16.0], ["log", "log"], 6, seed=3, kind="latin-hypercube"
    )
    np.testing.assert_array_equal(pts, again)
    assert not np.array_equal(
        pts,
        sample_points(
            [5e-16, 2.0], [2e-15, 16.0], ["log", "log"], 6, seed=4, kind="latin-hypercube"
        ),
    )
    ds = run_sweep(Sweep(SODA, ("ions.K.D", "step[1].duration"), ("m^2/s", "h"), pts))
    assert ds["uptake"].dims == ("run",)
    np.testing.assert_array_equal(ds["run"].values, np.arange(1, 7))
    np.testing.assert_array_equal(ds["step_1_duration"].values, pts[:, 1])
    assert ds["ions_K_D"].dims == ("run",)


def test_latin_hypercube_puts_one_point_in_each_stratum():
    pts = sample_points(
        [0.0, 1.0], [1.0, 100.0], ["linear", "log"], 50, seed=1, kind="latin-hypercube"
    )
    strata_lin = np.floor(pts[:, 0] * 50).astype(int)
    strata_log = np.floor(np.log(pts[:, 1]) / np.log(100.0) * 50).astype(int)
    assert sorted(strata_lin) == list(range(50)) and sorted(strata_log) == list(range(50))


def test_random_design_draws_listed_values_with_equal_weight():
    pts = sample_points([0.0], [0.0], ["linear"], 3000, seed=2, choices=[[1.0, 2.0, 3.0]])
    counts = np.array([(pts[:, 0] == v).sum() for v in (1.0, 2.0, 3.0)])
    assert counts.sum() == 3000 and np.all(
        np.abs(counts - 1000) < 100
    )  # 3.5 σ of a binomial (σ ≈ 26)


class FailAt:
    """A picklable builder that fails for one value of the duration (a run-time failure)."""

    def __init__(self, bad):
        self.bad = bad

    def __call__(self, values):
        if values["step[1].duration"] == self.bad:
            raise ValueError("this duration is cursed")
        return SODA(values)


def test_a_failed_run_is_recorded_and_the_sweep_goes_on():
    sweep = Sweep(
        FailAt(8.0), ("ions.K.D", "step[1].duration"), ("m^2/s", "h"), grid_points(AXES), AXES
    )
    ds = run_sweep(sweep)
    bad = ds.sel(step_1_duration=8.0)
    assert np.all(bad["error"].values == "ValueError: this duration is cursed")
    assert np.all(np.isnan(bad["uptake"])) and np.all(np.isnan(bad["time_steps"]))
    good = ds.sel(step_1_duration=[2.0, 16.0])
    assert np.all(good["error"].values == "") and np.all(np.isfinite(good["uptake"]))
    assert ds.attrs["failed_runs"] == 2


def test_non_finite_values_fail_before_anything_runs():
    with pytest.raises(
        ValueError, match=r"parameter 'step\[1\].duration': run 2 has the value nan"
    ):
        Sweep(
            SODA,
            ("ions.K.D", "step[1].duration"),
            ("m^2/s", "h"),
            [[1e-15, 2.0], [1e-15, math.nan]],
        )


def test_a_builder_failing_at_the_first_point_fails_the_sweep():
    from ionex.errors import RecipeError

    sweep = Sweep(SODA, ("ions.K.D",), ("m^2/s",), [[-1e-15], [1e-15]])
    with pytest.raises(
        RecipeError, match="ions.K.D: found '-1e-15 m\\^2/s'; expected a diffusion coefficient > 0"
    ):
        run_sweep(sweep)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(names=(), units=(), points=np.zeros((1, 0))), "at least one parameter"),
        (dict(names=("a", "a"), units=("", ""), points=[[1, 2]]), "repeat"),
        (dict(names=("a",), units=("", ""), points=[[1]]), "units"),
        (dict(names=("a",), units=("",), points=[1, 2]), "shape"),
        (dict(names=("a",), units=("",), points=[[1], [3]], axes=([1, 2],)), "product of its axes"),
    ],
)
def test_invalid_sweeps(kwargs, words):
    with pytest.raises(ValueError, match=words):
        Sweep(SODA, **kwargs)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(depth_levels=(0.0,)), r"\(0, 1\]"),
        (dict(depth_levels=(0.5, 0.5)), "repeat"),
        (dict(times=(3600.0, 0.0)), "increase"),
        (dict(times=(-1.0,)), "≥ 0"),
    ],
)
def test_invalid_metrics(kwargs, words):
    with pytest.raises(ValueError, match=words):
        SweepMetrics(**kwargs)


def test_chunks_depend_only_on_the_number_of_runs():
    for n in (1, 7, 64, 65, 1000, 5000):
        chunks = chunk_slices(n)
        assert chunks[0].start == 0 and chunks[-1].stop == n
        assert all(a.stop == b.start for a, b in zip(chunks, chunks[1:]))
        assert all(0 < c.stop - c.start <= MAX_CHUNK for c in chunks)
    assert len(chunk_slices(1000)) == 63  # 16 runs per task


def test_stress_and_optics_metrics_appear_with_their_sections():
    doc = document("bk7_k_na_91h.toml")
    sweep = Sweep(
        SweepRecipes.of(doc, ("stress.tau",)), ("stress.tau",), ("h",), [[500.0], [2000.0]]
    )
    ds = run_sweep(sweep)
    for key in (
        "compressive_stress",
        "depth_of_compression",
        "central_tension",
        "depth_of_layer",
        "mode_count_TE",
        "mode_count_TM",
    ):
        assert key in ds and np.all(np.isfinite(ds[key])), key
    # faster relaxation (smaller τ) leaves less compression; the composition is the same
    cs = ds["compressive_stress"].values
    assert cs[0] < cs[1]
    assert ds["uptake"].values[0] == ds["uptake"].values[1]
    # the knee of a single-step profile does not exist: NaN, named as a compressive magnitude
    assert "knee_stress" not in ds
    assert np.all(np.isnan(ds["knee_depth"])) and np.all(np.isnan(ds["knee_compressive_stress"]))
    assert "positive in compression" in ds["knee_compressive_stress"].attrs["long_name"]
    assert "positive in compression" in ds["compressive_stress"].attrs["long_name"]


def test_variable_names_are_netcdf_friendly():
    assert variable_name("step[2].bath.K") == "step_2_bath_K"
    assert variable_name("ions.K.D") == "ions_K_D"


def test_counts_are_checked_before_points_are_allocated():
    from ionex.process.sweep import MAX_RUNS

    # ranges have a length but no array: a product of 1e10 would need 160 GB
    with pytest.raises(
        ValueError, match=f"the grid has 10000000000 runs; expected at most {MAX_RUNS}"
    ):
        grid_points([range(100_000), range(100_000)])
    with pytest.raises(
        ValueError,
        match=rf"samples: found 1000000000; expected a number of runs within \[1, {MAX_RUNS}\]",
    ):
        sample_points([0.0], [1.0], ["linear"], 10**9, 0)
