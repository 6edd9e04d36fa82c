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
        "batch_norm": ListOf(Bool(), 0, MAX_LAYERS),  # per hidden layer; absent: none
    },
    optional=layers.OPTIONAL_FIELDS | {"out_activation", "batch_norm"},  # version 1: no such
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
    Rule(
        "batch_norm has one flag per hidden layer, len(layer_sizes) - 2",
        ("batch_norm", "layer_sizes"),
        lambda h: len(h.get("batch_norm", [])) in (0, len(h["layer_sizes"]) - 2),
    ),
]


def _normalized(h: dict) -> list[bool]:
    """Per hidden layer: batch-normalized (a file without the field has none)."""
    return h.get("batch_norm") or [False] * (len(h["layer_sizes"]) - 2)


def _settings_normalize(r: dict) -> bool:
    try:
        from scratchnet.estimators import _BaseNetwork

        flags = _BaseNetwork._per_hidden_layer(
            "batch_norm", len(r["layer_sizes"]) - 2, r["settings"], bool
        )
    except (ConfigError, TypeError, ValueError):
        return False
    return flags == _normalized(r)


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
        "the batch_norm the parameters set equals batch_norm",
        ("settings.batch_norm", "batch_norm"),
        _settings_normalize,
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
        **({"batch_norm": list(network.batch_norm)} if network.normalizes else {}),
        **layers.common_header(model),
    }


def arrays(model: Any) -> dict[str, np.ndarray]:
    """Weights, biases, (classifier) classes, and each batch-normalized hidden layer i's
    ``scale_<i>``, ``running_mean_<i>`` and ``running_var_<i>``."""
    out = layers.arrays(model)
    network = model.network_
    for i, scale in enumerate(network.scales):
        if scale is not None:
            out[f"scale_{i}"] = scale
            out[f"running_mean_{i}"] = network.running_means[i]
            out[f"running_var_{i}"] = network.running_vars[i]
    return out


def _normalization_plan(header: dict) -> dict[str, Expect]:
    plan = {}
    for i, normalized in enumerate(_normalized(header)):
        if normalized:
            for name in ("scale", "running_mean", "running_var"):
                plan[f"{name}_{i}"] = Expect((header["layer_sizes"][i + 1],), header["dtype"])
    return plan


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
    expected = {**layers.layer_plan(header), **_normalization_plan(header)}
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
    epsilon = model._ours().get("batch_norm_epsilon", 1e-5)
    network = MLP(header["layer_sizes"], hidden, header["dtype"], _normalized(header), epsilon)
    _read_network(network, archive)
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


def _read_network(network: Any, archive: Archive) -> None:
    """Fill ``network``'s arrays from the archive, refusing non-finite values and negative
    running variances."""
    targets = {f"coef_{i}": coef for i, coef in enumerate(network.coefs)}
    targets.update({f"intercept_{i}": b for i, b in enumerate(network.intercepts)})
    for i, scale in enumerate(network.scales):
        if scale is not None:
            targets[f"scale_{i}"] = scale
            targets[f"running_mean_{i}"] = network.running_means[i]
            targets[f"running_var_{i}"] = network.running_vars[i]
    for name, target in targets.items():
        layers.check_finite(name, archive.read(name, out=target))
        if name.startswith("running_var_") and (target < 0).any():
            raise Invalid(f"array {name!r} holds negative variances")
