"""The element-wise work of a training step, as fused compiled loops or as NumPy.

A training step of a small network spends more time calling NumPy than computing: a bias add,
an activation, its derivative, a softmax or an optimizer update is each a handful of ufunc
passes. Each function here does one of those jobs in a single pass of the C extension
``scratchnet.nn._kernels`` when it was built (it needs a C compiler at install time), and
otherwise with the NumPy code written beside it. That NumPy code is the reference: the C loops
perform the same operations in the same order and precision, so both give bitwise the same
result, except for the last bits of the loss (``exp`` and ``log`` are not correctly rounded).

One loop serves evaluation rather than training: a regressor's squared errors summed per
output (:func:`squared_error_sums`, for :mod:`scratchnet.engines.scoring`).

The compiled loops serve float32 and float64 arrays; any other dtype, an activation outside
the registry, or the environment variable ``SCRATCHNET_PURE_NUMPY=1`` takes the NumPy path.

The module also builds the compiled training step of a small network (:func:`make_step`, used
by :mod:`scratchnet.nn.onestep`): these loops, NumPy's own BLAS and np.tanh, called as the
NumPy path calls them.
"""

from __future__ import annotations

import ctypes
import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from scratchnet.nn.activations import Activation, exp_floor, exp_nonpositive_inplace

try:
    from scratchnet.nn import _kernels as _built
except ImportError:  # installed without a C compiler
    _built = None

_compiled = None if os.environ.get("SCRATCHNET_PURE_NUMPY") else _built
#: The most weight layers a compiled step (:func:`make_step`) takes.
STEP_MAX_LAYERS = getattr(_built, "MAX_LAYERS", 0)

#: The activation codes of the compiled loops, by registry name.
_KINDS = {"identity": 0, "relu": 1, "leaky_relu": 2, "sigmoid": 3, "tanh": 4}
#: Codes whose forward pass the compiled ``bias_activation`` applies itself.
_PIECEWISE_LINEAR = {0, 1, 2}


def compiled() -> bool:
    """True if the compiled loops are built and in use."""
    return _compiled is not None


@contextmanager
def pure_numpy() -> Iterator[None]:
    """Run the NumPy reference instead of the compiled loops (and BLAS calls) in this block."""
    global _compiled
    saved, _compiled = _compiled, None
    try:
        yield
    finally:
        _compiled = saved


def compiled_for(array: np.ndarray) -> bool:
    """True if the compiled loops will serve ``array`` (float32 or float64, loops in use)."""
    return _compiled is not None and array.dtype.char in "fd"


def _kind(activation: Activation | None) -> int | None:
    return 0 if activation is None else _KINDS.get(activation.name)


def _slope(activation: Activation | None) -> float:
    return 0.0 if activation is None else activation.params.get("slope", 0.0)


# --- forward and backward through a layer -------------------------------------------------------


def bias_activation(z: np.ndarray, b: np.ndarray, activation: Activation | None) -> None:
    """``z <- f(z + b)`` in place for z (n, k) and b (k,); f is the identity for ``None``."""
    kind = _kind(activation)
    if kind is not None and compiled_for(z):
        _compiled.bias_activation(z, b, kind, _slope(activation))  # adds b; f if piecewise linear
        if kind in _PIECEWISE_LINEAR:
            return
    else:
        z += b
    if activation is not None:
        activation.forward_inplace(z)


def activation_backward(
    a: np.ndarray, delta: np.ndarray, bias_grad: np.ndarray, activation: Activation
) -> None:
    """``delta <- delta * f'(z)`` from the output ``a = f(z)``, both (n, k); then ``bias_grad``
    (k,) gets the column sums of ``delta``."""
    kind = _kind(activation)
    if kind is not None and compiled_for(delta):
        _compiled.activation_backward(a, delta, bias_grad, kind, _slope(activation))
        return
    activation.backward_inplace(a, delta)
    np.sum(delta, axis=0, out=bias_grad)


# --- loss ---------------------------------------------------------------------------------------


def softmax_cross_entropy(
    logits: np.ndarray, y: np.ndarray, out: np.ndarray
) -> tuple[float, int, np.ndarray]:
    """Cross-entropy of softmax(logits) against class indices, with its gradient.

    Parameters
    ----------
    logits : ndarray of shape (n, n_classes)
    y : ndarray of intp, shape (n,)
    out : ndarray of shape (n, n_classes)
        Receives the gradient ``(softmax - onehot) / n``; may be ``logits`` itself.

    Returns
    -------
    loss : float
        Mean cross-entropy.
    n_correct : int
        Rows whose largest logit is the true class.
    grad : ndarray
        ``out``.
    """
    if compiled_for(logits) and y.dtype == np.intp:
        loss, n_correct = _compiled.softmax_cross_entropy(logits, y, out, exp_floor(logits.dtype))
        return loss, n_correct, out
    n = logits.shape[0]
    n_correct = int(np.count_nonzero(logits.argmax(axis=1) == y))
    grad = np.subtract(logits, logits.max(axis=1, keepdims=True), out=out)
    true_shifted = np.take_along_axis(grad, y[:, None], axis=1)[:, 0]
    exp_nonpositive_inplace(grad)
    sums = grad.sum(axis=1)
    loss = float(np.mean(np.log(sums) - true_shifted))
    grad /= sums[:, None]
    grad[np.arange(n), y] -= 1.0
    grad /= n
    return loss, n_correct, grad


def squared_error_sums(prediction: np.ndarray, target: np.ndarray, sums: np.ndarray) -> np.ndarray:
    """Per output, the sum over rows of ``(prediction - target) ** 2``, in float64.

    Parameters
    ----------
    prediction, target : ndarray of shape (n, k)
    sums : ndarray of float64, shape (k,)
        Receives the sums (returned); the rows are added in order.
    """
    if (
        compiled_for(prediction)
        and target.dtype == prediction.dtype
        and prediction.flags.c_contiguous
        and target.flags.c_contiguous
    ):
        _compiled.squared_error_sums(prediction, target, sums)
        return sums
    difference = np.subtract(prediction, target, dtype=np.float64)
    np.square(difference, out=difference)
    return np.sum(difference, axis=0, out=sums)


# --- optimizer updates --------------------------------------------------------------------------


def sgd_update(
    params: np.ndarray,
    grads: np.ndarray,
    velocity: np.ndarray | None,
    lr: float,
    momentum: float,
    nesterov: bool,
    l2: float = 0.0,
    shrink: float = 1.0,
) -> None:
    """``params += -lr grads``, through ``velocity`` if given (see :class:`~.optimizers.SGD`),
    after the penalties of :func:`penalize` (``l2``, ``shrink``).

    All arrays (size,); ``grads`` is overwritten.
    """
    if compiled_for(params):
        _compiled.sgd_update(params, grads, velocity, lr, momentum, nesterov, l2, shrink)
        return
    penalize(params, grads, l2, shrink)
    grads *= -lr
    if velocity is None:
        params += grads
        return
    velocity *= momentum
    velocity += grads
    if nesterov:
        params += grads
        params += momentum * velocity
    else:
        params += velocity


def adam_update(
    params: np.ndarray,
    grads: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    scratch: np.ndarray,
    lr_t: float,
    beta_1: float,
    beta_2: float,
    epsilon: float,
    l2: float = 0.0,
    shrink: float = 1.0,
) -> None:
    """One Adam step with bias-corrected step size ``lr_t`` (see :class:`~.optimizers.Adam`),
    after the penalties of :func:`penalize` (``l2``, ``shrink``).

    All arrays (size,); ``scratch`` is working space for the NumPy path (the compiled loop
    needs none and may be given None); ``grads`` may be overwritten.
    """
    if compiled_for(params):
        _compiled.adam_update(params, grads, m, v, lr_t, beta_1, beta_2, epsilon, l2, shrink)
        return
    penalize(params, grads, l2, shrink)
    # m += (1 - b1) (g - m)
    np.subtract(grads, m, out=scratch)
    scratch *= 1.0 - beta_1
    m += scratch
    # v += (1 - b2) (g^2 - v)
    np.multiply(grads, grads, out=scratch)
    scratch -= v
    scratch *= 1.0 - beta_2
    v += scratch
    # params += -lr_t m / (sqrt(v) + eps)
    np.sqrt(v, out=scratch)
    scratch += epsilon
    np.divide(m, scratch, out=scratch)
    scratch *= -lr_t
    params += scratch


def penalize(params: np.ndarray, grads: np.ndarray, l2: float, shrink: float) -> None:
    """The penalties an update starts with, in place: ``grads += l2 * params`` (the gradient
    of an L2 penalty; 0: none), then ``params *= shrink`` (decoupled weight decay; 1: none)."""
    if l2:
        grads += l2 * params
    if shrink != 1.0:
        params *= shrink


# --- batch normalization ------------------------------------------------------------------------


def batchnorm_forward(z, gamma, p, epsilon: float, zhat, scratch, mean, var, inv_std) -> None:
    """Batch normalization's training pass (see :mod:`~scratchnet.nn.batchnorm`), in place.

    ``z`` (n, k) becomes ``gamma * zhat``; ``zhat`` (n, k) and the batch's ``mean``, ``var``
    and ``inv_std = 1 / sqrt(var + epsilon)`` (k,) are written. ``p`` (n, 1): the rows' shares
    of the statistics, or None for equal ones. ``scratch`` (n, k) is working space.
    """
    if compiled_for(z):
        shares = None if p is None else p.reshape(-1)
        _compiled.batchnorm_forward(z, gamma, shares, epsilon, zhat, mean, var, inv_std)
        return
    _column_mean(z, p, mean, scratch)
    np.subtract(z, mean, out=zhat)
    np.multiply(zhat, zhat, out=scratch)
    _column_mean(scratch, p, var, scratch)
    np.add(var, epsilon, out=inv_std)
    np.sqrt(inv_std, out=inv_std)
    np.reciprocal(inv_std, out=inv_std)
    zhat *= inv_std
    np.multiply(zhat, gamma, out=z)


def _column_mean(a: np.ndarray, p, out: np.ndarray, scratch: np.ndarray) -> None:
    """``out`` (k,) <- column sums of ``a * p`` (n, k), or column sums over n without ``p``;
    ``scratch`` (n, k) may be ``a`` itself."""
    if p is None:
        np.sum(a, axis=0, out=out)
        out /= a.shape[0]
    else:
        np.multiply(a, p, out=scratch)
        np.sum(scratch, axis=0, out=out)


def batchnorm_backward(delta, zhat, gamma, inv_std, p, dbeta, dgamma, scratch) -> None:
    """Batch normalization's backward pass: ``delta`` (n, k) from dL/dy to dL/dz in place,
    ``dgamma`` (k,) written; ``dbeta`` (k,) must hold the column sums of dL/dy already.

    ``p`` (n, 1): the rows' shares, or None for equal ones; ``scratch`` (n, k) working space.
    """
    share = 1.0 / delta.shape[0]
    if compiled_for(delta):
        shares = None if p is None else p.reshape(-1)
        _compiled.batchnorm_backward(delta, zhat, gamma, inv_std, shares, share, dbeta, dgamma)
        return
    np.multiply(delta, zhat, out=scratch)
    np.sum(scratch, axis=0, out=dgamma)
    np.multiply(zhat, dgamma, out=scratch)
    scratch += dbeta
    scratch *= share if p is None else p
    delta -= scratch
    delta *= gamma * inv_std


# --- dropout masks ------------------------------------------------------------------------------

#: splitmix64's increment, the golden ratio times 2^64 (odd).
GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)


def splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finalizer of uint64 words (a new array): a bijection that spreads every
    input bit over the output, so consecutive inputs give independent-looking outputs."""
    x = x ^ (x >> np.uint64(30))
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


#: The multiplier of the per-unit mix in :func:`dropout_mask` (odd, well-spread bits).
UNIT_MULTIPLIER = np.uint64(0xD6E8FEB86659FD93)


def dropout_mask(
    mask: np.ndarray, keys: np.ndarray, salt: int, threshold: int, scale: float
) -> None:
    """Inverted dropout's mask (n, k) in place, from the rows' keys (n,) uint64.

    Row ``r``'s word is ``splitmix64(keys[r] + salt)``; unit ``c`` mixes
    ``word + (c + 1) * GOLDEN_GAMMA`` with one multiply between two xor-shifts, and is kept,
    as ``scale``, when the top 53 bits reach ``threshold`` (out of 2^53), dropped (0)
    otherwise: a counter-based draw, the same for the same key, salt and unit.
    """
    if compiled_for(mask):
        _compiled.dropout_mask(mask, keys, salt, threshold, scale)
        return
    units = np.arange(1, mask.shape[1] + 1, dtype=np.uint64) * GOLDEN_GAMMA
    with np.errstate(over="ignore"):
        words = splitmix64(keys + np.uint64(salt))[:, None] + units
        words = (words ^ (words >> np.uint64(32))) * UNIT_MULTIPLIER
    words ^= words >> np.uint64(29)
    np.copyto(mask, np.where(words >> np.uint64(11) >= np.uint64(threshold), scale, 0.0))


# --- a weight update inside the weight-gradient product -----------------------------------------


def descend(a: np.ndarray, delta: np.ndarray, w: np.ndarray, lr: float, shrink: float) -> None:
    """``w <- shrink * w - lr * a.T @ delta``: a gradient step as one matrix product.

    Parameters
    ----------
    a : ndarray of shape (n, m)
        A layer's input batch.
    delta : ndarray of shape (n, k)
        The loss gradient at the layer's pre-activation.
    w : ndarray of shape (m, k)
        The layer's weights, updated in place.
    lr, shrink : float
        Step size, and the factor on ``w`` (1 for plain SGD; below 1 with weight decay).

    With NumPy's BLAS reachable (:func:`blas_reachable`) this is one GEMM with ``beta=shrink``:
    the gradient is never written out and the weights are read and written once. The product
    is then accumulated into ``w``, so the result differs from the NumPy path's by rounding.
    """
    if compiled_for(w) and blas_reachable():
        _compiled.gemm_at_b(a, delta, w, -lr, shrink)
        return
    step = a.T @ delta
    step *= -lr
    if shrink != 1.0:
        w *= shrink
    w += step


def blas_reachable() -> bool:
    """True if the compiled loops are in use and hold NumPy's own ``cblas_?gemm``."""
    return _compiled is not None and _numpy_blas() is not None


@functools.cache
def _numpy_blas() -> tuple | None:
    """Whether the OpenBLAS NumPy ships takes 64-bit integers, and the addresses of its
    ``cblas_?gemm``, ``cblas_?gemv`` and ``cblas_?dot`` (s, d); None for any other BLAS.
    Handed to the compiled module once.

    The library is the one NumPy already loaded (same threads, same settings): threadpoolctl
    names its file, and its symbols carry the ``scipy_`` prefix of the scipy-openblas builds
    (``64_`` suffix for 64-bit integers).
    """
    from threadpoolctl import threadpool_info

    for library in threadpool_info():
        path = Path(library["filepath"])
        shipped_with_numpy = path.parent.name in ("numpy.libs", ".dylibs")
        if library["internal_api"] != "openblas" or not shipped_with_numpy:
            continue
        blas = ctypes.CDLL(str(path))  # the loaded library again, not a second copy
        for suffix, ilp64 in (("64_", True), ("", False)):
            names = [f"scipy_cblas_{t}{f}{suffix}" for f in ("gemm", "gemv", "dot") for t in "sd"]
            try:
                functions = [getattr(blas, name) for name in names]
            except AttributeError:
                continue
            addresses = tuple(ctypes.cast(f, ctypes.c_void_p).value for f in functions)
            if _built is not None:
                _built.use_blas(ilp64, *addresses)
            return (ilp64, *addresses)
    return None


# --- the whole training step --------------------------------------------------------------------


def step_compiled() -> bool:
    """True if :func:`make_step` can build a compiled step: the loops in use and NumPy's BLAS
    reachable."""
    return blas_reachable()


def make_step(
    network_arrays: tuple,
    layers: tuple,
    codes: tuple[int, int],
    settings: tuple,
    dropout=None,
    batch_norm=None,
):
    """The compiled training step (``scratchnet.nn._kernels.Step``) over a network's arrays.

    ``network_arrays``: params, grads, the optimizer state (two arrays or None), the layers'
    outputs and the hidden layers' deltas (tuples of (rows, size) buffers); ``layers``: sizes,
    activation codes and slopes; ``codes``: optimizer and loss; ``settings``, ``dropout`` and
    ``batch_norm``: see :mod:`scratchnet.nn.onestep`. Only call it when :func:`step_compiled`
    says so.
    """
    sizes, activations = layers
    kinds = tuple(_kind(act) for act in activations)
    slopes = tuple(float(_slope(act)) for act in activations)
    smooth = any(kind in (_KINDS["sigmoid"], _KINDS["tanh"]) for kind in kinds)
    tanh = np.tanh if smooth else None  # called by the step itself: no other tanh is NumPy's
    return _compiled.make_step(
        *network_arrays, sizes, kinds, slopes, *codes, settings, tanh, dropout, batch_norm
    )


def compiled_kind(activation: Activation) -> bool:
    """True if the compiled step computes ``activation`` itself (a built-in one by name)."""
    return _kind(activation) is not None and not activation.needs_input
