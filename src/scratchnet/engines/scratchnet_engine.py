"""scratchnet's own estimators as a training engine."""

from __future__ import annotations

import time
from functools import partial

import numpy as np

from scratchnet.engines.base import (
    EpochRecord,
    FitResult,
    Recipe,
    TrainingEngine,
    check_task,
    is_classifier_model,
)


class ScratchnetEngine(TrainingEngine):
    """:class:`~scratchnet.estimators.NeuralNetwork` and its regressor."""

    name = "scratchnet"

    def estimator(self, task: str, params: dict):
        from scratchnet.estimators import NeuralNetwork, NeuralNetworkRegressor

        cls = NeuralNetwork if check_task(task) == "classify" else NeuralNetworkRegressor
        return cls(**params)

    def build(self, task, hidden, activation, recipe: Recipe, n_features, n_outputs):
        return self.estimator(
            task,
            dict(
                layers=[int(n_features), *map(int, hidden), int(n_outputs)],
                activations=activation,
                optimizer=recipe.optimizer,
                lr=recipe.lr,
                batch_size=recipe.batch_size,
                epochs=recipe.epochs,
                alpha=recipe.alpha,
                lr_schedule=recipe.lr_schedule,
                weight_decay=recipe.weight_decay,
                weight_init=initializer(recipe.weight_init, activation),
                random_state=recipe.random_state,
            ),
        )

    def fit(self, model, X, y, X_val, y_val, epochs: int) -> FitResult:
        """As :meth:`TrainingEngine.fit`; a learning-rate schedule trains by one ``fit``."""
        if model.lr_schedule == "constant":
            return super().fit(model, X, y, X_val, y_val, epochs)
        fitted = fit_running(model, X, y, X_val, y_val, epochs)
        if "mse" in fitted.history:  # regressor: MSE only, as the end-of-epoch curves
            drop = ("loss", "val_loss")
            fitted.history = {k: v for k, v in fitted.history.items() if k not in drop}
        return fitted

    def epochs(self, model, X, y, epochs: int, record: EpochRecord) -> list[float]:
        """``partial_fit`` once per epoch: with a constant learning rate, exactly one ``fit``."""
        extra = {"classes": np.unique(y)} if is_classifier_model(model) else {}
        times = []
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            model.partial_fit(X, y, **(extra if epoch == 1 else {}))
            times.append(time.perf_counter() - start)
            record(epoch, times[-1])
        return times

    def hidden(self, model, X, layer: int):
        return model.transform(X, layer=layer)


def fit_running(model, X, y, X_val, y_val, epochs: int | None = None) -> FitResult:
    """One ``fit(validation_data=...)``: the estimator's own history (running training means;
    early stopping and schedules as the estimator does them)."""
    if epochs is not None:
        model.set_params(epochs=epochs)
    model.fit(X, y, validation_data=None if X_val is None else (X_val, y_val))
    history = {key: list(map(float, values)) for key, values in model.history_.items()}
    return FitResult(model, history, float(sum(history["epoch_time"])), "running")


def initializer(name: str, activation: str):
    """scratchnet's ``weight_init`` for ``name``; ``sklearn`` is scikit-learn's Glorot uniform."""
    if name != "sklearn":
        return name
    if activation not in ("logistic", "sigmoid"):
        return "xavier"
    from scratchnet.nn.initializers import variance_scaling

    return partial(variance_scaling, scale=1.0 / 3.0, mode="fan_avg", distribution="uniform")
