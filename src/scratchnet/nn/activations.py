"""Activation functions, each beside its derivative, in one registry.

Every :class:`Activation` works in place on a pre-activation array and gives its derivative in
terms of its *output* ``a = f(z)``, which is what the backward pass has at hand (the trick
scikit-learn's ``DERIVATIVES`` use): no pre-activation needs to be kept.

>>> import numpy as np
>>> relu = get("relu")
>>> a = relu(np.array([-1.0, 2.0]))
>>> relu.backward(a, np.ones(2))
array([0., 1.])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from scratchnet.errors import ConfigError


@dataclass(frozen=True)
class Activation:
    """An element-wise activation with its derivative written from the output.

    Parameters
    ----------
    name : str
        Registry name, stored in model files.
    forward_inplace : callable
        ``forward_inplace(z)`` overwrites ``z`` (any shape) with ``f(z)``.
    backward_inplace : callable
        ``backward_inplace(a, grad)`` multiplies ``grad`` in place by ``f'(z)``, computed from
        the output ``a = f(z)`` of the same shape.
    params : dict
        Settings that define the function (for example the leaky ReLU slope).
    needs_input : bool
        The derivative is written from the input ``z`` instead of the output: then
        ``backward_inplace(z, grad)``, and the network keeps the pre-activations it needs.
    """

    name: str
    forward_inplace: Callable[[np.ndarray], None] = field(repr=False, compare=False)
    backward_inplace: Callable[[np.ndarray, np.ndarray], None] = field(repr=False, compare=False)
    params: dict = field(default_factory=dict)
    needs_input: bool = False

    def __reduce__(self):
        # A registered activation pickles as its name (its functions may be closures); it
        # is looked up again when unpickled, so it must be registered there too.
        if _REGISTERED.get(self.name) is self:
            return (get, (self.name,))
        return super().__reduce__()

    def __getstate__(self) -> dict:
        # Plain (name and params) when the registry gives this activation back by name, so
        # that skops loads it trusting this class and no function; else every field.
        try:
            found = get(self.name, **self.params)
        except ConfigError:
            found = None
        if found is self or (found == self and self.name in ACTIVATIONS):
            return {"name": self.name, "params": dict(self.params)}
        return dict(self.__dict__)

    def __setstate__(self, state: dict) -> None:
        if "forward_inplace" not in state:
            state = dict(get(state["name"], **state["params"]).__dict__)
        for key, value in state.items():
            object.__setattr__(self, key, value)

    def __call__(self, z: np.ndarray) -> np.ndarray:
        """Return ``f(z)`` as a new array of the same shape and float dtype as ``z``."""
        out = np.array(z, dtype=np.result_type(z, np.float32), copy=True)
        self.forward_inplace(out)
        return out

    def backward(self, a: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Return ``grad * f'(z)`` as a new array, given the output ``a = f(z)``."""
        out = np.array(grad, copy=True)
        self.backward_inplace(a, out)
        return out

    def derivative(self, a: np.ndarray) -> np.ndarray:
        """Return ``f'(z)`` computed from the output ``a = f(z)`` (from ``z`` itself when
        :attr:`needs_input`)."""
        return self.backward(a, np.ones_like(a))


# --- sigmoid: f = 1 / (1 + e^-z), f' = a (1 - a) -------------------------------------------


def _sigmoid_forward(z: np.ndarray) -> None:
    # 1 / (1 + exp(-z)) overflows in exp for z << 0; tanh form is stable for every z.
    np.multiply(z, 0.5, out=z)
    np.tanh(z, out=z)
    np.add(z, 1.0, out=z)
    np.multiply(z, 0.5, out=z)


def _sigmoid_backward(a: np.ndarray, grad: np.ndarray) -> None:
    grad *= a
    grad *= 1.0 - a


# --- tanh: f' = 1 - a^2 ----------------------------------------------------------------------


def _tanh_forward(z: np.ndarray) -> None:
    np.tanh(z, out=z)


def _tanh_backward(a: np.ndarray, grad: np.ndarray) -> None:
    grad *= 1.0 - a * a


# --- relu: f = max(0, z), f' = [a > 0] -------------------------------------------------------


def _relu_forward(z: np.ndarray) -> None:
    np.maximum(z, 0.0, out=z)


def _relu_backward(a: np.ndarray, grad: np.ndarray) -> None:
    np.multiply(grad, a > 0.0, out=grad)  # 5x faster than grad[a <= 0] = 0


# --- identity: f' = 1 ------------------------------------------------------------------------


def _identity_forward(z: np.ndarray) -> None:
    pass


def _identity_backward(a: np.ndarray, grad: np.ndarray) -> None:
    pass


def _leaky_relu_forward(z: np.ndarray, slope: float) -> None:
    np.maximum(z, z * slope, out=z)  # max(z, slope z) for 0 <= slope < 1


def _leaky_relu_backward(a: np.ndarray, grad: np.ndarray, slope: float) -> None:
    # The output keeps the input's sign, so f' is read from it.
    one, small = a.dtype.type(1.0), a.dtype.type(slope)
    np.multiply(grad, np.where(a > 0.0, one, small), out=grad)


def leaky_relu(slope: float = 0.01) -> Activation:
    """Leaky ReLU ``f(z) = z if z > 0 else slope * z``, ``f' = 1 or slope``, 0 <= slope < 1."""
    slope = float(slope)
    if not 0.0 <= slope < 1.0:
        raise ConfigError(f"leaky_relu slope must be in [0, 1), got {slope}")
    return Activation(
        "leaky_relu",
        partial(_leaky_relu_forward, slope=slope),
        partial(_leaky_relu_backward, slope=slope),
        {"slope": slope},
    )


def exp_nonpositive_inplace(shifted: np.ndarray) -> np.ndarray:
    """``exp`` of an array of values <= 0, in place, without floating-point underflow.

    Values are first raised to ``log(smallest normal) + 40``: ``exp`` then stays a normal
    number even after the divisions that follow (by a softmax row sum and a batch size, up
    to e^40 together), and the change (below 1e-20 next to a 1 in float32) is far under any
    sum's rounding.
    """
    np.maximum(shifted, exp_floor(shifted.dtype), out=shifted)
    return np.exp(shifted, out=shifted)


def exp_floor(dtype: np.dtype) -> np.floating:
    """The lower bound :func:`exp_nonpositive_inplace` puts on its input, in ``dtype``."""
    return _EXP_FLOOR[np.dtype(dtype).char]


_EXP_FLOOR = {t().dtype.char: np.log(np.finfo(t).tiny) + 40 for t in (np.float32, np.float64)}


def softmax(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Row-wise softmax, shifted by the row maximum so that it never overflows.

    Parameters
    ----------
    z : ndarray of shape (n_samples, n_classes)
    out : ndarray of the same shape, optional
        Where to write the result (may be ``z`` itself).

    Returns
    -------
    ndarray of shape (n_samples, n_classes), rows summing to 1.
    """
    out = np.subtract(z, z.max(axis=1, keepdims=True), out=out)
    exp_nonpositive_inplace(out)
    out /= out.sum(axis=1, keepdims=True)
    return out


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", _sigmoid_forward, _sigmoid_backward),
    "tanh": Activation("tanh", _tanh_forward, _tanh_backward),
    "relu": Activation("relu", _relu_forward, _relu_backward),
    "leaky_relu": leaky_relu(),
    "identity": Activation("identity", _identity_forward, _identity_backward),
}

#: Other names users know these by (scikit-learn says "logistic").
ALIASES = {"logistic": "sigmoid", "linear": "identity", "leakyrelu": "leaky_relu"}

#: Output-layer activations; their gradient is fused into the loss (see ``losses``).
OUTPUT_ONLY = ("softmax",)


#: Activations users registered, by name (see :func:`register`).
_REGISTERED: dict[str, Activation] = {}


def register(
    name: str,
    function: Callable[[np.ndarray], np.ndarray],
    derivative: Callable[[np.ndarray], np.ndarray],
    *,
    of: str = "output",
) -> Activation:
    """Add your own hidden-layer activation under ``name``; return it.

    Parameters
    ----------
    name : str
        The name to give ``activations=`` and to store in model files; not a built-in one.
    function : callable
        ``function(z) -> f(z)``, element-wise, an array of the same shape.
    derivative : callable
        ``derivative(x) -> f'(z)``, element-wise, where ``x`` is the output ``f(z)``
        (``of="output"``, cheaper: nothing more is kept) or the input ``z`` (``of="input"``).
    of : {"output", "input"}

    Check it with :func:`check_activation` before training. A model file that names it
    loads only where it is registered again (the file holds its name, never its code).

    >>> import numpy as np
    >>> softsign = register("softsign", lambda z: z / (1 + abs(z)), lambda a: (1 - abs(a)) ** 2)
    >>> float(check_activation(softsign)) < 1e-6
    True
    """
    key = name.lower() if isinstance(name, str) else name
    if not isinstance(name, str) or key in ACTIVATIONS or key in ALIASES or key in OUTPUT_ONLY:
        raise ConfigError(f"cannot register activation {name!r}: the name is taken or not a str")
    if of not in ("output", "input"):
        raise ConfigError(f"of must be 'output' or 'input', got {of!r}")

    def forward_inplace(z: np.ndarray) -> None:
        z[...] = function(z)

    def backward_inplace(x: np.ndarray, grad: np.ndarray) -> None:
        grad *= derivative(x)

    activation = Activation(key, forward_inplace, backward_inplace, needs_input=of == "input")
    _REGISTERED[key] = activation
    return activation


def unregister(name: str) -> None:
    """Remove an activation added with :func:`register` (built-in ones stay)."""
    _REGISTERED.pop(name.lower(), None)


def check_activation(
    activation: Activation | str, points: np.ndarray | None = None, eps: float = 1e-6
) -> float:
    """The relative error of ``activation``'s derivative against central differences.

    Evaluated in float64 at ``points`` (default: 201 points in [-5, 5], off 0 where kinks
    are). Raises :class:`ConfigError` if the function changes the shape or gives non-finite
    values; below 1e-6 is a correct derivative.
    """
    activation = get(activation)
    z = np.linspace(-5.0, 5.0, 201) + 1e-3 if points is None else np.asarray(points, float)
    a = activation(z)
    if a.shape != z.shape or not np.isfinite(a).all():
        raise ConfigError(
            f"activation {activation.name!r} must map an array to finite values of its shape"
        )
    analytic = activation.derivative(z if activation.needs_input else a)
    numeric = (activation(z + eps) - activation(z - eps)) / (2 * eps)
    scale = max(np.linalg.norm(analytic), np.linalg.norm(numeric), 1e-12)
    return float(np.linalg.norm(analytic - numeric) / scale)


def get(identifier: str | Activation, **params: float) -> Activation:
    """Return the activation named ``identifier`` (or ``identifier`` itself if an Activation).

    Parameters
    ----------
    identifier : str or Activation
        A registry name or alias (``sigmoid``/``logistic``, ``tanh``, ``relu``,
        ``leaky_relu``, ``identity``).
    **params
        Settings of a parameterised activation, e.g. ``get("leaky_relu", slope=0.1)``.

    Raises
    ------
    ConfigError
        For an unknown name, naming the valid ones; for ``softmax``, which only the output
        layer may use.
    """
    if isinstance(identifier, Activation):
        return identifier
    if not isinstance(identifier, str):
        raise ConfigError(
            f"activation must be a name or an Activation, got {type(identifier).__name__}"
        )
    name = ALIASES.get(identifier.lower(), identifier.lower())
    if name in OUTPUT_ONLY:
        raise ConfigError(
            f"activation {identifier!r} is only used by the classifier's output layer; "
            f"hidden layers take one of {', '.join(names())}"
        )
    if name in _REGISTERED and not params:
        return _REGISTERED[name]
    if name not in ACTIVATIONS:
        raise ConfigError(f"unknown activation {identifier!r}; valid: {', '.join(names())}")
    if name == "leaky_relu" and params:
        return leaky_relu(**params)
    if params:
        raise ConfigError(f"activation {identifier!r} takes no parameters, got {sorted(params)}")
    return ACTIVATIONS[name]


def names() -> list[str]:
    """Valid activation names and aliases (registered ones included), sorted."""
    return sorted([*ACTIVATIONS, *ALIASES, *_REGISTERED])
