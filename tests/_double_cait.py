"""The sequential Double-CAIT of Gunawan et al. (2026) with the DOUBLE_CAIT_LI3B7O12 preset, as
the paper-feature tests and the regression bands around it run it, and the features' measures."""

from __future__ import annotations

import numpy as np

from ionex.physics.site_energy import DOUBLE_CAIT_LI3B7O12 as P
from ionex.process.experiments import CaitStep, Sample, Species, run_experiments

NM = 1e-9
BEAM = 20e-9  # A: 2.4 × the 8.5 nA conduction-limited estimate; 40 nA changes nothing


def double_cait_run(rb_second=None, zone_cell=0.5 * NM):
    """Both CAITs on the preset; ``rb_second``: Rb's law in the 2nd CAIT (default: the
    preset's, read as Table 1 with the fitted σ_Rb); ``zone_cell`` (m): 0.5 nm, on which
    the paper's features are within 1 nm and 0.01 of the 0.25 nm mesh."""
    sample = Sample(P.thickness, P.area, P.bulk_density, P.relative_permittivity, P.temperature)
    species = [
        Species("Li", 1, P.lithium(1), 1.0),
        Species("Rb", 1, P.rubidium(1), 0.0),
        Species("Cs", 1, P.caesium(), 0.0),
    ]
    steps = [
        CaitStep(
            "Rb", P.source_potential, P.aperture_distance, BEAM, charge=P.charge_first,
            name="Rb+ CAIT",
        ),
        CaitStep(
            "Cs", P.source_potential, P.aperture_distance, BEAM, charge=P.charge_second,
            name="Cs+ CAIT",
            diffusion={"Li": P.lithium(2), "Rb": rb_second or P.rubidium(2)},
        ),
    ]  # fmt: skip
    return run_experiments(sample, species, steps, zone_cell=zone_cell)


def crossing(x, y, level, start=0):
    """First depth ≥ x[start] where y drops below level (linear interpolation), m."""
    i = start + int(np.nonzero(y[start:] < level)[0][0])
    return float(x[i - 1] + (y[i - 1] - level) * (x[i] - x[i - 1]) / (y[i - 1] - y[i]))


def zone_mean(run, y, lo, hi):
    """Width-weighted mean of y over depths [lo, hi) (m)."""
    x, w = run.depth, run.cell_width
    m = (x >= lo) & (x < hi)
    return float(np.sum(y[m] * w[m]) / np.sum(w[m]))


def fronts(run, fractions):
    """(Cs front, Rb front, index of the local Rb maximum) after the 2nd CAIT: Cs at half its
    zone level; Rb where it falls to half its maximum beyond the Cs front."""
    x = run.depth
    cs, rb = fractions["Cs"], fractions["Rb"]
    cs_front = crossing(x, cs, 0.5 * zone_mean(run, cs, 0, 40 * NM))
    k0 = int(np.searchsorted(x, cs_front))
    k_max = k0 + int(np.argmax(rb[k0:]))
    return cs_front, crossing(x, rb, 0.5 * rb[k_max], k_max), k_max


def zone_composition(run):
    """(Cs, Rb, Li) after the 2nd CAIT, each the mean over 0–40 nm (the 1st CAIT's zone)."""
    e2 = run.step_ends[1]
    return tuple(zone_mean(run, e2.fractions[n], 0, 40 * NM) for n in ("Cs", "Rb", "Li"))
