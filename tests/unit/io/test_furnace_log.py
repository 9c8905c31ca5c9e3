"""The fault-tolerant furnace-log follower: every fault of a live log, read incrementally."""

from __future__ import annotations

import os

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
    write(log, "\n".join([
        "time_min,temperature_K,heater",   # line 1: header, units in the names
        "0,673,on",                        # 2
        "1,674",                           # 3 wrong number of fields
        "2,hot,on",                        # 4 not a number
        "3,nan,on",                        # 5 drop-out
        "4,-5,on",                         # 6 below absolute zero
        "1,675,on",                        # 7 t = 1 min: line 3 was skipped, so this one is taken
        "1,676,on",                        # 8 duplicate
        "0.5,676,on",                      # 9 out of order
        "30,680,on",                       # 10 gap of 29 min > 10 min
        "x,680,on",                        # 11 bad time
    ]) + "\n", "w")
    t, T, w = FurnaceLogReader(log, gap_limit=600.0).read()
    np.testing.assert_array_equal(t, [0.0, 60.0, 1800.0])
    np.testing.assert_array_equal(T, [673.0, 675.0, 680.0])
    expected = {3: "found 2 fields", 4: "is not a number", 5: "sensor drop-out", 6: "absolute zero",
                8: "duplicate time stamp", 9: "out-of-order time stamp", 10: "gap of 1740 s", 11: "time 'x' is not a number"}
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
    with pytest.raises(RecipeError, match=r"f.csv, line 1: header 'time,temp' must name exactly one time column"):
        FurnaceLogReader(log).read()
