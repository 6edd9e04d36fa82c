"""``scratchnet train``: train one network on a named dataset and write it to a folder."""

from __future__ import annotations

import argparse
from typing import Any

from scratchnet.cli.options import add_estimator_flags, estimator_overrides

MODEL_FILE = "model.npz"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train one network and save it with its history and loss curves",
        description="Train one network on a dataset. Settings come from --config (a TOML file "
        "with [data] and [model] tables) and from flags, which win. Writes model.npz, "
        "history.json, metrics.json and curves.png to --out.",
    )
    parser.add_argument("--config", help="TOML file with [data] and [model] tables")
    parser.add_argument("--dataset", choices=("mnist", "fashion-mnist", "digits"))
    parser.add_argument(
        "--task",
        choices=("classify", "autoencode"),
        default=None,
        help="classify labels (default) or regenerate the input",
    )
    parser.add_argument("--train-subset", type=int, help="use only the first N training images")
    parser.add_argument("--data-dir", help="folder holding the four IDX files")
    parser.add_argument("--out", default="runs/train", help="output folder (default: %(default)s)")
    add_estimator_flags(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import time

    from scratchnet import engines
    from scratchnet.data.prepare import check_batch_size, prepare
    from scratchnet.fileio import writable_dir, write_json
    from scratchnet.report import figures
    from scratchnet.run.train import train_and_record

    data_config, params, task, where = settings(args)
    out = writable_dir(args.out)  # a bad --out fails now, not after the training
    data = prepare(data_config)
    check_batch_size(params.get("batch_size"), len(data.y_train), where)
    engine = engines.get("scratchnet")
    model = engine.estimator("classify" if task == "classify" else "regress", params)
    parts = _parts(data, task)
    print(f"training {model!r} on {data_config.dataset} {data.sizes} ({data.source})")
    start = time.perf_counter()
    train_and_record(engine, model, parts, out, running=True, model_file=MODEL_FILE)
    seconds = time.perf_counter() - start
    metrics = {
        "task": task,
        "dataset": data_config.dataset,
        "sizes": data.sizes,
        "train_seconds": seconds,
        "epochs": model.n_iter_,
        "best_epoch": model.best_epoch_,
        "test_score": model.score(*parts["test"]),
    }
    if data.official_test is not None and task == "classify":
        metrics["official_test_score"] = model.score(*data.official_test)
    write_json(out / "metrics.json", metrics)
    figure = figures.history_figure(model.history_, title=f"{data_config.dataset}")
    figures.save(figure, out / "curves.png")
    score_name = "accuracy" if task == "classify" else "R^2"
    print(
        f"{model.n_iter_} epochs in {seconds:.1f} s; test {score_name} "
        f"{metrics['test_score']:.4f}; wrote {out}/"
    )
    return 0


def _parts(data: Any, task: str) -> dict[str, tuple]:
    """Train, validation and test (X, y): y the labels, or the images themselves."""
    parts = {
        "train": (data.X_train, data.y_train),
        "val": (data.X_val, data.y_val),
        "test": (data.X_test, data.y_test),
    }
    if task != "classify":
        parts = {name: (X, X) for name, (X, _) in parts.items()}
    return parts


def settings(args: argparse.Namespace) -> tuple[Any, dict[str, Any], str, str]:
    """The data recipe, estimator parameters, task and a name for messages, from --config
    (validated against :func:`config_schema`) and the flags, which win."""
    from scratchnet.config import dataclass_from, read_toml
    from scratchnet.data.prepare import DataConfig
    from scratchnet.schema import validate

    config = read_toml(args.config) if args.config else {}
    where = args.config or "command line"
    validate(config, config_schema(), where)
    data_table = dict(config.get("data", {}))
    for key in ("dataset", "train_subset", "data_dir"):
        if getattr(args, key) is not None:
            data_table[key] = getattr(args, key)
    data_config = dataclass_from(DataConfig, data_table, f"{where} [data]")
    params = {**config.get("model", {}), **estimator_overrides(args)}
    return data_config, params, args.task or config.get("task", "classify"), where


def config_schema() -> Any:
    """The schema of a ``train --config`` file: ``task``, ``[data]`` and ``[model]``."""
    from scratchnet import schema
    from scratchnet.config import estimator_schema
    from scratchnet.data.prepare import DATA

    return schema.table(
        task=schema.text("classify", "autoencode"),
        data=schema.table(**DATA),
        model=schema.table(**estimator_schema()),
    )
