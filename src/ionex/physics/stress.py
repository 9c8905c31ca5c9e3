"""Residual stress of an ion-exchanged plate from its composition profile (docs/physics.md §1.4,
§1.6, §3.3).

Exchanging a host ion for a larger one dilates the network by the linear strain
ε(x) = B·χ(x), B = Ω_AB·C_T/3 per unit site fraction. A free plate keeps this strain from
moving it (force balance) and — when only one face is exchanged — from bending it (moment
balance), so the biaxial in-plane stress is

    σ(x) = −E/(1 − ν) · [ε(x) − a − b·(x − x_c)]

with a, b the least-squares (force- and moment-free) line through ε over the thickness;
a semi-infinite slab has a = b = 0. Compression is negative.

Several exchanging ions (a lithium aluminosilicate in a mixed K⁺/Na⁺ bath) add their
strains, each measured from the native composition: ε(x) = Σ_i B_i·(χ_i(x) − χ_i⁰)
(MultiIonGlass, balanced_multi_ion_stress). The stress stays linear in the strain, so the
hereditary relaxation of the total is the sum of the ions' relaxed contributions.

Relaxation: the paper's scheme scales the profile by the Kohlrausch factor
exp(−(t/τ)^β) (β = 3/5 for stress relaxation, 3/7 for structural, Potuzak, Welch & Mauro, J. Chem. Phys. 135 (2011) 214502); the hereditary
scheme relaxes every increment of exchange strain from the moment it was created, in the
reduced time ξ = ∫ τ_ref/τ(T(t)) dt with an Arrhenius τ(T).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numba import njit

from ..constants import GAS_CONSTANT
from ..validators import FieldError, FrozenMapping
from .arrhenius import check_activation

__all__ = [
    "ElasticGlass",
    "dilation_coefficient",
    "balanced_stress",
    "kohlrausch_factor",
    "RelaxationLaw",
    "hereditary_stress",
    "StressMetrics",
    "stress_metrics",
    "knee",
    "KNEE_FACTOR",
    "local_slope",
    "MultiIonGlass",
    "balanced_multi_ion_stress",
    "tensile_strain_energy",
    "CoreTension",
    "core_tension",
    "MultiIonStressMetrics",
    "multi_ion_stress_metrics",
]


def dilation_coefficient(molar_volume_difference: float, total_mobile: float) -> float:
    """Linear network-dilation strain per unit site fraction, B = Ω_AB·C_T/3 (docs/physics.md §3.1).

    Args: molar_volume_difference Ω_A − Ω_B (m³/mol); total_mobile C_T (mol/m³).
    Returns: B (dimensionless).
    """
    return molar_volume_difference * total_mobile / 3.0


def check_elastic_constants(youngs_modulus: float, poisson_ratio: float) -> None:
    """The rule of an isotropic glass's elastic constants: E > 0 (Pa, finite) and
    −1 < ν < 0.5; FieldError names "youngs_modulus" or "poisson_ratio"."""
    if not (math.isfinite(youngs_modulus) and youngs_modulus > 0):
        raise FieldError("youngs_modulus", youngs_modulus, "expected a Young's modulus E > 0", "Pa")
    if not -1.0 < poisson_ratio < 0.5:
        raise FieldError("poisson_ratio", poisson_ratio, "expected a Poisson ratio ν in (-1, 0.5)")


@dataclass(frozen=True)
class ElasticGlass:
    """Elastic data of the glass.

    Attributes:
        youngs_modulus: E (Pa, > 0).  poisson_ratio: ν (−1 < ν < 0.5).
        dilation: B, linear strain per unit site fraction of the incoming ion (dimensionless).
    """

    youngs_modulus: float
    poisson_ratio: float
    dilation: float

    def __post_init__(self):
        check_elastic_constants(self.youngs_modulus, self.poisson_ratio)
        if not math.isfinite(self.dilation):
            raise FieldError("dilation", self.dilation, "expected a finite dilation B")

    @property
    def biaxial_modulus(self) -> float:
        """E/(1 − ν) in Pa."""
        return self.youngs_modulus / (1.0 - self.poisson_ratio)


def balanced_stress(depth, width, frac, glass: ElasticGlass, *, plate: bool, bending: bool = False):
    """Biaxial stress σ(x) (Pa) of a free plate or semi-infinite slab.

    σ = −E/(1−ν)·[Bχ − a − b(x − x_c)], with a (and b when ``bending``) chosen so that
    Σ wσ = 0 (force balance) and Σ wσ(x − x_c) = 0 (moment balance) exactly on the given
    cells (midpoint quadrature), x_c the width-weighted centre.

    Args:
        depth: cell-centre depths through the whole plate (m).  width: cell widths (m).
        frac: site fraction χ of the incoming ion per cell, shape (..., n_cells).
        glass: elastic data.  plate: False for a semi-infinite slab (a = b = 0).
        bending: True for a plate exchanged on one face only (free to bend).
    """
    strain = glass.dilation * np.asarray(frac, dtype=float)
    return -glass.biaxial_modulus * _balanced_strain(depth, width, strain, plate, bending)


def _balanced_strain(depth, width, strain, plate: bool, bending: bool):
    """ε − a − b(x − x_c): the free strain less its force- (and moment-) balancing line on
    the given cells; the strain unchanged for a semi-infinite slab."""
    x = np.asarray(depth, dtype=float)
    w = np.asarray(width, dtype=float)
    if plate:
        total = w.sum()
        mean = (strain @ w) / total
        strain = strain - mean[..., None] if strain.ndim > 1 else strain - mean
        if bending:
            xc = (x @ w) / total
            lever = x - xc
            slope = (strain @ (w * lever)) / (w @ (lever * lever))
            strain = strain - (slope[..., None] if strain.ndim > 1 else slope) * lever
    return strain


def kohlrausch_factor(time, tau: float, beta: float):
    """Stretched-exponential relaxation factor exp(−(t/τ)^β) (docs/physics.md §3.2, eq. 10).

    Args: time t ≥ 0 (s), tau τ > 0 (s; math.inf for no relaxation), beta β in (0, 1].
    """
    t = np.asarray(time, dtype=float)
    if math.isinf(tau):
        return np.ones_like(t)[()]
    return np.exp(-np.power(np.maximum(t, 0.0) / tau, beta))[()]


@dataclass(frozen=True)
class RelaxationLaw:
    """Kohlrausch stress relaxation with an Arrhenius relaxation time.

    τ(T) = τ_ref·exp(Q/R·(1/T − 1/T_ref)); Q = 0 gives a constant τ.

    Attributes:
        tau: τ_ref (s, > 0; math.inf for no relaxation).  beta: β in (0, 1].
        activation_energy: Q (J/mol, ≥ 0).  reference_temperature: T_ref (K), needed when Q > 0.
    """

    tau: float
    beta: float = 0.6
    activation_energy: float = 0.0
    reference_temperature: float | None = None

    def __post_init__(self):
        if not self.tau > 0:
            raise FieldError("tau", self.tau, "expected a relaxation time τ > 0", "s")
        if not 0.0 < self.beta <= 1.0:
            raise FieldError("beta", self.beta, "expected a stretching exponent β in (0, 1]")
        check_activation(self.activation_energy, self.reference_temperature, "relaxation time")

    def rate(self, temperature):
        """τ_ref/τ(T): how much faster than at T_ref the glass relaxes (dimensionless)."""
        T = np.asarray(temperature, dtype=float)
        if self.activation_energy == 0.0:
            return np.ones_like(T)[()]
        return np.exp(
            -self.activation_energy / GAS_CONSTANT * (1.0 / T - 1.0 / self.reference_temperature)
        )[()]

    def reduced_time(self, times, temperatures):
        """ξ(t) = ∫ τ_ref/τ(T(t')) dt' by the trapezoidal rule on the given samples (s)."""
        t = np.asarray(times, dtype=float)
        r = self.rate(temperatures)
        return np.concatenate([[0.0], np.cumsum(0.5 * (r[1:] + r[:-1]) * np.diff(t))])


def hereditary_stress(reduced_times, stresses, law: RelaxationLaw, at=None):
    """Stress when every increment relaxes from the moment it was created (Boltzmann
    superposition): σ(t_n) = Σ_k [σ_e(t_k) − σ_e(t_{k−1})]·exp(−((ξ_n − ξ_k')/τ_ref)^β),
    with σ_e the unrelaxed (elastic, balanced) stress and ξ_k' the midpoint of the k-th
    interval in reduced time. τ_ref → ∞ returns σ_e(t_n) exactly.

    Args:
        reduced_times: ξ at the history times (s), increasing, shape (n_t,).
        stresses: unrelaxed balanced stress at those times (Pa), shape (n_t, n_x); the
            state before the first time is stress-free.
        law: the relaxation law (its τ_ref and β are used; ξ already holds the Arrhenius part).
        at: indices n of the history times to evaluate (default: all).
    Returns: relaxed stress at those times, shape (len(at), n_x) (Pa).
    """
    xi = np.asarray(reduced_times, dtype=float)
    s = np.asarray(stresses, dtype=float)
    increments = np.diff(np.concatenate([np.zeros((1, s.shape[1])), s]), axis=0)
    born = np.concatenate([[xi[0] / 2], 0.5 * (xi[1:] + xi[:-1])])
    at = np.arange(xi.size) if at is None else np.asarray(at, dtype=int)
    out = np.empty((at.size, s.shape[1]))
    for row, n in enumerate(at):
        factor = kohlrausch_factor(xi[n] - born[: n + 1], law.tau, law.beta)
        out[row] = factor @ increments[: n + 1]
    return out


KNEE_FACTOR = 2.0  # the decay length of the compression must at least double at a knee
KNEE_FLOOR = 0.01  # the knee is sought where the compression is ≥ 1 % of its largest value


@dataclass(frozen=True)
class StressMetrics:
    """What a strengthening engineer reads off a stress profile (SI: Pa, m).

    Sign convention: the stress profile σ(x) is signed, compression negative; the named
    figures are magnitudes — CS and CS_knee are positive in compression, CT is positive in
    tension.

    Attributes:
        compressive_stress: CS = −σ at the exchanged surface (Pa, positive in compression).
        depth_of_compression: DOC, first depth where σ changes from compression to tension (m).
        central_tension: CT = σ at the plate's mid-plane for a symmetric plate, the largest
            tensile σ otherwise (Pa, positive in tension; 0 for a semi-infinite slab).
        depth_of_layer: DOL, the depth where the incoming-ion fraction falls to 1 % of its
            surface value (m) — the exchanged layer an optical stress meter sees.
        knee_depth, knee_compressive_stress: where the compressive layer changes its length
            scale — a steep spike merging into a deep tail — and CS_knee = −σ there (m; Pa,
            positive in compression). NaN when the profile has no knee (see stress_metrics
            for the definition): a profile made by one diffusion step has none.
    """

    compressive_stress: float
    depth_of_compression: float
    central_tension: float
    depth_of_layer: float
    knee_depth: float
    knee_compressive_stress: float


def stress_metrics(
    depth, stress, frac, *, surface_stress=None, symmetric_plate=False
) -> StressMetrics:
    """CS, DOC, CT, DOL and the knee of one profile (see StressMetrics).

    The knee. Let c(x) = −σ(x) be the compression, from the depth of its largest value down
    to where it falls below KNEE_FLOOR (1 %) of that value (which is before DOC), and
    ℓ(x) = c/|dc/dx| its local decay length (ℓ = ∞ where c does not decrease). One
    diffusion step gives a log-concave profile — erfc, Gaussian, exponential, and the
    flat-topped K+/Na+ profiles — along which ℓ never grows with depth: the slope |dσ/dx|
    falls at most as fast as |σ| itself, and subtracting the plate's mean (force balance)
    keeps it so. A two-step profile, a steep spike on a deep tail, has two length scales:
    where the spike dies out the slope falls much faster than the stress, and ℓ climbs from
    the spike's length to the tail's. A knee exists when ℓ grows by at least KNEE_FACTOR
    going deeper, ℓ(x₂) ≥ 2·ℓ(x₁) for some x₁ < x₂ — equivalently, across [x₁, x₂] the slope
    drops by at least twice the factor by which the compression drops. Its depth is taken
    on the largest such growth ℓ_max/ℓ_min: the depth between them where ℓ passes
    √(ℓ_min·ℓ_max) (halfway in ln ℓ, the middle of the change of length scale;
    interpolated linearly in ln ℓ), or where the slope vanishes if the compression stops
    decreasing. CS_knee = −σ at that depth.

    Args:
        depth: cell-centre depths from the exchanged surface (m), increasing.
        stress: σ per cell (Pa, compression < 0).  frac: incoming-ion fraction per cell.
        surface_stress: σ at depth 0 if known (Pa), else the first cell's.
        symmetric_plate: True for a plate exchanged on both faces (CT at mid-thickness).
    """
    x = np.asarray(depth, dtype=float)
    s = np.asarray(stress, dtype=float)
    c = np.asarray(frac, dtype=float)
    cs, doc, ct = _cs_doc_ct(x, s, surface_stress, symmetric_plate)
    dol = _first_crossing(x, c, 0.01 * c[0], from_below=False) if c[0] > 0 else math.nan
    knee_x, knee_cs = knee(x, s)
    return StressMetrics(cs, doc, ct, dol, knee_x, knee_cs)


def _cs_doc_ct(x, s, surface_stress, symmetric_plate: bool):
    """CS (Pa, > 0 in compression), DOC (m) and CT (Pa, > 0 in tension) of σ(x)."""
    cs = -(s[0] if surface_stress is None else surface_stress)
    doc = _first_crossing(x, s, 0.0, from_below=True)
    if symmetric_plate:
        ct = float(np.interp(0.5 * (x[0] + x[-1]), x, s))
    else:
        ct = float(max(np.max(s), 0.0))
    return float(cs), doc, ct


def _first_crossing(x, y, level, *, from_below: bool) -> float:
    """First x where y crosses ``level`` (upward if from_below, else downward); NaN if none."""
    above = y >= level if from_below else y <= level
    hit = np.nonzero(above)[0]
    if hit.size == 0 or hit[0] == 0:
        return math.nan
    i = int(hit[0])
    return float(x[i - 1] + (level - y[i - 1]) * (x[i] - x[i - 1]) / (y[i] - y[i - 1]))


def knee(
    depth,
    stress,
    factor: float = KNEE_FACTOR,
    floor: float = KNEE_FLOOR,
    window: float | None = None,
):
    """Depth (m) and compressive stress CS_knee = −σ (Pa, positive) of the knee of a stress
    profile, or (NaN, NaN) when it has none; the definition is in stress_metrics.

    Args:
        depth: depths from the exchanged surface (m), increasing.
        stress: σ (Pa, compression < 0).
        factor: the growth of the decay length ℓ = |σ|/|dσ/dx| that makes a knee (> 1).
        floor: the part of the layer searched: compression ≥ floor × its largest value.
        window: None for the slope dσ/dx by central differences (an exact profile); else a
            half-width r (m): the slope is that of the least-squares line through the
            samples within ±r (local_slope), which averages out the noise of a measured
            profile at a bias of σ‴·r²/10 in the slope; the search then starts at the
            steepest descent of the compression rather than at its largest value.
    """
    x = np.asarray(depth, dtype=float)
    c = -np.asarray(stress, dtype=float)
    if window is not None and not (math.isfinite(window) and window >= 0):
        raise FieldError("window", window, "expected a slope window half-width >= 0", "m")
    # the window reaches past the searched part: slope on the whole profile, then cut
    smoothed = None if window is None else -local_slope(x, c, window)
    tensile = np.nonzero(c <= 0)[0]
    layer = int(tensile[0]) if tensile.size else c.size  # the compressive layer at the front
    if layer == 0:
        return math.nan, math.nan
    top = int(np.argmax(c[:layer]))
    below = np.nonzero(c[top:layer] < floor * c[top])[0]
    end = top + (int(below[0]) if below.size else layer - top)
    if smoothed is not None and end > top:
        # A measured profile: start at the steepest descent. Above it the slope grows with
        # depth, so ℓ only falls there (d ln ℓ/dx = −|c′|/c − |c′|′/|c′| < 0) and holds no
        # knee, while on a flat top |c′| ≈ 0 and ℓ would be noise alone.
        top += int(np.argmax(smoothed[top:end]))
    x, c = x[top:end], c[top:end]
    if x.size < 5:
        return math.nan, math.nan
    # −dc/dx: > 0 where the compression decreases with depth
    slope = -np.gradient(c, x) if smoothed is None else smoothed[top:end]
    ell = np.full(x.size, math.inf)
    falling = slope > 0
    ell[falling] = c[falling] / slope[falling]
    shortest = np.minimum.accumulate(ell)
    with np.errstate(invalid="ignore"):
        growth = ell / shortest  # NaN while ℓ has been ∞ from the start
    growth[~np.isfinite(shortest)] = 1.0
    j = int(np.argmax(growth))
    if not growth[j] >= factor:
        return math.nan, math.nan
    i = int(np.argmin(ell[: j + 1]))
    if math.isinf(ell[j]):  # the compression stops decreasing: the knee is where the slope vanishes
        k = i + int(np.argmax(~falling[i:]))
        xk = x[k - 1] + slope[k - 1] / (slope[k - 1] - slope[k]) * (x[k] - x[k - 1])
    else:
        level = 0.5 * (math.log(ell[i]) + math.log(ell[j]))
        k = i + int(np.argmax(np.log(ell[i : j + 1]) >= level))
        a, b = math.log(ell[k - 1]), math.log(ell[k])
        xk = x[k - 1] + (level - a) / (b - a) * (x[k] - x[k - 1])
    return float(xk), float(np.interp(xk, x, c))


@njit(cache=True)
def _local_slope(x, y, halfwidth):
    n = x.size
    out = np.empty(n)
    lo = 0
    hi = 0
    for i in range(n):
        while x[lo] < x[i] - halfwidth:
            lo += 1
        hi = max(hi, i + 1)
        while hi < n and x[hi] <= x[i] + halfwidth:
            hi += 1
        a = min(lo, max(i - 1, 0))  # never fewer points than a central difference takes
        b = max(hi, min(i + 2, n))
        # offsets from x[i] keep the sums free of cancellation deep in a thick plate
        mx = 0.0
        my = 0.0
        for j in range(a, b):
            mx += x[j] - x[i]
            my += y[j]
        mx /= b - a
        my /= b - a
        num = 0.0
        den = 0.0
        for j in range(a, b):
            d = x[j] - x[i] - mx
            num += d * (y[j] - my)
            den += d * d
        out[i] = num / den
    return out


def local_slope(depth, values, halfwidth: float):
    """dy/dx as the slope of the least-squares line through the samples within ±halfwidth
    of each depth, and at least its two neighbours (one at an end).

    With the neighbours only, on a uniform grid, it is the central difference. A wider
    window averages the noise of a measured profile: on uniform samples of a smooth y it
    estimates y′ + y‴·r²/10 + O(r⁴) (r = halfwidth, continuous limit), and the slope of
    white noise of deviation s falls as s·√(3/(N r²)) with N samples in the window.

    Args: depth x (m), increasing; values y (any unit); halfwidth r ≥ 0 (m).
    Returns: dy/dx per sample (unit of y per m).
    """
    x = np.ascontiguousarray(depth, dtype=float)
    y = np.ascontiguousarray(values, dtype=float)
    if x.ndim != 1 or x.size < 2 or x.shape != y.shape:
        raise ValueError(
            f"local_slope needs depth and values of one length >= 2, got {x.shape} and {y.shape}"
        )
    if not (math.isfinite(halfwidth) and halfwidth >= 0):
        raise FieldError("halfwidth", halfwidth, "expected a window half-width >= 0", "m")
    return _local_slope(x, y, float(halfwidth))


# ----------------------------------------------------------------------- several ions
#
# A lithium aluminosilicate cover glass exchanged in a mixed KNO3/NaNO3 bath takes Na⁺ deep
# in place of Li⁺ and K⁺ near the surface in place of Na⁺ and Li⁺. Each ion i dilates the
# network by its own B_i per unit site fraction, measured from the native composition χ_i⁰:
#
#     ε(x) = Σ_i B_i·(χ_i(x) − χ_i⁰),   σ(x) = −E/(1 − ν)·[ε(x) − a − b·(x − x_c)]
#
# Only differences of the B_i matter where Σ_i χ_i = 1 on the sites: the host ion (Li⁺)
# may carry B = 0 and the others their dilation when they replace it.


def _ion_map(values, field: str, what: str) -> Mapping[str, float]:
    """The read-only {ion: finite float} of ``values``; FieldError names ``field``."""
    if not isinstance(values, Mapping) or not values:
        raise FieldError(field, values, f"expected a non-empty mapping of ion name to {what}")
    out = {}
    for ion, value in values.items():
        if not (isinstance(ion, str) and ion.strip()):
            raise FieldError(field, ion, "expected ion names that are non-empty strings")
        if not (
            isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
        ):
            raise FieldError(field, value, f"expected a finite {what} for ion {ion!r}")
        out[ion] = float(value)
    return FrozenMapping(out)


NATIVE_SUM_TOLERANCE = 1e-9  # fractions typed by hand sum to 1 only to their printed digits


@dataclass(frozen=True)
class MultiIonGlass:
    """Elastic data of a glass exchanging several ions.

    Attributes:
        youngs_modulus: E (Pa, > 0).  poisson_ratio: ν (−1 < ν < 0.5).
        dilations: B_i per ion, the linear strain per unit site fraction of ion i relative to
            the native glass (dimensionless, finite); every ion named must be in ``native``.
            An ion without an entry does not dilate (B = 0: the host ion, say).
        native: χ_i⁰, the site fractions of the unexchanged glass, each in [0, 1], summing
            to 1 within NATIVE_SUM_TOLERANCE.
    """

    youngs_modulus: float
    poisson_ratio: float
    dilations: Mapping[str, float]
    native: Mapping[str, float]

    def __post_init__(self):
        check_elastic_constants(self.youngs_modulus, self.poisson_ratio)
        dilations = _ion_map(self.dilations, "dilations", "dilation B")
        native = _ion_map(self.native, "native", "native site fraction")
        for ion, value in native.items():
            if not 0.0 <= value <= 1.0:
                raise FieldError("native", value, f"expected a site fraction in [0, 1] for {ion!r}")
        total = math.fsum(native.values())
        if abs(total - 1.0) > NATIVE_SUM_TOLERANCE:
            raise FieldError(
                "native", total, "expected native site fractions that sum to 1 (within 1e-9)"
            )
        for ion in dilations:
            if ion not in native:
                raise FieldError(
                    "dilations",
                    ion,
                    f"expected only ions of the native glass ({', '.join(native)})",
                )
        object.__setattr__(self, "dilations", dilations)
        object.__setattr__(self, "native", native)

    def __hash__(self):
        return hash(
            (
                self.youngs_modulus,
                self.poisson_ratio,
                frozenset(self.dilations.items()),
                frozenset(self.native.items()),
            )
        )

    @property
    def biaxial_modulus(self) -> float:
        """E/(1 − ν) in Pa."""
        return self.youngs_modulus / (1.0 - self.poisson_ratio)

    def check_ions(self, ions) -> None:
        """Refuse a glass that names an ion the model does not carry: FieldError naming
        the ion, under "dilations" for a dilating ion or "native" for one present (χ⁰ > 0)
        in the unexchanged glass.

        Args: ions: the names of the ions the caller's model carries.
        """
        known = tuple(ions)
        listed = ", ".join(map(str, known))
        for ion in self.dilations:
            if ion not in known:
                raise FieldError(
                    "dilations", ion, f"expected a dilation only for an ion of the model ({listed})"
                )
        for ion, fraction in self.native.items():
            if fraction > 0 and ion not in known:
                raise FieldError(
                    "native", ion, f"expected native ions of the model only ({listed})"
                )


def balanced_multi_ion_stress(
    depth, width, fractions: Mapping, glass: MultiIonGlass, *, plate: bool, bending: bool = False
):
    """Biaxial stress σ(x) (Pa) of a free plate or semi-infinite slab exchanging several ions.

    σ = −E/(1−ν)·[Σ_i B_i(χ_i − χ_i⁰) − a − b(x − x_c)], a (and b when ``bending``) from
    exact force (and moment) balance on the given cells, as in balanced_stress — which it
    equals for one ion with χ⁰ = 0. On a slab (a = b = 0) the native glass is stress-free.

    Args:
        depth: cell-centre depths through the whole plate (m).  width: cell widths (m).
        fractions: {ion: site fraction χ_i per cell, shape (..., n_cells)}; every ion of
            glass.dilations must be there, others are ignored (B = 0).
        glass: elastic data and the native composition.
        plate: False for a semi-infinite slab.  bending: True for a plate exchanged on one
            face only (free to bend).
    """
    if not isinstance(fractions, Mapping):
        raise FieldError(
            "fractions", fractions, "expected a mapping of ion name to site-fraction profile"
        )
    strain = None
    for ion, dilation in glass.dilations.items():
        if ion not in fractions:
            raise FieldError(
                "fractions", ion, "expected a site-fraction profile for every ion with a dilation"
            )
        # χ − 0.0 is χ to the bit: one ion with χ⁰ = 0 reproduces balanced_stress exactly
        term = dilation * (np.asarray(fractions[ion], dtype=float) - glass.native[ion])
        strain = term if strain is None else strain + term
    return -glass.biaxial_modulus * _balanced_strain(depth, width, strain, plate, bending)


def tensile_strain_energy(depth, stress, glass: ElasticGlass | MultiIonGlass, width=None) -> float:
    """Elastic energy stored in the tensile part of an equibiaxial stress profile, per unit
    area of the plate (J/m²):

        W_t = (1 − ν)/E · ∫_{σ>0} σ(x)² dx

    An isotropic solid under principal stresses σ₁, σ₂, σ₃ stores
    u = [σ₁² + σ₂² + σ₃² − 2ν(σ₁σ₂ + σ₂σ₃ + σ₃σ₁)]/(2E) per unit volume (Timoshenko &
    Goodier, Theory of Elasticity, 3rd edn., McGraw-Hill 1970, strain energy in terms of
    stresses); the plate's σ_yy = σ_zz = σ, σ_xx = 0 give u = (1 − ν)σ²/E.

    Args:
        depth: depths through the whole plate (m), increasing; cell centres if width given.
        stress: σ (Pa, tension > 0).  glass: its E and ν.
        width: cell widths (m): midpoint rule over the cells, Σ w·max(σ, 0)². Without it,
            the trapezoidal rule on max(σ, 0)² between the first and last depth, the zero
            crossings placed by linear interpolation.
    """
    x = np.asarray(depth, dtype=float)
    s = np.asarray(stress, dtype=float)
    compliance = 1.0 / glass.biaxial_modulus  # (1 − ν)/E
    if width is not None:
        t = np.maximum(s, 0.0)
        return float(compliance * np.dot(np.asarray(width, dtype=float), t * t))
    a, b, dx = s[:-1], s[1:], np.diff(x)
    both = (a > 0) & (b > 0)
    one = (a > 0) != (b > 0)
    area = np.where(both, 0.5 * (a * a + b * b) * dx, 0.0)
    # one positive end: the linear interpolant is positive over dx·p/(p − q) of the interval
    p, q = np.where(a > 0, a, b), np.where(a > 0, b, a)
    with np.errstate(invalid="ignore", divide="ignore"):
        area = area + np.where(one, 0.5 * p * p * dx * p / (p - q), 0.0)
    return float(compliance * area.sum())


@dataclass(frozen=True)
class CoreTension:
    """The central tension of a measured (scattered) profile, estimated from its core.

    Attributes:
        value: CT, the fitted σ at the mid-plane (Pa, tension > 0).
        standard_error: its least-squares standard error (Pa).
        scatter: the rms residual about the fit (Pa), an estimate of the measurement noise.
        points: how many independent points the fit used.
        core: (z_min, z_max) of the fitted zone as depths from the face (m).
    """

    value: float
    standard_error: float
    scatter: float
    points: int
    core: tuple[float, float]


CORE_FIT_MIN_POINTS = 4


def core_tension(depth, stress, thickness: float, depth_of_compression: float) -> CoreTension:
    """CT of a measured profile from the inner half of its tensile core.

    The largest tension of a noisy table is biased high, by the largest of the noise draws
    of the few points near the top (1.15 noise deviations measured on 41-point parabolic
    tables, tests/unit/physics/test_stress_core_tension.py); instead fit, by least squares,

        σ(x) ≈ CT + b·(x − t/2)²,   |x − t/2| ≤ (t/2 − DOC)/2,

    the even quadratic of the core of a plate exchanged on both faces (exact for the
    parabolic profile; a flat-topped profile is flat there, b ≈ 0). Points that appear twice
    with the same |x − t/2| and σ — a half profile mirrored to the whole thickness — count
    once.

    Args:
        depth: x from the face (m), increasing, through the whole thickness.
        stress: σ (Pa, tension > 0).  thickness: t (m).
        depth_of_compression: DOC (m, 0 < DOC < t/2).
    Raises ValueError when fewer than CORE_FIT_MIN_POINTS independent points lie in the zone.
    """
    x = np.asarray(depth, dtype=float)
    s = np.asarray(stress, dtype=float)
    half = 0.5 * thickness
    if not 0.0 < depth_of_compression < half:
        raise ValueError(
            f"the depth of compression {depth_of_compression!r} m is not within the half "
            f"thickness {half!r} m: the profile has no tensile core"
        )
    reach = 0.5 * (half - depth_of_compression)
    z = x - half
    inside = np.abs(z) <= reach
    # a mirrored half profile repeats each (|z|, σ) pair (|z| to rounding): count it once
    mirror_z = np.round(np.abs(z[inside]) / thickness, 9) * thickness
    pairs = np.unique(np.column_stack([mirror_z, s[inside]]), axis=0)
    n = pairs.shape[0]
    if n < CORE_FIT_MIN_POINTS or np.unique(pairs[:, 0]).size < 2:
        raise ValueError(
            f"only {n} independent points lie in the core |x - t/2| <= {reach:.4g} m; "
            f"a fit of the central tension needs {CORE_FIT_MIN_POINTS} at two depths or more"
        )
    a = np.column_stack([np.ones(n), pairs[:, 0] ** 2])
    coef, *_ = np.linalg.lstsq(a, pairs[:, 1], rcond=None)
    resid = pairs[:, 1] - a @ coef
    dof = max(n - 2, 1)
    scatter = float(np.sqrt(resid @ resid / dof))
    cov = scatter**2 * np.linalg.inv(a.T @ a)
    return CoreTension(
        float(coef[0]), float(np.sqrt(cov[0, 0])), scatter, n, (half - reach, half + reach)
    )


@dataclass(frozen=True)
class MultiIonStressMetrics:
    """What a strengthening engineer reads off a multi-ion (spike and tail) stress profile
    (SI: Pa, m, J/m²); signs as in StressMetrics: CS, CS_knee > 0 in compression, CT > 0.

    Attributes:
        compressive_stress: CS = −σ at the exchanged surface (Pa).
        depth_of_compression: DOC, first depth where σ turns from compression to tension (m).
        central_tension: CT, σ at the mid-plane of a symmetric plate, the largest tensile σ
            otherwise (Pa; 0 for a semi-infinite slab).
        knee_depth, knee_compressive_stress: where the near-surface spike merges into the
            deep tail, and −σ there (m; Pa); NaN without a knee (definition in
            stress_metrics).
        tensile_energy: W_t = (1 − ν)/E·∫_{σ>0} σ² dx, the elastic energy stored in the
            tensile region per unit area of the plate (J/m², tensile_strain_energy).
    """

    compressive_stress: float
    depth_of_compression: float
    central_tension: float
    knee_depth: float
    knee_compressive_stress: float
    tensile_energy: float


def multi_ion_stress_metrics(
    depth,
    stress,
    glass: ElasticGlass | MultiIonGlass,
    *,
    width=None,
    surface_stress=None,
    symmetric_plate: bool = False,
    knee_window: float | None = None,
) -> MultiIonStressMetrics:
    """CS, DOC, CT, the knee and the stored tensile energy of one profile (see
    MultiIonStressMetrics).

    CS, DOC, CT and the knee are those of stress_metrics, on the stress alone (no ion is
    singled out, so the figures do not depend on which ion is the host). The knee is the
    change of the decay length ℓ = |σ|/|dσ/dx| by KNEE_FACTOR: a K⁺ spike some µm deep on
    a Na⁺ tail tens of µm deep has one; a flat top is skipped (the search starts at the
    largest compression). For a measured, noisy profile pass ``knee_window``, the
    half-width of the least-squares slope (see knee).

    Args:
        depth: depths through the whole plate from the exchanged face (m), increasing.
        stress: σ (Pa, compression < 0).  glass: its E and ν, for W_t.
        width: cell widths (m) when depth holds cell centres (see tensile_strain_energy).
        surface_stress: σ at depth 0 if known (Pa), else the first sample's.
        symmetric_plate: True for a plate exchanged on both faces (CT at mid-thickness).
        knee_window: slope half-width for the knee (m), None for central differences.
    """
    x = np.asarray(depth, dtype=float)
    s = np.asarray(stress, dtype=float)
    cs, doc, ct = _cs_doc_ct(x, s, surface_stress, symmetric_plate)
    knee_x, knee_cs = knee(x, s, window=knee_window)
    energy = tensile_strain_energy(x, s, glass, width)
    return MultiIonStressMetrics(cs, doc, ct, knee_x, knee_cs, energy)
