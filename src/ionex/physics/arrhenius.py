"""Arrhenius temperature dependence of a diffusion coefficient (docs/physics.md §1.8, §3.3)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..constants import GAS_CONSTANT
from ..validators import positive

# physical ranges of measured diffusion data: D of ions in solids lies far inside (self-
# diffusion in liquids is ~1e-9 m²/s); beyond them a value is a unit or typing mistake, and
# exp() of the fit would overflow
DIFFUSION_RANGE = (1e-40, 1.0)  # m²/s
TEMPERATURE_RANGE = (100.0, 3000.0)  # K: every glass is molten above 3000 K


@dataclass(frozen=True)
class ArrheniusLaw:
    """D(T) = D0 · exp(−Q / (R T)).

    Attributes:
        prefactor: D0 in m²/s (> 0).
        activation_energy: Q in J/mol (≥ 0; 0 gives a temperature-independent D = D0).
    """

    prefactor: float
    activation_energy: float = 0.0

    def __post_init__(self):
        positive(self.prefactor, "prefactor D0", "m^2/s")
        if not (math.isfinite(self.activation_energy) and self.activation_energy >= 0):
            raise ValueError(
                f"activation_energy Q must be a non-negative number of J/mol, got {self.activation_energy!r}"
            )

    @classmethod
    def constant(cls, diffusion_coefficient: float) -> "ArrheniusLaw":
        """A temperature-independent D (m²/s)."""
        return cls(prefactor=diffusion_coefficient, activation_energy=0.0)

    def __call__(self, temperature):
        """D at absolute temperature T (K), in m²/s; T may be an array."""
        return arrhenius(temperature, self.prefactor, self.activation_energy)


def arrhenius(temperature, prefactor: float, activation_energy: float):
    """D = D0 exp(−Q/(R T)) with T in K, D0 in m²/s, Q in J/mol; returns m²/s."""
    if activation_energy == 0.0:
        return prefactor * np.ones_like(np.asarray(temperature, dtype=float))[()]
    return (
        prefactor
        * np.exp(-activation_energy / (GAS_CONSTANT * np.asarray(temperature, dtype=float)))[()]
    )
