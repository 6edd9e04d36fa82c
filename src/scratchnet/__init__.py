"""scratchnet: neural networks from scratch on NumPy, with scikit-learn estimators.

The estimators are imported lazily, so ``import scratchnet.data`` stays light.
"""

from __future__ import annotations

from typing import Any

__all__ = ["NeuralNetwork", "NeuralNetworkRegressor", "load", "save"]
__version__ = "0.1.0"

_LAZY = {
    "NeuralNetwork": "scratchnet.estimators",
    "NeuralNetworkRegressor": "scratchnet.estimators",
    "save": "scratchnet.persistence",
    "load": "scratchnet.persistence",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'scratchnet' has no attribute {name!r}")
