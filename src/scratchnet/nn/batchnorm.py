"""Batch normalization of a hidden layer, between its affine map and its activation.

For a batch of pre-activations ``z`` (n, k) without bias, and sample shares ``p`` (n,) that sum
to one (``p_i = w_i / sum(w)`` with sample weights, ``1 / n`` without), training mode computes,
per unit::

    mean = sum_i p_i z_i
    var  = sum_i p_i (z_i - mean)^2            (biased: the batch's own spread)
    s    = 1 / sqrt(var + epsilon)
    zhat = (z - mean) s
    y    = gamma zhat + beta                   (then y goes through the activation)

``gamma`` is the layer's learned scale; its learned shift ``beta`` is the layer's ordinary
bias (a bias added before the normalization would be subtracted again with the mean). A
sample of weight 2 counts as the same sample twice, and one of weight 0 does not count.

Backward, from ``dy`` = dL/dy (n, k)::

    dbeta  = sum_i dy_i
    dgamma = sum_i dy_i zhat_i
    dz_j   = gamma s (dy_j - p_j dbeta - p_j zhat_j dgamma)

(the chain rule through ``zhat``, ``mean`` and ``var``: ``d mean / dz_j = p_j``,
``d var / dz_j = 2 p_j (z_j - mean)``, and ``sum_i p_i zhat_i = 0``).

Inference uses running averages of the batch statistics instead, updated after every
training step as ``running <- momentum running + (1 - momentum) batch``, so the layer becomes
one affine map: ``y = z scale + shift`` with ``scale = gamma / sqrt(running_var + epsilon)``
and ``shift = beta - running_mean scale``.
"""

from __future__ import annotations

import numpy as np

#: Added to the variance before its square root (PyTorch's and Keras's default is 1e-5 / 1e-3).
EPSILON = 1e-5
#: Weight of the old running average at each update (PyTorch's momentum 0.1 means this 0.9).
MOMENTUM = 0.9


class BatchStatistics:
    """One batch-normalized layer's buffers for batches of ``n`` rows.

    Attributes
    ----------
    normalized : ndarray of shape (n, k)
        ``zhat``, kept for the backward pass.
    mean, var, inv_std : ndarray of shape (k,)
        The batch's statistics and ``1 / sqrt(var + epsilon)``.
    scratch : ndarray of shape (n, k)
        Working space of the forward and backward passes.
    """

    def __init__(self, n: int, k: int, dtype: np.dtype) -> None:
        self.normalized = np.empty((n, k), dtype)
        self.scratch = np.empty((n, k), dtype)
        self.mean = np.empty(k, dtype)
        self.var = np.empty(k, dtype)
        self.inv_std = np.empty(k, dtype)


def shares(weights: np.ndarray | None, dtype: np.dtype) -> np.ndarray | None:
    """Each row's share ``w_i / sum(w)`` (n, 1) of the batch statistics; None for equal shares."""
    if weights is None:
        return None
    return (weights / weights.sum(dtype=np.float64)).astype(dtype).reshape(-1, 1)


def normalize(
    z: np.ndarray, gamma: np.ndarray, p: np.ndarray | None, epsilon: float, stats: BatchStatistics
) -> None:
    """Training mode: ``z <- gamma * zhat`` in place (n, k), ``zhat`` and statistics in ``stats``.

    ``p`` (n, 1) are the rows' shares from :func:`shares`, or None for equal ones. The shift
    ``beta`` is left for the caller's bias step.
    """
    if z.shape[0] < 2:
        raise ValueError(
            "batch normalization needs at least 2 rows per training batch, got 1 sample"
        )
    centered, scratch = stats.normalized, stats.scratch
    _weighted_mean(z, p, stats.mean, scratch)
    np.subtract(z, stats.mean, out=centered)
    np.multiply(centered, centered, out=scratch)
    _weighted_mean(scratch, p, stats.var, scratch)
    np.add(stats.var, epsilon, out=stats.inv_std)
    np.sqrt(stats.inv_std, out=stats.inv_std)
    np.reciprocal(stats.inv_std, out=stats.inv_std)
    centered *= stats.inv_std
    np.multiply(centered, gamma, out=z)


def backward(
    delta: np.ndarray,
    gamma: np.ndarray,
    p: np.ndarray | None,
    stats: BatchStatistics,
    dbeta: np.ndarray,
    dgamma: np.ndarray,
) -> None:
    """``delta`` (n, k): dL/dy in, dL/dz out, in place; ``dgamma`` (k,) written.

    ``dbeta`` (k,) must already hold ``sum_i dy_i`` (the bias gradient of the layer).
    """
    zhat, correction = stats.normalized, stats.scratch
    np.multiply(delta, zhat, out=correction)
    np.sum(correction, axis=0, out=dgamma)
    share = 1.0 / delta.shape[0] if p is None else p
    np.multiply(zhat, dgamma, out=correction)
    correction += dbeta
    correction *= share
    delta -= correction
    delta *= gamma * stats.inv_std


def _weighted_mean(a: np.ndarray, p: np.ndarray | None, out: np.ndarray, scratch) -> None:
    """``out`` (k,) <- column means of ``a`` (n, k) weighted by the shares ``p`` (n, 1), or
    plain means for None; ``scratch`` (n, k) may be ``a`` itself."""
    if p is None:
        np.mean(a, axis=0, out=out)
    else:
        np.multiply(a, p, out=scratch)
        np.sum(scratch, axis=0, out=out)


def update_running(
    running_mean: np.ndarray, running_var: np.ndarray, stats: BatchStatistics, momentum: float
) -> None:
    """``running <- momentum * running + (1 - momentum) * batch`` for mean and variance (k,)."""
    for running, batch in ((running_mean, stats.mean), (running_var, stats.var)):
        running *= momentum
        running += (1.0 - momentum) * batch


def inference_affine(
    gamma: np.ndarray,
    beta: np.ndarray,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    epsilon: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The layer at inference as ``y = z * scale + shift``: (scale, shift), each (k,)."""
    scale = gamma / np.sqrt(running_var + epsilon)
    return scale, beta - running_mean * scale
