"""simulate(): output times, step bookkeeping, geometry, conservation across steps."""

import numpy as np
import pytest

from ionex.physics.arrhenius import ArrheniusLaw
from ionex.physics.interdiffusion import InterdiffusionModel
from ionex.process.recipe import Glass, Numerics, Recipe, Step
from ionex.process.simulate import process_grid, simulate
from ionex.process.temperature import TemperatureProgram

HOUR = 3600.0
MODEL = InterdiffusionModel(
    incoming=ArrheniusLaw.constant(1e-15), host=ArrheniusLaw.constant(1e-14)
)
T420 = TemperatureProgram.constant(693.15)


def recipe(steps, glass=Glass("Na", 10900.0), outputs=(), **kw):
    return Recipe(
        glass=glass,
        incoming_ion="K",
        model=MODEL,
        steps=tuple(steps),
        output_times=tuple(outputs),
        **kw,
    )


def test_outputs_at_exact_requested_times_and_step_ends():
    r = recipe(
        [Step(2 * HOUR, T420, 1.0), Step(1 * HOUR, T420, None)], outputs=(0.5 * HOUR, 2.5 * HOUR)
    )
    res = simulate(r)
    assert res.times.tolist() == [0.5 * HOUR, 2 * HOUR, 2.5 * HOUR, 3 * HOUR]
    assert res.step_index.tolist() == [0, 0, 1, 1]
    assert np.isnan(res.surface_fraction[2]) and res.surface_fraction[0] == 1.0


def test_state_carries_between_steps():
    """Two 4-h baths in sequence equal one 8-h bath (same conditions): the state carries."""
    one = simulate(recipe([Step(8 * HOUR, T420, 1.0)]))
    two = simulate(recipe([Step(4 * HOUR, T420, 1.0), Step(4 * HOUR, T420, 1.0)]))
    # both runs are within their own error tolerance of the exact profile
    assert np.max(np.abs(one.frac_incoming[-1] - two.frac_incoming[-1])) < 5e-3
    assert two.uptake[-1] == pytest.approx(one.uptake[-1], rel=1e-3)


def test_anneal_conserves_inventory_and_uptake_equals_inflow():
    r = recipe(
        [
            Step(4 * HOUR, T420, 1.0),
            Step(4 * HOUR, TemperatureProgram((0.0, 4 * HOUR), (693.15, 623.15)), None),
        ],
        glass=Glass("Na", 10900.0, 0.5e-3, "both"),
        outputs=(2 * HOUR, 6 * HOUR),
    )
    res = simulate(r)
    assert res.uptake[1:] == pytest.approx(res.uptake[1], rel=1e-12)  # anneal steps
    np.testing.assert_allclose(res.surface_inflow, res.uptake, rtol=1e-10)


def test_plate_both_faces_is_symmetric_and_spans_the_thickness():
    r = recipe([Step(4 * HOUR, T420, 1.0)], glass=Glass("Na", 10900.0, 0.2e-3, "both"))
    res = simulate(r)
    assert res.depth[0] > 0 and res.depth[-1] < 0.2e-3
    assert np.sum(res.cell_width) == pytest.approx(0.2e-3, rel=1e-12)
    np.testing.assert_array_equal(res.frac_incoming[-1], res.frac_incoming[-1][::-1])
    np.testing.assert_allclose(res.depth + res.depth[::-1], 0.2e-3, rtol=1e-12)


def test_front_only_plate_is_twice_as_thick_a_domain_and_has_half_the_uptake():
    both = simulate(recipe([Step(4 * HOUR, T420, 1.0)], glass=Glass("Na", 10900.0, 0.2e-3, "both")))
    front = simulate(
        recipe([Step(4 * HOUR, T420, 1.0)], glass=Glass("Na", 10900.0, 0.2e-3, "front"))
    )
    assert process_grid(front.recipe).length == pytest.approx(0.2e-3)
    assert front.uptake[-1] == pytest.approx(both.uptake[-1] / 2, rel=2e-3)


def test_semi_infinite_domain_scales_with_diffusion_length():
    r = recipe([Step(8 * HOUR, T420, 1.0)])
    grid = process_grid(r)
    assert grid.length == pytest.approx(12 * np.sqrt(1e-14 * 8 * HOUR), rel=1e-9)
    res = simulate(r)
    assert abs(res.frac_incoming[-1, -1]) < 1e-8  # nothing reaches the end of the domain
    assert "warning" not in res.diagnostics


def test_mesh_refines_to_the_slow_diffusion_length():
    """The surface zone is sized on √(∫ min D̃ dt): for D_K/D_Na = 1e-4 instead of 0.1 the
    slow length is √(1e-18/1e-15) ≈ 1/32 as long, and so is the first cell."""
    steep = InterdiffusionModel(
        incoming=ArrheniusLaw.constant(1e-18), host=ArrheniusLaw.constant(1e-14)
    )
    r1 = recipe([Step(HOUR, T420, 1.0)])
    r2 = Recipe(
        glass=Glass("Na", 1e4), incoming_ion="K", model=steep, steps=(Step(HOUR, T420, 1.0),)
    )
    g1, g2 = process_grid(r1), process_grid(r2)
    assert g1.volumes[0] / g2.volumes[0] == pytest.approx(1e3**0.5, rel=0.05)
    assert g2.n_cells > g1.n_cells


def test_dataset_has_units_and_recipe():
    r = recipe([Step(HOUR, T420, 1.0)], outputs=(0.5 * HOUR,), source_text="# recipe text")
    ds = simulate(r).to_dataset()
    assert set(ds.dims) == {"time", "depth"}
    assert ds["frac_K"].attrs["units"] == "1" and ds["depth"].attrs["units"] == "m"
    assert ds["time"].attrs["units"] == "s" and ds["uptake"].attrs["units"] == "mol m-2"
    np.testing.assert_allclose(ds["frac_K"] + ds["frac_Na"], 1.0)
    assert ds.attrs["recipe"] == "# recipe text"


def test_numerics_tolerance_is_honoured():
    loose = simulate(recipe([Step(8 * HOUR, T420, 1.0)], numerics=Numerics(rtol=3e-2, atol=1e-3)))
    tight = simulate(recipe([Step(8 * HOUR, T420, 1.0)], numerics=Numerics(rtol=3e-4, atol=1e-5)))
    assert tight.diagnostics["time_steps"] > loose.diagnostics["time_steps"]


def test_a_mesh_too_large_is_refused_before_it_is_built(monkeypatch):
    import ionex.process.simulate as sim

    def never(*args, **kwargs):
        raise AssertionError("the mesh was built")

    monkeypatch.setattr(sim, "MAX_CELLS", 100)
    monkeypatch.setattr(sim, "graded_grid", never)
    with pytest.raises(
        ValueError,
        match=r"needs \d+ cells \(more than 100\).*lower numerics.cells_per_efold or "
        r"numerics.domain_lengths",
    ):
        process_grid(recipe([Step(HOUR, T420, 1.0)], numerics=Numerics(cells_per_efold=1000.0)))
