"""The config shape the Fashion-MNIST studies share, and the cells it expands into.

A study's config file (see ``configs/fashion_*.toml``)::

    study = "fashion-activations"
    engines = ["sklearn", "scratchnet"]   # one cell per engine x setting
    sklearn_dtype = "float64"             # the original study's MinMaxScaler output is float64

    [data]                                # scratchnet.data.prepare.DataConfig
    train_subset = 0                      # 0 = all 60,000; the original study's filter is 8000
    test_subset = 0                       # 0 = all 10,000; the original study's filter is 2000

    [model]                               # the original's recipe (engines.Recipe) + architecture
    hidden = [128, 64, 32]
    activations = ["logistic", "tanh", "relu", "identity"]
    lr = 2e-5

    [improved]                            # optional: scratchnet-only recipe, same architecture
    activations = ["relu"]
    optimizer = "adamw"

    [options]                             # study-specific settings

Cells are ``<engine>-<recipe>-<activation>``, recipe ``original`` (the original's settings, both
engines) or ``improved`` (scratchnet only).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from scratchnet import engines as training_engines
from scratchnet.config import check_keys, dataclass_from
from scratchnet.data.prepare import DATA, DataConfig, PreparedData
from scratchnet.engines import ENGINES
from scratchnet.engines.base import RECIPE, Recipe
from scratchnet.errors import ConfigError
from scratchnet.schema import Spec, array, either, integer, table, text, validate

#: Section C's data recipe: Fashion-MNIST, 10,000 validation images from the training images,
#: the official test set, scikit-learn's MinMaxScaler fitted on the training part.
DATA_DEFAULTS = {"dataset": "fashion-mnist", "split": "holdout", "scaling": "minmax"}
TOP_KEYS = {"study", "engines", "sklearn_dtype", "data", "model", "improved", "options"}
SKLEARN_DTYPES = ("float64", "float32")
RECIPES = ("original", "improved")


@dataclass(frozen=True)
class StudyConfig:
    """A parsed Fashion-MNIST study config (see the module docstring)."""

    name: str
    data: DataConfig
    engines: tuple[str, ...]
    sklearn_dtype: str
    hidden: tuple[int, ...]
    activations: tuple[str, ...]
    recipe: Recipe
    improved: Recipe | None = None
    improved_activations: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    where: str = ""

    def recipe_named(self, name: str) -> Recipe:
        """The ``original`` or ``improved`` recipe."""
        if name == "improved" and self.improved is not None:
            return self.improved
        if name == "original":
            return self.recipe
        raise ConfigError(f"{self.where}: no recipe named {name!r}")


def parse(
    table: Mapping[str, Any],
    where: str,
    *,
    name: str,
    model_defaults: Mapping[str, Any],
    options: Mapping[str, Any] | None = None,
    improved_allowed: bool = True,
) -> StudyConfig:
    """Check and parse a study's config ``table`` (from file ``where``).

    Parameters
    ----------
    table : mapping
        The whole TOML document.
    where : str
        The file name, used in error messages and to resolve relative paths.
    name : str
        The study's name.
    model_defaults : mapping
        Defaults of ``[model]``: ``hidden``, ``activations`` and any :class:`Recipe` field.
    options : mapping, optional
        The study's ``[options]`` keys with their defaults (values are type-checked against
        the defaults' types).
    improved_allowed : bool
        Whether the study accepts an ``[improved]`` table.
    """
    validate(table, study_schema(options or {}, improved_allowed), where)
    data = parse_data(table.get("data", {}), f"{where} [data]")
    engines = _engines(table.get("engines", list(ENGINES)), where)
    sklearn_dtype = _sklearn_dtype(table, where)
    model = {**model_defaults, **_table(table, "model", where)}
    hidden = _int_list(model.pop("hidden"), f"{where} [model] hidden")
    activations = _str_list(model.pop("activations"), f"{where} [model] activations")
    recipe = dataclass_from(Recipe, model, f"{where} [model]")
    improved, improved_activations = _improved(table, recipe, where)
    return StudyConfig(
        name=name,
        data=data,
        engines=engines,
        sklearn_dtype=sklearn_dtype,
        hidden=hidden,
        activations=activations,
        recipe=recipe,
        improved=improved,
        improved_activations=improved_activations,
        options=parse_options(table.get("options", {}), options or {}, f"{where} [options]"),
        where=where,
    )


def _sklearn_dtype(table: Mapping[str, Any], where: str) -> str:
    value = table.get("sklearn_dtype", "float64")
    if value not in SKLEARN_DTYPES:
        raise ConfigError(
            f"{where}: sklearn_dtype must be one of {', '.join(SKLEARN_DTYPES)}, got {value!r}"
        )
    return value


def _improved(table: Mapping[str, Any], recipe: Recipe, where: str):
    """The ``[improved]`` recipe and its activations, or ``(None, ())`` without that table;
    the keys it leaves out inherit the original recipe."""
    if "improved" not in table:
        return None, ()
    raw = dict(_table(table, "improved", where))
    activations = _str_list(raw.pop("activations", ["relu"]), f"{where} [improved] activations")
    checked = dataclass_from(Recipe, raw, f"{where} [improved]")
    return dataclasses.replace(recipe, **{k: getattr(checked, k) for k in raw}), activations


def study_schema(options: Mapping[str, Any], improved_allowed: bool = True) -> Spec:
    """The schema of a Fashion-MNIST study's config (its ``study`` key aside)."""
    names = either(text(), array(text(), 1))
    keys = {
        "engines": names,  # each name is checked by check_engine, which lists the engines
        "sklearn_dtype": text(*SKLEARN_DTYPES),
        "data": table(**DATA),
        "model": table(**RECIPE, hidden=array(integer(1), 1), activations=names),
        "options": options_table(options),
    }
    if improved_allowed:
        keys["improved"] = table(**RECIPE, activations=names)
    return table(**keys)


def recipe_cells(config: StudyConfig) -> list[tuple[str, dict]]:
    """``(key, params)`` of every (engine, recipe, activation) cell of ``config``."""
    cells = []
    for engine in config.engines:
        for activation in config.activations:
            cells.append((engine, "original", activation))
        if engine == "scratchnet" and config.improved is not None:
            for activation in config.improved_activations:
                cells.append((engine, "improved", activation))
    return [
        (f"{engine}-{recipe}-{activation}",
         {"engine": engine, "recipe": recipe, "activation": activation})
        for engine, recipe, activation in cells
    ]  # fmt: skip


def source_label(engine: str, recipe: str) -> str:
    """The row label of a result: ``sklearn``, ``scratchnet`` or ``scratchnet improved``."""
    return engine if recipe == "original" else f"{engine} {recipe}"


def engine_data(data: PreparedData, engine: str, sklearn_dtype: str) -> PreparedData:
    """``data`` with its features in the dtype ``engine`` is fed (labels unchanged)."""
    dtype = np.dtype(sklearn_dtype) if engine == "sklearn" else np.dtype(np.float32)
    if data.X_train.dtype == dtype:
        return data
    return dataclasses.replace(
        data,
        X_train=data.X_train.astype(dtype),
        X_val=data.X_val.astype(dtype),
        X_test=data.X_test.astype(dtype),
    )


def data_description(config: DataConfig, sizes: Mapping[str, int]) -> str:
    """One line saying which data a table comes from (full data or the original study's subsets)."""
    subset = (
        "full data"
        if not (config.train_subset or config.test_subset)
        else f"subset: first {config.train_subset or 'all'} training and "
        f"{config.test_subset or 'all'} test images"
    )
    order = ["train", "val", "test", *sorted(set(sizes) - {"train", "val", "test"})]
    parts = ", ".join(f"{key} {sizes[key]:,}" for key in order if key in sizes)
    return f"{config.dataset}, {subset} ({parts}; {config.scaling} scaling)"


def recipe_text(recipe: Recipe) -> str:
    """A recipe in one line, for table notes."""
    text = (
        f"{recipe.optimizer}, lr {recipe.lr:g} ({recipe.lr_schedule}), batch "
        f"{recipe.batch_size}, {recipe.epochs} epochs, alpha {recipe.alpha:g}"
    )
    if recipe.weight_decay:
        text += f", weight decay {recipe.weight_decay:g}"
    return text


# --- parsing helpers ----------------------------------------------------------------------------


def _table(table: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = table.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: [{key}] must be a table, got {value!r}")
    return value


def parse_data(raw: Any, where: str) -> DataConfig:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: must be a table, got {raw!r}")
    return dataclass_from(DataConfig, {**DATA_DEFAULTS, **raw}, where)


def _engines(raw: Any, where: str) -> tuple[str, ...]:
    names = (raw,) if isinstance(raw, str) else raw
    if not isinstance(names, list | tuple) or not names:
        raise ConfigError(f"{where}: engines must be a non-empty list of {list(ENGINES)}")
    for engine in names:
        training_engines.check(engine, f"{where}: engines")
    return tuple(dict.fromkeys(names))


def _int_list(raw: Any, where: str) -> tuple[int, ...]:
    ok = isinstance(raw, list | tuple) and raw
    ok = ok and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in raw)
    if not ok:
        raise ConfigError(f"{where}: must be a list of positive integers, got {raw!r}")
    return tuple(raw)


def _str_list(raw: Any, where: str) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list | tuple) or not all(isinstance(v, str) for v in raw):
        raise ConfigError(f"{where}: must be a list of names, got {raw!r}")
    return tuple(raw)


def options_table(defaults: Mapping[str, Any]) -> Spec:
    """The ``[options]`` table of a study whose options are declared by their defaults."""
    from scratchnet.schema import like

    return table(**{key: like(value) for key, value in defaults.items()})


def parse_options(raw: Any, defaults: Mapping[str, Any], where: str) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: must be a table, got {raw!r}")
    check_keys(raw, set(defaults), where)
    values = dict(defaults)
    for key, value in raw.items():
        expected = type(defaults[key])
        ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
        ok = ok or (expected is float and isinstance(value, int) and not isinstance(value, bool))
        if not ok:
            raise ConfigError(f"{where}: {key} must be {expected.__name__}, got {value!r}")
        values[key] = value
    return values


def resolve(path: str, where: str) -> Path:
    """``path`` relative to the folder of the config file ``where`` (if it is a file)."""
    candidate = Path(path).expanduser()
    if candidate.is_absolute() or not where:
        return candidate
    base = Path(where).parent if Path(where).suffix else Path(".")
    return base / candidate
