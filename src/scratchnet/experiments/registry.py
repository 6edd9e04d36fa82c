"""The studies ``scratchnet sweep`` can run, by the name a config file gives as ``study``.

To add a study, import its instance here and list it in :data:`STUDIES` (see
:mod:`scratchnet.experiments.sweep` for the contract it implements).
"""

from __future__ import annotations

from scratchnet.errors import ConfigError
from scratchnet.experiments.mnist_study import MNIST_STUDY
from scratchnet.experiments.sweep import Study

STUDIES: dict[str, Study] = {study.name: study for study in (MNIST_STUDY,)}


def register(study: Study) -> Study:
    """Add ``study`` to :data:`STUDIES` under ``study.name``; return it."""
    STUDIES[study.name] = study
    return study


def get_study(name: str, where: str = "config") -> Study:
    """The registered study called ``name``; ConfigError naming ``where`` otherwise."""
    if not isinstance(name, str) or name not in STUDIES:
        raise ConfigError(
            f"{where}: unknown study {name!r}; registered studies: "
            f"{', '.join(sorted(STUDIES)) or 'none'}"
        )
    return STUDIES[name]


def _register_fashion() -> None:
    """The Section C (Fashion-MNIST) studies."""
    from scratchnet.experiments import (
        fashion_activations,
        fashion_autoencoder,
        fashion_features,
        fashion_gridsearch,
        fashion_preprocessing,
    )

    register(fashion_activations.STUDY)
    register(fashion_autoencoder.STUDY)
    register(fashion_gridsearch.STUDY)
    register(fashion_features.STUDY)
    register(fashion_preprocessing.STUDY)


_register_fashion()
