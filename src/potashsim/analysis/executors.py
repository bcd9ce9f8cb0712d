"""Where replications run: in this process, in a local process pool, or on a Dask cluster.

Every task is a pure function of its arguments, so the results are the same wherever they run;
only the wall time changes. :func:`run_tasks` returns them in task order; :func:`iter_tasks`
hands each over as it finishes, with its index, for callers that aggregate as they go.

Bounded in every direction: never more local processes than CPUs, a scheduler address is checked
before anything starts, an unreachable scheduler fails after :data:`CONNECT_TIMEOUT_S`, and a
cluster without a single worker for :data:`NO_WORKERS_TIMEOUT_S` fails rather than waits forever.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import CancelledError
from typing import Any, TypeVar

from potashsim.errors import SchedulerError, SimulationError

__all__ = [
    "CONNECT_TIMEOUT_S",
    "NO_WORKERS_TIMEOUT_S",
    "check_scheduler_address",
    "iter_tasks",
    "max_workers",
    "run_tasks",
]

T = TypeVar("T")
R = TypeVar("R")

#: Seconds to wait for a Dask scheduler to answer: a scheduler on the network answers in well under
#: a second, so a few seconds tell a wrong address from a slow one without a long wait.
CONNECT_TIMEOUT_S = 5.0

#: Seconds a Dask cluster may have no worker at all before the run fails. Long enough for a
#: nanny to restart a killed worker (a second or two), short enough that a lost cluster is
#: reported rather than waited on forever.
NO_WORKERS_TIMEOUT_S = 20.0

# How often (seconds) to look at the cluster while waiting for a result.
_POLL_S = 1.0

# tcp://host:port or host:port; host a name, an IPv4 address or a bracketed IPv6 address
_ADDRESS = re.compile(
    r"(?:tcp://)?(?P<host>[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]):(?P<port>[0-9]{1,5})"
)


def max_workers() -> int:
    """The most local worker processes worth starting: the machine's CPUs (more only queue)."""
    return max(1, os.cpu_count() or 1)


def check_scheduler_address(scheduler: str) -> None:
    """Check the form of a ``scheduler`` argument of :func:`run_tasks` (not that it answers).

    Raises:
        ValueError: it is neither ``local``, ``tcp://host:port`` nor ``host:port`` with a port
            from 1 to 65535; the message says which forms are accepted.
    """
    if scheduler == "local":
        return
    m = _ADDRESS.fullmatch(scheduler)
    if m is None or not 1 <= int(m["port"]) <= 65535:
        raise ValueError(
            f"{scheduler!r} is not a scheduler address: use 'local', tcp://HOST:PORT or HOST:PORT "
            "(e.g. tcp://127.0.0.1:8786)"
        )


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class _Chunk:
    """``fn`` applied to each ``(index, task)`` pair of a chunk, returning ``(index, result)``
    pairs: lets a pool hand results over as they finish while the caller still knows which
    task each answers."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn

    def __call__(self, chunk: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
        return [(i, self.fn(task)) for i, task in chunk]


def _chunks(
    tasks: Sequence[T], workers: int, group: int | Sequence[int]
) -> Iterator[list[tuple[int, T]]]:
    """The chunks a pool hands its workers, in order: whole groups of consecutive tasks (all
    of ``group`` tasks, or groups of the sizes listed), up to 4 groups a chunk while there are
    at least 8 chunks a worker. Made as the pool asks for them: a list of every task would
    grow with the replications."""
    sizes = [group] * -(-len(tasks) // group) if isinstance(group, int) else list(group)
    if not isinstance(group, int) and sum(sizes) != len(tasks):
        raise ValueError(f"groups of {sum(sizes)} tasks in all, for {len(tasks)} tasks")
    per = max(1, min(4, len(sizes) // (workers * 8)))
    start = 0
    for k in range(0, len(sizes), per):
        stop = min(len(tasks), start + sum(sizes[k : k + per]))
        yield [(i, tasks[i]) for i in range(start, stop)]
        start = stop


def _pool(
    fn: Callable[[T], R], tasks: Sequence[T], workers: int, group: int | Sequence[int] = 1
) -> Iterator[tuple[int, R]]:
    # multiprocessing.Pool rather than concurrent.futures: it can be terminated at once on
    # Ctrl-C, and its workers ignore SIGINT so that only the parent reports it
    pool = multiprocessing.get_context().Pool(workers, initializer=_ignore_sigint)
    try:
        # a chunk runs in order on one worker; unordered: a chunk's results are handed over as
        # soon as it is done, not held behind a slower one
        for done in pool.imap_unordered(_Chunk(fn), _chunks(tasks, workers, group)):
            yield from done
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.close()
        pool.join()


def _dask(
    fn: Callable[[T], R], tasks: Sequence[T], workers: int, scheduler: str
) -> Iterator[tuple[int, R]]:
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
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        except OSError as err:
            raise SchedulerError(
                f"cannot reach the Dask scheduler at {scheduler} within {CONNECT_TIMEOUT_S:g} s "
                f"({err}); check the address and that the scheduler is running"
            ) from err
    futures: list[Any] = []
    try:
        futures = list(client.map(fn, list(tasks), pure=False))
        for i in range(len(futures)):
            result = _wait(client, futures[i], scheduler)
            # let go of the future: the worker then drops the result it kept for this client,
            # so a long sweep does not pile every result up on the workers (nor recompute one
            # whose worker dies after it was delivered)
            futures[i] = None
            yield i, result
    except BaseException:
        client.cancel([f for f in futures if f is not None])
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _wait(client: Any, future: Any, scheduler: str) -> Any:
    """``future``'s result; fails when the cluster has had no worker for NO_WORKERS_TIMEOUT_S.

    Dask itself would wait for a worker forever: tasks simply stay queued.

    Raises:
        SchedulerError: no worker left, the scheduler lost, or a replication's workers kept dying.
    """
    from distributed import KilledWorker

    idle_since: float | None = None
    while True:
        try:
            return future.result(timeout=_POLL_S)
        except TimeoutError:
            pass
        except KilledWorker as err:
            raise SchedulerError(
                f"the Dask workers at {scheduler} died again and again running a replication "
                f"({err}); check their memory and logs"
            ) from err
        except CancelledError as err:
            raise SchedulerError(f"lost the Dask scheduler at {scheduler}; rerun") from err
        try:
            workers = len(client.nthreads())
        except OSError as err:
            raise SchedulerError(f"lost the Dask scheduler at {scheduler} ({err}); rerun") from err
        now = time.monotonic()
        if workers:
            idle_since = None
        elif idle_since is None:
            idle_since = now
        elif now - idle_since > NO_WORKERS_TIMEOUT_S:
            raise SchedulerError(
                f"the Dask scheduler at {scheduler} has had no worker for "
                f"{NO_WORKERS_TIMEOUT_S:g} s, so the replications cannot run; start workers and "
                "rerun"
            )


def iter_tasks(
    fn: Callable[[T], R],
    tasks: Sequence[T],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    group: int | Sequence[int] = 1,
) -> Generator[tuple[int, R], None, None]:
    """Apply ``fn`` to every task; yield ``(index of the task, result)`` as each finishes.

    The order is that in which the results arrive, which depends on the workers and the load:
    a caller that needs a deterministic answer puts them back in task order (as
    :func:`run_tasks` does). Arguments and errors as for :func:`run_tasks`. A caller that stops
    early closes the iterator (``contextlib.closing``), which stops the workers at once.
    ``group``: local worker processes take the tasks in runs of whole groups of this many (or
    of these sizes, in order), each group in order on one worker (tasks that share a
    per-process cache, such as the scenarios of one replication and their reference run).
    """
    workers = min(workers, max_workers())
    if scheduler is not None:
        check_scheduler_address(scheduler)
        results: Iterator[tuple[int, R]] = _dask(fn, tasks, workers, scheduler)
    elif workers <= 1:
        results = enumerate(map(fn, tasks))
    else:
        results = _pool(fn, tasks, workers, group)
    try:
        for done, pair in enumerate(results, start=1):
            yield pair
            if progress:
                progress(done, len(tasks))
    finally:
        # the caller stopped (an error, Ctrl-C in its own code): stop the pool now, not when
        # the garbage collector gets to it (possibly at exit, when its threads cannot answer)
        close = getattr(results, "close", None)
        if close is not None:
            close()


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
        workers: local processes (1 runs here); for ``scheduler="local"``, Dask workers; at most
            :func:`max_workers` either way (more is quietly reduced).
        scheduler: None for local processes; ``"local"`` for a Dask LocalCluster on this
            machine; or a Dask scheduler address such as ``tcp://127.0.0.1:8786``.
        progress: called with (done, total) after each result.

    Raises:
        ValueError: ``scheduler`` is not of an accepted form (:func:`check_scheduler_address`).
        SchedulerError: the scheduler cannot be reached within CONNECT_TIMEOUT_S, or the cluster
            lost every worker.
    """
    out: dict[int, R] = dict(
        iter_tasks(fn, tasks, workers=workers, scheduler=scheduler, progress=progress)
    )
    return [out[i] for i in range(len(tasks))]
