"""scikit-learn's MLPClassifier / MLPRegressor as a training engine."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from scratchnet.engines.base import EpochRecord, Recipe, TrainingEngine, check_task
from scratchnet.errors import ConfigError

ACTIVATIONS = {"logistic": "logistic", "sigmoid": "logistic", "tanh": "tanh",
               "relu": "relu", "identity": "identity"}  # fmt: skip


class SklearnEngine(TrainingEngine):
    """scikit-learn's MLPs, trained epoch by epoch exactly as one ``fit``
    (:mod:`scratchnet.engines.sklearn_epochs`)."""

    name = "sklearn"
    param_names: ClassVar[dict[str, str]] = {
        "lr": "learning_rate_init",
        "epochs": "max_iter",
        "optimizer": "solver",
    }

    def estimator(self, task: str, params: dict):
        from sklearn.neural_network import MLPClassifier, MLPRegressor

        return (MLPClassifier if check_task(task) == "classify" else MLPRegressor)(**params)

    def build(self, task, hidden, activation, recipe: Recipe, n_features, n_outputs):
        _check_recipe(recipe, activation)
        return self.estimator(
            task,
            dict(
                hidden_layer_sizes=tuple(int(h) for h in hidden),
                activation=ACTIVATIONS[activation],
                solver=recipe.optimizer,
                learning_rate_init=recipe.lr,
                batch_size=recipe.batch_size,
                max_iter=recipe.epochs,
                alpha=recipe.alpha,
                random_state=recipe.random_state,
                # more epochs without improvement than the run has: it never stops early
                n_iter_no_change=10 if recipe.stop_on_plateau else max(recipe.epochs, 10),
            ),
        )

    def epochs(self, model, X, y, epochs: int, record: EpochRecord) -> list[float]:
        from scratchnet.engines.sklearn_epochs import train_epochs

        return train_epochs(model, X, y, epochs, record)

    def hidden(self, model, X, layer: int):
        """scikit-learn has no transform: the forward pass of its hidden layers, here."""
        from sklearn.neural_network._base import ACTIVATIONS as FUNCTIONS

        n_hidden = len(model.coefs_) - 1
        index = layer if layer > 0 else n_hidden + 1 + layer
        if not 1 <= index <= n_hidden:
            raise ConfigError(f"layer must pick one of the {n_hidden} hidden layers, got {layer!r}")
        out = np.asarray(X, dtype=model.coefs_[0].dtype)
        for W, b in zip(model.coefs_[:index], model.intercepts_[:index]):
            out = out @ W + b
            FUNCTIONS[model.activation](out)
        return out


def _check_recipe(recipe: Recipe, activation: str) -> None:
    """ConfigError for what scikit-learn's MLPs cannot do."""
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
    if activation not in ACTIVATIONS:
        raise ConfigError(
            f"unknown activation {activation!r} for scikit-learn; valid: "
            f"{', '.join(sorted(ACTIVATIONS))}"
        )
