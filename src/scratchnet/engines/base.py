"""What every training engine provides, and the parts they share.

A :class:`TrainingEngine` (scikit-learn's MLPs, or scratchnet's estimators) builds an
estimator from a :class:`Recipe` or from its own parameters, trains it with per-epoch curves
(:meth:`TrainingEngine.fit`), reads a hidden layer's activations, and saves the model through
:mod:`scratchnet.persistence` (one model-file format for both engines).

Per-epoch curves are measured the same way for both engines whenever the learning rate is
constant: after every epoch, the model is evaluated on the whole training set and on the
validation set, outside the timed part (each engine trains epoch by epoch exactly as one
``fit``), as the original study's Section C did ("for each epoch, the model was evaluated on
training and validation data"). Each evaluation is one streamed pass in large chunks
(:mod:`scratchnet.engines.scoring`), and the last epoch's is kept (:attr:`FitResult.scores`),
so that the cell's final training and validation scores are not computed again. A scratchnet
recipe with a learning-rate schedule needs to know the run's length, so it is trained by one
``fit(validation_data=...)``; its training curve is then the estimator's running mean over
each epoch's batches (``curve = "running"``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from scratchnet.engines.scoring import Part
from scratchnet.errors import ConfigError
from scratchnet.schema import Spec, flag, integer, number, seed, text

TASKS = ("classify", "regress")
#: What a grid's or record's training curve is, for the captions of their figures.
TRAIN_CURVE = (
    "train: the whole training set evaluated after each epoch with a constant learning rate, "
    "the running mean over the epoch's batches with a schedule"
)

#: The per-epoch hook of :meth:`TrainingEngine.epochs`: ``record(epoch, seconds)``.
EpochRecord = Callable[[int, float], None]


@dataclass(frozen=True)
class Recipe:
    """How a network is trained; the defaults are the original study's Section C settings.

    ``weight_init`` applies to scratchnet only: a scratchnet initializer name, or ``sklearn``
    for scikit-learn's own Glorot uniform (``xavier``, but with a third of the variance for
    ``logistic``: bound ``sqrt(2 / (fan_in + fan_out))`` instead of ``sqrt(6 / ...)``);
    ``lr_schedule`` other than ``constant`` and ``weight_decay`` are scratchnet only.
    ``alpha`` is scikit-learn's L2 penalty (default 1e-4 in both the original's MLPs and here).

    ``stop_on_plateau`` applies to scikit-learn only: True keeps its default stop (training
    loss not improved by ``tol`` for ``n_iter_no_change`` epochs, so it may run fewer than
    ``epochs``); False (the default) runs every epoch, as the original's 100-epoch curves do.
    Both are exactly one ``fit``.
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

    def to_dict(self) -> dict:
        """The recipe as a JSON-safe dict."""
        return asdict(self)


#: The schema of a recipe's table in a config file (:class:`Recipe`).
RECIPE: dict[str, Spec] = {
    "optimizer": text(),
    "lr": number(1e-12),
    "batch_size": integer(1),
    "epochs": integer(1),
    "alpha": number(0),
    "lr_schedule": text(),
    "weight_decay": number(0),
    "weight_init": text(),
    "random_state": seed(),
    "stop_on_plateau": flag(),
}


@dataclass
class FitResult:
    """A trained model, its per-epoch history and the seconds spent training.

    ``history`` keys: ``loss``, ``accuracy`` (classifier) or ``mse`` (regressor), their
    ``val_`` versions, and ``epoch_time`` (training seconds per epoch, evaluation excluded).
    ``curve`` is ``"end-of-epoch"`` or ``"running"`` (see the module docstring). ``scores``:
    the final model's scores (:func:`evaluate`, R^2 included) on the parts its last epoch
    evaluated, by part name (``train``, ``val``); empty for running curves.
    """

    model: Any
    history: dict[str, list[float]]
    fit_seconds: float
    curve: str
    scores: dict[str, dict[str, float]] = field(default_factory=dict)


class TrainingEngine:
    """One training engine behind the interface the studies use; subclasses fill in the
    engine-specific steps (:meth:`estimator`, :meth:`build`, :meth:`epochs`, :meth:`hidden`)."""

    name: str = ""
    #: Recipe field -> the engine's parameter name, where they differ.
    param_names: ClassVar[dict[str, str]] = {}

    def estimator(self, task: str, params: dict[str, Any]):
        """An unfitted classifier or regressor from the engine's own parameters."""
        raise NotImplementedError

    def build(
        self, task: str, hidden, activation: str, recipe: Recipe, n_features: int, n_outputs: int
    ):
        """An unfitted estimator for hidden sizes, activation, recipe and data shape."""
        raise NotImplementedError

    def epochs(
        self, model, X: np.ndarray, y: np.ndarray, epochs: int, record: EpochRecord
    ) -> list[float]:
        """Train ``epochs`` epochs as one ``fit``; ``record`` after each; return its seconds."""
        raise NotImplementedError

    def hidden(self, model, X: np.ndarray, layer: int) -> np.ndarray:
        """Activations (n_samples, layer_size) of hidden layer ``layer`` (1-based; negative
        counts from the last hidden layer)."""
        raise NotImplementedError

    def param_name(self, name: str) -> str:
        """The engine's name for the recipe field ``name`` (e.g. ``lr``)."""
        return self.param_names.get(name, name)

    def fit(
        self, model, X: np.ndarray, y: np.ndarray, X_val: np.ndarray | None, y_val, epochs: int
    ) -> FitResult:
        """Train ``model`` for ``epochs`` epochs, recording per-epoch curves.

        ``X`` (n_samples, n_features), ``y`` (n_samples,) or (n_samples, n_outputs); the
        validation data has the same layout, or is None (no validation curves).
        """
        history: dict[str, list[float]] = {}
        parts = {"train": Part(X, y)} | ({} if X_val is None else {"val": Part(X_val, y_val)})
        last: dict[str, dict[str, float]] = {}

        def record(epoch: int, seconds: float) -> None:
            for name, part in parts.items():
                last[name] = part.scores(model, with_r2=False)
                prefix = "val_" if name == "val" else ""
                for key, value in last[name].items():
                    history.setdefault(prefix + key, []).append(value)
            history.setdefault("epoch_time", []).append(seconds)

        times = self.epochs(model, X, y, epochs, record)
        final = {name: parts[name].with_r2(scores) for name, scores in last.items()}
        return FitResult(model, history, float(sum(times)), "end-of-epoch", final)

    def save(self, model, path: str | Path) -> Path:
        """Write a fitted model as a safe ``.npz`` (:mod:`scratchnet.persistence`)."""
        from scratchnet import persistence

        return persistence.save(model, path)


def check_task(task: str) -> str:
    """Return ``task`` if known, else raise ConfigError listing the tasks."""
    if task not in TASKS:
        raise ConfigError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
    return task


def is_classifier_model(model) -> bool:
    """True for a classifier of either engine."""
    from sklearn.base import is_classifier

    return is_classifier(model)


def evaluate(model, X: np.ndarray, y: np.ndarray, *, with_r2: bool = True) -> dict[str, float]:
    """Log loss and accuracy of a classifier, or MSE (and R^2) of a regressor, on (X, y).

    R^2 is scikit-learn's ``r2_score`` averaged uniformly over the outputs (what both engines'
    ``score`` return). One streamed pass over the rows (:class:`~scratchnet.engines.scoring.Part`).
    """
    return Part(X, y).scores(model, with_r2=with_r2)


def load_model(path: str | Path):
    """Read a model file of either engine; return the fitted estimator."""
    from scratchnet import persistence

    return persistence.load(path)
