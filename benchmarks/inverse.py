"""Mode inversion: the model method (ionex.process.inversion, AUTO) against inverse WKB, on
every validation shape, noise-free and with noise.

    python benchmarks/inverse.py               # ~15 min on 2 cores; markdown on stdout,
                                               # results/inverse.json
    python benchmarks/inverse.py --seeds 10    # quicker coverage figures

Truths (tests/validation/_inversion_truths.py, independent of the model's families): BK7 at
677 nm, n_0 = 1.5137 + 0.0075 u, σ = −400 MPa·u, air cover; u = erfc(x/22 µm),
exp(−(x/20 µm)²), exp(−x/10 µm), one Helfferich–Plesset step with D_A/D_B = 0.1 and 0.03
(half-depth 16 µm; scipy solve_bvp reference), a two-step exchange simulated by ionex
(spike ≈ 10 µm on a tail ≈ 80 µm), and Rogoziński's BK7 plate process simulated by ionex
(91 h, 1.5 mm, central tension). Exact modes from solve_modes on 4001 points; 10–14 per
polarisation. Also the three shared-shape mismatch cases σ ∝ u^1.2, n_0 ∝ u.

Rows, noise-free (figures as tests/validation/_inversion_truths.figures defines them):
max |Δn| over [0, covered depth] (TE, TM); max |Δσ| at the TM turning points (the model at
the true ones, IWKB at its own); the family chosen; time per inversion (best and median of
--repeats, one process, wall clock) and its ratio to one solve_modes call (TE + TM, the
truth sampled at 300 points) timed in the same process just before; mode solves made.

Noisy: --seeds seeds per shape, each index + N(0, 2e-5), index_sigma = 2e-5. Model: the
fraction of |z| < 1 and < 2, z = (estimate − truth)/(stated standard error), pooled over six
depths per polarisation (n) and over the TM turning points (σ); median and 90th percentile
of the max errors; families chosen; warnings; failures. IWKB: the same errors (it states no
uncertainty) and its refusals. A realisation whose noise swaps two modes (the exponential
guide's last two TE modes are 4.5e-5 apart) is not a list an instrument reports: it is
skipped and counted. Nominal coverage 68.3 % / 95.4 %; the 99 % binomial interval
of the 1σ coverage for --seeds independent trials is printed with it (pooled points within
one seed are correlated, so this interval is the conservative one).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from scipy import stats

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE.parent / "tests" / "validation"))
import _common as C  # noqa: E402
from _inversion_truths import (  # noqa: E402
    EO,
    INDEX_TARGET,
    SHAPES,
    STRESS_TARGET,
    WAVELENGTH,
    bk7_plate_truth,
    figures,
    noisy,
    truth,
    z_scores,
)

SIGMA_N = 2e-5


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def cases():
    out = [(s, truth(s)) for s in SHAPES]
    out.append(("BK7 plate 91 h", bk7_plate_truth()))
    return out


def solve_time(t, repeats=20):
    """One solve_modes call, TE + TM, of the truth sampled at 300 points (s, median)."""
    from ionex.solvers.modes import solve_modes

    x = np.linspace(0.0, t.extent, 300)
    n = t.n_te(x)
    _, timing = C.time_call(lambda: solve_modes(x, n, WAVELENGTH), repeats)
    return timing.median


def noise_free(t, method, repeats):
    from ionex.process.inversion import invert_modes

    try:
        result, timing = C.time_call(
            lambda: invert_modes(t.modes, WAVELENGTH, elasto_optic=EO, method=method), repeats
        )
    except ValueError as err:
        return {"refused": str(err)}
    row = figures(result, t)
    row.update(timing.as_dict())
    row["family"] = None if result.family is None else result.family.name
    row["mode_solves"] = result.mode_solves
    row["meets_targets"] = bool(
        row["index_TE"] < INDEX_TARGET
        and row["index_TM"] < INDEX_TARGET
        and row["stress"] < STRESS_TARGET
    )
    return row


def noisy_runs(t, method, seeds):
    from ionex.process.inversion import Method, invert_modes

    z_n, z_s, errs, fams, warned, failed, times, unordered = [], [], [], {}, 0, [], [], 0
    seed = 1000
    while len(errs) + len(failed) < seeds:
        data = noisy(t.modes, seed, SIGMA_N)
        seed += 1
        if any(np.any(np.diff(v) >= 0) for v in data.values()):
            unordered += 1  # noise swapped two close modes: no instrument reports that list
            continue
        t0 = time.perf_counter()
        try:
            r = invert_modes(data, WAVELENGTH, elasto_optic=EO, method=method, index_sigma=SIGMA_N)
        except ValueError as err:
            failed.append(str(err)[:160])
            continue
        times.append(time.perf_counter() - t0)
        f = figures(r, t)
        errs.append((f["index_TE"], f["index_TM"], f["stress"]))
        if method is Method.MODEL:
            z = z_scores(r, t)
            z_n.append(np.concatenate([z["TE"], z["TM"]]))
            z_s.append(z["stress"])
            fams[r.family.name] = fams.get(r.family.name, 0) + 1
            warned += bool(r.warnings)
    out = {
        "seeds": seeds,
        "failed": len(failed),
        "failures": failed[:3],
        "unordered_lists_skipped": unordered,
    }
    if errs:
        e = np.array(errs)
        out.update(
            {
                "index_TE_median": float(np.median(e[:, 0])),
                "index_TE_p90": float(np.percentile(e[:, 0], 90)),
                "index_TM_median": float(np.median(e[:, 1])),
                "index_TM_p90": float(np.percentile(e[:, 1], 90)),
                "stress_median": float(np.median(e[:, 2])),
                "stress_p90": float(np.percentile(e[:, 2], 90)),
                "time_median_s": float(np.median(times)),
            }
        )
    if z_n:
        zn, zs = np.abs(np.concatenate(z_n)), np.abs(np.concatenate(z_s))
        out.update(
            {
                "coverage_index_1sigma": float(np.mean(zn < 1)),
                "coverage_index_2sigma": float(np.mean(zn < 2)),
                "coverage_stress_1sigma": float(np.mean(zs < 1)),
                "coverage_stress_2sigma": float(np.mean(zs < 2)),
                "max_abs_z_index": float(zn.max()),
                "max_abs_z_stress": float(zs.max()),
                "families": fams,
                "with_warnings": warned,
            }
        )
    return out


def mismatch_rows(repeats):
    from ionex.process.inversion import Method

    rows = {}
    for shape in ("erfc", "flat r=0.1", "two-step"):
        t = truth(shape, stress_power=1.2)
        rows[shape] = {m.value: noise_free(t, m, repeats) for m in (Method.MODEL, Method.IWKB)}
    return rows


def refused(r):
    skipped = r.get("unordered_lists_skipped", 0)
    return f"{r['failed']}/{r['seeds']}" + (f" ({skipped} unordered skipped)" if skipped else "")


def main(argv=None):
    from ionex.process.inversion import Method

    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--seeds", type=int, default=50, help="noisy seeds per shape and method (default 50)"
    )
    ap.add_argument("--repeats", type=int, default=3, help="timed noise-free repeats (default 3)")
    ap.add_argument("--json", type=Path, default=HERE / "results" / "inverse.json")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    info = C.machine_info()
    rows = {}
    for name, t in cases():
        log(f"{name}: noise-free")
        one = solve_time(t)
        row = {"modes": {p: int(v.size) for p, v in t.modes.items()}, "solve_modes_s": one}
        for m in (Method.MODEL, Method.IWKB):
            r = noise_free(t, m, args.repeats)
            if "median_s" in r:
                r["over_one_solve"] = r["median_s"] / one
            row[m.value] = r
        for m in (Method.MODEL, Method.IWKB):
            log(f"{name}: {args.seeds} noisy seeds, {m.value}")
            row[f"{m.value}_noisy"] = noisy_runs(t, m, args.seeds)
        rows[name] = row
    log("shared-shape mismatch σ ∝ u^1.2")
    mismatch = mismatch_rows(args.repeats)

    p = 0.6827
    half = stats.norm.ppf(0.995) * math.sqrt(p * (1 - p) / args.seeds)
    band = (p - half, p + half)

    print(
        f"## Mode inversion, noise-free (BK7, 677 nm; targets |Δn| < {INDEX_TARGET:g}, |Δσ| < {STRESS_TARGET / 1e6:g} MPa)\n"
    )
    print(
        "| shape | modes TE/TM | method | family | max |Δn| TE | max |Δn| TM | max |Δσ| (MPa) | σ points | targets | time (s) | × solve_modes | mode solves |"
    )
    print("|---|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|")
    for name, row in rows.items():
        for m in ("model", "iwkb"):
            r = row[m]
            mc = f"{row['modes']['TE']}/{row['modes']['TM']}"
            if "refused" in r:
                print(f"| {name} | {mc} | {m} | — | refused | | | | miss | | | |")
                continue
            print(
                f"| {name} | {mc} | {m} | {r['family'] or '—'} | {r['index_TE']:.2g} | {r['index_TM']:.2g} | "
                f"{r['stress'] / 1e6:.3g} | {r['stress_points']} | {'meet' if r['meets_targets'] else 'miss'} | "
                f"{r['median_s']:.3g} | {r['over_one_solve']:.0f} | {r['mode_solves']} |"
            )
    print(f"\n## With noise: {args.seeds} seeds per shape, σ_N = 2e-5, index_sigma = 2e-5\n")
    print(
        f"Coverage of the stated 1σ (nominal 68.3 %, 99 % interval for {args.seeds} trials "
        f"{100 * band[0]:.0f}–{100 * band[1]:.0f} %) and 2σ (95.4 %); errors median / 90th percentile.\n"
    )
    print(
        "| shape | method | n within 1σ / 2σ | σ within 1σ / 2σ | max |Δn| TE | max |Δn| TM | max |Δσ| (MPa) | families | refused | time (s) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---|---:|---:|")
    for name, row in rows.items():
        for m in ("model", "iwkb"):
            r = row[f"{m}_noisy"]
            if "index_TE_median" not in r:
                print(f"| {name} | {m} | | | | | | | {refused(r)} | |")
                continue
            cov_n = (
                f"{100 * r['coverage_index_1sigma']:.0f} / {100 * r['coverage_index_2sigma']:.0f} %"
                if m == "model"
                else "—"
            )
            cov_s = (
                f"{100 * r['coverage_stress_1sigma']:.0f} / {100 * r['coverage_stress_2sigma']:.0f} %"
                if m == "model"
                else "—"
            )
            fams = (
                ", ".join(
                    f"{k} {v}"
                    for k, v in sorted(r.get("families", {}).items(), key=lambda kv: -kv[1])
                )
                or "—"
            )
            print(
                f"| {name} | {m} | {cov_n} | {cov_s} | {r['index_TE_median']:.2g} / {r['index_TE_p90']:.2g} | "
                f"{r['index_TM_median']:.2g} / {r['index_TM_p90']:.2g} | "
                f"{r['stress_median'] / 1e6:.3g} / {r['stress_p90'] / 1e6:.3g} | {fams} | {refused(r)} | "
                f"{r['time_median_s']:.3g} |"
            )
    print("\n## Shared shape assumed, not true: σ ∝ u^1.2 while n_0 ∝ u (noise-free)\n")
    print("| shape | method | family | max |Δn| TE | max |Δn| TM | max |Δσ| (MPa) |")
    print("|---|---|---|---:|---:|---:|")
    for name, row in mismatch.items():
        for m in ("model", "iwkb"):
            r = row[m]
            if "refused" in r:
                print(f"| {name} | {m} | refused | | | |")
                continue
            print(
                f"| {name} | {m} | {r['family'] or '—'} | {r['index_TE']:.2g} | {r['index_TM']:.2g} | {r['stress'] / 1e6:.3g} |"
            )

    args.json.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "problem": {
            "wavelength_m": WAVELENGTH,
            "index_sigma": SIGMA_N,
            "index_target": INDEX_TARGET,
            "stress_target_Pa": STRESS_TARGET,
            "seeds": args.seeds,
            "repeats": args.repeats,
        },
        "coverage_1sigma_99pct_interval": band,
        "rows": rows,
        "shared_shape_mismatch": mismatch,
        "machine": info,
    }
    args.json.write_text(json.dumps(payload, indent=2, default=float) + "\n", encoding="utf-8")
    log(f"wrote {args.json}")


if __name__ == "__main__":
    main()
