"""Sequential minimal optimization for the linear SVM dual, in float64.

Minimizes ``f(a) = 1/2 a^T Q a - sum(a)`` with ``Q_ij = y_i y_j x_i . x_j`` subject to
``sum a_i y_i = 0`` and ``0 <= a_i <= C`` (``C = inf`` for the hard margin, which must then be
separable). The working pair is chosen by second-order information (Fan, Chen and Lin, 2005, as
in LIBSVM); the loop stops when the maximal KKT violation falls below ``tol``.
"""

from __future__ import annotations

import math

import numpy as np

TAU = 1e-12


def solve(
    X: np.ndarray,
    y: np.ndarray,
    C: float = math.inf,
    *,
    tol: float = 1e-12,
    max_iter: int = 200_000,
) -> tuple[np.ndarray, int]:
    """Return the dual solution ``alpha`` (n,) and the number of iterations.

    Parameters
    ----------
    X : ndarray, shape (n, d)
    y : ndarray, shape (n,), values in {-1, +1}
    C : float
        Upper bound on each alpha; ``inf`` for the hard margin.
    """
    K = X @ X.T
    Q = (y[:, None] * y[None, :]) * K
    n = len(y)
    alpha = np.zeros(n)
    grad = -np.ones(n)
    diag = np.diag(K)
    for iteration in range(max_iter):
        pair = _working_pair(alpha, grad, y, K, diag, C, tol)
        if pair is None:
            return alpha, iteration
        i, j = pair
        old_i, old_j = alpha[i], alpha[j]
        _update_pair(alpha, grad, y, Q, diag, K, C, i, j)
        grad += Q[:, i] * (alpha[i] - old_i) + Q[:, j] * (alpha[j] - old_j)
    return alpha, max_iter


def _working_pair(
    alpha: np.ndarray,
    grad: np.ndarray,
    y: np.ndarray,
    K: np.ndarray,
    diag: np.ndarray,
    C: float,
    tol: float,
) -> tuple[int, int] | None:
    score = -y * grad
    up = ((y > 0) & (alpha < C)) | ((y < 0) & (alpha > 0))
    low = ((y < 0) & (alpha < C)) | ((y > 0) & (alpha > 0))
    if not up.any() or not low.any():
        return None
    i = int(np.flatnonzero(up)[np.argmax(score[up])])
    if score[i] - score[low].min() < tol * max(1.0, abs(score[i])):
        return None
    b = score[i] - score
    candidates = low & (b > 0)
    quad = diag[i] + diag - 2.0 * K[i]
    quad = np.where(quad > 0, quad, TAU)
    gain = np.where(candidates, -(b**2) / quad, np.inf)
    return i, int(np.argmin(gain))


def _update_pair(
    alpha: np.ndarray,
    grad: np.ndarray,
    y: np.ndarray,
    Q: np.ndarray,
    diag: np.ndarray,
    K: np.ndarray,
    C: float,
    i: int,
    j: int,
) -> None:
    """LIBSVM's two-variable update with clipping to the box ``[0, C]``."""
    quad = max(diag[i] + diag[j] - 2.0 * K[i, j], TAU)
    if y[i] != y[j]:
        delta = (-grad[i] - grad[j]) / quad
        diff = alpha[i] - alpha[j]
        alpha[i] += delta
        alpha[j] += delta
        if diff > 0 and alpha[j] < 0:
            alpha[j], alpha[i] = 0.0, diff
        elif diff <= 0 and alpha[i] < 0:
            alpha[i], alpha[j] = 0.0, -diff
        if math.isfinite(C):
            if diff > 0 and alpha[i] > C:
                alpha[i], alpha[j] = C, C - diff
            elif diff <= 0 and alpha[j] > C:
                alpha[j], alpha[i] = C, C + diff
    else:
        delta = (grad[i] - grad[j]) / quad
        total = alpha[i] + alpha[j]
        alpha[i] -= delta
        alpha[j] += delta
        if total > C and alpha[i] > C:
            alpha[i], alpha[j] = C, total - C
        elif total <= C and alpha[j] < 0:
            alpha[j], alpha[i] = 0.0, total
        if total > C and alpha[j] > C:
            alpha[j], alpha[i] = C, total - C
        elif total <= C and alpha[i] < 0:
            alpha[i], alpha[j] = 0.0, total
