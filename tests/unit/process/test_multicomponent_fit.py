"""Multicomponent runs fitted to what labs measure: oxide mol % profiles (EDX, EPMA) and
stress profiles of plates of several thicknesses in one global fit, the bath fractions kept
adding up to 1 by a balance ion, identifiability warnings, and one clear error for each
kind of bad input.

The synthetic data of examples/data/las_edx_*.csv and las_stress_*.csv are made by
``write_las_data`` below (run this file as a script to write them again): the recipe LAS at
the parameters TRUE, sampled at the depths a lab would, with Gaussian noise of
EDX_SIGMA (mol %) and STRESS_SIGMA (MPa) from a fixed seed.
"""

import dataclasses
import io
import pickle
import textwrap
from pathlib import Path

import numpy as np
import pytest

from ionex.errors import RecipeError
from ionex.io.fit_file import load_fit
from ionex.io.recipe_document import RecipeDocument
from ionex.process.fitting import (
    FitInputError,
    ModesData,
    OxideProfileData,
    ProfileData,
    StressProfileData,
    SurfaceStressData,
    ZoneData,
    fit,
    predict,
)
from ionex.process import fitting
from ionex.process.simulate import simulate

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "data"

LAS = textwrap.dedent(
    """
    name = "LAS mixed bath"
    [glass]
    total_mobile = "7 mol/L"
    initial = { Li = 0.6, Na = 0.38, K = 0.02 }
    thickness = "0.5 mm"
    faces = "both"
    [ions.Li]
    D = "3e-14 m^2/s"
    [ions.Na]
    D = "2e-14 m^2/s"
    [ions.K]
    D = "6e-15 m^2/s"
    [[step]]
    name = "mixed bath"
    bath = { Li = 0.02, Na = 0.68, K = 0.30 }
    temperature = "400 degC"
    duration = "2 h"
    [stress]
    youngs_modulus = "82 GPa"
    poisson_ratio = 0.22
    dilation = { Na = 0.005, K = 0.015 }
    """
)
# the parameters the data were made with (SI); the recipe above holds the fit's start
TRUE = {
    "ions.Na.D": 4e-14,
    "ions.K.D": 3e-15,
    "step[1].bath.K": 0.40,
    "stress.dilation.Na": 0.008,
    "stress.dilation.K": 0.020,
}
BALANCED = {"step[1].bath.Na": 1.0 - 0.02 - 0.40}  # Li 0.02 held, Na takes up the rest
TOTAL_ALKALI = 15.0  # mol % of Li2O + Na2O + K2O in the glass
EDX_SIGMA = 0.2  # mol %
STRESS_SIGMA = 10.0  # MPa
PLATES = (("0.3mm", 0.3), ("1mm", 1.0))  # name in the file names, thickness (mm)
SEED = 20240611

FIT = textwrap.dedent(
    """
    recipe = "las.toml"
    [[parameter]]
    path = "ions.Na.D"
    min = "1e-16 m^2/s"
    max = "1e-12 m^2/s"
    log = true
    [[parameter]]
    path = "ions.K.D"
    min = "1e-17 m^2/s"
    max = "1e-13 m^2/s"
    log = true
    [[parameter]]
    path = "step[1].bath.K"
    min = 0.05
    max = 0.9
    balance = "Na"
    [[parameter]]
    path = "stress.dilation.Na"
    min = 0.0
    max = 0.05
    [[parameter]]
    path = "stress.dilation.K"
    min = 0.0
    max = 0.05
    [[dataset]]
    kind = "oxide_profile"
    name = "EDX 0.3 mm"
    file = "DATA/las_edx_0.3mm.csv"
    total_alkali_oxide = "15 mol%"
    sigma = "0.2 mol%"
    set = { "glass.thickness" = "0.3 mm" }
    [[dataset]]
    kind = "stress_profile"
    name = "stress 0.3 mm"
    file = "DATA/las_stress_0.3mm.csv"
    sigma = "10 MPa"
    set = { "glass.thickness" = "300 um" }
    [[dataset]]
    kind = "oxide_profile"
    name = "EDX 1 mm"
    file = "DATA/las_edx_1mm.csv"
    total_alkali_oxide = 15
    sigma = { Na2O = "0.2 mol%", K2O = "0.2 mol%" }
    set = { "glass.thickness" = "1 mm" }
    [[dataset]]
    kind = "stress_profile"
    name = "stress 1 mm"
    file = "DATA/las_stress_1mm.csv"
    compression = "negative"
    sigma = "10 MPa"
    set = { "glass.thickness" = "1 mm" }
    """
)


def write_las_data(folder, seed: int = SEED) -> list[Path]:
    """Write the synthetic EDX and stress profiles of the two plates into ``folder``: LAS at
    TRUE (tolerances 1e-7/1e-9, far below the fit's), the EDX scan every 1.5 µm to 60 µm
    (an SiO2 column too in the 1 mm file, as EDX reports it), the stress every 2.5 µm to
    60 µm and at six depths to the mid-plane; noise N(0, EDX_SIGMA) and N(0, STRESS_SIGMA).
    The 0.3 mm plate's stress is written compression-positive, the 1 mm plate's
    compression-negative."""
    folder = Path(folder)
    rng = np.random.default_rng(seed)
    values = {**TRUE, **BALANCED}
    shown = ", ".join(f"{k} = {v:g}" for k, v in values.items())
    written = []
    for label, mm in PLATES:
        doc = RecipeDocument(LAS, "las.toml").with_values({"glass.thickness": mm})
        recipe = dataclasses.replace(doc.recipe().editor(values), rtol=1e-7, atol=1e-9)
        run = simulate(recipe)
        head = (
            "# Synthetic data (no measurement), made by write_las_data in "
            f"tests/unit/process/test_multicomponent_fit.py (numpy default_rng({seed})):\n"
            f"# its recipe LAS (a Li/Na/K glass 0.60/0.38/0.02, plate {mm:g} mm exchanged on both "
            "faces, D_Li 3e-14 m^2/s, 2 h at 400 degC in a Li/Na/K bath, E 82 GPa, nu 0.22)\n"
            f"# at the end of the process, with {shown}.\n"
        )
        x = np.arange(0.75, 60.0, 1.5) * 1e-6
        na, k = (
            np.interp(x, run.depth, run.fraction(ion)[-1]) * TOTAL_ALKALI for ion in ("Na", "K")
        )
        na, k = (c + rng.normal(0.0, EDX_SIGMA, x.size) for c in (na, k))
        edx = folder / f"las_edx_{label}.csv"
        lines = [
            head + f"# EDX line scan: mol % of Na2O and K2O, total alkali oxide {TOTAL_ALKALI:g} "
            f"mol %, noise sigma {EDX_SIGMA:g} mol %\n"
        ]
        if mm == 1.0:
            si = 70.0 + rng.normal(0.0, 0.5, x.size)
            lines.append("depth_um,SiO2_mol_pct,Na2O_mol_pct,K2O_mol_pct\n")
            lines += [
                f"{a * 1e6:.2f},{b:.3f},{c:.3f},{d:.3f}\n" for a, b, c, d in zip(x, si, na, k)
            ]
        else:
            lines.append("depth_um,Na2O_mol_pct,K2O_mol_pct\n")
            lines += [f"{a * 1e6:.2f},{c:.3f},{d:.3f}\n" for a, c, d in zip(x, na, k)]
        edx.write_text("".join(lines))
        half = mm * 1e-3 / 2
        xs = np.concatenate([np.arange(2.0, 60.0, 2.5) * 1e-6, np.linspace(80e-6, half, 6)])
        s = np.interp(xs, run.depth, run.stress[-1]) / 1e6 + rng.normal(0.0, STRESS_SIGMA, xs.size)
        positive = mm == 0.3
        column, sign = ("compressive_stress_MPa", -1.0) if positive else ("stress_MPa", 1.0)
        stress = folder / f"las_stress_{label}.csv"
        stress.write_text(
            head + f"# stress profile, compression {'positive' if positive else 'negative'}, "
            f"noise sigma {STRESS_SIGMA:g} MPa\n"
            + f"depth_um,{column}\n"
            + "".join(f"{a * 1e6:.2f},{sign * b:.2f}\n" for a, b in zip(xs, s))
        )
        written += [edx, stress]
    return written


def _table(path):
    """A CSV with comment lines as a structured array by column name."""
    lines = [line for line in Path(path).read_text().splitlines() if not line.startswith("#")]
    return np.genfromtxt(io.StringIO("\n".join(lines)), delimiter=",", names=True)


def _write(tmp_path, fit_text=FIT, recipe=LAS, data=EXAMPLES) -> Path:
    (tmp_path / "las.toml").write_text(recipe)
    path = tmp_path / "fit.toml"
    path.write_text(fit_text.replace("DATA", str(data)))
    return path


def test_global_fit_over_two_thicknesses_recovers_the_parameters(tmp_path, monkeypatch):
    """EDX (Na2O, K2O) and stress profiles of a 0.3 mm and a 1 mm plate, fitted at once
    for D_Na, D_K, the bath's K fraction (Na its balance) and B_Na, B_K from starts up to
    2× off: every value within 3σ of the truth, χ²_red within 4 standard deviations
    (√(2/dof)) of 1, and one forward run per plate and evaluation (the EDX and stress
    data of a plate share it; "300 um" and "0.3 mm" are one thickness)."""
    setup = load_fit(_write(tmp_path))
    assert len({id(fd.builder) for fd in setup.datasets}) == 2
    assert [fd.data.kind for fd in setup.datasets] == ["oxide_profile", "stress_profile"] * 2
    served = []  # the datasets each forward run models

    def counted(item, forward=fitting._forward):
        served.append(tuple(d.name for d in item[0].datasets))
        return forward(item)

    monkeypatch.setattr(fitting, "_forward", counted)
    result = fit(setup.parameters, setup.datasets, options=setup.options)
    assert result.success, result.message
    for name, true in TRUE.items():
        s = result.stderr[name]
        assert s is not None and abs(result.values[name] - true) < 3 * s, (name, result.values)
    dof = result.n_data - result.n_params
    assert abs(result.redchi - 1.0) < 4 * np.sqrt(2.0 / dof)
    assert len(served) == result.n_forward_runs
    assert set(served) == {("EDX 0.3 mm", "stress 0.3 mm"), ("EDX 1 mm", "stress 1 mm")}
    assert not [w for w in result.warnings if "correlation" in w or "standard error" in w]
    # the fitted recipe keeps the bath adding up to 1
    fitted = setup.document.with_values({"step[1].bath.K": result.values["step[1].bath.K"]})
    bath = fitted.recipe().steps[0].bath
    assert sum(bath.values()) == pytest.approx(1.0, abs=1e-12) and bath["Li"] == 0.02


def test_the_example_data_are_what_write_las_data_makes(tmp_path):
    """The shipped files, written again from TRUE and the seed: the same numbers to the
    digits written (the forward model agrees far below them; one unit of the last digit,
    0.01, where a value lies on a rounding boundary)."""
    for made in write_las_data(tmp_path):
        shipped = EXAMPLES / made.name
        a = _table(shipped)
        b = _table(made)
        assert a.dtype.names == b.dtype.names
        for col in a.dtype.names:
            np.testing.assert_allclose(a[col], b[col], atol=0.011, rtol=0)


def test_oxide_mol_pct_becomes_site_fractions_of_the_cations(tmp_path):
    """χ_M = mol %(M₂O)/total and σ_χ = σ/total; SiO2 is not exchanged and left out; the
    stress of a compression-positive file is stored compression < 0."""
    setup = load_fit(_write(tmp_path))
    edx, stress = setup.datasets[2].data, setup.datasets[1].data
    raw = _table(EXAMPLES / "las_edx_1mm.csv")
    assert edx.oxides == ("Na2O", "K2O") and set(edx.ion) == {"Na", "K"}
    np.testing.assert_allclose(edx.fraction[edx.n_points // 2 :], raw["K2O_mol_pct"] / 15.0)
    np.testing.assert_allclose(edx.sigma, 0.2 / 15.0)
    np.testing.assert_allclose(edx.depth[: raw.size], raw["depth_um"] * 1e-6)
    raw = _table(EXAMPLES / "las_stress_0.3mm.csv")
    np.testing.assert_allclose(stress.stress, -raw["compressive_stress_MPa"] * 1e6)
    assert stress.stress[0] < 0  # compression at the surface


def test_stress_profiles_are_the_runs_own_stress_binary_and_multicomponent():
    """The model of a stress profile at cell centres is the run's σ there:
    MulticomponentResult.stress, and for the binary engine result.properties.stress (predict
    runs what simulate runs: equal to round-off)."""
    recipe = RecipeDocument(LAS, "las.toml").recipe()
    run = simulate(recipe)
    inner = run.depth[5:200:7]
    data = StressProfileData(inner, np.zeros(inner.size), 1e6)
    (pred,) = predict(recipe, [data])
    np.testing.assert_allclose(pred.values, run.stress[-1][5:200:7], rtol=1e-12)
    binary = textwrap.dedent(
        """
        [glass]
        host_ion = "Na"
        total_mobile = "10.9 mol/L"
        thickness = "1 mm"
        [ions.K]
        D = "1e-15 m^2/s"
        [ions.Na]
        D = "1e-14 m^2/s"
        [[step]]
        bath = { K = 1.0 }
        temperature = "420 degC"
        duration = "8 h"
        [stress]
        youngs_modulus = "72 GPa"
        poisson_ratio = 0.22
        dilation = 0.0087
        """
    )
    b = RecipeDocument(binary, "binary.toml").recipe()
    run = simulate(b)
    inner = run.depth[3:150:5]
    (pred,) = predict(b, [StressProfileData(inner, np.zeros(inner.size), 1e6)])
    np.testing.assert_allclose(pred.values, run.properties.stress[-1][3:150:5], rtol=1e-12)


def test_fit_paths_reach_the_multicomponent_recipe_and_a_balance_keeps_the_sum(tmp_path):
    """ions.K.D, step[2].bath.K (Na its balance, or "others") and stress.dilation.Na set
    the recipe a forward run gets; the bath still adds up to 1."""
    two_steps = LAS + textwrap.dedent(
        """
        [[step]]
        name = "K step"
        bath = { Li = 0.01, Na = 0.09, K = 0.90 }
        temperature = "380 degC"
        duration = "1 h"
        """
    )
    fit_text = textwrap.dedent(
        """
        recipe = "las.toml"
        [[parameter]]
        path = "ions.K.D"
        [[parameter]]
        path = "step[2].bath.K"
        balance = "Na"
        [[parameter]]
        path = "stress.dilation.Na"
        [[dataset]]
        kind = "oxide_profile"
        file = "DATA/las_edx_0.3mm.csv"
        total_alkali_oxide = "15 mol%"
        sigma = "0.2 mol%"
        """
    )
    setup = load_fit(_write(tmp_path, fit_text, two_steps))
    build = setup.datasets[0].builder
    r = build({"ions.K.D": 2e-15, "step[2].bath.K": 0.8, "stress.dilation.Na": 0.011})
    assert r.ions["K"](650.0) == 2e-15 and r.stress.glass.dilations["Na"] == 0.011
    assert dict(r.steps[1].bath) == pytest.approx({"Li": 0.01, "Na": 0.19, "K": 0.8})
    assert dict(r.steps[0].bath) == {"Li": 0.02, "Na": 0.68, "K": 0.30}  # untouched
    others = fit_text.replace('balance = "Na"', 'balance = "others"')
    setup = load_fit(_write(tmp_path, others, two_steps))
    r = setup.datasets[0].builder(
        {"ions.K.D": 2e-15, "step[2].bath.K": 0.8, "stress.dilation.Na": 0.011}
    )
    # Li and Na keep their ratio 0.01 : 0.09 in the rest, 0.2
    assert dict(r.steps[1].bath) == pytest.approx({"Li": 0.02, "Na": 0.18, "K": 0.8})
    # a dask worker gets the builder pickled (a MulticomponentRecipe's read-only mappings
    # do not pickle: it travels as the editor that reads it again)
    again = pickle.loads(pickle.dumps(setup.datasets[0].builder))
    values = {"ions.K.D": 2e-15, "step[2].bath.K": 0.8, "stress.dilation.Na": 0.011}
    assert again(values) == setup.datasets[0].builder(values)


def test_profile_zone_and_surface_stress_kinds_model_multicomponent_runs_too():
    """At a time within the process: a profile (frac_K) and the K2O of an oxide profile are
    the same χ_K; a zone is the mean of the profile; the surface stress is σ extrapolated
    from the first two cells. predict runs what simulate runs (same mesh, tolerances and
    output times), so they agree to round-off."""
    recipe = RecipeDocument(LAS, "las.toml").recipe()
    x = np.linspace(0.5e-6, 30e-6, 12)
    hour = 3600.0
    oxide = OxideProfileData.from_mol_pct(
        x, {"Na2O": np.zeros(12), "K2O": np.zeros(12)}, 0.2, 15.0, time=hour
    )
    profile = ProfileData(x, np.zeros(12), 0.01, time=hour, ion="K")
    zone = ZoneData(("K", "Li"), [0.0, 0.0], 0.01, (0.0, 5e-6), time=hour)
    surface = SurfaceStressData([hour, 2 * hour], [0.0, 0.0], 1e6)
    p_oxide, p_profile, p_zone, p_surface = predict(recipe, [oxide, profile, zone, surface])
    np.testing.assert_allclose(p_oxide.values[12:], p_profile.values, rtol=1e-12)
    run = simulate(dataclasses.replace(recipe, output_times=(hour,)))
    k = list(run.times).index(hour)
    np.testing.assert_allclose(
        p_profile.values, np.interp(x, run.depth, run.fraction("K")[k]), rtol=1e-12
    )
    assert p_zone.values[0] == pytest.approx(
        np.trapezoid(
            np.interp(np.linspace(0, 5e-6, 4001), *_surface_and(run, k, "K")), dx=5e-6 / 4000
        )
        / 5e-6,
        rel=1e-12,
    )
    s, d = run.stress[:, :2], run.depth[:2]
    top = s[:, 0] - d[0] * (s[:, 1] - s[:, 0]) / (d[1] - d[0])
    np.testing.assert_allclose(p_surface.values, top[[k, -1]], rtol=1e-12)


def _surface_and(run, k, ion):
    """Depths and χ of a run's profile with the bath's fraction at the face."""
    return (
        np.concatenate([[0.0], run.depth]),
        np.concatenate([[run.recipe.steps[0].bath[ion]], run.fraction(ion)[k]]),
    )


DEGENERATE_STRESS = """
recipe = "las.toml"
[[parameter]]
path = "stress.youngs_modulus"
min = "40 GPa"
max = "160 GPa"
[[parameter]]
path = "stress.dilation.Na"
[[parameter]]
path = "stress.dilation.K"
[[dataset]]
kind = "stress_profile"
file = "DATA/las_stress_1mm.csv"
compression = "negative"
sigma = "10 MPa"
set = { "glass.thickness" = "1 mm" }
"""
DEGENERATE_TIME = """
recipe = "las.toml"
[[parameter]]
path = "ions.Li.D"
log = true
min = "1e-16 m^2/s"
[[parameter]]
path = "ions.Na.D"
log = true
min = "1e-16 m^2/s"
[[parameter]]
path = "ions.K.D"
log = true
min = "1e-17 m^2/s"
[[parameter]]
path = "step[1].duration"
min = "0.5 h"
max = "8 h"
[[dataset]]
kind = "oxide_profile"
file = "DATA/las_edx_1mm.csv"
total_alkali_oxide = "15 mol%"
sigma = "0.2 mol%"
set = { "glass.thickness" = "1 mm", "step[1].bath.K" = 0.4, "step[1].bath.Na" = 0.58 }
"""


@pytest.mark.parametrize(
    "fit_text, said",
    [
        # σ = −E/(1−ν)·[Σ B_i Δχ_i − …] depends on E·B_Na and E·B_K only: (E·c, B/c) is
        # one model, exactly, so the Jacobian is singular
        (DEGENERATE_STRESS, "not separately identifiable"),
        # at one temperature the profiles depend on D_i·t only: (D_i·c, t/c) is one model
        # (to the solver's tolerance), so the four are correlated by |r| ≈ 1
        (DEGENERATE_TIME, "correlation"),
    ],
)
def test_a_degenerate_parameter_set_is_reported_unidentifiable(tmp_path, fit_text, said):
    setup = load_fit(_write(tmp_path, fit_text))
    result = fit(setup.parameters, setup.datasets, options=setup.options)
    text = " ".join(result.warnings)
    assert said in text, result.warnings
    for p in setup.parameters:
        assert any(p.name in w and said in w for w in result.warnings), p.name


def test_a_multicomponent_recipe_refuses_kinds_it_cannot_model():
    recipe = RecipeDocument(LAS, "las.toml").recipe()
    with pytest.raises(FitInputError, match="has no \\[optics\\]") as info:
        ModesData.check_model(recipe, "m")
    assert info.value.field == "kind"
    bare = RecipeDocument(LAS.split("[stress]")[0], "bare.toml").recipe()
    with pytest.raises(
        FitInputError, match=r"expected a \[stress\] section in the recipe bare\.toml"
    ):
        StressProfileData.check_model(bare, "s")
    rb = OxideProfileData.from_mol_pct([1e-6, 2e-6, 3e-6], {"Rb2O": [1.0, 0.5, 0.2]}, 0.1, 15.0)
    with pytest.raises(FitInputError, match="Rb2O, whose cation Rb is not an ion"):
        rb.check_recipe(recipe)
    ProfileData.check_model(recipe)
    with pytest.raises(FitInputError, match="found no ion; expected an ion of the recipe"):
        ProfileData([1e-6, 2e-6, 3e-6], [0.3, 0.2, 0.1], 0.01).check_recipe(recipe)
    with pytest.raises(FitInputError, match="found species 'Cs'; expected an ion") as info:
        ZoneData(("K", "Cs"), [0.3, 0.0], 0.01, (0.0, 1e-6)).check_recipe(recipe)
    assert info.value.field == "species"


EDX = "DATA/las_edx_0.3mm.csv"


@pytest.mark.parametrize(
    "edit, data, words",
    [
        (  # an oxide column whose cation the recipe does not have
            (EDX, "{tmp}/rb.csv"),
            ("rb.csv", "depth_um,Na2O_mol_pct,Rb2O_mol_pct\n1,8,0.1\n2,7,0.1\n3,6,0.1\n"),
            ["rb.csv, line 1", "column 'Rb2O_mol_pct'", "cation Rb", "ions: Li, Na, K"],
        ),
        (  # a compression-positive column declared negative
            ('name = "stress 0.3 mm"', 'name = "stress 0.3 mm"\ncompression = "negative"'),
            None,
            ["dataset[2].compression", "gives compression as positive", "one sign convention"],
        ),
        (  # two stress columns of opposite conventions in one file
            ("DATA/las_stress_0.3mm.csv", "{tmp}/mixed.csv"),
            (
                "mixed.csv",
                "depth_um,stress_MPa,compressive_stress_MPa\n2,-500,500\n5,-300,300\n9,-100,100\n",
            ),
            ["mixed.csv, line 1", "stress_MPa, compressive_stress_MPa", "one sign convention"],
        ),
        (  # a stress column whose sign is not declared
            ('compression = "negative"\n', ""),
            None,
            ["dataset[4].compression: missing", "does not say its sign"],
        ),
        (  # a set path not in the recipe
            ('"glass.thickness" = "0.3 mm"', '"glass.thicknes" = "0.3 mm"'),
            None,
            ["dataset[1].set.glass.thicknes", "not a field of this recipe", "glass.thickness"],
        ),
        (  # a bath fraction without a balance
            ('balance = "Na"\n', ""),
            None,
            ["parameter[3].balance: missing", "add up to 1", "'Li' or 'Na'", "'others'"],
        ),
        (  # the balance ion fitted too, with another balance
            (
                'balance = "Na"\n',
                'balance = "Na"\n[[parameter]]\npath = "step[1].bath.Na"\nbalance = "Li"\n',
            ),
            None,
            [
                "parameter[4].balance",
                "parameter[3] balances step[1].bath with 'Na'",
                "one balance per table",
            ],
        ),
        (  # no total to turn mol % into site fractions
            ('total_alkali_oxide = "15 mol%"\n', ""),
            None,
            ["dataset[1].total_alkali_oxide: missing", "mol % of all exchanging oxides"],
        ),
        (  # a bound at which the balance ion would fall below 0
            ("max = 0.9", "max = 0.99"),
            None,
            ["parameter[3].max", "step[1].bath.Na", "within [0, 1]"],
        ),
    ],
)
def test_bad_input_is_one_clear_error(tmp_path, edit, data, words):
    old, new = edit
    assert old in FIT
    (tmp_path / "bare.toml").write_text(LAS.split("[stress]")[0])
    if data is not None:
        (tmp_path / data[0]).write_text(data[1])
    text = FIT.replace(old, new.replace("{tmp}", str(tmp_path)), 1)
    with pytest.raises(RecipeError) as info:
        load_fit(_write(tmp_path, text))
    message = str(info.value)
    assert "\n" not in message, message
    for w in words:
        assert w in message, (w, message)


def test_stress_data_without_a_stress_section_is_one_clear_error(tmp_path):
    (tmp_path / "bare.toml").write_text(LAS.split("[stress]")[0])
    text = textwrap.dedent(
        """
        recipe = "bare.toml"
        [[parameter]]
        path = "ions.K.D"
        [[dataset]]
        kind = "stress_profile"
        file = "DATA/las_stress_1mm.csv"
        compression = "negative"
        sigma = "10 MPa"
        """
    )
    with pytest.raises(RecipeError) as info:
        load_fit(_write(tmp_path, text))
    message = str(info.value)
    assert "\n" not in message and "dataset[1]" in message, message
    assert "expected a [stress] section in the recipe bare.toml (to compute the stress)" in message


if __name__ == "__main__":  # write the example data again
    for path in write_las_data(EXAMPLES):
        print(f"wrote {path}")
