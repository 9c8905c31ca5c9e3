"""Alexander's SDIRK3 (order 3, L-stable, stiffly accurate) with an embedded second-order
solution: the coefficients the Nernst–Planck–Poisson solver and the electroneutral model
integrate their stages with (ionex.solvers.npp, ionex.solvers.npp_electroneutral).
"""

from __future__ import annotations

# Alexander (1977) SDIRK3: γ is the root of γ³ − 3γ² + 3γ/2 − 1/6 in (1/6, 1/2).
G = 0.43586652150845899942
C2 = (1.0 + G) / 2.0
B1 = -(6.0 * G**2 - 16.0 * G + 1.0) / 4.0
B2 = (6.0 * G**2 - 20.0 * G + 5.0) / 4.0
A21 = (1.0 - G) / 2.0
C = (G, C2, 1.0)
B = (B1, B2, G)
# embedded second-order weights on stages 1, 2: Σb̂ = 1, Σb̂c = 1/2
BH2 = (0.5 - G) / (C2 - G)
BH1 = 1.0 - BH2
E = (B1 - BH1, B2 - BH2, G)
ORDER = 3
EMBEDDED_ORDER = 2
