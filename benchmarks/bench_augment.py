"""Cost of image augmentation per 128-image batch, beside one training step of the original
study's MNIST network (784-256-128-64-32-10, ReLU, Adam, batch 128, float32), in one run.

For each transform alone and for the presets, prints the milliseconds to augment one batch
(the training loop's path: a :class:`~scratchnet.data.augment.BatchAugmenter` reusing its
buffers) and its ratio to one training step (``Trainer.step`` on one batch). Times are CPU
seconds of this process with one BLAS thread (what other loads on a shared machine take is
not counted), medians over ``--repeats`` rounds in which the contenders take turns.

    python benchmarks/bench_augment.py [--repeats 9]
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

from scratchnet import NeuralNetwork
from scratchnet.data.augment import PRESETS, Augment, BatchAugmenter

SIZES = [784, 256, 128, 64, 32, 10]
BATCH = 128

TRANSFORMS = {
    "shift 2 px": {"shift": 2},
    "rotate 10 deg": {"rotate": 10},
    "scale 10 %": {"scale": 0.1},
    "shear 10 deg": {"shear": 10},
    "elastic 1 px": {"elastic": 1.0},
    "flip 0.5": {"flip": 0.5},
    **{f"preset {name!r}": params for name, params in PRESETS.items()},
}


def images(n: int) -> tuple[np.ndarray, np.ndarray, str]:
    """MNIST training images (n, 784) scaled to [0, 1] and labels, or random ones."""
    try:
        from scratchnet.data import load_dataset

        data = load_dataset("mnist", download=False)
        X = data.X_train[:n].reshape(n, -1).astype(np.float32) / 255
        return X, data.y_train[:n], "MNIST"
    except Exception:  # no cached MNIST: the cost is the same on any pixels
        rng = np.random.default_rng(0)
        return rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n), "random pixels"


def cpu_ms(function, calls: int = 30) -> float:
    """CPU milliseconds per call of ``function()``."""
    start = time.process_time()
    for _ in range(calls):
        function()
    return (time.process_time() - start) / calls * 1e3


def training_step(X: np.ndarray, y: np.ndarray):
    """A function running one training step of the network on the batch X[:BATCH]."""
    model = NeuralNetwork(layers=SIZES, epochs=1, batch_size=BATCH, random_state=0)
    model.fit(X[: 2 * BATCH], y[: 2 * BATCH])
    trainer = model._trainer
    X_batch, y_batch = X[:BATCH], model._encode_targets(y[:BATCH], X.dtype)
    return lambda: trainer.step(X_batch, y_batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    X, y, source = images(BATCH * 8)
    contenders = {"training step": None}
    for name, params in TRANSFORMS.items():
        augmenter = BatchAugmenter(Augment(**params), np.random.default_rng(0))
        contenders[name] = functools.partial(augmenter, X[:BATCH])
    times: dict[str, list[float]] = {name: [] for name in contenders}
    with threadpool_limits(1):
        contenders["training step"] = training_step(X, y)
        for _ in range(args.repeats):
            for name, function in contenders.items():
                times[name].append(cpu_ms(function))
    median = {name: statistics.median(values) for name, values in times.items()}
    step = median.pop("training step")
    print(f"{source}, batch {BATCH}, float32, CPU time, median of {args.repeats} rounds")
    print(f"one training step of {'-'.join(map(str, SIZES))} (Adam): {step:.3f} ms")
    print(f"{'augmentation':<20} {'ms/batch':>9} {'/ step':>7}")
    for name, value in median.items():
        print(f"{name:<20} {value:>9.3f} {value / step:>7.2f}")


if __name__ == "__main__":
    main()
