"""Shared pieces of the ionex benchmarks: the reference solution, the accuracy metric,
the competing methods and the timing protocol.

The problem (the "standard case"): binary interdiffusion

    ∂χ/∂t = ∂/∂x (D̃(χ) ∂χ/∂x),   D̃(χ) = D_A D_B / (χ D_A + (1 − χ) D_B)

(Nernst–Planck / Helfferich–Plesset) of an incoming ion A (D_A = 1e-15 m²/s, K+) replacing
the host ion B (D_B = 1e-14 m²/s, Na+) in a semi-infinite slab, χ(0, t) = 1, χ(x, 0) = 0,
for t = 8 h. Metric: the relative error of the depth where χ = 0.5, read off every
numerical profile in the same way (linear interpolation between cell centres, the
surface point (0, χ_s = 1) starting the profile).

Nothing here is imported by ionex; the module only imports ionex (and FiPy) when a
method that needs it is run.
"""

from __future__ import annotations

import gc
import math
import os
import platform
import time
from dataclasses import dataclass, field

import numpy as np

D_INCOMING = 1e-15  # D_A, K+ (m²/s)
D_HOST = 1e-14  # D_B, Na+ (m²/s)
DURATION = 8 * 3600.0  # s
LEVEL = 0.5  # the metric is the depth of χ = LEVEL
TARGET = 1e-4  # relative error to reach
# an earlier reference value (solve_bvp in SI variables, see reference_si_variables)
ISSUE_REFERENCE = 1.0894896160119407e-05


def diffusion_length(d_incoming=D_INCOMING, d_host=D_HOST, duration=DURATION) -> float:
    """L_D = √(max D̃ · t) (m), the length ionex sizes its domain with."""
    return math.sqrt(max(d_incoming, d_host) * duration)


def coefficient(frac, d_incoming=D_INCOMING, d_host=D_HOST):
    """D̃(χ) (m²/s), written out here independently of ionex."""
    return d_incoming * d_host / (frac * d_incoming + (1.0 - frac) * d_host)


# --------------------------------------------------------------------------- metric


def depth_at_level(centres, frac, level=LEVEL, surface_fraction=1.0) -> float:
    """First depth where the profile falls to ``level``: linear interpolation between
    cell centres, with the surface point (0, χ_s) prepended. The same for every method."""
    x = np.concatenate([[0.0], np.asarray(centres, dtype=float)])
    y = np.concatenate([[surface_fraction], np.asarray(frac, dtype=float)])
    below = np.nonzero(y < level)[0]
    if below.size == 0 or below[0] == 0:
        return math.nan
    i = int(below[0])
    return float(x[i - 1] + (y[i - 1] - level) * (x[i] - x[i - 1]) / (y[i - 1] - y[i]))


def relative_error(depth, reference) -> float:
    return (depth - reference) / reference


def reaches_target(total, spatial, target=TARGET) -> bool:
    """A setting "reaches" the target only when the total error, the spatial error of its
    grid (same grid, tight time tolerance) and the time-integration error (the
    difference) are each below the target: a coarse grid whose error happens to cancel
    against a loose time tolerance does not count."""
    return abs(total) < target and abs(spatial) < target and abs(total - spatial) < target


# --------------------------------------------------------------------------- reference


@dataclass
class Reference:
    depth: float  # m
    eta: float  # similarity variable at χ = 0.5, η = x/√t (m/√s)
    nodes: int
    seconds: float


def reference_depth(
    d_incoming=D_INCOMING, d_host=D_HOST, duration=DURATION, level=LEVEL, s_max=12.0, tol=1e-10
) -> Reference:
    """Depth of χ = level from the Boltzmann similarity solution, by scipy's solve_bvp.

    With η = x/√t the PDE becomes −(η/2) χ' = (D̃ χ')'. It is solved as the first-order
    system y1 = χ, y2 = D̃ χ' in *scaled* variables s = η/√D_max and D̃/D_max, so that both
    components are O(1) and solve_bvp's tolerance (relative to 1 + |f|) means what it says:

        y1' = y2 / d(y1),  y2' = −(s/2) y1',   d = D̃/D_max,
        y1(0) = 1,  y1(s_max) = 0.

    Returns the depth η_level·√t (m).
    """
    from scipy.integrate import solve_bvp
    from scipy.optimize import brentq
    from scipy.special import erfc

    started = time.perf_counter()
    d_max = max(d_incoming, d_host)

    def d(c):
        return coefficient(c, d_incoming, d_host) / d_max

    def rhs(s, y):
        dy1 = y[1] / d(y[0])
        return np.vstack([dy1, -0.5 * s * dy1])

    def bc(ya, yb):
        return np.array([ya[0] - 1.0, yb[0]])

    s = np.linspace(0.0, s_max, 4001)
    w = math.sqrt(coefficient(0.5, d_incoming, d_host) / d_max)  # erfc guess of mid-range width
    guess = np.vstack([erfc(s / (2 * w)), -w * np.exp(-((s / w) ** 2) / 4) / math.sqrt(math.pi)])
    sol = solve_bvp(rhs, bc, s, guess, tol=tol, max_nodes=1_000_000, bc_tol=1e-12)
    if not sol.success:
        raise RuntimeError(f"reference solve_bvp failed: {sol.message}")
    s_level = brentq(lambda x: sol.sol(x)[0] - level, 0.0, s_max, xtol=1e-15, rtol=1e-15)
    eta = s_level * math.sqrt(d_max)
    return Reference(eta * math.sqrt(duration), eta, int(sol.x.size), time.perf_counter() - started)


def reference_si_variables(eta_max=1.2e-6, tol=1e-10) -> tuple[float, float]:
    """The same BVP in unscaled SI variables (η in m/√s, y2 = D̃χ' in m/√s).

    Returns the depth with χ = 0.5 located by brentq at its *default* tolerance and at a
    tight one. brentq's default xtol = 2e-12 is absolute: on η_0.5 ≈ 6.4e-8 m/√s it allows
    a relative error of up to ~3e-5, which is where that earlier reference value
    (1.0894896160e-05 m, 6.7e-9 low) comes from. With xtol tight, the SI BVP agrees
    with the scaled one to ~1e-15.
    """
    from scipy.integrate import solve_bvp
    from scipy.optimize import brentq
    from scipy.special import erfc

    eta = np.linspace(0.0, eta_max, 2001)
    width = math.sqrt(3e-15)
    guess = np.vstack(
        [erfc(eta / (2 * width)), -width * np.exp(-((eta / width) ** 2) / 4) / math.sqrt(math.pi)]
    )
    sol = solve_bvp(
        lambda e, y: np.vstack([y[1] / coefficient(y[0]), -(e / 2) * y[1] / coefficient(y[0])]),
        lambda a, b: np.array([a[0] - 1.0, b[0]]),
        eta,
        guess,
        tol=tol,
        max_nodes=1_000_000,
    )

    def g(x):
        return sol.sol(x)[0] - LEVEL

    loose = brentq(g, 0.0, eta_max)
    tight = brentq(g, 0.0, eta_max, xtol=1e-22, rtol=1e-15)
    return loose * math.sqrt(DURATION), tight * math.sqrt(DURATION)


def reference_shooting(s_max=12.0) -> float:
    """An independent check of the reference: shooting on the same similarity ODE with an
    explicit 8th-order Runge–Kutta integrator (DOP853, rtol 1e-13), the surface slope
    found by bisection so that χ(s_max) = 0."""
    from scipy.integrate import solve_ivp
    from scipy.optimize import brentq

    d_max = max(D_INCOMING, D_HOST)

    def rhs(s, y):
        dy1 = y[1] / (coefficient(y[0]) / d_max)
        return [dy1, -0.5 * s * dy1]

    def shoot(slope, dense=False):
        return solve_ivp(
            rhs,
            (0.0, s_max),
            [1.0, slope],
            method="DOP853",
            rtol=1e-13,
            atol=1e-15,
            dense_output=dense,
        )

    slope = brentq(lambda g: shoot(g).y[0, -1], -2.0, -0.05, xtol=1e-15, rtol=1e-15)
    sol = shoot(slope, dense=True)
    s5 = brentq(lambda x: sol.sol(x)[0] - LEVEL, 0.0, s_max, xtol=1e-15, rtol=1e-15)
    return s5 * math.sqrt(d_max * DURATION)


# --------------------------------------------------------------------------- methods


@dataclass
class Outcome:
    """What one run of a method produced."""

    depth: float  # m
    cells: int
    work: dict = field(default_factory=dict)


def ionex_recipe(path):
    import ionex

    return ionex.load_recipe(path)


def run_ionex_simulate(recipe) -> Outcome:
    """The default public path: ionex.simulate(recipe) on a recipe loaded beforehand."""
    import ionex

    res = ionex.simulate(recipe)
    d = res.diagnostics
    return Outcome(
        depth_at_level(res.depth, res.frac_incoming[-1]),
        int(d["cells"]),
        {
            "steps": d["time_steps"],
            "rejected": d["rejected_steps"],
            "linear_solves": d["linear_solves"],
        },
    )


def numerics_defaults() -> dict:
    """ionex's Numerics() defaults (cells_per_efold, rtol, atol, domain_lengths), read from
    the package so that the benchmark follows them."""
    from ionex.process.recipe import Numerics

    n = Numerics()
    return {
        "cells_per_efold": n.cells_per_efold,
        "rtol": n.rtol,
        "atol": n.atol,
        "domain_lengths": n.domain_lengths,
    }


def _ionex_law(d_incoming=D_INCOMING, d_host=D_HOST):
    """The KirchhoffLaw ionex.simulate builds for the standard case (constant D)."""
    from ionex.physics.arrhenius import ArrheniusLaw
    from ionex.physics.interdiffusion import InterdiffusionModel, kirchhoff_law

    model = InterdiffusionModel(
        incoming=ArrheniusLaw.constant(d_incoming), host=ArrheniusLaw.constant(d_host)
    )
    return kirchhoff_law(model, 700.0)  # temperature is irrelevant for constant D


def run_ionex_solver(
    cells_per_efold=None,
    rtol=None,
    atol=None,
    d_incoming=D_INCOMING,
    d_host=D_HOST,
    duration=DURATION,
    domain_lengths=None,
) -> Outcome:
    """ionex at solver level, built exactly as ionex.simulate builds the default run: a
    graded mesh on domain_lengths·√(D_max t), refined toward the face to √(D_min t), ROS3
    with the law object itself (a constant law: the compiled step loop). Arguments left
    None take the Numerics() defaults (numerics_defaults())."""
    from ionex.grids import graded_grid
    from ionex.solvers.diffusion import FaceCondition, solve_nonlinear_diffusion

    given = {
        "cells_per_efold": cells_per_efold,
        "rtol": rtol,
        "atol": atol,
        "domain_lengths": domain_lengths,
    }
    s = {**numerics_defaults(), **{k: v for k, v in given.items() if v is not None}}
    law = _ionex_law(d_incoming, d_host)
    l_d = math.sqrt(max(d_incoming, d_host) * duration)
    l_slow = math.sqrt(min(d_incoming, d_host) * duration)
    grid = graded_grid(s["domain_lengths"] * l_d, l_slow, cells_per_efold=s["cells_per_efold"])
    sol = solve_nonlinear_diffusion(
        grid,
        law,
        np.zeros(grid.n_cells),
        duration,
        front=FaceCondition(1.0),
        back=FaceCondition(None),
        rtol=s["rtol"],
        atol=s["atol"],
    )
    return Outcome(
        depth_at_level(grid.centres, sol.final),
        grid.n_cells,
        {
            "steps": sol.n_steps,
            "rejected": sol.n_rejected,
            "linear_solves": sol.n_solves,
            "cell_steps": sol.diagnostics.get("cell_steps"),
        },
    )


# --------------------------------------------------------------------------- cost floor

_FLOOR_KERNEL = None


def _floor_kernel():
    """Compile (once) the floor loop: law evaluation + Thomas solve, ``repeats`` times."""
    global _FLOOR_KERNEL
    if _FLOOR_KERNEL is None:
        from numba import njit

        from ionex.physics.kirchhoff import evaluate_law

        @njit(cache=False)
        def thomas(lower, diag, upper, rhs, out, scratch):
            # plain Thomas algorithm: lower/upper are the n − 1 off-diagonals
            n = diag.size
            beta = diag[0]
            out[0] = rhs[0] / beta
            for i in range(1, n):
                scratch[i] = upper[i - 1] / beta
                beta = diag[i] - lower[i - 1] * scratch[i]
                out[i] = (rhs[i] - lower[i - 1] * out[i - 1]) / beta
            for i in range(n - 2, -1, -1):
                out[i] -= scratch[i + 1] * out[i + 1]

        @njit(cache=False)
        def floor_loop(kind, params, phi, slope, coef, frac, lower, diag, upper, repeats):
            n = frac.size
            out_phi = np.empty(n)
            out_d = np.empty(n)
            x = np.empty(n)
            scratch = np.empty(n)
            check = 0.0
            for _ in range(repeats):
                evaluate_law(kind, params, phi, slope, coef, frac, out_phi, out_d)
                thomas(lower, diag, upper, frac, x, scratch)
                check += out_d[n - 1] + x[n // 2]
            return check

        _FLOOR_KERNEL = floor_loop
    return _FLOOR_KERNEL


def three_stage_floor(profile, stages) -> float:
    """Run ``stages`` passes of the least work a stage of a three-stage linearly implicit
    method does on the whole mesh: one law evaluation χ ↦ (Φ, D̃)
    (ionex.physics.kirchhoff.evaluate_law) and one tridiagonal (Thomas) solve, both over
    every cell of ``profile`` (χ per cell). The matrix is I − w·Δ (w = 0.3, closed ends)
    and the right-hand side is the profile itself, the same in every pass, so the values
    stay those of a real run (a chained solve would smear the tail ahead of the front
    into subnormal numbers, whose arithmetic is ~100× slower). No assembly, no error
    norm, no step control, no active region. Returns a checksum (keeps the work
    observable)."""
    law = _ionex_law()
    frac = np.ascontiguousarray(profile, dtype=float)
    n = frac.size
    w = 0.3
    off = np.full(n - 1, -w)
    diag = np.full(n, 1.0 + 2.0 * w)
    diag[0] = diag[-1] = 1.0 + w
    kernel = _floor_kernel()
    return float(
        kernel(
            law.kind,
            law.params,
            law.phi,
            law.phi_slope,
            law.coefficient,
            frac,
            off,
            diag,
            off,
            int(stages),
        )
    )


def default_profile(cells_per_efold=None):
    """The final χ of the default run on its mesh (the arrays the floor is timed on)."""
    from ionex.grids import graded_grid
    from ionex.solvers.diffusion import FaceCondition, solve_nonlinear_diffusion

    s = numerics_defaults()
    if cells_per_efold is not None:
        s["cells_per_efold"] = cells_per_efold
    grid = graded_grid(
        s["domain_lengths"] * diffusion_length(),
        math.sqrt(min(D_INCOMING, D_HOST) * DURATION),
        cells_per_efold=s["cells_per_efold"],
    )
    sol = solve_nonlinear_diffusion(
        grid,
        _ionex_law(),
        np.zeros(grid.n_cells),
        DURATION,
        front=FaceCondition(1.0),
        back=FaceCondition(None),
        rtol=s["rtol"],
        atol=s["atol"],
    )
    return sol.final


# Two natural readings of "face D̃ from the arithmetic mean of χ" at the exchanged face
# (interior faces always use D̃((χ_i + χ_{i+1})/2)):
#   "surface": the face value *is* the bath value χ_s, so D̃(χ_s) (what a ghost cell
#              χ_g = 2χ_s − χ_1 gives, and what FiPy does with a constrained face);
#   "mean":    D̃((χ_s + χ_1)/2), the mean of the two values the half-cell flux spans.
BOUNDARY_RULES = ("surface", "mean")


def run_solve_ivp(n_cells, rtol, atol, length_factor=3.0, boundary="surface") -> Outcome:
    """Method of lines: uniform cell-centred finite volumes + scipy solve_ivp(BDF).

    Face flux −D̃_f (χ_{i+1} − χ_i)/h with D̃_f = D̃ of the arithmetic mean of χ; the
    exchanged face spans the half cell h/2 to the bath value χ_s = 1 with D̃ per
    ``boundary`` (see BOUNDARY_RULES); the far face is closed. The Jacobian is estimated
    by finite differences with a tridiagonal ``jac_sparsity`` (3 grouped evaluations).
    """
    from scipy.integrate import solve_ivp
    from scipy.sparse import diags

    if boundary not in BOUNDARY_RULES:
        raise ValueError(f"boundary must be one of {BOUNDARY_RULES}")
    length = length_factor * diffusion_length()
    h = length / n_cells
    centres = (np.arange(n_cells) + 0.5) * h
    flux = np.zeros(n_cells + 1)
    chi_s = 1.0
    d_surface = float(coefficient(chi_s))
    mean_rule = boundary == "mean"

    def rhs(t, c):
        flux[1:-1] = coefficient(0.5 * (c[1:] + c[:-1])) * (c[:-1] - c[1:]) / h
        d0 = coefficient(0.5 * (chi_s + c[0])) if mean_rule else d_surface
        flux[0] = d0 * (chi_s - c[0]) / (0.5 * h)
        return (flux[:-1] - flux[1:]) / h

    ones = np.ones(n_cells)
    sparsity = diags([ones[1:], ones, ones[1:]], [-1, 0, 1], format="csc")
    sol = solve_ivp(
        rhs,
        (0.0, DURATION),
        np.zeros(n_cells),
        method="BDF",
        rtol=rtol,
        atol=atol,
        jac_sparsity=sparsity,
        t_eval=[DURATION],
    )
    if not sol.success:
        raise RuntimeError(f"solve_ivp failed: {sol.message}")
    return Outcome(
        depth_at_level(centres, sol.y[:, -1]),
        n_cells,
        {"nfev": int(sol.nfev), "njev": int(sol.njev), "nlu": int(sol.nlu)},
    )


def fipy_times(steps, spacing_power=1.0):
    """Output times of a run of ``steps`` implicit steps: t_k = T (k/steps)^p."""
    return DURATION * (np.arange(steps + 1) / steps) ** spacing_power


def run_fipy(n_cells, steps, sweeps=2, length_factor=3.0, spacing_power=1.0) -> Outcome:
    """FiPy: Grid1D with uniform cells, TransientTerm == DiffusionTerm(D̃(φ.faceValue)),
    fully implicit (backward Euler) with ``sweeps`` Picard sweeps per step.

    φ.faceValue is the arithmetic mean of the two neighbouring cells and the constrained
    value (χ_s = 1) on the exchanged face — the same semi-discretisation as
    run_solve_ivp(boundary="surface").

    The linear solver is LinearLUSolver with tolerance 1e-10: FiPy's default tolerance
    (1e-5 relative to the right-hand side) lets a sweep skip the solve altogether once the
    steps are small, and the result then stops converging in the number of steps.
    """
    import fipy as fp

    length = length_factor * diffusion_length()
    dx = length / n_cells
    mesh = fp.Grid1D(nx=n_cells, dx=dx)
    phi = fp.CellVariable(mesh=mesh, value=0.0, hasOld=True)
    phi.constrain(1.0, mesh.facesLeft)
    pf = phi.faceValue
    d_face = D_INCOMING * D_HOST / (pf * D_INCOMING + (1.0 - pf) * D_HOST)
    eq = fp.TransientTerm() == fp.DiffusionTerm(coeff=d_face)
    solver = fp.LinearLUSolver(tolerance=1e-10)
    tk = fipy_times(steps, spacing_power)
    for k in range(steps):
        dt = float(tk[k + 1] - tk[k])
        phi.updateOld()
        for _ in range(sweeps):
            eq.sweep(var=phi, dt=dt, solver=solver)
    return Outcome(
        depth_at_level(mesh.cellCenters.value[0], np.array(phi.value)),
        n_cells,
        {"steps": steps, "sweeps": sweeps},
    )


def run_fipy_twin(n_cells, steps, sweeps=2, length_factor=3.0, spacing_power=1.0) -> Outcome:
    """The exact arithmetic of run_fipy (same matrices, same Picard sweeps, same face
    values) in plain numpy with a tridiagonal LAPACK solve — used only to *search* FiPy's
    settings quickly; the chosen setting is then run and timed in FiPy itself."""
    from scipy.linalg.lapack import dgtsv

    length = length_factor * diffusion_length()
    h = length / n_cells
    centres = (np.arange(n_cells) + 0.5) * h
    c = np.zeros(n_cells)
    tk = fipy_times(steps, spacing_power)
    d_face = np.empty(n_cells + 1)
    d_face[0] = 2.0 * float(coefficient(1.0))  # D̃(χ_s) over the half cell
    d_face[-1] = 0.0
    for k in range(steps):
        dt = tk[k + 1] - tk[k]
        old = c
        for _ in range(sweeps):
            d_face[1:-1] = coefficient(0.5 * (c[1:] + c[:-1]))
            w = d_face * (dt / h**2)
            rhs = old.copy()
            rhs[0] += w[0] * 1.0
            _, _, _, c, info = dgtsv(-w[1:-1], 1.0 + w[:-1] + w[1:], -w[1:-1], rhs)
    return Outcome(depth_at_level(centres, c), n_cells, {"steps": steps, "sweeps": sweeps})


# --------------------------------------------------------------------------- timing


@dataclass
class Timing:
    best: float
    median: float
    worst: float
    repeats: int
    all: list

    @property
    def spread(self) -> float:
        """(median − best)/best."""
        return (self.median - self.best) / self.best

    def as_dict(self) -> dict:
        return {
            "best_s": self.best,
            "median_s": self.median,
            "worst_s": self.worst,
            "repeats": self.repeats,
            "spread_median_over_best": self.spread,
            "all_s": self.all,
        }


def time_call(fn, repeats, warmup=1):
    """Run fn() ``warmup`` times untimed, then ``repeats`` times timed with perf_counter,
    one after another in this process. Returns (last result, Timing)."""
    out = None
    for _ in range(warmup):
        out = fn()
    gc.collect()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    arr = np.array(times)
    return out, Timing(
        float(arr.min()), float(np.median(arr)), float(arr.max()), repeats, [float(t) for t in arr]
    )


def machine_info() -> dict:
    import numpy
    import scipy

    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
    }
    try:
        info["load_average_at_start"] = os.getloadavg()
    except OSError:
        pass
    try:
        import ionex

        info["ionex"] = ionex.__version__
    except Exception:  # pragma: no cover
        pass
    try:
        from importlib.metadata import version

        info["fipy"] = version("fipy")
    except Exception:
        info["fipy"] = None
    info["ionex_source"] = source_state()
    return info


def source_state() -> dict:
    """Which ionex source was benchmarked: git HEAD, whether src/ differs from it, and a
    hash of the .py files under src/ionex (read-only; nothing is changed)."""
    import hashlib
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    out = {}
    try:
        out["git_head"] = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
        out["src_modified_since_head"] = bool(status.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    h = hashlib.sha256()
    for p in sorted((root / "src" / "ionex").rglob("*.py")):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes())
    out["src_sha256"] = h.hexdigest()[:16]
    return out


def fmt_time(seconds: float) -> str:
    if seconds < 1.0:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"
