"""The channel workflow (a recipe with a [mask]): the recipe's steps run in the
cross-section as the 1-D engine runs them, the mask's removal, stress, index maps and
modes of the final state, and what such a recipe refuses.

References: a mask removed before the first step leaves a laterally uniform layer, each column the
1-D solution of solve_nonlinear_diffusion on the same depth mesh (to the 2-D solver's
time-step error, ≤ 0.15·rtol on the axis as tests/validation/test_diffusion2d_references.py
measures it); a closed anneal conserves the uptake; the stress and indices are
plane_strain_stress and channel_indices of the final state (the plumbing, exactly)."""

import textwrap

import numpy as np
import pytest

from ionex.errors import RecipeError
from ionex.io.recipe import parse_recipe
from ionex.physics.interdiffusion import kirchhoff_law
from ionex.physics.optics import channel_indices, stress_free_index
from ionex.physics.stress import kohlrausch_factor
from ionex.physics.interdiffusion import far_field_current
from ionex.process.channel import channel_grid, contour_extent, run_channel
from ionex.process.simulate import simulate
from ionex.solvers.diffusion import FaceCondition, solve_nonlinear_diffusion
from ionex.solvers.stress2d import plane_strain_stress

BASE = """
name = "channel"
[glass]
host_ion = "Na"
total_mobile = "6.48 mol/L"
[ions.K]
D = "2e-16 m^2/s"
[ions.Na]
D = "2e-15 m^2/s"
[[step]]
bath = { K = 1.0 }
temperature = "400 degC"
duration = "2 h"
[[step]]
bath = { K = 0.0 }
temperature = "400 degC"
duration = "30 min"
[numerics]
rtol = 1e-4
atol = 1e-6
"""


def recipe(mask: str, extra: str = ""):
    return parse_recipe(BASE + textwrap.dedent(mask) + textwrap.dedent(extra), "channel.toml")


@pytest.mark.parametrize("rtol, bound", [(1e-4, 0.25e-4), (1e-5, 0.25e-5)])
def test_a_mask_removed_before_the_first_step_is_the_1d_run_on_its_depth_mesh(rtol, bound):
    """The 2-D solver's global error against the 1-D run (rtol 1e-6) on the axis: measured
    0.17·rtol at rtol 1e-4 (exchange then a K-free melt); bound 0.25·rtol, and it must
    shrink with rtol (the 2-D run converges to the 1-D one)."""
    r = recipe('[mask]\nopening = "4 um"\nremoved_from_step = 1\ndepth_cells = 60\n'
               "lateral_cells = 20\n")  # fmt: skip
    r = r.with_values({"numerics.rtol": rtol, "numerics.atol": rtol / 100})
    res = run_channel(r, modes=False)
    grid = res.grid
    y = np.zeros(grid.n_depth)
    for step in r.steps:
        law = kirchhoff_law(r.model, float(step.temperature(0.0)))
        sol = solve_nonlinear_diffusion(
            grid.depth, law, y, step.duration, front=FaceCondition(step.surface_fraction),
            back=FaceCondition(None), rtol=1e-6, atol=1e-9,
        )  # fmt: skip
        y = sol.final
    final = res.fractions[-1]
    assert np.max(np.abs(final - y[:, None])) < bound
    assert np.ptp(final, axis=1).max() < 1e-12  # laterally uniform


def test_steps_outputs_symmetry_and_the_mask_s_removal():
    on = recipe('[mask]\nopening = "3 um"\ndepth_cells = 40\nlateral_cells = 60\n')
    off = recipe(
        '[mask]\nopening = "3 um"\nremoved_from_step = 2\ndepth_cells = 40\nlateral_cells = 60\n'
    )
    a, b = run_channel(on, modes=False), run_channel(off, modes=False)
    assert a.times.tolist() == [7200.0, 9000.0] and a.step_of.tolist() == [0, 1]
    np.testing.assert_array_equal(a.fractions[0], b.fractions[0])  # step 1 alike
    for res in (a, b):
        final = res.fractions[-1]
        np.testing.assert_allclose(final, final[:, ::-1], atol=1e-13)
    # the K-free melt reaches the surface under the former mask only when it is removed:
    # more K+ leaves, and the surface row beside the opening loses its K+
    assert b.uptake[-1] < a.uptake[-1] < a.uptake[0]
    beside = np.abs(a.lateral) > 1.5e-6
    assert np.all(b.fractions[-1][0, beside] <= a.fractions[-1][0, beside] + 1e-12)


def test_a_closed_anneal_keeps_the_uptake():
    text = BASE.replace("[[step]]\nbath = { K = 0.0 }", '[[step]]\nbath = "none"')
    r = parse_recipe(text + '[mask]\nopening = "3 um"\ndepth_cells = 40\nlateral_cells = 60\n',
                     "channel.toml")  # fmt: skip
    assert r.steps[1].is_anneal
    res = run_channel(r, modes=False)
    assert res.uptake[1] == pytest.approx(res.uptake[0], rel=1e-12)


def test_stress_and_index_maps_are_those_of_the_final_state():
    extra = """
    [stress]
    material = "BK7"
    relaxation = "kww"
    tau = "100 h"
    beta = 0.6
    [optics]
    material = "BK7"
    """
    r = recipe('[mask]\nopening = "3 um"\ndepth_cells = 40\nlateral_cells = 60\n', extra)
    res = run_channel(r, modes=False)
    final = res.fractions[-1]
    g = res.grid
    elastic = plane_strain_stress(g.depth.faces, g.lateral_faces, r.stress.glass.dilation * final,
                                  r.stress.glass)  # fmt: skip
    factor = kohlrausch_factor(np.array([9000.0]), 100 * 3600.0, 0.6)[0]
    for got, want in zip(res.stress, elastic):
        np.testing.assert_allclose(got, factor * want, rtol=1e-12, atol=1e-6)
    o = r.optics
    n0 = stress_free_index(final, o.base_index, o.index_change)
    te, tm = channel_indices(n0, *res.stress[:3], o.elasto_optic)
    np.testing.assert_allclose(res.index_te, te, rtol=0, atol=1e-15)
    np.testing.assert_allclose(res.index_tm, tm, rtol=0, atol=1e-15)
    # the exchanged core is compressed along the guide
    assert np.all(res.stress.sigma_zz[final > 0.3] < 0)


def test_the_default_mesh_spans_the_domain_lengths():
    r = recipe('[mask]\nopening = "4 um"\n')
    g = channel_grid(r)
    assert g.shape == (100, 160)
    assert g.lateral_faces[-1] == pytest.approx(2e-6 + g.depth.length, rel=1e-12)


@pytest.mark.parametrize(
    "mask, extra, words",
    [
        ('[mask]\nopening = "4 um"\n', '[target]\ndepth_of_layer = "5 um"\n', "[target]"),
        ('[mask]\nopening = "4 um"\nremoved_from_step = 3\n', "", "within 1 … 2"),
        ('[mask]\nopening = "-4 um"\n', "", "slit width > 0"),
        ('[mask]\nopening = "4 um"\nhalf_width = "1 um"\n', "", "beyond the opening"),
        ('[mask]\nopening = "4 um"\ndepth_cells = 5\n', "", "within [20, 1000]"),
        ('[mask]\nopening = "4 um"\nlateral_cells = 60.5\n', "", "whole number"),
        ('[mask]\nopening = "4"\n', "", "unit"),
        ('[mask]\nwidth = "4 um"\n', "", "opening"),
    ],
)
def test_bad_masks_name_the_field(mask, extra, words):
    with pytest.raises(RecipeError, match="mask|strength|target") as info:
        recipe(mask, extra)
    assert words in str(info.value) and "channel.toml" in str(info.value)
    assert "\n" not in str(info.value)


def test_a_strength_assessment_is_refused():
    plate = BASE.replace('"6.48 mol/L"', '"6.48 mol/L"\nthickness = "1 mm"\nfaces = "front"')
    extra = '[stress]\nmaterial = "BK7"\n[strength]\ntoughness = "0.7 MPa m^0.5"\n'
    with pytest.raises(RecipeError, match=r"no \[strength\] with a mask"):
        parse_recipe(plate + '[mask]\nopening = "4 um"\n' + extra, "channel.toml")


def test_a_plate_exchanged_on_both_faces_and_hereditary_relaxation_are_refused():
    both = BASE.replace(
        'total_mobile = "6.48 mol/L"',
        'total_mobile = "6.48 mol/L"\nthickness = "1 mm"\nfaces = "both"',
    )
    with pytest.raises(RecipeError, match="front face only"):
        parse_recipe(both + '[mask]\nopening = "4 um"\n', "channel.toml")
    extra = '[stress]\nmaterial = "BK7"\nrelaxation = "hereditary"\ntau = "10 h"\nbeta = 0.6\n'
    with pytest.raises(RecipeError, match="hereditary relaxation of a cross-section"):
        recipe('[mask]\nopening = "4 um"\n', extra)


def test_1d_workflows_refuse_a_masked_recipe_and_simulate_runs_it():
    from ionex.process.batch import simulate_batch
    from ionex.process.simulate import process_grid

    r = recipe('[mask]\nopening = "3 um"\ndepth_cells = 30\nlateral_cells = 40\n')
    with pytest.raises(RecipeError, match=r"has a \[mask\]"):
        process_grid(r)
    (refused,) = simulate_batch([r])  # a batch returns each run's error
    assert isinstance(refused, RecipeError) and "has a [mask]" in str(refused)
    res = simulate(r)
    assert res.fractions.shape == (2, 30, 40)


def test_a_temperature_program_runs_on_the_reduced_clock():
    """Both ions share Q, so D̃/s does not depend on T and a step following a program
    equals the step at its starting temperature for the reduced time θ (ReducedClock):
    the same 2-D state to the solver's tolerance (the two runs take different steps)."""
    from ionex.process.simulate import ReducedClock

    text = BASE.replace('D = "2e-16 m^2/s"', 'D0 = "5.61e-7 m^2/s"\nQ = "125 kJ/mol"').replace(
        'D = "2e-15 m^2/s"', 'D0 = "5.61e-6 m^2/s"\nQ = "125 kJ/mol"'
    )
    ramp = text.replace(
        'temperature = "400 degC"\nduration = "2 h"',
        'temperature = { program = [["0 h", "400 degC"], ["1 h", "370 degC"], ["2 h", "370 degC"]] }',
    )
    mask = '[mask]\nopening = "3 um"\ndepth_cells = 40\nlateral_cells = 60\n'
    r = parse_recipe(ramp + mask, "ramp.toml")
    clock = ReducedClock(r.model, r.steps[0].temperature, r.steps[0].duration)
    theta = float(clock.theta(r.steps[0].duration)[0])
    assert theta < 0.8 * 7200.0  # the ramp slows the exchange
    flat = parse_recipe(
        text.replace('duration = "2 h"', f'duration = "{theta} s"', 1) + mask, "flat.toml"
    )
    a, b = run_channel(r, modes=False), run_channel(flat, modes=False)
    # after step 1 (the burial at 400 °C is the same in both)
    # each run within 0.25·rtol of the exact state (the first test), so within 0.5·rtol of
    # each other (measured 0.14·rtol)
    np.testing.assert_allclose(a.fractions[0], b.fractions[0], rtol=0, atol=0.5 * 1e-4)
    assert np.max(np.abs(a.fractions[0] - b.fractions[0])) > 0  # two different runs


def test_a_plate_too_thin_for_the_half_space_stress_is_refused():
    thin = BASE.replace('"6.48 mol/L"', '"6.48 mol/L"\nthickness = "50 um"\nfaces = "front"')
    r = parse_recipe(
        thin + '[mask]\nopening = "3 um"\ndepth_cells = 30\nlateral_cells = 40\n'
        '[stress]\nmaterial = "BK7"\n',
        "thin.toml",
    )
    with pytest.raises(RecipeError, match="half-space"):
        run_channel(r)


FIELD_MASK = (
    '[mask]\nopening = "3 um"\nremoved_from_step = 2\ndepth_cells = 50\nlateral_cells = 60\n'
)


def field_recipe(field: str, mask: str = FIELD_MASK, extra: str = ""):
    """BASE with the burial (step 2) field-assisted."""
    text = BASE.replace('duration = "30 min"', f'duration = "30 min"\n{field}')
    return parse_recipe(text + textwrap.dedent(mask) + textwrap.dedent(extra), "channel.toml")


def test_a_field_assisted_burial_carries_the_core_deeper_by_the_drift():
    thermal = run_channel(recipe(FIELD_MASK), modes=False)
    assisted = run_channel(field_recipe('field = "20 V/mm"'), modes=False)
    assert assisted.recipe.steps[1].electric_field == pytest.approx(2e4)
    # the domain grows by the fastest drift, j∞·t here (D_K < D_Na): 1.2 µm more
    T = 673.15
    j = far_field_current(2e4, 2e-15, T)
    extra = channel_grid(assisted.recipe).depth.length - channel_grid(thermal.recipe).depth.length
    assert extra == pytest.approx(j * 1800.0, rel=1e-9)

    def centroid(res):
        chi = res.fractions[-1]
        weight = chi * res.grid.areas
        return float(np.sum(weight * res.depth[:, None]) / np.sum(weight))

    # the field carries the K+ deeper, but the K-rich core conducts less (D_K = D_Na/10) and
    # deflects the current: inside a circular inclusion it is 2σ₁/(σ₁ + σ₂) = 0.18 of j∞
    # (Maxwell), so even pure-K cells move ≲ 0.18·j∞·t; measured centroid shift 0.072·j∞·t
    shift = centroid(assisted) - centroid(thermal)
    assert 0.02 * j * 1800.0 < shift < 0.25 * j * 1800.0
    chi = assisted.fractions[-1]
    np.testing.assert_allclose(chi, chi[:, ::-1], atol=1e-12)
    assert chi.min() > -1e-6 and chi.max() < 1.0


@pytest.mark.parametrize(
    "field, mask, extra, words",
    [
        ('field = "20 V/mm"', '[mask]\nopening = "3 um"\n', "", "needs the mask removed"),
        ('field = "20 V/mm"', "", "", "nernst-planck-poisson"),
        ('field = "-5 V/mm"', FIELD_MASK, "", "expected a field > 0"),
        ('field = "20 V"', FIELD_MASK, "", "V/mm"),
        ("field = 20", FIELD_MASK, "", "V/mm"),
    ],
    ids=["masked", "planar", "negative", "volts", "bare-number"],
)
def test_bad_field_assisted_steps_are_refused_with_the_reason(field, mask, extra, words):
    with pytest.raises(RecipeError, match="field") as info:
        field_recipe(field, mask, extra)
    assert words in str(info.value)
    assert "channel.toml" in str(info.value)


def test_a_field_on_an_anneal_is_refused():
    text = BASE.replace("bath = { K = 0.0 }", 'bath = "none"').replace(
        'duration = "30 min"', 'duration = "30 min"\nfield = "20 V/mm"'
    )
    with pytest.raises(RecipeError, match="on an anneal"):
        parse_recipe(text + FIELD_MASK, "channel.toml")


def test_a_field_with_a_temperature_program_is_refused():
    text = BASE.replace(
        'temperature = "400 degC"\nduration = "30 min"',
        'temperature = { program = [["0 h", "400 degC"], ["30 min", "380 degC"]] }\n'
        'duration = "30 min"\nfield = "20 V/mm"',
    )
    with pytest.raises(RecipeError, match="constant temperature"):
        parse_recipe(text + FIELD_MASK, "channel.toml")


def test_contour_extent_interpolates_between_centres():
    # χ = exp(−x/a)·exp(−(y/b)²): the χ = 0.1 contour is x = a·ln 10 deep on the axis
    # and 2b√(ln 10) wide at the surface
    a, b = 2e-6, 3e-6
    x = (np.arange(40) + 0.5) * 0.25e-6
    y = (np.arange(-40, 40) + 0.5) * 0.25e-6
    chi = np.exp(-x[:, None] / a) * np.exp(-((y[None, :] / b) ** 2))
    depth, width = contour_extent(x, y, chi, 0.1)
    # the deepest column is the one beside the axis, y = Δ/2; the widest row the first, x = Δ/2;
    # linear interpolation of exp(−x/a) errs by at most Δ²/(8a) (2.2e-9 m in depth here)
    h = 0.25e-6
    assert depth == pytest.approx(a * (np.log(10) - (h / 2 / b) ** 2), abs=h**2 / (8 * a))
    y_c = b * np.sqrt(np.log(10) - h / 2 / a)
    curvature = abs((4 * y_c**2 / b**4 - 2 / b**2) / (2 * y_c / b**2))  # |χ''/χ'| at y_c
    assert width == pytest.approx(2 * y_c, abs=2 * h**2 / 8 * curvature * 1.01)
    assert all(np.isnan(contour_extent(x, y, 0.05 * chi, 0.1)))
