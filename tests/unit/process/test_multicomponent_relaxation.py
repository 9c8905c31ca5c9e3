"""Hereditary stress relaxation of multicomponent runs ([stress] relaxation = "hereditary").

References: the binary engine's hereditary stress for the same K⁺/Na⁺ process; exact force
and moment balance; the elastic stress (τ → ∞, where the superposition telescopes); the
Boltzmann superposition of a profile frozen after a short exchange (each strain increment
relaxing as exp(−((t − t′)/τ)^β), t′ within the exchange); and `ionex run` end to end."""

import math
import textwrap
from dataclasses import replace

import numpy as np
import pytest
import xarray as xr

from ionex.cli import main
from ionex.io.recipe import load_recipe
from ionex.physics.stress import (
    RelaxationLaw,
    balanced_multi_ion_stress,
    kohlrausch_factor,
)
from ionex.process.multicomponent import MultiIonStressOptions, run_multicomponent
from ionex.process.simulate import process_grid, simulate

from _recipes import LAS_TWO_STEP

EPS = np.finfo(float).eps
HOUR = 3600.0

# the lithium aluminosilicate plate of tests/_recipes.py (a Na step and a K step),
# its faces left to each test, with a hereditary [stress]
LAS = LAS_TWO_STEP.replace('faces = "both"', 'faces = "FACES"') + textwrap.dedent(
    """
    [stress]
    youngs_modulus = "82 GPa"
    poisson_ratio = 0.21
    dilation = { Na = 0.004, K = 0.011 }
    relaxation = "hereditary"
    tau = "10 h"
    beta = 0.6
    """
)
LAS_SCALE = 82e9 / 0.79 * 0.011  # E/(1−ν)·B_K: the stress of a full site fraction of K


def _recipe(tmp_path, text, name="r.toml"):
    path = tmp_path / name
    path.write_text(text)
    return load_recipe(path)


def _with_relaxation(recipe, relaxation, law=None):
    opts = recipe.stress
    stress = MultiIonStressOptions(opts.glass, relaxation, law or opts.law, opts.clock)
    return replace(recipe, stress=stress)


# --------------------------------------------------------------------------- binary engine

# K⁺ for Na⁺ in a soda-lime plate exchanged on one face (free to bend), then a closed-face
# anneal at a lower temperature; τ(T) Arrhenius, so the reduced time runs slower there
BINARY = textwrap.dedent(
    """
    [glass]
    host_ion = "Na"
    total_mobile = "10.9 mol/L"
    thickness = "1 mm"
    faces = "front"
    [ions.K]
    D0 = "1.55e-7 m^2/s"
    Q = "110 kJ/mol"
    [ions.Na]
    D0 = "4.8e-7 m^2/s"
    Q = "100 kJ/mol"
    [[step]]
    bath = { K = 1.0 }
    temperature = "420 degC"
    duration = "8 h"
    [[step]]
    bath = "none"
    temperature = "380 degC"
    duration = "4 h"
    [output]
    times = ["1 min", "4 min", "15 min", "30 min", "1 h", "2 h", "3 h", "4 h", "5 h", "6 h",
             "7 h", "9 h", "10 h", "11 h"]
    [stress]
    youngs_modulus = "72 GPa"
    poisson_ratio = 0.22
    dilation = 0.0087
    relaxation = "hereditary"
    tau = "10 h"
    beta = 0.6
    tau_activation_energy = "200 kJ/mol"
    tau_reference_temperature = "420 degC"
    """
)


def test_two_ions_relax_as_the_binary_engine(tmp_path):
    """The same process as a binary recipe and as site fractions per ion: the hereditary
    stress agrees within the method's own error. The engines take different steps (their
    error norms differ), and the superposition's midpoint rule over the steps errs by
    itself; the tolerance is the binary engine's error at the default tolerances,
    estimated against its run at rtol 1e-5, atol 1e-8. Measured: that error 1.8e-4 of
    E/(1−ν)·B; the engines agree to 4.5e-5 (7e-7 both at rtol 1e-7, where their profiles
    agree to 2e-7)."""
    multi = (
        BINARY.replace('host_ion = "Na"', "initial = { Na = 1.0, K = 0.0 }")
        .replace("bath = { K = 1.0 }", "bath = { K = 1.0, Na = 0.0 }")
        .replace("dilation = 0.0087", "dilation = { K = 0.0087 }")
    )
    a = _recipe(tmp_path, BINARY, "binary.toml")
    b = _recipe(tmp_path, multi, "multi.toml")
    assert b.stress.relaxation == "hereditary" and b.stress.law == a.stress.law
    tight = _recipe(tmp_path, BINARY + "[numerics]\nrtol = 1e-5\natol = 1e-8\n", "tight.toml")
    grid = process_grid(a)
    ref, got = simulate(a, grid=grid), simulate(b, grid=grid)
    np.testing.assert_array_equal(got.times, ref.times)
    relaxed = ref.properties.stress
    method_error = np.abs(relaxed - simulate(tight, grid=grid).properties.stress).max()
    assert np.abs(got.stress - relaxed).max() <= method_error
    # a meaningful comparison: the stress relaxed by far more than that
    fractions = {ion: got.fraction(ion) for ion in got.species}
    elastic = balanced_multi_ion_stress(
        got.depth, got.cell_width, fractions, b.stress.glass, plate=True, bending=True
    )
    assert np.abs(elastic - relaxed).max() > 1e3 * method_error


# --------------------------------------------------------------------------- balance


@pytest.mark.parametrize("faces", ["front", "both"])
def test_relaxed_stress_of_three_ions_is_force_and_moment_free(tmp_path, faces):
    """Every increment is balanced, so their relaxed sum is: Σ wσ = 0 and, for a plate
    free to bend, Σ wσ(x − x_c) = 0 at every output, to the round-off of the sums over n
    accepted steps (≤ 4n·eps of Σ w|σ_e| per increment bound, taken as 4n·eps·L·scale)."""
    recipe = _recipe(tmp_path, LAS.replace("FACES", faces))
    result = run_multicomponent(recipe)
    n = result.diagnostics["steps"]
    x, w, s = result.depth, result.cell_width, result.stress
    length = w.sum()
    tol = 4 * n * EPS * length * LAS_SCALE
    np.testing.assert_allclose(s @ w, 0.0, atol=tol)
    xc = (x @ w) / length
    np.testing.assert_allclose(s @ (w * (x - xc)), 0.0, atol=tol * length)
    if faces == "both":  # symmetric: the mirrored half
        np.testing.assert_array_equal(s, s[:, ::-1])
    assert s[-1, 0] < -0.1 * LAS_SCALE  # a compressed surface after the K step
    assert result.metrics[-1].compressive_stress == pytest.approx(-s[-1, 0])


# --------------------------------------------------------------------------- references


def test_without_relaxation_hereditary_is_the_elastic_stress(tmp_path):
    """τ → ∞: every factor is 1 and Σ_k Δσ_k telescopes to σ_e(t_n), to the round-off of
    n increments (4n·eps of the largest stress); the profiles are the same run's."""
    recipe = _recipe(tmp_path, LAS.replace("FACES", "front"))
    stiff = _with_relaxation(recipe, "hereditary", RelaxationLaw(math.inf, 0.6))
    hereditary = run_multicomponent(stiff)
    elastic = run_multicomponent(_with_relaxation(recipe, "none"))
    np.testing.assert_array_equal(hereditary.fractions, elastic.fractions)
    n = hereditary.diagnostics["steps"]
    scale = np.abs(elastic.stress).max()
    np.testing.assert_allclose(hereditary.stress, elastic.stress, rtol=0, atol=4 * n * EPS * scale)


# three ions with one D: linear diffusion, χ_i − χ_i⁰ = (χ_i^bath − χ_i⁰)·erfc(x/2√(Dt)),
# so the strain of every cell grows monotonically during the exchange; then an anneal at
# room temperature, where D falls by e^−46 and the profile stays as it was
FROZEN = textwrap.dedent(
    """
    [glass]
    total_mobile = "15 mol/L"
    initial = { Li = 0.6, Na = 0.4, K = 0.0 }
    [ions.Li]
    D0 = "1e-2 m^2/s"
    Q = "200 kJ/mol"
    [ions.Na]
    D0 = "1e-2 m^2/s"
    Q = "200 kJ/mol"
    [ions.K]
    D0 = "1e-2 m^2/s"
    Q = "200 kJ/mol"
    [[step]]
    name = "exchange"
    bath = { Li = 0.1, Na = 0.5, K = 0.4 }
    temperature = "700 K"
    duration = "0.1 h"
    [[step]]
    name = "anneal"
    bath = "none"
    temperature = "300 K"
    duration = "60 h"
    [output]
    times = ["1.1 h", "10.1 h", "30.1 h"]
    [stress]
    youngs_modulus = "82 GPa"
    poisson_ratio = 0.21
    dilation = { Na = 0.004, K = 0.011 }
    relaxation = "hereditary"
    tau = "10 h"
    beta = 0.6
    """
)


def test_a_frozen_profile_relaxes_by_the_superposition_of_its_increments(tmp_path):
    """A slab (no balancing) exchanged for t₁ = 0.1 h, then annealed where nothing
    diffuses: σ(t) = Σ Δσ_e(t′)·exp(−((t − t′)/τ)^β) over births t′ ∈ [0, t₁], each
    increment of one sign, so σ(t)/σ_e(t₁) lies between exp(−(t/τ)^β) and
    exp(−((t − t₁)/τ)^β) in every cell — a band 0.6 % wide at t = τ. The slack: the
    solver's atol in χ (increments of the other sign, the anneal's D·t)."""
    recipe = _recipe(tmp_path, FROZEN)
    assert recipe.steps[1].bath is None and recipe.glass.thickness is None
    result = run_multicomponent(recipe)
    law = recipe.stress.law
    t1 = 0.1 * HOUR
    # the elastic stress of the profile the exchange left (the anneal keeps it)
    end = int(np.nonzero(np.isclose(result.times, t1))[0][0])
    fractions = {ion: result.fraction(ion)[end] for ion in result.species}
    elastic = balanced_multi_ion_stress(
        result.depth, result.cell_width, fractions, recipe.stress.glass, plate=False
    )
    cells = np.abs(elastic) >= 0.1 * np.abs(elastic).max()
    assert cells.sum() >= 20
    slack = 4 * recipe.atol * 82e9 / 0.79 * 0.011 / np.abs(elastic[cells]).min()
    for k, t in enumerate(result.times):
        if t < t1:
            continue
        ratio = result.stress[k, cells] / elastic[cells]
        oldest = float(kohlrausch_factor(t, law.tau, law.beta))
        youngest = float(kohlrausch_factor(t - t1, law.tau, law.beta))
        assert np.all(ratio >= oldest - slack), (t / HOUR, ratio.min(), oldest)
        assert np.all(ratio <= youngest + slack), (t / HOUR, ratio.max(), youngest)
    # the anneal relaxes it: 10 h after the exchange, to about 1/e
    assert float(np.median(result.stress[2, cells] / elastic[cells])) == pytest.approx(
        math.exp(-1.0), rel=1e-2
    )


def test_the_aged_run_relaxes_its_own_history(tmp_path):
    """With bath ageing the process is run many times; the relaxed stress is that of the
    run returned: with τ → ∞ it equals its elastic stress (as above, to 4n·eps)."""
    text = textwrap.dedent(
        """
        [glass]
        total_mobile = "15 mol/L"
        initial = { Li = 0.1, Na = 0.88, K = 0.02 }
        thickness = "0.7 mm"
        [ions.Li]
        D = "2.5e-14 m^2/s"
        [ions.Na]
        D = "8e-14 m^2/s"
        [ions.K]
        D = "2e-15 m^2/s"
        [bath]
        chemistry = "illustrative LAS K/Na/Li"
        salt_mass = "300 kg"
        load_area = "1.2 m^2"
        loads_before = 10
        [[step]]
        bath = { salt = { KNO3 = "100 mol%" } }
        temperature = "400 degC"
        duration = "4 h"
        [stress]
        youngs_modulus = "82 GPa"
        poisson_ratio = 0.21
        dilation = { Na = 0.004, K = 0.011 }
        """
    )
    recipe = _recipe(tmp_path, text)
    stiff = run_multicomponent(_with_relaxation(recipe, "hereditary", RelaxationLaw(math.inf, 0.6)))
    elastic = run_multicomponent(recipe)
    assert stiff.diagnostics["runs"] > 1 and stiff.aged_baths
    np.testing.assert_array_equal(stiff.fractions, elastic.fractions)
    n = stiff.diagnostics["steps"]
    scale = np.abs(elastic.stress).max()
    np.testing.assert_allclose(stiff.stress, elastic.stress, rtol=0, atol=4 * n * EPS * scale)


# --------------------------------------------------------------------------- ionex run


def test_ionex_run_of_a_hereditary_recipe_writes_the_stress(tmp_path, capsys):
    path = tmp_path / "las.toml"
    path.write_text(LAS.replace("FACES", "both"))
    out = tmp_path / "out"
    assert main(["run", str(path), "-o", str(out), "-q"]) == 0
    assert capsys.readouterr().err == ""
    with xr.open_dataset(out / "result.nc") as ds:
        stress = ds["stress_Pa"]
        assert stress.dims == ("time", "depth") and stress.attrs["units"] == "Pa"
        assert 'relaxation = "hereditary"' in ds.attrs["recipe"]
        assert float(stress[-1, 0]) < 0 < float(ds["central_tension"][-1])


@pytest.mark.parametrize(
    "old, new, words",
    [
        ('tau = "10 h"\n', "", ['relaxation "hereditary" needs a relaxation time tau']),
        ('"hereditary"', '"maxwell"', ["stress.relaxation", '"none", "kww" or "hereditary"']),
    ],
)
def test_bad_relaxation_is_one_clear_line(tmp_path, capsys, old, new, words):
    path = tmp_path / "las.toml"
    path.write_text(LAS.replace("FACES", "both").replace(old, new))
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    for w in words:
        assert w in err, (w, err)
