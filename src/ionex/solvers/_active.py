"""Compiled helpers: solve only where the profile is (the active region of a 1-D mesh).

Ahead of a diffusion front the state is flat — every cell still holds the value it
started with — and stays so until the front arrives. The cells of such a flat run
exchange no flux with each other, so the time integration may leave them out: the
integrators advance only the cells from each face up to the flat run plus a margin,
with the faces toward the flat run closed, and grow that region as the profile advances.

Exactness: a cell is "flat" when it differs from the run's value by at most
FLAT_FRACTION·atol. Before a step is accepted, the outermost GUARD cells of the margin
must still be flat; otherwise the region is grown (from the state the step reached) and
the step is taken again from its start. The closed inner face therefore only ever sits
between cells that differ by less than FLAT_FRACTION·atol, so the result equals the
full-mesh result to that level (1e-3 of the error tolerance). Amounts are conserved
exactly: the closed face carries nothing, on either side.
"""

from __future__ import annotations

import numpy as np
from numba import njit

FLAT_FRACTION = 1e-3  # of atol: the largest departure of a cell still counted as flat
MIN_MARGIN = 12  # cells between the profile and the flat run, at least
MARGIN_SHARE = 4  # the margin is also at least 1/MARGIN_SHARE of the active cells
MIN_GAIN = 16  # fewer flat cells than this are not worth leaving out


@njit(cache=True)
def flat_run(y, front_open, back_open, eps):
    """The cells [a, b) to leave out, the value ``ref`` they hold and the guard width.

    The flat run is searched around the cell farthest from the open faces; it is cut back
    by the margin on every side that is not a closed face of the slab. a == b: none.
    """
    n = y.size
    if front_open and not back_open:
        p = n - 1
    elif back_open and not front_open:
        p = 0
    else:
        p = n // 2
    ref = y[p]
    lo = p
    while lo > 0 and abs(y[lo - 1] - ref) <= eps:
        lo -= 1
    hi = p + 1
    while hi < n and abs(y[hi] - ref) <= eps:
        hi += 1
    margin = MIN_MARGIN + (lo + n - hi) // MARGIN_SHARE
    a = lo + margin if (lo > 0 or front_open) else 0
    b = hi - margin if (hi < n or back_open) else n
    if b - a < MIN_GAIN:
        return 0, 0, ref, 0
    return a, b, ref, max(2, margin // 2)


@njit(cache=True)
def compact(values, a, b):
    """The cells outside [a, b), in order."""
    out = np.empty(values.size - (b - a))
    out[:a] = values[:a]
    out[a:] = values[b:]
    return out


@njit(cache=True)
def compact_weights(w_off, w_diag, a, b):
    """Face weights of the active cells: the faces toward the left-out run closed (their
    weight removed from the cell's diagonal sum, zero weight across the junction)."""
    n = w_diag.size
    if a == b:
        return w_off.copy(), w_diag.copy()
    m = n - (b - a)
    w_diag_c = compact(w_diag, a, b)
    w_off_c = np.zeros(max(m - 1, 1))
    if a > 0:
        w_off_c[: a - 1] = w_off[: a - 1]
        w_diag_c[a - 1] -= w_off[a - 1]
    if b < n:
        w_off_c[a : m - 1] = w_off[b : n - 1]
        w_diag_c[a] -= w_off[b - 1]
    return w_off_c, w_diag_c


@njit(cache=True)
def restrict(y, vol, w_off, w_diag, a, b):
    """The active cells' state, widths and face weights (see compact, compact_weights)."""
    w_off_c, w_diag_c = compact_weights(w_off, w_diag, a, b)
    return compact(y, a, b), compact(vol, a, b), w_off_c, w_diag_c


@njit(cache=True)
def scatter(y, y_active, a, b):
    """Write the active cells' values back into the full state y (in place)."""
    y[:a] = y_active[:a]
    y[b:] = y_active[a:]


@njit(cache=True)
def regrown(y, y_active, a, b, front_open, back_open, eps):
    """flat_run of the state a step reached: y (the full state before the step, whose
    left-out cells the step did not touch) with the active cells' new values y_active."""
    reached = y.copy()
    scatter(reached, y_active, a, b)
    return flat_run(reached, front_open, back_open, eps)


@njit(cache=True)
def guard_moved(y_active, a, b, n, ref, eps, guard):
    """Whether a guard cell (the outermost cells of the margin) left the flat value."""
    lo = max(a - guard, 0)
    for i in range(lo, a):
        if not abs(y_active[i] - ref) <= eps:
            return True
    if b < n:
        hi = min(a + guard, y_active.size)
        for i in range(a, hi):
            if not abs(y_active[i] - ref) <= eps:
                return True
    return False
