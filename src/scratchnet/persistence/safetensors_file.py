"""The ``.safetensors`` container of a model file, parsed strictly and within a memory bound.

Layout (the safetensors format): an 8-byte little-endian header length ``N``, ``N`` bytes of
UTF-8 JSON (padded with spaces), then the tensor data. The JSON maps each tensor name to its
``dtype``, ``shape`` and ``data_offsets`` (begin and end in the data), and ``__metadata__``
to string values. A scratchnet model holds the tensors ``coefs.<i>``, ``intercepts.<i>``,
``probe``, for numeric labels ``classes``, and for each batch-normalized hidden layer
``scales.<i>``, ``running_means.<i>`` and ``running_vars.<i>``. Its metadata ``scratchnet``
is the header JSON of :mod:`scratchnet.persistence` (estimator, layer sizes, activations,
settings, history), and ``classes`` is a JSON list when the labels are text.

:class:`Archive` offers what :class:`~scratchnet.persistence.archive.Archive` offers (members'
dtypes and shapes, :meth:`~Archive.check_plan`, :meth:`~Archive.read` into a buffer), under
the ``.npz`` member names (``coef_<i>``...), so that one loader checks both formats. Before
any data is read it insists on: a header length within bounds and the file, strict JSON, only
known names, keys and dtypes, shapes that match their byte ranges, and ranges that tile the
data exactly from 0 to the end of the file.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from scratchnet.fileio import atomic_path
from scratchnet.persistence import jsonio
from scratchnet.persistence.archive import Expect, check_names_and_size
from scratchnet.persistence.common import MAX_HEADER_BYTES, MAX_LAYERS, Invalid

SUFFIX = ".safetensors"
#: The outer JSON: the scratchnet header plus one small entry per tensor.
MAX_SAFETENSORS_HEADER = MAX_HEADER_BYTES + 64 * 1024
MAX_TEXT_CLASSES = 1 << 16
#: safetensors dtype -> NumPy dtype (little-endian), the ones model files use.
DTYPES = {"F32": "<f4", "F64": "<f8", "I64": "<i8"}
_CODES = {np.dtype(v).name: k for k, v in DTYPES.items()}
#: Per-layer arrays: ``.npz`` member prefix -> tensor prefix (``coef_0`` <-> ``coefs.0``); a
#: new per-layer array (batch normalization's, say) is one more entry.
LAYER_ARRAYS = {
    "coef": "coefs",
    "intercept": "intercepts",
    "scale": "scales",  # batch normalization: gamma and the running statistics
    "running_mean": "running_means",
    "running_var": "running_vars",
}
#: Arrays of the whole model, named alike in both formats.
MODEL_ARRAYS = ("classes", "probe")
_NAME = re.compile(rf"({'|'.join(LAYER_ARRAYS.values())})\.(0|[1-9]\d?)|{'|'.join(MODEL_ARRAYS)}")
_METADATA_KEYS = {"scratchnet", "classes"}
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Member:
    """One tensor, as the safetensors header declares it (``begin`` from the data start)."""

    dtype: np.dtype
    shape: tuple[int, ...]
    begin: int = 0
    text: tuple[str, ...] | None = None  # text classes, from the metadata

    @property
    def nbytes(self) -> int:
        """Bytes of data the header declares."""
        return int(np.prod(self.shape, dtype=object)) * self.dtype.itemsize


def member_name(tensor: str) -> str:
    """The ``.npz`` member name of a (valid) tensor name: ``coefs.0`` -> ``coef_0``."""
    prefix, dot, index = tensor.partition(".")
    kinds = {tensors: kind for kind, tensors in LAYER_ARRAYS.items()}
    return f"{kinds[prefix]}_{index}" if dot else tensor


def tensor_name(member: str) -> str:
    """The tensor name of an ``.npz`` member name: ``coef_0`` -> ``coefs.0``."""
    kind, _, index = member.rpartition("_")
    return f"{LAYER_ARRAYS[kind]}.{index}" if kind in LAYER_ARRAYS else member


class Archive:
    """An open ``.safetensors`` model file; use :meth:`open`. Any fault raises :class:`Invalid`."""

    def __init__(self, handle: BinaryIO, header: dict, data_start: int) -> None:
        self._handle, self._data_start = handle, data_start
        metadata = header.pop("__metadata__", None)
        self.header_text, text_classes = _check_metadata(metadata)
        self.members = _members(header, os.fstat(handle.fileno()).st_size - data_start)
        if text_classes is not None:
            if "classes" in self.members:
                raise Invalid("classes are both a tensor and text in the metadata")
            self.members["classes"] = _text_member(text_classes)

    @classmethod
    @contextlib.contextmanager
    def open(cls, path: Path) -> Iterator[Archive]:
        """Open ``path``, parse and check its header; yield the :class:`Archive`."""
        try:
            handle = open(path, "rb")
        except OSError as exc:
            raise Invalid(f"cannot be read: {exc.strerror}") from None
        with handle:
            header, data_start = _read_header(handle)
            yield cls(handle, header, data_start)

    def check_plan(self, plan: dict[str, Expect], max_bytes: int, partial: bool = False) -> None:
        """Compare every tensor with ``plan`` (``.npz`` name -> :class:`Expect`), before data.

        Raises
        ------
        Invalid
            On a missing or unexpected tensor, another dtype or shape, or a total over
            ``max_bytes``.
        """
        check_names_and_size(self.members, plan, max_bytes, partial, "tensors", tensor_name)
        for name, expect in plan.items():
            _check_member(tensor_name(name), self.members[name], expect)

    def read(self, name: str, out: np.ndarray | None = None) -> np.ndarray:
        """The data of member ``name`` (checked by :meth:`check_plan`), into ``out`` if given."""
        member = self.members[name]
        if member.text is not None:
            return np.array(member.text, dtype=str)
        if out is None:
            out = np.empty(member.shape, member.dtype.newbyteorder("="))
        buffer = memoryview(out.reshape(-1).view(np.uint8))
        self._handle.seek(self._data_start + member.begin)
        filled = 0
        while filled < len(buffer):
            chunk = self._handle.read(min(_CHUNK, len(buffer) - filled))
            if not chunk:
                raise Invalid(f"tensor {tensor_name(name)!r} ends after {filled} bytes")
            buffer[filled : filled + len(chunk)] = chunk
            filled += len(chunk)
        if not member.dtype.isnative:
            out.byteswap(inplace=True)
        return out


def _read_header(handle: BinaryIO) -> tuple[dict, int]:
    """The parsed JSON header and where the data starts; bounded before anything is read."""
    size = os.fstat(handle.fileno()).st_size
    start = handle.read(8)
    if len(start) < 8:
        raise Invalid(f"{size} bytes, too short for a .safetensors file")
    (length,) = struct.unpack("<Q", start)
    if length > MAX_SAFETENSORS_HEADER or length > size - 8:
        raise Invalid(
            f"the safetensors header declares {length} bytes; the file has {size - 8} after "
            f"the length and at most {MAX_SAFETENSORS_HEADER} are allowed"
        )
    raw = handle.read(length)
    if not raw.startswith(b"{"):
        raise Invalid("the safetensors header is not a JSON object; not a .safetensors file")
    try:
        header = jsonio.loads(raw.rstrip(b" "))
    except Invalid as exc:
        raise Invalid(str(exc).replace("the header", "the safetensors header", 1)) from None
    if not isinstance(header, dict):
        raise Invalid("the safetensors header is not a JSON object")
    return header, 8 + length


def _check_metadata(metadata: object) -> tuple[bytes, list | None]:
    """The scratchnet header (UTF-8 JSON bytes) and the text classes, if any."""
    if not isinstance(metadata, dict) or "scratchnet" not in metadata:
        raise Invalid("no 'scratchnet' entry in the __metadata__; not a scratchnet model file")
    unknown = sorted(set(metadata) - _METADATA_KEYS)
    if unknown or not all(isinstance(v, str) for v in metadata.values()):
        raise Invalid(
            f"the __metadata__ holds {str(unknown[:3])[:120] if unknown else 'non-text values'};"
            f" expected the text entries {sorted(_METADATA_KEYS)}"
        )
    classes = None
    if "classes" in metadata:
        classes = jsonio.loads(metadata["classes"].encode())
        if not isinstance(classes, list) or not all(
            isinstance(c, str) and len(c) <= 256 for c in classes
        ):
            raise Invalid("the __metadata__ 'classes' is not a JSON list of short strings")
    return metadata["scratchnet"].encode(), classes


def _members(header: dict, data_size: int) -> dict[str, Member]:
    """Every tensor of the header, checked; their byte ranges must tile ``data_size``."""
    if len(header) > len(LAYER_ARRAYS) * MAX_LAYERS + len(MODEL_ARRAYS):
        raise Invalid(f"the safetensors header declares {len(header)} tensors")
    members = {}
    for name, entry in header.items():
        if not isinstance(name, str) or _NAME.fullmatch(name) is None:
            known = [f"{prefix}.<i>" for prefix in LAYER_ARRAYS.values()] + list(MODEL_ARRAYS)
            raise Invalid(f"a tensor named {str(name)[:80]!r}; model files hold {known}")
        members[member_name(name)] = _member(name, entry)
    end = 0
    for member in sorted(members.values(), key=lambda m: m.begin):
        if member.begin != end:
            raise Invalid(f"tensor data has a gap or an overlap at byte {min(end, member.begin)}")
        end += member.nbytes
    if end != data_size:
        raise Invalid(f"the tensors hold {end} bytes of data but the file has {data_size}")
    return members


def _member(name: str, entry: object) -> Member:
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise Invalid(f"tensor {name!r}: expected exactly dtype, shape and data_offsets")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise Invalid(f"tensor {name!r} has dtype {str(dtype)[:20]!r}; expected one of "
                      f"{', '.join(DTYPES)}")  # fmt: skip
    if not _int_list(shape, 0, 2) or not _int_list(offsets, 2, 2) or offsets[0] > offsets[1]:
        raise Invalid(f"tensor {name!r}: bad shape {str(shape)[:40]} or data_offsets "
                      f"{str(offsets)[:40]}")  # fmt: skip
    member = Member(np.dtype(DTYPES[dtype]), tuple(shape), offsets[0])
    if member.nbytes != offsets[1] - offsets[0]:
        raise Invalid(
            f"tensor {name!r} of shape {tuple(shape)} and dtype {dtype} needs {member.nbytes} "
            f"bytes, its data_offsets span {offsets[1] - offsets[0]}"
        )
    return member


def _int_list(value: object, low: int, high: int) -> bool:
    """A list of ``low``..``high`` non-negative ints (no bools), each at most 2**62."""
    return (
        isinstance(value, list)
        and low <= len(value) <= high
        and all(type(v) is int and 0 <= v <= 1 << 62 for v in value)
    )


def _text_member(classes: list) -> Member:
    if not 1 <= len(classes) <= MAX_TEXT_CLASSES:
        raise Invalid(f"the __metadata__ 'classes' lists {len(classes)} labels")
    return Member(np.array(classes, dtype=str).dtype, (len(classes),), text=tuple(classes))


def _check_member(name: str, member: Member, expect: Expect) -> None:
    if not expect.accepts(member.dtype):
        raise Invalid(f"tensor {name!r} is {member.dtype.name}, expected {expect.describe()}")
    if member.shape != expect.shape:
        raise Invalid(f"tensor {name!r} has shape {member.shape}, expected {expect.shape}")


def write(path: str | os.PathLike[str], header: bytes, arrays: dict[str, np.ndarray]) -> None:
    """Write the scratchnet ``header`` (JSON bytes) and ``arrays`` (``.npz`` names), atomically.

    Text ``classes`` go to the metadata; every other array must be of a dtype in
    :data:`DTYPES` (float32/float64 weights, float64 probe, int or float classes).
    """
    metadata = {"scratchnet": header.decode()}
    tensors: dict[str, np.ndarray] = {}
    for name, array in arrays.items():
        if name == "classes" and array.dtype.kind == "U":
            metadata["classes"] = json.dumps(array.tolist())
        else:
            tensors[tensor_name(name)] = _storable(name, array)
    entries: dict[str, object] = {"__metadata__": metadata}
    offset = 0
    for name, array in tensors.items():
        entries[name] = {"dtype": _CODES[array.dtype.name], "shape": list(array.shape),
                         "data_offsets": [offset, offset + array.nbytes]}  # fmt: skip
        offset += array.nbytes
    text = json.dumps(entries, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with atomic_path(path) as tmp, open(tmp, "wb") as out:
        out.write(struct.pack("<Q", len(text)) + text)
        for array in tensors.values():
            out.write(array.tobytes())


def _storable(name: str, array: np.ndarray) -> np.ndarray:
    """``array`` little-endian and C-ordered, as an int64 if it is another integer type."""
    if array.dtype.kind in "biu":
        array = array.astype(np.int64)
    if array.dtype.name not in _CODES:
        raise Invalid(f"array {name!r} of dtype {array.dtype} has no safetensors dtype")
    return np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
