"""The Dask client: a local cluster by default, an existing scheduler on request.

The local cluster runs one single-threaded worker process per core: a replay is
numpy and numba in a Python loop, which holds the GIL, so threads would not overlap.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from tradesim.errors import TradesimError


def require_dask() -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise TradesimError("sweeps run on Dask: pip install 'tradesim[sweep]' (dask[distributed])") from None


@contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator["distributed.Client"]:  # noqa: F821
    """A client on ``scheduler`` (tcp://host:port), else on a new local cluster of ``workers`` processes."""
    require_dask()
    from distributed import Client, LocalCluster

    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise TradesimError(f"--scheduler {scheduler}: no Dask scheduler answers there ({exc})") from None
    else:
        # Dask's own start-up chatter (and the dashboard, which needs bokeh) is not the user's
        # business: the local scheduler logs in this process, its workers in theirs.
        logging.getLogger("distributed").setLevel(logging.ERROR)
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def worker_count(client) -> int:  # noqa: ANN001
    return len(client.scheduler_info(n_workers=-1)["workers"])
