"""Files of `ionex invert`: the index profiles (long format, as `ionex modes` and the fit's
``index`` dataset read them), the stress profile, a JSON report and a figure."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .._version import __version__
from ..process.inversion import Method, ModeInversion
from .plots import save_figure
from .writers import atomic_path

__all__ = ["write_inversion", "plot_inversion"]


def _number(x: float):
    """A JSON number, or None for NaN/inf (JSON has neither)."""
    return float(x) if math.isfinite(x) else None


def write_inversion(inv: ModeInversion, directory, *, source: str = "") -> list[Path]:
    """profile.csv (polarisation,depth_m,n[,n_stderr]), stress.csv (depth_m,stress_Pa
    [,stress_Pa_stderr]) when the inversion has a stress, and inversion.json.

    The model's profiles run from the surface down to where the fitted profile meets its
    substrate (inv.profile_table), so `ionex modes` finds the measured modes again; the
    depth the modes cover is in inversion.json. IWKB's are the surface and turning points.
    """
    directory = Path(directory)
    model = inv.method is Method.MODEL
    rows = []
    for pol in inv.profiles:
        depth, index, stderr = inv.profile_table(pol)
        if model:
            rows += [f"{pol},{x:.10g},{n:.10f},{e:.3g}" for x, n, e in zip(depth, index, stderr)]
        else:
            rows += [f"{pol},{x:.10g},{n:.10f}" for x, n in zip(depth, index)]
    written = [directory / "profile.csv"]
    with atomic_path(written[0]) as tmp:
        tmp.write_text(
            "polarisation,depth_m,n"
            + (",n_stderr" if model else "")
            + "\n"
            + "\n".join(rows)
            + "\n"
        )
    if inv.stress is not None:
        s = inv.stress
        written.append(directory / "stress.csv")
        with atomic_path(written[-1]) as tmp:
            if model:
                body = "".join(
                    f"{x:.10g},{v:.6g},{e:.3g}\n"
                    for x, v, e in zip(s.depth, s.stress, s.stress_stderr)
                )
                tmp.write_text("depth_m,stress_Pa,stress_Pa_stderr\n" + body)
            else:
                tmp.write_text(
                    "depth_m,stress_Pa\n"
                    + "".join(f"{x:.10g},{v:.6g}\n" for x, v in zip(s.depth, s.stress))
                )
    written.append(directory / "inversion.json")
    with atomic_path(written[-1]) as tmp:
        tmp.write_text(
            json.dumps(_report(inv, source), indent=2, allow_nan=False) + "\n", encoding="utf-8"
        )
    return written


def _report(inv: ModeInversion, source: str) -> dict:
    profiles = {}
    for pol, p in inv.profiles.items():
        profiles[pol] = {
            "modes": int(p.effective_indices.size),
            "covered_depth_m": _number(p.covered_depth),
            "surface_index": _number(p.surface_index),
            "substrate_index": _number(p.substrate_index),
            "residuals": [_number(r) for r in p.residuals],
        }
    return {
        "software": f"ionex {__version__}",
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source": source,
        "method": inv.method.value,
        "family": None if inv.family is None else inv.family.name,
        "wavelength_m": inv.wavelength,
        "cover_index": inv.cover_index,
        "uncertainty": inv.uncertainty,
        "reduced_chi2": _number(inv.reduced_chi2),
        "parameters": {
            name: {
                "value_si": _number(inv.parameters[name]),
                "stderr_si": _number(inv.parameter_stderr[name]),
            }
            for name in inv.parameter_names
        },
        "profiles": profiles,
        "surface_stress_Pa": None if inv.stress is None else _number(float(inv.stress_at(0.0))),
        "candidates": [
            {
                "family": c.family,
                "parameters": c.parameters,
                "chi2": _number(c.chi2),
                "AICc": _number(c.criterion),
                "converged": c.converged,
                "message": c.message,
            }
            for c in inv.candidates
        ],
        "warnings": list(inv.warnings),
    }


def plot_inversion(inv: ModeInversion, path, *, title: str = "") -> Path:
    """n_TE, n_TM against depth (with ±1σ bands for the model, the measured mode indices
    at their turning points) and, with both polarisations, the stress."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = 2 if inv.stress is not None else 1
    fig, axes = plt.subplots(
        1, panels, figsize=(6.5 * panels, 4.5), layout="constrained", squeeze=False
    )
    ax = axes[0, 0]
    colours = {"TE": "C0", "TM": "C1"}
    deepest = 0.0
    for pol, p in inv.profiles.items():
        x_um = p.depth * 1e6
        ax.plot(x_um, p.index, color=colours[pol], label=f"n_{pol} ({inv.method.value})")
        if np.any(np.isfinite(p.index_stderr)):
            ax.fill_between(
                x_um,
                p.index - p.index_stderr,
                p.index + p.index_stderr,
                color=colours[pol],
                alpha=0.25,
                lw=0,
                label=f"±1σ ({pol})",
            )
        turning = _turning_depths(inv, pol, p)
        ax.plot(
            turning * 1e6,
            p.effective_indices,
            "o",
            ms=4,
            mfc="none",
            color=colours[pol],
            label=f"{pol} mode indices at their turning points",
        )
        deepest = max(deepest, p.covered_depth)
    ax.set_xlim(0, 1.1 * deepest * 1e6)
    ax.set_xlabel("depth below the surface (µm)")
    ax.set_ylabel("refractive index")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(
        title
        or f"index profile from {sum(p.effective_indices.size for p in inv.profiles.values())} modes"
        + (f", {inv.family.name} model" if inv.family is not None else ", inverse WKB")
    )
    if inv.stress is not None:
        ax = axes[0, 1]
        s = inv.stress
        ax.plot(
            s.depth * 1e6,
            s.stress / 1e6,
            "-" if inv.method is Method.MODEL else "o-",
            color="k",
            label="σ",
        )
        if np.any(np.isfinite(s.stress_stderr)):
            ax.fill_between(
                s.depth * 1e6,
                (s.stress - s.stress_stderr) / 1e6,
                (s.stress + s.stress_stderr) / 1e6,
                color="0.6",
                alpha=0.4,
                lw=0,
                label="±1σ",
            )
        ax.axhline(0.0, color="0.5", lw=0.8)
        ax.set_xlim(0, 1.1 * deepest * 1e6)
        ax.set_xlabel("depth below the surface (µm)")
        ax.set_ylabel("in-plane stress σ (MPa, compression < 0)")
        ax.set_title(f"stress from n_TE − n_TM: σ(0) = {float(inv.stress_at(0.0)) / 1e6:.0f} MPa")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return save_figure(fig, path)


def _turning_depths(inv: ModeInversion, pol: str, p) -> np.ndarray:
    """Where each measured N_m meets the reconstructed n(x): the modes' turning points (m)."""
    if inv.method is Method.IWKB:
        return p.depth[1:]
    out = []
    for N in p.effective_indices:
        above = np.nonzero(p.index >= N)[0]
        k = int(above[-1]) if above.size else 0
        if k + 1 < p.depth.size and p.index[k] != p.index[k + 1]:
            out.append(
                p.depth[k]
                + (p.index[k] - N) / (p.index[k] - p.index[k + 1]) * (p.depth[k + 1] - p.depth[k])
            )
        else:
            out.append(p.depth[k])
    return np.asarray(out)
