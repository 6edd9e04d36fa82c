"""scikit-learn's ``MLPClassifier`` and ``MLPRegressor``, parameter for parameter, trained by
scratchnet.

Switching is one import line::

    from scratchnet.sklearn import MLPClassifier, MLPRegressor  # was sklearn.neural_network

The signatures and parameter checks are those of the installed scikit-learn (read from its
classes, not copied), and so are the fitted attributes (``coefs_``, ``loss_curve_``,
``validation_scores_``, ``n_iter_``, ``t_``...). Each parameter is translated into
scratchnet's own settings (:meth:`_ours`); fitting is :class:`~scratchnet.NeuralNetwork`'s
and :class:`~scratchnet.NeuralNetworkRegressor`'s, so everything they add (sample weights
through the fused loops, float32 speed, safe model files) comes along.

Differences, on purpose (listed with the scikit-learn tests they affect in
``tests/sklearn_suite/known_differences.py``):

* a fit whose loss becomes NaN or infinite raises :class:`~scratchnet.errors.DivergenceError`
  (a ``ValueError``) instead of finishing with NaN scores;
* the initial weights are scikit-learn's own draw for the same ``random_state``, but the
  shuffling and the validation split use scratchnet's generators, so runs part ways after
  the first epoch (and float32 input trains in float32 throughout).
"""

from __future__ import annotations

import inspect
import itertools
from numbers import Integral

import numpy as np
from sklearn import neural_network
from sklearn.utils import check_random_state

from scratchnet import lbfgs
from scratchnet.estimators import NeuralNetwork, NeuralNetworkRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]


class _SklearnParameters:
    """Stores scikit-learn's parameters and translates them into scratchnet's settings."""

    _sklearn_class: type
    _binary_logistic = True  # one sigmoid output for two classes, as scikit-learn

    def __init__(self, *args, **kwargs) -> None:
        bound = inspect.signature(type(self).__init__).bind(self, *args, **kwargs)
        bound.apply_defaults()
        for name, value in bound.arguments.items():
            if name != "self":
                setattr(self, name, value)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.__init__ = _with_signature(_SklearnParameters.__init__, cls._sklearn_class.__init__)
        cls._parameter_constraints = dict(cls._sklearn_class._parameter_constraints)

    def _ours(self) -> dict:
        """scikit-learn's parameters in scratchnet's terms (see ``_BaseNetwork``)."""
        sizes = self.hidden_layer_sizes
        hidden = [sizes] if isinstance(sizes, Integral) else list(sizes)
        sgd, stopping = self.solver == "sgd", self.early_stopping
        momentum = self.momentum if sgd else 0.0
        patience = self.n_iter_no_change + 1  # scikit-learn stops after *more* than that
        settings = {
            **dict.fromkeys(("layers", "N", "weight_decay", "dtype"), None),
            "hidden": hidden,
            "activations": self.activation,
            "weight_init": "xavier",
            "initial_parameters": _SklearnStart(self.activation, self.random_state),
            "lr": self.learning_rate_init,
            "epochs": self.max_iter,
            "batch_size": self.batch_size,
            "optimizer": self.solver,
            "momentum": momentum,
            "nesterov": bool(self.nesterovs_momentum and momentum > 0),
            "lr_schedule": self.learning_rate if sgd else "constant",
            "early_stopping": stopping,
            "patience": patience,
            "min_delta": self.tol,
            "restore_best_weights": True,
            "validation_fraction": self.validation_fraction if stopping else None,
            "tol": None if stopping and self.solver != "lbfgs" else self.tol,
            "monitor": "score",
            "progress": "lines",
        }
        shared = ("alpha", "power_t", "shuffle", "random_state", "verbose", "warm_start")
        shared += ("beta_1", "beta_2", "epsilon", "n_iter_no_change", "max_fun", "loss")
        settings.update({name: getattr(self, name) for name in shared if hasattr(self, name)})
        return settings

    @property
    def _optimizer(self):
        """The training state whose ``learning_rate`` scikit-learn's tests read."""
        return getattr(self, "_trainer", None)  # None after unpickling

    def _loss_grad_lbfgs(self, packed, X, y, sample_weight, *workspace):
        """scikit-learn's private loss-and-gradient hook, which its gradient test calls: the
        penalised loss at parameters ``packed`` (n_params,) and its gradient, for ``y``
        encoded as its LabelBinarizer does. ``workspace`` (its buffers) is not needed."""
        X = self._checked_input(X)
        y = np.asarray(y)
        if self._objective().out_activation == "softmax":
            y = y.argmax(axis=1)
        else:
            y = y.astype(self.network_.dtype).reshape(X.shape[0], -1)
        return lbfgs.loss_and_gradient(
            packed, self.network_, self._objective(), X, y, sample_weight, self.alpha
        )


def _with_signature(function, model):
    """A copy of ``function`` whose signature (what scikit-learn reads) is ``model``'s."""

    def init(self, *args, **kwargs):
        function(self, *args, **kwargs)

    init.__signature__ = inspect.signature(model)
    init.__doc__ = function.__doc__
    return init


class _SklearnStart:
    """scikit-learn's initial weights and biases, drawn as it draws them: from
    ``check_random_state(random_state)``, layer by layer, weights then biases, each
    U(+-sqrt(6 / (fan_in + fan_out))) (factor 2 instead of 6 for the logistic activation).
    The same ``random_state`` therefore starts both libraries from the same point."""

    def __init__(self, activation: str, random_state) -> None:
        self.factor = 2.0 if activation == "logistic" else 6.0
        self.random_state = random_state

    def __call__(self, sizes: list[int]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Weights (sizes[i], sizes[i + 1]) and biases (sizes[i + 1],) of every layer."""
        rng = check_random_state(self.random_state)
        coefs, intercepts = [], []
        for fan_in, fan_out in itertools.pairwise(sizes):
            bound = np.sqrt(self.factor / (fan_in + fan_out))
            coefs.append(rng.uniform(-bound, bound, (fan_in, fan_out)))
            intercepts.append(rng.uniform(-bound, bound, fan_out))
        return coefs, intercepts


class MLPClassifier(_SklearnParameters, NeuralNetwork):
    """scikit-learn's ``MLPClassifier``, trained by scratchnet; see the module docstring."""

    _sklearn_class = neural_network.MLPClassifier

    def predict_log_proba(self, X) -> np.ndarray:
        """``log(predict_proba(X))``, as scikit-learn defines it: it orders classes exactly as
        :meth:`predict_proba` does, ties included (the base's log-softmax is finer in the
        far tails)."""
        return np.log(self.predict_proba(X))


class MLPRegressor(_SklearnParameters, NeuralNetworkRegressor):
    """scikit-learn's ``MLPRegressor``, trained by scratchnet; see the module docstring."""

    _sklearn_class = neural_network.MLPRegressor
