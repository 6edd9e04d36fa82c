"""Coverage-guided fuzzing of the ``.safetensors`` model-file reader with atheris.

Every input is written to a ``.safetensors`` file and loaded with a 16 MiB data limit: it
must load (and then predict finite values) or raise ``ModelFileError``. Seeds: a saved
classifier with text labels and a regressor.

    python fuzz/atheris_safetensors.py -max_total_time=60 -rss_limit_mb=2048
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))

import atheris_common

with atheris.instrument_imports(include=["scratchnet.persistence"]):
    import numpy as np

    from scratchnet import load
    from scratchnet.errors import ModelFileError

PATH = atheris_common.scratch_file(".safetensors")
PROBE = np.linspace(0.0, 1.0, 4 * 64).reshape(4, 64)


def write_seeds(folder: Path) -> None:
    """A small saved classifier (text labels) and regressor on the digits."""
    from sklearn.datasets import load_digits

    from scratchnet import NeuralNetwork, NeuralNetworkRegressor, save

    X, y = load_digits(return_X_y=True)
    X, labels = X[:200] / 16.0, np.where(y[:200] > 4, "big", "small")
    classifier = NeuralNetwork(layers=[64, 8, 2], epochs=1, random_state=0).fit(X, labels)
    regressor = NeuralNetworkRegressor(layers=[64, 4, 2], epochs=1, random_state=0)
    save(classifier, folder / "classifier.safetensors")
    save(regressor.fit(X, X[:, :2]), folder / "regressor.safetensors")


def one_input(data: bytes) -> None:
    """Load ``data`` as a model file: ModelFileError, or a model predicting finite values."""
    PATH.write_bytes(data)
    try:
        model = load(PATH, max_bytes=16 << 20)
    except ModelFileError:
        return
    if model.n_features_in_ == PROBE.shape[1]:
        out = model.predict_proba(PROBE) if hasattr(model, "classes_") else model.predict(PROBE)
        if not np.isfinite(out).all():
            raise AssertionError("a loaded model predicts non-finite values")


if __name__ == "__main__":
    atheris_common.run(one_input, write_seeds)
