"""Losses with their gradients, averaged over the batch.

* Cross-entropy is computed from logits through a shifted log-softmax, so it is finite for any
  finite logits (+-1000 included), and its gradient is the fused ``(softmax - onehot) / n``.
* Squared error is ``sum((y_pred - y)^2) / (2 n)``: half the squared norm per sample, which is
  the loss whose gradient scikit-learn's MLPRegressor follows (``(y_pred - y) / n``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from scratchnet.errors import ConfigError
from scratchnet.nn import kernels
from scratchnet.nn.activations import exp_nonpositive_inplace

Loss = Callable[..., tuple[float, np.ndarray]]


def _gather(matrix: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """``matrix[i, columns[i]]`` for every row i, shape (n_samples,)."""
    return np.take_along_axis(matrix, columns[:, None], axis=1)[:, 0]


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax of logits (n_samples, n_classes), stable for any finite input."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    sums = exp_nonpositive_inplace(shifted.copy()).sum(axis=1, keepdims=True)
    return shifted - np.log(sums)


def negative_log_likelihood(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-sample ``-log softmax(logits)[i, y_i]``, shape (n_samples,)."""
    return -_gather(log_softmax(logits), y)


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> float:
    """Mean negative log-likelihood of class indices ``y`` (n_samples,) under ``logits``."""
    return float(negative_log_likelihood(logits, y).mean())


def softmax_cross_entropy(
    logits: np.ndarray, y: np.ndarray, out: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """Cross-entropy of softmax(logits) and its gradient with respect to the logits.

    Parameters
    ----------
    logits : ndarray of shape (n_samples, n_classes)
    y : ndarray of int, shape (n_samples,)
        Class indices in ``[0, n_classes)``.
    out : ndarray of shape (n_samples, n_classes), optional
        Buffer for the gradient; may be ``logits`` itself, which is then overwritten.

    Returns
    -------
    loss : float
        Mean cross-entropy over the batch.
    grad : ndarray of shape (n_samples, n_classes)
        ``(softmax(logits) - onehot(y)) / n_samples``.
    """
    if out is None:
        out = np.empty(logits.shape, np.result_type(logits.dtype, np.float32))
    loss, _, grad = kernels.softmax_cross_entropy(logits, np.asarray(y), out)
    return loss, grad


def squared_error(
    y_pred: np.ndarray, y: np.ndarray, out: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """Half the mean per-sample squared error and its gradient with respect to ``y_pred``.

    Parameters
    ----------
    y_pred, y : ndarray of shape (n_samples, n_outputs)
    out : ndarray of shape (n_samples, n_outputs), optional
        Buffer for the gradient; may be ``y_pred`` itself, which is then overwritten.

    Returns
    -------
    loss : float
        ``sum((y_pred - y) ** 2) / (2 * n_samples)``.
    grad : ndarray of shape (n_samples, n_outputs)
        ``(y_pred - y) / n_samples``.
    """
    n = y_pred.shape[0]
    grad = np.subtract(y_pred, y, out=out)
    loss = float(np.vdot(grad, grad)) / (2 * n)
    grad /= n
    return loss, grad


LOSSES: dict[str, Loss] = {
    "cross_entropy": softmax_cross_entropy,
    "squared_error": squared_error,
}


def get(name: str) -> Loss:
    """Return the loss named ``name``; unknown names raise :class:`ConfigError`."""
    if name not in LOSSES:
        raise ConfigError(f"unknown loss {name!r}; valid: {', '.join(sorted(LOSSES))}")
    return LOSSES[name]
