"""``to_onnx``: a fitted scratchnet estimator as a standalone ONNX model (needs ``onnx`` only).

The graph has one input ``X`` (n, n_features) of the model's compute dtype (float32 unless
the model was trained in float64) and the outputs of
:mod:`~scratchnet.export.onnx_outputs`: ``label`` and ``probabilities`` for a classifier,
``variable`` for a regressor. It uses the default ONNX domain only, at opset
:data:`OPSET`, so any ONNX runtime runs it.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from scratchnet.errors import ExportError
from scratchnet.export import onnx_outputs, onnx_steps
from scratchnet.export.extras import require
from scratchnet.fileio import atomic_path

OPSET = 17
#: Model classes ``to_onnx`` converts (scikit-learn's own MLPs: use skl2onnx).
EXPORTABLE = (
    "scratchnet.estimators.NeuralNetwork",
    "scratchnet.estimators.NeuralNetworkRegressor",
    "scratchnet.sklearn.MLPClassifier",
    "scratchnet.sklearn.MLPRegressor",
)


class HelperGraph:
    """An :class:`~scratchnet.export.onnx_steps.Emitter` collecting ``onnx.helper`` nodes."""

    def __init__(self, dtype: np.dtype) -> None:
        self.dtype = np.dtype(dtype)
        self.nodes: list = []
        self.initializers: list = []
        self._count = 0
        self._onnx = require("onnx", "onnx")

    def _name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def constant(self, hint: str, value: np.ndarray) -> str:
        """Add ``value`` as an initializer; return its name."""
        name = self._name(hint)
        self.initializers.append(self._onnx.numpy_helper.from_array(value, name))
        return name

    def node(self, op: str, inputs: list[str], hint: str, out: str | None = None, **attrs) -> str:
        """Add one node; return its output's name."""
        out = out or self._name(hint)
        self.nodes.append(
            self._onnx.helper.make_node(op, inputs, [out], name=self._name(op), **attrs)
        )
        return out


def check_exportable(model: Any) -> None:
    """Raise unless ``model`` is a fitted scratchnet estimator (one line, naming its class)."""
    from sklearn.utils.validation import check_is_fitted

    cls = type(model)
    if f"{cls.__module__}.{cls.__name__}" not in EXPORTABLE:
        raise ExportError(
            f"to_onnx converts {', '.join(EXPORTABLE)}, not {cls.__module__}.{cls.__name__}"
        )
    check_is_fitted(model)


def to_onnx(model: Any, path: str | os.PathLike[str] | None = None, *, name: str = "scratchnet"):
    """The ONNX model of a fitted estimator; also written to ``path`` (atomically) if given.

    Parameters
    ----------
    model : fitted ``NeuralNetwork``, ``NeuralNetworkRegressor`` or a drop-in of
        ``scratchnet.sklearn``
    path : path-like, optional
    name : str
        The graph's name.

    Returns
    -------
    onnx.ModelProto
        Input ``X`` (n, n_features); outputs ``label`` (n,) and ``probabilities``
        (n, n_classes), or ``variable`` (n, n_outputs).

    Raises
    ------
    ExportError
        For another model class or an activation ONNX has no operator for.
    MissingExtraError
        If ``onnx`` is not installed (the ``onnx`` extra).
    """
    check_exportable(model)
    onnx = require("onnx", "onnx")
    graph = HelperGraph(model.network_.dtype)
    z = onnx_steps.emit_network(graph, "X", onnx_steps.network_steps(model))
    outputs = _output_names(model)
    onnx_outputs.emit_outputs(graph, z, model, {out: out for out in outputs})
    proto = onnx.helper.make_model(
        onnx.helper.make_graph(
            graph.nodes,
            name,
            [_input_info(onnx, model)],
            _output_infos(onnx, model),
            graph.initializers,
        ),
        opset_imports=[onnx.helper.make_opsetid("", OPSET)],
        producer_name="scratchnet",
    )
    onnx.checker.check_model(proto)
    if path is not None:
        save_onnx(proto, path)
    return proto


def save_onnx(proto: Any, path: str | os.PathLike[str]) -> None:
    """Write ``proto`` to ``path`` atomically (temp file, fsync, rename)."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(proto.SerializeToString())


def _output_names(model: Any) -> tuple[str, ...]:
    if onnx_outputs.is_classifier(model):
        return onnx_outputs.CLASSIFIER_OUTPUTS
    return onnx_outputs.REGRESSOR_OUTPUTS


def _input_info(onnx: Any, model: Any) -> Any:
    elem = onnx.helper.np_dtype_to_tensor_dtype(model.network_.dtype)
    return onnx.helper.make_tensor_value_info("X", elem, [None, int(model.n_features_in_)])


def _output_infos(onnx: Any, model: Any) -> list:
    """Value infos of the outputs: element type and shape, ``None`` for the batch size."""
    float_type = onnx.helper.np_dtype_to_tensor_dtype(model.network_.dtype)
    n_out = int(model.n_outputs_)
    if not onnx_outputs.is_classifier(model):
        return [onnx.helper.make_tensor_value_info("variable", float_type, [None, n_out])]
    labels = onnx_outputs.label_array(model)
    if onnx_outputs.is_multilabel(model):
        label = onnx.helper.make_tensor_value_info("label", onnx.TensorProto.INT64, [None, n_out])
    else:
        elem = (
            onnx.TensorProto.STRING
            if labels.dtype == object
            else onnx.helper.np_dtype_to_tensor_dtype(labels.dtype)
        )
        label = onnx.helper.make_tensor_value_info("label", elem, [None])
    width = len(model.classes_)
    proba = onnx.helper.make_tensor_value_info("probabilities", float_type, [None, width])
    return [label, proba]
