"""The types ``skops.io.load`` must trust to load a scratchnet estimator, and no others.

A fitted estimator's saved state holds arrays, builtins and one object of scratchnet's own,
the network (``scratchnet.nn.network.MLP``, whose state is arrays and builtins too: its
activations by name). The training machinery is left out of the state (see
``_BaseNetwork.__getstate__``). An ``activations`` parameter given as an ``Activation``
object (``leaky_relu`` with a slope of your own) is saved by name and settings, and needs
``scratchnet.nn.activations.Activation``, but no function. So loading needs the
estimator's class, ``MLP`` and ``Activation``::

    import skops.io
    from scratchnet.export import skops_trusted_types

    model = skops.io.load("model.skops", trusted=skops_trusted_types(NeuralNetwork))

A model whose ``random_state`` is a NumPy generator, or whose ``activations`` holds an
``Activation`` built by hand rather than taken from the registry, needs more:
``skops.io.get_untrusted_types`` lists it.
"""

from __future__ import annotations

#: What every estimator's state holds besides the estimator itself.
SHARED = ("scratchnet.nn.network.MLP", "scratchnet.nn.activations.Activation")
#: Estimator class name -> its full name as skops reports it.
ESTIMATORS = {
    "NeuralNetwork": "scratchnet.estimators.NeuralNetwork",
    "NeuralNetworkRegressor": "scratchnet.estimators.NeuralNetworkRegressor",
    "MLPClassifier": "scratchnet.sklearn.MLPClassifier",
    "MLPRegressor": "scratchnet.sklearn.MLPRegressor",
}


def skops_trusted_types(estimator: type | str | None = None) -> list[str]:
    """The ``trusted=`` list for ``skops.io.load`` of a scratchnet estimator, sorted.

    Parameters
    ----------
    estimator : class or class name, optional
        ``NeuralNetwork``, ``NeuralNetworkRegressor`` or a ``scratchnet.sklearn`` drop-in:
        the types that one needs (``Activation`` only with an ``Activation`` parameter).
        Default: those of all four.

    Raises
    ------
    ExportError
        For another class, naming the ones known.
    """
    from scratchnet.errors import ExportError

    if estimator is None:
        return sorted([*SHARED, *ESTIMATORS.values()])
    if isinstance(estimator, str):
        name = estimator
    else:
        name = f"{getattr(estimator, '__module__', '')}.{getattr(estimator, '__name__', '')}"
    full = ESTIMATORS.get(name, name if name in ESTIMATORS.values() else None)
    if full is None:
        raise ExportError(
            f"skops_trusted_types knows {', '.join(ESTIMATORS)}, not {str(estimator)[:80]}"
        )
    return sorted([*SHARED, full])
