"""scikit-learn's own estimator checks, with no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from scratchnet import NeuralNetwork, NeuralNetworkRegressor


@parametrize_with_checks(
    [
        NeuralNetwork(epochs=50, random_state=0),
        NeuralNetworkRegressor(epochs=50, random_state=0),
        NeuralNetwork(epochs=20, dtype="float64", optimizer="sgd", momentum=0.9, random_state=0),
        NeuralNetworkRegressor(epochs=20, dtype="float64", activations="tanh", random_state=0),
    ],
    expected_failed_checks=lambda estimator: {},
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
