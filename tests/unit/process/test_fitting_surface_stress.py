"""Surface stress meters (FSM-6000-type: CS and DOL per sample) as a fit's dataset: the
model's CS and DOL are ionex's own stress metrics, a meter file of a known recipe gives
back its diffusivity and dilation within their reported uncertainty, alone and jointly
with a composition profile, and bad input gets one line naming the fit file's field.

The synthetic meter files come from the public path (simulate → compute_properties →
StressMetrics) on a semi-infinite K⁺/Na⁺ slab whose [numerics] hold the fit tolerances,
at the parameters TRUE, with Gaussian noise of SIGMA_CS and SIGMA_DOL from a fixed seed.
"""

import dataclasses
import math
import textwrap

import numpy as np
import pytest

from ionex.errors import RecipeError
from ionex.io.fit_file import load_fit
from ionex.io.recipe_document import RecipeDocument
from ionex.physics.stress import stress_metrics
from ionex.process.fitting import (
    FitError,
    FitInputError,
    SurfaceStressMeterData,
    fit,
    predict,
)
from ionex.process.properties import compute_properties
from ionex.process.simulate import simulate

HOUR = 3600.0
E, NU = 72e9, 0.22  # the slab's Young's modulus (Pa) and Poisson ratio
BATH = 0.9  # K⁺ site fraction the bath holds at the surface
SLAB = textwrap.dedent(
    """
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
    duration = "4 h"
    [stress]
    youngs_modulus = "72 GPa"
    poisson_ratio = 0.22
    dilation = 0.005
    [numerics]
    cells_per_efold = 20
    rtol = 1e-5
    atol = 1e-7
    """
)
TRUE = {"ions.K.D": 1.6e-15, "stress.dilation": 0.0065}  # the recipe above: the fit's start
SIGMA_CS, SIGMA_DOL = 20e6, 0.5e-6  # Pa, m: a meter's typical repeatability
SAMPLES = ("A1", "A2", "A3")
SEED = 20240917
# a fitted value lies within this many of its reported standard errors of the truth (the
# errors are those of the given σ, scale_covar = false: a 3σ miss has odds of 0.3 %)
WITHIN = 3.0
RECOVERY = 1e-6  # relative; 100 × the minimiser's xtol/ftol (as tests of the other kinds)

FIT = textwrap.dedent(
    """
    recipe = "slab.toml"
    [fit]
    scale_covar = false
    [[parameter]]
    path = "ions.K.D"
    min = "1e-17 m^2/s"
    max = "1e-13 m^2/s"
    log = true
    [[parameter]]
    path = "stress.dilation"
    min = 0.0
    max = 0.05
    [[dataset]]
    kind = "surface_stress"
    name = "FSM"
    file = "meter.csv"
    sigma_cs = "20 MPa"
    sigma_dol = "0.5 um"
    """
)


def truth():
    """The truth run at the end of the process: the Result and its StressMetrics."""
    recipe = RecipeDocument(SLAB, "slab.toml").with_values(TRUE).recipe()
    result = simulate(recipe)
    return result, compute_properties(result, modes=False).metrics[-1]


def meter_file(metrics, seed=SEED) -> str:
    """A meter's CSV of the truth: CS and DOL of each sample with the meter's noise."""
    rng = np.random.default_rng(seed)
    lines = ["# FSM-6000LE, 589 nm", "sample,CS_MPa,DOL_um"]
    for name in SAMPLES:
        cs = metrics.compressive_stress + SIGMA_CS * rng.standard_normal()
        dol = metrics.depth_of_layer + SIGMA_DOL * rng.standard_normal()
        lines.append(f"{name},{cs / 1e6:.2f},{dol * 1e6:.4f}")
    return "\n".join(lines) + "\n"


def write(tmp_path, fit=FIT, files=None):
    (tmp_path / "slab.toml").write_text(SLAB)
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(text)
    (tmp_path / "fit.toml").write_text(fit)
    return tmp_path / "fit.toml"


@pytest.fixture(scope="module")
def slab_truth():
    return truth()


def test_model_cs_and_dol_are_ionex_stress_metrics(slab_truth):
    result, metrics = slab_truth
    recipe = dataclasses.replace(result.recipe, output_times=())
    data = SurfaceStressMeterData.from_meter(
        SAMPLES, [6e8] * 3, [1.5e-5] * 3, sigma_cs=SIGMA_CS, sigma_dol=SIGMA_DOL
    )
    (pred,) = predict(recipe, [data])
    cs, dol = (
        pred.values[np.array(data.quantity) == "CS"],
        pred.values[np.array(data.quantity) == "DOL"],
    )
    # DOL: StressMetrics.depth_of_layer itself, the same function on the same run
    assert np.all(dol == metrics.depth_of_layer)
    # CS: σ extrapolated to the face, against the first cell's −σ of StressMetrics; a
    # semi-infinite slab has σ = −E/(1−ν)·B·χ, so both are E/(1−ν)·B·χ at depth 0 and at
    # the first centre x₁ ≈ 1e-3 diffusion lengths deep: they differ by |dχ/dx|·x₁ ≲ 1e-3
    assert cs[0] == pytest.approx(metrics.compressive_stress, rel=1e-3)
    assert cs[0] == pytest.approx(E / (1 - NU) * TRUE["stress.dilation"] * BATH, rel=1e-3)
    assert np.all(cs == cs[0])  # every sample is the same process
    # the layer of a one-step erfc-like profile: below the 1 % point the fraction is tiny
    assert 5e-6 < metrics.depth_of_layer < 5e-5


def test_fit_recovers_diffusivity_and_dilation_from_three_samples(
    tmp_path, slab_truth, monkeypatch
):
    _, metrics = slab_truth
    setup = load_fit(write(tmp_path, files={"meter.csv": meter_file(metrics)}))
    (fd,) = setup.datasets
    assert isinstance(fd.data, SurfaceStressMeterData)
    assert fd.data.quantity == ("CS",) * 3 + ("DOL",) * 3 and fd.data.n_points == 6
    result = fit(setup.parameters, setup.datasets, options=setup.options)
    assert result.success
    for name, true in TRUE.items():
        err = result.stderr[name]
        assert err is not None and abs(result.values[name] - true) <= WITHIN * err, (
            name,
            result.values[name],
            err,
        )
    # CS = E/(1−ν)·B·χ(0) depends on B alone (χ(0) moves with D only through the first
    # centre's depth, ~1e-3 diffusion lengths) and DOL on D alone: two decoupled problems
    # of one unknown each, whose least-squares solution puts the model at the mean of the
    # samples (to RECOVERY) with σ_B = σ_CS/(√n·E/(1−ν)·χ(0)), χ(0) = 0.9 to 1e-3
    data, model = fd.data, result.datasets[0].model
    for q in ("CS", "DOL"):
        mine = np.array(data.quantity) == q
        assert model[mine] == pytest.approx(np.full(3, data.value[mine].mean()), rel=RECOVERY)
    expected = SIGMA_CS / (math.sqrt(len(SAMPLES)) * E / (1 - NU) * BATH)
    assert result.stderr["stress.dilation"] == pytest.approx(expected, rel=1e-3)
    assert abs(result.correlation("ions.K.D", "stress.dilation")) < 1e-3
    # fit.png draws CS and DOL on their own axes, each in its unit
    from ionex.io import fit_report

    figures = []
    monkeypatch.setattr(fit_report, "save_figure", lambda fig, path, dpi: figures.append(fig))
    fit_report.plot_fit(setup, result, tmp_path / "fit.png")
    labels = {ax.get_ylabel() for ax in figures[0].get_axes()}
    assert {"CS (MPa)", "DOL (µm)"} <= labels


def test_joint_fit_with_a_composition_profile(tmp_path, slab_truth):
    result, metrics = slab_truth
    # an EPMA profile of the same plate: χ_K at 12 depths, σ = 0.01, the same seed
    rng = np.random.default_rng(SEED + 1)
    depth = np.linspace(0.5e-6, 20e-6, 12)
    chi = np.interp(depth, result.depth, result.frac_incoming[-1])
    chi += 0.01 * rng.standard_normal(depth.size)
    profile = "depth_um,frac_K\n" + "".join(f"{x * 1e6:.3f},{c:.5f}\n" for x, c in zip(depth, chi))
    fit_text = FIT.replace('sigma_dol = "0.5 um"\n', 'use = ["CS"]\n') + textwrap.dedent(
        """
        [[dataset]]
        kind = "profile"
        name = "EPMA"
        file = "k.csv"
        sigma = 0.01
        """
    )
    files = {"meter.csv": meter_file(metrics), "k.csv": profile}
    setup = load_fit(write(tmp_path, fit_text, files))
    meter, epma = setup.datasets
    assert meter.data.quantity == ("CS",) * 3
    assert meter.builder is epma.builder  # one forward run serves both
    out = fit(setup.parameters, setup.datasets, options=setup.options)
    assert out.success and out.n_data == 3 + 12
    for name, true in TRUE.items():
        assert abs(out.values[name] - true) <= WITHIN * out.stderr[name], name


@pytest.mark.parametrize(
    "old, new, files, field, words",
    [
        ('sigma_cs = "20 MPa"\n', "", None, "dataset[1].sigma_cs", "missing; expected the 1-σ"),
        (
            'sigma_dol = "0.5 um"\n',
            'sigma_dol = "0.5 um"\nuse = ["CS", "DOC"]\n',
            None,
            "dataset[1].use",
            'found \'DOC\'; expected "CS" and/or "DOL"',
        ),
        (
            "",
            "",
            {"meter.csv": "sample,DOL_um\nA1,12.0\nA2,12.5\nA3,11.8\n"},
            "dataset[1].file",
            "meter.csv, line 1: header 'sample,DOL_um' has no CS column; expected one: CS_Pa | CS_MPa",
        ),
        (
            'sigma_dol = "0.5 um"\n',
            'sigma_dol = "0.5 um"\nsigma = "20 MPa"\n',
            None,
            "dataset[1].sigma",
            "takes sigma_cs and sigma_dol",
        ),
        (
            'sigma_dol = "0.5 um"\n',
            'use = ["CS"]\nsigma_dol = "0.5 um"\n',
            None,
            "dataset[1].sigma_dol",
            "use leaves DOL out",
        ),
    ],
)
def test_bad_input_gets_one_line_naming_the_fit_file_field(tmp_path, old, new, files, field, words):
    meter = "sample,CS_MPa,DOL_um\nA1,640,12.0\nA2,655,12.5\nA3,630,11.8\n"
    path = write(
        tmp_path, FIT.replace(old, new) if old else FIT, {"meter.csv": meter, **(files or {})}
    )
    with pytest.raises(RecipeError) as info:
        load_fit(path)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(f"{path}, line ") and f": {field}: " in msg, msg
    assert words in msg, msg


def test_multicomponent_dol_is_the_k_excess_layer_and_needs_a_k_layer():
    las = textwrap.dedent(
        """
        [glass]
        total_mobile = "7 mol/L"
        initial = { Li = 0.6, Na = 0.38, K = 0.02 }
        [ions.Li]
        D = "3e-14 m^2/s"
        [ions.Na]
        D = "2e-14 m^2/s"
        [ions.K]
        D = "6e-15 m^2/s"
        [[step]]
        bath = { Li = 0.02, Na = 0.68, K = 0.30 }
        temperature = "400 degC"
        duration = "1 h"
        [stress]
        youngs_modulus = "82 GPa"
        poisson_ratio = 0.22
        dilation = { Na = 0.005, K = 0.015 }
        """
    )
    recipe = RecipeDocument(las, "las.toml").recipe()
    data = SurfaceStressMeterData.from_meter(
        SAMPLES, [8e8] * 3, [3e-6] * 3, sigma_cs=SIGMA_CS, sigma_dol=SIGMA_DOL
    )
    (pred,) = predict(recipe, [data])
    run = simulate(recipe)
    excess = run.fraction("K")[-1] - 0.02
    layer = stress_metrics(run.depth, run.stress[-1], excess)
    dol = pred.values[np.array(data.quantity) == "DOL"]
    assert np.all(dol == layer.depth_of_layer)
    # the K⁺ layer is the spike: far shallower than where σ turns tensile (the Na⁺ tail)
    assert dol[0] < 0.5 * run.metrics[-1].depth_of_compression
    with pytest.raises(FitInputError, match=r"found ion 'Ag'; expected the ion") as info:
        dataclasses.replace(data, ion="Ag").check_recipe(recipe)
    assert info.value.field == "ion"
    # a bath that takes K⁺ out leaves no layer for a DOL
    drained = RecipeDocument(
        las.replace("K = 0.30", "K = 0.0").replace("Na = 0.68", "Na = 0.98"), "d.toml"
    )
    with pytest.raises(FitError, match="holds no K⁺ beyond the glass's own"):
        predict(drained.recipe(), [data])
