"""Semi-vectorial quasi-TE modes of a step-index rib channel against a published reference.

The rib of the COST 240 mode-solver comparison (C. Vassallo, "1993–1995 Optical mode
solvers", Opt. Quantum Electron. 29 (1997) 95–114): a film of n = 3.44 and thickness
H = 1.0 µm on a substrate of n = 3.40 under air, etched to a rib of width W = 3.0 µm with an
outer slab of thickness t left beside it (t = 0: a rectangular strip on the substrate);
λ = 1.15 µm; the fundamental quasi-TE mode (E along the layers). Reference: the effective
indices of G. R. Hadley, "High-accuracy finite-difference equations for dielectric
waveguide analysis II: dielectric corners", J. Lightwave Technol. 20 (2002) 1219–1231,
computed full-vectorially with corner-corrected equations to ±3e-6 (transcribed from the
benchmark page of the femwell mode solver, which reproduces them).

ionex solves the semi-vectorial equation, which drops the coupling to E_x at the rib
corners. Measured (benchmarks/modes2d_rib.py): Richardson over 50 and 25 nm cells agrees with
Richardson over 25 and 12.5 nm to ≤ 1e-6, so the discretisation is converged; what remains,
−0.5e-5 (strip) to −1.3e-5 (t = 0.5 µm), varying smoothly with t, is the semi-vectorial
approximation (plus the reference's ±3e-6). The bound 2e-5 is 0.17 % of N − n_s.
"""

from __future__ import annotations

import pytest
from _rib_reference import HADLEY_2002, quasi_te_index

SEMIVECTORIAL_BOUND = 2e-5


@pytest.mark.parametrize("slab_um", [0.0, 0.3, 0.7])
def test_quasi_te_rib_matches_hadley_2002(slab_um):
    coarse, fine = (quasi_te_index(slab_um * 1e-6, cell) for cell in (50e-9, 25e-9))
    reference = HADLEY_2002[slab_um]
    # the second-order error shrinks ~4.5× per halving before extrapolation
    assert abs(fine - reference) < abs(coarse - reference) / 3.5
    extrapolated = (4 * fine - coarse) / 3
    assert abs(extrapolated - reference) < SEMIVECTORIAL_BOUND
