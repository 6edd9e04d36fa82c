"""Read and write IDX files (the MNIST container format), plain or gzip-compressed.

An IDX file is a 4-byte magic number ``00 00 TT DD`` (``TT`` the type code, ``DD`` the number
of dimensions), ``DD`` big-endian uint32 dimension sizes, then the values in C order, big-endian.
The reader is strict: every deviation raises :class:`~scratchnet.errors.IDXFormatError` naming
the file and the fault, and the payload size is checked against a limit before anything is
allocated.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from scratchnet.errors import IDXFormatError
from scratchnet.fileio import atomic_open

#: IDX type code -> big-endian NumPy dtype.
TYPE_CODES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

#: Refuse payloads larger than this unless the caller raises the limit (2 GiB).
DEFAULT_MAX_BYTES = 2**31

_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20


def read_idx(
    path: str | os.PathLike[str],
    *,
    ndim: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> np.ndarray:
    """Read one IDX file (plain, or gzip when it starts with the gzip magic bytes).

    Parameters
    ----------
    path : path-like
        The file; ``.gz`` files and plain files are told apart by content, not by name.
    ndim : int, optional
        The number of dimensions the caller expects (3 for images, 1 for labels).
    max_bytes : int
        Largest payload accepted; larger declared dimensions are refused before allocating.

    Returns
    -------
    ndarray of shape given by the header
        Values in native byte order (uint8 for MNIST images and labels).

    Raises
    ------
    IDXFormatError
        On any deviation from the format; the message names the file.
    """
    path = Path(path)
    with open(path, "rb") as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        if not compressed:
            return _read_stream(raw, path, ndim, max_bytes, os.fstat(raw.fileno()).st_size)
        try:
            with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                return _read_stream(stream, path, ndim, max_bytes, None)
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise IDXFormatError(f"{path}: damaged gzip stream ({exc})") from exc


def write_idx(
    path: str | os.PathLike[str], array: np.ndarray, *, compress: bool | None = None
) -> Path:
    """Write ``array`` as an IDX file, atomically; gzip when ``compress`` (default: ``.gz`` name).

    Parameters
    ----------
    path : path-like
        Destination.
    array : ndarray of any shape with 1 to 255 dimensions
        dtype one of uint8, int8, int16, int32, float32, float64.
    compress : bool, optional
        Gzip the file; by default, when the name ends in ``.gz``.

    Returns
    -------
    Path
        The written file.
    """
    path = Path(path)
    array = np.asarray(array)
    code = _type_code(array.dtype, path)
    if not 1 <= array.ndim <= 255:
        raise IDXFormatError(f"{path}: IDX holds 1 to 255 dimensions, got {array.ndim}")
    if any(size >= 2**32 for size in array.shape):
        raise IDXFormatError(f"{path}: dimension sizes must fit in uint32, got {array.shape}")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = np.ascontiguousarray(array, dtype=TYPE_CODES[code])
    if compress is None:
        compress = path.suffix == ".gz"
    with atomic_open(path, "wb") as handle:
        if compress:
            with gzip.GzipFile(
                filename="", mode="wb", fileobj=handle, mtime=0, compresslevel=6
            ) as stream:
                stream.write(header)
                stream.write(_bytes_view(payload))
        else:
            handle.write(header)
            handle.write(_bytes_view(payload))
    return path


def read_idx_pair(
    images_path: str | os.PathLike[str],
    labels_path: str | os.PathLike[str],
    *,
    n_classes: int,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> tuple[np.ndarray, np.ndarray]:
    """Read an images file (3-D) and its labels file (1-D) and check they belong together.

    Returns
    -------
    images : ndarray of shape (n, rows, cols)
    labels : ndarray of shape (n,)
        Every label in ``0 .. n_classes - 1``.
    """
    images = read_idx(images_path, ndim=3, max_bytes=max_bytes)
    labels = read_idx(labels_path, ndim=1, max_bytes=max_bytes)
    if len(images) != len(labels):
        raise IDXFormatError(
            f"{images_path} holds {len(images)} images but {labels_path} holds "
            f"{len(labels)} labels; they must be equal"
        )
    check_labels(labels, n_classes, labels_path)
    return images, labels


def check_labels(labels: np.ndarray, n_classes: int, where: object) -> None:
    """Raise :class:`IDXFormatError` unless every label is an integer in ``0 .. n_classes - 1``."""
    if labels.dtype.kind not in "iu":
        raise IDXFormatError(f"{where}: labels must be integers, got dtype {labels.dtype}")
    bad = np.flatnonzero((labels < 0) | (labels >= n_classes))
    if bad.size:
        raise IDXFormatError(
            f"{where}: label {labels[bad[0]]} at index {bad[0]} is outside the class range "
            f"0..{n_classes - 1} ({bad.size} labels out of range)"
        )


def _read_stream(
    stream: BinaryIO, path: Path, ndim: int | None, max_bytes: int, file_size: int | None
) -> np.ndarray:
    """Parse header and payload from ``stream``; ``file_size`` is known for plain files."""
    magic = _read_exactly(stream, 4, path, "magic number")
    if magic[0] != 0 or magic[1] != 0:
        raise IDXFormatError(
            f"{path}: bad magic bytes {magic[:2].hex()}, an IDX file starts with 0000"
        )
    code, dims = magic[2], magic[3]
    if code not in TYPE_CODES:
        known = ", ".join(f"0x{c:02X}" for c in TYPE_CODES)
        raise IDXFormatError(f"{path}: unknown IDX type code 0x{code:02X}; known: {known}")
    if dims == 0 or (ndim is not None and dims != ndim):
        expected = f"{ndim}" if ndim is not None else "at least 1"
        raise IDXFormatError(f"{path}: header declares {dims} dimensions, expected {expected}")
    shape = tuple(
        int(v) for v in np.frombuffer(_read_exactly(stream, 4 * dims, path, "dimensions"), ">u4")
    )
    dtype = TYPE_CODES[code]
    n_bytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if n_bytes > max_bytes:
        raise IDXFormatError(
            f"{path}: dimensions {shape} need {n_bytes} bytes, more than the limit of "
            f"{max_bytes} bytes; refusing to allocate"
        )
    header_size = 4 + 4 * dims
    if file_size is not None and file_size != header_size + n_bytes:
        raise IDXFormatError(
            f"{path}: file is {file_size} bytes but its header {shape} of {dtype.name} needs "
            f"exactly {header_size + n_bytes} bytes "
            f"({_diff_words(file_size - header_size - n_bytes)})"
        )
    array = np.empty(shape, dtype=dtype)
    _fill(stream, _bytes_view(array), path, n_bytes)
    if stream.read(1):
        raise IDXFormatError(
            f"{path}: payload is longer than the {n_bytes} bytes its header {shape} declares"
        )
    if not dtype.isnative:
        array = array.byteswap(inplace=True).view(dtype.newbyteorder())
    return array


def _bytes_view(array: np.ndarray) -> np.ndarray:
    """The bytes of a C-contiguous array as a flat uint8 view (works for empty arrays too)."""
    return array.reshape(-1).view(np.uint8)


def _fill(stream: BinaryIO, buffer: np.ndarray, path: Path, n_bytes: int) -> None:
    """Read exactly ``n_bytes`` into ``buffer`` chunk by chunk."""
    filled = 0
    while filled < n_bytes:
        got = stream.readinto(buffer[filled : filled + _CHUNK])
        if not got:
            raise IDXFormatError(
                f"{path}: payload is {n_bytes - filled} bytes short of the {n_bytes} bytes "
                "its header declares"
            )
        filled += got


def _read_exactly(stream: BinaryIO, n: int, path: Path, what: str) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise IDXFormatError(
            f"{path}: header too short: {what} needs {n} bytes, only {len(data)} present"
        )
    return data


def _diff_words(diff: int) -> str:
    return f"{-diff} bytes too short" if diff < 0 else f"{diff} bytes too long"


def _type_code(dtype: np.dtype, path: Path) -> int:
    for code, idx_dtype in TYPE_CODES.items():
        if dtype.kind == idx_dtype.kind and dtype.itemsize == idx_dtype.itemsize:
            return code
    names = ", ".join(d.newbyteorder("=").name for d in TYPE_CODES.values())
    raise IDXFormatError(f"{path}: dtype {dtype} cannot be stored in IDX; use one of {names}")
