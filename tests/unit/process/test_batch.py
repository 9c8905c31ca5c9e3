"""simulate_batch gives every recipe exactly the Result simulate gives it.

The batch path mirrors simulate()'s bookkeeping (output times per step, the state carried
between steps, the Result at the end); these tests hold the two equal, field by field and
bit for bit, over recipes that exercise every branch: plates and slabs, several steps with
an anneal, outputs at t = 0 and on step ends, Forms A/B/C, stress and optics. Runs that
cannot be batched (temperature programs, hereditary relaxation) go through simulate().
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np

from ionex.io.recipe import load_recipe, parse_recipe
from ionex.process.batch import simulate_batch
from ionex.process.simulate import simulate

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

SLAB = textwrap.dedent(
    """
    [glass]
    host_ion = "Na"
    total_mobile = "10.9 mol/L"
    [ions.K]
    D0 = "1.55e-7 m^2/s"
    Q = "110 kJ/mol"
    [ions.Na]
    D0 = "4.8e-7 m^2/s"
    Q = "100 kJ/mol"
    [model]
    {model}
    [[step]]
    bath = {{ K = 0.7 }}
    temperature = "450 degC"
    duration = "3 h"
    [[step]]
    bath = "none"
    temperature = "380 degC"
    duration = "2 h"
    [[step]]
    bath = {{ K = 1.0 }}
    temperature = {{ program = [["0 h", "400 degC"], ["1 h", "400 degC"]] }}
    [output]
    times = ["0 h", "1 h", "3 h", "4.5 h"]
    """
)
MODELS = {
    "A, Margules": 'margules_W = "-2 kJ/mol"',
    "B": "stress_coupling = 0.3",
    "C": "onsager_cross_ratio = 0.2",
}


def recipes():
    out = [
        load_recipe(EXAMPLES / "soda_lime_k_na.toml"),
        load_recipe(EXAMPLES / "bk7_k_na_91h.toml"),
    ]
    out += [parse_recipe(SLAB.format(model=m), f"slab_{k}.toml") for k, m in MODELS.items()]
    return out


def assert_same(a, b):
    for name in (
        "times",
        "depth",
        "cell_width",
        "frac_incoming",
        "step_index",
        "surface_fraction",
        "uptake",
        "surface_inflow",
    ):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    for key in ("cells", "time_steps", "rejected_steps", "linear_solves"):
        assert a.diagnostics[key] == b.diagnostics[key], key
    assert a.diagnostics.get("warning") == b.diagnostics.get("warning")
    assert (a.properties is None) == (b.properties is None)
    if a.properties is not None:
        pa, pb = a.properties, b.properties
        np.testing.assert_array_equal(pa.stress, pb.stress)
        np.testing.assert_array_equal(pa.n_te, pb.n_te)
        assert pa.metrics == pb.metrics
        assert pa.mode_counts == pb.mode_counts


def test_batched_results_are_those_of_simulate():
    batch = recipes()
    # the third step of the slabs is a one-point program: constant, and batched
    assert all(step.temperature.is_constant for r in batch for step in r.steps)
    for recipe, got in zip(batch, simulate_batch(batch)):
        assert not isinstance(got, Exception), got
        assert_same(got, simulate(recipe))


def test_one_by_one_is_simulate():
    recipe = load_recipe(EXAMPLES / "soda_lime_k_na.toml")
    (got,) = simulate_batch([recipe], batched=False)
    assert_same(got, simulate(recipe))


def test_runs_with_temperature_programs_go_through_simulate():
    ramp = 'temperature = { program = [["0 h", "400 degC"], ["2 h", "380 degC"]] }'
    recipe = parse_recipe(
        SLAB.format(model=MODELS["B"]).replace('temperature = "380 degC"', ramp), "ramp.toml"
    )
    assert not recipe.steps[1].temperature.is_constant
    plain = parse_recipe(SLAB.format(model=MODELS["B"]), "plain.toml")
    got = simulate_batch([plain, recipe, plain])
    assert_same(got[1], simulate(recipe))
    assert_same(got[0], got[2])


def test_failures_are_returned_per_run():
    good = load_recipe(EXAMPLES / "soda_lime_k_na.toml")
    got = simulate_batch([good, "not a recipe", good])
    assert isinstance(got[1], Exception)
    assert_same(got[0], got[2])
