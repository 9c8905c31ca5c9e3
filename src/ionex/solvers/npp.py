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
Newton matrix an M-matrix in c. With a concentration-dependent D_i(c_i), D_f is by default
the integral mean of D along the face's concentration path,

    D_f = ∫₀¹ D(c_L + s (c_R − c_L)) ds = [Φ(c_R) − Φ(c_L)]/(c_R − c_L),   Φ = ∫ D dc

(Kirchhoff's transform; each half of the path with its own cell's law), which makes the
flux the exact steady diffusion flux between the cells however steeply D varies with c.
Where a site-energy law and its fall-off change D by 10⁴ from one cell to the next at a
front, a mean of the two cell values is far from this; of the means benchmarked
(benchmarks/npp_face_mean.py) the integral mean's Double-CAIT features change least
under mesh refinement. Arithmetic, harmonic and logarithmic means of the cell values
remain selectable (``face_mean``).
Poisson uses the standard three-point flux λ_D² (ψ_R − ψ_L)/h.

Time: the NPP system is a DAE (Poisson has no time derivative; its fast mode, dielectric
relaxation, is ~1e-8 of a run). It is integrated with Alexander's stiffly accurate,
L-stable SDIRK3 (the coefficients of ionex.solvers._sdirk) with its embedded second-order
error estimate on the densities, filtered through the Newton matrix (Shampine); the steps
follow the rules of ionex.solvers.step_control (also for landing on the charge target).

Each stage is solved by a coupled Newton iteration on all (c_1 … c_N, ψ), interleaved per
cell so that the Newton matrix is block tridiagonal with (N+1) × (N+1) blocks:
* the residual and the matrix are assembled by a compiled kernel (numba, cached); only the
  diffusivity laws (callables of the caller) and the one-cell boundary fluxes are
  evaluated in Python, once per linearisation;
* the matrix is factorised by block elimination (block Thomas) with threshold pivoting
  inside the blocks, which keeps exact zeros for a species absent from a region, so it
  cannot leak ahead of its front through round-off;
* the first update of a stage needs no new linearisation: the stages of a step share γh,
  so the residual of the next stage at the last linearisation point of the previous one
  differs only by the change of base, and its Newton update costs one back substitution
  (a linearly implicit predictor); the first stage of a step starts the same way from the
  last linearisation of the previous step (its matrix rescaled to the new γh and
  factorised again), a retried step from that of its first stage;
* the iteration stops when the update, or the remaining error estimated from its
  contraction, is below 1 % of the error tolerance (ψ: see _update).
The boundary fluxes booked in the cumulative inflow/outflow are the ones linearised across
the last Newton update, so that the inventory change of every step equals the booked
boundary transport to round-off (interior fluxes telescope exactly in the Newton system).

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
from numba import njit
from scipy.linalg import solve_banded

from ..constants import BOLTZMANN, ELEMENTARY_CHARGE, VACUUM_PERMITTIVITY
from ..errors import SolverError
from ..grids import Grid
from ..validators import positive
from . import step_control
from ._sdirk import A21, ORDER, B, C, E, G
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
    """Scharfetter–Gummel flux in +x (m/s × fraction) of the N species across one face and
    its derivatives with respect to c_left, c_right (at fixed D) and ψ_right
    (= −∂/∂ψ_left). dpsi = ψ_right − ψ_left."""
    bp, dbp, bm, dbm = _bern_arrays(z * dpsi)
    g = d_face / h
    flux = g * (bp * c_left - bm * c_right)
    return flux, g * bp, -g * bm, g * z * (dbp * c_left + dbm * c_right), bp * c_left - bm * c_right


# --------------------------------------------------------------------------- compiled kernels
#
# The Newton iteration of a stage runs in these kernels; only the diffusivity laws (Python
# callables of the caller's choice) and the one-cell boundary fluxes are evaluated in Python.
# The Newton matrix is block tridiagonal in the cell-interleaved unknowns (blocks of
# m = N + 1: c_1 … c_N, ψ), Bd[k] = ∂R_k/∂Y_k, Bl[k] = ∂R_k/∂Y_{k−1}, Bu[k] = ∂R_k/∂Y_{k+1};
# the off-diagonal blocks couple each species only to itself and to ψ (nonzero entries
# (i, i), (i, N), (N, N)). It is factorised by block elimination (block Thomas) with partial
# pivoting inside each m × m block. ``block`` is a tuple of length m: its length is a
# compile-time constant for numba, so the loops over a block are unrolled (one compiled
# version per number of species).


@njit(cache=True)
def _bern_pair(v):
    """B(v), B'(v), B(−v), B'(−v) as ``bernoulli`` gives them (series near 0, no overflow),
    with one exponential: B(−a) = a + B(a), B'(−a) = −1 − B'(a), taken at a = |v|."""
    if abs(v) < 1e-3:
        v2 = v * v
        even = 1.0 + v2 / 12.0 - v2 * v2 / 720.0
        d_even = -0.5 - v2 * v / 180.0
        return even - 0.5 * v, d_even + v / 6.0, even + 0.5 * v, d_even - v / 6.0
    a = abs(v)
    if a > 709.0:
        b, db = 0.0, 0.0  # e^a overflows: B(a) and B'(a) underflow to 0
    else:
        b = a / math.expm1(a)
        db = b * (1.0 - b) / a - b
    if v > 0.0:
        return b, db, a + b, -1.0 - db
    return a + b, -1.0 - db, b, db


# how the two cells' D make the face's D (FaceMean)
ARITHMETIC, HARMONIC, LOGARITHMIC, INTEGRAL = 0, 1, 2, 3
FACE_MEANS = {
    "arithmetic": ARITHMETIC,
    "harmonic": HARMONIC,
    "logarithmic": LOGARITHMIC,
    "integral": INTEGRAL,
}
# two-point Gauss–Legendre on each half of the face's concentration path (s ∈ [0, ½] in the
# left cell, [½, 1] in the right one), weights ¼ each
_FACE_NODES = np.array([0.25, 0.25, 0.75, 0.75]) + np.array([-1.0, 1.0, -1.0, 1.0]) * (
    0.25 / math.sqrt(3.0)
)


@njit(cache=True)
def _face_mean(kind, a, b):
    """The face diffusivity M(a, b) of two cell values (m²/s) and ∂M/∂a, ∂M/∂b:
    arithmetic (a + b)/2, harmonic 2ab/(a + b), logarithmic (a − b)/ln(a/b)."""
    if kind == HARMONIC:
        s = a + b
        return 2.0 * a * b / s, 2.0 * b * b / (s * s), 2.0 * a * a / (s * s)
    if kind == LOGARITHMIC:
        r = a / b
        if abs(r - 1.0) > 1e-3:
            log_r = math.log(r)
            m = (a - b) / log_r
            return m, (1.0 - m / a) / log_r, (m / b - 1.0) / log_r
        # near a = b: M = (a + b)/2 − (a − b)²/(6(a + b)) + O((a − b)⁴)
        s = a + b
        q = (a - b) / s
        m = 0.5 * s - (a - b) * q / 6.0
        return m, 0.5 - q / 3.0 + q * q / 6.0, 0.5 + q / 3.0 + q * q / 6.0
    return 0.5 * (a + b), 0.5, 0.5


@njit(cache=True)
def _face_means(kind, d, dd, dface, dleft, dright):
    """D at the interior faces (K − 1, N) from the cell values d (K, N) by _face_mean, with
    ∂D_face/∂c_left and ∂D_face/∂c_right (dd = dD/dc per cell)."""
    for j in range(d.shape[0] - 1):
        for i in range(d.shape[1]):
            m, w_left, w_right = _face_mean(kind, d[j, i], d[j + 1, i])
            dface[j, i] = m
            dleft[j, i] = w_left * dd[j, i]
            dright[j, i] = w_right * dd[j + 1, i]


@njit(cache=True)
def _face_points(c, nodes, points):
    """Fractions at which the integral face mean evaluates a law (_System.face_diffusivities):
    row 0 the cells c (K); row 1 + q the path point c_L + s_q (c_R − c_L) of each face, put at
    the face's left cell for the nodes of the left half (s_q < ½) and at its right cell for
    the others, so that each point is evaluated with its own cell's law; the one unused
    entry per row holds that cell's value."""
    K = c.size
    for k in range(K):
        points[0, k] = c[k]
    for q in range(nodes.size):
        s = nodes[q]
        shift = 0 if s < 0.5 else 1
        row = points[q + 1]
        row[0] = c[0]
        row[K - 1] = c[K - 1]
        for j in range(K - 1):
            row[j + shift] = c[j] + s * (c[j + 1] - c[j])


@njit(cache=True)
def _face_integrals(dq, ddq, nodes, dface, dleft, dright):
    """D_face = Σ_q w D(s_q) (equal weights 1/Q, Gauss–Legendre on each half) with
    ∂/∂c_left = Σ_q w (1 − s_q) D'(s_q) and ∂/∂c_right = Σ_q w s_q D'(s_q), from the law's
    values at the points of _face_points."""
    Q = nodes.size
    w = 1.0 / Q
    for j in range(dface.size):
        m = 0.0
        left = 0.0
        right = 0.0
        for q in range(Q):
            s = nodes[q]
            at = j if s < 0.5 else j + 1
            m += dq[q + 1, at]
            slope = ddq[q + 1, at]
            left += (1.0 - s) * slope
            right += s * slope
        dface[j] = w * m
        dleft[j] = w * left
        dright[j] = w * right


@njit(cache=True)
def _assemble(
    Y,
    base,
    gh,
    dface,
    dleft,
    dright,
    z,
    inv_vol,
    inv_h,
    lam2,
    f0,
    df0c,
    df0p,
    fL,
    dfLc,
    dfLp,
    grads,
    du0,
    R,
    Bd,
    Bl,
    Bu,
    block,
):
    """Residual R (K, m) of the stage equations (_System) at Y and the blocks of their Newton
    matrix (1/vol and 1/h of the cells and faces given); of Bl and Bu only the entries
    that can be nonzero are written (and of Bl[0], Bu[K − 1] none). The boundary fluxes with their
    derivatives, the boundary gradients ``grads`` = (g_0, ∂g_0/∂ψ_0, g_L, ∂g_L/∂ψ_K) and the
    galvanostatic anode's λ²·∂(ψ_0 − ψ_U)/∂c_0/s_0 (``du0``) come from _System.boundary."""
    K = Y.shape[0]
    m = len(block)
    N = m - 1
    for k in range(K):
        for a in range(m):
            for b in range(m):
                Bd[k, a, b] = 0.0
        q = -1.0
        for i in range(N):
            R[k, i] = Y[k, i] - base[k, i]
            Bd[k, i, i] = 1.0
            q += z[i] * Y[k, i]
            Bd[k, N, i] = z[i]
        R[k, N] = q
    # front face: the inflow is cell 0's left flux
    s = gh * inv_vol[0]
    for i in range(N):
        R[0, i] -= s * f0[i]
        for j in range(N):
            Bd[0, i, j] -= s * df0c[i, j]
        Bd[0, i, N] -= s * df0p[i]
        Bd[0, N, i] -= du0[i] * inv_vol[0]
    # back face: the outflow is cell K − 1's right flux
    s = gh * inv_vol[K - 1]
    for i in range(N):
        R[K - 1, i] += s * fL[i]
        Bd[K - 1, i, i] += s * dfLc[i]
        Bd[K - 1, i, N] += s * dfLp[i]
    # interior faces: Scharfetter–Gummel flux F from cell j to cell j + 1
    for j in range(K - 1):
        sl = gh * inv_vol[j]
        sr = gh * inv_vol[j + 1]
        ih = inv_h[j]
        dpsi = Y[j + 1, N] - Y[j, N]
        for i in range(N):
            bp, dbp, bm, dbm = _bern_pair(z[i] * dpsi)
            g = dface[j, i] * ih
            cl = Y[j, i]
            cr = Y[j + 1, i]
            bracket = bp * cl - bm * cr
            flux = g * bracket
            dfl = g * bp + dleft[j, i] * bracket * ih  # ∂F/∂c_left
            dfr = dright[j, i] * bracket * ih - g * bm  # ∂F/∂c_right
            dfp = g * z[i] * (dbp * cl + dbm * cr)  # ∂F/∂ψ_right = −∂F/∂ψ_left
            R[j, i] += sl * flux
            Bd[j, i, i] += sl * dfl
            Bd[j, i, N] -= sl * dfp
            Bu[j, i, i] = sl * dfr
            Bu[j, i, N] = sl * dfp
            R[j + 1, i] -= sr * flux
            Bd[j + 1, i, i] -= sr * dfr
            Bd[j + 1, i, N] -= sr * dfp
            Bl[j + 1, i, i] = -sr * dfl
            Bl[j + 1, i, N] = sr * dfp
    # Poisson rows: λ² (g_right − g_left)/vol + Σ z c − 1
    for k in range(K):
        iv = inv_vol[k]
        if k == 0:
            g_left = grads[0]
            diag = -lam2 * grads[1]
        else:
            g_left = (Y[k, N] - Y[k - 1, N]) * inv_h[k - 1]
            diag = -lam2 * inv_h[k - 1]
            Bl[k, N, N] = lam2 * inv_h[k - 1] * iv
        if k == K - 1:
            g_right = grads[2]
            diag += lam2 * grads[3]
        else:
            g_right = (Y[k + 1, N] - Y[k, N]) * inv_h[k]
            diag -= lam2 * inv_h[k]
            Bu[k, N, N] = lam2 * inv_h[k] * iv
        R[k, N] += lam2 * (g_right - g_left) * iv
        Bd[k, N, N] = diag * iv


@njit(cache=True)
def _block_factor(Bd, Bl, Bu, S, X, rhs, out, block):
    """Block LU of the Newton matrix, S_k = (Bd_k − Bl_k X_{k−1})⁻¹ and X_k = S_k Bu_k, with
    the forward substitution of rhs (K, m) done on the way: out_k = S_k (rhs_k − Bl_k out_{k−1})
    (_block_backward completes the solve). Each block is inverted in place by Gauss–Jordan
    elimination with threshold pivoting: rows are exchanged only for a pivot 10× larger than
    the diagonal, so a species whose equations do not couple to the others in a cell (absent
    there and in its neighbours) keeps exact zeros in its rows and cannot leak ahead of its
    front through round-off. Returns 0, or k + 1 when block k is singular."""
    K = Bd.shape[0]
    m = len(block)
    N = m - 1
    perm = np.empty(m, np.int64)
    r = np.empty(m)
    for k in range(K):
        A = S[k]
        for a in range(m):
            r[a] = rhs[k, a]
            for b in range(m):
                A[a, b] = Bd[k, a, b]
        if k > 0:
            for b in range(m):
                xn = X[k - 1, N, b]
                for i in range(N):
                    A[i, b] -= Bl[k, i, i] * X[k - 1, i, b] + Bl[k, i, N] * xn
                A[N, b] -= Bl[k, N, N] * xn
            yn = out[k - 1, N]
            for i in range(N):
                r[i] -= Bl[k, i, i] * out[k - 1, i] + Bl[k, i, N] * yn
            r[N] -= Bl[k, N, N] * yn
        for c in range(m):
            p = c
            big = abs(A[c, c])
            for a in range(c + 1, m):
                v = abs(A[a, c])
                if v > big:
                    big = v
                    p = a
            if not big > 0.0:  # also catches NaN
                return k + 1
            if 10.0 * abs(A[c, c]) >= big:
                p = c
            perm[c] = p
            if p != c:
                for b in range(m):
                    tmp = A[c, b]
                    A[c, b] = A[p, b]
                    A[p, b] = tmp
            inv = 1.0 / A[c, c]
            A[c, c] = 1.0
            for b in range(m):
                A[c, b] *= inv
            for a in range(m):
                if a != c:
                    f = A[a, c]
                    A[a, c] = 0.0
                    for b in range(m):
                        A[a, b] -= f * A[c, b]
        # row exchanges of the block are column exchanges of its inverse, in reverse order
        for c in range(m - 1, -1, -1):
            p = perm[c]
            if p != c:
                for a in range(m):
                    tmp = A[a, c]
                    A[a, c] = A[a, p]
                    A[a, p] = tmp
        for a in range(m):
            v = 0.0
            for b in range(m):
                v += A[a, b] * r[b]
            out[k, a] = v
        if k < K - 1:
            for a in range(m):
                v = A[a, N] * Bu[k, N, N]
                for i in range(N):
                    X[k, a, i] = A[a, i] * Bu[k, i, i]
                    v += A[a, i] * Bu[k, i, N]
                X[k, a, N] = v
    return 0


@njit(cache=True)
def _block_forward(S, Bl, rhs, out, block):
    """Forward substitution with the factorised matrix: out_k = S_k (rhs_k − Bl_k out_{k−1})."""
    K = rhs.shape[0]
    m = len(block)
    N = m - 1
    r = np.empty(m)
    for k in range(K):
        for a in range(m):
            r[a] = rhs[k, a]
        if k > 0:
            yn = out[k - 1, N]
            for i in range(N):
                r[i] -= Bl[k, i, i] * out[k - 1, i] + Bl[k, i, N] * yn
            r[N] -= Bl[k, N, N] * yn
        for a in range(m):
            v = 0.0
            for b in range(m):
                v += S[k, a, b] * r[b]
            out[k, a] = v


@njit(cache=True)
def _block_backward(X, out, block):
    """Back substitution, in place: out_k −= X_k out_{k+1}."""
    K = out.shape[0]
    m = len(block)
    for k in range(K - 2, -1, -1):
        for a in range(m):
            v = out[k, a]
            for c in range(m):
                v -= X[k, a, c] * out[k + 1, c]
            out[k, a] = v


@njit(cache=True)
def _block_solve(S, X, Bl, rhs, out, block):
    """Solve the factorised system (_block_factor) for rhs (K, m) into out."""
    _block_forward(S, Bl, rhs, out, block)
    _block_backward(X, out, block)


@njit(cache=True)
def _bern_arrays(v):
    """B(v), B'(v), B(−v), B'(−v) of a 1-D array v (_bern_pair elementwise)."""
    bp = np.empty_like(v)
    dbp = np.empty_like(v)
    bm = np.empty_like(v)
    dbm = np.empty_like(v)
    for i in range(v.size):
        bp[i], dbp[i], bm[i], dbm[i] = _bern_pair(v[i])
    return bp, dbp, bm, dbm


@njit(cache=True)
def _electrode_outflow(z, psi_e, psiK, cK, dK, ddK, sL):
    """Outflow into an absorbing electrode at ψ_e (n = 0 at the face; the Scharfetter–Gummel
    flux over the half cell sL with D of the last cell) and its derivatives wrt c_K,i, ψ_K."""
    n = z.size
    flux = np.empty(n)
    dc = np.empty(n)
    dp = np.empty(n)
    for i in range(n):
        b, db, _, _ = _bern_pair(z[i] * (psi_e - psiK))
        g = dK[i] / sL
        flux[i] = g * b * cK[i]
        dc[i] = (dK[i] + ddK[i] * cK[i]) / sL * b
        dp[i] = -g * cK[i] * db * z[i]
    return flux, dc, dp


# status codes of a Newton update
_ITERATED = 0
_NONFINITE_RESIDUAL = 1
_SINGULAR = 2
_NONFINITE_UPDATE = 3
_FAILURES = {
    _NONFINITE_RESIDUAL: "non-finite residual",
    _SINGULAR: "singular Newton matrix",
    _NONFINITE_UPDATE: "non-finite Newton update",
}


@njit(cache=True)
def _linearise(
    Y,
    base,
    gh,
    dface,
    dleft,
    dright,
    z,
    inv_vol,
    inv_h,
    lam2,
    f0,
    df0c,
    df0p,
    fL,
    dfLc,
    dfLp,
    grads,
    du0,
    R,
    Bd,
    Bl,
    Bu,
    S,
    X,
    Yp,
    base_p,
    delta,
    block,
):
    """Assemble the stage equations at Y (_assemble), keep −R in R, Y in Yp and base in
    base_p, factorise the Newton matrix and substitute −R forward into delta
    (_block_factor). Returns (status, cell): cell is where a failure is."""
    K = Y.shape[0]
    m = len(block)
    _assemble(
        Y, base, gh, dface, dleft, dright, z, inv_vol, inv_h, lam2, f0, df0c, df0p, fL, dfLc,
        dfLp, grads, du0, R, Bd, Bl, Bu, block,
    )  # fmt: skip
    for k in range(K):
        for a in range(m):
            if not math.isfinite(R[k, a]):
                return _NONFINITE_RESIDUAL, k
            R[k, a] = -R[k, a]
            Yp[k, a] = Y[k, a]
            base_p[k, a] = base[k, a]
    bad = _block_factor(Bd, Bl, Bu, S, X, R, delta, block)
    if bad:
        return _SINGULAR, bad - 1
    return _ITERATED, 0


@njit(cache=True)
def _restart(R, Yp, base_p, base, ratio, block):
    """−R of a new stage at the linearisation point Yp of the last one: with the flux
    divergence there, (c_p − base_p + (−R_p))/γh_p, the new residual for ``base`` and
    γh = ratio·γh_p is c_p − base − ratio·(c_p − base_p − R_p); the Poisson rows are
    unchanged."""
    K = R.shape[0]
    N = len(block) - 1
    for k in range(K):
        for i in range(N):
            cp = Yp[k, i]
            R[k, i] = ratio * (cp - base_p[k, i] + R[k, i]) - (cp - base[k, i])


@njit(cache=True)
def _rescale(Bd, Bl, Bu, ratio, block):
    """The Newton matrix of the same state for γh scaled by ``ratio``: its density rows are
    I − γh·∂(flux divergence)/∂Y, its Poisson rows do not depend on γh."""
    K = Bd.shape[0]
    m = len(block)
    N = m - 1
    for k in range(K):
        for i in range(N):
            for b in range(m):
                Bd[k, i, b] *= ratio
            Bd[k, i, i] += 1.0 - ratio
            Bl[k, i, i] *= ratio
            Bl[k, i, N] *= ratio
            Bu[k, i, i] *= ratio
            Bu[k, i, N] *= ratio


@njit(cache=True)
def _update(
    Yp,
    rhs,
    S,
    X,
    Bd,
    Bl,
    Bu,
    f0,
    df0c,
    df0p,
    fL,
    dfLc,
    dfLp,
    weight,
    psi_tol,
    delta,
    Y,
    booked,
    forward_done,
    block,
):
    """The Newton update from the linearisation point Yp: J δ = rhs (= −R), Y = Yp + δ (Y may
    be Yp; ``forward_done``: delta holds the forward substitution of rhs already). Returns
    (status, cell, size).

    ``size`` measures δ against the Newton tolerance (< 1: small enough): the density
    updates in units of 1/weight, and ψ's by the smaller of |δψ|/psi_tol and the move
    J_cψ·δψ of the density equations in units of 1/weight (in wide bulk cells over a short
    step a common shift of ψ hardly acts on anything and is fixed only to round-off; the
    second measure is what matters). ``booked`` receives the boundary fluxes linearised
    across δ (front inflow, back outflow): with them the inventory change of the stage
    equals the booked transport to round-off, since interior fluxes telescope in J.
    ``cell`` is where the update is largest (or not finite).
    """
    K = Yp.shape[0]
    m = len(block)
    N = m - 1
    if not forward_done:
        _block_forward(S, Bl, rhs, delta, block)
    _block_backward(X, delta, block)
    for i in range(N):
        v = f0[i] + df0p[i] * delta[0, N]
        for j in range(N):
            v += df0c[i, j] * delta[0, j]
        booked[0, i] = v
        booked[1, i] = fL[i] + dfLc[i] * delta[K - 1, i] + dfLp[i] * delta[K - 1, N]
    size_c = 0.0
    size_psi = 0.0
    size_moved = 0.0
    cell = 0
    for k in range(K):
        dpsi = delta[k, N]
        if not math.isfinite(dpsi):
            return _NONFINITE_UPDATE, k, math.inf
        size_psi = max(size_psi, abs(dpsi) / psi_tol)
        for i in range(N):
            dc = delta[k, i]
            if not math.isfinite(dc):
                return _NONFINITE_UPDATE, k, math.inf
            w = weight[k, i]
            s = abs(dc) * w
            if s > size_c:
                size_c = s
                cell = k
            moved = Bd[k, i, N] * dpsi
            if k > 0:
                moved += Bl[k, i, N] * delta[k - 1, N]
            if k < K - 1:
                moved += Bu[k, i, N] * delta[k + 1, N]
            size_moved = max(size_moved, abs(moved) * w)
            Y[k, i] = Yp[k, i] + dc
        Y[k, N] = Yp[k, N] + dpsi
    return _ITERATED, cell, max(size_c, min(size_psi, size_moved))


@njit(cache=True)
def _newton_scales(y, atol, rtol, weight, block):
    """The Newton tolerances of a step from y: weight = 1/(1 % of atol + rtol·|c|) on the
    fractions (into ``weight``), and the tolerance on ψ, 1e-6·(1 + max|ψ|), returned."""
    K = y.shape[0]
    N = len(block) - 1
    big = 0.0
    for k in range(K):
        for i in range(N):
            weight[k, i] = 1.0 / (0.01 * (atol + rtol * abs(y[k, i])))
        big = max(big, abs(y[k, N]))
    return 1e-6 * (1.0 + big)


@njit(cache=True)
def _stage_done(Y, y, step, j, ks, base, block):
    """After stage j: its slope k_j = (Y − base)/γh into ks[j], and the base of stage j + 1,
    y + step·Σ_{l ≤ j} a_{j+1,l} k_l (the fractions; ψ has no base)."""
    K = Y.shape[0]
    N = len(block) - 1
    gh = G * step
    for k in range(K):
        for i in range(N):
            ks[j, k, i] = (Y[k, i] - base[k, i]) / gh
            if j == 0:
                base[k, i] = y[k, i] + step * A21 * ks[0, k, i]
            elif j == 1:
                base[k, i] = y[k, i] + step * (B[0] * ks[0, k, i] + B[1] * ks[1, k, i])


@njit(cache=True)
def _error_norm(y, Y, ks, step, atol, rtol, S, X, Bl, err, filtered, block):
    """The embedded error estimate step·Σ E_j k_j on the fractions, filtered through the
    last Newton matrix (Shampine), over atol + rtol·max(|c_old|, |c_new|), max norm."""
    K = y.shape[0]
    N = len(block) - 1
    for k in range(K):
        for i in range(N):
            err[k, i] = step * (E[0] * ks[0, k, i] + E[1] * ks[1, k, i] + E[2] * ks[2, k, i])
        err[k, N] = 0.0
    _block_solve(S, X, Bl, err, filtered, block)
    en = 0.0
    for k in range(K):
        for i in range(N):
            e = abs(filtered[k, i]) / (atol + rtol * max(abs(y[k, i]), abs(Y[k, i])))
            if not e <= en:
                en = e
    return en


# --------------------------------------------------------------------------- the discrete system


class _Linearisation:
    """The stage equations linearised at a state Yp for a base and γh: −R there, the
    blocks of the Newton matrix with their block factors (S, X of _block_factor), and the
    boundary terms (_System.boundary) for the booked fluxes."""

    def __init__(self, K, m):
        self.Yp = np.empty((K, m))
        self.base = np.empty((K, m))
        self.gh = 1.0
        self.R = np.empty((K, m))
        self.Bd = np.empty((K, m, m))
        self.Bl = np.empty((K, m, m))
        self.Bu = np.empty((K, m, m))
        self.S = np.empty((K, m, m))
        self.X = np.empty((K, m, m))
        self.bnd = None

    def restart(self, base, gh, block, delta):
        """Turn this into the linearisation, at the same state, of the stage equations for
        another ``base`` and ``gh`` (_restart, _rescale): no diffusivities or fluxes are
        evaluated, and the matrix is factorised again only if γh changed (then −R is
        substituted forward into delta). Returns (not singular, forward substitution done)."""
        ratio = gh / self.gh
        _restart(self.R, self.Yp, self.base, base, ratio, block)
        self.base[:] = base
        self.gh = gh
        if ratio == 1.0:
            return True, False
        _rescale(self.Bd, self.Bl, self.Bu, ratio, block)
        bad = _block_factor(self.Bd, self.Bl, self.Bu, self.S, self.X, self.R, delta, block)
        return not bad, True


class _System:
    """The discrete NPP system of one implicit stage, in scaled unknowns: its boundary terms
    (Python) for the compiled assembly of the residual and the block-tridiagonal Newton
    matrix (_assemble), and the work arrays of the Newton iteration.

    State Y has shape (K, m), m = N + 1: Y[k, :N] = c_i = n_i/n_0, Y[k, N] = ψ = eφ/(k_BT).
    Stage equations (rows divided by the cell volume):
        c − base − γh (F_left − F_right)/vol = 0,
        λ² (g_right − g_left)/vol + Σ z c − 1 = 0,   g = ∂ψ/∂x at the faces.
    """

    def __init__(self, grid, species, medium, front, back, face_mean=INTEGRAL):
        self.face_mean = face_mean
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
        self._no_du = np.zeros(self.N)
        self.block = (0,) * m  # its length m specialises the compiled kernels
        self.inv_vol = 1.0 / self.vol
        self.inv_h = 1.0 / self.h
        # work arrays of the compiled Newton iteration, and two linearisations: the first
        # stage's, kept through the step (a retry of a rejected step starts from it), and
        # the later stages'
        self.delta = np.empty((K, m))
        self.booked = np.empty((2, self.N))
        self.err = np.empty((K, m))
        self.filtered = np.empty((K, m))
        self.weight = np.empty((K, self.N))
        self.linearisations = (_Linearisation(K, m), _Linearisation(K, m))
        self.n_linearised = 0

    # ----- pieces

    def diffusivities(self, c):
        """D_i and dD_i/dc_i per cell, (K, N); fractions clipped at 0 for the law (small
        negative values can appear transiently in a high-order stage)."""
        clipped = np.maximum(c.T, 0.0, order="C")  # one contiguous row per species
        d = np.empty(clipped.shape)
        dd = np.empty(clipped.shape)
        for i, law in enumerate(self.laws):
            d[i], dd[i] = law(clipped[i])
        return d.T, dd.T

    def face_diffusivities(self, c):
        """D_i and dD_i/dc_i per cell (K, N), and D_i at the interior faces (K − 1, N) with
        ∂/∂c_left and ∂/∂c_right (FACE_MEANS), at the fractions c (K, N).

        The integral mean is D averaged along the straight concentration path between the
        two cells, each half with its own cell's law,

            D_face = ∫₀¹ D(c_L + s (c_R − c_L)) ds   (= [Φ(c_R) − Φ(c_L)]/(c_R − c_L) with
                                                     Kirchhoff's Φ = ∫D dc where both cells
                                                     share one law),

        the exact flux of steady diffusion between the cells however steeply D varies with
        c; two Gauss–Legendre nodes per half, evaluated with the cells in one call of each
        law (its fractions carry the cells in their last axis)."""
        K, N = self.K, self.N
        if self.face_mean != INTEGRAL:
            d, dd = self.diffusivities(c)
            out = (np.empty((K - 1, N)), np.empty((K - 1, N)), np.empty((K - 1, N)))
            _face_means(self.face_mean, d, dd, *out)
            return d, dd, *out
        clipped = np.maximum(c.T, 0.0)  # (N, K), as diffusivities clips
        d = np.empty((N, K))
        dd = np.empty((N, K))
        dface = np.empty((N, K - 1))
        dleft = np.empty((N, K - 1))
        dright = np.empty((N, K - 1))
        points = np.empty((1 + _FACE_NODES.size, K))
        for i, law in enumerate(self.laws):
            if isinstance(law, ConstantDiffusivity):
                d[i] = dface[i] = law.value
                dd[i] = dleft[i] = dright[i] = 0.0
                continue
            _face_points(clipped[i], _FACE_NODES, points)
            dq, ddq = law(points)
            d[i], dd[i] = dq[0], ddq[0]
            _face_integrals(dq, ddq, _FACE_NODES, dface[i], dleft[i], dright[i])
        return d.T, dd.T, dface.T, dleft.T, dright.T

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
            return _electrode_outflow(self.z, b.potential / self.vt, psiK, cK, dK, ddK, self.sL)
        return zero, zero, zero

    def front_gradient(self, psi0):
        """∂ψ/∂x at x = 0 and its derivative wrt ψ_0 (for a galvanostatic bath the drop
        found by the last front_flux call; it depends on c_0 only, see _assemble)."""
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

    def linearise(self, Y, base, gh, lin):
        """Evaluate the diffusivity laws and the boundary fluxes at Y, then assemble and
        factorise the Newton matrix of the stage equations into ``lin`` (_linearise; the
        first update lands in self.delta); on success ``lin`` also keeps γh and the
        boundary fluxes. Returns (status, cell)."""
        d, dd, *faces = self.face_diffusivities(Y[:, : self.N])
        self.n_linearised += 1
        bnd = self.boundary(Y, d, dd)
        status, cell = _linearise(
            Y, base, gh, *faces, self.z, self.inv_vol, self.inv_h, self.lam2, *bnd, lin.R, lin.Bd, lin.Bl, lin.Bu, lin.S, lin.X, lin.Yp, lin.base, self.delta,
            self.block,
        )  # fmt: skip
        if status == _ITERATED:
            lin.gh = gh
            lin.bnd = bnd
        return status, cell

    def boundary(self, Y, d, dd):
        """The boundary terms of the stage equations at the state Y (K, m) with the cell
        diffusivities d, dd: front inflow f0 (N) with ∂/∂c_0 (N × N) and ∂/∂ψ_0 (N), back
        outflow fL with ∂/∂c_K,i (N) and ∂/∂ψ_K (N), the boundary gradients (g_0, ∂g_0/∂ψ_0,
        g_L, ∂g_L/∂ψ_K) and the galvanostatic anode's λ²·∂(ψ_0 − ψ_U)/∂c_0/s_0 (N; zero
        for every other front)."""
        N = self.N
        f0, df0c, df0p = self.front_flux(Y[0, :N], Y[0, N], d[0], dd[0])
        fL, dfLc, dfLp = self.back_flux(Y[-1, :N], Y[-1, N], d[-1], dd[-1])
        g0, dg0 = self.front_gradient(Y[0, N])  # after front_flux: the anode drop is set there
        gL, dgL = self.back_gradient(Y[-1, N])
        if isinstance(self.front, GalvanostaticBath):
            du0 = self.lam2 * self._front_du / self.s0
        else:
            du0 = self._no_du
        grads = np.array([g0, dg0, gL, dgL])
        return f0, df0c, df0p, fL, dfLc, dfLp, grads, du0

    def assemble(self, Y, base, gh):
        """Residual (K, m), band matrix (dgbtrf layout, kl = ku = 2m − 1), and the boundary
        fluxes with their derivatives, from the compiled assembly (a reference for tests:
        the solver itself factorises the blocks)."""
        K, m = self.K, self.m
        Y = np.ascontiguousarray(Y, dtype=float)
        base = np.ascontiguousarray(base, dtype=float)
        d, dd, *faces = self.face_diffusivities(Y[:, : self.N])
        bnd = self.boundary(Y, d, dd)
        R = np.empty((K, m))
        Bd = np.empty((K, m, m))
        Bl = np.zeros((K, m, m))
        Bu = np.zeros((K, m, m))
        _assemble(
            Y,
            base,
            gh,
            *faces,
            self.z,
            self.inv_vol,
            self.inv_h,
            self.lam2,
            *bnd,
            R,
            Bd,
            Bl,
            Bu,
            self.block,
        )
        ab = np.zeros((2 * self.kl + self.ku + 1, K * m))
        ab[self.idx_d] = Bd
        ab[self.idx_l] = Bl[1:]
        ab[self.idx_u] = Bu[:-1]
        return R, ab, bnd[:6]

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
    face_mean: str = "integral",
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
        face_mean: how the two cells' D make the face's D in the Scharfetter–Gummel flux:
            "integral" (the mean of D along the face's concentration path, module
            docstring), or "arithmetic", "harmonic" or "logarithmic" of the two cell
            values (FACE_MEANS).
    Raises:
        ValueError: bad input (shapes, negative densities, unknown boundaries …).
        SolverError: Newton fails repeatedly and the step falls below round-off (the message
            names the time and the depth of the largest Newton update), or the charge
            target is not reached.
    """
    if face_mean not in FACE_MEANS:
        raise ValueError(f"face_mean: found {face_mean!r}; expected one of {', '.join(FACE_MEANS)}")
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

    system = _System(grid, species, medium, front, back, FACE_MEANS[face_mean])
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
    h = max(first_step, step_control.step_floor(duration))
    h_cap = max_step if max_step is not None else math.inf
    h_min = step_control.step_floor(duration)

    n_out = outs.size
    st_dens = np.empty((n_out, N, K))
    st_psi = np.empty((n_out, K))
    st_cur = np.empty(n_out)
    st_in = np.empty((n_out, N))
    st_outf = np.empty((n_out, N))
    cum_in = np.zeros(N)  # fractions × m
    cum_out = np.zeros(N)
    e_n0 = ELEMENTARY_CHARGE * n0

    absorbing_back = isinstance(back, Electrode) and back.absorbing

    def current_of(Yc):
        if not absorbing_back:
            return 0.0  # no ion crosses the back face
        cK = Yc[-1, :N]
        # D of the last cell only for the species present there (an absent one carries no
        # flux whatever its D): the laws are the costly part of this per-step report
        d = np.zeros(N)
        for i in np.flatnonzero(cK):
            d[i] = system.laws[i](np.maximum(cK[i : i + 1], 0.0))[0][0]
        fL = system.back_flux(cK, Yc[-1, N], d, np.zeros(N))[0]
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
    rejected_last = False  # no step growth right after a rejection (step_control)
    restart = None  # the linearisation the next attempt starts from

    while t < duration and not reached:
        while step_control.stop_passed(stops[stop_idx], t):
            stop_idx += 1
        target = stops[stop_idx]
        h = min(h, h_cap)
        if event_step is not None:
            step = min(event_step, target - t)
            landing = step_control.lands(t, step, target, adaptive=False)
        else:
            landing = step_control.lands(t, h, target, adaptive=fixed_step is None)
            step = target - t if landing else h
        ok, res = _sdirk_step(system, Y, step, k_last, use_k_last, restart, atol, rtol)
        n_newton += res["newton"]
        if not ok:
            n_rejected += 1
            use_k_last = False
            restart = None
            last_failure = res["failure"]
            if fixed_step is not None:
                raise SolverError(
                    f"NPP integration failed at t = {time_offset + t:.6g} s with the fixed step "
                    f"{fixed_step:.6g} s: {last_failure} near depth {grid.centres[res['cell']]:.3e} m"
                )
            h = step_control.step_after_failure(step)
            if event_step is not None:
                event_step = step_control.step_after_failure(event_step)
            rejected_last = True
            if not h >= h_min:
                raise SolverError(
                    f"NPP integration failed at t = {time_offset + t:.6g} s: {last_failure} near depth "
                    f"{grid.centres[res['cell']]:.3e} m; the step fell below {h_min:.1e} s. Check that the "
                    "diffusion coefficients are finite and positive and the boundary data consistent."
                )
            continue
        en = res["error"]
        factor = step_control.step_factor(en)
        if fixed_step is not None:
            factor, en = 1.0, 0.0
        if en > 1.0:
            n_rejected += 1
            h = step_control.step_after_reject(step, factor)
            if event_step is not None:
                event_step = h
            restart = res["first"]  # the retry starts from the same y
            rejected_last = True
            continue
        new_in = cum_in + res["inflow"]
        new_out = cum_out + res["outflow"]
        if stop_at_charge is not None:
            q_old = e_n0 * float(cum_out @ system.z)
            q_new = e_n0 * float(new_out @ system.z)
            if step_control.event_passed(q_new, stop_at_charge, charge_rtol):
                # overshoot: re-take the step, aimed at the target over the bracket of step
                # lengths [shorter, overshooting]
                lo = (0.0, q_old) if event_bracket is None else event_bracket[0]
                event_bracket = (lo, (step, q_new))
                (s_lo, q_lo), (s_hi, q_hi) = event_bracket
                event_step = step_control.event_step(s_lo, q_lo, s_hi, q_hi, stop_at_charge)
                event_iter += 1
                if event_iter > step_control.MAX_EVENT_AIMS:
                    raise SolverError(
                        f"could not land on the charge target at t = {time_offset + t:.6g} s"
                    )
                restart = res["first"]
                continue
            if step_control.event_reached(q_new, stop_at_charge, charge_rtol):
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
        restart = res["last"]
        if fixed_step is not None:
            h = fixed_step
        elif event_step is None:
            h = step_control.step_after_accept(step, factor, h, landing, rejected_last)
        rejected_last = False
        hist["time"].append(t)
        hist["current"].append(current_of(Y))
        hist["back_charge"].append(e_n0 * float(cum_out @ system.z))
        hist["beam_charge"].append(e_n0 * float(cum_in @ system.z))
        hist["surface_potential"].append(surface_potential_of(Y))
        while out_idx < n_out and step_control.output_due(outs[out_idx], t):
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
            "n_linearised": system.n_linearised,
        },
    )


def _newton(system, Y, base, gh, weight, psi_tol, restart, work):
    """Solve the stage equations for ``base`` in place in Y by Newton's method. Returns (ok,
    message, cell, updates, front inflow, back outflow, linearisation): the fluxes are
    linearised across the last update, and the linearisation is the one of that update.

    With ``restart`` (a _Linearisation of a previous stage or step) the first update is
    Newton's update from its state Yp for this stage (_Linearisation.restart): it needs no
    diffusivities or fluxes, and from the previous stage's Yp it is Y_prev + J⁻¹ Δbase, a
    linearly implicit predictor. Otherwise the iteration starts from Y as given. Each
    further update linearises at the current iterate (diffusivities and boundary fluxes
    here, the compiled assembly and block factorisation), kept in ``work``.

    Converged when the last update is below the tolerance (size < 1), or when the remaining
    error estimated from the contraction θ = size/previous size, θ/(1 − θ)·size, is (the
    iteration converges quadratically, so this bound is pessimistic)."""
    block = system.block
    last = math.inf
    cell = 0
    for it in range(_MAX_NEWTON):
        if it == 0 and restart is not None:
            lin = restart
            regular, forward_done = lin.restart(base, gh, block, system.delta)
            if not regular:
                return False, _FAILURES[_SINGULAR], 0, it + 1, None, None, None
        else:
            lin = work
            status, cell = system.linearise(Y, base, gh, lin)
            if status != _ITERATED:
                return False, _FAILURES[status], cell, it + 1, None, None, None
            forward_done = True
        status, cell, size = _update(
            lin.Yp,
            lin.R,
            lin.S,
            lin.X,
            lin.Bd,
            lin.Bl,
            lin.Bu,
            *lin.bnd[:6],
            weight,
            psi_tol,
            system.delta,
            Y,
            system.booked,
            forward_done,
            block,
        )
        if status != _ITERATED:
            return False, _FAILURES[status], cell, it + 1, None, None, None
        if size < 1.0 or (it > 0 and size < last and size * size < last - size):
            booked = system.booked
            return True, "", 0, it + 1, booked[0].copy(), booked[1].copy(), lin
        if it > 1 and size > 0.5 * last:
            return False, "Newton iteration stalls", cell, it + 1, None, None, None
        last = size
    return (
        False,
        f"Newton did not converge in {_MAX_NEWTON} iterations",
        cell,
        _MAX_NEWTON,
        None,
        None,
        None,
    )


def _sdirk_step(system, y, step, k_last, use_k_last, restart, atol, rtol):
    """One SDIRK3 step of the DAE from y. ``restart``: a _Linearisation to start the first
    stage from (the last one of the previous step, or the first stage's of a rejected
    attempt), or None to start from the predictor y + γh·k_last (``use_k_last``) or y.
    Returns (ok, dict); the dict of a step whose stages converged holds the first stage's
    linearisation ("first") and the last one ("last")."""
    N = system.N
    block = system.block
    # Newton stops at 1 % of the error tolerance in c and at 1e-6 k_BT/e·(1 + |ψ|) in ψ
    weight = system.weight
    psi_tol = _newton_scales(y, atol, rtol, weight, block)
    gh = G * step
    ks = np.empty((3, system.K, N))
    Y = y.copy()
    if restart is None and use_k_last:
        Y[:, :N] += gh * k_last
    base = y.copy()
    lin_a, lin_b = system.linearisations
    work = restart if restart is not None else lin_a
    later = lin_b if work is lin_a else lin_a
    inflow = np.zeros(N)
    outflow = np.zeros(N)
    newton = 0
    lin = first = restart
    for j in range(3):
        ok, msg, cell, its, f0, fL, lin = _newton(system, Y, base, gh, weight, psi_tol, lin, work)
        newton += its
        if not ok:
            return False, {"failure": msg, "cell": cell, "newton": newton}
        if j == 0:
            first = lin
            work = later
        _stage_done(Y, y, step, j, ks, base, block)
        inflow += step * B[j] * f0
        outflow += step * B[j] * fL
    en = _error_norm(
        y,
        Y,
        ks,
        step,
        atol,
        rtol,
        lin.S,
        lin.X,
        lin.Bl,
        system.err,
        system.filtered,
        system.block,
    )
    return True, {
        "Y": Y,
        "k_end": ks[2],
        "error": en,
        "inflow": inflow,
        "outflow": outflow,
        "newton": newton,
        "first": first,
        "last": lin,
    }
