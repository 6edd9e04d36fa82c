"""scratchnet's estimators in a model file: ``NeuralNetwork``, ``NeuralNetworkRegressor`` and
the scikit-learn-named ``scratchnet.sklearn.MLPClassifier``/``MLPRegressor``."""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from scratchnet.errors import ConfigError
from scratchnet.nn import activations as registry
from scratchnet.persistence import layers
from scratchnet.persistence.archive import Archive, Expect
from scratchnet.persistence.common import MAX_EPOCHS, MAX_LAYERS, Invalid
from scratchnet.persistence.estimator_params import json_params, with_params
from scratchnet.persistence.schema import (
    Bool,
    Float,
    Int,
    ListOf,
    MapOf,
    OneOf,
    Record,
    Rule,
    Text,
    check_rules,
)

#: Header name -> (module, class).
CLASSES = {
    "NeuralNetwork": ("scratchnet.estimators", "NeuralNetwork"),
    "NeuralNetworkRegressor": ("scratchnet.estimators", "NeuralNetworkRegressor"),
    "scratchnet.sklearn.MLPClassifier": ("scratchnet.sklearn", "MLPClassifier"),
    "scratchnet.sklearn.MLPRegressor": ("scratchnet.sklearn", "MLPRegressor"),
}
ESTIMATORS = tuple(CLASSES)
CLASSIFIERS = ("NeuralNetwork", "scratchnet.sklearn.MLPClassifier")
OUT_ACTIVATIONS = ("softmax", "logistic", "identity", "exp")

SCHEMA = Record(
    {
        **layers.COMMON_FIELDS,
        "activations": ListOf(
            Record({"name": Text(64), "params": MapOf(Float(), 4)}),  # a registered name too
            0,
            MAX_LAYERS,
        ),
        "out_activation": OneOf(*OUT_ACTIVATIONS),
        "y_was_1d": Bool(),
        "history": MapOf(ListOf(Float(), 0, MAX_EPOCHS), 32),
        "n_iter": Int(0, MAX_EPOCHS),
        "best_epoch": Int(0, MAX_EPOCHS),
    },
    optional=layers.OPTIONAL_FIELDS | {"out_activation"},  # version 1: the default output
)


def _out(h: dict) -> str:
    default = "softmax" if h["estimator"] in CLASSIFIERS else "identity"
    return h.get("out_activation", default)


def _output_fits(h: dict) -> bool:
    n_out, out = h["layer_sizes"][-1], _out(h)
    if h["estimator"] not in CLASSIFIERS:
        return out in ("identity", "exp")
    return (out == "softmax" and n_out >= 2) or out == "logistic"


RULES = [
    *layers.COMMON_RULES,
    Rule(
        "activations has one entry per hidden layer, len(layer_sizes) - 2",
        ("activations", "layer_sizes"),
        lambda h: len(h["activations"]) == len(h["layer_sizes"]) - 2,
    ),
    Rule(
        "version 2 names out_activation",
        ("version",),
        lambda h: h["version"] == 1 or "out_activation" in h,
    ),
    Rule(
        "a classifier's output is softmax (2 or more units) or logistic; a regressor's "
        "identity or exp",
        ("estimator", "out_activation", "layer_sizes"),
        _output_fits,
    ),
    Rule(
        "a regressor fitted on a 1-D target has one output",
        ("y_was_1d", "layer_sizes"),
        lambda h: h["estimator"] in CLASSIFIERS or not h["y_was_1d"] or h["layer_sizes"][-1] == 1,
    ),
    Rule(
        "history['loss'] has an entry per epoch run, n_iter >= 1 of them",
        ("n_iter", "history"),
        lambda h: 1 <= len(h["history"].get("loss", [])) <= h["n_iter"] or h["version"] == 1,
    ),
    Rule(
        "best_epoch <= n_iter", ("best_epoch", "n_iter"), lambda h: h["best_epoch"] <= h["n_iter"]
    ),
]


def _names(spec: Any) -> list[str] | None:
    """Activation names of an ``activations`` setting (a name or a list), None if unreadable."""
    try:
        items = [spec] if isinstance(spec, str) else list(spec)
        return [registry.get(item).name for item in items]
    except (ConfigError, TypeError, AttributeError, ValueError):
        return None


def _activations_agree(r: dict) -> bool:
    names = [spec["name"] for spec in r["activations"]]
    given = r["settings"].get("activations")
    canonical = _names(given)
    if isinstance(given, str) and canonical is not None:
        canonical = canonical * len(names)
    return canonical == names


def _dtype_name(value: Any) -> str | None:
    try:
        return None if value is None else np.dtype(value).name
    except TypeError:
        return "unknown"


#: Rules between the header and the estimator's own settings built from ``params``.
SETTINGS_RULES = [
    Rule(
        "the layers the parameters set equal layer_sizes",
        ("settings.layers", "settings.hidden", "layer_sizes"),
        lambda r: (
            r["settings"].get("layers") in (None, r["layer_sizes"])
            and r["settings"].get("hidden") in (None, r["layer_sizes"][1:-1])
        ),
    ),
    Rule(
        "the dtype the parameters set equals dtype",
        ("settings.dtype", "dtype"),
        lambda r: _dtype_name(r["settings"].get("dtype")) in (None, r["dtype"]),
    ),
    Rule(
        "the activations the parameters set name the hidden layers' activations",
        ("settings.activations", "activations"),
        _activations_agree,
    ),
    Rule(
        "loss='poisson' and out_activation 'exp' go together",
        ("settings.loss", "out_activation"),
        lambda r: (r["settings"].get("loss") == "poisson") == (_out(r) == "exp"),
    ),
]


def name_of(model: Any) -> str | None:
    """The header name of ``model``'s class, if it is one of these estimators."""
    cls = type(model)
    for name, (module, attr) in CLASSES.items():
        if cls.__module__ == module and cls.__name__ == attr:
            return name
    return None


def header(model: Any) -> dict:
    """The header fields of a fitted scratchnet estimator (format and version aside)."""
    network = model.network_
    params = json_params(model)
    if "activations" in model.get_params() and "activations" not in params:
        params["activations"] = [act.name for act in network.hidden_activations]
    return {
        "estimator": name_of(model),
        "layer_sizes": network.layer_sizes,
        "dtype": network.dtype.name,
        "activations": [
            {"name": act.name, "params": act.params} for act in network.hidden_activations
        ],
        "out_activation": model.out_activation_,
        "params": params,
        "n_features_in": int(model.n_features_in_),
        "y_was_1d": bool(getattr(model, "_y_was_1d", True)),
        "history": model.history_,
        "n_iter": int(model.n_iter_),
        "best_epoch": int(model.best_epoch_),
        **layers.common_header(model),
    }


#: Weights, biases and (classifier) classes of a fitted model.
arrays = layers.arrays


def probe_width(header: dict) -> int:
    """Columns of ``predict_proba``/``predict``: 2 for one logistic unit, else the outputs."""
    n_out = header["layer_sizes"][-1]
    return (
        2
        if header["estimator"] in CLASSIFIERS and _out(header) == "logistic" and n_out == 1
        else n_out
    )


def plan(header: dict) -> dict[str, Expect]:
    """Every array the header implies, with its dtype and shape."""
    expected = layers.layer_plan(header)
    if header["estimator"] in CLASSIFIERS:
        expected.update(layers.classes_plan(probe_width(header)))
    return expected


def build(header: dict, archive: Archive) -> Any:
    """The fitted estimator the (checked) header and archive describe."""
    from scratchnet.estimators import _set_sklearn_attributes
    from scratchnet.nn.network import MLP

    module, attr = CLASSES[header["estimator"]]
    try:
        hidden = [registry.get(a["name"], **a["params"]) for a in header["activations"]]
    except (ConfigError, TypeError) as exc:
        raise Invalid(
            f"header['activations'] is not valid: {exc} (a model of your own activation loads "
            f"where it is registered: scratchnet.nn.activations.register)"
        ) from None
    model = with_params(getattr(importlib.import_module(module), attr), header["params"])
    check_rules({**header, "settings": model._ours()}, SETTINGS_RULES, "header['params']")
    network = MLP(header["layer_sizes"], hidden, header["dtype"])
    for i in range(network.n_layers):
        layers.check_finite(f"coef_{i}", archive.read(f"coef_{i}", out=network.coefs[i]))
        layers.check_finite(f"intercept_{i}", archive.read(f"intercept_{i}", network.intercepts[i]))
    model.network_ = network
    model.n_features_in_ = header["n_features_in"]
    layers.set_common(model, header)
    model.history_ = {key: list(values) for key, values in header["history"].items()}
    model.history_.setdefault("loss", [])
    model.n_iter_ = header["n_iter"]
    model.out_activation_ = _out(header)
    model.n_outputs_ = header["layer_sizes"][-1]
    if header["estimator"] in CLASSIFIERS:
        model.classes_ = layers.read_classes(archive)
    else:
        model._y_was_1d = header["y_was_1d"]
    if model.history_["loss"]:
        _set_sklearn_attributes(model)
    model.best_epoch_ = header["best_epoch"]
    return model
