"""Inverted dropout, with masks that are a function of the sample, the step and the unit.

While training, hidden unit ``j`` of a sample is kept with probability ``1 - rate`` and then
scaled by ``1 / (1 - rate)``, so that its expected output is its output without dropout, at
prediction time; dropped, it outputs 0.

The masks are drawn counter-based (as JAX and PyTorch's GPU generators do): the decision for
(sample, step, layer, unit) is a hash of those four and of the ``random_state``, with no
generator state to carry. The sample enters as a *key* hashed from the bytes of its row, not
its position, so:

* a sample gets the same masks wherever shuffling puts it, and a duplicated sample gets the
  same masks as its original: an integer sample weight ``k`` trains exactly as ``k`` copies of
  the row (scikit-learn's sample-weight equivalence holds with dropout on);
* the masks are bitwise reproducible from ``random_state`` alone.

Two different rows collide on a key with probability about 2^-64.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from scratchnet.nn import kernels
from scratchnet.nn.kernels import GOLDEN_GAMMA, splitmix64

#: Rows hashed per block when computing keys (bounds the temporary to ~8 MB per 1,000 columns).
KEY_BLOCK = 1024
_U64 = np.uint64


class Dropout:
    """The masks of the hidden layers' inverted dropout.

    Parameters
    ----------
    rates : sequence of float
        One rate in [0, 1) per hidden layer; 0 leaves the layer alone.
    seed : int
        Any integer (from the estimator's ``random_state``); the masks are a function of it.
    """

    def __init__(self, rates: Sequence[float], seed: int) -> None:
        self.rates = tuple(float(rate) for rate in rates)
        self.seed = int(seed) % 2**64
        #: Per layer: a unit is kept when its 53 hash bits reach this (rate * 2^53, rounded up).
        self.thresholds = tuple(int(np.ceil(rate * 2.0**53)) for rate in self.rates)
        self._buffers: dict[tuple, np.ndarray] = {}

    @property
    def keep_scales(self) -> tuple[float, ...]:
        """Per layer, the output scale of a kept unit: ``1 / (1 - rate)``."""
        return tuple(1.0 / (1.0 - rate) for rate in self.rates)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_buffers": {}}  # scratch space: not worth pickling

    def row_keys(self, X) -> np.ndarray:
        """One key (n,) uint64 per row of X (dense or CSR): a hash of the row's values."""
        seed = _U64(self.seed)
        if sparse.issparse(X):
            sums = _sparse_row_sums(sparse.csr_matrix(X), seed)
        else:
            sums = _dense_row_sums(np.asarray(X), seed)
        return splitmix64(sums ^ seed)

    def masks(
        self, keys: np.ndarray, step: int, sizes: Sequence[int], dtype: np.dtype
    ) -> list[np.ndarray | None]:
        """The masks (n, sizes[i]) of training step ``step`` for rows with ``keys`` (n,), per
        hidden layer; None where the rate is 0. Reused buffers: valid until the next call."""
        masks: list[np.ndarray | None] = []
        scales = self.keep_scales
        for layer, (rate, size) in enumerate(zip(self.rates, sizes)):
            if not rate:
                masks.append(None)
                continue
            mask = self._buffers.get((layer, len(keys)))
            if mask is None:
                mask = self._buffers[(layer, len(keys))] = np.empty((len(keys), size), dtype)
            salt = _salt(self.seed, step, layer)
            kernels.dropout_mask(mask, keys, salt, self.thresholds[layer], scales[layer])
            masks.append(mask)
        return masks

    def salts(self, first_step: int, n_steps: int) -> np.ndarray:
        """The salt of every hidden layer (n_steps, n_layers) uint64 for the steps from
        ``first_step`` on: the words :meth:`masks` mixes with the row keys."""
        layers = range(len(self.rates))
        steps = range(first_step, first_step + n_steps)
        words = [_salt(self.seed, step, layer) for step in steps for layer in layers]
        return np.array(words, dtype=_U64).reshape(n_steps, len(self.rates))


def _salt(seed: int, step: int, layer: int) -> int:
    """A word per (seed, step, layer): the masks' second input beside the row key (Python
    integers: NumPy's per-call overhead on one word costs more than the mask itself)."""
    counter = (step * 1024 + layer) % _WORD
    return _splitmix64_word((_splitmix64_word(counter ^ seed) + int(GOLDEN_GAMMA)) % _WORD)


_WORD = 2**64


def _splitmix64_word(x: int) -> int:
    """:func:`kernels.splitmix64` of one word, as a Python integer in [0, 2^64)."""
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) % _WORD
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) % _WORD
    return x ^ (x >> 31)


def _column_factors(n_columns: int, seed: np.uint64) -> np.ndarray:
    """An odd pseudo-random multiplier (n_columns,) uint64 per column."""
    return splitmix64(np.arange(n_columns, dtype=_U64) + seed) | _U64(1)


def _dense_row_sums(X: np.ndarray, seed: np.uint64) -> np.ndarray:
    """``sum_j bits(X[r, j]) * factor_j`` modulo 2^64 per row (n,): equal rows, equal sums."""
    factors = _column_factors(X.shape[1], seed)
    unsigned = np.dtype(f"u{X.dtype.itemsize}")
    sums = np.empty(X.shape[0], _U64)
    for begin in range(0, X.shape[0], KEY_BLOCK):
        block = np.ascontiguousarray(X[begin : begin + KEY_BLOCK]).view(unsigned)
        np.sum(block.astype(_U64) * factors, axis=1, out=sums[begin : begin + KEY_BLOCK])
    return sums


def _sparse_row_sums(X: sparse.csr_matrix, seed: np.uint64) -> np.ndarray:
    """The same for a CSR matrix, from its stored entries: bits(value) * factor(column)."""
    unsigned = np.dtype(f"u{X.data.dtype.itemsize}")
    data = np.ascontiguousarray(X.data)
    terms = data.view(unsigned).astype(_U64) * _column_factors(X.shape[1], seed)[X.indices]
    running = np.concatenate([np.zeros(1, _U64), np.cumsum(terms, dtype=_U64)])
    return running[X.indptr[1:]] - running[X.indptr[:-1]]
