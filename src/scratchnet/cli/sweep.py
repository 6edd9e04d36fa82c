"""``scratchnet sweep``: run or resume a study's grid of cells, here or on a Dask cluster."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sweep",
        help="run (or resume) a study's grid of training runs, one folder per cell",
        description="Run every cell of the study a config file describes (its 'study' key). "
        "Each cell writes cells/<key>/ atomically; running the same command again skips "
        "finished cells and reruns unfinished ones. Tables and figures are rebuilt from the "
        "cell folders at the end.",
    )
    parser.add_argument("config", help="TOML file of the study (see configs/)")
    parser.add_argument(
        "--out", help="sweep folder (default: runs/<config file name without .toml>)"
    )
    _add_where_flags(parser)
    parser.add_argument("--only", nargs="+", metavar="KEY", help="run only these cells")
    parser.add_argument(
        "--engine",
        choices=("sklearn", "scratchnet", "both"),
        default="both",
        help="run only the cells of one engine (studies that compare engines)",
    )
    parser.add_argument(
        "--retry-failed", action="store_true", help="rerun cells that failed (diverged) before"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="apply the config's [quick] table (data subsets, few epochs): the whole study "
        "in seconds, into its own --out folder",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars or lines")
    parser.set_defaults(func=run)


def _add_where_flags(parser: argparse.ArgumentParser) -> None:
    """Where the cells run: how many at once, loky or Dask, BLAS threads per cell."""
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        help="cells run at once, never more than the cells left to run; -1 for all cores; "
        "at most 4 per core with loky (default: 1 with loky, every Dask worker with dask)",
    )
    parser.add_argument(
        "--backend",
        choices=("loky", "dask"),
        default="loky",
        help="loky: processes on this machine; dask: an existing Dask cluster (--scheduler)",
    )
    parser.add_argument("--scheduler", help="address of the Dask scheduler, tcp://HOST:PORT")
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help="BLAS threads per cell, wherever it runs (default: %(default)s; the same value "
        "gives the same numbers on every backend); 0 leaves the BLAS default",
    )


def run(args: argparse.Namespace) -> int:
    import signal

    from scratchnet.studies.registry import run_sweep

    # SIGTERM ends the sweep like Ctrl-C: workers stopped, this process's cell locks released.
    signal.signal(signal.SIGTERM, _interrupt)

    out = Path(args.out) if args.out else Path("runs") / Path(args.config).stem
    n_jobs = args.n_jobs if args.n_jobs is not None else (-1 if args.backend == "dask" else 1)
    results = run_sweep(
        args.config,
        out,
        n_jobs=n_jobs,
        backend=args.backend,
        scheduler=args.scheduler,
        progress=not args.no_progress,
        only=args.only,
        retry_failed=args.retry_failed,
        quick=args.quick,
        engines=None if args.engine == "both" else [args.engine],
        blas_threads=args.blas_threads or None,
    )
    failed = sum(record["status"] == "failed" for record in results)
    print(f"{len(results)} finished cell(s), {failed} failed; results in {out}/")
    return 0


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
