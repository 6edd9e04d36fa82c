"""Preprocessing used by the studies: splits, subsets, pixel scaling, flattening, one-hot labels.

Every random step takes an explicit ``random_state`` and is deterministic for a given seed.
Stratified splits use :func:`sklearn.model_selection.train_test_split`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scratchnet.errors import ConfigError, DataError

RandomState = int | np.random.Generator | None


@dataclass(frozen=True, eq=False)
class Split:
    """Train, validation and test arrays from one split.

    Attributes
    ----------
    X_train, X_val, X_test : ndarray of shape (n_*, ...)
    y_train, y_val, y_test : ndarray of shape (n_*,)
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    def __repr__(self) -> str:
        sizes = ", ".join(f"{n}={len(getattr(self, 'y_' + n))}" for n in ("train", "val", "test"))
        return f"Split({sizes})"


def train_val_test_split(
    X: np.ndarray,
    y: np.ndarray,
    ratios: tuple[float, float, float] = (0.8, 0.1, 0.1),
    *,
    random_state: RandomState = 0,
    stratify: bool = True,
) -> Split:
    """Split one labelled set into train, validation and test parts by ratio (original: 80:10:10).

    Parameters
    ----------
    X : ndarray of shape (n_samples, ...)
    y : ndarray of shape (n_samples,)
    ratios : (train, val, test)
        Positive fractions summing to 1.
    random_state : int or Generator, optional
    stratify : bool
        Keep the class proportions in every part.

    Returns
    -------
    Split
    """
    _check_xy(X, y)
    if len(ratios) != 3 or any(r <= 0 for r in ratios) or not np.isclose(sum(ratios), 1.0):
        raise ConfigError(f"ratios must be three positive fractions summing to 1, got {ratios}")
    n = len(y)
    n_test = round(n * ratios[2])
    n_val = round(n * ratios[1])
    X_rest, X_test, y_rest, y_test = _split(X, y, n_test, random_state, stratify)
    X_train, X_val, y_train, y_val = _split(X_rest, y_rest, n_val, random_state, stratify)
    return Split(X_train, y_train, X_val, y_val, X_test, y_test)


def train_val_split(
    X: np.ndarray,
    y: np.ndarray,
    n_val: int | float = 10_000,
    *,
    random_state: RandomState = 0,
    stratify: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hold out a validation set from a training set (original: 10,000 of the 60,000).

    Parameters
    ----------
    n_val : int or float
        Number of validation samples, or a fraction in (0, 1).

    Returns
    -------
    X_train, X_val, y_train, y_val : ndarrays
    """
    _check_xy(X, y)
    count = round(n_val * len(y)) if isinstance(n_val, float) else int(n_val)
    X_train, X_val, y_train, y_val = _split(X, y, count, random_state, stratify)
    return X_train, X_val, y_train, y_val


def first_n(X: np.ndarray, y: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n`` samples, as the original's "first 8000 train / 2000 test" (views)."""
    _check_xy(X, y)
    if not 1 <= n <= len(y):
        raise ConfigError(f"n must be between 1 and {len(y)}, got {n}")
    return X[:n], y[:n]


def stratified_subset(
    X: np.ndarray, y: np.ndarray, n: int, *, random_state: RandomState = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A random subset of ``n`` samples with the class proportions of ``y``.

    Returns
    -------
    X_sub : ndarray of shape (n, ...)
    y_sub : ndarray of shape (n,)
    """
    _check_xy(X, y)
    if n == len(y):
        return X, y
    _, X_sub, _, y_sub = _split(X, y, n, random_state, stratify=True)
    return X_sub, y_sub


def scale_pixels(X: np.ndarray, *, dtype: np.dtype | type = np.float32) -> np.ndarray:
    """Map 8-bit pixel values 0..255 to [0, 1] (the original's normalization).

    Parameters
    ----------
    X : ndarray of any shape, integer values 0..255

    Returns
    -------
    ndarray of the same shape, ``dtype`` (float32 by default)
    """
    X = np.asarray(X)
    if X.dtype != np.uint8 and X.size and (X.min() < 0 or X.max() > 255):
        raise DataError(f"pixel values must lie in 0..255, got {X.min()}..{X.max()}")
    out = X.astype(dtype, copy=True)
    out *= np.asarray(1.0 / 255.0, dtype=dtype)
    return out


def minmax_fit(X_fit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature minimum and span (max - min, 1 where constant) of X_fit (n, n_features)."""
    X_fit = np.asarray(X_fit)
    if X_fit.ndim != 2 or len(X_fit) == 0:
        raise DataError(f"X_fit must be a non-empty 2-D array, got shape {X_fit.shape}")
    low = X_fit.min(axis=0).astype(np.float64)
    span = X_fit.max(axis=0).astype(np.float64) - low
    span[span == 0] = 1.0
    return low, span


def minmax_apply(
    X: np.ndarray, low: np.ndarray, span: np.ndarray, *, dtype: np.dtype | type = np.float32
) -> np.ndarray:
    """``(X - low) / span`` as ``dtype``, computed in ``dtype`` without a float64 copy of X."""
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != low.shape[0]:
        raise DataError(f"expected shape (n, {low.shape[0]}), got {X.shape}")
    out = X.astype(dtype, copy=True)
    out -= low.astype(dtype)
    out *= (1.0 / span).astype(dtype)
    return out


def minmax_scale(
    X_fit: np.ndarray, *others: np.ndarray, dtype: np.dtype | type = np.float32
) -> list[np.ndarray]:
    """Per-feature min-max scaling fitted on ``X_fit`` (``MinMaxScaler``, as the original).

    Features that are constant in ``X_fit`` are only shifted. Values of ``others`` outside the
    fitted range map outside [0, 1], as in scikit-learn.

    Parameters
    ----------
    X_fit : ndarray of shape (n_samples, n_features)
    *others : ndarrays of shape (m, n_features)

    Returns
    -------
    list of ndarray
        ``X_fit`` scaled, then each of ``others`` scaled, all ``dtype``.
    """
    low, span = minmax_fit(X_fit)
    return [minmax_apply(part, low, span, dtype=dtype) for part in (X_fit, *others)]


def flatten_images(X: np.ndarray) -> np.ndarray:
    """Reshape images (n, rows, cols) to (n, rows * cols), a view when possible (784 for MNIST)."""
    X = np.asarray(X)
    if X.ndim < 2:
        raise DataError(f"expected images of shape (n, rows, cols), got shape {X.shape}")
    return X.reshape(len(X), -1)


def one_hot(y: np.ndarray, n_classes: int | None = None, *, dtype: type = np.float32) -> np.ndarray:
    """One-hot encode integer labels.

    Parameters
    ----------
    y : ndarray of shape (n_samples,), integers 0..n_classes-1
    n_classes : int, optional
        Default ``y.max() + 1``.

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
    """
    y = np.asarray(y)
    if y.ndim != 1 or (y.size and y.dtype.kind not in "iu"):
        raise DataError(f"labels must be a 1-D integer array, got {y.dtype} shape {y.shape}")
    if n_classes is not None:
        k = int(n_classes)
    else:
        k = int(y.max()) + 1 if y.size else 0
    if y.size and (y.min() < 0 or y.max() >= k):
        raise DataError(f"labels must lie in 0..{k - 1}, got {y.min()}..{y.max()}")
    encoded = np.zeros((len(y), k), dtype=dtype)
    encoded[np.arange(len(y)), y] = 1
    return encoded


def _split(
    X: np.ndarray, y: np.ndarray, n_second: int, random_state: RandomState, stratify: bool
) -> list[np.ndarray]:
    """``train_test_split`` with ``n_second`` samples in the second part and clear errors."""
    from sklearn.model_selection import train_test_split

    if not 0 < n_second < len(y):
        raise ConfigError(f"split size must be between 1 and {len(y) - 1}, got {n_second}")
    seed = _seed(random_state)
    try:
        return train_test_split(
            X, y, test_size=n_second, random_state=seed, stratify=y if stratify else None
        )
    except ValueError as exc:  # e.g. a class with a single member under stratification
        raise DataError(f"cannot split {len(y)} samples into {n_second} held out: {exc}") from exc


def _seed(random_state: RandomState) -> int | None:
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31 - 1))
    return random_state


def _check_xy(X: np.ndarray, y: np.ndarray) -> None:
    if len(X) != len(y):
        raise DataError(f"X has {len(X)} samples but y has {len(y)}")
