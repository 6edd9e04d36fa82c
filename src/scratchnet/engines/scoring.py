"""A fitted model's scores on one data part, in one streamed pass over its rows.

Rows go through the model (either engine) in equal chunks of at most
:data:`EVALUATION_BYTES` of activations (:func:`scratchnet.nn.network.chunk_rows`), and only
sums are kept: the log loss and the correct predictions of a classifier, the squared error
per output of a regressor. No (n, n_outputs) prediction is ever held whole, and nothing is
computed twice: a :class:`Part` keeps what depends on its labels alone (their class indices,
the total sum of squares of R^2) for every model it scores, epoch after epoch.

The figures are scikit-learn's: ``log_loss(y, proba, labels=classes_)`` (probabilities
clipped to ``[eps, 1 - eps]`` of their dtype), accuracy, mean squared error and ``r2_score``
averaged uniformly over the outputs (an output constant in ``y`` scores 1 if predicted
exactly, else 0), equal to them up to float rounding: the sums run in float64 over chunks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from scratchnet.nn.kernels import squared_error_sums
from scratchnet.nn.network import chunk_rows

#: Bytes of activations (float64, every layer's rows together) per chunk of an evaluation.
EVALUATION_BYTES = 16 << 20


class Part:
    """One data part, ``X`` (n, n_features) and ``y`` (n,) or (n, n_outputs), scored for
    any number of models (:meth:`scores`)."""

    def __init__(self, X, y) -> None:
        self.X, self.y = X, np.asarray(y)
        self._label_index: tuple[np.ndarray, np.ndarray] | None = None  # (classes, index)
        self._total_squares: np.ndarray | None = None
        self._residual_squares: np.ndarray | None = None  # of the latest regressor scored
        self._checked = False

    def __len__(self) -> int:
        return self.y.shape[0]

    def scores(self, model, *, with_r2: bool = True) -> dict[str, float]:
        """``loss`` and ``accuracy`` of a classifier, or ``mse`` (and ``r2``) of a regressor."""
        from sklearn import config_context
        from sklearn.base import is_classifier

        # Only the first scoring of a part checks its values are finite (both engines' input
        # validation does); the next ones, epoch after epoch, skip that pass over the data.
        with config_context(assume_finite=self._checked):
            if is_classifier(model):
                result = self._classifier_scores(model)
            else:
                result = self._regressor_scores(model, with_r2)
        self._checked = True
        return result

    def with_r2(self, scores: dict[str, float]) -> dict[str, float]:
        """A regressor's ``scores`` from the latest :meth:`scores` call, with its R^2 added
        from that call's sums (no new prediction); a classifier's unchanged."""
        if self._residual_squares is None or "mse" not in scores:
            return scores
        return {**scores, "r2": r2_from_sums(self._residual_squares, self.total_squares())}

    def chunks(self, model) -> Iterator[slice]:
        """Row slices of at most :data:`EVALUATION_BYTES` of ``model``'s activations."""
        coefs = model.coefs_
        row_bytes = 8 * (coefs[0].shape[0] + sum(W.shape[1] for W in coefs))
        step = chunk_rows(len(self), row_bytes, EVALUATION_BYTES)
        for begin in range(0, len(self), step):
            yield slice(begin, begin + step)

    def _classifier_scores(self, model) -> dict[str, float]:
        index = self.label_index(model.classes_)
        loss_sum, correct = 0.0, 0
        for rows in self.chunks(model):
            proba = model.predict_proba(_rows(self.X, rows))
            picked = proba[np.arange(proba.shape[0]), index[rows]]
            eps = np.finfo(proba.dtype).eps
            loss_sum -= float(np.log(np.clip(picked, eps, 1 - eps)).sum(dtype=np.float64))
            correct += int(np.count_nonzero(proba.argmax(axis=1) == index[rows]))
        return {"loss": loss_sum / len(self), "accuracy": correct / len(self)}

    def _regressor_scores(self, model, with_r2: bool) -> dict[str, float]:
        y = self.y.reshape(len(self), -1)
        residual_squares, chunk_sums = np.zeros(y.shape[1]), np.empty(y.shape[1])
        for rows in self.chunks(model):
            prediction = np.asarray(model.predict(_rows(self.X, rows)))
            squared_error_sums(prediction.reshape(-1, y.shape[1]), y[rows], chunk_sums)
            residual_squares += chunk_sums
        self._residual_squares = residual_squares
        result = {"mse": float(residual_squares.sum() / y.size)}
        if with_r2:
            result["r2"] = r2_from_sums(residual_squares, self.total_squares())
        return result

    def label_index(self, classes: np.ndarray) -> np.ndarray:
        """Each label's index (n,) in ``classes``; ValueError for a label not among them."""
        classes = np.asarray(classes)
        cached = self._label_index
        if cached is not None and np.array_equal(cached[0], classes):
            return cached[1]
        order = np.argsort(classes, kind="stable")
        index = order[np.searchsorted(classes, self.y, sorter=order).clip(0, len(classes) - 1)]
        if not np.array_equal(classes[index], self.y):
            raise ValueError("y holds labels the classifier was not fitted on")
        self._label_index = (classes, index)
        return index

    def total_squares(self) -> np.ndarray:
        """Per output, the sum of squared deviations of ``y`` from its mean (n_outputs,)."""
        if self._total_squares is None:
            y = self.y.reshape(len(self), -1)
            mean = y.mean(axis=0, dtype=np.float64)
            total = np.zeros(y.shape[1])
            for begin in range(0, len(self), 4096):
                deviation = y[begin : begin + 4096] - mean
                total += np.einsum("ij,ij->j", deviation, deviation)
            self._total_squares = total
        return self._total_squares


def r2_from_sums(residual_squares: np.ndarray, total_squares: np.ndarray) -> float:
    """scikit-learn's ``r2_score`` averaged uniformly, from per-output sums (n_outputs,)."""
    per_output = np.ones_like(residual_squares)
    valid = (total_squares != 0) & (residual_squares != 0)
    per_output[valid] = 1.0 - residual_squares[valid] / total_squares[valid]
    per_output[(total_squares == 0) & (residual_squares != 0)] = 0.0
    return float(per_output.mean())


def _rows(X: Any, rows: slice):
    """Rows of an array, a SciPy sparse matrix or a pandas DataFrame."""
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]
