"""Figures of a Result (matplotlib is imported only when a figure is drawn)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..process.result import Result
from ..units import shown_in
from .writers import atomic_path

__all__ = [
    "profiles_figure",
    "stress_index_figure",
    "plot_profiles",
    "plot_stress_and_index",
    "plot_experiment",
    "plot_stress_comparison",
]


MAX_LABELLED_TIMES = 12  # legend entries of profiles.png that fit its height


def _new_figure(figsize, pyplot: bool):
    """A constrained-layout Figure: managed by pyplot (shown by plt.show() and in notebooks)
    or free-standing (for files: no backend, no global state)."""
    if pyplot:
        import matplotlib.pyplot as plt

        return plt.figure(figsize=figsize, layout="constrained")
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def save_figure(fig, path, dpi: int = 120) -> Path:
    """Write ``fig`` as PNG at ``path`` atomically (a temporary name, then renamed) and
    release it when pyplot manages it. Returns the path."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
    if getattr(fig.canvas, "manager", None) is not None:  # pyplot's: let it go
        import matplotlib.pyplot as plt

        plt.close(fig)
    return Path(path)


def profiles_figure(result: Result, *, pyplot: bool = False):
    """The figure of profiles.png: frac_<A> against depth (µm) at every output time, one
    line per time (h), zoomed on the exchanged layer (the front half of a plate exchanged
    on both faces). ``pyplot``: let pyplot manage the figure (Result.plot)."""
    from matplotlib import colormaps

    depth_um = shown_in(result.depth, "um")
    hours = shown_in(result.times, "h")
    fig = _new_figure((7, 4.5), pyplot)
    ax = fig.subplots()
    cmap = colormaps["viridis"]
    # show the exchanged layer (front half of a symmetric plate), not the empty bulk
    thick = result.recipe.glass.thickness
    half = thick / 2 if (thick and result.recipe.glass.faces == "both") else np.inf
    front = result.depth <= half
    filled = np.any(result.frac_incoming[:, front] > 1e-3, axis=0)
    reach = result.depth[front][filled].max() if filled.any() else result.depth[front][-1]
    x_max = shown_in(min(1.3 * reach, half), "um")
    # a legend entry for every one of many times would not fit the figure: label at most
    # MAX_LABELLED_TIMES of them, evenly spread (the colour runs with time)
    labelled = set(
        np.round(np.linspace(0, len(hours) - 1, min(len(hours), MAX_LABELLED_TIMES))).astype(int)
    )
    for i, (h, prof) in enumerate(zip(hours, result.frac_incoming)):
        step = result.recipe.steps[int(result.step_index[i])].name
        ax.plot(
            depth_um,
            prof,
            color=cmap(i / max(len(hours) - 1, 1)),
            label=f"{h:.4g} h ({step})" if i in labelled else None,
        )
    ax.set_xlim(0, x_max)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("depth below the surface (µm)")
    ax.set_ylabel(f"site fraction of {result.incoming_ion}⁺")
    ax.set_title(result.recipe.name)
    ax.grid(alpha=0.3)
    ax.legend(
        fontsize=8,
        title="time" if len(labelled) == len(hours) else f"time ({len(labelled)} of {len(hours)})",
    )
    return fig


def plot_profiles(result: Result, path) -> Path:
    """profiles.png (profiles_figure), written atomically."""
    return save_figure(profiles_figure(result), path)


def stress_index_figure(result: Result, *, pyplot: bool = False):
    """The figure of stress_index.png: final stress σ (MPa) and TE/TM/stress-free index
    profiles against depth (µm), with the guided-mode indices as horizontal lines (what a
    prism coupler reads). Needs [stress] or [optics] in the recipe."""
    from ..process.properties import front_profile

    p = result.properties
    if p is None or (p.stress is None and p.n0 is None):
        raise ValueError(
            "no stress or index profiles in this result: the recipe has neither [stress] nor [optics]"
        )
    k = result.times.size - 1
    depth, frac = front_profile(result, k)
    keep = slice(1, depth.size)  # the cells (the surface point is added below)
    um = shown_in(depth[keep], "um")
    filled = frac[keep] > 1e-3 * max(frac.max(), 1e-12)
    x_max = 1.5 * (um[filled].max() if filled.any() else um[-1])
    panels = (p.stress is not None) + (p.n0 is not None)
    fig = _new_figure((6.5 * panels, 4.5), pyplot)
    axes = list(fig.subplots(1, panels, squeeze=False)[0])
    hours = shown_in(result.times[k], "h")
    if p.stress is not None:
        ax = axes.pop(0)
        m = p.metrics[k]
        ax.plot(um, shown_in(p.stress[k][: um.size], "MPa"), color="C3")
        ax.axhline(0.0, color="0.5", lw=0.8)
        if m.depth_of_compression == m.depth_of_compression:  # not NaN
            ax.axvline(
                shown_in(m.depth_of_compression, "um"),
                color="0.5",
                ls=":",
                label="DOC",
            )
        if m.knee_depth == m.knee_depth:  # a knee (NaN: the profile has none)
            cs_knee = shown_in(m.knee_compressive_stress, "MPa")
            ax.plot(
                [shown_in(m.knee_depth, "um")],
                [-cs_knee],
                "o",
                color="k",
                ms=5,
                label=f"knee: CS_knee = {cs_knee:.0f} MPa",
            )
        ax.set_xlim(0, x_max)
        ax.set_xlabel("depth below the surface (µm)")
        ax.set_ylabel("in-plane stress σ (MPa, compression < 0)")
        ax.set_title(
            f"stress after {hours:.4g} h: CS = {shown_in(m.compressive_stress, 'MPa'):.0f} MPa"
        )
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    if p.n0 is not None:
        ax = axes.pop(0)
        for arr, label, color in (
            (p.n_te, "n_TE", "C0"),
            (p.n_tm, "n_TM", "C1"),
            (p.n0, "n_0", "0.4"),
        ):
            ax.plot(um, arr[k][: um.size], color=color, label=label)
        if p.modes is not None:
            for pol, color, ls in (("TE", "C0", "--"), ("TM", "C1", ":")):
                for j, n_eff in enumerate(p.modes[pol].effective_indices(pol)):
                    ax.axhline(
                        n_eff, color=color, ls=ls, lw=0.7, label=f"{pol} modes" if j == 0 else None
                    )
        ax.set_xlim(0, x_max)
        ax.set_xlabel("depth below the surface (µm)")
        ax.set_ylabel(
            f"refractive index at {shown_in(result.recipe.optics.wavelength, 'nm'):.0f} nm"
        )
        counts = (
            ""
            if p.mode_counts is None
            else f": {p.mode_counts['TE'][k]} TE, {p.mode_counts['TM'][k]} TM modes"
        )
        ax.set_title(f"index profiles{counts}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(result.recipe.name)
    return fig


def plot_stress_and_index(result: Result, path) -> Path:
    """stress_index.png (stress_index_figure), written atomically."""
    return save_figure(stress_index_figure(result), path)


def plot_multicomponent(result, path) -> Path:
    """A multicomponent run: every ion's site fraction at the end of every step against
    depth (µm), on a linear and on a logarithmic depth axis (the near-surface spike)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    um = shown_in(result.depth, "um")
    steps = np.asarray(result.step_index)
    ends = [int(np.nonzero(steps == k)[0][-1]) for k in sorted(set(steps.tolist()))]
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), layout="constrained")
    styles = ["-", "--", ":", "-."]
    for j, k in enumerate(ends):
        label = result.recipe.steps[int(steps[k])].name
        for i, ion in enumerate(result.species):
            for ax in axes:
                ax.plot(
                    um,
                    result.fraction(ion)[k],
                    color=f"C{i}",
                    ls=styles[j % 4],
                    label=f"{ion} after {label}",
                )
    axes[1].set_xscale("log")
    axes[1].set_xlim(max(um[0], 1e-3 * um[-1]), um[-1])
    for ax in axes:
        ax.set_xlabel("depth (µm)")
        ax.set_ylabel("site fraction")
        ax.set_ylim(-0.02, 1.02)
    axes[0].legend(fontsize=8)
    axes[0].set_title(result.recipe.name)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return Path(path)


def plot_experiment(result, path, sims=None, as_measured=None) -> Path:
    """An NPP run: species fractions at the end of every step against depth (nm), with a
    ToF-SIMS profile overlaid when given; the potential; the back-electrode current.

    ``as_measured``: (depth (m), species → fractions, description of the depth resolution),
    the final profiles as the SIMS would measure them, drawn long-dashed and thick."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nm = shown_in(result.depth, "nm")
    ends = [
        int(np.nonzero(np.asarray(result.step) == k)[0][-1])
        for k in sorted(set(np.asarray(result.step).tolist()))
    ]
    # zoom on the exchanged zone: as deep as any species differs from its bulk value by 1e-3
    reach = 0.0
    for name in result.species:
        frac = result.fraction(name)[ends[-1]]
        changed = np.abs(frac - frac[-1]) > 1e-3
        if changed.any():
            reach = max(reach, nm[changed].max())
    x_max = 1.3 * reach if reach > 0 else nm[-1]
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(17, 4.8), layout="constrained")
    styles = ["-", "--", ":", "-."]
    for j, k in enumerate(ends):
        label = getattr(result.steps[j], "name", "") or f"step {j + 1}"
        for i, name in enumerate(result.species):
            a.plot(
                nm,
                result.fraction(name)[k],
                color=f"C{i}",
                ls=styles[j % 4],
                label=f"{name} after {label}",
            )
        b.plot(nm, result.potential[k], color="0.2", ls=styles[j % 4], label=f"after {label}")
    if sims is not None:
        s_nm = shown_in(sims.depth, "nm")
        for i, name in enumerate(result.species):
            if name in sims.fractions:
                a.plot(
                    s_nm,
                    sims.fractions[name],
                    "o",
                    ms=3,
                    color=f"C{i}",
                    alpha=0.6,
                    label=f"{name} ToF-SIMS",
                )
    if as_measured is not None:
        depth, fractions, how = as_measured
        m_nm = shown_in(depth, "nm")
        for i, name in enumerate(result.species):
            if name in fractions:
                a.plot(
                    m_nm,
                    fractions[name],
                    color=f"C{i}",
                    ls=(0, (7, 3)),  # long dashes: not the short ones of a second step
                    lw=2.2,
                    alpha=0.75,
                    label=f"{name} final, as measured ({how})",
                )
    a.set_xlim(0, x_max)
    a.set_ylim(-0.02, 1.02)
    a.set_xlabel("depth below the surface (nm)")
    a.set_ylabel("fraction of the background density n₀")
    a.legend(fontsize=7)
    a.grid(alpha=0.3)
    b.set_xlim(0, x_max)
    b.set_xlabel("depth below the surface (nm)")
    b.set_ylabel("potential (V)")
    b.legend(fontsize=7)
    b.grid(alpha=0.3)
    hours = shown_in(result.current_time, "h")
    c.plot(hours, shown_in(result.current, "nA"), color="C3")
    c.set_xlabel("time (h)")
    c.set_ylabel("back-electrode current (nA)", color="C3")
    c2 = c.twinx()
    c2.plot(hours, shown_in(result.charge, "mC"), color="0.3", ls="--")
    c2.set_ylabel("delivered charge (mC)")
    c.grid(alpha=0.3)
    title = getattr(result.recipe, "name", "") if result.recipe is not None else ""
    fig.suptitle(title)
    return save_figure(fig, path, dpi=110)


def plot_stress_comparison(
    simulated_depth, simulated_stress, measured, path, surface_meter=None
) -> Path:
    """Simulated and measured stress against depth (µm), compression plotted > 0 as stress
    meters and polariscopes report it: the simulated σ(x) as a line, each measured profile
    (ionex.io.stress_data.MeasuredStressProfile) as points with its ±1σ band and force
    imbalance, and each surface-meter record (SurfaceStressRecord) as two markers, CS at
    the surface and DOL on the zero line.

    Args:
        simulated_depth: depths (m).
        simulated_stress: σ at those depths (Pa; compression < 0, as ionex computes it).
        measured: MeasuredStressProfile objects (σ in Pa, compression < 0).
        path: the PNG to write (atomically).
        surface_meter: SurfaceStressRecord objects, or None.
    """
    from ..validators import same_length, vector

    x_sim = vector(simulated_depth, "simulated_depth")
    s_sim = vector(simulated_stress, "simulated_stress")
    same_length(x_sim.size, simulated_stress=s_sim)
    records = list(surface_meter or ())
    reach = [float(p.depth[-1]) for p in measured] + [r.depth_of_layer for r in records]
    x_max = 1.05 * max(reach) if reach else float(x_sim.max())
    fig = _new_figure((7.5, 4.8), False)
    ax = fig.subplots()
    ax.plot(shown_in(x_sim, "um"), -shown_in(s_sim, "MPa"), color="k", lw=1.6, label="simulated")
    markers = "osD^v<>p"
    for j, p in enumerate(measured):
        colour = f"C{j % 10}"
        um = shown_in(p.depth, "um")
        cs = shown_in(p.compressive_stress, "MPa")
        balance = "" if p.imbalance is None else f", imbalance {p.imbalance:+.1%}"
        ax.plot(
            um,
            cs,
            marker=markers[j % len(markers)],
            ms=3.5,
            lw=0.8,
            color=colour,
            label=f"{p.source.name} ({p.column}{balance})",
        )
        if p.sigma is not None:
            band = shown_in(p.sigma, "MPa")
            ax.fill_between(um, cs - band, cs + band, color=colour, alpha=0.2, lw=0)
    for j, r in enumerate(records):
        colour = f"C{(len(measured) + j) % 10}"
        cs = shown_in(r.compressive_stress, "MPa")
        dol = shown_in(r.depth_of_layer, "um")
        ax.plot(
            [0.0, dol],
            [cs, 0.0],
            ls="none",
            marker="*",
            ms=11,
            mec="k",
            mew=0.6,
            color=colour,
            label=f"{r.sample} (surface meter): CS = {cs:.0f} MPa, DOL = {dol:.1f} µm",
        )
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.set_xlim(0.0, shown_in(x_max, "um"))
    ax.set_xlabel("depth below the surface (µm)")
    ax.set_ylabel("compressive stress −σ (MPa, compression > 0)")
    ax.set_title("simulated and measured stress")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return save_figure(fig, path)
