"""Make the synthetic "measured" files of examples/data from ionex's own examples, seeded,
so that every command of the README has an input to run on (and anyone can see how they
were made). Run from the repository root:  python examples/data/make_example_data.py

* bk7_modes_677nm.csv      the TE/TM mode list of bk7_k_na_91h.toml (91 h at 413.1 °C) with
                           Gaussian noise σ = 2e-5 on every index, and the synchronous angles
                           a PSK-3 prism coupler would read (for `ionex invert`).
* bk7_index_profile.csv    the n_TE/n_TM profile of the same run to 60 µm every 0.25 µm with
                           Gaussian noise σ = 5e-6 (for `ionex modes`).
* arrhenius_k_soda_lime.csv  D_K of the two-step soda-lime example's Arrhenius law at five
                           temperatures with 4 % Gaussian scatter and 4 % stated errors (for
                           `ionex arrhenius`).
* erfc_guide_modes_677nm.csv  the TE/TM modes of an erfc-shaped K⁺ guide in BK7 (a
                           constant-D exchange, 20 µm width) read to 1e-6: a shape inverse WKB
                           handles (for `ionex iwkb`).
* sims_double_cait.csv     a synthetic ToF-SIMS depth profile after the Cs⁺ CAIT of the
                           Double-CAIT on Li₃B₇O₁₂, crater 300 nm (for
                           `ionex run examples/double_cait_li3b7o12.toml --sims …`).
"""

from __future__ import annotations

import math
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ionex.cli import main
from ionex.constants import GAS_CONSTANT
from ionex.physics.prism import Prism, synchronous_angle
from ionex.physics.materials import prism

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent
SEED = 20261203


def bk7_files(rng) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        assert main(["run", str(EXAMPLES / "bk7_k_na_91h.toml"), "-o", tmp, "-q", "--no-plot"]) == 0
        modes = np.genfromtxt(
            Path(tmp) / "modes.csv", delimiter=",", names=True, dtype=None, encoding="utf-8"
        )
        data = np.genfromtxt(Path(tmp) / "profiles.csv", delimiter=",", names=True)
    psk3 = prism("PSK-3")
    coupler = Prism(psk3.index, psk3.angle)
    rows = []
    for pol, order, n_eff in zip(modes["polarisation"], modes["order"], modes["effective_index"]):
        noisy = n_eff + 2e-5 * rng.standard_normal()
        rows.append(
            f"{pol},{order},{noisy:.6f},{math.degrees(synchronous_angle(noisy, coupler)):.4f}"
        )
    (HERE / "bk7_modes_677nm.csv").write_text(
        "# SYNTHETIC prism-coupler reading of the BK7 example (91 h at 413.1 °C, 677 nm, PSK-3 prism):\n"
        "# the modes of examples/bk7_k_na_91h.toml with Gaussian noise 2e-5 on each index\n"
        f"# (seed {SEED}; examples/data/make_example_data.py). Invert it with --index-sigma 2e-5.\n"
        "polarisation,order,effective_index,synchronous_angle_deg\n" + "\n".join(rows) + "\n"
    )
    last = data[data["time_s"] == data["time_s"].max()]
    grid = np.arange(0.0, 60.0 + 1e-9, 0.25)
    lines = []
    for x in grid:
        te = np.interp(x * 1e-6, last["depth_m"], last["n_TE"]) + 5e-6 * rng.standard_normal()
        tm = np.interp(x * 1e-6, last["depth_m"], last["n_TM"]) + 5e-6 * rng.standard_normal()
        lines.append(f"{x:g},{te:.6f},{tm:.6f}")
    (HERE / "bk7_index_profile.csv").write_text(
        "# SYNTHETIC measured-style index profile: n_TE, n_TM of examples/bk7_k_na_91h.toml after 91 h\n"
        f"# at 677 nm, every 0.25 µm to 60 µm, Gaussian noise 5e-6 (seed {SEED}; make_example_data.py)\n"
        "depth_um,n_TE,n_TM\n" + "\n".join(lines) + "\n"
    )


def arrhenius_file(rng) -> None:
    d0, q = 1.55e-7, 110e3  # the K⁺ law of examples/two_step_post_anneal.toml
    lines = []
    for t_c in (380.0, 400.0, 420.0, 440.0, 460.0):
        d = d0 * math.exp(-q / (GAS_CONSTANT * (t_c + 273.15)))
        lines.append(f"{t_c:g},{d * (1 + 0.04 * rng.standard_normal()):.4e},{0.04 * d:.2e}")
    (HERE / "arrhenius_k_soda_lime.csv").write_text(
        "# SYNTHETIC D_K of soda-lime from five baths: D0 = 1.55e-7 m^2/s, Q = 110 kJ/mol with 4 % scatter\n"
        f"# and 4 % stated errors (seed {SEED}; make_example_data.py). ionex arrhenius recovers D0 and Q.\n"
        "temperature_C,D_m2_s,D_err_m2_s\n" + "\n".join(lines) + "\n"
    )


def erfc_modes_file() -> None:
    from scipy.special import erfc

    from ionex.solvers.modes import solve_modes

    x = np.linspace(0.0, 160e-6, 4001)
    rows = []
    for pol, rise in (("TE", 0.0090), ("TM", 0.0101)):
        found = solve_modes(x, 1.5137 + rise * erfc(x / 20e-6), 677e-9, polarisations=(pol,))
        rows += [f"{pol},{m},{n:.6f}" for m, n in enumerate(found.effective_indices(pol))]
    (HERE / "erfc_guide_modes_677nm.csv").write_text(
        "# SYNTHETIC mode list of an erfc guide in BK7 at 677 nm: n_TE = 1.5137 + 0.0090 erfc(x/20 µm),\n"
        "# n_TM = 1.5137 + 0.0101 erfc(x/20 µm) (σ ≈ −400 MPa·erfc), indices read to 1e-6 (make_example_data.py)\n"
        "polarisation,order,effective_index\n" + "\n".join(rows) + "\n"
    )


def sims_file() -> None:
    shutil.copyfile(
        EXAMPLES.parent / "tests" / "data" / "sims_second_cait.csv", HERE / "sims_double_cait.csv"
    )


if __name__ == "__main__":
    rng = np.random.default_rng(SEED)
    bk7_files(rng)
    arrhenius_file(rng)
    erfc_modes_file()
    sims_file()
    print("wrote", ", ".join(p.name for p in sorted(HERE.glob("*.csv"))))
