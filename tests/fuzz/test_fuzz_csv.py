"""Fuzz the label-plus-pixels CSV reader: valid files with random damage (any bytes, not
only UTF-8) end in arrays or a DataError naming the file, within a memory bound."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from scratchnet.data.csvio import read_csv_dataset
from scratchnet.errors import DataError

from bounded import MiB, call_bounded


@st.composite
def damaged_csv(draw) -> bytes:
    n_features = draw(st.integers(1, 6))
    rows = draw(st.lists(st.lists(st.integers(0, 300), min_size=n_features + 1,
                                  max_size=n_features + 1), max_size=6))  # fmt: skip
    header = ",".join(["label", *(f"pixel{i}" for i in range(n_features))])
    text = "\n".join([header, *(",".join(map(str, row)) for row in rows)]) + "\n"
    data = bytearray(text.encode())
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(data)))
        data[at:at] = draw(st.binary(min_size=1, max_size=4))  # may be anything, UTF-8 or not
    return bytes(data)


@given(data=damaged_csv())
def test_csv_reader_fails_only_with_a_named_data_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("csv") / "d.csv"
    path.write_bytes(data)
    outcome = call_bounded(lambda: read_csv_dataset(path), (DataError,), 16 * MiB)
    if isinstance(outcome, DataError):
        assert str(outcome).startswith(f"{path}: ") and "\n" not in str(outcome)
    else:
        X, y = outcome
        assert len(X) == len(y) and X.dtype == y.dtype
