"""The code is formatted by ruff (line length 100) and passes ruff's checks (pyflakes and
pycodestyle's non-layout errors, configured in pyproject.toml): one style, kept by the test
command rather than by reviewers."""

import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
TREES = ["src", "tests", "benchmarks", "examples"]


def ruff(*args):
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, *TREES], cwd=ROOT, capture_output=True, text=True
    )


def test_the_code_is_formatted():
    done = ruff("format", "--check")
    assert done.returncode == 0, (
        "run `ruff format src tests benchmarks examples`:\n" + done.stdout + done.stderr
    )


def test_the_code_passes_ruff_check():
    done = ruff("check", "--output-format", "concise")
    assert done.returncode == 0, done.stdout + done.stderr
