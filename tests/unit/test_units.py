"""ionex.units: quantities at the edges — splitting a value into magnitude and unit, and
converting bounds given in other units (offset temperatures included)."""

import pytest

from ionex.units import UnitError, in_unit, split_quantity


@pytest.mark.parametrize(
    "value, expected",
    [("1e-15 m^2/s", (1e-15, "m^2/s")), ("420 degC", (420.0, "degC")), (" -3.3e-12 1/Pa ", (-3.3e-12, "1/Pa")),
     (0.5, (0.5, "")), (3, (3.0, "")), (".5 h", (0.5, "h"))],
)
def test_split_quantity(value, expected):
    assert split_quantity(value, "x") == expected


@pytest.mark.parametrize("value, words", [("fast", "expected a number followed by a unit"),
                                          ("3 blorps", "cannot read the unit"),
                                          (True, "expected a number or a string"), (float("nan"), "non-finite")])
def test_split_quantity_rejects(value, words):
    with pytest.raises(UnitError, match=words):
        split_quantity(value, "step[1].duration")


def test_in_unit_converts_and_checks_dimensions():
    assert in_unit("300 degC", "K", "b") == pytest.approx(573.15)
    assert in_unit("573.15 K", "degC", "b") == pytest.approx(300.0)
    assert in_unit("1 um^2/h", "m^2/s", "b") == pytest.approx(1e-12 / 3600)
    assert in_unit("2 h", "h", "b") == 2.0  # same unit: the magnitude as written
    assert in_unit(0.25, "", "b") == 0.25
    with pytest.raises(UnitError, match="parameter.min: found '3 s'; expected a value in units of m"):
        in_unit("3 s", "m", "parameter.min")


@pytest.mark.parametrize(
    "value, kind, words",
    [
        ("420 C", "temperature", ['C is the coulomb', '"420 degC"']),
        ("80 F", "temperature", ['F is the farad', '"80 degF"']),
        ("677", "length", ['a length with its unit, e.g. "677 nm", "677 um" or "677 mm"']),
        (677, "length", ["bare number 677", '"677 nm"']),
        ("8", "time", ['"8 h"']),
        ("70", "angle", ['an angle with its unit, e.g. "70 deg"']),
    ],
)
def test_errors_suggest_the_unit_the_user_meant(value, kind, words):
    from ionex.units import UnitError, to_si

    with pytest.raises(UnitError) as info:
        to_si(value, kind, "field")
    for w in words:
        assert w in str(info.value), str(info.value)
