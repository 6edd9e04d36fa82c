"""Fuzz the model-file reader: seeded mutations of a real saved model.

Each case mutates the bytes, the zip structure, the array members or the header JSON of a
saved model (``tests/model_mutations.py``) and loads it under a memory bound. It must either
raise ``ModelFileError`` or load a model that predicts finite values, equal to the original's
wherever the loaded weights are the original's.
"""

import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

import model_mutations as mm
from scratchnet import NeuralNetwork, NeuralNetworkRegressor, load, save
from scratchnet.errors import ModelFileError

from bounded import MiB, call_bounded

X, y = load_digits(return_X_y=True)
X = X[:200] / 16.0
y = y[:200]
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    MODELS = {
        "classifier": NeuralNetwork(layers=[64, 16, 10], epochs=2, random_state=0).fit(X, y),
        "regressor": NeuralNetworkRegressor(layers=[64, 8, 3], epochs=2, random_state=0).fit(
            X, X[:, :3]
        ),
        "sklearn": MLPClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(X, y),
        "batch_norm": NeuralNetwork(
            layers=[64, 8, 6, 10], batch_norm=[True, False], epochs=2, random_state=0
        ).fit(X, y),
    }
FOLDER = Path(tempfile.mkdtemp(prefix="fuzz-model-files-"))
SAVED = {name: save(model, FOLDER / f"{name}.npz").read_bytes() for name, model in MODELS.items()}


def _predict(model):
    return model.predict_proba(X) if hasattr(model, "classes_") else model.predict(X)


def _same_weights(a, b) -> bool:
    pairs = list(zip(a.coefs_, b.coefs_)) + list(zip(a.intercepts_, b.intercepts_))
    if hasattr(a, "network_"):  # batch normalization's scales and running statistics too
        pairs.append((a.network_.snapshot(), b.network_.snapshot()))
    return len(a.coefs_) == len(b.coefs_) and all(
        x.shape == y.shape and x.dtype == y.dtype and np.array_equal(x, y) for x, y in pairs
    )


def _check(name: str, kind: str | None, seed: int) -> None:
    kind, mutated = mm.mutate(SAVED[name], seed, kind)
    path = FOLDER / f"case-{name}.npz"
    path.write_bytes(mutated)
    outcome = call_bounded(lambda: load(path), (ModelFileError,), max_bytes=48 * MiB)
    if isinstance(outcome, ModelFileError):
        message = str(outcome)
        assert "\n" not in message and path.name in message, message
        return
    original = MODELS[name]
    predicted = _predict(outcome)
    assert np.isfinite(predicted).all(), f"{kind} seed {seed}: loaded, predicts non-finite"
    if type(outcome) is type(original) and _same_weights(outcome, original):
        np.testing.assert_array_equal(predicted, _predict(original))


@pytest.mark.parametrize("kind", sorted(mm.MUTATIONS))
@given(seed=st.integers(0, 2**32 - 1), name=st.sampled_from(sorted(MODELS)))
def test_mutated_model_files_load_or_raise_model_file_error(kind, seed, name):
    _check(name, kind, seed)
