"""run_experiments(): state and site occupation carried between steps, outputs, bad input."""

import re

import numpy as np
import pytest

from ionex.errors import SolverError
from ionex.physics.site_energy import DOUBLE_CAIT_LI3B7O12 as P
from ionex.physics.site_energy import CarriedFill, Occupation
from ionex.process.experiments import (
    BathStep,
    CaitStep,
    FieldStep,
    Sample,
    Species,
    experiment_grid,
    run_experiments,
)
from ionex.solvers.npp import geometric_grid

N0 = 1e28
THIN = Sample(
    thickness=2e-6, area=1e-4, background_density=N0, relative_permittivity=8.0, temperature=600.0
)
BATH_SPECIES = [Species("Na", 1, 1e-16, 1.0), Species("K", 1, 1e-17, 0.0)]
BATH_GRID = geometric_grid(2e-6, 1e-10, 1.15)

CAIT_SAMPLE = Sample(P.thickness, P.area, P.bulk_density, P.relative_permittivity, P.temperature)
CAIT_MESH = {"zone_cell": 1e-9, "zone_depth": 80e-9}
Q1, Q2 = 0.4e-3, 0.3e-3  # C: short CAITs (~16 nm Rb zone) keep the tests fast


def cait_species():
    return [
        Species("Li", 1, P.lithium(1), 1.0),
        Species("Rb", 1, P.rubidium(1), 0.0),
        Species("Cs", 1, P.caesium(), 0.0),
    ]


def cait(ion, charge, **kw):
    return CaitStep(
        ion, P.source_potential, P.aperture_distance, 20e-9, charge=charge, name=f"{ion} CAIT", **kw
    )


# Rb on the carried occupation: these tests follow the occupation from one step to the next
SECOND = {"Li": P.lithium(2), "Rb": P.rubidium(2, filled=CarriedFill())}


@pytest.fixture(scope="module")
def double():
    return run_experiments(
        CAIT_SAMPLE,
        cait_species(),
        [cait("Rb", Q1), cait("Cs", Q2, diffusion=SECOND)],
        output_times=[0.0, 3600.0],
        **CAIT_MESH,
    )


def test_bath_step_split_in_two_equals_one_step():
    one = run_experiments(
        THIN, BATH_SPECIES, [BathStep({"K": 1.0}, 2000.0)], grid=BATH_GRID, rtol=1e-5, atol=1e-8
    )
    two = run_experiments(
        THIN,
        BATH_SPECIES,
        [BathStep({"K": 1.0}, 800.0, name="a"), BathStep({"K": 1.0}, 1200.0, name="b")],
        grid=BATH_GRID,
        rtol=1e-5,
        atol=1e-8,
    )
    assert two.times.tolist() == [800.0, 2000.0] and two.step.tolist() == [0, 1]
    np.testing.assert_allclose(two.fraction("K")[-1], one.fraction("K")[-1], atol=2e-4)
    assert two.inventory("K")[-1] == pytest.approx(one.inventory("K")[-1], rel=1e-4)
    # the state carries: the second step starts where the first ended
    np.testing.assert_array_equal(
        two.fractions[0], np.array([two.step_ends[0].fractions[n] for n in two.species])
    )
    # conservation of the sites in a bath exchange: Na + K = 1 everywhere (electroneutral bulk)
    np.testing.assert_allclose(two.fraction("K")[-1] + two.fraction("Na")[-1], 1.0, atol=1e-6)


def test_occupation_is_carried_not_re_equilibrated(double):
    e1, e2 = double.step_ends
    # after the Rb CAIT: Rb (entered) is native, filled exactly up to its end density per cell;
    # Li keeps its pristine PSED (filled 1): its remaining ions sit low in the same SED
    np.testing.assert_array_equal(e1.occupation.filled["Rb"], e1.fractions["Rb"])
    assert float(e1.occupation.filled_fraction("Li")) == 1.0
    assert float(e1.occupation.filled_fraction("Cs")) == 0.0
    # after the Cs CAIT: Rb did not enter, so its occupation is still that of the end of step 1
    np.testing.assert_array_equal(e2.occupation.filled["Rb"], e1.fractions["Rb"])
    np.testing.assert_array_equal(e2.occupation.filled["Cs"], e2.fractions["Cs"])
    assert not np.array_equal(e2.fractions["Rb"], e1.fractions["Rb"])


def test_second_step_alone_from_the_carried_state_reproduces_the_sequence(double):
    e1, e2 = double.step_ends
    alone = run_experiments(
        CAIT_SAMPLE,
        cait_species(),
        [cait("Cs", Q2, diffusion=SECOND)],
        initial=e1.fractions,
        initial_occupation=e1.occupation,
        **CAIT_MESH,
    )
    for n in ("Li", "Rb", "Cs"):
        np.testing.assert_allclose(alone.step_ends[0].fractions[n], e2.fractions[n], atol=1e-12)
    # re-equilibrated occupation (Rb's PSED filled to its zone level everywhere) changes the result:
    # the carried occupation is what the second step uses
    flat = Occupation({"Li": 1.0, "Rb": float(np.max(e1.fractions["Rb"])), "Cs": 0.0})
    other = run_experiments(
        CAIT_SAMPLE,
        cait_species(),
        [cait("Cs", Q2, diffusion=SECOND)],
        initial=e1.fractions,
        initial_occupation=flat,
        **CAIT_MESH,
    )
    assert np.max(np.abs(other.step_ends[0].fractions["Rb"] - e2.fractions["Rb"])) > 1e-2


def test_outputs_current_and_dataset(double):
    r = double
    e1, e2 = r.step_ends
    assert r.times.tolist() == [0.0, 3600.0, e1.end_time, e2.end_time]
    assert r.step.tolist() == [0, 0, 0, 1]
    np.testing.assert_array_equal(r.fraction("Li")[0], 1.0)
    # delivered charge per step, booked and in the sample (the beam ion stays in the sample)
    assert e1.back_charge == pytest.approx(Q1, rel=1e-9) and e2.back_charge == pytest.approx(
        Q2, rel=1e-9
    )
    e = 1.602176634e-19
    assert r.inventory("Rb")[-1] * e * P.area == pytest.approx(Q1, rel=1e-6)
    assert r.inventory("Cs")[-1] * e * P.area == pytest.approx(Q2, rel=1e-6)
    table = r.current_table()
    assert set(table) >= {"time_s", "current_A", "charge_C"}
    assert np.all(np.diff(table["time_s"]) > 0) and table["charge_C"][-1] == pytest.approx(
        Q1 + Q2, rel=1e-9
    )
    assert table["step"][0] == 1 and table["step"][-1] == 2
    assert 14.5 < e1.surface_potential < 15.5 and 14.5 < e2.surface_potential < 15.5
    ds = r.to_dataset()
    assert ds["frac_Cs"].dims == ("time", "depth") and ds["potential_V"].dims == ("time", "depth")
    assert (
        ds["potential_V"].attrs["units"] == "V"
        and ds["depth"].attrs["units"] == "m"
        and ds["time"].attrs["units"] == "s"
    )
    assert ds["step"].values.tolist() == [1, 1, 1, 2]
    assert ds["current_A"].attrs["units"] == "A"


def test_field_step_drives_anode_ions_in():
    grid = geometric_grid(2e-6, 1e-10, 1.15)
    r = run_experiments(THIN, BATH_SPECIES, [FieldStep(0.5, {"K": 1.0}, 500.0)], grid=grid)
    assert r.inventory("K")[-1] > 0 and r.step_ends[0].back_charge > 0


def test_galvanostatic_field_step_passes_its_current():
    """A constant-current step: the front passes exactly I·t (net of the Na that leaves into
    the anode), the back electrode receives it less the space charge the run leaves in the
    sample (1.7e-5 of it here), and the anode potential is reported along the run."""
    grid = geometric_grid(2e-6, 1e-10, 1.15)
    current, t_end = 2e-6, 500.0  # A over THIN.area = 1 cm²
    r = run_experiments(
        THIN,
        BATH_SPECIES,
        [FieldStep(current=current, anode_fractions={"K": 1.0}, duration=t_end)],
        grid=grid,
    )
    e = 1.602176634e-19
    end = r.step_ends[0]
    assert e * THIN.area * sum(end.inflow.values()) == pytest.approx(current * t_end, rel=1e-8)
    stored = e * THIN.area * N0 * float(((r.fractions[-1].sum(0) - 1.0) * r.cell_width).sum())
    assert end.back_charge + stored == pytest.approx(current * t_end, rel=1e-8)
    assert r.inventory("K")[-1] > 0
    table = r.current_table()
    # the anode potential floats: here mostly the diffusion potential of the K/Na layer
    # (−0.156 V at the end; the ohmic drop of 0.02 A/m² over 2 µm is only ~0.01 V)
    u = table["surface_potential_V"]
    assert np.all(np.isfinite(u)) and np.ptp(u[1:]) > 1e-3


def test_experiment_grid_is_fine_at_the_surface_and_spans_the_sample():
    g = experiment_grid(CAIT_SAMPLE, finest_cell=1e-11, zone_cell=1e-9, zone_depth=100e-9)
    assert g.volumes[0] == pytest.approx(1e-11) and g.length == pytest.approx(P.thickness)
    zone = g.centres < 100e-9
    assert np.max(g.volumes[zone]) <= 1e-9 * 1.0000001


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (
            lambda: run_experiments(THIN, BATH_SPECIES, [BathStep({"Cs": 1.0}, 10.0)]),
            r"unknown species \['Cs'\]",
        ),
        (
            lambda: run_experiments(CAIT_SAMPLE, cait_species(), [cait("K", 1e-3)]),
            r"unknown species \['K'\]",
        ),
        (
            lambda: run_experiments(
                THIN, BATH_SPECIES, [BathStep({"K": 1.0}, 10.0, diffusion={"X": 1e-17})]
            ),
            "unknown species",
        ),
        (lambda: Species("Na", 1, 1e-16, -0.1), "initial_fraction"),
        (lambda: Species("Na", 1, -1e-16, 1.0), "diffusion coefficient"),
        (lambda: BathStep({"K": 0.7}, 10.0), "sum to 1"),
        (lambda: BathStep({"K": 1.2, "Na": -0.2}, 10.0), "≥ 0"),
        (lambda: FieldStep(1.0, {"K": 0.5, "Na": 0.4}, 10.0), "sum to 1"),
        (lambda: FieldStep(1.0, {"K": 1.0}, 10.0, current=1e-6), "exactly one of voltage"),
        (lambda: FieldStep(anode_fractions={"K": 1.0}, duration=10.0), "exactly one of voltage"),
        (
            lambda: FieldStep(current=float("nan"), anode_fractions={"K": 1.0}, duration=10.0),
            "current must be a finite",
        ),
        (
            lambda: run_experiments(
                THIN,
                [Species("Na", 1, 1e-16, 0.6), Species("K", 1, 1e-17, 0.0)],
                [BathStep({"K": 1.0}, 10.0)],
            ),
            "expected Σ z·initial_fraction = 1",
        ),
        (
            lambda: run_experiments(
                THIN,
                BATH_SPECIES,
                [BathStep({"K": 1.0}, 10.0)],
                grid=BATH_GRID,
                initial={"K": -np.ones(BATH_GRID.n_cells) * 1e-3},
            ),
            "≥ 0",
        ),
        (lambda: Sample(1e-3, 1e-4, -1e28, 8.0, 300.0), "background_density"),
        (lambda: CaitStep("Rb", 15.0, 8e-3, 2e-8), "exactly one of charge"),
        (lambda: BathStep({"K": 1.0}, -5.0), "duration"),
    ],
)
def test_bad_input_is_a_clear_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_charge_target_never_reached_passes_the_solver_error_through():
    """A 1 V source potential caps the surface, so the conduction-limited current (~0.6 nA)
    cannot deliver 0.1 mC in 10⁴ s: the solver's SolverError reaches the caller, prefixed
    with the step."""
    step = CaitStep("Rb", 1.0, 8e-3, 20e-9, charge=0.1e-3, max_duration=1e4, name="weak")
    with pytest.raises(
        SolverError,
        match=r"step 1 \(cait, weak\): the back-electrode charge reached only .*"
        r"capped by the source potential",
    ):
        run_experiments(CAIT_SAMPLE, cait_species(), [step], **CAIT_MESH)


@pytest.mark.parametrize(
    "mesh",
    [
        {},
        CAIT_MESH,
        {"growth": 1.3},
        {"finest_cell": 1e-9, "zone_cell": 1e-9},
        {"zone_depth": 1e-6},
    ],
)
def test_the_mesh_size_is_known_before_the_mesh_is_built(mesh):
    from ionex.process.experiments import mesh_cell_count

    for sample in (THIN, CAIT_SAMPLE):
        counted = mesh_cell_count(sample.thickness, **mesh)
        assert 0 <= counted - experiment_grid(sample, **mesh).n_cells <= 3


@pytest.mark.parametrize(
    "numerics, words",
    [
        ({"growth": 1.0}, "growth: found 1; expected a cell growth factor within (1, 1.5]"),
        ({"growth": 0.5}, "growth: found 0.5"),
        (
            {"finest_cell": 1e3},
            "finest_cell: found 1000 m; expected a cell width within [1e-13, 2e-07] m",
        ),
        ({"zone_cell": 0.0}, "zone_cell: found 0 m"),
        ({"rtol": 1e6}, "rtol: found 1e+06; expected a relative tolerance within [1e-10, 0.1]"),
        ({"cait_atol": -1.0}, "cait_atol: found -1"),
        ({"zone_depth": 1.0, "zone_cell": 1e-12}, "numerics: the mesh would need about"),
        ({"cell_count": 3}, "numerics: found cell_count; expected keys among"),
    ],
)
def test_npp_numerics_are_checked_before_anything_is_allocated(numerics, words):
    from ionex.process.experiments import check_numerics

    with pytest.raises(ValueError) as info:
        check_numerics(THIN, numerics)
    assert words in str(info.value)


def test_run_experiments_checks_its_tolerances():
    with pytest.raises(ValueError, match=r"atol: found 1; expected an absolute tolerance"):
        run_experiments(THIN, BATH_SPECIES, [BathStep({"K": 1.0}, 10.0)], grid=BATH_GRID, atol=1.0)


def test_numerics_are_typed_and_each_setting_is_checked_once():
    """ExperimentNumerics owns the ranges: a recipe's mapping becomes one, a bad value is a
    ValueError naming the setting, and the mesh is checked against the sample."""
    from dataclasses import replace

    from ionex.process.experiments import ExperimentNumerics, ExperimentRecipe, check_numerics

    n = ExperimentNumerics(zone_cell=1e-9)
    assert n.settings()["zone_cell"] == 1e-9 and n.settings()["rtol"] == 1e-3
    for bad, words in (
        ({"growth": 2.0}, "growth: found 2; expected a cell growth factor within (1, 1.5]"),
        ({"rtol": 1.0}, "rtol: found 1; expected a relative tolerance within [1e-10, 0.1]"),
        ({"finest_cell": 1e-15}, "finest_cell: found 1e-15 m; expected a cell width of at least"),
        ({"cells": 3}, "numerics: found cells; expected keys among"),
    ):
        with pytest.raises(ValueError, match=re.escape(words)):
            ExperimentNumerics.from_mapping(bad)
    with pytest.raises(ValueError, match=r"zone_cell: found 1e-06 m; expected a cell width within"):
        check_numerics(THIN, {"zone_cell": 1e-6})  # wider than a tenth of the 2 µm sample
    recipe = ExperimentRecipe(
        THIN,
        tuple(BATH_SPECIES),
        (BathStep({"K": 1.0, "Na": 0.0}, 60.0),),
        numerics={"zone_cell": 1e-10},
    )
    assert isinstance(recipe.numerics, ExperimentNumerics) and recipe.numerics.zone_cell == 1e-10
    with pytest.raises(ValueError, match="growth"):
        replace(recipe, numerics=replace(recipe.numerics, growth=1.0))


# --- each kind of step sets its own boundary conditions -----------------------------------

from ionex.process.experiments import BoundaryConditions  # noqa: E402
from ionex.solvers import npp  # noqa: E402

NAMES = ("Na", "K")


def test_a_bath_holds_its_fractions_at_the_front_and_closes_the_back():
    step = BathStep({"K": 0.75, "Na": 0.25}, 600.0, name="KNO3")
    faces = step.boundary_conditions(NAMES, THIN)
    assert isinstance(faces, BoundaryConditions)
    assert faces.front == npp.Bath((0.25, 0.75), 0.0)
    assert isinstance(faces.back, npp.ClosedFace)
    assert faces.duration == 600.0 and faces.stop_charge is None
    assert step.label == "bath" and step.planned_duration == 600.0 and not step.stops_at_charge
    assert step.absolute_tolerance(1e-5, 1e-4) == 1e-5


def test_a_field_step_drives_the_anode_by_voltage_or_by_current():
    held = FieldStep(2.0, {"K": 1.0}, 60.0)
    faces = held.boundary_conditions(NAMES, THIN)
    assert faces.front == npp.Bath((0.0, 1.0), 2.0)
    assert faces.back == npp.Electrode(0.0, absorbing=True) and faces.stop_charge is None
    driven = FieldStep(anode_fractions={"K": 1.0}, duration=60.0, current=2e-6)
    front = driven.boundary_conditions(NAMES, THIN).front
    # 2 µA over the 1 cm² sample
    assert isinstance(front, npp.GalvanostaticBath)
    assert front.current_density == pytest.approx(2e-6 / THIN.area)
    assert held.label == "field" and held.absolute_tolerance(1e-5, 1e-4) == 1e-5


def test_a_cait_beam_stops_at_its_charge_per_area_with_the_cait_tolerance():
    step = cait("Rb", Q1)
    names = ("Li", "Rb", "Cs")
    faces = step.boundary_conditions(names, CAIT_SAMPLE)
    assert isinstance(faces.front, npp.IonBeam) and faces.front.species == 1
    assert faces.front.current_density == pytest.approx(20e-9 / CAIT_SAMPLE.area)
    assert faces.back == npp.Electrode(0.0, absorbing=True)
    assert faces.stop_charge == pytest.approx(Q1 / CAIT_SAMPLE.area)
    # a charge target runs at most 50 × charge / beam current
    assert faces.duration == step.planned_duration == pytest.approx(50 * Q1 / 20e-9)
    assert step.stops_at_charge and step.label == "cait"
    assert step.absolute_tolerance(1e-5, 1e-4) == 1e-4
    timed = CaitStep("Cs", 15.0, 8e-3, 2e-8, duration=90.0)
    assert timed.boundary_conditions(names, CAIT_SAMPLE).stop_charge is None
    assert timed.planned_duration == 90.0 and not timed.stops_at_charge


def test_each_step_names_its_species():
    assert BathStep({"K": 1.0}, 1.0, diffusion={"Na": 1e-16}).species_names() == ("K", "Na")
    assert FieldStep(1.0, {"K": 1.0}, 1.0).species_names() == ("K",)
    assert cait("Rb", Q1, diffusion=SECOND).species_names() == ("Rb", "Li", "Rb")


def test_an_unknown_species_is_refused_naming_the_step():
    steps = [BathStep({"K": 1.0}, 10.0, name="K bath"), FieldStep(1.0, {"Cs": 1.0}, 10.0)]
    with pytest.raises(ValueError) as info:
        run_experiments(THIN, BATH_SPECIES, steps, grid=BATH_GRID)
    assert str(info.value) == "step 2 (field) names unknown species ['Cs']; known: ['Na', 'K']"
    with pytest.raises(ValueError, match=r"step 1 \(cait, Xe CAIT\) names unknown species"):
        run_experiments(CAIT_SAMPLE, cait_species(), [cait("Xe", Q1)])
    with pytest.raises(ValueError, match="a step must be a BathStep, FieldStep or CaitStep"):
        run_experiments(THIN, BATH_SPECIES, ["bath"], grid=BATH_GRID)


@pytest.mark.parametrize(
    "make, field",
    [
        (lambda: BathStep({"K": 1.0}, -5.0), "duration"),
        (lambda: BathStep({"K": 0.7}, 5.0), "surface_fractions"),
        (lambda: FieldStep(1.0, {"K": 1.0}, 5.0, temperature=-1.0), "temperature"),
        (lambda: FieldStep(1.0, {"K": -1.0, "Na": 2.0}, 5.0), "anode_fractions"),
        (lambda: CaitStep("Rb", 15.0, 8e-3, 0.0, charge=1e-3), "beam_current"),
        (lambda: CaitStep("Rb", 15.0, 8e-3, 2e-8, charge=-1e-3), "charge"),
        (lambda: Sample(-1e-3, 1e-4, 1e28, 8.0, 300.0), "thickness"),
    ],
)
def test_a_refused_value_names_its_field(make, field):
    """A reader of a recipe file finds the key from the field (ionex.io.npp_recipe)."""
    from ionex.validators import FieldError

    with pytest.raises(FieldError) as info:
        make()
    assert info.value.field == field and str(info.value).startswith(f"{field}: found ")


def test_step_ends_and_the_dataset_carry_the_step_labels():
    steps = [BathStep({"K": 1.0}, 5.0, name="in"), FieldStep(0.05, {"Na": 1.0}, 5.0, name="out")]
    result = run_experiments(THIN, BATH_SPECIES, steps, grid=BATH_GRID)
    assert [e.kind for e in result.step_ends] == ["bath", "field"]
    assert result.to_dataset().attrs["steps"] == "1:bath:in; 2:field:out"
