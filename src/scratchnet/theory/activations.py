"""Scalar activations with their derivatives, written to work on exact Fractions where possible.

Each entry holds the function and its derivative side by side. ``exact`` says whether both map
rationals to rationals (relu, identity, leaky relu), so a trace through them can stay exact;
sigmoid and tanh fall back to float64. The derivative of relu at 0 is taken as 0 (as NumPy code
usually does); the trace reports whenever a pre-activation sits exactly on that kink.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from scratchnet.errors import ConfigError
from scratchnet.theory.numbers import Number

LEAKY_SLOPE = Fraction(1, 100)


@dataclass(frozen=True)
class Activation:
    """An activation ``f`` with derivative ``df`` (both of the pre-activation ``z``)."""

    name: str
    f: Callable[[Number], Number]
    df: Callable[[Number], Number]
    exact: bool
    formula: str
    derivative_formula: str
    kink: Number | None = None


def _sigmoid(z: Number) -> float:
    z = float(z)
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


ACTIVATIONS: dict[str, Activation] = {
    "identity": Activation(
        "identity", lambda z: z, lambda z: 1 + 0 * z, True, "f(z) = z", "f'(z) = 1"
    ),
    "relu": Activation(
        "relu",
        lambda z: z if z > 0 else 0 * z,
        lambda z: 1 + 0 * z if z > 0 else 0 * z,
        True,
        "f(z) = max(0, z)",
        "f'(z) = 1 if z > 0 else 0",
        kink=0,
    ),
    "leaky_relu": Activation(
        "leaky_relu",
        lambda z: z if z > 0 else LEAKY_SLOPE * z,
        lambda z: 1 + 0 * z if z > 0 else LEAKY_SLOPE + 0 * z,
        True,
        "f(z) = z if z > 0 else 0.01 z",
        "f'(z) = 1 if z > 0 else 0.01",
        kink=0,
    ),
    "sigmoid": Activation(
        "sigmoid",
        _sigmoid,
        lambda z: _sigmoid(z) * (1.0 - _sigmoid(z)),
        False,
        "f(z) = 1 / (1 + exp(-z))",
        "f'(z) = f(z) (1 - f(z))",
    ),
    "tanh": Activation(
        "tanh",
        lambda z: math.tanh(float(z)),
        lambda z: 1.0 - math.tanh(float(z)) ** 2,
        False,
        "f(z) = tanh(z)",
        "f'(z) = 1 - tanh(z)^2",
    ),
}

ALIASES = {
    "linear": "identity",
    "none": "identity",
    "leaky-relu": "leaky_relu",
    "logistic": "sigmoid",
}


def get(name: str, *, option: str = "activation") -> Activation:
    """The activation ``name`` (any case); ConfigError naming the valid choices if unknown."""
    key = str(name).strip().lower()
    key = ALIASES.get(key, key)
    if key not in ACTIVATIONS:
        choices = ", ".join(sorted(ACTIVATIONS))
        raise ConfigError(f"{option}: unknown activation {name!r}; expected one of {choices}")
    return ACTIVATIONS[key]
