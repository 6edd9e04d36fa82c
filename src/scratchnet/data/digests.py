"""Fingerprints of decoded arrays and files, and the check of a dataset against its pins.

A dataset is pinned by the SHA-256 of each decoded array's bytes in C order together with its
shape and dtype, so any source that yields the same pixels is accepted and any other refused.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from scratchnet.errors import DataError

_CHUNK = 1 << 20


@dataclass(frozen=True)
class ArrayDigest:
    """Shape, dtype name and SHA-256 (hex) of an array's C-order bytes."""

    shape: tuple[int, ...]
    dtype: str
    sha256: str

    def describe(self) -> str:
        """Short text such as ``uint8 (10000, 28, 28) sha256 1a2b3c4d...``."""
        return f"{self.dtype} {self.shape} sha256 {self.sha256[:12]}..."


def array_digest(array: np.ndarray) -> ArrayDigest:
    """The :class:`ArrayDigest` of ``array`` (hashed without copying when C-contiguous)."""
    contiguous = np.ascontiguousarray(array)
    digest = hashlib.sha256(contiguous.reshape(-1).view(np.uint8)).hexdigest()
    return ArrayDigest(tuple(int(n) for n in array.shape), array.dtype.name, digest)


def verify_arrays(
    arrays: Mapping[str, np.ndarray], pins: Mapping[str, ArrayDigest], origin: str = ""
) -> None:
    """Raise :class:`DataError` unless every pinned array is present and matches its pin.

    Parameters
    ----------
    arrays : mapping of role name (``"X_train"``...) to ndarray
    pins : mapping of role name to the expected :class:`ArrayDigest`
    origin : str, optional
        Where the arrays came from, to start the message with.
    """
    prefix = f"{origin}: " if origin else ""
    for role, pin in pins.items():
        if role not in arrays:
            raise DataError(f"{prefix}array {role!r} is missing")
        got = array_digest(arrays[role])
        if got != pin:
            raise DataError(
                f"{prefix}{role} does not match its pinned digest: got {got.describe()}, "
                f"expected {pin.describe()}"
            )


def file_digest(path: str | os.PathLike[str], algorithm: str = "sha256") -> str:
    """Hex digest of a file's bytes, read in chunks."""
    digest = hashlib.new(algorithm, usedforsecurity=False)
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
