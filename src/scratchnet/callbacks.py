"""Callbacks: small hooks around the training loop, given to ``fit(..., callbacks=[...])``.

A callback overrides any of four hooks; each receives the :class:`TrainingState`:

* ``on_train_begin(state)`` and ``on_train_end(state)``, once per ``fit``;
* ``on_epoch_begin(state)`` and ``on_epoch_end(state)``, every epoch; at the end,
  ``state.record`` holds the epoch's figures (``loss``, ``accuracy``, ``val_loss``...) and
  ``state.history`` every epoch's so far.

Setting ``state.stop = True`` ends training after the current epoch; ``state.learning_rate``
can be changed between epochs; ``state.snapshot()`` is a fitted copy of the estimator.
Callbacks are ``fit`` arguments, never estimator parameters, so ``clone``, pickling and
scikit-learn's checks never see them.

Shipped: :class:`EarlyStopping` (what ``early_stopping=True`` and scikit-learn's ``tol`` rule
are), :class:`ModelCheckpoint`, :class:`CSVLogger`, :class:`JSONLogger`,
:class:`ReduceLROnPlateau` and :class:`LambdaCallback` for a function of your own.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from scratchnet.errors import ConfigError
from scratchnet.fileio import atomic_path
from scratchnet.training import Plateau, TrainingState


class Callback:
    """Base class: every hook does nothing. Override the ones you need."""

    def on_train_begin(self, state: TrainingState) -> None:
        """Before the first epoch."""

    def on_epoch_begin(self, state: TrainingState) -> None:
        """Before each epoch."""

    def on_epoch_end(self, state: TrainingState) -> None:
        """After each epoch, with ``state.record`` filled in."""

    def on_train_end(self, state: TrainingState) -> None:
        """After the last epoch (not after a DivergenceError)."""


def _mode(monitor: str, mode: str) -> str:
    """``min`` or ``max``; ``auto`` is max for accuracies and R^2, else min."""
    if mode == "auto":
        return "max" if monitor.endswith(("accuracy", "r2")) else "min"
    if mode not in ("min", "max"):
        raise ConfigError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    return mode


def _value(state: TrainingState, monitor: str) -> float:
    if monitor not in state.record:
        raise ConfigError(
            f"callback monitors {monitor!r}, which the epoch does not report; it reports "
            f"{', '.join(k for k in state.record if k != 'epoch_time')}"
        )
    return state.record[monitor]


class EarlyStopping(Callback):
    """Stop once ``monitor`` has not improved by more than ``min_delta`` for ``patience``
    epochs; optionally end with the weights of the best epoch.

    With ``adapts=True`` a plateau first lowers an ``adaptive`` learning rate (by 5, as
    scikit-learn's), and stops only once it is below 1e-6. The estimators' own
    ``early_stopping=True`` and their ``tol``/``n_iter_no_change`` rule are this callback.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: float | None = 10,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = True,
        adapts: bool = False,
    ) -> None:
        self.plateau = Plateau(
            monitor, patience, min_delta, _mode(monitor, mode), restore_best_weights, adapts
        )

    def on_epoch_end(self, state: TrainingState) -> None:
        plateau, network = self.plateau, state.trainer.network
        if plateau.update(state.epoch, _value(state, plateau.monitor), network):
            if plateau.adapts and not state.trainer.on_plateau():
                plateau.count = 0
            else:
                state.stop = True

    def on_train_end(self, state: TrainingState) -> None:
        if self.plateau.keep_best and self.plateau.best_params is not None:
            state.trainer.network.restore(self.plateau.best_params)


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` once ``monitor`` has not improved by more than
    ``min_delta`` for ``patience`` epochs, then wait ``patience`` epochs again; never below
    ``min_lr``."""

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "auto",
        min_lr: float = 0.0,
    ) -> None:
        if not 0.0 < factor < 1.0:
            raise ConfigError(f"factor must be in (0, 1), got {factor!r}")
        self.plateau = Plateau(monitor, patience, min_delta, _mode(monitor, mode))
        self.factor, self.min_lr = factor, min_lr

    def on_epoch_end(self, state: TrainingState) -> None:
        network = state.trainer.network
        if self.plateau.update(state.epoch, _value(state, self.plateau.monitor), network):
            state.learning_rate = max(state.learning_rate * self.factor, self.min_lr)
            self.plateau.count = 0


class ModelCheckpoint(Callback):
    """Save the model to ``path`` (atomically, a scratchnet model file) after every epoch, or
    only when ``monitor`` reaches a new best (``save_best_only=True``)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        monitor: str = "val_loss",
        mode: str = "auto",
        save_best_only: bool = True,
    ) -> None:
        self.path, self.save_best_only = Path(path), save_best_only
        self.plateau = Plateau(monitor, None, 0.0, _mode(monitor, mode))

    def on_epoch_end(self, state: TrainingState) -> None:
        from scratchnet.persistence import save

        if self.save_best_only:
            best = self.plateau.best_epoch
            self.plateau.update(state.epoch, _value(state, self.plateau.monitor), np.empty(0))
            if self.plateau.best_epoch == best:
                return
        save(state.snapshot(), self.path)


class CSVLogger(Callback):
    """Write the history to a CSV file, one row per epoch, rewritten atomically each epoch."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def on_epoch_end(self, state: TrainingState) -> None:
        columns = list(state.history)
        with atomic_path(self.path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["epoch", *columns])
            for i in range(state.epoch):
                writer.writerow([i + 1, *(repr(state.history[c][i]) for c in columns)])


class JSONLogger(Callback):
    """Write the history to a JSON file ({name: [one value per epoch]}), atomically each epoch;
    non-finite values are written as null."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def on_epoch_end(self, state: TrainingState) -> None:
        safe = {
            key: [v if math.isfinite(v) else None for v in values]
            for key, values in state.history.items()
        }
        with atomic_path(self.path) as tmp, open(tmp, "w", encoding="utf-8") as f:
            json.dump(safe, f, indent=1)


class LambdaCallback(Callback):
    """A callback from plain functions, each taking the :class:`TrainingState`."""

    def __init__(
        self,
        on_train_begin: Callable[[TrainingState], None] | None = None,
        on_epoch_begin: Callable[[TrainingState], None] | None = None,
        on_epoch_end: Callable[[TrainingState], None] | None = None,
        on_train_end: Callable[[TrainingState], None] | None = None,
    ) -> None:
        hooks = {
            "on_train_begin": on_train_begin,
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_end": on_train_end,
        }
        for name, function in hooks.items():
            if function is not None:
                setattr(self, name, function)


def checked(callbacks) -> list[Callback]:
    """``callbacks`` as a list of objects with the four hooks; a clear error otherwise."""
    if callbacks is None:
        return []
    items = [callbacks] if isinstance(callbacks, Callback) else list(callbacks)
    hooks = ("on_train_begin", "on_epoch_begin", "on_epoch_end", "on_train_end")
    for item in items:
        if not all(callable(getattr(item, hook, None)) for hook in hooks):
            raise ConfigError(
                f"callbacks must be Callback objects (scratchnet.callbacks), got {item!r}"
            )
    return items
