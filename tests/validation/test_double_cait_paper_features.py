"""The sequential Double-CAIT Cs⁺@Rb⁺@Li₃B₇O₁₂ of Gunawan et al. (2026) with the DOUBLE_CAIT_LI3B7O12
preset, against the numbers the paper reports (docs/physics.md §2.4 "results").

Set-up: 50 °C both CAITs, U_src = 15 V, aperture 8 mm, 2.325 mm, 28.26 mm², n_0 = 1.40e28 m⁻³,
ε_r = 8; CAIT 1: 2.52 mC Rb⁺, Li SED (Γ = σ = 0.16 eV, fall-off 10 %), D_Rb = 2.67e-22 (Table 1);
CAIT 2: 2.28 mC Cs⁺, Li fall-off 3 %, Rb native with its SED and fall-off 10 % of n_bulk,Li,
D_Cs = 3.1e-23. Beam current 20 nA (2.4 × the 8.5 nA conduction-limited estimate,
docs/physics.md §2.5; 40 nA changes the profiles by < 1e-3). Mesh: 0.5 nm cells over the
first 250 nm (tests/_double_cait.py); from there to 0.25 nm cells the features change by
≤ 0.71 nm and ≤ 0.0013 in fraction (benchmarks/npp_face_mean.py).

The 2nd CAIT's Rb law is read as the paper's Table 1 tabulates it: a native ion, its PSED
full at n_bulk,Li (FullAtReference), not at the Rb density frozen at the end of the 1st CAIT.
The paper does not give the width of Rb's SED: σ_Rb = 0.175 ± 0.008 eV is fitted to the
zone composition (examples/fit_double_cait_sigma_rb.toml: one number for one feature; the
preset's rb_sed_width_fitted); the Rb lead over Cs, its local maximum, the Li depth as SIMS
sees it and the first CAIT are then predictions. (The frozen-occupation reading misses
the paper: tests/regression/test_double_cait_carried_reading_regression.py.)

Tolerances come from the paper's own precision: SIMS depth resolution ~2 nm, surface roughness
5 nm rms after the 1st CAIT and 20 nm rms after the 2nd, plateau levels reproducible to "a few
percent" (paper: the simulation overestimates the remaining Li "by some few percent").
"""

import numpy as np
import pytest
from _double_cait import NM, crossing, double_cait_run, fronts, zone_composition, zone_mean

from ionex.constants import ELEMENTARY_CHARGE
from ionex.physics.site_energy import DOUBLE_CAIT_LI3B7O12 as P


@pytest.fixture(scope="module")
def run():
    return double_cait_run()  # the preset: Rb read as Table 1, σ_Rb fitted


def test_conservation_foreign_ions_equal_delivered_charge(run):
    """Each beam ion stays in the sample (none reaches the back electrode), and the back-electrode
    charge equals the beam inflow up to the surface charge (ε0·15 V/8 mm ≈ 2e-10 of it)."""
    e1, e2 = run.step_ends
    q = {n: run.inventory(n) * ELEMENTARY_CHARGE * P.area for n in ("Rb", "Cs")}
    i1 = int(np.nonzero(run.step == 0)[0][-1])
    assert q["Rb"][i1] == pytest.approx(P.charge_first, rel=1e-6)
    assert q["Cs"][i1] == 0.0
    assert q["Rb"][-1] == pytest.approx(P.charge_first, rel=1e-6)
    assert q["Cs"][-1] == pytest.approx(P.charge_second, rel=1e-6)
    assert e1.back_charge == pytest.approx(P.charge_first, rel=1e-9)
    assert e2.back_charge == pytest.approx(P.charge_second, rel=1e-9)
    assert run.charge[-1] == pytest.approx(P.charge_first + P.charge_second, rel=1e-9)
    # the surface charged to the source potential ("exactly 15 V") in both CAITs
    assert abs(e1.surface_potential - 15.0) < 0.2 and abs(e2.surface_potential - 15.0) < 0.2


def test_first_cait_rb_replaces_90_percent_of_li_in_40_nm(run):
    """Paper: Rb replaces ≈ 90 % of Li within the first 40 nm; 7–10 % Li remains, trapped.
    ionex: 9.1 % Li over 0–30 nm (the fall-off at 10 % traps it), Rb half-depth ≈ 42 nm."""
    e1 = run.step_ends[0]
    x = run.depth
    li_zone = zone_mean(run, e1.fractions["Li"], 0, 30 * NM)
    assert 0.07 <= li_zone <= 0.10
    # a flat plateau, not a ramp: Li stays at the trapped level throughout the zone
    zone = x < 30 * NM
    assert np.all(e1.fractions["Li"][zone] < 0.1)
    # zone depth ≈ 40 nm: ± 5 nm (roughness 5 nm rms after the 1st CAIT, SIMS resolution 2 nm)
    assert crossing(x, e1.fractions["Rb"], 0.5) == pytest.approx(40 * NM, abs=5 * NM)
    # the sum is the bulk density throughout (the paper's black circles), except in the
    # sub-nm space-charge layer of the surface charged to 15 V (Debye length 0.03 nm)
    deep = x > 1 * NM
    np.testing.assert_allclose((e1.fractions["Li"] + e1.fractions["Rb"])[deep], 1.0, atol=1e-3)


def test_second_cait_pushes_li_deeper_than_the_first(run):
    """Cs pushes Rb, and Rb Li, further in: the model's Li half-depth after the 2nd CAIT lies
    more than 30 nm deeper than after the 1st. (The paper's "Li replaced as deep as ≈ 100 nm"
    is a SIMS reading, compared in the measurement's terms below: the model profile itself
    is fixed by charge conservation.)"""
    e1, e2 = run.step_ends
    x = run.depth
    li_half = crossing(x, 1 - e2.fractions["Li"], 0.5)
    assert li_half > crossing(x, 1 - e1.fractions["Li"], 0.5) + 30 * NM


def test_second_cait_zone_composition_within_five_points_of_the_paper(run):
    """Paper: 57 % Cs, 40 % Rb, ≈ 3 % Li over the zone (the feature σ_Rb is fitted to).
    Measured (mean over 0–40 nm): 57.0 / 39.9 / 3.1 %. Asserted: each within ± 5 points."""
    cs, rb, li = zone_composition(run)
    assert cs == pytest.approx(0.57, abs=0.05)
    assert rb == pytest.approx(0.40, abs=0.05)
    assert li == pytest.approx(0.03, abs=0.05)


def test_second_cait_predicts_the_rb_lead_and_its_local_maximum(run):
    """Paper: the Rb zone reaches ≈ 15 nm deeper than the Cs front, with a local Rb maximum
    between the decay of Cs and the onset of Li. Predicted (not fitted): lead 11.5 nm, maximum
    0.857 (0.25 nm mesh: 10.8 nm, 0.857; first-order extrapolation ≈ 10.1 nm). Asserted: lead
    15 ± 6 nm (SIMS resolution and the 2nd CAIT's roughness), a maximum above the zone's Rb
    level; and the first CAIT unchanged (it does not see the reading).

    The fronts are the sharp falls: Cs where it drops below half its zone level, Rb where it
    drops below half its maximum beyond that (tests/_double_cait.fronts). A fixed level of
    0.5 would not find the Cs front: Cs decays gently from 0.74 at the surface to 0.44 at
    65 nm, mixed with Rb, before it falls to 0 within 2 nm at 69 nm, so its deepest
    crossing of 0.5 lies at 34 nm, inside the mixed zone."""
    e1, e2 = run.step_ends
    rb = e2.fractions["Rb"]
    cs_front, rb_front, k_max = fronts(run, e2.fractions)
    assert (rb_front - cs_front) == pytest.approx(15 * NM, abs=6 * NM)
    assert rb[k_max] > zone_mean(run, rb, 0, 40 * NM) + 0.3
    assert 0.07 <= zone_mean(run, e1.fractions["Li"], 0, 30 * NM) <= 0.10


def test_second_cait_li_depth_in_the_measurement_s_terms(run):
    """The paper's "Li replaced as deep as ≈ 100 nm" is a ToF-SIMS profile of a crater with
    ~20 nm rms roughness, not the model profile: convolved with that Gaussian resolution
    (ionex.physics.depth_resolution) the model's Li returns to 0.9 of n₀ at 105 nm (Li = 0.5
    at 80 nm unconvolved). Asserted: 100 ± 15 nm (a prediction: nothing was fitted to it). And the
    depleted Li itself is fixed by charge conservation, ∫(1 − n_Li/n₀)dx = (Q₁ + Q₂)/(e A n₀)
    = 75.9 nm, whatever the laws: asserted to 1e-6."""
    from ionex.physics.depth_resolution import GaussianResolution, convolve_profile

    x = run.depth
    li = run.step_ends[1].fractions["Li"]
    near = x < 400 * NM
    seen = convolve_profile(x[near], li[near], GaussianResolution(20 * NM))
    k = np.nonzero((seen >= 0.9) & (x[near] > 30 * NM))[0][0]
    assert x[near][k] == pytest.approx(100 * NM, abs=15 * NM)
    deficit = np.sum((1 - li) * run.cell_width)
    expected = (P.charge_first + P.charge_second) / (ELEMENTARY_CHARGE * P.area * P.bulk_density)
    assert deficit == pytest.approx(expected, rel=1e-6)
