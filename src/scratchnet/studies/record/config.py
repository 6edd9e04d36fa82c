"""The config file of a record study, checked whole before anything runs.

A record study is a ladder of recipes for one network, each step adding its changes to the
step above it (or to an earlier one it names), every step trained on the training part and
scored on the validation part only; the step with the best validation score becomes the
record, and only its model ever sees the test part. ::

    study = "record"
    title = "Record: MNIST, 784-256-128-64-32-10"
    description = "..."

    [data]                                      # scratchnet.data.prepare.DataConfig
    dataset = "mnist"

    [estimator]
    engine = "scratchnet"                       # or "sklearn"
    task = "classify"                           # or "regress" (an autoencoder: target = input)
    [estimator.params]                          # every step starts from these
    layers = [784, 256, 128, 64, 32, 10]

    [[ladder]]                                  # in order; `set` adds to the steps before
    step = "AdamW one-cycle, 40 epochs"
    set = { epochs = 40 }

    [[ladder]]
    step = "+ batch normalization"
    after = "AdamW one-cycle, 40 epochs"        # optional: a branch from an earlier step
    set = { batch_norm = true }                 # (default: the step above)

    [[ladder]]                                  # optional, last: the step it follows trained
    step = "refit on all training images"       # again on training + validation together;
    after = "AdamW one-cycle, 40 epochs"        # if that step is the record, this model is
    refit = true                                # the one scored on the test part

    [record]
    select = "val_accuracy"                     # chooses the record among the steps
    test = "test_accuracy"                      # the record's one score on the test part
    curves = ["loss", "accuracy"]               # per-epoch history keys, one figure each
    max_epochs = 2                              # optional cap on every step (for [quick])

    [[anchors]]                                 # figures the record is shown beside
    label = "the original study"
    value = 96.23                               # as the table shows it (accuracy in %)
    original = true                             # the original study's own figure
    [[anchors]]
    label = "our reproduction"
    run = "../../section_b/original"           # another sweep folder, relative to this one
    table = "results"                           # its <table>.csv
    column = "official_test_accuracy_pct"       # the figure shown, from the row that is
    best_by = "best_val_loss"                   # best by this column,
    best = "min"                                # its smallest ("max": its largest)
    where = { source = "improved" }             # among the rows with these values (optional)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from scratchnet import engines, schema
from scratchnet.config import dataclass_from
from scratchnet.data.prepare import DATA, DataConfig
from scratchnet.errors import ConfigError
from scratchnet.studies.grid.config import (
    check_curves,
    check_metrics,
    estimator_schema,
    trial_fits,
)

NAME = "record"


@dataclass(frozen=True)
class Anchor:
    """A figure shown beside the record: a fixed ``value``, or the ``column`` of the row of
    ``run``'s ``table`` that is ``best`` (``max`` or ``min``) by ``best_by``, among the rows
    whose columns hold the ``where`` values; ``original`` marks the original study's own."""

    label: str
    value: float | None = None
    run: str | None = None
    table: str = "results"
    column: str | None = None
    best_by: str | None = None
    best: str = "max"
    where: dict = field(default_factory=dict, hash=False)
    original: bool = False


@dataclass(frozen=True)
class Step:
    """One rung of the ladder: its name, its changes, its full parameters, the step it
    follows if not the one above it, and whether it is a refit of that step (the same
    parameters, trained on the training and validation parts together)."""

    name: str
    changes: dict = field(hash=False)
    params: dict = field(hash=False)
    after: str | None = None
    refit: bool = False


@dataclass(frozen=True)
class RecordConfig:
    """A parsed record study config (see the module docstring)."""

    title: str
    data: DataConfig
    engine: str
    task: str
    ladder: tuple[Step, ...]
    select: str
    test: str
    curves: tuple[str, ...] = ()
    anchors: tuple[Anchor, ...] = ()
    description: str = ""

    def step(self, name: str) -> Step:
        """The ladder's step named ``name``."""
        return next(step for step in self.ladder if step.name == name)

    @property
    def percent(self) -> bool:
        """Whether the test score is an accuracy, shown in percent."""
        return self.test.endswith("accuracy")


def config_schema() -> schema.Spec:
    """The schema of a record config (its ``study`` key aside)."""
    return schema.table(
        required=("title", "data", "estimator", "ladder", "record"),
        title=schema.text(),
        description=schema.text(),
        data=schema.table(**DATA),
        estimator=estimator_schema(),
        ladder=schema.array(
            schema.table(
                required=("step",),
                step=schema.text(),
                set=schema.Spec("table"),
                after=schema.text(),
                refit=schema.flag(),
            ),
            1,
        ),
        record=schema.table(
            required=("select", "test"),
            select=schema.text(),
            test=schema.text(),
            curves=schema.array(schema.text()),
            max_epochs=schema.integer(1),
        ),
        anchors=schema.array(_anchor_schema()),
    )


def _anchor_schema() -> schema.Spec:
    return schema.table(
        required=("label",),
        label=schema.text(),
        value=schema.number(),
        run=schema.text(),
        table=schema.text(),
        column=schema.text(),
        best_by=schema.text(),
        best=schema.text("max", "min"),
        where=schema.Spec("table"),
        original=schema.flag(),
    )


def parse(table: dict, where: str) -> RecordConfig:
    """Check a record config's table (``study`` key removed); its :class:`RecordConfig`."""
    schema.validate(table, config_schema(), where)
    estimator, record = table["estimator"], table["record"]
    task = estimator.get("task", "classify")
    ladder = _ladder(table["ladder"], dict(estimator.get("params", {})), f"{where} [[ladder]]")
    if "max_epochs" in record:
        ladder = _capped(ladder, record["max_epochs"], estimator["engine"])
    select, test = (
        check_metrics([record[key]], task, f"{where} [record] {key}")[0]
        for key in ("select", "test")
    )
    if not select.startswith("val_") or not test.startswith("test_"):
        raise ConfigError(
            f"{where} [record]: select must be a val_ metric and test a test_ metric "
            f"(the test part scores the chosen step only), got {select!r} and {test!r}"
        )
    config = RecordConfig(
        title=table["title"],
        data=dataclass_from(DataConfig, table["data"], f"{where} [data]"),
        engine=estimator["engine"],
        task=task,
        ladder=ladder,
        select=select,
        test=test,
        curves=check_curves(record.get("curves", []), task, f"{where} [record] curves"),
        anchors=tuple(_anchor(raw, f"{where} [[anchors]]") for raw in table.get("anchors", [])),
        description=table.get("description", ""),
    )
    steps = [step.params for step in ladder]
    trial_fits(config.engine, task, config.data.dataset, steps, where)
    return config


def _ladder(raw: list[dict], base: dict[str, Any], where: str) -> tuple[Step, ...]:
    """The steps, each with the parameters of the step it follows (``after``, by default the
    one above it; the first follows ``base``) and its own changes."""
    steps: dict[str, Step] = {}
    params = dict(base)
    for entry in raw:
        name, refit = entry["step"], entry.get("refit", False)
        if name in steps:
            raise ConfigError(f"{where}: step {name!r} is named twice")
        if refit == ("set" in entry):
            raise ConfigError(
                f"{where}: step {name!r} needs either set (its changes) or refit = true "
                "(the step it follows, trained on training + validation), not both"
            )
        parent = _parent(entry, steps, where)
        params = {**(parent.params if parent else params), **entry.get("set", {})}
        steps[name] = Step(name, dict(entry.get("set", {})), params, entry.get("after"), refit)
    return tuple(steps.values())


def _parent(entry: dict, steps: dict[str, Step], where: str) -> Step | None:
    """The step ``entry`` follows (None for the first step, which follows the base); a
    refit step has no follower and no validation score to build on."""
    name = entry["step"]
    if "after" in entry and entry["after"] not in steps:
        raise ConfigError(
            f"{where}: step {name!r} follows {entry['after']!r}, which is not a step above it"
        )
    parent = steps[entry["after"]] if "after" in entry else next(reversed(steps.values()), None)
    if parent is not None and parent.refit:
        raise ConfigError(
            f"{where}: step {name!r} follows the refit step {parent.name!r}; a refit is "
            "trained on the validation part, so no step can build on it (name one with after)"
        )
    if parent is None and entry.get("refit"):
        raise ConfigError(f"{where}: the refit step {name!r} needs a step above it to refit")
    return parent


def _capped(ladder: tuple[Step, ...], max_epochs: int, engine: str) -> tuple[Step, ...]:
    """Every step with at most ``max_epochs`` epochs (the estimator's default counts too)."""
    name = engines.get(engine).param_name("epochs")
    default = engines.get(engine).estimator("classify", {}).get_params()[name]
    return tuple(
        replace(step, params={**step.params, name: min(step.params.get(name, default), max_epochs)})
        for step in ladder
    )


def _anchor(raw: dict[str, Any], where: str) -> Anchor:
    anchor = Anchor(**raw)
    fixed, linked = anchor.value is not None, anchor.run is not None
    if fixed == linked or (linked and not (anchor.column and anchor.best_by)):
        raise ConfigError(
            f"{where} {anchor.label!r}: give either value, or run with column and best_by"
        )
    return anchor
