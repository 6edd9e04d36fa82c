"""``scratchnet reproduce``: run every study of the original and write the report."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "reproduce",
        help="run Sections A, B and C of the study and write report.html / report.md",
        description="Run every study (configs/*.toml) into one folder, resuming whatever is "
        "finished there, then write the report. --quick runs the same pipeline on subsets with "
        "few epochs (a few minutes).",
    )
    parser.add_argument("--out", default="runs/reproduce", help="run folder (%(default)s)")
    parser.add_argument("--quick", action="store_true", help="subsets and few epochs")
    parser.add_argument(
        "--engine",
        choices=("sklearn", "scratchnet", "both"),
        default="both",
        help="engines for the Fashion-MNIST studies (default: both)",
    )
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=1,
        help="cells run at once (-1: all cores; at most 4 per core with loky)",
    )
    parser.add_argument("--backend", choices=("loky", "dask"), default="loky")
    parser.add_argument("--scheduler", help="Dask scheduler address, tcp://HOST:PORT")
    parser.add_argument("--configs", help="folder of the study configs (default: configs/)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from scratchnet.studies.reproduce import ENGINES, reproduce

    engines = ENGINES if args.engine == "both" else (args.engine,)
    reproduce(
        args.out,
        quick=args.quick,
        engines=engines,
        n_jobs=args.n_jobs,
        backend=args.backend,
        scheduler=args.scheduler,
        configs=args.configs,
        progress=not args.no_progress,
        echo=print,
    )
    return 0
