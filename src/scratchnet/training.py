"""The training loop in small named steps: batches, one step, one epoch, evaluation, stopping.

No scikit-learn and no I/O here: the estimators validate input and call :func:`run`.

* :func:`batches` yields the index ranges or shuffled indices of one epoch;
* :class:`Trainer` owns a network, its objective, optimizer and learning rate, and runs one
  :meth:`~Trainer.step`, one :meth:`~Trainer.epoch`, or an :meth:`~Trainer.evaluate`;
* :class:`Plateau` watches one per-epoch figure and says when it stopped improving (early
  stopping, scikit-learn's convergence rule and learning-rate reductions are built on it, as
  callbacks in :mod:`scratchnet.callbacks`);
* :func:`run` ties them into epochs with a per-epoch history, calling the callbacks'
  hooks with a :class:`TrainingState`.

Sample weights ``w`` (n,) are optional everywhere; with none, the unweighted code runs.
``X`` may be a SciPy sparse CSR matrix: its batches are row slices of it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from scratchnet.errors import DivergenceError
from scratchnet.nn import kernels, onestep
from scratchnet.nn.dropout import Dropout
from scratchnet.nn.network import MLP
from scratchnet.nn.objectives import (
    PoissonDeviance,
    SigmoidCrossEntropy,
    SoftmaxCrossEntropy,
    SquaredError,
)
from scratchnet.nn.optimizers import Optimizer
from scratchnet.nn.schedules import Schedule

Objective = SoftmaxCrossEntropy | SigmoidCrossEntropy | SquaredError | PoissonDeviance

# --- batches ------------------------------------------------------------------------------------


def batches(
    n_samples: int, batch_size: int, order: np.ndarray | None, start: int = 0
) -> Iterator[slice | np.ndarray]:
    """The batches of one epoch from row ``start`` on: slices, or parts of ``order`` (n,), a
    permutation of the rows. The last batch holds the remainder when ``batch_size`` does not
    divide ``n_samples``."""
    for begin in range(start, n_samples, batch_size):
        end = min(begin + batch_size, n_samples)
        yield slice(begin, end) if order is None else order[begin:end]


class BatchGatherer:
    """Copies shuffled rows into preallocated batch buffers instead of new arrays.

    A buffer belongs to a *role* (``"X"``, ``"y"``, ``"w"``) and a shape and dtype, never to
    the identity of an array: arrays come and go (``partial_fit`` on a stream), and Python
    reuses the ``id`` of a freed one.
    """

    def __init__(self) -> None:
        self._buffers: dict[tuple, np.ndarray] = {}

    def __getstate__(self) -> dict:
        return {"_buffers": {}}  # scratch space: not worth pickling

    def __call__(self, data, batch: slice | np.ndarray, role: str):
        """``data[batch]``: a view for a slice, a reused buffer for an index array."""
        if isinstance(batch, slice) or sparse.issparse(data):
            return data[batch]
        key = (role, len(batch), data.shape[1:], data.dtype)
        buffer = self._buffers.get(key)
        if buffer is None:
            buffer = self._buffers[key] = np.empty((len(batch), *data.shape[1:]), data.dtype)
        # mode="clip" (the indices are valid anyway): "raise" makes NumPy buffer ``out``, 3x slower
        return np.take(data, batch, axis=0, out=buffer, mode="clip")


# --- steps and epochs ---------------------------------------------------------------------------

#: From this many weights on, the optimizer steps each weight matrix as soon as the backward
#: pass has its gradient, while it is in cache (256 KiB of float32 per array: the parameters,
#: gradients and optimizer state of a whole smaller network stay in cache anyway, and one
#: call per layer would cost more than it saves). Both ways give bitwise the same step.
LAYERWISE_MIN_WEIGHTS = 1 << 16
#: Learning-rate policies that act at the end of an epoch rather than per step.
EPOCH_POLICIES = ("invscaling", "adaptive")
#: ``adaptive`` divides the rate by this on a plateau, and stops once it is at most the floor.
ADAPTIVE_FACTOR, ADAPTIVE_FLOOR = 5.0, 1e-6


@dataclass
class Trainer:
    """A network with everything needed to train it one step at a time.

    Parameters
    ----------
    network : MLP
    objective : an objective of :mod:`scratchnet.nn.objectives`
    optimizer : Optimizer
        Already ``init``-ed for ``network.params``.
    schedule : callable
        ``schedule(step, total_steps, lr) -> lr``, applied to :attr:`learning_rate`.
    lr : float
        Base learning rate.
    total_steps : int
        Planned number of steps, for the schedule.
    batch_size : int
    alpha : float
        L2 penalty (see :meth:`MLP.backward`).
    rng : numpy Generator or None
        Shuffles every epoch; ``None`` keeps the data order.
    policy : {"constant", "invscaling", "adaptive"}
        How :attr:`learning_rate` changes between epochs: never; ``lr / (t + 1) ** power_t``
        after ``t`` samples; divided by 5 whenever a :class:`Plateau` that adapts is reached.
    power_t : float
    dropout : Dropout, optional
        Masks for the hidden layers at every step; prediction and evaluation never drop.
    batch_norm_momentum : float
        Batch normalization's running statistics keep this share at every step.
    augment : callable, optional
        ``augment(X_batch) -> X_batch``: transforms every gathered training batch (never the
        validation data) without changing its input, which may be a view of ``X``.
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
    policy: str = "constant"
    power_t: float = 0.5
    dropout: Dropout | None = None
    batch_norm_momentum: float = 0.9
    augment: Callable[[np.ndarray], np.ndarray] | None = None
    steps_done: int = 0
    samples_seen: int = 0
    learning_rate: float = field(default=math.nan)
    _gather: BatchGatherer = field(default_factory=BatchGatherer, repr=False)
    _compiled: onestep.CompiledSteps = field(default_factory=onestep.CompiledSteps, repr=False)

    def __post_init__(self) -> None:
        if math.isnan(self.learning_rate):
            self.learning_rate = self.lr

    def step(self, X_batch, y_batch: np.ndarray, w_batch=None, keys=None):
        """One forward pass, backward pass and update; returns the batch loss and metric.

        ``keys`` (n,) are the rows' dropout keys (:meth:`Dropout.row_keys`), computed here
        if dropout needs them and they are not given. The whole step is one compiled call
        where :func:`onestep.fits` (bitwise the same step).
        """
        compiled = self._compiled.run(self, X_batch, y_batch, w_batch, keys)
        if compiled is not None:
            return compiled
        workspace = self.network.workspace(X_batch.shape[0])
        output = self._forward(X_batch, w_batch, keys, workspace)
        loss, metric, grad = self.objective.step(output, y_batch, w_batch)
        self._backward_and_update(workspace, grad, w_batch, sparse.issparse(X_batch))
        self.steps_done += 1
        return loss, metric

    @property
    def layerwise(self) -> bool:
        """True if the optimizer steps each weight matrix inside the backward pass, as soon
        as its gradient is there: a network of at least :data:`LAYERWISE_MIN_WEIGHTS`
        weights."""
        return self.network.n_weights >= LAYERWISE_MIN_WEIGHTS

    def _forward(self, X_batch, w_batch, keys, workspace) -> np.ndarray:
        """The training forward pass: this step's dropout masks, batch statistics folded
        into the running ones. Returns the linear output (n, n_L)."""
        network, masks = self.network, None
        if self.dropout is not None:
            keys = self.dropout.row_keys(X_batch) if keys is None else keys
            sizes = network.layer_sizes[1:-1]
            masks = self.dropout.masks(keys, self.steps_done, sizes, network.dtype)
        output = network.forward(X_batch, workspace, masks, w_batch)
        if network.normalizes:
            network.update_running_statistics(workspace, self.batch_norm_momentum)
        return output

    def _backward_and_update(self, workspace, grad: np.ndarray, w_batch, sparse_input: bool):
        """Gradients from the output gradient ``grad`` (n, n_L), then the optimizer's step: on
        each weight matrix in the backward pass, as soon as its gradient is there (if
        :attr:`layerwise`; else in one call after it), then on the biases (and batch
        normalization's scales)."""
        network, optimizer = self.network, self.optimizer
        lr = self.schedule(self.steps_done, self.total_steps, self.learning_rate)
        norm = None if w_batch is None else float(w_batch.sum(dtype=np.float64))
        params, grads, n_weights = network.params, network.grads, network.n_weights
        optimizer.begin_step(lr)
        if optimizer.descends_in_backward and not sparse_input and kernels.blas_reachable():
            # Plain SGD steps each weight matrix inside its gradient product.
            decay = optimizer.weight_decay
            network.backward(workspace, grad, self.alpha, descend=(lr, decay), normalizer=norm)
        elif self.layerwise:
            slices = network.weight_slices

            def update(i: int, l2: float) -> None:
                optimizer.update(params, grads, slices[i], lr, l2, decays=True)

            network.backward(workspace, grad, self.alpha, normalizer=norm, update=update)
        else:
            network.backward(workspace, grad, self.alpha, normalizer=norm)
            optimizer.update(params, grads, slice(0, n_weights), lr, decays=True)
        optimizer.update(params, grads, slice(n_weights, None), lr)

    def epoch(self, X, y: np.ndarray, w=None, keys=None) -> tuple[float, float]:
        """One pass over the data; returns the (weighted) mean batch loss and metric.

        ``keys`` (n,): the rows' dropout keys, if dropout is on (else computed per batch).
        Every full batch goes in one compiled call where it can
        (:meth:`onestep.CompiledSteps.run_epoch`: bitwise the same steps).
        """
        n_samples = X.shape[0]
        order = None if self.rng is None else self.rng.permutation(n_samples)
        done, loss_sum, metric_sum = 0, 0.0, 0.0
        if w is None and self.augment is None:  # full batches in one call?
            done, loss_sum, metric_sum = self._compiled.run_epoch(self, X, y, order, keys)
        for batch in batches(n_samples, self.batch_size, order, done):
            w_batch = None if w is None else self._gather(w, batch, "w")
            k_batch = None if keys is None else self._gather(keys, batch, "k")
            X_batch, y_batch = self._gather(X, batch, "X"), self._gather(y, batch, "y")
            if self.augment is not None:
                X_batch = self.augment(X_batch)
            loss, metric = self.step(X_batch, y_batch, w_batch, k_batch)
            share = X_batch.shape[0] if w is None else float(w_batch.sum(dtype=np.float64))
            loss_sum += loss * share
            metric_sum += metric * share
        total = X.shape[0] if w is None else float(w.sum(dtype=np.float64))
        self._end_epoch(X.shape[0])
        return loss_sum / total, metric_sum / total

    def evaluate(self, X, y: np.ndarray, w: np.ndarray | None = None) -> dict[str, float]:
        """The objective's figures (``loss``, the metric, ...) of the current network on X."""
        return self.objective.evaluate(self.network.predict_raw(X), y, w)

    def on_plateau(self) -> bool:
        """A :class:`Plateau` that adapts was reached: lower the rate, or return True to stop."""
        if self.policy != "adaptive" or self.learning_rate <= ADAPTIVE_FLOOR:
            return True
        self.learning_rate /= ADAPTIVE_FACTOR
        return False

    def _end_epoch(self, n_samples: int) -> None:
        self.samples_seen += n_samples
        if self.policy == "invscaling":
            self.learning_rate = self.lr / (self.samples_seen + 1) ** self.power_t


# --- stopping -----------------------------------------------------------------------------------


@dataclass
class Plateau:
    """Watches one per-epoch figure and counts the epochs it did not improve.

    An epoch improves on the best so far if it beats it by more than ``min_delta``; the
    count of epochs without such an improvement resets on one. The best value and epoch
    follow every strict improvement, however small.

    Parameters
    ----------
    monitor : str
        A key of the epoch's record: ``"loss"``, ``"val_loss"``, ``"val_accuracy"``...
    patience : float or None
        The plateau is reached when the count reaches this (``None`` or ``inf``: never).
    min_delta : float
    mode : {"min", "max"}
        Whether lower or higher is better.
    keep_best : bool
        Keep a :meth:`MLP.snapshot` of the best epoch's network in :attr:`best_params`.
    adapts : bool
        On reaching the plateau, let the trainer lower its learning rate before stopping
        (scikit-learn's ``learning_rate="adaptive"``); else stop.
    """

    monitor: str = "loss"
    patience: float | None = None
    min_delta: float = 0.0
    mode: str = "min"
    keep_best: bool = False
    adapts: bool = False
    best: float = math.nan
    best_epoch: int = 0
    best_params: np.ndarray | None = None
    count: int = 0

    def __post_init__(self) -> None:
        if math.isnan(self.best):
            self.best = math.inf if self.mode == "min" else -math.inf

    def update(self, epoch: int, value: float, network: MLP) -> bool:
        """Record epoch ``epoch`` (1-based); return True if the plateau is reached."""
        sign = 1.0 if self.mode == "min" else -1.0
        if sign * value < sign * self.best - self.min_delta:
            self.count = 0
        else:  # NaN never improves
            self.count += 1
        if sign * value < sign * self.best:
            self.best, self.best_epoch = value, epoch
            if self.keep_best:
                self.best_params = network.snapshot()
        return self.patience is not None and self.count >= self.patience


# --- the loop -----------------------------------------------------------------------------------

EpochCallback = Callable[[int, dict[str, float]], None]


@dataclass
class TrainingState:
    """What callbacks (:mod:`scratchnet.callbacks`) see and may change.

    Attributes
    ----------
    trainer : Trainer
        The network (``trainer.network``), its optimizer and learning rate.
    make_snapshot : callable
        ``make_snapshot(state)``: a fitted copy of the estimator as it is now.
    epoch : int
        The current epoch, from 1.
    record : dict
        The last finished epoch's figures.
    history : dict of lists
        Every finished epoch's figures, by name.
    stop : bool
        Set to True to end training after this epoch.
    """

    trainer: Trainer
    make_snapshot: Callable[[TrainingState], Any] | None = None
    epoch: int = 0
    record: dict = field(default_factory=dict)
    history: dict = field(default_factory=dict)
    stop: bool = False

    @property
    def learning_rate(self) -> float:
        """The base learning rate of the next epoch; callbacks may set it."""
        return self.trainer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self.trainer.learning_rate = float(value)

    def snapshot(self) -> Any:
        """A fitted copy of the estimator with the network as it is now (for checkpoints)."""
        return self.make_snapshot(self)


def run(
    trainer: Trainer,
    X,
    y: np.ndarray,
    epochs: int,
    w: np.ndarray | None = None,
    validation: tuple | None = None,
    callbacks: Sequence = (),
    make_snapshot: Callable[[TrainingState], Any] | None = None,
) -> dict[str, list[float]]:
    """Train for up to ``epochs`` epochs; return the history, one entry per epoch.

    History keys: ``loss``, the metric (``accuracy`` or ``mse``), the validation figures
    with a ``val_`` prefix when ``validation`` (``(X, y)`` or ``(X, y, w)``) is given, and
    ``epoch_time`` (seconds). The training figures are running means over the epoch's
    batches. ``callbacks`` (objects with the hooks of :class:`scratchnet.callbacks.Callback`)
    are called around every epoch, in order, and may stop training.

    Raises
    ------
    DivergenceError
        As soon as an epoch ends with a non-finite loss or non-finite weights; its
        ``history`` attribute holds the epochs so far, the failed one included.
    """
    state = TrainingState(trainer, make_snapshot)
    history = state.history
    keys = None if trainer.dropout is None else trainer.dropout.row_keys(X)
    _call(callbacks, "on_train_begin", state)
    for epoch in range(1, epochs + 1):
        state.epoch = epoch
        _call(callbacks, "on_epoch_begin", state)
        state.record = record = _train_one_epoch(trainer, (X, y, w, keys), validation)
        for key, value in record.items():
            history.setdefault(key, []).append(value)
        raise_if_diverged(trainer.network, epoch, record["loss"], trainer.learning_rate, history)
        _call(callbacks, "on_epoch_end", state)
        if state.stop:
            break
    _call(callbacks, "on_train_end", state)
    return history


def _call(callbacks: Sequence, hook: str, state: TrainingState) -> None:
    for callback in callbacks:
        getattr(callback, hook)(state)


def _train_one_epoch(trainer: Trainer, data: tuple, validation) -> dict[str, float]:
    """One epoch of training on ``data`` (X, y, w, keys) and the validation figures: the
    epoch's history record."""
    metric = trainer.objective.metric
    start = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        record = dict(zip(("loss", metric), trainer.epoch(*data)))
        if validation is not None:
            scores = trainer.evaluate(*validation)
            record.update({f"val_{key}": value for key, value in scores.items()})
    record["epoch_time"] = time.perf_counter() - start
    return record


def raise_if_diverged(network: MLP, epoch: int, loss: float, lr: float, history: dict) -> None:
    """Raise DivergenceError if the epoch's loss or any weight is not finite.

    The error's ``history`` attribute holds ``history`` and ``epoch`` the failed epoch.
    """
    if math.isfinite(loss) and np.isfinite(network.params).all():
        return
    error = DivergenceError(
        f"training diverged in epoch {epoch}: the training loss is {loss} (learning rate "
        f"{lr:g}). Solver produced non-finite parameter weights. The input "
        f"data may contain large values and need to be preprocessed; or try a smaller "
        f"learning rate"
    )
    error.history = history
    error.epoch = epoch
    raise error
