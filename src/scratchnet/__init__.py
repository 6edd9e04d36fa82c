"""scratchnet: neural networks from scratch on NumPy, with scikit-learn estimators."""

from scratchnet.estimators import NeuralNetwork, NeuralNetworkRegressor

__all__ = ["NeuralNetwork", "NeuralNetworkRegressor"]
__version__ = "0.1.0"
