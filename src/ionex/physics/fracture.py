"""Strength of an ion-exchanged plate against a surface flaw: stress intensity factors of an
edge crack loaded by the residual stress profile, retained strength and failure probability.

Geometry. A straight-fronted edge crack of depth a runs from the exchanged face x = 0 into a
plate of thickness t (plane strain, the plate long and free at its ends, so free to bend and
rotate). By superposition the residual stress σ(x) of the uncracked plate acts as a traction
on the crack faces, and

    K(a) = ∫₀ᵃ h(x, a) σ(x) dx                                   (Pa·√m)

with h the weight function of the edge-cracked plate. Only σ on [0, a] enters, but σ must be
the stress of the free plate: force- (and, exchanged on one face, moment-) balanced over the
whole thickness, as ionex.physics.stress.balanced_stress returns it. For a plate exchanged on
both faces give σ over the full thickness [0, t]: a crack deeper than the compressive layer
reaches the central tension, and one deeper than t/2 the compressive layer of the far face.

Weight function: the universal three-term form of G. Glinka, G. Shen, "Universal features of
weight functions for cracks in mode I", Eng. Fract. Mech. 40 (1991) 1135–1146,

    h(x, a) = 2/√(2π(a − x)) · [1 + M_1 ρ^(1/2) + M_2 ρ + M_3 ρ^(3/2)],   ρ = 1 − x/a,

i.e. h·√(πa/2) = Σ c_k ρ^k with k = −1/2, 0, 1/2, 1 and c = (1, M_1, M_2, M_3). The form is
Glinka & Shen's; their tabulated M_i are not used. Here the M_i are solved at each α = a/t
from three linear conditions (a 3 × 3 system per flaw depth, closed form in ρ, in _series):
K = σ√(πa)·F(α) for the crack-face stresses

  1. uniform σ (F_u),   2. bending σ(1 − 2x/t) (F_b),   3. quadratic σ(x/a)² (F_q),

F taken from a finite-element table (_FE_FLAW_DEPTHS, _FE_UNIFORM, _FE_BENDING,
_FE_QUADRATIC), computed by benchmarks/fracture_fe_table.py with the FE reference
tests/_fe_edge_crack.py (plane strain, quadratic triangles graded to the tip, domain
interaction integral; refinement 3, ≤ 0.005 % from its converged value) at 33 depths
0.001 ≤ α ≤ 0.65, denser at small α, plus α = 0, where F_u = F_b = 1.1215 (the exact edge
crack in a half-plane) and F_q is the spline's extrapolation from the FE nodes. Between the nodes a not-a-knot cubic spline of F·(1 − α)^(3/2):
< 0.001 % from the FE at depths halfway between them (the script's check).

The third condition was chosen by measurement, against FE, of a loading none of them uses,
σ(1 − x/t)⁴ at 0 < α ≤ 0.6, and of the erfc residual profile below (α 0.005–0.3), with
F_u and F_b from the FE in every variant:
  * crack-mouth value h(0, a) from Tada's strip Green's function (the former calibration,
    bending weighed against the Green's function's linear moment — with FE F_b no longer
    needed): (1 − x/t)⁴ within 0.24 %, residual 0.32 % of S = ∫₀ᵃ h|σ| dx;
  * Glinka & Shen's zero curvature of h at the mouth (M_2 = 3): 0.14 %, residual 5.2 % of S;
  * FE quadratic stress, (x/a)² (or, the same system, (1 − x/a)²): 0.007 %, residual
    0.076 % of S — the one used. (1 − x/a)⁴ instead: 0.007 %, 0.076 % of S.

Beyond α = 0.6 Tada's tan formulas for tension and bending (H. Tada, P. C. Paris,
G. R. Irwin, The Stress Analysis of Cracks Handbook, 3rd ed., ASME Press, 2000,
single-edge-cracked plate, ends free to rotate; 0.5 % for any α) are scaled to join the FE
at 0.6, and F_q is F_u times the quadratic-to-uniform ratio of Tada's strip Green's function
for a pair of point forces P (N/m) at depth x = s·a,

    K = 2P/√(πa) · G(s, α) / [(1 − α)^(3/2) √(1 − s²)],   G = g_1 + g_2 s + g_3 s² + g_4 s³,

(g_i in _strip_green_function), scaled likewise to join at 0.6.

Accuracy, measured against the FE (refinement 3; tests/validation/
test_fracture_finite_elements.py, the FE table's interpolation check), K per unit load:

    uniform and bending stress, 0 < α ≤ 0.6:     within 0.001 % (the table and its spline)
    σ(1 − x/t)⁴, 0 < α ≤ 0.6 (not calibrated):   within 0.007 %
    erfc residual profile, −800 MPa·erfc(x/10 µm) balanced on t = 0.8 mm, α 0.005–0.3:
        within 0.08 % of S; of K itself 0.02 % for α ≤ 0.05, up to 0.25 % for 0.05–0.25
        and 0.5 % at α = 0.3, where K changes sign (K → 0: no relative accuracy holds)
    0.6 < α ≤ 0.9 (FE of benchmarks/fracture_fe_convergence.py): uniform within 0.07 %,
        bending within 0.9 % (the bending tan formula's own error: −0.8 % at 0.6, ≈ 0 at 0.9)

Tada's polynomials for α ≤ 0.6 (tension 0.5 %, bending 0.2 % stated) depart by up to 0.67 %
and 0.36 % from this FE. h > 0 on every crack with α ≤ 0.9; no accuracy is claimed beyond
α = 0.6, the deepest flaw ionex.process.strength computes. A residual profile that changes
sign along the crack can have K near zero, where no relative accuracy holds: the error is
then bounded by that fraction of S = ∫|h σ| dx.

Quadrature. σ is interpolated linearly between the depths given (held at its first value
between the surface and the first depth, as cell-centre profiles start half a cell deep) and
each linear piece is integrated against h in closed form, so the 1/√(a − x) singularity
costs nothing and K is exact for the interpolated profile: its only discretisation error is
the interpolation's, O(Δx²) for a smooth σ.

Strength. A load (uniform stress σ, or bending with outer-fibre stress σ_b, σ(x) =
σ_b(1 − 2x/t)) adds σ·K_unit(a); the flaw runs when K_res + σ K_unit = K_Ic, so

    σ_f(a) = (K_Ic − K_res(a)) / K_unit(a),   annealed glass: σ_f⁰(a) = K_Ic / K_unit(a).

The part is stronger than annealed glass where K_res(a) < 0. σ_f < 0 means the residual
stress alone runs the flaw (spontaneous fracture). Slow crack growth is not modelled: K_Ic is
the inert toughness.

Failure probability. A part carries n independent flaws whose depths follow a distribution
(WeibullFlawDepths, F_a(a) = 1 − exp(−(a/a₀)^m), or a sample of depths); all see the same
applied stress σ. One flaw breaks at or below σ with F(σ) = P(σ_f(a) ≤ σ) (σ_f need not be
monotonic in a), the part with P_f(σ) = 1 − (1 − F(σ))ⁿ (flaw_failure_probability,
failure_probability).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ..validators import FieldError, increasing, positive, vector

__all__ = [
    "LOADINGS",
    "edge_crack_weight_function",
    "stress_intensity",
    "unit_stress_intensity",
    "RetainedStrength",
    "retained_strength",
    "WeibullFlawDepths",
    "flaw_failure_probability",
    "failure_probability",
]

# exponents k of ρ^k in h·√(πa/2) = Σ c_k ρ^k: the crack-tip singularity, then Glinka & Shen's
# three terms (1 − x/a)^(1/2), (1 − x/a), (1 − x/a)^(3/2) of √(a − x)·h
_EXPONENTS = np.array([-0.5, 0.0, 0.5, 1.0])

# K of the exact edge crack in a half-plane under uniform crack-face pressure, per σ√(πa)
_HALF_PLANE_FACTOR = 1.1215

# F = K/(σ√(πa)) at the flaw depths α = a/t of _FE_FLAW_DEPTHS for uniform crack-face stress
# σ, bending σ(1 − 2x/t) and quadratic σ(x/a)², computed by benchmarks/fracture_fe_table.py
# from the finite-element reference tests/_fe_edge_crack.py at refinement 3 (≤ 0.005 % from
# its converged value); at α = 0 the half-plane's 1.1215 for uniform and bending (module
# docstring)
# fmt: off
_FE_FLAW_DEPTHS = np.array(
    [
        0, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.06, 0.07,
        0.08, 0.09, 0.1, 0.12, 0.14, 0.16, 0.18, 0.2, 0.225, 0.25, 0.275, 0.3, 0.35, 0.4, 0.45,
        0.5, 0.55, 0.6, 0.625, 0.65,
    ]
)
_FE_UNIFORM = np.array(
    [
        1.121500, 1.121512, 1.121555, 1.121706, 1.121956, 1.122302, 1.123280, 1.124625, 1.126327,
        1.128374, 1.133469, 1.139840, 1.147431, 1.156193, 1.166089, 1.177082, 1.189156, 1.216455,
        1.247903, 1.283478, 1.323236, 1.367293, 1.428653, 1.497442, 1.574248, 1.659816, 1.861126,
        2.111350, 2.425178, 2.824477, 3.342692, 4.032961, 4.468254, 4.984108,
    ]
)
_FE_BENDING = np.array(
    [
        1.121500, 1.120146, 1.118140, 1.114877, 1.111710, 1.108639, 1.102773, 1.097260, 1.092087,
        1.087237, 1.078454, 1.070815, 1.064236, 1.058640, 1.053966, 1.050155, 1.047163, 1.043460,
        1.042592, 1.044352, 1.048603, 1.055258, 1.066875, 1.082157, 1.101175, 1.124077, 1.182565,
        1.260591, 1.362960, 1.497112, 1.674605, 1.913888, 2.065602, 2.245785,
    ]
)
_FE_QUADRATIC = np.array(
    [
        0.525478, 0.525480, 0.525490, 0.525526, 0.525584, 0.525665, 0.525893, 0.526207, 0.526603,
        0.527078, 0.528259, 0.529731, 0.531479, 0.533491, 0.535755, 0.538263, 0.541009, 0.547186,
        0.554256, 0.562202, 0.571023, 0.580733, 0.594154, 0.609073, 0.625590, 0.643835, 0.686202,
        0.737971, 0.801806, 0.881671, 0.983612, 1.117177, 1.200403, 1.298229,
    ]
)
# fmt: on
# deepest flaw the FE table calibrates; Tada's tan formulas, scaled to join it, take over beyond
_FE_LIMIT = 0.6

# ∫₀¹ sⁿ/√(1 − s²) ds for n = 0 … 5: moments of the strip Green's function's cubic G(s)
_ARCSINE_MOMENTS = np.array(
    [math.pi / 2, 1.0, math.pi / 4, 2.0 / 3.0, 3.0 * math.pi / 16, 8.0 / 15.0]
)

LOADINGS = ("uniform", "bending")

# flaws × profile points per block of the closed-form sums: bounds the temporaries (~20 MB)
_BLOCK = 1 << 18


def _tan_tension(alpha: np.ndarray) -> np.ndarray:
    """Tada's F(α) of the single edge notch in tension, any α (0.5 %)."""
    b = 0.5 * np.pi * alpha
    return (
        np.sqrt(np.tan(b) / b) * (0.752 + 2.02 * alpha + 0.37 * (1.0 - np.sin(b)) ** 3) / np.cos(b)
    )


def _tan_bending(alpha: np.ndarray) -> np.ndarray:
    """Tada's F(α) of the single edge notch in pure bending, any α (0.5 %)."""
    b = 0.5 * np.pi * alpha
    return np.sqrt(np.tan(b) / b) * (0.923 + 0.199 * (1.0 - np.sin(b)) ** 4) / np.cos(b)


@functools.cache
def _fe_spline():
    """Not-a-knot cubic spline in α of g = F·(1 − α)^(3/2) through the FE table, the columns
    uniform, bending, quadratic (dividing out the (1 − α)^(−3/2) of the deep crack leaves a
    slowly varying g: the spline departs from the FE by < 0.001 % between the nodes)."""
    from scipy.interpolate import CubicSpline

    factors = np.stack([_FE_UNIFORM, _FE_BENDING, _FE_QUADRATIC], axis=-1)
    return CubicSpline(_FE_FLAW_DEPTHS, factors * (1.0 - _FE_FLAW_DEPTHS[:, None]) ** 1.5)


def _fe_factors(alpha: np.ndarray) -> np.ndarray:
    """F_u, F_b, F_q of the FE table at α ≤ 0.65, shape (..., 3)."""
    return _fe_spline()(alpha) / (1.0 - alpha[..., None]) ** 1.5


def _strip_green_function(alpha: np.ndarray) -> np.ndarray:
    """g_1 … g_4(α) of Tada's point-force solution for the edge-cracked strip, shape (..., 4):

        K = 2P/√(πa) · G(s, α) / [(1 − α)^(3/2) √(1 − s²)],  G = g_1 + g_2 s + g_3 s² + g_4 s³,

    P (N/m) opening the faces at s = x/a.
    """
    c = 1.0 - alpha
    return np.stack(
        [
            0.46 + 3.06 * alpha + 0.84 * c**5 + 0.66 * alpha**2 * c**2,
            -3.52 * alpha**2,
            6.17
            - 28.22 * alpha
            + 34.54 * alpha**2
            - 14.39 * alpha**3
            - c**1.5
            - 5.88 * c**5
            - 2.64 * alpha**2 * c**2,
            -6.63
            + 25.16 * alpha
            - 31.04 * alpha**2
            + 14.41 * alpha**3
            + 2.0 * c**1.5
            + 5.04 * c**5
            + 1.98 * alpha**2 * c**2,
        ],
        axis=-1,
    )


def _green_quadratic_ratio(alpha: np.ndarray) -> np.ndarray:
    """K of the quadratic crack-face stress σ(x/a)² over that of the uniform σ, from the strip
    Green's function (its absolute level cancels)."""
    g = _strip_green_function(alpha)
    return (g @ _ARCSINE_MOMENTS[2:6]) / (g @ _ARCSINE_MOMENTS[0:4])


def _reference_factors(alpha: np.ndarray) -> np.ndarray:
    """The three calibration values of the weight function at α = a/t (module docstring):
    F = K/(σ√(πa)) of uniform, bending and quadratic crack-face stress, shape (..., 3)."""
    deep = alpha > _FE_LIMIT
    factors = _fe_factors(np.minimum(alpha, _FE_LIMIT))
    if not np.any(deep):
        return factors
    # beyond the table Tada's tan formulas and the Green's function's quadratic-to-uniform
    # ratio, each scaled to join the FE at α = 0.6
    limit = np.float64(_FE_LIMIT)
    at_limit = _fe_factors(limit)
    deep_alpha = np.where(deep, alpha, limit)
    uniform = at_limit[0] / _tan_tension(limit) * _tan_tension(deep_alpha)
    bending = at_limit[1] / _tan_bending(limit) * _tan_bending(deep_alpha)
    quadratic = (
        uniform
        * at_limit[2]
        / at_limit[0]
        * _green_quadratic_ratio(deep_alpha)
        / _green_quadratic_ratio(limit)
    )
    joined = np.stack([uniform, bending, quadratic], axis=-1)
    return np.where(deep[..., None], joined, factors)


def _series(alpha) -> np.ndarray:
    """The coefficients c_k of h·√(πa/2) = Σ c_k ρ^k, shape (..., 4): c = 1, M_1, M_2, M_3."""
    alpha = np.asarray(alpha, dtype=float)
    factors = _reference_factors(alpha)
    k = _EXPONENTS[1:]
    # F = (√2/π)·∫₀¹ σ Σ c_k ρ^k dρ (x = a(1 − ρ)) for σ = 1 (uniform), 1 − 2α + 2αρ
    # (bending), 1 − 2ρ + ρ² (quadratic); the c_0 = 1 term moves to the right-hand side
    linear = 2.0 * alpha[..., None]
    rows = np.empty(alpha.shape + (3, 3))
    rows[..., 0, :] = 1.0 / (k + 1.0)
    rows[..., 1, :] = (1.0 - linear) / (k + 1.0) + linear / (k + 2.0)
    rows[..., 2, :] = 1.0 / (k + 1.0) - 2.0 / (k + 2.0) + 1.0 / (k + 3.0)
    tip = np.array([2.0, 1.0 / 1.5, 1.0 / 2.5])  # ∫₀¹ ρ^(j − 1/2) dρ, j = 0, 1, 2
    known = np.stack(
        [
            np.full(alpha.shape, tip[0]),
            (1.0 - 2.0 * alpha) * tip[0] + 2.0 * alpha * tip[1],
            np.full(alpha.shape, tip[0] - 2.0 * tip[1] + tip[2]),
        ],
        axis=-1,
    )
    rhs = factors * np.pi / math.sqrt(2.0) - known
    m = np.linalg.solve(rows, rhs[..., None])[..., 0]
    return np.concatenate([np.ones(alpha.shape + (1,)), m], axis=-1)


def _check_thickness(thickness) -> float:
    positive(thickness, "thickness", "m")
    return float(thickness)


def _check_flaw_depth(flaw_depth, thickness: float) -> np.ndarray:
    a = np.asarray(flaw_depth, dtype=float)
    flat = a.ravel()
    bad = np.nonzero(~((flat > 0.0) & (flat < thickness)))[0]
    if bad.size:
        i = int(bad[0])
        raise FieldError(
            "flaw_depth",
            float(flat[i]),
            f"expected a flaw depth a with 0 < a < t = {thickness:g} m (the plate's thickness)",
            "m",
            index=i if a.ndim else None,
        )
    return a


def _check_loading(loading: str) -> str:
    if loading not in LOADINGS:
        raise FieldError("loading", loading, f"expected one of {', '.join(LOADINGS)}")
    return loading


def _check_profile(depth, stress, thickness: float):
    """The depth grid (m) and σ (Pa) as float arrays, after the rules of a stress profile."""
    x = vector(depth, "depth")
    s = vector(stress, "stress")
    if x.size < 2:
        raise FieldError("depth", x.size, "expected at least 2 depths (a profile)")
    if s.size != x.size:
        raise FieldError("stress", s.size, f"expected one stress per depth ({x.size} values)")
    increasing(x, "depth", "m", "depths increasing from the exchanged face")
    if x[0] < 0.0:
        raise FieldError(
            "depth",
            float(x[0]),
            "expected the profile to start at or below the face, x ≥ 0",
            "m",
            0,
        )
    if x[-1] > thickness:
        raise FieldError(
            "depth",
            float(x[-1]),
            f"expected depths within the plate, ≤ t = {thickness:g} m",
            "m",
            x.size - 1,
        )
    return x, s


def edge_crack_weight_function(x, flaw_depth, thickness):
    """Weight function h(x, a) of an edge crack of depth a in a plate of thickness t (1/√m).

    h(x, a) = √(2/(πa)) [ρ^(−1/2) + M_1 + M_2 ρ^(1/2) + M_3 ρ], ρ = 1 − x/a, the M_i
    functions of a/t (module docstring): the K (Pa·√m) of a pair of unit line forces (N/m)
    opening the crack faces at depth x.

    Args:
        x: depth of the load from the exchanged face (m), 0 ≤ x < a; 0 is returned for x ≥ a.
        flaw_depth: a (m), 0 < a < t; broadcasts against x.
        thickness: t (m).
    """
    t = _check_thickness(thickness)
    a = _check_flaw_depth(flaw_depth, t)
    x = np.asarray(x, dtype=float)
    if np.any(x < 0.0):
        raise FieldError("x", float(x[x < 0.0].ravel()[0]), "expected depths x ≥ 0", "m")
    x, a = np.broadcast_arrays(x, a)
    rho = np.where(x < a, 1.0 - x / a, np.nan)
    c = _series(a / t)
    with np.errstate(invalid="ignore"):
        h = np.sqrt(2.0 / (np.pi * a)) * np.sum(c * rho[..., None] ** _EXPONENTS, axis=-1)
    return np.where(x < a, h, 0.0)[()]


def _antiderivative_sums(rho: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Σ_k c_k ρ^(k+1)/(k+1) and Σ_k c_k ρ^(k+2)/(k+2) at the nodes ρ (..., N), c (..., 1, 4)."""
    r = np.sqrt(rho)
    power = r  # ρ^(k+1) = ρ^(1/2), ρ, ρ^(3/2), ρ²: the exponents step by 1/2
    p_sum = np.zeros_like(rho)
    r_sum = np.zeros_like(rho)
    for j, k in enumerate(_EXPONENTS):
        p_sum += c[..., j] * power / (k + 1.0)
        r_sum += c[..., j] * (power * rho) / (k + 2.0)
        power = power * r
    return p_sum, r_sum


def stress_intensity(depth, stress, flaw_depth, thickness):
    """Stress intensity factor K(a) = ∫₀ᵃ h(x, a) σ(x) dx of edge cracks loaded by a stress
    profile (Pa·√m), for many flaw depths at once.

    σ is linear between the depths given and held at σ(depth[0]) above the first depth; each
    linear piece is integrated against h in closed form (module docstring). With ρ = 1 − x/a
    and σ = σ(a) − s·a·ρ on a piece of slope s (σ(a) its value extended to the tip),

        ∫ h σ dx = √(2a/π) Σ_k c_k [σ(a)·ρ^(k+1)/(k+1) − s a·ρ^(k+2)/(k+2)] between its ends.

    Args:
        depth: depths x of the profile from the exchanged face (m), strictly increasing,
            within [0, t]; for a plate exchanged on both faces, the whole thickness.
        stress: σ(x) of the free, balanced plate (Pa, compression negative), one per depth.
        flaw_depth: a (m), any shape, each with 0 < a < t and a ≤ depth[-1].
        thickness: t (m).
    Returns: K with the shape of flaw_depth (Pa·√m); negative where the crack is held closed.
    """
    t = _check_thickness(thickness)
    x, s = _check_profile(depth, stress, t)
    a = _check_flaw_depth(flaw_depth, t)
    flat = a.ravel()
    deepest = int(np.argmax(flat)) if flat.size else 0
    if flat.size and flat[deepest] > x[-1]:
        raise FieldError(
            "flaw_depth",
            float(flat[deepest]),
            f"expected flaws no deeper than the profile's last depth {x[-1]:g} m "
            "(give σ over the whole thickness [0, t])",
            "m",
            index=deepest if a.ndim else None,
        )
    if x[0] > 0.0:
        x = np.concatenate([[0.0], x])
        s = np.concatenate([[s[0]], s])
    slope = np.diff(s) / np.diff(x)
    k = np.empty(flat.size)
    rows = max(1, _BLOCK // x.size)
    for start in range(0, flat.size, rows):
        ab = flat[start : start + rows, None]
        nodes = np.minimum(x, ab)  # the profile's depths clipped at the tip
        at_tip = s[:-1] + slope * (ab - x[:-1])  # each piece's line extended to x = a
        c = _series(ab[:, 0] / t)[:, None, :]
        p_sum, r_sum = _antiderivative_sums(1.0 - nodes / ab, c)
        pieces = at_tip * (p_sum[:, :-1] - p_sum[:, 1:]) - slope * ab * (
            r_sum[:, :-1] - r_sum[:, 1:]
        )
        k[start : start + rows] = np.sqrt(2.0 * ab[:, 0] / np.pi) * pieces.sum(axis=1)
    return k.reshape(a.shape)[()]


def unit_stress_intensity(flaw_depth, thickness, loading: str = "uniform"):
    """K per unit applied stress of an edge crack (√m): K/σ for a uniform stress σ, K/σ_b for
    bending with outer-fibre stress σ_b on the cracked face, σ(x) = σ_b(1 − 2x/t).

    Closed form of ∫ h σ dx: with m_j = Σ_k c_k/(k + 1 + j) (module docstring),
    uniform: √(2a/π)·m_0;  bending: √(2a/π)·[(1 − 2a/t)·m_0 + (2a/t)·m_1].

    Args: flaw_depth a (m, 0 < a < t, any shape); thickness t (m); loading "uniform" or
    "bending".
    """
    t = _check_thickness(thickness)
    a = _check_flaw_depth(flaw_depth, t)
    _check_loading(loading)
    alpha = a / t
    c = _series(alpha)
    m0 = np.sum(c / (_EXPONENTS + 1.0), axis=-1)
    scale = np.sqrt(2.0 * a / np.pi)
    if loading == "uniform":
        return (scale * m0)[()]
    m1 = np.sum(c / (_EXPONENTS + 2.0), axis=-1)
    return (scale * ((1.0 - 2.0 * alpha) * m0 + 2.0 * alpha * m1))[()]


def _frozen(values) -> np.ndarray:
    a = np.array(values, dtype=float)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class RetainedStrength:
    """Strength of an exchanged plate against edge flaws of the depths computed (SI).

    Attributes:
        flaw_depth: a (m), strictly increasing, 0 < a < t.
        k_residual: K_res(a) of the residual stress (Pa·√m, negative: held closed).
        k_unit: K per unit applied stress of the loading (√m, > 0).
        retained_strength: σ_f(a) = (K_Ic − K_res)/K_unit (Pa; < 0: breaks unloaded).
        annealed_strength: K_Ic/K_unit (Pa), the same flaw in stress-free glass.
        stronger_intervals: ((a_start, a_end), …) in m where K_res < 0, i.e. where the part
            is stronger than annealed glass; ends between computed depths are linear
            interpolations of the zero of K_res, ends at the first or last depth computed
            mean the interval may go on beyond it.
        loading: "uniform" or "bending" (outer-fibre stress on the exchanged face).
        toughness: K_Ic (Pa·√m).
    """

    flaw_depth: np.ndarray
    k_residual: np.ndarray
    k_unit: np.ndarray
    retained_strength: np.ndarray
    annealed_strength: np.ndarray
    stronger_intervals: tuple
    loading: str = "uniform"
    toughness: float = math.nan

    def __post_init__(self):
        for name in (
            "flaw_depth",
            "k_residual",
            "k_unit",
            "retained_strength",
            "annealed_strength",
        ):
            value = vector(getattr(self, name), name)
            object.__setattr__(self, name, _frozen(value))
        n = self.flaw_depth.size
        for name in ("k_residual", "k_unit", "retained_strength", "annealed_strength"):
            if getattr(self, name).size != n:
                raise FieldError(
                    name, getattr(self, name).size, f"expected one value per flaw depth ({n})"
                )
        if n == 0:
            raise FieldError("flaw_depth", 0, "expected at least one flaw depth")
        positive(self.flaw_depth, "flaw_depth", "m")
        increasing(self.flaw_depth, "flaw_depth", "m", "flaw depths increasing")
        positive(self.k_unit, "k_unit", "√m")
        _check_loading(self.loading)
        intervals = tuple((float(lo), float(hi)) for lo, hi in self.stronger_intervals)
        for lo, hi in intervals:
            if not lo <= hi:
                raise FieldError(
                    "stronger_intervals", (lo, hi), "expected (start, end), start ≤ end"
                )
        object.__setattr__(self, "stronger_intervals", intervals)


def _stronger_intervals(a: np.ndarray, k: np.ndarray) -> tuple:
    """Runs of K < 0 along increasing a, their inner ends at the linear zero of K."""
    neg = k < 0.0
    out = []
    i, n = 0, a.size
    while i < n:
        if not neg[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and neg[j + 1]:
            j += 1
        start = a[i] if i == 0 else a[i - 1] + (a[i] - a[i - 1]) * k[i - 1] / (k[i - 1] - k[i])
        end = a[j] if j == n - 1 else a[j] + (a[j + 1] - a[j]) * k[j] / (k[j] - k[j + 1])
        out.append((float(start), float(end)))
        i = j + 1
    return tuple(out)


def retained_strength(
    depth, stress, thickness, flaw_depth, toughness, loading: str = "uniform"
) -> RetainedStrength:
    """Retained strength σ_f(a) = (K_Ic − K_res(a))/K_unit(a) of an exchanged plate with an
    edge flaw, against the annealed strength K_Ic/K_unit(a) (module docstring).

    Args:
        depth, stress: the residual profile, as for stress_intensity (m; Pa, compression
            negative), over the whole thickness for a plate exchanged on both faces.
        thickness: t (m).
        flaw_depth: a (m), strictly increasing, 0 < a < t, a ≤ depth[-1].
        toughness: K_Ic (Pa·√m, > 0), e.g. 0.75e6 for soda-lime glass.
        loading: "uniform" (in-plane tension) or "bending" (outer-fibre stress on the
            exchanged face, zero at mid-plane).
    """
    if isinstance(toughness, bool) or not (
        isinstance(toughness, (int, float, np.integer, np.floating))
        and math.isfinite(toughness)
        and toughness > 0
    ):
        raise FieldError("toughness", toughness, "expected a fracture toughness K_Ic > 0", "Pa·√m")
    a = vector(flaw_depth, "flaw_depth")
    increasing(a, "flaw_depth", "m", "flaw depths increasing")
    k_res = np.atleast_1d(stress_intensity(depth, stress, a, thickness))
    k_unit = np.atleast_1d(unit_stress_intensity(a, thickness, loading))
    return RetainedStrength(
        flaw_depth=a,
        k_residual=k_res,
        k_unit=k_unit,
        retained_strength=(toughness - k_res) / k_unit,
        annealed_strength=toughness / k_unit,
        stronger_intervals=_stronger_intervals(a, k_res),
        loading=loading,
        toughness=float(toughness),
    )


@dataclass(frozen=True)
class WeibullFlawDepths:
    """Depths of the flaws of a part, Weibull-distributed: F_a(a) = 1 − exp(−(a/a₀)^m).

    Attributes: scale a₀ (m, > 0); modulus m (> 0).
    """

    scale: float
    modulus: float

    def __post_init__(self):
        positive(self.scale, "scale", "m")
        positive(self.modulus, "modulus")

    def cdf(self, flaw_depth):
        """F_a(a) = P(depth ≤ a) (dimensionless), a in m (≥ 0)."""
        a = np.maximum(np.asarray(flaw_depth, dtype=float), 0.0)
        return (-np.expm1(-((a / self.scale) ** self.modulus)))[()]


def flaw_failure_probability(strength: RetainedStrength, applied_stress, flaws):
    """F(σ) = P(σ_f(a) ≤ σ): the probability that one flaw, of random depth, breaks at or
    below the applied stress σ (dimensionless).

    σ_f(a) is taken linear between the computed flaw depths a_1 < … < a_N of ``strength``.

    flaws = WeibullFlawDepths: F(σ) = Σ over the pieces [a_i, a_i+1] of F_a's mass on the
        part of the piece where σ_f ≤ σ (exact for the linear σ_f). Flaws shallower than
        a_1 count with σ_f(a_1) — under a compressive layer σ_f grows as a → 0, so this
        errs towards failure — and flaws deeper than a_N as broken at any stress: choose
        the computed depths to cover the distribution (1 − F_a(a_N) bounds that share).
    flaws = a sample of depths (m, array): F(σ) is the fraction of the sample with
        σ_f(a) ≤ σ; every depth must lie in [a_1, a_N].

    Args: strength (RetainedStrength); applied_stress σ (Pa, any shape, of the loading the
    strength was computed for); flaws as above. Returns F with the shape of applied_stress.
    """
    a = strength.flaw_depth
    sf = strength.retained_strength
    sigma = np.asarray(applied_stress, dtype=float)
    s = sigma.reshape(-1, 1)
    if isinstance(flaws, WeibullFlawDepths):
        cdf = flaws.cdf(a)
        broken = np.where(sf[0] <= s[:, 0], cdf[0], 0.0) + (1.0 - cdf[-1])
        if a.size > 1:
            s0, s1 = sf[:-1], sf[1:]
            a0, a1 = a[:-1], a[1:]
            with np.errstate(divide="ignore", invalid="ignore"):
                cross = a0 + (a1 - a0) * (s - s0) / (s1 - s0)
            cross = np.clip(np.where(np.isfinite(cross), cross, a0), a0, a1)
            below0, below1 = s0 <= s, s1 <= s
            lo = np.where(below0, a0, cross)
            hi = np.where(below1, a1, cross)
            mass = np.where(below0 | below1, flaws.cdf(hi) - flaws.cdf(lo), 0.0)
            broken = broken + mass.sum(axis=1)
        return np.clip(broken, 0.0, 1.0).reshape(sigma.shape)[()]
    sample = vector(flaws, "flaws")
    outside = np.nonzero((sample < a[0]) | (sample > a[-1]))[0]
    if outside.size:
        i = int(outside[0])
        raise FieldError(
            "flaws",
            float(sample[i]),
            f"expected sampled flaw depths within the computed [{a[0]:g}, {a[-1]:g}] m",
            "m",
            index=i,
        )
    sf_sample = np.interp(sample, a, sf)
    return np.mean(sf_sample[None, :] <= s, axis=1).reshape(sigma.shape)[()]


def failure_probability(strength: RetainedStrength, applied_stress, flaws, flaws_per_part: int):
    """Failure probability of a part with n independent flaws (dimensionless):

        P_f(σ) = 1 − (1 − F(σ))ⁿ,   F(σ) = P(σ_f(a) ≤ σ) of one flaw (flaw_failure_probability).

    Every flaw sees the same applied stress σ (the loading of ``strength``): no stressed
    area or volume integral, no size effect beyond n.

    Args: strength (RetainedStrength); applied_stress σ (Pa, any shape); flaws
    (WeibullFlawDepths or a sample of depths in m); flaws_per_part n (integer ≥ 1).
    """
    if isinstance(flaws_per_part, bool) or not isinstance(flaws_per_part, (int, np.integer)):
        raise FieldError("flaws_per_part", flaws_per_part, "expected a whole number of flaws ≥ 1")
    if flaws_per_part < 1:
        raise FieldError(
            "flaws_per_part", int(flaws_per_part), "expected a whole number of flaws ≥ 1"
        )
    f = np.asarray(flaw_failure_probability(strength, applied_stress, flaws), dtype=float)
    with np.errstate(divide="ignore"):
        return (-np.expm1(flaws_per_part * np.log1p(-f)))[()]
