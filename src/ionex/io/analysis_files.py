"""Files of the closed-form analyses: the D(T) table of an Arrhenius fit and a
measured composition profile for Boltzmann–Matano, their results (arrhenius.json, the
D̃(χ) tables) and figures. Readers name the file, line and column of any bad value."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..constants import ZERO_CELSIUS
from ..errors import RecipeError
from ..process.arrhenius_fit import ArrheniusFit, arrhenius_data
from ..process.matano import InterdiffusionEstimate, check_profile_depths
from ..units import registry
from ..validators import FieldError
from .tables import (
    TEMPERATURE_COLUMNS,
    check_width,
    depth_column,
    fraction_cell,
    is_fraction_column,
    number_cell,
    open_table,
)
from .plots import save_figure
from .writers import atomic_path

__all__ = [
    "ArrheniusData",
    "FractionProfile",
    "read_arrhenius_table",
    "read_fraction_profile",
    "write_arrhenius_json",
    "plot_arrhenius",
    "write_interdiffusion_tables",
    "plot_interdiffusion",
]


@dataclass(frozen=True)
class ArrheniusData:
    """A D(T) table: temperature (K), coefficient D (m²/s), coefficient_err (m²/s or None),
    the file it came from and the temperature column it used."""

    temperature: np.ndarray
    coefficient: np.ndarray
    coefficient_err: np.ndarray | None
    source: str
    temperature_column: str


def read_arrhenius_table(path) -> ArrheniusData:
    """Read diffusion coefficients against temperature: a header naming one temperature
    column (``temperature_C`` or ``temperature_K``), ``D_m2_s`` and optionally
    ``D_err_m2_s`` (one standard error); other columns are ignored; ``#`` lines are comments.

    Raises:
        RecipeError naming the file, line and column: a missing column, a value that is not
        a finite number (NaN included), T ≤ 0 K, D ≤ 0, D_err ≤ 0, fewer than 3 rows (an
        uncertainty needs one degree of freedom beyond D0 and Q), or a single temperature.
    """
    path = Path(path)
    header_line, header, rows = open_table(
        path, "a header such as temperature_C,D_m2_s,D_err_m2_s and data lines"
    )
    temp_cols = [h for h in header if h in TEMPERATURE_COLUMNS]
    if len(temp_cols) != 1 or "D_m2_s" not in header:
        raise RecipeError(
            f"{path}, line {header_line}: header {','.join(header)!r}; expected one temperature column "
            "(temperature_C or temperature_K), D_m2_s and optionally D_err_m2_s"
        )
    tcol = temp_cols[0]
    i_t, i_d = header.index(tcol), header.index("D_m2_s")
    i_e = header.index("D_err_m2_s") if "D_err_m2_s" in header else None
    temps, coefs, errs, lines, cells = [], [], [], [], []
    for number, fields in rows:
        where = f"{path}, line {number}"
        check_width(fields, header, where)
        temps.append(number_cell(fields[i_t], where, tcol) + TEMPERATURE_COLUMNS[tcol])
        coefs.append(number_cell(fields[i_d], where, "D_m2_s"))
        if i_e is not None:
            if not fields[i_e].strip():
                raise RecipeError(
                    f"{where}: D_err_m2_s is empty; expected an error on every row (or no D_err_m2_s column)"
                )
            errs.append(number_cell(fields[i_e], where, "D_err_m2_s"))
        lines.append(number)
        cells.append(fields)
    # the rules of Arrhenius data are arrhenius_data's; a refusal is located here
    columns = {"temperature": (i_t, tcol), "D": (i_d, "D_m2_s"), "D_err": (i_e, "D_err_m2_s")}
    try:
        arrhenius_data(temps, coefs, errs if i_e is not None else None)
    except FieldError as exc:
        if exc.index is None or exc.field not in columns:
            raise RecipeError(f"{path}: {exc}") from None
        i, column = columns[exc.field]
        raw = cells[exc.index][i].strip()
        shown = (
            f" ({exc.found:.6g} K)"
            if exc.field == "temperature" and tcol != "temperature_K"
            else ""
        )
        raise RecipeError(
            f"{path}, line {lines[exc.index]}: {column} = {raw!r}{shown}; {exc.expected}"
        ) from None
    except ValueError as exc:
        raise RecipeError(f"{path}: {exc}") from None
    return ArrheniusData(
        np.array(temps),
        np.array(coefs),
        np.array(errs) if i_e is not None else None,
        str(path),
        tcol,
    )


@dataclass(frozen=True)
class FractionProfile:
    """A measured composition profile: depth (m, increasing), fraction (dimensionless),
    the column it came from, the file."""

    depth: np.ndarray
    fraction: np.ndarray
    column: str
    source: str


def read_fraction_profile(
    path, *, column: str | None = None, time: float | None = None
) -> FractionProfile:
    """Read a site-fraction profile: a depth column (``depth_m``, ``depth_um`` or ``depth_nm``) and a
    fraction column (``frac`` or ``frac_<Ion>``; ``column`` chooses when there are several).
    A file with a ``time_s`` column — e.g. ionex's own profiles.csv — holds several profiles:
    the rows at ``time`` (s) are used.

    Raises:
        RecipeError naming the file, line and column: missing or ambiguous columns, a value
        that is not a finite number, a fraction outside [−0.1, 1.1], depth < 0 or not
        increasing, no rows at the requested time, fewer than MIN_PROFILE_POINTS points.
    """
    path = Path(path)
    header_line, header, rows = open_table(path, "a header such as depth_um,frac_K and data lines")
    where_header = f"{path}, line {header_line}"
    i_depth, scale, dcol = depth_column(header, path, header_line)
    if column is not None:
        if column not in header:
            raise RecipeError(
                f"{where_header}: no column {column!r}; the header has {','.join(header)!r}"
            )
        fcol = column
    else:
        fcols = [h for h in header if is_fraction_column(h)]
        if len(fcols) != 1:
            found = (
                f"several ({', '.join(fcols)}); choose one (--column)"
                if fcols
                else f"none in {','.join(header)!r}"
            )
            raise RecipeError(
                f"{where_header}: expected one fraction column, frac or frac_<Ion> (e.g. frac_K); "
                f"found {found}"
            )
        fcol = fcols[0]
    i_x, i_f = i_depth, header.index(fcol)
    i_t = header.index("time_s") if "time_s" in header else None
    depth, frac, seen_times, lines, cells = [], [], [], [], []
    for number, fields in rows:
        where = f"{path}, line {number}"
        check_width(fields, header, where)
        if i_t is not None:
            t = number_cell(fields[i_t], where, "time_s")
            if not seen_times or t != seen_times[-1]:
                seen_times.append(t)
            if time is None or abs(t - time) > 1e-6 * max(abs(time), 1.0):
                continue
        depth.append(number_cell(fields[i_x], where, dcol) * scale)
        frac.append(fraction_cell(fields[i_f], where, fcol))
        lines.append(number)
        cells.append(fields[i_x].strip())
    if i_t is not None and not depth:
        times = ", ".join(f"{t:.6g}" for t in dict.fromkeys(seen_times))
        asked = "no --time given" if time is None else f"none at time_s = {time:.6g}"
        raise RecipeError(
            f"{path}: the file holds profiles at time_s = {times}; {asked}; expected one of these times"
        )
    # the rules of a profile's depths are the analysis' (check_profile_depths); located here
    try:
        check_profile_depths(depth)
    except FieldError as exc:
        i = exc.index
        raise RecipeError(
            f"{path}, line {lines[i]}: {dcol} = {cells[i]!r}; {exc.expected}"
        ) from None
    except ValueError as exc:
        raise RecipeError(f"{path}: {exc}") from None
    return FractionProfile(np.array(depth), np.array(frac), fcol, str(path))


# --------------------------------------------------------------------------- Arrhenius outputs


def _finite_or_none(x: float):
    return float(x) if math.isfinite(x) else None


def write_arrhenius_json(fit: ArrheniusFit, path, *, source: str | None = None) -> Path:
    """arrhenius.json: D0_m2_s, Q_J_per_mol and their _stderr, with ln_D0_stderr, the
    correlation of ln D0 and Q, the decorrelated D at T_ref, reduced_chi2, method, n_points,
    how the uncertainties were obtained and the unit of every number (SI)."""
    doc = {
        "D0_m2_s": fit.prefactor,
        "D0_m2_s_stderr": fit.prefactor_stderr,
        "Q_J_per_mol": fit.activation_energy,
        "Q_J_per_mol_stderr": fit.activation_energy_stderr,
        "ln_D0_stderr": fit.ln_prefactor_stderr,
        "correlation_lnD0_Q": _finite_or_none(fit.correlation),
        "reference_temperature_K": fit.reference_temperature,
        "D_ref_m2_s": fit.reference_coefficient,
        "D_ref_m2_s_stderr": fit.reference_coefficient * fit.reference_ln_stderr,
        "reduced_chi2": fit.reduced_chi2,
        "method": fit.method,
        "n_points": fit.n_points,
        "uncertainties": (
            "absolute, from the D_err_m2_s column"
            if fit.absolute_errors
            else "no D_err_m2_s column: covariance scaled by the reduced chi-square"
        ),
        "units": {
            "D0_m2_s": "m^2/s",
            "D0_m2_s_stderr": "m^2/s",
            "Q_J_per_mol": "J/mol",
            "Q_J_per_mol_stderr": "J/mol",
            "ln_D0_stderr": "1 (standard error of ln D0; D0 is uncertain by a factor exp(ln_D0_stderr))",
            "correlation_lnD0_Q": "1",
            "reference_temperature_K": "K",
            "D_ref_m2_s": "m^2/s",
            "D_ref_m2_s_stderr": "m^2/s",
            "reduced_chi2": "1",
        },
    }
    if source is not None:
        doc["source"] = str(source)
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return Path(path)


def plot_arrhenius(fit: ArrheniusFit, data: ArrheniusData, path) -> Path:
    """ln D against 1000/T with error bars, the fitted line and its ±1σ band (from the
    uncorrelated ln D_ref and Q), temperatures in °C on the top axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..constants import GAS_CONSTANT

    ureg = registry()
    t = data.temperature
    inv = 1000.0 / t
    y = np.log(data.coefficient)
    fig, ax = plt.subplots(figsize=(6.5, 4.5), layout="constrained")
    yerr = None if data.coefficient_err is None else data.coefficient_err / data.coefficient
    ax.errorbar(inv, y, yerr=yerr, fmt="o", color="C0", capsize=3, label="data")
    grid = np.linspace(inv.min() - 0.03 * np.ptp(inv), inv.max() + 0.03 * np.ptp(inv), 200)
    tt = 1000.0 / grid
    line = np.log(fit(tt))
    dx = 1.0 / tt - 1.0 / fit.reference_temperature
    band = np.sqrt(
        fit.reference_ln_stderr**2 + (dx * fit.activation_energy_stderr / GAS_CONSTANT) ** 2
    )
    q_kj = ureg.Quantity(fit.activation_energy, "J/mol").to("kJ/mol").magnitude
    dq_kj = ureg.Quantity(fit.activation_energy_stderr, "J/mol").to("kJ/mol").magnitude
    ax.plot(
        grid,
        line,
        color="C3",
        label=f"fit ({fit.method}): Q = {q_kj:.4g} ± {dq_kj:.2g} kJ/mol, "
        f"D0 = {fit.prefactor:.3g} m²/s",
    )
    ax.fill_between(grid, line - band, line + band, color="C3", alpha=0.2, label="±1σ of the fit")
    ax.set_xlabel("1000 / T (1/K)")
    ax.set_ylabel("ln (D / (m²/s))")
    top = ax.secondary_xaxis(
        "top",
        functions=(
            lambda v: 1000.0 / np.maximum(v, 1e-9) - ZERO_CELSIUS,
            lambda c: 1000.0 / (np.asarray(c) + ZERO_CELSIUS),
        ),
    )
    top.set_xlabel("temperature (°C)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save_figure(fig, path)


# --------------------------------------------------------------------------- Boltzmann–Matano outputs


def write_interdiffusion_tables(
    estimate: InterdiffusionEstimate, directory, column: str = "frac"
) -> list[Path]:
    """``interdiffusion.csv`` — ``<column>,D_m2_s``, the reliable points with extrapolated
    ends (InterdiffusionEstimate.table_points), loadable by a recipe (``[model]
    interdiffusion_table = "interdiffusion.csv"``) — and ``matano.csv``, every grid point
    with ``D_m2_s_stderr`` and ``reliable`` (1/0).

    Raises:
        ValueError: fewer than two reliable points (no table a recipe could use).
    """
    directory = Path(directory)
    col = column if (column == "frac" or column.startswith("frac_")) else "frac"
    fr, co, extrapolated = estimate.table_points()
    hours = registry().Quantity(estimate.time, "s").to("h").magnitude
    head = (
        f"# D̃(χ) by {estimate.method} at t = {hours:.6g} h: the reliable points"
        + (
            f"; rows at {col} = "
            + ", ".join(f"{f:.4g}" for f in fr[extrapolated])
            + " extrapolated (ln D̃ linear through the 3 nearest)"
            if extrapolated.any()
            else ""
        )
        + ".\n# A recipe interpolates (PCHIP in ln D̃) and holds D̃ constant beyond the first and last row.\n"
    )
    table = directory / "interdiffusion.csv"
    with atomic_path(table) as tmp:
        Path(tmp).write_text(
            head + f"{col},D_m2_s\n" + "".join(f"{f:.6f},{d:.6e}\n" for f, d in zip(fr, co)),
            encoding="utf-8",
        )
    full = directory / "matano.csv"
    with atomic_path(full) as tmp:
        Path(tmp).write_text(
            f"{col},D_m2_s,D_m2_s_stderr,reliable\n"
            + "".join(
                f"{f:.6f},{d:.6e},{s:.3e},{int(r)}\n"
                for f, d, s, r in zip(
                    estimate.fraction,
                    estimate.coefficient,
                    estimate.coefficient_stderr,
                    estimate.reliable,
                )
            ),
            encoding="utf-8",
        )
    return [table, full]


def plot_interdiffusion(estimate: InterdiffusionEstimate, profile: FractionProfile, path) -> Path:
    """Left: the measured profile and its smoothing against depth (µm). Right: D̃(χ) on a
    log axis with ±1σ bars; unreliable points hollow."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ureg = registry()
    um = lambda m: ureg.Quantity(np.asarray(m), "m").to("um").magnitude  # noqa: E731
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
    a.plot(um(profile.depth), profile.fraction, "o", ms=3, color="0.4", label="measured")
    a.plot(
        um(estimate.smoothed_depth),
        estimate.smoothed_fraction,
        color="C3",
        label=f"smoothing spline (λ = {estimate.smoothing:.2g})",
    )
    # zoom on the exchanged layer, not on a long measured bulk
    excess = estimate.smoothed_fraction - estimate.initial_fraction
    filled = excess > 0.01 * (estimate.top_fraction - estimate.initial_fraction)
    if filled.any():
        a.set_xlim(0, um(min(1.5 * estimate.smoothed_depth[filled].max(), profile.depth[-1])))
    a.set_xlabel("depth below the surface (µm)")
    a.set_ylabel(f"site fraction ({profile.column})")
    a.grid(alpha=0.3)
    a.legend(fontsize=8)
    ok = estimate.reliable
    b.errorbar(
        estimate.fraction[ok],
        estimate.coefficient[ok],
        yerr=estimate.coefficient_stderr[ok],
        fmt="o",
        color="C0",
        capsize=2,
        ms=4,
        label="reliable",
    )
    shown = ~ok & np.isfinite(estimate.coefficient) & (estimate.coefficient > 0)
    b.plot(
        estimate.fraction[shown],
        estimate.coefficient[shown],
        "o",
        mfc="none",
        color="C0",
        ms=4,
        label="unreliable (ends, noise, sampling)",
    )
    try:
        fr, co, extra = estimate.table_points()
        b.plot(
            fr,
            co,
            color="C3",
            lw=1,
            label="recipe table" + (" (ends extrapolated)" if extra.any() else ""),
        )
    except ValueError:  # fewer than two reliable points: no table
        pass
    b.set_yscale("log")
    b.set_xlabel(f"site fraction ({profile.column})")
    b.set_ylabel("D̃ (m²/s)")
    hours = ureg.Quantity(estimate.time, "s").to("h").magnitude
    b.set_title(f"{estimate.method}, t = {hours:.4g} h")
    b.grid(alpha=0.3, which="both")
    b.legend(fontsize=8)
    return save_figure(fig, path)
