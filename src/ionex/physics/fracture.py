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

Weight function (Fett & Munz's representation of the edge-cracked plate, ends free to rotate):

    h(x, a) = √(2/(πa)) · [ρ^(−1/2) + Σ_ν C_ν(α) ρ^(ν+1/2)],   ρ = 1 − x/a,  α = a/t,
    C_ν(α) = Σ_μ A_νμ α^μ / (1 − α)^(3/2),   ν = 0, 1, 2;  μ = 0 … 4,

A_νμ in FETT_MUNZ_COEFFICIENTS, from T. Fett, D. Munz, "Stress Intensity Factors and Weight
Functions", Computational Mechanics Publications, Southampton, 1997 (edge-cracked plate,
rotation free; the same table is reprinted in T. Fett, "Stress Intensity Factors, T-Stresses,
Weight Functions", IKM 50, Universitätsverlag Karlsruhe, 2008). CAUTION: these coefficients
could not be confirmed against a copy of either book (no searchable copy of the table was
found); they were checked only through the stress intensity factors they give. Against Tada,
Paris & Irwin's handbook formulas (The Stress Analysis of Cracks Handbook, 3rd ed., ASME
Press, 2000) and an independent plane-strain finite-element computation (four-node elements,
J domain integral, converged to about 0.2 %; not part of this repository) they give, for
uniform tension and pure bending:

    a/t → 0            Y = K/(σ√(πa)) = 1.1225 against the exact 1.1215   (+0.09 %)
    a/t ≤ 10⁻³         within 0.15 % of 1.1215
    0 < a/t ≤ 0.2      K too high by up to 1.6 % (largest near a/t ≈ 0.075 … 0.1; the
                       handbook polynomials sit within 0.65 % of the finite elements there)
    0.3 ≤ a/t ≤ 0.6    within 0.6 % of the finite elements, 0.7 % of the handbook
    0.6 < a/t ≤ 0.9    within 0.7 % of the handbook's tan formulas (stated 0.5 %)

The accuracy this module states, and its validation tests use, is therefore: K per unit load
within 2 % for 0 < a/t ≤ 0.6, within 0.6 % for 0.3 ≤ a/t ≤ 0.6, and Y within 0.15 % of
1.1215 for a/t ≤ 10⁻³. A residual profile that changes sign along the crack can have K near
zero, where no relative accuracy holds: the error is then bounded by that fraction of
∫|h σ| dx (h > 0 on every crack).

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
    "FETT_MUNZ_COEFFICIENTS",
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

# A_νμ of the edge-cracked plate, ends free to rotate (Fett & Munz 1997): rows ν = 0, 1, 2,
# columns μ = 0 … 4 (see the module docstring for how far they could be checked).
FETT_MUNZ_COEFFICIENTS = np.array(
    [
        [0.4980, 2.4463, 0.0700, 1.3187, -3.067],
        [0.5416, -5.0806, 24.3447, -32.7208, 18.1214],
        [-0.19277, 2.55863, -12.6415, 19.7630, -10.986],
    ]
)
FETT_MUNZ_COEFFICIENTS.setflags(write=False)

# exponents k of ρ^k in h·√(πa/2): the crack-tip singularity, then ν + 1/2
_EXPONENTS = np.array([-0.5, 0.5, 1.5, 2.5])

LOADINGS = ("uniform", "bending")

# flaws × profile points per block of the closed-form sums: bounds the temporaries (~20 MB)
_BLOCK = 1 << 18


def _series(alpha) -> np.ndarray:
    """The coefficients c_k of h·√(πa/2) = Σ c_k ρ^k, shape (..., 4): c = 1, C_0, C_1, C_2."""
    alpha = np.asarray(alpha, dtype=float)
    powers = alpha[..., None] ** np.arange(5)
    tip = (powers @ FETT_MUNZ_COEFFICIENTS.T) / (1.0 - alpha[..., None]) ** 1.5
    return np.concatenate([np.ones(alpha.shape + (1,)), tip], axis=-1)


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

    h(x, a) = √(2/(πa)) [ρ^(−1/2) + Σ_ν C_ν(a/t) ρ^(ν+1/2)], ρ = 1 − x/a (module docstring):
    the K (Pa·√m) of a pair of unit line forces (N/m) opening the crack faces at depth x.

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
    power = r  # ρ^(1/2), then ρ^(3/2) … ρ^(9/2)
    p_sum = np.zeros_like(rho)
    r_sum = np.zeros_like(rho)
    for j, k in enumerate(_EXPONENTS):
        p_sum += c[..., j] * power / (k + 1.0)
        power = power * rho
        r_sum += c[..., j] * power / (k + 2.0)
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
