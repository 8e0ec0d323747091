"""Tasks on ``dask.distributed``, written once for the dataset builder and batch processing.

:func:`connect` starts a ``LocalCluster`` of single-threaded worker processes, or joins a running scheduler given by
address (``tcp://host:8786``) within :data:`CONNECT_TIMEOUT` seconds; :func:`map_unordered` runs one task per item
there and yields each result as soon as its task finishes (so the caller writes it at once, and Ctrl-C, a killed
process or a lost worker loses only the tasks in flight). Dask is imported only when it is used.
"""

from __future__ import annotations

import logging
import os
import warnings
from typing import Callable, Iterator, Optional

from .errors import InputError

__all__ = ["CONNECT_TIMEOUT", "connect", "map_unordered"]

#: Seconds to wait for a scheduler given by address before saying it cannot be reached.
CONNECT_TIMEOUT = 5


def connect(workers: Optional[int] = None, scheduler: Optional[str] = None):
    """A dask ``Client`` and the ``LocalCluster`` it owns (None when joining the scheduler at ``scheduler``).

    ``workers``: local worker processes (default: one per core). Raises :class:`InputError` when the scheduler cannot
    be reached.
    """
    from dask.distributed import Client, LocalCluster

    # Dask's own INFO lines (cluster start, comms closing) would interleave with the progress bar; errors still show
    # (glassfail -v lowers the root level, not this one: use DASK_LOGGING__DISTRIBUTED=info to see them).
    logging.getLogger("distributed").setLevel(max(logging.getLogger("distributed").level, logging.WARNING))
    if scheduler is not None:
        try:
            return Client(scheduler, timeout=CONNECT_TIMEOUT), None
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler} within {CONNECT_TIMEOUT} s "
                             f"({type(exc).__name__})") from None
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(var, "1")  # one thread per worker process: the workers are the parallelism
    n = workers or os.cpu_count() or 1
    with warnings.catch_warnings():  # no dashboard; its HTTP server takes another port when 8787 is in use
        warnings.filterwarnings("ignore", message=r"Port \d+ is already in use")
        # silence_logs: on a stop, the workers' own warnings (cancelled tasks, a nanny killing its worker) would
        # come after the command's one line
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR)
    return Client(cluster), cluster


def map_unordered(func: Callable, *iterables, workers: Optional[int] = None,
                  scheduler: Optional[str] = None) -> Iterator:
    """``func(*args)`` for each tuple of ``zip(*iterables)`` on Dask workers, yielded in the order they finish.

    Closing the generator (or an error) cancels the tasks still pending and closes the connection (and the local
    cluster it started). Each future is released once its result is taken, so the workers do not keep finished
    results in memory over a long map.
    """
    from dask.distributed import as_completed

    client, cluster = connect(workers, scheduler)
    pending = set()
    try:
        futures = client.map(func, *iterables, pure=False)
        pending = set(futures)
        done = as_completed(futures)
        del futures
        for fut in done:
            pending.discard(fut)
            result = fut.result()
            fut.release()
            del fut
            yield result
    finally:
        if pending:
            client.cancel(list(pending))
        client.close()
        if cluster is not None:
            cluster.close()
