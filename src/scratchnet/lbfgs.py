"""Full-batch training with L-BFGS-B (SciPy) on the network's flat parameter vector.

The function minimised is the one the stochastic solvers follow, taken over the whole data:
the objective's (weighted) mean loss plus the L2 penalty ``alpha ||W||^2 / (2 n)``, where
``n`` is the number of rows or the total sample weight. Its gradient is one forward and one
backward pass (:meth:`MLP.backward` fills ``grads`` in the same order as ``params``), so the
solver sees exactly the network's own math. Small data sets are where it shines.
"""

from __future__ import annotations

import math
import warnings
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from scratchnet.nn.network import MLP


@dataclass
class LbfgsResult:
    """What a run of :func:`fit` did: iterations, final loss, the loss per iteration."""

    n_iter: int
    loss: float
    losses: list[float] = field(default_factory=list)
    converged: bool = True


def loss_and_gradient(
    theta: np.ndarray, network: MLP, objective, X, y: np.ndarray, w, alpha: float
) -> tuple[float, np.ndarray]:
    """The penalised loss at parameters ``theta`` (n_params,) and its gradient (float64).

    Parameters
    ----------
    theta : ndarray of shape (n_params,)
        Weights then biases, laid out as ``network.params``.
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    y : ndarray
        Targets in the objective's encoding.
    w : ndarray of shape (n_samples,) or None
        Sample weights.
    alpha : float
        L2 penalty.
    """
    network.params[...] = theta
    workspace = network.workspace(X.shape[0])
    output = network.forward(X, workspace, sample_weight=w)
    loss, _, grad = objective.step(output, y, w)
    norm = X.shape[0] if w is None else float(w.sum(dtype=np.float64))
    if alpha:
        weights = network.params[: network.n_weights].astype(np.float64)
        loss += 0.5 * alpha * float(weights @ weights) / norm
    network.backward(workspace, grad, alpha, normalizer=None if w is None else norm)
    return float(loss), network.grads.astype(np.float64)


def _solver_blas_serial():
    """One thread for every BLAS but NumPy's own while L-BFGS-B runs, as a context manager
    (call it once ``scipy.optimize`` is imported, which loads SciPy's).

    SciPy ships its own OpenBLAS, in which L-BFGS-B does its bookkeeping between our
    evaluations; our matrix products run in NumPy's. Each library keeps worker threads that
    spin between calls, and two spinning pools on the same cores made every fit 3-6x slower
    (measured on 2 cores: a 20,000 x 100 regression, 40 iterations, 2.4 s -> 0.56 s). The
    solver's own work is serial vector algebra on a few thousand numbers: one thread loses
    nothing there.
    """
    from threadpoolctl import ThreadpoolController

    controller = ThreadpoolController()
    others = [
        lib.filepath
        for lib in controller.lib_controllers
        if lib.user_api == "blas" and Path(lib.filepath).parent.name not in NUMPY_LIBS
    ]
    return controller.select(filepath=others).limit(limits=1) if others else nullcontext()


#: Folders in which NumPy's wheels keep their bundled BLAS.
NUMPY_LIBS = ("numpy.libs", ".dylibs")


def fit(
    network: MLP,
    objective,
    X,
    y: np.ndarray,
    w: np.ndarray | None,
    alpha: float,
    max_iter: int,
    max_fun: int,
    tol: float,
) -> LbfgsResult:
    """Minimise the penalised loss from the network's current parameters, in place.

    Batch-normalized layers are normalized with the statistics of the whole data, which
    become their running statistics at the end.

    Warns with ``ConvergenceWarning`` if ``max_iter`` or ``max_fun`` ended the run first.
    """
    from scipy.optimize import minimize

    losses: list[float] = []
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"), _solver_blas_serial():
        result = minimize(
            loss_and_gradient,
            network.params.astype(np.float64),
            args=(network, objective, X, y, w, alpha),
            method="L-BFGS-B",
            jac=True,
            options={"maxiter": max_iter, "maxfun": max_fun, "gtol": tol},
            callback=lambda intermediate_result: losses.append(float(intermediate_result.fun)),
        )
    network.params[...] = result.x
    if network.normalizes:  # inference normalizes with the whole data's final statistics
        network.forward(X, sample_weight=w)
        network.update_running_statistics(network.workspace(X.shape[0]), momentum=0.0)
    network._workspaces.pop(X.shape[0], None)  # the full-batch buffers are not needed again
    converged = result.status == 0
    if not converged:
        warnings.warn(
            f"lbfgs stopped before converging after {result.nit} iterations and "
            f"{result.nfev} loss evaluations (max_iter={max_iter}, max_fun={max_fun}): "
            f"{result.message}",
            ConvergenceWarning,
            stacklevel=3,
        )
    final = float(result.fun) if math.isfinite(result.fun) else math.nan
    return LbfgsResult(int(result.nit), final, losses or [final], converged)
