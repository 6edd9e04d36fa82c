"""Where a sweep's cells run: joblib on this machine (``loky``) or on a Dask cluster (``dask``).

:func:`run_unordered` takes a lazy iterable of ``(function, args)`` tasks and yields their
results as they finish. The iterable is consumed only as workers free up (joblib's
``pre_dispatch="n_jobs"``), so a task can be claimed at the moment it is dispatched.

``loky`` with ``n_jobs == 1`` runs the tasks one after another in this process. How many BLAS
threads a task uses is the caller's business (:func:`scratchnet.sweep.engine.execute_cell`
pins it).

Local workers are bounded twice: :func:`check` refuses more than :func:`worker_limit` (a few
per core), and :func:`workers` never asks for more than there are tasks. Each loky worker
watches the process that started it and exits within :data:`PARENT_POLL_SECONDS` of its
death (a ``kill -9`` of the sweep), instead of idling until loky's timeout.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from scratchnet.errors import ConfigError

BACKENDS = ("loky", "dask")

Task = tuple[Callable[..., Any], tuple]

#: Local worker processes allowed per core (cells are CPU-bound: more only costs memory).
WORKERS_PER_CORE = 4
#: How often a loky worker checks that the sweep that started it is still alive.
PARENT_POLL_SECONDS = 0.2


def worker_limit() -> int:
    """The most local worker processes a sweep may start: a few per core."""
    return WORKERS_PER_CORE * (os.cpu_count() or 1)


def check(backend: str, n_jobs: int, scheduler: Any) -> None:
    """Raise ConfigError for an unknown backend, a bad ``n_jobs`` or a missing scheduler."""
    if backend not in BACKENDS:
        raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if not isinstance(n_jobs, int) or isinstance(n_jobs, bool) or n_jobs == 0 or n_jobs < -1:
        raise ConfigError(f"n_jobs must be a positive integer or -1 (all cores), got {n_jobs!r}")
    if backend == "loky" and n_jobs > worker_limit():
        raise ConfigError(
            f"n_jobs (--n-jobs) {n_jobs} is over the limit of {worker_limit()} local worker "
            f"processes ({WORKERS_PER_CORE} per core, {os.cpu_count() or 1} core(s)); "
            f"use -1 for one per core"
        )
    if backend == "dask" and scheduler is None:
        raise ConfigError(
            "backend 'dask' needs the address of a running Dask scheduler "
            "(--scheduler tcp://HOST:8786)"
        )
    if backend == "loky" and scheduler is not None:
        raise ConfigError("--scheduler is only used with --backend dask")


def workers(backend: str, n_jobs: int, n_tasks: int) -> int:
    """The ``n_jobs`` to run ``n_tasks`` with: never more workers than tasks.

    ``-1`` becomes one worker per core with ``loky``; with ``dask`` it stays ``-1`` (every
    worker thread of the cluster) unless there are fewer tasks than cores here.
    """
    if n_jobs == -1 and backend == "loky":
        n_jobs = os.cpu_count() or 1
    if n_jobs == -1:
        return -1
    return max(1, min(n_jobs, n_tasks))


def in_process(backend: str, n_jobs: int) -> bool:
    """True when the tasks run in this process (so they can draw progress bars here)."""
    return backend == "loky" and (n_jobs == 1 or (n_jobs == -1 and (os.cpu_count() or 1) == 1))


def exit_with_parent(parent: int, interval: float = PARENT_POLL_SECONDS) -> None:
    """Start a thread that ends this process as soon as ``parent`` is no longer its parent.

    The initializer of every loky worker: when the sweep that started the workers dies
    without shutting them down (SIGKILL, OOM killer), the workers are re-parented and exit
    within ``interval`` seconds; their results would go nowhere.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(70)  # no cleanup to run: the sweep that owns our results is gone

    threading.Thread(target=watch, name="scratchnet-parent-watch", daemon=True).start()


def run_unordered(
    tasks: Iterable[Task], *, backend: str = "loky", n_jobs: int = 1, scheduler: Any = None
) -> Iterator[Any]:
    """Run ``function(*args)`` for every task, yielding results in order of completion.

    Parameters
    ----------
    tasks : iterable of (callable, tuple)
        Consumed lazily, one task per free worker.
    backend : {"loky", "dask"}
    n_jobs : int
        Workers (``-1``: all cores; with ``dask``, all the cluster's worker threads; else the
        number of tasks in flight at once).
    scheduler : str or distributed.Client, optional
        The Dask scheduler's address (``tcp://host:port``) or a connected client.
    """
    from joblib import Parallel, delayed, parallel_config

    check(backend, n_jobs, scheduler)
    calls = (delayed(function)(*args) for function, args in tasks)
    with contextlib.ExitStack() as stack:
        if backend == "dask":
            stack.enter_context(_dask_client(scheduler))
            stack.enter_context(parallel_config(backend="dask"))
        else:
            stack.enter_context(
                parallel_config(
                    backend="loky", initializer=exit_with_parent, initargs=(os.getpid(),)
                )
            )
        parallel = Parallel(
            n_jobs=n_jobs,
            return_as="generator_unordered",
            pre_dispatch="n_jobs",
            batch_size=1,
        )
        yield from parallel(calls)


@contextlib.contextmanager
def _dask_client(scheduler: Any) -> Iterator[Any]:
    """A ``distributed.Client`` connected to ``scheduler`` (closed afterwards if we opened it)."""
    try:
        from distributed import Client
    except ImportError:
        raise ConfigError(
            "backend 'dask' needs dask.distributed: pip install 'scratchnet[dask]'"
        ) from None
    if isinstance(scheduler, Client):
        yield scheduler
        return
    try:
        client = Client(scheduler, timeout="20s", set_as_default=True)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigError(f"cannot connect to the Dask scheduler at {scheduler!r}: {exc}") from None
    with client:
        yield client
