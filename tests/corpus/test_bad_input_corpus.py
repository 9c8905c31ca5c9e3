"""Every corpus input (tests/corpus/cases.py) gets what a user must see: no traceback, no
hang, and either one clear line naming the file or option, the field or line, what was found
and what was expected (exit 2), or — where ionex is lenient by design — exit 0 with a
warning."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest

from ionex.cli import main

from .cases import all_cases

CASES = all_cases()
HANG_LIMIT = 30  # s: an input that keeps ionex busy longer is a hang

# a message says what was expected, in one of these ways
EXPECTATION = re.compile(
    r"expect|must|should|only|at most|at least|between|range|one of|allowed|limit|requires|needs|give |"
    r"use |not a |no |cannot|missing|unknown|is not|are not|none|too |required|choose from|invalid|unrecognized",
    re.IGNORECASE,
)


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang(f"no answer within {HANG_LIMIT} s")


def _materialise(case, folder: Path) -> list[str]:
    for name, content in case.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            path.mkdir()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return [arg.replace("{d}", str(folder)) for arg in case.argv]


def test_the_corpus_covers_every_command_and_file_type():
    commands = {c.argv[0] for c in CASES}
    assert {
        "run",
        "modes",
        "invert",
        "iwkb",
        "fit",
        "monitor",
        "furnace-demo",
        "sweep",
        "arrhenius",
        "matano",
    } <= commands
    assert len(CASES) >= 300


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corpus_input(case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = _materialise(case, tmp_path)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(HANG_LIMIT)
    try:
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse
            code = exc.code
        except Hang as exc:
            pytest.fail(f"hang: {exc}")
        except Exception as exc:  # noqa: BLE001 - the point of the corpus: no traceback escapes
            pytest.fail(f"traceback: {type(exc).__name__}: {exc}")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    needles = [n.replace("{d}", str(tmp_path)) for n in case.needles]
    if case.expect == "error":
        lines = err.strip().splitlines()
        assert code == 2, f"exit {code}; stderr: {err.strip()[:500]}"
        # one error line, last; before it only the warnings of a lenient reader (the monitor's log)
        assert lines and all(line.startswith("warning: ") for line in lines[:-1]), err.strip()[:800]
        message = lines[-1]
        assert message.startswith("ionex: error: "), message
        assert EXPECTATION.search(message), f"says nothing of what was expected: {message}"
        for needle in needles:
            assert needle.lower() in message.lower(), f"{needle!r} not named in: {message}"
    elif case.expect == "warn":
        assert code == 0, f"exit {code}; stderr: {err.strip()[:500]}"
        warnings = [line for line in err.splitlines() if line.startswith("warning:")]
        assert warnings, f"no warning; stderr: {err.strip()[:500]}"
        text = "\n".join(warnings).lower()
        for needle in needles:
            assert needle.lower() in text, f"{needle!r} not named in: {text[:800]}"
    else:
        assert code == 0, f"exit {code}; stderr: {err.strip()[:500]}"
