"""The IDX reader and writer: round trips of every type code, and every malformed file."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from scratchnet.data import idx
from scratchnet.data.idx import read_idx, read_idx_pair, write_idx
from scratchnet.errors import IDXFormatError


def raw_idx(code: int, shape: tuple[int, ...], payload: bytes, magic: bytes = b"\0\0") -> bytes:
    return magic + bytes([code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + payload


def put(tmp_path: Path, data: bytes, name: str = "f-idx", gz: bool = False) -> Path:
    path = tmp_path / (name + (".gz" if gz else ""))
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.mark.parametrize(
    ("dtype", "shape"),
    [
        (np.uint8, (7,)),
        (np.uint8, (3, 28, 28)),
        (np.int8, (2, 3)),
        (np.int16, (4, 2, 2)),
        (np.int32, (5,)),
        (np.float32, (2, 2, 2, 2)),
        (np.float64, (3, 1)),
        (np.uint8, (0, 28, 28)),
    ],
)
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip_every_type_code(tmp_path: Path, dtype, shape, suffix: str) -> None:
    rng = np.random.default_rng(1)
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
    if info is not None:
        array = rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)
    else:
        array = rng.normal(size=shape).astype(dtype)
    path = write_idx(tmp_path / f"a-idx{suffix}", array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    assert back.shape == shape
    np.testing.assert_array_equal(back, array)


def test_writer_uses_big_endian_and_the_official_header(tmp_path: Path) -> None:
    path = write_idx(tmp_path / "x-idx", np.array([[1, 2, 3]], dtype=np.int16))
    assert path.read_bytes() == raw_idx(0x0B, (1, 3), b"\x00\x01\x00\x02\x00\x03")


def test_gz_output_is_deterministic_and_gzip(tmp_path: Path) -> None:
    a = write_idx(tmp_path / "a.gz", np.arange(10, dtype=np.uint8)).read_bytes()
    b = write_idx(tmp_path / "b.gz", np.arange(10, dtype=np.uint8)).read_bytes()
    assert a == b and a[:2] == b"\x1f\x8b"


def test_gzip_is_detected_by_content_not_name(tmp_path: Path) -> None:
    data = raw_idx(0x08, (3,), b"\x01\x02\x03")
    plain_named_gz = put(tmp_path, data, name="plain.gz")
    gz_named_plain = tmp_path / "packed-idx"
    gz_named_plain.write_bytes(gzip.compress(data))
    for path in (plain_named_gz, gz_named_plain):
        np.testing.assert_array_equal(read_idx(path), [1, 2, 3])


def test_writer_refuses_unsupported_dtypes_and_scalars(tmp_path: Path) -> None:
    with pytest.raises(IDXFormatError, match="int64"):
        write_idx(tmp_path / "a", np.arange(3, dtype=np.int64))
    with pytest.raises(IDXFormatError, match="dimensions"):
        write_idx(tmp_path / "b", np.uint8(3))
    assert not list(tmp_path.iterdir())


GOOD = raw_idx(0x08, (2, 2), b"\x01\x02\x03\x04")


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize(
    ("data", "ndim", "message"),
    [
        (b"\x01" + GOOD[1:], None, "bad magic bytes 0100"),
        (b"\x00\x08" + GOOD[2:], None, "bad magic bytes 0008"),
        (GOOD[:2] + b"\x07" + GOOD[3:], None, "unknown IDX type code 0x07"),
        (GOOD[:2] + b"\x10" + GOOD[3:], None, "unknown IDX type code 0x10"),
        (GOOD, 3, "declares 2 dimensions, expected 3"),
        (GOOD, 1, "declares 2 dimensions, expected 1"),
        (raw_idx(0x08, (), b""), None, "declares 0 dimensions"),
        (b"", None, "header too short: magic number needs 4 bytes, only 0"),
        (GOOD[:3], None, "header too short: magic number needs 4 bytes, only 3"),
        (GOOD[:4], None, "header too short: dimensions needs 8 bytes, only 0"),
        (GOOD[:11], None, "header too short: dimensions needs 8 bytes, only 7"),
        (GOOD[:-1], None, "short"),
        (GOOD[:12], None, "short"),
        (GOOD + b"\x00", None, "long"),
        (raw_idx(0x0C, (2,), b"\x00" * 7), None, "short"),
        (raw_idx(0x0D, (2,), b"\x00" * 9), None, "long"),
    ],
)
def test_malformed_files_raise_one_clear_error(
    tmp_path: Path, data: bytes, ndim: int | None, message: str, gz: bool
) -> None:
    path = put(tmp_path, data, gz=gz)
    with pytest.raises(IDXFormatError, match=message) as info:
        read_idx(path, ndim=ndim)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_size_errors_say_by_how_much(tmp_path: Path) -> None:
    with pytest.raises(IDXFormatError, match="1 bytes too short"):
        read_idx(put(tmp_path, GOOD[:-1]))
    with pytest.raises(IDXFormatError, match="1 bytes too long"):
        read_idx(put(tmp_path, GOOD + b"\xff"))


@pytest.mark.parametrize("gz", [False, True])
def test_huge_dimensions_are_refused_before_allocating(
    tmp_path: Path, gz: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_allocation(*args, **kwargs):
        raise AssertionError("the reader allocated the payload")

    monkeypatch.setattr(idx.np, "empty", no_allocation)
    path = put(tmp_path, raw_idx(0x0E, (2**31, 2**31, 2**31), b"\x00" * 16), gz=gz)
    with pytest.raises(IDXFormatError, match="refusing to allocate"):
        read_idx(path)


def test_max_bytes_is_adjustable(tmp_path: Path) -> None:
    path = put(tmp_path, GOOD)
    with pytest.raises(IDXFormatError, match="limit of 3 bytes"):
        read_idx(path, max_bytes=3)
    assert read_idx(path, max_bytes=4).shape == (2, 2)


def test_truncated_gzip_stream(tmp_path: Path) -> None:
    packed = gzip.compress(raw_idx(0x08, (1000,), bytes(range(256)) * 3 + bytes(232)))
    path = tmp_path / "cut.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(IDXFormatError, match="damaged gzip stream") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_gzip_with_bad_checksum(tmp_path: Path) -> None:
    packed = bytearray(gzip.compress(GOOD))
    packed[-8] ^= 0xFF  # the CRC32 of the trailer
    path = tmp_path / "crc.gz"
    path.write_bytes(bytes(packed))
    with pytest.raises(IDXFormatError, match="damaged gzip stream"):
        read_idx(path)


def test_pair_reads_matching_images_and_labels(tmp_path: Path) -> None:
    images = np.arange(3 * 2 * 2, dtype=np.uint8).reshape(3, 2, 2)
    labels = np.array([0, 9, 4], dtype=np.uint8)
    X, y = read_idx_pair(
        write_idx(tmp_path / "i.gz", images), write_idx(tmp_path / "l", labels), n_classes=10
    )
    np.testing.assert_array_equal(X, images)
    np.testing.assert_array_equal(y, labels)


def test_pair_with_different_counts(tmp_path: Path) -> None:
    images = write_idx(tmp_path / "images-idx3", np.zeros((3, 2, 2), np.uint8))
    labels = write_idx(tmp_path / "labels-idx1", np.zeros(4, np.uint8))
    with pytest.raises(IDXFormatError, match="holds 3 images but .* holds 4 labels") as info:
        read_idx_pair(images, labels, n_classes=10)
    assert "images-idx3" in str(info.value) and "labels-idx1" in str(info.value)


def test_pair_with_labels_outside_the_class_range(tmp_path: Path) -> None:
    images = write_idx(tmp_path / "images", np.zeros((3, 2, 2), np.uint8))
    labels = write_idx(tmp_path / "labels", np.array([1, 10, 12], np.uint8))
    with pytest.raises(IDXFormatError, match=r"label 10 at index 1 is outside .*0\.\.9") as info:
        read_idx_pair(images, labels, n_classes=10)
    assert str(labels) in str(info.value)


def test_pair_checks_the_number_of_dimensions(tmp_path: Path) -> None:
    flat = write_idx(tmp_path / "flat", np.zeros((3, 4), np.uint8))
    labels = write_idx(tmp_path / "labels", np.zeros(3, np.uint8))
    with pytest.raises(IDXFormatError, match="declares 2 dimensions, expected 3"):
        read_idx_pair(flat, labels, n_classes=10)
    with pytest.raises(IDXFormatError, match="declares 1 dimensions, expected 3"):
        read_idx_pair(labels, labels, n_classes=10)


def test_no_assert_statements_do_validation() -> None:
    package = Path(idx.__file__).parent
    offenders = [
        f"{path.name}:{n}"
        for path in package.glob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if line.strip().startswith("assert ")
    ]
    assert offenders == []


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ((0, 2**32 - 1, 2**32 - 1), "with a zero dimension still describe"),
        ((2**32 - 1, 0), "with a zero dimension still describe"),
        ((1,) * 65, "header declares 65 dimensions, expected 1 to 32"),
        ((1,) * 255, "header declares 255 dimensions"),
    ],
)
def test_impossible_shapes_name_the_file(tmp_path: Path, gz: bool, shape, message: str) -> None:
    """Issue 18: NumPy's plain ValueError, without the file's name."""
    path = put(tmp_path, raw_idx(0x08, shape, b""), gz=gz)
    with pytest.raises(IDXFormatError, match=f"{path}: .*{message}"):
        read_idx(path)


def test_default_limit_refuses_a_small_gzip_declaring_gigabytes(tmp_path: Path) -> None:
    """Issue 18: a 1.5 MB gzip declaring 1.5 GiB was read in full (19 s) before any check."""
    from bounded import MiB, call_bounded

    path = tmp_path / "bomb-idx.gz"
    with gzip.open(path, "wb") as stream:
        stream.write(raw_idx(0x08, (1536 * MiB,), b""))
        stream.write(bytes(MiB))  # the rest is missing: the size must be refused unread
    assert path.stat().st_size < 2 * 10**6
    error = call_bounded(lambda: read_idx(path), (IDXFormatError,), max_bytes=4 * MiB)
    assert isinstance(error, IDXFormatError) and "max_bytes" in str(error)
    assert idx.DEFAULT_MAX_BYTES >= 4 * 47 * 10**6  # well above MNIST's largest file


def test_memory_grows_with_the_real_payload_not_the_declared_one(tmp_path: Path) -> None:
    """A gzip whose header declares 200 MiB but holds 1 KB is refused having read 1 KB."""
    from bounded import MiB, call_bounded

    path = put(tmp_path, raw_idx(0x08, (200 * MiB,), bytes(1000)), gz=True)
    error = call_bounded(lambda: read_idx(path), (IDXFormatError,), max_bytes=8 * MiB)
    assert "bytes short" in str(error)


def test_data_fetch_with_a_hostile_data_dir_is_one_line(tmp_path: Path, cache_dir, capsys):
    """Issue 18: through ``scratchnet data fetch --data-dir`` these were tracebacks."""
    from scratchnet.cli import main

    folder = tmp_path / "idx"
    folder.mkdir()
    for name in ("train-images-idx3-ubyte", "t10k-images-idx3-ubyte"):
        put(folder, raw_idx(0x08, (0, 2**32 - 1, 2**32 - 1), b""), name=name)
    for name in ("train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"):
        put(folder, raw_idx(0x08, (0,), b""), name=name)
    assert main(["data", "fetch", "mnist", "--offline", "--data-dir", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "train-images-idx3-ubyte" in err and "zero dimension" in err
    assert err.count("\n") == 1 and "Traceback" not in err
