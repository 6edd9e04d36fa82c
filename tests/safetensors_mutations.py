"""Seeded mutations of a ``.safetensors`` model file: bytes, length, entries, metadata, data.

Shared by the hostile-input tests and the Hypothesis fuzz test. Each mutation is a pure
function of the original bytes and a :class:`random.Random`, so a failure is reproduced by
its seed.
"""

from __future__ import annotations

import json
import random
import struct
from collections.abc import Callable

import numpy as np

import model_mutations as mm


def split(data: bytes) -> tuple[dict, bytes]:
    """The JSON header and the data bytes of a (valid) file."""
    (length,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8 : 8 + length]), data[8 + length :]


def join(header: object, body: bytes, raw: bytes | None = None) -> bytes:
    """A file of ``header`` (or the header text ``raw``) and data ``body``."""
    text = raw if raw is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


def scratchnet_header(data: bytes) -> dict:
    """The scratchnet header JSON held in the metadata."""
    return json.loads(split(data)[0]["__metadata__"]["scratchnet"])


def with_scratchnet_header(data: bytes, header: object) -> bytes:
    """The file with ``header`` (any JSON value) as its scratchnet metadata."""
    outer, body = split(data)
    outer["__metadata__"]["scratchnet"] = json.dumps(header)
    return join(outer, body)


def mutate_length(data: bytes, rng: random.Random) -> bytes:
    """Set the 8-byte header length to an odd value."""
    (length,) = struct.unpack("<Q", data[:8])
    value = rng.choice((0, 1, 2, length - 1, length + 1, len(data), 2**63, 2**64 - 1, 1 << 40))
    return struct.pack("<Q", value % 2**64) + data[8:]


_ODD_ENTRY_VALUES = ["F16", "BF16", "I8", "BOOL", "F32", [], [2**40], [-1, 3], [0, 2**62],
                     [1, 2, 3], "x", None, 1.5, {"a": 1}, [True, 1]]  # fmt: skip


def mutate_entries(data: bytes, rng: random.Random) -> bytes:
    """Change a tensor's dtype, shape or offsets; drop, duplicate or rename a tensor."""
    header, body = split(data)
    names = sorted(k for k in header if k != "__metadata__")
    name = rng.choice(names)
    action = rng.randrange(5)
    if action == 0:
        key = rng.choice(("dtype", "shape", "data_offsets"))
        header[name][key] = rng.choice(_ODD_ENTRY_VALUES)
    elif action == 1:
        offsets = header[name]["data_offsets"]
        shift = rng.choice((-8, -4, -1, 1, 4, 8))
        header[name]["data_offsets"] = [max(0, offsets[0] + shift), offsets[1] + shift]
    elif action == 2:
        del header[name]
    elif action == 3:
        header[rng.choice(("coefs.9", "extra", "coefs.00", "../x", "probe"))] = header[name]
    else:
        header[name]["shape"] = list(reversed(header[name]["shape"]))
    return join(header, body)


def mutate_metadata(data: bytes, rng: random.Random) -> bytes:
    """Change the scratchnet header JSON (as the ``.npz`` fuzzing does) or the metadata."""
    outer, body = split(data)
    action = rng.randrange(4)
    if action == 0:
        outer["__metadata__"][rng.choice(("extra", "classes", "scratchnet"))] = rng.choice(
            ("", "[1, 2]", '["a"]', 3, None, "{")
        )
        return join(outer, body)
    if action == 1:
        outer.pop("__metadata__")
        return join(outer, body)
    header = scratchnet_header(data)
    path = rng.choice(mm._paths(header))
    header = mm._replace(header, path, mm._json_value(rng), delete=action == 2 and bool(path))
    return with_scratchnet_header(data, header)


def mutate_data(data: bytes, rng: random.Random) -> bytes:
    """Overwrite some weights with NaN, infinity or huge values; or pad or cut the data."""
    (length,) = struct.unpack("<Q", data[:8])
    start = 8 + length
    out = bytearray(data)
    action = rng.randrange(4)
    if action == 3:
        return bytes(out[: rng.randrange(start, len(out))]) + b"\x00" * rng.randint(0, 9)
    value = rng.choice((np.nan, np.inf, -np.inf, 3.4e38, 1e30))
    dtype = rng.choice((np.float32, np.float64))
    at = rng.randrange(start, len(out) - 8)
    raw = np.array([value], dtype).tobytes()
    out[at : at + len(raw)] = raw
    return bytes(out)


def mutate_header_text(data: bytes, rng: random.Random) -> bytes:
    """Replace the whole header with a text no writer would produce."""
    _, body = split(data)
    raw = rng.choice([t() for t in mm._ODD_TEXTS] + [b"{" * 200, b" {}", b"{}", b'{"a":1,"a":2}'])
    return join(None, body, raw=raw)


MUTATIONS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "bytes": mm.mutate_bytes,
    "length": mutate_length,
    "entries": mutate_entries,
    "metadata": mutate_metadata,
    "data": mutate_data,
    "text": mutate_header_text,
}


def mutate(data: bytes, seed: int, kind: str | None = None) -> tuple[str, bytes]:
    """One mutation of ``data``, picked (unless ``kind`` is given) and driven by ``seed``."""
    rng = random.Random(seed)
    kind = kind or rng.choice(sorted(MUTATIONS))
    return kind, MUTATIONS[kind](data, rng)
