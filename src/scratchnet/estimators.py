"""``NeuralNetwork`` and ``NeuralNetworkRegressor``: the from-scratch network as scikit-learn
estimators.

They follow scikit-learn's rules, so that pipelines, ``clone`` and ``GridSearchCV`` take them
unchanged: ``__init__`` only stores its arguments, everything is validated in ``fit`` (the
parameters declaratively, through ``_parameter_constraints``), learned attributes end in
``_``, and the estimator check suite passes. :mod:`scratchnet.sklearn` gives the same
estimators scikit-learn's parameter names (``MLPClassifier``, ``MLPRegressor``).

>>> from sklearn.datasets import load_digits
>>> X, y = load_digits(return_X_y=True)
>>> model = NeuralNetwork(layers=[64, 32, 10], epochs=5, random_state=0).fit(X / 16, y)
>>> model.predict(X[:3] / 16).shape
(3,)
"""

from __future__ import annotations

import copy
import inspect
import itertools
import math
import numbers
import os
import warnings
from collections.abc import Sequence
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import assert_all_finite
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    _check_feature_names_in,
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from scratchnet import callbacks as callback_module
from scratchnet import lbfgs, training
from scratchnet.data import augment as augmentation
from scratchnet.errors import ConfigError
from scratchnet.nn import activations as activation_registry
from scratchnet.nn import initializers, optimizers, schedules
from scratchnet.nn.activations import Activation
from scratchnet.nn.dropout import Dropout
from scratchnet.nn.losses import log_softmax
from scratchnet.nn.network import MLP
from scratchnet.nn.objectives import OBJECTIVES

DEFAULT_HIDDEN = (100,)

_OUR_CONSTRAINTS = {
    "layers": ["array-like", None],
    "N": [Interval(Integral, 2, None, closed="left"), None],
    "lr": [Interval(Real, 0, None, closed="neither")],
    "activations": [str, Activation, "array-like"],
    "weight_init": [str, callable],
    "epochs": [Interval(Integral, 1, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
    "optimizer": [StrOptions({*optimizers.NAMES, "lbfgs"})],
    "momentum": [Interval(Real, 0, 1, closed="left")],
    "nesterov": ["boolean"],
    "beta_1": [Interval(Real, 0, 1, closed="left")],
    "beta_2": [Interval(Real, 0, 1, closed="left")],
    "epsilon": [Interval(Real, 0, None, closed="neither")],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "weight_decay": [Interval(Real, 0, None, closed="left"), None],
    "lr_schedule": [StrOptions({*schedules.SCHEDULES, *training.EPOCH_POLICIES})],
    "power_t": [Interval(Real, 0, None, closed="left")],
    "early_stopping": ["boolean"],
    "patience": [Interval(Integral, 1, None, closed="left")],
    "min_delta": [Interval(Real, 0, None, closed="left")],
    "restore_best_weights": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
    "shuffle": ["boolean"],
    "dtype": [StrOptions({"float32", "float64"}), Options(type, {np.float32, np.float64}), None],
    "random_state": ["random_state", np.random.Generator],
    "verbose": ["verbose"],
    "tol": [Interval(Real, 0, None, closed="left"), None],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
    "warm_start": ["boolean"],
    "max_fun": [Interval(Integral, 1, None, closed="left")],
    "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
    "batch_norm": ["boolean", "array-like"],
    "batch_norm_momentum": [Interval(Real, 0, 1, closed="both")],
    "batch_norm_epsilon": [Interval(Real, 0, None, closed="neither")],
    "augment": [None, StrOptions(set(augmentation.PRESETS)), dict, augmentation.Augment],
}

#: Weights, gradients and optimizer state may take at most this share of physical memory.
MEMORY_SHARE = 0.5


def _signature_with(function, **extra) -> inspect.Signature:
    """``function``'s signature with keyword-only parameters ``extra`` (name=default) added."""
    signature = inspect.signature(function)
    added = [
        inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=v) for k, v in extra.items()
    ]
    return signature.replace(parameters=[*signature.parameters.values(), *added])


#: Fitted attributes that only training uses; left out of the pickled (and skops) state.
_TRAINING_STATE = ("_trainer", "_plateaus")


class _BaseNetwork(TransformerMixin, BaseEstimator):
    """What the classifier and the regressor share: parameters, fitting, hidden features.

    Parameters
    ----------
    layers : sequence of int, optional
        Every layer size, input and output included, e.g. ``[784, 256, 10]``; the first and
        last must match the data. Default: one hidden layer of 100 units.
    N : int, optional
        Number of layers, ``len(layers)``; checked against ``layers`` when both are given.
    lr : float
        Base learning rate.
    activations : str, Activation or sequence of them
        Hidden-layer activation (one for all, or one per hidden layer): ``sigmoid``
        (``logistic``), ``tanh``, ``relu``, ``leaky_relu``, ``identity``.
    weight_init : str or callable
        ``zero``, ``random``, ``normal``, ``xavier`` or ``he`` (see
        :mod:`scratchnet.nn.initializers`).
    epochs : int
        Maximum number of passes over the training data (L-BFGS: of its iterations).
    batch_size : int or "auto"
        Samples per update, clipped to the number of training samples; ``"auto"`` is
        ``min(200, n_samples)``.
    optimizer : {"sgd", "adam", "adamw", "lbfgs"}
        ``lbfgs`` is SciPy's full-batch L-BFGS-B (no ``partial_fit``).
    momentum, nesterov : float, bool
        SGD momentum (0 is the original study's plain SGD) and Nesterov's variant.
    beta_1, beta_2, epsilon : float
        Adam's settings.
    alpha : float
        L2 penalty added to the loss, ``alpha * ||W||^2 / (2 n)`` (scikit-learn's; ``n`` is
        the total sample weight when there are weights).
    weight_decay : float, optional
        Decoupled weight decay per step; ``None`` is 0.01 for ``adamw``, else 0.
    lr_schedule : {"constant", "step", "cosine", "onecycle", "invscaling", "adaptive"}
        Learning rate as a function of the step (see :mod:`scratchnet.nn.schedules`), or
        between epochs: ``invscaling`` is ``lr / (t + 1) ** power_t`` after ``t`` samples;
        ``adaptive`` divides it by 5 each time a stopping rule would stop, and stops once it
        is below 1e-6.
    power_t : float
    early_stopping : bool
        Stop when the monitored loss (validation loss if there is a validation set, else the
        training loss) has not improved by more than ``min_delta`` for ``patience`` epochs.
    patience : int
    min_delta : float
    restore_best_weights : bool
        With early stopping, end with the weights of the best epoch.
    validation_fraction : float, optional
        Hold out this fraction of the training data (stratified for the classifier) as a
        validation set, unless ``fit`` is given ``validation_data``.
    shuffle : bool
        Shuffle the training data every epoch.
    dtype : {"float32", "float64"} or None
        Compute dtype; ``None`` follows the input (float32 stays float32, else float64).
    random_state : int, numpy Generator or None
        Seeds initialization, shuffling and the validation split.
    verbose : bool
        Show a progress bar with the epoch and losses.
    tol : float, optional
        scikit-learn's convergence rule: stop once the training loss has not improved by
        more than ``tol`` for ``n_iter_no_change`` consecutive epochs, and warn
        (``ConvergenceWarning``) if ``epochs`` ran out first. ``None`` (the default) runs
        every epoch, as the original study did. With ``lbfgs``, the gradient tolerance.
    n_iter_no_change : int or inf
    warm_start : bool
        ``fit`` continues from the current weights instead of starting afresh.
    max_fun : int
        ``lbfgs`` only: the most loss evaluations.
    dropout : float or sequence of float
        Inverted dropout while training: the rate for every hidden layer, or one per hidden
        layer, each in [0, 1). Masks come from ``random_state``; prediction and
        ``transform`` never drop.
    batch_norm : bool or sequence of bool
        Batch normalization between each hidden layer's affine map and its activation (or
        per hidden layer), with a learned scale and the layer's bias as its shift (see
        :mod:`scratchnet.nn.batchnorm`). Training batches need at least 2 samples.
    batch_norm_momentum : float
        Share of the running mean and variance kept at each step (PyTorch's momentum 0.1
        is 0.9 here); prediction and ``transform`` normalize with them.
    batch_norm_epsilon : float
        Added to the variance before its square root.
    augment : None, "mnist", "fashion", dict or Augment
        Random image transforms of every training batch (rows are square images): a preset
        of :mod:`scratchnet.data.augment`, a dict of strengths (``{"shift": 2, "rotate":
        10}``: those transforms only) or an :class:`~scratchnet.data.augment.Augment`. The
        randomness comes from ``random_state``; validation data, prediction and ``transform``
        are never augmented.
    """

    _parameter_constraints = _OUR_CONSTRAINTS
    #: The classifier's two-class output: softmax over two units (ours) or one sigmoid unit.
    _binary_logistic = False

    def __init__(
        self,
        layers: Sequence[int] | None = None,
        N: int | None = None,
        lr: float = 1e-3,
        activations: str | Activation | Sequence[str | Activation] = "relu",
        weight_init: str = "normal",
        epochs: int = 200,
        batch_size: int | str = 128,
        optimizer: str = "adam",
        momentum: float = 0.0,
        nesterov: bool = False,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        alpha: float = 0.0,
        weight_decay: float | None = None,
        lr_schedule: str = "constant",
        power_t: float = 0.5,
        early_stopping: bool = False,
        patience: int = 10,
        min_delta: float = 0.0,
        restore_best_weights: bool = True,
        validation_fraction: float | None = None,
        shuffle: bool = True,
        dtype: str | None = "float32",
        random_state: int | np.random.Generator | None = None,
        verbose: bool = False,
        tol: float | None = None,
        n_iter_no_change: int = 10,
        warm_start: bool = False,
        max_fun: int = 15000,
        dropout: float | Sequence[float] = 0.0,
        batch_norm: bool | Sequence[bool] = False,
        batch_norm_momentum: float = 0.9,
        batch_norm_epsilon: float = 1e-5,
        augment: str | dict | augmentation.Augment | None = None,
    ) -> None:
        # scikit-learn's rule: store every argument under its own name, nothing else.
        for name, value in locals().items():
            if name != "self":
                setattr(self, name, value)

    # --- public API ---------------------------------------------------------------------------

    def fit(self, X, y, sample_weight=None, validation_data: tuple | None = None, callbacks=None):
        """Train, from freshly initialized weights (or the current ones with ``warm_start``).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights: the loss, its gradient and the validation figures become
            weighted means. A sample of weight 0 is as if it were not there.
        validation_data : tuple (X_val, y_val) or (X_val, y_val, sample_weight_val), optional
            Evaluated after every epoch (``val_*`` entries of ``history_``); overrides
            ``validation_fraction``.
        callbacks : list of scratchnet.callbacks.Callback, optional
            Called at the start and end of training and of every epoch; they may stop
            training, change the learning rate, save or log (see :mod:`scratchnet.callbacks`).

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, validation_data, False, callbacks=callbacks)

    def _stochastic(self) -> bool:
        return self._ours().get("optimizer") != "lbfgs"

    @available_if(_stochastic)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over (X, y), continuing from the current weights and optimizer state.

        ``classes`` (every label that will ever appear) is required on the classifier's
        first call. Early stopping and a validation fraction are refused: a stream has no
        held-out part.
        """
        return self._fit(X, y, sample_weight, None, incremental=True, classes=classes)

    def transform(self, X, layer: int = -1) -> np.ndarray:
        """Activations of hidden layer ``layer`` for X: the network's learned features.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        layer : int
            Hidden layer, counting from 1 (the first hidden layer); negative values count
            back from the last hidden layer, so -1 (the default) is the layer that feeds the
            output layer.

        Returns
        -------
        ndarray of shape (n_samples, layer_size)
        """
        return self._raw(X, hidden=layer)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of :meth:`transform`'s columns: ``hidden<k>_<j>`` for the last hidden layer k."""
        check_is_fitted(self)
        _check_feature_names_in(self, input_features, generate_names=False)
        k = self.network_.n_layers - 1
        return np.asarray([f"hidden{k}_{j}" for j in range(self.network_.layer_sizes[k])], object)

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices, ``coefs_[i]`` of shape (layers[i], layers[i + 1]).

        Assigning a new list (as scikit-learn users do to start from given weights) takes
        effect at the next ``fit``/``partial_fit``/prediction.
        """
        assigned = self.__dict__.get("_assigned_coefs")
        if assigned is not None:
            return assigned
        check_is_fitted(self)
        return self.network_.coefs

    @coefs_.setter
    def coefs_(self, value) -> None:
        self.__dict__["_assigned_coefs"] = value

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors, ``intercepts_[i]`` of shape (layers[i + 1],); assignable likewise."""
        assigned = self.__dict__.get("_assigned_intercepts")
        if assigned is not None:
            return assigned
        check_is_fitted(self)
        return self.network_.intercepts

    @intercepts_.setter
    def intercepts_(self, value) -> None:
        self.__dict__["_assigned_intercepts"] = value

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "network_") or "_assigned_coefs" in self.__dict__

    def __getstate__(self) -> dict:
        # What predicts and what fit reported, as arrays, builtins and the network: not the
        # training machinery (optimizer moments, stopping rules), so that skops loads the
        # state trusting only this class and MLP. partial_fit after loading starts a fresh
        # optimizer, as after scratchnet.load.
        state = super().__getstate__()
        return {key: value for key, value in state.items() if key not in _TRAINING_STATE}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        dtype = self._ours().get("dtype")
        preserved = ["float64", "float32"] if dtype is None else [str(np.dtype(dtype))]
        tags.transformer_tags.preserves_dtype = preserved
        return tags

    # --- the parameters in our own terms (scratchnet.sklearn translates its names here) -----

    def _ours(self) -> dict:
        """Every setting under scratchnet's names, plus how to monitor and report."""
        params = self.get_params(deep=False)
        params.update(monitor="loss", progress="bar", hidden=None)
        return params

    def _checked_settings(self) -> dict:
        """Validate the parameters as declared, then return :meth:`_ours`."""
        try:
            self._validate_params()
        except InvalidParameterError as exc:
            raise ConfigError(str(exc)) from None
        return self._ours()

    # --- fitting, in steps ----------------------------------------------------------------------

    def _fit(self, X, y, sample_weight, validation_data, incremental, classes=None, callbacks=None):
        p = self._checked_settings()
        user_callbacks = callback_module.checked(callbacks)
        minibatch_only = user_callbacks or np.any(p.get("dropout", 0.0)) or p.get("augment")
        if p["optimizer"] == "lbfgs" and minibatch_only:
            raise ConfigError(
                "callbacks, dropout and augment need minibatch epochs; optimizer='lbfgs' has "
                "none: use sgd or adam"
            )
        if incremental:
            _refuse_in_partial_fit(p)
        self._absorb_assigned_weights(p)
        continuing = (incremental or p["warm_start"]) and hasattr(self, "network_")
        X, y, w = self._validated(X, y, sample_weight, p, reset=not continuing)
        self._prepare_targets(y, classes, continuing, incremental)
        y = self._encode_targets(y, X.dtype)
        w = self._weighted_by_class(y, w, p)
        X, y, w = _without_zero_weights(X, y, w)
        X, y, w, validation = self._split_validation(X, y, w, validation_data, p)
        network = self.network_ if continuing else self._init_network(X.shape[1], X.dtype, p)
        full_batch = p["optimizer"] == "lbfgs"
        _refuse_batches_of_one(
            network, X.shape[0], X.shape[0] if full_batch else self._batch_size(p, X.shape[0])
        )
        if full_batch:
            history, trainer = self._run_lbfgs(network, X, y, w, p), None
        else:
            data, samples_seen = (X, y, w), getattr(self, "t_", 0) if continuing else 0
            history, trainer = self._run_stochastic(
                network, data, validation, p, incremental, samples_seen, user_callbacks
            )
        self._commit(network, trainer, history, extend=continuing, incremental=incremental)
        return self

    def _validated(self, X, y, sample_weight, p, reset: bool):
        """X (dense or CSR) and y checked and cast to the compute dtype; weights or None."""
        if reset:
            dtype = p["dtype"] or (np.float32 if getattr(X, "dtype", None) == np.float32 else None)
            dtype = np.dtype(dtype or np.float64)
        else:
            dtype = self.network_.dtype
        X, y = validate_data(
            self, X, y, reset=reset, dtype=dtype, accept_sparse="csr", multi_output=True,
            y_numeric=not isinstance(self, ClassifierMixin),
        )  # fmt: skip
        if sample_weight is None:
            return X, y, None
        w = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        if not w.any():
            raise ValueError("Sample weights must contain at least one non-zero number.")
        return X, y, w

    def _absorb_assigned_weights(self, p: dict) -> None:
        """Move weights assigned to ``coefs_``/``intercepts_`` into the network."""
        coefs = self.__dict__.pop("_assigned_coefs", None)
        intercepts = self.__dict__.pop("_assigned_intercepts", None)
        if coefs is None and intercepts is None:
            return
        coefs = [np.asarray(c) for c in (self.coefs_ if coefs is None else coefs)]
        intercepts = [
            np.asarray(b) for b in (self.intercepts_ if intercepts is None else intercepts)
        ]
        sizes = [coefs[0].shape[0], *(c.shape[1] for c in coefs)]
        if not hasattr(self, "network_") or self.network_.layer_sizes != sizes:
            dtype = coefs[0].dtype if coefs[0].dtype in (np.float32, np.float64) else np.float64
            hidden = self._hidden_activations(len(sizes) - 2, p)
            self.network_ = MLP(sizes, hidden, p["dtype"] or dtype)
        self.network_.set_parameters(coefs, [b.reshape(-1) for b in intercepts])

    def _split_validation(self, X, y, w, validation_data, p):
        """Return (X_train, y_train, w_train, validation), validation an encoded triple or None."""
        if validation_data is not None:
            return (X, y, w, self._encoded_validation(validation_data, X.dtype))
        fraction = p["validation_fraction"]
        if fraction is None:
            return X, y, w, None
        seed = int(self._rng(stream=2).integers(np.iinfo(np.int32).max))
        arrays = (X, y) if w is None else (X, y, w)
        parts = train_test_split(
            *arrays, test_size=fraction, random_state=seed, stratify=self._stratify(y)
        )
        if parts[1].shape[0] < 2:
            raise ValueError(
                f"The validation set is too small: validation_fraction={fraction} of "
                f"{X.shape[0]} samples leaves {parts[1].shape[0]}. Increase "
                f"'validation_fraction' or the size of your dataset."
            )
        X, X_val, y, y_val = parts[:4]
        w, w_val = (None, None) if w is None else parts[4:]
        return X, y, w, (X_val, y_val, w_val)

    def _encoded_validation(self, validation_data, dtype) -> tuple:
        if not isinstance(validation_data, tuple | list) or len(validation_data) not in (2, 3):
            raise ConfigError("validation_data must be (X_val, y_val) or (X_val, y_val, w_val)")
        X_val, y_val, *rest = validation_data
        X_val, y_val = validate_data(
            self, X_val, y_val, reset=False, dtype=dtype, accept_sparse="csr", multi_output=True
        )
        w_val = None if not rest or rest[0] is None else _check_sample_weight(rest[0], X_val)
        return X_val, self._encode_targets(y_val, dtype), w_val

    def _run_stochastic(self, network, data, validation, p, incremental, samples_seen, callbacks):
        """Epochs of minibatch training: (history, trainer). ``samples_seen`` continues ``t_``;
        ``callbacks`` are the user's, called after the estimator's own stopping rules."""
        X, y, w = data
        batch_size = self._batch_size(p, X.shape[0])
        steps_per_epoch = math.ceil(X.shape[0] / batch_size)
        epochs = 1 if incremental else p["epochs"]
        trainer = getattr(self, "_trainer", None) if incremental else None
        if trainer is None:  # a new fit, a warm start, or a loaded model's first partial_fit
            trainer = self._init_trainer(network, epochs * steps_per_epoch, batch_size, p)
            trainer.samples_seen = samples_seen
        trainer.batch_size = batch_size
        trainer.total_steps = trainer.steps_done + epochs * steps_per_epoch
        rules = self._stopping_rules(p, validation is not None)
        self._plateaus = [rule.plateau for rule in rules]
        with self._progress(epochs, p) as progress:
            everyone = [*progress, *rules, *callbacks]
            history = training.run(trainer, X, y, epochs, w, validation, everyone, self._snapshot)
        if not incremental and p["tol"] is not None and len(history["loss"]) == epochs:
            warnings.warn(
                f"{type(self).__name__}: the maximum number of epochs ({epochs}) was reached "
                f"and the optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return history, trainer

    def _run_lbfgs(self, network: MLP, X, y, w, p: dict) -> dict:
        tol = 1e-4 if p["tol"] is None else p["tol"]
        result = lbfgs.fit(
            network, self._objective(), X, y, w, p["alpha"], p["epochs"], p["max_fun"], tol
        )
        training.raise_if_diverged(
            network, result.n_iter, result.loss, p["lr"], {"loss": result.losses}
        )
        self._plateaus = []
        return {"loss": result.losses}

    def _stopping_rules(self, p: dict, has_validation: bool) -> list:
        """The early-stopping callback (always first: it tracks the best epoch even when it
        never stops) and scikit-learn's convergence rule on the training loss, as
        :class:`scratchnet.callbacks.EarlyStopping` callbacks."""
        adapts = p["lr_schedule"] == "adaptive"
        if p["monitor"] == "score" and has_validation:  # scikit-learn's: the validation score
            monitor, mode = f"val_{self._score_key()}", "max"
        else:
            monitor, mode = ("val_loss" if has_validation else "loss"), "min"
        rules = [
            callback_module.EarlyStopping(
                monitor,
                p["patience"] if p["early_stopping"] else None,
                p["min_delta"],
                mode,
                restore_best_weights=p["early_stopping"] and p["restore_best_weights"],
                adapts=adapts,
            )
        ]
        if p["tol"] is not None:
            patience = p["n_iter_no_change"] + 1  # it stops when more epochs than that pass
            rules.append(
                callback_module.EarlyStopping(
                    "loss", patience, p["tol"], "min", restore_best_weights=False, adapts=adapts
                )
            )
        return rules

    def _layer_sizes(self, n_features: int, p: dict) -> list[int]:
        """The full list of layer sizes, checked against the data and ``N``."""
        n_outputs = self._n_outputs()
        if p["hidden"] is not None:
            return [n_features, *p["hidden"], n_outputs]
        if p["layers"] is None:
            if p["N"] is not None:
                raise ConfigError("N was given without layers: give layers, the list of sizes")
            return [n_features, *DEFAULT_HIDDEN, n_outputs]
        sizes = list(p["layers"])
        if len(sizes) < 2 or not all(
            isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 1 for s in sizes
        ):
            raise ConfigError(
                f"layers must list at least two positive integer sizes (input, ..., output), "
                f"got {p['layers']!r}"
            )
        if p["N"] is not None and p["N"] != len(sizes):
            raise ConfigError(f"N={p['N']} but layers has {len(sizes)} entries: {sizes}")
        if sizes[0] != n_features:
            raise ConfigError(
                f"layers[0]={sizes[0]} but X has {n_features} features; the first layer size "
                f"must equal the number of features"
            )
        if sizes[-1] != n_outputs:
            raise ConfigError(
                f"layers[-1]={sizes[-1]} but the data needs {n_outputs} outputs "
                f"({self._outputs_meaning()}); the last layer size must match"
            )
        return [int(s) for s in sizes]

    def _hidden_activations(self, n_hidden: int, p: dict) -> list[Activation]:
        spec = p["activations"]
        if isinstance(spec, str | Activation):
            return [activation_registry.get(spec)] * n_hidden
        spec = list(spec)
        if len(spec) != n_hidden:
            raise ConfigError(
                f"activations lists {len(spec)} entries but the network has {n_hidden} hidden "
                f"layers; give one name for all, or one per hidden layer"
            )
        return [activation_registry.get(item) for item in spec]

    def _init_network(self, n_features: int, dtype: np.dtype, p: dict) -> MLP:
        sizes = self._layer_sizes(n_features, p)
        _check_memory(sizes, dtype)
        hidden = self._hidden_activations(len(sizes) - 2, p)
        normalized = self._per_hidden_layer("batch_norm", len(sizes) - 2, p, bool)
        network = MLP(sizes, hidden, dtype, normalized, p.get("batch_norm_epsilon", 1e-5))
        if p.get("initial_parameters") is not None:  # scikit-learn's names start as it does
            network.set_parameters(*p["initial_parameters"](sizes))
        else:
            network.initialize(initializers.get(p["weight_init"]), self._rng(stream=0))
        return network

    def _init_trainer(self, network: MLP, total_steps: int, batch_size: int, p: dict):
        optimizer = optimizers.make(
            p["optimizer"],
            momentum=p["momentum"],
            nesterov=p["nesterov"],
            beta_1=p["beta_1"],
            beta_2=p["beta_2"],
            epsilon=p["epsilon"],
            weight_decay=p["weight_decay"],
        )
        optimizer.init(network.params.size, network.dtype)
        per_epoch = p["lr_schedule"] in training.EPOCH_POLICIES
        return training.Trainer(
            network=network,
            objective=self._objective(),
            optimizer=optimizer,
            schedule=schedules.get("constant" if per_epoch else p["lr_schedule"]),
            lr=float(p["lr"]),
            total_steps=total_steps,
            batch_size=batch_size,
            alpha=float(p["alpha"]),
            rng=self._rng(stream=1) if p["shuffle"] else None,
            policy=p["lr_schedule"] if per_epoch else "constant",
            power_t=float(p["power_t"]),
            dropout=self._dropout(len(network.layer_sizes) - 2, p),
            batch_norm_momentum=float(p.get("batch_norm_momentum", 0.9)),
            augment=self._augmenter(network.layer_sizes[0], p),
        )

    def _dropout(self, n_hidden: int, p: dict) -> Dropout | None:
        """The trainer's dropout (its masks from ``random_state``), None without it."""
        rates = self._per_hidden_layer("dropout", n_hidden, p, float)
        if not all(0.0 <= r < 1.0 for r in rates):
            raise ConfigError(f"dropout rates must be in [0, 1), got {p['dropout']!r}")
        if not any(rates):
            return None
        return Dropout(rates, int(self._rng(stream=3).integers(2**63)))

    @staticmethod
    def _per_hidden_layer(name: str, n_hidden: int, p: dict, kind: type) -> list:
        """Setting ``name``: one value for every hidden layer, or one per hidden layer."""
        value = p.get(name, kind())
        if isinstance(value, numbers.Real | bool | np.bool_):
            return [kind(value)] * n_hidden
        values = list(value)
        if len(values) != n_hidden:
            raise ConfigError(
                f"{name} must be one value or one per hidden layer ({n_hidden}), got {value!r}"
            )
        return [kind(v) for v in values]

    def _augmenter(self, n_features: int, p: dict) -> augmentation.BatchAugmenter | None:
        """The trainer's batch augmentation (its randomness from ``random_state``), or None."""
        augment = augmentation.get(p.get("augment"))
        if augment is None or augment.identity:
            return None
        side = math.isqrt(n_features)
        if side * side != n_features:
            raise ConfigError(
                f"augment needs square images as rows, but X has {n_features} features, "
                f"not a square number; set augment=None"
            )
        return augmentation.BatchAugmenter(augment, self._rng(stream=4))

    def _weighted_by_class(self, y, w, p: dict):
        """Sample weights times class weights; the regressor has none."""
        return w

    def _objective(self):
        return OBJECTIVES[getattr(self, "out_activation_", self._default_output)]()

    @staticmethod
    def _batch_size(p: dict, n_samples: int) -> int:
        return min(200 if p["batch_size"] == "auto" else p["batch_size"], n_samples)

    def _commit(self, network, trainer, history, extend: bool, incremental: bool) -> None:
        """Store the fitted state, under our names and scikit-learn's; only reached when
        training succeeded."""
        if extend and hasattr(self, "history_"):
            for key, values in history.items():
                self.history_.setdefault(key, []).extend(values)
        else:
            self.history_ = history
        epochs_run = len(history["loss"])
        self.n_iter_ = getattr(self, "n_iter_", 0) + epochs_run if incremental else epochs_run
        self.network_ = network
        self._trainer = trainer
        if trainer is not None:
            self.t_ = trainer.samples_seen
        elif not extend:
            self.t_ = 0  # L-BFGS counts no samples (as scikit-learn's)
        _set_sklearn_attributes(self)

    def _snapshot(self, state: training.TrainingState) -> _BaseNetwork:
        """A fitted copy of this estimator with the network as training has it now."""
        snapshot = clone(self)
        fitted = {k: v for k, v in vars(self).items() if k not in vars(snapshot)}
        snapshot.__dict__.update(fitted)
        snapshot.network_ = copy.deepcopy(state.trainer.network)
        snapshot.history_ = {key: list(values) for key, values in state.history.items()}
        snapshot.n_iter_, snapshot._trainer, snapshot._plateaus = state.epoch, None, []
        _set_sklearn_attributes(snapshot)
        return snapshot

    def _checked_input(self, X, finite: bool = True):
        """X validated against the fit and cast to the network's dtype; with ``finite``
        False, the check for NaN and infinity is left to the caller."""
        check_is_fitted(self)
        self._absorb_assigned_weights(self._ours())
        dtype = self.network_.dtype
        return validate_data(
            self, X, reset=False, dtype=dtype, accept_sparse="csr", ensure_all_finite=finite
        )

    def _raw(self, X, hidden: int | None = None) -> np.ndarray:
        """The network's linear output (n_samples, n_outputs) for X, or that of hidden layer
        ``hidden`` (as :meth:`transform` counts).

        X gets scikit-learn's validation but for NaN and infinity, which are looked for in
        each chunk's first product instead (``check`` of :meth:`MLP.predict_raw`): it is in
        cache, and for the MNIST network a third of the chunk's size, where a pass of its own
        over X from memory costs 7% of a prediction. A NaN or infinity in a row makes every
        entry of the row's product NaN or infinite (``nan * w`` is NaN, ``inf * 0`` too);
        only then is the chunk itself checked: scikit-learn's own error, or nothing if finite
        inputs merely overflowed the product (which scikit-learn accepts as well).
        """
        X = self._checked_input(X, finite=False)
        layer = None if hidden is None else self._hidden_index(hidden)
        name = type(self).__name__

        def check(chunk, product: np.ndarray) -> None:
            if not np.isfinite(product).all():
                assert_all_finite(chunk, allow_nan=False, estimator_name=name, input_name="X")

        return self.network_.predict_raw(X, layer, check)

    def _hidden_index(self, layer) -> int:
        n_hidden = self.network_.n_layers - 1
        index = layer if isinstance(layer, numbers.Integral) and layer > 0 else n_hidden + 1 + layer
        if not isinstance(layer, numbers.Integral) or not 1 <= index <= n_hidden:
            raise ConfigError(
                f"layer must pick one of the {n_hidden} hidden layers (1..{n_hidden} or "
                f"-1..-{n_hidden}), got {layer!r}"
            )
        return index

    def _rng(self, stream: int) -> np.random.Generator:
        """An independent generator per purpose (0 init, 1 shuffle, 2 split, 3 dropout,
        4 augmentation)."""
        seed = self.random_state
        if isinstance(seed, np.random.Generator):
            return seed
        if isinstance(seed, np.random.RandomState):
            seed = int(seed.randint(np.iinfo(np.int32).max))
        return np.random.default_rng(None if seed is None else [int(seed), stream])

    def _progress(self, epochs: int, p: dict):
        from scratchnet._progress import epoch_progress

        style = p["progress"] if p["verbose"] else None
        return epoch_progress(epochs, style, name=type(self).__name__)


def _refuse_in_partial_fit(p: dict) -> None:
    if p["early_stopping"]:
        raise ValueError("partial_fit does not support early_stopping=True")
    if p["validation_fraction"] is not None:
        raise ValueError(
            f"partial_fit does not support validation_fraction={p['validation_fraction']}: "
            f"it would hold out part of every chunk; set validation_fraction=None"
        )


def _refuse_batches_of_one(network: MLP, n_samples: int, batch_size: int) -> None:
    """Batch normalization cannot normalize a batch of one row: refuse before training."""
    if network.normalizes and (n_samples < 2 or n_samples % batch_size == 1):
        raise ValueError(
            f"batch normalization needs at least 2 samples per training batch: {n_samples} "
            f"sample(s) in batches of {batch_size} leave a batch of 1 sample; choose another "
            f"batch_size, or add or drop a sample"
        )


def _without_zero_weights(X, y, w):
    """Drop the rows of weight 0, so that they are exactly as if they were not there."""
    if w is None or w.all():
        return X, y, w
    keep = np.flatnonzero(w)
    return X[keep], y[keep], w[keep]


def _check_memory(sizes: list[int], dtype: np.dtype) -> None:
    """Refuse a network whose weights, gradients and optimizer state cannot fit in memory."""
    n_params = sum(a * b + b for a, b in itertools.pairwise(sizes))
    needed = 5 * n_params * np.dtype(dtype).itemsize  # params, grads, 2 moments, scratch
    try:
        available = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * MEMORY_SHARE
    except (ValueError, OSError, AttributeError):
        return
    if needed > available:
        raise ConfigError(
            f"layers {sizes} have {n_params:,} parameters and need about "
            f"{needed / 2**30:.1f} GiB to train, more than this machine's "
            f"{available / 2**30:.1f} GiB allowance; use smaller layers"
        )


def _set_sklearn_attributes(model) -> None:
    """scikit-learn's fitted attribute names, from our history and network."""
    history, network = model.history_, model.network_
    score_key = f"val_{model._score_key()}"
    model.loss_curve_ = history["loss"]
    model.loss_ = history["loss"][-1]
    plateaus = getattr(model, "_plateaus", [])
    model.best_epoch_ = plateaus[0].best_epoch if plateaus else len(history["loss"])
    model._no_improvement_count = plateaus[-1].count if plateaus else 0
    watches_score = bool(plateaus) and plateaus[0].monitor == score_key
    model.validation_scores_ = history.get(score_key)
    scores = model.validation_scores_
    model.best_validation_score_ = float(np.nanmax(scores)) if scores else None
    model.best_loss_ = None if watches_score else float(np.nanmin(history["loss"]))
    model.n_layers_ = len(network.layer_sizes)
    model.n_outputs_ = network.layer_sizes[-1]


class NeuralNetwork(ClassifierMixin, _BaseNetwork):
    """The original study's from-scratch classifier: a softmax output trained on cross-entropy.

    A multilabel ``y`` (an indicator matrix) gets one sigmoid output per label and binary
    cross-entropy instead. Parameters are those of the shared base (see ``_BaseNetwork``);
    the original study's are ``N``, ``layers``, ``lr``, ``activations``, ``weight_init``,
    ``epochs`` and ``batch_size``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    coefs_, intercepts_ : list of ndarray
        Weights (layers[i], layers[i + 1]) and biases (layers[i + 1],).
    history_ : dict of lists
        Per epoch: ``loss``, ``accuracy`` (running means over the epoch's batches),
        ``val_loss``, ``val_accuracy`` (with a validation set) and ``epoch_time`` seconds.
    n_iter_ : int
        Epochs run.
    best_epoch_ : int
        Epoch (1-based) of the lowest monitored loss.
    loss_, loss_curve_, best_loss_, validation_scores_, best_validation_score_, n_layers_,
    n_outputs_, out_activation_, t_
        scikit-learn's names for the same facts (``t_``: training samples seen).
    """

    _default_output = "softmax"
    _parameter_constraints: ClassVar[dict] = {
        **_OUR_CONSTRAINTS,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(self, *args, class_weight: dict | str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.class_weight = class_weight

    # scikit-learn reads the parameters from the signature: the base's, plus ``class_weight``.
    __init__.__signature__ = _signature_with(_BaseNetwork.__init__, class_weight=None)

    def predict_proba(self, X) -> np.ndarray:
        """Class (or label) probabilities, shape (n_samples, n_classes), ordered as ``classes_``."""
        proba = self._objective().predict(self._raw(X))
        if self._is_binary_logistic():
            return np.hstack([1.0 - proba, proba])
        return proba

    def predict_log_proba(self, X) -> np.ndarray:
        """Log of :meth:`predict_proba`; computed stably from the logits for softmax."""
        if self._objective().out_activation == "softmax":
            return log_softmax(self._raw(X))
        return np.log(self.predict_proba(X))

    def predict(self, X) -> np.ndarray:
        """Most probable class for each sample (n_samples,), or the label indicator matrix
        (n_samples, n_labels) for multilabel data."""
        raw = self._raw(X)
        if self._objective().out_activation == "softmax":
            return self.classes_[raw.argmax(axis=1)]
        if self._is_binary_logistic():
            return self.classes_[(raw[:, 0] > 0).astype(np.intp)]
        return (raw > 0).astype(self.classes_.dtype)

    def _weighted_by_class(self, y, w, p: dict):
        """``w`` (n,) times the weight of each sample's class: ``class_weight`` as a dict
        {label: weight} (1 for labels it omits) or ``"balanced"``, n / (n_classes * count),
        with n and the counts taken over the sample weights. Multilabel targets take
        ``"balanced"`` only: the product over labels of each label's balanced weight."""
        class_weight = p.get("class_weight")
        if class_weight is None:
            return w
        columns = y.astype(np.intp).reshape(len(y), -1).T  # one row of 0/1 (or indices) each
        if columns.shape[0] > 1 and class_weight != "balanced":
            raise ConfigError(
                "class_weight for multilabel targets can only be 'balanced'; "
                "weigh samples with sample_weight instead"
            )
        n_classes = self.classes_.size if columns.shape[0] == 1 and y.ndim == 1 else 2
        factor = np.ones(len(y))
        for index in columns:
            factor *= self._class_factors(class_weight, index, w, n_classes)[index]
        return factor if w is None else w * factor

    def _class_factors(self, class_weight, index, w, n_classes: int) -> np.ndarray:
        """The weight of each class (n_classes,), for class indices ``index`` (n,)."""
        if class_weight == "balanced":  # counted by weight: a weight of 2 is a repeated row
            counts = np.bincount(index, weights=w, minlength=n_classes)
            total = index.size if w is None else w.sum()
            return total / (n_classes * np.where(counts > 0, counts, 1.0))
        unknown = set(class_weight) - set(self.classes_.tolist())
        if unknown:
            raise ConfigError(f"class_weight names labels not in the data: {sorted(unknown)}")
        return np.array([class_weight.get(c, 1.0) for c in self.classes_.tolist()], float)

    def _is_binary_logistic(self) -> bool:
        return self.out_activation_ == "logistic" and self.n_outputs_ == 1

    def _prepare_targets(self, y, classes, continuing: bool, incremental: bool) -> None:
        if not continuing or not hasattr(self, "classes_"):
            self._init_targets(y, classes)
        elif incremental:
            if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(
                    f"classes={np.unique(classes).tolist()} differs from the classes of the "
                    f"first partial_fit call, {self.classes_.tolist()}; give the same list"
                )
        elif self.out_activation_ != "logistic" or not self._multilabel(y):
            if not np.array_equal(np.unique(y), self.classes_):
                raise ValueError(
                    f"warm_start can only be used where `y` has the same classes as in the "
                    f"previous call to fit. Previously got {self.classes_}, `y` has {np.unique(y)}"
                )

    def _init_targets(self, y, classes) -> None:
        if self._multilabel(y):  # label indices, in y's dtype so that predict returns it
            dtype = np.int64 if y.dtype == bool else y.dtype  # (a bool can't count past 1)
            self.classes_ = np.arange(y.shape[1]).astype(dtype)
            self.out_activation_, self.n_outputs_ = "logistic", y.shape[1]
            return
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self.classes_ = np.unique(y if classes is None else classes)
        if self.classes_.size < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in the data, but "
                f"the data contains only one class: {self.classes_[0]!r}"
            )
        binary_logistic = self._binary_logistic and self.classes_.size == 2
        self.out_activation_ = "logistic" if binary_logistic else "softmax"
        self.n_outputs_ = 1 if binary_logistic else self.classes_.size

    @staticmethod
    def _multilabel(y) -> bool:
        return np.ndim(y) == 2 and y.shape[1] > 1 and type_of_target(y) == "multilabel-indicator"

    def _encode_targets(self, y, dtype) -> np.ndarray:
        if self.out_activation_ == "logistic" and self.n_outputs_ > 1:
            if np.ndim(y) != 2 or y.shape[1] != self.n_outputs_:
                raise ValueError(f"y must be a label indicator matrix of {self.n_outputs_} columns")
            return np.asarray(y, dtype=dtype)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        index = np.searchsorted(self.classes_, y)
        index[index == self.classes_.size] = 0
        unknown = self.classes_[index] != y
        if unknown.any():
            raise ValueError(
                f"y contains labels not seen in the first fit (classes_={self.classes_.tolist()}): "
                f"{np.unique(y[unknown]).tolist()}"
            )
        if self.out_activation_ == "logistic":
            return index.astype(dtype).reshape(-1, 1)
        return index.astype(np.intp)

    def _n_outputs(self) -> int:
        return self.n_outputs_

    def _outputs_meaning(self) -> str:
        return f"one per class, {self.classes_.size} classes"

    def _stratify(self, y):
        if self.out_activation_ == "softmax":
            return y
        return y > 0.5 if self.n_outputs_ == 1 else None  # no stratifying multilabel data

    def _score_key(self) -> str:
        return "accuracy"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class NeuralNetworkRegressor(RegressorMixin, _BaseNetwork):
    """The same network with a linear output trained on squared error (or a log link
    trained on the Poisson deviance, ``loss="poisson"``).

    Multi-output targets work (an autoencoder is ``fit(X, X)``). ``score`` is R^2, and
    ``history_`` holds per epoch ``loss`` (half the squared error per sample, the training
    objective), ``mse`` (mean squared error over all outputs), their ``val_`` versions,
    ``val_r2`` and ``epoch_time``.
    """

    _parameter_constraints: ClassVar[dict] = {
        **_OUR_CONSTRAINTS,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }
    _default_output = "identity"

    def __init__(self, *args, loss: str = "squared_error", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.loss = loss

    # scikit-learn reads the parameters from the signature: the base's, plus ``loss``.
    __init__.__signature__ = _signature_with(_BaseNetwork.__init__, loss="squared_error")

    def predict(self, X) -> np.ndarray:
        """Predictions, shape (n_samples,) for a 1-D target, else (n_samples, n_outputs);
        float32 for float32 input (as scikit-learn's), else float64."""
        precision = np.float32 if getattr(X, "dtype", None) == np.float32 else np.float64
        output = self._objective().predict(self._raw(X)).astype(precision, copy=False)
        return output[:, 0] if self._y_was_1d else output

    def _prepare_targets(self, y, classes, continuing: bool, incremental: bool) -> None:
        if self._ours()["loss"] == "poisson" and np.any(np.asarray(y) < 0):
            raise ValueError(
                "Some value(s) of y are negative which is not allowed for Poisson regression: "
                "loss='poisson' models counts and rates"
            )
        if not continuing or not hasattr(self, "_y_was_1d"):
            self._y_was_1d = np.ndim(y) == 1
            self.n_outputs_ = 1 if self._y_was_1d else y.shape[1]
            self.out_activation_ = "exp" if self._ours()["loss"] == "poisson" else "identity"

    def _encode_targets(self, y, dtype) -> np.ndarray:
        y = np.asarray(y, dtype=dtype)
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def _n_outputs(self) -> int:
        return self.n_outputs_

    def _outputs_meaning(self) -> str:
        return f"one per target column, {self.n_outputs_} columns"

    def _stratify(self, y):
        return None

    def _score_key(self) -> str:
        return "r2"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
