"""Digests of fitted parameters, to show that a change leaves training bitwise as it was.

Fits small networks on scikit-learn's digits with the options a change must not touch (every
optimizer, dtype, activation, L2, early stopping, schedules, sample weights, L-BFGS, the
regressor) and prints a SHA-256 prefix of each fitted parameter vector. Run it on two
commits on the same machine and compare (a configuration one commit cannot fit prints n/a):

    python scripts/param_digests.py > after.txt
    git stash; python setup.py build_ext --inplace -q; python scripts/param_digests.py > before.txt
    diff before.txt after.txt
"""

import hashlib
import warnings

import numpy as np
from sklearn.datasets import load_digits

from scratchnet import NeuralNetwork, NeuralNetworkRegressor

CONFIGS = [
    {"optimizer": "sgd", "lr": 0.05},
    {"optimizer": "sgd", "momentum": 0.9, "nesterov": True, "lr": 0.01},
    {"optimizer": "adam"},
    {"optimizer": "adamw"},
    {"activations": "tanh", "dtype": "float64"},
    {"activations": "sigmoid", "alpha": 1e-3},
    {"activations": "leaky_relu", "early_stopping": True, "validation_fraction": 0.2},
    {"optimizer": "lbfgs", "dtype": "float64"},
    {"lr_schedule": "onecycle"},
]


def digest(array: np.ndarray) -> str:
    return hashlib.sha256(array.tobytes()).hexdigest()[:16]


def main() -> None:
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    w = np.random.default_rng(0).uniform(0.5, 2, len(y))
    warnings.simplefilter("ignore")
    for config in CONFIGS:
        for weighted in (False, True):
            try:
                model = NeuralNetwork(layers=[64, 32, 16, 10], epochs=5, random_state=0, **config)
                model.fit(X, y, **({"sample_weight": w} if weighted else {}))
            except Exception as exc:  # an older commit without the option
                print("n/a", config, weighted, type(exc).__name__)
                continue
            print(digest(model.network_.params), config, "weighted" if weighted else "")
    regressor = NeuralNetworkRegressor(layers=[64, 16, 3], epochs=5, random_state=0)
    print(digest(regressor.fit(X, X[:, :3]).network_.params), "regressor")


if __name__ == "__main__":
    main()
