"""The shared argument checks: each rule passes good values through and rejects a bad one
with a message naming the argument, the value (and its index in an array) and what was expected."""

import math

import numpy as np
import pytest

from ionex.validators import finite, positive, same_length, vector, within


def test_vector_returns_a_float_array():
    a = vector([1, 2, 3], "depth")
    assert a.dtype == float and a.tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize(
    "values, message",
    [
        ([[1.0, 2.0], [3.0, 4.0]], "depth must be a 1-D sequence of numbers, got shape (2, 2)"),
        (5.0, "depth must be a 1-D sequence of numbers, got shape ()"),
        (
            [1.0, math.nan, 3.0],
            "depth[1] = nan is not a finite number; expected finite values only",
        ),
    ],
)
def test_vector_bad_input(values, message):
    with pytest.raises(ValueError) as info:
        vector(values, "depth")
    assert str(info.value) == message


def test_finite_names_the_first_bad_value_and_the_context():
    finite(np.array([0.0, -1e300]), "y")
    with pytest.raises(ValueError) as info:
        finite(np.array([1.0, 2.0, math.inf, math.nan]), "y", "Arrhenius dataset 'A'")
    assert str(info.value) == (
        "Arrhenius dataset 'A': y[2] = inf is not a finite number; expected finite values only"
    )


def test_same_length():
    same_length(3, D=np.ones(3), D_err=None)
    with pytest.raises(ValueError) as info:
        same_length(3, D=np.ones(3), D_err=np.ones(2))
    assert str(info.value) == "D_err has 2 values; expected 3, one per point"


@pytest.mark.parametrize("good", [1e-300, 3, np.float64(2.0), np.array(4.0), np.ones(3)])
def test_positive_accepts(good):
    positive(good, "x", "m")


@pytest.mark.parametrize(
    "value, unit, message",
    [
        (0.0, "m", "Sample.thickness: found 0 m; expected a finite number > 0 m"),
        (-2, "m", "Sample.thickness: found -2 m; expected a finite number > 0 m"),
        (math.inf, "m", "Sample.thickness: found inf m; expected a finite number > 0 m"),
        (math.nan, "m", "Sample.thickness: found nan m; expected a finite number > 0 m"),
        (True, "m", "Sample.thickness: found True m; expected a finite number > 0 m"),
        ("1 mm", "m", "Sample.thickness: found '1 mm' m; expected a finite number > 0 m"),
        (0.0, "", "Sample.thickness: found 0; expected a finite number > 0"),
    ],
)
def test_positive_scalar_bad_input(value, unit, message):
    with pytest.raises(ValueError) as info:
        positive(value, "Sample.thickness", unit)
    assert str(info.value) == message


@pytest.mark.parametrize(
    "values, message",
    [
        (np.array([300.0, 0.0, -1.0]), "temperature[1]: found 0 K; expected a value > 0 K"),
        ([300.0, math.nan], "temperature[1]: found nan K; expected a value > 0 K"),
    ],
)
def test_positive_array_bad_input(values, message):
    with pytest.raises(ValueError) as info:
        positive(values, "temperature", "K")
    assert str(info.value) == message


def test_within_accepts_the_bounds_themselves():
    within(np.array([100.0, 3000.0]), (100, 3000), "temperature", "K")
    within(100.0, (100, 3000), "temperature", "K")


@pytest.mark.parametrize(
    "value, message",
    [
        (
            np.array([700.0, 1e5]),
            "temperature[1]: found 100000 K; expected a value in [100, 3000] K",
        ),
        (np.array([math.nan]), "temperature[0]: found nan K; expected a value in [100, 3000] K"),
        (50.0, "temperature: found 50 K; expected a value in [100, 3000] K"),
        (math.nan, "temperature: found nan K; expected a value in [100, 3000] K"),
    ],
)
def test_within_bad_input(value, message):
    with pytest.raises(ValueError) as info:
        within(value, (100, 3000), "temperature", "K")
    assert str(info.value) == message
