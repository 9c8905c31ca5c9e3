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
Glinka & Shen's; the paper's equation numbers and the condition they used for the edge crack
could not be checked against a copy, and their tabulated M_i are not used. Here the M_i are
solved at each α = a/t from three linear conditions (a 3 × 3 system per flaw depth, closed
form in ρ, in _series):

  1. uniform crack-face stress: K = σ√(πa)·F_u(α), F_u Tada's single-edge-notch tension
     polynomial F = 1.12 − 0.231α + 10.55α² − 21.72α³ + 30.39α⁴ (0.5 % for α ≤ 0.6) with its
     leading 1.12 replaced by the exact half-plane 1.1215 (a change of at most 0.13 %);
  2. bending stress σ(1 − 2x/t): K = σ√(πa)·F_b(α), F_b Tada's pure-bending polynomial
     F = 1.122 − 1.40α + 7.33α² − 13.08α³ + 14.0α⁴ (0.2 % for α ≤ 0.6), leading term likewise
     1.1215, weighed against the strip Green's function below (see why there);
  3. the crack-mouth value h(0, a), from the strip Green's function below.

(H. Tada, P. C. Paris, G. R. Irwin, The Stress Analysis of Cracks Handbook, 3rd ed., ASME Press,
2000, single-edge-cracked plate, ends free to rotate.) Beyond α = 0.6 Tada's tan formulas
(0.5 % for any α) replace the polynomials, scaled by 0.996 (tension) and 1.006 (bending) to
join them at 0.6.

The strip Green's function is Tada's solution for a pair of point forces P (N/m) opening the
faces of an edge crack in a strip at depth x = s·a,

    K = 2P/√(πa) · G(s, α) / [(1 − α)^(3/2) √(1 − s²)],   G = g_1 + g_2 s + g_3 s² + g_4 s³,

with the g_i(α) of _strip_green_function (coefficients checked against two independent public
implementations). It is used only through ratios to its own uniform-stress K — its linear
moment and its mouth value, each times F_u — because its absolute K is off Tada's tension
polynomial by up to 2.3 % for 0 < α ≤ 0.6 (0.22 % below the exact 1.1215 as α → 0).

Why condition 2 is weighed: the two handbook factors fix the linear part of the load only
through F_lin = (F_u − F_b)/(2α), so their errors are divided by 2α — as α → 0 the
polynomials give F_lin ≈ 0.585 − 0.001/α where the half-plane needs 0.680. F_b is therefore
the mean of the bending polynomial and F_u − 2α·F_u·(F_lin/F_u of the Green's function),
weighted by the inverse squares of their errors in F_lin: (0.005 F_u + 0.002 F_b)/(2α F_lin)
for the polynomials (0.005 for both beyond α = 0.6), an assumed 2 % for the Green's
function's ratio (its largest departure from the tension polynomial). Shallow flaws thus
follow the half-plane, deep ones the polynomials.

Accuracy, measured (tests/validation/test_fracture_references.py), K per unit load:

    uniform, against Tada's tension polynomial:  within 0.13 % for 0 < α ≤ 0.6 (the 1.1215)
        against the exact half-plane 1.1215:       within 0.25·α (0.02 % at α = 10⁻³)
    bending, against Tada's bending polynomial:  0.33 % for α ≤ 0.1, 0.46 % for 0.1–0.3,
                                                 0.29 % for 0.3–0.6
    α → 0 (10⁻⁶ … 10⁻³), against the Green's function's half-plane limit: stresses (x/a)ⁿ,
        n = 1, 2, 3, within 0.23 %; point forces at x/a = 1/4 … 9/10 within 0.9 %
    quadratic and cubic crack-face stress, K relative to the uniform one, against the same
        ratio of the Green's function: 0.3 % for α ≤ 0.1, 1.8 % for 0.1 < α ≤ 0.6
    0.6 < α ≤ 0.9: uniform within 0.4 %, bending within 0.8 % of the tan formulas

The handbook's own factors disagree among themselves by more than their stated accuracies:
for 0.05 ≤ α ≤ 0.1 the tan formula for tension lies 1.2 % above the polynomial, the Green's
function 2.3 % above it, and the two polynomials are inconsistent with the half-plane's linear
load as α → 0 (above). Where these differ, K here follows the polynomials for uniform and
bending stress; other loadings carry the shape uncertainty of the last two lines above. h > 0
on every crack with α ≤ 0.9; beyond α ≈ 0.94 the three-term form turns negative near the mouth
(no accuracy is claimed beyond α = 0.6, the deepest flaw ionex.process.strength computes). A
residual profile that changes sign along the crack can have K near zero, where no relative
accuracy holds: the error is then bounded by that fraction of ∫|h σ| dx.

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

# Tada, Paris & Irwin's polynomials F(α) = Σ f_j α^j (0.5 % and 0.2 % for α ≤ 0.6), with the
# leading 1.12 / 1.122 replaced by the exact half-plane 1.1215 (module docstring)
_TENSION_POLYNOMIAL = np.array([_HALF_PLANE_FACTOR, -0.231, 10.55, -21.72, 30.39])
_BENDING_POLYNOMIAL = np.array([_HALF_PLANE_FACTOR, -1.40, 7.33, -13.08, 14.0])
# deepest flaw the polynomials cover; Tada's tan formulas (0.5 % for any α) take over beyond
_POLYNOMIAL_LIMIT = 0.6
# relative accuracies: Tada's tension and bending polynomials (α ≤ 0.6), his tan formulas
# (beyond), and the assumed one of the strip Green's function's ratios (module docstring)
_TENSION_ACCURACY = 0.005
_BENDING_ACCURACY = 0.002
_TAN_ACCURACY = 0.005
_GREEN_ACCURACY = 0.02

# ∫₀¹ sⁿ/√(1 − s²) ds for n = 0 … 4: moments of the strip Green's function's cubic G(s)
_ARCSINE_MOMENTS = np.array([math.pi / 2, 1.0, math.pi / 4, 2.0 / 3.0, 3.0 * math.pi / 16])

LOADINGS = ("uniform", "bending")

# flaws × profile points per block of the closed-form sums: bounds the temporaries (~20 MB)
_BLOCK = 1 << 18


def _polynomial(coefficients: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    return np.polynomial.polynomial.polyval(alpha, coefficients)


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


def _handbook_factor(alpha: np.ndarray, polynomial: np.ndarray, tan_formula) -> np.ndarray:
    """The polynomial up to α = 0.6, beyond it the tan formula scaled to join it there."""
    deep = alpha > _POLYNOMIAL_LIMIT
    if not np.any(deep):
        return _polynomial(polynomial, alpha)
    limit = np.float64(_POLYNOMIAL_LIMIT)
    join = _polynomial(polynomial, limit) / tan_formula(limit)
    return np.where(
        deep, join * tan_formula(np.where(deep, alpha, limit)), _polynomial(polynomial, alpha)
    )


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


def _reference_factors(alpha: np.ndarray):
    """The three calibration values of the weight function at α = a/t (module docstring):
    F_u and F_b (K per σ√(πa) of uniform and bending crack-face stress) and the value
    Σ c_k = h(0, a)·√(πa/2) at the crack mouth."""
    uniform = _handbook_factor(alpha, _TENSION_POLYNOMIAL, _tan_tension)
    bending_handbook = _handbook_factor(alpha, _BENDING_POLYNOMIAL, _tan_bending)
    g = _strip_green_function(alpha)
    scale = 2.0 / np.pi / (1.0 - alpha) ** 1.5
    green_uniform = scale * (g @ _ARCSINE_MOMENTS[0:4])
    green_linear = scale * (g @ _ARCSINE_MOMENTS[1:5])
    # the Green's function enters only through ratios to its own uniform-stress K
    linear_green = uniform * green_linear / green_uniform
    bending_green = uniform - 2.0 * alpha * linear_green
    # the linear part of the load, F_lin = (F_u − F_b)/(2α), from the handbook's two factors
    # carries their errors divided by 2α; weigh it against the Green's function's by the
    # inverse squares of the two errors
    shallow = alpha <= _POLYNOMIAL_LIMIT
    handbook_error = (
        np.where(shallow, _TENSION_ACCURACY, _TAN_ACCURACY) * uniform
        + np.where(shallow, _BENDING_ACCURACY, _TAN_ACCURACY) * bending_handbook
    ) / (2.0 * alpha * linear_green)
    handbook_share = _GREEN_ACCURACY**2 / (_GREEN_ACCURACY**2 + handbook_error**2)
    bending = handbook_share * bending_handbook + (1.0 - handbook_share) * bending_green
    mouth = math.sqrt(2.0) * g[..., 0] / (1.0 - alpha) ** 1.5 * uniform / green_uniform
    return uniform, bending, mouth


def _series(alpha) -> np.ndarray:
    """The coefficients c_k of h·√(πa/2) = Σ c_k ρ^k, shape (..., 4): c = 1, M_1, M_2, M_3."""
    alpha = np.asarray(alpha, dtype=float)
    uniform, bending, mouth = _reference_factors(alpha)
    k = _EXPONENTS[1:]
    # F = (√2/π)·∫₀¹ σ Σ c_k ρ^k dρ with σ = 1 (uniform), 1 − 2α + 2αρ (bending); Σ c_k = mouth
    rows = np.empty(alpha.shape + (3, 3))
    rows[..., 0, :] = 1.0 / (k + 1.0)
    rows[..., 1, :] = (1.0 - 2.0 * alpha[..., None]) / (k + 1.0) + 2.0 * alpha[..., None] / (
        k + 2.0
    )
    rows[..., 2, :] = 1.0
    rhs = np.stack(
        [
            uniform * np.pi / math.sqrt(2.0) - 2.0,
            bending * np.pi / math.sqrt(2.0) - (2.0 * (1.0 - 2.0 * alpha) + 2.0 * alpha / 1.5),
            mouth - 1.0,
        ],
        axis=-1,
    )
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
