"""The whole training step of a network in one compiled call.

A training step costs some sixty Python and NumPy calls besides its arithmetic: a matrix
product, a bias and an activation per layer, the loss, the backward pass, the update. That is
most of a tiny network's step, and a sixth of a large one's at small batches. A compiled step
(``Step`` of the C extension, built by :func:`kernels.make_step`) does all of it in one call
per batch: forward, loss gradient, backward and the optimizer's update for every layer (each
weight matrix as soon as its gradient is written where :attr:`Trainer.layerwise`, as the NumPy
path does). It strings together the same compiled loops the NumPy path calls and makes the same
matrix products through NumPy's own BLAS (the cblas function NumPy's matmul would pick, with
the same arguments), so its step is bitwise the NumPy path's (:meth:`Trainer.step`), which
stays its reference.

One predicate, :func:`fits`, decides. The compiled step covers networks of at most
``kernels.STEP_MAX_LAYERS`` layers without custom activations (identity, relu, leaky_relu,
sigmoid and tanh hidden layers), float32 or float64, dense input, SGD (with or without
(Nesterov) momentum) or Adam, L2, weight decay, dropout (the masks drawn in C by the loop
:meth:`Dropout.masks` calls, from the same keys and salts) and batch normalization (the loops
:mod:`~scratchnet.nn.batchnorm` calls; the running statistics updated after the forward
pass). Softmax cross-entropy and squared error without sample weights run in one call; any
other objective, or sample weights, run as the forward pass in C, the objective's own
``step`` in Python, then the backward pass and update in C. Anything else takes the NumPy
path, as does everything under :func:`numpy_path` or with ``SCRATCHNET_ONESTEP=0`` in the
environment.

An epoch without sample weights or augmentation takes every full batch in one call
(:meth:`CompiledSteps.run_epoch`, ``Step.epoch``): the rows gathered in C, the learning rates
computed up front, the loss and metric summed as :meth:`Trainer.epoch` sums them; only the last,
partial batch goes through :meth:`CompiledSteps.run`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from scratchnet.nn import batchnorm, kernels
from scratchnet.nn.activations import exp_floor
from scratchnet.nn.network import MLP
from scratchnet.nn.objectives import SoftmaxCrossEntropy, SquaredError
from scratchnet.nn.optimizers import SGD, Adam

#: The compiled step's codes of the optimizers and of the losses it computes itself.
PLAIN_SGD, MOMENTUM, NESTEROV, ADAM = range(4)
LOSSES = {SoftmaxCrossEntropy: 0, SquaredError: 1}

#: ``SCRATCHNET_ONESTEP=0`` in the environment turns the compiled step off (benchmarks compare).
_enabled = os.environ.get("SCRATCHNET_ONESTEP", "1") != "0"


@contextmanager
def numpy_path() -> Iterator[None]:
    """Take every step on the NumPy path (the compiled step's reference) in this block."""
    global _enabled
    saved, _enabled = _enabled, False
    try:
        yield
    finally:
        _enabled = saved


def fits(trainer, X_batch) -> bool:
    """True if the compiled step can take ``trainer``'s step on ``X_batch``: the one predicate.

    The compiled loops and NumPy's BLAS in use; the batch a C-contiguous 2-D ndarray of the
    network's dtype (of at least 2 rows with batch normalization); and :func:`_trainer_fits`:
    an :class:`MLP` of at most ``kernels.STEP_MAX_LAYERS`` layers with built-in activations,
    an :class:`SGD` or :class:`Adam` optimizer, dropout (if any) with a rate per hidden layer.
    """
    return _batch_fits(trainer, X_batch) and _trainer_fits(trainer)


def _batch_fits(trainer, X_batch) -> bool:
    """The part of :func:`fits` checked at every step."""
    return (
        _enabled
        and type(X_batch) is np.ndarray
        and X_batch.dtype == trainer.network.dtype
        and X_batch.ndim == 2
        and X_batch.flags.c_contiguous
        and (X_batch.shape[0] >= 2 or not trainer.network.normalizes)  # else the NumPy error
        and kernels.step_compiled()
    )


def _trainer_fits(trainer) -> bool:
    """The part of :func:`fits` fixed by what :func:`_key` holds (checked once per key)."""
    network = trainer.network
    return (
        type(network) is MLP
        and network.n_layers <= kernels.STEP_MAX_LAYERS
        and network.dtype.char in "fd"
        and type(trainer.optimizer) in (SGD, Adam)
        and all(kernels.compiled_kind(act) for act in network.hidden_activations)
        and (trainer.dropout is None or len(trainer.dropout.rates) == network.n_layers - 1)
    )


class CompiledSteps:
    """A trainer's compiled steps, one per batch size, built on first use and again whenever
    what one points into or is set with changes. Pickles empty (they are rebuilt)."""

    def __init__(self) -> None:
        #: Per batch size: (key, compiled step or None where the trainer does not fit, output).
        self._steps: dict[int, tuple] = {}

    def __getstate__(self) -> dict:
        return {}

    def __setstate__(self, state: dict) -> None:
        self._steps = {}

    @property
    def built(self) -> int:
        """How many compiled steps this trainer has (one per batch size)."""
        return sum(entry[1] is not None for entry in self._steps.values())

    def run(self, trainer, X_batch, y_batch, w_batch, keys=None) -> tuple[float, float] | None:
        """``trainer``'s step on the batch as :meth:`Trainer.step` takes it (``keys``: the
        rows' dropout keys, computed here if dropout needs them and they are not given): the
        batch loss and metric; or None, having done nothing, where :func:`fits` does not
        hold."""
        if not _batch_fits(trainer, X_batch):
            return None
        step, output = self._get(trainer, X_batch.shape[0])
        if step is None:
            return None
        objective, optimizer, loss_code = trainer.objective, trainer.optimizer, _loss(trainer)
        single = w_batch is None and loss_code is not None and _target_fits(trainer, y_batch)
        if single and not _labels_fit(trainer, y_batch):
            return None  # the NumPy path raises before the optimizer begins a step
        keys, salts = _dropout_inputs(trainer, X_batch, keys, 1)
        salts = None if salts is None else salts[0]
        shares = _shares(trainer, w_batch)
        if not single:
            step.forward(X_batch, shares, keys, salts)
            loss, metric, grad = objective.step(output, y_batch, w_batch)
            if grad is not output:
                np.copyto(output, grad)
        lr = trainer.schedule(trainer.steps_done, trainer.total_steps, trainer.learning_rate)
        optimizer.begin_step(lr)
        lr_t = getattr(optimizer, "_lr_t", 0.0)
        if single:
            loss, count = step.run(X_batch, y_batch, lr, lr_t, keys, salts)
            metric = count / output.shape[0] if loss_code == 0 else 2.0 * loss / output.shape[1]
        else:
            norm = output.shape[0] if w_batch is None else float(w_batch.sum(dtype=np.float64))
            step.backward(X_batch, shares, lr, lr_t, norm)
        trainer.steps_done += 1
        return loss, metric

    def run_epoch(self, trainer, X, y: np.ndarray, order, keys=None) -> tuple[int, float, float]:
        """Every full batch of ``trainer``'s epoch over ``X``, ``y`` (and the rows' dropout
        ``keys``, computed here if needed and not given) in one compiled call, in the order
        ``order`` (n,) or the rows' own (None), as :meth:`run` would take them one by one:
        the rows done and the sums of the batches' loss and metric times their rows
        (what :meth:`Trainer.epoch` adds up). ``(0, 0.0, 0.0)``, having done nothing, where
        :func:`fits` or the one-call loss does not hold for the whole data."""
        n_batches = X.shape[0] // trainer.batch_size
        batch = X[: trainer.batch_size]
        if not (n_batches and _loss(trainer) is not None and _batch_fits(trainer, batch)):
            return 0, 0.0, 0.0
        if not (_target_fits(trainer, y) and _labels_fit(trainer, y)):
            return 0, 0.0, 0.0
        step, _ = self._get(trainer, trainer.batch_size)
        if step is None:
            return 0, 0.0, 0.0
        keys, salts = _dropout_inputs(trainer, X, keys, n_batches)
        lrs, lr_ts = _rates(trainer, n_batches)
        loss_sum, metric_sum = step.epoch(X, y, order, lrs, lr_ts, keys, salts)
        trainer.steps_done += n_batches
        return n_batches * trainer.batch_size, loss_sum, metric_sum

    def _get(self, trainer, rows: int) -> tuple[Any, np.ndarray | None]:
        """The compiled step for batches of ``rows`` and its output buffer (rows, n_L); None,
        None where the trainer does not fit."""
        key = _key(trainer)
        cached = self._steps.get(rows)
        if cached is None or cached[0] != key:
            built = _build(trainer, rows) if _trainer_fits(trainer) else (None, None)
            cached = self._steps[rows] = (key, *built)
        return cached[1], cached[2]


def _loss(trainer) -> int | None:
    """The code of the loss the compiled step computes itself, None for the others."""
    return LOSSES.get(type(trainer.objective))


def _target_fits(trainer, y: np.ndarray) -> bool:
    """True if the compiled loss takes ``y``, C-contiguous: intp class indices (n,), or
    targets (n, k) of the network's dtype."""
    classes = type(trainer.objective) is SoftmaxCrossEntropy
    dtype, ndim = (np.intp, 1) if classes else (trainer.network.dtype, 2)
    return type(y) is np.ndarray and y.dtype == dtype and y.ndim == ndim and y.flags.c_contiguous


def _labels_fit(trainer, y: np.ndarray) -> bool:
    """True unless ``y`` holds class indices outside the network's outputs (the NumPy path
    then raises its IndexError, at the batch that holds one, before any state changes)."""
    if type(trainer.objective) is not SoftmaxCrossEntropy or not y.size:
        return True
    return 0 <= y.min() and y.max() < trainer.network.layer_sizes[-1]


def _shares(trainer, w_batch) -> np.ndarray | None:
    """The rows' shares (n,) of batch normalization's statistics (as the NumPy path's forward
    pass computes them), None for equal ones."""
    if w_batch is None or not trainer.network.normalizes:
        return None
    return batchnorm.shares(w_batch, trainer.network.dtype).reshape(-1)


def _dropout_inputs(trainer, X, keys, n_steps: int) -> tuple:
    """The rows' dropout keys (n,) and the salts (n_steps, n_hidden) of the trainer's next
    ``n_steps`` steps, both uint64; (None, None) without dropout."""
    dropout = trainer.dropout
    if dropout is None:
        return None, None
    keys = dropout.row_keys(X) if keys is None else np.ascontiguousarray(keys, np.uint64)
    return keys, dropout.salts(trainer.steps_done, n_steps)


def _rates(trainer, n_batches: int) -> tuple[np.ndarray, np.ndarray]:
    """The learning rate (n_batches,) of each of the next steps, and Adam's bias-corrected
    one (else zeros), each step begun on the optimizer as :meth:`CompiledSteps.run` does."""
    optimizer, schedule = trainer.optimizer, trainer.schedule
    lrs, lr_ts = np.empty(n_batches), np.zeros(n_batches)
    adam = isinstance(optimizer, Adam)
    for b in range(n_batches):
        lrs[b] = lr = schedule(trainer.steps_done + b, trainer.total_steps, trainer.learning_rate)
        optimizer.begin_step(lr)
        if adam:
            lr_ts[b] = optimizer._lr_t
    return lrs, lr_ts


def _key(trainer) -> tuple:
    """What a compiled step is built from: the arrays it points into and every setting (one
    flat tuple of ids and numbers, cheap to build at every step)."""
    network, optimizer = trainer.network, trainer.optimizer
    settings = optimizer.__dict__
    return (
        id(network),
        id(network.params),
        id(network.grads),
        id(optimizer),
        type(optimizer),
        type(trainer.objective),
        trainer.alpha,
        trainer.layerwise,
        *[settings.get(name) for name in _SETTINGS],
        *[id(settings.get(name)) for name in _STATE],
        *map(id, network.hidden_activations),
        id(trainer.dropout),
        None if trainer.dropout is None else trainer.dropout.rates,
        id(network.running),
        network.epsilon,
        trainer.batch_norm_momentum,
    )


#: The optimizers' settings and state arrays a compiled step is built with.
_SETTINGS = ("momentum", "nesterov", "beta_1", "beta_2", "epsilon", "weight_decay")
_STATE = ("velocity", "m", "v")


def _state(optimizer) -> tuple:
    """The optimizer's state arrays (velocity, or Adam's m and v), None where it has none."""
    if isinstance(optimizer, Adam):
        return optimizer.m, optimizer.v
    return optimizer.velocity, None


def _codes_and_settings(trainer) -> tuple:
    """The optimizer's code, then its settings, the L2 penalty, the exp floor and whether the
    weights step layer by layer (:attr:`Trainer.layerwise`), as floats."""
    optimizer, dtype = trainer.optimizer, trainer.network.dtype
    if isinstance(optimizer, Adam):
        code, betas = ADAM, (optimizer.beta_1, optimizer.beta_2, optimizer.epsilon)
    else:
        code = (NESTEROV if optimizer.nesterov else MOMENTUM) if optimizer.momentum else PLAIN_SGD
        betas = (0.0, 0.0, 0.0)
    settings = (optimizer.momentum if code != ADAM else 0.0, *betas, optimizer.weight_decay)
    floats = (*settings, trainer.alpha, exp_floor(dtype), trainer.layerwise)
    return code, *map(float, floats)


def _build(trainer, rows: int) -> tuple[Any, np.ndarray]:
    """A compiled step over the network's arrays and its buffers for ``rows``, and the output."""
    network = trainer.network
    workspace = network.workspace(rows)
    outputs = tuple(workspace.activations[1:])
    arrays = (network.params, network.grads, *_state(trainer.optimizer), outputs)
    arrays += (tuple(workspace.deltas[1:]),)
    layers = (tuple(network.layer_sizes), tuple(network.hidden_activations))
    code, *settings = _codes_and_settings(trainer)
    loss = _loss(trainer)
    codes = (code, 0 if loss is None else loss)
    extras = (_dropout(trainer, rows), _batch_norm(trainer, workspace))
    step = kernels.make_step(arrays, layers, codes, tuple(settings), *extras)
    return step, outputs[-1]


def _dropout(trainer, rows: int) -> tuple | None:
    """The compiled step's dropout: per hidden layer, a mask and a dropped-output buffer
    (rows, size) (None for a rate of 0), the threshold and the scale of a kept unit; or
    None without dropout."""
    dropout, network = trainer.dropout, trainer.network
    if dropout is None:
        return None
    sizes, rates = network.layer_sizes[1:-1], dropout.rates

    def buffer(size: int, rate: float):
        return np.empty((rows, size), network.dtype) if rate else None

    masks = tuple(map(buffer, sizes, rates))
    dropped = tuple(map(buffer, sizes, rates))
    return masks, dropped, dropout.thresholds, dropout.keep_scales


def _batch_norm(trainer, workspace) -> tuple | None:
    """The compiled step's batch normalization: per hidden layer, its statistics buffers
    (zhat, mean, var, inv_std) or None; the running and the batch's moments; epsilon and the
    running average's momentum. None without batch normalization."""
    network = trainer.network
    if not network.normalizes:
        return None
    stats = tuple(
        None if s is None else (s.normalized, s.mean, s.var, s.inv_std)
        for s in workspace.batch_stats[1:-1]
    )
    moments = (network.running, workspace.moments)
    return stats, *moments, network.epsilon, float(trainer.batch_norm_momentum)
