"""Sweeps of multicomponent recipes: every run's metrics are those of run_multicomponent of
the recipe the sweep builds, the per-ion reach is the depth read off the profile by hand,
metric times pick the outputs at those times, and the recipe travels to workers (pickle).

References: run_multicomponent called directly on the same recipe (with_values), the
profile read cell by cell in the test, and pickle round trips."""

import pickle
import textwrap
from dataclasses import replace

import numpy as np
import pytest

from ionex.errors import RecipeError
from ionex.io.recipe import load_recipe
from ionex.io.recipe_document import RecipeDocument
from ionex.io.sweep_file import SweepRecipes, parse_sweep, parameter_words
from ionex.process.multicomponent import run_multicomponent
from ionex.process.sweep import REACH_CHANGE, Sweep, SweepMetrics, grid_points, run_sweep

# a small Li/Na/K plate: a Na step, then a K step in a salt that has exchanged earlier loads
LAS = textwrap.dedent(
    """
    name = "LAS"
    [glass]
    total_mobile = "15 mol/L"
    initial = { Li = 0.55, Na = 0.43, K = 0.02 }
    thickness = "0.3 mm"
    faces = "both"
    [ions.Li]
    D = "2.5e-14 m^2/s"
    [ions.Na]
    D = "8e-13 m^2/s"
    [ions.K]
    D = "6e-16 m^2/s"
    [bath]
    chemistry = "illustrative LAS K/Na/Li"
    salt_mass = "100 kg"
    load_area = "2 m^2"
    loads_before = 0
    [[step]]
    bath = { Li = 0.05, Na = 0.93, K = 0.02 }
    temperature = "390 degC"
    duration = "2 h"
    [[step]]
    bath = { salt = { KNO3 = "99 mol%", NaNO3 = "1 mol%" } }
    temperature = "380 degC"
    duration = "30 min"
    [stress]
    youngs_modulus = "82 GPa"
    poisson_ratio = 0.21
    dilation = { Na = 0.0045, K = 0.014 }
    """
)


@pytest.fixture(scope="module")
def recipe_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("las") / "las.toml"
    path.write_text(LAS)
    return path


def _sweep(path, names, axes, units, **metrics):
    builder = SweepRecipes.of(RecipeDocument.load(path), names)
    axes = tuple(np.asarray(a, dtype=float) for a in axes)
    return Sweep(builder, names, units, grid_points(axes), axes, SweepMetrics(**metrics))


@pytest.fixture(scope="module")
def swept(recipe_path):
    sweep = _sweep(
        recipe_path,
        ("glass.thickness", "bath.loads_before"),
        ([0.2, 0.5], [0.0, 30.0]),
        ("mm", ""),
        profiles=True,
    )
    return sweep, run_sweep(sweep)


def test_every_run_reports_what_run_multicomponent_gives_its_recipe(recipe_path, swept):
    sweep, ds = swept
    assert ds.attrs["species"] == "Li,Na,K" and ds.attrs["failed_runs"] == 0
    base = load_recipe(recipe_path)
    for i, t_mm in enumerate((0.2, 0.5)):
        for j, loads in enumerate((0.0, 30.0)):
            ref = run_multicomponent(
                base.with_values({"glass.thickness": t_mm * 1e-3, "bath.loads_before": loads})
            )
            at = {"glass_thickness": i, "bath_loads_before": j}
            for k, ion in enumerate(ref.species):
                assert float(ds[f"uptake_{ion}"][at]) == ref.uptake[-1, k]
                assert float(ds[f"surface_{ion}"][at]) == ref.fraction(ion)[-1, 0]
            m = ref.metrics[-1]
            for key in ("compressive_stress", "depth_of_compression", "central_tension"):
                assert float(ds[key][at]) == getattr(m, key)
            assert float(ds["tensile_energy"][at]) == m.tensile_energy
            aged = ref.aged_baths[0]
            for ion in ref.species:
                assert float(ds[f"melt_{ion}_step_2"][at]) == aged.aged.melt.get(ion, 0.0)
            assert float(ds["time_steps"][at]) == ref.diagnostics["steps"]
    # the aged salt holds the Li and Na earlier loads gave it, and it costs CS
    fresh, aged = (
        ds.isel(glass_thickness=1, bath_loads_before=0),
        ds.isel(glass_thickness=1, bath_loads_before=1),
    )
    assert float(aged["melt_Li_step_2"]) > 0.0 and float(fresh["melt_Li_step_2"]) == 0.0
    assert float(aged["compressive_stress"]) < float(fresh["compressive_stress"])


def test_reach_is_the_deepest_cell_changed_by_more_than_the_threshold(recipe_path, swept):
    """reach_<Ion>, read here cell by cell from the profile over the half plate."""
    _, ds = swept
    ref = run_multicomponent(load_recipe(recipe_path).with_values({"glass.thickness": 0.5e-3}))
    half = ref.depth <= 0.25e-3
    for ion in ref.species:
        frac = ref.fraction(ion)[-1][half]
        changed = [
            d
            for d, x in zip(ref.depth[half], frac)
            if abs(x - ref.recipe.glass.initial[ion]) > REACH_CHANGE
        ]
        expected = max(changed) if changed else 0.0
        got = float(ds[f"reach_{ion}"].isel(glass_thickness=1, bath_loads_before=0))
        assert got == expected
    # K, the slow ion, stays in the spike; Na and Li go deep
    assert float(ds["reach_K"].max()) < 0.2 * float(ds["reach_Na"].min())


def test_profiles_of_every_ion_on_one_axis_sum_to_one(swept):
    _, ds = swept
    total = ds["frac_Li"] + ds["frac_Na"] + ds["frac_K"]
    np.testing.assert_allclose(total.values, 1.0, atol=1e-9)
    assert ds["depth"].attrs["units"] == "m"


def test_metric_times_pick_the_outputs_at_those_times(recipe_path):
    sweep = _sweep(
        recipe_path, ("ions.K.D",), ([6e-16, 1.2e-15],), ("m^2/s",), times=(3600.0, 9000.0)
    )
    ds = run_sweep(sweep)
    base = load_recipe(recipe_path)
    ref = run_multicomponent(
        replace(base.with_values({"ions.K.D": 1.2e-15}), output_times=(3600.0, 9000.0))
    )
    for k, t in enumerate((3600.0, 9000.0)):
        i = int(np.flatnonzero(ref.times == t)[-1])
        assert float(ds["uptake_K"].isel(ions_K_D=1, time=k)) == ref.uptake[i, 2]
        assert float(ds["compressive_stress"].isel(ions_K_D=1, time=k)) == (
            ref.metrics[i].compressive_stress
        )


def test_recipes_and_builders_travel_by_pickle(recipe_path):
    recipe = load_recipe(recipe_path)
    again = pickle.loads(pickle.dumps(recipe))
    assert again == recipe and dict(again.ions) == dict(recipe.ions)
    builder = SweepRecipes.of(RecipeDocument.load(recipe_path), ("glass.thickness",))
    rebuilt = pickle.loads(pickle.dumps(builder))({"glass.thickness": 0.4})
    assert rebuilt.glass.thickness == pytest.approx(0.4e-3, rel=1e-15)


def test_sweep_file_refuses_depth_levels_for_multicomponent_recipes(recipe_path):
    text = f'recipe = "{recipe_path}"\n[[parameter]]\npath = "glass.thickness"\n'
    text += 'values = ["0.3 mm", "0.5 mm"]\n[metrics]\ndepth_at = [0.5]\n'
    with pytest.raises(RecipeError, match=r"metrics\.depth_at.*surface_<Ion>, reach_<Ion>"):
        parse_sweep(text, recipe_path.parent / "sweep.toml")
    ok = parse_sweep(
        text.replace("[metrics]\ndepth_at = [0.5]\n", ""), recipe_path.parent / "s.toml"
    )
    assert ok.sweep.n_runs == 2


def test_salt_and_ageing_fields_have_words():
    assert parameter_words("bath.loads_before") == "loads the salt exchanged before"
    assert parameter_words("step[2].bath.salt.NaNO3") == "NaNO3 in the salt, step 2"
    assert parameter_words("glass.initial.Li") == "initial site fraction of Li⁺"
