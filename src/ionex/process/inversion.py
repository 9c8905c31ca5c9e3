"""Mode indices → index profile → stress: a profile model fitted through the exact mode
solver, or inverse WKB, behind one entry point (process layer: SI floats).

Model (Rogoziński, Appl. Sci. 9 (2019) 2548, doi:10.3390/app9122548, eq. 7: one normalised
shape for n_TE, n_TM, n_0 and σ):

    n_pol(x) = n_s,pol + Δ_pol · u(x; p),   u(0) = 1,  u decreasing to 0,   pol = TE, TM
    σ(x) = (n_TE(x) − n_TM(x)) / (C∥ − C⊥)
         = [(n_s,TE − n_s,TM) + (Δ_TE − Δ_TM) u(x)] / (C∥ − C⊥)

n_s,pol is the index the modes see deep in the glass: free per polarisation by default (a
plate's central tension shifts it by ≈ 3e-5 for TE and ≈ 6e-5 for TM, ≈ 15 MPa of stress),
or given. u(x; p) comes from a ProfileFamily: erfc, Gaussian, exponential, one-step and
two-step Helfferich–Plesset diffusion, or a monotone spline. θ = (p, Δ_pol, n_s,pol)
minimises

    χ² = Σ_pol Σ_m [(N_m^model(θ) − N_m^measured) / σ_N]²

with N_m^model from ionex.solvers.modes.solve_modes (the exact TE/TM modes of the profile
sampled at SAMPLE_POINTS depths equidistributed in √|u''|: ≈ 4e-8 in N, measured, second
order), by lmfit's trust-region reflective least squares inside the bounds. A mode the
trial profile does not guide counts at the cut-off, N = n_s, which keeps the residuals
continuous when a trial profile loses its last mode.

Jacobian: first-order perturbation theory from one solve with fields per polarisation
(jacobian_perturbative): ∂N/∂θ = ∫ n ∂n/∂θ E² dx / N (TE, ∫E² = 1) and
∂N/∂θ = ∫ (∂n/∂θ/n³)(H'²/k0² + N²H²) dx / (N ∫H²/n² dx) (TM): both are the stationarity of
N² as the Rayleigh quotient of the wave equation (Snyder & Love, Optical Waveguide Theory,
Chapman & Hall 1983, ch. 18). It agrees with finite differences of the forward model to
≤ 2e-3 relative (the differences' own noise) and costs one solve with fields instead of
k + 1 solves. Measured on AUTO inversions of 10–14 modes per polarisation (erfc, r = 0.1,
two-step): 3.1–4.1× faster than forward differences (114–172 mode solves instead of
818–1094), the same results.

Start: each polarisation is first inverted by IWKB and the family fitted to those points
(no mode solving, milliseconds); the IWKB surface point and the broken line are biased on
flat-topped profiles, but close enough to start from. Several starts where a family is
multimodal (two-step), screened by their cost on the IWKB points. Without IWKB points
(it refuses the list) the depth scale comes from a WKB mode count.

Bounds: n_s,pol ∈ [N_last − 3(N_{M−2} − N_{M−1}) − 4σ, N_last], σ = √(σ_{M−2}² + σ_{M−1}²)
of the given σ_N (a complete list: the next mode would lie below the cut-off; the true gap
N_last − n_s measured ≤ 0.45 of the last spacing on every validation shape, so an unseen
mode still fits, and noise can shrink the measured spacing), Δ_pol ∈ [N_0 − N_last, 20×],
widths within ×/÷ 10 of the IWKB estimate; each family states its own.

Uncertainties: cov(θ) = (JᵀWJ)⁻¹ at the optimum, W = diag(1/σ_N²): absolute when σ_N is
given, else scaled by χ²_red (ModeInversion.uncertainty says which). Standard errors of the
reported parameters, of n(x) and of σ(x) by the delta method, gᵀ cov g with g = ∂(·)/∂θ,
all correlations included.

Family selection (AUTO): every family with k ≤ n − 2 parameters (n = all modes given) is
fitted with a screening budget; every unfinished fit that could still win (its AICc at
χ² = 0 below the leader's) is then refined to convergence, and the smallest AICc
(Hurvich & Tsai, Biometrika 76 (1989) 297) is chosen:

    AICc = χ² + 2k + 2k(k + 1)/(n − k − 1)                       (σ_N given)
    AICc = n ln(RSS/n + ε²) + 2k + 2k(k + 1)/(n − k − 1)          (σ_N unknown)

AICc rather than BIC: the families approximate a real profile rather than contain the true
model, and AICc (efficient, corrected for small samples) picks the one that predicts best;
its penalty rises steeply as k approaches n, which guards the 9-parameter two-step and the
spline on short lists, and for n ≈ 20 it is close to BIC's k ln n. ε = MODEL_FLOOR, the
forward model's own error, so that noise-free data cannot rank exact families by rounding.

Inverse WKB (Method.IWKB): ionex.solvers.iwkb.reconstruct_profile per polarisation (White &
Heidrich, Appl. Opt. 15 (1976) 151; surface index by Chiang's extrapolation, Chiang,
J. Lightwave Technol. 3 (1985) 385; exact cover phase) and stress_at_tm_turning_points
(Rogoziński 2019), without uncertainties.
"""

from __future__ import annotations

import abc
import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar

import lmfit
import numpy as np
from scipy import optimize, stats
from scipy.interpolate import PchipInterpolator
from scipy.special import erfc

from ..errors import SolverError
from ..physics.optics import ElastoOptic, vacuum_wavenumber, POLARISATIONS, check_polarisation
from ..solvers.iwkb import reconstruct_profile, stress_at_tm_turning_points
from ..solvers.modes import solve_modes
from ..solvers.similarity import helfferich_plesset_profile

__all__ = [
    "Method",
    "ProfileFamily",
    "Erfc",
    "Gaussian",
    "Exponential",
    "OneStep",
    "TwoStep",
    "MonotoneSpline",
    "AutoSelect",
    "AUTO",
    "FAMILIES",
    "ProfileHint",
    "IndexProfile",
    "StressProfile",
    "Candidate",
    "ModeInversion",
    "invert_modes",
    "SAMPLE_POINTS",
    "OUTPUT_POINTS",
]

SAMPLE_POINTS = 300  # profile points given to the mode solver (≈ 4e-8 in N, measured)
OUTPUT_POINTS = 301  # output grid: uniform from 0 to the covered depth
MODEL_FLOOR = 1e-7  # the forward model's error in N, counted in the unweighted AICc (≥ 4e-8)
NOMINAL_SIGMA = 1e-6  # residual scale of unweighted fits (see _sigmas)
SCREEN_EVALUATIONS = 12  # function evaluations per start while "auto" ranks the families
FULL_EVALUATIONS = 300  # for the chosen family, or a family given explicitly
_PRE_POINTS = 4001  # fine grid on which the sample points are equidistributed
_FD_STEP = 1e-6  # difference step in the O(1) internal variables
# ΔAICc below which two models have substantial support alike (Burnham & Anderson, Model
# Selection and Multimodel Inference, 2nd ed., Springer 2002, §2.6)
_SIMILAR_AICC = 2.0
# ∫_0^∞ √erfc(η) dη, for the WKB mode count of an erfc guide (quad, 1e-10)
_ERFC_ROOT_INTEGRAL = 0.6703


class Method(enum.Enum):
    """Inversion method: inverse WKB, or a profile model fitted through the exact mode solver."""

    IWKB = "iwkb"
    MODEL = "model"


# --------------------------------------------------------------------------- hints


@dataclass(frozen=True)
class ProfileHint:
    """What the data say about the depth scale before any fit (IWKB, or a WKB mode count).

    Attributes:
        half_depth: depth (m) where u ≈ 1/2.
        covered_depth: deepest turning point (m), roughly.
        depth, shape: IWKB turning points of all polarisations, sorted by depth (m), with
            u = (N − n_s)/(n(0) − n_s) estimated there (dimensionless); empty without IWKB.
    """

    half_depth: float
    covered_depth: float
    depth: np.ndarray = field(default_factory=lambda: np.empty(0))
    shape: np.ndarray = field(default_factory=lambda: np.empty(0))


# --------------------------------------------------------------------------- families


class ProfileFamily(abc.ABC):
    """A family of normalised shapes u(x; p): u(0) = 1, decreasing to 0, x in m.

    A subclass declares ``name`` (what the command line maps to the class),
    ``parameter_names`` (the fitted shape parameters, SI) and ``log_parameters`` (fitted in
    log: positive quantities with a scale), and implements the shape, its extent (u ≤ 1e-12
    beyond), bounds and starting values from a ProfileHint.
    """

    name: ClassVar[str]
    parameter_names: tuple[str, ...] = ()
    log_parameters: tuple[bool, ...] = ()

    @property
    def parameter_count(self) -> int:
        """The number of shape parameters k_p (the fit adds Δ and n_s per polarisation)."""
        return len(self.parameter_names)

    @abc.abstractmethod
    def shape(self, depth, params) -> np.ndarray:
        """u(x; p) at depths x (m) for shape parameters p (SI)."""

    @abc.abstractmethod
    def extent(self, params) -> float:
        """Depth (m) beyond which u ≤ 1e-12."""

    @abc.abstractmethod
    def bounds(self, hint: ProfileHint) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds of p (SI)."""

    @abc.abstractmethod
    def starts(self, hint: ProfileHint) -> list[np.ndarray]:
        """Starting values of p (SI), the likeliest first."""

    def adapted(self, hint: ProfileHint) -> ProfileFamily:
        """This family set up for the data (the spline places its knots); usually itself."""
        return self

    def reported(self, params) -> dict[str, float]:
        """The parameters to report (SI) by name; a family may add derived ones."""
        return dict(zip(self.parameter_names, map(float, params)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _Width(ProfileFamily):
    """u = f(x/w) with one width w (m)."""

    parameter_names = ("width",)
    log_parameters = (True,)
    _half: ClassVar[float]  # f(η_½) = 1/2
    _end: ClassVar[float]  # f(η_end) ≤ 1e-12

    def extent(self, params):
        return self._end * float(params[0])

    def bounds(self, hint):
        w = hint.half_depth / self._half
        return np.array([w / 10.0]), np.array([w * 10.0])

    def starts(self, hint):
        return [np.array([hint.half_depth / self._half])]


class Erfc(_Width):
    """u = erfc(x/w), ``width`` w in m: diffusion with a constant coefficient from a held surface."""

    name = "erfc"
    _half = 0.4769362762044699
    _end = 5.1

    def shape(self, depth, params):
        return erfc(np.asarray(depth, dtype=float) / params[0])


class Gaussian(_Width):
    """u = exp(−(x/w)²), ``width`` w in m: a fixed dose spread from a closed surface."""

    name = "gaussian"
    _half = math.sqrt(math.log(2.0))
    _end = 5.3

    def shape(self, depth, params):
        s = np.asarray(depth, dtype=float) / params[0]
        return np.exp(-s * s)


class Exponential(_Width):
    """u = exp(−x/w), ``width`` w in m."""

    name = "exponential"
    _half = math.log(2.0)
    _end = 27.7

    def shape(self, depth, params):
        return np.exp(-np.asarray(depth, dtype=float) / params[0])


def _similarity(depth, half_width, ratio):
    """F(x/w; r): the Helfferich–Plesset similarity profile with its half-depth at w (m)."""
    prof = helfferich_plesset_profile(float(ratio))
    return prof(np.asarray(depth, dtype=float) * (prof.half_depth / half_width))


def _similarity_extent(half_width, ratio):
    prof = helfferich_plesset_profile(float(ratio))
    return (prof.xi[-1] + 2.5) * half_width / prof.half_depth  # its erfc tail is < 1e-12 there


class OneStep(ProfileFamily):
    """u = F(x/w; r): one ion-exchange step with the Helfferich–Plesset coefficient.

        ∂u/∂t = ∂/∂x[D̃(u) ∂u/∂x],  D̃ = D_A/(1 − (1 − r)u),  r = D_A/D_B

    F is its Boltzmann similarity solution (ionex.solvers.similarity: ≤ 2e-8 absolute,
    ≤ 3e-7 relative where u ≥ 1e-6, 0.4 ms per new r, cached), with the depth scaled so
    that F(1; r) = 1/2. Parameters: ``width`` the half-depth w (m), ``ratio`` r (r = 1 is
    erfc; r = 0.1 and 0.03 give the flat-topped profiles of K⁺ replacing a faster Na⁺).
    Helfferich & Plesset, J. Chem. Phys. 28 (1958) 418.
    """

    name = "one-step"
    parameter_names = ("width", "ratio")
    log_parameters = (True, True)
    RATIO_BOUNDS = (3e-3, 30.0)

    def shape(self, depth, params):
        return _similarity(depth, params[0], params[1])

    def extent(self, params):
        return _similarity_extent(params[0], params[1])

    def bounds(self, hint):
        lo, hi = self.RATIO_BOUNDS
        return np.array([hint.half_depth / 10.0, lo]), np.array([hint.half_depth * 10.0, hi])

    def starts(self, hint):
        return [np.array([hint.half_depth, r]) for r in (0.3, 0.03, 3.0)]


class TwoStep(ProfileFamily):
    """u = a·F(x/w₁; r₁) + (1 − a)·F(x/w₂; r₂), w₁ < w₂: a spike on a deep tail.

    F as in OneStep (w the half-depth of each part). Fitted as ``fraction`` a ∈ [0.02, 0.98],
    ``width_1`` w₁ (m), ``width_ratio`` w₂/w₁ ∈ [1.5, 100] (which keeps the parts apart and
    the labels from swapping), ``ratio_1`` r₁, ``ratio_2`` r₂; reported with ``width_2`` =
    w₂ (m) as well. A two-step K⁺ exchange (a mixed bath, then a pure
    one) is close to this but not exactly it (the second step also moves the tail):
    measured on such a profile simulated by ionex, 4e-5 in n.
    """

    name = "two-step"
    parameter_names = ("fraction", "width_1", "width_ratio", "ratio_1", "ratio_2")
    log_parameters = (False, True, True, True, True)

    def shape(self, depth, params):
        a, w1, rho, r1, r2 = params
        return a * _similarity(depth, w1, r1) + (1.0 - a) * _similarity(depth, w1 * rho, r2)

    def extent(self, params):
        a, w1, rho, r1, r2 = params
        return max(_similarity_extent(w1, r1), _similarity_extent(w1 * rho, r2))

    def bounds(self, hint):
        lo, hi = OneStep.RATIO_BOUNDS
        return (
            np.array([0.02, hint.covered_depth / 200.0, 1.5, lo, lo]),
            np.array([0.98, hint.covered_depth, 100.0, hi, hi]),
        )

    def starts(self, hint):
        tail = 0.6 * hint.covered_depth
        return [
            np.array([a, spike * hint.covered_depth, tail / (spike * hint.covered_depth), r, 1.0])
            for spike in (0.08, 0.15, 0.3)
            for a in (0.3, 0.6)
            for r in (0.1, 1.0)
        ]

    def reported(self, params):
        a, w1, rho, r1, r2 = map(float, params)
        return {"fraction": a, "width_1": w1, "width_2": w1 * rho, "ratio_1": r1, "ratio_2": r2}


class MonotoneSpline(ProfileFamily):
    """u = monotone cubic (PCHIP: Fritsch & Carlson, SIAM J. Numer. Anal. 17 (1980) 238)
    through knots (x_k, u_k), k = 0 … K.

    u_0 = 1 at x_0 = 0 and u_K = 0 at the last knot x_K (u = 0 beyond); the K − 1 interior
    values stay decreasing by stick-breaking, u_k = u_{k−1}·s_k with s_k ∈ [1e-3, 1], the
    fitted parameters ``s_1`` … (reported as the knot values ``u_k`` and depths
    ``knot_k``). Unless given, the knots are placed from the data before the fit: at the
    IWKB turning points of evenly spread mode orders (where the modes carry information),
    the last 1.3× beyond the deepest one. The fallback for shapes outside the families.
    """

    name = "spline"

    def __init__(self, values: int = 6, knots: Sequence[float] | None = None):
        """values: the number of free interior knot values (≥ 2). knots: ``values`` + 2
        depths (m), 0 first, strictly increasing; default: placed from the data."""
        if not (isinstance(values, (int, np.integer)) and values >= 2):
            raise ValueError(f"MonotoneSpline needs at least 2 free knot values, got {values!r}")
        self.values = int(values)
        self.knots = None
        if knots is not None:
            k = np.asarray(knots, dtype=float)
            if (
                k.shape != (self.values + 2,)
                or k[0] != 0.0
                or not np.all(np.isfinite(k))
                or np.any(np.diff(k) <= 0)
            ):
                raise ValueError(
                    f"MonotoneSpline knots must be {self.values + 2} strictly increasing depths from 0 (m), got {knots!r}"
                )
            self.knots = k
        self.parameter_names = tuple(f"s_{k + 1}" for k in range(self.values))
        self.log_parameters = (False,) * self.values

    def __repr__(self) -> str:
        return f"MonotoneSpline(values={self.values})"

    def adapted(self, hint):
        if self.knots is not None:
            return self
        end = 1.3 * hint.covered_depth
        if hint.depth.size >= self.values + 1:
            pick = np.linspace(0, hint.depth.size - 1, self.values + 1)[1:]
            inner = np.interp(pick, np.arange(hint.depth.size), hint.depth)
            inner = np.concatenate(([0.5 * inner[0]], inner[:-1]))
        else:
            inner = end * np.arange(1, self.values + 1) / (self.values + 1)
        knots = np.concatenate(([0.0], inner, [end]))
        if np.any(np.diff(knots) <= 0):
            knots = np.linspace(0.0, end, self.values + 2)
        return MonotoneSpline(self.values, knots)

    def _knot_values(self, params):
        return np.concatenate(([1.0], np.cumprod(params), [0.0]))

    def shape(self, depth, params):
        if self.knots is None:
            raise ValueError("MonotoneSpline has no knots yet: give them, or call adapted(hint)")
        x = np.asarray(depth, dtype=float)
        f = PchipInterpolator(self.knots, self._knot_values(params), extrapolate=False)
        return np.where(x >= self.knots[-1], 0.0, f(np.clip(x, 0.0, self.knots[-1])))

    def extent(self, params):
        return float(self.knots[-1])

    def bounds(self, hint):
        return np.full(self.values, 1e-3), np.full(self.values, 1.0)

    def starts(self, hint):
        inner = self.knots[1:-1]
        if hint.depth.size >= 2:
            u = np.interp(
                inner, np.concatenate(([0.0], hint.depth)), np.concatenate(([1.0], hint.shape))
            )
            u = np.minimum.accumulate(np.clip(u, 1e-3, 1.0))
        else:
            u = erfc(inner / (hint.half_depth / Erfc._half))
        u = np.maximum(u, 1e-3 ** np.arange(1, self.values + 1))
        return [np.clip(u / np.concatenate(([1.0], u[:-1])), 2e-3, 0.999)]

    def reported(self, params):
        out = {f"u_{k + 1}": float(v) for k, v in enumerate(self._knot_values(params)[1:-1])}
        out.update({f"knot_{k + 1}": float(x) for k, x in enumerate(self.knots[1:-1])})
        out["knot_end"] = float(self.knots[-1])
        return out


FAMILIES: Mapping[str, type[ProfileFamily]] = MappingProxyType(
    {f.name: f for f in (Erfc, Gaussian, Exponential, OneStep, TwoStep, MonotoneSpline)}
)


@dataclass(frozen=True)
class AutoSelect:
    """Fit every family (classes or instances) with few enough parameters and pick the
    smallest AICc (module docstring)."""

    families: tuple = (Erfc, Gaussian, Exponential, OneStep, TwoStep, MonotoneSpline)


AUTO = AutoSelect()


# --------------------------------------------------------------------------- results


def _frozen(a) -> np.ndarray:
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class IndexProfile:
    """The index profile of one polarisation.

    Attributes:
        polarisation: "TE" or "TM".
        depth: x in m from 0 (model: OUTPUT_POINTS uniform points up to covered_depth;
            IWKB: 0 and the turning points).
        index: n(x) (dimensionless).  index_stderr: its standard error (NaN for IWKB).
        covered_depth: the turning point of this polarisation's last mode (m): how deep
            the modes see.
        effective_indices: the measured N_m.  residuals: N_model − N_measured (NaN for IWKB).
        substrate_index: n_s of the model, fitted or given (NaN for IWKB).
        surface_index: n(0) (the model's, or IWKB's Chiang extrapolation).
    """

    polarisation: str
    depth: np.ndarray
    index: np.ndarray
    index_stderr: np.ndarray
    covered_depth: float
    effective_indices: np.ndarray
    residuals: np.ndarray
    substrate_index: float
    surface_index: float


@dataclass(frozen=True, eq=False)
class StressProfile:
    """σ(x) in Pa (compression negative) and its standard error (Pa; NaN for IWKB) at x (m).

    Model: OUTPUT_POINTS uniform depths from 0 to the deeper covered depth of TE and TM (the
    shared shape ties both). IWKB: the TM turning points inside the TE range.
    """

    depth: np.ndarray
    stress: np.ndarray
    stress_stderr: np.ndarray


@dataclass(frozen=True)
class Candidate:
    """A family tried: its parameter count k, χ² (with σ_N) or RSS in N² (without), AICc,
    whether its fit converged, and the minimiser's (or the skip) message."""

    family: str
    parameters: int
    chi2: float
    criterion: float
    converged: bool
    message: str = ""


@dataclass(frozen=True, eq=False)
class ModeInversion:
    """The result of invert_modes.

    Attributes:
        method: Method.IWKB or Method.MODEL.
        family: the fitted ProfileFamily (None for IWKB).
        profiles: {"TE": IndexProfile, "TM": IndexProfile} for the polarisations given.
        stress: a StressProfile, or None (one polarisation, or no elasto-optic constants).
        parameters, parameter_stderr: SI values by name: the family's reported shape
            parameters, then delta_TE/TM (Δ) and substrate_TE/TM (n_s; stderr 0 if given).
        parameter_names, covariance: their order and covariance (SI).
        reduced_chi2: χ²/(n − k) with σ_N, RSS/(n − k) in N² without; NaN for IWKB.
        uncertainty: "index_sigma" (absolute, from the σ_N given), "reduced_chi2" (scaled
            by the scatter of the fit) or "none" (IWKB).
        warnings: what the caller should know (parameters at bounds, χ² outside its 99 %
            range, a close second family, IWKB's missing uncertainties).
        candidates: every family tried (AUTO) or the one fitted, best AICc first.
        mode_solves: calls of solve_modes the inversion made (one polarisation each).
        wavelength (m), cover_index, elasto_optic: as given.
    """

    method: Method
    family: ProfileFamily | None
    profiles: Mapping[str, IndexProfile]
    stress: StressProfile | None
    parameters: Mapping[str, float]
    parameter_stderr: Mapping[str, float]
    parameter_names: tuple[str, ...]
    covariance: np.ndarray
    reduced_chi2: float
    uncertainty: str
    warnings: tuple[str, ...]
    candidates: tuple[Candidate, ...]
    mode_solves: int
    wavelength: float
    cover_index: float
    elasto_optic: ElastoOptic | None = None
    _model: object = field(default=None, repr=False)

    def index_at(self, polarisation: str, depth) -> np.ndarray:
        """n(x) of one polarisation at depths x (m): the fitted model at any depth (beyond the
        covered depth it is the family's extrapolation); IWKB's broken line up to its
        deepest point, NaN beyond."""
        if polarisation not in self.profiles:
            raise ValueError(
                f"no {polarisation!r} profile in this inversion (have {', '.join(self.profiles)})"
            )
        x = np.asarray(depth, dtype=float)
        if self._model is None:
            p = self.profiles[polarisation]
            return np.where((x >= 0) & (x <= p.depth[-1]), np.interp(x, p.depth, p.index), np.nan)
        return self._model.index(polarisation, x)

    def profile_table(self, polarisation: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(depth in m, n, standard error of n) of one polarisation down to the substrate, for files.

        Model: the forward model's own SAMPLE_POINTS depths, from the surface to where
        u ≤ 1e-12 (n = n_s there): solve_modes on this broken line returns the fitted
        effective indices exactly, since it is the profile the fit solved. IWKB: the surface
        and the turning points, standard errors NaN.
        """
        if polarisation not in self.profiles:
            raise ValueError(
                f"no {polarisation!r} profile in this inversion (have {', '.join(self.profiles)})"
            )
        if self._model is None:
            p = self.profiles[polarisation]
            return p.depth, p.index, p.index_stderr
        m = self._model
        x = m.sample_depths(m.split(m.theta)[0])
        return (
            _frozen(x),
            _frozen(m.index(polarisation, x)),
            _frozen(m.index_stderr(polarisation, x)),
        )

    def stress_at(self, depth) -> np.ndarray:
        """σ(x) in Pa at depths x (m): the model at any depth. IWKB: linear between its TM
        turning points and, at the surface, σ(0) = (n_TE(0) − n_TM(0))/(C∥ − C⊥) from the two
        extrapolated surface indices; NaN beyond its deepest point."""
        if self.stress is None:
            raise ValueError(
                "this inversion has no stress: it needs TE and TM modes and elasto-optic constants"
            )
        x = np.asarray(depth, dtype=float)
        if self._model is None:
            s = self.stress
            top = (
                self.profiles["TE"].surface_index - self.profiles["TM"].surface_index
            ) / self.elasto_optic.stress_optic
            d, v = np.concatenate(([0.0], s.depth)), np.concatenate(([top], s.stress))
            return np.where((x >= 0.0) & (x <= d[-1]), np.interp(x, d, v), np.nan)[()]
        return self._model.stress(x)


# --------------------------------------------------------------------------- input checks


def _checked_modes(modes) -> dict[str, np.ndarray]:
    if not isinstance(modes, Mapping) or not modes:
        raise ValueError(
            f"modes must be a mapping {{'TE': [...], 'TM': [...]}} with at least one polarisation, got {modes!r}"
        )
    for pol in modes:
        check_polarisation(pol)
    out = {}
    for pol in POLARISATIONS:
        if pol not in modes:
            continue
        try:
            N = np.asarray(modes[pol], dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"{pol} modes must be numbers, got {modes[pol]!r}") from None
        if N.ndim != 1 or N.size == 0:
            raise ValueError(
                f"{pol} modes must be a non-empty list N_0 > N_1 > …, got shape {N.shape}"
            )
        bad = np.flatnonzero(~np.isfinite(N))
        if bad.size:
            raise ValueError(
                f"{pol} mode {int(bad[0])}: effective index {float(N[bad[0]])!r} is not a finite number"
            )
        rise = np.flatnonzero(np.diff(N) >= 0)
        if rise.size:
            m = int(rise[0]) + 1
            raise ValueError(
                f"{pol} modes must fall strictly with order: N_{m} = {N[m]:.7f} ≥ N_{m - 1} = {N[m - 1]:.7f} "
                "(sorted from the fundamental down, one polarisation per list?)"
            )
        out[pol] = N
    return out


def _per_polarisation(value, pols, name: str) -> dict[str, float] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        missing = [p for p in pols if p not in value]
        if missing:
            raise ValueError(f"{name} has no value for {', '.join(missing)}")
        raw = {p: value[p] for p in pols}
    else:
        raw = {p: value for p in pols}
    out = {}
    for p, v in raw.items():
        try:
            out[p] = float(v)
        except (TypeError, ValueError):
            raise ValueError(f"{name} for {p} must be a number, got {v!r}") from None
        if not (math.isfinite(out[p]) and out[p] > 0):
            raise ValueError(f"{name} for {p} must be a positive finite number, got {v!r}")
    return out


def _sigmas(index_sigma, N) -> tuple[dict[str, np.ndarray], bool]:
    """σ_N per mode, and whether it was given."""
    if index_sigma is None:
        # unweighted: a nominal scale keeps the residuals O(1) for the minimiser's absolute
        # gradient test; it cancels in the χ²_red-scaled covariance
        return {p: np.full(v.size, NOMINAL_SIGMA) for p, v in N.items()}, False
    out = {}
    for pol, v in N.items():
        if isinstance(index_sigma, Mapping):
            if pol not in index_sigma:
                raise ValueError(f"index_sigma has no value for {pol}")
            raw = index_sigma[pol]
        else:
            raw = index_sigma
        try:
            s = np.array(np.broadcast_to(np.asarray(raw, dtype=float), v.shape))
        except (TypeError, ValueError):
            raise ValueError(
                f"index_sigma for {pol} must be one number or {v.size} numbers (one per mode), got {raw!r}"
            ) from None
        if not np.all(np.isfinite(s) & (s > 0)):
            raise ValueError(f"index_sigma for {pol} must be positive finite numbers, got {raw!r}")
        out[pol] = s
    return out, True


def _family_instance(family) -> ProfileFamily:
    if isinstance(family, ProfileFamily):
        return family
    if (
        isinstance(family, type)
        and issubclass(family, ProfileFamily)
        and not getattr(family, "__abstractmethods__", None)
    ):
        return family()
    raise ValueError(
        f"family must be AUTO, an AutoSelect, or a ProfileFamily (class or instance), got {family!r}"
    )


# --------------------------------------------------------------------------- the joint model


class _JointModel:
    """θ (internal, O(1)) ↔ (p, Δ_pol, n_s,pol); the profiles, forward model and residuals.

    Internal variables: log(v/ref) for log parameters (widths, ratios, Δ), (v − offset)/ref
    otherwise (n_s relative to N_last in units of the mode span; fractions as they are).
    """

    def __init__(
        self, family, hint, modes, sigma, weighted, substrate, wavelength, cover_index, elasto_optic
    ):
        self.family = family
        self.modes = modes
        self.pols = tuple(modes)
        self.sigma = sigma
        self.substrate = substrate
        self.wavelength = wavelength
        self.k0 = vacuum_wavenumber(wavelength)
        self.cover_index = cover_index
        self.eo = elasto_optic
        self.solves = 0
        self.theta = None  # the solution, and its covariance in θ, once fitted
        self.cov = None
        lo, hi = family.bounds(hint)
        span = {p: float(modes[p][0] - modes[p][-1]) for p in self.pols}
        self.delta_ref = max(max(span.values()), 1e-5)
        names, lower, upper, logs, refs, offsets = [], [], [], [], [], []

        def add(name, low, high, log, ref=1.0, offset=0.0):
            names.append(name)
            lower.append(float(low))
            upper.append(float(high))
            logs.append(log)
            refs.append(float(math.sqrt(low * high)) if log else ref)
            offsets.append(offset)

        for k, name in enumerate(family.parameter_names):
            add(name, lo[k], hi[k], family.log_parameters[k])
        self.shape_count = len(names)
        for p in self.pols:
            # n(0) − n_s = Δ must exceed N_0 − n_s > N_0 − N_last
            add(f"delta_{p}", max(span[p], 1e-6), 20.0 * max(span[p], self.delta_ref), True)
        if substrate is None:
            # a complete list ends above the cut-off and its next mode would lie below it:
            # n_s > N_M ≈ N_last − spacing (gap/spacing ≤ 0.45 measured on every shape
            # tested); three spacings leave room for a mode not seen, and 4σ of the two
            # indices the spacing comes from for the noise, which can shrink it to nothing
            spacings = [float(m[-2] - m[-1]) for m in modes.values() if m.size >= 2]
            for p in self.pols:
                N, s = modes[p], sigma[p] if weighted else np.zeros(modes[p].size)
                spacing = (
                    float(N[-2] - N[-1])
                    if N.size >= 2
                    else max(spacings, default=0.1 * self.delta_ref)
                )
                gap = 3.0 * spacing + 4.0 * float(np.hypot(s[-1], s[-2] if N.size >= 2 else s[-1]))
                add(f"substrate_{p}", N[-1] - gap, N[-1], False, self.delta_ref, float(N[-1]))
        self.names = tuple(names)
        self.lower, self.upper = np.array(lower), np.array(upper)
        self.logs, self.refs, self.offsets = np.array(logs), np.array(refs), np.array(offsets)
        self.count = len(names)
        self.data_count = sum(m.size for m in modes.values())
        self._cache: dict[bytes, dict] = {}
        self._jac_cache: dict[bytes, np.ndarray] = {}

    # θ internal ↔ natural
    def natural(self, theta) -> np.ndarray:
        t = np.asarray(theta, dtype=float)
        return np.where(
            self.logs, self.refs * np.exp(np.where(self.logs, t, 0.0)), self.offsets + self.refs * t
        )

    def internal(self, values) -> np.ndarray:
        v = np.asarray(values, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(
                self.logs,
                np.log(np.where(self.logs, v / self.refs, 1.0)),
                (v - self.offsets) / self.refs,
            )

    def internal_bounds(self):
        return self.internal(self.lower), self.internal(self.upper)

    def split(self, theta):
        v = self.natural(theta)
        k = self.shape_count
        p = v[:k]
        delta = {pol: float(v[k + i]) for i, pol in enumerate(self.pols)}
        if self.substrate is None:
            ns = {pol: float(v[k + len(self.pols) + i]) for i, pol in enumerate(self.pols)}
        else:
            ns = dict(self.substrate)
        return p, delta, ns

    # profiles
    def sample_depths(self, p) -> np.ndarray:
        """SAMPLE_POINTS depths from 0 to the extent, equidistributed in √|u''| plus a 5 %
        floor: the interpolation error of a piecewise-linear profile is ∝ h²|u''|, so this
        spreads it evenly (≈ 4e-8 in N at 300 points, measured on erfc, Gaussian,
        exponential and r = 0.1, 0.03 one-step profiles; uniform points: 2e-7 – 6e-6)."""
        end = self.family.extent(p)
        x = np.linspace(0.0, end, _PRE_POINTS)
        u = self.family.shape(x, p)
        d2 = np.empty_like(u)
        d2[1:-1] = np.abs(u[2:] - 2.0 * u[1:-1] + u[:-2])
        d2[0], d2[-1] = d2[1], d2[-2]
        dens = np.sqrt(d2)
        dens += 0.05 * dens.mean() + 1e-300
        cum = np.concatenate(([0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]))))
        return np.interp(np.linspace(0.0, cum[-1], SAMPLE_POINTS), cum, x)

    def index(self, pol, depth, theta=None) -> np.ndarray:
        p, delta, ns = self.split(self.theta if theta is None else theta)
        return ns[pol] + delta[pol] * self.family.shape(np.asarray(depth, dtype=float), p)

    def stress(self, depth, theta=None) -> np.ndarray:
        return (
            self.index("TE", depth, theta) - self.index("TM", depth, theta)
        ) / self.eo.stress_optic

    def delta_method(self, f) -> np.ndarray:
        """Standard errors of f(θ) (a vector) at the solution: √diag(g cov gᵀ), g = ∂f/∂θ."""
        g = _gradient(f, self.theta)
        return np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", g, self.cov, g), 0.0))

    def index_stderr(self, pol, depth) -> np.ndarray:
        x = np.asarray(depth, dtype=float)
        return self.delta_method(lambda th: self.index(pol, x, th))

    def _solve(self, x, n, pol, n_s, fields):
        self.solves += 1
        return solve_modes(
            x,
            n,
            self.wavelength,
            cover_index=self.cover_index,
            polarisations=(pol,),
            substrate_index=n_s,
            fields=fields,
        ).of(pol)

    # forward model
    def solved(self, theta):
        """(x, n per polarisation, modes with fields per polarisation) at θ, cached.

        Fields are computed with every solve: the minimiser asks for the Jacobian at most
        points whose residuals it evaluates, and the perturbative Jacobian needs them.
        Measured against plain solves plus a second solve with fields for each Jacobian:
        13–15 % less time per AUTO inversion (best of three; erfc, r = 0.1, two-step).
        """
        key = np.asarray(theta, dtype=float).tobytes()
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        p, delta, ns = self.split(theta)
        x = self.sample_depths(p)
        u = self.family.shape(x, p)
        n = {pol: ns[pol] + delta[pol] * u for pol in self.pols}
        found = {pol: self._solve(x, n[pol], pol, ns[pol], True) for pol in self.pols}
        if len(self._cache) > 16:
            self._cache.clear()
        self._cache[key] = out = (x, n, found)
        return out

    def forward(self, theta) -> dict[str, np.ndarray]:
        """N_m^model per polarisation, for the measured orders (n_s where the mode is not guided)."""
        _, delta, ns = self.split(theta)
        _, _, found = self.solved(theta)
        out = {}
        for pol in self.pols:
            M = self.modes[pol].size
            model = np.full(M, ns[pol])
            for m, mode in enumerate(found[pol][:M]):
                model[m] = mode.effective_index
            out[pol] = model
        return out

    def residuals(self, theta) -> np.ndarray:
        f = self.forward(theta)
        return np.concatenate([(f[p] - self.modes[p]) / self.sigma[p] for p in self.pols])

    def jacobian(self, theta) -> np.ndarray:
        """∂r/∂θ, perturbative; the last one is kept (the minimiser may ask twice)."""
        theta = np.asarray(theta, dtype=float)
        key = theta.tobytes()
        if key not in self._jac_cache:
            self._jac_cache = {key: self.jacobian_perturbative(theta)}
        return self._jac_cache[key]

    def jacobian_differences(self, theta) -> np.ndarray:
        """∂r/∂θ by central differences of the forward model (to check the perturbative one)."""
        theta = np.asarray(theta, dtype=float)
        cols = []
        for k in range(theta.size):
            up, down = theta.copy(), theta.copy()
            up[k] += _FD_STEP
            down[k] -= _FD_STEP
            cols.append((self.residuals(up) - self.residuals(down)) / (2 * _FD_STEP))
        return np.column_stack(cols)

    def profile_derivatives(self, theta, x) -> dict[str, np.ndarray]:
        """∂n_pol/∂θ at depths x: {pol: (x.size, k)}.

        n = n_s + Δ u(x; p): ∂n/∂Δ = u, ∂n/∂n_s = 1, ∂n/∂p = Δ ∂u/∂p (central differences
        of the shape, relative step 1e-6: no mode solving), then ∂natural/∂θ.
        """
        theta = np.asarray(theta, dtype=float)
        p, delta, ns = self.split(theta)
        scale = np.where(self.logs, self.natural(theta), self.refs)
        u = self.family.shape(x, p)
        du = []
        for j in range(self.shape_count):
            h = 1e-6 * abs(p[j]) if p[j] != 0 else 1e-9
            up, down = p.copy(), p.copy()
            up[j] += h
            down[j] -= h
            du.append((self.family.shape(x, up) - self.family.shape(x, down)) / (2 * h))
        out = {}
        for i, pol in enumerate(self.pols):
            D = np.zeros((x.size, self.count))
            for j in range(self.shape_count):
                D[:, j] = delta[pol] * du[j]
            D[:, self.shape_count + i] = u
            if self.substrate is None:
                D[:, self.shape_count + len(self.pols) + i] = 1.0
            out[pol] = D * scale
        return out

    def jacobian_perturbative(self, theta) -> np.ndarray:
        """∂r/∂θ by first-order perturbation theory from one solve with fields per polarisation.

            TE: ∂N/∂θ = ∫ n (∂n/∂θ) E² dx / N                          (∫E² dx = 1)
            TM: ∂N/∂θ = ∫ (∂n/∂θ)/n³ (H'²/k0² + N² H²) dx / (N ∫ H²/n² dx)

        The integrals run over the solver's field grid (trapezoid), on which ∂n/∂θ is the
        linear interpolation of its values at the profile points (the solver's profile is
        linear between them), plus the exponential tail in the substrate; H' by
        second-order differences. A mode the profile does not guide (N = n_s) moves with n_s.
        """
        theta = np.asarray(theta, dtype=float)
        p, delta, ns = self.split(theta)
        x, index, solved = self.solved(theta)
        D = self.profile_derivatives(theta, x)
        k0, n_c = self.k0, self.cover_index
        blocks = []
        for i, pol in enumerate(self.pols):
            n = index[pol]
            found = solved[pol]
            M = self.modes[pol].size
            J = np.zeros((M, self.count))
            tail_d = D[pol][-1] if self.substrate is None else np.zeros(self.count)
            if self.substrate is None:  # beyond the last point only n_s varies
                tail_d = np.where(
                    np.arange(self.count) == self.shape_count + len(self.pols) + i, tail_d, 0.0
                )
            for m, mode in enumerate(found[:M]):
                N = mode.effective_index
                z, f = mode.depth, mode.field
                j1 = np.clip(np.searchsorted(x, z, side="right"), 1, x.size - 1)
                t = np.clip((z - x[j1 - 1]) / (x[j1] - x[j1 - 1]), 0.0, 1.0)
                nz = n[j1 - 1] + t * (n[j1] - n[j1 - 1])
                Dz = D[pol][j1 - 1] + t[:, None] * (D[pol][j1] - D[pol][j1 - 1])
                gs = k0 * math.sqrt(max(N * N - ns[pol] ** 2, 0.0))
                tail = f[-1] ** 2 / (2.0 * gs) if gs > 0 else 0.0  # ∫ field² beyond the last point
                if pol == "TE":
                    J[m] = (
                        np.trapezoid((nz * f * f)[:, None] * Dz, z, axis=0)
                        + ns[pol] * tail * tail_d
                    ) / N
                else:
                    df = np.gradient(f, z)
                    weight = (df * df / k0**2 + N * N * f * f) / nz**3
                    gc = k0 * math.sqrt(max(N * N - n_c * n_c, 0.0))
                    norm = (
                        np.trapezoid(f * f / nz**2, z)
                        + f[0] ** 2 / (2.0 * gc * n_c * n_c)
                        + tail / ns[pol] ** 2
                    )
                    # in the tail H' = −γH, so H'²/k0² + N²H² = (2N² − n_s²)H²
                    top = np.trapezoid(weight[:, None] * Dz, z, axis=0)
                    top = top + tail * (2 * N * N - ns[pol] ** 2) / ns[pol] ** 3 * tail_d
                    J[m] = top / (N * norm)
            for m in range(len(found), M):
                J[m] = tail_d
            blocks.append(J / self.sigma[pol][:, None])
        return np.vstack(blocks)

    # stage 1: the family through IWKB points
    def fit_points(self, points, start_theta, max_nfev=60) -> tuple[np.ndarray, float]:
        """Least squares of n_pol(x_k) against IWKB points {pol: (x, n)} (no mode solving; a
        start only, hence the loose tolerances). max_nfev = 0: the cost at the start."""
        lo, hi = self.internal_bounds()
        pols = [p for p in self.pols if p in points]
        x = np.concatenate([points[p][0] for p in pols])
        target = np.concatenate([points[p][1] for p in pols])
        edges = np.cumsum([0] + [points[p][0].size for p in pols])

        def res(theta):
            p, delta, ns = self.split(theta)
            u = self.family.shape(x, p)
            model = np.concatenate(
                [ns[q] + delta[q] * u[edges[i] : edges[i + 1]] for i, q in enumerate(pols)]
            )
            return (model - target) / self.delta_ref

        theta0 = np.clip(start_theta, lo + 1e-9, hi - 1e-9)
        if max_nfev == 0:
            return theta0, float(np.sum(res(theta0) ** 2))
        sol = optimize.least_squares(
            res, theta0, bounds=(lo, hi), xtol=1e-6, ftol=1e-8, max_nfev=max_nfev, diff_step=1e-5
        )
        return sol.x, float(np.sum(sol.fun**2))

    def start_theta(self, p, points) -> np.ndarray:
        """θ from shape parameters p, with Δ and n_s from the IWKB surface index or the modes."""
        values = list(p)
        for pol in self.pols:
            top = points[pol][1][0] if pol in points else self.modes[pol][0] + 0.1 * self.delta_ref
            ns = self.substrate[pol] if self.substrate else self._substrate_start(pol)
            values.append(max(top - ns, self.lower[self.names.index(f"delta_{pol}")] * 1.05))
        if self.substrate is None:
            values.extend(self._substrate_start(pol) for pol in self.pols)
        lo, hi = self.internal_bounds()
        return np.clip(self.internal(values), lo + 1e-6 * (hi - lo), hi - 1e-6 * (hi - lo))

    def _substrate_start(self, pol) -> float:
        i = self.names.index(f"substrate_{pol}")
        return float(
            self.upper[i] - 0.125 * (self.upper[i] - self.lower[i])
        )  # ¼ spacing below N_last

    def covered_depth(self, pol, theta, last_index) -> float:
        """The depth (m) where n_pol equals the model's last effective index."""
        p, delta, ns = self.split(theta)
        level = (last_index - ns[pol]) / delta[pol]
        end = self.family.extent(p)
        if level >= 1.0:
            return 0.0
        if level <= float(self.family.shape(np.array([end]), p)[0]):
            return end
        return float(
            optimize.brentq(
                lambda s: float(self.family.shape(np.array([s]), p)[0]) - level,
                0.0,
                end,
                xtol=1e-12 * end,
            )
        )


# --------------------------------------------------------------------------- fitting


@dataclass
class _Fit:
    family: ProfileFamily
    model: _JointModel
    theta: np.ndarray
    chi2: float  # Σ r² of the scaled residuals
    aicc: float
    converged: bool
    message: str
    nfev: int
    continued: bool = False  # already given the full budget after screening


def _aicc_floor(model: _JointModel, weighted: bool) -> float:
    """The AICc a perfect fit of the model would reach (χ² = 0, RSS at MODEL_FLOOR)."""
    return _aicc(0.0, model.data_count, model.count, weighted)


def _aicc(chi2: float, n: int, k: int, weighted: bool) -> float:
    if n - k - 1 <= 0 or not math.isfinite(chi2):
        return math.inf
    penalty = 2 * k + 2 * k * (k + 1) / (n - k - 1)
    if weighted:
        return chi2 + penalty
    rss = chi2 * NOMINAL_SIGMA**2
    return n * math.log(rss / n + MODEL_FLOOR**2) + penalty


def _refine(model: _JointModel, theta0, max_nfev: int) -> tuple[np.ndarray, bool, str, int]:
    """Exact-solver least squares from θ0 with lmfit (trust-region reflective in the bounds).

    Returns (the θ with the smallest χ² met, converged, message, function evaluations): a
    run stopped by max_nfev keeps its best point, so that it can be continued.
    """
    lo, hi = model.internal_bounds()
    params = lmfit.Parameters()
    for k, name in enumerate(model.names):
        params.add(
            name, value=float(np.clip(theta0[k], lo[k], hi[k])), min=float(lo[k]), max=float(hi[k])
        )
    names = model.names
    best = [math.inf, np.asarray(theta0, dtype=float)]

    def vector(pars):
        return np.array([pars[n].value for n in names])

    def residual(pars):
        theta = vector(pars)
        r = model.residuals(theta)
        cost = float(r @ r)
        if cost < best[0]:
            best[0], best[1] = cost, theta
        return r

    def jac(pars):
        return model.jacobian(vector(pars))

    mini = lmfit.Minimizer(residual, params, scale_covar=False)
    # ftol and xtol are relative; gtol is absolute on Jᵀr, hence the O(1) residual scale
    res = mini.least_squares(
        jac=jac, ftol=1e-10, xtol=1e-10, gtol=1e-12, max_nfev=max_nfev, x_scale=1.0
    )
    converged = bool(res.success) and not bool(getattr(res, "aborted", False))
    return best[1], converged, str(res.message), int(res.nfev)


def _starts(model: _JointModel, hint, points, refine: int) -> list[np.ndarray]:
    """Starting θ: the family's starts fitted to the IWKB points, best and distinct first."""
    starts = [model.start_theta(p, points) for p in model.family.starts(hint)]
    if not points:
        return starts[: max(refine, 1)]
    if len(starts) > 2 * refine:  # screen many starts by their cost before fitting any
        cost = [model.fit_points(points, s, max_nfev=0)[1] for s in starts]
        starts = [starts[i] for i in np.argsort(cost)[: 2 * refine]]
    out = []
    for theta, _ in sorted((model.fit_points(points, s) for s in starts), key=lambda t: t[1]):
        if all(np.max(np.abs(theta - s)) > 1e-2 for s in out):
            out.append(theta)
    return out[:refine]


def _run(model, theta0, budget, weighted, continued=False) -> _Fit:
    try:
        theta, ok, msg, nfev = _refine(model, theta0, budget)
        chi2 = float(np.sum(model.residuals(theta) ** 2))
    except (ValueError, SolverError, ArithmeticError) as err:
        theta, ok, msg, nfev, chi2 = (
            np.asarray(theta0),
            False,
            f"the forward model failed: {err}",
            0,
            math.inf,
        )
    aicc = _aicc(chi2, model.data_count, model.count, weighted)
    return _Fit(
        model.family, model, theta, chi2, aicc, ok and math.isfinite(chi2), msg, nfev, continued
    )


def _fit_family(family, hint, points, setup, budget) -> _Fit:
    """The family fitted from its best start (two for the multimodal two-step, screened with
    SCREEN_EVALUATIONS each, the better continued) with ``budget`` function evaluations."""
    family = family.adapted(hint)
    modes, sigma, weighted, substrate, lam, n_c, eo = setup
    model = _JointModel(family, hint, modes, sigma, weighted, substrate, lam, n_c, eo)
    refine = 2 if isinstance(family, TwoStep) else 1
    try:
        starts = _starts(model, hint, points, refine)
    except (ValueError, SolverError, ArithmeticError):  # a start is only a start
        starts = [model.start_theta(p, points) for p in family.starts(hint)][:refine]
    # several starts: each gets the screening budget, and only the best goes on
    first = min(budget, SCREEN_EVALUATIONS) if len(starts) > 1 else budget
    best = min((_run(model, theta0, first, weighted) for theta0 in starts), key=lambda f: f.chi2)
    if not best.converged and first < budget and math.isfinite(best.chi2):
        best = _run(model, best.theta, budget, weighted)
    return best


# --------------------------------------------------------------------------- hint from IWKB


def _iwkb_points(modes, wavelength, cover_index) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{pol: (depth, index)} of the IWKB reconstructions that succeed (surface point first)."""
    out = {}
    for pol, N in modes.items():
        if N.size < 3:
            continue
        try:
            rec = reconstruct_profile(N, wavelength, cover_index=cover_index, polarisation=pol)
        except (ValueError, SolverError):
            continue  # the model does not need it: the hint falls back to a WKB count
        out[pol] = (np.array(rec.depth), np.array(rec.index))
    return out


def _hint(modes, points, wavelength, substrate) -> ProfileHint:
    if points:
        depths, shapes, halves, covered = [], [], [], []
        for pol, (x, n) in points.items():
            N = modes[pol]
            ns = substrate[pol] if substrate else N[-1] - 0.25 * (N[-2] - N[-1])
            u = (n - ns) / (n[0] - ns)
            depths.append(x[1:])
            shapes.append(u[1:])
            halves.append(float(np.interp(0.5, u[::-1], x[::-1])) if u[-1] < 0.5 else float(x[-1]))
            covered.append(float(x[-1]))
        d, s = np.concatenate(depths), np.concatenate(shapes)
        order = np.argsort(d)
        return ProfileHint(float(np.mean(halves)), max(covered), d[order], s[order])
    # WKB count of an erfc guide: M ≈ (k0 w/π) √(2 n Δn) ∫√erfc(η) dη
    k0 = vacuum_wavenumber(wavelength)
    pol = max(modes, key=lambda p: modes[p].size)
    N = modes[pol]
    dn = max(1.2 * (N[0] - N[-1]), 1e-5)
    w = N.size * math.pi / (k0 * math.sqrt(2.0 * N[0] * dn) * _ERFC_ROOT_INTEGRAL)
    return ProfileHint(Erfc._half * w, 2.0 * w)


# --------------------------------------------------------------------------- entry point


def invert_modes(
    modes: Mapping,
    wavelength: float,
    *,
    method: Method = Method.MODEL,
    cover_index: float = 1.0,
    elasto_optic: ElastoOptic | None = None,
    index_sigma=None,
    family=AUTO,
    substrate_index=None,
    surface_index=None,
) -> ModeInversion:
    """Index profiles n_TE(x), n_TM(x) and stress σ(x) from measured mode indices.

        MODEL: n_pol(x) = n_s,pol + Δ_pol u(x; p) with N_m^model(θ) = N_m^measured in the
               least-squares sense (exact Maxwell modes); σ = (n_TE − n_TM)/(C∥ − C⊥)
        IWKB:  k0 ∫_0^{x_m} √(n² − N_m²) dx = (m + φ_m)π on a broken line (White–Heidrich)

    Args:
        modes: {"TE": [N_0, N_1, …], "TM": [...]}: effective indices of one or both
            polarisations (dimensionless), each list complete from the fundamental down and
            strictly falling.
        wavelength: vacuum wavelength λ in m.
        method: Method.MODEL (default) or Method.IWKB.
        cover_index: n_c of the cover (dimensionless; 1.0 = air).
        elasto_optic: C∥, C⊥ in 1/Pa; with TE and TM modes the result has the stress.
        index_sigma: σ_N, the standard deviation of each measured index (dimensionless):
            one number, or per polarisation {"TE": …} one number or one per mode. Given,
            χ² and the uncertainties are absolute; None: unweighted, the covariance scaled
            by χ²_red. MODEL only (IWKB ignores it).
        family: AUTO (default), an AutoSelect(families=...), or one ProfileFamily (class
            or instance) to fit alone. MODEL only.
        substrate_index: n_s (dimensionless): one number or {"TE": …, "TM": …}; None
            fits it per polarisation. MODEL only, but both methods check N_m > n_s.
        surface_index: IWKB only: n(0) by "chiang" (None: the default), "smooth", or
            given (dimensionless; one number or {"TE": …, "TM": …}), as in
            ionex.solvers.iwkb.reconstruct_profile. The model fits n(0).

    Returns a ModeInversion. Raises ValueError (one line: what was found, what was expected)
    for an unknown polarisation, non-finite or non-falling indices, indices not above the
    cover or the given substrate index, fewer modes than a given family has parameters, a
    family with Method.IWKB or a surface index with Method.MODEL, an IWKB reconstruction
    that fails, and when no family converges (with each family's reason).

    Example — the TE modes of that guide (see solve_modes) give back its profile:

    >>> import numpy as np
    >>> from ionex import invert_modes, solve_modes
    >>> x = np.linspace(0.0, 40e-6, 801)
    >>> modes = solve_modes(x, 1.5137 + 0.009 * np.exp(-x / 5e-6), 677e-9, polarisations=("TE",))
    >>> found = invert_modes({"TE": modes.effective_indices("TE")}, 677e-9)
    >>> found.family, np.round(found.index_at("TE", np.array([0.0, 5e-6])), 4).tolist()
    (Exponential(), [1.5227, 1.517])
    """
    N = _checked_modes(modes)
    if not isinstance(method, Method):
        raise ValueError(f"method must be Method.MODEL or Method.IWKB, got {method!r}")
    lam = float(wavelength)
    vacuum_wavenumber(lam)  # checks λ
    try:
        n_c = float(cover_index)
    except (TypeError, ValueError):
        raise ValueError(f"cover_index must be a number, got {cover_index!r}") from None
    if not (math.isfinite(n_c) and n_c > 0):
        raise ValueError(f"cover_index must be a positive finite index, got {cover_index!r}")
    for pol, v in N.items():
        if not v[-1] > n_c:
            raise ValueError(
                f"{pol} mode {v.size - 1}: N = {v[-1]:.7f} is not above the cover index {n_c:.7f}"
            )
    substrate = _per_polarisation(substrate_index, tuple(N), "substrate_index")
    if substrate:
        for pol, v in N.items():
            if not v[-1] > substrate[pol]:
                raise ValueError(
                    f"{pol} mode {v.size - 1}: N = {v[-1]:.7f} is not above the given substrate index "
                    f"{substrate[pol]:.7f}; a guided mode needs N > n_s"
                )
    if elasto_optic is not None and not isinstance(elasto_optic, ElastoOptic):
        raise ValueError(f"elasto_optic must be an ElastoOptic or None, got {elasto_optic!r}")
    if method is Method.IWKB:
        if family is not AUTO:
            raise ValueError(
                f"family applies to Method.MODEL only; Method.IWKB got family={family!r}"
            )
        return _invert_iwkb(N, lam, n_c, elasto_optic, _surface_rule(surface_index, tuple(N)))
    if surface_index is not None:
        raise ValueError(
            f"surface_index applies to Method.IWKB only (the model fits n(0)); got {surface_index!r}"
        )
    return _invert_model(N, lam, n_c, elasto_optic, index_sigma, family, substrate)


def _surface_rule(surface_index, pols) -> dict:
    """reconstruct_profile's surface_index per polarisation: "chiang", "smooth" or a number."""
    if surface_index is None:
        return {p: "chiang" for p in pols}
    if isinstance(surface_index, str):
        if surface_index not in ("chiang", "smooth"):
            raise ValueError(
                f"surface_index must be 'chiang', 'smooth' or a number, got {surface_index!r}"
            )
        return {p: surface_index for p in pols}
    return _per_polarisation(surface_index, pols, "surface_index")


def _invert_iwkb(N, lam, n_c, eo, surface) -> ModeInversion:
    profiles = {}
    for pol, v in N.items():
        try:
            rec = reconstruct_profile(
                v, lam, surface_index=surface[pol], cover_index=n_c, polarisation=pol
            )
        except ValueError as err:
            raise ValueError(f"IWKB, {pol} modes: {err}") from None
        profiles[pol] = IndexProfile(
            polarisation=pol,
            depth=_frozen(rec.depth),
            index=_frozen(rec.index),
            index_stderr=_frozen(np.full(rec.depth.size, np.nan)),
            covered_depth=float(rec.depth[-1]),
            effective_indices=_frozen(v),
            residuals=_frozen(np.full(v.size, np.nan)),
            substrate_index=math.nan,
            surface_index=float(rec.surface_index),
        )
    stress = None
    if eo is not None and len(N) == 2:
        rule = surface["TE"] if isinstance(surface["TE"], str) else (surface["TE"], surface["TM"])
        x, s = stress_at_tm_turning_points(
            N["TE"], N["TM"], lam, eo.c_parallel, eo.c_perp, cover_index=n_c, surface_index=rule
        )
        stress = StressProfile(_frozen(x), _frozen(s), _frozen(np.full(x.size, np.nan)))
    return ModeInversion(
        method=Method.IWKB,
        family=None,
        profiles=MappingProxyType(profiles),
        stress=stress,
        parameters=MappingProxyType({}),
        parameter_stderr=MappingProxyType({}),
        parameter_names=(),
        covariance=_frozen(np.empty((0, 0))),
        reduced_chi2=math.nan,
        uncertainty="none",
        warnings=(
            "IWKB gives no uncertainties; its profile is the broken line through the turning points",
        ),
        candidates=(),
        mode_solves=0,
        wavelength=lam,
        cover_index=n_c,
        elasto_optic=eo,
    )


def _invert_model(N, lam, n_c, eo, index_sigma, family, substrate) -> ModeInversion:
    sigma, weighted = _sigmas(index_sigma, N)
    n = sum(v.size for v in N.values())
    extra = len(N) * (1 if substrate else 2)  # Δ and (unless given) n_s per polarisation
    if isinstance(family, AutoSelect):
        families, auto = [_family_instance(f) for f in family.families], True
        if not families:
            raise ValueError("AutoSelect needs at least one family")
    else:
        families, auto = [_family_instance(family)], False
        k = families[0].parameter_count + extra
        if n < k + 1:
            raise ValueError(
                f"family {families[0].name} has {k} parameters but only {n} modes were given (at least {k + 1} needed)"
            )
    points = _iwkb_points(N, lam, n_c)
    hint = _hint(N, points, lam, substrate)
    setup = (N, sigma, weighted, substrate, lam, n_c, eo)
    fits, skipped = [], []
    for fam in families:
        k = fam.parameter_count + extra
        if auto and k > n - 2:
            skipped.append(
                Candidate(
                    fam.name,
                    k,
                    math.nan,
                    math.inf,
                    False,
                    f"skipped: AICc needs n ≥ k + 2 = {k + 2} modes, {n} given",
                )
            )
            continue
        fits.append(
            _fit_family(fam, hint, points, setup, SCREEN_EVALUATIONS if auto else FULL_EVALUATIONS)
        )
    if not fits:
        reasons = "; ".join(f"{c.family}: {c.message}" for c in skipped)
        raise ValueError(f"no family has few enough parameters for {n} modes: {reasons}")
    # The screening budget ranks the families; an unfinished fit's AICc is only an upper
    # bound, so it is dropped only when even a perfect fit (χ² = 0, or RSS at the model
    # floor) could not beat the leader. The likeliest is continued first, one at a time,
    # since each continuation may raise the bar for the rest.
    while True:
        fits.sort(key=lambda f: f.aicc)
        lead = fits[0].aicc
        pending = [
            f
            for f in fits
            if not f.converged
            and f.nfev > 0
            and not f.continued
            and _aicc_floor(f.model, weighted) < lead
        ]
        if not pending:
            break
        f = pending[0]
        fits[fits.index(f)] = _run(f.model, f.theta, FULL_EVALUATIONS, weighted, continued=True)
    fits.sort(key=lambda f: f.aicc)
    unit = 1.0 if weighted else NOMINAL_SIGMA**2
    candidates = tuple(
        [
            Candidate(f.family.name, f.model.count, f.chi2 * unit, f.aicc, f.converged, f.message)
            for f in fits
        ]
        + skipped
    )
    good = [f for f in fits if f.converged]
    if not good:
        raise ValueError(
            "no family converged: " + "; ".join(f"{c.family}: {c.message}" for c in candidates)
        )
    best = good[0]
    warnings = []
    if auto and len(good) > 1 and good[1].aicc - best.aicc < _SIMILAR_AICC:
        warnings.append(
            f"family {best.family.name} is barely better than {good[1].family.name} (ΔAICc = "
            f"{good[1].aicc - best.aicc:.2f} < {_SIMILAR_AICC:g}): both describe the modes about as well"
        )
    return _model_result(best, candidates, weighted, warnings, [f.model for f in fits])


def _gradient(f, theta, h=_FD_STEP) -> np.ndarray:
    """Central-difference Jacobian of f (a vector) with respect to the internal θ."""
    cols = []
    for k in range(theta.size):
        up, down = theta.copy(), theta.copy()
        up[k] += h
        down[k] -= h
        cols.append((np.asarray(f(up)) - np.asarray(f(down))) / (2 * h))
    return np.column_stack(cols)


def _model_result(fit: _Fit, candidates, weighted, warnings, models) -> ModeInversion:
    model, theta = fit.model, fit.theta
    model.theta = theta
    n, k = model.data_count, model.count
    dof = n - k
    J = model.jacobian(theta)
    cov = np.linalg.pinv(J.T @ J)
    red = fit.chi2 / dof if dof > 0 else math.nan
    if weighted:
        basis = "index_sigma"
        if dof > 0:
            lo_q, hi_q = stats.chi2.ppf([0.005, 0.995], dof)
            if not lo_q <= fit.chi2 <= hi_q:
                warnings.append(
                    f"χ²_red = {red:.3g} lies outside the 99 % range [{lo_q / dof:.2f}, {hi_q / dof:.2f}] for {dof} "
                    "degrees of freedom: the index_sigma given, or the family, does not match the data"
                )
    else:
        basis = "reduced_chi2"
        cov = cov * red
        red *= NOMINAL_SIGMA**2  # reported as RSS/(n − k) in N²
    lo, hi = model.internal_bounds()
    at = [
        model.names[i]
        for i in range(k)
        if min(theta[i] - lo[i], hi[i] - theta[i]) <= 1e-4 * (hi[i] - lo[i])
    ]
    if at:
        warnings.append(
            f"parameters at a bound of family {fit.family.name}: {', '.join(at)} (their standard errors ignore the bound)"
        )

    def report(th):
        p, delta, ns = model.split(th)
        out = fit.family.reported(p)
        out.update({f"delta_{pol}": delta[pol] for pol in model.pols})
        out.update({f"substrate_{pol}": ns[pol] for pol in model.pols})
        return out

    values = report(theta)
    names = tuple(values)
    G = _gradient(lambda th: np.array(list(report(th).values())), theta)
    cov_si = G @ cov @ G.T
    stderr = np.sqrt(np.maximum(np.diag(cov_si), 0.0))

    model.cov = cov
    forward = model.forward(theta)
    _, delta, ns = model.split(theta)
    profiles = {}
    for pol in model.pols:
        covered = model.covered_depth(pol, theta, float(forward[pol][-1]))
        x = np.linspace(0.0, covered, OUTPUT_POINTS)
        profiles[pol] = IndexProfile(
            polarisation=pol,
            depth=_frozen(x),
            index=_frozen(model.index(pol, x)),
            index_stderr=_frozen(model.index_stderr(pol, x)),
            covered_depth=covered,
            effective_indices=_frozen(model.modes[pol]),
            residuals=_frozen(forward[pol] - model.modes[pol]),
            substrate_index=ns[pol],
            surface_index=ns[pol] + delta[pol],
        )
    stress = None
    if model.eo is not None and len(model.pols) == 2:
        xs = np.linspace(0.0, max(p.covered_depth for p in profiles.values()), OUTPUT_POINTS)
        se = model.delta_method(lambda th: model.stress(xs, th))
        stress = StressProfile(_frozen(xs), _frozen(model.stress(xs)), _frozen(se))
    for m in models:  # the result keeps the chosen model for index_at/stress_at, not its solves
        m._cache.clear()
        m._jac_cache.clear()
    return ModeInversion(
        method=Method.MODEL,
        family=fit.family,
        profiles=MappingProxyType(profiles),
        stress=stress,
        parameters=MappingProxyType(values),
        parameter_stderr=MappingProxyType(dict(zip(names, map(float, stderr)))),
        parameter_names=names,
        covariance=_frozen(cov_si),
        reduced_chi2=float(red),
        uncertainty=basis,
        warnings=tuple(warnings),
        candidates=candidates,
        mode_solves=sum(m.solves for m in models),
        wavelength=model.wavelength,
        cover_index=model.cover_index,
        elasto_optic=model.eo,
        _model=model,
    )
