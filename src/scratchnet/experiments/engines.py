"""One interface over the two engines of the Fashion-MNIST studies: scikit-learn and scratchnet.

* :class:`Recipe`: the training settings a study names (optimizer, learning rate, ...);
* :func:`make_estimator`: the engine's classifier or regressor for an architecture and recipe;
* :func:`fit_with_history`: train it and record per-epoch curves and training seconds;
* :func:`evaluate`: loss and accuracy (classifier) or MSE and R^2 (regressor) on a data set;
* :func:`hidden_features`: a hidden layer's activations, for either engine;
* :func:`save_model` / :func:`load_model`: safe weight files (never pickle) for either engine.

Per-epoch curves are measured the same way for both engines whenever the learning rate is
constant: after every epoch, the model is evaluated on the whole training set and on the
validation set, outside the timed part (scikit-learn through
:func:`~scratchnet.experiments.sklearn_driver.train_epochs`, scratchnet through ``partial_fit``,
both exactly one ``fit``). A scratchnet recipe with a learning-rate schedule needs to know the
run's length, so it is trained by one ``fit(validation_data=...)``; its training curve is then
the estimator's running mean over each epoch's batches (``curve = "running"``).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from scratchnet.errors import ConfigError

ENGINES = ("sklearn", "scratchnet")
TASKS = ("classify", "regress")
SKLEARN_ACTIVATIONS = {"logistic": "logistic", "sigmoid": "logistic", "tanh": "tanh",
                       "relu": "relu", "identity": "identity"}  # fmt: skip


@dataclass(frozen=True)
class Recipe:
    """How a network is trained; the defaults are the seed's Section C settings.

    ``weight_init`` applies to scratchnet only: a scratchnet initializer name, or ``sklearn``
    for scikit-learn's own Glorot uniform (``xavier``, but with a third of the variance for
    ``logistic``: bound ``sqrt(2 / (fan_in + fan_out))`` instead of ``sqrt(6 / ...)``);
    ``lr_schedule`` other than ``constant`` and ``weight_decay`` are scratchnet only.
    ``alpha`` is scikit-learn's L2 penalty (default 1e-4 in both the seed's MLPs and here).

    ``stop_on_plateau`` applies to scikit-learn only: True keeps its default stop (training
    loss not improved by ``tol`` for ``n_iter_no_change`` epochs, so it may run fewer than
    ``epochs``); False (the default) runs every epoch, as the seed's 100-epoch curves do. Both
    are exactly one ``fit``.
    """

    optimizer: str = "adam"
    lr: float = 2e-5
    batch_size: int = 128
    epochs: int = 100
    alpha: float = 1e-4
    lr_schedule: str = "constant"
    weight_decay: float = 0.0
    weight_init: str = "sklearn"
    random_state: int = 42
    stop_on_plateau: bool = False


@dataclass
class FitResult:
    """A trained model, its per-epoch history and the seconds spent training.

    ``history`` keys: ``loss``, ``accuracy`` (classifier) or ``mse`` (regressor), their
    ``val_`` versions, and ``epoch_time`` (training seconds per epoch, evaluation excluded).
    ``curve`` is ``"end-of-epoch"`` or ``"running"`` (see the module docstring).
    """

    model: Any
    history: dict[str, list[float]]
    fit_seconds: float
    curve: str


def check_engine(engine: str, where: str = "engines") -> str:
    """Return ``engine`` if known, else raise ConfigError naming ``where``."""
    if engine not in ENGINES:
        raise ConfigError(f"{where}: unknown engine {engine!r}; valid: {', '.join(ENGINES)}")
    return engine


def engine_of(model) -> str:
    """``"scratchnet"`` for scratchnet's estimators, else ``"sklearn"``."""
    return "scratchnet" if type(model).__module__.startswith("scratchnet") else "sklearn"


def make_estimator(
    engine: str,
    task: str,
    hidden: tuple[int, ...] | list[int],
    activation: str,
    recipe: Recipe,
    n_features: int,
    n_outputs: int,
):
    """An unfitted estimator of ``engine`` for ``task`` (``classify`` or ``regress``).

    Parameters
    ----------
    engine : {"sklearn", "scratchnet"}
    task : {"classify", "regress"}
    hidden : sequence of int
        Hidden layer sizes.
    activation : str
        Hidden activation (``logistic``, ``tanh``, ``relu``, ``identity``).
    recipe : Recipe
    n_features, n_outputs : int
        Input size and output size (classes, or target columns); scratchnet's ``layers``
        lists them, scikit-learn infers them.
    """
    check_engine(engine)
    if task not in TASKS:
        raise ConfigError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
    if engine == "scratchnet":
        from scratchnet.estimators import NeuralNetwork, NeuralNetworkRegressor

        cls = NeuralNetwork if task == "classify" else NeuralNetworkRegressor
        return cls(
            layers=[int(n_features), *map(int, hidden), int(n_outputs)],
            activations=activation,
            optimizer=recipe.optimizer,
            lr=recipe.lr,
            batch_size=recipe.batch_size,
            epochs=recipe.epochs,
            alpha=recipe.alpha,
            lr_schedule=recipe.lr_schedule,
            weight_decay=recipe.weight_decay,
            weight_init=scratchnet_init(recipe.weight_init, activation),
            random_state=recipe.random_state,
        )
    return _make_sklearn(task, hidden, activation, recipe)


def scratchnet_init(name: str, activation: str):
    """scratchnet's ``weight_init`` for ``name``; ``sklearn`` is scikit-learn's Glorot uniform."""
    if name != "sklearn":
        return name
    if activation not in ("logistic", "sigmoid"):
        return "xavier"
    from scratchnet.nn.initializers import variance_scaling

    return partial(variance_scaling, scale=1.0 / 3.0, mode="fan_avg", distribution="uniform")


def _make_sklearn(task: str, hidden, activation: str, recipe: Recipe):
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    unsupported = {
        "optimizer": recipe.optimizer not in ("adam", "sgd"),
        "lr_schedule": recipe.lr_schedule != "constant",
        "weight_decay": recipe.weight_decay != 0.0,
    }
    for name, bad in unsupported.items():
        if bad:
            raise ConfigError(
                f"scikit-learn's MLP has no {name}={getattr(recipe, name)!r}: run this recipe "
                f"with engine 'scratchnet' only"
            )
    if activation not in SKLEARN_ACTIVATIONS:
        raise ConfigError(
            f"unknown activation {activation!r} for scikit-learn; valid: "
            f"{', '.join(sorted(SKLEARN_ACTIVATIONS))}"
        )
    cls = MLPClassifier if task == "classify" else MLPRegressor
    return cls(
        hidden_layer_sizes=tuple(int(h) for h in hidden),
        activation=SKLEARN_ACTIVATIONS[activation],
        solver=recipe.optimizer,
        learning_rate_init=recipe.lr,
        batch_size=recipe.batch_size,
        max_iter=recipe.epochs,
        alpha=recipe.alpha,
        random_state=recipe.random_state,
        # more epochs without improvement than the run has: it never stops early
        n_iter_no_change=10 if recipe.stop_on_plateau else max(recipe.epochs, 10),
    )


def is_classifier_model(model) -> bool:
    """True for a classifier of either engine."""
    from sklearn.base import is_classifier

    return is_classifier(model)


# --- training with per-epoch curves ---------------------------------------------------------


def fit_with_history(
    model,
    X: np.ndarray,
    y: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    epochs: int,
) -> FitResult:
    """Train ``model`` (either engine) for ``epochs`` epochs, recording per-epoch curves.

    Parameters
    ----------
    model : unfitted estimator from :func:`make_estimator`
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
    X_val, y_val : validation data, same layout
    epochs : int

    Returns
    -------
    FitResult
    """
    engine = engine_of(model)
    if engine == "scratchnet" and model.lr_schedule != "constant":
        return _fit_scheduled(model, X, y, X_val, y_val, epochs)
    history: dict[str, list[float]] = {}

    def record(epoch: int, seconds: float) -> None:
        for prefix, (X_part, y_part) in (("", (X, y)), ("val_", (X_val, y_val))):
            for key, value in evaluate(model, X_part, y_part, with_r2=False).items():
                history.setdefault(prefix + key, []).append(value)
        history.setdefault("epoch_time", []).append(seconds)

    if engine == "sklearn":
        from scratchnet.experiments.sklearn_driver import train_epochs

        times = train_epochs(model, X, y, epochs, record)
    else:
        times = _scratchnet_epochs(model, X, y, epochs, record)
    return FitResult(model, history, float(sum(times)), "end-of-epoch")


def _scratchnet_epochs(model, X, y, epochs: int, record) -> list[float]:
    """``partial_fit`` once per epoch: with a constant learning rate, exactly one ``fit``."""
    extra = {"classes": np.unique(y)} if is_classifier_model(model) else {}
    times = []
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        model.partial_fit(X, y, **(extra if epoch == 1 else {}))
        times.append(time.perf_counter() - start)
        record(epoch, times[-1])
    return times


def _fit_scheduled(model, X, y, X_val, y_val, epochs: int) -> FitResult:
    model.set_params(epochs=epochs)
    model.fit(X, y, validation_data=(X_val, y_val))
    history = {key: list(map(float, values)) for key, values in model.history_.items()}
    if "loss" in history and "mse" in history:  # regressor: report MSE, as the other path
        history = {k: v for k, v in history.items() if k not in ("loss", "val_loss")}
    return FitResult(model, history, float(sum(history["epoch_time"])), "running")


# --- evaluation ---------------------------------------------------------------------------------


def evaluate(model, X: np.ndarray, y: np.ndarray, *, with_r2: bool = True) -> dict[str, float]:
    """Log loss and accuracy of a classifier, or MSE (and R^2) of a regressor, on (X, y).

    R^2 is scikit-learn's ``r2_score`` averaged uniformly over the outputs (what both engines'
    ``score`` return).
    """
    if is_classifier_model(model):
        from sklearn.metrics import log_loss

        proba = model.predict_proba(X)
        accuracy = float(np.mean(model.classes_[proba.argmax(axis=1)] == y))
        return {"loss": float(log_loss(y, proba, labels=model.classes_)), "accuracy": accuracy}
    prediction = np.asarray(model.predict(X), dtype=np.float64)
    result = {"mse": float(np.mean((prediction - y) ** 2))}
    if with_r2:
        from sklearn.metrics import r2_score

        result["r2"] = float(r2_score(y, prediction))
    return result


def hidden_features(model, X: np.ndarray, layer: int) -> np.ndarray:
    """Activations of hidden layer ``layer`` (1-based; negative counts from the last hidden).

    Parameters
    ----------
    model : fitted estimator of either engine
    X : ndarray of shape (n_samples, n_features)
    layer : int

    Returns
    -------
    ndarray of shape (n_samples, layer_size)
    """
    if engine_of(model) == "scratchnet":
        return model.transform(X, layer=layer)
    from sklearn.neural_network._base import ACTIVATIONS

    n_hidden = len(model.coefs_) - 1
    index = layer if layer > 0 else n_hidden + 1 + layer
    if not 1 <= index <= n_hidden:
        raise ConfigError(f"layer must pick one of the {n_hidden} hidden layers, got {layer!r}")
    out = np.asarray(X, dtype=model.coefs_[0].dtype)
    for W, b in zip(model.coefs_[:index], model.intercepts_[:index]):
        out = out @ W + b
        ACTIVATIONS[model.activation](out)
    return out


# --- model files --------------------------------------------------------------------------------


def save_model(model, path: str | Path) -> Path:
    """Write a fitted model of either engine as a safe ``.npz`` (:mod:`scratchnet.persistence`)."""
    from scratchnet import persistence

    return persistence.save(model, path)


def load_model(path: str | Path):
    """Read a file written by :func:`save_model`; return the fitted estimator."""
    from scratchnet import persistence

    return persistence.load(path)


def recipe_dict(recipe: Recipe) -> dict:
    """The recipe as a JSON-safe dict."""
    return asdict(recipe)
