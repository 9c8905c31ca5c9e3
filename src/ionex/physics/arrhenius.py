"""Arrhenius temperature dependence of a diffusion coefficient (docs/physics.md §1.8, §3.3)."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from ..constants import GAS_CONSTANT
from ..validators import FieldError

# physical ranges of measured diffusion data: D of ions in solids lies far inside (self-
# diffusion in liquids is ~1e-9 m²/s); beyond them a value is a unit or typing mistake, and
# exp() of the fit would overflow
DIFFUSION_RANGE = (1e-40, 1.0)  # m²/s
TEMPERATURE_RANGE = (100.0, 3000.0)  # K: every glass is molten above 3000 K


def check_activation(
    activation_energy: float,
    reference_temperature: float | None = None,
    what: str = "law",
    *,
    has_reference: bool = True,
) -> None:
    """The rule of every Arrhenius factor exp(−Q/R·(1/T − 1/T_ref)): Q ≥ 0 (J/mol), and,
    for a law written about a reference temperature (``has_reference``), T_ref > 0 (K)
    whenever Q > 0. FieldError names "activation_energy" or "reference_temperature"."""
    q = activation_energy
    if not (isinstance(q, numbers.Real) and math.isfinite(q) and q >= 0):
        raise FieldError("activation_energy", q, "expected an activation energy >= 0", "J/mol")
    if has_reference and q > 0 and not (reference_temperature and reference_temperature > 0):
        raise FieldError(
            "reference_temperature",
            reference_temperature,
            f"an Arrhenius {what} (activation energy > 0) needs a reference temperature > 0 K",
        )


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
        p = self.prefactor
        if not (isinstance(p, numbers.Real) and not isinstance(p, bool) and 0 < p < math.inf):
            raise FieldError("prefactor", p, "expected a diffusion coefficient > 0", "m^2/s")
        check_activation(self.activation_energy, has_reference=False)

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
