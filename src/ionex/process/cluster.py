"""Forward runs on dask.distributed: a local cluster by default, any running scheduler on
request. Sweeps and the forward runs inside fits go through here, so both run the same
way on a laptop and on a cluster, and give the same results either way (each run is a
pure function of its inputs; results are returned in the order of the inputs).

    with open_client() as client:                   # LocalCluster, one thread per worker
        results = run_many(client, simulate_point, points)
    with open_client("tcp://10.0.0.5:8786") as client:
        ...
    with AutoCluster() as chooser:                  # serial until a local cluster pays
        fit(parameters, datasets, client=chooser)
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from ..errors import IonexError

__all__ = [
    "ClusterError",
    "AutoCluster",
    "LOCAL_START_S",
    "DISPATCH_PER_RUN_S",
    "default_workers",
    "open_client",
    "run_many",
]

# What a local cluster costs, measured by benchmarks/fit_cluster.py on the 2-core development
# machine (benchmarks/README.md, "fit_cluster.py"): S, starting a LocalCluster of 2 workers,
# the first task on each (importing ionex, loading the compiled kernels) and closing it
# again; δ, each forward run of a batch on the warm cluster beyond the run itself
# (sending the task, its result, and the scheduler's share of the two cores).
LOCAL_START_S = 2.2
DISPATCH_PER_RUN_S = 0.006


class ClusterError(IonexError):
    """The scheduler cannot be reached, or a run on a worker failed."""


def default_workers() -> int:
    """Workers of the default local cluster: one per core (numerics are single-threaded)."""
    return max(1, os.cpu_count() or 1)


@contextmanager
def open_client(
    scheduler: str | None = None, *, n_workers: int | None = None, timeout: float = 10.0
) -> Iterator:
    """A dask.distributed Client for the duration of the block.

    Args:
        scheduler: address of a running scheduler ("tcp://host:8786"); None starts a
            LocalCluster of ``n_workers`` processes with one thread each, no dashboard.
        n_workers: workers of the local cluster (default: one per core).
        timeout: seconds to wait for a remote scheduler.
    Raises:
        ClusterError naming the address when the scheduler cannot be reached.
    """
    from dask.distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=f"{timeout}s")
        except (OSError, TimeoutError) as exc:
            raise ClusterError(
                f"cannot reach the dask scheduler at {scheduler!r} ({exc}); start one with "
                "`dask scheduler` and workers with `dask worker ADDRESS`, or omit --scheduler "
                "to use a local cluster"
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    workers = n_workers if n_workers is not None else default_workers()
    if workers < 1:
        raise ValueError(f"n_workers must be ≥ 1, got {workers}")
    # dashboard on a free port (None still binds 8787, which a second cluster then finds taken).
    # dask starts its workers with MALLOC_TRIM_THRESHOLD_=65536, which makes glibc hand freed
    # memory back to the system at once (and stops it adapting its mmap threshold): a
    # forward run, which allocates and frees many arrays of tens of kB, then ran 3.2× slower
    # on a worker than in this process (1.65 s against 0.51 s on a 5600-cell mesh, and
    # 0.51 s on a worker without it; benchmarks/fit_cluster.py). Our workers run short
    # simulations and keep little memory: they start with glibc's defaults (a value the
    # user set in the environment still wins, as dask has it). And without the statistical
    # profiler, which samples the running task every 10 ms for the dashboard: it made the
    # same run 1.2× slower (0.58 s against 0.49 s in this process).
    import dask

    with dask.config.set(
        {
            "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
            "distributed.worker.profile.enabled": False,
        }
    ):
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def run_many(
    client,
    function: Callable,
    items: Sequence,
    *,
    progress: Callable[[int, int], None] | None = None,
    pure: bool = False,
) -> list:
    """``[function(item) for item in items]`` on the cluster's workers, in input order.

    Args:
        client: a dask.distributed Client (open_client).
        function: a picklable module-level function of one argument.
        items: the arguments (picklable).
        progress: called as progress(done, total) as runs finish.
        pure: let dask reuse results of identical calls (off: a rerun is a rerun).
    Raises:
        ClusterError: a run raised; the message names the item's index and the error
            (the original exception is chained).
    """
    from dask.distributed import as_completed

    items = list(items)
    if not items:
        return []
    futures = client.map(function, items, pure=pure)
    index = {f.key: i for i, f in enumerate(futures)}
    out: list = [None] * len(items)
    done = 0
    try:
        for future in as_completed(futures):
            i = index[future.key]
            try:
                out[i] = future.result()
            except Exception as exc:
                raise ClusterError(f"run {i + 1} of {len(items)} failed: {exc}") from exc
            done += 1
            if progress is not None:
                progress(done, len(items))
    finally:
        for f in futures:
            f.release()
    return out


class AutoCluster:
    """Serial forward runs until a local cluster pays for itself, then the cluster.

    A batch of n forward runs of t seconds each (a Jacobian: two per parameter) takes n·t
    in this process and ⌈n/W⌉·t + n·δ on W warm workers, so the cluster saves
    s = (n − ⌈n/W⌉)·t − n·δ per batch — but costs S once to start (and stop). How many
    batches a fit will need is not known in advance, so the choice is made as for renting
    against buying: batches run serially while the savings forgone so far, with this
    batch's, stay below S; the batch that would reach S opens the cluster, and every later
    batch runs there. Whatever the number of batches (alike), the time lost against the
    better of the two choices made in hindsight is at most S (measured: 2.3 s with S =
    2.2–2.8 s, benchmarks/README.md).
    A fit too small to pay never starts a cluster; one whose single Jacobian saves more
    than S starts it at the first. Single runs (residuals, model curves) always run in
    this process: a cluster cannot share them out.

    Use as a context manager (the cluster, if opened, is closed on exit) and pass it as
    the ``client`` of ionex.process.fitting.fit; it times the serial runs itself.

    Args:
        n_workers: workers of the local cluster (default: one per core).
        start_cost: S (s).  dispatch_cost: δ (s per run).  Defaults: LOCAL_START_S,
            DISPATCH_PER_RUN_S.
        opener: called as opener(n_workers=W) for a context manager yielding a Client
            (default open_client; tests substitute their own).
    """

    def __init__(
        self,
        n_workers: int | None = None,
        *,
        start_cost: float = LOCAL_START_S,
        dispatch_cost: float = DISPATCH_PER_RUN_S,
        opener: Callable | None = None,
    ):
        self.workers = n_workers if n_workers is not None else default_workers()
        if self.workers < 1:
            raise ValueError(f"n_workers must be ≥ 1, got {self.workers}")
        self.start_cost = float(start_cost)
        self.dispatch_cost = float(dispatch_cost)
        self._opener = opener if opener is not None else open_client
        self._context = None
        self.client = None
        self.forgone = 0.0  # s the cluster would have saved on the batches run serially
        self.serial_batches = 0
        self.opened_at: int | None = None  # the batch (1-based) that opened the cluster
        self.largest = (0, math.nan, 0.0)  # (runs, run time, saving) of the largest batch seen

    def saving(self, runs: int, run_time: float) -> float:
        """s = (n − ⌈n/W⌉)·t − n·δ: what the cluster saves on a batch of ``runs`` runs (s)."""
        return (runs - math.ceil(runs / self.workers)) * run_time - runs * self.dispatch_cost

    def use_cluster(self, runs: int, run_time: float) -> bool:
        """Whether the next batch of ``runs`` runs of ``run_time`` s each goes to the
        cluster; opens it when this batch makes it pay."""
        if runs < 2:
            return False
        s = self.saving(runs, run_time)
        if runs >= self.largest[0]:
            self.largest = (runs, run_time, s)
        if self.client is not None:
            return True
        if s <= 0.0 or self.forgone + s < self.start_cost:
            self.forgone += max(s, 0.0)
            self.serial_batches += 1
            return False
        self._context = self._opener(n_workers=self.workers)
        self.client = self._context.__enter__()
        self.opened_at = self.serial_batches + 1
        return True

    def describe(self) -> str:
        """Which was chosen and why, in words (for the fit's report)."""
        runs, t, s = self.largest
        if self.client is not None:
            return (
                f"a local dask cluster of {self.workers} workers from Jacobian batch {self.opened_at} on, chosen "
                f"automatically: a forward run takes {t * 1e3:.3g} ms, so a batch of {runs} runs saves "
                f"{s:.2g} s on {self.workers} workers, and by batch {self.opened_at} the savings reached the "
                f"cluster's start costs ({self.start_cost:.2g} s); single runs stay in this process"
            )
        if self.workers < 2:
            return "serial in this process, chosen automatically: one core, so a cluster runs nothing in parallel"
        if runs < 2:
            return "serial in this process, chosen automatically: no batch of several forward runs to share out"
        return (
            f"serial in this process, chosen automatically: a forward run takes {t * 1e3:.3g} ms, so a local "
            f"cluster of {self.workers} workers would save {max(s, 0.0):.2g} s per batch of {runs} runs, "
            f"{self.forgone:.2g} s in all, less than its start costs ({self.start_cost:.2g} s)"
        )

    def close(self) -> None:
        if self._context is not None:
            context, self._context, self.client = self._context, None, None
            context.__exit__(None, None, None)

    def __enter__(self) -> AutoCluster:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
