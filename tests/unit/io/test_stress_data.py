"""Measured stress (ionex.io.stress_data): polariscope tables in either sign convention,
`ionex invert`'s stress.csv, surface-stress-meter results, the force balance of a profile
against the closed-form integrals of an erfc profile, located errors, the comparison plot.
"""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest
from scipy.special import erfc, erfcinv

from ionex.errors import RecipeError
from ionex.io.inversion_files import write_inversion
from ionex.io.plots import plot_stress_comparison
from ionex.io.stress_data import (
    FORCE_BALANCE_WARNING,
    MeasuredStressProfile,
    SurfaceStressRecord,
    force_balance_imbalance,
    force_balance_warning,
    read_stress_profile,
    read_surface_stress_meter,
)
from ionex.physics.optics import ElastoOptic
from ionex.process.inversion import Erfc, Method, invert_modes
from ionex.validators import FieldError

# an erfc profile of a plate exchanged on both faces: σ(x) = −CS (erfc(x/w) + erfc((L−x)/w)) + T
CS = 800e6  # Pa
WIDTH = 10e-6  # m
PLATE = 0.7e-3  # m; L/w = 70, so erfc((L − x)/w) underflows to 0 in the front half
EPS = np.finfo(float).eps


def _ierfc(a: float) -> float:
    """∫_0^a erfc(t) dt = a erfc(a) + (1 − e^{−a²})/√π."""
    return a * math.erfc(a) + (1.0 - math.exp(-a * a)) / math.sqrt(math.pi)


T_BALANCED = 2 * CS * WIDTH * _ierfc(PLATE / WIDTH) / PLATE  # ∫_0^L σ dx = 0 exactly
SLOPE = 2 * CS / (math.sqrt(math.pi) * WIDTH)  # |σ'| at a face: the total variation of σ' per face


def erfc_stress(x, tension):
    x = np.asarray(x, dtype=float)
    return -CS * (erfc(x / WIDTH) + erfc((PLATE - x) / WIDTH)) + tension


def compressive_integral(tension) -> float:
    """∫_0^{x0} σ dx (< 0) over one face's compressive layer, x0 = w erfcinv(T/CS) (the far
    face's erfc is 0 there in doubles: L/w = 70)."""
    a = PLATE / WIDTH
    x0 = WIDTH * float(erfcinv(tension / CS))
    layer = _ierfc(x0 / WIDTH) + _ierfc(a) - _ierfc((PLATE - x0) / WIDTH)
    return -CS * WIDTH * layer + tension * x0


def quadrature_error(h: float, faces: int) -> tuple[float, float]:
    """The error of integrating the piecewise-linear interpolant through samples h apart:
    the Euler–Maclaurin leading term h²/12 ∫|σ''| dx (σ' falls by SLOPE at each face in the
    span), and the relative size of the next term, (h/w)²/30 (σ'''/σ' = −2/w² at a face)."""
    return h * h / 12 * faces * SLOPE, (h / WIDTH) ** 2 / 30


def write_profile(path, depth_m, stress_pa, column="compressive_stress_MPa", unit="um"):
    """A polariscope table of σ (Pa, compression < 0) in ``column``'s convention."""
    scale = {"um": 1e-6, "nm": 1e-9, "m": 1.0}[unit]
    factor = {
        "compressive_stress_MPa": -1e-6,
        "compressive_stress_Pa": -1.0,
        "stress_MPa": 1e-6,
        "stress_Pa": 1.0,
    }[column]
    path.write_text(
        f"# polariscope export\ndepth_{unit},{column}\n"
        + "".join(
            f"{float(x / scale)!r},{float(factor * s)!r}\n" for x, s in zip(depth_m, stress_pa)
        )
    )
    return path


# --------------------------------------------------------------------------- round trips


def test_the_two_sign_conventions_of_one_profile_read_identically(tmp_path):
    depth = np.array([2.0, 5.0, 10.0, 20.0, 40.0, 80.0]) * 1e-6
    stress_mpa = np.array([-812.5, -640.0, -402.25, -110.0, 12.5, 30.0])
    comp = tmp_path / "slp.csv"
    comp.write_text(
        "depth_um,compressive_stress_MPa\n"
        + "".join(f"{x * 1e6:g},{-float(s)!r}\n" for x, s in zip(depth, stress_mpa))
    )
    neg = tmp_path / "neg.csv"
    neg.write_text(
        "depth_um,stress_MPa\n"
        + "".join(f"{x * 1e6:g},{float(s)!r}\n" for x, s in zip(depth, stress_mpa))
    )
    pos = tmp_path / "pos.csv"
    pos.write_text(
        "depth_um,stress_MPa\n"
        + "".join(f"{x * 1e6:g},{-float(s)!r}\n" for x, s in zip(depth, stress_mpa))
    )
    a = read_stress_profile(comp)
    b = read_stress_profile(neg, compression="negative")
    c = read_stress_profile(pos, compression="positive")
    for p in (a, b, c):
        np.testing.assert_array_equal(p.depth, a.depth)
        np.testing.assert_array_equal(p.stress, a.stress)
        assert p.sigma is None and p.imbalance is None
    np.testing.assert_allclose(a.depth, depth, rtol=EPS)
    np.testing.assert_array_equal(a.stress, stress_mpa * 1e6)
    assert (a.compression, b.compression, c.compression) == ("positive", "negative", "positive")
    assert (a.column, b.column) == ("compressive_stress_MPa", "stress_MPa")
    assert a.stress[0] < 0 and a.compressive_stress[0] == 812.5e6  # compression stored < 0
    assert a.source == comp
    with pytest.raises(ValueError):
        a.stress[0] = 0.0  # frozen arrays


@pytest.mark.parametrize("column", ["compressive_stress_Pa", "stress_Pa", "stress_MPa"])
@pytest.mark.parametrize("unit", ["m", "um", "nm"])
def test_each_column_and_depth_unit_round_trips(tmp_path, column, unit):
    depth = np.linspace(0.0, 60e-6, 7)
    stress = erfc_stress(depth, T_BALANCED)
    path = write_profile(tmp_path / "p.csv", depth, stress, column, unit)
    p = read_stress_profile(path, compression=None if column.startswith("comp") else "negative")
    np.testing.assert_allclose(p.depth, depth, rtol=4 * EPS, atol=0.0)
    np.testing.assert_allclose(p.stress, stress, rtol=4 * EPS)


def test_a_sigma_column_is_in_the_unit_of_the_stress_column(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("depth_um,compressive_stress_MPa,sigma\n1,700,10\n3,500,12.5\n9,100,0\n")
    p = read_stress_profile(path)
    np.testing.assert_array_equal(p.sigma, [10e6, 12.5e6, 0.0])
    np.testing.assert_array_equal(p.stress, [-700e6, -500e6, -100e6])


# `ionex invert`'s stress.csv: a guide n_pol = 1.5137 + Δ_pol erfc(x/13.5 µm) in BK7 at
# 677 nm, six modes per polarisation (the guide of tests/unit/process/test_inversion.py)
MODES = {
    "TE": [1.5198047085979567, 1.5177124083167675, 1.5161832435657914, 1.5150372615350078,
           1.5142246737752851, 1.513759770239233],
    "TM": [1.5206449949765435, 1.5183724928150788, 1.516696071305597, 1.5154182808153027,
           1.5144795620111253, 1.513878338958461],
}  # fmt: skip
EO = ElastoOptic(-0.5e-12, -3.3e-12)


@pytest.mark.parametrize("method", [Method.MODEL, Method.IWKB])
def test_the_stress_profile_of_ionex_invert_reads_back_as_written(tmp_path, method):
    family = {"family": Erfc} if method is Method.MODEL else {}
    inv = invert_modes(MODES, 677e-9, elasto_optic=EO, method=method, **family)
    write_inversion(inv, tmp_path)
    written = np.loadtxt(tmp_path / "stress.csv", delimiter=",", skiprows=1, ndmin=2)
    p = read_stress_profile(tmp_path / "stress.csv")  # the file declares compression < 0
    assert (p.compression, p.column) == ("negative", "stress_Pa")
    np.testing.assert_array_equal(p.depth, written[:, 0])
    np.testing.assert_array_equal(p.stress, written[:, 1])
    # against the inversion itself: the file keeps 10 (depth) and 6 (stress) digits
    np.testing.assert_allclose(p.depth, inv.stress.depth, rtol=5e-10, atol=0.0)
    np.testing.assert_allclose(p.stress, inv.stress.stress, rtol=5e-6, atol=0.0)
    assert p.stress[0] < 0  # compression at the surface, as ionex writes it
    if method is Method.MODEL:
        np.testing.assert_array_equal(p.sigma, written[:, 2])
        np.testing.assert_allclose(p.sigma, inv.stress.stress_stderr, rtol=5e-3)
    else:
        assert p.sigma is None
    assert read_stress_profile(tmp_path / "stress.csv", "negative").compression == "negative"
    with pytest.raises(RecipeError, match="stress profile of `ionex invert`.*one sign convention"):
        read_stress_profile(tmp_path / "stress.csv", "positive")
    # away from its inversion.json the file is a plain stress_Pa table: its sign is declared
    alone = tmp_path / "copy" / "stress.csv"
    alone.parent.mkdir()
    shutil.copy(tmp_path / "stress.csv", alone)
    with pytest.raises(RecipeError, match="does not say its sign"):
        read_stress_profile(alone)


# --------------------------------------------------------------------------- force balance


@pytest.mark.parametrize(
    "span, end, faces", [("thickness", PLATE, 2), ("half thickness", PLATE / 2, 1)]
)
def test_a_balanced_erfc_profile_is_balanced_within_the_quadrature_error(
    tmp_path, span, end, faces
):
    """∫_0^L σ dx = 0 exactly (T = 2 CS w ierfc(L/w) / L), and by symmetry over L/2 too;
    the sampled profile's imbalance is the trapezoid's error (h²/12)(σ'(end) − σ'(0))."""
    depth = np.linspace(0.0, end, 2001)
    stress = erfc_stress(depth, T_BALANCED)
    p = read_stress_profile(write_profile(tmp_path / "b.csv", depth, stress), thickness="0.7 mm")
    assert p.span == span and p.thickness == pytest.approx(PLATE, rel=EPS)
    error, higher = quadrature_error(depth[1] - depth[0], faces)
    total = -2 * faces * compressive_integral(T_BALANCED)  # ∫|σ| dx: net 0, twice compression
    ratio = error / total
    assert abs(p.imbalance) <= ratio * (1 + higher + 2 * ratio) + depth.size * EPS
    # and it is that error: the trapezoid undershoots where σ' falls at each face
    assert p.imbalance == pytest.approx(-ratio, rel=higher + 2 * ratio)
    assert force_balance_warning(p) is None


def test_an_unbalanced_erfc_profile_has_the_analytic_imbalance(tmp_path):
    """Half the balancing tension: ∫σ = −CS w ierfc(L/w); compression on [0, x0] and
    [L − x0, L] with x0 = w erfcinv(T/CS)."""
    tension = T_BALANCED / 2
    net = -2 * CS * WIDTH * _ierfc(PLATE / WIDTH) + tension * PLATE
    total = net - 4 * compressive_integral(tension)  # ∫|σ| = ∫σ − 2·(both compressive layers)
    exact = net / total
    depth = np.linspace(0.0, PLATE, 4001)
    path = write_profile(tmp_path / "u.csv", depth, erfc_stress(depth, tension))
    p = read_stress_profile(path, thickness=PLATE)
    # |N'/D' − N/D| ≤ (|ΔN| + |N/D| |ΔD|) / D' with |N/D| ≤ 1 and each Δ the quadrature error
    error, higher = quadrature_error(depth[1] - depth[0], 2)
    tol = 2 * error * (1 + higher) / (total - error) + depth.size * EPS
    assert p.span == "thickness"
    assert p.imbalance == pytest.approx(exact, abs=tol)
    assert exact < -FORCE_BALANCE_WARNING  # so the caller is warned
    text = force_balance_warning(p)
    assert str(path) in text and f"{exact:+.3f}" in text and "\n" not in text


def test_the_imbalance_of_a_piecewise_linear_profile_is_exact():
    """Compression 2 on [0, 1], a linear fall through zero: ∫σ = −2 − 1 + 1/2·(−2·2/3 + 1·1/3)…
    computed by hand: segments (0,1): −2; (1,2) from −2 to 1: ∫ = −1/2, ∫|σ| = (4+1)/(2·3) = 5/6."""
    x, s = [0.0, 1.0, 2.0], [-2.0, -2.0, 1.0]
    assert force_balance_imbalance(x, s) == pytest.approx((-2.0 - 0.5) / (2.0 + 5 / 6), rel=EPS)
    assert force_balance_imbalance(x, [0.0, 0.0, 0.0]) == 0.0


def test_a_profile_that_does_not_span_the_plate_has_no_imbalance(tmp_path):
    depth = np.linspace(2e-6, 100e-6, 50)
    p = read_stress_profile(
        write_profile(tmp_path / "c.csv", depth, erfc_stress(depth, T_BALANCED)), thickness=PLATE
    )
    assert p.span is None and p.imbalance is None and force_balance_warning(p) is None


# --------------------------------------------------------------------------- surface meter


def test_surface_stress_meter_records(tmp_path):
    path = tmp_path / "fsm.csv"
    path.write_text(
        "# FSM-6000LE export\n"
        "sample,operator,CS_MPa,DOL_um,thickness_mm,n_TE_1,n_TE_2,n_TM_1,n_TM_2\n"
        "A-1,kt,812.5,42.3,0.7,1.5198,1.5177,1.5206,1.5184\n"
        "A-2,kt,790,40,,1.5197,,1.5205,1.5183\n"
    )
    a, b = read_surface_stress_meter(path)
    assert (a.sample, a.compressive_stress, a.depth_of_layer) == ("A-1", 812.5e6, 42.3e-6)
    assert a.thickness == pytest.approx(0.7e-3, rel=EPS)
    assert a.n_TE == (1.5198, 1.5177) and a.n_TM == (1.5206, 1.5184)
    assert (a.source, a.line, b.line) == (path, 3, 4)
    assert b.thickness is None and b.n_TE == (1.5197,) and b.n_TM == (1.5205, 1.5183)
    path.write_text("sample,CS_Pa,DOL_nm\nB,8e8,40000\n")
    (c,) = read_surface_stress_meter(path)
    assert (c.compressive_stress, c.n_TE, c.n_TM) == (8e8, (), ())
    assert c.depth_of_layer == pytest.approx(40e-6, rel=EPS)


def test_records_validate_their_own_values():
    with pytest.raises(FieldError, match="compressive_stress: found -1"):
        SurfaceStressRecord("x", -1.0, 1e-5)
    with pytest.raises(FieldError, match=r"n_TE\[1\].*falling"):
        SurfaceStressRecord("x", 1e8, 1e-5, n_TE=(1.51, 1.52))
    with pytest.raises(FieldError, match="compression"):
        MeasuredStressProfile("f.csv", [0.0, 1e-6], [-1.0, 1.0], compression="up")
    with pytest.raises(FieldError, match="at least two"):
        MeasuredStressProfile("f.csv", [0.0], [-1.0], compression="negative")


# --------------------------------------------------------------------------- errors


PROFILE = "depth_um,compressive_stress_MPa\n"


@pytest.mark.parametrize(
    "content, kwargs, words",
    [
        (PROFILE + "1,800\n2,abc\n", {}, ["line 3", "compressive_stress_MPa = 'abc'", "not a number"]),
        (PROFILE + "1,800\n2,nan\n", {}, ["line 3", "compressive_stress_MPa = 'nan'", "finite"]),
        (PROFILE + "1,800\n2,inf\n", {}, ["line 3", "compressive_stress_MPa = 'inf'", "finite"]),
        (PROFILE + "1,800\n5,600\n5,500\n", {}, ["line 4, column depth_um", "5 does not increase"]),
        (PROFILE + "1,800\n2\n", {}, ["line 3", "found 1 fields", "expected 2"]),
        (PROFILE + "1,800\n", {}, ["1 data line", "at least two"]),
        (PROFILE + "1,800\n800,10\n", {"thickness": 0.7e-3}, ["line 3", "depth_um = '800'", "beyond"]),
        (
            "depth_um,stress_MPa,compressive_stress_MPa\n1,-800,800\n2,-600,600\n",
            {},
            ["line 1", "stress_MPa, compressive_stress_MPa", "one sign convention"],
        ),
        ("depth_um,frac_K\n1,0.3\n2,0.2\n", {}, ["line 1", "no stress column"]),
        (
            PROFILE + "1,800\n2,600\n",
            {"compression": "negative"},
            ["line 1, column compressive_stress_MPa", "gives compression as positive",
             "one sign convention"],
        ),
        (
            "depth_um,stress_MPa\n1,-800\n2,-600\n",
            {},
            ["line 1, column stress_MPa", "compression: missing", "does not say its sign"],
        ),
        (
            "depth_um,stress_MPa\n1,-800\n2,-600\n",
            {"compression": "compressive"},
            ["line 1, column stress_MPa", "found 'compressive'", '"positive" or "negative"'],
        ),
        (
            "depth_um,compressive_stress_MPa,sigma\n1,800,5\n2,600,-5\n",
            {},
            ["line 3", "sigma = '-5'", "≥ 0"],
        ),
        ("depth_mm,compressive_stress_MPa\n1,800\n", {}, ["line 1", "one depth column"]),
    ],
)  # fmt: skip
def test_bad_stress_profiles_are_located_in_one_line(tmp_path, content, kwargs, words):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(RecipeError) as info:
        read_stress_profile(path, **kwargs)
    message = str(info.value)
    assert message.startswith(f"{path}") and "\n" not in message
    for word in words:
        assert word in message


METER = "sample,CS_MPa,DOL_um,n_TE_1,n_TE_2\n"


@pytest.mark.parametrize(
    "content, words",
    [
        (METER + "A,-800,40,1.52,1.51\n", ["line 2", "CS_MPa = '-800'", "compression > 0"]),
        (METER + "A,800,x,1.52,1.51\n", ["line 2", "DOL_um = 'x'", "not a number"]),
        (METER + "A,800,0,1.52,1.51\n", ["line 2", "DOL_um = '0'", "> 0"]),
        (METER + "A,800,40,1.51,1.52\n", ["line 2", "n_TE_2 = '1.52'", "falling strictly"]),
        (METER + "A,800,40,,1.51\n", ["line 2", "n_TE_2 = '1.51' follows the blank n_TE_1"]),
        (METER + "A,800,40,1.52,0.5\n", ["line 2", "n_TE_2 = '0.5'", "refractive index"]),
        (METER + "A,800,40,1.52,1.51\nA,810,41,1.52,1.51\n", ["line 3", "'A' appears twice"]),
        ("sample,CS_MPa,DOL_mm\nA,800,0.04\n", ["line 1", "no DOL column", "DOL_um"]),
        ("sample,CS_MPa,DOL_um,n_TE_1,n_TE_3\nA,800,40,1.52,1.51\n", ["line 1", "n_TE_k", "[1, 3]"]),
        ("sample,CS_MPa,DOL_um,n_TE_0\nA,800,40,1.52\n", ["line 1", "'n_TE_0'", "mode 1"]),
        ("sample,CS_MPa,DOL_um,thickness_mm\nA,800,800,0.7\n", ["line 2", "not below the thickness"]),
        ("CS_MPa,DOL_um\n800,40\n", ["line 1", "no sample column"]),
        (METER, ["no data lines"]),
    ],
)  # fmt: skip
def test_bad_surface_meter_files_are_located_in_one_line(tmp_path, content, words):
    path = tmp_path / "fsm.csv"
    path.write_text(content)
    with pytest.raises(RecipeError) as info:
        read_surface_stress_meter(path)
    message = str(info.value)
    assert message.startswith(f"{path}") and "\n" not in message
    for word in words:
        assert word in message


# --------------------------------------------------------------------------- plot


def test_the_comparison_plot_writes_a_png(tmp_path):
    x = np.linspace(0.0, PLATE / 2, 400)
    depth = np.linspace(1e-6, 80e-6, 30)
    slp = tmp_path / "slp.csv"
    slp.write_text(
        "depth_um,compressive_stress_MPa,sigma\n"
        + "".join(
            f"{d * 1e6:.3f},{-s / 1e6:.2f},15\n" for d, s in zip(depth, erfc_stress(depth, 0))
        )
    )
    measured = [
        read_stress_profile(slp),
        read_stress_profile(
            write_profile(tmp_path / "half.csv", x[::8], erfc_stress(x[::8], T_BALANCED)),
            thickness=PLATE,
        ),
    ]
    meter = tmp_path / "fsm.csv"
    meter.write_text("sample,CS_MPa,DOL_um\nA,790,18.5\n")
    out = plot_stress_comparison(
        x, erfc_stress(x, T_BALANCED), measured, tmp_path / "compare.png",
        surface_meter=read_surface_stress_meter(meter),
    )  # fmt: skip
    assert out == tmp_path / "compare.png"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "compare.png", "fsm.csv", "half.csv", "slp.csv"
    ]  # fmt: skip
