"""Splits, subsets, scaling, flattening and one-hot labels."""

from __future__ import annotations

import numpy as np
import pytest

from scratchnet.data import (
    first_n,
    flatten_images,
    minmax_scale,
    one_hot,
    scale_pixels,
    stratified_subset,
    train_val_split,
    train_val_test_split,
)
from scratchnet.errors import ConfigError, DataError


@pytest.fixture
def labelled():
    """1000 samples whose single feature is their index; 10 classes of 100 each."""
    ids = np.arange(1000).reshape(-1, 1)
    y = np.repeat(np.arange(10), 100).astype(np.uint8)
    return ids, y


def test_ratio_split_is_stratified_disjoint_and_complete(labelled) -> None:
    X, y = labelled
    split = train_val_test_split(X, y, (0.8, 0.1, 0.1), random_state=3)
    assert (len(split.y_train), len(split.y_val), len(split.y_test)) == (800, 100, 100)
    for part, per_class in ((split.y_train, 80), (split.y_val, 10), (split.y_test, 10)):
        assert np.bincount(part, minlength=10).tolist() == [per_class] * 10
    ids = np.concatenate([split.X_train, split.X_val, split.X_test]).ravel()
    assert sorted(ids.tolist()) == list(range(1000))
    np.testing.assert_array_equal(y[split.X_val.ravel()], split.y_val)  # rows stay paired
    assert repr(split) == "Split(train=800, val=100, test=100)"


def test_splits_are_deterministic_per_seed(labelled) -> None:
    X, y = labelled
    a = train_val_test_split(X, y, random_state=1)
    b = train_val_test_split(X, y, random_state=1)
    c = train_val_test_split(X, y, random_state=2)
    np.testing.assert_array_equal(a.X_test, b.X_test)
    assert not np.array_equal(a.X_test, c.X_test)


def test_original_split_sizes_on_60000() -> None:
    y = np.tile(np.arange(10, dtype=np.uint8), 6000)
    X = np.arange(60000)
    split = train_val_test_split(X, y, random_state=0)
    assert (len(split.y_train), len(split.y_val), len(split.y_test)) == (48000, 6000, 6000)
    X_tr, X_val, _, y_val = train_val_split(X, y, 10_000, random_state=0)
    assert (len(X_tr), len(X_val)) == (50000, 10000)
    assert np.bincount(y_val).tolist() == [1000] * 10
    assert not set(X_tr.tolist()) & set(X_val.tolist())


def test_validation_split_by_fraction_and_unstratified(labelled) -> None:
    X, y = labelled
    X_tr, X_val, _, _ = train_val_split(X, y, 0.25, random_state=0, stratify=False)
    assert (len(X_tr), len(X_val)) == (750, 250)


@pytest.mark.parametrize(
    ("ratios", "error"),
    [((0.8, 0.2), ConfigError), ((0.5, 0.3, 0.3), ConfigError), ((1.0, 0.0, 0.0), ConfigError)],
)
def test_bad_ratios(labelled, ratios, error) -> None:
    with pytest.raises(error, match="ratios"):
        train_val_test_split(*labelled, ratios)


def test_bad_sizes_and_lengths(labelled) -> None:
    X, y = labelled
    with pytest.raises(ConfigError, match="between 1 and 999, got 1000"):
        train_val_split(X, y, 1000)
    with pytest.raises(DataError, match="X has 1000 samples but y has 999"):
        train_val_split(X, y[:-1], 10)
    with pytest.raises(DataError, match="cannot split"):
        train_val_split(X, y, 5)  # fewer held-out samples than classes under stratification


def test_first_n_is_the_original_subset(labelled) -> None:
    X, y = labelled
    X8, y8 = first_n(X, y, 8)
    np.testing.assert_array_equal(X8.ravel(), np.arange(8))
    np.testing.assert_array_equal(y8, y[:8])
    assert np.shares_memory(X8, X)
    with pytest.raises(ConfigError, match="between 1 and 1000"):
        first_n(X, y, 0)


def test_stratified_subset_keeps_proportions(labelled) -> None:
    X, y = labelled
    Xs, ys = stratified_subset(X, y, 200, random_state=0)
    assert np.bincount(ys).tolist() == [20] * 10
    np.testing.assert_array_equal(y[Xs.ravel()], ys)
    Xs2, _ = stratified_subset(X, y, 200, random_state=0)
    np.testing.assert_array_equal(Xs, Xs2)


def test_scale_pixels() -> None:
    X = np.array([[0, 51, 255]], dtype=np.uint8)
    scaled = scale_pixels(X)
    assert scaled.dtype == np.float32
    np.testing.assert_allclose(scaled, [[0.0, 0.2, 1.0]], rtol=1e-6)
    assert scaled[0, 2] == np.float32(1.0)
    assert scale_pixels(X, dtype=np.float64).dtype == np.float64
    with pytest.raises(DataError, match="0..255"):
        scale_pixels(np.array([300]))


def test_minmax_scale_matches_scikit_learn() -> None:
    from sklearn.preprocessing import MinMaxScaler

    rng = np.random.default_rng(0)
    train = rng.integers(0, 256, size=(50, 6)).astype(np.uint8)
    train[:, 2] = 7  # a constant feature
    test = rng.integers(0, 256, size=(20, 6)).astype(np.uint8)
    ours_train, ours_test = minmax_scale(train, test)
    scaler = MinMaxScaler().fit(train)
    np.testing.assert_allclose(ours_train, scaler.transform(train), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ours_test, scaler.transform(test), rtol=1e-6, atol=1e-6)
    assert ours_train.dtype == np.float32
    with pytest.raises(DataError, match=r"expected shape \(n, 6\)"):
        minmax_scale(train, test[:, :5])


def test_flatten_images() -> None:
    X = np.zeros((4, 28, 28), np.uint8)
    assert flatten_images(X).shape == (4, 784)
    assert np.shares_memory(flatten_images(X), X)
    with pytest.raises(DataError, match="expected images"):
        flatten_images(np.zeros(3))


def test_one_hot() -> None:
    encoded = one_hot(np.array([2, 0, 1], np.uint8), 4)
    np.testing.assert_array_equal(encoded, [[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]])
    assert encoded.dtype == np.float32
    assert one_hot(np.array([1, 3])).shape == (2, 4)
    with pytest.raises(DataError, match=r"0\.\.2"):
        one_hot(np.array([3]), 3)
    with pytest.raises(DataError, match="1-D integer"):
        one_hot(np.array([0.5]))
