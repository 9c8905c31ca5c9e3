"""Inverse WKB (IWKB): the refractive-index profile n(x) of a planar graded waveguide from
the effective indices N_m of its guided modes (docs/physics.md §3.7; White & Heidrich 1976,
Chiang 1985), the stress at the TM turning points (docs/physics.md §3.7; Rogoziński 2019),
and a least-squares fit of a diffusion profile to the reconstructed points.

The WKB mode condition of a monotonically decreasing profile under a cover of index n_c is

    k0 ∫_0^{x_m} √(n²(x) − N_m²) dx = (m + φ_m) π,   n(x_m) = N_m,   k0 = 2π/λ,

with φ_m = 1/4 (the turning point) + Φ_c/π (the cover interface),
Φ_c = arctan(ρ√((N² − n_c²)/(n_s² − N²))), ρ = 1 (TE) or (n_s/n_c)² (TM)
(physics.optics.wkb_phase). This exact phase is the only one used: the textbook 3/4 (its
high-contrast limit) is 0.71–0.74 for TE under air on a K⁺/Na⁺ guide, and a chain that used
3/4 in one place and the exact phase in another would mix two physics.

Discrete algorithm (White–Heidrich): the profile is the broken line through (0, n_s) and the
turning points (x_k, N_k). Unlike WH, who replace n² − N_m² by 2N_m(n − N_m), each straight
segment is integrated exactly:

    ∫_{seg} √(n² − N²) dx = (ΔX/Δν) [G(ν_hi; N) − G(ν_lo; N)],  G(ν; N) = ∫_N^ν √(t² − N²) dt
                          = ½[ν s − N² asinh(s/N)],  s = √(ν² − N²).

WH's √(2N(n − N)) falls short of √((n + N)(n − N)) by a relative ≈ (n − N)/(4N) ≤ Δn/(4n):
≈ 0.17 % of the phase integral, so depths come out up to ≈ 0.17 % too deep for Δn = 0.01
on n = 1.5. Integrating exactly removes that at no cost; the errors left are the chord
approximation of a curved profile between turning points (it shrinks as the mode count
grows) and the error of the surface index n_s.

The last segment of mode m ends at the unknown x_m with ν = N_m, so the condition is linear
in x_m and the depths follow one by one (x_0 from mode 0, x_1 from mode 1, …). The surface
index n_s is given, or estimated (Chiang's extrapolation, or the smoothest depths): see
reconstruct_profile for the choices and their measured errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import interpolate, optimize, special

from ..errors import SolverError
from ..physics.optics import vacuum_wavenumber, wkb_phase, check_polarisation

__all__ = [
    "ReconstructedProfile",
    "DiffusionProfileFit",
    "reconstruct_profile",
    "stress_at_tm_turning_points",
    "fit_diffusion_profile",
]

_START_PHASE = 0.75  # φ of a perfectly reflecting cover: the first Chiang pass, before n_s is known
CHIANG_EXPONENT = (
    2.0 / 3.0
)  # n_s − N ∝ (m + φ)^(2/3) near the surface of a profile with a finite slope


@dataclass(frozen=True, eq=False)
class ReconstructedProfile:
    """An index profile known at the surface and at the turning points of the modes.

    Attributes:
        depth: x in m: 0 (the surface) then the turning points x_0 < x_1 < … of the modes.
        index: n at those depths (dimensionless): n_s, then the effective indices N_0 > N_1 > ….
        surface_index: n_s = n(0) (dimensionless).
        method: how n_s was obtained: "chiang", "smooth" or "given".
        wavelength: vacuum wavelength λ in m.
        polarisation: "TE" or "TM" (it matters only through the cover phase).
        phase: φ_m used for each mode in k0∫√(n²−N_m²)dx = (m + φ_m)π (dimensionless).
    """

    depth: np.ndarray
    index: np.ndarray
    surface_index: float
    method: str
    wavelength: float
    polarisation: str
    phase: np.ndarray

    @property
    def turning_points(self) -> np.ndarray:
        """The depths x_m (m) of the modes' turning points, without the surface point."""
        return self.depth[1:]

    @property
    def effective_indices(self) -> np.ndarray:
        """The effective indices N_m (dimensionless) the profile was built from."""
        return self.index[1:]

    def index_at(self, depth) -> np.ndarray:
        """n(x) on the broken line through the points (x in m); NaN beyond the deepest point."""
        x = np.asarray(depth, dtype=float)
        n = np.interp(x, self.depth, self.index)
        return np.where((x >= 0.0) & (x <= self.depth[-1]), n, np.nan)[()]


def _segment_primitive(nu, effective_index):
    """G(ν; N) = ∫_N^ν √(t² − N²) dt = ½[ν s − N² asinh(s/N)], s = √(ν² − N²), for ν ≥ N.

    Dimensionless. The two terms cancel to a relative error ≈ 3ε(N/s)²: 5e-11 for ν − N = 1e-5,
    a negligible share of the phase integral.
    """
    N = effective_index
    s = np.sqrt(np.maximum((nu - N) * (nu + N), 0.0))
    return 0.5 * (nu * s - N**2 * np.arcsinh(s / N))


def _turning_points(
    effective_indices: np.ndarray, surface_index: float, phase: np.ndarray, k0: float
) -> np.ndarray:
    """Depths x_m (m) of the broken line through (0, n_s), (x_k, N_k) meeting each mode condition.

        Σ_{k=1}^{m+1} (X_k − X_{k−1})/(ν_{k−1} − ν_k) [G(ν_{k−1}; N_m) − G(ν_k; N_m)]
            = (m + φ_m) π / k0

    X_0 = 0, ν_0 = n_s, X_k = x_{k−1}, ν_k = N_{k−1}. effective_indices strictly decreasing,
    surface_index > N_0 (dimensionless), k0 in 1/m. Returns x_m even when they fail to
    increase (the caller judges): each step divides only by G(ν_m; N_m) > 0.
    """
    N = effective_indices
    nu = np.concatenate(([surface_index], N))
    X = np.zeros(N.size + 1)
    for m in range(N.size):
        target = (m + phase[m]) * math.pi / k0
        known = 0.0
        if m:
            slopes = (X[1 : m + 1] - X[:m]) / (nu[:m] - nu[1 : m + 1])
            rise = _segment_primitive(nu[:m], N[m]) - _segment_primitive(nu[1 : m + 1], N[m])
            known = float(np.sum(slopes * rise))
        # the last segment runs from (X_m, ν_m) down to (x_m, N_m), where G(N_m; N_m) = 0
        X[m + 1] = X[m] + (nu[m] - N[m]) * (target - known) / _segment_primitive(nu[m], N[m])
    return X[1:]


# --------------------------------------------------------------------------- input checks


def _checked_modes(effective_indices, minimum: int, why: str) -> np.ndarray:
    """N_m as a float array: 1-D, finite, at least ``minimum`` values, strictly decreasing."""
    N = np.asarray(effective_indices, dtype=float)
    if N.ndim != 1:
        raise ValueError(
            f"effective indices must be a 1-D sequence N_0 > N_1 > …, got shape {N.shape}"
        )
    if N.size < minimum:
        raise ValueError(f"IWKB needs at least {minimum} modes {why}, got {N.size}")
    if not np.all(np.isfinite(N)):
        m = int(np.argmin(np.isfinite(N)))
        raise ValueError(f"effective index of mode {m} is not finite: N_{m} = {N[m]!r}")
    steps = np.diff(N)
    if np.any(steps >= 0):
        m = int(np.argmax(steps >= 0)) + 1
        raise ValueError(
            f"effective indices must decrease strictly with mode order; mode {m} breaks it: "
            f"N_{m} = {N[m]:.7f} ≥ N_{m - 1} = {N[m - 1]:.7f} (is the list sorted from the "
            "fundamental mode down, one polarisation only?)"
        )
    return N


def _phase_rule(
    cover_index: float, polarisation: str, N: np.ndarray
) -> Callable[[float], np.ndarray]:
    """φ_m as a function of the surface index n_s (the exact cover phase), after checking n_c."""
    check_polarisation(polarisation)
    n_c = float(cover_index)
    if not (math.isfinite(n_c) and 0 < n_c < N[-1]):
        raise ValueError(
            f"cover_index must be a finite index below every effective index (N_min = {N[-1]:.6g}), "
            f"got {cover_index!r}"
        )
    return lambda n_s: np.asarray(wkb_phase(N, n_s, n_c, polarisation), dtype=float).reshape(
        N.shape
    )


def _first_backward_step(depths: np.ndarray) -> int | None:
    """The first mode m whose turning point is not deeper than its predecessor's (or the surface)."""
    bad = np.flatnonzero(np.diff(np.concatenate(([0.0], depths))) <= 0)
    return int(bad[0]) if bad.size else None


def _not_monotone(
    N: np.ndarray, n_s: float, depths: np.ndarray, m: int, hint: str = ""
) -> ValueError:
    before = "the surface" if m == 0 else f"mode {m - 1} (x = {depths[m - 1] * 1e6:.4g} µm)"
    return ValueError(
        f"the effective indices are not consistent with an index profile that decreases "
        f"monotonically from the surface: with surface index n_s = {n_s:.7f}, the turning point "
        f"of mode {m} (N_{m} = {N[m]:.7f}) comes out at x = {depths[m] * 1e6:.4g} µm, not deeper "
        f"than {before}. Check the mode list for missing or spurious modes, or the surface index"
        + (f"; {hint}" if hint else ".")
    )


# --------------------------------------------------------------------------- surface index


def _chiang_surface_index(N: np.ndarray, phase_of, degree: int, exponent: float) -> float:
    """n_s = N(Q = 0) of the least-squares polynomial N(t), t = Q^p, Q_m = m + φ_m (Chiang 1985).

    Q is the phase number of the mode condition, k0∫√(n² − N²)dx = Qπ; the turning point
    reaches the surface at Q = 0, where N = n_s. With φ = 3/4 this is Chiang's N(q = −3/4);
    with a constant φ it is N(q = −φ). With the exact cover phase φ_m depends on n_s, so
    n_s is iterated to a fixed point. The map contracts strongly (by ≈ −8e-3 per pass for a
    BK7 K+ guide in air: φ_m moves little with n_s at high contrast), so 5 passes or so reach
    rounding level.
    """
    orders = np.arange(N.size)
    n_s = float(np.polyval(np.polyfit((orders + _START_PHASE) ** exponent, N, degree), 0.0))
    for _ in range(100):
        if not n_s > N[0]:
            break
        q = orders + phase_of(n_s)
        updated = float(np.polyval(np.polyfit(q**exponent, N, degree), 0.0))
        converged = abs(updated - n_s) <= 1e-14 * n_s
        n_s = updated
        if converged:
            break
    else:
        raise SolverError(
            f"the Chiang surface index did not settle in 100 passes (last n_s = {n_s:.10f})"
        )
    if not n_s > N[0]:
        raise ValueError(
            f"the Chiang extrapolation N(q → surface) = {n_s:.7f} does not exceed N_0 = {N[0]:.7f}: "
            "the modes do not describe a profile peaked at the surface (or the polynomial degree "
            "is too high for this many modes); give the surface index or use surface_index='smooth'"
        )
    return n_s


def _roughness(depths: np.ndarray) -> float:
    """Σ (x_{m+1} − 2x_m + x_{m−1})² in m² — small for depths varying smoothly with order."""
    return float(np.sum(np.diff(depths, 2) ** 2))


def _smooth_surface_index(N: np.ndarray, phase_of, k0: float) -> float:
    """The n_s > N_0 minimising the roughness of the reconstructed depths x_m (bounded Brent).

    Searched as n_s = N_0 + t (N_0 − N_1) with t up to 10 (a linear surface slope gives
    t ≈ 1.3, a parabolic one ≈ 0.75). Small n_s sends x_0 deep and the depths out of order;
    the search starts at the smallest t giving increasing depths (found by bisection, since
    the depths stay ordered once n_s is large enough).
    """
    spacing = N[0] - N[1]

    def depths(t: float) -> np.ndarray:
        n_s = N[0] + t * spacing
        return _turning_points(N, n_s, phase_of(n_s), k0)

    t_hi = 10.0
    x_hi = depths(t_hi)
    m = _first_backward_step(x_hi)
    if m is not None:
        raise _not_monotone(N, N[0] + t_hi * spacing, x_hi, m)
    t_lo = 0.0
    while t_hi - t_lo > 1e-9:  # bisection on "depths increase"
        mid = 0.5 * (t_lo + t_hi)
        if _first_backward_step(depths(mid)) is None:
            t_hi = mid
        else:
            t_lo = mid
    res = optimize.minimize_scalar(
        # 1 m² dwarfs any real roughness; a finite penalty keeps Brent's parabolas finite
        lambda t: _roughness(depths(t)) if _first_backward_step(depths(t)) is None else 1.0,
        bounds=(t_hi, 10.0),
        method="bounded",
        options={"xatol": 1e-9},
    )
    return float(N[0] + res.x * spacing)


# --------------------------------------------------------------------------- reconstruction


def reconstruct_profile(
    effective_indices,
    wavelength: float,
    *,
    surface_index="chiang",
    cover_index: float = 1.0,
    polarisation: str = "TE",
    chiang_degree: int | None = None,
    chiang_exponent: float = CHIANG_EXPONENT,
) -> ReconstructedProfile:
    """The index profile at the modes' turning points by inverse WKB (White–Heidrich, exact segments).

        k0 ∫_0^{x_m} √(n²(x) − N_m²) dx = (m + φ_m) π,  n piecewise linear through (0, n_s), (x_k, N_k)

    solved for x_0, x_1, … in turn (module docstring).

    Args:
        effective_indices: N_0 > N_1 > … of one polarisation (dimensionless): at least 2
            with a given n_s, 3 for "chiang" or "smooth".
        wavelength: vacuum wavelength λ in m.
        surface_index: n_s = n(0) (dimensionless), or how to estimate it:
            "chiang": extrapolate a least-squares polynomial N(t), t = (m + φ_m)^chiang_exponent,
            to the surface, where the phase number m + φ is 0 (Chiang's N(q = −3/4) in
            the high-contrast limit φ = 3/4 with the exponent 1). Robust to noise in N. With the exponent 1 (a
            polynomial in q) it is biased for profiles with a non-zero surface slope: near
            the surface n_s − N ∝ (m + φ)^(2/3) has an infinite slope in q, and for an erfc
            profile a quadratic in q puts n_s low by ≈ 0.13 Δn, enough to throw the depths
            out of order at 15 modes. Hence the default t = (m + φ)^(2/3) with a cubic: the
            exact leading law of a linear surface slope (exact to 4e-11 on a linear profile),
            still fair on a parabolic top. Measured on exact WKB modes of erfc and Gaussian
            profiles with 5–15 modes: |n_s error| 0.003–0.04 Δn, falling with the mode
            count. The price is noise: its n_s scatters 2–6× more than that of a quadratic
            in q (≈ 3× the noise in N at 10 modes).
            "smooth": the n_s > N_0 minimising Σ(x_{m+1} − 2x_m + x_{m−1})² (bounded scalar
            minimisation); measured |n_s error| 0.005–0.08 Δn on the same profiles, and its
            scatter under noise is 1–5× that of "chiang".
            A number: used as given (it must exceed N_0).
        The cover phase is the exact one, φ_m = 1/4 + (1/π) arctan(ρ√((N_m² − n_c²)/(n_s² − N_m²))),
            ρ = 1 (TE) or (n_s/n_c)² (TM) (physics.optics.wkb_phase). φ_m depends on n_s but
            not on the unknown depths, so each condition stays linear in its x_m once n_s is
            fixed; "chiang" iterates n_s to a fixed point, "smooth" recomputes φ_m for every
            trial n_s. On an erfc guide in BK7 under air it brings WKB within 1.7e-5 (mode 0)
            and ≤ 1.2e-6 (modes ≥ 3) of the exact (Maxwell) modes, against 1.5–4.2e-5 for 3/4.
        cover_index: n_c of the cover (dimensionless; 1.0 = air), below every N_m.
        polarisation: "TE" or "TM"; it enters only through the exact cover phase.
        chiang_degree: degree of the "chiang" polynomial; None: 3, lowered to M − 2 for
            M < 5 modes so that the fit keeps at least one degree of freedom to smooth with.
        chiang_exponent: p in t = (m + φ)^p of the "chiang" fit (1 = Chiang's q).

    Returns a ReconstructedProfile (depths in m). Raises ValueError for malformed modes
    (naming the first offending order) and for modes that no monotone profile can produce.
    """
    if isinstance(surface_index, str) and surface_index not in ("chiang", "smooth"):
        raise ValueError(
            f"surface_index must be 'chiang', 'smooth' or a number, got {surface_index!r}"
        )
    if surface_index == "chiang":
        N = _checked_modes(effective_indices, 3, "to extrapolate the surface index (Chiang)")
        degree = min(3, N.size - 2) if chiang_degree is None else chiang_degree
        if not (isinstance(degree, (int, np.integer)) and 1 <= degree < N.size):
            raise ValueError(
                f"chiang_degree must be an integer from 1 to {N.size - 1} (the number of modes − 1), "
                f"got {chiang_degree!r}"
            )
        if not (math.isfinite(chiang_exponent) and chiang_exponent > 0):
            raise ValueError(f"chiang_exponent must be a positive number, got {chiang_exponent!r}")
    elif surface_index == "smooth":
        N = _checked_modes(effective_indices, 3, "to judge the smoothness of the depths")
    else:
        N = _checked_modes(effective_indices, 2, "(one mode cannot fix a profile)")
    k0 = vacuum_wavenumber(wavelength)
    phase_of = _phase_rule(cover_index, polarisation, N)

    if surface_index == "chiang":
        n_s, method = (
            _chiang_surface_index(N, phase_of, int(degree), float(chiang_exponent)),
            "chiang",
        )
    elif surface_index == "smooth":
        n_s, method = _smooth_surface_index(N, phase_of, k0), "smooth"
    else:
        n_s, method = float(surface_index), "given"
        if not (math.isfinite(n_s) and n_s > N[0]):
            raise ValueError(
                f"surface_index must exceed the fundamental effective index N_0 = {N[0]:.7f}, got {surface_index!r}"
            )

    phase = phase_of(n_s)
    phase.setflags(write=False)  # the result is frozen: so are its arrays
    depths = _turning_points(N, n_s, phase, k0)
    m = _first_backward_step(depths)
    if m is not None:
        hint = (
            ""
            if method == "given"
            else f"the {method!r} estimate of n_s may be off: try the other or give n_s."
        )
        raise _not_monotone(N, n_s, depths, m, hint)
    depth, index = np.concatenate(([0.0], depths)), np.concatenate(([n_s], N))
    depth.setflags(write=False)
    index.setflags(write=False)
    return ReconstructedProfile(
        depth=depth,
        index=index,
        surface_index=n_s,
        method=method,
        wavelength=float(wavelength),
        polarisation=polarisation,
        phase=phase,
    )


# --------------------------------------------------------------------------- stress (Rogoziński)


def stress_at_tm_turning_points(
    te_indices,
    tm_indices,
    wavelength: float,
    c_parallel: float,
    c_perp: float,
    *,
    cover_index: float = 1.0,
    surface_index="chiang",
    interpolation: str = "linear",
    include_surface: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """In-plane stress σ at the TM turning points from TE and TM mode indices (docs/physics.md §3.7).

        σ(x_m) = (n_TE(x_m) − N_m^TM) / (C∥ − C⊥),   n_TM(x_m) = N_m^TM at the TM turning point x_m

    Rogoziński's method (Rogoziński (2019) §4, "N*_TE by linear interpolation"): n_TE(x) is
    reconstructed from the TE modes, the turning points x_m from the TM modes, and n_TE is
    interpolated at each x_m. TM points deeper than the deepest TE point are dropped (no
    extrapolation). An error δN in the indices gives δσ ≈ δN/(C∥ − C⊥): 1e-4 ↔ ≈ 36 MPa,
    more once the depth errors it causes are counted.

    Args:
        te_indices, tm_indices: effective indices N_0 > N_1 > … of each polarisation.
        wavelength: λ in m.
        c_parallel, c_perp: elasto-optic constants C∥, C⊥ in Pa⁻¹ (docs/physics.md §4.1).
        cover_index: n_c (dimensionless), for the exact cover phase (TE and TM get their own
            phases; they differ by up to ≈ 0.03).
        surface_index: "chiang", "smooth", or a pair (n_s^TE, n_s^TM).
        interpolation: "linear" (the paper's, and the broken line IWKB assumes) or "pchip"
            (monotone cubic through the TE points): the chord of a curved profile between
            sparse deep TE points errs by ≈ n''h²/8, and pchip cut the rms σ error 1.6–2.4×
            (9.9 → 4.1 MPa erfc, 9.2 → 5.6 MPa Gaussian, exact modes, 9–13 per polarisation).
        include_surface: also return σ(0) = (n_s^TE − n_s^TM)/(C∥ − C⊥) at depth 0 (as
            extrapolated as the surface indices are).

    Returns (depth in m, σ in Pa; negative = compression).
    """
    c_par, c_per = float(c_parallel), float(c_perp)
    if not (math.isfinite(c_par) and math.isfinite(c_per) and c_par != c_per):
        raise ValueError(
            f"c_parallel and c_perp must be finite and differ, got {c_parallel!r} and {c_perp!r} 1/Pa"
        )
    if interpolation not in ("linear", "pchip"):
        raise ValueError(f"interpolation must be 'linear' or 'pchip', got {interpolation!r}")
    if isinstance(surface_index, str):
        s_te = s_tm = surface_index
    elif np.shape(surface_index) == (2,):
        s_te, s_tm = surface_index
    else:
        raise ValueError(
            f"surface_index must be 'chiang', 'smooth' or a pair (n_s TE, n_s TM), got {surface_index!r}"
        )
    profiles = {}
    for pol, modes, s_pol in (("TE", te_indices, s_te), ("TM", tm_indices, s_tm)):
        try:
            profiles[pol] = reconstruct_profile(
                modes,
                wavelength,
                surface_index=s_pol,
                polarisation=pol,
                cover_index=cover_index,
            )
        except ValueError as err:
            raise ValueError(f"{pol} modes: {err}") from None  # say which list is at fault
    te, tm = profiles["TE"], profiles["TM"]
    x = tm.turning_points
    inside = x <= te.depth[-1]
    x, n_tm = x[inside], tm.effective_indices[inside]
    if interpolation == "linear":
        n_te = te.index_at(x)
    else:
        n_te = interpolate.PchipInterpolator(te.depth, te.index)(x)
    sigma = (n_te - n_tm) / (c_par - c_per)
    if include_surface:
        x = np.concatenate(([0.0], x))
        sigma = np.concatenate((((te.surface_index - tm.surface_index) / (c_par - c_per),), sigma))
    return x, sigma


# --------------------------------------------------------------------------- diffusion-profile fit


_SHAPES: dict[str, Callable] = {
    "erfc": special.erfc,  # constant D, surface held (docs/physics.md §1.6)
    "gaussian": lambda u: np.exp(-u * u),  # a fixed dose spread from a closed surface
}


@dataclass(frozen=True)
class DiffusionProfileFit:
    """n(x) = n_b + Δn f(x/w) fitted to reconstructed profile points.

    Attributes:
        model: "erfc", "gaussian" or the name of the shape function.
        shape: f(u), with f(0) = 1 so that Δn is the surface index change.
        index_change, index_change_error: Δn and its standard error (dimensionless).
        width, width_error: w and its standard error in m.
        background_index, background_index_error: n_b and its standard error (0 if n_b was given).
        residual_rms: √(Σr²/n) of the index residuals (dimensionless).
        points: the number of points fitted.
    """

    model: str
    shape: Callable
    index_change: float
    index_change_error: float
    width: float
    width_error: float
    background_index: float
    background_index_error: float
    residual_rms: float
    points: int

    def index(self, depth) -> np.ndarray:
        """n(x) of the fitted profile, x in m."""
        return self.background_index + self.index_change * self.shape(
            np.asarray(depth, dtype=float) / self.width
        )


def _initial_width(
    shape: Callable, depth: np.ndarray, index: np.ndarray, n_b: float, dn: float
) -> float:
    """w such that the half-height depth of the data matches that of f (m)."""
    x_half = float(np.interp(0.5, ((index - n_b) / dn)[::-1], depth[::-1]))
    try:
        u_half = optimize.brentq(lambda u: float(shape(u)) - 0.5, 0.0, 50.0)
    except ValueError:
        u_half = 1.0
    return max(x_half / u_half, 1e-3 * depth[-1]) if x_half > 0 else depth[-1] / 2


def fit_diffusion_profile(
    recon: ReconstructedProfile,
    model="erfc",
    *,
    background_index: float | None = None,
    include_surface: bool = True,
) -> DiffusionProfileFit:
    """Least-squares fit of n(x) = n_b + Δn f(x/w) to the IWKB points (scipy least_squares).

        min Σ_i [n_b + Δn f(x_i/w) − n_i]²,   f = erfc, exp(−u²) or a given f(u), f(0) = 1

    Standard errors from the Jacobian J at the optimum: cov = s² (JᵀJ)⁻¹, s² = Σr²/(n − p),
    p the number of fitted parameters. They assume independent, equal index errors at the
    points; IWKB points are correlated (each depth depends on all shallower modes) and their
    error is partly systematic, so treat them as a lower bound on the uncertainty.

    Args:
        recon: the reconstructed profile (depths in m).
        model: "erfc", "gaussian", or a callable f(u) of the dimensionless depth u = x/w.
        background_index: n_b if known (dimensionless); None fits it too.
        include_surface: fit the surface point (0, n_s) as well as the turning points (n_s
            is itself an extrapolation; leave it out when it is doubtful).

    Returns a DiffusionProfileFit (width in m).
    """
    if callable(model):
        shape, name = model, getattr(model, "__name__", "custom")
    elif model in _SHAPES:
        shape, name = _SHAPES[model], model
    else:
        raise ValueError(f"model must be 'erfc', 'gaussian' or a callable f(u), got {model!r}")
    depth, index = (
        (recon.depth, recon.index) if include_surface else (recon.depth[1:], recon.index[1:])
    )
    fit_nb = background_index is None
    p = 3 if fit_nb else 2
    if depth.size < p:
        raise ValueError(f"fitting {p} parameters needs at least {p} points, got {depth.size}")

    # start: n_b a little below the deepest point, Δn from the top, w from the half-height depth
    span = float(index[0] - index[-1])
    n_b0 = float(index[-1] - 0.05 * span) if fit_nb else float(background_index)
    dn0 = float(recon.surface_index - n_b0)
    if not dn0 > 0:
        raise ValueError(
            f"background_index {background_index!r} must lie below the surface index {recon.surface_index:.7f}"
        )
    w0 = _initial_width(shape, recon.depth, recon.index, n_b0, dn0)

    def unpack(q):
        # fitted in units of the starting values, so that all unknowns are of order 1
        return q[0] * dn0, q[1] * w0, (n_b0 + q[2] * dn0 if fit_nb else n_b0)

    def residuals(q):
        dn, w, n_b = unpack(q)
        return (n_b + dn * shape(depth / w) - index) / dn0

    q0 = np.array([1.0, 1.0, 0.0][:p])
    lower = np.array([0.0, 1e-6, -np.inf][:p])
    tol = dict(
        xtol=1e-14, ftol=1e-14, gtol=1e-14
    )  # cheap problem: converge fully, so J is that of the optimum
    sol = optimize.least_squares(residuals, q0, bounds=(lower, np.inf), jac="3-point", **tol)
    dn, w, n_b = unpack(sol.x)
    r = sol.fun * dn0
    dof = depth.size - p
    if dof > 0:
        # cov in scaled units, then back to SI: index unknowns scale by dn0, w by w0
        jtj_inv = np.linalg.pinv(sol.jac.T @ sol.jac)
        s2 = float(np.sum(sol.fun**2)) / dof
        se = np.sqrt(np.maximum(np.diag(jtj_inv) * s2, 0.0)) * np.array([dn0, w0, dn0][:p])
    else:
        se = np.full(p, np.nan)
    return DiffusionProfileFit(
        model=name,
        shape=shape,
        index_change=float(dn),
        index_change_error=float(se[0]),
        width=float(w),
        width_error=float(se[1]),
        background_index=float(n_b),
        background_index_error=float(se[2]) if fit_nb else 0.0,
        residual_rms=float(np.sqrt(np.mean(r**2))),
        points=int(depth.size),
    )
