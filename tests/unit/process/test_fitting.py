"""Fitting recipe parameters: recovery from synthetic data of every dataset kind, global
fits across temperatures, identifiability warnings, and lmfit's use of our Jacobian.

Synthetic data come from the public path (simulate → Result/properties) on recipes whose
[numerics] already hold the fit tolerances, so a noise-free fit must return the values
the data were made with to within the minimiser's tolerances (xtol = ftol = 1e-8: we
allow 1e-6 relative, 100× that).
"""

import math

import numpy as np
import pytest

from ionex.io.fit_file import FieldUnit, RecipeBuilder
from ionex.io.recipe_document import RecipeDocument
from ionex.process.fitting import (
    FitDataset,
    FitError,
    FitOptions,
    FitParameter,
    IndexData,
    ModesData,
    ProfileData,
    SurfaceStressData,
    fit,
    predict,
)
from ionex.process.properties import front_index, front_profile
from ionex.process.simulate import simulate
from _recipes import NPP_BATH

HOUR = 3600.0
RECOVERY = 1e-6  # relative; 100 × the minimiser's xtol/ftol

# a semi-infinite slab, coarse mesh (the data come from the same mesh), fit tolerances
SLAB = """
[glass]
host_ion = "Na"
total_mobile = "10.9 mol/L"
[ions.K]
D0 = "1.945e-7 m^2/s"
Q = "110 kJ/mol"
[ions.Na]
D0 = "3.47e-7 m^2/s"
Q = "100 kJ/mol"
[[step]]
bath = { K = 0.9 }
temperature = "420 degC"
duration = "2 h"
[stress]
material = "soda-lime"
relaxation = "kww"
tau = "100 h"
[numerics]
cells_per_efold = 20
rtol = 1e-5
atol = 1e-7
"""

# K+/Na+ in a BK7-like slab with stress (Kohlrausch relaxation) and optics at 677 nm
OPTICAL = """
[glass]
host_ion = "Na"
total_mobile = "6.48 mol/L"    # the Na+ of BK7 (materials.BK7_K_NA)
[ions.K]
D = "2e-16 m^2/s"
[ions.Na]
D = "2e-15 m^2/s"
[[step]]
bath = { K = 1.0 }
temperature = "413 degC"
duration = "48 h"
[stress]
material = "BK7"
relaxation = "kww"
tau = "200 h"
beta = 0.6
[optics]
wavelength = "677 nm"
base_index = 1.5137
index_change = 0.0075
c_parallel = "-0.5e-12 1/Pa"
c_perp = "-3.3e-12 1/Pa"
cover_index = 1.0
[numerics]
cells_per_efold = 20
rtol = 1e-5
atol = 1e-7
"""


def builder(text, paths, overrides=()):
    doc = RecipeDocument(text, "test.toml")
    return RecipeBuilder.of(
        doc, tuple((p, FieldUnit.of(doc.value(p)[1])) for p in paths), tuple(overrides)
    )


def truth_recipe(text, overrides=None, times=()):
    doc = RecipeDocument(text, "test.toml")
    if overrides:
        doc = doc.with_values(overrides)
    r = doc.recipe()
    import dataclasses

    return dataclasses.replace(r, output_times=tuple(times))


def profile_at(result, k, depth):
    x, chi = front_profile(result, k)
    return np.interp(depth, x, chi)


def assert_recovered(res, true, rel=RECOVERY):
    for name, value in true.items():
        assert res.values[name] == pytest.approx(value, rel=rel), name


# --------------------------------------------------------------------------- profiles


def test_profile_fit_recovers_noise_free_parameters():
    true = {"ions.K.D0": 1.945e-7, "step[1].bath.K": 0.9}
    depth = np.linspace(0.2e-6, 8e-6, 25)
    result = simulate(truth_recipe(SLAB))
    data = ProfileData(depth, profile_at(result, -1, depth), 0.01, name="K")
    b = builder(SLAB, list(true))
    res = fit(
        [
            FitParameter("ions.K.D0", 5e-7, 1e-10, 1e-4, log=True),
            FitParameter("step[1].bath.K", 0.7, 0.3, 1.0),
        ],
        [FitDataset(data, b)],
    )
    assert res.success, res.message
    assert_recovered(res, true)
    assert res.chisqr < 1e-12 and res.warnings == []
    assert res.n_data == 25 and res.n_params == 2 and res.n_jacobians >= 1
    # every forward run is counted: LM evaluations + 2 per parameter per Jacobian + curves
    assert res.n_forward_runs <= res.nfev + 4 * res.n_jacobians + 1
    fd = res.datasets[0]
    assert fd.curve[0][0] == 0.0 and fd.curve[1][0] == pytest.approx(0.9, rel=1e-6)  # surface point


def test_stderr_agrees_with_lmfits_own_covariance_through_the_bound_transform():
    """lmfit's leastsq multiplies the Jacobian we give it by d(external)/d(internal) of its
    bound transformation; its own covariance (from MINPACK's last Jacobian, transformed back)
    must then match ours (recomputed at the solution) for parameters away from the bounds."""
    true = {"ions.K.D0": 1.945e-7, "step[1].bath.K": 0.9}
    depth = np.linspace(0.2e-6, 8e-6, 30)
    clean = profile_at(simulate(truth_recipe(SLAB)), -1, depth)
    noisy = clean + 0.01 * np.random.default_rng(11).standard_normal(depth.size)
    res = fit(
        [
            FitParameter("ions.K.D0", 5e-7, 1e-10, 1e-4, log=True),
            FitParameter("step[1].bath.K", 0.7, 0.3, 1.0),
        ],
        [FitDataset(ProfileData(depth, noisy, 0.01), builder(SLAB, list(true)))],
    )
    lm = res.minimizer_result.params
    # p0 = log10(D0): σ_D0 = ln 10 · D0 · σ_p0;  p1 = χ_s/0.7 (scaled by the start value)
    assert res.stderr["ions.K.D0"] == pytest.approx(
        math.log(10) * res.values["ions.K.D0"] * lm["p0"].stderr, rel=0.02
    )
    assert res.stderr["step[1].bath.K"] == pytest.approx(0.7 * lm["p1"].stderr, rel=0.02)
    assert res.correlation("ions.K.D0", "step[1].bath.K") == pytest.approx(
        lm["p0"].correl["p1"], abs=0.02
    )


def test_global_fit_shares_d0_and_q_across_two_temperatures():
    """One temperature fixes only D(T) = D0·exp(−Q/RT): D0 and Q are then degenerate; two
    temperatures (each dataset with its own override) determine both."""
    true = {"ions.K.D0": 1.945e-7, "ions.K.Q": 110e3}
    depth = np.linspace(0.2e-6, 8e-6, 25)
    rng = np.random.default_rng(7)
    sets = []
    for celsius in (380.0, 460.0):
        clean = profile_at(
            simulate(truth_recipe(SLAB, {"step[1].temperature": celsius})), -1, depth
        )
        data = ProfileData(
            depth, clean + 0.01 * rng.standard_normal(depth.size), 0.01, name=f"{celsius:g} degC"
        )
        sets.append(FitDataset(data, builder(SLAB, list(true), [("step[1].temperature", celsius)])))
    params = [
        FitParameter("ions.K.D0", 1e-6, 1e-10, 1e-3, log=True),
        FitParameter("ions.K.Q", 100e3, 50e3, 200e3),
    ]
    both = fit(params, sets)
    assert both.success and both.n_data == 50
    for name, value in true.items():  # one seeded draw: 3σ
        assert abs(both.values[name] - value) < 3 * both.stderr[name], name
    assert both.stderr["ions.K.Q"] < 0.02 * true["ions.K.Q"]
    one = fit(params, sets[:1])
    r_one, r_both = (
        one.correlation("ions.K.D0", "ions.K.Q"),
        both.correlation("ions.K.D0", "ions.K.Q"),
    )
    # a single temperature: the two columns are proportional to the accuracy of the
    # central differences (≈ 1e-4), so 1 − r is of order 1e-8; two temperatures: ≈ 1e-3
    assert 1 - abs(r_one) < 1e-3 * (1 - abs(r_both))
    assert any("ions.K.D0 and ions.K.Q: correlation" in w for w in one.warnings)


def test_a_parameter_without_effect_is_reported_unidentifiable():
    true = {"ions.K.D0": 1.945e-7}
    depth = np.linspace(0.2e-6, 8e-6, 20)
    data = ProfileData(depth, profile_at(simulate(truth_recipe(SLAB)), -1, depth), 0.01)
    res = fit(
        [
            FitParameter("ions.K.D0", 3e-7, 1e-10, 1e-4, log=True),
            FitParameter("stress.tau", 50 * HOUR, HOUR, 1e4 * HOUR, log=True),
        ],
        [FitDataset(data, builder(SLAB, ["ions.K.D0", "stress.tau"]))],
    )
    assert_recovered(res, true)
    assert res.stderr["stress.tau"] is None
    (warning,) = [w for w in res.warnings if w.startswith("stress.tau")]
    assert "zero sensitivity" in warning
    assert np.isnan(res.correlation("ions.K.D0", "stress.tau"))


def test_parameter_at_its_bound_is_reported():
    depth = np.linspace(0.2e-6, 8e-6, 20)
    data = ProfileData(depth, profile_at(simulate(truth_recipe(SLAB)), -1, depth), 0.01)
    res = fit(
        [
            FitParameter("ions.K.D0", 3e-7, 1e-10, 1e-4, log=True),
            FitParameter("step[1].bath.K", 0.8, 0.5, 0.85),
        ],
        [FitDataset(data, builder(SLAB, ["ions.K.D0", "step[1].bath.K"]))],
    )
    assert res.values["step[1].bath.K"] == pytest.approx(0.85, rel=1e-4)
    assert any(w.startswith("step[1].bath.K: at its upper bound") for w in res.warnings)


# --------------------------------------------------------------------------- index, modes, stress


@pytest.fixture(scope="module")
def optical_truth():
    """The optical recipe's run at its own values, with outputs for the stress history."""
    times = [6 * HOUR, 12 * HOUR, 18 * HOUR, 24 * HOUR, 36 * HOUR, 48 * HOUR]
    return simulate(truth_recipe(OPTICAL, times=times))


def test_index_profile_fit_recovers_diffusion_and_index_change(optical_truth):
    true = {"ions.K.D": 2e-16, "optics.index_change": 0.0075}
    depth, n_te = front_index(optical_truth, optical_truth.properties, -1, "TE")
    pick = np.linspace(0, np.searchsorted(depth, 15e-6), 25).astype(int)
    data = IndexData(depth[pick], n_te[pick], 2e-4, polarisation="TE")
    res = fit(
        [
            FitParameter("ions.K.D", 5e-16, 1e-18, 1e-14, log=True),
            FitParameter("optics.index_change", 0.005, 0.0, 0.05),
        ],
        [FitDataset(data, builder(OPTICAL, list(true)))],
    )
    assert res.success, res.message
    assert_recovered(res, true)


def test_mode_list_fit_recovers_parameters(optical_truth):
    true = {"ions.K.D": 2e-16, "optics.index_change": 0.0075}
    modes = optical_truth.properties.modes
    pols, orders, values = [], [], []
    for pol in ("TE", "TM"):
        n_eff = modes[pol].effective_indices(pol)
        pols += [pol] * n_eff.size
        orders += list(range(n_eff.size))
        values += n_eff.tolist()
    assert len(values) >= 4  # enough modes to fix two parameters
    data = ModesData(tuple(pols), np.array(orders), np.array(values), 1e-5)
    res = fit(
        [
            FitParameter("ions.K.D", 3e-16, 1e-18, 1e-14, log=True),
            FitParameter("optics.index_change", 0.009, 0.0, 0.05),
        ],
        [FitDataset(data, builder(OPTICAL, list(true)))],
    )
    assert res.success, res.message
    assert_recovered(res, true)
    assert res.datasets[0].notes == ()


def test_missing_modes_are_compared_with_the_cutoff_and_noted(optical_truth):
    n_te = optical_truth.properties.modes["TE"].effective_indices("TE")
    m = n_te.size + 2  # two more modes measured than the model guides
    data = ModesData(("TE",) * m, np.arange(m), np.linspace(n_te[0], 1.5138, m), 1e-5, name="m")
    (pred,) = predict(truth_recipe(OPTICAL), [data])
    substrate = front_index(optical_truth, optical_truth.properties, -1, "TE")[1][-1]
    np.testing.assert_allclose(pred.values[: n_te.size], n_te, rtol=0, atol=1e-9)
    assert np.all(pred.values[n_te.size :] == substrate)
    (note,) = pred.notes
    assert (
        f"guides {n_te.size} TE mode(s) but mode {m - 1} was measured" in note and "cut-off" in note
    )


def test_surface_stress_history_fit_recovers_relaxation(optical_truth):
    true = {"stress.tau": 200 * HOUR, "stress.beta": 0.6}
    s, x = optical_truth.properties.stress, optical_truth.depth
    surface = s[:, 0] - x[0] * (s[:, 1] - s[:, 0]) / (x[1] - x[0])  # σ(0, t), extrapolated
    data = SurfaceStressData(optical_truth.times, surface, 2e6)
    res = fit(
        [
            FitParameter("stress.tau", 50 * HOUR, HOUR, 1e5 * HOUR, log=True),
            FitParameter("stress.beta", 0.4, 0.1, 1.0),
        ],
        [FitDataset(data, builder(OPTICAL, list(true)))],
    )
    assert res.success, res.message
    assert_recovered(res, true)
    t, model = res.datasets[0].curve
    assert t.size > data.n_points and np.all(np.diff(t) > 0)


# --------------------------------------------------------------------------- bad input


def test_invalid_parameters_options_and_data_are_refused():
    with pytest.raises(ValueError, match=r"start value 1e-12 lies outside \[1e-17, 1e-13\]"):
        FitParameter("ions.K.D", 1e-12, 1e-17, 1e-13)
    with pytest.raises(ValueError, match="min = 1e-13 and max = 1e-13; expected min < max"):
        FitParameter("ions.K.D", 1e-15, 1e-13, 1e-13)
    with pytest.raises(ValueError, match="log = true needs a positive"):
        FitParameter("model.onsager_cross_ratio", 0.1, -0.5, 0.5, log=True)
    with pytest.raises(ValueError, match="fd_scheme"):
        FitOptions(fd_scheme="backward")
    with pytest.raises(ValueError, match=r"fraction\[1\] = nan is not a finite number"):
        ProfileData([1e-6, 2e-6, 3e-6], [0.5, np.nan, 0.1], 0.01)
    with pytest.raises(ValueError, match=r"sigma\[1\] = 0; expected an uncertainty > 0"):
        ProfileData([1e-6, 2e-6, 3e-6], [0.5, 0.3, 0.1], [0.01, 0.0, 0.01])
    data = ProfileData([1e-6, 2e-6], [0.5, 0.3], 0.01)
    b = builder(SLAB, ["ions.K.D0", "step[1].bath.K"])
    with pytest.raises(FitError, match=r"2 data point\(s\) in all for 2 fitted parameter\(s\)"):
        fit(
            [
                FitParameter("ions.K.D0", 2e-7, 1e-10, 1e-4, log=True),
                FitParameter("step[1].bath.K", 0.9, 0.3, 1.0),
            ],
            [FitDataset(data, b)],
        )
    late = ProfileData([1e-6, 2e-6, 3e-6], [0.5, 0.3, 0.1], 0.01, time=3 * HOUR, name="late")
    with pytest.raises(
        FitError,
        match="'late': found time = 3 h; expected a time from 0 to the end of the process, 2 h",
    ):
        fit(
            [FitParameter("ions.K.D0", 2e-7, 1e-10, 1e-4, log=True)],
            [FitDataset(late, builder(SLAB, ["ions.K.D0"]))],
        )


NPP = NPP_BATH


def test_nernst_planck_poisson_profiles_are_predicted_per_species():
    recipe = RecipeDocument(NPP, "npp.toml").recipe()
    depth = np.linspace(2e-9, 150e-9, 12)
    k, na = predict(
        recipe,
        [
            ProfileData(depth, 0 * depth, 0.01, ion="K"),
            ProfileData(depth, 0 * depth, 0.01, ion="Na"),
        ],
    )
    result = simulate(recipe)
    np.testing.assert_allclose(
        k.values, np.interp(depth, result.depth, result.fraction("K")[-1]), rtol=0, atol=1e-12
    )
    np.testing.assert_allclose(
        na.values, np.interp(depth, result.depth, result.fraction("Na")[-1]), rtol=0, atol=1e-12
    )
    with pytest.raises(
        FitError, match="a Nernst–Planck–Poisson recipe can be fitted to profiles only"
    ):
        predict(recipe, [SurfaceStressData([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], 1.0)])
