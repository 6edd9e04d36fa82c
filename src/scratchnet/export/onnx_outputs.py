"""The output head in ONNX: from the network's linear output to what the estimator predicts.

A classifier gives ``label`` (what ``predict`` returns) and ``probabilities`` (what
``predict_proba`` returns); a regressor gives ``variable`` (what ``predict`` returns, always
2-D: (n, n_outputs), as skl2onnx's regressors do).

=====================  ===============================  =====================================
``out_activation_``    probabilities                    label
=====================  ===============================  =====================================
softmax                ``Softmax(z)`` (n, k)            ``classes_[ArgMax(z)]`` (n,)
logistic, 1 output     ``[1 - s, s]``, s = Sigmoid(z)   ``classes_[z > 0]`` (n,)
logistic, k outputs    ``Sigmoid(z)`` (n, k)            ``int64(z > 0)`` (n, k): multilabel
identity / exp         (regressor) ``z`` / ``Exp(z)``
=====================  ===============================  =====================================
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchnet.export.onnx_steps import Emitter

CLASSIFIER_OUTPUTS = ("label", "probabilities")
REGRESSOR_OUTPUTS = ("variable",)


def is_classifier(model: Any) -> bool:
    """True for a fitted classifier (it has ``classes_``)."""
    return hasattr(model, "classes_")


def is_multilabel(model: Any) -> bool:
    """True for a classifier fitted on a label indicator matrix."""
    return model.out_activation_ == "logistic" and model.n_outputs_ > 1


def label_array(model: Any) -> np.ndarray:
    """``classes_`` as the label tensor holds them: int64, float, or text (object)."""
    classes = np.asarray(model.classes_)
    if classes.dtype.kind in "biu":
        return classes.astype(np.int64)
    if classes.dtype.kind == "f":
        return classes
    return np.array([str(c) for c in classes], dtype=object)


def emit_outputs(g: Emitter, z: str, model: Any, names: dict[str, str]) -> None:
    """Write the head of ``model`` after linear output ``z`` (n, n_outputs).

    ``names`` maps each of :data:`CLASSIFIER_OUTPUTS` or :data:`REGRESSOR_OUTPUTS` to the
    graph output it must fill.
    """
    if not is_classifier(model):
        op = "Exp" if model.out_activation_ == "exp" else "Identity"
        g.node(op, [z], "prediction", out=names["variable"])
    elif model.out_activation_ == "softmax":
        g.node("Softmax", [z], "softmax", out=names["probabilities"], axis=1)
        index = g.node("ArgMax", [z], "argmax", axis=1, keepdims=0)
        _gather_labels(g, index, model, names["label"])
    elif is_multilabel(model):
        g.node("Sigmoid", [z], "sigmoid", out=names["probabilities"])
        positive = g.node("Greater", [z, g.constant("zero", np.zeros(1, g.dtype))], "positive")
        g.node("Cast", [positive], "label", out=names["label"], to=7)  # 7: int64
    else:
        _binary_logistic(g, z, model, names)


def _binary_logistic(g: Emitter, z: str, model: Any, names: dict[str, str]) -> None:
    """One sigmoid unit (n, 1) for two classes: probabilities [1 - p, p], label by sign."""
    p = g.node("Sigmoid", [z], "sigmoid")
    q = g.node("Sub", [g.constant("one", np.ones(1, g.dtype)), p], "complement")
    g.node("Concat", [q, p], "proba", out=names["probabilities"], axis=1)
    positive = g.node("Greater", [z, g.constant("zero", np.zeros(1, g.dtype))], "positive")
    index = g.node("Cast", [positive], "index", to=7)
    flat = g.node("Reshape", [index, g.constant("flat", np.array([-1], np.int64))], "index")
    _gather_labels(g, flat, model, names["label"])


def _gather_labels(g: Emitter, index: str, model: Any, out: str) -> None:
    """``classes_[index]`` for int64 indices (n,) into ``out`` (n,)."""
    classes = g.constant("classes", label_array(model))
    g.node("Gather", [classes, index], "label", out=out, axis=0)
