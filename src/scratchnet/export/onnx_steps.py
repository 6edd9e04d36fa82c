"""A fitted network as ONNX nodes, written through any :class:`Emitter`.

The network becomes a list of :class:`Step`, one per layer operation, in the order
``MLP.predict_raw`` applies them: ``dense`` (the weight product), ``batch_norm`` on a
batch-normalized hidden layer (its inference scale; its shift is folded into the bias, see
:func:`scratchnet.nn.batchnorm.inference_affine`), ``bias``, then the hidden layer's
``activation``. Each step kind has one emitter function in :data:`STEP_EMITTERS`: a new kind
of layer is a new step from :func:`network_steps` and one more entry there. The output head
(:mod:`~scratchnet.export.onnx_outputs`) turns the linear output into what the estimator
predicts. Dropout is absent: prediction never drops.

Two emitters write these nodes: :mod:`~scratchnet.export.onnx_model`'s (a standalone model
built with ``onnx.helper``) and :mod:`~scratchnet.export.skl2onnx_converter`'s (a step of a
scikit-learn pipeline converted by skl2onnx).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from scratchnet.errors import ExportError

#: Hidden-layer activation name -> ONNX operator (None: no node at all).
ONNX_ACTIVATIONS = {
    "relu": "Relu",
    "tanh": "Tanh",
    "sigmoid": "Sigmoid",
    "leaky_relu": "LeakyRelu",
    "identity": None,
}


class Emitter(Protocol):
    """Where nodes go. ``dtype`` is the graph's float type (float32 or float64)."""

    dtype: np.dtype

    def constant(self, hint: str, value: np.ndarray) -> str:
        """Add ``value`` as an initializer; return its name."""

    def node(self, op: str, inputs: list[str], hint: str, out: str | None = None, **attrs) -> str:
        """Add one node of ``op``; return its output's name (``out`` if given)."""


@dataclass(frozen=True)
class Step:
    """One operation of the network: its kind, its arrays and its settings."""

    kind: str
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    attrs: dict[str, Any] = field(default_factory=dict)


def network_steps(model: Any) -> list[Step]:
    """The layers of a fitted scratchnet estimator, input to linear output, as steps.

    Raises
    ------
    ExportError
        If a hidden activation has no ONNX operator (a registered activation of your own).
    """
    model._absorb_assigned_weights(model._ours())  # weights assigned to coefs_, as predict
    network = model.network_
    activations = network.hidden_activations
    steps = []
    for i, (coef, (scale, shift)) in enumerate(zip(network.coefs, network.inference_affines())):
        steps.append(Step("dense", {"coef": coef}))
        if scale is not None:
            steps.append(Step("batch_norm", {"scale": scale}))
        steps.append(Step("bias", {"intercept": shift}))
        if i < len(activations):
            steps.append(_activation_step(activations[i], i + 1))
    return steps


def _activation_step(activation: Any, layer: int) -> Step:
    if activation.name not in ONNX_ACTIVATIONS:
        raise ExportError(
            f"hidden layer {layer} uses activation {activation.name!r}, which ONNX has no "
            f"operator for; exportable activations: {', '.join(ONNX_ACTIVATIONS)}"
        )
    return Step("activation", attrs={"name": activation.name, **activation.params})


def _emit_dense(g: Emitter, x: str, step: Step) -> str:
    """``x @ coef``: (n, fan_in) -> (n, fan_out)."""
    coef = g.constant("coef", np.asarray(step.arrays["coef"], g.dtype))
    return g.node("MatMul", [x, coef], "matmul")


def _emit_batch_norm(g: Emitter, x: str, step: Step) -> str:
    """``x * scale``, batch normalization at inference (its shift is in the bias): (n, k)."""
    scale = g.constant("bn_scale", np.asarray(step.arrays["scale"], g.dtype))
    return g.node("Mul", [x, scale], "batch_norm")


def _emit_bias(g: Emitter, x: str, step: Step) -> str:
    """``x + intercept``: (n, k)."""
    intercept = g.constant("intercept", np.asarray(step.arrays["intercept"], g.dtype))
    return g.node("Add", [x, intercept], "dense")


def _emit_activation(g: Emitter, x: str, step: Step) -> str:
    op = ONNX_ACTIVATIONS[step.attrs["name"]]
    if op is None:
        return x
    attrs = {"alpha": float(step.attrs["slope"])} if op == "LeakyRelu" else {}
    return g.node(op, [x], step.attrs["name"], **attrs)


#: Step kind -> the function writing its nodes: ``emit(g, input_name, step) -> output_name``.
STEP_EMITTERS: dict[str, Callable[[Emitter, str, Step], str]] = {
    "dense": _emit_dense,
    "batch_norm": _emit_batch_norm,
    "bias": _emit_bias,
    "activation": _emit_activation,
}


def emit_network(g: Emitter, x: str, steps: list[Step]) -> str:
    """Write every step after input ``x``; return the name of the linear output."""
    for step in steps:
        x = STEP_EMITTERS[step.kind](g, x, step)
    return x
