"""Depth resolution of sputter depth profiling (ToF-SIMS): a composition profile as the
instrument measures it.

A profile X(z') (z' the original depth below the surface, m) is measured at the sputtered
depth z as the convolution with a depth resolution function g,

    I(z) = ∫₀^∞ X(z') g(z − z') dz' / ∫₀^∞ g(z − z') dz',

with the argument u = z − z' (sputtered depth minus original depth: u < 0 is material still
below the crater bottom). Two resolution functions:

* GaussianResolution — the surface roughness of the crater bottom alone,
  g_σ(u) = exp(−u²/2σ²)/(σ√(2π)).
* MriResolution — the mixing–roughness–information depth (MRI) model of S. Hofmann
  (Surf. Interface Anal. 21 (1994) 673; Rep. Prog. Phys. 61 (1998) 827), g = g_w ∗ g_σ ∗ g_λ:
  atomic mixing g_w(u) = exp(−(u + w)/w)/w for u ≥ −w (a buried layer enters the mixed zone
  of thickness w when the crater bottom is w above it, then decays as it is sputtered away),
  roughness g_σ, and information depth g_λ(u) = exp(u/λ)/λ for u ≤ 0 (the signal comes
  from an exponentially weighted depth below the crater bottom). A delta layer at z₀ is
  measured as g(z − z₀), the form of the MRI papers. The moments of the factors add:
  ∫ g = 1, first moment ∫ u g du = 0 + 0 − λ = −λ (g_w has its leading edge at −w but its
  centroid at 0, so mixing moves no layer — Hofmann, Liu, Wang, Kovac, Appl. Surf. Sci. 314
  (2014) 942: the MRI function "gives the correct location of a buried delta layer"; the
  information depth shows a layer λ before the crater reaches it), variance w² + σ² + λ².

The surface: the sample ends at z' = 0, and the part of g that falls above it samples no
material. ToF-SIMS fractions are ratios of secondary-ion counts (io.sims, eq. 1), to which
that part contributes no ions of any species, so it drops out of the ratio: the resolution
function is renormalised over the sample (the denominator above). This keeps a uniform
profile uniform up to the surface and the fractions of all species summing to one; a
mirror image of the profile above the surface (as used in deconvolution of absolute
concentrations) would count material that is not there. ∫ I dz = ∫ X dz holds wherever
g lies wholly inside the sample (a layer buried deeper than the resolution width).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
import numbers
from dataclasses import dataclass

import numpy as np
from scipy import signal, special

from ..validators import FieldError, increasing, positive, same_length, vector

__all__ = ["GaussianResolution", "MriResolution", "convolve_profile"]

_TAIL_SIGMAS = 9.0  # Gaussian mass beyond ±9σ: 2e-19
_TAIL_LENGTHS = 38.0  # exponential mass beyond 38 decay lengths: 3e-17
_STEPS_PER_WIDTH = 400  # quadrature cells per rms width of g
_COARSEST_STEPS = 20  # fewest cells per rms width accepted for a very deep profile
_MAX_CELLS = 2**22  # quadrature cells of one profile (32 MB per array)


def _normal_cdf(x):
    return 0.5 * special.erfc(-np.asarray(x, dtype=float) / math.sqrt(2.0))


class DepthResolution(ABC):
    """A depth resolution function g(u) of a sputter depth profile: the kinds below."""

    @property
    @abstractmethod
    def variance(self) -> float:
        """Second central moment of g (m²)."""

    @property
    @abstractmethod
    def support(self) -> tuple[float, float]:
        """(lowest, highest) u (m) outside which g holds a negligible mass."""

    @abstractmethod
    def cdf(self, u):
        """G(u) = ∫_{−∞}^u g (dimensionless) at u (m)."""


@dataclass(frozen=True)
class GaussianResolution(DepthResolution):
    """Roughness of the crater bottom: a Gaussian resolution function (module docstring).

    Attributes:
        roughness: σ, the rms roughness (m, > 0).
    """

    roughness: float

    def __post_init__(self):
        positive(self.roughness, "roughness", "m")

    @property
    def mean(self) -> float:
        """First moment ∫ u g du (m): 0."""
        return 0.0

    @property
    def variance(self) -> float:
        """Second central moment (m²): σ²."""
        return self.roughness**2

    @property
    def support(self) -> tuple[float, float]:
        """(lowest, highest) u (m) outside which g holds less than 1e-18 of its mass."""
        reach = _TAIL_SIGMAS * self.roughness
        return (-reach, reach)

    def density(self, u):
        """g(u) (1/m) at u = z − z' (m; array or number)."""
        s = self.roughness
        u = np.asarray(u, dtype=float)
        return np.exp(-0.5 * (u / s) ** 2) / (s * math.sqrt(2.0 * math.pi))

    def cdf(self, u):
        """G(u) = ∫_{−∞}^u g (dimensionless) at u (m)."""
        return _normal_cdf(np.asarray(u, dtype=float) / self.roughness)


@dataclass(frozen=True)
class MriResolution(DepthResolution):
    """The mixing–roughness–information depth model of Hofmann (module docstring):
    g = g_w ∗ g_σ ∗ g_λ, first moment −λ, variance w² + σ² + λ².

    Closed form (v = u + w; the asymmetric Laplace density of g_w ∗ g_λ smoothed by g_σ):
    g(u) = [w·A(v) + λ·B(v)]/(w + λ), A(v) = exp(σ²/2w² − v/w)·erfc((σ/w − v/σ)/√2)/(2w),
    B(v) = exp(σ²/2λ² + v/λ)·erfc((σ/λ + v/σ)/√2)/(2λ), and G(u) = Φ(v/σ) − [w²A − λ²B]/(w + λ).

    Attributes:
        mixing_length: w (m, ≥ 0).  roughness: σ (m, ≥ 0).  information_depth: λ (m, ≥ 0);
        at least one > 0.
    """

    mixing_length: float
    roughness: float
    information_depth: float

    def __post_init__(self):
        for name in ("mixing_length", "roughness", "information_depth"):
            value = getattr(self, name)
            if not (
                isinstance(value, numbers.Real)
                and not isinstance(value, bool)
                and math.isfinite(value)
                and value >= 0
            ):
                raise FieldError(name, value, "expected a finite length ≥ 0", "m")
        if self.mixing_length == self.roughness == self.information_depth == 0:
            raise FieldError(
                "mixing_length",
                0.0,
                "expected at least one of mixing_length, roughness, information_depth > 0",
                "m",
            )

    @property
    def mean(self) -> float:
        """First moment ∫ u g du (m): −λ."""
        return -float(self.information_depth)

    @property
    def variance(self) -> float:
        """Second central moment (m²): w² + σ² + λ²."""
        return self.mixing_length**2 + self.roughness**2 + self.information_depth**2

    @property
    def support(self) -> tuple[float, float]:
        """(lowest, highest) u (m) outside which g holds less than 1e-16 of its mass."""
        w, s, lam = self.mixing_length, self.roughness, self.information_depth
        return (
            -w - _TAIL_SIGMAS * s - _TAIL_LENGTHS * lam,
            -w + _TAIL_SIGMAS * s + _TAIL_LENGTHS * w,
        )

    def density(self, u):
        """g(u) (1/m) at u = z − z' (m; array or number)."""
        w, s, lam = self.mixing_length, self.roughness, self.information_depth
        v = np.asarray(u, dtype=float) + w
        if w + lam == 0:
            return GaussianResolution(s).density(v)
        g = np.zeros_like(v)
        if w > 0:
            g += w * _smoothed_exponential(v, w, s)
        if lam > 0:
            g += lam * _smoothed_exponential(-v, lam, s)
        return g / (w + lam)

    def cdf(self, u):
        """G(u) = ∫_{−∞}^u g (dimensionless) at u (m)."""
        w, s, lam = self.mixing_length, self.roughness, self.information_depth
        v = np.asarray(u, dtype=float) + w
        if w + lam == 0:
            return _normal_cdf(v / s)
        if s == 0:  # the asymmetric Laplace distribution, continuous at v = 0
            below = lam / (w + lam) * np.exp(np.minimum(v, 0.0) / lam) if lam > 0 else 0.0
            above = 1.0 - w / (w + lam) * np.exp(-np.maximum(v, 0.0) / w) if w > 0 else 1.0
            return np.where(v < 0, below, above)
        tails = np.zeros_like(v)
        if w > 0:
            tails += w**2 * _smoothed_exponential(v, w, s)
        if lam > 0:
            tails -= lam**2 * _smoothed_exponential(-v, lam, s)
        return np.clip(_normal_cdf(v / s) - tails / (w + lam), 0.0, 1.0)


def _smoothed_exponential(v, a: float, s: float):
    """Density (1/m) of E + N at v (m): E exponential of mean a > 0, N normal of rms s ≥ 0."""
    if s == 0:
        return np.where(v >= 0, np.exp(-np.maximum(v, 0.0) / a) / a, 0.0)
    x = (s / a - v / s) / math.sqrt(2.0)
    # exp(s²/2a² − v/a)·erfc(x): erfcx where the exponential alone would overflow (x ≥ 0),
    # erfc where erfcx would (x < 0, and there the exponent is negative)
    safe = np.maximum(x, 0.0)
    big = special.erfcx(safe) * np.exp(-0.5 * (v / s) ** 2)
    exponent = np.minimum(0.5 * (s / a) ** 2 - v / a, 0.0)
    small = np.exp(exponent) * special.erfc(np.minimum(x, 0.0))
    return np.where(x >= 0, big, small) / (2.0 * a)


def convolve_profile(depth, values, resolution, measured_depth=None) -> np.ndarray:
    """A depth profile as the instrument measures it: I(z) = ∫ X g(z − z') dz' / ∫ g, the
    resolution function renormalised over the sample z' ≥ 0 (module docstring).

    Quadrature: X is the piecewise-linear line through the cell centres (held at its first
    value up to the surface and at its last beyond the last cell), averaged exactly over
    uniform cells of h = √variance/400 (coarser, down to /20, only for a profile deeper
    than 4·10⁶ cells); g is integrated exactly over each cell from its cdf, the sum taken
    as a discrete convolution (FFT where large) and interpolated linearly to measured_depth.

    Args:
        depth: cell centres (m), strictly increasing, ≥ 0 (the first near the surface).
        values: X at those depths (any quantity, e.g. a site fraction).
        resolution: GaussianResolution or MriResolution (anything with cdf, support, variance).
        measured_depth: sputtered depths (m, ≥ 0) to return I at; None: ``depth``.
    Returns: I at measured_depth (same unit as values).
    """
    depth = vector(depth, "depth")
    values = vector(values, "values")
    same_length(depth.size, values=values)
    if depth.size < 1:
        raise ValueError("depth has no values; expected the cell centres of a profile")
    increasing(depth, "depth", "m", "depths increasing from the surface")
    if depth[0] < 0:
        raise FieldError(
            "depth", float(depth[0]), "expected depths ≥ 0 m below the surface", "m", 0
        )
    measured = depth if measured_depth is None else vector(measured_depth, "measured_depth")
    bad = np.nonzero(measured < 0)[0]
    if bad.size:
        i = int(bad[0])
        raise FieldError(
            "measured_depth", float(measured[i]), "expected sputtered depths ≥ 0", "m", i
        )
    if measured.size == 0:
        return np.zeros(0)

    lo, hi = resolution.support
    width = math.sqrt(resolution.variance)
    length = float(measured.max()) - lo  # deepest material any measured depth sees
    h = max(width / _STEPS_PER_WIDTH, length / _MAX_CELLS)
    if h > width / _COARSEST_STEPS:
        raise ValueError(
            f"measured_depth reaches {measured.max():g} m, too deep to resolve a resolution "
            f"function of rms width {width:g} m in {_MAX_CELLS} cells; pass the depths of interest"
        )
    n = int(math.ceil(length / h)) + 2
    faces = h * np.arange(n + 1)
    averages = _cell_averages(depth, values, faces)

    # cell weights W_m = ∫ g over u ∈ [(m − ½)h, (m + ½)h], for every m where g has mass
    m_lo = int(math.floor(lo / h)) - 1
    m_hi = int(math.ceil(hi / h)) + 1
    m = np.arange(m_lo, m_hi + 1)
    weights = np.diff(resolution.cdf(h * np.append(m - 0.5, m[-1] + 0.5)))
    centres = faces[:-1] + 0.5 * h
    full = signal.convolve(averages, weights, mode="full")
    seen = full[-m_lo : -m_lo + n]  # Σ_k X_k W_{j−k} at the cell centres j
    sample = resolution.cdf(centres) - resolution.cdf(centres - faces[-1])  # ∫ g over the sample
    measured_at_centres = seen / sample
    # below the first centre (h/2 from the surface) extend the first interval linearly
    slope = (measured_at_centres[1] - measured_at_centres[0]) / h
    out = np.interp(measured, centres, measured_at_centres)
    shallow = measured < centres[0]
    out[shallow] = measured_at_centres[0] + (measured[shallow] - centres[0]) * slope
    return out


def _cell_averages(depth, values, faces):
    """Mean over each interval of ``faces`` (m) of the piecewise-linear X through (depth,
    values), held at values[0] above depth[0] and at values[-1] beyond depth[-1]."""
    # split at the nodes too: on each piece X is linear, so length × X(midpoint) is exact,
    # and each interval sums only its own pieces (no running total to lose digits in)
    nodes = depth[(depth > faces[0]) & (depth < faces[-1])]
    points = np.union1d(faces, nodes)
    lengths = np.diff(points)
    pieces = lengths * np.interp(0.5 * (points[1:] + points[:-1]), depth, values)
    first = np.searchsorted(points, faces[:-1])
    return np.add.reduceat(pieces, first) / np.add.reduceat(lengths, first)
