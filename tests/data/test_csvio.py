"""Label-plus-pixels CSV files: round trip, and every kind of damage named by file and line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scratchnet.data.csvio import read_csv_dataset, write_csv_dataset
from scratchnet.errors import DataError

HEADER = "label,p1,p2,p3\n"


def put(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "data.csv"
    path.write_bytes(text.encode())
    return path


def test_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(25, 5, 4), dtype=np.uint8)
    y = rng.integers(0, 10, size=25).astype(np.uint8)
    path = write_csv_dataset(tmp_path / "out.csv", X, y)
    lines = path.read_text().splitlines()
    assert lines[0] == "label," + ",".join(f"pixel{i}" for i in range(1, 21))
    assert lines[1] == ",".join(map(str, [y[0], *X[0].ravel()]))
    X_back, y_back = read_csv_dataset(path, n_features=20)
    assert X_back.dtype == np.uint8 and y_back.dtype == np.uint8
    np.testing.assert_array_equal(X_back, X.reshape(25, 20))
    np.testing.assert_array_equal(y_back, y)


def test_windows_line_endings_and_trailing_blank_lines_are_fine(tmp_path: Path) -> None:
    path = put(tmp_path, HEADER.replace("\n", "\r\n") + "1,0,128,255\r\n2,3,4,5\r\n\r\n\n")
    X, y = read_csv_dataset(path)
    np.testing.assert_array_equal(X, [[0, 128, 255], [3, 4, 5]])
    np.testing.assert_array_equal(y, [1, 2])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "file is empty"),
        ("\n\n", "file is empty"),
        (HEADER, "header only, no data rows"),
        (HEADER + "\n", "header only, no data rows"),
        ("1,2,3,4\n5,6,7,8\n", "line 1 must be a header starting with 'label'"),
        (HEADER + "1,2,3,4\n5,6,7\n", "line 3 has 3 cells, expected 4"),
        (HEADER + "1,2,3,4\n5,6,7,8,9\n", "line 3 has 5 cells, expected 4"),
        (HEADER + "1,2,x,4\n", "line 2: column 3 is 'x', expected an integer"),
        (HEADER + "1,2,3.0,4\n", "line 2: column 3 is '3.0'"),
        (HEADER + "1,2,-3,4\n", "line 2: column 3 is '-3'"),
        (HEADER + "1,2,,4\n", "line 2: column 3 is ''"),
        (HEADER + "1,2,3,\n", "line 2: column 4 is ''"),
        (HEADER + "1,2, 3,4\n", "line 2: column 3 is ' 3'"),
        (HEADER + "1,2,3,4\n\n5,6,7,8\n", "line 3 is empty"),
        (HEADER + "1,2,3,4\n5,6,256,8\n", "line 3 column 3: pixel value 256 is outside 0..255"),
        (HEADER + "300,2,3,4\n", "line 2 column 1: label value 300 is outside 0..255"),
        (HEADER + "1,2,3,99999999999999999999999\n", "unreadable value"),
    ],
)
def test_damaged_files_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = put(tmp_path, text)
    with pytest.raises(DataError, match=message) as info:
        read_csv_dataset(path)
    assert str(path) in str(info.value)


def test_header_width_is_checked_against_the_expected_features(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="header has 4 columns, expected 1 label \\+ 784 pixels"):
        read_csv_dataset(put(tmp_path, HEADER + "1,2,3,4\n"), n_features=784)


def test_writer_refuses_mismatched_lengths(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="3 images but 2 labels"):
        write_csv_dataset(tmp_path / "x.csv", np.zeros((3, 4), np.uint8), np.zeros(2, np.uint8))
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize(
    ("content", "where"),
    [
        (b"label,p1\n1,2\n3,\xff\n", "line 3 column 3"),
        (b"lab\xe9l,p1\n1,2\n", "line 1 column 4"),
        (b"label,p1\r\n1,2\r\n\xc3\x28,1\r\n", "line 3 column 1"),
    ],
)
def test_bytes_that_are_not_utf8_name_the_file_and_line(
    tmp_path: Path, content: bytes, where: str
) -> None:
    """Issue 18: a raw UnicodeDecodeError naming neither the file nor the line."""
    path = tmp_path / "d.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match=f"{path}: {where}: byte 0x.. is not UTF-8"):
        read_csv_dataset(path)
