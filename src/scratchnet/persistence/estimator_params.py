"""Rebuild an estimator from the ``params`` of a model file's header, validated."""

from __future__ import annotations

from typing import Any

from scratchnet.persistence.common import Invalid


def with_params(cls: type, params: dict[str, Any]) -> Any:
    """``cls()`` with ``params`` set and validated as the estimator itself validates them.

    Unknown names are refused; estimators that declare scikit-learn's
    ``_parameter_constraints`` are checked by ``_validate_params``; any ``ValueError`` or
    ``TypeError`` (``InvalidParameterError`` is both) becomes :class:`Invalid`. A list
    whose default is a tuple (``hidden_layer_sizes``) becomes a tuple again.
    """
    model = cls()
    defaults = model.get_params()
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise Invalid(f"header['params'] names unknown parameters of {cls.__name__}: {unknown}")
    params = {  # JSON has no tuples: a list where the default is a tuple was one
        key: tuple(value) if isinstance(value, list) and isinstance(defaults[key], tuple) else value
        for key, value in params.items()
    }
    try:
        model.set_params(**params)
        if hasattr(type(model), "_parameter_constraints"):
            model._validate_params()
    except (ValueError, TypeError) as exc:
        message = " ".join(str(exc).split())[:300]
        raise Invalid(f"header['params'] are not valid for {cls.__name__}: {message}") from None
    return model


def json_params(model: Any) -> dict[str, Any]:
    """The estimator's ``get_params(deep=False)`` restricted to JSON-safe values.

    A parameter object with a ``json_spec()`` method (an augmentation) is stored as that
    spec, a form the same parameter accepts back.
    """
    import json

    safe = {}
    for key, value in model.get_params(deep=False).items():
        if callable(getattr(value, "json_spec", None)):
            value = value.json_spec()
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            continue
        safe[key] = value
    return safe
