"""Refractive index of an ion-exchanged, stressed layer (docs/physics.md §3.4).

n_0(x) = n_b + Δn_0·χ(x) is the stress-free index (Δn_0: change at full exchange). A biaxial
in-plane stress σ (σ_yy = σ_zz = σ, σ_xx = 0) makes the layer birefringent through the
elasto-optic constants C_∥, C_⊥ (eq. 5):

    n_TE = n_0 + (C_∥ + C_⊥)·σ,     n_TM = n_0 + 2·C_⊥·σ

so that σ = (n_TE − n_TM)/(C_∥ − C_⊥) (eq. 6) and
n_0 = [(C_∥ + C_⊥)·n_TM − 2C_⊥·n_TE]/(C_∥ − C_⊥) (eq. 8). With C_∥ > C_⊥ (BK7:
C_∥ − C_⊥ = +2.8e-12 Pa⁻¹) compression (σ < 0) gives n_TM > n_TE, as observed for K⁺.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..validators import FieldError

__all__ = [
    "ElastoOptic",
    "stress_free_index",
    "stressed_indices",
    "stress_from_indices",
    "isotropic_index",
    "vacuum_wavenumber",
    "wkb_phase",
    "channel_indices",
]


POLARISATIONS = ("TE", "TM")  # the two polarisations of a planar guide's modes


def check_polarisation(value, name: str = "polarisation") -> str:
    """``value`` if it names a polarisation ("TE" or "TM"), else FieldError naming ``name``."""
    if not (isinstance(value, str) and value in POLARISATIONS):
        raise FieldError(name, value, "expected TE or TM")
    return value


@dataclass(frozen=True)
class ElastoOptic:
    """Elasto-optic constants (Pa⁻¹): dn = C·dσ for light polarised parallel (C_∥) or
    perpendicular (C_⊥) to a uniaxial stress."""

    c_parallel: float
    c_perp: float

    def __post_init__(self):
        if not (math.isfinite(self.c_parallel) and math.isfinite(self.c_perp)):
            raise ValueError("elasto-optic constants must be finite numbers of 1/Pa")
        if self.c_parallel == self.c_perp:
            raise ValueError("C_parallel = C_perp: the glass would show no stress birefringence")

    @property
    def stress_optic(self) -> float:
        """C_∥ − C_⊥ (Pa⁻¹), the stress-optic coefficient K."""
        return self.c_parallel - self.c_perp


def stress_free_index(frac, base_index: float, index_change: float):
    """n_0 = n_b + Δn_0·χ (docs/physics.md §3.4 eq. 7; χ the incoming-ion site fraction)."""
    return base_index + index_change * np.asarray(frac, dtype=float)


def stressed_indices(n0, stress, eo: ElastoOptic):
    """(n_TE, n_TM) of a layer with stress-free index n_0 and biaxial stress σ (Pa), eq. 5."""
    s = np.asarray(stress, dtype=float)
    return np.asarray(n0) + (eo.c_parallel + eo.c_perp) * s, np.asarray(n0) + 2.0 * eo.c_perp * s


def stress_from_indices(n_te, n_tm, eo: ElastoOptic):
    """σ = (n_TE − n_TM)/(C_∥ − C_⊥) in Pa (eq. 6)."""
    return (np.asarray(n_te, dtype=float) - np.asarray(n_tm, dtype=float)) / eo.stress_optic


def isotropic_index(n_te, n_tm, eo: ElastoOptic):
    """n_0 = [(C_∥ + C_⊥)n_TM − 2C_⊥ n_TE]/(C_∥ − C_⊥) (eq. 8)."""
    te = np.asarray(n_te, dtype=float)
    tm = np.asarray(n_tm, dtype=float)
    return ((eo.c_parallel + eo.c_perp) * tm - 2.0 * eo.c_perp * te) / eo.stress_optic


def vacuum_wavenumber(wavelength) -> float:
    """k0 = 2π/λ (1/m) of a vacuum wavelength λ (m); rejects a non-positive or non-finite λ."""
    lam = float(wavelength)
    if not (math.isfinite(lam) and lam > 0):
        raise ValueError(f"wavelength must be a positive length in m, got {wavelength!r}")
    return 2.0 * math.pi / lam


def wkb_phase(
    effective_index, surface_index: float, cover_index: float = 1.0, polarisation: str = "TE"
):
    """The WKB phase constant φ of a guided mode under a cover: k0∫√(n² − N²)dx = (m + φ)π.

        φ = 1/4 + (1/π) arctan(ρ √((N² − n_c²)/(n_s² − N²))),   ρ = 1 (TE), (n_s/n_c)² (TM)

    The 1/4 is the turning point's phase, the arctan the total reflection at the cover
    (Tien, Appl. Opt. 10 (1971) 2395; Chiang, J. Lightwave Technol. 3 (1985) 385). It is
    the one cover phase of ionex's forward WKB and inverse WKB. φ → 3/4 for a perfectly
    reflecting cover, and is exactly 3/4 at N = n_s; for a K⁺/Na⁺ guide in glass under air
    (Δn ≈ 0.01) it is only 0.71–0.74 for TE, so the textbook 3/4 errs by up to 0.04π.

    Args:
        effective_index: N (dimensionless), scalar or array, n_c < N ≤ n_s.
        surface_index: n_s = n(0), the index just below the cover (dimensionless).
        cover_index: n_c (dimensionless; 1.0 = air).
        polarisation: "TE" or "TM".
    Returns φ (dimensionless), the shape of N.
    """
    check_polarisation(polarisation)
    N = np.asarray(effective_index, dtype=float)
    rho = 1.0 if polarisation == "TE" else (surface_index / cover_index) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.sqrt(np.maximum(N**2 - cover_index**2, 0.0) / (surface_index**2 - N**2))
    return (0.25 + np.arctan(rho * np.where(N >= surface_index, np.inf, ratio)) / math.pi)[()]


def channel_indices(n0, sigma_xx, sigma_yy, sigma_zz, eo: ElastoOptic):
    """(n_TE, n_TM) of a channel-guide cross-section under a triaxial stress.

    Light polarised along axis i sees Δn_i = C_∥·σ_i + C_⊥·(σ_j + σ_k), {i, j, k} the
    three axes (x depth, y lateral, z along the guide). Quasi-TE light has E along y
    (parallel to the surface), quasi-TM along x:

        n_TE = n_0 + C_∥·σ_yy + C_⊥·(σ_xx + σ_zz),   n_TM = n_0 + C_∥·σ_xx + C_⊥·(σ_yy + σ_zz)

    A biaxial layer (σ_xx = 0, σ_yy = σ_zz = σ) gives stressed_indices (eq. 5). The shear
    σ_xy only tilts the index ellipsoid's axes in the cross-section; it changes the
    indices along x and y at second order and is left out.

    Args:
        n0: stress-free index n_0 (dimensionless), scalar or array.
        sigma_xx, sigma_yy, sigma_zz: normal stresses (Pa, compression < 0), broadcastable.
        eo: elasto-optic constants C_∥, C_⊥ (1/Pa).
    """
    sxx = np.asarray(sigma_xx, dtype=float)
    syy = np.asarray(sigma_yy, dtype=float)
    szz = np.asarray(sigma_zz, dtype=float)
    n = np.asarray(n0, dtype=float)
    n_te = n + eo.c_parallel * syy + eo.c_perp * (sxx + szz)
    n_tm = n + eo.c_parallel * sxx + eo.c_perp * (syy + szz)
    return n_te, n_tm
