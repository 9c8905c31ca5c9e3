"""Mode inversion of guides simulated by ionex (ionex.simulate; tests/validation/_inversion_truths.py):

* a two-step exchange of a semi-infinite slab: 27 h in a bath holding χ_s = 0.3 (a tail
  ≈ 80 µm deep), then 0.5 h in pure KNO3 (a spike ≈ 10 µm), D_Na/D_K = 10; σ = −400 MPa·u;
  13 TE / 14 TM modes. Not exactly any family (the second step also moves the tail).
* Rogoziński's BK7 process: a 1.5 mm plate exchanged on both faces, 91 h at 413.1 °C,
  elastic stress with KWW relaxation; the plate's central tension lowers the deep index by
  3.4e-5 (TE) and 5.9e-5 (TM). σ is affine in χ here, so the joint model holds exactly.

Measured, noise-free. Two-step: the model picks the two-step family, n to 3.7e-5 (TE) and
4.2e-5 (TM), σ to 0.30 MPa. BK7 plate: one-step family with D_K/D_Na = 0.1000, n to 5e-7,
σ to 0.03 MPa, n_s,TE − n_s,TM = 2.5e-5. IWKB (regression band ±25 %): two-step 2.54e-3 /
2.83e-3 in n, 47 MPa; BK7 plate 5.56e-4 / 7.56e-4 in n, 123 MPa, with −458 and −214 MPa at
its first two TM points where the truth is −336 and −328 MPa.
"""

from __future__ import annotations

import pytest
from _inversion_truths import (
    EO,
    INDEX_TARGET,
    STRESS_TARGET,
    WAVELENGTH,
    bk7_plate_truth,
    figures,
    truth,
)

from ionex.process.inversion import Method, invert_modes


def test_two_step_model_meets_the_targets():
    t = truth("two-step")
    r = invert_modes(t.modes, WAVELENGTH, elasto_optic=EO)
    f = figures(r, t)
    assert f["index_TE"] < INDEX_TARGET and f["index_TM"] < INDEX_TARGET
    assert f["stress"] < STRESS_TARGET
    assert r.family.name == "two-step"
    assert r.parameters["width_1"] < r.parameters["width_2"]


def test_two_step_iwkb_regression_band():
    t = truth("two-step")
    f = figures(invert_modes(t.modes, WAVELENGTH, elasto_optic=EO, method=Method.IWKB), t)
    assert f["index_TE"] == pytest.approx(2.54e-3, rel=0.25)
    assert f["index_TM"] == pytest.approx(2.83e-3, rel=0.25)
    assert f["stress"] == pytest.approx(47.1e6, rel=0.25)
    assert f["index_TE"] > INDEX_TARGET and f["stress"] > STRESS_TARGET


def test_bk7_plate_model_recovers_stress_and_central_tension_shift():
    t = bk7_plate_truth()
    r = invert_modes(t.modes, WAVELENGTH, elasto_optic=EO)
    f = figures(r, t)
    assert f["index_TE"] < INDEX_TARGET and f["index_TM"] < INDEX_TARGET
    assert f["stress"] < STRESS_TARGET
    assert r.family.name == "one-step"
    assert r.parameters["ratio"] == pytest.approx(0.1, rel=1e-3)
    deep = t.extent
    assert r.parameters["substrate_TE"] == pytest.approx(float(t.n_te(deep)), abs=2e-6)
    assert r.parameters["substrate_TM"] == pytest.approx(float(t.n_tm(deep)), abs=2e-6)


def test_bk7_plate_iwkb_regression_band():
    t = bk7_plate_truth()
    r = invert_modes(t.modes, WAVELENGTH, elasto_optic=EO, method=Method.IWKB)
    f = figures(r, t)
    assert f["index_TE"] == pytest.approx(5.56e-4, rel=0.25)
    assert f["index_TM"] == pytest.approx(7.56e-4, rel=0.25)
    assert f["stress"] == pytest.approx(123e6, rel=0.25)
    assert r.stress.stress[:2] == pytest.approx([-458e6, -214e6], rel=0.05)
    assert t.stress(r.stress.depth[:2]) == pytest.approx([-336e6, -328e6], rel=0.05)
