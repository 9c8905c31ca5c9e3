"""Fit uncertainties mean what they say: over many seeded noisy profiles from the real
solver, the true parameter lies within ±1 standard error as often as a 1σ interval should.

Data: χ_K(x) of K+/Na+ exchange into a semi-infinite slab (D_K = 1e-15, D_Na = 1e-14 m²/s,
surface fraction 0.9, 2 h at 420 °C) at 25 depths over 0.2–8 µm, plus Gaussian noise with
σ = 0.01, one draw per seed. Fitted: D_K (log) and the surface fraction with the default
FitOptions, from the true values (the statistics of the optimum are tested here, not the
way there); the data are made with the fit's tolerances (rtol 1e-4), so the model has no
bias, and its noise at that tolerance (≈ 1.4e-7 in χ) is 7e4× below σ.

For a model that is linear near the optimum, (p̂ − p)/σ_p is standard normal when σ_p is
the unscaled standard error (known σ), so P(|z| < 1) = 0.6827; with lmfit's default
scaling by √χ²_red it is Student-t with n − 2 = 23 degrees of freedom, P(|t| < 1) = 0.6720.
Each observed fraction must lie in the central 99 % binomial interval for its p and the
number of seeds — for 100 seeds [0.56, 0.80] and [0.55, 0.79].

Seeds: measured 0.2 s per fit (≈ 23 forward runs of ≈ 9 ms) on the 2-core test machine,
so 100 seeds take ≈ 20 s.
"""

import dataclasses

import numpy as np
import pytest
from scipy import stats

from ionex.io.recipe import parse_recipe
from ionex.physics.arrhenius import ArrheniusLaw
from ionex.process.fitting import FitDataset, FitOptions, FitParameter, ProfileData, fit
from ionex.process.properties import front_profile
from ionex.process.simulate import simulate

SEEDS = 100
SIGMA = 0.01
TRUE = {"D": 1e-15, "surface": 0.9}
RECIPE = """
[glass]
host_ion = "Na"
total_mobile = "10.9 mol/L"
[ions.K]
D = "1e-15 m^2/s"
[ions.Na]
D = "1e-14 m^2/s"
[[step]]
bath = { K = 0.9 }
temperature = "420 degC"
duration = "2 h"
[numerics]
cells_per_efold = 20
rtol = 1e-4
atol = 1e-6
"""


class Builder:
    """values → the recipe with D_K and the bath's surface fraction replaced."""

    def __init__(self, recipe):
        self.recipe = recipe

    def __call__(self, values):
        r = self.recipe
        model = dataclasses.replace(r.model, incoming=ArrheniusLaw.constant(values["D"]))
        step = dataclasses.replace(r.steps[0], surface_fraction=values["surface"])
        return dataclasses.replace(r, model=model, steps=(step,))


@pytest.mark.slow
def test_true_values_lie_within_one_standard_error_at_the_1_sigma_rate():
    recipe = parse_recipe(RECIPE, "coverage.toml")
    depth = np.linspace(0.2e-6, 8e-6, 25)
    x, chi = front_profile(simulate(recipe), -1)
    clean = np.interp(depth, x, chi)
    builder = Builder(recipe)
    options = FitOptions()
    z_scaled, z_unscaled = [], []
    for seed in range(SEEDS):
        noisy = clean + SIGMA * np.random.default_rng(seed).standard_normal(depth.size)
        res = fit(
            [
                FitParameter("D", 1e-15, 1e-17, 1e-13, log=True),
                FitParameter("surface", 0.9, 0.3, 1.0),
            ],
            [FitDataset(ProfileData(depth, noisy, SIGMA), builder)],
            options=options,
        )
        assert res.success, f"seed {seed}: {res.message}"
        z = [(res.values[k] - v) / res.stderr[k] for k, v in TRUE.items()]
        z_scaled.append(z)
        z_unscaled.append(np.array(z) * np.sqrt(res.redchi))  # σ_p without the χ²_red scaling
    dof = depth.size - 2
    for z, p in (
        (np.array(z_unscaled), stats.norm.cdf(1) - stats.norm.cdf(-1)),
        (np.array(z_scaled), stats.t.cdf(1, dof) - stats.t.cdf(-1, dof)),
    ):
        lo, hi = stats.binom.interval(0.99, SEEDS, p)
        inside = np.mean(np.abs(z) < 1, axis=0)
        for name, fraction in zip(TRUE, inside):
            assert lo / SEEDS <= fraction <= hi / SEEDS, (
                name,
                fraction,
                p,
                (lo / SEEDS, hi / SEEDS),
            )
    # and no bias: the mean of z is within 3 standard errors of the mean of 0
    assert np.all(np.abs(np.mean(z_unscaled, axis=0)) < 3 / np.sqrt(SEEDS))
