"""scratchnet against scikit-learn where a switching user notices speed: L-BFGS on small data and
a sparse bag-of-words matrix, measured in one run.

* L-BFGS: scikit-learn's ``MLPClassifier``/``MLPRegressor(solver="lbfgs")`` runs ``--lbfgs-iter``
  iterations and reaches a loss L. scratchnet runs until its own loss is at most L (the fewest
  iterations that do, read from its loss curve, then timed afresh): the time to the same loss.
  Two problems: digits (1,797 x 64, 10 classes) and a 20,000 x 100 regression; one hidden layer
  of 100 units, ``alpha=1e-4``. scratchnet is ``scratchnet.sklearn`` with the same settings
  (so the same initial weights), twice: on the float64 data, and on it cast to float32, which
  it then trains in float32 (scratchnet's default precision; scikit-learn does the same with
  float32 input, here it gets float64).
* Sparse: the same estimators, one epoch (Adam, batch 200, 100 hidden units) on a
  20,000 x 50,000 CSR matrix of density 0.2% and 20 classes, and the growth of peak memory
  (maximum resident set) during that fit, as a multiple of the matrix's own size (data,
  indices and pointers); then the same without the network's own state (5 million weights,
  their gradients and Adam's moments, which any implementation holds): what the data costs.

Every measurement runs in a fresh process, the contenders taking turns for ``--repeats``
rounds; the script prints medians and the median of within-round ratios.

    python benchmarks/bench_sklearn_parity.py [--repeats 3] [--lbfgs-iter 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import textwrap

WORKER = textwrap.dedent(
    """
    import json, resource, sys, time, warnings
    import numpy as np
    from scipy import sparse
    warnings.simplefilter("ignore")
    task, who, iters = sys.argv[1], sys.argv[2], int(sys.argv[3])

    def data(task):
        if task == "digits":
            from sklearn.datasets import load_digits
            X, y = load_digits(return_X_y=True)
            return X / 16.0, y
        if task == "regression":
            from sklearn.datasets import make_regression
            X, y = make_regression(20_000, 100, n_informative=50, noise=10.0, random_state=0)
            return X, (y - y.mean()) / y.std()
        rng = np.random.default_rng(0)
        n, d, nnz = 20_000, 50_000, 2_000_000
        X = sparse.csr_matrix(
            (rng.random(nnz), (rng.integers(0, n, nnz), rng.integers(0, d, nnz))), shape=(n, d)
        )
        return X, rng.integers(0, 20, n)

    def model(task, who, iters):
        from sklearn import neural_network as sk
        import scratchnet.sklearn as ours
        regression = task == "regression"
        if task == "sparse":
            kw = dict(hidden_layer_sizes=(100,), max_iter=1, batch_size=200, random_state=0)
        else:
            kw = dict(hidden_layer_sizes=(100,), solver="lbfgs", max_iter=iters, tol=0.0,
                      max_fun=10**6, alpha=1e-4, random_state=0)
        if who == "sklearn":
            return (sk.MLPRegressor if regression else sk.MLPClassifier)(**kw)
        return (ours.MLPRegressor if regression else ours.MLPClassifier)(**kw)

    X, y = data(task)
    if who == "scratchnet32":  # the same estimator on float32 input computes in float32
        X = X.astype(np.float32)
        y = y.astype(np.float32) if task == "regression" else y
    estimator = model(task, who, iters)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    estimator.fit(X, y)
    seconds = time.perf_counter() - start
    growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024
    matrix = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes if sparse.issparse(X) else X.nbytes
    curve = [float(v) for v in getattr(estimator, "loss_curve_", [estimator.loss_])]
    if hasattr(estimator, "network_"):  # weights, gradients and the optimizer's own arrays
        optimizer = getattr(estimator._trainer, "optimizer", None)  # None after lbfgs
        owned = getattr(optimizer, "__dict__", {}).values()
        extra = [v for v in owned if isinstance(v, np.ndarray)]
        state = sum(a.nbytes for a in [estimator.network_.params, estimator.network_.grads, *extra])
    else:  # scikit-learn: weights, their gradients, Adam's two moments
        state = 4 * sum(a.nbytes for a in [*estimator.coefs_, *estimator.intercepts_])
    print(json.dumps({"seconds": seconds, "loss": float(estimator.loss_), "curve": curve,
                      "n_iter": int(estimator.n_iter_), "growth": growth, "matrix": matrix,
                      "state": state}))
    """
)


def measure(task: str, who: str, iters: int) -> dict:
    """Fit once in a fresh process; its time, loss, loss curve and memory growth."""
    out = subprocess.run(
        [sys.executable, "-c", WORKER, task, who, str(iters)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def iterations_to_reach(curve: list[float], target: float) -> int | None:
    """The fewest L-BFGS iterations whose loss is at most ``target`` (1-based), or None."""
    for index, loss in enumerate(curve, start=1):
        if loss <= target:
            return index
    return None


def bench_lbfgs(task: str, repeats: int, iters: int) -> None:
    """Time to scikit-learn's loss after ``iters`` iterations, for each scratchnet flavour."""
    reference = measure(task, "sklearn", iters)
    target = reference["loss"]
    print(f"\n{task}: scikit-learn lbfgs, {reference['n_iter']} iterations, loss {target:.6g}")
    needed = {}
    for who in ("scratchnet64", "scratchnet32"):
        probe = measure(task, who, iters * 2)
        needed[who] = iterations_to_reach(probe["curve"], target)
        print(f"  {who}: reaches it after {needed[who]} iterations (of {probe['n_iter']} run)")
    rows = {who: [] for who in ("sklearn", *needed)}
    for _ in range(repeats):
        rows["sklearn"].append(measure(task, "sklearn", iters)["seconds"])
        for who, n in needed.items():
            rows[who].append(measure(task, who, n)["seconds"] if n else float("nan"))
    for who, seconds in rows.items():
        ratios = [s / t for s, t in zip(rows["sklearn"], seconds)]
        print(
            f"  {who:13s} {statistics.median(seconds):7.3f} s   "
            f"scikit-learn / this: {statistics.median(ratios):5.2f}x"
        )


def bench_sparse(repeats: int) -> None:
    """One epoch on the bag-of-words matrix: seconds, ratio, and memory growth / matrix."""
    print("\nsparse 20,000 x 50,000 CSR, density 0.2%, one epoch (Adam, batch 200, 100 hidden)")
    rows: dict[str, list[dict]] = {"sklearn": [], "scratchnet64": [], "scratchnet32": []}
    for _ in range(repeats):
        for who in rows:
            rows[who].append(measure("sparse", who, 1))
    reference = [r["seconds"] for r in rows["sklearn"]]
    for who, runs in rows.items():
        seconds = [r["seconds"] for r in runs]
        ratio = statistics.median(s / t for s, t in zip(reference, seconds))
        memory = statistics.median(r["growth"] / r["matrix"] for r in runs)
        data = statistics.median((r["growth"] - r["state"]) / r["matrix"] for r in runs)
        print(
            f"  {who:13s} {statistics.median(seconds):7.3f} s   scikit-learn / this: "
            f"{ratio:5.2f}x   peak memory growth {memory:4.2f}x the matrix, "
            f"{data:4.2f}x without the network's weights, gradients and optimizer state"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lbfgs-iter", type=int, default=200)
    args = parser.parse_args()
    bench_lbfgs("digits", args.repeats, args.lbfgs_iter)
    bench_lbfgs("regression", args.repeats, args.lbfgs_iter)
    bench_sparse(args.repeats)


if __name__ == "__main__":
    main()
