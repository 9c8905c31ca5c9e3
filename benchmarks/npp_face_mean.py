"""Mesh convergence of the second Double-CAIT's features for each face mean of D.

    python benchmarks/npp_face_mean.py      # ~1 min; markdown on stdout,
                                            # results/npp_face_mean.json

The Nernst–Planck–Poisson fluxes (Scharfetter–Gummel) need one D per face from the two
cells' values; where D falls by 10⁴ from cell to cell (the site-energy law and its
fall-off) the choice matters. Each mean of ionex.solvers.npp.FACE_MEANS runs the
Double-CAIT (the DOUBLE_CAIT_LI3B7O12 preset: the 2nd CAIT's Rb law read as in Table 1 of
Gunawan et al. (2026), full at n_bulk,Li, with the fitted σ_Rb = 0.175 eV) on zone cells
of 1, 0.5 and 0.25 nm, and reports the paper's features (benchmarks/double_cait.py) and
their change between meshes. A mean that cannot carry the beam current through the trapped layer ends
the run with the solver's error, reported as such.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _common as C  # noqa: E402
import double_cait as D  # noqa: E402

ZONES_NM = (1.0, 0.5, 0.25)
KEYS = (
    "cait2_zone_cs_mean",
    "cait2_zone_rb_mean",
    "cait2_zone_li_mean",
    "cait2_cs_front_nm",
    "cait2_rb_minus_cs_front_nm",
    "cait2_rb_max",
    "cait2_li_half_depth_nm",
    "cait2_li_sims_0p9_nm",
    "cait1_li_mean_0_30nm",
    "cait1_rb_half_depth_nm",
)


def run(zone_nm: float, face_mean: str):
    from ionex.physics.site_energy import DOUBLE_CAIT_LI3B7O12 as P
    from ionex.process.experiments import CaitStep, Sample, Species, run_experiments

    sample = Sample(P.thickness, P.area, P.bulk_density, P.relative_permittivity, P.temperature)
    species = [
        Species("Li", 1, P.lithium(1), 1.0),
        Species("Rb", 1, P.rubidium(1), 0.0),
        Species("Cs", 1, P.caesium(), 0.0),
    ]
    steps = [
        CaitStep(
            "Rb", P.source_potential, P.aperture_distance, D.BEAM_CURRENT, charge=P.charge_first
        ),
        CaitStep(
            "Cs",
            P.source_potential,
            P.aperture_distance,
            D.BEAM_CURRENT,
            charge=P.charge_second,
            diffusion={"Li": P.lithium(2), "Rb": P.rubidium(2)},
        ),
    ]
    return run_experiments(sample, species, steps, zone_cell=zone_nm * 1e-9, face_mean=face_mean)


def main():
    from ionex.errors import SolverError
    from ionex.solvers.npp import FACE_MEANS

    rows = []
    for mean in FACE_MEANS:
        for zone in ZONES_NM:
            t0 = time.perf_counter()
            try:
                result = run(zone, mean)
            except SolverError as exc:
                rows.append({"face_mean": mean, "zone_nm": zone, "error": str(exc)})
                print(f"{mean} {zone} nm: {exc}", file=sys.stderr)
                continue
            features = D.paper_features(result)
            rows.append(
                {
                    "face_mean": mean,
                    "zone_nm": zone,
                    "wall_s": time.perf_counter() - t0,
                    "cait2_s": result.step_ends[1].solver["wall_time_s"],
                    "features": {k: features[k] for k in KEYS},
                }
            )
            print(f"{mean} {zone} nm done", file=sys.stderr)
    lines = ["# Face mean of D: mesh convergence of the Double-CAIT features\n"]
    lines.append("| face mean | zone cell | CAIT 2 (s) | " + " | ".join(KEYS) + " |")
    lines.append("|---|---:|---:|" + "---:|" * len(KEYS))
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['face_mean']} | {r['zone_nm']:g} nm | failed: {r['error'][:90]}… |")
            continue
        f = r["features"]
        lines.append(
            f"| {r['face_mean']} | {r['zone_nm']:g} nm | {r['cait2_s']:.2f} | "
            + " | ".join(f"{f[k]:.4g}" for k in KEYS)
            + " |"
        )
    lines.append("\nChange from the 0.5 to the 0.25 nm mesh (target < 1 nm, < 0.01 in fraction):\n")
    for mean in FACE_MEANS:
        half = [
            r for r in rows if r["face_mean"] == mean and "features" in r and r["zone_nm"] == 0.5
        ]
        quarter = [
            r for r in rows if r["face_mean"] == mean and "features" in r and r["zone_nm"] == 0.25
        ]
        if half and quarter:
            d = {k: quarter[0]["features"][k] - half[0]["features"][k] for k in KEYS}
            lines.append(f"- {mean}: " + ", ".join(f"{k} {v:+.3g}" for k, v in d.items()))
    print("\n".join(lines))
    out = HERE / "results" / "npp_face_mean.json"
    out.write_text(json.dumps({"machine": C.machine_info(), "rows": rows}, indent=1, default=float))


if __name__ == "__main__":
    main()
