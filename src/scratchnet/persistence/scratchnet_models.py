"""``NeuralNetwork`` and ``NeuralNetworkRegressor`` in a model file: header, arrays, rebuild."""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchnet.errors import ConfigError
from scratchnet.nn import activations as registry
from scratchnet.persistence import layers
from scratchnet.persistence.archive import Archive, Expect
from scratchnet.persistence.common import MAX_EPOCHS, MAX_LAYERS, Invalid
from scratchnet.persistence.estimator_params import json_params, with_params
from scratchnet.persistence.schema import Bool, Float, Int, ListOf, MapOf, OneOf, Record, Rule

ESTIMATORS = ("NeuralNetwork", "NeuralNetworkRegressor")

SCHEMA = Record(
    {
        **layers.COMMON_FIELDS,
        "activations": ListOf(
            Record({"name": OneOf(*registry.ACTIVATIONS), "params": MapOf(Float(), 4)}),
            0,
            MAX_LAYERS,
        ),
        "y_was_1d": Bool(),
        "history": MapOf(ListOf(Float(), 0, MAX_EPOCHS), 32),
        "n_iter": Int(0, MAX_EPOCHS),
        "best_epoch": Int(0, MAX_EPOCHS),
    }
)


def _canonical(spec: Any) -> list[str] | None:
    """Activation names of ``params['activations']`` (a name or a list), None if unreadable."""
    try:
        items = [spec] if isinstance(spec, str) else list(spec)
        return [registry.get(item).name for item in items]
    except (ConfigError, TypeError, AttributeError):
        return None


def _activations_agree(h: dict) -> bool:
    names = [spec["name"] for spec in h["activations"]]
    given = h["params"].get("activations", names)
    canonical = _canonical(given)
    if isinstance(given, str) and canonical is not None:
        canonical = canonical * len(names)
    return canonical == names


RULES = [
    *layers.COMMON_RULES,
    Rule(
        "activations has one entry per hidden layer, len(layer_sizes) - 2",
        ("activations", "layer_sizes"),
        lambda h: len(h["activations"]) == len(h["layer_sizes"]) - 2,
    ),
    Rule(
        "best_epoch <= n_iter", ("best_epoch", "n_iter"), lambda h: h["best_epoch"] <= h["n_iter"]
    ),
    Rule(
        "a NeuralNetwork has 2 or more outputs",
        ("estimator", "layer_sizes"),
        lambda h: h["estimator"] != "NeuralNetwork" or h["layer_sizes"][-1] >= 2,
    ),
    Rule(
        "a regressor fitted on a 1-D target has one output",
        ("y_was_1d", "layer_sizes"),
        lambda h: (
            h["estimator"] == "NeuralNetwork" or not h["y_was_1d"] or h["layer_sizes"][-1] == 1
        ),
    ),
    Rule(
        "params['layers'] is null or equals layer_sizes",
        ("params.layers", "layer_sizes"),
        lambda h: h["params"].get("layers") in (None, h["layer_sizes"]),
    ),
    Rule(
        "params['dtype'] equals dtype",
        ("params.dtype", "dtype"),
        lambda h: h["params"].get("dtype", h["dtype"]) == h["dtype"],
    ),
    Rule(
        "params['activations'] names the activations of the hidden layers",
        ("params.activations", "activations"),
        _activations_agree,
    ),
]


def handles(model: Any) -> bool:
    """True for scratchnet's own estimators."""
    return type(model).__name__ in ESTIMATORS and hasattr(model, "network_")


def header(model: Any) -> dict:
    """The header fields of a fitted scratchnet estimator (format and version aside)."""
    network = model.network_
    params = json_params(model)
    if "activations" not in params:  # Activation objects: keep their names
        params["activations"] = [act.name for act in network.hidden_activations]
    return {
        "estimator": type(model).__name__,
        "layer_sizes": network.layer_sizes,
        "dtype": network.dtype.name,
        "activations": [
            {"name": act.name, "params": act.params} for act in network.hidden_activations
        ],
        "params": params,
        "n_features_in": int(model.n_features_in_),
        "y_was_1d": bool(getattr(model, "_y_was_1d", True)),
        "history": model.history_,
        "n_iter": int(model.n_iter_),
        "best_epoch": int(model.best_epoch_),
    }


def arrays(model: Any) -> dict[str, np.ndarray]:
    """Weights, biases and (classifier) classes of a fitted scratchnet estimator."""
    network = model.network_
    out = {f"coef_{i}": coef for i, coef in enumerate(network.coefs)}
    out.update({f"intercept_{i}": b for i, b in enumerate(network.intercepts)})
    if hasattr(model, "classes_"):
        out["classes"] = layers.classes_array(model)
    return out


def plan(header: dict) -> dict[str, Expect]:
    """Every array the header implies, with its dtype and shape."""
    expected = layers.layer_plan(header)
    if header["estimator"] == "NeuralNetwork":
        expected.update(layers.classes_plan(header["layer_sizes"][-1]))
    return expected


def probe_width(header: dict) -> int:
    """Columns of the probe's predictions: one per class or output."""
    return header["layer_sizes"][-1]


def build(header: dict, archive: Archive) -> Any:
    """The fitted estimator the (checked) header and archive describe."""
    from scratchnet import estimators
    from scratchnet.nn.network import MLP

    model = with_params(getattr(estimators, header["estimator"]), header["params"])
    try:
        hidden = [registry.get(a["name"], **a["params"]) for a in header["activations"]]
    except (ConfigError, TypeError) as exc:
        raise Invalid(f"header['activations'] is not valid: {exc}") from None
    network = MLP(header["layer_sizes"], hidden, header["dtype"])
    for i in range(network.n_layers):
        for name, view in (
            (f"coef_{i}", network.coefs[i]),
            (f"intercept_{i}", network.intercepts[i]),
        ):
            layers.check_finite(name, archive.read(name, out=view))
    model.network_ = network
    model.n_features_in_ = header["n_features_in"]
    model.history_ = {key: list(values) for key, values in header["history"].items()}
    model.n_iter_ = header["n_iter"]
    model.best_epoch_ = header["best_epoch"]
    if header["estimator"] == "NeuralNetwork":
        model.classes_ = layers.read_classes(archive)
    else:
        model._y_was_1d = header["y_was_1d"]
        model.n_outputs_ = header["layer_sizes"][-1]
    return model
