"""Output files: written atomically, with the permissions the user's umask gives new files."""

import os
import stat
from pathlib import Path

import pytest

from ionex.cli import main
from ionex.io.writers import atomic_path

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.fixture
def umask():
    old = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(old)


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_every_output_of_a_run_follows_the_umask(tmp_path, umask, mask):
    """mkstemp creates 0600 files; the outputs must get 0666 & ~umask like any new file."""
    umask(mask)
    assert main(["run", str(EXAMPLES / "soda_lime_k_na.toml"), "-o", str(tmp_path), "-q"]) == 0
    files = sorted(p for p in tmp_path.iterdir() if p.is_file())
    assert {p.name for p in files} >= {"profiles.csv", "result.nc", "profiles.png"}
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~mask, p.name


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["out.csv"]


# --------------------------------------------------------------------------- netCDF without xarray


@pytest.mark.parametrize(
    "name", ["soda_lime_k_na.toml", "bk7_k_na_91h.toml", "two_step_post_anneal.toml"]
)
def test_result_nc_written_without_xarray_reads_back_as_the_dataset(tmp_path, name):
    """write_netcdf writes with the netCDF4 library directly; xarray reads back exactly
    Result.to_dataset(): values, dimensions, every attribute."""
    import xarray as xr

    import ionex
    from ionex.io.writers import write_netcdf

    examples = Path(__file__).resolve().parents[3] / "examples"
    result = ionex.simulate(ionex.load_recipe(examples / name))
    path = write_netcdf(result, tmp_path / "result.nc")
    with xr.open_dataset(path) as back:
        expected = result.to_dataset()
        xr.testing.assert_identical(back.load(), expected)
