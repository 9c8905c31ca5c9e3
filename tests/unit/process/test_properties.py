"""Stress of simulated recipes: balance on the real mesh, relaxation schemes and clocks."""

import math

import numpy as np
import pytest

from ionex.io.recipe import parse_recipe
from ionex.physics.stress import kohlrausch_factor
from ionex.process.simulate import simulate

BASE = """
[glass]
host_ion = "Na"
total_mobile = "10.9 mol/L"
thickness = "0.3 mm"
faces = "{faces}"
[ions.K]
D = "1e-15 m^2/s"
[ions.Na]
D = "1e-14 m^2/s"
[[step]]
bath = {{ K = 1.0 }}
temperature = "420 degC"
duration = "8 h"
[[step]]
bath = "none"
temperature = "420 degC"
duration = "4 h"
[stress]
material = "soda-lime"
{relax}
"""


def run(faces="both", relax='relaxation = "none"'):
    return simulate(parse_recipe(BASE.format(faces=faces, relax=relax), "t.toml"))


@pytest.mark.parametrize("faces", ["both", "front"])
def test_simulated_stress_is_force_and_moment_free(faces):
    res = run(faces)
    x, w = res.depth, res.cell_width
    for s in res.properties.stress:
        scale = np.max(np.abs(s)) * 0.3e-3
        assert abs(w @ s) <= 1e-9 * scale
        if faces == "front":
            xc = (x @ w) / w.sum()
            assert abs((w * (x - xc)) @ s) <= 1e-9 * scale * 0.3e-3


def test_unrelaxed_surface_stress_is_e_b_over_one_minus_nu():
    res = run("both")
    m = res.properties.metrics[0]  # end of the bath, χ(first cell) ≈ 1
    mean = (res.cell_width @ res.frac_incoming[0]) / 0.3e-3
    e_b = 72e9 * (3e-6 * 1.09e4 / 3) / 0.78
    assert m.compressive_stress == pytest.approx(e_b * (res.frac_incoming[0, 0] - mean), rel=1e-12)
    assert m.central_tension == pytest.approx(e_b * mean, rel=1e-2)


@pytest.mark.parametrize("clock, counted", [("total", [8, 12]), ("exchange", [8, 8])])
def test_kww_scales_the_elastic_profile_by_the_clock(clock, counted):
    plain = run("both")
    relaxed = run(
        "both", f'relaxation = "kww"\ntau = "10 h"\nbeta = 0.6\nrelaxation_clock = "{clock}"'
    )
    for k, hours in enumerate(counted):
        factor = math.exp(-((hours / 10) ** 0.6))
        np.testing.assert_allclose(
            relaxed.properties.stress[k], factor * plain.properties.stress[k], rtol=1e-12, atol=1e-6
        )


def test_hereditary_without_relaxation_is_elastic():
    plain = run("front")
    stiff = run("front", 'relaxation = "hereditary"\ntau = "1e15 h"')
    np.testing.assert_allclose(
        stiff.properties.stress, plain.properties.stress, rtol=1e-6, atol=1e-3 * 1e9
    )


def test_hereditary_surface_of_a_slab_relaxes_like_kww():
    """In a semi-infinite slab in a bath there is no balancing strain and the surface
    strain is created at t ≈ 0 (the first cell fills within the first steps), so the
    hereditary surface stress is the elastic one times exp(−(t/τ)^β)."""
    slab = BASE.replace('thickness = "0.3 mm"\nfaces = "{faces}"\n', "").split(
        '[[step]]\nbath = "none"'
    )[0]
    slab += '[stress]\nmaterial = "soda-lime"\nrelaxation = "hereditary"\ntau = "10 h"\n'
    res = simulate(parse_recipe(slab.replace("{{", "{").replace("}}", "}"), "slab.toml"))
    m = res.properties.metrics[-1]
    elastic = 72e9 * (3e-6 * 1.09e4 / 3) / 0.78 * res.frac_incoming[-1, 0]
    factor = float(kohlrausch_factor(8 * 3600, 10 * 3600, 0.6))
    assert m.compressive_stress == pytest.approx(elastic * factor, rel=5e-3)
    # in a thin plate the balancing strain grows like √t and is younger: it relaxes less
    # than the surface strain, so CS falls below the KWW scaling
    thin = run("front", 'relaxation = "hereditary"\ntau = "10 h"')
    kww = run("front", 'relaxation = "kww"\ntau = "10 h"')
    assert (
        thin.properties.metrics[0].compressive_stress < kww.properties.metrics[0].compressive_stress
    )


def test_stress_columns_in_outputs(tmp_path):
    from ionex.io.writers import write_profiles_csv

    res = run("both")
    write_profiles_csv(res, tmp_path / "p.csv")
    head = (tmp_path / "p.csv").read_text().splitlines()[0]
    assert head == "time_s,depth_m,frac_K,frac_Na,stress_Pa"
    ds = res.to_dataset()
    assert ds["stress"].attrs["units"] == "Pa" and ds["compressive_stress"].dims == ("time",)
    row = res.summary()[-1]
    assert {"CS_Pa", "DOC_m", "CT_Pa", "DOL_m", "knee_depth_m", "CS_knee_Pa"} <= set(row)
    assert "knee_stress_Pa" not in row and "knee_stress" not in ds


def test_sign_convention_of_profiles_and_named_figures():
    """Profiles are signed (compression < 0); CS, CS_knee and CT are magnitudes (> 0)."""
    res = run("both")
    ds = res.to_dataset()
    k = -1
    stress = ds["stress"].values[k]
    assert stress[0] < 0 and float(ds["compressive_stress"][k]) == pytest.approx(-stress[0])
    mid = stress.size // 2
    assert float(ds["central_tension"][k]) > 0 and stress[mid] > 0
    assert "compression < 0" in ds["stress"].attrs["long_name"]
    assert "positive in compression" in ds["compressive_stress"].attrs["long_name"]
    assert "positive in compression" in ds["knee_compressive_stress"].attrs["long_name"]
    assert "positive in tension" in ds["central_tension"].attrs["long_name"]


SINGLE_STEP = """
[glass]
host_ion = "Na"
total_mobile = "10.9 mol/L"
thickness = "0.7 mm"
faces = "both"
[ions.K]
D = "1e-15 m^2/s"
[ions.Na]
D = "{d_na} m^2/s"
[[step]]
bath = {{ K = {chi_s} }}
temperature = "420 degC"
duration = "8 h"
[output]
times = ["1 h", "4 h"]
[stress]
material = "soda-lime"
relaxation = "kww"
tau = "100 h"
"""


@pytest.mark.parametrize("ratio", [0.1, 0.03, 10.0])
@pytest.mark.parametrize("chi_s", [1.0, 0.6])
def test_single_step_processes_have_no_knee(ratio, chi_s):
    """The flat-topped (D_A/D_B = 0.1, 0.03) and tail-heavy (10) profiles ionex simulates,
    force-balanced in a plate and relaxed: no knee at any output time."""
    res = simulate(parse_recipe(SINGLE_STEP.format(d_na=1e-15 / ratio, chi_s=chi_s), "t.toml"))
    for m in res.properties.metrics:
        assert m.compressive_stress > 0 and m.central_tension > 0
        assert math.isnan(m.knee_depth) and math.isnan(m.knee_compressive_stress)
    row = res.summary()[-1]
    assert math.isnan(row["knee_depth_m"]) and math.isnan(row["CS_knee_Pa"])


TWO_STEP = """
[glass]
host_ion = "Na"
total_mobile = "10.9 mol/L"
thickness = "0.7 mm"
faces = "both"
[ions.K]
D = "1e-15 m^2/s"
[ions.Na]
D = "1e-14 m^2/s"
[[step]]
name = "dilute bath"
bath = { K = 0.3 }
temperature = "450 degC"
duration = "16 h"
[[step]]
name = "pure KNO3"
bath = { K = 1.0 }
temperature = "450 degC"
duration = "{hours} h"
[stress]
material = "soda-lime"
"""


def test_a_simulated_two_step_process_has_a_knee_until_the_spike_merges():
    """A deep layer from a dilute bath (χ_s = 0.3, 16 h) and a spike from a short pure bath:
    no knee after the first step, a knee after 0.5 h of the second (measured at 5.9 µm,
    CS_knee ≈ 200 MPa of CS ≈ 990 MPa), none once the spike has grown into the tail (2 h)."""
    res = simulate(parse_recipe(TWO_STEP.replace("{hours}", "0.5"), "t.toml"))
    first, last = res.properties.metrics[0], res.properties.metrics[-1]
    assert math.isnan(first.knee_depth)
    assert 0 < last.knee_depth < last.depth_of_compression
    stress = res.properties.stress[-1]
    assert last.knee_compressive_stress == pytest.approx(
        -np.interp(last.knee_depth, res.depth, stress), rel=1e-12
    )
    assert 0 < last.knee_compressive_stress < last.compressive_stress
    merged = simulate(parse_recipe(TWO_STEP.replace("{hours}", "2"), "t.toml"))
    assert math.isnan(merged.properties.metrics[-1].knee_depth)
