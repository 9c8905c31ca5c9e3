"""The front guide of a profile: plates split at the mid-plane, cell centres extrapolated to
the surface, refusals of profiles that are not a guide, and the reason for zero modes."""

import math

import numpy as np
import pytest
from scipy.special import erfc

from ionex.process.waveguide import front_guide, why_no_modes
from ionex.solvers.modes import solve_modes

N_B, DN, W = 1.5137, 0.01, 10e-6


def plate(thickness=1.5e-3, cells=4000):
    """Cell centres through a plate exchanged on both faces, erfc guides at both."""
    h = thickness / cells
    x = (np.arange(cells) + 0.5) * h
    return x, N_B + DN * (erfc(x / W) + erfc((thickness - x) / W))


def test_a_plate_exchanged_on_both_faces_is_cut_at_the_mid_plane():
    x, n = plate()
    guide = front_guide(x, n)
    assert guide.depth[-1] <= 0.75e-3 and guide.depth[-1] > 0.75e-3 - 1e-6
    assert guide.substrate_index == pytest.approx(N_B, abs=1e-12)
    assert any(
        "plate exchanged on both faces" in note and "0.75 mm" in note for note in guide.notes
    )
    # the guide then has the modes of the front erfc alone (the back face is 1.5 mm away);
    # on the same points only the surface value differs (extrapolated from the cells)
    front = solve_modes(guide.depth, guide.index, 677e-9, polarisations=("TE",)).effective_indices(
        "TE"
    )
    y = guide.depth
    alone = solve_modes(y, N_B + DN * erfc(y / W), 677e-9, polarisations=("TE",)).effective_indices(
        "TE"
    )
    assert front.size == alone.size == 5 and np.max(np.abs(front - alone)) < 1e-9


def test_the_whole_plate_would_guide_nothing_as_it_stands():
    """Why the split matters: the back surface taken as the substrate hides every mode."""
    x, n = plate()
    whole = solve_modes(
        np.concatenate([[0.0], x]), np.concatenate([[n[0]], n]), 677e-9, polarisations=("TE",)
    )
    assert whole.count("TE") == 0


def test_a_rise_at_the_back_that_is_not_a_mirror_image_is_refused():
    x, n = plate()
    n = n + 0.5 * DN * (x > 1.4e-3)  # a step near the back face only
    with pytest.raises(
        ValueError, match="rises again toward the deepest point .* not the mirror image"
    ):
        front_guide(x, n)


def test_cell_centres_are_extrapolated_linearly_to_the_surface():
    x = np.linspace(0.1e-6, 60e-6, 600)
    n = N_B + DN * (1 - x / 60e-6)
    guide = front_guide(x, n, substrate_index=N_B)
    assert guide.depth[0] == 0.0 and guide.index[0] == pytest.approx(N_B + DN, abs=1e-15)
    assert any("extrapolated linearly to the surface" in note for note in guide.notes)
    with pytest.raises(ValueError, match="starts at 1 µm, more than 1 % of its depth"):
        front_guide(x + 0.9e-6, n)


def test_a_profile_cut_inside_the_guide_is_refused_unless_the_substrate_is_given():
    x = np.linspace(0.0, 1.5 * W, 300)  # erfc cut at 1.5 w: still falling
    n = N_B + DN * erfc(x / W)
    with pytest.raises(ValueError, match="has not reached its substrate at its deepest point"):
        front_guide(x, n)
    guide = front_guide(x, n, substrate_index=N_B)
    assert guide.substrate_index == N_B and guide.notes == ()


def test_a_flat_profile_guides_nothing():
    x = np.linspace(0.0, 50e-6, 10)
    with pytest.raises(ValueError, match="never rises above the substrate"):
        front_guide(x, np.full(x.size, N_B))
    with pytest.raises(ValueError, match="never rises above the substrate"):
        front_guide(x, N_B + DN * erfc(x / W), substrate_index=N_B + 2 * DN)


def test_zero_modes_are_explained_with_the_phase_integral():
    """A rise of 2e-5 over 2 µm: below cut-off; the explanation's Q is the WKB phase integral
    (k0/π)∫√(n² − n_s²)dx, here of a step: (2/λ)·d·√(n₁² − n_s²) by hand."""
    d, rise = 2e-6, 2e-5
    x = np.array([0.0, d, d * (1 + 1e-9), 20e-6])
    n = np.array([N_B + rise, N_B + rise, N_B, N_B])
    guide = front_guide(x, n)
    assert solve_modes(guide.depth, guide.index, 677e-9).count("TE") == 0
    text = why_no_modes(guide, 677e-9, "TE")
    q = 2 / 677e-9 * d * math.sqrt((N_B + rise) ** 2 - N_B**2)
    assert "index rise 2e-05" in text and "first TE mode" in text and f"= {q:.2g}" in text
    assert q < 0.75
