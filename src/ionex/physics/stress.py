"""Residual stress of an ion-exchanged plate from its composition profile (docs/physics.md §1.4,
§1.6, §3.3).

Exchanging a host ion for a larger one dilates the network by the linear strain
ε(x) = B·χ(x), B = Ω_AB·C_T/3 per unit site fraction. A free plate keeps this strain from
moving it (force balance) and — when only one face is exchanged — from bending it (moment
balance), so the biaxial in-plane stress is

    σ(x) = −E/(1 − ν) · [ε(x) − a − b·(x − x_c)]

with a, b the least-squares (force- and moment-free) line through ε over the thickness;
a semi-infinite slab has a = b = 0. Compression is negative.

Relaxation: the paper's scheme scales the profile by the Kohlrausch factor
exp(−(t/τ)^β) (β = 3/5 for stress relaxation, 3/7 for structural, Potuzak, Welch & Mauro, J. Chem. Phys. 135 (2011) 214502); the hereditary
scheme relaxes every increment of exchange strain from the moment it was created, in the
reduced time ξ = ∫ τ_ref/τ(T(t)) dt with an Arrhenius τ(T).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..constants import GAS_CONSTANT
from ..validators import FieldError
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
    x = np.asarray(depth, dtype=float)
    w = np.asarray(width, dtype=float)
    strain = glass.dilation * np.asarray(frac, dtype=float)
    if plate:
        total = w.sum()
        mean = (strain @ w) / total
        strain = strain - mean[..., None] if strain.ndim > 1 else strain - mean
        if bending:
            xc = (x @ w) / total
            lever = x - xc
            slope = (strain @ (w * lever)) / (w @ (lever * lever))
            strain = strain - (slope[..., None] if strain.ndim > 1 else slope) * lever
    return -glass.biaxial_modulus * strain


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
    cs = -(s[0] if surface_stress is None else surface_stress)
    doc = _first_crossing(x, s, 0.0, from_below=True)
    if symmetric_plate:
        ct = float(np.interp(0.5 * (x[0] + x[-1]), x, s))
    else:
        ct = float(max(np.max(s), 0.0))
    dol = _first_crossing(x, c, 0.01 * c[0], from_below=False) if c[0] > 0 else math.nan
    knee_x, knee_cs = knee(x, s)
    return StressMetrics(float(cs), doc, ct, dol, knee_x, knee_cs)


def _first_crossing(x, y, level, *, from_below: bool) -> float:
    """First x where y crosses ``level`` (upward if from_below, else downward); NaN if none."""
    above = y >= level if from_below else y <= level
    hit = np.nonzero(above)[0]
    if hit.size == 0 or hit[0] == 0:
        return math.nan
    i = int(hit[0])
    return float(x[i - 1] + (level - y[i - 1]) * (x[i] - x[i - 1]) / (y[i] - y[i - 1]))


def knee(depth, stress, factor: float = KNEE_FACTOR, floor: float = KNEE_FLOOR):
    """Depth (m) and compressive stress CS_knee = −σ (Pa, positive) of the knee of a stress
    profile, or (NaN, NaN) when it has none; the definition is in stress_metrics.

    Args:
        depth: depths from the exchanged surface (m), increasing.
        stress: σ (Pa, compression < 0).
        factor: the growth of the decay length ℓ = |σ|/|dσ/dx| that makes a knee (> 1).
        floor: the part of the layer searched: compression ≥ floor × its largest value.
    """
    x = np.asarray(depth, dtype=float)
    c = -np.asarray(stress, dtype=float)
    tensile = np.nonzero(c <= 0)[0]
    layer = int(tensile[0]) if tensile.size else c.size  # the compressive layer at the front
    if layer == 0:
        return math.nan, math.nan
    top = int(np.argmax(c[:layer]))
    below = np.nonzero(c[top:layer] < floor * c[top])[0]
    end = top + (int(below[0]) if below.size else layer - top)
    x, c = x[top:end], c[top:end]
    if x.size < 5:
        return math.nan, math.nan
    slope = -np.gradient(c, x)  # −dc/dx: > 0 where the compression decreases with depth
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
