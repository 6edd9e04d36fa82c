"""ONNX export: the graph, run in onnxruntime, predicts what the estimator predicts.

Real data throughout: scikit-learn's digits (no download) for every activation and output,
MNIST (cached) for a classifier and a pipeline.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from scratchnet import NeuralNetwork, NeuralNetworkRegressor
from scratchnet.errors import DataSourceError, ExportError
from scratchnet.export import register_skl2onnx, to_onnx
from scratchnet.nn import activations
from scratchnet.sklearn import MLPClassifier, MLPRegressor

onnx = pytest.importorskip("onnx")
rt = pytest.importorskip("onnxruntime")
skl2onnx = pytest.importorskip("skl2onnx")

TOL = 1e-5
ACTIVATIONS = ["relu", "tanh", "sigmoid", "leaky_relu", "identity"]


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(np.float32), y


def run(proto, X: np.ndarray) -> list[np.ndarray]:
    onnx.checker.check_model(proto, full_check=True)
    session = rt.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})


def fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_classifier_matches_predict_proba_for_every_activation(digits, activation):
    X, y = digits
    hidden = activations.get("leaky_relu", slope=0.2) if activation == "leaky_relu" else activation
    model = fit(
        NeuralNetwork(
            layers=[64, 32, 16, 10], activations=hidden, epochs=5, dropout=0.3, random_state=0
        ),
        X,
        y,
    )
    label, proba = run(to_onnx(model), X)
    assert proba.shape == (len(X), 10) and label.dtype == np.int64
    assert np.abs(proba - model.predict_proba(X)).max() < TOL
    np.testing.assert_array_equal(label, model.predict(X))


@pytest.mark.parametrize("batch_norm", [True, [False, True]])
def test_batch_norm_is_its_inference_scale_and_shift(digits, batch_norm):
    X, y = digits
    model = fit(
        NeuralNetwork(
            layers=[64, 32, 16, 10],
            batch_norm=batch_norm,
            activations="tanh",
            epochs=5,
            random_state=0,
        ),
        X,
        y,
    )
    proto = to_onnx(model)
    n_norms = 2 if batch_norm is True else 1
    assert [n.op_type for n in proto.graph.node].count("Mul") == n_norms
    label, proba = run(proto, X)
    assert np.abs(proba - model.predict_proba(X)).max() < TOL
    np.testing.assert_array_equal(label, model.predict(X))
    reg = fit(
        NeuralNetworkRegressor(layers=[64, 16, 2], batch_norm=True, epochs=5, random_state=0),
        X,
        X[:, :2],
    )
    (variable,) = run(to_onnx(reg), X)
    assert np.abs(variable - reg.predict(X)).max() < TOL


def test_weights_assigned_to_coefs_are_exported_as_predict_uses_them(digits):
    X, y = digits
    model = fit(NeuralNetwork(layers=[64, 8, 10], epochs=1, random_state=0), X, y)
    model.coefs_ = [c * 2 for c in model.coefs_]
    _, proba = run(to_onnx(model), X)
    assert np.abs(proba - model.predict_proba(X)).max() < TOL


def test_leaky_relu_is_an_onnx_leaky_relu_with_its_slope(digits):
    X, y = digits
    model = fit(
        NeuralNetwork(
            layers=[64, 8, 10],
            activations=activations.get("leaky_relu", slope=0.25),
            epochs=1,
            random_state=0,
        ),
        X,
        y,
    )
    nodes = [n for n in to_onnx(model).graph.node if n.op_type == "LeakyRelu"]
    assert len(nodes) == 1 and nodes[0].attribute[0].f == pytest.approx(0.25)


def test_dropout_leaves_no_trace_in_the_inference_graph(digits):
    X, y = digits
    model = fit(NeuralNetwork(layers=[64, 16, 10], dropout=0.5, epochs=2, random_state=0), X, y)
    ops = {node.op_type for node in to_onnx(model).graph.node}
    assert ops == {"MatMul", "Add", "Relu", "Softmax", "ArgMax", "Gather"}


@pytest.mark.parametrize("loss, out", [("squared_error", "Identity"), ("poisson", "Exp")])
def test_regressor_matches_predict(digits, loss, out):
    X, y = digits
    model = fit(
        NeuralNetworkRegressor(
            layers=[64, 16, 1], activations="tanh", loss=loss, epochs=5, random_state=0
        ),
        X,
        y.astype(float),
    )
    proto = to_onnx(model)
    (variable,) = run(proto, X)
    assert variable.shape == (len(X), 1) and out in {n.op_type for n in proto.graph.node}
    expected = model.predict(X)
    assert np.abs(variable[:, 0] - expected).max() < TOL * max(1.0, np.abs(expected).max())


def test_multi_output_regressor(digits):
    X, _ = digits
    model = fit(NeuralNetworkRegressor(layers=[64, 8, 3], epochs=3, random_state=0), X, X[:, :3])
    (variable,) = run(to_onnx(model), X)
    assert np.abs(variable - model.predict(X)).max() < TOL


def test_multilabel_classifier_gives_sigmoid_probabilities_and_indicator_labels(digits):
    X, y = digits
    Y = np.stack([y > 4, y % 2 == 0, y == 3], axis=1).astype(int)
    model = fit(NeuralNetwork(layers=[64, 16, 3], epochs=5, random_state=0), X, Y)
    label, proba = run(to_onnx(model), X)
    assert np.abs(proba - model.predict_proba(X)).max() < TOL
    np.testing.assert_array_equal(label, model.predict(X))


def test_drop_ins_binary_text_labels_and_regressor(digits):
    X, y = digits
    text = np.where(y > 4, "big", "small")
    clf = fit(MLPClassifier(hidden_layer_sizes=(16,), max_iter=5, random_state=0), X, text)
    label, proba = run(to_onnx(clf), X)
    assert clf.out_activation_ == "logistic" and proba.shape == (len(X), 2)
    assert np.abs(proba - clf.predict_proba(X)).max() < TOL
    assert label.tolist() == clf.predict(X).tolist()
    reg = fit(MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0), X, X[:, 5])
    (variable,) = run(to_onnx(reg), X)
    assert np.abs(variable[:, 0] - reg.predict(X)).max() < TOL


def test_float64_model_gives_a_double_graph(digits):
    X, y = digits
    model = fit(
        NeuralNetwork(layers=[64, 16, 10], dtype="float64", epochs=3, random_state=0),
        X.astype(np.float64),
        y,
    )
    _, proba = run(to_onnx(model), X.astype(np.float64))
    assert proba.dtype == np.float64
    assert np.abs(proba - model.predict_proba(X.astype(np.float64))).max() < 1e-12


def test_pipeline_converts_with_skl2onnx(digits):
    X, y = digits
    pipe = fit(
        Pipeline(
            [
                ("scale", StandardScaler()),
                ("net", NeuralNetwork(layers=[64, 32, 10], epochs=5, random_state=0)),
            ]
        ),
        X,
        y,
    )
    register_skl2onnx()
    label, proba = run(skl2onnx.to_onnx(pipe, X[:1]), X)
    assert np.abs(proba - pipe.predict_proba(X)).max() < TOL
    np.testing.assert_array_equal(label, pipe.predict(X))


def test_zipmap_false_is_accepted_and_zipmap_true_refused(digits):
    X, y = digits
    model = fit(NeuralNetwork(layers=[64, 8, 10], epochs=1, random_state=0), X, y)
    register_skl2onnx()
    proto = skl2onnx.to_onnx(model, X[:1], options={id(model): {"zipmap": False}})
    assert [out.name for out in proto.graph.output] == ["label", "probabilities"]
    with pytest.raises(ValueError, match="zipmap"):
        skl2onnx.to_onnx(model, X[:1], options={id(model): {"zipmap": True}})


def test_a_double_input_gives_a_double_pipeline_graph(digits):
    X, y = digits
    X = X.astype(np.float64)
    net = NeuralNetwork(layers=[64, 16, 10], dtype="float64", epochs=3, random_state=0)
    pipe = fit(Pipeline([("scale", StandardScaler()), ("net", net)]), X, y)
    register_skl2onnx()
    _, proba = run(skl2onnx.to_onnx(pipe, X[:1]), X)
    assert proba.dtype == np.float64
    assert np.abs(proba - pipe.predict_proba(X)).max() < 1e-12


def test_regressor_pipeline_and_drop_in_convert_with_skl2onnx(digits):
    X, _ = digits
    register_skl2onnx()
    for net in (
        NeuralNetworkRegressor(layers=[64, 8, 2], epochs=3, random_state=0),
        MLPRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=0),
    ):
        pipe = fit(Pipeline([("scale", StandardScaler()), ("net", net)]), X, X[:, 10:12])
        (variable,) = run(skl2onnx.to_onnx(pipe, X[:1]), X)
        assert np.abs(variable - pipe.predict(X)).max() < TOL


@pytest.mark.network
def test_mnist_classifier_and_pipeline_match_to_1e_5():
    from scratchnet.data import load_dataset

    try:
        data = load_dataset("mnist", data_dir=None)
    except DataSourceError as exc:
        pytest.skip(f"MNIST is not available: {exc}")
    X = data.X_train[:3000].reshape(3000, -1).astype(np.float32) / 255.0
    X_test = data.X_test[:2000].reshape(2000, -1).astype(np.float32) / 255.0
    y = data.y_train[:3000]
    net = NeuralNetwork(
        layers=[784, 64, 32, 10],
        activations=["leaky_relu", "tanh"],
        batch_norm=[True, False],
        epochs=3,
        dropout=0.2,
        random_state=0,
    )
    pipe = fit(Pipeline([("scale", StandardScaler()), ("net", net)]), X, y)
    register_skl2onnx()
    label, proba = run(skl2onnx.to_onnx(pipe, X[:1]), X_test)
    assert np.abs(proba - pipe.predict_proba(X_test)).max() < TOL
    np.testing.assert_array_equal(label, pipe.predict(X_test))
    scaled = pipe[0].transform(X_test).astype(np.float32)
    label, proba = run(to_onnx(pipe[-1]), scaled)
    assert np.abs(proba - net.predict_proba(scaled)).max() < TOL


def test_a_registered_activation_is_refused_by_name(digits):
    X, y = digits
    activations.register("softsign", lambda z: z / (1 + abs(z)), lambda a: (1 - abs(a)) ** 2)
    try:
        model = fit(NeuralNetwork(layers=[64, 8, 10], activations="softsign", epochs=1), X, y)
        with pytest.raises(ExportError, match=r"hidden layer 1 uses activation 'softsign'"):
            to_onnx(model)
    finally:
        activations.unregister("softsign")


def test_unfitted_and_foreign_models_are_refused(digits):
    from sklearn.exceptions import NotFittedError
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(NotFittedError):
        to_onnx(NeuralNetwork())
    with pytest.raises(ExportError, match="not sklearn.linear_model"):
        to_onnx(LogisticRegression())


def test_to_onnx_writes_the_file_atomically(digits, tmp_path):
    X, y = digits
    model = fit(NeuralNetwork(layers=[64, 8, 10], epochs=1, random_state=0), X, y)
    path = tmp_path / "sub" / "model.onnx"
    proto = to_onnx(model, path)
    assert onnx.load(str(path)) == proto and [p.name for p in path.parent.iterdir()] == [path.name]
