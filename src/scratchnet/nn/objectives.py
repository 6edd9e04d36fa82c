"""What a network is trained to do: its output activation, its loss and the metric it reports.

Each objective pairs an output activation with its canonical loss, so that the gradient of the
loss at the network's *linear* output ``z`` is always ``(f(z) - y)`` per sample:

============================  ========  ===============================================  ========
objective                     output f  loss of one sample                               metric
============================  ========  ===============================================  ========
:class:`SoftmaxCrossEntropy`  softmax   ``-log f(z)_y``                                  accuracy
:class:`SigmoidCrossEntropy`  sigmoid   ``sum_j -y_j log f_j - (1 - y_j) log(1 - f_j)``  accuracy
:class:`SquaredError`         identity  ``||f - y||^2 / 2``                              mse
:class:`PoissonDeviance`      exp       ``sum_j f_j - y_j log f_j + y_j log y_j - y_j``  mse
============================  ========  ===============================================  ========

A batch loss is the mean over samples; with sample weights ``w`` it is the weighted mean
``sum_i w_i l_i / sum_i w_i``, and gradient rows are scaled by ``w_i / sum(w)`` instead of
``1 / n``. Without weights the unweighted code (the fused C loops) runs exactly as before.

Shapes: ``z`` (n, k) linear outputs; ``y`` (n,) class indices for softmax, else (n, k);
``w`` (n,) or None.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from scratchnet.nn import kernels
from scratchnet.nn.activations import ACTIVATIONS, softmax
from scratchnet.nn.losses import log_softmax, negative_log_likelihood, squared_error

_sigmoid = ACTIVATIONS["sigmoid"]


def weighted_mean(values: np.ndarray, w: np.ndarray | None) -> float:
    """Mean of ``values`` (n,), weighted by ``w`` (n,) when given."""
    if w is None:
        return float(np.mean(values))
    return float(np.dot(values.astype(np.float64), w) / w.sum(dtype=np.float64))


def _scale_rows(grad: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """``grad`` (n, k) times ``w_i / sum(w)`` per row, or ``1 / n``; in place."""
    if w is None:
        grad /= grad.shape[0]
    else:
        grad *= (w / w.sum(dtype=np.float64)).astype(grad.dtype)[:, None]
    return grad


class SoftmaxCrossEntropy:
    """One softmax over exclusive classes; targets are class indices."""

    out_activation = "softmax"
    metric = "accuracy"
    target_dtype = np.intp

    def step(self, z: np.ndarray, y: np.ndarray, w: np.ndarray | None = None):
        """Batch loss, batch metric and the gradient at ``z`` (written over ``z``)."""
        if w is None:
            loss, n_correct, grad = kernels.softmax_cross_entropy(z, y, out=z)
            return loss, n_correct / z.shape[0], grad
        log_p = log_softmax(z)
        rows = np.arange(z.shape[0])
        loss = weighted_mean(-log_p[rows, y], w)
        accuracy = weighted_mean(log_p.argmax(axis=1) == y, w)
        np.exp(log_p, out=z)
        z[rows, y] -= 1.0
        return loss, accuracy, _scale_rows(z, w)

    def evaluate(self, z: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> dict:
        """``loss`` and ``accuracy`` of outputs ``z`` against ``y``, without a gradient."""
        nll = negative_log_likelihood(z, y)
        return {"loss": weighted_mean(nll, w), "accuracy": weighted_mean(z.argmax(1) == y, w)}

    def predict(self, z: np.ndarray) -> np.ndarray:
        """Class probabilities (n, k)."""
        return softmax(z)


class SigmoidCrossEntropy:
    """An independent sigmoid per output: multilabel targets, or one binary label."""

    out_activation = "logistic"
    metric = "accuracy"
    target_dtype = None  # the network's float dtype

    def step(self, z: np.ndarray, y: np.ndarray, w: np.ndarray | None = None):
        """Batch loss, subset accuracy and the gradient at ``z`` (written over ``z``)."""
        scores = self.evaluate(z, y, w)
        _sigmoid.forward_inplace(z)
        z -= y
        return scores["loss"], scores["accuracy"], _scale_rows(z, w)

    def evaluate(self, z: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> dict:
        """``loss`` (summed over labels) and subset ``accuracy`` of outputs ``z``."""
        # softplus(z) - y z, written so that no exp overflows: max(z, 0) - y z + log1p(e^-|z|)
        elementwise = np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z)))
        exact = np.all((z > 0.0) == (y > 0.5), axis=1)
        return {
            "loss": weighted_mean(elementwise.sum(axis=1), w),
            "accuracy": weighted_mean(exact, w),
        }

    def predict(self, z: np.ndarray) -> np.ndarray:
        """Probability of each label (n, k), strictly between 0 and 1 so that its log is
        finite (as the softmax output's is): ``expit``, kept within one ulp of 0 and 1."""
        p = expit(z)
        info = np.finfo(p.dtype)
        return np.clip(p, info.tiny, 1.0 - info.epsneg, out=p)


class SquaredError:
    """Identity output, half the squared error per sample (scikit-learn's MLPRegressor)."""

    out_activation = "identity"
    metric = "mse"
    target_dtype = None

    def step(self, z: np.ndarray, y: np.ndarray, w: np.ndarray | None = None):
        """Batch loss, batch MSE and the gradient at ``z`` (written over ``z``)."""
        if w is None:
            loss, grad = squared_error(z, y, out=z)
            return loss, 2.0 * loss / z.shape[1], grad
        np.subtract(z, y, out=z)
        loss = weighted_mean(np.einsum("ij,ij->i", z, z), w) / 2.0
        return loss, 2.0 * loss / z.shape[1], _scale_rows(z, w)

    def evaluate(self, z: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> dict:
        """``loss``, ``mse`` and ``r2`` (uniform over outputs) of outputs ``z``."""
        prediction = self.predict(z)
        residual = prediction - y
        if w is None:
            mse = float(np.mean(residual * residual))
        else:
            mse = weighted_mean(np.einsum("ij,ij->i", residual, residual), w) / z.shape[1]
        return {"loss": self._loss(z, y, w, mse), "mse": mse, "r2": r2(prediction, y, w)}

    def _loss(self, z: np.ndarray, y: np.ndarray, w: np.ndarray | None, mse: float) -> float:
        return mse * z.shape[1] / 2.0

    def predict(self, z: np.ndarray) -> np.ndarray:
        """The outputs themselves."""
        return z


class PoissonDeviance(SquaredError):
    """Exponential output (a log link) and half the Poisson deviance: counts and rates."""

    out_activation = "exp"

    def step(self, z: np.ndarray, y: np.ndarray, w: np.ndarray | None = None):
        """Batch loss, batch MSE of ``exp(z)`` and the gradient at ``z`` (written over ``z``)."""
        loss = self._loss(z, y, w)
        np.exp(z, out=z)
        z -= y
        mse = weighted_mean(np.einsum("ij,ij->i", z, z), w) / z.shape[1]
        return loss, mse, _scale_rows(z, w)

    def _loss(self, z: np.ndarray, y: np.ndarray, w: np.ndarray | None, mse=None) -> float:
        y_log_y = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0)
        elementwise = np.exp(z) - y * z + y_log_y - y
        return weighted_mean(elementwise.sum(axis=1), w)

    def predict(self, z: np.ndarray) -> np.ndarray:
        """The predicted means ``exp(z)``."""
        return np.exp(z)


def r2(prediction: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> float:
    """Coefficient of determination, averaged uniformly over the k outputs of (n, k) arrays.

    An output whose targets are constant scores 1 if predicted exactly, else 0 (as
    scikit-learn's ``r2_score`` does).
    """
    weights = np.ones(y.shape[0]) if w is None else w.astype(np.float64)
    y64 = y.astype(np.float64)
    mean = weights @ y64 / weights.sum()
    residual = weights @ (y64 - prediction) ** 2
    total = weights @ (y64 - mean) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.where(total > 0, 1.0 - residual / total, np.where(residual > 0, 0.0, 1.0))
    return float(scores.mean())


OBJECTIVES = {
    "softmax": SoftmaxCrossEntropy,
    "logistic": SigmoidCrossEntropy,
    "identity": SquaredError,
    "exp": PoissonDeviance,
}
