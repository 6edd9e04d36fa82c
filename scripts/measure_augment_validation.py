"""What augmentation buys the original study's MNIST network in a short schedule (run by hand;
not a test), on the validation split only: the first 50,000 of MNIST's 60,000 training images
train, the last 10,000 validate; the test set is never read.

784-256-128-64-32-10, ReLU, He initialization, Adam (lr 1e-3), batch 128, one BLAS thread.
Prints one JSON line per augmentation: the last and best validation accuracy, the last
training accuracy (on augmented batches) and the seconds taken.

Usage::

    PYTHONPATH=src python scripts/measure_augment_validation.py --epochs 10 [--random-state 0]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from threadpoolctl import threadpool_limits

from scratchnet import NeuralNetwork
from scratchnet.data import load_dataset

AUGMENTATIONS = {
    "none": None,
    "mnist": "mnist",
    "affine": {"shift": 2, "rotate": 10, "scale": 0.1, "shear": 10},
    "shift 2": {"shift": 2},
}


def measure(augment, data: tuple, epochs: int, random_state: int) -> dict:
    """Train once with ``augment``; the validation figures of :data:`AUGMENTATIONS` lines."""
    X_train, y_train, X_val, y_val = data
    start = time.perf_counter()
    model = NeuralNetwork(
        layers=[784, 256, 128, 64, 32, 10],
        activations="relu",
        weight_init="he",
        optimizer="adam",
        lr=1e-3,
        batch_size=128,
        epochs=epochs,
        random_state=random_state,
        augment=augment,
    )
    with threadpool_limits(1):
        model.fit(X_train, y_train, validation_data=(X_val, y_val))
    accuracy = model.history_["val_accuracy"]
    return {
        "val_accuracy_last": round(accuracy[-1], 4),
        "val_accuracy_best": round(max(accuracy), 4),
        "best_epoch": int(np.argmax(accuracy)) + 1,
        "train_accuracy_last": round(model.history_["accuracy"][-1], 4),
        "seconds": round(time.perf_counter() - start, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--only", nargs="+", choices=sorted(AUGMENTATIONS), default=None)
    args = parser.parse_args()
    mnist = load_dataset("mnist")
    X = mnist.X_train.reshape(len(mnist.X_train), -1).astype(np.float32) / 255
    data = (X[:50_000], mnist.y_train[:50_000], X[50_000:], mnist.y_train[50_000:])
    for name in args.only or AUGMENTATIONS:
        figures = measure(AUGMENTATIONS[name], data, args.epochs, args.random_state)
        print(json.dumps({"augment": name, "epochs": args.epochs, **figures}), flush=True)


if __name__ == "__main__":
    main()
