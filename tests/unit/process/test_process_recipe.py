"""The recipe dataclasses refuse numerics outside their sane ranges and temperatures at
which nothing diffuses, stating the range or the step, temperature and D."""

import pytest

from ionex.physics.arrhenius import ArrheniusLaw
from ionex.physics.interdiffusion import InterdiffusionModel
from ionex.process.recipe import NUMERICS_RANGES, Glass, Numerics, Recipe, Step
from ionex.process.temperature import TemperatureProgram


def test_the_defaults_lie_inside_the_ranges():
    n = Numerics()
    for name, (low, high, _) in NUMERICS_RANGES.items():
        assert low <= getattr(n, name) <= high


@pytest.mark.parametrize(
    "name, value, words",
    [
        (
            "cells_per_efold",
            0.1,
            "cells_per_efold: found 0.1; expected a number of cells per e-fold of depth within [10, 1000]",
        ),
        ("cells_per_efold", 1e7, "found 1e+07"),
        ("rtol", 1e6, "rtol: found 1e+06; expected a relative tolerance within [1e-10, 0.1]"),
        ("atol", float("nan"), "atol: found nan"),
        (
            "domain_lengths",
            1e-6,
            "domain_lengths: found 1e-06; expected a slab depth in diffusion lengths within [6, 1000]",
        ),
    ],
)
def test_numerics_outside_their_range_are_refused(name, value, words):
    with pytest.raises(ValueError) as info:
        Numerics(**{name: value})
    assert words in str(info.value)


def test_a_temperature_where_d_underflows_names_step_temperature_and_d():
    model = InterdiffusionModel(
        incoming=ArrheniusLaw(1.55e-7, 110e3), host=ArrheniusLaw(4.8e-7, 100e3)
    )
    cold = Step(3600.0, TemperatureProgram.constant(20.0), 1.0, name="cold bath")
    with pytest.raises(ValueError) as info:
        Recipe(glass=Glass("Na", 10900.0), incoming_ion="K", model=model, steps=(cold,))
    message = str(info.value)
    for words in (
        "step 1 (cold bath)",
        "at 20 K",
        "D̃ is 0 m²/s",
        "D_K = 8.04e-295 m²/s",
        "D_Na = ",
        "expected a temperature at which D̃ is finite and > 0",
    ):
        assert words in message, message
