"""The 2-D exchange solver through a mask opening: mesh, symmetry, conservation, boundary
conditions, time programs and refusals (ionex.solvers.diffusion2d, ionex.grids.mask_grid)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ionex.errors import SolverError
from ionex.grids import Grid2D, mask_grid, uniform_grid
from ionex.physics.kirchhoff import KirchhoffLaw
from ionex.solvers.diffusion2d import open_fractions, solve_diffusion_2d

D = 1e-14  # m²/s
T = 3600.0  # s
L_D = math.sqrt(D * T)  # m
OPENING = 2 * L_D
LAW = KirchhoffLaw.rational(0.1 * D, D)  # K⁺ entering Na⁺ glass-like: D_A/D_B = 0.1


def _grid(n=40):
    return mask_grid(OPENING, 6 * L_D, 6 * L_D, n, n, diffusion_length=L_D)


def _exchange(grid, **kwargs):
    return solve_diffusion_2d(
        grid, LAW, np.zeros(grid.shape), T, opening=OPENING, surface_fraction=1.0, **kwargs
    )


def test_mask_grid_is_mirror_symmetric_and_finest_at_the_surface_and_the_edges():
    grid = _grid(40)
    f = grid.lateral_faces
    assert np.array_equal(f, -f[::-1])
    assert 0.0 in f and OPENING / 2 in f and -OPENING / 2 in f
    widths = grid.lateral_volumes
    edge = int(np.flatnonzero(f == OPENING / 2)[0])
    assert widths[edge - 1] == pytest.approx(widths.min(), rel=0.2)
    assert widths[edge] == pytest.approx(widths.min(), rel=0.2)
    assert np.all(np.diff(grid.depth.volumes) > 0)
    assert grid.shape == (40, 40) and grid.areas.shape == (40, 40)
    assert grid.areas.sum() == pytest.approx(6 * L_D * 12 * L_D, rel=1e-12)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(opening=13 * L_D), "opening"),
        (dict(n_lateral=41), "n_lateral"),
        (dict(n_depth=1), "n_depth"),
        (dict(depth=-1.0), "depth"),
    ],
)
def test_mask_grid_refuses_bad_arguments(kwargs, words):
    args = dict(opening=OPENING, depth=6 * L_D, half_width=6 * L_D, n_depth=20, n_lateral=20)
    args.update(kwargs)
    with pytest.raises(ValueError, match=words):
        mask_grid(**args)


def test_grid2d_refuses_faces_that_do_not_increase():
    with pytest.raises(ValueError, match="lateral_faces"):
        Grid2D(uniform_grid(1e-6, 4), [0.0, 2e-6, 1e-6])


def test_open_fractions_are_the_opened_part_of_each_surface_face():
    grid = Grid2D(uniform_grid(1e-6, 4), np.linspace(-2e-6, 2e-6, 5))  # 1 µm cells
    assert np.allclose(open_fractions(grid, 3e-6), [0.5, 1.0, 1.0, 0.5])
    assert np.array_equal(open_fractions(grid, None), np.ones(4))


def test_exchange_through_a_slit_is_mirror_symmetric_to_round_off():
    sol = _exchange(_grid(40))
    chi = sol.final
    assert np.max(np.abs(chi - chi[:, ::-1])) < 1e-14
    assert chi.max() <= 1.0 + 1e-2 and chi.min() > -1e-3  # ROS2 may over/undershoot ~atol
    assert sol.final_uptake > 0


def test_closed_anneal_conserves_the_total_to_round_off():
    grid = _grid(40)
    exchanged = _exchange(grid).final
    anneal = solve_diffusion_2d(
        grid, LAW, exchanged, 4 * T, opening=OPENING, surface_fraction=None, output_times=[T, 4 * T]
    )
    total = np.sum(exchanged * grid.areas)
    # every W solve keeps Σ χ·area exactly in exact arithmetic; round-off is ~1e-16 per
    # step relative to the total, a few hundred steps
    assert np.all(np.abs(anneal.uptake) < 1e-13 * total)
    assert np.max(anneal.final) < np.max(exchanged)  # the buried profile spreads


def test_anneal_open_to_a_host_bath_loses_what_flows_out():
    grid = _grid(40)
    exchanged = _exchange(grid).final
    out = solve_diffusion_2d(
        grid,
        LAW,
        exchanged,
        T,
        opening=OPENING,
        surface_fraction=0.0,
        output_times=np.linspace(0, T, 5),
    )
    assert np.all(np.diff(out.uptake) < 0)
    assert np.max(np.abs(out.states[-1][0, np.abs(grid.lateral_centres) < OPENING / 2])) < 0.5


def test_uptake_equals_the_time_integral_of_the_flux_through_the_opening():
    grid = _grid(30)
    times = T * np.geomspace(0.1, 1.0, 201)
    sol = _exchange(grid, output_times=times, rtol=1e-5, atol=1e-7)
    # flux through the open surface faces from the stored states, independently of the
    # solver: the steady flux (Φ(χ_s) − Φ(χ₀))/(x₀) over the half cell, times the face width
    phi_s = LAW(np.array([1.0]))[0][0]
    inside = open_fractions(grid, OPENING) * grid.lateral_volumes
    flux = np.array([np.sum(inside * (phi_s - LAW(s[0])[0])) for s in sol.states])
    flux /= grid.depth.centres[0]
    integral = np.sum(0.5 * (flux[1:] + flux[:-1]) * np.diff(times))
    gained = sol.uptake[-1] - sol.uptake[0]
    # trapezoid error on 200 geometric intervals of a flux ~t^(−1/2): ~(Δln t)²/12·O(1)
    # ≈ 1e-5 (measured 4.6e-6 with rtol 1e-6); the time-stepping error of the uptake is
    # ≈ 0.1·rtol
    assert integral == pytest.approx(gained, rel=3e-5)


def test_a_uniform_state_at_the_surface_fraction_stays_put():
    grid = _grid(20)
    sol = solve_diffusion_2d(
        grid, LAW, np.full(grid.shape, 0.4), T, opening=OPENING, surface_fraction=0.4
    )
    assert np.max(np.abs(sol.final - 0.4)) < 1e-14


def test_faces_under_the_mask_are_closed():
    # nothing enters under the mask: 3 L_D beyond the edge only what spread laterally from
    # the opening arrives (measured 1e-7)
    grid = _grid(40)
    chi = _exchange(grid).final
    far = np.abs(grid.lateral_centres) > OPENING / 2 + 3 * L_D
    assert np.max(chi[:, far]) < 1e-3 * np.max(chi)


def test_output_times_are_hit_and_the_first_is_the_initial_state():
    grid = _grid(20)
    outs = [0.0, T / 3, T]
    sol = _exchange(grid, output_times=outs)
    assert np.array_equal(sol.times, outs)
    assert np.array_equal(sol.states[0], np.zeros(grid.shape))
    assert np.array_equal(sol.states[-1], sol.final)
    assert sol.uptake[0] == 0.0 and sol.uptake[-1] == sol.final_uptake


def test_temperature_program_with_a_breakpoint_equals_two_chained_calls():
    grid = _grid(24)
    hot = KirchhoffLaw.rational(0.3 * D, 3 * D)
    switch = T / 2
    rtol, atol = 1e-4, 1e-6
    programme = solve_diffusion_2d(
        grid,
        lambda t: LAW if t < switch else hot,
        np.zeros(grid.shape),
        T,
        opening=OPENING,
        surface_fraction=1.0,
        breakpoints=[switch],
        rtol=rtol,
        atol=atol,
    )
    first = solve_diffusion_2d(
        grid, LAW, np.zeros(grid.shape), switch, opening=OPENING, surface_fraction=1.0,
        rtol=rtol, atol=atol,
    )  # fmt: skip
    second = solve_diffusion_2d(
        grid, hot, first.final, T - switch, opening=OPENING, surface_fraction=1.0,
        rtol=rtol, atol=atol,
    )  # fmt: skip
    # identical up to the switch; after it the two step sequences differ, each with a
    # global error ≈ 0.1·rtol (tests/validation/test_diffusion2d_references.py)
    assert np.max(np.abs(programme.final - second.final)) < rtol


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(initial=np.zeros((3, 3))), "initial: found shape"),
        (dict(initial=np.full((20, 20), np.nan)), "non-finite"),
        (dict(surface_fraction=1.5), "surface_fraction"),
        (dict(duration=-1.0), "duration"),
        (dict(opening=-1.0), "opening"),
        (dict(grid2d=uniform_grid(1e-6, 4)), "Grid2D"),
        (dict(rtol=0.0), "rtol"),
        # field-assisted steps: through the mask opening, with a closed surface, a NaN
        # current, a tabulated law (no D_A, D_B to divide the current)
        (dict(current=1e-9), "whole surface open"),
        (dict(current=1e-9, opening=None, surface_fraction=None), "whole surface open"),
        (dict(current=math.nan, opening=None), "finite current density"),
        (
            dict(current=1e-9, opening=None, law_at=KirchhoffLaw.tabulate(lambda c: 0 * c + D)),
            "Nernst–Planck",
        ),
    ],
)
def test_bad_input_is_refused(kwargs, words):
    grid = _grid(20)
    args = dict(
        grid2d=grid,
        law_at=LAW,
        initial=np.zeros(grid.shape),
        duration=T,
        opening=OPENING,
        surface_fraction=1.0,
    )
    args.update(kwargs)
    with pytest.raises(ValueError, match=words):
        solve_diffusion_2d(**args)


def test_a_law_that_breaks_down_is_reported_with_time_and_place():
    broken = KirchhoffLaw.tabulate(lambda chi: np.where(chi > 0.3, np.nan, 1e-14))
    grid = _grid(20)
    with pytest.raises(SolverError) as info:
        solve_diffusion_2d(
            grid, broken, np.zeros(grid.shape), T, opening=OPENING, surface_fraction=1.0
        )
    msg = str(info.value)
    assert "failed at t = " in msg and "depth" in msg and "D̃" in msg
    lateral = float(msg.split("lateral ")[1].split(" m")[0])
    assert abs(lateral) < OPENING / 2  # the trouble starts at the open surface


def test_a_field_front_too_sharp_for_the_mesh_is_refused_with_place_and_remedy():
    # D_A/D_B = 0.1 and j∞ = 3e-8 m/s: the self-sharpened exchange front is ~D_A/j∞ = 0.03 µm
    # wide, on cells of ~1.5 µm
    grid = Grid2D(uniform_grid(60e-6, 40), np.linspace(-2e-6, 2e-6, 5))
    with pytest.raises(SolverError) as info:
        solve_diffusion_2d(
            grid, LAW, np.zeros(grid.shape), T, opening=None, surface_fraction=1.0, current=3e-8
        )
    msg = str(info.value)
    assert "field-assisted step" in msg and "depth" in msg and "depth_cells" in msg


def test_a_field_assisted_burial_keeps_more_of_the_core_symmetric_and_non_negative():
    # with χ_s = 0 the melt draws the K⁺ out by diffusion; the field drives the melt's Na⁺
    # in and the K⁺ away from the face, so less of it is lost than in the thermal burial
    grid = Grid2D(uniform_grid(40e-6, 80), np.linspace(-6e-6, 6e-6, 25))
    x = grid.depth.centres[:, None]
    y = grid.lateral_centres[None, :]
    start = np.exp(-(((x - 2e-6) / 1.5e-6) ** 2) - (y / 2e-6) ** 2)
    total0 = float(np.sum(start * grid.areas))
    kept = {}
    for current in (None, 1e-9):
        sol = solve_diffusion_2d(
            grid, LAW, start, T, opening=None, surface_fraction=0.0, current=current,
            rtol=1e-4, atol=1e-6,
        )  # fmt: skip
        kept[current] = total0 + sol.final_uptake
        np.testing.assert_allclose(sol.final, sol.final[:, ::-1], atol=1e-12)
        assert sol.final.min() > -1e-6
    assert kept[1e-9] > kept[None]
