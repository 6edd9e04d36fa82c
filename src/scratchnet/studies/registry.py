"""The studies ``scratchnet sweep`` can run, by the name a config file gives as ``study``, and
the sweep engine bound to them.

To add a study in Python, import its instance here and list it in :data:`STUDIES` (see
:mod:`scratchnet.sweep.engine` for the contract it implements); a grid of trainings needs no
Python at all (:mod:`scratchnet.studies.grid`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scratchnet.errors import ConfigError
from scratchnet.studies.mnist import MNIST_STUDY
from scratchnet.sweep import engine
from scratchnet.sweep.engine import Cell, Study

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


def _register_studies() -> None:
    """The Section C (Fashion-MNIST) studies, the generic grid study and the record study."""
    from scratchnet.studies.fashion import activations as fashion_activations
    from scratchnet.studies.fashion import autoencoder as fashion_autoencoder
    from scratchnet.studies.fashion import features as fashion_features
    from scratchnet.studies.fashion import gridsearch as fashion_gridsearch
    from scratchnet.studies.fashion import preprocessing as fashion_preprocessing
    from scratchnet.studies.grid import study as grid_study
    from scratchnet.studies.record import study as record_study

    register(fashion_activations.STUDY)
    register(fashion_autoencoder.STUDY)
    register(fashion_gridsearch.STUDY)
    register(fashion_features.STUDY)
    register(fashion_preprocessing.STUDY)
    register(grid_study.STUDY)
    register(record_study.STUDY)


_register_studies()


def run_sweep(
    config_path_or_table: str | os.PathLike[str] | Mapping[str, Any],
    out_dir: str | os.PathLike[str],
    **options: Any,
) -> list[dict]:
    """:func:`scratchnet.sweep.engine.run_sweep` over the registered studies."""
    return engine.run_sweep(config_path_or_table, out_dir, lookup=get_study, **options)


def load_sweep(out_dir: str | os.PathLike[str]) -> tuple[Study, Any, list[Cell], list[dict]]:
    """:func:`scratchnet.sweep.engine.load_sweep` over the registered studies."""
    return engine.load_sweep(Path(out_dir), get_study)
