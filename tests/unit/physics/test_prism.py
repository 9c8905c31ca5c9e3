"""m-line prism mapping N = n_p sin(δ + arcsin(sin θ / n_p)) (docs/physics.md §3.6)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ionex.physics.prism import Prism, effective_index_from_angle, synchronous_angle

PSK3 = Prism(index=1.5491, angle=math.radians(70.0963))  # Rogoziński (2019)
ARCSEC = math.radians(1.0 / 3600.0)

prisms = st.builds(
    Prism,
    index=st.floats(1.3, 2.5),
    angle=st.floats(math.radians(20.0), math.radians(80.0)),
)


def test_worked_values_of_physics_md_3_5():
    """N = 1.5137 → θ ≈ 11.87°, N = 1.520 → θ ≈ 13.68° (docs/physics.md §3.6: they agree)."""
    assert math.degrees(synchronous_angle(1.5137, PSK3)) == pytest.approx(11.87, abs=0.005)
    assert math.degrees(synchronous_angle(1.520, PSK3)) == pytest.approx(13.68, abs=0.005)


@pytest.mark.parametrize("N, expected", [(1.5137, 1.02e-6), (1.520, 0.92e-6)])
def test_index_resolution_per_arc_second(N, expected):
    """dN/dθ = cos φ cos θ / cos ψ per arc-second: 1.0e-6 at N = 1.5137 and 0.92e-6 at 1.520,
    i.e. the often quoted "≈ 9e-7" holds at the upper end and is ~10 % low at the substrate index."""
    theta = synchronous_angle(N, PSK3)
    slope = (
        effective_index_from_angle(theta + ARCSEC, PSK3)
        - effective_index_from_angle(theta - ARCSEC, PSK3)
    ) / 2
    psi = math.asin(math.sin(theta) / PSK3.index)
    analytic = math.cos(PSK3.angle + psi) * math.cos(theta) / math.cos(psi) * ARCSEC
    assert slope == pytest.approx(analytic, rel=1e-6)
    assert slope == pytest.approx(expected, rel=0.01)


def test_sign_convention_positive_theta_away_from_the_apex_raises_N():
    """θ = 0 gives N = n_p sin δ; a positive θ (beam tilted away from the apex) gives more."""
    assert effective_index_from_angle(0.0, PSK3) == pytest.approx(
        PSK3.index * math.sin(PSK3.angle), abs=1e-15
    )
    assert (
        effective_index_from_angle(0.1, PSK3)
        > effective_index_from_angle(0.0, PSK3)
        > effective_index_from_angle(-0.1, PSK3)
    )


def test_vectorised_over_arrays():
    theta = np.radians(np.array([[5.0, 10.0], [12.0, 14.0]]))
    N = effective_index_from_angle(theta, PSK3)
    assert N.shape == (2, 2)
    assert np.allclose(synchronous_angle(N, PSK3), theta, atol=1e-13)
    assert isinstance(effective_index_from_angle(0.2, PSK3), float)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(prism=prisms, u=st.floats(0.0, 1.0))
def test_index_to_angle_round_trip_over_the_whole_admissible_range(prism, u):
    lo, hi = prism.index_range
    N = lo + u * (hi - lo)
    assert abs(effective_index_from_angle(synchronous_angle(N, prism), prism) - N) < 1e-12


@settings(max_examples=300, deadline=None, derandomize=True)
@given(prism=prisms, u=st.floats(0.0, 1.0))
def test_angle_to_index_round_trip_where_the_angle_is_determined(prism, u):
    """θ → N → θ to 1e-12 rad except where θ is ill-determined by N: at grazing entry
    (|cos θ| → 0) and where φ → 90° (dN/dθ → 0), the error grows like ε/|dN/dθ|."""
    lo, hi = prism.angle_range
    theta = lo + u * (hi - lo)
    psi = math.asin(math.sin(theta) / prism.index)
    slope = abs(math.cos(prism.angle + psi) * math.cos(theta) / math.cos(psi))
    back = synchronous_angle(effective_index_from_angle(theta, prism), prism)
    assert abs(back - theta) < 1e-12 + 4e-16 / max(slope, 1e-300)
    if slope > 1e-3:
        assert abs(back - theta) < 1e-12


def test_out_of_range_index_raises_with_the_allowed_range():
    lo, hi = PSK3.index_range
    assert hi == pytest.approx(PSK3.index)  # δ + ψ_c > 90°: up to grazing at the base
    for N in (hi + 1e-9, 1.6, lo - 1e-9, float("nan")):
        with pytest.raises(ValueError, match=r"allowed N is \[0\.77\d+, 1\.549100\]"):
            synchronous_angle(N, PSK3)
    with pytest.raises(ValueError, match="cannot be coupled"):
        synchronous_angle(np.array([1.51, 1.7]), PSK3)


def test_out_of_range_angle_raises():
    lo, hi = PSK3.angle_range
    assert lo == pytest.approx(-math.pi / 2) and math.degrees(hi) == pytest.approx(
        31.8283, abs=1e-4
    )
    for theta in (hi + 1e-6, math.radians(45.0), -math.pi / 2 - 1e-6):
        with pytest.raises(ValueError, match="outside what this prism admits"):
            effective_index_from_angle(theta, PSK3)


def test_narrow_prism_range_is_bounded_on_both_sides():
    """δ + ψ_c < 90°: N stops below n_p and θ at +90°."""
    p = Prism(1.8, math.radians(30.0))
    lo, hi = p.index_range
    assert hi < p.index and p.angle_range[1] == pytest.approx(math.pi / 2)
    assert effective_index_from_angle(math.pi / 2, p) == pytest.approx(hi)


@pytest.mark.parametrize(
    "index, angle, field",
    [
        (1.0, 1.0, "index"),
        (0.5, 1.0, "index"),
        (float("nan"), 1.0, "index"),
        (1.5, 0.0, "angle"),
        (1.5, math.pi / 2, "angle"),
        (1.5, -0.1, "angle"),
    ],
)
def test_prism_validates_itself(index, angle, field):
    with pytest.raises(ValueError, match=field):
        Prism(index, angle)


@pytest.mark.parametrize("index", [1.0, 5.0, 1e6, math.nan])
def test_a_prism_index_outside_the_range_of_glasses_is_refused(index):
    with pytest.raises(
        ValueError, match="prism index n_p must be a refractive index above 1 and below 5"
    ):
        Prism(index, math.radians(60.0))
