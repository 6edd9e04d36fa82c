"""What evaluation costs: study cells' wall time over their training time, and prediction
of 10,000 MNIST images over the forward pass's GEMM floor, measured in one run.

Each cell runs as the sweep runs it (``study.run_cell`` on the config file's data, every
setting as in the file but ``epochs``), after its data is loaded and cached: the wall time
is the cell's, the training time the seconds its engine spent training (``fit_seconds``;
a Section B cell's epoch times, its validation pass included). The cells:

* ``autoencoder``: Fashion-MNIST autoencoder, scratchnet, relu (end-of-epoch curves: the
  whole training and validation sets evaluated after every epoch, as the original study did);
* ``autoencoder-sklearn``: the same with scikit-learn's MLPRegressor;
* ``activations-sklearn``: Fashion-MNIST activations, scikit-learn's MLPClassifier, relu
  (end-of-epoch curves as well);
* ``mnist``: Section B, relu with normal initialization (running training curve);
* ``grid``: the weight-decay grid's first cell (one-cycle schedule: running training curve).

The prediction figure is :func:`bench_training.prediction_time` (the median over rounds of
the within-round ratio). Run on a quiet machine; the load is printed:

    python benchmarks/bench_evaluation.py [--epochs 5] [--threads 1] [--repeats 9] [--cells ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import tomllib
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).parent))
from bench_training import load_data, prediction_time

CONFIGS = Path(__file__).parent.parent / "configs"
#: name -> (config file, cell key or None for the first cell)
CELLS = {
    "autoencoder": ("fashion_autoencoder.toml", "scratchnet-original-relu"),
    "autoencoder-sklearn": ("fashion_autoencoder.toml", "sklearn-original-relu"),
    "activations-sklearn": ("fashion_activations.toml", "sklearn-original-relu"),
    "mnist": ("mnist_original.toml", "model_activation_relu_weight_init_normal"),
    "grid": ("grid_weight_decay.toml", None),
}


def study_and_config(file: str, epochs: int):
    """The registered study of a config file and its parsed config, with ``epochs`` epochs."""
    from scratchnet.studies.registry import get_study

    table = tomllib.loads((CONFIGS / file).read_text(encoding="utf-8"))
    table.pop("quick", None)
    for part in ("model", "improved"):
        if part in table:
            table[part]["epochs"] = epochs
    if "estimator" in table:
        table["estimator"]["params"]["epochs"] = epochs
    study = get_study(table.pop("study"))
    return study, study.parse_config(table, file)


def cell_times(name: str, epochs: int) -> tuple[float, float]:
    """(wall seconds, training seconds) of one cell, its data loaded beforehand."""
    from scratchnet.data.prepare_cache import prepared

    file, key = CELLS[name]
    study, config = study_and_config(file, epochs)
    cells = study.cells(config)
    cell = next(c for c in cells if key is None or c.key == key)
    prepared(config.data)  # the sweep's worker has its data loaded once for all its cells
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        metrics = study.run_cell(config, cell, Path(folder))
        wall = time.perf_counter() - start
    if "fit_seconds" in metrics:
        return wall, metrics["fit_seconds"]
    return wall, metrics["epoch_time"] * metrics["epochs"]  # Section B: mean epoch x epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (a sweep worker's)")
    parser.add_argument("--repeats", type=int, default=9, help="prediction rounds")
    parser.add_argument("--cells", nargs="*", default=list(CELLS), choices=list(CELLS))
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}; {args.threads} BLAS thread(s)")
    with threadpool_limits(args.threads):
        X, y, X_test, source = load_data()
        seconds, over_floor = prediction_time(X, y, X_test, args.repeats)
        print(
            f"prediction, 10,000 {source} test images, 784-256-128-64-32-10: "
            f"{seconds * 1000:.1f} ms, {over_floor:.2f}x the forward pass's GEMM floor"
        )
        print(f"\n{'cell':<22}{'epochs':>7}{'wall s':>9}{'train s':>9}{'wall/train':>12}")
        for name in args.cells:
            wall, fit = cell_times(name, args.epochs)
            print(f"{name:<22}{args.epochs:>7}{wall:9.2f}{fit:9.2f}{wall / fit:12.2f}")
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
