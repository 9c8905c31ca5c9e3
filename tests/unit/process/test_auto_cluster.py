"""AutoCluster: a fit's forward runs stay in this process until a local cluster pays for
itself (the batches' savings forgone reach its start-up cost), then go to the cluster; the
fit's numbers are the same whichever way its runs went, and it says which was chosen."""

from __future__ import annotations

import math
from contextlib import contextmanager

import numpy as np
import pytest

from ionex.io.fit_file import FieldUnit, RecipeBuilder
from ionex.io.recipe_document import RecipeDocument
from ionex.process.cluster import DISPATCH_PER_RUN_S, LOCAL_START_S, AutoCluster
from ionex.process.fitting import FitDataset, FitParameter, ProfileData, fit, predict


class Opener:
    """Stands in for open_client: records the calls and the closing."""

    def __init__(self):
        self.calls = []
        self.closed = 0

    def __call__(self, n_workers):
        self.calls.append(n_workers)

        @contextmanager
        def client():
            yield "client"
            self.closed += 1

        return client()


def test_small_forward_runs_do_not_open_a_cluster_for_a_fit_of_a_few_jacobians():
    """The fit example: 36 ms runs, 4 per Jacobian, 7 Jacobians. On 2 workers a batch would
    save 2·36 − 4·6 = 48 ms: 0.34 s over the whole fit, far less than the 2.2 s start."""
    opener = Opener()
    auto = AutoCluster(2, opener=opener)
    for _ in range(7):
        assert not auto.use_cluster(4, 0.036)
    assert opener.calls == [] and auto.client is None
    s = auto.saving(4, 0.036)
    assert s == pytest.approx(2 * 0.036 - 4 * DISPATCH_PER_RUN_S) and auto.forgone == pytest.approx(
        7 * s
    )
    text = auto.describe()
    assert text.startswith("serial in this process, chosen automatically") and "36 ms" in text
    assert f"{LOCAL_START_S:.2g} s" in text
    # a fit that went on would open it with the batch whose savings reach the start cost
    k = math.ceil(LOCAL_START_S / s)
    assert [auto.use_cluster(4, 0.036) for _ in range(8, k + 1)] == [False] * (k - 8) + [True]
    assert auto.opened_at == k and opener.calls == [2]


def test_the_batch_whose_savings_reach_the_start_cost_opens_the_cluster():
    opener = Opener()
    with AutoCluster(2, start_cost=1.0, dispatch_cost=0.0, opener=opener) as auto:
        # each batch of 4 runs of 0.2 s saves 0.4 s: 0.4, 0.8 forgone, the third reaches 1.2 ≥ 1
        assert [auto.use_cluster(4, 0.2) for _ in range(3)] == [False, False, True]
        assert opener.calls == [2] and auto.opened_at == 3 and auto.client == "client"
        assert auto.use_cluster(4, 0.2) and opener.calls == [2]  # opened once
        assert not auto.use_cluster(1, 0.2)  # a single run stays here
        assert "from Jacobian batch 3 on" in auto.describe()
    assert opener.closed == 1 and auto.client is None


def test_a_jacobian_worth_more_than_the_start_opens_the_cluster_at_once():
    opener = Opener()
    auto = AutoCluster(2, start_cost=2.2, dispatch_cost=0.006, opener=opener)
    assert auto.use_cluster(6, 3.0) and auto.opened_at == 1
    auto.close()
    assert opener.closed == 1


def test_one_worker_never_pays():
    opener = Opener()
    auto = AutoCluster(1, start_cost=0.0, dispatch_cost=0.0, opener=opener)
    assert not auto.use_cluster(8, 100.0) and opener.calls == []
    assert "one core" in auto.describe()


RECIPE = """
[glass]
host_ion = "Na"
total_mobile = "10.9 mol/L"
[ions.K]
D = "1e-15 m^2/s"
[ions.Na]
D = "1e-14 m^2/s"
[[step]]
bath = { K = 0.9 }
temperature = "420 degC"
duration = "2 h"
[numerics]
cells_per_efold = 15
"""


@contextmanager
def threads(n_workers):
    """A dask cluster in this process (quick to start) in place of the local one."""
    from dask.distributed import Client, LocalCluster

    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        with Client(cluster) as client:
            yield client


def test_a_fit_gives_the_same_numbers_serially_and_once_the_cluster_pays():
    doc = RecipeDocument(RECIPE, "test.toml")
    paths = ("ions.K.D", "step[1].bath.K")
    builder = RecipeBuilder.of(doc, tuple((p, FieldUnit.of(doc.value(p)[1])) for p in paths))
    depth = np.linspace(0.2e-6, 6e-6, 20)
    probe = ProfileData(depth, np.zeros_like(depth), 0.01)
    clean = predict(doc.recipe(), [probe])[0].values
    data = ProfileData(
        depth, clean + 0.01 * np.random.default_rng(3).standard_normal(depth.size), 0.01
    )
    parameters = [
        FitParameter("ions.K.D", 2e-15, 1e-17, 1e-13, log=True),
        FitParameter("step[1].bath.K", 0.8, 0.3, 1.0),
    ]
    datasets = [FitDataset(data, builder)]
    serial = fit(parameters, datasets)
    assert serial.execution == "serial in this process"

    opener = Opener()
    with AutoCluster(2, opener=opener) as auto:  # the measured costs: far too small a fit
        small = fit(parameters, datasets, client=auto)
    assert opener.calls == [] and small.execution.startswith(
        "serial in this process, chosen automatically"
    )
    assert small.values == serial.values and small.stderr == serial.stderr

    counts = []
    with AutoCluster(2, start_cost=0.0, dispatch_cost=0.0, opener=threads) as auto:  # pays at once
        paid = fit(
            parameters, datasets, client=auto, progress=lambda runs, chi2: counts.append(runs)
        )
        assert auto.opened_at == 1
    assert paid.execution.startswith(
        "a local dask cluster of 2 workers from Jacobian batch 1 on, chosen automatically"
    )
    assert paid.values == serial.values and paid.stderr == serial.stderr
    assert paid.n_forward_runs == serial.n_forward_runs
    assert counts == sorted(counts) and counts[-1] == paid.n_forward_runs
