"""Coverage-guided fuzzing of the IDX reader, ``scratchnet.data.idx.read_idx``, with atheris.

Every input is written to a file and read with a 16 MiB payload limit: it must give an array
or raise ``DataError`` (``IDXFormatError``). Seeds: small images and labels, plain and gzip,
and issue 18's hostile headers (65 dimensions: a finding until the IDX reader refuses it).

    python fuzz/atheris_idx.py -max_total_time=60 -rss_limit_mb=2048
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))

import atheris_common

with atheris.instrument_imports(include=["scratchnet.data.idx", "gzip"]):
    import numpy as np

    from scratchnet.data.idx import read_idx, write_idx
    from scratchnet.errors import DataError

PATH = atheris_common.scratch_file(".idx")


def write_seeds(folder: Path) -> None:
    """Images (uint8, 3-D), labels (1-D) and a float array, plain and gzip."""
    rng = np.random.default_rng(0)
    arrays = {
        "images": rng.integers(0, 256, (3, 4, 4), dtype=np.uint8),
        "labels": np.arange(5, dtype=np.uint8),
        "floats": rng.standard_normal((2, 3)).astype(">f4"),
    }
    for name, array in arrays.items():
        write_idx(folder / f"{name}.idx", array)
        write_idx(folder / f"{name}.idx.gz", array)
    # issue 18's cases, written by hand (the writer refuses them): one zero dimension beside
    # huge ones, and more dimensions (65) than NumPy holds, with a payload of the right size
    (folder / "zero_and_huge.idx").write_bytes(
        bytes([0, 0, 8, 3]) + struct.pack(">3I", 0, 2**31, 2**31)
    )
    (folder / "65_dims.idx").write_bytes(
        bytes([0, 0, 8, 65]) + struct.pack(">65I", *[1] * 65) + b"\0"
    )


def one_input(data: bytes) -> None:
    """Read ``data`` as an IDX file: an array, or a DataError."""
    PATH.write_bytes(data)
    try:
        read_idx(PATH, max_bytes=16 << 20)
    except DataError:
        return


if __name__ == "__main__":
    atheris_common.run(one_input, write_seeds)
