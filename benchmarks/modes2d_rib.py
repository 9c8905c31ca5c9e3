"""Semi-vectorial quasi-TE modes of the COST 240 rib against Hadley's full-vectorial values.

    python benchmarks/modes2d_rib.py      # ~1 min; markdown on stdout, results/modes2d_rib.json

The rib, its published effective indices and the mesh are those of
tests/validation/test_rib_waveguide_reference.py (tests/_rib_reference.py): film 3.44 of
1.0 µm on 3.40 under air, rib 3.0 µm wide, outer slab t = 0 … 0.7 µm, λ = 1.15 µm; reference
G. R. Hadley, J. Lightwave Technol. 20 (2002) 1219–1231 (±3e-6). Per t: ionex's N on cells
of 50, 25 and 12.5 nm, Richardson over (50, 25) and (25, 12.5) nm, the difference of the
finer extrapolation from the reference, and the wall clock of the 12.5 nm solve.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from _rib_reference import HADLEY_2002, quasi_te_index  # noqa: E402

CELLS = (50e-9, 25e-9, 12.5e-9)


def main() -> None:
    rows = []
    print(
        "| t (µm) | N 50 nm | N 25 nm | N 12.5 nm | Richardson 50/25 | Richardson 25/12.5 "
        "| Hadley 2002 | ionex − Hadley | 12.5 nm solve |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for slab, reference in HADLEY_2002.items():
        found, seconds = [], 0.0
        for cell in CELLS:
            start = time.perf_counter()
            found.append(quasi_te_index(slab * 1e-6, cell))
            seconds = time.perf_counter() - start
        coarse = (4 * found[1] - found[0]) / 3
        fine = (4 * found[2] - found[1]) / 3
        rows.append(
            dict(
                slab_um=slab,
                n=found,
                richardson=[coarse, fine],
                reference=reference,
                difference=fine - reference,
                seconds_finest=seconds,
            )
        )
        print(
            f"| {slab:.1f} | {found[0]:.7f} | {found[1]:.7f} | {found[2]:.7f} | {coarse:.7f} "
            f"| {fine:.7f} | {reference:.6f} | {fine - reference:+.1e} | {seconds:.1f} s |",
            flush=True,
        )
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "modes2d_rib.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
