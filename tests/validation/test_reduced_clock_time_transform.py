"""Validation of the reduced clock of varying-temperature steps (process.simulate.ReducedClock)
against the exact time transform: when both ions share one activation energy,
D̃(χ, T) = s(T)·D̃(χ, T_ref), so a run over any temperature history T(t) equals the run at
the constant T_ref over θ = ∫ s(T(t)) dt — computed here independently with scipy's quad."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import quad

from ionex.io.recipe import load_recipe
from ionex.process.recipe import Step
from ionex.process.simulate import ReducedClock, process_grid, simulate
from ionex.process.temperature import TemperatureProgram

EXAMPLE = (
    Path(__file__).resolve().parents[2] / "examples" / "bk7_k_na_91h.toml"
)  # Q_K = Q_Na = 125 kJ/mol


def recipe(program, duration, rtol=1e-6, atol=1e-8):
    r = load_recipe(EXAMPLE)
    step = Step(duration=duration, temperature=program, surface_fraction=1.0, name="bath")
    return replace(
        r,
        steps=(step,),
        output_times=(),
        stress=None,
        optics=None,
        numerics=replace(r.numerics, rtol=rtol, atol=atol),
    )


def noisy_log(hours=10.0, every=30.0):
    t = np.arange(0.0, hours * 3600.0 + 1.0, every)
    T = (
        686.0
        + 15.0 * np.minimum(t / 7200.0, 1.0)
        + 0.5 * np.random.default_rng(11).standard_normal(t.size)
    )
    return TemperatureProgram(tuple(t), tuple(T), source="log")


def test_clock_equals_quadrature_of_the_arrhenius_factor():
    program = noisy_log(hours=2.0, every=120.0)
    r = recipe(program, 7200.0)
    clock = ReducedClock(r.model, program, 7200.0)
    d_ref = r.model.incoming(program(0.0))
    for t in (0.0, 59.0, 1234.5, 7200.0):
        exact, _ = quad(
            lambda s: r.model.incoming(program(s)) / d_ref,
            0.0,
            t,
            points=program.times[1:60],
            limit=500,
        )
        assert clock.theta(t)[0] == pytest.approx(exact, rel=1e-10, abs=1e-9)
    # inverse: t(θ(t)) = t at the knots
    np.testing.assert_allclose(
        clock.time(clock.theta(np.array(program.times[:50]))), program.times[:50], rtol=1e-12
    )


def test_a_noisy_log_equals_the_constant_temperature_run_over_theta():
    """Measured max |Δχ| = 2.2e-16: in θ both runs are the same computation (the scaled law
    does not depend on T when Q_A = Q_B). Bound 1e-9: θ itself agrees with quad to ~1e-12."""
    program = noisy_log()
    duration = program.times[-1]
    r_log = recipe(program, duration)
    grid = process_grid(r_log)
    logged = simulate(r_log, grid=grid)
    T_ref = program(0.0)
    d_ref = r_log.model.incoming(T_ref)
    knots = program.times
    theta = sum(
        quad(lambda s: r_log.model.incoming(program(s)) / d_ref, a, b, epsabs=0.0, epsrel=1e-12)[0]
        for a, b in zip(knots[:-1], knots[1:])
    )
    const = simulate(recipe(TemperatureProgram.constant(T_ref), theta), grid=grid)
    diff = np.max(np.abs(logged.frac_incoming[-1] - const.frac_incoming[-1]))
    assert diff < 1e-9
    # a real profile, not two empty ones: χ = 0.5 lies well inside the mesh
    assert 5e-6 < logged.depth_at(0.5)[-1] < 0.5 * grid.length
