"""Temperature programs of a process step: constant, piecewise-linear, or a furnace log."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..validators import FieldError

__all__ = ["TemperatureProgram"]


@dataclass(frozen=True)
class TemperatureProgram:
    """T(t) linear between the given points and held beyond the last one.

    Attributes:
        times: strictly increasing times from the start of the step (s); times[0] = 0.
        temperatures: absolute temperatures at those times (K, > 0).
        source: where the program came from (for messages and metadata).
    """

    times: tuple[float, ...]
    temperatures: tuple[float, ...]
    source: str = "program"

    def __post_init__(self):
        t = np.asarray(self.times, dtype=float)
        T = np.asarray(self.temperatures, dtype=float)
        if t.ndim != 1 or t.size == 0 or t.size != T.size:
            raise ValueError(
                "a temperature program needs matching, non-empty lists of times and temperatures"
            )
        if t[0] != 0.0:
            raise FieldError("times", t[0], "expected the first point at time 0", "s", index=0)
        for i in np.nonzero(~np.isfinite(t) | (np.diff(t, prepend=-np.inf) <= 0))[0][:1]:
            raise FieldError(
                "times", t[i], "expected strictly increasing, finite times", "s", index=int(i)
            )
        for i in np.nonzero(~(np.isfinite(T) & (T > 0)))[0][:1]:
            raise FieldError(
                "temperatures",
                T[i],
                "expected a finite temperature above absolute zero",
                "K",
                index=int(i),
            )
        object.__setattr__(self, "_t", t)
        object.__setattr__(self, "_T", T)

    @classmethod
    def constant(cls, temperature: float) -> "TemperatureProgram":
        """A constant temperature (K)."""
        return cls((0.0,), (float(temperature),), source="constant")

    @property
    def is_constant(self) -> bool:
        return bool(np.all(self._T == self._T[0]))

    @property
    def end(self) -> float:
        """Time of the last point (s)."""
        return float(self._t[-1])

    def __call__(self, time):
        """T (K) at time(s) t (s from the step start)."""
        if self._t.size == 1:
            return np.full_like(np.asarray(time, dtype=float), self._T[0])[()]
        return np.interp(time, self._t, self._T)

    def breakpoints(self, duration: float, limit: int = 500) -> tuple[float, ...]:
        """Kinks of T(t) inside (0, duration) for the solver to land on; none for dense logs
        (there the step-size control follows the data instead)."""
        inner = self._t[(self._t > 0) & (self._t < duration)]
        return tuple(inner) if inner.size <= limit else ()

    def sample(
        self, duration: float, n: int = 257, kink_limit: int = 2000
    ) -> tuple[np.ndarray, np.ndarray]:
        """Times (s) and temperatures (K) covering [0, duration], including every kink — or,
        for a dense log with more than ``kink_limit`` points, an even subset of them plus
        the hottest and coldest points (the quadratures that use this average over noise)."""
        kinks = self._t[self._t <= duration]
        if kinks.size > kink_limit:
            T = self._T[: kinks.size]
            keep = np.unique(
                np.concatenate(
                    [
                        np.linspace(0, kinks.size - 1, kink_limit).round().astype(int),
                        [int(np.argmin(T)), int(np.argmax(T))],
                    ]
                )
            )
            kinks = kinks[keep]
        t = np.union1d(np.linspace(0.0, duration, n), kinks)
        return t, np.asarray(self(t))
