"""Read and write IDX files (the MNIST container format), plain or gzip-compressed.

An IDX file is a 4-byte magic number ``00 00 TT DD`` (``TT`` the type code, ``DD`` the number
of dimensions), ``DD`` big-endian uint32 dimension sizes, then the values in C order, big-endian.
The reader is strict: every deviation raises :class:`~scratchnet.errors.IDXFormatError` naming
the file and the fault. Memory is bounded: the declared payload size is checked against a limit
the caller can raise (``max_bytes``) before anything is allocated, and the payload is read in
chunks that grow the array only as real bytes arrive, so a small gzip file whose header
declares a huge payload costs what it really holds, not what it declares.
"""

from __future__ import annotations

import gzip
import math
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

#: Refuse payloads larger than this unless the caller raises the limit (256 MiB; MNIST's
#: largest file, the training images, holds 47 MB).
DEFAULT_MAX_BYTES = 256 * 2**20
#: Most dimensions accepted (the format allows 255; NumPy 1.x arrays hold at most 32).
MAX_DIMS = 32

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
        Largest payload accepted (default 256 MiB); larger declared sizes are refused
        before anything is allocated. Raise it to read bigger files.

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
    array : ndarray of any shape with 1 to 32 dimensions
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
    if not 1 <= array.ndim <= MAX_DIMS:
        raise IDXFormatError(
            f"{path}: scratchnet writes 1 to {MAX_DIMS} dimensions, got {array.ndim}"
        )
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
    shape, dtype = _read_header(stream, path, ndim)
    n_bytes = _checked_size(shape, dtype, path, max_bytes)
    header_size = 4 + 4 * len(shape)
    if file_size is not None and file_size != header_size + n_bytes:
        raise IDXFormatError(
            f"{path}: file is {file_size} bytes but its header {shape} of {dtype.name} needs "
            f"exactly {header_size + n_bytes} bytes "
            f"({_diff_words(file_size - header_size - n_bytes)})"
        )
    payload = _read_payload(stream, path, n_bytes)
    if stream.read(1):
        raise IDXFormatError(
            f"{path}: payload is longer than the {n_bytes} bytes its header {shape} declares"
        )
    array = np.frombuffer(payload, dtype=dtype).reshape(shape)
    if not dtype.isnative:
        array = array.byteswap(inplace=True).view(dtype.newbyteorder())
    return array


def _read_header(
    stream: BinaryIO, path: Path, ndim: int | None
) -> tuple[tuple[int, ...], np.dtype]:
    """The shape and big-endian dtype the magic number and dimension sizes declare."""
    magic = _read_exactly(stream, 4, path, "magic number")
    if magic[0] != 0 or magic[1] != 0:
        raise IDXFormatError(
            f"{path}: bad magic bytes {magic[:2].hex()}, an IDX file starts with 0000"
        )
    code, dims = magic[2], magic[3]
    if code not in TYPE_CODES:
        known = ", ".join(f"0x{c:02X}" for c in TYPE_CODES)
        raise IDXFormatError(f"{path}: unknown IDX type code 0x{code:02X}; known: {known}")
    if not 1 <= dims <= MAX_DIMS or (ndim is not None and dims != ndim):
        expected = f"{ndim}" if ndim is not None else f"1 to {MAX_DIMS}"
        raise IDXFormatError(f"{path}: header declares {dims} dimensions, expected {expected}")
    raw = _read_exactly(stream, 4 * dims, path, "dimensions")
    return tuple(int(v) for v in np.frombuffer(raw, ">u4")), TYPE_CODES[code]


def _checked_size(shape: tuple[int, ...], dtype: np.dtype, path: Path, max_bytes: int) -> int:
    """The payload's size in bytes; IDXFormatError if it, or the shape without its zero
    dimensions (NumPy refuses shapes whose other sizes overflow), exceeds ``max_bytes``."""
    n_bytes = math.prod(shape) * dtype.itemsize
    spread = math.prod(size for size in shape if size) * dtype.itemsize
    if max(n_bytes, spread) > max_bytes:
        what = "need" if n_bytes else "with a zero dimension still describe"
        raise IDXFormatError(
            f"{path}: dimensions {shape} {what} {spread} bytes, more than the limit of "
            f"{max_bytes} bytes (max_bytes); refusing to allocate"
        )
    return n_bytes


def _read_payload(stream: BinaryIO, path: Path, n_bytes: int) -> bytearray:
    """Exactly ``n_bytes`` from ``stream``, read in chunks: memory grows only with the bytes
    the stream really holds, and a stream that ends early is refused."""
    payload = bytearray()
    while len(payload) < n_bytes:
        chunk = stream.read(min(_CHUNK, n_bytes - len(payload)))
        if not chunk:
            raise IDXFormatError(
                f"{path}: payload is {n_bytes - len(payload)} bytes short of the {n_bytes} "
                "bytes its header declares"
            )
        payload += chunk
    return payload


def _bytes_view(array: np.ndarray) -> np.ndarray:
    """The bytes of a C-contiguous array as a flat uint8 view (works for empty arrays too)."""
    return array.reshape(-1).view(np.uint8)


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
