"""Outputs of a fit: the report (lmfit style, with units), fit.json, fit.png (data against
model with a residual panel per dataset) and the fitted recipe, all written atomically."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .._version import __version__
from .fit_file import FitSetup, quantity_text
from .plots import save_figure
from .writers import atomic_path

__all__ = [
    "format_report",
    "format_summary",
    "fit_json",
    "fitted_recipe_text",
    "plot_fit",
    "write_fit_outputs",
]

# how plots show the SI units the dataset kinds declare (abscissa_unit, value_unit)
_DISPLAY = {"m": ("µm", 1e6), "s": ("h", 1 / 3600.0), "Pa": ("MPa", 1e-6), "": ("", 1.0)}


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _err_text(setup: FitSetup, result, name: str) -> str:
    s = result.stderr[name]
    if s is None:
        return "(not estimated)"
    unit = setup.units[name]
    return f"{abs(unit.factor) * s:.3g} {unit.text}".strip()


def _relative(result, name: str) -> float | None:
    s, v = result.stderr[name], result.values[name]
    return None if s is None or v == 0 else s / abs(v)


def _bound_text(setup: FitSetup, p) -> str:
    unit = setup.units[p.name]
    parts = []
    if math.isfinite(p.min) and not (p.log and p.min <= 0):
        parts.append(f"min {quantity_text(p.min, unit)}")
    if math.isfinite(p.max):
        parts.append(f"max {quantity_text(p.max, unit)}")
    if p.log:
        parts.append("log")
    return f" [{', '.join(parts)}]" if parts else ""


def format_report(setup: FitSetup, result, created: datetime | None = None) -> str:
    """The fit report: statistics, variables with units, correlations, datasets, warnings."""
    created = created or _now()
    dof = result.n_data - result.n_params
    lines = [
        f"ionex fit — {setup.title}",
        f"fit file: {setup.path}    recipe: {setup.document.path}    {created.isoformat()}",
        "[[Fit Statistics]]",
        f"    # fitting method   = {result.method}",
        f"    # function evals   = {result.nfev}",
        f"    # Jacobians        = {result.n_jacobians}",
        f"    # forward runs     = {result.n_forward_runs}",
        f"    # data points      = {result.n_data}",
        f"    # variables        = {result.n_params}",
        f"    chi-square         = {result.chisqr:.6g}",
        f"    reduced chi-square = {result.redchi:.6g}  ({dof} degrees of freedom)",
        f"    converged          = {result.success}  ({result.message})",
        f"    wall time          = {result.wall_time:.3g} s",
        f"    forward runs ran   = {result.execution}",
        "    uncertainties      = "
        + (
            "scaled by the reduced chi-square (lmfit's default)"
            if result.scale_covar
            else "from the given sigmas alone (scale_covar = false)"
        ),
        "[[Variables]]",
    ]
    width = max(len(n) for n in result.names)
    for p in result.parameters:
        unit = setup.units[p.name]
        rel = _relative(result, p.name)
        rel_text = f" ({100 * rel:.2f}%)" if rel is not None else ""
        lines.append(
            f"    {p.name + ':':<{width + 1}} {quantity_text(result.values[p.name], unit, 8)} +/- "
            f"{_err_text(setup, result, p.name)}{rel_text} (init = {quantity_text(p.value, unit)})"
            f"{_bound_text(setup, p)}"
        )
    pairs = []
    n = len(result.names)
    for i in range(n):
        for j in range(i + 1, n):
            c = result.correlations[i, j]
            if np.isfinite(c) and abs(c) >= 0.1:
                pairs.append((abs(c), result.names[i], result.names[j], c))
    lines.append("[[Correlations]] (unreported correlations are < 0.100)")
    for _, a, b, c in sorted(pairs, reverse=True):
        lines.append(f"    C({a}, {b}) = {c:+.4f}")
    lines.append("[[Datasets]]")
    for fd, f, recipe in zip(result.datasets, setup.files, setup.recipes):
        d = fd.data
        when = ""
        if d.at_one_time:
            when = f", t = {d.time / 3600:.6g} h" if d.time is not None else ", end of process"
        rms = math.sqrt(fd.chisqr / d.n_points / d.weight)
        lines.append(
            f"    {d.name}: {d.label} from {Path(f).name} ({d.n_points} points{when}, weight "
            f"{d.weight:g}, recipe {Path(recipe).name}): chi-square {fd.chisqr:.5g}, rms (model − data)/σ {rms:.3g}"
        )
    lines.append("[[Warnings]]")
    lines += [f"    {w}" for w in result.warnings] or ["    none"]
    return "\n".join(lines) + "\n"


def format_summary(setup: FitSetup, result) -> str:
    """A table of the fitted values with units, for the terminal."""
    head = ("parameter", "value", "± stderr", "unit", "start")
    rows = []
    for p in result.parameters:
        unit = setup.units[p.name]
        s = result.stderr[p.name]
        rows.append(
            (
                p.name,
                f"{unit.from_si(result.values[p.name]):.6g}",
                "—" if s is None else f"{abs(unit.factor) * s:.3g}",
                unit.label(),
                quantity_text(p.value, unit, 4),
            )
        )
    w = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]

    def line(cells):
        return "  ".join(
            c.rjust(w[i]) if i in (1, 2) else c.ljust(w[i]) for i, c in enumerate(cells)
        ).rstrip()

    out = [line(head)] + [line(r) for r in rows]
    out.append(
        f"reduced chi-square {result.redchi:.4g} ({result.n_data} data, {result.n_params} parameters), "
        f"{result.n_forward_runs} forward runs, {result.wall_time:.3g} s"
        + ("" if result.success else f" — NOT CONVERGED: {result.message}")
    )
    out.append(f"forward runs: {result.execution}")
    return "\n".join(out)


def _clean(x):
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def fit_json(setup: FitSetup, result, created: datetime | None = None) -> dict:
    """fit.json content: values in the units of their recipe fields and in SI, standard
    errors, correlations, χ², datasets, warnings, forward runs, wall time and where the
    forward runs ran (``execution``: serial, which cluster, or the automatic choice and why)."""
    created = created or _now()
    params = []
    for p in result.parameters:
        unit = setup.units[p.name]
        s = result.stderr[p.name]
        params.append(
            {
                "path": p.name,
                "unit": unit.text,
                "value": unit.from_si(result.values[p.name]),
                "stderr": None if s is None else abs(unit.factor) * s,
                "relative_stderr": _relative(result, p.name),
                "start": unit.from_si(p.value),
                "min": _clean(unit.from_si(p.min)) if math.isfinite(p.min) else None,
                "max": _clean(unit.from_si(p.max)) if math.isfinite(p.max) else None,
                "log": p.log,
                "value_si": result.values[p.name],
                "stderr_si": s,
            }
        )
    corr = {
        a: {
            b: _clean(float(result.correlations[i, j]))
            for j, b in enumerate(result.names)
            if j != i
        }
        for i, a in enumerate(result.names)
    }
    sets = []
    for fd, f, recipe in zip(result.datasets, setup.files, setup.recipes):
        d = fd.data
        sets.append(
            {
                "name": d.name,
                "kind": d.kind,
                "file": str(f),
                "recipe": str(recipe),
                "n_points": d.n_points,
                "weight": d.weight,
                "time_s": getattr(d, "time", None),
                "chisqr": fd.chisqr,
                "notes": list(fd.notes),
            }
        )
    o = setup.options
    return {
        "title": setup.title,
        "fit_file": str(setup.path),
        "recipe": str(setup.document.path),
        "created": created.isoformat(),
        "ionex_version": __version__,
        "method": result.method,
        "success": result.success,
        "message": result.message,
        "chisqr": result.chisqr,
        "redchi": result.redchi,
        "n_data": result.n_data,
        "n_params": result.n_params,
        "nfev": result.nfev,
        "n_jacobians": result.n_jacobians,
        "n_forward_runs": result.n_forward_runs,
        "wall_time_s": result.wall_time,
        "execution": result.execution,
        "scale_covar": result.scale_covar,
        "options": {
            "rtol": o.rtol,
            "atol": o.atol,
            "fd_step": o.fd_step,
            "max_nfev": o.max_nfev,
            "ftol": o.ftol,
            "xtol": o.xtol,
        },
        "parameters": params,
        "correlations": corr,
        "datasets": sets,
        "warnings": list(result.warnings),
    }


def fitted_recipe_text(setup: FitSetup, result, created: datetime | None = None) -> str:
    """The top-level recipe with the fitted values in the units of their fields, under a
    header saying it was fitted, from what and when."""
    created = created or _now()
    values = {}
    for p in result.parameters:
        v = setup.units[p.name].from_si(result.values[p.name])
        values[p.name] = float(f"{v:.8g}")
    doc = setup.document.with_values(values)
    header = [
        f"Fitted by ionex {__version__} (ionex fit) on {created.isoformat()}",
        f"from the fit file {setup.path} applied to the recipe {setup.document.path}",
        "datasets: "
        + "; ".join(
            f"{fd.data.name} ({fd.data.kind}, {Path(f).name}, {fd.data.n_points} points)"
            for fd, f in zip(result.datasets, setup.files)
        ),
        f"reduced chi-square {result.redchi:.4g} ({result.n_data} data, {result.n_params} parameters); "
        f"converged: {result.success}",
        "fitted values (± 1σ standard error):",
    ]
    for p in result.parameters:
        header.append(
            f"  {p.name} = {quantity_text(result.values[p.name], setup.units[p.name], 8)} ± "
            f"{_err_text(setup, result, p.name)}"
        )
    header += [f"warning: {w}" for w in result.warnings]
    header.append("(the comments of the original recipe are not kept)")
    return doc.to_toml("\n".join(header) + "\n")


def plot_fit(setup: FitSetup, result, path) -> Path:
    """fit.png: per dataset, the data (error bars: σ) and the model curve above, the
    normalised residuals (model − data)/σ below."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(result.datasets)
    ncol = min(n, 3)
    nrow = math.ceil(n / ncol)
    fig = plt.figure(figsize=(5.2 * ncol, 4.6 * nrow), layout="constrained")
    subs = np.atleast_1d(fig.subfigures(nrow, ncol, squeeze=False).ravel())
    for sub, fd, f in zip(subs, result.datasets, setup.files):
        top, bottom = sub.subplots(2, 1, sharex=True, height_ratios=[3, 1])
        _draw(top, bottom, fd, setup)
        top.set_title(f"{fd.data.name} ({fd.data.label}), χ² = {fd.chisqr:.4g}", fontsize=9)
    for sub in subs[n:]:
        sub.set_visible(False)
    fig.suptitle(f"{setup.title}: reduced χ² = {result.redchi:.3g}", fontsize=10)
    return save_figure(fig, path, dpi=110)


def _axis(name: str, unit: str) -> tuple[str, float]:
    """An axis label with its display unit, and the factor from SI to that unit."""
    shown, factor = _DISPLAY[unit]
    return (f"{name} ({shown})" if shown else name), factor


def _draw(top, bottom, fd, setup) -> None:
    """One dataset: its series (one per polarisation of a mode list) with their model, as
    the dataset kind describes them (groups, units, names), and the residuals below."""
    d = fd.data
    norm = (fd.model - d.observed) / d.sigma
    x_label, x_factor = _axis(d.abscissa_name, d.abscissa_unit)
    x = d.abscissa * x_factor
    axes: dict[str, tuple] = {}  # SI unit -> (axis, label, factor): one axis per unit
    handles = []
    for n, (name, mine, curve) in enumerate(d.groups(fd.curve)):
        what, unit = d.series_axis(name)
        if unit not in axes:
            ax = top if not axes else top.twinx()
            axes[unit] = (ax, *_axis(what, unit))
        ax, _, y_factor = axes[unit]
        colour = f"C{2 * n}"  # C0, then C2 (C3 draws a continuous model)
        label = f"{name} " if name else ""
        if mine.any():
            handles.append(
                ax.errorbar(
                    x[mine],
                    d.observed[mine] * y_factor,
                    yerr=d.sigma[mine] * y_factor,
                    fmt="o",
                    ms=4 if d.discrete else 3,
                    lw=0.8,
                    color=colour,
                    label=f"{label}data",
                )
            )
        if curve is None:
            continue
        cx, cy = np.asarray(curve[0]) * x_factor, np.asarray(curve[1]) * y_factor
        if d.discrete:
            handles += ax.plot(cx, cy, "x--", color=colour, lw=0.8, label=f"{label}model")
        else:
            handles += ax.plot(cx, cy, color="C3", lw=1.4, label=f"{label}model")
    for ax, y_label, _ in axes.values():
        ax.set_ylabel(y_label)
    bottom.set_xlabel(x_label)
    top.grid(alpha=0.3)
    top.legend(handles=handles, fontsize=7)
    bottom.axhspan(-1, 1, color="0.9")
    bottom.axhline(0.0, color="0.4", lw=0.8)
    bottom.plot(x, norm, "o", ms=3, color="C3")
    bottom.set_ylabel("(model − data)/σ", fontsize=8)
    bottom.grid(alpha=0.3)


def write_fit_outputs(setup: FitSetup, result, directory, *, plot: bool = True) -> list[Path]:
    """fit_report.txt, fit.json, fit.png and fitted_recipe.toml in ``directory`` (atomic writes)."""
    directory = Path(directory)
    created = _now()
    written = []
    for name, text in (
        ("fit_report.txt", format_report(setup, result, created)),
        (
            "fit.json",
            json.dumps(fit_json(setup, result, created), indent=2, allow_nan=False) + "\n",
        ),
        ("fitted_recipe.toml", fitted_recipe_text(setup, result, created)),
    ):
        with atomic_path(directory / name) as tmp:
            tmp.write_text(text, encoding="utf-8")
        written.append(directory / name)
    if plot:
        written.append(plot_fit(setup, result, directory / "fit.png"))
    return written
