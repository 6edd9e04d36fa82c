"""Where a sweep's cells run: joblib on this machine (``loky``) or on a Dask cluster (``dask``).

:func:`run_unordered` takes a lazy iterable of ``(function, args)`` tasks and yields their
results as they finish. The iterable is consumed only as workers free up (joblib's
``pre_dispatch="n_jobs"``), so a task can be claimed at the moment it is dispatched.

``loky`` with ``n_jobs == 1`` runs the tasks one after another in this process. How many BLAS
threads a task uses is the caller's business (:func:`scratchnet.experiments.sweep.execute_cell`
pins it).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from scratchnet.errors import ConfigError

BACKENDS = ("loky", "dask")

Task = tuple[Callable[..., Any], tuple]


def check(backend: str, n_jobs: int, scheduler: Any) -> None:
    """Raise ConfigError for an unknown backend, a bad ``n_jobs`` or a missing scheduler."""
    if backend not in BACKENDS:
        raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if not isinstance(n_jobs, int) or isinstance(n_jobs, bool) or n_jobs == 0 or n_jobs < -1:
        raise ConfigError(f"n_jobs must be a positive integer or -1 (all cores), got {n_jobs!r}")
    if backend == "dask" and scheduler is None:
        raise ConfigError(
            "backend 'dask' needs the address of a running Dask scheduler "
            "(--scheduler tcp://HOST:8786)"
        )
    if backend == "loky" and scheduler is not None:
        raise ConfigError("--scheduler is only used with --backend dask")


def in_process(backend: str, n_jobs: int) -> bool:
    """True when the tasks run in this process (so they can draw progress bars here)."""
    return backend == "loky" and (n_jobs == 1 or (n_jobs == -1 and (os.cpu_count() or 1) == 1))


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
