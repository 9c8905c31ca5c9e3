"""Write a Result: long-format CSV of profiles and a self-describing netCDF file.

Files are written to a temporary name beside the target and renamed into place, so an
interrupted run never leaves a half-written file or destroys the previous one. Inside an
OutputSet (io.output_set) the renames wait for the set's commit, which records the files in
the folder's manifest.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..process.result import Result
from .output_set import file_mode, staging_for

__all__ = [
    "atomic_path",
    "write_profiles_csv",
    "write_modes_csv",
    "write_netcdf",
    "write_netcdf_dataset",
    "write_experiment_csvs",
]


@contextmanager
def atomic_path(target):
    """Yield a temporary path next to ``target``; on success rename it onto ``target``.

    The file gets the permissions the user's umask gives any new file (mkstemp's private
    0600 would hide results from colleagues on a shared drive). Inside an OutputSet of
    the target's folder the rename waits for the set's commit."""
    target = Path(target)
    outputs = staging_for(target)
    if outputs is not None:
        with outputs.temporary(target) as tmp:
            yield tmp
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, file_mode())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_columns(path, names, columns) -> Path:
    """A CSV table of equal-length ``columns`` under the header ``names`` (10 significant
    digits), written atomically."""
    with atomic_path(path) as tmp:
        np.savetxt(
            tmp,
            np.column_stack(columns),
            delimiter=",",
            fmt="%.10g",
            header=",".join(names),
            comments="",
        )
    return Path(path)


def write_profiles_csv(result: Result, path) -> Path:
    """Long format: one row per (time, depth) with columns time_s, depth_m, frac_<Ion>…,
    and stress_Pa, n_TE, n_TM, n_0 when the recipe asks for stress or optics."""
    a, b = result.incoming_ion, result.host_ion
    nt, nd = result.frac_incoming.shape
    columns = [
        np.repeat(result.times, nd),
        np.tile(result.depth, nt),
        result.frac_incoming.ravel(),
        (1.0 - result.frac_incoming).ravel(),
    ]
    names = ["time_s", "depth_m", f"frac_{a}", f"frac_{b}"]
    p = result.properties
    if p is not None and p.stress is not None:
        columns.append(p.stress.ravel())
        names.append("stress_Pa")
    if p is not None and p.n0 is not None:
        columns += [p.n_te.ravel(), p.n_tm.ravel(), p.n0.ravel()]
        names += ["n_TE", "n_TM", "n_0"]
    return write_columns(path, names, columns)


def write_modes_csv(modes: dict, path, prism=None) -> Path:
    """modes.csv: polarisation, order, effective_index[, synchronous_angle_deg].

    Args: modes — {"TE": ModeSet, "TM": ModeSet}; prism — a physics.prism.Prism or None.
    """
    rows = []
    for pol in ("TE", "TM"):
        if pol not in modes:
            continue
        for order, n_eff in enumerate(modes[pol].effective_indices(pol)):
            rows.append((pol, order, float(n_eff)))
    header = "polarisation,order,effective_index"
    lines = []
    if prism is not None:
        from ..physics.prism import synchronous_angle

        header += ",synchronous_angle_deg"
        for pol, order, n_eff in rows:
            lines.append(
                f"{pol},{order},{n_eff:.10f},{np.degrees(synchronous_angle(n_eff, prism)):.6f}"
            )
    else:
        lines = [f"{pol},{order},{n_eff:.10f}" for pol, order, n_eff in rows]
    with atomic_path(path) as tmp:
        Path(tmp).write_text(header + "\n" + "".join(line + "\n" for line in lines))
    return Path(path)


def write_netcdf_dataset(ds, path) -> Path:
    """Any xarray Dataset as netCDF, written atomically."""
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp)
    return Path(path)


def write_netcdf(result: Result, path) -> Path:
    """The result's Dataset (units in attributes, recipe embedded) as netCDF-4, written with
    the netCDF4 library directly: ``xarray.open_dataset`` reads back ``result.to_dataset()``,
    and a run's files are written without importing xarray, pandas and dask (~1 s of a
    command's start-up)."""
    coords, data_vars, attrs = result.dataset_contents()
    with atomic_path(path) as tmp:
        write_netcdf_contents(tmp, coords, data_vars, attrs)
    return Path(path)


def write_netcdf_contents(path, coords: dict, data_vars: dict, attrs: dict) -> None:
    """A netCDF-4 file of ``coords`` and ``data_vars`` ({name: (dims, values, attributes)},
    a dimension named like its coordinate) and global ``attrs``, as xarray would write it
    (float variables with a NaN _FillValue)."""
    import netCDF4

    with netCDF4.Dataset(path, "w", format="NETCDF4") as nc:
        for name, (_, values, _) in coords.items():
            nc.createDimension(name, len(values))
        for name, (dims, values, var_attrs) in {**coords, **data_vars}.items():
            values = np.asarray(values)
            dims = (dims,) if isinstance(dims, str) else tuple(dims)
            fill = np.nan if values.dtype.kind == "f" and name not in coords else None
            var = nc.createVariable(name, values.dtype, dims, fill_value=fill)
            var[...] = values
            var.setncatts({k: _attribute(v) for k, v in var_attrs.items()})
        nc.setncatts({k: _attribute(v) for k, v in attrs.items()})


def _attribute(value):
    # netCDF has no boolean attributes (xarray refuses them too): write 0/1
    return int(value) if isinstance(value, (bool, np.bool_)) else value


def write_multicomponent_csv(result, path) -> Path:
    """A multicomponent result's profiles.csv: time_s, step (1-based), depth_m, frac_<Ion>…,
    and stress_Pa when the recipe asks for stress."""
    nt, nd = result.fractions.shape[0], result.depth.size
    columns = [
        np.repeat(result.times, nd),
        np.repeat(np.asarray(result.step_index) + 1, nd),
        np.tile(result.depth, nt),
    ]
    names = ["time_s", "step", "depth_m"]
    for ion in result.species:
        columns.append(result.fraction(ion).ravel())
        names.append(f"frac_{ion}")
    if result.stress is not None:
        columns.append(result.stress.ravel())
        names.append("stress_Pa")
    return write_columns(path, names, columns)


def write_experiment_csvs(result, directory) -> list[Path]:
    """An NPP result: profiles.csv (time_s, step, depth_m, frac_<Ion>…, potential_V; the
    step is 1-based) and current.csv (time_s, current_A, charge_C, surface_potential_V — the
    anode potential of a galvanostatic field step)."""
    directory = Path(directory)
    nt, nd = result.fractions.shape[0], result.depth.size
    columns = [
        np.repeat(result.times, nd),
        np.repeat(np.asarray(result.step) + 1, nd),
        np.tile(result.depth, nt),
    ]
    names = ["time_s", "step", "depth_m"]
    for name in result.species:
        columns.append(result.fraction(name).ravel())
        names.append(f"frac_{name}")
    columns.append(result.potential.ravel())
    names.append("potential_V")
    write_columns(directory / "profiles.csv", names, columns)
    table = result.current_table()
    with atomic_path(directory / "current.csv") as tmp:
        np.savetxt(
            tmp,
            np.column_stack(
                [
                    table["time_s"],
                    table["current_A"],
                    table["charge_C"],
                    table["surface_potential_V"],
                ]
            ),
            delimiter=",",
            fmt="%.10g",
            header="time_s,current_A,charge_C,surface_potential_V",
            comments="",
        )
    return [directory / "profiles.csv", directory / "current.csv"]
