"""The layer contract (physics ← solvers ← process ← interfaces) holds: import-linter."""

import shutil
import subprocess
import sys
from pathlib import Path


def test_import_linter_contracts_hold():
    root = Path(__file__).resolve().parents[1]
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    proc = subprocess.run(
        [exe, "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def test_importing_ionex_is_light():
    code = (
        "import sys, ionex; print(any(m in sys.modules for m in ('pint', 'xarray', 'matplotlib')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
