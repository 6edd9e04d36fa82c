"""Weight initializations in one registry; biases always start at zero.

Every fan-based initializer is one :func:`variance_scaling` with a preset, as in Keras:

============  =====================================  =============================
name          weights                                where from
============  =====================================  =============================
``zero``      0                                      the original (fails to learn)
``random``    N(0, 1) x 0.01                         the original
``normal``    N(0, 1) / sqrt(fan_in)                 the original (LeCun normal)
``xavier``    U(+-sqrt(6 / (fan_in + fan_out)))      Glorot & Bengio 2010
``he``        N(0, 1) x sqrt(2 / fan_in)             He et al. 2015
============  =====================================  =============================
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Literal

import numpy as np

from scratchnet.errors import ConfigError

Initializer = Callable[[np.random.Generator, int, int], np.ndarray]


def variance_scaling(
    rng: np.random.Generator,
    fan_in: int,
    fan_out: int,
    *,
    scale: float,
    mode: Literal["fan_in", "fan_out", "fan_avg"],
    distribution: Literal["normal", "uniform"],
) -> np.ndarray:
    """Weights of shape (fan_in, fan_out) with variance ``scale / fan``.

    ``fan`` is ``fan_in``, ``fan_out`` or their mean; the uniform distribution uses the limit
    ``sqrt(3 * variance)`` so that both distributions have the same variance.
    """
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    variance = scale / fan
    if distribution == "normal":
        return rng.standard_normal((fan_in, fan_out)) * np.sqrt(variance)
    limit = np.sqrt(3.0 * variance)
    return rng.uniform(-limit, limit, (fan_in, fan_out))


def zero(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """All-zero weights of shape (fan_in, fan_out): every unit of a layer stays identical."""
    return np.zeros((fan_in, fan_out))


def random(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """Standard normal weights x 0.01, shape (fan_in, fan_out), whatever the layer width."""
    return rng.standard_normal((fan_in, fan_out)) * 0.01


INITIALIZERS: dict[str, Initializer] = {
    "zero": zero,
    "random": random,
    "normal": partial(variance_scaling, scale=1.0, mode="fan_in", distribution="normal"),
    "xavier": partial(variance_scaling, scale=1.0, mode="fan_avg", distribution="uniform"),
    "he": partial(variance_scaling, scale=2.0, mode="fan_in", distribution="normal"),
}

ALIASES = {"zeros": "zero", "lecun": "normal", "glorot": "xavier", "kaiming": "he"}


def get(identifier: str | Initializer) -> Initializer:
    """Return the initializer named ``identifier``, or ``identifier`` itself if callable.

    A callable must take ``(rng, fan_in, fan_out)`` and return an array of shape
    (fan_in, fan_out). Unknown names raise :class:`ConfigError` listing the valid ones.
    """
    if callable(identifier):
        return identifier
    if not isinstance(identifier, str):
        raise ConfigError(
            f"weight_init must be a name or a callable, got {type(identifier).__name__}"
        )
    name = ALIASES.get(identifier.lower(), identifier.lower())
    if name not in INITIALIZERS:
        raise ConfigError(f"unknown weight_init {identifier!r}; valid: {', '.join(names())}")
    return INITIALIZERS[name]


def names() -> list[str]:
    """Valid initializer names and aliases, sorted."""
    return sorted([*INITIALIZERS, *ALIASES])
