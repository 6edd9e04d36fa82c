"""The training engines the studies compare, each one adapter class behind one interface
(:class:`~scratchnet.engines.base.TrainingEngine`): scikit-learn's MLPs
(:mod:`~scratchnet.engines.sklearn_engine`) and scratchnet's estimators
(:mod:`~scratchnet.engines.scratchnet_engine`)."""

from __future__ import annotations

from scratchnet.engines.base import TrainingEngine
from scratchnet.engines.scratchnet_engine import ScratchnetEngine
from scratchnet.engines.sklearn_engine import SklearnEngine
from scratchnet.errors import ConfigError

ENGINES = ("sklearn", "scratchnet")
_BY_NAME: dict[str, TrainingEngine] = {"sklearn": SklearnEngine(), "scratchnet": ScratchnetEngine()}


def get(name: str, where: str = "engines") -> TrainingEngine:
    """The engine called ``name``; ConfigError naming ``where`` and the engines otherwise."""
    if name not in _BY_NAME:
        raise ConfigError(f"{where}: unknown engine {name!r}; valid: {', '.join(ENGINES)}")
    return _BY_NAME[name]


def check(name: str, where: str = "engines") -> str:
    """Return ``name`` if it is an engine's, else raise ConfigError naming ``where``."""
    return get(name, where).name


def of(model) -> TrainingEngine:
    """The engine of a fitted or unfitted estimator (scratchnet's, else scikit-learn's)."""
    return get("scratchnet" if type(model).__module__.startswith("scratchnet") else "sklearn")
