"""The training loop in small named steps: batches, one step, one epoch, evaluation, stopping.

No scikit-learn and no I/O here: the estimators validate input and call :func:`run`.

* :func:`minibatches` yields the index ranges or shuffled indices of one epoch;
* :class:`Trainer` owns a network, its objective, optimizer and schedule, and runs one
  :meth:`~Trainer.step`, one :meth:`~Trainer.epoch`, or an :meth:`~Trainer.evaluate`;
* :class:`EarlyStopping` tracks the best epoch and decides when to stop;
* :func:`run` ties them into epochs with a per-epoch history.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from scratchnet.errors import DivergenceError
from scratchnet.nn import kernels, losses
from scratchnet.nn.network import MLP
from scratchnet.nn.optimizers import Optimizer
from scratchnet.nn.schedules import Schedule

# --- objectives: what a step minimises and what it reports besides the loss -------------------


class Classification:
    """Softmax cross-entropy on class indices; reports accuracy."""

    metric = "accuracy"
    target_dtype = np.intp

    def step(self, output: np.ndarray, y: np.ndarray) -> tuple[float, float, np.ndarray]:
        """Batch loss, batch accuracy and the loss gradient (written over ``output``)."""
        loss, n_correct, grad = kernels.softmax_cross_entropy(output, y, out=output)
        return loss, n_correct / output.shape[0], grad

    def evaluate(self, output: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """Loss and accuracy of outputs (n, n_classes) against class indices (n,)."""
        return losses.cross_entropy(output, y), float(np.mean(output.argmax(axis=1) == y))


class Regression:
    """Half squared error per sample; reports the mean squared error over all outputs."""

    metric = "mse"
    target_dtype = None  # the network's dtype

    def step(self, output: np.ndarray, y: np.ndarray) -> tuple[float, float, np.ndarray]:
        """Batch loss, batch MSE and the loss gradient (written over ``output``)."""
        loss, grad = losses.squared_error(output, y, out=output)
        return loss, 2.0 * loss / output.shape[1], grad

    def evaluate(self, output: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """Loss and MSE of outputs (n, n_outputs) against targets of the same shape."""
        residual = output - y
        mse = float(np.mean(residual * residual))
        return mse * output.shape[1] / 2.0, mse


Objective = Classification | Regression


# --- batches ------------------------------------------------------------------------------------


def minibatches(
    n_samples: int, batch_size: int, rng: np.random.Generator | None
) -> Iterator[slice | np.ndarray]:
    """The batches of one epoch: slices in order, or shuffled index arrays if ``rng`` is given.

    The last batch holds the remainder when ``batch_size`` does not divide ``n_samples``.
    """
    order = None if rng is None else rng.permutation(n_samples)
    for begin in range(0, n_samples, batch_size):
        end = min(begin + batch_size, n_samples)
        yield slice(begin, end) if order is None else order[begin:end]


class BatchGatherer:
    """Copies shuffled rows into preallocated batch buffers instead of new arrays."""

    def __init__(self) -> None:
        self._buffers: dict[tuple[int, int, np.dtype], np.ndarray] = {}

    def __getstate__(self) -> dict:
        return {"_buffers": {}}  # scratch space: not worth pickling

    def __call__(self, data: np.ndarray, batch: slice | np.ndarray) -> np.ndarray:
        """``data[batch]``: a view for a slice, a reused buffer for an index array."""
        if isinstance(batch, slice):
            return data[batch]
        key = (id(data), len(batch), data.dtype)
        buffer = self._buffers.get(key)
        if buffer is None:
            buffer = self._buffers[key] = np.empty((len(batch), *data.shape[1:]), data.dtype)
        # mode="clip" (the indices are valid anyway): "raise" makes NumPy buffer ``out``, 3x slower
        return np.take(data, batch, axis=0, out=buffer, mode="clip")


# --- steps and epochs ---------------------------------------------------------------------------


@dataclass
class Trainer:
    """A network with everything needed to train it one step at a time.

    Parameters
    ----------
    network : MLP
    objective : Classification or Regression
    optimizer : Optimizer
        Already ``init``-ed for ``network.params``.
    schedule : callable
        ``schedule(step, total_steps, lr) -> lr``.
    lr : float
        Base learning rate.
    total_steps : int
        Planned number of steps, for the schedule.
    batch_size : int
    alpha : float
        L2 penalty (see :meth:`MLP.backward`).
    rng : numpy Generator or None
        Shuffles every epoch; ``None`` keeps the data order.
    """

    network: MLP
    objective: Objective
    optimizer: Optimizer
    schedule: Schedule
    lr: float
    total_steps: int
    batch_size: int
    alpha: float = 0.0
    rng: np.random.Generator | None = None
    steps_done: int = 0
    _gather: BatchGatherer = field(default_factory=BatchGatherer, repr=False)

    def step(self, X_batch: np.ndarray, y_batch: np.ndarray) -> tuple[float, float]:
        """One forward pass, backward pass and update; returns the batch loss and metric."""
        network = self.network
        workspace = network.workspace(X_batch.shape[0])
        output = network.forward(X_batch, workspace)
        loss, metric, grad = self.objective.step(output, y_batch)
        lr = self.schedule(self.steps_done, self.total_steps, self.lr)
        n_weights = network.n_weights
        if self.optimizer.descends_in_backward and kernels.blas_reachable():
            # Plain SGD steps each weight matrix inside its gradient product; then the biases.
            decay = self.optimizer.weight_decay
            network.backward(workspace, grad, self.alpha, descend=(lr, decay))
            self.optimizer.step(network.params[n_weights:], network.grads[n_weights:], lr, 0)
        else:
            network.backward(workspace, grad, self.alpha)
            self.optimizer.step(network.params, network.grads, lr, n_weights)
        self.steps_done += 1
        return loss, metric

    def epoch(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """One pass over the data; returns the sample-weighted mean batch loss and metric."""
        loss_sum = metric_sum = 0.0
        for batch in minibatches(X.shape[0], self.batch_size, self.rng):
            X_batch, y_batch = self._gather(X, batch), self._gather(y, batch)
            loss, metric = self.step(X_batch, y_batch)
            loss_sum += loss * X_batch.shape[0]
            metric_sum += metric * X_batch.shape[0]
        return loss_sum / X.shape[0], metric_sum / X.shape[0]

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """Loss and metric of the current network on (X, y), without training."""
        return self.objective.evaluate(self.network.predict_raw(X), y)


# --- stopping -----------------------------------------------------------------------------------


@dataclass
class EarlyStopping:
    """Remembers the best epoch of a monitored loss and says when to stop.

    Parameters
    ----------
    patience : int or None
        Stop after this many epochs without an improvement; ``None`` never stops early.
    min_delta : float
        An improvement must lower the loss by more than this.
    """

    patience: int | None = None
    min_delta: float = 0.0
    best_loss: float = math.inf
    best_epoch: int = 0
    best_params: np.ndarray | None = None

    def update(self, epoch: int, loss: float, params: np.ndarray) -> bool:
        """Record epoch ``epoch`` (1-based) with ``loss``; return True if training should stop."""
        if loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch = loss, epoch
            self.best_params = params.copy()
        return self.patience is not None and epoch - self.best_epoch >= self.patience


# --- the loop -----------------------------------------------------------------------------------

EpochCallback = Callable[[int, dict[str, float]], None]


def run(
    trainer: Trainer,
    X: np.ndarray,
    y: np.ndarray,
    epochs: int,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    stopper: EarlyStopping | None = None,
    on_epoch_end: EpochCallback | None = None,
) -> dict[str, list[float]]:
    """Train for up to ``epochs`` epochs; return the history, one entry per epoch.

    History keys: ``loss``, the metric (``accuracy`` or ``mse``), ``val_loss`` and
    ``val_<metric>`` when ``validation`` is given, and ``epoch_time`` (seconds). The training
    figures are running means over the epoch's batches. ``stopper`` monitors ``val_loss`` if
    there is a validation set, else ``loss``.

    Raises
    ------
    DivergenceError
        As soon as an epoch ends with a non-finite loss or non-finite weights; its
        ``history`` attribute holds the epochs so far, the failed one included.
    """
    metric = trainer.objective.metric
    history: dict[str, list[float]] = {"loss": [], metric: []}
    if validation is not None:
        history.update({"val_loss": [], f"val_{metric}": []})
    history["epoch_time"] = []
    stopper = stopper or EarlyStopping()
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            record = dict(zip(("loss", metric), trainer.epoch(X, y)))
            if validation is not None:
                record.update(zip(("val_loss", f"val_{metric}"), trainer.evaluate(*validation)))
        record["epoch_time"] = time.perf_counter() - start
        for key, value in record.items():
            history[key].append(value)
        _check_finite(trainer, epoch, record["loss"], history)
        if on_epoch_end is not None:
            on_epoch_end(epoch, record)
        monitored = record.get("val_loss", record["loss"])
        if stopper.update(epoch, monitored, trainer.network.params):
            break
    return history


def _check_finite(trainer: Trainer, epoch: int, loss: float, history: dict) -> None:
    """Raise DivergenceError if the epoch's loss or any weight is not finite."""
    if math.isfinite(loss) and np.isfinite(trainer.network.params).all():
        return
    error = DivergenceError(
        f"training diverged in epoch {epoch}: the training loss is {loss} "
        f"(learning rate {trainer.lr:g}); try a smaller learning rate"
    )
    error.history = history
    error.epoch = epoch
    raise error
