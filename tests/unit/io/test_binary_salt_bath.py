"""Salt baths in binary recipes: ``bath = { salt = { … } }`` with [bath] equilibria gives
the step the incoming ion's surface fraction the melt holds at the step's temperature.

References: the closed form of an ideal pair exchange, χ_K/(1 − χ_K) = K(T)·x_K/x_Na with
K(T) by van 't Hoff from [[bath.pair]]; the multicomponent engine run on the same salt with
two ions; one-line errors for what a binary recipe cannot do."""

import math
import textwrap

import numpy as np
import pytest

from ionex.cli import main
from ionex.constants import GAS_CONSTANT, ZERO_CELSIUS
from ionex.io.recipe import load_recipe
from ionex.process.simulate import process_grid, simulate

BINARY = textwrap.dedent(
    """
    name = "K/Na in a salt"
    [glass]
    host_ion = "Na"
    total_mobile = "5 mol/L"
    thickness = "1 mm"
    [ions.K]
    D = "1e-15 m^2/s"
    [ions.Na]
    D = "1e-14 m^2/s"
    [bath]
    [[bath.pair]]
    ion = "K"
    partner = "Na"
    constant = 0.009
    reference_temperature = "400 degC"
    enthalpy = "20 kJ/mol"
    [[step]]
    bath = { salt = { KNO3 = "99.7 mol%", NaNO3 = "0.3 mol%" } }
    temperature = "380 degC"
    duration = "4 h"
    """
)


def _write(tmp_path, text, name="salt.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_surface_fraction_is_the_ideal_pair_equilibrium(tmp_path):
    """χ/(1 − χ) = K(380 °C)·x_K/x_Na, K(T) = 0.009·exp(−ΔH/R (1/T − 1/T_ref)); the
    relative error is that of reading "99.7 mol%" and the closed form, a few ε."""
    recipe = load_recipe(_write(tmp_path, BINARY))
    t, t_ref = ZERO_CELSIUS + 380.0, ZERO_CELSIUS + 400.0
    k = 0.009 * math.exp(-20e3 / GAS_CONSTANT * (1 / t - 1 / t_ref))
    ratio = k * 0.997 / 0.003
    assert recipe.steps[0].surface_fraction == pytest.approx(ratio / (1 + ratio), rel=1e-14)
    # pure KNO3 holds a surface of K only
    pure = load_recipe(
        _write(tmp_path, BINARY.replace('"99.7 mol%", NaNO3 = "0.3 mol%"', '"100 mol%"'), "p.toml")
    )
    assert pure.steps[0].surface_fraction == 1.0


def test_binary_salt_run_equals_the_multicomponent_engine_on_the_same_salt(tmp_path):
    """The same glass and salt as a two-ion multicomponent recipe: the same surface
    fraction exactly, the same profile to the engines' agreement at default tolerances
    (1.1e-6 measured for two ions; bounded here by 1e-5)."""
    a = load_recipe(_write(tmp_path, BINARY))
    multi_text = BINARY.replace('host_ion = "Na"', "initial = { Na = 1.0, K = 0.0 }")
    b = load_recipe(_write(tmp_path, multi_text, "m.toml"))
    assert b.steps[0].bath["K"] == a.steps[0].surface_fraction
    grid = process_grid(a)
    ref, got = simulate(a, grid=grid), simulate(b, grid=grid)
    assert np.max(np.abs(got.fraction("K")[-1] - ref.frac_incoming[-1])) < 1e-5


def test_salt_sweeps_and_edits_in_memory(tmp_path):
    recipe = load_recipe(_write(tmp_path, BINARY))
    richer = recipe.with_values({"step[1].bath.salt.NaNO3": 0.01, "step[1].bath.salt.KNO3": 0.99})
    assert richer.steps[0].surface_fraction < recipe.steps[0].surface_fraction


@pytest.mark.parametrize(
    "old, new, words",
    [
        ('NaNO3 = "0.3 mol%"', 'LiNO3 = "0.3 mol%"', ["step[1].bath.salt.LiNO3", "no [ions.Li]"]),
        (
            '"380 degC"',
            '{ program = [["0 h", "380 degC"], ["4 h", "400 degC"]] }',
            ["step[1].temperature", "constant temperature"],
        ),
        (
            "[bath]\n",
            '[bath]\nsalt_mass = "1 kg"\nload_area = "1 m^2"\nloads_before = 3\n',
            ["bath.loads_before", "multicomponent recipe"],
        ),
        ("[[bath.pair]]", None, ["step[1].bath.salt", "[bath] table"]),
    ],
)
def test_what_a_binary_salt_cannot_do_is_one_line_exit_2(tmp_path, capsys, old, new, words):
    if new is None:  # no equilibria at all
        text = BINARY.split("[bath]\n")[0] + BINARY.split('enthalpy = "20 kJ/mol"\n')[1]
    else:
        text = BINARY.replace(old, new, 1)
    assert main(["run", str(_write(tmp_path, text, "bad.toml")), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    for w in words:
        assert w in err, (w, err)
