"""The fault-tolerant furnace-log follower: every fault of a live log, read incrementally."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

from ionex.errors import RecipeError
from ionex.io.furnace_log import FurnaceLogReader, LogPosition


def write(path, text, mode="a"):
    with open(path, mode, encoding="utf-8") as fh:
        fh.write(text)


def test_reads_incrementally_and_waits_for_a_partial_last_line(tmp_path):
    log = tmp_path / "f.csv"
    write(log, "time_s,temperature_C\n0,400\n10,401\n20,40", "w")
    r = FurnaceLogReader(log)
    t, T, w = r.read()
    np.testing.assert_array_equal(t, [0.0, 10.0])
    np.testing.assert_allclose(T, [673.15, 674.15])
    assert w == []
    write(log, "2.5\n")  # the writer finishes the line
    t, T, w = r.read()
    np.testing.assert_array_equal(t, [20.0])
    assert T[0] == pytest.approx(402.5 + 273.15)
    assert r.read()[0].size == 0  # nothing new


def test_every_fault_is_skipped_with_a_warning_naming_the_line(tmp_path):
    log = tmp_path / "f.csv"
    write(
        log,
        "\n".join(
            [
                "time_min,temperature_K,heater",  # line 1: header, units in the names
                "0,673,on",  # 2
                "1,674",  # 3 wrong number of fields
                "2,hot,on",  # 4 not a number
                "3,nan,on",  # 5 drop-out
                "4,-5,on",  # 6 below absolute zero
                "1,675,on",  # 7 t = 1 min: line 3 was skipped, so this one is taken
                "1,676,on",  # 8 duplicate
                "0.5,676,on",  # 9 out of order
                "30,680,on",  # 10 gap of 29 min > 10 min
                "x,680,on",  # 11 bad time
            ]
        )
        + "\n",
        "w",
    )
    t, T, w = FurnaceLogReader(log, gap_limit=600.0).read()
    np.testing.assert_array_equal(t, [0.0, 60.0, 1800.0])
    np.testing.assert_array_equal(T, [673.0, 675.0, 680.0])
    expected = {
        3: "found 2 fields",
        4: "is not a number",
        5: "sensor drop-out",
        6: "absolute zero",
        8: "duplicate time stamp",
        9: "out-of-order time stamp",
        10: "gap of 1740 s",
        11: "time 'x' is not a number",
    }
    assert len(w) == len(expected)
    for (line, words), text in zip(sorted(expected.items()), w):
        assert f"f.csv, line {line}: " in text and words in text, text


def test_rotation_and_truncation_continue_after_the_last_sample(tmp_path):
    log = tmp_path / "f.csv"
    write(log, "time_s,temperature_C\n0,400\n10,400\n20,400\n", "w")
    r = FurnaceLogReader(log)
    assert r.read()[0].tolist() == [0.0, 10.0, 20.0]
    # rotated: the logger renames the file and starts a new one, repeating its last line
    os.rename(log, tmp_path / "f.csv.1")
    write(log, "time_s,temperature_C\n20,400\n30,401\n", "w")
    t, _, w = r.read()
    assert t.tolist() == [30.0]
    assert len(w) == 1 and "replaced (rotated)" in w[0]
    # truncated in place (copytruncate): shorter than what was read
    write(log, "time_s,temperature_C\n40,402\n", "w")
    t, _, w = r.read()
    assert t.tolist() == [40.0] and "truncated" in w[0]


def test_a_missing_file_is_waited_for(tmp_path):
    r = FurnaceLogReader(tmp_path / "later.csv")
    t, _, w = r.read()
    assert t.size == 0 and "does not exist" in w[0]
    assert r.read()[2] == []  # said once
    write(tmp_path / "later.csv", "time_h,temperature_C\n0,400\n0.5,400\n", "w")
    assert r.read()[0].tolist() == [0.0, 1800.0]


def test_iso_timestamps_and_resuming_from_a_saved_position(tmp_path):
    log = tmp_path / "f.csv"
    write(log, "timestamp,temperature_C\n2026-01-01T08:00:00,400\n2026-01-01T08:00:10,401\n", "w")
    r = FurnaceLogReader(log)
    assert r.read()[0].tolist() == [0.0, 10.0]
    saved = LogPosition.from_dict(r.position.to_dict())
    write(log, "2026-01-01T08:00:20,402\n")
    t, T, _ = FurnaceLogReader(log, saved).read()
    assert t.tolist() == [20.0] and T[0] == pytest.approx(675.15)


def test_a_header_without_time_or_temperature_is_an_error(tmp_path):
    log = tmp_path / "f.csv"
    write(log, "time,temp\n0,400\n", "w")
    with pytest.raises(
        RecipeError, match=r"f.csv, line 1: header 'time,temp' must name exactly one time column"
    ):
        FurnaceLogReader(log).read()


BAD = "time_h,temperature_C\n0,400\n1,4x0\n2,401\n"


def test_one_policy_strict_stops_at_a_bad_line_lenient_skips_it(tmp_path):
    """The one reader of every log (recipe logs, --temperature-log, the monitor): strict is
    an error naming the file and line; lenient skips the line with that text as a warning."""
    from ionex.io.furnace_log import NOT_A_NUMBER, read_log_file

    log = tmp_path / "f.csv"
    write(log, BAD, "w")
    with pytest.raises(
        RecipeError, match=r"f.csv, line 3: temperature_C = '4x0' is not a number.*--lenient"
    ):
        read_log_file(log)
    t, T, w = read_log_file(log, lenient=True)
    np.testing.assert_array_equal(t, [0.0, 7200.0])
    assert len(w) == 1 and "line 3: temperature_C = '4x0' is not a number; line skipped" in w[0]
    assert w[0].kind == NOT_A_NUMBER and w[0].line == 3
    # the live reader is lenient by default and says the same (then reports the 2-h gap)
    assert FurnaceLogReader(log).read()[2][0] == w[0]


def test_a_finished_file_is_read_to_its_last_line_even_without_a_newline(tmp_path):
    log = tmp_path / "f.csv"
    write(log, "time_s,temperature_C\n0,400\n10,401", "w")
    assert FurnaceLogReader(log).read()[0].tolist() == [0.0]  # live: the writer may be mid-line
    assert FurnaceLogReader(log).read(final=True)[0].tolist() == [0.0, 10.0]


def test_warnings_are_counted_by_kind_and_every_drop_out_and_gap_is_kept(tmp_path):
    """180 duplicates are one entry (count, first and last); each drop-out (consecutive NaN
    lines are one) and each gap stays an entry of its own, in the order they appeared; a
    checkpoint's plain texts (version 1) aggregate to the same entries."""
    from ionex.io.furnace_log import DROP_OUT, DUPLICATE, GAP, WarningSummary

    rows, t = [], 0.0
    for k in range(400):
        t += 10.0
        rows.append(f"{t},400")
        if k % 2 == 0 and k < 360:
            rows.append(f"{t},400.1")  # a repeated line: 180 of them
        if k == 100:
            rows.append(f"{t + 5},nan")  # drop-out 1: one line
        if k == 300:
            rows += [f"{t + 2},nan", f"{t + 4},nan", f"{t + 6},nan"]  # drop-out 2: three lines
        if k in (150, 250):
            t += 900.0  # two gaps of 910 s
    log = tmp_path / "f.csv"
    write(log, "time_s,temperature_C\n" + "\n".join(rows) + "\n", "w")
    _, _, warnings = FurnaceLogReader(log, gap_limit=600.0).read()
    summary = WarningSummary()
    new = summary.extend(warnings)
    assert summary.total == len(warnings) == 180 + 1 + 3 + 2
    assert [e["kind"] for e in summary.entries] == [DUPLICATE, DROP_OUT, GAP, GAP, DROP_OUT]
    dup, drop1, gap1, gap2, drop2 = summary.entries
    assert dup["count"] == 180 and dup["first"] == warnings[0] and "line 3:" in dup["first"]
    assert dup["last_line"] > drop2["last_line"] and dup["last"].startswith(
        f"{log}, line {dup['last_line']}:"
    )
    assert (drop1["count"], drop2["count"], gap1["count"], gap2["count"]) == (1, 3, 1, 1)
    assert "gap of 910 s" in gap1["first"] and "gap of 910 s" in gap2["first"]
    assert [w.kind for w in new] == [
        DUPLICATE,
        DROP_OUT,
        GAP,
        GAP,
        DROP_OUT,
    ]  # what a terminal shows
    assert summary.repeated()[0].startswith(f"{DUPLICATE}: 180 in all (lines 3 to ")
    assert WarningSummary(summary.to_list()).to_list() == summary.to_list()
    old = WarningSummary.from_texts([str(w) for w in warnings])
    assert [(e["kind"], e["count"]) for e in old.entries] == [
        (e["kind"], e["count"]) for e in summary.entries[:4]
    ] + [
        (DROP_OUT, 1),
        (DROP_OUT, 1),
        (DROP_OUT, 1),
    ]  # plain texts cannot tell one drop-out from three


def faulty_big_log(path, n=30000, seed=3):
    """n samples a second apart with every kind of fault sprinkled in (and a gap)."""
    rng = np.random.default_rng(seed)
    rows = [f"{k},{400 + 0.3 * x:.3f}" for k, x in enumerate(rng.standard_normal(n))]
    for k, bad in zip(
        rng.choice(n, 12, replace=False),
        [
            "",
            "nan,nan",
            "5,400",
            "x,400",
            "7,",
            "1e400,400",
            "8,1e6",
            "9,400,1",
            '"10",400',
            "# note",
            "11,470",
            "12,-300",
        ],
    ):
        rows[int(k)] = bad
    rows[20000:20700] = []  # a gap of 700 s
    path.write_text("time_s,temperature_C\n" + "\n".join(rows) + "\n", encoding="utf-8")


def test_blocks_of_clean_lines_read_as_line_by_line(tmp_path, monkeypatch):
    """The vectorised reading of clean blocks gives the same samples and warnings as the
    line-by-line rules, read at once or in small blocks of bytes."""
    log = tmp_path / "f.csv"
    faulty_big_log(log)
    fast = FurnaceLogReader(log)
    t, T, w = fast.read()
    slow = FurnaceLogReader(log)
    monkeypatch.setattr(slow, "_clean_block", lambda *a: None)
    t2, T2, w2 = slow.read()
    np.testing.assert_array_equal(t, t2)
    np.testing.assert_array_equal(T, T2)
    assert list(w) == list(w2) and len(w) >= 11 and t.size > 29000
    blocks = FurnaceLogReader(log)
    parts, warned, reads = [], [], 0
    while True:
        a, b, ww = blocks.read(max_bytes=5000)
        parts.append(a)
        warned += ww
        reads += 1
        if not blocks.more:
            break
    assert reads > 50
    np.testing.assert_array_equal(np.concatenate(parts), t)
    assert warned == list(w)
    assert blocks.position.offset == log.stat().st_size


def test_implausible_temperatures_are_rejected_by_range_and_rate(tmp_path):
    from ionex.io.furnace_log import IMPLAUSIBLE, LogLimits

    log = tmp_path / "f.csv"
    write(
        log,
        "time_s,temperature_C\n0,400\n10,400.5\n20,1e6\n30,-60\n40,470\n50,401\n60,401.5\n",
        "w",
    )
    t, T, w = FurnaceLogReader(log).read()
    np.testing.assert_array_equal(
        t, [0, 10, 50, 60]
    )  # 401 at 50 s: 0.5 K in 40 s from the last one taken
    assert [x.kind for x in w] == [IMPLAUSIBLE] * 3 and [x.line for x in w] == [4, 5, 6]
    assert (
        "temperature_C = '1e6' is not a plausible furnace temperature; expected -50 degC..1500 degC "
        "(--log-range); sample rejected" in w[0]
    )
    assert (
        "a change of +69.5 K in 30 s" in w[2]
        and "expected at most 50 K/min + 5 K (--max-rate)" in w[2]
    )
    wide = FurnaceLogReader(log, limits=LogLimits(100.0, 2e6, 1e6))
    assert wide.read()[0].size == 7
    with pytest.raises(
        RecipeError, match=r"line 4: temperature_C = '1e6' is not a plausible furnace temperature"
    ):
        FurnaceLogReader(log, strict=True).read()
    with pytest.raises(
        RecipeError, match="expected finite temperatures at or above 0 K with the lower first"
    ):
        LogLimits(500.0, 400.0)
    with pytest.raises(RecipeError, match="expected a rate > 0"):
        LogLimits(max_rate=0.0)


@pytest.mark.parametrize(
    "stamp, shown", [("1e306", "time_s = '1e306'"), ("-4e9", "time_s = '-4e9'")]
)
def test_a_finite_but_absurd_time_is_a_bad_time_not_a_stretch_of_process(tmp_path, stamp, shown):
    """Within a vectorised block or line by line alike, a time beyond ±100 000 h is refused
    (strict) or skipped (lenient): taken as data it would add centuries of process."""
    from ionex.io.furnace_log import BAD_TIME, read_log_file

    log = tmp_path / "f.csv"
    clean = "".join(f"{10 * i},{400 + 0.1 * (i % 3)}\n" for i in range(5000))
    write(log, "time_s,temperature_C\n" + clean + f"{stamp},400\n" + "50000,400\n", "w")
    with pytest.raises(
        RecipeError,
        match=rf"f.csv, line 5002: {re.escape(shown)} is .* h; expected a log time "
        r"within ±100000 h",
    ):
        read_log_file(log)
    t, T, w = read_log_file(log, lenient=True)
    assert t[-1] == 50000.0 and t.size == 5001 and [x.kind for x in w] == [BAD_TIME]
