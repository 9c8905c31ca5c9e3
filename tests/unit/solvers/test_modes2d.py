"""Unit tests of the 2D channel mode solver: input checks, symmetry, orthogonality."""

from __future__ import annotations

import numpy as np
import pytest

from ionex.solvers.modes2d import solve_modes_2d

LAMBDA = 1.0e-6


def _channel(nx=41, ny=41, dn=0.02):
    x = np.linspace(0.0, 12e-6, nx)
    y = np.linspace(-12e-6, 12e-6, ny)
    index = 1.5 + dn * np.exp(-((x / 4e-6) ** 2))[:, None] * np.exp(-((y / 4e-6) ** 2))[None, :]
    return x, y, index


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"index": np.ones((3, 3))}, "shape"),
        ({"depth": np.r_[0.0, 2e-6, 1e-6]}, "strictly increasing"),
        ({"lateral": np.r_[0.0, 0.0, 1e-6]}, "strictly increasing"),
        ({"depth": np.r_[-1e-6, 0.0, 1e-6]}, "depth\\[0\\] must be"),
        ({"wavelength": 0.0}, "wavelength"),
        ({"wavelength": -1e-6}, "wavelength"),
        ({"polarisations": ("TX",)}, "polarisation"),
        ({"modes": 0}, "modes"),
        ({"cover_index": np.ones(5)}, "cover_index"),
    ],
)
def test_bad_input_is_rejected_with_the_argument_named(kwargs, message):
    x, y, index = _channel(21, 21)
    args = {"depth": x, "lateral": y, "index": index, "wavelength": LAMBDA}
    if "depth" in kwargs and "index" not in kwargs:
        args["index"] = np.full((len(kwargs["depth"]), y.size), 1.5)
    if "lateral" in kwargs and "index" not in kwargs:
        args["index"] = np.full((x.size, len(kwargs["lateral"])), 1.5)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        solve_modes_2d(args.pop("depth"), args.pop("lateral"), args.pop("index"), **args)


def test_flat_index_cannot_guide():
    x, y, _ = _channel(21, 21)
    with pytest.raises(ValueError, match="no mode can be guided"):
        solve_modes_2d(x, y, np.full((x.size, y.size), 1.5), LAMBDA)


def test_channel_below_cut_off_gives_the_clear_message():
    # a weak, small channel under air is below its cut-off (asymmetric guide)
    x, y, index = _channel(31, 31, dn=1e-4)
    with pytest.raises(ValueError, match="no guided mode"):
        solve_modes_2d(x, y, index, LAMBDA, modes=1)


def test_missing_polarisation_map_is_named():
    x, y, index = _channel(21, 21)
    with pytest.raises(ValueError, match="no map for polarisation 'TM'"):
        solve_modes_2d(x, y, {"TE": index}, LAMBDA, polarisations=("TE", "TM"))


@pytest.mark.parametrize("pol", ["scalar", "TE", "TM"])
def test_modes_of_a_symmetric_channel_are_even_or_odd_in_y(pol):
    x, y, index = _channel()
    res = solve_modes_2d(x, y, index, LAMBDA, polarisations=(pol,), modes=3)
    for mode in res.of(pol):
        f = mode.field
        assert np.allclose(mode.lateral, -mode.lateral[::-1], atol=1e-15)
        even = np.abs(f - f[:, ::-1]).max()
        odd = np.abs(f + f[:, ::-1]).max()
        # exact mirror symmetry of the mesh and the map: parity holds to round-off
        assert min(even, odd) < 1e-8 * np.abs(f).max()


def test_scalar_fields_are_orthonormal_on_the_mesh():
    x, y, index = _channel()
    res = solve_modes_2d(x, y, index, LAMBDA, modes=4)
    modes = res.of("scalar")
    m0 = modes[0]
    hx = np.diff(
        np.r_[m0.depth[0] - (m0.depth[1] - m0.depth[0]), m0.depth, 2 * m0.depth[-1] - m0.depth[-2]]
    )
    hy = np.diff(
        np.r_[
            m0.lateral[0] - (m0.lateral[1] - m0.lateral[0]),
            m0.lateral,
            2 * m0.lateral[-1] - m0.lateral[-2],
        ]
    )
    area = np.outer(0.5 * (hx[:-1] + hx[1:]), 0.5 * (hy[:-1] + hy[1:]))
    gram = np.array([[np.sum(area * a.field * b.field) for b in modes] for a in modes])
    # the discrete operator is symmetric in the area-weighted inner product
    np.testing.assert_allclose(gram, np.eye(len(modes)), atol=1e-8)


def test_effective_indices_descend_and_guided_flags_follow_the_background():
    x, y, index = _channel()
    res = solve_modes_2d(x, y, index, LAMBDA, polarisations=("TE", "TM"), modes=3)
    for pol in ("TE", "TM"):
        n = res.effective_indices(pol)
        assert np.all(np.diff(n) <= 0)
        for mode in res.of(pol):
            assert mode.guided == (mode.effective_index > res.background_index)
        assert res.of(pol)[0].guided


def test_one_index_map_per_polarisation_is_used():
    x, y, index = _channel()
    res = solve_modes_2d(
        x, y, {"TE": index, "TM": index + 1e-3}, LAMBDA, polarisations=("TE", "TM"), modes=1
    )
    # a uniform +1e-3 on the TM map raises N_TM by about 1e-3 (N² shifts by ~2n·1e-3)
    shift = res.effective_indices("TM")[0] - res.effective_indices("TE")[0]
    assert 5e-4 < shift < 1.5e-3


def test_a_field_left_on_the_window_edge_is_reported_when_padding_is_off():
    x, y, index = _channel()
    narrow = np.abs(y) <= 3e-6  # the mode (≈4 µm wide) is cut by the walls
    with pytest.warns(RuntimeWarning, match="boundary of the window"):
        solve_modes_2d(x, y[narrow], index[:, narrow], LAMBDA, modes=1, pad=False)


def test_padding_moves_the_walls_until_the_field_there_is_negligible():
    x, y, index = _channel()
    narrow = np.abs(y) <= 3e-6
    res = solve_modes_2d(x, y[narrow], index[:, narrow], LAMBDA, modes=1)
    mode = res.of("scalar")[0]
    assert mode.boundary_fraction <= 1e-5
    assert mode.lateral[-1] > 3e-6
