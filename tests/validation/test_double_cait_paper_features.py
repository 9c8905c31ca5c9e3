"""The sequential Double-CAIT Cs⁺@Rb⁺@Li₃B₇O₁₂ of Gunawan et al. (2026) with the DOUBLE_CAIT_LI3B7O12
preset, against the features the paper reports (docs/physics.md §2.4 "results").

Set-up: 50 °C both CAITs, U_src = 15 V, aperture 8 mm, 2.325 mm, 28.26 mm², n_0 = 1.40e28 m⁻³,
ε_r = 8; CAIT 1: 2.52 mC Rb⁺, Li SED (Γ = σ = 0.16 eV, fall-off 10 %), D_Rb = 2.67e-22 (Table 1);
CAIT 2: 2.28 mC Cs⁺, Li fall-off 3 %, Rb native with its SED (Γ = 0.144 eV) and fall-off 10 %
of n_bulk,Li on the carried occupation, D_Cs = 3.1e-23. Beam current 20 nA (2.4 × the 8.5 nA
conduction-limited estimate, docs/physics.md §2.5; 40 nA changes the profiles by < 1e-3, see
benchmarks/double_cait.py). Mesh: 1 nm cells over the first 250 nm (the default 0.5 nm mesh
takes ~23 s; the features move by ≤ 3 nm / ≤ 0.04 in fraction between the two meshes).

Tolerances come from the paper's own precision: SIMS depth resolution ~2 nm, surface roughness
5 nm rms after the 1st CAIT and 20 nm rms after the 2nd, plateau levels reproducible to "a few
percent" (paper: the simulation overestimates the remaining Li "by some few percent").

Where ionex with the preset does NOT reproduce the paper, the test asserts what ionex gives
(with a regression band) and states the discrepancy:

* Li replacement depth after the 2nd CAIT: ionex ≈ 82 nm (Li = 0.5) / ≈ 86 nm (Li back to
  0.9), paper "as deep as 100 nm": −15 to −18 nm, inside the 20 nm rms roughness but short.
* zone composition (mean over 0–40 nm, the first-CAIT zone): ionex 68 % Cs, 29 % Rb, 3.1 % Li
  on this mesh (66 / 31 / 3.3 on the 0.5 nm mesh); paper 57 / 40 / 3. Cs +9–11 points, Rb −9–11
  points: more than "a few percent".
* Rb front − Cs front: ionex ≈ 30–35 nm, paper ≈ 15 nm; the Rb band between the fronts holds
  ≈ 0.83 Rb (paper: 57 %, "narrower but higher in the calculation", as here).
These rest on UNCONFIRMED parts of the model: the Rb SED/fall-off rule of the 2nd CAIT (the
fall-off is applied to n_Rb/n_bulk,Li, which also slows Rb pushed at low density into fresh
cells ahead of the old front), the SED convention (σ = Γ), D_Rb (2.67 vs 2.126e-22) and the
fall-off form (2 decades, smooth). The sensitivity table is in benchmarks/double_cait.py
--sensitivity.
"""

import numpy as np
import pytest

from ionex.constants import ELEMENTARY_CHARGE
from ionex.physics.site_energy import DOUBLE_CAIT_LI3B7O12 as P
from ionex.process.experiments import CaitStep, Sample, Species, run_experiments

NM = 1e-9
BEAM = 20e-9  # A


@pytest.fixture(scope="module")
def run():
    sample = Sample(P.thickness, P.area, P.bulk_density, P.relative_permittivity, P.temperature)
    species = [
        Species("Li", 1, P.lithium(1), 1.0),
        Species("Rb", 1, P.rubidium(1), 0.0),
        Species("Cs", 1, P.caesium(), 0.0),
    ]
    steps = [
        CaitStep(
            "Rb",
            P.source_potential,
            P.aperture_distance,
            BEAM,
            charge=P.charge_first,
            name="Rb+ CAIT",
        ),
        CaitStep(
            "Cs",
            P.source_potential,
            P.aperture_distance,
            BEAM,
            charge=P.charge_second,
            name="Cs+ CAIT",
            diffusion={"Li": P.lithium(2), "Rb": P.rubidium(2)},
        ),
    ]
    return run_experiments(sample, species, steps, zone_cell=1 * NM)


def crossing(x, y, level, start=0):
    """First depth ≥ x[start] where y drops below level (linear interpolation), m."""
    i = start + int(np.nonzero(y[start:] < level)[0][0])
    return float(x[i - 1] + (y[i - 1] - level) * (x[i] - x[i - 1]) / (y[i - 1] - y[i]))


def mean(run, y, lo, hi):
    x, w = run.depth, run.cell_width
    m = (x >= lo) & (x < hi)
    return float(np.sum(y[m] * w[m]) / np.sum(w[m]))


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
    li_zone = mean(run, e1.fractions["Li"], 0, 30 * NM)
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


def test_second_cait_li_replacement_depth(run):
    """Paper: Li replaced as deep as ≈ 100 nm. ionex: Li = 0.5 at ≈ 82 nm and Li back above 0.9
    at ≈ 86 nm: 14–18 nm short of the paper (DISCREPANCY; inside the 20 nm rms roughness of the
    2nd-CAIT surface, but consistently short). Asserted: the model value ± 5 nm (regression)
    and the paper's ≈ 100 nm within that roughness."""
    e2 = run.step_ends[1]
    x = run.depth
    li_half = crossing(x, 1 - e2.fractions["Li"], 0.5)
    assert li_half == pytest.approx(82 * NM, abs=5 * NM)
    assert abs(li_half - 100 * NM) <= 20 * NM
    # deeper than after the 1st CAIT (Rb and Li pushed further in by Cs)
    assert li_half > crossing(x, 1 - run.step_ends[0].fractions["Li"], 0.5) + 30 * NM


def test_second_cait_zone_composition(run):
    """Paper: on average 57 % Cs, 40 % Rb, ≈ 3 % Li in the diffusion zone. Measured here as the
    mean over 0–40 nm (the first-CAIT zone, where Cs is present). ionex: Cs 0.68, Rb 0.29,
    Li 0.031 (0.66 / 0.31 / 0.033 on the 0.5 nm mesh). Li matches; Cs +11 and Rb −11 points (DISCREPANCY beyond the paper's "few
    percent"). Asserted: Li within the paper's few percent; Cs and Rb as ionex gives them
    (± 0.04, the mesh sensitivity), with Cs > Rb as in the paper."""
    e2 = run.step_ends[1]
    cs = mean(run, e2.fractions["Cs"], 0, 40 * NM)
    rb = mean(run, e2.fractions["Rb"], 0, 40 * NM)
    li = mean(run, e2.fractions["Li"], 0, 40 * NM)
    assert li == pytest.approx(0.03, abs=0.02)
    assert cs > rb
    assert cs == pytest.approx(0.67, abs=0.04)
    assert rb == pytest.approx(0.30, abs=0.04)
    assert cs + rb + li == pytest.approx(1.0, abs=1e-3)


def test_second_cait_rb_front_deeper_than_cs_with_a_local_rb_maximum(run):
    """Paper: the Rb zone reaches ≈ 15 nm deeper than the Cs front, with a local Rb maximum
    between the decay of Cs and the onset of Li. ionex: both features are there, but the offset
    is ≈ 30–35 nm (DISCREPANCY, 2× the paper) and the maximum ≈ 0.83 (paper ≈ 0.57; the paper's
    own calculation also gave a "narrower but higher" peak)."""
    e2 = run.step_ends[1]
    x = run.depth
    cs, rb = e2.fractions["Cs"], e2.fractions["Rb"]
    cs_front = crossing(x, cs, 0.5 * mean(run, cs, 0, 40 * NM))
    k0 = int(np.searchsorted(x, cs_front))
    k_max = k0 + int(np.argmax(rb[k0:]))
    rb_front = crossing(x, rb, 0.5 * rb[k_max], k_max)
    assert rb_front > cs_front
    assert (rb_front - cs_front) == pytest.approx(32 * NM, abs=6 * NM)
    # a local maximum: above the zone level in front of it and above the bulk behind it
    assert rb[k_max] > mean(run, rb, 0, 40 * NM) + 0.3
    assert rb[k_max] == pytest.approx(0.83, abs=0.05)
    assert cs[k_max] < 0.01 and e2.fractions["Li"][k_max] < 0.25


# --------------------------------------------------------------------------- Table 1's reading
# Gunawan et al. (2026), Table 1, tabulates Rb in the 2nd CAIT like a native ion: its D_bulk
# at n_bulk,Li and its fall-off at 10 % of n_bulk,Li, i.e. its PSED full at the host's bulk
# density (FullAtReference), not at the Rb density frozen at the end of the 1st CAIT. The paper
# does not give the width of Rb's SED: σ_Rb = 0.18 eV is the value that brings the zone
# composition to the paper's (a FITTED parameter, one number for one feature); the Rb lead
# over Cs and the local Rb maximum are then predictions, and are what the paper is tested on.

SIGMA_RB_FITTED = 0.18  # eV


@pytest.fixture(scope="module")
def table1_run():
    from dataclasses import replace

    from ionex.physics.site_energy import ELECTRON_VOLT, FullAtReference, SiteEnergyDistribution

    rb_native = replace(
        P.rubidium(2),
        sed=SiteEnergyDistribution(SIGMA_RB_FITTED * ELECTRON_VOLT, "sigma"),
        filled=FullAtReference(),
    )
    sample = Sample(P.thickness, P.area, P.bulk_density, P.relative_permittivity, P.temperature)
    species = [
        Species("Li", 1, P.lithium(1), 1.0),
        Species("Rb", 1, P.rubidium(1), 0.0),
        Species("Cs", 1, P.caesium(), 0.0),
    ]
    steps = [
        CaitStep("Rb", P.source_potential, P.aperture_distance, BEAM, charge=P.charge_first),
        CaitStep(
            "Cs",
            P.source_potential,
            P.aperture_distance,
            BEAM,
            charge=P.charge_second,
            diffusion={"Li": P.lithium(2), "Rb": rb_native},
        ),
    ]
    return run_experiments(sample, species, steps, zone_cell=1 * NM)


def test_table1_reading_zone_composition_within_five_points_of_the_paper(table1_run):
    """Paper: 57 % Cs, 40 % Rb, ≈ 3 % Li over the zone. Measured (mean over 0–40 nm, 1 nm
    mesh): 56.6 / 40.3 / 3.1 % with the fitted σ_Rb. Asserted: each within ± 5 points."""
    e2 = table1_run.step_ends[1]
    cs = mean(table1_run, e2.fractions["Cs"], 0, 40 * NM)
    rb = mean(table1_run, e2.fractions["Rb"], 0, 40 * NM)
    li = mean(table1_run, e2.fractions["Li"], 0, 40 * NM)
    assert cs == pytest.approx(0.57, abs=0.05)
    assert rb == pytest.approx(0.40, abs=0.05)
    assert li == pytest.approx(0.03, abs=0.05)


def test_table1_reading_predicts_the_rb_lead_and_its_local_maximum(table1_run):
    """Paper: the Rb zone reaches ≈ 15 nm deeper than the Cs front, with a local Rb maximum
    between the decay of Cs and the onset of Li. Predicted (not fitted): lead 13.7 nm, maximum
    0.86. Asserted: lead 15 ± 6 nm (SIMS resolution and the 2nd CAIT's roughness), a maximum
    above the zone's Rb level; and the first CAIT unchanged (it does not see the reading)."""
    e1, e2 = table1_run.step_ends
    x = table1_run.depth
    cs, rb = e2.fractions["Cs"], e2.fractions["Rb"]
    cs_front = crossing(x, cs, 0.5 * mean(table1_run, cs, 0, 40 * NM))
    k0 = int(np.searchsorted(x, cs_front))
    k_max = k0 + int(np.argmax(rb[k0:]))
    rb_front = crossing(x, rb, 0.5 * rb[k_max], k_max)
    assert (rb_front - cs_front) == pytest.approx(15 * NM, abs=6 * NM)
    assert rb[k_max] > mean(table1_run, rb, 0, 40 * NM) + 0.3
    assert 0.07 <= mean(table1_run, e1.fractions["Li"], 0, 30 * NM) <= 0.10
