"""Fuzz the ``.safetensors`` model-file reader: seeded mutations of real saved models.

Each case damages the bytes, the header length, a tensor entry, the metadata (the scratchnet
header JSON included), the data or the whole header text of a saved model
(``tests/safetensors_mutations.py``) and loads it under a memory bound. It must raise
``ModelFileError`` (one line, naming the file) or load a model that predicts finite values,
equal to the original's wherever the loaded weights are the original's.
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

import safetensors_mutations as sm
from scratchnet import NeuralNetwork, NeuralNetworkRegressor, load, save
from scratchnet.errors import ModelFileError
from scratchnet.sklearn import MLPClassifier

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
        "batch-norm": NeuralNetwork(
            layers=[64, 16, 8, 10], batch_norm=[True, False], epochs=2, random_state=0
        ).fit(X, y),
        "text-labels": MLPClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(
            X, np.where(y > 4, "big", "small")
        ),
    }
FOLDER = Path(tempfile.mkdtemp(prefix="fuzz-safetensors-"))
SAVED = {
    name: save(model, FOLDER / f"{name}.safetensors").read_bytes() for name, model in MODELS.items()
}


def _predict(model):
    return model.predict_proba(X) if hasattr(model, "classes_") else model.predict(X)


def _same_weights(a, b) -> bool:
    pairs = list(zip(a.coefs_, b.coefs_)) + list(zip(a.intercepts_, b.intercepts_))
    return len(a.coefs_) == len(b.coefs_) and all(
        p.shape == q.shape and p.dtype == q.dtype and np.array_equal(p, q) for p, q in pairs
    )


def check_mutation(name: str, kind: str | None, seed: int, folder: Path = FOLDER) -> object:
    """Load one mutated copy; return the outcome (a model or the ModelFileError)."""
    kind, mutated = sm.mutate(SAVED[name], seed, kind)
    path = folder / f"case-{name}.safetensors"
    path.write_bytes(mutated)
    outcome = call_bounded(lambda: load(path), (ModelFileError,), max_bytes=48 * MiB)
    if isinstance(outcome, ModelFileError):
        message = str(outcome)
        assert "\n" not in message and path.name in message, message
        return outcome
    original = MODELS[name]
    predicted = _predict(outcome)
    assert np.isfinite(predicted).all(), f"{kind} seed {seed}: loaded, predicts non-finite"
    if type(outcome) is type(original) and _same_weights(outcome, original):
        np.testing.assert_array_equal(predicted, _predict(original))
    return outcome


@pytest.mark.parametrize("kind", sorted(sm.MUTATIONS))
@given(seed=st.integers(0, 2**32 - 1), name=st.sampled_from(sorted(MODELS)))
def test_mutated_safetensors_files_load_or_raise_model_file_error(kind, seed, name):
    check_mutation(name, kind, seed)
