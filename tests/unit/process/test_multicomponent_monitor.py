"""The multicomponent process monitor (ionex.process.multicomponent_monitor) against
run_multicomponent of the same recipe, of the same temperature program, and of the salt it
ages; the mass balance of the salt this load leaves against ionex.physics.salt_bath; the
CLI on the example recipe, and what it refuses.

Tolerances. Fed at once, the monitor makes the very solver call run_multicomponent makes
(same mesh, D_i(T(t)), breakpoints, outputs): equal to round-off (measured: 0.0). Fed in
pieces, each piece restarts the step-size control, so the two runs differ by the global
error of the Rosenbrock integration, which is larger than its local tolerance: against a
run at 1e-5 × the tolerances, one run on the ramped log below is off by 11–14 atol at its
end and 23–24 atol at the 2 h output, at atol = 4e-6, 4e-7 and 4e-8 (rtol = 100 atol) —
proportional to atol, so time-integration error only. Two runs then differ by at most twice
that: bound PIECES = 50 atol. Measured here: 2.1–3.3 atol (the flat log in two pieces),
8.4–29 atol (the ramped log in seven pieces, one restart on the 1 h output).
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from ionex.cli import main
from ionex.constants import ZERO_CELSIUS
from ionex.io.furnace_log import read_log_file
from ionex.io.recipe import load_recipe
from ionex.physics.salt_bath import age_bath
from ionex.process.multicomponent import MulticomponentStep, run_multicomponent
from ionex.process.multicomponent_monitor import MulticomponentMonitor
from ionex.process.temperature import TemperatureProgram

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "monitor_las.toml"
T_PLAN = ZERO_CELSIUS + 400.0
HOURS = 4.0
PIECES = 50.0  # × atol: pieces against one run (twice the global error, see the docstring)


@pytest.fixture(scope="module")
def plan():
    return load_recipe(EXAMPLE)


@pytest.fixture(scope="module")
def planned(plan):
    """run_multicomponent of the example: the salt aged by 40 loads, then the 4 h step."""
    return run_multicomponent(plan)


@pytest.fixture(scope="module")
def flat(plan):
    """The monitor fed the plan's own temperature, two samples: the whole step at once."""
    m = MulticomponentMonitor(plan)
    m.advance([0.0, HOURS * 3600.0], [T_PLAN, T_PLAN])
    return m


def ramp(every=10.0):
    """A smooth log: 380 °C rising to 410 °C over 1.5 h, with a slow 1 K swing (s, K)."""
    t = np.arange(0.0, HOURS * 3600.0 + 1.0, every)
    return t, ZERO_CELSIUS + 380.0 + 30.0 * np.clip(t / 5400.0, 0.0, 1.0) + np.sin(t / 1800.0)


def run_of_program(recipe, surface, t, T, grid):
    """run_multicomponent of the step with the log as its temperature program and the
    surface fractions written out (a salt needs a constant temperature)."""
    program = TemperatureProgram(tuple(t - t[0]), tuple(T), "log")
    step = MulticomponentStep(float(t[-1] - t[0]), program, dict(surface), recipe.steps[0].name)
    return run_multicomponent(replace(recipe, steps=(step,), ageing=None), grid=grid)


def front(result, n):
    return result.fractions[..., :n]


# --------------------------------------------------------------------------- the solver


def test_a_flat_log_is_run_multicomponent_of_the_recipe(plan, planned, flat):
    """At once: the same solver call (round-off; measured 0.0) — profiles at the output
    times and at the end, uptake, CS, DOC, CT."""
    n = flat.grid.n_cells
    result = flat.result()
    assert result.times.tolist() == [3600.0, 7200.0, HOURS * 3600.0] == planned.times.tolist()
    np.testing.assert_allclose(result.fractions, planned.fractions, rtol=0, atol=1e-14)
    np.testing.assert_allclose(flat.fractions, front(planned, n)[-1], rtol=0, atol=1e-14)
    np.testing.assert_allclose(result.uptake, planned.uptake, rtol=1e-13, atol=0)
    s = flat.snapshot()
    expected = planned.metrics[-1]
    assert s.compressive_stress == pytest.approx(expected.compressive_stress, rel=1e-12)
    assert s.depth_of_compression == pytest.approx(expected.depth_of_compression, rel=1e-12)
    assert s.central_tension == pytest.approx(expected.central_tension, rel=1e-12)
    assert s.time == HOURS * 3600.0 and s.n_samples == 2 and s.temperature == T_PLAN
    np.testing.assert_allclose(s.stress, planned.stress[-1], rtol=0, atol=1e-6)  # Pa


def test_a_flat_log_in_pieces_is_the_run_to_solver_tolerance(plan, planned):
    """A flat log sampled every minute, fed in two pieces (the recipe's output times inside
    them): the run to PIECES × atol; CS within what that moves it (E/(1−ν)·Σ|B_i|·Δχ, twice
    for the balancing terms)."""
    m = MulticomponentMonitor(plan)
    t = np.arange(0.0, HOURS * 3600.0 + 1.0, 60.0)
    T = np.full(t.size, T_PLAN)
    m.advance(t[:80], T[:80])
    m.advance(t[80:], T[80:])
    n, bound = m.grid.n_cells, PIECES * plan.atol
    assert np.max(np.abs(m.fractions - front(planned, n)[-1])) < bound
    assert m.output_times.tolist() == [3600.0, 7200.0]
    assert np.max(np.abs(m.output_states - front(planned, n)[:2])) < bound
    glass = plan.stress.glass
    scale = (
        glass.youngs_modulus / (1 - glass.poisson_ratio) * sum(map(abs, glass.dilations.values()))
    )
    expected = planned.metrics[-1].compressive_stress
    assert abs(m.snapshot().compressive_stress - expected) < 2 * scale * bound


@pytest.mark.parametrize("rtol, atol", [(4e-4, 4e-6), (4e-5, 4e-7)])
def test_a_ramped_log_is_run_multicomponent_of_that_program(plan, rtol, atol):
    """A dense ramped log (1441 samples: no breakpoints, the step control follows T):
    fed at once it is run_multicomponent of the log as a temperature program (round-off);
    fed in seven pieces — one of them a single sample, one ending on the 1 h output — to
    PIECES × atol, profiles, outputs and uptake."""
    recipe = replace(plan, rtol=rtol, atol=atol)
    t, T = ramp()
    once = MulticomponentMonitor(recipe)
    once.advance(t, T)
    reference = run_of_program(recipe, once.surface_fractions(), t, T, once.grid)
    n, bound = once.grid.n_cells, PIECES * atol
    np.testing.assert_allclose(once.fractions, front(reference, n)[-1], rtol=0, atol=1e-14)
    assert once.snapshot().compressive_stress == pytest.approx(
        reference.metrics[-1].compressive_stress, rel=1e-12
    )
    pieces = MulticomponentMonitor(recipe)
    cuts = [0, 1, 2, 30, 361, 362, 1100, t.size]  # t[360] = 1 h
    for a, b in zip(cuts[:-1], cuts[1:]):
        pieces.advance(t[a:b], T[a:b])
    assert pieces.n_samples == t.size and pieces.time == HOURS * 3600.0
    assert np.max(np.abs(pieces.fractions - front(reference, n)[-1])) < bound
    assert pieces.output_times.tolist() == [3600.0, 7200.0]
    assert np.max(np.abs(pieces.output_states - front(reference, n)[:2])) < bound
    # uptake = C_T·(2 faces)·Σ Δχ·width over the half plate: at most that of Δχ = bound
    per_area = recipe.glass.total_mobile * 2 * once.grid.length
    got = np.array(list(pieces.snapshot().uptake.values()))
    assert np.max(np.abs(got - reference.uptake[-1])) < per_area * bound


def test_resuming_from_the_saved_state_is_exact(plan):
    fresh = replace(plan, ageing=None)  # the fresh salt: the state does not depend on it
    t, T = ramp(60.0)
    whole = MulticomponentMonitor(fresh)
    whole.advance(t[:100], T[:100])
    whole.advance(t[100:], T[100:])
    first = MulticomponentMonitor(fresh)
    first.advance(t[:100], T[:100])
    resumed = MulticomponentMonitor.from_state(fresh, first.state())
    resumed.advance(t[100:], T[100:])
    for key, value in whole.state().items():
        np.testing.assert_array_equal(resumed.state()[key], value, err_msg=key)


# --------------------------------------------------------------------------- the salt


def test_the_aged_salt_is_run_multicomponent_s(plan, planned, flat):
    """The monitored step holds the surface fractions of run_multicomponent's aged salt
    (exactly: the same ageing run); at the plan's temperature this load gives the salt
    what run_multicomponent's next load gives it (released_last_load: the same run)."""
    (aged,) = planned.aged_baths
    assert flat.surface_fractions() == dict(aged.aged_surface)
    bath = flat.snapshot().bath
    assert bath.melt == aged.aged.melt and bath.fresh_melt == aged.fresh.melt
    assert bath.surface == aged.aged_surface
    assert bath.surface_at_logged_temperature == aged.aged_surface  # the log is at the plan's
    for ion in plan.species:
        assert bath.released_this_load[ion] == pytest.approx(
            aged.released_last_load[ion], rel=1e-13, abs=1e-18
        )
    assert 1e-5 < bath.melt["Li"] < 1e-3 and bath.melt["Na"] > 0.002  # given off by 40 loads


def test_the_salt_after_this_load_is_age_bath_s(plan, planned, flat):
    """Reference ionex.physics.salt_bath: age_bath of the fresh salt by the 40 loads (N times
    the mean load) and then this one; its equilibrium at the plan's temperature is what the
    next load meets."""
    (aged,) = planned.aged_baths
    bath = flat.snapshot().bath
    a = plan.ageing
    loads = [{ion: a.loads_before * v for ion, v in aged.released_per_load.items()}]
    state = age_bath(aged.fresh.melt, a.salt_mass, loads + [dict(bath.released_this_load)])[-1]
    for ion, x in state.melt.items():
        assert bath.melt_after_this_load[ion] == pytest.approx(x, rel=1e-12, abs=1e-18)
    chemistry = plan.steps[0].salt.chemistry
    expected = chemistry.surface_fractions(dict(bath.melt_after_this_load), T_PLAN)
    for ion, chi in bath.surface_after_this_load.items():
        assert chi == pytest.approx(expected[ion], rel=1e-12)
    assert math.fsum(bath.released_this_load.values()) == pytest.approx(0.0, abs=1e-15)
    assert bath.released_this_load["K"] < 0 < bath.released_this_load["Na"]  # K in, Na out


def test_the_surface_is_the_plans_while_the_log_moves_d(plan):
    """The bath holds the salt's surface fractions at the plan's temperature; the snapshot
    gives those at the last logged one (the salt's equilibrium there), not applied."""
    m = MulticomponentMonitor(replace(plan, ageing=None))
    t, T = ramp(600.0)
    m.advance(t, T)
    salt = plan.steps[0].salt
    b = m.snapshot().bath
    assert dict(b.surface) == salt.surface_fractions(T_PLAN) == m.surface_fractions()
    assert dict(b.surface_at_logged_temperature) == salt.surface_fractions(float(T[-1]))
    assert b.surface_at_logged_temperature["K"] != b.surface["K"]
    assert b.released_this_load is None  # fresh salt, no load area


# --------------------------------------------------------------------------- what it refuses


def test_the_monitored_step_must_be_the_only_one_and_a_bath(plan):
    step = plan.steps[0]
    anneal = MulticomponentStep(3600.0, step.temperature, None, "anneal")
    fresh = replace(plan, ageing=None)
    with pytest.raises(ValueError, match=r"one bath step; the recipe has 2 step\(s\)"):
        MulticomponentMonitor(replace(fresh, steps=(step, anneal)))
    with pytest.raises(ValueError, match="its step is an anneal"):
        MulticomponentMonitor(replace(fresh, steps=(anneal,)))
    m = MulticomponentMonitor(fresh)
    m.advance([0.0, 60.0], [T_PLAN, T_PLAN])
    with pytest.raises(ValueError, match="follow the samples already taken"):
        m.advance([30.0], [T_PLAN])
    with pytest.raises(ValueError, match="T > 0 K"):
        m.advance([120.0], [math.nan])
    state = m.state()
    state["fractions"] = state["fractions"][:, :-1]
    with pytest.raises(ValueError, match="different recipe"):
        MulticomponentMonitor.from_state(fresh, state)


# --------------------------------------------------------------------------- the CLI


def test_the_cli_follows_the_example_on_a_demo_log(tmp_path, capsys):
    """`ionex monitor` on 4 h of the demo furnace (400 °C, a ramp to 410 °C at 2.4–2.8 h, a
    drop-out, repeated lines): exit 0, state.json, profiles.csv, result.nc, profiles.png;
    the state is the monitor's fed the same log (as the io layer cleans it)."""
    log = tmp_path / "furnace.csv"
    assert (
        main(
            ["furnace-demo", str(log), "--duration", "4 h", "--interval", "60 s", "--instant", "-q"]
        )
        == 0
    )
    out = tmp_path / "mon"
    assert main(["monitor", str(EXAMPLE), "--temperature-log", str(log), "-o", str(out)]) == 0
    captured = capsys.readouterr()
    printed = captured.out
    assert "aged salt Na" in printed and "this load gives the salt" in printed
    # the log ends 10 °C above the plan, where the salt would hold 0.018 more K: said
    assert "held at the plan's 400.0 °C" in captured.err and "up to 0.018" in captured.err
    for name in ("state.json", "profiles.csv", "result.nc", "profiles.png"):
        assert (out / name).stat().st_size > 0, name
    s = json.loads((out / "state.json").read_text())
    t, T, _ = read_log_file(log, lenient=True, gap_limit=600.0)
    m = MulticomponentMonitor(load_recipe(EXAMPLE))
    m.advance(t, T)
    assert s["time_h"] == pytest.approx(HOURS) and s["n_samples"] == t.size
    assert s["compressive_stress_MPa"] == pytest.approx(
        m.snapshot().compressive_stress / 1e6, rel=1e-12
    )
    assert s["uptake_mol_m2"] == pytest.approx(m.snapshot().uptake, rel=1e-12)
    bath = s["bath"]
    assert bath["loads_before"] == 40 and 0 < bath["melt_ppm"]["Li"] < bath["melt_ppm"]["Na"]
    assert bath["surface"] == pytest.approx(m.surface_fractions(), rel=1e-15)
    assert bath["melt_after_this_load_ppm"]["Na"] > bath["melt_ppm"]["Na"]
    assert s["bath"]["surface_at_logged_temperature"]["K"] > bath["surface"]["K"]  # 410 °C: K ↑
    with xr.open_dataset(out / "result.nc") as ds:
        assert ds["time"].values.tolist() == [3600.0, 7200.0, HOURS * 3600.0]
        assert float(ds["uptake_K"][-1]) == pytest.approx(s["uptake_mol_m2"]["K"], rel=1e-12)
        assert float(ds["bath_K"][0]) == pytest.approx(bath["surface"]["K"], rel=1e-15)
        assert float(ds["melt_Li"][0]) == pytest.approx(bath["melt"]["Li"], rel=1e-15)
        assert float(ds["released_this_load_K"][0]) < 0.0 and "40 loads" in ds.attrs["salt_ageing"]
    # a log at the plan's temperature: no such warning
    flat = tmp_path / "flat.csv"
    flat.write_text("time_s,temperature_C\n0,400\n7200,400\n")
    assert main(["monitor", str(EXAMPLE), "--temperature-log", str(flat), "-o", str(out)]) == 0
    assert "held at the plan's" not in capsys.readouterr().err
    # the example is a recipe of `ionex run` too (the plan)
    assert main(["run", str(EXAMPLE), "-o", str(tmp_path / "run"), "-q", "--no-plot"]) == 0


TARGET = '\n[target]\ncompressive_stress = "500 MPa"\n'
TWO_STEPS = (
    '\n[[step]]\nname = "anneal"\nbath = "none"\ntemperature = "400 degC"\nduration = "1 h"\n'
)


@pytest.mark.parametrize(
    "options, extra, words",
    [
        (["--serve"], "", ["--serve", "live page", "binary"]),
        (["--resume"], "", ["--resume", "no checkpoint"]),
        (["--restart"], "", ["--restart", "no checkpoint"]),
        ([], TARGET, ["[target]", "binary interdiffusion recipes only", "remove [target]"]),
        ([], TWO_STEPS, ["one bath step", "2 step(s)", "only [[step]]"]),
    ],
)
def test_what_the_cli_refuses_is_one_line_and_exit_2(tmp_path, capsys, options, extra, words):
    recipe = tmp_path / "las.toml"
    text = EXAMPLE.read_text()
    if extra == TWO_STEPS:  # after the [[step]] table, before [output]
        text = text.replace("\n[output]", extra + "\n[output]")
    recipe.write_text(text + (extra if extra == TARGET else ""))
    log = tmp_path / "furnace.csv"
    log.write_text("time_s,temperature_C\n0,400\n60,400\n")
    out = tmp_path / "mon"
    code = main(["monitor", str(recipe), "--temperature-log", str(log), "-o", str(out), *options])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("ionex: error:"), err
    assert all(w in err[0] for w in words), err[0]
    assert not out.exists()
