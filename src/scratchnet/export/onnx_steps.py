"""A fitted network as ONNX nodes, written through any :class:`Emitter`.

The network becomes a list of :class:`Step` (one per layer operation: ``dense``, then the
hidden layer's ``activation``), and each step kind has one emitter function in
:data:`STEP_EMITTERS`: a new kind of layer (batch normalization, say) is a new step from
:func:`network_steps` and one more entry there. The output head (:func:`emit_outputs`) turns
the linear output into what the estimator predicts. Dropout is absent: prediction never drops.

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
    activations = model.network_.hidden_activations
    steps = []
    for i, (coef, intercept) in enumerate(zip(model.coefs_, model.intercepts_)):
        steps.append(Step("dense", {"coef": coef, "intercept": intercept}))
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
    """``x @ coef + intercept``: (n, fan_in) -> (n, fan_out)."""
    coef = g.constant("coef", np.asarray(step.arrays["coef"], g.dtype))
    intercept = g.constant("intercept", np.asarray(step.arrays["intercept"], g.dtype))
    return g.node("Add", [g.node("MatMul", [x, coef], "matmul"), intercept], "dense")


def _emit_activation(g: Emitter, x: str, step: Step) -> str:
    op = ONNX_ACTIVATIONS[step.attrs["name"]]
    if op is None:
        return x
    attrs = {"alpha": float(step.attrs["slope"])} if op == "LeakyRelu" else {}
    return g.node(op, [x], step.attrs["name"], **attrs)


#: Step kind -> the function writing its nodes: ``emit(g, input_name, step) -> output_name``.
STEP_EMITTERS: dict[str, Callable[[Emitter, str, Step], str]] = {
    "dense": _emit_dense,
    "activation": _emit_activation,
}


def emit_network(g: Emitter, x: str, steps: list[Step]) -> str:
    """Write every step after input ``x``; return the name of the linear output."""
    for step in steps:
        x = STEP_EMITTERS[step.kind](g, x, step)
    return x
