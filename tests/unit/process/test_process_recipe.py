"""The recipe dataclasses refuse numerics outside their sane ranges and temperatures at
which nothing diffuses, stating the range or the step, temperature and D."""

import math

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


# --- the two kinds of step are types -----------------------------------------------------

T420 = TemperatureProgram.constant(693.15)


def test_step_builds_the_kind_that_fits_its_surface_fraction():
    from ionex.process.recipe import Anneal, BathExchange

    bath = Step(3600.0, T420, 0.8, name="bath")
    anneal = Step(3600.0, T420, None, name="anneal")
    assert type(bath) is BathExchange and bath.surface_fraction == 0.8 and not bath.is_anneal
    assert type(anneal) is Anneal and anneal.is_anneal
    assert type(Step(duration=60.0, temperature=T420, surface_fraction=1.0)) is BathExchange
    assert type(Step(duration=60.0, temperature=T420)) is Anneal
    assert all(isinstance(s, Step) for s in (bath, anneal))
    assert bath == BathExchange(3600.0, T420, 0.8, name="bath")
    assert anneal == Anneal(3600.0, T420, name="anneal")


def test_an_anneal_holds_no_surface_fraction():
    from ionex.process.recipe import Anneal

    anneal = Anneal(3600.0, T420)
    assert anneal.surface_fraction is None and math.isnan(anneal.held_fraction)
    with pytest.raises(ValueError, match="surface_fraction: found 0.5; expected none"):
        Anneal(3600.0, T420, 0.5)


def test_a_bath_exchange_needs_a_surface_fraction_within_0_and_1():
    from ionex.process.recipe import BathExchange
    from ionex.validators import FieldError

    assert BathExchange(60.0, T420, 0.25).held_fraction == 0.25
    with pytest.raises(TypeError):
        BathExchange(60.0, T420)  # a bath holds a fraction: there is no default
    for bad in (None, 1.5, -0.1, float("nan"), True):
        with pytest.raises(FieldError) as info:
            BathExchange(60.0, T420, bad)
        assert info.value.field == "surface_fraction"
    with pytest.raises(FieldError, match="duration: found -1 s"):
        BathExchange(-1.0, T420, 1.0)


def test_steps_keep_their_kind_when_copied_pickled_or_replaced():
    import pickle
    from dataclasses import replace

    from ionex.process.recipe import Anneal, BathExchange

    bath, anneal = Step(60.0, T420, 1.0), Step(60.0, T420, None)
    assert pickle.loads(pickle.dumps(bath)) == bath
    assert pickle.loads(pickle.dumps(anneal)) == anneal
    assert type(replace(bath, surface_fraction=0.5)) is BathExchange
    assert type(replace(anneal, duration=30.0)) is Anneal
