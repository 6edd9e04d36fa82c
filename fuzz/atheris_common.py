"""What the atheris harnesses share: a seed corpus folder and the libFuzzer entry point.

Each harness gives a function that writes its seed files into a folder and a
``one_input(data)`` that must end in a documented error or a result; any other exception is a
finding. Run a harness by hand (it takes libFuzzer's options), or all of them through
``scripts/fuzz --long``::

    python fuzz/atheris_model_files.py -max_total_time=60 -rss_limit_mb=2048
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path


def run(one_input: Callable[[bytes], None], write_seeds: Callable[[Path], None]) -> None:
    """Start libFuzzer on ``one_input``, its corpus seeded by ``write_seeds`` unless given."""
    import atheris

    args = list(sys.argv)
    if not any(not a.startswith("-") for a in args[1:]):  # no corpus folder named
        corpus = Path(tempfile.mkdtemp(prefix="atheris-corpus-"))
        write_seeds(corpus)
        args.append(str(corpus))
    atheris.Setup(args, one_input)
    atheris.Fuzz()


def scratch_file(suffix: str) -> Path:
    """A file path, reused for every input of this process."""
    return Path(tempfile.mkdtemp(prefix="atheris-")) / f"input{suffix}"
