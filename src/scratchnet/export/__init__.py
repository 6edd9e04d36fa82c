"""Export and interchange: ONNX, skops and the names of what they need.

* :func:`to_onnx` - a fitted estimator as an ONNX model (the ``onnx`` extra);
* :func:`register_skl2onnx` - teach skl2onnx to convert scratchnet's estimators, so that
  ``skl2onnx.to_onnx(pipeline)`` converts a pipeline ending in one;
* :func:`skops_trusted_types` - the exact ``trusted=`` list for ``skops.io.load``.

Weights as ``.safetensors`` are a format of :func:`scratchnet.save`/:func:`scratchnet.load`
(chosen by the suffix). Each extra is imported on first use; a missing one raises
:class:`~scratchnet.errors.MissingExtraError` naming it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["register_skl2onnx", "skops_trusted_types", "to_onnx"]

_LAZY = {
    "to_onnx": "scratchnet.export.onnx_model",
    "register_skl2onnx": "scratchnet.export.skl2onnx_converter",
    "skops_trusted_types": "scratchnet.export.skops_types",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'scratchnet.export' has no attribute {name!r}")
