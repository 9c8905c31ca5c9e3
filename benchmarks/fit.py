"""Speed and numerics of ionex fitting (ionex.process.fitting through a fit file).

    python benchmarks/fit.py                 # ~1.5 min; markdown on stdout, results/fit.json
    python benchmarks/fit.py --skip-noise    # the timings only (~40 s)

The problem: examples/soda_lime_k_na.toml (1 mm soda-lime plate, both faces, 420 °C, 8 h) with
the bath's surface fraction set to 0.9; a synthetic K profile at 40 depths over 0.5–25 µm
from the model at D_K = 1e-15, D_Na = 1e-14 m²/s, χ_s = 0.9 plus Gaussian noise σ = 0.01
(seed 1). Fitted from D_K = 2e-15, D_Na = 5e-15 (both log), χ_s = 0.8: three parameters,
one profile, the default FitOptions (central differences, h = 1e-3, rtol 1e-5).

Rows (best and median of N after a warm-up, one process, wall clock; ratios to the
baseline measured in the same process):
* baseline — one forward run at the fit's tolerances (predict: simulate + interpolation).
* fit, serial — fit() without a client: wall time (target < 5 s), forward runs, and the
  ratio fit time / (forward runs × baseline): what the fit costs beyond its runs.
* fit, 2-worker local cluster — the same fit with every batch of forward runs (each
  Jacobian: 2 runs per parameter) on ionex.process.cluster.open_client(n_workers=2);
  the cluster's start and the first fit (numba kernels loaded on each worker) are
  reported apart.

Numerics (not timed): the noise of the forward model (one parameter varied over ±1 %
on 41 points, rms and max residual of a quartic fit, on the base point's mesh and on the
run's own mesh) at rtol 1e-3, 1e-4, 1e-5; the error of forward and central Jacobian
columns at h = 1e-4, 1e-3, 1e-2 against a reference (central, h = 1e-3, rtol 1e-7); and
the Arrhenius D0–Q valley fitted with forward and central differences (FitOptions).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import _common as C  # noqa: E402

EXAMPLE = HERE.parent / "examples" / "soda_lime_k_na.toml"
TRUE = {"ions.K.D": 1e-15, "ions.Na.D": 1e-14, "step[1].bath.K": 0.9}
TARGET_S = 5.0
DEPTH = np.linspace(0.5e-6, 25e-6, 40)
SIGMA = 0.01

FIT_TOML = f"""
title = "benchmark: D_K, D_Na and the surface fraction from one K profile"
recipe = "{EXAMPLE.as_posix()}"
[[parameter]]
path = "ions.K.D"
value = "2e-15 m^2/s"
min = "1e-17 m^2/s"
max = "1e-13 m^2/s"
log = true
[[parameter]]
path = "ions.Na.D"
value = "5e-15 m^2/s"
min = "1e-16 m^2/s"
max = "1e-12 m^2/s"
log = true
[[parameter]]
path = "step[1].bath.K"
value = 0.8
min = 0.3
max = 1.0
[[dataset]]
kind = "profile"
file = "k_profile.csv"
time = "8 h"
sigma = {SIGMA}
"""


def make_setup(directory: Path):
    """Write the synthetic profile and the fit file; load it as `ionex fit` does."""
    from ionex.io.fit_file import load_fit
    from ionex.io.recipe_document import RecipeDocument
    from ionex.process.fitting import ProfileData, predict

    truth = RecipeDocument.load(EXAMPLE).with_values(TRUE).recipe()
    probe = ProfileData(DEPTH, np.zeros_like(DEPTH), SIGMA, time=8 * 3600.0)
    clean = predict(truth, [probe], rtol=1e-5, atol=1e-7)[0].values
    noisy = clean + SIGMA * np.random.default_rng(1).standard_normal(DEPTH.size)
    (directory / "k_profile.csv").write_text(
        "depth_um,frac_K\n" + "".join(f"{x * 1e6:.4f},{y:.6f}\n" for x, y in zip(DEPTH, noisy))
    )
    (directory / "fit.toml").write_text(FIT_TOML)
    return load_fit(directory / "fit.toml")


def timed_fits(setup, repeats: int, client=None) -> tuple:
    from ionex.process.fitting import fit

    results = []

    def once():
        res = fit(setup.parameters, setup.datasets, options=setup.options, client=client)
        results.append(res)
        return res

    res, timing = C.time_call(once, repeats, warmup=1)
    return res, timing


def baseline(setup, repeats: int):
    from ionex.process.fitting import _forward, _Forward

    fd = setup.datasets[0]
    forward = _Forward(fd.builder, (fd.data,), setup.options.rtol, setup.options.atol)
    item = (forward, tuple(TRUE.items()), None, False)
    return C.time_call(lambda: _forward(item), repeats, warmup=2)[1]


# --------------------------------------------------------------------------- numerics


def noise_table(setup) -> list[dict]:
    from ionex.process.fitting import predict
    from ionex.process.simulate import process_grid

    fd = setup.datasets[0]
    rows = []
    for rtol in (1e-3, 1e-4, 1e-5):
        for name in TRUE:
            for mesh in ("fixed", "own"):
                if mesh == "own" and name != "ions.K.D":
                    continue  # only the D of the slower ion sets the mesh
                hs = np.linspace(-1e-2, 1e-2, 41)
                grid = process_grid(fd.builder(TRUE)) if mesh == "fixed" else None
                f = np.array(
                    [
                        predict(
                            fd.builder({**TRUE, name: TRUE[name] * (1 + h)}),
                            [fd.data],
                            rtol=rtol,
                            atol=rtol / 100,
                            grid=grid,
                        )[0].values
                        for h in hs
                    ]
                )
                v = np.vander(hs, 5)
                coef, *_ = np.linalg.lstsq(v, f, rcond=None)
                res = f - v @ coef
                rows.append(
                    {
                        "parameter": name,
                        "rtol": rtol,
                        "mesh": mesh,
                        "rms": float(np.sqrt(np.mean(res**2))),
                        "max": float(np.abs(res).max()),
                        "slope_max": float(np.abs(coef[-2]).max()),
                    }
                )
    return rows


def jacobian_errors(setup) -> list[dict]:
    """Columns d model/d u at the truth by forward and central differences against a
    tight reference, as the fit computes them (ionex.process.fitting._Evaluator)."""
    from ionex.process.fitting import FitOptions, _Evaluator, _Forward

    fd = setup.datasets[0]
    params = setup.parameters

    def evaluator(**kw):
        opts = FitOptions(**kw)
        return _Evaluator(
            params,
            setup.datasets,
            [_Forward(fd.builder, (fd.data,), opts.rtol, opts.atol)],
            [(0, 0)],
            opts,
            None,
            None,
        )

    u = np.array([p.to_scaled(TRUE[p.name]) for p in params])
    ref = evaluator(rtol=1e-7, atol=1e-9, fd_scheme="central", fd_step=1e-3).jacobian(u)
    rows = []
    for scheme in ("forward", "central"):
        for h in (1e-4, 1e-3, 1e-2):
            jac = evaluator(fd_scheme=scheme, fd_step=h).jacobian(u)
            err = np.linalg.norm(jac - ref, axis=0) / np.linalg.norm(ref, axis=0)
            rows.append(
                {"scheme": scheme, "h": h, **{p.name: float(e) for p, e in zip(params, err)}}
            )
    return rows


ARRHENIUS = """
[glass]
host_ion = "Na"
total_mobile = "10.9 mol/L"
[ions.K]
D0 = "1.945e-7 m^2/s"
Q = "110 kJ/mol"
[ions.Na]
D0 = "3.47e-7 m^2/s"
Q = "100 kJ/mol"
[[step]]
bath = { K = 0.9 }
temperature = "420 degC"
duration = "2 h"
[numerics]
cells_per_efold = 20
"""


def arrhenius_valley() -> list[dict]:
    """D0 and Q of K from profiles at 380 and 460 °C (σ = 0.01, seed 7), fitted with forward
    and central differences from D0 = 5e-7 m²/s, Q = 115 kJ/mol."""
    from ionex.io.fit_file import FieldUnit, RecipeBuilder
    from ionex.io.recipe_document import RecipeDocument
    from ionex.process.fitting import (
        FitDataset,
        FitOptions,
        FitParameter,
        ProfileData,
        fit,
        predict,
    )

    doc = RecipeDocument(ARRHENIUS, "arrhenius.toml")
    paths = ["ions.K.D0", "ions.K.Q"]
    units = tuple((p, FieldUnit.of(doc.value(p)[1])) for p in paths)
    depth = np.linspace(0.2e-6, 8e-6, 25)
    rng = np.random.default_rng(7)
    sets = []
    for celsius in (380.0, 460.0):
        b = RecipeBuilder.of(doc, units, (("step[1].temperature", celsius),))
        clean = predict(
            b({"ions.K.D0": 1.945e-7, "ions.K.Q": 110e3}),
            [ProfileData(depth, 0 * depth, SIGMA)],
            rtol=1e-5,
            atol=1e-7,
        )[0].values
        sets.append(
            FitDataset(
                ProfileData(depth, clean + SIGMA * rng.standard_normal(depth.size), SIGMA), b
            )
        )
    rows = []
    for scheme in ("forward", "central"):
        params = [
            FitParameter("ions.K.D0", 5e-7, 1e-10, 1e-3, log=True),
            FitParameter("ions.K.Q", 115e3, 50e3, 200e3),
        ]
        res = fit(params, sets, options=FitOptions(fd_scheme=scheme))
        rows.append(
            {
                "scheme": scheme,
                "chisqr": res.chisqr,
                "Q_J_mol": res.values["ions.K.Q"],
                "Q_stderr_J_mol": res.stderr["ions.K.Q"],
                "D0_m2_s": res.values["ions.K.D0"],
                "D0_stderr_m2_s": res.stderr["ions.K.D0"],
                "forward_runs": res.n_forward_runs,
            }
        )
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3, help="timed fits per row (default 3)")
    ap.add_argument(
        "--skip-noise", action="store_true", help="skip the noise, Jacobian and valley tables"
    )
    ap.add_argument("--json", default=str(HERE / "results" / "fit.json"))
    args = ap.parse_args()
    meta = C.machine_info()
    out: dict = {
        "meta": meta,
        "problem": {
            "example": EXAMPLE.name,
            "true": TRUE,
            "depths": DEPTH.size,
            "sigma": SIGMA,
            "seed": 1,
            "target_s": TARGET_S,
        },
    }
    with tempfile.TemporaryDirectory() as tmp:
        setup = make_setup(Path(tmp))
        print("timing the baseline forward run …", file=sys.stderr)
        base = baseline(setup, repeats=20)
        print("timing serial fits …", file=sys.stderr)
        res, serial = timed_fits(setup, args.repeats)
        fitted = {
            n: {
                "value": res.values[n],
                "stderr": res.stderr[n],
                "z": (res.values[n] - TRUE[n]) / res.stderr[n],
            }
            for n in res.names
        }
        out["baseline"] = {"what": "one forward run at the fit tolerances", **base.as_dict()}
        out["serial"] = {
            **serial.as_dict(),
            "forward_runs": res.n_forward_runs,
            "nfev": res.nfev,
            "jacobians": res.n_jacobians,
            "redchi": res.redchi,
            "success": res.success,
            "fit_over_baseline": serial.median / base.median,
            "fit_over_runs_times_baseline": serial.median / (res.n_forward_runs * base.median),
            "fitted": fitted,
            "pass_target": serial.median < TARGET_S,
        }
        print("starting a 2-worker local cluster …", file=sys.stderr)
        from ionex.process.cluster import open_client

        t0 = time.perf_counter()
        with open_client(n_workers=2) as client:
            started = time.perf_counter() - t0
            t1 = time.perf_counter()
            first = timed_fits(setup, 1, client)[0]  # loads the kernels on both workers
            first_s = time.perf_counter() - t1
            cres, cluster = timed_fits(setup, args.repeats, client)
        same = all(cres.values[n] == res.values[n] for n in res.names)
        out["cluster"] = {
            **cluster.as_dict(),
            "workers": 2,
            "cluster_start_s": started,
            "first_fits_with_warmup_s": first_s,
            "forward_runs": cres.n_forward_runs,
            "over_serial": cluster.median / serial.median,
            "same_values_as_serial": same,
            "first_fit_forward_runs": first.n_forward_runs,
        }
        if not args.skip_noise:
            print("measuring the forward model's noise …", file=sys.stderr)
            out["noise"] = noise_table(setup)
            print("measuring Jacobian errors …", file=sys.stderr)
            out["jacobian_errors"] = jacobian_errors(setup)
            print("fitting the Arrhenius valley with both schemes …", file=sys.stderr)
            out["arrhenius_valley"] = arrhenius_valley()

    s, c = out["serial"], out["cluster"]
    print(f"three-parameter fit to one profile ({DEPTH.size} points), {EXAMPLE.name}\n")
    print("| row | best (s) | median (s) | forward runs | ratio | notes |")
    print("|---|---:|---:|---:|---:|---|")
    print(
        f"| baseline: one forward run | {base.best:.4f} | {base.median:.4f} | 1 | 1 | rtol {setup.options.rtol:g} |"
    )
    print(
        f"| fit, serial | {serial.best:.3f} | {serial.median:.3f} | {s['forward_runs']} | "
        f"{s['fit_over_baseline']:.0f}× baseline | {s['nfev']} evaluations, {s['jacobians']} Jacobians; "
        f"fit/(runs × baseline) = {s['fit_over_runs_times_baseline']:.2f}; < {TARGET_S:g} s: "
        f"{'PASS' if s['pass_target'] else 'FAIL'} |"
    )
    print(
        f"| fit, 2-worker local cluster | {cluster.best:.3f} | {cluster.median:.3f} | {c['forward_runs']} | "
        f"{c['over_serial']:.2f}× serial | cluster start {c['cluster_start_s']:.1f} s, first fit {c['first_fits_with_warmup_s']:.1f} s; "
        f"same values as serial: {same} |"
    )
    print(
        "\nfitted (± stderr; z = (fit − true)/stderr): "
        + ", ".join(
            f"{n} = {v['value']:.5g} ± {v['stderr']:.2g} (z = {v['z']:+.2f})"
            for n, v in fitted.items()
        )
    )
    if "noise" in out:
        print("\n| parameter | rtol | mesh | noise rms | noise max |\n|---|---:|---|---:|---:|")
        for r in out["noise"]:
            print(
                f"| {r['parameter']} | {r['rtol']:g} | {r['mesh']} | {r['rms']:.1e} | {r['max']:.1e} |"
            )
        print("\n| scheme | h | " + " | ".join(TRUE) + " |\n|---|---:|" + "---:|" * len(TRUE))
        for r in out["jacobian_errors"]:
            print(
                f"| {r['scheme']} | {r['h']:g} | " + " | ".join(f"{r[n]:.1e}" for n in TRUE) + " |"
            )
        print(
            "\n| Arrhenius valley | χ² | Q (kJ/mol) | σ_Q | D0 (m²/s) | forward runs |\n|---|---:|---:|---:|---:|---:|"
        )
        for r in out["arrhenius_valley"]:
            print(
                f"| {r['scheme']} | {r['chisqr']:.4f} | {r['Q_J_mol'] / 1e3:.3f} | {r['Q_stderr_J_mol'] / 1e3:.3f} | "
                f"{r['D0_m2_s']:.4g} | {r['forward_runs']} |"
            )
    path = Path(args.json)
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=2, default=float))
    print(f"\nwritten {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
