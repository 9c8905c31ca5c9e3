"""Input checks and symmetry of the plane-strain channel stress (ionex.solvers.stress2d)."""

import math

import numpy as np
import pytest

from ionex.errors import SolverError
from ionex.physics.stress import ElasticGlass
from ionex.solvers import stress2d
from ionex.solvers.stress2d import ChannelStress, local_biaxial_stress, plane_strain_stress

GLASS = ElasticGlass(youngs_modulus=70e9, poisson_ratio=0.22, dilation=1e-3)
X = np.linspace(0.0, 6e-6, 13)
Y = np.linspace(-6e-6, 6e-6, 17)


def _channel(x_faces, y_faces):
    xc = 0.5 * (x_faces[1:] + x_faces[:-1])
    yc = 0.5 * (y_faces[1:] + y_faces[:-1])
    return 1e-3 * np.exp(-((xc[:, None] / 2e-6) ** 2) - (yc[None, :] / 2e-6) ** 2)


def test_shapes_and_fields():
    s = plane_strain_stress(X, Y, _channel(X, Y), GLASS)
    assert isinstance(s, ChannelStress)
    for field in s:
        assert field.shape == (12, 16)
        assert np.all(np.isfinite(field))


@pytest.mark.parametrize(
    "x_faces, y_faces, shape, match",
    [
        (X[::-1], Y, (12, 16), "x_faces"),
        (X + 1e-6, Y, (12, 16), "x_faces"),
        (X, np.r_[Y[:5], Y[4], Y[6:]], (12, 15), "y_faces"),
        (np.r_[X[:-1], math.nan], Y, (12, 16), "x_faces"),
        (X[:1], Y, (0, 16), "x_faces"),
        (X, Y.reshape(1, -1), (12, 16), "y_faces"),
        (X, Y, (16, 12), "eigenstrain"),
    ],
)
def test_bad_mesh_or_shape(x_faces, y_faces, shape, match):
    with pytest.raises(ValueError, match=match):
        plane_strain_stress(x_faces, y_faces, np.zeros(shape), GLASS)


def test_non_finite_eigenstrain():
    eps = _channel(X, Y)
    eps[3, 4] = math.inf
    with pytest.raises(ValueError, match="eigenstrain: found non-finite"):
        plane_strain_stress(X, Y, eps, GLASS)


@pytest.mark.parametrize(
    "keyword, value", [("extension", 0.0), ("growth", 1.0), ("growth", math.nan), ("order", 3)]
)
def test_bad_options(keyword, value):
    with pytest.raises(ValueError, match=keyword):
        plane_strain_stress(X, Y, _channel(X, Y), GLASS, **{keyword: value})


def test_glass_without_elastic_data():
    with pytest.raises(ValueError, match="glass"):
        plane_strain_stress(X, Y, _channel(X, Y), object())


def test_non_converging_iteration_raises_solver_error(monkeypatch):
    monkeypatch.setattr(stress2d, "CG_MAXITER", 1)
    with pytest.raises(SolverError, match="did not converge"):
        plane_strain_stress(X, Y, _channel(X, Y), GLASS)


@pytest.mark.parametrize("order", [1, 2])
def test_mirror_symmetry(order):
    # a symmetric eigenstrain gives σ(x, y) = σ(x, −y) for the normal stresses and an odd
    # shear; the graded mesh and extension are mirrored, so only round-off and the CG
    # tolerance (1e-9) break the symmetry
    y = np.concatenate([-np.geomspace(8e-6, 0.2e-6, 12), [0.0], np.geomspace(0.2e-6, 8e-6, 12)])
    eps = _channel(X, y)
    s = plane_strain_stress(X, y, eps, GLASS, order=order)
    scale = np.abs(s.sigma_zz).max()
    for field in (s.sigma_xx, s.sigma_yy, s.sigma_zz):
        np.testing.assert_allclose(field, field[:, ::-1], rtol=0, atol=1e-8 * scale)
    np.testing.assert_allclose(s.sigma_xy, -s.sigma_xy[:, ::-1], rtol=0, atol=1e-8 * scale)


def test_zero_eigenstrain_is_stress_free():
    s = plane_strain_stress(X, Y, np.zeros((12, 16)), GLASS)
    for field in s:
        assert np.all(field == 0.0)


def test_local_biaxial_stress():
    eps = _channel(X, Y)
    s = local_biaxial_stress(eps, GLASS)
    np.testing.assert_allclose(s.sigma_yy, -70e9 / 0.78 * eps, rtol=1e-14)
    np.testing.assert_array_equal(s.sigma_zz, s.sigma_yy)
    assert np.all(s.sigma_xx == 0.0) and np.all(s.sigma_xy == 0.0)
