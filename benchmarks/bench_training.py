"""Training speed of the original's MNIST network: scratchnet beside the GEMM floor,
scikit-learn and PyTorch, measured in one run on the same data.

Network 784-256-128-64-32-10 (ReLU), batch 128, float32, one epoch over 48,000 samples, plain
SGD and Adam. Each contender runs in its own worker process; the workers take turns, one epoch
each, for ``--repeats`` rounds. Prints seconds per epoch (median over rounds), GFLOP/s of the
matrix products the epoch must do and the ratio to the floor, then the median over rounds of
each within-round ratio (robust to load that comes and goes on a shared machine); then the
prediction time on 10,000 images and the peak memory of a full training run (a child
process's maximum resident set). scratchnet runs twice: with its compiled loops, and with
their NumPy reference only (``SCRATCHNET_PURE_NUMPY=1``), the state before they existed.

    python benchmarks/bench_training.py [--repeats 7] [--threads 2] [--skip-sklearn] [--layers]

``--layers`` adds dropout (0.2 on every hidden layer) and batch normalization (every hidden
layer) to both scratchnet and PyTorch (``nn.Dropout`` / ``nn.BatchNorm1d`` in the same
``nn.Sequential``), and prints each one's epoch over the plain epoch of the same library.

The GEMM floor is the time of only the matrix products training must do at these shapes
(forward, weight gradients, and input gradients of every layer but the first) with the same
BLAS, on preallocated buffers: no activation, loss, bias or optimizer work at all.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

SIZES = [784, 256, 128, 64, 32, 10]
BATCH = 128
N_TRAIN = 48_000


def training_flops(n_samples: int) -> float:
    """Floating-point operations of the matrix products of one epoch."""
    pairs = list(itertools.pairwise(SIZES))
    forward = sum(2 * a * b for a, b in pairs)
    weight_grads = forward
    input_grads = sum(2 * a * b for a, b in pairs[1:])
    return n_samples * (forward + weight_grads + input_grads)


def load_data(quiet: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """48,000 MNIST training images (float32 in [0, 1]), labels, 10,000 test images."""
    try:
        from scratchnet.data.prepare import DataConfig, prepare

        data = prepare(DataConfig(dataset="mnist"))
        return data.X_train, data.y_train, data.official_test[0], "MNIST"
    except Exception as exc:  # no data source reachable: same shapes, random pixels
        if not quiet:
            print(f"(MNIST unavailable: {exc}; using random data of the same shapes)")
        rng = np.random.default_rng(0)
        X = rng.random((N_TRAIN + 10_000, 784), dtype=np.float32)
        return X[:N_TRAIN], rng.integers(0, 10, N_TRAIN), X[N_TRAIN:], "random"


def gemm_floor(X: np.ndarray, sizes: list[int] = SIZES, batch: int = BATCH) -> float:
    """One epoch of only the training matrix products, on preallocated float32 buffers."""
    rng = np.random.default_rng(0)
    weights = [
        rng.standard_normal((a, b), dtype=np.float32) * 0.05 for a, b in itertools.pairwise(sizes)
    ]
    acts = [None] + [np.empty((batch, s), np.float32) for s in sizes[1:]]
    deltas = [None] + [np.empty((batch, s), np.float32) for s in sizes[1:-1]]
    grads = [np.empty_like(w) for w in weights]
    start = time.perf_counter()
    for begin in range(0, len(X) - batch + 1, batch):
        acts[0] = X[begin : begin + batch]
        for i, w in enumerate(weights):
            np.matmul(acts[i], w, out=acts[i + 1])
        delta = acts[-1]
        for i in reversed(range(len(weights))):
            np.matmul(acts[i].T, delta, out=grads[i])
            if i:
                np.matmul(delta, weights[i].T, out=deltas[i])
                delta = deltas[i]
    return time.perf_counter() - start


#: The ``--layers`` variants: scratchnet's settings and the PyTorch module after each hidden
#: layer's affine map ("batch norm" goes before the activation, "dropout" after it).
LAYERS = {"dropout": {"dropout": 0.2}, "batch norm": {"batch_norm": True}}


def scratchnet_epoch(X, y, optimizer: str, layer: str | None = None) -> float:
    """Seconds of one training epoch (the estimator's own epoch timer, setup excluded)."""
    from scratchnet import NeuralNetwork

    extra = LAYERS[layer] if layer else {}
    model = NeuralNetwork(
        layers=SIZES,
        epochs=1,
        batch_size=BATCH,
        optimizer=optimizer,
        lr=1e-3,
        random_state=0,
        **extra,
    )
    return model.fit(X, y).history_["epoch_time"][0]


def sklearn_epoch(X, y, optimizer: str) -> float:
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(
        SIZES[1:-1],
        solver=optimizer,
        batch_size=BATCH,
        max_iter=1,
        learning_rate_init=1e-3,
        momentum=0.0,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X, y)
    return time.perf_counter() - start


def torch_epoch(X, y, optimizer: str, layer: str | None = None) -> float:
    import torch

    model = torch_model(SIZES, layer)
    opt = (torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam)(model.parameters(), lr=1e-3)
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(np.asarray(y, dtype=np.int64))
    return torch_train(model, opt, torch.nn.CrossEntropyLoss(), (X_t, y_t), BATCH)


def torch_model(sizes: list[int], layer: str | None = None):
    """PyTorch's ``nn.Sequential`` of ReLU layers of ``sizes``, in training mode."""
    import torch

    torch.manual_seed(0)
    layers = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            if layer == "batch norm":
                layers.append(torch.nn.BatchNorm1d(b))
            layers.append(torch.nn.ReLU())
            if layer == "dropout":
                layers.append(torch.nn.Dropout(0.2))
    return torch.nn.Sequential(*layers).train()


def torch_train(model, opt, loss_fn, data: tuple, batch: int) -> float:
    """Seconds of one shuffled epoch of PyTorch training on ``data`` (X, y tensors)."""
    import torch

    X_t, y_t = data
    start = time.perf_counter()
    order = torch.randperm(len(X_t))
    for begin in range(0, len(X_t), batch):
        index = order[begin : begin + batch]
        opt.zero_grad(set_to_none=True)
        loss_fn(model(X_t[index]), y_t[index]).backward()
        opt.step()
    return time.perf_counter() - start


def prediction_time(X, y, X_test, repeats: int) -> tuple[float, float]:
    """Seconds to predict ``X_test`` (median), and the median over rounds of that time over
    the forward pass's GEMM floor (the matrix products alone, whole batch, preallocated
    outputs) timed just before it."""
    from scratchnet import NeuralNetwork

    model = NeuralNetwork(layers=SIZES, epochs=1, random_state=0).fit(X[:2000], y[:2000])
    outputs = [np.empty((len(X_test), size), np.float32) for size in SIZES[1:]]

    def forward_floor() -> None:
        a = X_test
        for w, out in zip(model.network_.coefs, outputs):
            a = np.matmul(a, w, out=out)

    def seconds(run) -> float:
        start = time.perf_counter()
        run()
        return time.perf_counter() - start

    forward_floor(), model.predict(X_test)  # warm-up
    rounds = [
        (seconds(forward_floor), seconds(lambda: model.predict(X_test))) for _ in range(repeats)
    ]
    return statistics.median(p for _, p in rounds), statistics.median(p / f for f, p in rounds)


def peak_memory_of_training_run(epochs: int = 2) -> float:
    """MiB of maximum resident set of a child process that loads MNIST and trains on it."""
    code = (
        "from scratchnet.data.prepare import DataConfig, prepare\n"
        "from scratchnet import NeuralNetwork\n"
        "d = prepare(DataConfig(dataset='mnist'))\n"
        f"NeuralNetwork(layers={SIZES}, epochs={epochs}, random_state=0)"
        ".fit(d.X_train, d.y_train, validation_data=(d.X_val, d.y_val)).score(d.X_test, d.y_test)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code])
    _, status, usage = os.wait4(child.pid, 0)  # this child's own peak, not every child's
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise RuntimeError(f"the training run failed with status {child.returncode}")
    return usage.ru_maxrss / 1024


CONTENDERS = {
    "GEMM floor": lambda X, y: gemm_floor(X),
    "scratchnet sgd": lambda X, y: scratchnet_epoch(X, y, "sgd"),
    "scratchnet adam": lambda X, y: scratchnet_epoch(X, y, "adam"),
    "scratchnet sgd, NumPy only": lambda X, y: scratchnet_epoch(X, y, "sgd"),
    "scratchnet adam, NumPy only": lambda X, y: scratchnet_epoch(X, y, "adam"),
    "pytorch sgd": lambda X, y: torch_epoch(X, y, "sgd"),
    "pytorch adam": lambda X, y: torch_epoch(X, y, "adam"),
    "scikit-learn sgd": lambda X, y: sklearn_epoch(X, y, "sgd"),
    "scikit-learn adam": lambda X, y: sklearn_epoch(X, y, "adam"),
}
LAYER_CONTENDERS = {
    f"{library} {optimizer}, {layer}": (
        lambda X, y, run=run, optimizer=optimizer, layer=layer: run(X, y, optimizer, layer)
    )
    for library, run in (("scratchnet", scratchnet_epoch), ("pytorch", torch_epoch))
    for optimizer in ("sgd", "adam")
    for layer in LAYERS
}
CONTENDERS.update(LAYER_CONTENDERS)


def worker(name: str, threads: int) -> None:
    """Worker mode: load the data, warm up, then time one epoch per ``run`` line on stdin.

    Every contender lives in its own process, so that no library's idle threads (OpenBLAS and
    OpenMP both spin-wait after work) or caches help or hinder another.
    """
    if name.endswith("NumPy only"):
        os.environ["SCRATCHNET_PURE_NUMPY"] = "1"  # read when scratchnet is first imported
    X, y, _, _ = load_data(quiet=True)
    serve(lambda: CONTENDERS[name](X, y), threads, uses_torch=name.startswith("pytorch"))


def serve(run: Callable[[], float], threads: int, uses_torch: bool) -> None:
    """The worker's side of :class:`Contender`: warm up, say ``ready``, then answer every
    ``run`` line on stdin with the seconds ``run()`` returns, on ``threads`` threads."""
    with threadpool_limits(threads):
        if uses_torch:
            import torch

            torch.set_num_threads(threads)
        run()  # warm-up: allocations, BLAS thread start
        print("ready", flush=True)
        for line in sys.stdin:
            if line.strip() != "run":
                break
            print(json.dumps(run()), flush=True)


class Contender:
    """A worker process for one contender; :meth:`time` runs one epoch in it."""

    def __init__(self, name: str, threads: int, script: str = __file__) -> None:
        self.name = name
        command = [sys.executable, script, "--worker", name, "--threads", str(threads)]
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.ready = self._read() == "ready"
        if not self.ready:
            last = (self.process.stderr.read().strip().splitlines() or ["?"])[-1]
            print(f"({name}: not measured: {last})")

    def time(self) -> float:
        self.process.stdin.write("run\n")
        self.process.stdin.flush()
        return float(self._read())

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait()

    def _read(self) -> str:
        return self.process.stdout.readline().strip()


def measure_rounds(
    names: list[str], repeats: int, threads: int, script: str = __file__
) -> dict[str, list[float]]:
    """Seconds per epoch of every contender, ``repeats`` rounds of one epoch each.

    The contenders take turns within each round, so a spell of load on a shared machine falls
    on all of them alike, and each round's ratios compare epochs run moments apart. Each
    contender is a worker process of ``script`` (``script --worker NAME``).
    """
    contenders = [Contender(name, threads, script) for name in names]
    contenders = [c for c in contenders if c.ready]
    times: dict[str, list[float]] = {c.name: [] for c in contenders}
    try:
        for _ in range(repeats):
            for contender in contenders:
                time.sleep(0.3)  # let the previous contender's spinning threads go to sleep
                times[contender.name].append(contender.time())
    finally:
        for contender in contenders:
            contender.close()
    return times


def ratio(times: dict[str, list[float]], slower: str, faster: str) -> float | None:
    """Median over rounds of ``slower``'s time over ``faster``'s in the same round."""
    if slower not in times or faster not in times:
        return None
    return statistics.median(a / b for a, b in zip(times[slower], times[faster]))


def rounds_parser(description: str, repeats: int) -> argparse.ArgumentParser:
    """The options of a benchmark of rounds: ``--repeats``, ``--threads`` and the hidden
    ``--worker NAME`` of :class:`Contender`'s processes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--repeats", type=int, default=repeats, help="rounds of one epoch each")
    parser.add_argument("--threads", type=int, default=2, help="BLAS / torch threads")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    return parser


def main() -> None:
    parser = rounds_parser(__doc__.splitlines()[0], repeats=7)
    parser.add_argument("--skip-sklearn", action="store_true")
    parser.add_argument("--layers", action="store_true", help="dropout and batch norm too")
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.threads)
        return

    from scratchnet.nn import kernels

    X, y, X_test, source = load_data()
    flops = training_flops(len(X))
    blas = next((lib for lib in threadpool_info() if "numpy" in lib["filepath"]), {})
    print(
        f"machine: {_cpu()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}, BLAS {blas.get('internal_api')} {blas.get('version')} "
        f"({blas.get('architecture')}), {args.threads} threads; data: {source} {X.shape}; "
        f"compiled kernels: {'yes' if kernels.compiled() else 'NO (NumPy only)'}"
    )
    names = [n for n in CONTENDERS if not (args.skip_sklearn and n.startswith("scikit"))]
    if not args.layers:
        names = [n for n in names if n not in LAYER_CONTENDERS]
    times = measure_rounds(names, args.repeats, args.threads)
    with threadpool_limits(args.threads):
        predict = prediction_time(X, y, X_test, args.repeats)

    medians = {name: statistics.median(seconds) for name, seconds in times.items()}
    floor = medians["GEMM floor"]
    print(f"\nmedian of {args.repeats} rounds, one epoch of 48,000 samples")
    print(f"{'':<30}{'s/epoch':>9}{'GFLOP/s':>9}{'x floor':>9}")
    for name, seconds in medians.items():
        print(f"{name:<30}{seconds:9.3f}{flops / seconds / 1e9:9.1f}{seconds / floor:9.2f}")
    print("\nmedian over rounds of the ratio within a round:")
    for optimizer in ("sgd", "adam"):
        ours = f"scratchnet {optimizer}"
        print(f"  {ours}: {ratio(times, ours, 'GEMM floor'):.2f}x the GEMM floor")
        for other in ("pytorch", "scikit-learn", "scratchnet"):
            theirs = f"{other} {optimizer}" + (", NumPy only" if other == "scratchnet" else "")
            factor = ratio(times, theirs, ours)
            if factor is not None:
                print(f"  {ours} is {factor:.2f}x faster than {theirs}")
    if args.layers:
        print_layer_ratios(times)
    print(
        f"\nprediction, 10,000 test images: {predict[0] * 1000:.1f} ms, "
        f"{predict[1]:.2f}x the forward pass's GEMM floor"
    )
    print(f"peak memory of a full MNIST training run: {peak_memory_of_training_run():.0f} MiB")


def print_layer_ratios(times: dict[str, list[float]]) -> None:
    """Each layer's epoch over the same library's plain epoch, and scratchnet against PyTorch."""
    print("\ndropout and batch normalization, median over rounds of the ratio within a round:")
    for optimizer, layer in itertools.product(("sgd", "adam"), LAYERS):
        ours, theirs = f"scratchnet {optimizer}, {layer}", f"pytorch {optimizer}, {layer}"
        cost = ratio(times, ours, f"scratchnet {optimizer}")
        torch_cost = ratio(times, theirs, f"pytorch {optimizer}")
        lead = ratio(times, theirs, ours)
        if None not in (cost, torch_cost, lead):
            print(
                f"  {optimizer}, {layer}: {cost:.2f}x scratchnet's plain epoch "
                f"(PyTorch's: {torch_cost:.2f}x its own); {lead:.2f}x faster than PyTorch's"
            )


def _cpu() -> str:
    from scratchnet.run.environment import describe

    return describe()["cpu"]


if __name__ == "__main__":
    main()
