"""CSV tables: furnace temperature logs and tabulated D̃(χ)."""

import numpy as np
import pytest

from ionex.errors import RecipeError
from ionex.io.tables import read_interdiffusion_table, read_temperature_log


def test_time_h_celsius(tmp_path):
    p = tmp_path / "log.csv"
    p.write_text(
        "# furnace 3\ntime_h,temperature_C,setpoint_C\n0,400,400\n\n0.5,401.5,400\n2,399,400\n"
    )
    prog = read_temperature_log(p)
    assert prog.times == pytest.approx((0.0, 1800.0, 7200.0))
    assert prog.temperatures == pytest.approx((673.15, 674.65, 672.15))


def test_iso_timestamps_kelvin(tmp_path):
    p = tmp_path / "log.csv"
    p.write_text("timestamp,temperature_K\n2024-05-01T08:00:00,673\n2024-05-01T09:30:00,675\n")
    prog = read_temperature_log(p)
    assert prog.times == pytest.approx((0.0, 5400.0))
    assert prog(2700.0) == pytest.approx(674.0)


@pytest.mark.parametrize(
    "content, words",
    [
        ("time_h,temperature_C\n0,400\n1,4x0\n", ["line 3", "'4x0' is not a number"]),
        ("time_h,temperature_C\n0,400\n1\n", ["line 3", "found 1 fields", "expected 2"]),
        ("time_h,temperature_C\n0,400\n0,401\n", ["line 3", "does not increase"]),
        ("hours,temperature_C\n0,400\n", ["line 1", "time column"]),
        ("time_s,temperature_C\n0,-300\n", ["line 2", "absolute zero"]),
        ("timestamp,temperature_C\nyesterday,400\n", ["line 2", "ISO 8601"]),
        ("time_s,temperature_C\n0,nan\n", ["line 2", "finite"]),
        ("", ["empty"]),
        ("time_s,temperature_C\n", ["no data"]),
    ],
)
def test_bad_logs_name_file_and_line(tmp_path, content, words):
    p = tmp_path / "log.csv"
    p.write_text(content)
    with pytest.raises(RecipeError) as info:
        read_temperature_log(p)
    msg = str(info.value)
    assert str(p) in msg
    for w in words:
        assert w in msg, msg


def test_lenient_skips_the_lines_strict_refuses_with_a_warning_each(tmp_path):
    """The same bad lines, the other mode of the one policy (ionex run --lenient)."""
    p = tmp_path / "log.csv"
    p.write_text(
        "time_h,temperature_C\n0,400\n1,4x0\n1.5,nan\n2,401\n2,402\n3,399"
    )  # no final newline
    warnings = []
    prog = read_temperature_log(p, lenient=True, warnings=warnings)
    assert prog.times == pytest.approx((0.0, 7200.0, 10800.0))
    assert prog.temperatures == pytest.approx((673.15, 674.15, 672.15))
    assert [w.line for w in warnings] == [3, 4, 6]
    assert [w.kind for w in warnings] == [
        "temperature not a number",
        "sensor drop-out",
        "duplicate time stamp",
    ]


def test_interdiffusion_table(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("frac_K,D_m2_s\n1.0,1e-14\n0,1e-15\n0.5,3e-15\n")
    fr, co = read_interdiffusion_table(p)
    assert fr == [0.0, 0.5, 1.0] and co == [1e-15, 3e-15, 1e-14]
    p.write_text("frac,D\n0,1\n")
    with pytest.raises(RecipeError, match="expected columns frac and D_m2_s"):
        read_interdiffusion_table(p)


def test_index_profile_in_micrometres_with_both_polarisations(tmp_path):
    from ionex.io.tables import read_index_profile

    p = tmp_path / "n.csv"
    p.write_text("depth_um,n_TE,n_TM\n0,1.523,1.524\n5,1.518,1.519\n40,1.5137,1.5137\n")
    table = read_index_profile(p)
    depth, te = table.profiles["TE"]
    np.testing.assert_allclose(depth, [0, 5e-6, 40e-6])
    assert set(table.profiles) == {"TE", "TM"} and table.profiles["TM"][1][0] == 1.524
    assert table.time is None and table.times == () and table.index_column == "n_TE/n_TM"


def test_single_index_column_serves_both_polarisations(tmp_path):
    from ionex.io.tables import read_index_profile

    p = tmp_path / "n.csv"
    p.write_text("depth_nm,n\n0,1.52\n10000,1.51\n")
    table = read_index_profile(p)
    assert set(table.profiles) == {"TE", "TM"}
    np.testing.assert_allclose(table.profiles["TM"][0], [0.0, 1e-5])


RUN_PROFILES = (
    "time_s,depth_m,frac_K,frac_Na,stress_Pa,n_TE,n_TM,n_0\n"
    "3600,1e-6,0.9,0.1,-4e8,1.52,1.521,1.519\n3600,2e-6,0.5,0.5,-2e8,1.516,1.517,1.515\n"
    "7200,1e-6,0.95,0.05,-4.1e8,1.521,1.522,1.52\n7200,2e-6,0.6,0.4,-2.2e8,1.517,1.518,1.516\n"
)


def test_profiles_of_a_run_one_time_of_several(tmp_path):
    """`ionex run`'s long format: the last time by default, any other by its time (s)."""
    from ionex.io.tables import read_index_profile

    p = tmp_path / "profiles.csv"
    p.write_text(RUN_PROFILES)
    last = read_index_profile(p)
    assert last.times == (3600.0, 7200.0) and last.time == 7200.0
    assert last.profiles["TE"][1].tolist() == [1.521, 1.517]
    first = read_index_profile(p, time=3600.0)
    assert first.profiles["TM"][1].tolist() == [1.521, 1.517]
    assert first.fraction_column == "frac_K" and first.fraction[1].tolist() == [0.9, 0.5]
    assert first.stress.tolist() == [-4e8, -2e8]
    with pytest.raises(RecipeError, match=r"no profile at 0\.5 h; the file holds the times 1, 2 h"):
        read_index_profile(p, time=1800.0)


def test_composition_only_and_the_long_format_of_invert(tmp_path):
    from ionex.io.tables import read_index_profile

    p = tmp_path / "c.csv"
    p.write_text("depth_um,frac_Na,frac_K\n0,0.1,0.9\n1,0.5,0.5\n")
    table = read_index_profile(p, column="frac_K")
    assert (
        table.profiles == {}
        and table.fraction_column == "frac_K"
        and table.fraction[1].tolist() == [0.9, 0.5]
    )
    q = tmp_path / "profile.csv"
    q.write_text(
        "polarisation,depth_m,n,n_stderr\nTE,0,1.52,1e-5\nTE,1e-6,1.515,1e-5\nTM,0,1.521,1e-5\n"
        "TM,2e-6,1.514,1e-5\n"
    )
    inv = read_index_profile(q)
    assert inv.index_column == "polarisation rows"
    assert inv.profiles["TM"][0].tolist() == [0.0, 2e-6] and inv.profiles["TE"][1].tolist() == [
        1.52,
        1.515,
    ]


@pytest.mark.parametrize(
    "content, words",
    [
        ("depth_um,temperature\n0,1\n1,2\n", ["no index column", "n_TE", "frac_<Ion>"]),
        ("x,n\n0,1.5\n1,1.5\n", ["depth_m, depth_um, depth_nm"]),
        ("depth_um,n\n0,1.52\n0,1.51\n", ["line 3", "does not increase"]),
        ("depth_um,n\n0,1.52\n", ["at least two"]),
        ("polarisation,depth_m,n\nTE,0,1.52\nTX,1e-6,1.51\n", ["line 3", "TE or TM"]),
        (
            "polarisation,depth_m,n\nTE,0,1.52\nTE,1e-6,1.51\nTM,0,1.52\n",
            ["TM profile has 1 point"],
        ),
        (
            "time_s,depth_m,n\n1,0,1.52\n1,1e-6,1.51\n2,0,1.52\n2,0,1.51\n",
            ["line 5", "within each time"],
        ),
        ("depth_um,n\n", ["no data lines"]),
    ],
)
def test_bad_index_profiles(tmp_path, content, words):
    from ionex.io.tables import read_index_profile

    p = tmp_path / "n.csv"
    p.write_text(content)
    with pytest.raises(RecipeError) as info:
        read_index_profile(p)
    for w in words:
        assert w in str(info.value), str(info.value)


def test_mode_list(tmp_path):
    from ionex.io.tables import read_mode_list

    p = tmp_path / "m.csv"
    p.write_text("polarisation,order,effective_index\nTE,1,1.518\nTE,0,1.522\nTM,0,1.523\n")
    modes = read_mode_list(p)
    np.testing.assert_array_equal(modes["TE"], [1.522, 1.518])
    assert modes["TM"].tolist() == [1.523]


@pytest.mark.parametrize(
    "content, words",
    [
        (
            "polarisation,order,effective_index\nTE,0,1.518\nTE,1,1.520\n",
            ["TE mode 1", "not below mode 0", "fall strictly"],
        ),
        ("order,effective_index\n0,1.52\n", ["no polarisation column"]),
        ("polarisation,order,effective_index\nTX,0,1.52\n", ["line 2", "TE or TM"]),
        ("polarisation,order,effective_index\nTE,0,1.52\nTE,2,1.51\n", ["without gaps"]),
        (
            "polarisation,order,synchronous_angle_deg\nTE,0,12.0\n",
            ["synchronous_angle_deg together with the prism"],
        ),
    ],
)
def test_bad_mode_lists(tmp_path, content, words):
    from ionex.io.tables import read_mode_list

    p = tmp_path / "m.csv"
    p.write_text(content)
    with pytest.raises(RecipeError) as info:
        read_mode_list(p)
    for w in words:
        assert w in str(info.value), str(info.value)


def test_one_polarisation_without_a_column(tmp_path):
    from ionex.io.tables import read_mode_list

    p = tmp_path / "m.csv"
    p.write_text("order,effective_index\n0,1.522\n1,1.518\n")
    assert read_mode_list(p, polarisation="TM")["TM"].tolist() == [1.522, 1.518]
    with pytest.raises(RecipeError, match="no polarisation column; add one .*--polarisation"):
        read_mode_list(p)
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("order,effective_index\n0,1.522\n1,1.518\n0,1.523\n1,1.519\n")
    with pytest.raises(
        RecipeError, match=r"line 4: mode 0 appears twice \(first on line 2\).*mix polarisations"
    ):
        read_mode_list(mixed, polarisation="TE")
    both = tmp_path / "both.csv"
    both.write_text("polarisation,order,effective_index\nTE,0,1.522\nTM,0,1.523\nTM,1,1.519\n")
    assert set(read_mode_list(both, polarisation="TM")) == {"TM"}


@pytest.mark.parametrize("value", ["1e6", "0.99", "-1.5"])
def test_an_effective_index_that_no_guide_has(tmp_path, value):
    from ionex.io.tables import read_mode_list

    p = tmp_path / "m.csv"
    p.write_text(f"polarisation,order,effective_index\nTE,0,1.522\nTE,1,{value}\n")
    with pytest.raises(
        RecipeError,
        match=f"line 3: effective_index = '{value}' is not a refractive index of glass; "
        "expected a number ≥ 1 and below 5",
    ):
        read_mode_list(p)


@pytest.mark.parametrize(
    "text",
    [
        RUN_PROFILES,
        "depth_um,n_TE,n_TM\n# a comment\n0,1.523,1.524\n\n5,1.518,1.519\n40,1.5137,1.5137\n",
        "depth_um,frac_Na,frac_K\n0,0.1,0.9\n1,0.5,0.5\n3,0.9,0.1\n",
    ],
)
@pytest.mark.parametrize("time", [None, 3600.0])
def test_numpy_parser_and_the_line_by_line_reader_agree(tmp_path, monkeypatch, text, time):
    """All-numeric tables are parsed by numpy at once (large tables in a fraction of the
    time); the result is the line-by-line reader's, errors included."""
    import ionex.io.tables as tables

    p = tmp_path / "t.csv"
    p.write_text(text)

    def read():
        try:
            return tables.read_index_profile(p, time=time)
        except RecipeError as exc:
            return str(exc)

    fast = read()
    monkeypatch.setattr(tables, "_index_profile_at_once", lambda *args: None)
    slow = read()
    if isinstance(slow, str):
        assert fast == slow
        return
    for name in ("path", "fraction_column", "time", "times", "index_column"):
        assert getattr(fast, name) == getattr(slow, name), name
    assert fast.profiles.keys() == slow.profiles.keys()
    for pol, (x, n) in slow.profiles.items():
        np.testing.assert_array_equal(fast.profiles[pol][0], x)
        np.testing.assert_array_equal(fast.profiles[pol][1], n)
    for name in ("fraction", "stress"):
        a, b = getattr(fast, name), getattr(slow, name)
        assert (a is None) == (b is None)
        if b is not None:
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize(
    "text, words",
    [
        (
            "frac_K,D_m2_s\n0,1e-15\n50,1e-14\n",
            ["d.csv, line 3", "frac_K = '50'", "percent? divide by 100"],
        ),
        (
            "depth_um,n,frac_K\n0,1.52,0.9\n1,1.51,-0.5\n",
            ["d.csv, line 3", "frac_K = '-0.5'", "outside [-0.1, 1.1]"],
        ),
        (
            "depth_um,n\n0,1.52\n1,0.5\n",
            ["d.csv, line 3", "n = '0.5'", "expected a number ≥ 1 and below 5"],
        ),
        (
            "depth_um,n\n0,1.52\n-1,1.51\n",
            ["d.csv, line 3", "depth_um = '-1'", "expected a depth ≥ 0"],
        ),
    ],
)
def test_fractions_indices_and_depths_out_of_range(tmp_path, text, words):
    """The rules of a fraction, index or depth column hold in every table that has one."""
    from ionex.io.tables import read_index_profile

    p = tmp_path / "d.csv"
    p.write_text(text)
    reader = read_interdiffusion_table if text.startswith("frac_K,D") else read_index_profile
    with pytest.raises(RecipeError) as info:
        reader(p)
    for w in words:
        assert w in str(info.value), str(info.value)


def test_a_spreadsheets_byte_order_mark_is_not_part_of_the_header(tmp_path):
    from ionex.io.tables import read_index_profile

    p = tmp_path / "n.csv"
    p.write_bytes("depth_um,n\n0,1.52\n10,1.51\n".encode("utf-8-sig"))
    assert read_index_profile(p).index_column == "n"
