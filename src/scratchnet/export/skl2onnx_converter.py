"""scratchnet's estimators as skl2onnx operators, so that whole pipelines convert.

After :func:`register_skl2onnx` (which :func:`scratchnet.export.to_onnx` does not need),
``skl2onnx.to_onnx(Pipeline([..., NeuralNetwork(...)]), X[:1])`` converts the pipeline: each
estimator class gets an alias, a parser (a classifier declares ``label`` and
``probabilities``, as plain tensors: there is no ZipMap, and the option ``zipmap=False`` is
accepted as a no-op while ``True`` is refused), a shape calculator and a converter
writing the nodes of :mod:`~scratchnet.export.onnx_steps` and
:mod:`~scratchnet.export.onnx_outputs`. The graph's float type follows the operator's input
(float32, or float64 for a double input).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchnet.export import onnx_outputs, onnx_steps
from scratchnet.export.extras import require
from scratchnet.export.onnx_model import check_exportable

#: (module, class) -> skl2onnx alias.
ALIASES = {
    ("scratchnet.estimators", "NeuralNetwork"): "ScratchnetNeuralNetwork",
    ("scratchnet.estimators", "NeuralNetworkRegressor"): "ScratchnetNeuralNetworkRegressor",
    ("scratchnet.sklearn", "MLPClassifier"): "ScratchnetMLPClassifier",
    ("scratchnet.sklearn", "MLPRegressor"): "ScratchnetMLPRegressor",
}


class ContainerGraph:
    """An :class:`~scratchnet.export.onnx_steps.Emitter` writing into skl2onnx's container."""

    def __init__(self, scope: Any, container: Any, dtype: np.dtype) -> None:
        self.dtype = np.dtype(dtype)
        self._scope, self._container = scope, container

    def constant(self, hint: str, value: np.ndarray) -> str:
        """Add ``value`` as an initializer; return its (unique) name."""
        onnx = require("onnx", "onnx")
        name = self._scope.get_unique_variable_name(hint)
        if value.dtype == object:
            texts = [str(v).encode() for v in value]
            self._container.add_initializer(name, onnx.TensorProto.STRING, list(value.shape), texts)
        else:
            tensor = onnx.numpy_helper.from_array(np.ascontiguousarray(value), name)
            self._container.add_initializer(name, tensor.data_type, list(value.shape), tensor)
        return name

    def node(self, op: str, inputs: list[str], hint: str, out: str | None = None, **attrs) -> str:
        """Add one node; return its output's name."""
        out = out or self._scope.get_unique_variable_name(hint)
        name = self._scope.get_unique_operator_name(f"Scratchnet{op}")
        self._container.add_node(op, inputs, [out], name=name, **attrs)
        return out


def _graph_dtype(operator: Any) -> np.dtype:
    """float64 for a double input, else float32."""
    types = require("skl2onnx.common.data_types", "onnx")
    return np.dtype(
        np.float64 if isinstance(operator.inputs[0].type, types.DoubleTensorType) else np.float32
    )


def convert(scope: Any, operator: Any, container: Any) -> None:
    """skl2onnx converter: the network and its head, from the operator's one input."""
    model = operator.raw_operator
    graph = ContainerGraph(scope, container, _graph_dtype(operator))
    z = onnx_steps.emit_network(
        graph, operator.inputs[0].full_name, onnx_steps.network_steps(model)
    )
    kinds = (
        onnx_outputs.CLASSIFIER_OUTPUTS
        if onnx_outputs.is_classifier(model)
        else onnx_outputs.REGRESSOR_OUTPUTS
    )
    names = {kind: var.full_name for kind, var in zip(kinds, operator.outputs)}
    onnx_outputs.emit_outputs(graph, z, model, names)


def parse_classifier(scope: Any, model: Any, inputs: list, custom_parsers: Any = None) -> list:
    """skl2onnx parser: one operator with outputs ``label`` and ``probabilities``."""
    skl2onnx = require("skl2onnx", "onnx")
    types = require("skl2onnx.common.data_types", "onnx")
    operator = scope.declare_local_operator(skl2onnx.get_model_alias(type(model)), model)
    operator.inputs = inputs
    operator.outputs.append(scope.declare_local_variable("label", types.Int64TensorType()))
    operator.outputs.append(scope.declare_local_variable("probabilities", types.FloatTensorType()))
    return operator.outputs


def classifier_shapes(operator: Any) -> None:
    """skl2onnx shape calculator: label (n,) or (n, k) multilabel, probabilities (n, k)."""
    types = require("skl2onnx.common.data_types", "onnx")
    model = operator.raw_operator
    check_exportable(model)
    n = operator.inputs[0].get_first_dimension()
    label_type = _label_type(onnx_outputs.label_array(model).dtype, types)
    multilabel = onnx_outputs.is_multilabel(model)
    operator.outputs[0].type = label_type([n, model.n_outputs_] if multilabel else [n])
    operator.outputs[1].type = _float_type(operator)([n, len(model.classes_)])


def _label_type(dtype: np.dtype, types: Any) -> type:
    """The skl2onnx tensor type of labels of ``dtype`` (object: text)."""
    if dtype.kind == "O":
        return types.StringTensorType
    if dtype.kind == "f":
        return types.DoubleTensorType if dtype.itemsize == 8 else types.FloatTensorType
    return types.Int64TensorType


def regressor_shapes(operator: Any) -> None:
    """skl2onnx shape calculator: variable (n, n_outputs), of the input's float type."""
    model = operator.raw_operator
    check_exportable(model)
    n = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = _float_type(operator)([n, int(model.n_outputs_)])


def _float_type(operator: Any) -> type:
    """The skl2onnx tensor type of the graph's floats: Double for a double input."""
    types = require("skl2onnx.common.data_types", "onnx")
    double = _graph_dtype(operator) == np.float64
    return types.DoubleTensorType if double else types.FloatTensorType


def register_skl2onnx() -> None:
    """Register scratchnet's four estimators with skl2onnx (idempotent).

    Raises
    ------
    MissingExtraError
        If skl2onnx is not installed (the ``onnx`` extra).
    """
    import importlib

    skl2onnx = require("skl2onnx", "onnx")
    for (module, name), alias in ALIASES.items():
        cls = getattr(importlib.import_module(module), name)
        classifier = "Regressor" not in name
        skl2onnx.update_registered_converter(
            cls,
            alias,
            classifier_shapes if classifier else regressor_shapes,
            convert,
            parser=parse_classifier if classifier else None,
            options={"zipmap": [False]} if classifier else None,
        )
