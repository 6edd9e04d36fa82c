"""The download path, for real, against an HTTP server on 127.0.0.1 serving the tiny dataset."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pytest

from scratchnet.data import load_dataset
from scratchnet.data.download import TransferError, download
from scratchnet.errors import DataSourceError


class FixedSource:
    """A fallback that always yields the given arrays (stands in for the package fallbacks)."""

    def __init__(self, arrays):
        self.arrays = arrays
        self.calls = 0

    def describe(self) -> str:
        return "fixed test source"

    def load(self, spec):
        self.calls += 1
        return {k: v.copy() for k, v in self.arrays.items()}


def load(spec, **kwargs):
    return load_dataset(spec, timeout=1.0, retries=0, **kwargs)


def test_good_transfer_is_verified_cached_and_reused(
    arrays, spec_for, loopback, cache_dir, private_tmp, list_files
) -> None:
    spec = spec_for(arrays, mirrors=(f"{loopback.url}/good/",))
    first = load(spec)
    assert first.source == f"mirror {loopback.url}/good/"
    for role in ("X_train", "y_train", "X_test", "y_test"):
        np.testing.assert_array_equal(getattr(first, role), arrays[role])
    assert sum(loopback.hits.values()) == 4
    assert {p.name for p in list_files(cache_dir)} == {
        "X_train.npy",
        "y_train.npy",
        "X_test.npy",
        "y_test.npy",
        "source.json",
    }
    second = load(spec)
    assert second.source.startswith("cache ")
    assert sum(loopback.hits.values()) == 4  # no new request
    assert list_files(private_tmp) == []


@pytest.mark.parametrize("mode", ["cut", "wrong"])
def test_bad_mirror_is_refused_and_the_next_one_used(
    arrays, spec_for, loopback, cache_dir, private_tmp, list_files, mode, caplog
) -> None:
    spec = spec_for(arrays, mirrors=(f"{loopback.url}/{mode}/", f"{loopback.url}/good/"))
    with caplog.at_level(logging.INFO, logger="scratchnet.data"):
        dataset = load(spec)
    assert dataset.source == f"mirror {loopback.url}/good/"
    np.testing.assert_array_equal(dataset.X_train, arrays["X_train"])
    expected = "cut off after" if mode == "cut" else "does not match its pinned digest"
    failures = [r.getMessage() for r in caplog.records if f"/{mode}/" in r.getMessage()]
    assert len(failures) == 1 and expected in failures[0] and "\n" not in failures[0]
    assert list_files(private_tmp) == []


@pytest.mark.parametrize("mode", ["cut", "wrong"])
def test_bad_transfer_leaves_nothing_in_the_cache(
    arrays, spec_for, loopback, cache_dir, private_tmp, list_files, mode
) -> None:
    spec = spec_for(arrays, mirrors=(f"{loopback.url}/{mode}/",))
    with pytest.raises(DataSourceError, match=f"mirror {loopback.url}/{mode}/"):
        load(spec)
    assert list_files(cache_dir) == []
    assert list_files(private_tmp) == []


def test_cut_transfer_is_retried(arrays, spec_for, loopback, cache_dir) -> None:
    spec = spec_for(arrays, mirrors=(f"{loopback.url}/cut/",))
    with pytest.raises(DataSourceError, match="after 2 attempts"):
        load_dataset(spec, timeout=1.0, retries=1)
    assert loopback.hits["/cut/train-images-idx3-ubyte.gz"] == 2


def test_silent_server_times_out_and_the_next_source_is_tried(
    arrays, spec_for, silent_url, cache_dir, list_files, caplog
) -> None:
    fallback = FixedSource(arrays)
    spec = spec_for(arrays, mirrors=(silent_url,), fallbacks=(fallback,))
    start = time.monotonic()
    with caplog.at_level(logging.INFO, logger="scratchnet.data"):
        dataset = load(spec)
    elapsed = time.monotonic() - start
    assert 0.9 < elapsed < 5.0
    assert dataset.source == "fixed test source" and fallback.calls == 1
    assert any("no answer within 1 s" in r.getMessage() for r in caplog.records)
    assert len(list_files(cache_dir)) == 5  # the fallback's verified arrays are cached


def test_unreachable_host_fails_fast(tmp_path: Path) -> None:
    start = time.monotonic()
    with pytest.raises(TransferError) as info:
        download("http://127.0.0.1:9/x.gz", tmp_path / "x.gz", timeout=1.0, retries=3)
    assert time.monotonic() - start < 1.0  # connection refused is not retried
    assert not info.value.retry
    assert not (tmp_path / "x.gz").exists()


def test_http_errors(loopback, tmp_path: Path) -> None:
    with pytest.raises(TransferError, match="HTTP 404"):
        download(f"{loopback.url}/good/missing.gz", tmp_path / "m", retries=2)
    assert loopback.hits["/good/missing.gz"] == 1  # 4xx is not retried
    with pytest.raises(TransferError, match="only http"):
        download("file:///etc/passwd", tmp_path / "p")


def test_download_size_limit(loopback, tmp_path: Path) -> None:
    with pytest.raises(TransferError, match="more than 10"):
        download(f"{loopback.url}/good/train-images-idx3-ubyte.gz", tmp_path / "b", max_bytes=10)
    assert list(tmp_path.iterdir()) == []
