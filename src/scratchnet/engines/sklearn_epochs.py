"""Train scikit-learn's MLPClassifier / MLPRegressor one epoch at a time, exactly as one ``fit``.

Checked against scikit-learn 1.9's ``_multilayer_perceptron.py``:

* ``fit`` with ``warm_start=True, max_iter=1`` in a loop is *not* one long run: every ``fit``
  calls ``_fit_stochastic(incremental=False)``, which builds a new Adam optimizer (moments and
  step counter back to zero).
* ``partial_fit`` keeps ``_optimizer``, but each call re-creates
  ``_random_state = check_random_state(random_state)`` (an integer seed would replay the same
  shuffle every epoch) and starts its shuffle from ``arange(n)``, whereas ``fit`` shuffles the
  previous epoch's order again: epoch k of ``fit`` visits ``S_k = S_{k-1}[perm_k]``.

:func:`train_epochs` therefore gives the model one ``RandomState`` *instance* seeded with its
integer ``random_state`` (so initialization and the per-epoch permutations are drawn from one
stream, as in ``fit``) whose ``shuffle`` composes: the permutation it draws for
``partial_fit``'s ``arange(n)`` comes back as ``S_{k-1}[perm_k]``, so that ``partial_fit``'s
batches are those of ``fit``, with the data passed as it is (no reordered copy per epoch).
It also stops where ``fit`` stops (training loss not improved by ``tol`` for more than
``n_iter_no_change`` epochs: Adam's ``trigger_stopping`` is always true; a solver that keeps
going resets the counter to 0).

The result: ``coefs_``, ``intercepts_`` and ``loss_curve_`` identical, bit for bit, to
``fit(X, y)`` with ``max_iter=epochs`` (the tests check this).
"""

from __future__ import annotations

import numbers
import time
import warnings
from collections.abc import Callable

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning

from scratchnet.errors import ConfigError

EpochHook = Callable[[int, float], bool | None]


class _FitOrder(np.random.RandomState):
    """A RandomState whose ``shuffle`` of ``arange(n)`` gives ``fit``'s order of the epoch,
    ``S_k = S_{k-1}[perm_k]`` (``perm_k`` the permutation drawn, as ``fit`` draws it)."""

    order: np.ndarray | None = None  # S_{k-1}; None: the identity

    def shuffle(self, x) -> None:
        super().shuffle(x)
        if self.order is not None:
            x[...] = self.order[x]
        self.order = np.array(x, copy=True)


def train_epochs(
    model,
    X: np.ndarray,
    y: np.ndarray,
    epochs: int,
    on_epoch_end: EpochHook | None = None,
    *,
    stop_like_fit: bool = True,
) -> list[float]:
    """Run up to ``epochs`` epochs of ``partial_fit``; return each epoch's training seconds.

    Parameters
    ----------
    model : MLPClassifier or MLPRegressor
        Unfitted, with solver ``adam`` or ``sgd`` and an integer ``random_state``.
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
    epochs : int
    on_epoch_end : callable, optional
        ``on_epoch_end(epoch, seconds)`` after every epoch (1-based), outside the timed part;
        returning True stops training.
    stop_like_fit : bool
        Stop where ``fit`` would stop on ``tol`` / ``n_iter_no_change``.

    Returns
    -------
    list of float
        Seconds spent inside ``partial_fit`` per epoch.
    """
    seed = model.random_state  # given back as it was
    model.set_params(random_state=_FitOrder(_checked_seed(model)))
    extra = {"classes": np.unique(y)} if is_classifier(model) else {}
    times = []
    try:
        for epoch in range(1, epochs + 1):
            times.append(_timed_partial_fit(model, X, y, extra if epoch == 1 else {}))
            stop = bool(on_epoch_end(epoch, times[-1])) if on_epoch_end is not None else False
            if stop or (stop_like_fit and model._no_improvement_count > model.n_iter_no_change):
                break
    finally:
        model.set_params(random_state=seed)
    return times


def _checked_seed(model) -> int:
    """The model's integer ``random_state``; ConfigError for what ``partial_fit`` cannot
    emulate (another solver, early stopping)."""
    seed = model.random_state
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool):
        raise ConfigError(f"train_epochs needs an integer random_state, got {seed!r}")
    if model.solver not in ("adam", "sgd"):
        raise ConfigError(f"train_epochs needs solver 'adam' or 'sgd', got {model.solver!r}")
    if model.early_stopping:
        raise ConfigError("train_epochs cannot emulate early_stopping=True (a fit-only option)")
    return int(seed)


def _timed_partial_fit(model, X: np.ndarray, y: np.ndarray, extra: dict) -> float:
    """One ``partial_fit`` (its convergence warnings muted); return its seconds."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.partial_fit(X, y, **extra)
    return time.perf_counter() - start
