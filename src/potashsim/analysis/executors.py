"""Where replications run: in this process, in a local process pool, or on a Dask cluster.

Every task is a pure function of its arguments, so the results are the same wherever they run;
only the wall time changes. Results come back in task order.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from potashsim.errors import SimulationError

__all__ = ["run_tasks"]

T = TypeVar("T")
R = TypeVar("R")


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _pool(fn: Callable[[T], R], tasks: Sequence[T], workers: int) -> Iterator[R]:
    # multiprocessing.Pool rather than concurrent.futures: it can be terminated at once on
    # Ctrl-C, and its workers ignore SIGINT so that only the parent reports it
    pool = multiprocessing.get_context().Pool(workers, initializer=_ignore_sigint)
    try:
        chunk = max(1, min(4, len(tasks) // (workers * 8)))
        yield from pool.imap(fn, tasks, chunksize=chunk)
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.close()
        pool.join()


def _dask(fn: Callable[[T], R], tasks: Sequence[T], workers: int, scheduler: str) -> Iterator[R]:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as err:
        raise SimulationError(
            "the Dask scheduler needs the 'dist' extra: pip install 'potashsim[dist]'"
        ) from err
    cluster: Any = None
    if scheduler == "local":
        # loopback only, random ports: nothing listens beyond this machine
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        )
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout=30)
        except OSError as err:
            raise SimulationError(f"cannot reach the Dask scheduler at {scheduler}: {err}") from err
    try:
        futures = client.map(fn, list(tasks), pure=False)
        for future in futures:
            yield future.result()
    except BaseException:
        client.cancel(futures) if "futures" in locals() else None
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_tasks(
    fn: Callable[[T], R],
    tasks: Sequence[T],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[R]:
    """Apply ``fn`` to every task and return the results in task order.

    Args:
        fn: a picklable top-level function.
        tasks: its arguments, one per call.
        workers: local processes (1 runs here); for ``scheduler="local"``, Dask workers.
        scheduler: None for local processes; ``"local"`` for a Dask LocalCluster on this
            machine; or a Dask scheduler address such as ``tcp://127.0.0.1:8786``.
        progress: called with (done, total) after each result.
    """
    if scheduler is not None:
        results: Iterator[R] = _dask(fn, tasks, workers, scheduler)
    elif workers <= 1:
        results = map(fn, tasks)
    else:
        results = _pool(fn, tasks, workers)
    out: list[R] = []
    for r in results:
        out.append(r)
        if progress:
            progress(len(out), len(tasks))
    return out
