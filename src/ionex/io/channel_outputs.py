"""The files of a channel run (a recipe with a [mask]): result.nc with the cross-section
maps (dims time, x, y), modes.csv, channel.png (maps of χ, stress and index) and modes.png
(the guided modes' fields), and reading result.nc back for `ionex modes2d`.

    write_channel_outputs(result, "out/")
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import IonexError
from .plots import save_figure
from .writers import atomic_path, write_netcdf_contents

__all__ = [
    "write_channel_outputs",
    "channel_contents",
    "ChannelMaps",
    "read_channel_maps",
    "write_modes_2d",
]


def _attrs(units: str, long_name: str) -> dict:
    return {"units": units, "long_name": long_name}


def channel_contents(result) -> tuple[dict, dict, dict]:
    """(coords, data_vars, attrs) of a ChannelResult, each ``name: (dims, values, attrs)``."""
    from .._version import __version__

    recipe = result.recipe
    a, b = recipe.incoming_ion, recipe.glass.host_ion
    xy = ("x", "y")
    coords = {
        "time": ("time", result.times, _attrs("s", "time since the start of the process")),
        "x": ("x", result.depth, _attrs("m", "depth below the exchanged face (cell centre)")),
        "y": ("y", result.lateral, _attrs("m", "lateral position, 0 the axis of the opening")),
    }
    data = {
        f"frac_{a}": (("time", *xy), result.fractions, _attrs("1", f"site fraction of {a}+")),
        "step": (
            "time",
            result.step_of.astype(np.int32) + 1,
            _attrs("1", "process step (1-based)"),
        ),
        "uptake": ("time", result.uptake, _attrs("mol m-1", f"{a}+ taken up per metre of guide")),
        "x_faces": ("x_face", result.grid.depth.faces, _attrs("m", "depth cell faces")),
        "y_faces": ("y_face", result.grid.lateral_faces, _attrs("m", "lateral cell faces")),
    }
    for axis, faces in (("x", result.grid.depth.faces), ("y", result.grid.lateral_faces)):
        coords[f"{axis}_face"] = (f"{axis}_face", np.arange(faces.size), _attrs("1", "face"))
    if result.stress is not None:
        for name, values, what in (
            ("stress_xx", result.stress.sigma_xx, "σ_xx, along the depth"),
            ("stress_yy", result.stress.sigma_yy, "σ_yy, across the guide"),
            ("stress_zz", result.stress.sigma_zz, "σ_zz, along the guide"),
            ("stress_xy", result.stress.sigma_xy, "σ_xy"),
        ):
            data[name] = (xy, values, _attrs("Pa", f"final {what} (compression < 0)"))
    if result.index_te is not None:
        data["n_TE"] = (
            xy,
            result.index_te,
            _attrs("1", "final index for quasi-TE light (E along y)"),
        )
        data["n_TM"] = (
            xy,
            result.index_tm,
            _attrs("1", "final index for quasi-TM light (E along x)"),
        )
    modes = result.modes
    if modes is not None:
        for pol in ("TE", "TM"):
            n_eff = modes.effective_indices(pol, guided_only=True)
            coords[f"mode_{pol}"] = (f"mode_{pol}", np.arange(n_eff.size), _attrs("1", "order"))
            data[f"n_eff_{pol}"] = (
                f"mode_{pol}",
                n_eff,
                _attrs("1", f"effective index of the guided quasi-{pol} modes"),
            )
    o = recipe.optics
    attrs = {
        "title": recipe.name,
        "software": f"ionex {__version__}",
        "incoming_ion": a,
        "host_ion": b,
        "geometry": "channel cross-section through a mask opening",
        "mask_opening_m": recipe.mask.opening,
        "total_mobile_mol_m3": recipe.glass.total_mobile,
        "recipe": recipe.source_text,
        "recipe_path": recipe.source_path,
        "mode_note": result.mode_note,
    }
    if o is not None:
        attrs |= {
            "wavelength_m": o.wavelength,
            "cover_index": o.cover_index,
            "base_index": o.base_index,
        }
    for k, v in (result.work or {}).items():
        attrs[f"solver_{k}"] = v
    return coords, data, attrs


def write_modes_2d(modes, path) -> Path:
    """modes.csv of a channel: polarisation, order, effective_index, guided."""
    lines = ["polarisation,order,effective_index,guided"]
    for pol in ("scalar", "TE", "TM"):
        for m in modes.of(pol):
            lines.append(f"{pol},{m.order},{m.effective_index:.10f},{int(m.guided)}")
    with atomic_path(path) as tmp:
        Path(tmp).write_text("\n".join(lines) + "\n")
    return Path(path)


def _map(ax, result_x, result_y, values, title, cmap, unit_scale=1.0, label="", signed=False):
    from matplotlib.colors import CenteredNorm

    x_um, y_um = result_x * 1e6, result_y * 1e6
    norm = CenteredNorm(0.0) if signed else None  # a stress map: white at zero
    mesh = ax.pcolormesh(y_um, x_um, values * unit_scale, shading="nearest", cmap=cmap, norm=norm)
    ax.invert_yaxis()
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("y (µm)")
    ax.set_ylabel("depth x (µm)")
    ax.figure.colorbar(mesh, ax=ax, label=label)


def channel_figure(result):
    """channel.png: the final χ, σ_zz and σ_yy, and n_TE − n_b, each over the cross-section."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = ["chi"]
    if result.stress is not None:
        panels += ["zz", "yy"]
    if result.index_te is not None:
        panels.append("te")
    fig, axes = plt.subplots(
        1, len(panels), figsize=(4.4 * len(panels), 3.8), layout="constrained", squeeze=False
    )
    x, y = result.depth, result.lateral
    a = result.recipe.incoming_ion
    # the maps show the exchanged region and as much again around it, not the whole domain
    reached = np.max(result.fractions, axis=0) > 0.01 * max(float(result.fractions.max()), 1e-300)
    reach = x[np.any(reached, axis=1)].max() if reached.any() else x[-1]
    half_w = 0.5 * result.recipe.mask.opening + 2.0 * reach
    rows, cols = x <= 2.0 * reach, np.abs(y) <= half_w
    x, y = x[rows], y[cols]

    def shown(values):
        return values[np.ix_(rows, cols)]

    for ax, what in zip(axes[0], panels):
        if what == "chi":
            _map(ax, x, y, shown(result.fractions[-1]), f"χ of {a}+ (final)", "viridis", label="χ")
        elif what in ("zz", "yy"):
            s = getattr(result.stress, f"sigma_{what}")
            _map(ax, x, y, shown(s), f"σ_{what} (final)", "RdBu", 1e-6, "MPa", signed=True)
        else:
            n_b = result.recipe.optics.base_index
            _map(ax, x, y, shown(result.index_te) - n_b, "n_TE − n_b (final)", "magma", label="Δn")
        half = 0.5 * result.recipe.mask.opening * 1e6
        ax.plot([-half, half], [0, 0], color="w", lw=3)
    fig.suptitle(
        f"{result.recipe.name}: opening {result.recipe.mask.opening * 1e6:.3g} µm", fontsize=10
    )
    return fig


def modes_figure(modes, title: str):
    """modes.png: the dominant field of each guided mode (|E|, normalised), TE above TM."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [p for p in ("scalar", "TE", "TM") if modes.of(p, guided_only=True)]
    cols = max(len(modes.of(p, guided_only=True)) for p in rows)
    fig, axes = plt.subplots(
        len(rows), cols, figsize=(3.4 * cols, 3.0 * len(rows)), layout="constrained", squeeze=False
    )
    for r, pol in enumerate(rows):
        guided = modes.of(pol, guided_only=True)
        for c in range(cols):
            ax = axes[r][c]
            if c >= len(guided):
                ax.set_visible(False)
                continue
            m = guided[c]
            f = np.abs(m.field) / np.abs(m.field).max()
            # the window where the field exceeds 1e-3 of its peak
            keep_x, keep_y = np.any(f > 1e-3, axis=1), np.any(f > 1e-3, axis=0)
            f = f[np.ix_(keep_x, keep_y)]
            x_um, y_um = m.depth[keep_x] * 1e6, m.lateral[keep_y] * 1e6
            ax.pcolormesh(y_um, x_um, f, shading="nearest", cmap="inferno")
            ax.axhline(0.0, color="w", lw=0.8)
            ax.invert_yaxis()
            ax.set_title(f"{pol}{m.order}: N = {m.effective_index:.6f}", fontsize=8)
            ax.set_xlabel("y (µm)", fontsize=8)
            ax.set_ylabel("x (µm)", fontsize=8)
    fig.suptitle(f"{title}: guided modes at λ = {modes.wavelength * 1e9:.4g} nm", fontsize=10)
    return fig


def write_channel_outputs(result, directory, *, plot: bool = True) -> list[Path]:
    """result.nc, modes.csv (with guided modes), channel.png and modes.png (with ``plot``)
    into ``directory`` (call it inside the command's output set)."""
    directory = Path(directory)
    coords, data, attrs = channel_contents(result)
    path = directory / "result.nc"
    with atomic_path(path) as tmp:
        write_netcdf_contents(tmp, coords, data, attrs)
    written = [path]
    if result.modes is not None:
        written.append(write_modes_2d(result.modes, directory / "modes.csv"))
    if plot:
        written.append(save_figure(channel_figure(result), directory / "channel.png"))
        if result.modes is not None:
            fig = modes_figure(result.modes, result.recipe.name)
            written.append(save_figure(fig, directory / "modes.png"))
    return written


@dataclass(frozen=True)
class ChannelMaps:
    """The final index maps of a channel run, as result.nc holds them (SI)."""

    title: str
    depth: np.ndarray
    lateral: np.ndarray
    n_te: np.ndarray
    n_tm: np.ndarray
    wavelength: float
    cover_index: float
    base_index: float


def read_channel_maps(directory) -> ChannelMaps:
    """The final n_TE/n_TM maps of a channel run's output directory (result.nc)."""
    import netCDF4

    path = Path(directory) / "result.nc"
    if not path.is_file():
        raise IonexError(f"{directory}: no result.nc; expected the output directory of `ionex run`")
    try:
        with netCDF4.Dataset(path) as nc:
            if "n_TE" not in nc.variables:
                raise IonexError(
                    f"{path}: no index maps; expected the run of a recipe with [mask] and [optics]"
                )
            return ChannelMaps(
                str(nc.getncattr("title")),
                np.asarray(nc["x"][:], dtype=float),
                np.asarray(nc["y"][:], dtype=float),
                np.asarray(nc["n_TE"][:], dtype=float),
                np.asarray(nc["n_TM"][:], dtype=float),
                float(nc.getncattr("wavelength_m")),
                float(nc.getncattr("cover_index")),
                float(nc.getncattr("base_index")),
            )
    except (OSError, AttributeError, KeyError) as exc:
        raise IonexError(f"{path}: cannot read the channel result ({exc})") from None
