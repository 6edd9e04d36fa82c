"""scikit-learn's optimizer interface over scratchnet's optimizers, for its optimizer tests.

scikit-learn's optimizers update a list of arrays (``update_params(params, grads)``) and keep
their state per array (``velocities``, ``ms``, ``vs``); scratchnet's update one flat vector.
These adapters lay the lists end to end, call scratchnet's step, and copy the result back:
the arithmetic under test is scratchnet's.
"""

from __future__ import annotations

import numpy as np

from scratchnet.nn.optimizers import SGD, Adam
from scratchnet.training import Trainer


def _flat(arrays) -> np.ndarray:
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])


def _unflat(flat: np.ndarray, like) -> list[np.ndarray]:
    out, offset = [], 0
    for array in like:
        out.append(flat[offset : offset + array.size].reshape(array.shape))
        offset += array.size
    return out


class BaseOptimizer:
    """The learning rate and the plateau decision (scratchnet's ``Trainer.on_plateau``)."""

    def __init__(self, learning_rate_init=0.1, lr_schedule="constant"):
        policy = "adaptive" if lr_schedule == "adaptive" else "constant"
        self._rate = Trainer(None, None, None, None, learning_rate_init, 0, 1, policy=policy)

    @property
    def learning_rate(self) -> float:
        return self._rate.learning_rate

    def trigger_stopping(self, msg, verbose) -> bool:
        return self._rate.on_plateau()

    def update_params(self, params, grads) -> None:
        flat = _flat(params)
        self._step(flat, _flat(grads), self.learning_rate)
        for target, source in zip(params, _unflat(flat, params)):
            target[...] = source


class SGDOptimizer(BaseOptimizer):
    def __init__(
        self, params, learning_rate_init=0.1, lr_schedule="constant", momentum=0.9,
        nesterov=True, power_t=0.5,
    ):  # fmt: skip
        super().__init__(learning_rate_init, lr_schedule)
        self._sgd = SGD(momentum, nesterov and momentum > 0)
        self._sgd.init(sum(np.size(p) for p in params), np.float64)
        self.velocities = [np.zeros_like(p) for p in params]

    def _step(self, flat, grads, lr):
        if self._sgd.velocity is not None:
            self._sgd.velocity[...] = _flat(self.velocities)
        self._sgd.step(flat, grads, lr, 0)
        if self._sgd.velocity is not None:
            self.velocities = _unflat(self._sgd.velocity.copy(), self.velocities)


class AdamOptimizer(BaseOptimizer):
    def __init__(self, params, learning_rate_init=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        super().__init__(learning_rate_init)
        self._adam = Adam(beta_1, beta_2, epsilon)
        self._adam.init(sum(np.size(p) for p in params), np.float64)
        self.t = 0
        self.ms = [np.zeros_like(p) for p in params]
        self.vs = [np.zeros_like(p) for p in params]

    def _step(self, flat, grads, lr):
        self._adam.t, self._adam.m[...], self._adam.v[...] = self.t, _flat(self.ms), _flat(self.vs)
        self._adam.step(flat, grads, lr, 0)
        self.t = self._adam.t
        self.ms = _unflat(self._adam.m.copy(), self.ms)
        self.vs = _unflat(self._adam.v.copy(), self.vs)
