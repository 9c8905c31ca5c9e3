"""Speed and accuracy of ionex.solvers.modes.solve_modes against a finite-difference baseline.

    python benchmarks/modes.py            # ~3 s; markdown report on stdout,
                                          # benchmarks/results/modes.json

The problem: a K+/Na+ exchanged BK7 waveguide at λ = 677 nm, n(x) = 1.5137 + 0.0095·erfc(x/23 µm)
(docs/physics.md §4.2: Δn ≈ 0.009–0.011, ~10 modes per polarisation after 91 h), given as
2000 uniform points on [0, 92 µm] under air. Every TE and TM mode is wanted.

Rows:
* ionex solve_modes — both polarisations in one call (the timed target: < 50 ms), and with
  fields=True.
* finite differences — the baseline: cell-centred second-order finite differences on the
  same 2000-point spacing with 1 µm of air (x = 0 on a cell face; TM with harmonic face
  means of n²), symmetric tridiagonal, guided eigenvalues only by
  scipy.linalg.eigh_tridiagonal(select="v"). Also on refined grids to show what it needs
  to reach the accuracy of solve_modes.

Accuracy: max |ΔN| over all modes against solve_modes on a 16× finer sampling of the same
erfc (its own error there is < 1e-11: the 2000-point ionex error is then the error of the
2000-point linear interpolation of the erfc, the one the baseline also carries).
Timing protocol as in _common.time_call: best of N after a warm-up, one process.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy.linalg import eigh_tridiagonal
from scipy.special import erfc

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _common as C  # noqa: E402

WAVELENGTH = 677e-9
K0 = 2 * math.pi / WAVELENGTH
N_SUBSTRATE, DELTA_N, WIDTH = 1.5137, 0.0095, 23e-6
DEPTH = 4 * WIDTH
POINTS = 2000
COVER = 1.0
TARGET_MS = 50.0


def profile(x):
    return N_SUBSTRATE + DELTA_N * erfc(np.asarray(x) / WIDTH)


def solve_ionex(points=POINTS, fields=False):
    from ionex.solvers.modes import solve_modes

    x = np.linspace(0.0, DEPTH, points)
    ms = solve_modes(x, profile(x), WAVELENGTH, cover_index=COVER, fields=fields)
    return {pol: ms.effective_indices(pol) for pol in ("TE", "TM")}


def solve_fd(points=POINTS, cover=1e-6):
    """Guided N (TE, TM) by cell-centred finite differences with the spacing of ``points``
    samples of [0, DEPTH], Dirichlet far ends (docstring of the module)."""
    h = DEPTH / (points - 1)
    cells = np.arange(-int(round(cover / h)), points - 1)
    x = (cells + 0.5) * h
    eps = np.where(x < 0, COVER**2, profile(np.maximum(x, 0.0)) ** 2)
    lo, hi = max(COVER, N_SUBSTRATE) ** 2, eps.max()
    out = {}
    # TE: E'' + k0² n² E = k0² N² E
    d = (-2.0 / h**2 + K0**2 * eps) / K0**2
    o = np.full(x.size - 1, 1.0 / (h * K0) ** 2)
    out["TE"] = np.sort(
        np.sqrt(eigh_tridiagonal(d, o, select="v", select_range=(lo, hi), eigvals_only=True))
    )[::-1]
    # TM: (H'/n²)' + k0² H = k0² N² H/n², symmetrised with diag(n/k0)
    face = 2.0 / (eps[1:] + eps[:-1])
    main = np.full(x.size, K0**2)
    main[1:] -= face / h**2
    main[:-1] -= face / h**2
    main[[0, -1]] -= 1.0 / (eps[[0, -1]] * h**2)
    s = np.sqrt(eps) / K0
    out["TM"] = np.sort(
        np.sqrt(
            eigh_tridiagonal(
                main * s * s,
                face / h**2 * s[1:] * s[:-1],
                select="v",
                select_range=(lo, hi),
                eigvals_only=True,
            )
        )
    )[::-1]
    return out


def max_error(found, reference):
    errs = []
    for pol in ("TE", "TM"):
        if found[pol].size != reference[pol].size:
            return math.inf
        errs.append(np.abs(found[pol] - reference[pol]).max())
    return float(max(errs))


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeats", type=int, default=30, help="timed repeats per row (default 30)")
    ap.add_argument("--json", type=Path, default=HERE / "results" / "modes.json")
    args = ap.parse_args(argv)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    info = C.machine_info()
    log("reference: solve_modes on 16x finer sampling")
    t0 = time.perf_counter()
    solve_ionex(16 * (POINTS - 1) + 1)  # compiles / loads the numba cache
    compile_s = time.perf_counter() - t0
    reference = solve_ionex(16 * (POINTS - 1) + 1)
    counts = {pol: int(reference[pol].size) for pol in ("TE", "TM")}

    rows = []

    def row(name, fn, repeats, points):
        log(f"timing {name}")
        out, timing = C.time_call(fn, repeats)
        err = max_error(out, reference)
        rows.append({"method": name, "points": points, "max_abs_error": err, **timing.as_dict()})
        return rows[-1]

    ionex_row = row("ionex solve_modes (TE+TM)", lambda: solve_ionex(), args.repeats, POINTS)
    row(
        "ionex solve_modes (TE+TM), fields=True",
        lambda: solve_ionex(fields=True),
        max(5, args.repeats // 3),
        POINTS,
    )
    fd_row = row(
        "finite differences, eigh_tridiagonal (TE+TM)", lambda: solve_fd(), args.repeats, POINTS
    )
    for factor in (4, 16):
        p = factor * (POINTS - 1) + 1
        row(
            f"finite differences, {factor}x finer spacing",
            lambda p=p: solve_fd(p),
            max(3, args.repeats // (2 * factor)),
            p,
        )

    ratio = fd_row["best_s"] / ionex_row["best_s"]
    passed = ionex_row["best_s"] * 1e3 < TARGET_MS
    # equal accuracy: the cheapest FD row within a factor 3 of the ionex error
    close = [
        r
        for r in rows
        if r["method"].startswith("finite") and r["max_abs_error"] <= 3 * ionex_row["max_abs_error"]
    ]
    equal = min(close, key=lambda r: r["best_s"]) if close else None
    equal_ratio = equal["best_s"] / ionex_row["best_s"] if equal else None
    print(
        f"## solve_modes benchmark ({POINTS}-point erfc profile, λ = {WAVELENGTH * 1e9:.0f} nm)\n"
    )
    print(
        f"n(x) = {N_SUBSTRATE} + {DELTA_N}·erfc(x/{WIDTH * 1e6:.0f} µm) on [0, {DEPTH * 1e6:.0f} µm], air cover: "
        f"{counts['TE']} TE + {counts['TM']} TM modes.\n"
    )
    print("| method | points | max abs error in N | best time (N) | median | × ionex |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['method']} | {r['points']} | {r['max_abs_error']:.1e} | {C.fmt_time(r['best_s'])} ({r['repeats']}) | "
            f"{C.fmt_time(r['median_s'])} | {r['best_s'] / ionex_row['best_s']:.2f} |"
        )
    print(f"\nFirst call (numba load/compile) {C.fmt_time(compile_s)}, not in the times.")
    print(
        f"Target: all modes of a {POINTS}-point profile in < {TARGET_MS:.0f} ms: "
        f"{'PASS' if passed else 'FAIL'} ({ionex_row['best_s'] * 1e3:.1f} ms); "
        f"baseline / ionex = {ratio:.2f} at equal points."
    )
    if equal:
        print(
            f"Equal accuracy (FD within 3× of the ionex error {ionex_row['max_abs_error']:.1e}): FD needs "
            f"{equal['points']} points ({equal['max_abs_error']:.1e}) and {equal_ratio:.1f}× the time."
        )

    args.json.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "problem": {
            "wavelength_m": WAVELENGTH,
            "substrate_index": N_SUBSTRATE,
            "delta_n": DELTA_N,
            "erfc_width_m": WIDTH,
            "depth_m": DEPTH,
            "points": POINTS,
            "cover_index": COVER,
            "modes": counts,
        },
        "reference": {pol: reference[pol].tolist() for pol in ("TE", "TM")},
        "rows": rows,
        "ratio_baseline_over_ionex": ratio,
        "ratio_baseline_over_ionex_equal_accuracy": equal_ratio,
        "equal_accuracy_baseline_points": equal["points"] if equal else None,
        "target_ms": TARGET_MS,
        "target_passed": bool(passed),
        "first_call_s": compile_s,
        "machine": info,
    }
    args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    log(f"wrote {args.json}")


if __name__ == "__main__":
    main()
