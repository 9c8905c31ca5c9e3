"""Mode inversion with measurement noise: every exact mode index of each truth
(tests/validation/_inversion_truths.py) plus a Gaussian error of σ_N = 2e-5, inverted with
index_sigma = 2e-5. The stated standard errors must describe the actual errors: here, for
three seeds per shape, every z = (estimate − truth)/(stated standard error) of n at six
depths per polarisation and of σ at every TM turning point stays within 4, and χ² stays
inside its 99 % range (no warning). The coverage over 50 seeds per shape is measured by
benchmarks/inverse.py. These fits are given the family (fast); one runs AUTO.
"""

from __future__ import annotations

import numpy as np
import pytest
from _inversion_truths import EO, SHAPES, WAVELENGTH, noisy, truth, z_scores

from ionex.process.inversion import (
    AUTO,
    Erfc,
    Exponential,
    Gaussian,
    OneStep,
    TwoStep,
    invert_modes,
)

SIGMA_N = 2e-5
FAMILY = {
    "erfc": Erfc,
    "gaussian": Gaussian,
    "exponential": Exponential,
    "flat r=0.1": OneStep,
    "flat r=0.03": OneStep,
    "two-step": TwoStep,
}


def check(r, t):
    assert r.uncertainty == "index_sigma"
    assert not any("χ²_red" in w for w in r.warnings)
    for name, z in z_scores(r, t).items():
        assert np.all(np.isfinite(z)), name
        assert np.max(np.abs(z)) < 4.0, (name, z)


@pytest.mark.parametrize("seed", [11, 12, 13])
@pytest.mark.parametrize("shape", SHAPES)
def test_errors_within_the_stated_uncertainties(shape, seed):
    t = truth(shape)
    r = invert_modes(
        noisy(t.modes, seed, SIGMA_N),
        WAVELENGTH,
        elasto_optic=EO,
        index_sigma=SIGMA_N,
        family=FAMILY[shape],
    )
    check(r, t)


def test_auto_with_noise():
    t = truth("flat r=0.1")
    r = invert_modes(
        noisy(t.modes, 21, SIGMA_N), WAVELENGTH, elasto_optic=EO, index_sigma=SIGMA_N, family=AUTO
    )
    check(r, t)
    assert {c.family for c in r.candidates} == {
        "erfc",
        "gaussian",
        "exponential",
        "one-step",
        "two-step",
        "spline",
    }
