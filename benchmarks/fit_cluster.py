"""When does a fit pay for a dask cluster? The break-even behind `ionex fit`'s automatic
choice between serial forward runs and a local cluster (ionex.process.cluster.AutoCluster).

    python benchmarks/fit_cluster.py            # ~3 min; markdown on stdout, results/fit_cluster.json
    python benchmarks/fit_cluster.py --quick    # the cost constants only (~40 s)

The cost model. A fit evaluates residuals (one forward run each) and Jacobians (2 runs per
parameter, central differences, submitted as one batch). Serially a Jacobian of n runs of
t seconds costs n·t; on W workers of a warm cluster it costs ⌈n/W⌉·t + d, d the dispatch
overhead of a batch (pickling, scheduling, gathering). The cluster also costs S once:
starting the LocalCluster, the first task on each worker (importing ionex and loading the
compiled kernels) and the shutdown. d grows with n (each task is sent, unpacked and
answered, and on two cores the scheduler takes its share): d = n·δ. So a cluster saves
s = (n − ⌈n/W⌉)·t − n·δ per Jacobian and pays once the fit has enough Jacobians: N·s > S.
N is not known in advance.

Part 1 measures the constants on this machine: t of the soda-lime fit example, S for 1 and
2 workers (start, first batch beyond its run time, close), and d for batches of n = 1…8
runs on a warm 2-worker cluster (batch time − ⌈n/W⌉·t, and the same with a no-op task);
δ is the least-squares slope of d against n (through 0).

Part 2 checks the model where it matters: whole fits of examples/fit_soda_lime.toml (2
parameters: 4 runs per Jacobian, 7 Jacobians) with the forward run made slower by a finer
mesh (cells_per_efold 60 → 1920), each one serially, on a 2-worker local cluster started
for it (as `ionex fit --workers 2` does: start and close included), and with the automatic
choice; the wall times give the measured break-even in t.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import _common as C  # noqa: E402

FIT = ROOT / "examples" / "fit_soda_lime.toml"
RECIPE = ROOT / "examples" / "soda_lime_k_na.toml"
DATA = ROOT / "examples" / "data" / "k_profile_soda_lime_420C_8h.csv"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def setup_with_mesh(directory: Path, cells_per_efold: int | None):
    """The fit example, its recipe given a finer mesh (a slower forward run)."""
    from ionex.io.fit_file import load_fit

    if cells_per_efold is None:
        return load_fit(FIT)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "recipe.toml").write_text(
        RECIPE.read_text() + f"\n[numerics]\ncells_per_efold = {cells_per_efold}\n"
    )
    text = FIT.read_text().replace('recipe = "soda_lime_k_na.toml"', 'recipe = "recipe.toml"')
    text = text.replace(
        'file = "data/k_profile_soda_lime_420C_8h.csv"', f'file = "{DATA.as_posix()}"'
    )
    (directory / "fit.toml").write_text(text)
    return load_fit(directory / "fit.toml")


def forward_items(setup, n: int) -> list:
    """n distinct forward runs as a Jacobian submits them (D_K stepped by 1e-3 each)."""
    from ionex.process.fitting import _Forward

    fd = setup.datasets[0]
    forward = _Forward(fd.builder, (fd.data,), setup.options.rtol, setup.options.atol)
    start = {p.name: p.value for p in setup.parameters}
    start["step[1].bath.K"] = 0.95
    items = []
    for k in range(n):
        values = dict(start, **{"ions.K.D": start["ions.K.D"] * (1 + 1e-3 * (k + 1))})
        items.append((forward, tuple(values.items()), tuple(start.items()), False))
    return items


def noop(x):
    return x


def run_time(setup, repeats: int) -> C.Timing:
    from ionex.process.fitting import _forward

    item = forward_items(setup, 1)[0]
    return C.time_call(lambda: _forward(item), repeats, warmup=2)[1]


def start_costs(setup, t_run: float, workers: int, repeats: int) -> dict:
    """S for a local cluster of ``workers``: start, first batch (one run per worker) beyond
    its run time, close — each repeat a fresh cluster."""
    from ionex.process.cluster import open_client, run_many
    from ionex.process.fitting import _forward

    rows = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        cm = open_client(n_workers=workers)
        client = cm.__enter__()
        t1 = time.perf_counter()
        run_many(client, _forward, forward_items(setup, workers))
        t2 = time.perf_counter()
        cm.__exit__(None, None, None)
        t3 = time.perf_counter()
        rows.append(
            {
                "start": t1 - t0,
                "first_batch_extra": t2 - t1 - t_run,
                "close": t3 - t2,
                "total": (t1 - t0) + (t2 - t1 - t_run) + (t3 - t2),
            }
        )
    return {k: statistics.median(r[k] for r in rows) for k in rows[0]} | {"repeats": rows}


def dispatch_costs(setup, t_run: float, workers: int, sizes, repeats: int) -> list[dict]:
    """d(n) = batch time − ⌈n/W⌉·t on a warm cluster, and the batch time of no-op tasks."""
    from ionex.process.cluster import open_client, run_many
    from ionex.process.fitting import _forward

    out = []
    with open_client(n_workers=workers) as client:
        run_many(client, _forward, forward_items(setup, 2 * workers))  # warm every worker
        for n in sizes:
            items = forward_items(setup, n)
            batch = C.time_call(lambda: run_many(client, _forward, items), repeats, warmup=1)[1]
            empty = C.time_call(lambda: run_many(client, noop, list(range(n))), repeats, warmup=1)[
                1
            ]
            out.append(
                {
                    "runs": n,
                    "batch_median_s": batch.median,
                    "batch_min_s": batch.best,
                    "dispatch_s": batch.median - math.ceil(n / workers) * t_run,
                    "noop_batch_s": empty.median,
                }
            )
    return out


def whole_fits(meshes, auto: bool) -> list[dict]:
    from ionex.process.cluster import AutoCluster, open_client
    from ionex.process.fitting import fit

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        fit(
            *(lambda s: (s.parameters, s.datasets))(setup_with_mesh(Path(tmp), None))
        )  # imports lmfit: untimed
        for q in meshes:
            setup = setup_with_mesh(Path(tmp) / f"q{q}", q)
            t = run_time(setup, 5)
            row = {"cells_per_efold": q, "run_s": t.median}
            t0 = time.perf_counter()
            res = fit(setup.parameters, setup.datasets, options=setup.options)
            row["serial_s"] = time.perf_counter() - t0
            row["forward_runs"], row["jacobians"] = res.n_forward_runs, res.n_jacobians
            t0 = time.perf_counter()
            with open_client(n_workers=2) as client:
                res2 = fit(setup.parameters, setup.datasets, options=setup.options, client=client)
            row["cluster_s"] = time.perf_counter() - t0
            assert res2.values == res.values, "serial and cluster fits differ"
            if auto:
                t0 = time.perf_counter()
                with AutoCluster() as chooser:
                    res3 = fit(
                        setup.parameters, setup.datasets, options=setup.options, client=chooser
                    )
                row["auto_s"] = time.perf_counter() - t0
                row["auto_choice"] = res3.execution
                assert res3.values == res.values, "the automatic choice changed the fit"
            log(
                f"  cells_per_efold {q}: run {t.median * 1e3:.0f} ms, serial {row['serial_s']:.2f} s, "
                f"cluster {row['cluster_s']:.2f} s"
                + (f", auto {row['auto_s']:.2f} s" if auto else "")
            )
            rows.append(row)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the cost constants only")
    ap.add_argument("--json", default=str(HERE / "results" / "fit_cluster.json"))
    args = ap.parse_args(argv)
    from ionex.process import cluster

    info = C.machine_info()
    setup = setup_with_mesh(Path("."), None)
    log("forward run of the fit example ...")
    t = run_time(setup, 20)
    log(f"  {t.median * 1e3:.1f} ms (median of 20)")
    starts = {}
    for w in (1, 2):
        log(f"local cluster of {w} worker(s): start, first batch, close (3 times) ...")
        starts[w] = start_costs(setup, t.median, w, 3)
        log(
            f"  S = {starts[w]['total']:.2f} s (start {starts[w]['start']:.2f}, first batch +"
            f"{starts[w]['first_batch_extra']:.2f}, close {starts[w]['close']:.2f})"
        )
    log("dispatch of a batch on a warm 2-worker cluster ...")
    dispatch = dispatch_costs(setup, t.median, 2, (1, 2, 4, 6, 8), 15)
    for row in dispatch:
        log(
            f"  n = {row['runs']}: batch {row['batch_median_s'] * 1e3:.0f} ms, d = {row['dispatch_s'] * 1e3:.0f} ms, "
            f"no-op {row['noop_batch_s'] * 1e3:.0f} ms"
        )
    S = starts[2]["total"]
    ns = [r["runs"] for r in dispatch]
    delta = sum(n * r["dispatch_s"] for n, r in zip(ns, dispatch)) / sum(n * n for n in ns)
    out = {
        "machine": info,
        "run_s": t.median,
        "start": {str(k): v for k, v in starts.items()},
        "dispatch": dispatch,
        "model": {"S_s": S, "delta_s_per_run": delta},
        "constants_in_ionex": {
            "start_s": cluster.LOCAL_START_S,
            "dispatch_per_run_s": cluster.DISPATCH_PER_RUN_S,
        },
    }
    # break-even run time for a fit of N Jacobians with n runs each on W = 2 workers
    table = []
    for params in (1, 2, 3, 4, 6):
        n = 2 * params
        gain = n - math.ceil(n / 2)
        table.append(
            {
                "parameters": params,
                "runs_per_jacobian": n,
                **{f"t_star_N{N}_s": (S / N + n * delta) / gain for N in (1, 5, 10, 20)},
            }
        )
    out["break_even"] = table
    if not args.quick:
        log("whole fits of the example, serial / 2-worker cluster / automatic ...")
        out["fits"] = whole_fits((60, 240, 480, 960, 1920), auto=True)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(out, indent=1))

    print(f"forward run of the fit example: {t.median * 1e3:.1f} ms\n")
    print(
        "| local cluster | start | first batch beyond its runs | close | S (total) |\n|---|---:|---:|---:|---:|"
    )
    for w, s in starts.items():
        print(
            f"| {w} worker(s) | {s['start']:.2f} s | {s['first_batch_extra']:.2f} s | {s['close']:.2f} s | "
            f"**{s['total']:.2f} s** |"
        )
    print(
        "\n| runs in the batch | batch on 2 warm workers | d = batch − ⌈n/2⌉·t | no-op batch |\n|---:|---:|---:|---:|"
    )
    for r in dispatch:
        print(
            f"| {r['runs']} | {r['batch_median_s'] * 1e3:.0f} ms | {r['dispatch_s'] * 1e3:.0f} ms | "
            f"{r['noop_batch_s'] * 1e3:.0f} ms |"
        )
    print(
        f"\nδ = {delta * 1e3:.1f} ms per run (ionex uses S = {cluster.LOCAL_START_S} s, "
        f"δ = {cluster.DISPATCH_PER_RUN_S * 1e3:.0f} ms)\n"
    )
    print("Break-even run time t* = (S/N + n·δ)/(n − ⌈n/2⌉) on 2 workers, N Jacobians:\n")
    print(
        "| parameters | runs per Jacobian | N = 1 | N = 5 | N = 10 | N = 20 |\n|---:|---:|---:|---:|---:|---:|"
    )
    for r in table:
        print(
            f"| {r['parameters']} | {r['runs_per_jacobian']} | "
            + " | ".join(f"{r[f't_star_N{N}_s']:.2f} s" for N in (1, 5, 10, 20))
            + " |"
        )
    if "fits" in out:
        print(
            "\n| cells per e-fold | forward run | serial | 2-worker cluster (start + close included) | cluster / serial | automatic | chosen |"
        )
        print("|---:|---:|---:|---:|---:|---:|---|")
        for r in out["fits"]:
            print(
                f"| {r['cells_per_efold']} | {r['run_s'] * 1e3:.0f} ms | {r['serial_s']:.2f} s | {r['cluster_s']:.2f} s | "
                f"{r['cluster_s'] / r['serial_s']:.2f} | {r['auto_s']:.2f} s | {r['auto_choice']} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
