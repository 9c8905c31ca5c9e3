"""The step-index rib of the COST 240 mode-solver comparison and its published quasi-TE
effective indices: shared by tests/validation/test_rib_waveguide_reference.py and
benchmarks/modes2d_rib.py (sources and geometry in the test's docstring).
"""

from __future__ import annotations

import numpy as np

from ionex.solvers.modes2d import solve_modes_2d

WAVELENGTH = 1.15e-6
N_FILM, N_SUBSTRATE, N_AIR = 3.44, 3.40, 1.0
FILM, RIB_WIDTH = 1.0e-6, 3.0e-6
# Hadley (2002): fundamental quasi-TE N against the outer slab thickness t (µm), ±3e-6
HADLEY_2002 = {
    0.0: 3.412022,
    0.1: 3.412126,
    0.2: 3.412279,
    0.3: 3.412492,
    0.4: 3.412774,
    0.5: 3.413132,
    0.6: 3.413571,
    0.7: 3.414100,
}


def rib_index(slab: float, cell: float, half_width: float = 4e-6, depth: float = 4.5e-6):
    """Cell-centred mesh (every interface on a cell face) and n(x, y) of the rib; x is the
    depth below the rib top, y across it."""
    x = (np.arange(round(depth / cell)) + 0.5) * cell
    y = -half_width + (np.arange(round(2 * half_width / cell)) + 0.5) * cell
    xx, yy = np.meshgrid(x, y, indexing="ij")
    n = np.full(xx.shape, N_SUBSTRATE)
    in_film = xx < FILM
    n[in_film] = N_AIR
    n[in_film & ((xx > FILM - slab) | (np.abs(yy) < RIB_WIDTH / 2))] = N_FILM
    return x, y, n


def quasi_te_index(slab: float, cell: float) -> float:
    """ionex's fundamental quasi-TE N of the rib with outer slab ``slab`` (m), cells ``cell`` (m)."""
    x, y, n = rib_index(slab, cell)
    found = solve_modes_2d(
        x, y, n, WAVELENGTH, polarisations=("TE",), modes=1, substrate_index=N_SUBSTRATE
    )
    (mode,) = found.of("TE")
    if not mode.guided:
        raise AssertionError(
            f"the rib's fundamental quasi-TE mode is cut off: N = {mode.effective_index}"
        )
    return mode.effective_index
