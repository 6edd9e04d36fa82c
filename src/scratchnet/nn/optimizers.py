"""Optimizers as small objects with one in-place update step.

Each works on one flat parameter vector (every weight matrix and bias of the network laid end
to end, see :class:`scratchnet.nn.network.MLP`), so an update is a handful of vectorised
NumPy calls whatever the depth of the network. The formulas are scikit-learn's (so that a
training run can be checked against ``MLPClassifier`` to 1e-10):

* SGD with momentum ``mu``: ``v <- mu v - lr g``; the step is ``v``, or ``mu v - lr g`` with
  Nesterov. Plain SGD is momentum 0.
* Adam (Kingma & Ba, Algorithm 1 in its efficient form): ``m <- b1 m + (1-b1) g``,
  ``v <- b2 v + (1-b2) g^2``, step ``-lr sqrt(1-b2^t)/(1-b1^t) m / (sqrt(v) + eps)``.

Decoupled weight decay (Loshchilov & Hutter; "AdamW" when paired with Adam) shrinks the
weights, not the biases, by ``lr * weight_decay`` before the step.
"""

from __future__ import annotations

import math

import numpy as np

from scratchnet.errors import ConfigError
from scratchnet.nn import kernels


class Optimizer:
    """Base class: decoupled weight decay and the ``step`` interface.

    Parameters
    ----------
    weight_decay : float
        Decoupled decay rate applied to the weights each step (0 turns it off).
    """

    def __init__(self, weight_decay: float = 0.0) -> None:
        _check_range("weight_decay", weight_decay, 0.0, math.inf)
        self.weight_decay = float(weight_decay)

    #: True if a step is plain gradient descent on the weights, which the network may then
    #: take inside its weight-gradient products (see :meth:`MLP.backward`).
    descends_in_backward = False

    def init(self, n_params: int, dtype: np.dtype) -> None:
        """Allocate the optimizer's state for ``n_params`` parameters of ``dtype``."""

    def step(self, params: np.ndarray, grads: np.ndarray, lr: float, n_weights: int) -> None:
        """Update ``params`` (n_params,) in place from ``grads`` (n_params,).

        ``params[:n_weights]`` are the weights (decayed), the rest are biases. ``grads`` may be
        overwritten. The same as :meth:`begin_step`, then :meth:`update` on both parts.
        """
        self.begin_step(lr)
        if n_weights:
            self.update(params, grads, slice(0, n_weights), lr, decays=True)
        self.update(params, grads, slice(n_weights, None), lr)

    def begin_step(self, lr: float) -> None:
        """Start a step at learning rate ``lr``, before its :meth:`update` calls."""

    def update(
        self,
        params: np.ndarray,
        grads: np.ndarray,
        part: slice,
        lr: float,
        l2: float = 0.0,
        decays: bool = False,
    ) -> None:
        """Update ``params[part]`` in place from ``grads[part] + l2 * params[part]``, the
        weights shrunk by the decay first if ``decays``: one part of a step, element-wise the
        same whatever the parts, so that a network may update each layer in its backward
        pass, while its gradient is in cache. ``grads[part]`` may be overwritten."""
        shrink = 1.0 - lr * self.weight_decay if decays and self.weight_decay else 1.0
        self._update(params[part], grads[part], part, lr, l2, shrink)

    def _update(self, params, grads, part: slice, lr: float, l2: float, shrink: float) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum."""

    def __init__(
        self, momentum: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0
    ) -> None:
        super().__init__(weight_decay)
        _check_range("momentum", momentum, 0.0, 1.0, high_open=True)
        if nesterov and momentum == 0.0:
            raise ConfigError("nesterov=True needs momentum > 0")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    @property
    def descends_in_backward(self) -> bool:
        """Plain SGD (no momentum) is gradient descent on the weights."""
        return self.momentum == 0.0

    def init(self, n_params: int, dtype: np.dtype) -> None:
        self.velocity = np.zeros(n_params, dtype) if self.momentum else None

    def _update(self, params, grads, part: slice, lr: float, l2: float, shrink: float) -> None:
        velocity = None if self.velocity is None else self.velocity[part]
        kernels.sgd_update(params, grads, velocity, lr, self.momentum, self.nesterov, l2, shrink)


class Adam(Optimizer):
    """Adam; with ``weight_decay > 0`` this is AdamW."""

    def __init__(
        self,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(weight_decay)
        _check_range("beta_1", beta_1, 0.0, 1.0, high_open=True)
        _check_range("beta_2", beta_2, 0.0, 1.0, high_open=True)
        _check_range("epsilon", epsilon, 0.0, math.inf, low_open=True)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def init(self, n_params: int, dtype: np.dtype) -> None:
        self.t = 0
        self.m = np.zeros(n_params, dtype)
        self.v = np.zeros(n_params, dtype)
        self._scratch: np.ndarray | None = None  # working space of the NumPy path only

    def begin_step(self, lr: float) -> None:
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        self._lr_t = lr * math.sqrt(1.0 - b2**self.t) / (1.0 - b1**self.t)  # bias-corrected

    def _update(self, params, grads, part: slice, lr: float, l2: float, shrink: float) -> None:
        if self._scratch is None and not kernels.compiled_for(params):
            self._scratch = np.empty_like(self.m)
        scratch = None if self._scratch is None else self._scratch[part]
        m, v = self.m[part], self.v[part]
        b1, b2, eps = self.beta_1, self.beta_2, self.epsilon
        kernels.adam_update(params, grads, m, v, scratch, self._lr_t, b1, b2, eps, l2, shrink)


def make(
    name: str,
    *,
    momentum: float = 0.0,
    nesterov: bool = False,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-8,
    weight_decay: float | None = None,
) -> Optimizer:
    """Build the optimizer ``name`` (``sgd``, ``adam`` or ``adamw``) from flat settings.

    ``weight_decay=None`` means 0 for ``sgd``/``adam`` and 0.01 for ``adamw`` (PyTorch's
    default).
    """
    if name == "sgd":
        return SGD(momentum, nesterov, weight_decay or 0.0)
    if name in ("adam", "adamw"):
        default_decay = 0.01 if name == "adamw" else 0.0
        decay = default_decay if weight_decay is None else weight_decay
        return Adam(beta_1, beta_2, epsilon, decay)
    raise ConfigError(f"unknown optimizer {name!r}; valid: {', '.join(NAMES)}")


NAMES = ("sgd", "adam", "adamw")


def _check_range(
    name: str,
    value: float,
    low: float,
    high: float,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    """Raise ConfigError unless ``value`` is a real number in the stated interval."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number, got {value!r}") from None
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if math.isnan(value) or too_low or too_high:
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ConfigError(f"{name} must be in {interval}, got {value!r}")
