"""
Export to ONNX
==============

A fitted network written as an ONNX graph with ``scratchnet.export.to_onnx(model)``, so that
any ONNX runtime can serve it without scratchnet or Python. Where ``scratchnet.export`` is not
installed (it arrives with the model-export work), this example says so and stops.
"""

import importlib.util

from sklearn.datasets import load_digits

from scratchnet import NeuralNetwork

X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype("float32")
model = NeuralNetwork(layers=[64, 32, 10], epochs=10, random_state=0).fit(X, y)

if importlib.util.find_spec("scratchnet.export") is None:
    print("scratchnet.export is not available in this version: nothing to export.")
else:
    from scratchnet.export import to_onnx

    onnx_model = to_onnx(model)
    print(type(onnx_model).__name__, "written for a network of layers", model.layers)
    if importlib.util.find_spec("onnxruntime") is not None:
        import numpy as np
        import onnxruntime

        serialized = getattr(onnx_model, "SerializeToString", lambda: onnx_model)()
        session = onnxruntime.InferenceSession(serialized, providers=["CPUExecutionProvider"])
        outputs = session.run(None, {session.get_inputs()[0].name: X[:5]})
        probabilities = [o for o in outputs if getattr(o, "shape", None) == (5, 10)]
        expected = model.predict_proba(X[:5])
        agrees = bool(probabilities) and np.allclose(probabilities[0], expected, atol=1e-5)
        print("ONNX runtime's probabilities match predict_proba:", agrees)
