"""Unit tests of ionex.grids (cell-centred 1-D meshes)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ionex.grids import Grid, graded_grid, uniform_grid

EPS = np.finfo(float).eps


def check_geometry(g: Grid):
    """Centres, volumes and spacing follow from the faces (cell-centred FV definitions)."""
    f = g.faces
    assert g.n_cells == f.size - 1
    assert g.length == f[-1]
    np.testing.assert_array_equal(g.volumes, np.diff(f))
    np.testing.assert_array_equal(g.centres, 0.5 * (f[1:] + f[:-1]))
    assert g.spacing.shape == (g.n_cells + 1,)
    assert g.spacing[0] == g.centres[0]  # surface face: half cell to depth 0
    np.testing.assert_array_equal(g.spacing[1:-1], np.diff(g.centres))
    assert g.spacing[-1] == f[-1] - g.centres[-1]
    assert np.all(g.volumes > 0) and np.all(g.spacing > 0)
    # both sums telescope to the length: round-off of n additions
    assert math.isclose(g.volumes.sum(), g.length, rel_tol=4 * g.n_cells * EPS)
    assert math.isclose(g.spacing.sum(), g.length, rel_tol=4 * g.n_cells * EPS)
    # a centre lies inside its cell
    assert np.all(g.centres > f[:-1]) and np.all(g.centres < f[1:])


def test_uniform_grid():
    g = uniform_grid(2e-5, 40)
    check_geometry(g)
    assert g.n_cells == 40 and g.length == 2e-5
    np.testing.assert_allclose(g.volumes, 5e-7, rtol=1e-12)
    np.testing.assert_allclose(g.spacing[1:-1], 5e-7, rtol=1e-12)
    assert g.spacing[0] == pytest.approx(2.5e-7, rel=1e-12)


@pytest.mark.parametrize("q", [10, 43, 60, 240])
@pytest.mark.parametrize("length_over_ld", [1.0, 12.0, 1200.0])
def test_graded_grid_geometry(q, length_over_ld):
    ld = 3.7e-6
    length = length_over_ld * ld
    g = graded_grid(length, ld, cells_per_efold=q)
    check_geometry(g)
    assert g.faces[0] == 0.0
    assert g.faces[-1] == length  # exactly, not up to round-off
    assert np.all(np.diff(g.faces) > 0)
    a = math.log1p(length / (0.12 * ld))
    assert g.n_cells == max(math.ceil(q * a), 8)


@pytest.mark.parametrize("q", [20, 60, 200])
def test_graded_grid_is_geometric_about_minus_x0(q):
    """x_k + x₀ = x₀·e^{ak/N}: the cell width grows linearly with depth, h = (x + x₀)(e^{a/N} − 1),
    i.e. the relative resolution is the same at every depth; a/N ≤ 1/q since N ≥ q·a."""
    ld, length = 1e-6, 12e-6
    x0 = 0.12 * ld
    g = graded_grid(length, ld, cells_per_efold=q)
    ratio = g.volumes / (g.faces[:-1] + x0)
    a = math.log1p(length / x0)
    # each ratio is (x_{k+1} − x_k)/(x_k + x₀), computed from faces with relative error
    # ~eps·(x+x₀)/h ≈ eps·q: allow 50·q ulp
    np.testing.assert_allclose(ratio, math.expm1(a / g.n_cells), rtol=50 * q * EPS)
    assert math.expm1(a / g.n_cells) <= math.expm1(1.0 / q) * (1 + 1e-12)


def test_graded_grid_finest_at_surface():
    g = graded_grid(10e-6, 1e-6, 60)
    assert np.all(np.diff(g.volumes) > 0)
    # the first cell is about x₀/q (x₀ = 0.12 L_D)
    assert g.volumes[0] == pytest.approx(0.12e-6 / 60, rel=0.05)


def test_neighbour_ratio_tends_to_one_under_refinement():
    """Second order of the cell-centred scheme needs h_{i+1}/h_i = 1 + O(h): the ratio − 1
    equals e^{a/N} − 1 ≈ 1/q, so it must halve (to within the ceil in N) when q doubles."""
    qs = [15, 30, 60, 120, 240, 480]
    excess = []
    for q in qs:
        g = graded_grid(12e-6, 1e-6, q)
        r = g.volumes[1:] / g.volumes[:-1]
        excess.append(float(np.max(np.abs(r - 1))))
        # also the neighbour spacing ratio across faces (what the flux stencil sees)
        s = g.spacing[1:-1]
        assert np.max(np.abs(s[1:] / s[:-1] - 1)) <= excess[-1] * (1 + 1e-6)
    for e_coarse, e_fine in zip(excess, excess[1:]):
        # N = ⌈q a⌉ so the ratio of a/N values lies within (q/2q)·(1 ± 1/(q a))
        assert e_fine / e_coarse == pytest.approx(0.5, rel=0.02)
    assert excess[-1] < 2.2e-3


def test_graded_grid_minimum_cells():
    g = graded_grid(1e-7, 1e-6, cells_per_efold=1)
    assert g.n_cells == 8


@pytest.mark.parametrize(
    "args",
    [
        (0.0, 1e-6, 43),
        (-1e-6, 1e-6, 43),
        (1e-5, 0.0, 43),
        (1e-5, 1e-6, 0),
        (1e-5, 1e-6, -5),
        (1e-5, 1e-6, 43, 0.0),
    ],
)
def test_graded_grid_rejects_bad_arguments(args):
    with pytest.raises(ValueError):
        graded_grid(*args)


@pytest.mark.parametrize(
    "faces",
    [[0.0, 1.0], [0.1, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0], [0.0, 0.6, 0.4, 1.0], [[0.0, 0.5, 1.0]]],
)
def test_grid_rejects_bad_faces(faces):
    with pytest.raises(ValueError):
        Grid(np.array(faces))


def test_grid_arrays_are_read_only():
    g = uniform_grid(1.0, 4)
    for arr in (g.faces, g.centres, g.volumes, g.spacing):
        with pytest.raises(ValueError):
            arr[0] = 5.0


@pytest.mark.parametrize(
    "length, l_d, q", [(12e-6, 1e-6, 60.0), (1e-3, 1e-9, 10.0), (5e-6, 5e-6, 1000.0)]
)
def test_the_cell_count_is_known_before_the_mesh_is_built(length, l_d, q):
    from ionex.grids import graded_cell_count

    assert graded_cell_count(length, l_d, q) == graded_grid(length, l_d, q).n_cells


def test_a_zero_diffusion_length_is_refused_with_the_values():
    from ionex.grids import graded_cell_count

    with pytest.raises(ValueError, match=r"got 1e-05, 0, 60, 0.12"):
        graded_cell_count(1e-5, 0.0, 60.0)
