"""Fully implicit Nernst–Planck–Poisson (NPP) solver for N mobile cations (docs/physics.md §2).

Model (docs/physics.md §2.1, [RECONSTRUCTED/STANDARD]): densities n_i(x, t) (m⁻³) of N cation
species with charges z_i on 0 ≤ x ≤ L, a fixed anionic background −n_0, and

    J_i = −D_i ∂n_i/∂x − z_i D_i n_i ∂ψ/∂x,          ψ = eφ/(k_B T)   (Nernst–Einstein)
    ∂n_i/∂t = −∂J_i/∂x,
    λ_D² ∂²ψ/∂x² = −(Σ_i z_i n_i/n_0 − 1),          λ_D² = ε_0 ε_r k_B T/(e² n_0).

Unknowns are scaled, c_i = n_i/n_0 and ψ = eφ/(k_B T), so that Newton sees O(1) numbers.

Space: cell-centred finite volumes. The flux across a face at distance h between centres
is the Scharfetter–Gummel flux

    J = (D_f/h) [B(v) c_L − B(−v) c_R],   v = z (ψ_R − ψ_L),   B(v) = v/(e^v − 1),

the exact steady flux for constant D and constant field across the face; it reduces to
central differences without field and to upwinding in strong fields, and keeps the
Newton matrix an M-matrix in c. With a concentration-dependent D_i(c_i), D_f is the
arithmetic mean of the two cell values (≈ the mean of D over the face's range of c, like
a Kirchhoff face for a gently varying D; documented choice, second order for smooth D).
Poisson uses the standard three-point flux λ_D² (ψ_R − ψ_L)/h.

Time: the NPP system is a DAE (Poisson has no time derivative; its fast mode, dielectric
relaxation, is ~1e-8 of a run). It is integrated with Alexander's stiffly accurate,
L-stable SDIRK3 (the coefficients of ionex.solvers._sdirk) with its embedded second-order
error estimate on the densities, filtered through the Newton matrix (Shampine). Each
stage is solved by a coupled Newton iteration on all (c_1 … c_N, ψ), interleaved per cell
so that the Jacobian is banded (2(N+1) − 1 diagonals on each side) and factorised by
LAPACK's banded LU (dgbtrf/dgbtrs). The boundary fluxes booked in the cumulative
inflow/outflow are the ones linearised in the last Newton update, so that the inventory
change of every step equals the booked boundary transport to round-off (interior fluxes
telescope exactly in the Newton system).

Boundary conditions (frozen dataclasses): ``ClosedFace`` (no ion flux, zero field),
``Bath`` (surface densities and potential held), ``Electrode`` (potential held, arriving
cations absorbed or blocked) and ``IonBeam`` (CAIT, docs/physics.md §2.2: beam inflow of one
species while the surface potential is below the source potential, aperture Robin
condition for the potential). A run can stop when the back-electrode charge reaches a
target (the delivered charge of a CAIT).

The module knows nothing of recipes, units or files: it takes a grid, species,
a medium and boundary conditions in SI floats.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import solve_banded
from scipy.linalg.lapack import dgbtrf, dgbtrs

from ..constants import BOLTZMANN, ELEMENTARY_CHARGE, VACUUM_PERMITTIVITY
from ..errors import SolverError
from ..grids import Grid
from ..validators import positive
from ._sdirk import A21, EMBEDDED_ORDER, ORDER, B, C, E, G
from .trackers import Tracker

__all__ = [
    "ORDER",
    "Bath",
    "ClosedFace",
    "ConstantDiffusivity",
    "Electrode",
    "IonBeam",
    "Medium",
    "NPPSolution",
    "Species",
    "bernoulli",
    "geometric_grid",
    "solve_npp",
]

C2 = C[1]
_MAX_NEWTON = 15


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class ConstantDiffusivity:
    """D_i independent of the fraction: frac ↦ (D, dD/dfrac) = (value, 0).

    Attributes:
        value: the diffusion coefficient (m²/s, > 0).
    """

    value: float

    def __post_init__(self):
        if not (math.isfinite(self.value) and self.value > 0):
            raise ValueError(
                f"diffusion coefficient must be finite and > 0 m²/s, got {self.value!r}"
            )

    def __call__(self, frac):
        frac = np.asarray(frac, dtype=float)
        return np.full(frac.shape, self.value), np.zeros(frac.shape)


@dataclass(frozen=True)
class Species:
    """One mobile cation.

    Attributes:
        name: label (e.g. "Li").
        diffusivity: D in m²/s (a positive float) or a callable frac ↦ (D, dD/dfrac),
            frac = n_i/n_0, vectorised over cells (e.g. a site-energy law, docs/physics.md §2.3).
        charge: z_i (integer, ≠ 0; +1 for Li⁺, Rb⁺, Cs⁺).
    """

    name: str
    diffusivity: float | Callable = 1e-18
    charge: int = 1

    def __post_init__(self):
        d = self.diffusivity
        if not callable(d):
            try:
                d = float(d)
            except (TypeError, ValueError):
                raise ValueError(
                    f"species {self.name!r}: diffusivity must be a number or a callable"
                ) from None
            if not (math.isfinite(d) and d > 0):
                raise ValueError(
                    f"species {self.name!r}: diffusion coefficient must be finite and > 0 m²/s, got {d!r}"
                )
            object.__setattr__(self, "diffusivity", ConstantDiffusivity(d))
        if int(self.charge) != self.charge or self.charge == 0:
            raise ValueError(
                f"species {self.name!r}: charge must be a non-zero integer, got {self.charge!r}"
            )


@dataclass(frozen=True)
class Medium:
    """The glass as seen by the NPP model.

    Attributes:
        background_density: n_0, the immobile anionic charge density in elementary charges
            per m³ (= the initial total mobile charge, uniform; m⁻³).
        relative_permittivity: ε_r (dimensionless).
        temperature: T (K).
    """

    background_density: float
    relative_permittivity: float
    temperature: float

    def __post_init__(self):
        for name in ("background_density", "relative_permittivity", "temperature"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ValueError(f"Medium.{name} must be finite and > 0, got {v!r}")

    @property
    def thermal_voltage(self) -> float:
        """k_B T/e (V)."""
        return BOLTZMANN * self.temperature / ELEMENTARY_CHARGE

    @property
    def debye_length(self) -> float:
        """λ_D = √(ε_0 ε_r k_B T/(e² n_0)) (m)."""
        return math.sqrt(
            VACUUM_PERMITTIVITY
            * self.relative_permittivity
            * self.thermal_voltage
            / (ELEMENTARY_CHARGE * self.background_density)
        )

    def dielectric_relaxation_time(self, diffusion_coefficient: float) -> float:
        """τ = ε_0 ε_r/σ = λ_D²/D (s), σ = e² n_0 D/(k_B T)."""
        return self.debye_length**2 / diffusion_coefficient


@dataclass(frozen=True)
class ClosedFace:
    """No ion crosses the face. The field there is zero (dφ/dx = 0) when ``potential``
    is None; otherwise φ is held at ``potential`` (V), a blocking electrode. At least one
    face of a run must hold the potential (it is defined up to a constant otherwise)."""

    potential: float | None = None


@dataclass(frozen=True)
class Bath:
    """A reservoir at the face: the surface densities n_i = fractions_i · n_0 and the
    surface potential φ (V) are held. With potential 0 this is thermal exchange with
    the bath as the potential reference; a non-zero potential is an anode bath.

    Attributes:
        fractions: n_i/n_0 at the surface, one per species (≥ 0).
        potential: φ at the surface (V).
    """

    fractions: tuple
    potential: float = 0.0

    def __post_init__(self):
        f = tuple(float(v) for v in np.atleast_1d(self.fractions))
        if any(not (math.isfinite(v) and v >= 0) for v in f):
            raise ValueError(f"Bath fractions must be finite and ≥ 0, got {f}")
        if not math.isfinite(self.potential):
            raise ValueError("Bath potential must be finite")
        object.__setattr__(self, "fractions", f)


@dataclass(frozen=True)
class GalvanostaticBath:
    """A constant-current anode bath at the front: the surface densities n_i = fractions_i · n_0
    are held and the anode potential U floats so that the conduction current into the glass
    is the prescribed ``current_density`` j (A/m²):

        e n_0 Σ z_i F_i(c_s, c_0, ψ_0 − eU/k_BT) = j,

    F_i the Scharfetter–Gummel flux over the half cell at the face. The potential drop across
    that half cell then depends only on the densities of the first cell, so U is eliminated
    cell-locally and the Newton matrix keeps its block-banded form. The back face must hold
    the potential (a grounded Electrode); U(t) is reported as the surface potential.

    Attributes:
        fractions: n_i/n_0 at the surface, one per species (≥ 0, some with z_i c_i > 0).
        current_density: j (A/m²); > 0 drives the bath's ions in, < 0 pulls cations out.
    """

    fractions: tuple
    current_density: float

    def __post_init__(self):
        f = tuple(float(v) for v in np.atleast_1d(self.fractions))
        if any(not (math.isfinite(v) and v >= 0) for v in f):
            raise ValueError(f"GalvanostaticBath fractions must be finite and ≥ 0, got {f}")
        if not (
            isinstance(self.current_density, (int, float)) and math.isfinite(self.current_density)
        ):
            raise ValueError(
                f"GalvanostaticBath.current_density must be a finite number of A/m², "
                f"got {self.current_density!r}"
            )
        if self.current_density > 0 and not any(v > 0 for v in f):
            raise ValueError(
                "GalvanostaticBath: a positive current needs some ions in the bath (all fractions are 0)"
            )
        object.__setattr__(self, "fractions", f)


@dataclass(frozen=True)
class Electrode:
    """A metal electrode at potential φ (V). ``absorbing``: every arriving cation is
    neutralised (n = 0 at the face, Scharfetter–Gummel flux over the half cell);
    otherwise the electrode blocks ions (no flux)."""

    potential: float = 0.0
    absorbing: bool = True

    def __post_init__(self):
        if not math.isfinite(self.potential):
            raise ValueError("Electrode potential must be finite")


@dataclass(frozen=True)
class IonBeam:
    """CAIT ion beam on the front face (docs/physics.md §2.2, implementation RECONSTRUCTED).

    The beam species enters with the flux (j/e)·S(φ_s), S = 1/(1 + exp((φ_s − U_src)/w)), a
    smooth cutoff of width w as the surface potential φ_s approaches the source potential;
    no other species crosses the front. The potential in the gap drops linearly to the
    grounded aperture at distance d_ap (docs/physics.md §2.1 eq. 6): the Robin condition
    ε_r ∂φ/∂x(0⁺) = φ_s/d_ap (continuity of the displacement, no surface charge beyond
    the charge in the cells) when ``vacuum_displacement``; the paper's lattice form
    ∂φ/∂x = φ_s/d_ap otherwise.

    Attributes:
        species: index of the beam species.
        current_density: j, the beam current per area (A/m², > 0).
        source_potential: U_src (V).
        aperture_distance: d_ap (m, > 0).
        cutoff_width: w (V, > 0), ~ the beam's kinetic-energy spread.
        vacuum_displacement: see above.
    """

    species: int
    current_density: float
    source_potential: float
    aperture_distance: float = 8e-3
    cutoff_width: float = 0.1
    vacuum_displacement: bool = True

    def __post_init__(self):
        if not (self.current_density > 0 and math.isfinite(self.current_density)):
            raise ValueError(
                f"IonBeam.current_density must be > 0 A/m², got {self.current_density!r}"
            )
        if not (self.aperture_distance > 0 and self.cutoff_width > 0):
            raise ValueError("IonBeam.aperture_distance and cutoff_width must be > 0")
        if not math.isfinite(self.source_potential):
            raise ValueError("IonBeam.source_potential must be finite")


Boundary = ClosedFace | Bath | GalvanostaticBath | Electrode | IonBeam


@dataclass
class NPPSolution:
    """Result of one solve_npp call.

    Attributes:
        times: output times (s from the start of the call); with a charge target the
            times after the stop are dropped.
        densities: n_i per output time, shape (n_times, N, n_cells) (m⁻³).
        potential: φ per output time and cell (V).
        current: back-electrode current density e Σ z_i J_i(L) at the output times (A/m²).
        inflow: cumulative ions entered through the front per species (m⁻²), (n_times, N).
        outflow: cumulative ions left through the back per species (m⁻²), (n_times, N).
        back_charge: cumulative back-electrode charge e Σ z_i outflow_i (C/m²).
        end_time: time the run ended (s; < duration when a charge target stopped it).
        final_densities, final_potential: state at end_time.
        history: per accepted step: "time", "current" (A/m²), "back_charge" (C/m²),
            "beam_charge" (C/m², front inflow charge), "surface_potential" (V).
        n_steps, n_rejected, n_newton: work counters.
    """

    times: np.ndarray
    densities: np.ndarray
    potential: np.ndarray
    current: np.ndarray
    inflow: np.ndarray
    outflow: np.ndarray
    back_charge: np.ndarray
    end_time: float
    final_densities: np.ndarray
    final_potential: np.ndarray
    final_inflow: np.ndarray
    final_outflow: np.ndarray
    history: dict
    n_steps: int = 0
    n_rejected: int = 0
    n_newton: int = 0
    diagnostics: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- mesh


def geometric_grid(
    length: float,
    finest: float,
    growth: float = 1.1,
    coarsest: float | None = None,
    cap_depth: float = math.inf,
) -> Grid:
    """Mesh on [0, length] (m) whose cell widths grow geometrically from ``finest`` at the
    front by the factor ``growth`` per cell, capped at ``coarsest`` down to ``cap_depth``
    (beyond it they grow again); the last cell absorbs the remainder (merged with its
    neighbour if it would be thinner than it).

    Sub-nanometre cells at the surface resolve space-charge layers and sharp CAIT fronts,
    while a 2.325 mm sample needs only ~200 cells (growth 1.1). Refining by
    finest → finest/2, growth → √growth halves every cell (second-order convergence).
    """
    if not (length > 0 and finest > 0 and growth >= 1.0):
        raise ValueError("geometric_grid needs length > 0, finest > 0 and growth ≥ 1")
    cap = coarsest if coarsest is not None else math.inf
    widths = []
    x, w = 0.0, finest
    while x + w < length:
        widths.append(w)
        x += w
        w = min(w * growth, cap) if x < cap_depth else w * growth
    rest = length - x
    if widths and rest < 0.5 * widths[-1]:
        widths[-1] += rest
    else:
        widths.append(rest)
    faces = np.concatenate([[0.0], np.cumsum(widths)])
    faces[-1] = length
    return Grid(faces)


# --------------------------------------------------------------------------- flux kernels


def bernoulli(v):
    """B(v) = v/(e^v − 1) and B'(v), evaluated stably (series near 0, no overflow).

    B' = B(1 − B)/v − B away from 0 (from d ln B/dv = 1/v − 1 − B/v).
    """
    v = np.asarray(v, dtype=float)
    small = np.abs(v) < 1e-3
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        b = v / np.expm1(v)
        db = b * (1.0 - b) / v - b
    v2 = v * v
    b = np.where(small, 1.0 - 0.5 * v + v2 / 12.0 - v2 * v2 / 720.0, b)
    db = np.where(small, -0.5 + v / 6.0 - v2 * v / 180.0, db)
    return b, db


def _sg_flux(d_face, h, z, c_left, c_right, dpsi):
    """Scharfetter–Gummel flux in +x (m/s × fraction) and its derivatives with respect to
    c_left, c_right (at fixed D) and ψ_right (= −∂/∂ψ_left). dpsi = ψ_right − ψ_left."""
    v = z * dpsi
    bp, dbp = bernoulli(v)
    bm, dbm = bernoulli(-v)
    g = d_face / h
    flux = g * (bp * c_left - bm * c_right)
    return flux, g * bp, -g * bm, g * z * (dbp * c_left + dbm * c_right), bp * c_left - bm * c_right


# --------------------------------------------------------------------------- the discrete system


class _System:
    """Residual and banded Jacobian of one implicit stage, in scaled unknowns.

    State Y has shape (K, m), m = N + 1: Y[k, :N] = c_i = n_i/n_0, Y[k, N] = ψ = eφ/(k_BT).
    Stage equations (rows divided by the cell volume):
        c − base − γh (F_left − F_right)/vol = 0,
        λ² (g_right − g_left)/vol + Σ z c − 1 = 0,   g = ∂ψ/∂x at the faces.
    """

    def __init__(self, grid, species, medium, front, back):
        self.K = grid.n_cells
        self.N = len(species)
        self.m = self.N + 1
        self.vol = np.asarray(grid.volumes, dtype=float)
        sp = np.asarray(grid.spacing, dtype=float)
        self.h = sp[1:-1]
        self.s0 = float(sp[0])
        self.sL = float(sp[-1])
        self.z = np.array([s.charge for s in species], dtype=float)
        self.laws = [s.diffusivity for s in species]
        self.vt = medium.thermal_voltage
        self.lam2 = medium.debye_length**2
        self.front = front
        self.back = back
        m, K = self.m, self.K
        self.kl = self.ku = 2 * m - 1
        self.off = self.kl + self.ku
        self.n_unknowns = K * m
        # band positions of the diagonal, lower and upper blocks (fixed for the run)
        k = np.arange(K)[:, None, None]
        a = np.arange(m)[None, :, None]
        b = np.arange(m)[None, None, :]
        kk, aa, bb = np.broadcast_arrays(k, a, b)
        self.idx_d = (self.off + aa - bb, kk * m + bb)
        self.idx_l = (self.off + m + aa[1:] - bb[1:], (kk[1:] - 1) * m + bb[1:])
        self.idx_u = (self.off - m + aa[:-1] - bb[:-1], (kk[:-1] + 1) * m + bb[:-1])
        # Robin coefficient of the beam's aperture condition (1/m)
        if isinstance(front, IonBeam):
            eps = medium.relative_permittivity if front.vacuum_displacement else 1.0
            self.kappa = 1.0 / (front.aperture_distance * eps)
            self.beam_flux = front.current_density / (
                ELEMENTARY_CHARGE * medium.background_density
            )  # m/s
            self.psi_src = front.source_potential / self.vt
            self.width = front.cutoff_width / self.vt
        if isinstance(front, GalvanostaticBath):
            self.anode_flux = front.current_density / (
                ELEMENTARY_CHARGE * medium.background_density
            )  # m/s
            self.anode_cs = np.asarray(front.fractions, dtype=float)
            self._anode_u = 0.0  # last half-cell drop ψ_0 − ψ_U, the next solve's start
        self._front_u = 0.0
        self._front_du = None

    # ----- pieces

    def diffusivities(self, c):
        """D_i and dD_i/dc_i per cell, (K, N); fractions clipped at 0 for the law (small
        negative values can appear transiently in a high-order stage)."""
        d = np.empty_like(c)
        dd = np.empty_like(c)
        for i, law in enumerate(self.laws):
            di, ddi = law(np.maximum(c[:, i], 0.0))
            d[:, i] = di
            dd[:, i] = ddi
        return d, dd

    def held(self, face):
        """ψ held at a face, or None (zero field, or the beam's Robin condition)."""
        p = getattr(face, "potential", None)
        return None if p is None else p / self.vt

    def anode_drop(self, c0, d0, dd0):
        """Potential drop ψ_0 − ψ_U across the front half cell that carries the galvanostatic
        bath's current, with the flux F, ∂F/∂c_0 (N × N) and ∂(ψ_0 − ψ_U)/∂c_0.

        Σ z_i F_i(u) is strictly decreasing in u and grows only linearly at both ends, so a
        Newton iteration kept inside a bracket (bisection when it leaves) always converges."""
        cs = self.anode_cs
        ds, _ = self.diffusivities(cs[None, :])
        dface = 0.5 * (ds[0] + d0)
        z = self.z
        target = self.anode_flux
        scale = abs(target) + float(np.sum(np.abs(z) * dface / self.s0 * (cs + np.abs(c0))))
        lo, hi = -math.inf, math.inf
        u = self._anode_u
        for _ in range(200):
            flux, _, dcr, dpr, bracket = _sg_flux(dface, self.s0, z, cs, c0, u)
            g = float(flux @ z) - target
            if abs(g) <= 1e-13 * scale:
                break
            if g > 0:
                lo = u
            else:
                hi = u
            dg = float(dpr @ z)
            un = u - g / dg if dg < 0 else math.nan
            if not lo < un < hi:
                if math.isinf(lo) or math.isinf(hi):
                    un = u + (1.0 if g > 0 else -1.0) * (1.0 + abs(u))
                else:
                    un = 0.5 * (lo + hi)
            if un == u:
                break
            u = un
        else:
            raise SolverError(
                "the anode potential of the galvanostatic bath could not be found"
            )  # pragma: no cover
        self._anode_u = u
        dfdc = dcr + 0.5 * dd0 * bracket / self.s0
        du = -z * dfdc / float(dpr @ z)
        jac = np.diag(dfdc) + np.outer(dpr, du)
        return u, flux, jac, du

    def surface_potential(self, psi0, c0=None):
        """ψ at x = 0 and dψ_s/dψ_0 (for a galvanostatic bath, the anode potential ψ_U,
        which needs the first cell's fractions c0)."""
        f = self.front
        if isinstance(f, GalvanostaticBath):
            d0, dd0 = self.diffusivities(np.asarray(c0, float)[None, :])
            return psi0 - self.anode_drop(np.maximum(c0, 0.0), d0[0], dd0[0])[0], 1.0
        if self.held(f) is not None:
            return self.held(f), 0.0
        if isinstance(f, IonBeam):
            r = 1.0 / (1.0 + self.kappa * self.s0)
            return psi0 * r, r
        return psi0, 1.0

    def front_flux(self, c0, psi0, d0, dd0):
        """Inflow at x = 0 per species (m/s × fraction) and its derivatives wrt c_0 (N × N)
        and ψ_0 (N)."""
        N = self.N
        f = self.front
        zero = np.zeros(N)
        if isinstance(f, Bath):
            cs = np.asarray(f.fractions)
            ds, _ = self.diffusivities(cs[None, :])
            dface = 0.5 * (ds[0] + d0)
            flux, _, dcr, dpr, bracket = _sg_flux(
                dface, self.s0, self.z, cs, c0, psi0 - f.potential / self.vt
            )
            return flux, np.diag(dcr + 0.5 * dd0 * bracket / self.s0), dpr
        if isinstance(f, GalvanostaticBath):
            u, flux, jac, du = self.anode_drop(c0, d0, dd0)
            self._front_u, self._front_du = u, du
            return flux, jac, zero
        if isinstance(f, IonBeam):
            psis, r = self.surface_potential(psi0)
            u = (psis - self.psi_src) / self.width
            s = 0.5 * (1.0 - np.tanh(0.5 * u))  # = 1/(1 + e^u), overflow-free
            ds = -s * (1.0 - s) / self.width * r
            flux = zero.copy()
            dpsi = zero.copy()
            flux[f.species] = self.beam_flux * s
            dpsi[f.species] = self.beam_flux * ds
            return flux, np.zeros((N, N)), dpsi
        return zero, np.zeros((N, N)), zero

    def back_flux(self, cK, psiK, dK, ddK):
        """Outflow at x = L per species and its derivatives wrt c_K,i, ψ_K."""
        N = self.N
        b = self.back
        zero = np.zeros(N)
        if isinstance(b, Electrode) and b.absorbing:
            # n = 0 at the face; D of the last cell (the electrode has no D of its own)
            v = self.z * (b.potential / self.vt - psiK)
            bp, dbp = bernoulli(v)
            g = dK / self.sL
            flux = g * bp * cK
            return flux, (dK + ddK * cK) / self.sL * bp, -g * cK * dbp * self.z
        return zero, zero, zero

    def front_gradient(self, psi0):
        """∂ψ/∂x at x = 0 and its derivative wrt ψ_0 (for a galvanostatic bath the drop
        found by the last front_flux call; it depends on c_0 only, see assemble)."""
        f = self.front
        if isinstance(f, GalvanostaticBath):
            return self._front_u / self.s0, 0.0
        if self.held(f) is not None:
            return (psi0 - self.held(f)) / self.s0, 1.0 / self.s0
        if isinstance(f, IonBeam):
            r = 1.0 / (1.0 + self.kappa * self.s0)
            return self.kappa * r * psi0, self.kappa * r
        return 0.0, 0.0

    def back_gradient(self, psiK):
        p = self.held(self.back)
        if p is not None:
            return (p - psiK) / self.sL, -1.0 / self.sL
        return 0.0, 0.0

    # ----- assembly

    def assemble(self, Y, base, gh):
        """Residual (K, m), band matrix for dgbtrf, and the boundary fluxes with their
        derivatives (for the linearised booking)."""
        N, K, m = self.N, self.K, self.m
        c = Y[:, :N]
        psi = Y[:, N]
        z = self.z
        vol = self.vol[:, None]
        d, dd = self.diffusivities(c)
        dface = 0.5 * (d[:-1] + d[1:])
        h = self.h[:, None]
        dpsi = (psi[1:] - psi[:-1])[:, None]
        f_int, dfl, dfr, dfp, bracket = _sg_flux(dface, h, z, c[:-1], c[1:], dpsi)
        dfl = dfl + 0.5 * dd[:-1] * bracket / h
        dfr = dfr + 0.5 * dd[1:] * bracket / h
        f0, df0c, df0p = self.front_flux(c[0], psi[0], d[0], dd[0])
        fL, dfLc, dfLp = self.back_flux(c[-1], psi[-1], d[-1], dd[-1])
        flux_left = np.vstack([f0[None, :], f_int])
        flux_right = np.vstack([f_int, fL[None, :]])

        R = np.empty((K, m))
        R[:, :N] = c - base[:, :N] - gh * (flux_left - flux_right) / vol
        grad = np.empty(K + 1)
        grad[1:-1] = (psi[1:] - psi[:-1]) / self.h
        g0, dg0 = self.front_gradient(psi[0])
        gL, dgL = self.back_gradient(psi[-1])
        grad[0], grad[-1] = g0, gL
        R[:, N] = self.lam2 * (grad[1:] - grad[:-1]) / self.vol + c @ z - 1.0

        Bd = np.zeros((K, m, m))
        Bl = np.zeros((K, m, m))
        Bu = np.zeros((K, m, m))
        s = gh / vol  # (K, 1)
        ii = np.arange(N)
        # ∂(flux_left − flux_right)/∂(own cell)
        dleft_c = np.vstack(
            [np.diagonal(df0c)[None, :], dfr]
        )  # left face wrt this cell (its right side)
        dright_c = np.vstack([dfl, dfLc[None, :]])
        dleft_p = np.vstack([df0p[None, :], dfp])  # ∂F_left/∂ψ_k (ψ_k is the face's right cell)
        dright_p = np.vstack([-dfp, dfLp[None, :]])  # ∂F_right/∂ψ_k (left cell of that face)
        Bd[:, ii, ii] = 1.0 - s * (dleft_c - dright_c)
        Bd[:, :N, N] = -s * (dleft_p - dright_p)
        Bd[0, :N, :N] -= s[0] * (
            df0c - np.diag(np.diagonal(df0c))
        )  # cross-species terms at the front
        Bl[1:, ii, ii] = -s[1:] * dfl  # ∂F_left/∂c_{k−1}
        Bl[1:, :N, N] = -s[1:] * (-dfp)  # ∂F_left/∂ψ_{k−1}
        Bu[:-1, ii, ii] = s[:-1] * dfr  # −∂(−F_right)/∂c_{k+1}
        Bu[:-1, :N, N] = s[:-1] * dfp
        # Poisson rows
        inv_h = self.lam2 / self.h
        diag_p = np.zeros(K)
        diag_p[:-1] -= inv_h
        diag_p[1:] -= inv_h
        diag_p[0] -= self.lam2 * dg0
        diag_p[-1] += self.lam2 * dgL
        Bd[:, N, N] = diag_p / self.vol
        Bd[:, N, :N] = z
        if isinstance(self.front, GalvanostaticBath):
            Bd[0, N, :N] -= self.lam2 * self._front_du / (self.s0 * self.vol[0])
        Bl[1:, N, N] = inv_h / self.vol[1:]
        Bu[:-1, N, N] = inv_h / self.vol[:-1]

        # the density rows' dependence on ψ (for Newton's stopping test, _newton)
        self.jac_c_psi = (Bd[:, :N, N].copy(), Bl[:, :N, N].copy(), Bu[:, :N, N].copy())
        ab = np.zeros((2 * self.kl + self.ku + 1, K * m))
        ab[self.idx_d] = Bd
        ab[self.idx_l] = Bl[1:]
        ab[self.idx_u] = Bu[:-1]
        return R, ab, (f0, df0c, df0p, fL, dfLc, dfLp)

    def consistent_potential(self, c):
        """ψ solving the Poisson equation for given densities (the DAE's consistent initial
        value): a tridiagonal linear system."""
        K = self.K
        inv_h = self.lam2 / self.h
        diag = np.zeros(K)
        diag[:-1] -= inv_h
        diag[1:] -= inv_h
        rhs = -(c @ self.z - 1.0) * self.vol
        pf, pb = self.held(self.front), self.held(self.back)
        if pf is not None:
            diag[0] -= self.lam2 / self.s0
            rhs[0] -= self.lam2 * pf / self.s0
        elif isinstance(self.front, IonBeam):
            diag[0] -= self.lam2 * self.kappa / (1.0 + self.kappa * self.s0)
        elif isinstance(self.front, GalvanostaticBath):
            # the field at the face is fixed by the first cell's densities (a Neumann condition)
            d0, dd0 = self.diffusivities(c[:1])
            rhs[0] += self.lam2 * self.anode_drop(np.maximum(c[0], 0.0), d0[0], dd0[0])[0] / self.s0
        if pb is not None:
            diag[-1] -= self.lam2 / self.sL
            rhs[-1] -= self.lam2 * pb / self.sL
        ab = np.zeros((3, K))
        ab[0, 1:] = inv_h
        ab[1] = diag
        ab[2, :-1] = inv_h
        return solve_banded((1, 1), ab, rhs)


# --------------------------------------------------------------------------- driver


def _check_boundary(face, N, where):
    if not isinstance(face, (ClosedFace, Bath, GalvanostaticBath, Electrode, IonBeam)):
        raise ValueError(
            f"{where} boundary must be ClosedFace, Bath, GalvanostaticBath, Electrode or IonBeam, "
            f"got {face!r}"
        )  # noqa: TRY004 - bad input is a ValueError here, as for every argument
    if isinstance(face, Bath) and len(face.fractions) != N:
        raise ValueError(f"{where} Bath has {len(face.fractions)} fractions for {N} species")
    if isinstance(face, GalvanostaticBath):
        if len(face.fractions) != N:
            raise ValueError(
                f"{where} GalvanostaticBath has {len(face.fractions)} fractions for {N} species"
            )
        if where != "front":
            raise ValueError("a GalvanostaticBath can only be the front boundary")
    if isinstance(face, Bath) and where != "front":
        raise ValueError(
            "a Bath is supported only at the front face (use an Electrode or ClosedFace at the back)"
        )
    if isinstance(face, IonBeam):
        if where != "front":
            raise ValueError("an IonBeam can only be the front boundary")
        if not 0 <= face.species < N:
            raise ValueError(f"IonBeam.species = {face.species} is not one of the {N} species")


def solve_npp(
    grid: Grid,
    species: Sequence[Species],
    medium: Medium,
    initial: np.ndarray,
    duration: float,
    *,
    front: Boundary,
    back: Boundary,
    output_times=(),
    rtol: float = 1e-3,
    atol: float = 1e-6,
    first_step: float | None = None,
    max_step: float | None = None,
    fixed_step: float | None = None,
    max_steps: int = 200_000,
    stop_at_charge: float | None = None,
    charge_rtol: float = 1e-9,
    tracker: Tracker | None = None,
    time_offset: float = 0.0,
) -> NPPSolution:
    """Integrate the NPP system over ``duration`` seconds.

    Args:
        grid: the mesh (depth in m; front at 0).
        species: the N mobile cations.
        medium: n_0 (m⁻³), ε_r, T (K).
        initial: n_i per cell at t = 0, shape (N, n_cells) (m⁻³, ≥ 0).
        duration: length of the run (s); with ``stop_at_charge`` the longest allowed run.
        front, back: boundary conditions at depth 0 and grid.length.
        output_times: times in [0, duration] (s), landed on exactly.
        rtol, atol: local error tolerance on the fractions n_i/n_0 (max norm).
        first_step, max_step: optional bounds on the step (s). The default first step is
            a tenth of the dielectric relaxation time λ_D²/D_max, so the stiff start is resolved.
        fixed_step: steps of exactly this size (s) without error control (convergence studies).
        max_steps: limit on accepted steps.
        stop_at_charge: stop when the back-electrode charge ∫ e Σ z_i J_i(L) dt reaches this
            value (C/m²), to within charge_rtol; a SolverError is raised if it is not
            reached within ``duration`` (e.g. the surface potential is capped by U_src).
        tracker: receives handle(time_offset + t, densities (N, K)) after every step.
        time_offset: added to t for the tracker (s).
    Raises:
        ValueError: bad input (shapes, negative densities, unknown boundaries …).
        SolverError: Newton fails repeatedly and the step falls below round-off (the message
            names the time and the depth of the largest Newton update), or the charge
            target is not reached.
    """
    species = tuple(species)
    N = len(species)
    if N == 0:
        raise ValueError("at least one species is needed")
    if not all(isinstance(s, Species) for s in species):
        raise ValueError("species must be Species instances")
    if not isinstance(medium, Medium):
        raise ValueError("medium must be a Medium")  # noqa: TRY004
    positive(duration, "duration", "s")
    if not (rtol > 0 and atol > 0):
        raise ValueError("rtol and atol must be > 0")
    _check_boundary(front, N, "front")
    _check_boundary(back, N, "back")
    if all(
        getattr(f, "potential", None) is None and not isinstance(f, IonBeam) for f in (front, back)
    ):
        raise ValueError(
            "neither face holds the potential: give the front or back face a potential "
            "(e.g. ClosedFace(potential=0.0)); φ is otherwise defined only up to a constant"
        )
    K = grid.n_cells
    n0 = medium.background_density
    dens = np.array(initial, dtype=float)
    if dens.shape != (N, K):
        raise ValueError(
            f"initial densities have shape {dens.shape}, expected (N species, n cells) = ({N}, {K})"
        )
    if not np.all(np.isfinite(dens)):
        raise ValueError("initial densities contain non-finite values")
    if np.any(dens < 0):
        i, k = np.unravel_index(int(np.argmin(dens)), dens.shape)
        raise ValueError(
            f"initial density of {species[i].name} is negative ({dens[i, k]:.3g} m⁻³) "
            f"at depth {grid.centres[k]:.3e} m"
        )
    if stop_at_charge is not None and not stop_at_charge > 0:
        raise ValueError("stop_at_charge must be > 0 C/m²")
    if stop_at_charge is not None and not isinstance(back, Electrode):
        raise ValueError("stop_at_charge needs an Electrode at the back")
    if isinstance(front, IonBeam) and stop_at_charge is not None:
        most = front.current_density * duration
        if most < stop_at_charge:
            raise ValueError(
                f"the beam delivers at most {most:.4g} C/m² in {duration:.4g} s, "
                f"less than the target {stop_at_charge:.4g} C/m²"
            )
    for s in species:
        dv, ddv = s.diffusivity(np.array([0.0, 0.5, 1.0]))
        if not (np.all(np.isfinite(dv)) and np.all(dv > 0) and np.all(np.isfinite(ddv))):
            raise ValueError(
                f"species {s.name!r}: D(frac) must be finite and > 0 (got {dv} at 0, 0.5, 1)"
            )

    system = _System(grid, species, medium, front, back)
    m = system.m
    Y = np.empty((K, m))
    Y[:, :N] = dens.T / n0
    Y[:, N] = system.consistent_potential(Y[:, :N])

    outs = np.asarray(sorted(float(t) for t in output_times), dtype=float)
    if outs.size and (outs[0] < 0 or outs[-1] > duration * (1 + 1e-12)):
        raise ValueError("output times must lie within [0, duration]")
    stops = sorted({float(t) for t in outs if 0 < t < duration})
    stops.append(float(duration))

    d_max = max(float(np.max(s.diffusivity(np.linspace(0, 1, 11))[0])) for s in species)
    if fixed_step is not None:
        positive(fixed_step, "fixed_step", "s")
        first_step = fixed_step
    if first_step is None:
        first_step = min(0.1 * medium.dielectric_relaxation_time(d_max), 1e-6 * duration)
    h = max(first_step, 1e-14 * duration)
    h_cap = max_step if max_step is not None else math.inf
    h_min = 1e-14 * max(duration, 1.0)

    n_out = outs.size
    st_dens = np.empty((n_out, N, K))
    st_psi = np.empty((n_out, K))
    st_cur = np.empty(n_out)
    st_in = np.empty((n_out, N))
    st_outf = np.empty((n_out, N))
    cum_in = np.zeros(N)  # fractions × m
    cum_out = np.zeros(N)
    e_n0 = ELEMENTARY_CHARGE * n0

    def current_of(Yc):
        c = Yc[:, :N]
        d, dd = system.diffusivities(c[-1:])
        fL = system.back_flux(c[-1], Yc[-1, N], d[0], dd[0])[0]
        return e_n0 * float(fL @ system.z)

    def surface_potential_of(Yc):
        return system.surface_potential(Yc[0, N], Yc[0, :N])[0] * system.vt

    def record(idx, Yc):
        st_dens[idx] = Yc[:, :N].T * n0
        st_psi[idx] = Yc[:, N] * system.vt
        st_cur[idx] = current_of(Yc)
        st_in[idx] = cum_in * n0
        st_outf[idx] = cum_out * n0

    out_idx = 0
    while out_idx < n_out and outs[out_idx] <= 0.0:
        record(out_idx, Y)
        out_idx += 1

    hist = {
        "time": [0.0],
        "current": [current_of(Y)],
        "back_charge": [0.0],
        "beam_charge": [0.0],
        "surface_potential": [surface_potential_of(Y)],
    }
    t = 0.0
    n_steps = n_rejected = n_newton = 0
    k_last = np.zeros((K, N))
    use_k_last = False
    stop_idx = 0
    last_failure = ""
    event_step = None  # step length aimed at the charge target (secant iteration)
    event_iter = 0
    event_bracket = None
    reached = False
    rejected_last = False  # no step growth right after a rejection (Hairer & Wanner, IV.8)

    while t < duration and not reached:
        while stops[stop_idx] <= t * (1 + 1e-15):
            stop_idx += 1
        target = stops[stop_idx]
        h = min(h, h_cap)
        if event_step is not None:
            step = min(event_step, target - t)
            landing = t + step >= target * (1 - 1e-12)
        else:
            landing = t + h >= target * (1 - 1e-12) or (
                fixed_step is None and t + 1.05 * h >= target
            )
            step = target - t if landing else h
        ok, res = _sdirk_step(system, Y, step, k_last, use_k_last, atol, rtol)
        n_newton += res["newton"]
        if not ok:
            n_rejected += 1
            last_failure = res["failure"]
            if fixed_step is not None:
                raise SolverError(
                    f"NPP integration failed at t = {time_offset + t:.6g} s with the fixed step "
                    f"{fixed_step:.6g} s: {last_failure} near depth {grid.centres[res['cell']]:.3e} m"
                )
            h = 0.25 * step
            event_step = None if event_step is None else 0.25 * event_step
            use_k_last = False
            rejected_last = True
            if not h >= h_min:
                raise SolverError(
                    f"NPP integration failed at t = {time_offset + t:.6g} s: {last_failure} near depth "
                    f"{grid.centres[res['cell']]:.3e} m; the step fell below {h_min:.1e} s. Check that the "
                    "diffusion coefficients are finite and positive and the boundary data consistent."
                )
            continue
        en = res["error"]
        factor = min(4.0, max(0.2, 0.9 * (en + 1e-10) ** (-1.0 / (EMBEDDED_ORDER + 1))))
        if fixed_step is not None:
            factor, en = 1.0, 0.0
        if en > 1.0:
            n_rejected += 1
            h = step * min(factor, 0.9)
            if event_step is not None:
                event_step = h
            use_k_last = False
            rejected_last = True
            continue
        new_in = cum_in + res["inflow"]
        new_out = cum_out + res["outflow"]
        if stop_at_charge is not None:
            q_old = e_n0 * float(cum_out @ system.z)
            q_new = e_n0 * float(new_out @ system.z)
            if q_new > stop_at_charge * (1 + charge_rtol):
                # overshoot: re-take the step, shorter, aiming at the target (secant on the
                # step length over the bracket [shorter, overshooting])
                lo = (0.0, q_old) if event_bracket is None else event_bracket[0]
                event_bracket = (lo, (step, q_new))
                (s_lo, q_lo), (s_hi, q_hi) = event_bracket
                event_step = s_lo + (stop_at_charge - q_lo) * (s_hi - s_lo) / (q_hi - q_lo)
                event_iter += 1
                if event_iter > 50:
                    raise SolverError(
                        f"could not land on the charge target at t = {time_offset + t:.6g} s"
                    )
                continue
            if q_new >= stop_at_charge * (1 - charge_rtol):
                reached = True
            elif event_bracket is not None:
                # undershoot inside the bracket: accept it and keep aiming from there
                event_bracket = None
                event_step = None
                event_iter = 0
        # accepted
        n_steps += 1
        if n_steps > max_steps:
            raise SolverError(
                f"more than {max_steps} steps needed before t = {time_offset + t:.6g} s"
            )
        cum_in, cum_out = new_in, new_out
        t = t + step if (event_step is not None or not landing) else target
        Y = res["Y"]
        k_last = res["k_end"]
        use_k_last = True
        if rejected_last:
            factor = min(factor, 1.0)
            rejected_last = False
        if fixed_step is not None:
            h = fixed_step
        elif event_step is None:
            h = max(step * factor, h) if landing else step * factor
        hist["time"].append(t)
        hist["current"].append(current_of(Y))
        hist["back_charge"].append(e_n0 * float(cum_out @ system.z))
        hist["beam_charge"].append(e_n0 * float(cum_in @ system.z))
        hist["surface_potential"].append(surface_potential_of(Y))
        while out_idx < n_out and outs[out_idx] <= t * (1 + 1e-13):
            record(out_idx, Y)
            out_idx += 1
        if tracker is not None:
            tracker.handle(time_offset + t, Y[:, :N].T * n0)

    if stop_at_charge is not None and not reached:
        q = e_n0 * float(cum_out @ system.z)
        phis = surface_potential_of(Y)
        cur = current_of(Y)
        need = (stop_at_charge - q) / cur if cur > 0 else math.inf
        cap = ""
        if isinstance(front, IonBeam) and phis > front.source_potential - 10 * front.cutoff_width:
            cap = (
                f" The surface potential {phis:.4g} V is capped by the source potential "
                f"{front.source_potential:.4g} V, so the current cannot rise;"
            )
        raise SolverError(
            f"the back-electrode charge reached only {q:.4g} of {stop_at_charge:.4g} C/m² by t = "
            f"{time_offset + t:.6g} s (the longest allowed run).{cap} at the present current "
            f"{cur:.4g} A/m² the target needs about {need:.4g} s more."
        )
    keep = out_idx if stop_at_charge is not None else n_out
    return NPPSolution(
        times=outs[:keep],
        densities=st_dens[:keep],
        potential=st_psi[:keep],
        current=st_cur[:keep],
        inflow=st_in[:keep],
        outflow=st_outf[:keep],
        back_charge=e_n0 * (st_outf[:keep] / n0) @ system.z,
        end_time=t,
        final_densities=Y[:, :N].T * n0,
        final_potential=Y[:, N] * system.vt,
        final_inflow=cum_in * n0,
        final_outflow=cum_out * n0,
        history={k: np.asarray(v) for k, v in hist.items()},
        n_steps=n_steps,
        n_rejected=n_rejected,
        n_newton=n_newton,
        diagnostics={
            "last_failure": last_failure,
            "n_cells": K,
            "debye_length": medium.debye_length,
        },
    )


def _newton(system, Y, base, gh, weight, psi_tol):
    """Solve one stage in place in Y. Returns (ok, message, cell, iterations, linearised
    front inflow, back outflow, LU factors)."""
    N = system.N
    last = math.inf
    kl, ku = system.kl, system.ku
    for it in range(_MAX_NEWTON):
        R, ab, bf = system.assemble(Y, base, gh)
        if not np.all(np.isfinite(R)):
            return False, "non-finite residual", _worst(R), it + 1, None, None, None
        lu, piv, info = dgbtrf(ab, kl, ku)
        if info != 0:
            return (
                False,
                "singular Newton matrix",
                max(0, (abs(info) - 1) // system.m),
                it + 1,
                None,
                None,
                None,
            )
        delta, info = dgbtrs(lu, kl, ku, -R.ravel(), piv)
        delta = delta.reshape(Y.shape)
        f0, df0c, df0p, fL, dfLc, dfLp = bf
        # boundary fluxes linearised across this update: with them the inventory change
        # of the stage equals the booked transport to round-off
        f0_lin = f0 + df0c @ delta[0, :N] + df0p * delta[0, N]
        fL_lin = fL + dfLc * delta[-1, :N] + dfLp * delta[-1, N]
        Y += delta
        size_c = np.abs(delta[:, :N]) * weight
        # ψ has converged when its update is below psi_tol, or when it moves the density
        # equations by less than the Newton tolerance on c. (In wide bulk cells over a short
        # step a common shift of ψ hardly acts on anything and is fixed only to round-off;
        # the second test measures what matters, J_cψ·δψ.)
        dpsi = delta[:, N]
        jd, jl, ju = system.jac_c_psi
        moved = jd * dpsi[:, None]
        moved[1:] += jl[1:] * dpsi[:-1, None]
        moved[:-1] += ju[:-1] * dpsi[1:, None]
        size_p = min(float(np.max(np.abs(dpsi))) / psi_tol, float(np.max(np.abs(moved) * weight)))
        size = max(float(np.max(size_c)), size_p)
        if not math.isfinite(size):
            return False, "non-finite Newton update", _worst(delta), it + 1, None, None, None
        if size < 1.0:
            return True, "", 0, it + 1, f0_lin, fL_lin, (lu, piv)
        if it > 1 and size > 0.5 * last:
            return False, "Newton iteration stalls", _worst(size_c), it + 1, None, None, None
        last = size
    return (
        False,
        f"Newton did not converge in {_MAX_NEWTON} iterations",
        _worst(delta),
        _MAX_NEWTON,
        None,
        None,
        None,
    )


def _worst(a):
    a = np.abs(np.nan_to_num(a, nan=np.inf))
    return int(np.unravel_index(int(np.argmax(a)), a.shape)[0])


def _sdirk_step(system, y, step, k_last, use_k_last, atol, rtol):
    """One SDIRK3 step of the DAE. Returns (ok, dict)."""
    N = system.N
    c_old = y[:, :N]
    # Newton stops at 1 % of the error tolerance in c and at 1e-6 k_BT/e·(1 + |ψ|) in ψ
    weight = 1.0 / (0.01 * (atol + rtol * np.abs(c_old)))
    psi_tol = 1e-6 * (1.0 + float(np.max(np.abs(y[:, N]))))
    gh = G * step
    ks = []
    Y = y.copy()
    inflow = np.zeros(N)
    outflow = np.zeros(N)
    newton = 0
    lu = None
    for j in range(3):
        base = y.copy()
        if j == 0:
            if use_k_last:
                Y[:, :N] = c_old + gh * k_last
        elif j == 1:
            base[:, :N] += step * A21 * ks[0]
            Y[:, :N] = base[:, :N] + gh * ks[0]
        else:
            base[:, :N] += step * (B[0] * ks[0] + B[1] * ks[1])
            Y[:, :N] = base[:, :N] + gh * (ks[1] + (ks[1] - ks[0]) * (1.0 - C2) / (C2 - G))
        ok, msg, cell, its, f0, fL, lu = _newton(system, Y, base, gh, weight, psi_tol)
        newton += its
        if not ok:
            return False, {"failure": msg, "cell": cell, "newton": newton}
        ks.append((Y[:, :N] - base[:, :N]) / gh)
        inflow += step * B[j] * f0
        outflow += step * B[j] * fL
    # embedded error estimate on the fractions, filtered through the Newton matrix
    err = np.zeros_like(Y)
    err[:, :N] = step * (E[0] * ks[0] + E[1] * ks[1] + E[2] * ks[2])
    filt, _ = dgbtrs(lu[0], system.kl, system.ku, err.ravel(), lu[1])
    filt = filt.reshape(Y.shape)[:, :N]
    scale = atol + rtol * np.maximum(np.abs(c_old), np.abs(Y[:, :N]))
    en = float(np.max(np.abs(filt) / scale))
    return True, {
        "Y": Y,
        "k_end": ks[2],
        "error": en,
        "inflow": inflow,
        "outflow": outflow,
        "newton": newton,
    }
