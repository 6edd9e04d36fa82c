"""The ``.npz`` container of a model file, read strictly and within a memory bound.

A model file is a zip archive (no comment, members stored or deflated, never encrypted) of
NPY arrays named ``<name>.npy``. :class:`Archive` reads the zip's directory and every member's
NPY header (dtype and shape) when it opens, and no array data; :meth:`Archive.check_plan`
compares all of it, and the zip's declared sizes, with what the JSON header implies, so that
no data is read before the total is known and bounded; :meth:`Archive.read` then streams one
member into a buffer of exactly the declared size. Nothing is ever unpickled: a dtype that is
not a plain number or text is refused from its NPY header.
"""

from __future__ import annotations

import contextlib
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from scratchnet.fileio import atomic_path
from scratchnet.persistence.common import MAX_LAYERS, Invalid

MAX_MEMBERS = 2 * MAX_LAYERS + 4
MAX_NPY_HEADER = 4096
MAX_TEXT_ITEMSIZE = 4 * 256  # classes as text: at most 256 characters each
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_ALLOWED_FLAGS = 0x0008 | 0x0006 | 0x0800  # data descriptor, deflate level, UTF-8 names
_NAME = re.compile(r"([a-z][a-z0-9_]{0,31})\.npy")
_NPY_MAGIC = b"\x93NUMPY"
_NPY_DICT = re.compile(
    r"\{'descr': '([<>|=]?[a-zA-Z]\d{0,5})', 'fortran_order': (False|True), "
    r"'shape': \((|\d{1,19},|\d{1,19}(?:, \d{1,19})+)\), \} *\n"
)
_END = struct.Struct("<4s4H2LH")
_LOCAL = struct.Struct("<4s2x2H22x")  # signature, (version), flags, method, (the rest)
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_END = struct.Struct("<4sQ2H2L4Q")
_CHUNK = 1 << 20
#: What zipfile and zlib raise on damaged data; each becomes one :class:`Invalid`.
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
               RuntimeError, struct.error, ValueError)  # fmt: skip


@dataclass(frozen=True)
class Member:
    """One array of the archive, as its NPY header declares it."""

    info: zipfile.ZipInfo
    dtype: np.dtype
    shape: tuple[int, ...]
    data_offset: int

    @property
    def nbytes(self) -> int:
        """Bytes of array data the NPY header declares."""
        return int(np.prod(self.shape, dtype=object)) * self.dtype.itemsize


@dataclass(frozen=True)
class Expect:
    """What the JSON header implies for one member: its shape, and its dtype or dtype kinds."""

    shape: tuple[int, ...]
    dtype: str | None = None
    kinds: str = "f"

    def accepts(self, dtype: np.dtype) -> bool:
        """True if an array of ``dtype`` may fill this member."""
        if self.dtype is not None:
            return dtype.name == self.dtype
        return dtype.kind in self.kinds

    def nbytes(self, declared: np.dtype) -> int:
        """Bytes of data this member must hold (``declared`` sets the itemsize of text)."""
        itemsize = np.dtype(self.dtype).itemsize if self.dtype else declared.itemsize
        return int(np.prod(self.shape, dtype=object)) * itemsize

    def describe(self) -> str:
        """The expected dtype, for an error message."""
        return self.dtype or f"a dtype of kind {' or '.join(self.kinds)}"


class Archive:
    """An open model archive: its members' dtypes and shapes, and their data on request.

    Use :meth:`open`; any fault raises :class:`Invalid`.
    """

    def __init__(self, handle: BinaryIO, zip_file: zipfile.ZipFile) -> None:
        self._handle = handle
        self._size = os.fstat(handle.fileno()).st_size
        self._zip = zip_file
        self.members: dict[str, Member] = {}
        for info in zip_file.infolist():
            name = _check_info(info, self.members)
            self.members[name] = self._member(info)

    @classmethod
    @contextlib.contextmanager
    def open(cls, path: Path) -> Iterator[Archive]:
        """Open ``path``; yield the :class:`Archive`; close it at the end of the block."""
        try:
            handle = open(path, "rb")
        except OSError as exc:
            raise Invalid(f"cannot be read: {exc.strerror}") from None
        with handle:
            size = os.fstat(handle.fileno()).st_size
            _check_directory(handle, size)
            try:
                zip_file = zipfile.ZipFile(handle)
            except _ZIP_ERRORS as exc:
                raise Invalid(f"not a readable .npz archive: {_text(exc)}") from None
            with zip_file:
                yield cls(handle, zip_file)

    def _member(self, info: zipfile.ZipInfo) -> Member:
        local = b""
        if 0 <= info.header_offset <= self._size - _LOCAL.size:
            self._handle.seek(info.header_offset)
            local = self._handle.read(_LOCAL.size)
        if local[:4] != b"PK\x03\x04":
            raise Invalid(f"member {info.filename!r} has no local zip header at its offset")
        if _LOCAL.unpack(local)[1:] != (info.flag_bits, info.compress_type):
            raise Invalid(
                f"member {info.filename!r}: its local zip header and the zip directory "
                f"disagree on its flags or compression method"
            )
        with self._stream(info) as stream:
            return _npy_header(stream, info)

    @contextlib.contextmanager
    def _stream(self, info: zipfile.ZipInfo) -> Iterator:
        try:
            with self._zip.open(info) as stream:
                yield stream
        except Invalid:
            raise
        except _ZIP_ERRORS as exc:
            raise Invalid(f"member {info.filename!r} is damaged: {_text(exc)}") from None

    def check_plan(self, plan: dict[str, Expect], max_bytes: int, partial: bool = False) -> None:
        """Compare every member with ``plan`` (name -> :class:`Expect`), before any data.

        With ``partial``, only the members ``plan`` names are compared (all must exist).

        Raises
        ------
        Invalid
            On a missing or unexpected member, a dtype or shape other than the plan's, a zip
            size other than the NPY header implies, or a total over ``max_bytes``.
        """
        check_names_and_size(self.members, plan, max_bytes, partial, "arrays")
        for name, expect in plan.items():
            _check_member(name, self.members[name], expect)

    def read(self, name: str, out: np.ndarray | None = None) -> np.ndarray:
        """The data of member ``name``, streamed into ``out`` (or a new array) and checked.

        Parameters
        ----------
        name : str
            A member already checked by :meth:`check_plan`.
        out : ndarray, optional
            C-contiguous, of the member's shape and native dtype; filled in place.

        Returns
        -------
        ndarray of the member's shape, in native byte order.
        """
        member = self.members[name]
        if out is None:
            out = np.empty(member.shape, member.dtype.newbyteorder("="))
        buffer = memoryview(out.reshape(-1).view(np.uint8))
        with self._stream(member.info) as stream:
            stream.read(member.data_offset)
            filled = 0
            while filled < len(buffer):
                chunk = stream.read(min(_CHUNK, len(buffer) - filled))
                if not chunk:
                    raise Invalid(f"array {name!r} ends after {filled} of {len(buffer)} bytes")
                buffer[filled : filled + len(chunk)] = chunk
                filled += len(chunk)
            if stream.read(1):
                raise Invalid(f"array {name!r} holds more data than its header declares")
        if not member.dtype.isnative:
            out.byteswap(inplace=True)
        return out


def check_names_and_size(
    members: dict, plan: dict[str, Expect], max_bytes: int, partial: bool, noun: str, shown=str
) -> None:
    """Invalid unless ``members`` hold every name of ``plan`` (and, unless ``partial``, no
    other) and the plan's arrays total at most ``max_bytes``; ``noun`` and ``shown`` (a name
    as the file spells it) word the message."""
    missing = sorted(shown(name) for name in set(plan) - set(members))
    extra = [] if partial else sorted(shown(name) for name in set(members) - set(plan))
    if missing or extra:
        raise Invalid(
            f"{noun} do not match the header: missing {missing or 'none'}, "
            f"unexpected {extra or 'none'}"
        )
    total = sum(expect.nbytes(members[name].dtype) for name, expect in plan.items())
    if total > max_bytes:
        raise Invalid(
            f"the header implies {total} bytes of {noun}, more than the limit of {max_bytes} "
            f"(load(..., max_bytes=) raises it)"
        )


def _check_directory(handle: BinaryIO, size: int) -> None:
    """Check the zip's end record: no comment, a bounded number and size of entries."""
    if size < _END.size:
        raise Invalid(f"{size} bytes, too short for an .npz archive")
    handle.seek(size - _END.size)
    signature, _, _, _, entries, cd_size, cd_offset, comment = _END.unpack(handle.read(_END.size))
    if signature != b"PK\x05\x06" or comment:
        raise Invalid("not an .npz archive (no zip end record at its end)")
    end_at = size - _END.size
    if _has_zip64_locator(handle, size):
        entries, cd_size, cd_offset, end_at = _zip64_directory(handle, size)
    if entries > MAX_MEMBERS or cd_size > MAX_MEMBERS * 1024:
        raise Invalid(f"the zip directory declares {entries} members in {cd_size} bytes; at most "
                      f"{MAX_MEMBERS} are allowed")  # fmt: skip
    if cd_offset + cd_size != end_at:
        raise Invalid(
            "not an .npz archive as NumPy writes one (the zip directory does not end where "
            "its end record begins: data was added before or inside the archive)"
        )


def _has_zip64_locator(handle: BinaryIO, size: int) -> bool:
    at = size - _END.size - _ZIP64_LOCATOR.size
    if at < 0:
        return False
    handle.seek(at)
    return handle.read(4) == b"PK\x06\x07"


def _zip64_directory(handle: BinaryIO, size: int) -> tuple[int, int, int, int]:
    """Entries, directory size and offset, and where the zip64 end record starts."""
    at = size - _END.size - _ZIP64_LOCATOR.size
    handle.seek(at)
    _, _, end_offset, _ = _ZIP64_LOCATOR.unpack(handle.read(_ZIP64_LOCATOR.size))
    if end_offset > at:
        raise Invalid("not an .npz archive (a bad zip64 end locator)")
    handle.seek(end_offset)
    record = handle.read(_ZIP64_END.size)
    if len(record) != _ZIP64_END.size or record[:4] != b"PK\x06\x06":
        raise Invalid("not an .npz archive (a bad zip64 end record)")
    fields = _ZIP64_END.unpack(record)
    return fields[7], fields[8], fields[9], end_offset


def _check_info(info: zipfile.ZipInfo, seen: dict) -> str:
    """The array name of a zip entry, after checking its name, flags and method."""
    match = _NAME.fullmatch(info.filename)
    if match is None:
        raise Invalid(
            f"a member named {info.filename[:80]!r}; model files hold arrays like 'coef_0.npy'"
        )
    name = match.group(1)
    if name in seen:
        raise Invalid(f"the member {info.filename!r} appears twice")
    if info.flag_bits & 0x1:
        raise Invalid(f"member {info.filename!r} is encrypted; model files never are")
    if info.flag_bits & ~_ALLOWED_FLAGS:
        raise Invalid(f"member {info.filename!r} has unsupported zip flags {info.flag_bits:#06x}")
    if info.compress_type not in _METHODS:
        raise Invalid(
            f"member {info.filename!r} uses zip compression method {info.compress_type}; "
            f"model files use 0 (stored) or 8 (deflate)"
        )
    return name


def _npy_header(stream: BinaryIO, info: zipfile.ZipInfo) -> Member:
    """Parse the NPY header at the start of a member; accept only what NumPy writes."""
    where = f"member {info.filename!r}"
    start = stream.read(len(_NPY_MAGIC) + 2)
    if len(start) < 8 or start[:6] != _NPY_MAGIC or start[6] not in (1, 2) or start[7] != 0:
        raise Invalid(f"{where} is not an NPY array (its magic bytes are {start[:8]!r})")
    length_format = "<H" if start[6] == 1 else "<I"
    length_bytes = stream.read(struct.calcsize(length_format))
    (length,) = struct.unpack(length_format, length_bytes.ljust(struct.calcsize(length_format)))
    if length > MAX_NPY_HEADER:
        raise Invalid(f"{where} has an NPY header of {length} bytes (at most {MAX_NPY_HEADER})")
    text = stream.read(length).decode("latin1")
    match = _NPY_DICT.fullmatch(text)
    if match is None:
        raise Invalid(f"{where} has an NPY header NumPy would not write: {text[:80]!r}")
    descr, fortran, shape_text = match.groups()
    dtype = _dtype(descr, where)
    if fortran == "True":
        raise Invalid(f"{where} is stored in Fortran order; model files store C order")
    shape = tuple(int(part) for part in shape_text.split(",") if part.strip())
    return Member(info, dtype, shape, 8 + len(length_bytes) + length)


def _dtype(descr: str, where: str) -> np.dtype:
    try:
        dtype = np.dtype(descr)
    except (TypeError, ValueError):
        dtype = None
    if dtype is None or dtype.kind not in "biufU" or dtype.itemsize > MAX_TEXT_ITEMSIZE:
        raise Invalid(f"{where} has dtype {descr!r}; model files hold numbers or short text")
    return dtype


def _check_member(name: str, member: Member, expect: Expect) -> None:
    if not expect.accepts(member.dtype):
        raise Invalid(
            f"array {name!r} is {member.dtype.name} ({member.dtype.str}), "
            f"expected {expect.describe()}"
        )
    if member.shape != expect.shape:
        raise Invalid(f"array {name!r} has shape {member.shape}, expected {expect.shape}")
    declared = member.data_offset + member.nbytes
    if member.info.file_size != declared:
        raise Invalid(
            f"array {name!r} has a zip size of {member.info.file_size} bytes but its NPY "
            f"header implies {declared}"
        )


def _text(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def write(path: str | os.PathLike[str], arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` (name -> array of numbers or text) as an ``.npz``, atomically."""
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)
