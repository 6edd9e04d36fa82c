"""What both estimator families share: the header fields, layer arrays and classes."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from scratchnet.persistence.archive import Archive, Expect
from scratchnet.persistence.common import (
    FORMAT,
    MAX_LAYERS,
    MAX_UNITS,
    READABLE_VERSIONS,
    Invalid,
)
from scratchnet.persistence.schema import AnyJSON, Int, ListOf, MapOf, OneOf, Rule, Text

FLOAT_DTYPES = ("float32", "float64")

#: The header fields of every model file.
COMMON_FIELDS = {
    "format": OneOf(FORMAT),
    "version": OneOf(*READABLE_VERSIONS),
    "estimator": Text(64),
    "layer_sizes": ListOf(Int(1, MAX_UNITS), 2, MAX_LAYERS + 1),
    "dtype": OneOf(*FLOAT_DTYPES),
    "n_features_in": Int(1, MAX_UNITS),
    "params": MapOf(AnyJSON(), 128),
    "feature_names_in": ListOf(Text(256), 1, MAX_UNITS),  # optional: fitted on a DataFrame
}
#: Header fields a file may leave out.
OPTIONAL_FIELDS = frozenset({"feature_names_in"})

COMMON_RULES = [
    Rule(
        "n_features_in equals layer_sizes[0]",
        ("n_features_in", "layer_sizes"),
        lambda h: h["n_features_in"] == h["layer_sizes"][0],
    ),
    Rule(
        "feature_names_in has n_features_in distinct names",
        ("n_features_in",),
        lambda h: (
            "feature_names_in" not in h
            or len(set(h["feature_names_in"])) == len(h["feature_names_in"]) == h["n_features_in"]
        ),
    ),
]


def common_header(model: Any) -> dict:
    """The optional common fields of a fitted estimator: its feature names, if any."""
    names = getattr(model, "feature_names_in_", None)
    return {} if names is None else {"feature_names_in": [str(n) for n in names]}


def set_common(model: Any, header: dict) -> None:
    """Set the optional common fields of ``header`` on ``model``."""
    if "feature_names_in" in header:
        model.feature_names_in_ = np.asarray(header["feature_names_in"], dtype=object)


def layer_plan(header: dict) -> dict[str, Expect]:
    """``coef_i`` (fan_in, fan_out) and ``intercept_i`` (fan_out,) for every layer."""
    plan = {}
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(header["layer_sizes"])):
        plan[f"coef_{i}"] = Expect((fan_in, fan_out), header["dtype"])
        plan[f"intercept_{i}"] = Expect((fan_out,), header["dtype"])
    return plan


def classes_plan(n_classes: int) -> dict[str, Expect]:
    """``classes``: numbers or text, one per class."""
    return {"classes": Expect((n_classes,), None, kinds="biufU")}


def check_finite(name: str, array: np.ndarray) -> None:
    """Raise :class:`Invalid` if ``array`` holds NaN or an infinity."""
    if not np.isfinite(array).all():
        raise Invalid(f"array {name!r} holds NaN or infinite values")


def read_classes(archive: Archive) -> np.ndarray:
    """The ``classes`` array: sorted, without repeats, finite (what ``np.unique`` returns)."""
    classes = archive.read("classes")
    if classes.dtype.kind == "f":
        check_finite("classes", classes)
    if classes.size > 1 and not (classes[1:] > classes[:-1]).all():
        raise Invalid("array 'classes' is not sorted without repeats, as fitting leaves it")
    return classes


def arrays(model: Any) -> dict[str, np.ndarray]:
    """Weights ``coef_<i>``, biases ``intercept_<i>`` and (classifier) ``classes`` of a fitted
    MLP: scratchnet's estimators and scikit-learn's both hold ``coefs_`` and ``intercepts_``."""
    out = {f"coef_{i}": coef for i, coef in enumerate(model.coefs_)}
    out.update({f"intercept_{i}": b for i, b in enumerate(model.intercepts_)})
    if hasattr(model, "classes_"):
        out["classes"] = classes_array(model)
    return out


def classes_array(model: Any) -> np.ndarray:
    """A fitted classifier's ``classes_``, numbers kept, anything else stored as text."""
    classes = np.asarray(model.classes_)
    return classes if classes.dtype.kind in "biuf" else classes.astype(str)
