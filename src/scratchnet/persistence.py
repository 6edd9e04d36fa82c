"""Safe model files: an ``.npz`` of numeric arrays plus a JSON header, never pickle.

A model file holds ``coef_<i>`` and ``intercept_<i>`` for every layer, ``classes`` for a
classifier, and ``header``: UTF-8 JSON (stored as a uint8 array) with the format name and
version, the estimator class, layer sizes, activation names, hyper-parameters and the training
history. :func:`load` opens it with ``allow_pickle=False``, so a file from a stranger can at
worst fail to load: it cannot run code. It then checks every key, dtype and shape, that the
layer shapes chain, that all values are finite, and that the names are in the registries.

Pickling an estimator still works (scikit-learn needs it for joblib and clone), but a pickle
runs code when loaded: trust only pickles you made. Share models as these files.
"""

from __future__ import annotations

import itertools
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from scratchnet.errors import ModelFileError
from scratchnet.fileio import atomic_path
from scratchnet.nn import activations as activation_registry
from scratchnet.nn.network import MLP

FORMAT = "scratchnet-model"
VERSION = 1
SUFFIX = ".npz"
FLOAT_DTYPES = ("float32", "float64")
ESTIMATORS = ("NeuralNetwork", "NeuralNetworkRegressor")


def save(model: Any, path: str | os.PathLike[str]) -> Path:
    """Write a fitted ``NeuralNetwork`` or ``NeuralNetworkRegressor`` to ``path`` atomically.

    Returns the path written. Refuses an unfitted model or one with non-finite weights.
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(model)
    network: MLP = model.network_
    if not np.isfinite(network.params).all():
        raise ModelFileError(f"refusing to save {path}: the model has non-finite weights")
    arrays = {f"coef_{i}": coef for i, coef in enumerate(network.coefs)}
    arrays.update({f"intercept_{i}": b for i, b in enumerate(network.intercepts)})
    if hasattr(model, "classes_"):
        classes = np.asarray(model.classes_)
        if classes.dtype.kind not in "biufU":
            classes = classes.astype(str)  # object labels are stored as their text
        arrays["classes"] = classes
    header = _header(model, network)
    arrays["header"] = np.frombuffer(json.dumps(header).encode("utf-8"), np.uint8)
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **arrays)
    return Path(path)


def load(path: str | os.PathLike[str]) -> Any:
    """Read a model file written by :func:`save`; return the fitted estimator.

    Raises
    ------
    ModelFileError
        If the file is not a scratchnet model, is damaged or truncated, has an unknown
        version, or holds arrays that are missing, of the wrong dtype or shape, or not finite.
        The message names the file.
    """
    path = Path(path)
    arrays, header = _read(path)
    try:
        return _build(arrays, header)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: not a valid scratchnet model: {exc}") from None


# --- writing ------------------------------------------------------------------------------------


def _header(model: Any, network: MLP) -> dict:
    params = {key: value for key, value in model.get_params().items() if _json_safe(value)}
    if "activations" not in params:  # Activation objects: keep their names
        params["activations"] = [act.name for act in network.hidden_activations]
    return {
        "format": FORMAT,
        "version": VERSION,
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
        "out_activation": model.out_activation_,
    }


def _json_safe(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


# --- reading ------------------------------------------------------------------------------------


def _read(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    """Every array of the file and its parsed header; any failure names the file."""
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise ModelFileError(
            f"{path}: not a readable scratchnet model file (an .npz of arrays): "
            f"{' '.join(str(exc).split())}"
        ) from None
    if "header" not in arrays:
        raise ModelFileError(f"{path}: no 'header' array; not a scratchnet model file")
    try:
        header = json.loads(arrays.pop("header").tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: the header is not valid JSON: {exc}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(f"{path}: the header does not name the format {FORMAT!r}")
    if header.get("version") != VERSION:
        raise ModelFileError(
            f"{path}: model format version {header.get('version')!r} is not supported "
            f"(this scratchnet reads version {VERSION})"
        )
    if header.get("estimator") not in ESTIMATORS:
        raise ModelFileError(
            f"{path}: unknown estimator {header.get('estimator')!r}; expected one of {ESTIMATORS}"
        )
    _check_arrays(path, arrays, header)
    return arrays, header


def _check_arrays(path: Path, arrays: dict[str, np.ndarray], header: dict) -> None:
    sizes = header.get("layer_sizes")
    if not (
        isinstance(sizes, list)
        and len(sizes) >= 2
        and all(isinstance(s, int) and s >= 1 for s in sizes)
    ):
        raise ModelFileError(f"{path}: layer_sizes must be a list of positive integers")
    if header.get("dtype") not in FLOAT_DTYPES:
        raise ModelFileError(f"{path}: dtype must be one of {FLOAT_DTYPES}")
    expected = {}
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        expected[f"coef_{i}"] = (fan_in, fan_out)
        expected[f"intercept_{i}"] = (fan_out,)
    if header.get("estimator") == "NeuralNetwork":
        expected["classes"] = (sizes[-1],)
    missing = sorted(set(expected) - set(arrays))
    extra = sorted(set(arrays) - set(expected))
    if missing or extra:
        raise ModelFileError(
            f"{path}: arrays do not match layer_sizes {sizes}: "
            f"missing {missing or 'none'}, unexpected {extra or 'none'}"
        )
    for name, shape in expected.items():
        array = arrays[name]
        if array.shape != shape:
            raise ModelFileError(
                f"{path}: array {name!r} has shape {array.shape}, expected {shape} "
                f"for layer_sizes {sizes}"
            )
        if name == "classes":
            if array.dtype.kind not in "biufU":
                raise ModelFileError(f"{path}: classes must be numbers or text")
            continue
        if array.dtype.name != header["dtype"]:
            raise ModelFileError(
                f"{path}: array {name!r} is {array.dtype.name}, expected {header['dtype']}"
            )
        if not np.isfinite(array).all():
            raise ModelFileError(f"{path}: array {name!r} holds NaN or infinite values")


def _build(arrays: dict[str, np.ndarray], header: dict) -> Any:
    from scratchnet.estimators import NeuralNetwork, NeuralNetworkRegressor, _set_sklearn_attributes

    classes = {"NeuralNetwork": NeuralNetwork, "NeuralNetworkRegressor": NeuralNetworkRegressor}
    model = classes[header["estimator"]]()
    known = model.get_params()
    model.set_params(**{k: v for k, v in header["params"].items() if k in known})
    hidden = [
        activation_registry.get(spec["name"], **spec.get("params", {}))
        for spec in header["activations"]
    ]
    sizes = header["layer_sizes"]
    network = MLP(sizes, hidden, header["dtype"])
    n_layers = len(sizes) - 1
    network.set_parameters(
        [arrays[f"coef_{i}"] for i in range(n_layers)],
        [arrays[f"intercept_{i}"] for i in range(n_layers)],
    )
    model.network_ = network
    model.n_features_in_ = int(header["n_features_in"])
    model.history_ = {key: list(values) for key, values in header["history"].items()}
    model.n_iter_ = int(header["n_iter"])
    model.best_epoch_ = int(header["best_epoch"])
    model.out_activation_ = header.get("out_activation", model._default_output)
    if "classes" in arrays:
        model.classes_ = arrays["classes"]
    else:
        model._y_was_1d = bool(header["y_was_1d"])
    model.n_outputs_ = sizes[-1]
    _set_sklearn_attributes(model)
    return model
