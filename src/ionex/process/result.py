"""The result of a simulation: profiles at the output times and their metrics (SI)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .metrics import depth_at_fraction
from .recipe import Recipe

__all__ = ["Result", "STRESS_METRICS", "OUTPUTS_MODULE"]

# The files and figures of a Result are made in the io layer (matplotlib, pint, netCDF),
# which this layer must not import (the layer contracts in pyproject.toml): Result.save and
# Result.plot find it by this name when they are called — as pandas finds its plotting
# backend — so importing ionex.process never loads it.
OUTPUTS_MODULE = "ionex.io.run_outputs"

# the stress metrics in result.nc and sweep.nc: StressMetrics attribute → (units, long name).
# Profiles are signed (compression < 0); these named figures are magnitudes.
STRESS_METRICS = {
    "compressive_stress": ("Pa", "surface compressive stress CS (positive in compression)"),
    "depth_of_compression": ("m", "depth of compression DOC"),
    "central_tension": ("Pa", "central tension CT (positive in tension)"),
    "depth_of_layer": ("m", "depth of layer DOL (fraction at 1 % of the surface value)"),
    "knee_depth": ("m", "depth of the knee of the stress profile (NaN: no knee)"),
    "knee_compressive_stress": (
        "Pa",
        "compressive stress at the knee CS_knee (positive in compression; NaN: no knee)",
    ),
}


@dataclass
class Result:
    """Composition profiles at the output times of a recipe.

    Attributes:
        recipe: the recipe that was run.
        times: output times from the start of the process (s).
        depth: cell-centre depths (m); through the whole plate for a plate exchanged on
            both faces.
        cell_width: width of each cell (m).
        frac_incoming: site fraction of the incoming ion, shape (n_times, n_depth).
        step_index: index of the step each output time belongs to.
        surface_fraction: bath χ_s in effect at each output time (NaN during an anneal).
        uptake: incoming ions per unit plate area, C_T·∫χ dx (mol/m²).
        surface_inflow: time integral of the flux through the exchanged face(s) (mol/m²);
            equals the uptake by conservation.
        diagnostics: solver work and settings (steps, linear solves, cells, wall time).
    """

    recipe: Recipe
    times: np.ndarray
    depth: np.ndarray
    cell_width: np.ndarray
    frac_incoming: np.ndarray
    step_index: np.ndarray
    surface_fraction: np.ndarray
    uptake: np.ndarray
    surface_inflow: np.ndarray
    diagnostics: dict = field(default_factory=dict)
    properties: object = None  # ionex.process.properties.Properties when [stress]/[optics] asked

    @property
    def incoming_ion(self) -> str:
        return self.recipe.incoming_ion

    @property
    def host_ion(self) -> str:
        return self.recipe.glass.host_ion

    def fraction(self, ion: str) -> np.ndarray:
        """Site fraction of ``ion`` (incoming or host), shape (n_times, n_depth)."""
        if ion == self.incoming_ion:
            return self.frac_incoming
        if ion == self.host_ion:
            return 1.0 - self.frac_incoming
        raise KeyError(
            f"no ion {ion!r} in this result (ions: {self.incoming_ion}, {self.host_ion})"
        )

    def depth_at(self, level: float) -> np.ndarray:
        """Depth (m) where the incoming fraction first falls to ``level``, per output time."""
        out = np.empty(self.times.size)
        for i, prof in enumerate(self.frac_incoming):
            fs = self.surface_fraction[i]
            out[i] = depth_at_fraction(self.depth, prof, level, None if np.isnan(fs) else fs)
        return out

    def summary(self) -> list[dict]:
        """One row per output time: time (s), step, uptake (mol/m²), depths of χ = 0.5, 0.1 (m);
        with [stress] CS_Pa, DOC_m, CT_Pa, DOL_m, knee_depth_m, CS_knee_Pa (CS and CS_knee
        positive in compression, CT positive in tension; NaN knee: the profile has none);
        with [optics] modes_TE, modes_TM."""
        d5 = self.depth_at(0.5)
        d1 = self.depth_at(0.1)
        names = [s.name for s in self.recipe.steps]
        rows = [
            {
                "time_s": float(t),
                "step": int(k) + 1,
                "step_name": names[int(k)],
                "uptake_mol_m2": float(u),
                "depth_frac_0.5_m": float(a),
                "depth_frac_0.1_m": float(b),
            }
            for t, k, u, a, b in zip(self.times, self.step_index, self.uptake, d5, d1)
        ]
        p = self.properties
        if p is not None and p.metrics is not None:
            for row, m in zip(rows, p.metrics):
                row.update(
                    {
                        "CS_Pa": m.compressive_stress,
                        "DOC_m": m.depth_of_compression,
                        "CT_Pa": m.central_tension,
                        "DOL_m": m.depth_of_layer,
                        "knee_depth_m": m.knee_depth,
                        "CS_knee_Pa": m.knee_compressive_stress,
                    }
                )
        if p is not None and p.mode_counts is not None:
            for i, row in enumerate(rows):
                row["modes_TE"] = int(p.mode_counts["TE"][i])
                row["modes_TM"] = int(p.mode_counts["TM"][i])
        return rows

    def plot(self, figure: str = "profiles"):
        """The figure ``ionex run`` draws, as a matplotlib Figure managed by pyplot:

            "profiles"       profiles.png — the incoming-ion fraction against depth (µm) at
                             every output time (h), zoomed on the exchanged layer
            "stress_index"   stress_index.png — the final stress and TE/TM index profiles
                             with the guided modes (needs [stress] or [optics])

        Raises ValueError for another name, or "stress_index" without stress or optics."""
        return _outputs().result_figure(self, figure)

    def save(self, directory, *, plot: bool = True, force: bool = False) -> list:
        """Write the files ``ionex run`` writes into ``directory`` (created if missing):
        profiles.csv, result.nc, modes.csv (with guided modes), profiles.png and
        stress_index.png (with [stress] or [optics]; no figures when ``plot`` is false),
        recorded in the folder's manifest as ``ionex run`` does. A file of those names that
        ionex did not write raises IonexError unless ``force``. Returns their paths."""
        return _outputs().write_run_outputs(self, directory, plot=plot, force=force)

    def to_dataset(self):
        """An xarray.Dataset with dimensions (time, depth), variables frac_<Ion>, SI units
        in the ``units`` attributes and the recipe text in the global attributes. Every
        variable and coordinate has the ``long_name`` and ``units`` xarray labels plots
        with; ``depth`` runs from the front face (through the whole plate for a plate
        exchanged on both faces — its ``long_name`` says so)."""
        import xarray as xr

        coords, data_vars, attrs = self.dataset_contents()
        return xr.Dataset(data_vars=data_vars, coords=coords, attrs=attrs)

    def dataset_contents(self) -> tuple[dict, dict, dict]:
        """What :meth:`to_dataset` holds, as plain values (no xarray): (coords, data_vars,
        attrs), each variable ``name: (dims, values, attributes)`` — what a writer needs."""
        from .._version import __version__

        a, b = self.incoming_ion, self.host_ion
        contents = dict(
            data_vars={
                f"frac_{a}": (
                    ("time", "depth"),
                    self.frac_incoming,
                    {"units": "1", "long_name": f"site fraction of {a}+"},
                ),
                f"frac_{b}": (
                    ("time", "depth"),
                    1.0 - self.frac_incoming,
                    {"units": "1", "long_name": f"site fraction of {b}+"},
                ),
                "uptake": (
                    "time",
                    self.uptake,
                    {"units": "mol m-2", "long_name": f"{a}+ taken up per unit plate area"},
                ),
                "surface_inflow": (
                    "time",
                    self.surface_inflow,
                    {"units": "mol m-2", "long_name": "time integral of the surface flux"},
                ),
                "depth_frac_0.5": (
                    "time",
                    self.depth_at(0.5),
                    {"units": "m", "long_name": f"depth where frac_{a} = 0.5"},
                ),
                "depth_frac_0.1": (
                    "time",
                    self.depth_at(0.1),
                    {"units": "m", "long_name": f"depth where frac_{a} = 0.1"},
                ),
                "step": (
                    "time",
                    self.step_index.astype(np.int32) + 1,
                    {"units": "1", "long_name": "process step (1-based)"},
                ),
                "surface_fraction": (
                    "time",
                    self.surface_fraction,
                    {"units": "1", "long_name": f"bath frac_{a} at the surface (NaN: anneal)"},
                ),
                "cell_width": (
                    "depth",
                    self.cell_width,
                    {"units": "m", "long_name": "width of the cell"},
                ),
            },
            coords={
                "time": (
                    "time",
                    self.times,
                    {"units": "s", "long_name": "time since the start of the process"},
                ),
                "depth": ("depth", self.depth, _depth_attrs(self.recipe)),
            },
            attrs={
                "title": self.recipe.name,
                "software": f"ionex {__version__}",
                "incoming_ion": a,
                "host_ion": b,
                "interdiffusion_form": self.recipe.model.form,
                "total_mobile_mol_m3": self.recipe.glass.total_mobile,
                "geometry": _geometry(self.recipe),
                "recipe": self.recipe.source_text,
                "recipe_path": self.recipe.source_path,
                **{
                    f"solver_{k}": v
                    for k, v in self.diagnostics.items()
                    if isinstance(v, (int, float, str))
                },
            },
        )
        coords, data_vars = contents["coords"], contents["data_vars"]
        self._add_properties(coords, data_vars)
        return coords, data_vars, contents["attrs"]

    def _add_properties(self, coords: dict, ds: dict) -> None:
        p = self.properties
        if p is None:
            return
        prof = ("time", "depth")
        if p.stress is not None:
            ds["stress"] = (
                prof,
                p.stress,
                {"units": "Pa", "long_name": "biaxial in-plane stress, signed (compression < 0)"},
            )
            for key, (unit, name) in STRESS_METRICS.items():
                ds[key] = (
                    "time",
                    [getattr(m, key) for m in p.metrics],
                    {"units": unit, "long_name": name},
                )
        if p.n0 is not None:
            ds["n_0"] = (prof, p.n0, {"units": "1", "long_name": "stress-free refractive index"})
            ds["n_TE"] = (
                prof,
                p.n_te,
                {"units": "1", "long_name": "refractive index for TE light"},
            )
            ds["n_TM"] = (
                prof,
                p.n_tm,
                {"units": "1", "long_name": "refractive index for TM light"},
            )
        if p.mode_counts is not None:
            for pol in ("TE", "TM"):
                ds[f"mode_count_{pol}"] = (
                    "time",
                    p.mode_counts[pol],
                    {"units": "1", "long_name": f"guided {pol} modes"},
                )
                n_eff = p.modes[pol].effective_indices(pol)
                coords[f"mode_{pol}"] = (
                    f"mode_{pol}",
                    np.arange(n_eff.size),
                    {"units": "1", "long_name": f"order of the {pol} mode"},
                )
                ds[f"effective_index_{pol}"] = (
                    f"mode_{pol}",
                    n_eff,
                    {"units": "1", "long_name": f"{pol} mode indices at the final time"},
                )


def _outputs():
    import importlib

    return importlib.import_module(OUTPUTS_MODULE)


def _depth_attrs(recipe: Recipe) -> dict:
    """The depth coordinate's attributes: below the exchanged face, or — for a plate
    exchanged on both faces, whose profile runs through the whole plate — from the front
    face, the back face at the plate's thickness."""
    g = recipe.glass
    if g.thickness is not None and g.faces == "both":
        return {
            "units": "m",
            "long_name": "distance from the front face",
            "comment": f"the plate is {g.thickness:.6g} m thick and exchanged on both faces: the depth below "
            "the nearer exchanged face is min(depth, thickness - depth)",
        }
    return {"units": "m", "long_name": "depth below the exchanged surface"}


def _geometry(recipe: Recipe) -> str:
    g = recipe.glass
    if g.thickness is None:
        return "semi-infinite slab"
    return f"plate {g.thickness} m thick, exchanged on {'both faces' if g.faces == 'both' else 'the front face'}"
