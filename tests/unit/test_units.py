"""ionex.units: quantities at the edges — splitting a value into magnitude and unit, and
converting bounds given in other units (offset temperatures included)."""

import os
import re
from pathlib import Path

import pytest

from ionex.units import UnitError, in_unit, split_quantity


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1e-15 m^2/s", (1e-15, "m^2/s")),
        ("420 degC", (420.0, "degC")),
        (" -3.3e-12 1/Pa ", (-3.3e-12, "1/Pa")),
        (0.5, (0.5, "")),
        (3, (3.0, "")),
        (".5 h", (0.5, "h")),
    ],
)
def test_split_quantity(value, expected):
    assert split_quantity(value, "x") == expected


@pytest.mark.parametrize(
    "value, words",
    [
        ("fast", "expected a number followed by a unit"),
        ("3 blorps", "cannot read the unit"),
        (True, "expected a number or a string"),
        (float("nan"), "non-finite"),
    ],
)
def test_split_quantity_rejects(value, words):
    with pytest.raises(UnitError, match=words):
        split_quantity(value, "step[1].duration")


def test_in_unit_converts_and_checks_dimensions():
    assert in_unit("300 degC", "K", "b") == pytest.approx(573.15)
    assert in_unit("573.15 K", "degC", "b") == pytest.approx(300.0)
    assert in_unit("1 um^2/h", "m^2/s", "b") == pytest.approx(1e-12 / 3600)
    assert in_unit("2 h", "h", "b") == 2.0  # same unit: the magnitude as written
    assert in_unit(0.25, "", "b") == 0.25
    with pytest.raises(
        UnitError, match="parameter.min: found '3 s'; expected a value in units of m"
    ):
        in_unit("3 s", "m", "parameter.min")


@pytest.mark.parametrize(
    "value, kind, words",
    [
        ("420 C", "temperature", ["C is the coulomb", '"420 degC"']),
        ("80 F", "temperature", ["F is the farad", '"80 degF"']),
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


@pytest.mark.parametrize(
    "value, kind, si",
    [
        ("420 degC", "temperature", 693.15),
        ("1e-15 m^2/s", "diffusivity", 1e-15),
        ("10.9 mol/L", "concentration", 10900.0),
        ("3 cm^3/mol", "molar_volume", 3e-6),
        ("-3.3e-12 1/Pa", "inverse_pressure", -3.3e-12),
        ("0.16 eV", "energy", 0.16 * 1.602176634e-19),
        ("1.4e28 m^-3", "number_density", 1.4e28),
        ("70.0963 deg", "angle", 1.2234112284657013),
        ("0.5", "dimensionless", 0.5),
        (0.5, "dimensionless", 0.5),
        ("1 m**2/s", "diffusivity", 1.0),
        ("1 m² s⁻¹", "diffusivity", 1.0),
        ("8h", "time", 28800.0),
    ],
)
def test_the_documented_forms_of_a_quantity_read(value, kind, si):
    from ionex.units import to_si

    assert to_si(value, kind, "field") == pytest.approx(si, rel=1e-12)


@pytest.mark.parametrize(
    "value",
    [
        "10**10**10 m^2/s",
        "9**9**9 m^2/s",
        "1 m^99^99^99",
        "1 10**10**10",
        "1 ((((km^99)^99)^99)^99)",
        "1 km^99 km^99 km^99 km^99 km^99 km^99",
    ],
)
def test_a_power_in_the_unit_is_refused_at_once_not_evaluated(value):
    import time

    from ionex.units import to_si

    started = time.perf_counter()
    with pytest.raises(UnitError) as info:
        to_si(value, "diffusivity", "ions.K.D")
    assert time.perf_counter() - started < 0.5
    message = str(info.value)
    assert message.startswith("ions.K.D: ") and repr(value) in message and "expected" in message, (
        message
    )


def test_a_non_finite_value_is_named_as_written():
    from ionex.units import to_si

    with pytest.raises(
        UnitError, match=r"found '1e400 h', a non-finite value inf; expected a finite number"
    ):
        to_si("1e400 h", "time", "duration")


def test_a_value_read_before_is_the_same_value_and_errors_still_name_their_field():
    """to_si remembers the texts it has read (fits and sweeps rebuild recipes from the
    same texts): the remembered value is the value, and a bad text is still an error that
    names the field of each caller."""
    from ionex.units import UnitError, to_si

    first = to_si("420 degC", "temperature", "a")
    assert to_si("420 degC", "temperature", "b") == first == 693.15
    for what in ("step[1].temperature", "step[2].temperature"):
        with pytest.raises(UnitError, match=rf"^{re.escape(what)}: "):
            to_si("420 C", "temperature", what)
    # the same text as another kind is read as that kind
    with pytest.raises(UnitError, match="dimension"):
        to_si("420 degC", "time", "t")


# --------------------------------------------------------------------------- the conversions kept on disk


def test_a_second_run_converts_its_quantities_without_importing_pint(tmp_path):
    """A fresh process whose quantities were all converted by an earlier command reads them
    from the cache file and never imports pint (~0.4 s of the start); the figures' and the
    printed summary's units too (the command as users run it, not quiet). Needs fresh
    processes: the first fills the cache, the second must not import."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys; from ionex.cli import main; "
        f"rc = main(['run', {str(root / 'examples' / 'soda_lime_k_na.toml')!r}, '-o', "
        f"{str(tmp_path / 'out')!r}, '--force']); "
        "print('result', rc, 'pint' in sys.modules)"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "MPLBACKEND": "Agg"}
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert first.stdout.splitlines()[-1].split() == ["result", "0", "True"], first.stderr
    files = list((tmp_path / "cache" / "ionex").glob("units-*.json"))
    assert len(files) == 1
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert "depth frac_K=0.5" in second.stdout  # the summary was printed
    assert second.stdout.splitlines()[-1].split() == ["result", "0", "False"], second.stderr
    assert (tmp_path / "out" / "profiles.png").stat().st_size > 0


def test_a_damaged_cache_file_only_turns_the_cache_off(tmp_path, monkeypatch):
    from ionex import units

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cache = units._DiskCache()
    path = cache._locate()
    path.parent.mkdir(parents=True)
    path.write_text("[[1, 2", encoding="utf-8")  # cut short
    cache.load()
    assert cache.path is None  # off: nothing read, nothing written
    cache.remember()
    cache.save()
    assert path.read_text(encoding="utf-8") == "[[1, 2"
    # a value of the wrong type is not taken
    path.write_text('[["length", "3 furlongs", "a lot"]]', encoding="utf-8")
    monkeypatch.setattr(units, "_SI_CACHE", {})
    units._DiskCache().load()
    assert units._SI_CACHE == {}


def test_si_factor_and_shown_in():
    from ionex.units import UnitError, shown_in, si_factor

    assert si_factor("um") == pytest.approx(1e-6)
    assert si_factor("h") == pytest.approx(3600.0)
    assert shown_in([1e6, 2e6], "MPa") == pytest.approx([1.0, 2.0])
    with pytest.raises(UnitError, match="offset unit"):
        si_factor("degC")
