"""Result.save writes what `ionex run` writes (the same files with the same bytes),
Result.plot returns its figures, and Result.to_dataset carries the labels xarray plots with."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ionex.cli import main
from ionex.io.output_set import MANIFEST, check_output_set

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.fixture(scope="module")
def run_and_result(tmp_path_factory):
    """`ionex run` on the BK7 example (stress, optics, prism: every file), in this process,
    with the Result it wrote kept."""
    import ionex.process.simulate as sim

    tmp = tmp_path_factory.mktemp("run")
    captured = []
    real = sim.simulate

    def keep(*args, **kwargs):
        captured.append(real(*args, **kwargs))
        return captured[-1]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sim, "simulate", keep)
        assert main(["run", str(EXAMPLES / "bk7_k_na_91h.toml"), "-o", str(tmp / "run"), "-q"]) == 0
    assert len(captured) == 1
    return tmp, captured[0]


def test_result_save_writes_what_ionex_run_writes(run_and_result):
    tmp, result = run_and_result
    written = result.save(tmp / "saved")
    names = sorted(p.name for p in (tmp / "run").iterdir() if p.name != MANIFEST)
    assert names == ["modes.csv", "profiles.csv", "profiles.png", "result.nc", "stress_index.png"]
    assert (
        sorted(p.name for p in written)
        == names
        == sorted(p.name for p in (tmp / "saved").iterdir() if p.name != MANIFEST)
    )
    assert check_output_set(tmp / "saved") == [] and (tmp / "saved" / MANIFEST).exists()
    for name in names:
        assert (tmp / "saved" / name).read_bytes() == (tmp / "run" / name).read_bytes(), name
    assert [p.name for p in result.save(tmp / "bare", plot=False)] == [
        "profiles.csv",
        "result.nc",
        "modes.csv",
    ]


def test_result_plot_returns_the_figures_of_ionex_run(run_and_result):
    import io

    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    tmp, result = run_and_result
    for which, name in (("profiles", "profiles.png"), ("stress_index", "stress_index.png")):
        fig = result.plot() if which == "profiles" else result.plot(which)
        assert isinstance(fig, Figure) and plt.fignum_exists(fig.number)  # pyplot shows it
        png = io.BytesIO()
        fig.savefig(png, dpi=120, format="png")
        assert png.getvalue() == (tmp / "run" / name).read_bytes(), which
        plt.close(fig)
    assert result.plot().axes[0].get_xlabel() == "depth below the surface (µm)"
    plt.close("all")
    with pytest.raises(ValueError, match="no figure 'modes'"):
        result.plot("modes")


def test_the_dataset_has_the_labels_xarray_plots_with(run_and_result):
    import matplotlib.pyplot as plt

    _, result = run_and_result
    ds = result.to_dataset()
    for name in list(ds.data_vars) + list(ds.coords):
        assert ds[name].attrs.get("long_name") and ds[name].attrs.get("units"), name
    # a plate exchanged on both faces: the depth runs from the front face through the plate
    assert ds.depth.attrs["long_name"] == "distance from the front face"
    assert ds.depth.values[-1] > 0.5 * 1.5e-3 and "both faces" in ds.depth.attrs["comment"]
    lines = ds.frac_K.plot.line(x="depth")
    ax = lines[0].axes

    def words(text):  # xarray wraps long labels
        return " ".join(text.split())

    assert words(ax.get_xlabel()) == "distance from the front face [m]"
    assert words(ax.get_ylabel()) == "site fraction of K+ [1]"
    assert (
        words(ax.get_legend().get_title().get_text()) == "time since the start of the process [s]"
    )
    plt.close("all")


def test_a_slab_depth_is_below_the_exchanged_surface():
    import ionex

    recipe = ionex.load_recipe(EXAMPLES.parent / "benchmarks" / "standard_case.toml")
    ds = ionex.simulate(recipe).to_dataset()
    assert (
        ds.depth.attrs["long_name"] == "depth below the exchanged surface"
        and "comment" not in ds.depth.attrs
    )
    assert np.all(np.diff(ds.depth.values) > 0)
