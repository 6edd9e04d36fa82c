"""scikit-learn's ``MLPClassifier`` and ``MLPRegressor`` in a model file (the studies'
scikit-learn cells): the same container, header and checks as scratchnet's own estimators.
"""

from __future__ import annotations

from typing import Any

from scratchnet.persistence import layers
from scratchnet.persistence.archive import Archive, Expect
from scratchnet.persistence.common import (
    FORMAT,
    LEGACY_SKLEARN_FORMAT,
    MAX_LAYERS,
    MAX_UNITS,
    Invalid,
)
from scratchnet.persistence.estimator_params import json_params, with_params
from scratchnet.persistence.schema import AnyJSON, Int, ListOf, MapOf, OneOf, Record, Rule

#: Header name -> class name in ``sklearn.neural_network``.
CLASSES = {
    "sklearn.neural_network.MLPClassifier": "MLPClassifier",
    "sklearn.neural_network.MLPRegressor": "MLPRegressor",
}
ESTIMATORS = tuple(CLASSES)
CLASSIFIER = "sklearn.neural_network.MLPClassifier"

OUT_ACTIVATIONS = ("softmax", "logistic", "identity", "exp")
SCHEMA = Record(
    {**layers.COMMON_FIELDS, "out_activation": OneOf(*OUT_ACTIVATIONS)},
    optional=layers.OPTIONAL_FIELDS,
)


def _hidden_sizes(params: dict) -> Any:
    sizes = params.get("hidden_layer_sizes")
    return [sizes] if type(sizes) is int else sizes


def _output_fits(h: dict) -> bool:
    n_out, out = h["layer_sizes"][-1], h["out_activation"]
    if h["estimator"] != CLASSIFIER:
        return out == ("exp" if h["params"].get("loss") == "poisson" else "identity")
    return (out == "softmax" and n_out >= 3) or (out == "logistic" and n_out == 1)


RULES = [
    *layers.COMMON_RULES,
    Rule(
        "params['hidden_layer_sizes'] equals layer_sizes[1:-1]",
        ("params.hidden_layer_sizes", "layer_sizes"),
        lambda h: _hidden_sizes(h["params"]) == h["layer_sizes"][1:-1],
    ),
    Rule(
        "a regressor's output is identity (exp for loss='poisson'); a classifier's softmax "
        "(3 or more classes) or logistic (one output, 2 classes)",
        ("estimator", "out_activation", "layer_sizes", "params.loss"),
        _output_fits,
    ),
]

#: The header the scikit-learn cells wrote before they joined the one format (no version).
LEGACY_SCHEMA = Record(
    {
        "format": OneOf(LEGACY_SKLEARN_FORMAT),
        "class": OneOf(*CLASSES.values()),
        "params": MapOf(AnyJSON(), 128),
        "n_features_in": Int(1, MAX_UNITS),
        "n_outputs": Int(1, MAX_UNITS),
        "out_activation": OneOf(*OUT_ACTIVATIONS),
    }
)


def upgrade_legacy(header: dict, archive: Archive) -> dict:
    """A legacy scikit-learn header in today's form (version 1: no probe)."""
    LEGACY_SCHEMA.check(header, "header")
    hidden = _hidden_sizes(header["params"])
    ListOf(Int(1, MAX_UNITS), 0, MAX_LAYERS - 1).check(
        hidden, "header['params']['hidden_layer_sizes']"
    )
    coef = archive.members.get("coef_0")
    dtype = coef.dtype.name if coef is not None else "float64"
    return {
        "format": FORMAT,
        "version": 1,
        "estimator": f"sklearn.neural_network.{header['class']}",
        "layer_sizes": [header["n_features_in"], *hidden, header["n_outputs"]],
        "dtype": dtype if dtype in layers.FLOAT_DTYPES else "float64",
        "n_features_in": header["n_features_in"],
        "params": header["params"],
        "out_activation": header["out_activation"],
    }


def name_of(model: Any) -> str | None:
    """The header name of ``model``'s class, if it is scikit-learn's own MLP."""
    cls = type(model)
    name = f"{cls.__module__.split('._')[0]}.{cls.__name__}"
    return name if name in CLASSES else None


def header(model: Any) -> dict:
    """The header fields of a fitted scikit-learn MLP (format and version aside)."""
    if getattr(getattr(model, "_label_binarizer", None), "y_type_", "") == "multilabel-indicator":
        raise Invalid("a multilabel MLPClassifier cannot be saved in a model file")
    sizes = [int(model.coefs_[0].shape[0])] + [int(c.shape[1]) for c in model.coefs_]
    return {
        "estimator": name_of(model),
        "layer_sizes": sizes,
        "dtype": model.coefs_[0].dtype.name,
        "n_features_in": int(model.n_features_in_),
        "params": json_params(model),
        "out_activation": model.out_activation_,
        **layers.common_header(model),
    }


#: Weights, biases and (classifier) classes of a fitted model.
arrays = layers.arrays


def probe_width(header: dict) -> int:
    """Columns of the probe's predictions: one per class (2 for a binary one) or output."""
    n_out = header["layer_sizes"][-1]
    return 2 if header["estimator"] == CLASSIFIER and n_out == 1 else n_out


def plan(header: dict) -> dict[str, Expect]:
    """Every array the header implies, with its dtype and shape."""
    expected = layers.layer_plan(header)
    if header["estimator"] == CLASSIFIER:
        expected.update(layers.classes_plan(probe_width(header)))
    return expected


def build(header: dict, archive: Archive) -> Any:
    """The fitted scikit-learn MLP the (checked) header and archive describe."""
    from sklearn import neural_network
    from sklearn.preprocessing import LabelBinarizer

    model = with_params(getattr(neural_network, CLASSES[header["estimator"]]), header["params"])
    n_layers = len(header["layer_sizes"]) - 1
    model.coefs_ = [archive.read(f"coef_{i}") for i in range(n_layers)]
    model.intercepts_ = [archive.read(f"intercept_{i}") for i in range(n_layers)]
    for i in range(n_layers):
        layers.check_finite(f"coef_{i}", model.coefs_[i])
        layers.check_finite(f"intercept_{i}", model.intercepts_[i])
    model.n_features_in_ = header["n_features_in"]
    layers.set_common(model, header)
    model.n_outputs_ = header["layer_sizes"][-1]
    model.n_layers_ = n_layers + 1
    model.out_activation_ = header["out_activation"]
    if header["estimator"] == CLASSIFIER:
        model.classes_ = layers.read_classes(archive)
        try:
            model._label_binarizer = LabelBinarizer().fit(model.classes_)
        except ValueError as exc:
            raise Invalid(f"array 'classes' does not hold class labels: {exc}") from None
    return model
