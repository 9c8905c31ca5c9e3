"""Guided TE and TM modes of a planar graded-index layer under a cover (docs/physics.md §3.5).

Geometry: cover of index n_c for x < 0, the graded layer n(x) for 0 ≤ x ≤ x_L (the last
profile point), substrate n_s for x > x_L. Propagation along z, depth x, k0 = 2π/λ.

    TE (E_y):  E'' + k0² (n² − N²) E = 0,             E and E' continuous
    TM (H_y):  (H'/n²)' + k0² (1 − N²/n²) H = 0,      H and H'/n² continuous

A guided mode has max(n_s, n_c) < N < max n and decays into the cover and the substrate.

Profile: ``index`` is n at the points ``depth``; between points n(x) is the straight line
through them (piecewise linear in n); beyond the last point n = substrate_index. A step is
given by two close points (x_d, x_d(1 + 1e-9)); constant stretches are exact.

Method (all work in the reduced depth ξ = k0 x):

* Each interval is integrated by the fourth-order Magnus method with Gauss points: for
  y = (u, w) = (E, E') (TE) or (H, H'/n²) (TM), y' = A(ξ) y with A = [[0, a], [−b, 0]],
  a = 1, b = n² − N² (TE); a = n², b = 1 − N²/n² (TM). One step of length h is
  y ← exp(Ω) y with Ω = (h/2)(A₁ + A₂) + (√3 h²/12)[A₂, A₁] = [[c, hā], [−h b̄, −c]],
  and since Ω² = (c² − h² ā b̄) I, exp(Ω) = cos ω I + (sin ω/ω) Ω (cosh/sinh when the
  interval is evanescent). A constant interval (c = 0) is propagated exactly: a step
  slab, staircase or thick evanescent layer has no discretisation error at all. Long
  graded intervals are split into substeps so that the Magnus error stays ≲ 1e-11 in N
  (see _substeps); the solver therefore solves the piecewise-linear profile it is given,
  and the only error against a smooth profile is that of its linear interpolation:
  second order in the point spacing (ORDER).
* Modes are counted, never searched for blindly. With the Prüfer angle θ (u = r sin θ,
  w = r cos θ), zeros of u are crossed only upward (θ' = a > 0 at u = 0). Shooting from
  the cover (θ_L) and from the substrate (θ_R) to a matching point x_m,
  Θ(N) = θ_L(x_m) − θ_R(x_m) is continuous and decreasing in N, the number of modes with
  effective index above N is ⌊Θ/π⌋ + 1 (oscillation theorem), and mode m is the root of
  Θ(N) = mπ. The zeros within a step are counted exactly (⌊ω/π⌋ or one more, fixed by the
  sign of u at the ends). So every mode is bracketed, none is missed at cut-off, and
  brentq refines each on a smooth function. x_m is the deepest point with n ≥ N (the
  last turning point), so both shots run in their stable directions, and the vectors are
  renormalised whenever they grow large (no overflow in thick evanescent regions).
  θ_L starts in (0, π/2] (cover tail u'/u > 0) and θ_R in [π/2, π) (substrate tail).

References: Blanes, Casas, Oteo & Ros, "The Magnus expansion and some of its
applications", Phys. Rep. 470 (2009) 151 (the fourth-order Magnus method with two Gauss
points); Pryce, Numerical Solution of Sturm–Liouville Problems (Oxford 1993) (Prüfer
angles, matching points, counting eigenvalues by the oscillation theorem).

Units: depth and wavelength in m, indices dimensionless; fields in m^(-1/2).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy.optimize import brentq

from ..errors import SolverError
from ..physics.optics import vacuum_wavenumber, wkb_phase, check_polarisation

__all__ = [
    "Mode",
    "ModeSet",
    "solve_modes",
    "count_modes",
    "wkb_effective_indices",
    "ORDER",
    "MAGNUS_ORDER",
]

ORDER = 2  # of N_eff in the profile-point spacing, for a smooth profile sampled at the points
MAGNUS_ORDER = 4  # of the integrator on the piecewise-linear profile itself
_MAGNUS_TOL = 1e-8  # local error target of the Magnus steps: ≲ 1e-11 in N (see _substeps)
_ROOT_XTOL = 1e-14  # absolute tolerance of N in brentq
_ROOT_RTOL = 1e-15
_FIELD_PHASE = 0.2  # largest phase (rad) or decay (×2.5) per step on the field grid
_FIELD_MAX_DECAY_STEPS = 400  # points per evanescent interval on the field grid, at most
# Guards against a profile given in the wrong unit (µm read as m): it would need ~1e8
# steps or guide millions of modes, and exhaust memory or time instead of failing.
_MAX_STEPS = 5_000_000
_MAX_MODES = 20_000


@dataclass(frozen=True, eq=False)
class Mode:
    """One guided mode.

    Attributes:
        polarisation: "TE" (field E_y) or "TM" (field H_y).
        order: m = 0, 1, … (the number of zeros of the field).
        effective_index: N = β/k0 (dimensionless).
        depth: x in m where the field is given (the profile points plus points inserted so
            that no interval spans more than ~1/30 of a local period), or None when
            solve_modes was called with fields=False.
        field: E_y (TE) or H_y (TM) at ``depth`` in m^(-1/2), normalised so that
            ∫_{−∞}^{∞} field² dx = 1 (the exponential tails in the cover and beyond the last
            point included), with the sign making field > 0 at the surface x = 0. Beyond
            the last point it continues as field[-1]·exp(−k0 √(N² − n_s²) (x − x_L)).
    """

    polarisation: str
    order: int
    effective_index: float
    depth: np.ndarray | None = dataclasses.field(default=None, repr=False)
    field: np.ndarray | None = dataclasses.field(default=None, repr=False)


@dataclass
class ModeSet:
    """The guided modes of one profile at one wavelength.

    Attributes:
        wavelength: λ in m.  cover_index: n_c.  substrate_index: n_s (dimensionless).
        modes: the modes, each polarisation in order m = 0, 1, … (descending N).
    """

    wavelength: float
    cover_index: float
    substrate_index: float
    modes: list[Mode] = dataclasses.field(default_factory=list)

    def of(self, polarisation: str) -> list[Mode]:
        """The modes of one polarisation ("TE" or "TM"), by order."""
        return sorted(
            (m for m in self.modes if m.polarisation == polarisation), key=lambda m: m.order
        )

    def effective_indices(self, polarisation: str) -> np.ndarray:
        """N_0 > N_1 > … of one polarisation (dimensionless); empty if none is guided."""
        return np.array([m.effective_index for m in self.of(polarisation)], dtype=float)

    def count(self, polarisation: str) -> int:
        """The number of guided modes of one polarisation."""
        return len(self.of(polarisation))


# --------------------------------------------------------------------------- public API


def solve_modes(
    depth,
    index,
    wavelength: float,
    *,
    cover_index: float = 1.0,
    polarisations=("TE", "TM"),
    substrate_index: float | None = None,
    fields: bool = False,
) -> ModeSet:
    """All guided modes of the graded layer n(x) under a cover (module docstring for the method).

        TE: E'' + k0²(n² − N²)E = 0;  TM: (H'/n²)' + k0²(1 − N²/n²)H = 0;  k0 = 2π/λ

    Args:
        depth: x in m at the profile points: depth[0] = 0 (the surface), strictly
            increasing; any spacing, at least 2 points. n(x) is linear between points.
        index: n at those points (dimensionless, finite, positive).
        wavelength: vacuum wavelength λ in m (> 0).
        cover_index: n_c of the cover x < 0 (dimensionless; 1.0 = air).
        polarisations: which of "TE", "TM" to solve.
        substrate_index: n_s for x beyond the last point (dimensionless); default index[-1].
        fields: also compute each mode's normalised field (Mode.depth, Mode.field).

    Returns a ModeSet; its modes list is empty when nothing is guided (e.g. a flat
    profile). Raises ValueError for malformed input, including a profile that lies below
    the cover index at the surface or everywhere (no mode can then be guided under it).

    Example — an exponential guide, n(x) = 1.5137 + 0.009·exp(−x/5 µm), at 677 nm:

    >>> import numpy as np
    >>> from ionex import solve_modes
    >>> x = np.linspace(0.0, 40e-6, 801)
    >>> modes = solve_modes(x, 1.5137 + 0.009 * np.exp(-x / 5e-6), 677e-9, polarisations=("TE",))
    >>> modes.count("TE"), np.round(modes.effective_indices("TE"), 5).tolist()
    (5, [1.51825, 1.51588, 1.51459, 1.51393, 1.51371])
    """
    x, n, n_s = _checked_profile(depth, index, substrate_index)
    k0 = vacuum_wavenumber(wavelength)
    n_c = _checked_index(cover_index, "cover_index")
    pols = _checked_polarisations(polarisations)
    if float(n.max()) < n_c:
        raise ValueError(
            f"the index profile lies below the cover index everywhere (max n = {n.max():.6g}, "
            f"cover_index = {n_c:.6g}): no mode can be guided"
        )
    if n[0] < n_c:
        raise ValueError(
            f"the index profile lies below the cover index at the surface (n(0) = {n[0]:.6g} < "
            f"cover_index = {n_c:.6g}); a guided mode needs n > n_c"
        )
    result = ModeSet(wavelength=float(wavelength), cover_index=n_c, substrate_index=n_s)
    xi = k0 * x
    for pol in pols:
        for m, n_eff in enumerate(_effective_indices(xi, n, n_c, n_s, pol)):
            if fields:
                z, u, node = _mode_field(xi, n, n_c, n_s, pol, n_eff)
                z = z / k0
                z[node] = x  # the profile points exactly, not through k0 and back
                result.modes.append(Mode(pol, m, n_eff, z, u * math.sqrt(k0)))
            else:
                result.modes.append(Mode(pol, m, n_eff))
    return result


def count_modes(
    depth,
    index,
    wavelength: float,
    *,
    cover_index: float = 1.0,
    polarisation: str = "TE",
    substrate_index: float | None = None,
) -> int:
    """How many modes of one polarisation the profile guides — what
    ``solve_modes(...).count(polarisation)`` gives — from the oscillation count at the
    cut-off N = max(n_s, n_c) alone, without locating any mode (about 10× cheaper).
    Arguments and errors as :func:`solve_modes`."""
    x, n, n_s = _checked_profile(depth, index, substrate_index)
    k0 = vacuum_wavenumber(wavelength)
    n_c = _checked_index(cover_index, "cover_index")
    (pol,) = _checked_polarisations((polarisation,))
    if float(n.max()) < n_c or n[0] < n_c:
        solve_modes(
            depth,
            index,
            wavelength,
            cover_index=cover_index,
            polarisations=(pol,),
            substrate_index=substrate_index,
        )  # raises its ValueError
    return _mode_total(k0 * x, n, n_c, n_s, pol)


def _mode_total(xi, n, n_c, n_s, pol) -> int:
    """The number of modes above the cut-off: ⌊Θ(n_lo)/π⌋ + 1, as _effective_indices counts."""
    n_lo = max(n_s, n_c)
    if float(n.max()) <= n_lo:
        return 0
    steps = _build_steps(xi, n, pol, _checked_work(_substeps(xi, n), xi))
    theta = _prufer_mismatch(
        n_lo * n_lo,
        steps.p,
        steps.q0,
        steps.q1,
        steps.c0,
        steps.c1,
        _match_node(steps, n, n_lo),
        *_slopes(n_lo, n_c, n_s, pol),
    )
    total = int(math.floor(theta / math.pi)) + 1
    if total > _MAX_MODES:
        raise ValueError(
            f"the profile guides {total} {pol} modes (more than {_MAX_MODES}) over a depth of "
            f"{xi[-1] / (2 * math.pi):.4g} wavelengths; is depth in metres?"
        )
    return total


def wkb_effective_indices(
    depth, index, wavelength: float, *, polarisation: str = "TE", cover_index: float = 1.0
) -> np.ndarray:
    """WKB estimate of the effective indices N_0 > N_1 > … (docs/physics.md §3.5).

        k0 ∫ √(n²(x) − N²) dx = (m + φ(N)) π,   φ = 1/4 + (1/π) arctan(ρ √((N² − n_c²)/(n(0)² − N²)))

    ρ = 1 (TE) or (n(0)/n_c)² (TM) (physics.optics.wkb_phase, the cover phase of the whole
    chain); the integral runs over where n > N, i.e. from the surface to the turning point
    x_m (n(x_m) = N) of a profile decreasing from the surface, and each linear piece is
    integrated exactly. Valid for a smooth
    profile with its maximum at the surface; modes with N ≥ n(0) are not returned. Its error
    is largest for the lowest orders (the turning-point formula assumes a locally linear
    profile over a wavelength or so) and vanishes as m grows.

    Args: depth (m), index (dimensionless), wavelength λ (m) as in solve_modes;
    polarisation "TE" or "TM"; cover_index n_c (dimensionless). The substrate is index[-1].
    Returns an array of N (dimensionless), possibly empty.
    """
    x, n, n_s = _checked_profile(depth, index, None)
    k0 = vacuum_wavenumber(wavelength)
    n_c = _checked_index(cover_index, "cover_index")
    (pol,) = _checked_polarisations((polarisation,))
    if n[0] < n_c:
        raise ValueError(
            f"the index profile lies below the cover index at the surface (n(0) = {n[0]:.6g} < "
            f"cover_index = {n_c:.6g}); a guided mode needs n > n_c"
        )
    n_lo = max(n_s, n_c)
    if n[0] <= n_lo:
        return np.empty(0)
    xi = k0 * x

    def mismatch(N, m):
        return _wkb_phase_integral(xi, n, N) / math.pi - m - float(wkb_phase(N, n[0], n_c, pol))

    excess = mismatch(n_lo, 0)  # modes m < excess are guided
    out = []
    for m in range(int(math.ceil(excess)) if excess > 0 else 0):
        if mismatch(n[0], m) >= 0:  # the WKB root would lie above n(0): outside the formula
            break
        out.append(brentq(mismatch, n_lo, n[0], args=(m,), xtol=_ROOT_XTOL, rtol=_ROOT_RTOL))
    return np.array(out, dtype=float)


# --------------------------------------------------------------------------- input checks


def _checked_profile(depth, index, substrate_index):
    """(depth m, index, n_s) as float arrays after the checks solve_modes documents."""
    x = np.asarray(depth, dtype=float)
    n = np.asarray(index, dtype=float)
    if x.ndim != 1 or n.ndim != 1 or x.size != n.size:
        raise ValueError(
            f"depth and index must be 1-D arrays of equal length, got shapes {x.shape} and {n.shape}"
        )
    if x.size < 2:
        raise ValueError(f"the profile needs at least 2 points, got {x.size}")
    if not np.all(np.isfinite(x)):
        raise ValueError(
            f"depth has a non-finite value at position {int(np.argmin(np.isfinite(x)))}"
        )
    if not np.all(np.isfinite(n)):
        raise ValueError(
            f"index has a non-finite value at position {int(np.argmin(np.isfinite(n)))}"
        )
    if x[0] != 0.0:
        raise ValueError(
            f"depth[0] must be 0 (the surface), got {x[0]!r} m; prepend the surface point (0, n(0))"
        )
    steps = np.diff(x)
    if np.any(steps <= 0):
        i = int(np.argmax(steps <= 0))
        raise ValueError(
            f"depth must be strictly increasing: depth[{i + 1}] = {x[i + 1]!r} m does not exceed depth[{i}] = {x[i]!r} m"
        )
    if np.any(n <= 0):
        raise ValueError(f"index must be positive, got {n[int(np.argmax(n <= 0))]!r}")
    n_s = (
        float(n[-1])
        if substrate_index is None
        else _checked_index(substrate_index, "substrate_index")
    )
    return x, n, n_s


def _checked_index(value, name: str) -> float:
    v = float(value)
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a positive finite refractive index, got {value!r}")
    return v


def _checked_polarisations(polarisations) -> tuple:
    pols = (polarisations,) if isinstance(polarisations, str) else tuple(polarisations)
    for p in pols:
        check_polarisation(p)
    return tuple(dict.fromkeys(pols))


# --------------------------------------------------------------------------- Magnus steps


@dataclass(frozen=True)
class _Steps:
    """Magnus steps of a profile for one polarisation, in reduced depth ξ = k0 x.

    For step i, with N2 = N²: h·ā = p, h·b̄ = q0 − N2·q1, c = c0 − N2·c1 (see the module
    docstring). node[j] is the step boundary at profile point j; xi the boundaries.
    """

    p: np.ndarray
    q0: np.ndarray
    q1: np.ndarray
    c0: np.ndarray
    c1: np.ndarray
    node: np.ndarray
    xi: np.ndarray
    index: np.ndarray  # n at the step boundaries


def _substeps(xi: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Magnus substeps per interval: s = ⌈(h³ Δq² / tol)^(1/4)⌉, Δq = |Δ(n²)|, h = Δξ.

    The fourth-order Magnus step on a linear q = n² has a local error ~ h⁵ q'², i.e.
    h³Δq²/s⁴ for an interval of length h split into s substeps; with tol = 1e-8 the
    resulting error in N measured on exponential profiles of 20–5000 points is ≤ 1e-11
    (1e-13 for fine meshes, where s = 1). Constant intervals need one step whatever their
    length: the step is exact there.
    """
    h = np.diff(xi)
    dq = np.abs(n[1:] ** 2 - n[:-1] ** 2)
    with np.errstate(over="ignore", invalid="ignore"):
        s = np.ceil((h**3 * dq**2 / _MAGNUS_TOL) ** 0.25)
    # an absurd profile (depths of 1e300 m) overflows here: counted as too much work, not cast to a negative int
    s = np.where(np.isfinite(s), s, float(_MAX_STEPS) + 1.0)
    return np.maximum(np.minimum(s, float(_MAX_STEPS) + 1.0), 1.0).astype(np.int64)


def _checked_work(substeps: np.ndarray, xi: np.ndarray) -> np.ndarray:
    """``substeps``, after checking that their total stays below _MAX_STEPS."""
    total = int(substeps.sum())
    if total > _MAX_STEPS:
        raise ValueError(
            f"the profile would need {total} integration steps (more than {_MAX_STEPS}): it spans "
            f"{xi[-1] / (2 * math.pi):.4g} wavelengths with steep graded intervals; is depth in metres?"
        )
    return substeps


def _build_steps(xi: np.ndarray, n: np.ndarray, pol: str, substeps: np.ndarray) -> _Steps:
    """The Magnus coefficients of the piecewise-linear profile split into ``substeps``."""
    seg = np.repeat(np.arange(xi.size - 1), substeps)
    node = np.concatenate(([0], np.cumsum(substeps)))
    k = np.arange(seg.size) - node[seg]  # substep number within its interval
    s = substeps[seg].astype(float)
    start = k / s
    stop = (k + 1) / s
    t = np.concatenate((start, [1.0]))
    seg_b = np.concatenate((seg, [xi.size - 2]))
    bounds = xi[seg_b] + t * (xi[seg_b + 1] - xi[seg_b])
    bounds[node] = xi  # exact profile points
    nodes_n = n[seg_b] + t * (n[seg_b + 1] - n[seg_b])
    nodes_n[node] = n
    h = np.diff(bounds)
    g = 0.5 - math.sqrt(3.0) / 6.0  # Gauss–Legendre points of the step
    na, nb = n[seg], n[seg + 1]
    n1 = na + (start + g * (stop - start)) * (nb - na)
    n2 = na + (stop - g * (stop - start)) * (nb - na)
    g1, g2 = n1 * n1, n2 * n2
    kappa = math.sqrt(3.0) / 12.0 * h * h
    if pol == "TE":
        p = h.copy()
        q0 = 0.5 * h * (g1 + g2)
        q1 = h.copy()
        c0 = kappa * (g2 - g1)
        c1 = np.zeros_like(h)
    else:
        p = 0.5 * h * (g1 + g2)
        q0 = h.copy()
        q1 = 0.5 * h * (1.0 / g1 + 1.0 / g2)
        c0 = kappa * (g1 - g2)
        c1 = kappa * (g1 / g2 - g2 / g1)
    return _Steps(p, q0, q1, c0, c1, node, bounds, nodes_n)


@njit(cache=True)
def _step_functions(d):
    """(C, S, half-turns, log-scale) of exp(Ω) = e^scale (C I + S Ω) for Ω² = d I.

    d < 0: C = cos ω, S = sin ω/ω, ω = √−d, half-turns ⌊ω/π⌋; d > 0: cosh/sinh, scaled by
    e^−μ when μ = √d > 20 so that thick evanescent layers cannot overflow.
    """
    if abs(d) < 1e-3:
        # series: the closed forms lose digits (sin ω/ω) near d = 0
        c = 1.0 + d * (0.5 + d * (1.0 / 24.0 + d * (1.0 / 720.0 + d / 40320.0)))
        s = 1.0 + d * (1.0 / 6.0 + d * (1.0 / 120.0 + d * (1.0 / 5040.0 + d / 362880.0)))
        return c, s, 0, 0.0
    if d < 0.0:
        w = math.sqrt(-d)
        return math.cos(w), math.sin(w) / w, int(w / math.pi), 0.0
    mu = math.sqrt(d)
    if mu > 20.0:
        e = math.exp(-2.0 * mu)
        return 0.5 * (1.0 + e), 0.5 * (1.0 - e) / mu, 0, mu
    return math.cosh(mu), math.sinh(mu) / mu, 0, 0.0


@njit(cache=True)
def _sweep(n2, p, q0, q1, c0, c1, first, last, backward, u, w):
    """Propagate y = (u, w) over steps first..last−1 (backward: from last down to first).

    Returns (zeros of u crossed, u, w) with (u, w) rescaled by a positive factor whenever
    it grows or shrinks by 1e150 (the direction is all the counting needs).
    """
    zeros = 0
    for k in range(last - first):
        i = last - 1 - k if backward else first + k
        c = c0[i] - n2 * c1[i]
        hb = q0[i] - n2 * q1[i]
        pa = p[i]
        cc, ss, turns, _ = _step_functions(c * c - pa * hb)
        if backward:  # exp(−Ω)
            c, pa, hb = -c, -pa, -hb
        un = (cc + ss * c) * u + ss * pa * w
        wn = -ss * hb * u + (cc - ss * c) * w
        # u(t) on the step is a sinusoid of phase span ω: ⌊ω/π⌋ or one more zeros, the
        # parity being fixed by the signs at the ends
        if (turns % 2 == 1) != ((un < 0.0) != (u < 0.0)):
            turns += 1
        zeros += turns
        u, w = un, wn
        a = max(abs(u), abs(w))
        if a > 1e150 or a < 1e-150:
            u, w = u / a, w / a
    return zeros, u, w


@njit(cache=True)
def _prufer_mismatch(n2, p, q0, q1, c0, c1, match, cover_slope, substrate_slope):
    """Θ = θ_L(x_m) − θ_R(x_m): Prüfer angle from the cover minus that from the substrate.

    The cover solution starts as (1, cover_slope) at ξ = 0, the substrate one as
    (1, −substrate_slope) at the last point; x_m is the step boundary ``match``. The number
    of modes above N is ⌊Θ/π⌋ + 1; mode m has Θ = mπ.
    """
    zl, ul, wl = _sweep(n2, p, q0, q1, c0, c1, 0, match, False, 1.0, cover_slope)
    zr, ur, wr = _sweep(n2, p, q0, q1, c0, c1, match, p.size, True, 1.0, -substrate_slope)
    sl = 1.0 if zl % 2 == 0 else -1.0
    sr = 1.0 if zr % 2 == 0 else -1.0
    return (zl + zr) * math.pi + math.atan2(sl * ul, sl * wl) - math.atan2(sr * ur, sr * wr)


def _slopes(N: float, n_c: float, n_s: float, pol: str) -> tuple[float, float]:
    """w/u of the exponential tails: √(N² − n_c²)·ρ_c into the cover, √(N² − n_s²)·ρ_s
    into the substrate; ρ = 1 (TE) or 1/n² (TM, w = H'/n²). Dimensionless (ξ units)."""
    gc = math.sqrt(max(N * N - n_c * n_c, 0.0))
    gs = math.sqrt(max(N * N - n_s * n_s, 0.0))
    if pol == "TM":
        return gc / (n_c * n_c), gs / (n_s * n_s)
    return gc, gs


def _match_node(steps: _Steps, n: np.ndarray, N: float) -> int:
    """Step boundary at the deepest profile point with n ≥ N (0 if there is none)."""
    above = np.nonzero(n >= N)[0]
    return int(steps.node[above[-1]]) if above.size else 0


def _effective_indices(xi, n, n_c, n_s, pol) -> list[float]:
    """N_0 > N_1 > … of one polarisation (dimensionless)."""
    n_lo = max(n_s, n_c)
    n_hi = float(n.max())
    if n_hi <= n_lo:
        return []
    steps = _build_steps(xi, n, pol, _checked_work(_substeps(xi, n), xi))
    arrays = (steps.p, steps.q0, steps.q1, steps.c0, steps.c1)
    # every evaluation tells how many modes lie above its N (the count does not depend on
    # the matching point): these {N: count} pairs bracket every later mode
    known = {n_hi: 0}

    def mismatch(N, match):
        theta = _prufer_mismatch(N * N, *arrays, match, *_slopes(N, n_c, n_s, pol))
        known[N] = int(math.floor(theta / math.pi)) + 1
        return theta

    mismatch(n_lo, _match_node(steps, n, n_lo))
    total = known[n_lo]
    if total > _MAX_MODES:
        raise ValueError(
            f"the profile guides {total} {pol} modes (more than {_MAX_MODES}) over a depth of "
            f"{xi[-1] / (2 * math.pi):.4g} wavelengths; is depth in metres?"
        )
    found = []
    for m in range(total):
        lo = max(N for N, count in known.items() if count >= m + 1)
        hi = min(N for N, count in known.items() if count <= m)
        match = _match_node(steps, n, hi)
        target = m * math.pi
        try:
            root = brentq(
                lambda N: mismatch(N, match) - target, lo, hi, xtol=_ROOT_XTOL, rtol=_ROOT_RTOL
            )
        except ValueError as exc:  # the bracket failed to change sign: rounding, not physics
            raise SolverError(
                f"{pol} mode {m}: the mode condition did not change sign in [{lo!r}, {hi!r}] ({exc})"
            ) from None
        found.append(float(root))
        # points above N_m cannot bracket the later (lower) modes; N_m itself has m above it
        known = {N: count for N, count in known.items() if N < root or N == n_lo}
        known.setdefault(root, m)
    return found


# --------------------------------------------------------------------------- fields


@njit(cache=True)
def _sweep_store(n2, p, q0, q1, c0, c1, first, last, backward, u, w, out_u, out_w, out_log):
    """As _sweep, storing (u, w) at every boundary first..last with the running log-scale:
    the solution is (out_u, out_w)·exp(out_log)."""
    log = 0.0
    j = last if backward else first
    out_u[j], out_w[j], out_log[j] = u, w, log
    for k in range(last - first):
        i = last - 1 - k if backward else first + k
        c = c0[i] - n2 * c1[i]
        hb = q0[i] - n2 * q1[i]
        pa = p[i]
        cc, ss, _, scale = _step_functions(c * c - pa * hb)
        if backward:
            c, pa, hb = -c, -pa, -hb
        un = (cc + ss * c) * u + ss * pa * w
        wn = -ss * hb * u + (cc - ss * c) * w
        log += scale
        a = max(abs(un), abs(wn))
        u, w = un / a, wn / a
        log += math.log(a)
        j = i if backward else i + 1
        out_u[j], out_w[j], out_log[j] = u, w, log


def _field_substeps(xi, n, N, magnus):
    """Substeps per interval on the field grid: at most _FIELD_PHASE of phase per step in
    guiding parts, 2.5·_FIELD_PHASE of decay in evanescent ones (capped)."""
    h = np.diff(xi)
    top = np.maximum(n[1:], n[:-1]) ** 2 - N * N
    bottom = N * N - np.minimum(n[1:], n[:-1]) ** 2
    osc = np.ceil(h * np.sqrt(np.maximum(top, 0.0)) / _FIELD_PHASE)
    decay = np.minimum(
        np.ceil(h * np.sqrt(np.maximum(bottom, 0.0)) / (2.5 * _FIELD_PHASE)), _FIELD_MAX_DECAY_STEPS
    )
    return np.maximum.reduce([magnus, osc.astype(np.int64), decay.astype(np.int64)])


def _mode_field(xi, n, n_c, n_s, pol, N):
    """(ξ, u, node) of mode N: u = E (TE) or H (TM) with ∫u² dξ = 1 and u(0) > 0, on a
    grid ξ whose entries ``node`` are the profile points.

    Shot from the cover up to the last turning point and from the substrate back to it,
    each in its stable direction, and joined there; normalised with ∫u² over each step
    (exact for the Magnus solution, _step_square_integrals) plus the exponential tails.
    """
    steps = _build_steps(xi, n, pol, _checked_work(_field_substeps(xi, n, N, _substeps(xi, n)), xi))
    arrays = (steps.p, steps.q0, steps.q1, steps.c0, steps.c1)
    size = steps.p.size + 1
    u, w, log = np.empty(size), np.empty(size), np.empty(size)
    gc, gs = _slopes(N, n_c, n_s, pol)
    match = _match_node(steps, n, N)
    _sweep_store(N * N, *arrays, 0, match, False, 1.0, gc, u, w, log)
    ul, wl, ll = u[match], w[match], log[match]
    _sweep_store(N * N, *arrays, match, size - 1, True, 1.0, -gs, u, w, log)
    ur, wr, lr = u[match], w[match], log[match]
    # the two shots are parallel at the match (an eigenvalue): scale the substrate one
    ratio = (ul * ur + wl * wr) / (ur * ur + wr * wr)
    scale = np.empty(size)
    scale[:match] = log[:match] - ll
    scale[match:] = log[match:] - lr + math.log(abs(ratio))
    sign = np.ones(size)
    sign[match:] = math.copysign(1.0, ratio)
    amp = sign * np.exp(scale)
    u = u * amp
    norm = _step_square_integrals(steps, N * N, u).sum()
    tail_c = gc * n_c * n_c if pol == "TM" else gc  # the decay constants √(N² − n²)
    tail_s = gs * n_s * n_s if pol == "TM" else gs
    norm += u[0] ** 2 / (2.0 * tail_c) if tail_c > 0 else 0.0
    norm += u[-1] ** 2 / (2.0 * tail_s) if tail_s > 0 else 0.0
    u = u / math.sqrt(norm)
    return steps.xi, (u if u[0] >= 0 else -u), steps.node


def _step_square_integrals(steps: _Steps, n2: float, u: np.ndarray) -> np.ndarray:
    """∫ u² dξ over each step, exactly for the Magnus solution, from the end values u0, u1.

    On a step u(t) satisfies u'' = d u in t ∈ [0, 1] (Ω² = d I), so
    u = [u0 sinh(μ(1−t)) + u1 sinh(μt)]/sinh μ (μ = √d; sin for d < 0) and
    ∫ u² = h [(u0² + u1²) a(d) + 2 u0 u1 b(d)],
    a = coth μ/(2μ) − 1/(2 sinh²μ),  b = (cosh μ − sinh μ/μ)/(2 sinh²μ).
    This end-value form stays accurate for any decay per step (a → 1/(2μ), b → 0), where a
    form built from one end would cancel catastrophically. Needs ω = √−d < π (the field
    grid keeps ω ≤ 0.2).
    """
    c = steps.c0 - n2 * steps.c1
    d = c * c - steps.p * (steps.q0 - n2 * steps.q1)
    h = np.diff(steps.xi)
    a = np.empty_like(d)
    b = np.empty_like(d)
    small = np.abs(d) < 1e-2
    ds = d[small]  # series (the closed forms cancel near d = 0)
    a[small] = 1.0 / 3.0 + ds * (-2.0 / 45.0 + ds * (2.0 / 315.0 - ds * 4.0 / 4725.0))
    b[small] = 1.0 / 6.0 + ds * (-7.0 / 180.0 + ds * (31.0 / 5040.0 - ds * 127.0 / 151200.0))
    hyp = d >= 1e-2
    mu = np.sqrt(d[hyp])
    e = np.exp(-mu)
    inv_sinh = 2.0 * e / (1.0 - e * e)
    coth = (1.0 + e * e) / (1.0 - e * e)
    a[hyp] = coth / (2.0 * mu) - 0.5 * inv_sinh**2
    b[hyp] = 0.5 * inv_sinh * (coth - 1.0 / mu)
    osc = d <= -1e-2
    w = np.sqrt(-d[osc])
    sw, cw = np.sin(w), np.cos(w)
    a[osc] = 0.5 / sw**2 - cw / sw / (2.0 * w)
    b[osc] = (sw / w - cw) / (2.0 * sw**2)
    u0, u1 = u[:-1], u[1:]
    return h * ((u0 * u0 + u1 * u1) * a + 2.0 * u0 * u1 * b)


# --------------------------------------------------------------------------- WKB


def _wkb_phase_integral(xi, n, N) -> float:
    """∫ √(max(n² − N², 0)) dξ over the piecewise-linear profile (ξ = k0 x), exactly.

    On a piece with slope s = dn/dξ: (G(n_b) − G(n_a))/s, G(ν) = ½[ν t − N² asinh(t/N)],
    t = √(max(ν² − N², 0)); near-flat pieces by the midpoint value (no cancellation).
    """
    na, nb = n[:-1], n[1:]
    h = np.diff(xi)

    def G(nu):
        t = np.sqrt(np.maximum(nu * nu - N * N, 0.0))
        return 0.5 * (nu * t - N * N * np.arcsinh(t / N))

    dn = nb - na
    flat = np.abs(dn) < 1e-7 * np.maximum(np.abs(na), 1.0)
    mid = 0.5 * (na + nb)
    safe = np.where(flat, 1.0, dn)
    exact = np.where(
        flat, h * np.sqrt(np.maximum(mid * mid - N * N, 0.0)), (G(nb) - G(na)) * h / safe
    )
    return float(np.sum(exact))
