"""Fuzz the IDX reader: any bytes, plain or gzip, end in an array or an IDXFormatError, within
a memory bound set by ``max_bytes`` whatever the header declares."""

from __future__ import annotations

import gzip
import struct

from hypothesis import given
from hypothesis import strategies as st

from scratchnet.data.idx import TYPE_CODES, read_idx
from scratchnet.errors import IDXFormatError

from bounded import MiB, call_bounded

LIMIT = 1 * MiB
SIZES = st.one_of(st.integers(0, 8), st.sampled_from([2**16, 2**20, 2**31, 2**32 - 1]))


@st.composite
def idx_bytes(draw) -> bytes:
    """A header that is plausible or hostile (codes, dimension counts and sizes), a payload
    of any length, and sometimes a flipped byte."""
    code = draw(st.one_of(st.sampled_from(sorted(TYPE_CODES)), st.integers(0, 255)))
    dims = draw(st.one_of(st.integers(0, 4), st.integers(0, 255)))
    shape = draw(st.lists(SIZES, min_size=min(dims, 6), max_size=min(dims, 6)))
    magic = draw(st.sampled_from([b"\0\0", b"\0\1", b"\x1f\x8b"]))
    header = magic + bytes([code, dims]) + struct.pack(f">{len(shape)}I", *shape)
    data = bytearray(header + draw(st.binary(max_size=600)))
    if data and draw(st.booleans()):
        data[draw(st.integers(0, len(data) - 1))] ^= draw(st.integers(1, 255))
    return bytes(data)


@given(data=idx_bytes(), compress=st.booleans(), cut=st.integers(0, 64))
def test_idx_reader_fails_only_with_idx_format_error(tmp_path_factory, data, compress, cut):
    path = tmp_path_factory.mktemp("idx") / "f-idx"
    raw = gzip.compress(data, mtime=0) if compress else data
    path.write_bytes(raw[: len(raw) - cut] if cut and compress else raw)
    outcome = call_bounded(lambda: read_idx(path, max_bytes=LIMIT), (IDXFormatError,), 8 * MiB)
    if isinstance(outcome, IDXFormatError):
        assert str(path) in str(outcome) and "\n" not in str(outcome)
    else:
        assert outcome.nbytes <= LIMIT


@given(declared=st.integers(LIMIT + 1, 2**40), real=st.integers(0, 4096))
def test_gzip_declaring_more_than_it_holds_costs_what_it_holds(tmp_path_factory, declared, real):
    path = tmp_path_factory.mktemp("idx") / "bomb-idx.gz"
    path.write_bytes(
        gzip.compress(bytes([0, 0, 8, 1]) + struct.pack(">Q", declared)[4:] + bytes(real))
    )
    call_bounded(lambda: read_idx(path, max_bytes=2**41), (IDXFormatError,), 4 * MiB)
