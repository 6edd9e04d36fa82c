"""``NeuralNetwork`` and ``NeuralNetworkRegressor``: the from-scratch network as scikit-learn
estimators.

They follow scikit-learn's rules, so that pipelines, ``clone`` and ``GridSearchCV`` take them
unchanged: ``__init__`` only stores its arguments, everything is validated in ``fit``, learned
attributes end in ``_``, and the estimator check suite passes.

>>> from sklearn.datasets import load_digits
>>> X, y = load_digits(return_X_y=True)
>>> model = NeuralNetwork(layers=[64, 32, 10], epochs=5, random_state=0).fit(X / 16, y)
>>> model.predict(X[:3] / 16).shape
(3,)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from scratchnet import training
from scratchnet.errors import ConfigError
from scratchnet.nn import activations as activation_registry
from scratchnet.nn import initializers, optimizers, schedules
from scratchnet.nn.activations import Activation, softmax
from scratchnet.nn.network import MLP

DEFAULT_HIDDEN = (100,)


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
        Maximum number of passes over the training data.
    batch_size : int
        Samples per update; clipped to the number of training samples.
    optimizer : {"sgd", "adam", "adamw"}
    momentum, nesterov : float, bool
        SGD momentum (0 is the seed's plain SGD) and Nesterov's variant.
    beta_1, beta_2, epsilon : float
        Adam's settings.
    alpha : float
        L2 penalty added to the loss, ``alpha * ||W||^2 / (2 n_batch)`` (scikit-learn's).
    weight_decay : float, optional
        Decoupled weight decay per step; ``None`` is 0.01 for ``adamw``, else 0.
    lr_schedule : {"constant", "step", "cosine", "onecycle"}
        Learning rate as a function of the step (see :mod:`scratchnet.nn.schedules`).
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
    dtype : {"float32", "float64"}
        Compute dtype.
    random_state : int, numpy Generator or None
        Seeds initialization, shuffling and the validation split.
    verbose : bool
        Show a progress bar with the epoch and losses.
    """

    _objective: type

    def __init__(
        self,
        layers: Sequence[int] | None = None,
        N: int | None = None,
        lr: float = 1e-3,
        activations: str | Activation | Sequence[str | Activation] = "relu",
        weight_init: str = "normal",
        epochs: int = 200,
        batch_size: int = 128,
        optimizer: str = "adam",
        momentum: float = 0.0,
        nesterov: bool = False,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        alpha: float = 0.0,
        weight_decay: float | None = None,
        lr_schedule: str = "constant",
        early_stopping: bool = False,
        patience: int = 10,
        min_delta: float = 0.0,
        restore_best_weights: bool = True,
        validation_fraction: float | None = None,
        shuffle: bool = True,
        dtype: str = "float32",
        random_state: int | np.random.Generator | None = None,
        verbose: bool = False,
    ) -> None:
        self.layers = layers
        self.N = N
        self.lr = lr
        self.activations = activations
        self.weight_init = weight_init
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.momentum = momentum
        self.nesterov = nesterov
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.alpha = alpha
        self.weight_decay = weight_decay
        self.lr_schedule = lr_schedule
        self.early_stopping = early_stopping
        self.patience = patience
        self.min_delta = min_delta
        self.restore_best_weights = restore_best_weights
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose

    # --- public API ---------------------------------------------------------------------------

    def fit(self, X, y, validation_data: tuple | None = None):
        """Train from freshly initialized weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        validation_data : tuple (X_val, y_val), optional
            Evaluated after every epoch (``val_*`` entries of ``history_``); overrides
            ``validation_fraction``.

        Returns
        -------
        self
        """
        return self._fit(X, y, validation_data, incremental=False)

    def partial_fit(self, X, y, classes=None):
        """One epoch over (X, y), continuing from the current weights and optimizer state.

        ``classes`` (every label that will ever appear) is required on the classifier's
        first call.
        """
        return self._fit(X, y, None, incremental=True, classes=classes)

    def transform(self, X, layer: int = -1) -> np.ndarray:
        """Activations of hidden layer ``layer`` for X: the network's learned features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        layer : int
            Hidden layer, counting from 1 (the first hidden layer); negative values count
            back from the last hidden layer, so -1 (the default) is the layer that feeds the
            output layer.

        Returns
        -------
        ndarray of shape (n_samples, layer_size)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=self.network_.dtype)
        n_hidden = self.network_.n_layers - 1
        index = layer if layer > 0 else n_hidden + 1 + layer
        if not isinstance(layer, numbers.Integral) or not 1 <= index <= n_hidden:
            raise ConfigError(
                f"layer must pick one of the {n_hidden} hidden layers (1..{n_hidden} or "
                f"-1..-{n_hidden}), got {layer!r}"
            )
        return self.network_.predict_raw(X, layer=index)

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices, ``coefs_[i]`` of shape (layers[i], layers[i + 1])."""
        check_is_fitted(self)
        return self.network_.coefs

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors, ``intercepts_[i]`` of shape (layers[i + 1],)."""
        check_is_fitted(self)
        return self.network_.intercepts

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "network_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # transform() returns hidden features in the compute dtype, whatever the input's.
        tags.transformer_tags.preserves_dtype = [str(np.dtype(self.dtype))]
        return tags

    # --- fitting, in steps ----------------------------------------------------------------------

    def _fit(self, X, y, validation_data, incremental: bool, classes=None):
        first_call = not (incremental and hasattr(self, "network_"))
        dtype = self._compute_dtype()
        X, y = validate_data(self, X, y, reset=first_call, dtype=dtype, **self._y_validation())
        if first_call:
            self._init_targets(y, classes)
        y = self._encode_targets(y)
        X, y, validation = self._split_validation(X, y, validation_data, dtype)
        batch_size = self._checked_batch_size(X.shape[0])
        steps_per_epoch = math.ceil(X.shape[0] / batch_size)
        epochs = 1 if incremental else self._checked_int("epochs", self.epochs, 1)
        if first_call:
            network = self._init_network(X.shape[1], dtype)
            trainer = self._init_trainer(network, epochs * steps_per_epoch, batch_size)
        else:  # a loaded model has no optimizer state yet: it starts afresh
            trainer = getattr(self, "_trainer", None) or self._init_trainer(
                self.network_, steps_per_epoch, batch_size
            )
            trainer.batch_size = batch_size
            trainer.total_steps = trainer.steps_done + steps_per_epoch
        stopper = self._stopper()
        with self._progress(epochs) as on_epoch_end:
            history = training.run(trainer, X, y, epochs, validation, stopper, on_epoch_end)
        if self.early_stopping and self.restore_best_weights and stopper.best_params is not None:
            trainer.network.params[...] = stopper.best_params
        self._commit(trainer, history, stopper, extend=not first_call)
        return self

    def _compute_dtype(self) -> np.dtype:
        if self.dtype not in ("float32", "float64", np.float32, np.float64):
            raise ConfigError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")
        return np.dtype(self.dtype)

    def _layer_sizes(self, n_features: int) -> list[int]:
        """The full list of layer sizes, checked against the data and ``N``."""
        n_outputs = self._n_outputs()
        if self.layers is None:
            if self.N is not None:
                raise ConfigError("N was given without layers: give layers, the list of sizes")
            return [n_features, *DEFAULT_HIDDEN, n_outputs]
        sizes = list(self.layers)
        if len(sizes) < 2 or not all(
            isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 1 for s in sizes
        ):
            raise ConfigError(
                f"layers must list at least two positive integer sizes (input, ..., output), "
                f"got {self.layers!r}"
            )
        if self.N is not None and self.N != len(sizes):
            raise ConfigError(f"N={self.N} but layers has {len(sizes)} entries: {sizes}")
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

    def _hidden_activations(self, n_hidden: int) -> list[Activation]:
        spec = self.activations
        if isinstance(spec, str | Activation):
            return [activation_registry.get(spec)] * n_hidden
        spec = list(spec)
        if len(spec) != n_hidden:
            raise ConfigError(
                f"activations lists {len(spec)} entries but the network has {n_hidden} hidden "
                f"layers; give one name for all, or one per hidden layer"
            )
        return [activation_registry.get(item) for item in spec]

    def _init_network(self, n_features: int, dtype: np.dtype) -> MLP:
        sizes = self._layer_sizes(n_features)
        network = MLP(sizes, self._hidden_activations(len(sizes) - 2), dtype)
        network.initialize(initializers.get(self.weight_init), self._rng(stream=0))
        return network

    def _init_trainer(self, network: MLP, total_steps: int, batch_size: int) -> training.Trainer:
        lr = self._checked_float("lr", self.lr, 0.0, low_open=True)
        alpha = self._checked_float("alpha", self.alpha, 0.0)
        optimizer = optimizers.make(
            self.optimizer,
            momentum=self.momentum,
            nesterov=self.nesterov,
            beta_1=self.beta_1,
            beta_2=self.beta_2,
            epsilon=self.epsilon,
            weight_decay=self.weight_decay,
        )
        optimizer.init(network.params.size, network.dtype)
        return training.Trainer(
            network=network,
            objective=self._objective(),
            optimizer=optimizer,
            schedule=schedules.get(self.lr_schedule),
            lr=lr,
            total_steps=total_steps,
            batch_size=batch_size,
            alpha=alpha,
            rng=self._rng(stream=1) if self.shuffle else None,
        )

    def _split_validation(self, X, y, validation_data, dtype):
        """Return (X_train, y_train, validation) with validation an encoded pair or None."""
        if validation_data is not None:
            if len(validation_data) != 2:
                raise ConfigError("validation_data must be a pair (X_val, y_val)")
            X_val, y_val = validate_data(
                self, *validation_data, reset=False, dtype=dtype, **self._y_validation()
            )
            return X, y, (X_val, self._encode_targets(y_val))
        if self.validation_fraction is None:
            return X, y, None
        fraction = self.validation_fraction
        if not isinstance(fraction, numbers.Real) or not 0.0 < fraction < 1.0:
            raise ConfigError(f"validation_fraction must be in (0, 1), got {fraction!r}")
        seed = int(self._rng(stream=2).integers(np.iinfo(np.int32).max))
        X, X_val, y, y_val = train_test_split(
            X, y, test_size=fraction, random_state=seed, stratify=self._stratify(y)
        )
        return X, y, (X_val, y_val)

    def _checked_batch_size(self, n_samples: int) -> int:
        return min(self._checked_int("batch_size", self.batch_size, 1), n_samples)

    def _stopper(self) -> training.EarlyStopping:
        if not self.early_stopping:
            return training.EarlyStopping()
        patience = self._checked_int("patience", self.patience, 1)
        min_delta = self._checked_float("min_delta", self.min_delta, 0.0)
        return training.EarlyStopping(patience, min_delta)

    def _commit(self, trainer, history, stopper, extend: bool) -> None:
        """Store the fitted state; only reached when training succeeded."""
        if extend:
            for key, values in history.items():
                self.history_[key].extend(values)
            self.n_iter_ += len(history["loss"])
        else:
            self.history_ = history
            self.n_iter_ = len(history["loss"])
        self.best_epoch_ = stopper.best_epoch
        self.network_ = trainer.network
        self._trainer = trainer

    def _rng(self, stream: int) -> np.random.Generator:
        """An independent generator per purpose (0 init, 1 shuffle, 2 split)."""
        seed = self.random_state
        if isinstance(seed, np.random.Generator):
            return seed
        if isinstance(seed, np.random.RandomState):
            seed = int(seed.randint(np.iinfo(np.int32).max))
        return np.random.default_rng(None if seed is None else [int(seed), stream])

    def _progress(self, epochs: int):
        from scratchnet._progress import epoch_progress

        return epoch_progress(epochs, enabled=bool(self.verbose), name=type(self).__name__)

    @staticmethod
    def _checked_int(name: str, value, low: int) -> int:
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
            raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")
        return int(value)

    @staticmethod
    def _checked_float(name: str, value, low: float, low_open: bool = False) -> float:
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
        ok = ok and math.isfinite(value) and (value > low if low_open else value >= low)
        if not ok:
            relation = ">" if low_open else ">="
            raise ConfigError(f"{name} must be a finite number {relation} {low}, got {value!r}")
        return float(value)


class NeuralNetwork(ClassifierMixin, _BaseNetwork):
    """The seed's from-scratch classifier: a softmax output layer trained on cross-entropy.

    Parameters are those of the shared base (see the module and ``_BaseNetwork``); the seed's
    are ``N``, ``layers``, ``lr``, ``activations``, ``weight_init``, ``epochs`` and
    ``batch_size``.

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
    """

    _objective = training.Classification

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns ordered as ``classes_``."""
        return softmax(self._logits(X))

    def predict_log_proba(self, X) -> np.ndarray:
        """Log of :meth:`predict_proba`, computed stably from the logits."""
        from scratchnet.nn.losses import log_softmax

        return log_softmax(self._logits(X))

    def predict(self, X) -> np.ndarray:
        """Most probable class for each sample, shape (n_samples,)."""
        logits = self._logits(X)
        return self.classes_[logits.argmax(axis=1)]

    def _logits(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=self.network_.dtype)
        return self.network_.predict_raw(X)

    def _y_validation(self) -> dict:
        return {}

    def _init_targets(self, y, classes) -> None:
        check_classification_targets(y)
        self.classes_ = np.unique(y if classes is None else classes)
        if self.classes_.size < 2:
            raise ValueError(
                f"NeuralNetwork needs samples of at least 2 classes in the data, but the "
                f"data contains only one class: {self.classes_[0]!r}"
            )

    def _encode_targets(self, y) -> np.ndarray:
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
        return index.astype(np.intp)

    def _n_outputs(self) -> int:
        return self.classes_.size

    def _outputs_meaning(self) -> str:
        return f"one per class, {self.classes_.size} classes"

    def _stratify(self, y):
        return y


class NeuralNetworkRegressor(RegressorMixin, _BaseNetwork):
    """The same network with a linear output trained on squared error.

    Multi-output targets work (an autoencoder is ``fit(X, X)``). ``score`` is R^2, and
    ``history_`` holds per epoch ``loss`` (half the squared error per sample, the training
    objective), ``mse`` (mean squared error over all outputs), their ``val_`` versions and
    ``epoch_time``.
    """

    _objective = training.Regression

    def predict(self, X) -> np.ndarray:
        """Predictions, shape (n_samples,) for a 1-D target, else (n_samples, n_outputs)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=self.network_.dtype)
        output = self.network_.predict_raw(X).astype(np.float64)  # float64, as sklearn's
        return output[:, 0] if self._y_was_1d else output

    def score(self, X, y, sample_weight=None) -> float:
        """R^2 of the predictions, averaged uniformly over outputs."""
        return r2_score(y, self.predict(X), sample_weight=sample_weight)

    def _y_validation(self) -> dict:
        return {"multi_output": True, "y_numeric": True}

    def _init_targets(self, y, classes) -> None:
        self._y_was_1d = np.ndim(y) == 1
        self.n_outputs_ = 1 if self._y_was_1d else y.shape[1]

    def _encode_targets(self, y) -> np.ndarray:
        y = np.asarray(y, dtype=self._compute_dtype())
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def _n_outputs(self) -> int:
        return self.n_outputs_

    def _outputs_meaning(self) -> str:
        return f"one per target column, {self.n_outputs_} columns"

    def _stratify(self, y):
        return None

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
