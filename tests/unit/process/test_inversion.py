"""Mode inversion (ionex.process.inversion): the profile families, the forward model and its
perturbative Jacobian, the uncertainties (scaling, delta method), the IWKB branch, input
errors and warnings. The accuracy against known profiles is in
tests/validation/test_mode_inversion_*.py.

The guide used here is small, for speed: n_pol = 1.5137 + Δ_pol erfc(x/13.5 µm) in BK7 at
677 nm, Δ_TE = 0.00902, Δ_TM = 0.01014 (σ = −400 MPa·u), 6 modes per polarisation.
"""

from __future__ import annotations

import dataclasses
import math
from functools import lru_cache

import numpy as np
import pytest
from scipy.special import erfc

from ionex.physics.optics import ElastoOptic
from ionex.process import inversion as inv
from ionex.process.inversion import (
    FAMILIES,
    AutoSelect,
    Erfc,
    Exponential,
    Gaussian,
    Method,
    MonotoneSpline,
    OneStep,
    ProfileHint,
    TwoStep,
    invert_modes,
)
from ionex.solvers.iwkb import reconstruct_profile, stress_at_tm_turning_points
from ionex.solvers.modes import solve_modes

WL = 677e-9
N_B = 1.5137
EO = ElastoOptic(-0.5e-12, -3.3e-12)
DELTA = {"TE": 0.0075 + 3.8e-12 * 400e6, "TM": 0.0075 + 6.6e-12 * 400e6}
WIDTH = 13.5e-6


def n_true(pol, x):
    return N_B + DELTA[pol] * erfc(np.asarray(x) / WIDTH)


@lru_cache(maxsize=None)
def _modes():
    x = np.linspace(0.0, 6 * WIDTH, 4001)
    return {
        p: solve_modes(
            x, n_true(p, x), WL, polarisations=(p,), substrate_index=N_B
        ).effective_indices(p)
        for p in ("TE", "TM")
    }


def modes():
    return {p: v.copy() for p, v in _modes().items()}


@lru_cache(maxsize=None)
def erfc_fit():
    return invert_modes(modes(), WL, elasto_optic=EO, family=Erfc)


HINT = ProfileHint(
    half_depth=10e-6,
    covered_depth=30e-6,
    depth=np.linspace(3e-6, 30e-6, 10),
    shape=np.linspace(0.9, 0.02, 10),
)
ALL = [Erfc(), Gaussian(), Exponential(), OneStep(), TwoStep(), MonotoneSpline(4).adapted(HINT)]


def test_the_mode_list_has_six_modes_each():
    assert {p: v.size for p, v in _modes().items()} == {"TE": 6, "TM": 6}


# --------------------------------------------------------------------------- families


@pytest.mark.parametrize("family", ALL, ids=lambda f: f.name)
def test_family_shapes_start_at_one_and_fall_to_zero(family):
    for p in family.starts(HINT):
        lo, hi = family.bounds(HINT)
        assert np.all(lo <= p) and np.all(p <= hi)
        end = family.extent(p)
        x = np.linspace(0.0, end, 2001)
        u = family.shape(x, p)
        assert u[0] == pytest.approx(1.0, abs=1e-12)
        assert np.all(np.diff(u) <= 1e-15)
        assert u[-1] <= 1e-12
        assert family.shape(np.array([2 * end]), p)[0] <= 1e-12


def test_one_step_width_is_the_half_depth_and_ratio_one_is_erfc():
    fam = OneStep()
    assert fam.shape(np.array([7e-6]), np.array([7e-6, 0.05]))[0] == pytest.approx(0.5, abs=1e-12)
    x = np.linspace(0.0, 40e-6, 201)
    w_half = 7e-6
    w_erfc = w_half / Erfc._half
    assert np.max(np.abs(fam.shape(x, np.array([w_half, 1.0])) - erfc(x / w_erfc))) < 2e-8


def test_two_step_reports_the_second_width():
    fam = TwoStep()
    rep = fam.reported(np.array([0.4, 5e-6, 8.0, 0.1, 1.0]))
    assert rep["width_2"] == pytest.approx(40e-6)
    x = np.array([0.0, 5e-6, 40e-6])
    u = fam.shape(x, np.array([0.4, 5e-6, 8.0, 0.1, 1.0]))
    assert u[0] == pytest.approx(1.0)
    assert u[1] == pytest.approx(
        0.4 * 0.5 + 0.6 * float(OneStep().shape(np.array([5e-6]), np.array([40e-6, 1.0]))[0])
    )


def test_spline_keeps_its_values_decreasing_and_checks_its_knots():
    fam = MonotoneSpline(3, knots=[0.0, 1e-6, 2e-6, 3e-6, 4e-6])
    x = np.linspace(0.0, 5e-6, 501)
    u = fam.shape(x, np.array([0.9, 1.0, 0.2]))  # a flat stretch and a drop
    assert np.all(np.diff(u) <= 1e-15) and u[0] == 1.0 and u[-1] == 0.0
    assert fam.reported(np.array([0.5, 0.5, 0.5]))["u_3"] == pytest.approx(0.125)
    with pytest.raises(ValueError, match="strictly increasing depths from 0"):
        MonotoneSpline(3, knots=[0.0, 2e-6, 1e-6, 3e-6, 4e-6])
    with pytest.raises(ValueError, match="at least 2 free knot values"):
        MonotoneSpline(1)
    with pytest.raises(ValueError, match="no knots yet"):
        MonotoneSpline(3).shape(x, np.array([0.5, 0.5, 0.5]))


def test_spline_knots_follow_the_turning_points():
    """Knots at the turning points of evenly spread orders (interpolated between them), the
    first one halfway to the surface, the last 1.3× beyond the deepest turning point."""
    fam = MonotoneSpline(4).adapted(HINT)
    picks = np.interp(np.linspace(0, 9, 5)[1:], np.arange(10), HINT.depth)
    assert fam.knots == pytest.approx(
        np.concatenate(([0.0, 0.5 * picks[0]], picks[:-1], [1.3 * HINT.covered_depth]))
    )
    assert MonotoneSpline(4, knots=fam.knots).adapted(HINT) is not None
    without = MonotoneSpline(4).adapted(ProfileHint(10e-6, 30e-6))
    assert without.knots == pytest.approx(np.linspace(0.0, 39e-6, 6))


def test_families_by_name():
    assert dict(FAMILIES) == {
        "erfc": Erfc,
        "gaussian": Gaussian,
        "exponential": Exponential,
        "one-step": OneStep,
        "two-step": TwoStep,
        "spline": MonotoneSpline,
    }


# --------------------------------------------------------------------------- forward model, Jacobian


def _model(family, substrate=None):
    N = modes()
    sigma, weighted = inv._sigmas(2e-5, N)
    points = inv._iwkb_points(N, WL, 1.0)
    hint = inv._hint(N, points, WL, substrate)
    fam = family.adapted(hint)
    model = inv._JointModel(fam, hint, N, sigma, weighted, substrate, WL, 1.0, EO)
    return model, model.start_theta(fam.starts(hint)[0], points)


@pytest.mark.parametrize(
    "family", [Erfc(), OneStep(), TwoStep(), MonotoneSpline(3)], ids=lambda f: f.name
)
@pytest.mark.parametrize("substrate", [None, {"TE": N_B, "TM": N_B}], ids=["free n_s", "given n_s"])
def test_perturbative_jacobian_matches_central_differences(family, substrate):
    """TE and TM columns for shape, Δ and n_s; measured ≤ 1.8e-3 of each column's scale
    (the differences' own noise: a 1e-6 step moves N by ~1e-8 against ~1e-11 of solver noise)."""
    model, theta = _model(family, substrate)
    Jp = model.jacobian_perturbative(theta)
    Jd = model.jacobian_differences(theta)
    scale = np.max(np.abs(Jd), axis=0)
    assert np.all(scale > 0)
    assert np.max(np.abs(Jp - Jd) / scale) < 5e-3


def test_sampled_profile_is_accurate():
    """The forward model's 300 equidistributed points vs 3000: ≤ 1e-7 in N (measured ≈ 4e-8)."""
    model, theta = _model(OneStep())
    p, delta, ns = model.split(theta)
    x = np.linspace(0.0, model.family.extent(p), 30001)
    for pol in ("TE", "TM"):
        coarse = np.array([m.effective_index for m in model.solved(theta)[2][pol]])
        fine = solve_modes(
            x,
            ns[pol] + delta[pol] * model.family.shape(x, p),
            WL,
            polarisations=(pol,),
            substrate_index=ns[pol],
        )
        assert coarse.size == fine.count(pol) >= 5
        assert np.max(np.abs(coarse - fine.effective_indices(pol))) < 1e-7


def test_unguided_modes_sit_at_cut_off():
    """A trial profile too weak to guide every measured mode: the missing ones count at N = n_s."""
    model, theta = _model(Erfc())
    values = model.natural(theta)
    i = model.names.index("delta_TE")
    values[i] = 0.3 * (model.modes["TE"][0] - model.modes["TE"][-1])
    theta = model.internal(values)
    N = model.forward(theta)["TE"]
    guided = model.solved(theta)[2]["TE"]
    _, _, ns = model.split(theta)
    assert 0 < len(guided) < N.size
    assert np.all(N[len(guided) :] == ns["TE"])
    J = model.jacobian_perturbative(theta)
    j = model.names.index("substrate_TE")
    assert np.all(J[len(guided) : N.size, j] == J[len(guided), j]) and J[N.size - 1, j] != 0


# --------------------------------------------------------------------------- results


def test_noise_free_recovery_and_frozen_result():
    r = erfc_fit()
    assert r.method is Method.MODEL and r.family.name == "erfc"
    # the forward model's own ≈ 4e-8 in N (300 profile points) moves the width by ≲ 1e-5
    assert r.parameters["width"] == pytest.approx(WIDTH, rel=2e-5)
    assert r.parameters["delta_TE"] == pytest.approx(DELTA["TE"], rel=1e-5)
    assert r.parameters["delta_TM"] == pytest.approx(DELTA["TM"], rel=1e-5)
    assert r.parameters["substrate_TM"] == pytest.approx(N_B, abs=1e-7)
    assert r.parameter_names == ("width", "delta_TE", "delta_TM", "substrate_TE", "substrate_TM")
    assert r.uncertainty == "reduced_chi2"
    for p in r.profiles.values():
        assert np.max(np.abs(p.residuals)) < 1e-8
        assert (
            p.depth.size == inv.OUTPUT_POINTS
            and p.depth[0] == 0.0
            and p.depth[-1] == p.covered_depth
        )
        with pytest.raises(ValueError):
            p.index[0] = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.reduced_chi2 = 0.0
    x = np.linspace(0.0, 30e-6, 7)
    assert np.max(np.abs(r.index_at("TM", x) - n_true("TM", x))) < 1e-7
    assert np.max(np.abs(r.stress_at(x) + 400e6 * erfc(x / WIDTH))) < 0.05e6


def test_covered_depth_is_the_turning_point_of_the_last_mode():
    r = erfc_fit()
    for pol, p in r.profiles.items():
        assert float(r.index_at(pol, p.covered_depth)) == pytest.approx(
            p.effective_indices[-1] + p.residuals[-1], abs=1e-12
        )


def test_covariance_scaling_without_index_sigma():
    """Unweighted standard errors = absolute ones × √(χ²_red of the weighted fit)."""
    rng = np.random.default_rng(3)
    N = {p: v + rng.normal(0.0, 2e-5, v.size) for p, v in modes().items()}
    weighted = invert_modes(N, WL, elasto_optic=EO, family=Erfc, index_sigma=2e-5)
    plain = invert_modes(N, WL, elasto_optic=EO, family=Erfc)
    assert weighted.uncertainty == "index_sigma" and plain.uncertainty == "reduced_chi2"
    assert plain.reduced_chi2 == pytest.approx(weighted.reduced_chi2 * 4e-10, rel=1e-6)
    for name in weighted.parameter_names:
        assert plain.parameter_stderr[name] == pytest.approx(
            weighted.parameter_stderr[name] * math.sqrt(weighted.reduced_chi2), rel=1e-4
        )


def test_delta_method_at_the_surface_uses_the_covariance():
    """n(0) = n_s + Δ: var = var(Δ) + var(n_s) + 2 cov(Δ, n_s); σ(0) likewise."""
    rng = np.random.default_rng(4)
    N = {p: v + rng.normal(0.0, 2e-5, v.size) for p, v in modes().items()}
    r = invert_modes(N, WL, elasto_optic=EO, family=Erfc, index_sigma=2e-5)
    C, names = r.covariance, r.parameter_names
    for pol in ("TE", "TM"):
        i, j = names.index(f"delta_{pol}"), names.index(f"substrate_{pol}")
        expected = math.sqrt(C[i, i] + C[j, j] + 2 * C[i, j])
        assert r.profiles[pol].index_stderr[0] == pytest.approx(expected, rel=1e-4)
    g = np.zeros(len(names))
    for pol, sign in (("TE", 1.0), ("TM", -1.0)):
        g[names.index(f"delta_{pol}")] = g[names.index(f"substrate_{pol}")] = sign / EO.stress_optic
    assert r.stress.stress_stderr[0] == pytest.approx(math.sqrt(g @ C @ g), rel=1e-4)
    assert np.all(np.isfinite(r.stress.stress_stderr)) and np.all(r.stress.stress_stderr > 0)


def test_one_polarisation():
    r = invert_modes({"TM": modes()["TM"]}, WL, elasto_optic=EO, family=Erfc)
    assert tuple(r.profiles) == ("TM",) and r.stress is None
    assert r.parameter_names == ("width", "delta_TM", "substrate_TM")
    with pytest.raises(ValueError, match="has no stress"):
        r.stress_at([0.0])
    with pytest.raises(ValueError, match="no 'TE' profile"):
        r.index_at("TE", [0.0])


def test_given_substrate_index():
    r = invert_modes(
        modes(), WL, elasto_optic=EO, family=Erfc, substrate_index={"TE": N_B, "TM": N_B}
    )
    assert r.parameters["substrate_TE"] == N_B and r.parameter_stderr["substrate_TE"] == 0.0
    assert r.parameters["width"] == pytest.approx(WIDTH, rel=2e-5)
    assert r.parameter_names == ("width", "delta_TE", "delta_TM", "substrate_TE", "substrate_TM")


def test_auto_reports_every_candidate_and_skips_those_with_too_many_parameters():
    N = {
        p: v[:-1] for p, v in modes().items()
    }  # 10 modes: two-step (9) and spline (10) exceed n − 2
    r = invert_modes(N, WL, elasto_optic=EO)
    names = [c.family for c in r.candidates]
    assert sorted(names) == sorted(FAMILIES)
    skipped = {c.family: c for c in r.candidates if not math.isfinite(c.criterion)}
    assert set(skipped) == {"two-step", "spline"}
    assert "AICc needs n ≥ k + 2" in skipped["two-step"].message
    fitted = [c for c in r.candidates if math.isfinite(c.criterion)]
    assert [c.criterion for c in fitted] == sorted(c.criterion for c in fitted)
    assert r.family.name == fitted[0].family == "erfc"


# --------------------------------------------------------------------------- warnings


def test_warning_when_chi2_does_not_match_the_given_sigma():
    r = invert_modes(modes(), WL, elasto_optic=EO, family=Erfc, index_sigma=2e-5)  # noise-free
    assert any("χ²_red" in w and "99 %" in w for w in r.warnings)


def test_warning_when_the_choice_is_close():
    r = invert_modes(modes(), WL, elasto_optic=EO, family=AutoSelect((Erfc, Erfc())))
    assert any("barely better" in w for w in r.warnings)


def test_warning_for_a_parameter_at_its_bound():
    """A Gaussian forced onto an erfc guide's modes drives n_s to a bound to make up for it."""
    r = invert_modes(modes(), WL, elasto_optic=EO, family=Gaussian)
    assert any(
        "parameters at a bound of family gaussian" in w and "substrate_TE" in w for w in r.warnings
    )


# --------------------------------------------------------------------------- IWKB


def test_iwkb_branch_is_reconstruct_profile_and_paper_stress():
    N = modes()
    r = invert_modes(N, WL, elasto_optic=EO, method=Method.IWKB)
    for pol in ("TE", "TM"):
        rec = reconstruct_profile(N[pol], WL, cover_index=1.0, polarisation=pol)
        p = r.profiles[pol]
        assert np.array_equal(p.depth, rec.depth) and np.array_equal(p.index, rec.index)
        assert np.all(np.isnan(p.index_stderr)) and p.covered_depth == rec.depth[-1]
        assert np.isnan(r.index_at(pol, [1.1 * rec.depth[-1]])[0])
    x, s = stress_at_tm_turning_points(
        N["TE"], N["TM"], WL, EO.c_parallel, EO.c_perp, cover_index=1.0
    )
    assert np.array_equal(r.stress.depth, x) and np.array_equal(r.stress.stress, s)
    assert np.all(np.isnan(r.stress.stress_stderr))
    assert r.family is None and r.uncertainty == "none" and r.mode_solves == 0
    _, with_surface = stress_at_tm_turning_points(
        N["TE"], N["TM"], WL, EO.c_parallel, EO.c_perp, include_surface=True
    )
    assert float(r.stress_at(0.0)) == pytest.approx(with_surface[0], rel=1e-12)
    assert np.isnan(r.stress_at([1.01 * x[-1]])[0])


@pytest.mark.parametrize("surface", ["smooth", 1.5235, {"TE": 1.5225, "TM": 1.5236}])
def test_iwkb_surface_index_options(surface):
    N = modes()
    r = invert_modes(N, WL, elasto_optic=EO, method=Method.IWKB, surface_index=surface)
    for pol in ("TE", "TM"):
        rule = surface[pol] if isinstance(surface, dict) else surface
        rec = reconstruct_profile(N[pol], WL, surface_index=rule, cover_index=1.0, polarisation=pol)
        assert np.array_equal(r.profiles[pol].index, rec.index) and np.array_equal(
            r.profiles[pol].depth, rec.depth
        )
    rule = (
        surface
        if isinstance(surface, str)
        else ((surface["TE"], surface["TM"]) if isinstance(surface, dict) else (surface, surface))
    )
    x, s = stress_at_tm_turning_points(
        N["TE"], N["TM"], WL, EO.c_parallel, EO.c_perp, surface_index=rule
    )
    assert np.array_equal(r.stress.stress, s)


# --------------------------------------------------------------------------- input errors


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            dict(modes={"TE": [1.52, 1.518, 1.516]}, family=TwoStep),
            r"family two-step has 7 parameters but only 3 modes were given",
        ),
        (
            dict(modes={"TE": [1.516, 1.518, 1.52]}),
            r"TE modes must fall strictly with order: N_1 = 1.5180000 ≥ N_0 = 1.5160000",
        ),
        (dict(modes={"TX": [1.52, 1.518]}), r"polarisation: found 'TX'; expected TE or TM"),
        (
            dict(modes={"TE": [1.52, math.nan, 1.516]}),
            r"TE mode 1: effective index nan is not a finite number",
        ),
        (
            dict(modes={"TE": [1.52, 1.518]}, substrate_index=1.519),
            r"TE mode 1: N = 1.5180000 is not above the given substrate index 1.5190000",
        ),
        (dict(modes={"TE": [1.52, 1.518]}, cover_index=1.519), r"not above the cover index"),
        (dict(modes={}), r"modes must be a mapping"),
        (dict(modes=[1.52, 1.51]), r"modes must be a mapping"),
        (dict(modes={"TE": []}), r"non-empty list"),
        (
            dict(modes={"TE": [1.52, 1.518]}, method="iwkb"),
            r"method must be Method.MODEL or Method.IWKB",
        ),
        (
            dict(modes={"TE": [1.52, 1.518]}, index_sigma=0.0),
            r"index_sigma for TE must be positive",
        ),
        (
            dict(modes={"TE": [1.52, 1.518, 1.516]}, index_sigma=[1e-5, 2e-5]),
            r"one number or 3 numbers",
        ),
        (
            dict(modes={"TE": [1.52, 1.518]}, index_sigma={"TM": 1e-5}),
            r"index_sigma has no value for TE",
        ),
        (dict(modes={"TE": [1.52, 1.518]}, family="erfc"), r"family must be AUTO"),
        (
            dict(modes={"TE": [1.52, 1.518]}, family=AutoSelect((TwoStep,))),
            r"no family has few enough parameters for 2 modes",
        ),
        (
            dict(modes={"TE": [1.52, 1.518]}, method=Method.IWKB, family=Erfc),
            r"family applies to Method.MODEL only",
        ),
        (
            dict(modes={"TE": [1.52, 1.518]}, method=Method.IWKB),
            r"IWKB, TE modes: IWKB needs at least 3 modes",
        ),
        (
            dict(modes={"TE": [1.52, 1.518]}, substrate_index={"TM": 1.5}),
            r"substrate_index has no value for TE",
        ),
        (
            dict(modes={"TE": [1.52, 1.518]}, surface_index="chiang"),
            r"surface_index applies to Method.IWKB only",
        ),
        (
            dict(modes={"TE": [1.52, 1.518, 1.516]}, method=Method.IWKB, surface_index="flat"),
            r"surface_index must be 'chiang', 'smooth' or a number",
        ),
    ],
)
def test_input_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        invert_modes(wavelength=WL, **kwargs)


def test_a_list_no_family_can_fit_is_refused_with_the_reasons(monkeypatch):
    def broken(model, theta0, max_nfev):
        raise ValueError("the trial profile lies below the cover")

    monkeypatch.setattr(inv, "_refine", broken)
    with pytest.raises(
        ValueError, match=r"no family converged: erfc: the forward model failed: the trial profile"
    ):
        invert_modes(modes(), WL, family=AutoSelect((Erfc,)))


def test_without_iwkb_points_the_start_comes_from_a_wkb_count():
    """Two modes per polarisation: IWKB (≥ 3 modes) gives no points, the hint is the WKB
    count of an erfc guide; with n_s given the three parameters still come out exactly."""
    N = {p: v[:2] for p, v in modes().items()}
    assert inv._iwkb_points(N, WL, 1.0) == {}
    hint = inv._hint(N, {}, WL, None)
    assert 0.3 * WIDTH < hint.half_depth / Erfc._half < 3 * WIDTH
    r = invert_modes(N, WL, elasto_optic=EO, family=Erfc, substrate_index=N_B)
    assert r.parameters["width"] == pytest.approx(WIDTH, rel=1e-4)
    assert r.parameters["delta_TM"] == pytest.approx(DELTA["TM"], rel=1e-4)


def test_profile_table_reproduces_the_fitted_modes():
    """The model's table is the broken line the fit solved: solve_modes on it returns
    N_measured + residual (to the solver's 1e-14), and it ends at the substrate."""
    rng = np.random.default_rng(5)
    N = {p: v + rng.normal(0.0, 2e-5, v.size) for p, v in modes().items()}
    r = invert_modes(N, WL, elasto_optic=EO, family=OneStep, index_sigma=2e-5)
    for pol, p in r.profiles.items():
        x, n, se = r.profile_table(pol)
        assert x.size == inv.SAMPLE_POINTS and x[0] == 0.0 and np.all(np.diff(x) > 0)
        assert n[-1] == pytest.approx(p.substrate_index, abs=1e-12)
        assert np.all(np.isfinite(se)) and np.all(se >= 0)
        again = solve_modes(x, n, WL, polarisations=(pol,)).effective_indices(pol)[
            : p.effective_indices.size
        ]
        assert np.max(np.abs(again - (p.effective_indices + p.residuals))) < 1e-12
        assert se[0] == pytest.approx(p.index_stderr[0], rel=1e-9)
    assert isinstance(float(r.stress_at(0.0)), float)
    iwkb = invert_modes(N, WL, method=Method.IWKB)
    x, n, se = iwkb.profile_table("TE")
    assert np.array_equal(x, iwkb.profiles["TE"].depth) and np.all(np.isnan(se))
    with pytest.raises(ValueError, match="no 'TM' profile"):
        invert_modes({"TE": N["TE"]}, WL, family=Erfc).profile_table("TM")
