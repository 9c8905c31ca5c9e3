"""Dataset kinds are types: each knows what a recipe must have to model it, which process
times a forward run must output for it, how to predict it from the run, and how a report
shows it. The rules of a fit's inputs are raised as FitInputError naming the field."""

import dataclasses
import pickle

import numpy as np
import pytest

from ionex.io.recipe_document import RecipeDocument
from ionex.physics.depth_resolution import GaussianResolution
from ionex.process.simulate import simulate
from ionex.process.fitting import (
    OxideProfileData,
    StressProfileData,
    DATA_KINDS,
    KINDS,
    FitDataset,
    FitError,
    FitInputError,
    FitOptions,
    FitParameter,
    IndexData,
    ModesData,
    ProfileData,
    SimsData,
    SurfaceStressData,
    ZoneData,
    check_data,
    check_parameters,
    predict,
)
from _recipes import NPP_BATH

HOUR = 3600.0

PLATE = """
[glass]
host_ion = "Na"
total_mobile = "10.9 mol/L"
thickness = "20 um"
[ions.K]
D = "1e-15 m^2/s"
[ions.Na]
D = "1e-14 m^2/s"
[[step]]
bath = { K = 0.9 }
temperature = "420 degC"
duration = "2 h"
"""

OPTICS = """
[stress]
material = "soda-lime"
[optics]
wavelength = "633 nm"
base_index = 1.51
index_change = 0.01
"""

NPP = NPP_BATH

DEPTH = np.array([1e-6, 2e-6, 3e-6])


def recipe(text=PLATE, name="plate.toml"):
    return RecipeDocument(text, name).recipe()


def one_of_each(time=None):
    return [
        ProfileData(DEPTH, [0.5, 0.3, 0.1], 0.01, time=time, name="p"),
        SimsData(
            DEPTH, [0.5, 0.3, 0.1], 0.01, time=time, name="x", resolution=GaussianResolution(5e-9)
        ),
        ZoneData(("K", "Na", "K"), [0.6, 0.4, 0.6], 0.02, (0.0, 2e-6), time=time, name="z"),
        IndexData(DEPTH, [1.52, 1.515, 1.512], 1e-4, time=time, name="n"),
        ModesData(("TE", "TE", "TM"), [0, 1, 0], [1.52, 1.515, 1.521], 1e-5, time=time, name="m"),
        SurfaceStressData([0.5 * HOUR, HOUR, 2 * HOUR], [-3e8, -2.9e8, -2.8e8], 5e6, name="s"),
    ]


def test_every_kind_is_a_type_named_once():
    assert KINDS == (
        "profile",
        "sims",
        "zone",
        "index",
        "modes",
        "surface_stress",
        "oxide_profile",
        "stress_profile",
    )
    assert [DATA_KINDS[k] for k in KINDS] == [
        ProfileData,
        SimsData,
        ZoneData,
        IndexData,
        ModesData,
        SurfaceStressData,
        OxideProfileData,
        StressProfileData,
    ]
    for data in one_of_each():
        assert DATA_KINDS[data.kind] is type(data)


def test_each_kind_says_what_the_recipe_must_have():
    bare, full = recipe(), recipe(PLATE + OPTICS)
    npp = RecipeDocument(NPP, "npp.toml").recipe()
    for data in one_of_each():
        data.check_recipe(full)
    ProfileData.check_model(bare)
    ProfileData.check_model(npp)
    for kind, section in (
        (IndexData, "[optics]"),
        (ModesData, "[optics]"),
        (SurfaceStressData, "[stress]"),
    ):
        with pytest.raises(
            FitInputError, match=rf"expected an? \{section}.* in the recipe plate\.toml"
        ) as info:
            kind.check_model(bare, "x")
        assert info.value.field == "kind" and str(info.value).startswith(
            f"{kind.kind} dataset 'x': "
        )
        with pytest.raises(FitInputError, match="fitted to profiles only") as info:
            kind.check_model(npp)
        assert info.value.field == "kind"


def test_times_and_depths_must_lie_within_the_process_and_the_plate():
    r = recipe(PLATE + OPTICS)
    late = ProfileData(DEPTH, [0.5, 0.3, 0.1], 0.01, time=3 * HOUR, name="late")
    with pytest.raises(FitInputError) as info:
        late.check_recipe(r)
    assert info.value.field == "time"
    assert str(info.value) == (
        "profile dataset 'late': found time = 3 h; expected a time from 0 to the end of the process, 2 h"
    )
    stress = SurfaceStressData([HOUR, 2 * HOUR, 3 * HOUR], [-3e8, -2.9e8, -2.8e8], 5e6)
    with pytest.raises(FitInputError, match=r"found times\[2\] = 3 h") as info:
        stress.check_recipe(r)
    assert info.value.field == "times"
    deep = ProfileData([1e-6, 2e-6, 25e-6], [0.5, 0.3, 0.1], 0.01)
    with pytest.raises(
        FitInputError, match=r"depth\[2\] = 25 µm; expected depths within the plate \(0 to 20 µm\)"
    ) as info:
        deep.check_recipe(r)
    assert info.value.field == "depth"
    # the rule is the one predict applies before any forward run
    with pytest.raises(FitInputError, match="'late': found time = 3 h"):
        predict(r, [late])


def test_each_kind_asks_for_its_output_times_and_properties():
    end = 2 * HOUR
    profile, sims, zone, index, modes, stress = one_of_each()
    assert profile.output_times(end) == {end} and not profile.needs_properties
    assert ProfileData(DEPTH, [0.5, 0.3, 0.1], 0.01, time=HOUR).output_times(end) == {HOUR}
    assert index.needs_properties and modes.needs_properties and stress.needs_properties
    assert stress.output_times(end) == {0.5 * HOUR, HOUR, 2 * HOUR}
    with_curve = stress.output_times(end, curves=True)
    assert with_curve > stress.output_times(end) and max(with_curve) == end


def test_each_kind_predicts_itself_from_one_forward_run():
    r = dataclasses.replace(recipe(PLATE + OPTICS), output_times=())
    preds = predict(r, one_of_each(), curves=True)
    for data, pred in zip(one_of_each(), preds):
        assert pred.values.shape == data.observed.shape and np.all(np.isfinite(pred.values))
    profile, sims, zone, index, modes, stress = preds
    assert zone.values[0] == zone.values[2] and zone.values[0] + zone.values[1] == pytest.approx(1)
    assert 0 < profile.values[-1] < profile.values[0] < 0.9  # χ falls with depth
    assert 0 < sims.values[-1] < sims.values[0] < 0.9  # as measured: blurred, still falling
    assert set(modes.curve) == {"TE", "TM"}
    assert np.all(stress.values < 0)  # compression at the surface


def test_each_kind_describes_itself_for_reports():
    profile, sims, zone, index, modes, stress = one_of_each()
    assert [d.label for d in (profile, sims, zone, index, modes, stress)] == [
        "profile",
        "SIMS profile",
        "zone composition",
        "index profile",
        "mode indices",
        "surface stress",
    ]
    assert ProfileData(DEPTH, [0.5, 0.3, 0.1], 0.01, ion="K").value_name == "site fraction of K⁺"
    assert index.value_name == "n_TE" and modes.discrete and not index.discrete
    assert (profile.abscissa_unit, stress.abscissa_unit, stress.value_unit) == ("m", "s", "Pa")
    assert [d.at_one_time for d in (profile, index, modes, stress)] == [True, True, True, False]
    ((name, mine, curve),) = profile.groups(("x", "y"))
    assert name == "" and mine.all() and curve == ("x", "y")
    groups = modes.groups({"TM": ("orders", "N")})
    assert [(n, m.tolist(), c) for n, m, c in groups] == [
        ("TE", [True, True, False], None),
        ("TM", [False, False, True], ("orders", "N")),
    ]


def test_the_rules_of_the_inputs_name_their_fields():
    cases = [
        (lambda: FitParameter("D", 1e-15, 1e-13, 1e-14), ("min", "max")),
        (lambda: FitParameter("D", 1e-12, 1e-17, 1e-13), ("value", "max")),
        (lambda: FitParameter("D", 1e-18, 1e-17, 1e-13), ("value", "min")),
        (lambda: FitParameter("r", 0.1, -0.5, 0.5, log=True), ("min",)),
        (lambda: FitOptions(method="nelder"), ("method",)),
        (lambda: FitOptions(max_nfev=True), ("max_nfev",)),
        (lambda: FitOptions(rtol=0.0), ("rtol",)),
        (lambda: ProfileData(DEPTH, [0.5, 0.3, 0.1], -0.01), ("sigma",)),
        (lambda: ProfileData(DEPTH, [0.5, 0.3, 0.1], 0.01, weight=0), ("weight",)),
        (lambda: ProfileData(DEPTH, [0.5, 0.3, 0.1], 0.01, time=-1.0), ("time",)),
        (lambda: ProfileData(-DEPTH, [0.5, 0.3, 0.1], 0.01), ("depth",)),
        (lambda: SurfaceStressData([-1.0, 1.0, 2.0], [1.0, 2.0, 3.0], 1.0), ("times",)),
    ]
    for make, fields in cases:
        with pytest.raises(FitInputError) as info:
            make()
        assert info.value.fields == fields, (info.value, fields)
        # it is a ValueError (the dataclasses' convention) and survives a dask worker
        assert isinstance(info.value, ValueError)
        again = pickle.loads(pickle.dumps(info.value))
        assert str(again) == str(info.value) and again.fields == fields


def test_a_reader_can_write_the_values_of_a_rule_its_own_way():
    with pytest.raises(FitInputError) as info:
        FitParameter("T", 693.15, 698.15, 713.15)
    exc = info.value
    assert str(exc) == (
        "parameter 'T': the start value 693.15 lies outside [698.15, 713.15]; expected bounds "
        "that include the start value"
    )
    celsius = exc.describe(lambda k: f"{k - 273.15:g} degC", notes={"value": " (from the recipe)"})
    assert celsius.startswith(
        "the start value 420 degC (from the recipe) lies outside [425 degC, 440 degC]"
    )
    with pytest.raises(FitInputError) as info:
        ProfileData(DEPTH, [0.5, 0.3, 0.1], 0.0)
    assert info.value.describe(found="'0'") == "found '0'; expected an uncertainty > 0"


def test_the_lists_given_to_a_fit_have_their_own_rules():
    p = FitParameter("ions.K.D", 1e-15, 1e-17, 1e-13, log=True)
    with pytest.raises(FitInputError, match="'ions.K.D' is listed twice") as info:
        check_parameters([p, FitParameter("x", 1.0), p])
    assert info.value.position == 2 and info.value.field == "name"
    with pytest.raises(FitError, match="at least one parameter"):
        check_parameters([])
    two = FitDataset(ProfileData(DEPTH[:2], [0.5, 0.3], 0.01), builder=None)
    with pytest.raises(
        FitInputError, match=r"2 data point\(s\) in all for 2 fitted parameter\(s\)"
    ) as info:
        check_data([p, FitParameter("x", 1.0)], [two])
    assert info.value.field == "datasets"
    check_data([p], [two])


def test_zone_means_are_the_profile_averaged_over_the_range():
    """ZoneData predicts ∫χ dx/(to − from) of the run's profile (linear between cells), per
    species: checked against a direct average of the same profile; a bad range is refused."""
    r = dataclasses.replace(recipe(PLATE), output_times=())
    lo, hi = 0.2e-6, 1.5e-6
    (pred,) = predict(r, [ZoneData(("K", "Na"), [0.5, 0.5], 0.02, (lo, hi))])
    result = simulate(r)
    x = np.linspace(lo, hi, 20001)
    k_mean = np.mean(np.interp(x, result.depth, result.frac_incoming[-1]))
    assert pred.values[0] == pytest.approx(k_mean, rel=1e-6)
    assert pred.values[0] + pred.values[1] == pytest.approx(1.0, abs=1e-12)
    with pytest.raises(FitInputError, match="expected 0 ≤ from < to"):
        ZoneData(("K",), [0.5], 0.02, (2e-6, 1e-6))
