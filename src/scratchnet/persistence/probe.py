"""The probe: a model's predictions on a fixed input, stored at save and recomputed at load.

A file that loads must predict, and predict what was saved. The schema and the array checks
catch every inconsistency someone thought of; the probe catches the rest (an activation
renamed to another valid one, weights swapped between layers, a leaky slope changed, weights
so large that the forward pass overflows): ``load`` runs the loaded estimator's own
``predict_proba``/``predict`` on :func:`inputs` and refuses the file unless the result is
finite and, for a file of version 2, equal (to a rounding tolerance) to the recorded one.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from scratchnet.persistence.common import Invalid

ROWS = 8
#: Relative tolerance by compute dtype: another BLAS or thread count may round differently.
TOLERANCE = {"float32": 1e-4, "float64": 1e-10}
_GOLDEN = 0.6180339887498949


def inputs(n_features: int) -> np.ndarray:
    """The probe input, shape (ROWS, n_features), values in [0, 1): fixed, with no generator.

    ``x[i, j]`` is the fractional part of ``(i + 1) (j + 1) phi``, exact in IEEE arithmetic,
    so the same on every machine and NumPy version.
    """
    grid = np.outer(np.arange(1, ROWS + 1), np.arange(1, n_features + 1)) * _GOLDEN
    return grid - np.floor(grid)


def outputs(model: Any) -> np.ndarray:
    """``predict_proba`` (classifier) or ``predict`` (regressor) on the probe, (ROWS, k)."""
    X = inputs(int(model.n_features_in_))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # fitted with feature names: a plain array
        predict = model.predict_proba if hasattr(model, "classes_") else model.predict
        return np.asarray(predict(X), dtype=np.float64).reshape(ROWS, -1)


def verify(model: Any, saved: np.ndarray | None, dtype: str) -> None:
    """Raise :class:`Invalid` unless ``model`` predicts finite values equal to ``saved``.

    Parameters
    ----------
    model : fitted estimator
    saved : ndarray of shape (ROWS, k), or None for a file without a probe (version 1)
    dtype : {"float32", "float64"}
        The model's compute dtype, which sets the tolerance.
    """
    try:
        got = outputs(model)
    except (ArithmeticError, ValueError, TypeError, IndexError, AttributeError) as exc:
        raise Invalid(f"the model cannot predict: {type(exc).__name__}: {exc}") from None
    if not np.isfinite(got).all():
        raise Invalid("the model predicts NaN or infinite values (its weights overflow)")
    if saved is None:
        return
    if got.shape != saved.shape:
        raise Invalid(f"the model predicts shape {got.shape}, the file recorded {saved.shape}")
    tol = TOLERANCE[dtype]
    scale = max(1.0, float(np.abs(saved).max(initial=0.0)))
    gap = float(np.abs(got - saved).max(initial=0.0))
    if not gap <= tol * scale:
        raise Invalid(
            f"the model's predictions differ from those recorded at save by up to {gap:.3g} "
            f"(tolerance {tol * scale:.3g}): header and arrays do not describe the saved model"
        )
