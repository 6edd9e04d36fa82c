"""Seeded mutations of a model file: bytes, zip structure, array members and header JSON.

Shared by the Hypothesis fuzz test (``tests/fuzz/test_fuzz_model_files.py``) and the hand-run
campaign (``fuzz/campaign_model_files.py``). Every mutation is a pure function of the original
file's bytes and a :class:`random.Random`, so a failing case is reproduced by its seed.
"""

from __future__ import annotations

import io
import json
import random
import struct
import zipfile
from collections.abc import Callable

import numpy as np

LOCAL, CENTRAL, END = b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06"
#: (signature, offset, struct format) of the zip header fields worth damaging.
ZIP_FIELDS = [
    (LOCAL, 6, "<H"),  # general purpose flags (bit 0: encrypted)
    (LOCAL, 8, "<H"),  # compression method
    (LOCAL, 14, "<I"),  # CRC-32
    (LOCAL, 18, "<I"),  # compressed size
    (LOCAL, 22, "<I"),  # uncompressed size
    (LOCAL, 26, "<H"),  # name length
    (LOCAL, 28, "<H"),  # extra length
    (CENTRAL, 8, "<H"),
    (CENTRAL, 10, "<H"),
    (CENTRAL, 16, "<I"),
    (CENTRAL, 20, "<I"),
    (CENTRAL, 24, "<I"),
    (CENTRAL, 28, "<H"),
    (CENTRAL, 30, "<H"),
    (CENTRAL, 42, "<I"),  # local header offset
    (END, 8, "<H"),  # entries on this disk
    (END, 10, "<H"),  # entries in total
    (END, 12, "<I"),  # central directory size
    (END, 16, "<I"),  # central directory offset
]


def members(data: bytes) -> dict[str, bytes]:
    """The raw bytes of every member of a (valid) archive."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def archive(parts: dict[str, bytes], compress: bool = False) -> bytes:
    """A zip of ``parts`` (name -> bytes), stored or deflated."""
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as out:
        for name, content in parts.items():
            out.writestr(name, content)
    return buffer.getvalue()


def npy_bytes(array: np.ndarray) -> bytes:
    """``array`` in the NPY format."""
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def npy_header(descr: str, shape: tuple, fortran: bool = False, data: bytes = b"") -> bytes:
    """An NPY file with any header at all (the shape need not match ``data``)."""
    text = f"{{'descr': {descr!r}, 'fortran_order': {fortran}, 'shape': {shape!r}, }}"
    text += " " * (-(len(text) + 11) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin1") + data


def header_json(data: bytes) -> dict:
    """The parsed JSON header of a (valid) model file."""
    raw = members(data)["header.npy"]
    return json.loads(np.load(io.BytesIO(raw), allow_pickle=False).tobytes())


def with_header_text(data: bytes, text: bytes) -> bytes:
    """The model file with its header member holding ``text`` as a uint8 array."""
    parts = members(data)
    parts["header.npy"] = npy_bytes(np.frombuffer(text, np.uint8))
    return archive(parts)


def with_header(data: bytes, header: object) -> bytes:
    """The model file with ``header`` (any JSON value) as its header."""
    return with_header_text(data, json.dumps(header).encode())


# --- the mutations ------------------------------------------------------------------------------


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """Overwrite, insert, delete or truncate a few bytes anywhere in the file."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(("set", "set", "insert", "delete", "truncate"))
        at = rng.randrange(len(out) or 1)
        if kind == "set" and out:
            out[at] = rng.randrange(256)
        elif kind == "insert":
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        elif kind == "delete":
            del out[at : at + rng.randint(1, 16)]
        elif kind == "truncate":
            del out[at:]
    return bytes(out)


def mutate_zip(data: bytes, rng: random.Random) -> bytes:
    """Set one field of a local, central or end-of-directory record to an odd value."""
    out = bytearray(data)
    signature, offset, fmt = rng.choice(ZIP_FIELDS)
    starts = [i for i in range(len(out) - 3) if out[i : i + 4] == signature]
    if not starts:
        return bytes(out)
    at = rng.choice(starts) + offset
    bits = struct.calcsize(fmt) * 8
    value = rng.choice(
        (0, 1, 2, 8, 12, 14, 99, 0x41, 2**bits - 1, 2 ** (bits - 1), rng.randrange(2**bits))
    )
    if rng.random() < 0.3:  # a plausible neighbour of the true value
        (old,) = struct.unpack_from(fmt, out, at)
        value = (old + rng.choice((-1, 1, 64, -64, 1 << 20))) % 2**bits
    struct.pack_into(fmt, out, at, value)
    return bytes(out)


def _json_value(rng: random.Random, depth: int = 0) -> object:
    kind = rng.randrange(10 if depth < 3 else 6)
    scalars = [
        None,
        True,
        rng.choice((0, -1, 1, 2**31, 2**63, -(2**70))),
        rng.choice((0.5, -1e300, 1e-320, 3.4e38)),
        rng.choice(("", "relu", "float16", "x" * 200, "os.system", "\u00e9")),
        rng.randint(-3, 1000),
    ]
    if kind < 6:
        return scalars[kind]
    if kind < 8:
        return [_json_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {str(rng.randrange(5)): _json_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def _paths(value: object, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:6]):
            found += _paths(item, (*prefix, index))
    return found


def _replace(value: object, path: tuple, new: object, delete: bool) -> object:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if rest:
        value[head] = _replace(value[head], rest, new, delete)
    elif delete and isinstance(value, dict):
        del value[head]
    elif delete:
        value.pop(head)
    else:
        value[head] = new
    return value


#: Header texts that are not what a JSON writer would produce.
_ODD_TEXTS = [
    lambda: b"[" * 5000 + b"]" * 5000,
    lambda: b'{"format": "scratchnet-model", "version": ' + b"9" * 5000 + b"}",
    lambda: b'{"format": "scratchnet-model", "version": Infinity}',
    lambda: b'{"format": "scratchnet-model", "version": NaN}',
    lambda: b'{"a": 1, "a": 2}',
    lambda: b"\xff\xfe{}",
    lambda: b"",
]


def mutate_json(data: bytes, rng: random.Random) -> bytes:
    """Change, delete or retype one value of the header JSON, or write an odd text."""
    if rng.random() < 0.1:
        return with_header_text(data, rng.choice(_ODD_TEXTS)())
    header = header_json(data)
    path = rng.choice(_paths(header))
    action = rng.random()
    if action < 0.25 and path:
        header = _replace(header, path, None, delete=True)
    elif action < 0.35:
        header = _replace(header, path, rng.choice(("", "x", [], {}, 1.5, "1")), delete=False)
    else:
        header = _replace(header, path, _json_value(rng), delete=False)
    return with_header(data, header)


def _odd_member(rng: random.Random) -> bytes:
    choice = rng.randrange(8)
    if choice == 0:
        return npy_header("<f4", (2**40,))
    if choice == 1:
        return npy_header(rng.choice(("<f2", "|O", "<c16", "<U100000", "|V8", "<M8[s]")), (3,))
    if choice == 2:
        return npy_header("<f8", (64, 16), fortran=True, data=bytes(64 * 16 * 8))
    if choice == 3:
        return b"\x93NUMPY\x01\x00\xff\xff" + b"{" * 100
    if choice == 4:
        return npy_bytes(np.full((64, 16), 3.4e38, np.float32))
    if choice == 5:
        return npy_bytes(np.zeros((rng.randint(0, 80), rng.randint(0, 20)), np.float32))
    if choice == 6:
        return b'{"format": "scratchnet-model"}'
    return bytes(rng.randrange(256) for _ in range(rng.randint(0, 64)))


def mutate_members(data: bytes, rng: random.Random) -> bytes:
    """Replace, drop, duplicate-name or add an array member; or deflate the archive."""
    parts = members(data)
    name = rng.choice(sorted(parts))
    action = rng.randrange(5)
    if action == 0:
        parts[name] = _odd_member(rng)
    elif action == 1:
        del parts[name]
    elif action == 2:
        parts[rng.choice(("extra.npy", "coef_9.npy", "header", "../x.npy"))] = parts[name]
    elif action == 3:
        parts = {rng.choice(sorted(parts)) if n == name else n: v for n, v in parts.items()}
    return archive(parts, compress=rng.random() < 0.5)


MUTATIONS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "bytes": mutate_bytes,
    "zip": mutate_zip,
    "members": mutate_members,
    "json": mutate_json,
}


def mutate(data: bytes, seed: int, kind: str | None = None) -> tuple[str, bytes]:
    """One mutation of ``data`` picked (unless ``kind`` is given) and driven by ``seed``."""
    rng = random.Random(seed)
    kind = kind or rng.choice(sorted(MUTATIONS))
    return kind, MUTATIONS[kind](data, rng)
