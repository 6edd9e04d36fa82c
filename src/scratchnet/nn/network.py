"""The network math: a fully connected stack of (W, b) layers, forward and backward.

Pure computation, no I/O and no scikit-learn. All weights and biases live in one flat vector
``params`` (weights first, then biases), and ``coefs``/``intercepts`` are views into it, as the
gradients are into ``grads``; an optimizer then updates the whole network in a few vectorised
calls. Activations and deltas are written into a :class:`Workspace` of buffers reused from one
batch to the next, so a training step allocates next to nothing.

Shapes, for layer sizes ``[n_0, n_1, ..., n_L]`` and a batch of ``n`` samples:

* ``coefs[i]``: (n_i, n_{i+1}); ``intercepts[i]``: (n_{i+1},)
* ``activations[i]``: (n, n_i), ``activations[0]`` being the input batch
* the output layer is linear: its activation (softmax) is fused into the loss.

A hidden layer may be batch-normalized (:mod:`scratchnet.nn.batchnorm`): its pre-activation
is normalized over the batch before the bias, which becomes the normalization's shift, and a
learned scale ``scales[i]`` (n_{i+1},). The scales follow the biases in ``params``; the running
statistics used at inference live in a second flat vector ``running`` (means, then variances).

The input batch may be a SciPy sparse CSR matrix: the first layer multiplies it directly
(``X @ W``, ``X.T @ delta``) and nothing densifies it, except :meth:`MLP.predict_raw`, which
densifies one chunk of rows (:func:`chunk_rows`) at a time.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence

import numpy as np
from scipy import sparse

from scratchnet.errors import ConfigError
from scratchnet.nn import activations as registry
from scratchnet.nn import batchnorm, kernels
from scratchnet.nn.activations import Activation
from scratchnet.nn.initializers import Initializer


class Workspace:
    """Preallocated activation and delta buffers for batches of one size.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n_0, ..., n_L]``.
    n_samples : int
        Rows in the batches this workspace serves.
    dtype : numpy dtype
    keeps_input : sequence of bool
        Per hidden layer (1, 2, ...): keep its pre-activation, for an activation whose
        derivative is written from its input rather than its output.
    normalized : sequence of bool
        Per hidden layer: batch-normalized, so it needs :class:`batchnorm.BatchStatistics`.
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        n_samples: int,
        dtype: np.dtype,
        keeps_input: Sequence[bool] = (),
        normalized: Sequence[bool] = (),
    ) -> None:
        #: ``activations[i]`` for i >= 1: (n_samples, n_i); slot 0 is the input batch.
        self.activations: list[np.ndarray | None] = [None] + [
            np.empty((n_samples, size), dtype) for size in layer_sizes[1:]
        ]
        #: ``deltas[i]``: gradient of the loss with respect to the pre-activation of layer i
        #: (1 <= i < L); the input layer needs none.
        self.deltas: list[np.ndarray | None] = [None] + [
            np.empty((n_samples, size), dtype) for size in layer_sizes[1:-1]
        ]
        #: ``masks[i]``/``dropped[i]``: hidden layer i's dropout scale (0 or 1 / (1 - rate))
        #: and its output times it, during a training forward pass with dropout; else None.
        self.masks: list[np.ndarray | None] = [None] * len(layer_sizes)
        self.dropped: list[np.ndarray | None] = [None] * len(layer_sizes)
        #: ``inputs[i]``: the pre-activation of hidden layer i, where ``keeps_input`` asks.
        self.inputs: list[np.ndarray | None] = [None] * len(layer_sizes)
        for i, keep in enumerate(keeps_input, start=1):
            if keep:
                self.inputs[i] = np.empty((n_samples, layer_sizes[i]), dtype)
        #: ``batch_stats[i]``: hidden layer i's batch statistics, where it is normalized; their
        #: means and variances are views into ``moments``, laid out as :attr:`MLP.running`.
        self.batch_stats: list[batchnorm.BatchStatistics | None] = [None] * len(layer_sizes)
        sizes = [k if norm else 0 for k, norm in zip(layer_sizes[1:], normalized)]
        self.moments = np.zeros(2 * sum(sizes), dtype)
        means = _vector_views(self.moments, sizes)
        variances = _vector_views(self.moments[sum(sizes) :], sizes)
        for i, (mean, var) in enumerate(zip(means, variances), start=1):
            if mean is not None:
                k = layer_sizes[i]
                self.batch_stats[i] = batchnorm.BatchStatistics(n_samples, k, dtype, mean, var)
        #: The rows' shares (n, 1) of the batch statistics, None for equal shares.
        self.shares: np.ndarray | None = None

    def set_masks(self, masks: Sequence[np.ndarray | None] | None) -> None:
        """Hidden layer i's dropout scale is ``masks[i - 1]``; no masks, no dropout."""
        masks = list(masks or ())
        self.masks = [None, *masks, *[None] * (len(self.activations) - 1 - len(masks))]


class MLP:
    """Weights, biases and activations of a fully connected network.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n_inputs, hidden_1, ..., n_outputs]``, at least two entries.
    hidden_activations : sequence of Activation
        One per hidden layer (``len(layer_sizes) - 2`` of them).
    dtype : numpy dtype
        Compute dtype of parameters, activations and gradients.
    batch_norm : sequence of bool, optional
        Per hidden layer: batch-normalize it (none by default).
    epsilon : float
        Batch normalization's variance offset.
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        hidden_activations: Sequence[Activation],
        dtype: np.dtype | type = np.float32,
        batch_norm: Sequence[bool] = (),
        epsilon: float = batchnorm.EPSILON,
    ) -> None:
        self.layer_sizes = [int(size) for size in layer_sizes]
        self.hidden_activations = list(hidden_activations)
        self.dtype = np.dtype(dtype)
        n_hidden = len(self.layer_sizes) - 2
        self.batch_norm = tuple(bool(flag) for flag in batch_norm) or (False,) * n_hidden
        if len(self.batch_norm) != n_hidden:
            raise ValueError(f"batch_norm needs one flag per hidden layer ({n_hidden})")
        self.epsilon = float(epsilon)
        shapes = list(zip(self.layer_sizes[:-1], self.layer_sizes[1:]))
        self.n_weights = sum(fan_in * fan_out for fan_in, fan_out in shapes)
        normalized = sum(k for k, norm in zip(self.layer_sizes[1:], self.batch_norm) if norm)
        self.params = np.zeros(self.n_weights + sum(self.layer_sizes[1:]) + normalized, self.dtype)
        self.grads = np.zeros_like(self.params)
        self.running = np.zeros(2 * normalized, self.dtype)
        self._make_views()
        for scale, var in zip(self.scales, self.running_vars):
            if scale is not None:
                scale[...], var[...] = 1.0, 1.0

    def _make_views(self) -> None:
        """``coefs``, ``intercepts``, ``scales`` (and their gradients) and the running
        statistics as views into the flat vectors; per hidden layer, None without batch norm."""
        shapes = list(zip(self.layer_sizes[:-1], self.layer_sizes[1:]))
        norm_sizes = [k if norm else 0 for k, norm in zip(self.layer_sizes[1:], self.batch_norm)]
        self.coefs, self.intercepts, self.scales = _layer_views(self.params, shapes, norm_sizes)
        ends = np.cumsum([0] + [fan_in * fan_out for fan_in, fan_out in shapes]).tolist()
        #: ``weight_slices[i]``: where ``coefs[i]`` lies in ``params``.
        self.weight_slices = [slice(a, b) for a, b in itertools.pairwise(ends)]
        self.coef_grads, self.intercept_grads, self.scale_grads = _layer_views(
            self.grads, shapes, norm_sizes
        )
        self.running_means = _vector_views(self.running, norm_sizes)
        self.running_vars = _vector_views(self.running[self.running.size // 2 :], norm_sizes)
        self._workspaces: dict[int, Workspace] = {}

    def __getstate__(self) -> dict:
        # The views and buffers are rebuilt on unpickling: pickled apart from ``params`` the
        # views would come back as copies, detached from it. The state is plain (arrays and
        # builtins: activations by name, the dtype by name), so that skops needs to trust
        # no function; an activation that cannot be looked up by name stays an object.
        views = ("coefs", "intercepts", "scales", "coef_grads", "intercept_grads", "scale_grads")
        state = self.__dict__.copy()
        for name in (*views, "running_means", "running_vars", "weight_slices", "_workspaces"):
            del state[name]
        state["hidden_activations"] = [_plain(act) for act in self.hidden_activations]
        state["dtype"] = self.dtype.name
        return state

    def __setstate__(self, state: dict) -> None:
        n_hidden = len(state["layer_sizes"]) - 2  # networks pickled before batch norm had none
        state = {"batch_norm": (False,) * n_hidden, "epsilon": batchnorm.EPSILON, **state}
        state.setdefault("running", np.zeros(0, state["params"].dtype))
        self.__dict__.update(state)
        self.dtype = np.dtype(self.dtype)
        self.hidden_activations = [_from_plain(act) for act in self.hidden_activations]
        self._make_views()

    @property
    def normalizes(self) -> bool:
        """True if any hidden layer is batch-normalized."""
        return any(self.batch_norm)

    def snapshot(self) -> np.ndarray:
        """A copy of everything training changes: parameters, then running statistics."""
        return np.concatenate([self.params, self.running])

    def restore(self, snapshot: np.ndarray) -> None:
        """Go back to a :meth:`snapshot`."""
        self.params[...] = snapshot[: self.params.size]
        self.running[...] = snapshot[self.params.size :]

    @property
    def n_layers(self) -> int:
        """Number of weight layers, L."""
        return len(self.coefs)

    def initialize(self, initializer: Initializer, rng: np.random.Generator) -> None:
        """Draw every weight matrix from ``initializer``; set every bias to zero."""
        for coef in self.coefs:
            coef[...] = initializer(rng, *coef.shape)
        for intercept in self.intercepts:
            intercept[...] = 0.0

    def set_parameters(self, coefs: Sequence[np.ndarray], intercepts: Sequence[np.ndarray]) -> None:
        """Copy given weights (n_i, n_{i+1}) and biases (n_{i+1},) into the network."""
        for target, source in zip([*self.coefs, *self.intercepts], [*coefs, *intercepts]):
            target[...] = source

    def workspace(self, n_samples: int) -> Workspace:
        """The (cached) buffers for batches of ``n_samples`` rows."""
        workspace = self._workspaces.get(n_samples)
        if workspace is None:
            keeps_input = [act.needs_input for act in self.hidden_activations]
            workspace = self._workspaces[n_samples] = Workspace(
                self.layer_sizes, n_samples, self.dtype, keeps_input, self.batch_norm
            )
        return workspace

    def forward(
        self,
        X: np.ndarray,
        workspace: Workspace | None = None,
        masks: Sequence[np.ndarray | None] | None = None,
        sample_weight: np.ndarray | None = None,
    ) -> np.ndarray:
        """Run a training batch through the network; return the linear output (n, n_L).

        Parameters
        ----------
        X : ndarray of shape (n, n_0), of the network's dtype
        workspace : Workspace, optional
            Buffers for ``n`` rows; ``workspace.activations`` holds every layer's output
            afterwards, for :meth:`backward`. Defaults to the cached workspace for ``n``.
        masks : sequence of ndarray or None, optional
            Inverted dropout while training: ``masks[i]`` (n, n_{i+1}) multiplies hidden
            layer i+1's output (0 for a dropped unit, 1 / (1 - rate) for a kept one), or is
            None for a layer without dropout.
        sample_weight : ndarray of shape (n,), optional
            Weights of the rows in batch normalization's statistics (equal by default).

        Batch-normalized layers use this batch's statistics (training mode); see
        :meth:`predict_raw` for inference.
        """
        ws = workspace or self.workspace(X.shape[0])
        ws.activations[0] = X
        ws.set_masks(masks)
        ws.shares = batchnorm.shares(sample_weight, self.dtype) if self.normalizes else None
        a = X
        for i, (coef, intercept) in enumerate(zip(self.coefs, self.intercepts)):
            z = ws.activations[i + 1]
            _matmul(a, coef, out=z)
            if ws.batch_stats[i + 1] is not None:
                stats = ws.batch_stats[i + 1]
                batchnorm.normalize(z, self.scales[i], ws.shares, self.epsilon, stats)
            self._bias_activation(i, z, intercept, ws.inputs[i + 1])
            a = z
            if ws.masks[i + 1] is not None:
                a = np.multiply(z, ws.masks[i + 1], out=_buffer(ws.dropped, i + 1, z))
        return a

    def _bias_activation(self, i: int, z: np.ndarray, bias: np.ndarray, keep_input) -> None:
        """``z <- f(z + bias)`` for weight layer i; ``keep_input`` (n, k) or None receives
        ``z + bias``, for an activation whose derivative is written from its input."""
        activation = self._activation(i)
        if keep_input is None:
            kernels.bias_activation(z, bias, activation)
        else:
            z += bias
            np.copyto(keep_input, z)
            activation.forward_inplace(z)

    def update_running_statistics(self, workspace: Workspace, momentum: float) -> None:
        """Fold the batch statistics of the last :meth:`forward` into the running ones
        (``momentum`` 0 replaces them)."""
        batchnorm.update_running(self.running, workspace.moments, momentum)

    def backward(
        self,
        workspace: Workspace,
        output_delta: np.ndarray,
        alpha: float = 0.0,
        descend: tuple[float, float] | None = None,
        normalizer: float | None = None,
        update: Callable[[int, float], None] | None = None,
    ) -> None:
        """Fill ``grads`` from the loss gradient at the output, after :meth:`forward`.

        Parameters
        ----------
        workspace : Workspace
            The one the forward pass wrote into.
        output_delta : ndarray of shape (n, n_L)
            Gradient of the batch loss with respect to the network's linear output.
        alpha : float
            L2 penalty: adds ``alpha * W / n`` to each weight gradient (scikit-learn's
            ``alpha``, the gradient of ``alpha * ||W||^2 / (2 n)``).
        descend : (lr, weight_decay), optional
            Take plain SGD's step on every weight matrix inside its gradient product instead
            of writing the gradient: ``W <- (1 - lr (weight_decay + alpha / n)) W - lr dL/dW``
            (see :func:`kernels.descend`). ``coef_grads`` are then left as they were; the
            biases get their gradients as usual.
        normalizer : float, optional
            The ``n`` of the penalty: the batch's total sample weight when the loss is a
            weighted mean; by default the number of rows.
        update : callable, optional
            ``update(i, l2)``, called as soon as weight layer i's gradient is in
            ``coef_grads[i]`` (without its L2 term ``l2 * W_i``, which ``update`` adds), to take
            the optimizer's step on ``W_i`` while that gradient is still in cache.

        A layer the forward pass dropped out from takes its weight gradient from the
        dropped output, and passes the gradient back through the same mask. A batch-normalized
        layer passes it back through its batch statistics, and fills ``scale_grads``.
        """
        n = output_delta.shape[0] if normalizer is None else normalizer
        delta = output_delta
        np.sum(delta, axis=0, out=self.intercept_grads[-1])
        for i in reversed(range(self.n_layers)):
            delta = self._layer_backward(i, workspace, delta, alpha / n, descend, update)

    def _layer_backward(self, i: int, workspace: Workspace, delta, l2: float, descend, update):
        """Weight layer i's part of :meth:`backward` from the gradient ``delta`` (n, n_{i+1})
        at its product's output: its weight gradient (or step), and for i > 0 the gradient
        at layer i's product's output (n, n_i), returned (None for i = 0)."""
        mask = workspace.masks[i]
        layer_input = workspace.activations[i] if mask is None else workspace.dropped[i]
        previous = None
        if i > 0:  # no gradient with respect to the input is needed
            previous = workspace.deltas[i]
            np.matmul(delta, self.coefs[i].T, out=previous)  # before W_i may change
            if mask is not None:
                previous *= mask
        if update is None:
            self._weight_gradient(i, layer_input, delta, l2, descend)
        else:
            self._weight_gradient(i, layer_input, delta, 0.0, None)
            update(i, l2)
        if previous is not None:
            self._hidden_backward(i, workspace, previous)
        return previous

    def _hidden_backward(self, i: int, workspace: Workspace, delta: np.ndarray) -> None:
        """``delta`` (n, n_i): the gradient at hidden layer i's output in, at its product's
        output out (through the activation, then batch normalization); fills the gradients of
        the layer's bias (and scale)."""
        at = workspace.activations[i] if workspace.inputs[i] is None else workspace.inputs[i]
        kernels.activation_backward(at, delta, self.intercept_grads[i - 1], self._activation(i - 1))
        stats = workspace.batch_stats[i]
        if stats is not None:
            scale, shares = self.scales[i - 1], workspace.shares
            dbeta, dgamma = self.intercept_grads[i - 1], self.scale_grads[i - 1]
            batchnorm.backward(delta, scale, shares, stats, dbeta, dgamma)

    def _weight_gradient(self, i: int, layer_input, delta: np.ndarray, l2: float, descend):
        """``coef_grads[i]`` from the layer's input (n, n_i) and delta (n, n_{i+1}), plus
        ``l2 * W_i``; or, with ``descend``, plain SGD's step taken inside that product."""
        if descend is None:
            _matmul(layer_input.T, delta, out=self.coef_grads[i])
            if l2:
                self.coef_grads[i] += l2 * self.coefs[i]
        else:
            lr, weight_decay = descend
            shrink = 1.0 - lr * (weight_decay + l2)
            kernels.descend(layer_input, delta, self.coefs[i], lr, shrink)

    def predict_raw(
        self, X: np.ndarray, layer: int | None = None, check: Callable | None = None
    ) -> np.ndarray:
        """Outputs of layer ``layer`` (default: the linear output) for all rows of ``X``.

        Batch-normalized layers use their running statistics (inference mode). Rows go
        through in equal chunks of at most :data:`PREDICT_BYTES` of activations
        (:func:`chunk_rows`): large enough for the matrix products to run at full speed,
        bounded however many rows ``X`` has. Each chunk's last layer is written straight
        into the result, and a dense chunk of the network's dtype is read where it is.
        BLAS blocks a product by its row count, so a row's output may differ in its last
        bits from one batching to another (float32 rounding), never more.

        Parameters
        ----------
        X : ndarray of shape (n, n_0)
        layer : int, optional
            Index into ``layer_sizes`` (1 is the first hidden layer, -1 the output).
        check : callable, optional
            ``check(chunk, product)`` for each chunk of ``X`` (rows, n_0) and its first layer's
            product (rows, n_1), right after that product, while both are in cache; it may
            raise to stop (the estimators' check for NaN and infinity). Not called for
            ``layer`` 0, which has no product.

        Returns
        -------
        ndarray of shape (n, layer_sizes[layer]), a new array of the network's dtype.
        """
        stop = self.n_layers if layer is None else range(self.n_layers + 1)[layer]
        n, first = X.shape[0], 1 if sparse.issparse(X) else 0  # sparse: multiplied as it is
        out = np.empty((n, self.layer_sizes[stop]), self.dtype)
        affine = self.inference_affines()
        rows = chunk_rows(n, sum(self.layer_sizes[: stop + 1]) * self.dtype.itemsize)
        # One buffer per layer before ``stop``, reused by every chunk (the last may be shorter).
        buffers = [np.empty((rows, size), self.dtype) for size in self.layer_sizes[:stop]]
        for begin in range(0, n, rows):
            chunk = X[begin : begin + rows]
            views = [buffer[: chunk.shape[0]] for buffer in buffers]
            views.append(out[begin : begin + chunk.shape[0]])  # the result, written in place
            if first:  # the first layer's (sparse) product: never densified
                np.copyto(views[1], chunk @ self.coefs[0])
            elif chunk.flags.c_contiguous and chunk.dtype == self.dtype:
                views[0] = chunk  # goes in as it is, no copy
            else:
                views[0][...] = chunk
            after_first = None if check is None else functools.partial(check, chunk, views[1])
            self._predict_chunk(views, first, stop, affine, after_first)
        return out

    def _predict_chunk(
        self, buffers: list[np.ndarray], first: int, stop: int, affine, after_first=None
    ) -> None:
        """``buffers[i + 1]`` (rows, n_{i+1}) <- layer i's inference output from
        ``buffers[i]`` for every ``i < stop``: its product (from ``i = first`` on), then its
        affine map and activation (``affine``: :meth:`inference_affines`); ``after_first()``,
        if given, between the first layer's product and its affine map."""
        for i in range(stop):
            a = buffers[i + 1]
            if i >= first:
                np.matmul(buffers[i], self.coefs[i], out=a)
            if i == 0 and after_first is not None:
                after_first()
            scale, shift = affine[i]
            if scale is not None:
                a *= scale
            kernels.bias_activation(a, shift, self._activation(i))

    def inference_affines(self) -> list[tuple[np.ndarray | None, np.ndarray]]:
        """Per weight layer, what follows its product at inference: (scale or None, shift),
        the bias alone for a layer without batch norm (see :func:`batchnorm.inference_affine`)."""
        affines: list[tuple[np.ndarray | None, np.ndarray]] = []
        for i, bias in enumerate(self.intercepts):
            gamma = self.scales[i] if i < len(self.scales) else None
            if gamma is None:
                affines.append((None, bias))
            else:
                mean, var = self.running_means[i], self.running_vars[i]
                affines.append(batchnorm.inference_affine(gamma, bias, mean, var, self.epsilon))
        return affines

    def _activation(self, layer: int) -> Activation | None:
        """The activation after weight layer ``layer``; None for the linear output layer."""
        return self.hidden_activations[layer] if layer < len(self.hidden_activations) else None


def _plain(activation: Activation) -> dict | Activation:
    """``{"name", "params"}`` for an activation the registry gives back by name, else itself."""
    try:
        found = registry.get(activation.name, **activation.params)
    except ConfigError:
        return activation
    same = found is activation or (found == activation and activation.name == "leaky_relu")
    return {"name": activation.name, "params": dict(activation.params)} if same else activation


def _from_plain(spec: dict | Activation) -> Activation:
    """The activation :func:`_plain` stored."""
    return spec if isinstance(spec, Activation) else registry.get(spec["name"], **spec["params"])


def _buffer(buffers: list, i: int, like: np.ndarray) -> np.ndarray:
    """``buffers[i]``, made like ``like`` on first use."""
    if buffers[i] is None:
        buffers[i] = np.empty_like(like)
    return buffers[i]


def _matmul(a, b: np.ndarray, out: np.ndarray) -> None:
    """``out[...] = a @ b`` for a dense or SciPy sparse ``a`` and a dense ``b``."""
    if sparse.issparse(a):
        out[...] = a @ b
    else:
        np.matmul(a, b, out=out)


#: Bytes of activations (every layer's rows together) one chunk of :meth:`MLP.predict_raw`
#: may hold: about 1,600 rows of the 784-256-128-64-32-10 network in float32, enough for
#: the products to run at the speed of one whole-batch product, and within a 32 MiB L3.
PREDICT_BYTES = 8 << 20


def chunk_rows(n_rows: int, row_bytes: int, budget: int | None = None) -> int:
    """Rows per chunk for ``n_rows`` rows of ``row_bytes`` bytes each, at most ``budget``
    bytes (default :data:`PREDICT_BYTES`) a chunk and at least one row: the rows split into
    as few chunks as the budget allows, of equal size (so that no chunk is a small rest)."""
    budget = PREDICT_BYTES if budget is None else budget
    most = max(1, budget // max(1, row_bytes))
    n_chunks = max(1, -(-n_rows // most))
    return max(1, -(-n_rows // n_chunks))


def _layer_views(
    flat: np.ndarray, shapes: Sequence[tuple[int, int]], norm_sizes: Sequence[int] = ()
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray | None]]:
    """Split a flat vector into weight views (n_in, n_out), bias views (n_out,), then the
    batch-normalization scales (k,) of the layers with ``norm_sizes[i] = k > 0`` (else None)."""
    coefs, intercepts, offset = [], [], 0
    for fan_in, fan_out in shapes:
        coefs.append(flat[offset : offset + fan_in * fan_out].reshape(fan_in, fan_out))
        offset += fan_in * fan_out
    for _, fan_out in shapes:
        intercepts.append(flat[offset : offset + fan_out])
        offset += fan_out
    return coefs, intercepts, _vector_views(flat[offset:], norm_sizes)


def _vector_views(flat: np.ndarray, sizes: Sequence[int]) -> list[np.ndarray | None]:
    """Consecutive views of ``sizes[i]`` entries of ``flat``; None where a size is 0."""
    views, offset = [], 0
    for size in sizes:
        views.append(flat[offset : offset + size] if size else None)
        offset += size
    return views
