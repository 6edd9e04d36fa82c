"""``scratchnet report DIR``: rebuild the report of a run folder without training."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="rebuild report.html and report.md from a reproduction's or a sweep's folder",
        description="Rebuild the report from the files of a run folder (scratchnet reproduce) "
        "or of one sweep's folder (scratchnet sweep); nothing is trained.",
    )
    parser.add_argument(
        "run_dir", help="a folder written by 'scratchnet reproduce' or 'scratchnet sweep'"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from scratchnet.report.build import write_report
    from scratchnet.studies.views import complete_views

    complete_views(args.run_dir)  # folders written before studies declared their views
    html_path, md_path = write_report(args.run_dir)
    print(f"wrote {html_path} and {md_path}")
    return 0
