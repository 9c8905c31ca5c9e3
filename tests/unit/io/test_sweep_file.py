"""Sweep files: what they mean (units, ranges, designs) and one clear message per mistake,
naming the sweep file, the line and the field; and the CSV written from a sweep."""

from __future__ import annotations

import csv
import math
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pytest

from ionex.errors import RecipeError
from ionex.io.sweep_file import load_sweep, write_sweep_csv
from ionex.process.sweep import Sweep, SweepMetrics, run_sweep

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

GOOD = textwrap.dedent(
    """\
    recipe = "soda_lime_k_na.toml"
    [[parameter]]
    path = "ions.K.D"
    values = ["5e-16 m^2/s", "1e-15 m^2/s", "2e-15 m^2/s"]
    [[parameter]]
    path = "step[1].duration"
    range = { start = "2 h", stop = "16 h", num = 4, scale = "log" }
    [design]
    kind = "grid"
    [metrics]
    depth_at = [0.5, 0.1]
    profiles = true
    """
)


@pytest.fixture
def folder(tmp_path):
    shutil.copy(EXAMPLES / "soda_lime_k_na.toml", tmp_path)
    shutil.copy(EXAMPLES / "double_cait_li3b7o12.toml", tmp_path)
    return tmp_path


def load(folder, text):
    path = folder / "sweep.toml"
    path.write_text(text)
    return load_sweep(path)


def test_a_grid_file(folder):
    spec = load(folder, GOOD)
    s = spec.sweep
    assert s.names == ("ions.K.D", "step[1].duration") and s.units == ("m^2/s", "h")
    np.testing.assert_array_equal(s.axes[0], [5e-16, 1e-15, 2e-15])
    np.testing.assert_allclose(s.axes[1], [2.0, 4.0, 8.0, 16.0], rtol=1e-15)
    assert s.n_runs == 12 and s.metrics == SweepMetrics((0.5, 0.1), (), True)
    assert spec.recipe_path == folder / "soda_lime_k_na.toml"
    assert s.attrs["design_kind"] == "grid" and "total_mobile" in s.attrs["recipe"]
    # the recipe's output times (1, 4, 8 h) are dropped: a 2 h run is a valid recipe
    recipe = s.builder(s.values(0))
    assert recipe.total_time == 7200.0 and recipe.output_times == ()
    assert recipe.model.incoming(700.0) == 5e-16


def test_values_are_converted_to_the_unit_of_the_field(folder):
    spec = load(
        folder,
        GOOD.replace(
            '"5e-16 m^2/s", "1e-15 m^2/s", "2e-15 m^2/s"', '"5 um^2/h", "1e-11 cm^2/s"'
        ).replace('start = "2 h"', 'start = "120 min"'),
    )
    np.testing.assert_allclose(spec.sweep.axes[0], [5e-12 / 3600, 1e-15], rtol=1e-14)
    assert spec.sweep.axes[1][0] == pytest.approx(2.0, rel=1e-15)


def test_a_temperature_range_in_degc(folder):
    text = GOOD.replace(
        'path = "ions.K.D"\nvalues = ["5e-16 m^2/s", "1e-15 m^2/s", "2e-15 m^2/s"]',
        'path = "step[1].temperature"\nrange = { start = "400 degC", stop = "480 degC", num = 5 }',
    )
    spec = load(folder, text)
    np.testing.assert_array_equal(spec.sweep.axes[0], [400.0, 420.0, 440.0, 460.0, 480.0])
    assert spec.sweep.units[0] == "degC"
    assert spec.sweep.builder({"step[1].temperature": 440.0, "step[1].duration": 8.0}).steps[
        0
    ].temperature(0.0) == pytest.approx(713.15)


@pytest.mark.parametrize("kind", ["random", "latin-hypercube"])
def test_sampled_designs_are_reproducible(folder, kind):
    text = (
        GOOD.replace(
            'values = ["5e-16 m^2/s", "1e-15 m^2/s", "2e-15 m^2/s"]',
            'range = { start = "5e-16 m^2/s", stop = "2e-15 m^2/s", scale = "log" }',
        )
        .replace(", num = 4", "")
        .replace('kind = "grid"', f'kind = "{kind}"\nsamples = 40\nseed = 5')
    )
    a, b = load(folder, text).sweep, load(folder, text).sweep
    np.testing.assert_array_equal(a.points, b.points)
    assert a.points.shape == (40, 2) and a.axes is None
    assert np.all((a.points[:, 0] >= 5e-16) & (a.points[:, 0] <= 2e-15))
    assert np.all((a.points[:, 1] >= 2.0) & (a.points[:, 1] <= 16.0))
    assert a.attrs["design_seed"] == 5 and a.attrs["design_samples"] == 40
    c = load(folder, text.replace("seed = 5", "seed = 6")).sweep
    assert not np.array_equal(a.points, c.points)


@pytest.mark.parametrize(
    "edit, where, words",
    [
        # (old, new) edits of GOOD; the line and field the message must name; what it says
        (("[design]", "[desgin]"), "line 8: desgin", "unknown key (did you mean 'design'?)"),
        (
            ('path = "ions.K.D"', 'path = "ions.K.DD"'),
            "line 3: parameter[1].path",
            "'ions.K.DD' is not a field of this recipe (did you mean ions.K.D",
        ),
        (('path = "ions.K.D"', 'path = "ions..K"'), "line 3: parameter[1].path", "dotted keys"),
        (
            ('"5e-16 m^2/s", "1e-15', '"400 degC", "1e-15'),
            "line 4: parameter[1].values",
            "found '400 degC'; expected a value in units of m^2/s (the recipe writes ions.K.D in m^2/s)",
        ),
        (
            ('"5e-16 m^2/s", "1e-15', '5e-16, "1e-15'),
            "line 4: parameter[1].values",
            "expected a value in units of m^2/s",
        ),
        (
            ('"5e-16 m^2/s", "1e-15', 'nan, "1e-15'),
            "line 4: parameter[1].values",
            "non-finite value nan",
        ),
        (
            ('"5e-16 m^2/s", "1e-15', 'inf, "1e-15'),
            "line 4: parameter[1].values",
            "non-finite value inf",
        ),
        (
            ('"5e-16 m^2/s", "1e-15', '"nan m^2/s", "1e-15'),
            "line 4: parameter[1].values",
            "expected a number followed by a unit",
        ),
        (
            ('"5e-16 m^2/s", "1e-15 m^2/s"', '"1e-15 m^2/s", "1e-15 m^2/s"'),
            "line 4: parameter[1].values",
            "values repeat",
        ),
        (
            ("num = 4", "num = 0"),
            "line 7: parameter[2].range.num",
            "found 0; expected a whole number ≥ 1",
        ),
        (("num = 4", "num = 2.5"), "line 7: parameter[2].range.num", "expected a whole number ≥ 1"),
        (
            ('start = "2 h"', 'start = "0 h"'),
            "line 7: parameter[2].range",
            "a log range needs start and stop > 0",
        ),
        (
            ('scale = "log"', 'scale = "exp"'),
            "line 7: parameter[2].range.scale",
            'expected "linear" or "log"',
        ),
        ((", num = 4", ""), "line 7: parameter[2].range.num", "missing (required)"),
        (
            ("range = {", 'values = ["2 h"]\nrange = {'),
            "line 5: parameter[2]",
            "exactly one of values",
        ),
        (
            ('path = "step[1].duration"', 'path = "ions.K.D"'),
            "line 6: parameter[2].path",
            "'ions.K.D' is already varied by parameter[1]",
        ),
        (
            ('path = "step[1].duration"', 'path = "output.times[1]"'),
            "line 6: parameter[2].path",
            "output times are not varied",
        ),
        (
            ('"5e-16 m^2/s", "1e-15', '"-5e-16 m^2/s", "1e-15'),
            "line 2: parameter[1]",
            "ions.K.D = -5e-16 m^2/s makes an invalid recipe: ions.K.D: found '-5e-16 m^2/s'; expected a diffusion "
            "coefficient > 0",
        ),
        (
            ('kind = "grid"', 'kind = "sobol"'),
            "line 9: design.kind",
            "expected one of: grid, random, latin-hypercube",
        ),
        (
            ('kind = "grid"', 'kind = "random"'),
            "line 8: design.samples",
            "missing; a random design needs the number of runs",
        ),
        (
            ('kind = "grid"', 'kind = "grid"\nsamples = 3'),
            "line 10: design.samples",
            "only random and latin-hypercube",
        ),
        (
            ('kind = "grid"', 'kind = "random"\nsamples = 0'),
            "line 10: design.samples",
            "expected a whole number ≥ 1",
        ),
        (
            ("depth_at = [0.5, 0.1]", "depth_at = [1.5]"),
            "line 11: metrics.depth_at",
            "site fractions in (0, 1]",
        ),
        (
            ("depth_at = [0.5, 0.1]", 'times = ["2 h", "1 h"]'),
            "line 11: metrics.times",
            "increasing order",
        ),
        (
            ("depth_at = [0.5, 0.1]", 'times = ["2 degC"]'),
            "line 11: metrics.times",
            "expected a string with a unit of time",
        ),
        (
            ("profiles = true", 'profiles = "yes"'),
            "line 12: metrics.profiles",
            "expected true or false",
        ),
        (
            ('recipe = "soda_lime_k_na.toml"', 'recipe = "missing.toml"'),
            "line 1: recipe",
            "no such recipe file",
        ),
        (
            ('recipe = "soda_lime_k_na.toml"', 'recipe = "double_cait_li3b7o12.toml"'),
            "line 1: recipe",
            "Nernst–Planck–Poisson recipe; sweeps run interdiffusion recipes",
        ),
        (
            ('recipe = "soda_lime_k_na.toml"', "recipe = 3"),
            "line 1: recipe",
            "expected the recipe file",
        ),
    ],
)
def test_bad_input_names_file_line_and_field(folder, edit, where, words):
    text = GOOD.replace(*edit)
    assert text != GOOD
    with pytest.raises(RecipeError) as info:
        load(folder, text)
    msg = str(info.value)
    assert msg.startswith(f"{folder / 'sweep.toml'}, {where}: ") or f"sweep.toml, {where}" in msg, (
        msg
    )
    assert words in msg, msg


def test_a_missing_parameter_list_and_bad_toml(folder):
    with pytest.raises(RecipeError, match="parameter: missing"):
        load(folder, 'recipe = "soda_lime_k_na.toml"\n')
    with pytest.raises(RecipeError, match="not valid TOML"):
        load(folder, "recipe = \n")
    with pytest.raises(RecipeError, match="no such sweep file"):
        load_sweep(folder / "nothing.toml")


def test_a_path_not_in_the_recipe_lists_the_fields(folder):
    with pytest.raises(RecipeError) as info:
        load(folder, GOOD.replace('path = "ions.K.D"', 'path = "ions.Li.D"'))
    listed = str(info.value).split("its numeric fields are: ")[1].split(", ")
    assert {
        "glass.total_mobile",
        "glass.thickness",
        "ions.K.D",
        "ions.Na.D",
        "step[1].duration",
    } <= set(listed)


def test_csv_has_one_row_per_run_with_units_in_the_header(folder):
    spec = load(folder, GOOD.replace("profiles = true", 'times = ["1 h", "4 h"]'))
    ds = run_sweep(spec.sweep)
    path = write_sweep_csv(ds, folder / "sweep.csv", spec.time_labels)
    rows = list(csv.reader(path.open()))
    assert rows[0][:2] == ["ions.K.D (m^2/s)", "step[1].duration (h)"]
    assert "depth_frac_0.5_m @ 4 h" in rows[0] and "uptake_mol_m2 @ 1 h" in rows[0]
    assert rows[0][-3:] == ["end_time_s", "time_steps", "error"]
    assert len(rows) == 1 + 12
    first = dict(zip(rows[0], rows[1]))
    assert float(first["ions.K.D (m^2/s)"]) == 5e-16 and float(first["step[1].duration (h)"]) == 2.0
    assert first["depth_frac_0.5_m @ 4 h"] == ""  # the 2 h run ends before 4 h: no value
    assert float(first["depth_frac_0.5_m @ 1 h"]) == pytest.approx(
        float(ds["depth_frac_0.5"].isel(ions_K_D=0, step_1_duration=0, time=0)), rel=1e-9
    )
    assert first["error"] == ""


def test_csv_of_a_sampled_sweep_with_a_failure(folder):
    spec = load(folder, GOOD)
    s = spec.sweep

    def builder(values):
        if values["ions.K.D"] > 1.5e-15:
            raise RecipeError("too fast")
        return s.builder(values)

    ds = run_sweep(Sweep(builder, s.names, s.units, s.points[[0, 9]], metrics=SweepMetrics()))
    rows = list(csv.reader(write_sweep_csv(ds, folder / "s.csv").open()))
    assert len(rows) == 3 and rows[2][-1] == "RecipeError: too fast" and rows[1][-1] == ""
    assert math.isfinite(float(rows[1][2])) and rows[2][2] == ""


# ----------------------------------------------------------------------------- sweep.png

BK7_SWEEP = textwrap.dedent(
    """\
    recipe = "bk7_k_na_91h.toml"
    [[parameter]]
    path = "step[1].temperature"
    values = ["380 degC", "420 degC"]
    [[parameter]]
    path = "step[1].duration"
    values = ["24 h", "48 h"]
    [metrics]
    depth_at = [0.5, 0.1]
    """
)


@pytest.fixture(scope="module")
def bk7_sweep(tmp_path_factory):
    """The BK7 process (stress and optics) over 2 temperatures × 2 durations, by
    `ionex sweep --serial` — in this process, no dask (open_client would fail)."""
    import xarray as xr

    import ionex.process.cluster as cluster
    from ionex.cli import main

    tmp = tmp_path_factory.mktemp("bk7_sweep")
    shutil.copy(EXAMPLES / "bk7_k_na_91h.toml", tmp)
    (tmp / "sweep.toml").write_text(BK7_SWEEP)

    def no_dask(*args, **kwargs):
        raise AssertionError("sweep --serial started a dask cluster")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cluster, "open_client", no_dask)
        assert (
            main(["sweep", str(tmp / "sweep.toml"), "-o", str(tmp / "out"), "--serial", "-q"]) == 0
        )
    with xr.open_dataset(tmp / "out" / "sweep.nc") as ds:
        return tmp, ds.load()


def test_sweep_serial_runs_in_this_process_and_gives_the_dataset_of_run_sweep(bk7_sweep):
    tmp, ds = bk7_sweep
    assert (tmp / "out" / "sweep.png").read_bytes()[:4] == b"\x89PNG"
    again = run_sweep(
        load_sweep(tmp / "sweep.toml").sweep, batched=False
    )  # the --unbatched reference
    for var in ("depth_frac_0.5", "compressive_stress", "mode_count_TE"):
        np.testing.assert_array_equal(ds[var].values, again[var].values)


def test_sweep_figure_has_a_panel_per_metric_labelled_in_words(bk7_sweep):
    from ionex.io.sweep_file import sweep_figure

    _, ds = bk7_sweep
    fig = sweep_figure(ds)
    axes = [ax for ax in fig.axes if ax.get_title()]
    titles = [ax.get_title() for ax in axes]
    expected = [
        "K⁺ taken up per unit area",
        "depth where the K⁺ fraction falls to 0.5",
        "depth where the K⁺ fraction falls to 0.1",
        "surface compressive stress CS",
        "depth of compression DOC",
        "central tension CT",
        "depth of layer DOL",
        "guided TE modes",
        "guided TM modes",
    ]
    knees = ["depth of the knee", "compressive stress at the knee"]
    has_knee = bool(np.isfinite(ds["knee_depth"].values).any())
    assert titles == expected[:7] + (knees if has_knee else []) + expected[7:]
    labels = {ax.get_title(): ax.get_ylabel() for ax in axes}
    assert labels["surface compressive stress CS"] == "CS (MPa)"
    assert labels["depth where the K⁺ fraction falls to 0.5"] == "depth (µm)"
    assert (
        labels["depth of layer DOL"] == "DOL (µm)"
        and labels["guided TE modes"] == "number of TE modes"
    )
    assert {ax.get_xlabel() for ax in axes} == {"bath temperature, step 1 (°C)"}
    legend = axes[0].get_legend()
    assert legend.get_title().get_text() == "duration of step 1 (h)"
    assert [t.get_text() for t in legend.get_texts()] == ["24 h", "48 h"]
    # plotted in the axis units: CS in MPa, depths in µm
    cs = ds["compressive_stress"].transpose("step_1_temperature", "step_1_duration").values
    line = axes[titles.index("surface compressive stress CS")].get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), cs[:, 0] / 1e6)
    np.testing.assert_allclose(line.get_xdata(), [380.0, 420.0])
    # the title names what was swept and does not state the base recipe's 413.1 °C, 91 h
    title = fig._suptitle.get_text()
    assert (
        "bath temperature, step 1" in title and "duration of step 1" in title and "4 runs" in title
    )
    assert "413.1" not in title and "91 h" not in title
    texts = [t for ax in axes for t in (ax.get_xlabel(), ax.get_ylabel(), ax.get_title())] + [title]
    assert not [t for t in texts if "step[" in t or "degC" in t or "_" in t]


@pytest.mark.parametrize(
    "path, words",
    [
        ("step[1].temperature", "bath temperature, step 1"),
        ("step[3].temperature", "temperature of step 3"),  # the anneal
        ("step[2].duration", "duration of step 2"),
        ("step[1].bath.K", "bath surface fraction of K⁺, step 1"),
        ("ions.K.D0", "D₀ of K⁺"),
        ("ions.Na.Q", "activation energy of Na⁺"),
        ("glass.thickness", "plate thickness"),
        ("numerics.rtol", "numerics.rtol"),  # no words of its own: the path
    ],
)
def test_parameter_paths_in_words(path, words):
    from ionex.io.sweep_file import parameter_words

    assert parameter_words(path, (EXAMPLES / "two_step_post_anneal.toml").read_text()) == words


def test_units_as_printed():
    from ionex.io.sweep_file import unit_text

    assert [unit_text(u) for u in ("degC", "m^2/s", "um", "1", "kJ/mol")] == [
        "°C",
        "m²/s",
        "µm",
        "",
        "kJ/mol",
    ]


# --- refused before anything is allocated or run, in-process through the CLI -----------


def _sweep_error(folder, capsys, text) -> str:
    from ionex.cli import main

    path = folder / "sweep.toml"
    path.write_text(text, encoding="utf-8")
    rc = main(["sweep", str(path), "-o", str(folder / "out"), "--serial"])
    err = capsys.readouterr().err.strip()
    assert rc == 2, err
    assert (
        len(err.splitlines()) == 1
        and err.startswith("ionex: error: ")
        and err.count("sweep.toml") == 1
    ), err
    return err


def test_a_huge_range_is_refused_before_its_values_exist(folder, capsys):
    err = _sweep_error(folder, capsys, GOOD.replace("num = 4", "num = 1000000000"))
    assert "parameter[2].range.num: found 1000000000; expected at most 1000000" in err, err


def test_metric_times_after_every_run_are_refused(folder, capsys):
    text = GOOD.replace("profiles = true", 'times = ["1 h", "100 h"]')
    err = _sweep_error(folder, capsys, text)
    assert (
        "metrics.times: found '100 h'; expected a time within the process of some run (0 to 16 h"
        in err
    ), err


def test_metric_times_within_the_longest_run_are_kept(folder):
    spec = load(folder, GOOD.replace("profiles = true", 'times = ["1 h", "16 h"]'))
    assert spec.sweep.metrics.times == (3600.0, 57600.0)


def test_a_deeply_nested_sweep_file_is_one_error_line(folder, capsys):
    err = _sweep_error(folder, capsys, GOOD + "x = " + "[" * 500 + "]" * 500 + "\n")
    assert (
        "x: found arrays or tables nested more than 32 levels deep; expected at most 32 levels"
        in err
    ), err


def test_a_sweep_file_with_a_byte_order_mark_reads(folder):
    path = folder / "sweep.toml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert load_sweep(path).sweep.n_runs == 12
