"""Forward runs on dask.distributed: a local cluster by default, any running scheduler on
request. Sweeps and the forward runs inside fits go through here, so both run the same
way on a laptop and on a cluster, and give the same results either way (each run is a
pure function of its inputs; results are returned in the order of the inputs).

    with open_client() as client:                   # LocalCluster, one thread per worker
        results = run_many(client, simulate_point, points)
    with open_client("tcp://10.0.0.5:8786") as client:
        ...
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from ..errors import IonexError

__all__ = ["ClusterError", "default_workers", "open_client", "run_many"]


class ClusterError(IonexError):
    """The scheduler cannot be reached, or a run on a worker failed."""


def default_workers() -> int:
    """Workers of the default local cluster: one per core (numerics are single-threaded)."""
    return max(1, os.cpu_count() or 1)


@contextmanager
def open_client(scheduler: str | None = None, *, n_workers: int | None = None,
                timeout: float = 10.0) -> Iterator:
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
            raise ClusterError(f"cannot reach the dask scheduler at {scheduler!r} ({exc}); start one with "
                               "`dask scheduler` and workers with `dask worker ADDRESS`, or omit --scheduler "
                               "to use a local cluster") from None
        try:
            yield client
        finally:
            client.close()
        return
    workers = n_workers if n_workers is not None else default_workers()
    if workers < 1:
        raise ValueError(f"n_workers must be ≥ 1, got {workers}")
    # dashboard on a free port (None still binds 8787, which a second cluster then finds taken)
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0")
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def run_many(client, function: Callable, items: Sequence, *, progress: Callable[[int, int], None] | None = None,
             pure: bool = False) -> list:
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
