"""Training speed across network shapes: scratchnet beside the GEMM floor and PyTorch.

A grid of networks and batch sizes covering small batches (32), large ones (1024), wide layers
(2048), a deep stack (8 hidden layers), tiny networks (under 5,000 parameters) and one-output
regressors, each trained with plain SGD, momentum SGD (0.9) and Adam, float32, ReLU, one epoch
of random data. For every network, its contenders (the GEMM floor, scratchnet and PyTorch with
each optimizer) run in their own worker processes and take turns, one epoch each, for
``--repeats`` rounds (the machinery of ``bench_training.py``); the table shows the median over
rounds of each within-round ratio: scratchnet's epoch over the floor's, and PyTorch's epoch
over scratchnet's (above 1: scratchnet is faster).

    python benchmarks/bench_shapes.py [--repeats 5] [--threads 2] [--only tiny] [--numpy-path]

``--numpy-path`` trains scratchnet on its NumPy path, without the compiled training step of
small networks (``scratchnet.nn.onestep``), to compare the two in the same build.

The GEMM floor is the time of only the matrix products training must do at these shapes (see
``bench_training.gemm_floor``). A row is marked where it misses issue #19's targets: at most
1.25x the floor and never slower than PyTorch; tiny networks at most 1.5x the floor and at
least 10x faster than PyTorch.
"""

from __future__ import annotations

import itertools
import math
import os
import platform
import sys
from dataclasses import dataclass

import numpy as np

from bench_training import (
    gemm_floor,
    measure_rounds,
    ratio,
    rounds_parser,
    serve,
    torch_model,
    torch_train,
)


@dataclass(frozen=True)
class Shape:
    """One network of the grid: layer sizes, batch size, samples per epoch, task."""

    name: str
    sizes: tuple[int, ...]
    batch: int
    n_samples: int
    regressor: bool = False

    @property
    def n_params(self) -> int:
        return sum(a * b + b for a, b in itertools.pairwise(self.sizes))

    @property
    def tiny(self) -> bool:
        return self.n_params < 5000


ORIGINAL = (784, 256, 128, 64, 32, 10)
GRID = [
    Shape("original, batch 32", ORIGINAL, 32, 4096),
    Shape("original, batch 128", ORIGINAL, 128, 8192),
    Shape("original, batch 1024", ORIGINAL, 1024, 16384),
    Shape("wide 784-2048-1024-10, batch 128", (784, 2048, 1024, 10), 128, 2048),
    Shape("wide 784-2048-1024-10, batch 1024", (784, 2048, 1024, 10), 1024, 4096),
    Shape("deep 784-8x128-10, batch 64", (784, *[128] * 8, 10), 64, 4096),
    Shape("tiny 20-32-32-3, batch 32", (20, 32, 32, 3), 32, 4096),
    Shape("tiny 8-16-16-2, batch 16", (8, 16, 16, 2), 16, 2048),
    Shape("regressor 100-64-64-1, batch 64", (100, 64, 64, 1), 64, 4096, True),
    Shape("tiny regressor 10-32-32-1, batch 32", (10, 32, 32, 1), 32, 4096, True),
]
SHAPES = {shape.name: shape for shape in GRID}
#: Optimizer label -> (scratchnet's settings, PyTorch's optimizer and settings).
OPTIMIZERS = {
    "sgd": ({"optimizer": "sgd"}, ("SGD", {})),
    "momentum": ({"optimizer": "sgd", "momentum": 0.9}, ("SGD", {"momentum": 0.9})),
    "adam": ({"optimizer": "adam"}, ("Adam", {})),
}
LR = 1e-3
CONTENDERS = ["GEMM floor"] + [
    f"{library} {optimizer}" for library in ("scratchnet", "pytorch") for optimizer in OPTIMIZERS
]


def make_data(shape: Shape) -> tuple[np.ndarray, np.ndarray]:
    """Random inputs (n, n_0) float32, and class indices or one-output targets (n,)."""
    rng = np.random.default_rng(0)
    X = rng.random((shape.n_samples, shape.sizes[0]), dtype=np.float32)
    if shape.regressor:
        return X, X[:, :3].sum(axis=1) + rng.standard_normal(shape.n_samples, np.float32) * 0.1
    return X, rng.integers(0, shape.sizes[-1], shape.n_samples)


def scratchnet_epoch(shape: Shape, X, y, optimizer: str) -> float:
    """Seconds of one training epoch (the estimator's own epoch timer, setup excluded)."""
    from scratchnet import NeuralNetwork, NeuralNetworkRegressor

    estimator = NeuralNetworkRegressor if shape.regressor else NeuralNetwork
    settings = OPTIMIZERS[optimizer][0]
    model = estimator(
        layers=list(shape.sizes), epochs=1, batch_size=shape.batch, lr=LR, random_state=0,
        **settings,
    )  # fmt: skip
    return model.fit(X, y).history_["epoch_time"][0]


def torch_epoch(shape: Shape, X, y, optimizer: str) -> float:
    import torch

    model = torch_model(list(shape.sizes))
    name, settings = OPTIMIZERS[optimizer][1]
    opt = getattr(torch.optim, name)(model.parameters(), lr=LR, **settings)
    if shape.regressor:
        data, loss = (torch.from_numpy(X), torch.from_numpy(y[:, None])), torch.nn.MSELoss()
    else:
        data = torch.from_numpy(X), torch.from_numpy(np.asarray(y, np.int64))
        loss = torch.nn.CrossEntropyLoss()
    return torch_train(model, opt, loss, data, shape.batch)


def worker(name: str, threads: int) -> None:
    """Worker mode for contender ``"<shape>|<contender>"``."""
    shape_name, contender = name.split("|")
    shape = SHAPES[shape_name]
    X, y = make_data(shape)
    library, _, optimizer = contender.partition(" ")
    if contender == "GEMM floor":
        run = lambda: gemm_floor(X, list(shape.sizes), shape.batch)  # noqa: E731
    elif library == "scratchnet":
        run = lambda: scratchnet_epoch(shape, X, y, optimizer)  # noqa: E731
    else:
        run = lambda: torch_epoch(shape, X, y, optimizer)  # noqa: E731
    serve(run, threads, uses_torch=library == "pytorch")


def measure(shape: Shape, repeats: int, threads: int) -> dict[str, float]:
    """The shape's ratios: ``x floor <opt>`` and ``vs pytorch <opt>``, medians over rounds."""
    names = [f"{shape.name}|{contender}" for contender in CONTENDERS]
    times = measure_rounds(names, repeats, threads, script=__file__)
    times = {name.split("|")[1]: seconds for name, seconds in times.items()}
    ratios = {"floor ms": 1000 * float(np.median(times["GEMM floor"]))}
    for optimizer in OPTIMIZERS:
        ours = f"scratchnet {optimizer}"
        ratios[f"x floor {optimizer}"] = ratio(times, ours, "GEMM floor")
        ratios[f"vs pytorch {optimizer}"] = ratio(times, f"pytorch {optimizer}", ours)
    return ratios


def misses(shape: Shape, ratios: dict[str, float]) -> bool:
    """True if the row misses a target of issue #19."""
    floor_target, torch_target = (1.5, 10.0) if shape.tiny else (1.25, 1.0)
    floors = [ratios[f"x floor {o}"] or 0.0 for o in OPTIMIZERS]
    leads = [ratios[f"vs pytorch {o}"] or math.inf for o in OPTIMIZERS]
    return max(floors) > floor_target or min(leads) < torch_target


def print_row(shape: Shape, ratios: dict[str, float]) -> None:
    def cell(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.2f}"

    floors = " / ".join(cell(ratios[f"x floor {o}"]) for o in OPTIMIZERS)
    leads = " / ".join(cell(ratios[f"vs pytorch {o}"]) for o in OPTIMIZERS)
    mark = " *" if misses(shape, ratios) else ""
    print(
        f"| {shape.name} | {shape.n_params:,} | {ratios['floor ms']:.1f} | {floors} | "
        f"{leads} |{mark}",
        flush=True,
    )


def main() -> None:
    parser = rounds_parser(__doc__.splitlines()[0], repeats=5)
    parser.add_argument("--only", default="", help="only shapes whose name contains this")
    parser.add_argument(
        "--numpy-path", action="store_true", help="without the compiled step of small networks"
    )
    args = parser.parse_args()
    if args.numpy_path:
        os.environ["SCRATCHNET_ONESTEP"] = "0"  # read by scratchnet in the worker processes
    if args.worker:
        worker(args.worker, args.threads)
        return
    from bench_training import _cpu

    print(
        f"machine: {_cpu()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}, {args.threads} threads, median of {args.repeats} rounds; "
        f"load {os.getloadavg()[0]:.2f}"
        + ("; scratchnet on its NumPy path (--numpy-path)" if args.numpy_path else "")
    )
    print("\n| network, batch | params | floor ms/epoch | x floor (SGD / momentum / Adam) | "
          "x faster than PyTorch (SGD / momentum / Adam) |")  # fmt: skip
    print("|---|---:|---:|---:|---:|")
    for shape in GRID:
        if args.only in shape.name:
            print_row(shape, measure(shape, args.repeats, args.threads))
    print(f"\n* misses a target; load at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    sys.exit(main())
