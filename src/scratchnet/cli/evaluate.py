"""``scratchnet evaluate``: score a saved model on a dataset's test images."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="print a saved model's test accuracy and confusion matrix",
        description="Load a model file (never unpickled) and score it on a dataset's official "
        "test images, scaled to [0, 1].",
    )
    parser.add_argument("model", help="a model file written by scratchnet (model.npz)")
    parser.add_argument("--dataset", required=True, choices=("mnist", "fashion-mnist", "digits"))
    parser.add_argument("--data-dir", help="folder holding the four IDX files")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    from sklearn.metrics import confusion_matrix

    from scratchnet import persistence
    from scratchnet.data.prepare import DataConfig, official_test_set
    from scratchnet.errors import ConfigError

    model = persistence.load(args.model)
    X_test, y_test = official_test_set(DataConfig(dataset=args.dataset, data_dir=args.data_dir))
    if model.n_features_in_ != X_test.shape[1]:
        raise ConfigError(
            f"{args.model} expects {model.n_features_in_} features but {args.dataset} images "
            f"have {X_test.shape[1]}"
        )
    if not hasattr(model, "classes_"):
        result = {"r2": model.score(X_test, X_test), "n": len(X_test)}
        print(json.dumps(result) if args.json else f"test R^2: {result['r2']:.4f}")
        return 0
    predicted = model.predict(X_test)
    matrix = confusion_matrix(y_test, predicted, labels=model.classes_)
    accuracy = float((predicted == y_test).mean())
    if args.json:
        print(
            json.dumps(
                {"accuracy": accuracy, "n": len(y_test), "confusion_matrix": matrix.tolist()}
            )
        )
        return 0
    print(f"test accuracy: {accuracy:.4f} on {len(y_test)} images of {args.dataset}")
    print("confusion matrix (rows: true class, columns: predicted):")
    names = [str(c) for c in model.classes_]
    width = max(5, *(len(n) for n in names), len(str(matrix.max())) + 1)
    print(" " * width + "".join(n.rjust(width) for n in names))
    for name, row in zip(names, matrix):
        print(name.rjust(width) + "".join(str(v).rjust(width) for v in row))
    return 0
