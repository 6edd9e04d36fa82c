"""Measure how closely ONNX graphs agree with the estimators (run by hand; not a test).

On MNIST (10,000 training images, the 10,000 test images, float32): the largest absolute
difference between onnxruntime's ``probabilities`` and ``predict_proba``, and whether the
labels equal ``predict``, for every hidden activation, batch normalization, and a
``StandardScaler`` + ``NeuralNetwork`` pipeline converted by skl2onnx.

Usage::

    PYTHONPATH=src python scripts/measure_onnx_agreement.py
"""

from __future__ import annotations

import warnings

import numpy as np
import onnxruntime as rt
import skl2onnx
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from scratchnet import NeuralNetwork
from scratchnet.data import load_dataset
from scratchnet.export import register_skl2onnx, to_onnx


def run(proto, X: np.ndarray) -> list[np.ndarray]:
    """The graph's outputs for ``X`` (n, n_features)."""
    session = rt.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})


def report(name: str, model, proto, X: np.ndarray) -> None:
    """One line: max |probabilities - predict_proba| and whether the labels agree."""
    label, proba = run(proto, X)
    gap = np.abs(proba - model.predict_proba(X)).max()
    same = np.array_equal(label, model.predict(X))
    print(f"{name:20s} max abs diff {gap:.2e}  labels equal: {same}")


def main() -> None:
    data = load_dataset("mnist", data_dir=None)
    X = data.X_train[:10000].reshape(10000, -1).astype(np.float32) / 255.0
    y = data.y_train[:10000]
    X_test = data.X_test.reshape(len(data.X_test), -1).astype(np.float32) / 255.0
    for activation in ("relu", "tanh", "sigmoid", "leaky_relu", "identity"):
        net = NeuralNetwork(
            layers=[784, 128, 64, 10], activations=activation, dropout=0.2, epochs=3, random_state=0
        ).fit(X, y)
        report(activation, net, to_onnx(net), X_test)
    net = NeuralNetwork(layers=[784, 128, 64, 10], batch_norm=True, epochs=3, random_state=0)
    report("batch_norm", net.fit(X, y), to_onnx(net), X_test)
    register_skl2onnx()
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("net", NeuralNetwork(layers=[784, 128, 10], epochs=3, random_state=0)),
        ]
    )
    pipe.fit(X, y)
    report("pipeline (skl2onnx)", pipe, skl2onnx.to_onnx(pipe, X[:1]), X_test)


if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        main()
