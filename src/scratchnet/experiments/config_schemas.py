"""The schemas of the tables that study and train configs share: ``[data]`` and a recipe.

Each study's full schema is assembled from these in its own module (see
:mod:`scratchnet.schema` for the mechanism); every config is validated against it before
anything reads its values or creates a folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scratchnet.schema import Spec, array, flag, integer, number, seed, table, text

#: ``[data]``: :class:`scratchnet.experiments.prepare.DataConfig`.
DATA: dict[str, Spec] = {
    "dataset": text("mnist", "fashion-mnist", "digits"),
    "split": text("ratio", "holdout"),
    "ratios": array(number(0, 1), 3, 3),
    "val_size": integer(0),
    "train_subset": integer(0),
    "test_subset": integer(0),
    "scaling": text("divide255", "minmax"),
    "seed": seed(),
    "data_dir": text(),
}

#: A training recipe: :class:`scratchnet.experiments.engines.Recipe`.
RECIPE: dict[str, Spec] = {
    "optimizer": text(),
    "lr": number(1e-12),
    "batch_size": integer(1),
    "epochs": integer(1),
    "alpha": number(0),
    "lr_schedule": text(),
    "weight_decay": number(0),
    "weight_init": text(),
    "random_state": seed(),
    "stop_on_plateau": flag(),
}


def options_table(defaults: Mapping[str, Any]) -> Spec:
    """The ``[options]`` table of a study whose options are declared by their defaults."""
    from scratchnet.schema import like

    return table(**{key: like(value) for key, value in defaults.items()})
