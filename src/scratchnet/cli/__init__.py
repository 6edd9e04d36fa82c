"""The ``scratchnet`` command: one sub-command per module in this package.

Each sub-command module exposes ``register(subparsers)``, which adds its parser and sets
``func`` (a callable taking the parsed namespace and returning an exit status). Heavy imports
stay inside those functions so that ``scratchnet --help`` is instant.

This module is the command's one error boundary: errors a user or the machine can cause (any
:class:`~scratchnet.errors.ScratchnetError`, any :class:`OSError` such as a missing file, a
full disk or an over-long path, and :class:`MemoryError`) print one line naming the file,
option or value, and exit with status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from scratchnet.errors import ScratchnetError

#: Sub-command modules, in the order ``--help`` lists them.
COMMAND_MODULES = (
    "train",
    "evaluate",
    "export",
    "data",
    "explain",
    "sweep",
    "reproduce",
    "report",
)

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse with exit status 2 and a one-line message for every usage error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {' '.join(message.split())}\n")


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with every available sub-command registered."""
    parser = _Parser(
        prog="scratchnet",
        description="Neural networks from scratch on NumPy: train, sweep, explain, reproduce.",
    )
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"scratchnet.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"scratchnet.cli.{name}":
                raise
            continue  # a sub-command not built yet
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # output piped into head and friends
        sys.stderr.close()
        return 0
    except (ScratchnetError, OSError, MemoryError) as exc:
        if args.debug:
            raise
        print(f"scratchnet {args.command}: error: {one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("scratchnet: interrupted", file=sys.stderr)
        return 130


def one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line; an OSError names its path(s) and its cause."""
    if isinstance(exc, MemoryError):
        text = f"out of memory: {exc}" if str(exc) else "out of memory"
    elif isinstance(exc, OSError) and not isinstance(exc, ScratchnetError) and exc.filename:
        paths = f"{exc.filename}" + (f" -> {exc.filename2}" if exc.filename2 else "")
        text = f"{paths}: {exc.strerror or exc}"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("scratchnet")
    except PackageNotFoundError:
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
