"""How fast MNIST loads from the cache, from IDX files and by the original's pandas CSV route.

Run: ``python benchmarks/bench_data.py [--repeat 3]``

The data comes from the usual sources (the cache is filled on the first run). Each route runs in
a fresh subprocess, so its time and memory are not helped by the others: the best of
``--repeat`` loads is reported, with the peak of memory allocated during one load (tracemalloc,
which sees NumPy's buffers) and the growth of the resident set (``ru_maxrss``), both compared
with the size of the arrays returned (targets: cache at least 10x faster than the CSV route,
peak no more than 2x the arrays).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path


def child(route: str, folder: Path, repeat: int) -> dict[str, float]:
    """Load by ``route`` ``repeat`` times in this process; return best seconds and memory."""
    loader = _loader(route, folder)
    rss_before = _peak_rss()
    tracemalloc.start()
    start = time.perf_counter()
    nbytes = loader()
    times = [time.perf_counter() - start]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss_growth = _peak_rss() - rss_before
    for _ in range(repeat - 1):
        start = time.perf_counter()
        loader()
        times.append(time.perf_counter() - start)
    return {"seconds": min(times), "peak": peak, "rss_growth": rss_growth, "nbytes": nbytes}


def _peak_rss() -> int:
    """Peak resident set of this process in bytes.

    Linux's ``VmHWM`` starts afresh at ``exec``; ``ru_maxrss`` would carry the parent's peak.
    """
    try:
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmHWM:")[1].split()[0]) * 1024
    except (OSError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _loader(route: str, folder: Path):
    if route == "cache":
        from scratchnet.data import load_mnist

        def load() -> int:
            ds = load_mnist(download=False, data_dir=None)
            return sum(a.nbytes for a in (ds.X_train, ds.y_train, ds.X_test, ds.y_test))

    elif route in ("idx-gz", "idx-plain"):
        from scratchnet.data import MNIST, DirectorySource
        from scratchnet.data.digests import verify_arrays

        def load() -> int:
            arrays = DirectorySource(folder / route).load(MNIST)
            verify_arrays(arrays, MNIST.digests)
            return sum(a.nbytes for a in arrays.values())

    elif route in ("csv-train", "csv-both"):
        import pandas as pd

        names = ["mnist_train.csv"] + (["mnist_test.csv"] if route == "csv-both" else [])

        def load() -> int:
            frames = [pd.read_csv(folder / name) for name in names]
            return sum(int(frame.memory_usage(index=False).sum()) for frame in frames)

    else:
        raise SystemExit(f"unknown route {route!r}")
    return load


def prepare(folder: Path) -> None:
    """Write MNIST as gz and plain IDX files and as the original's CSV files under ``folder``."""
    from scratchnet.data import load_mnist, write_csv_dataset, write_idx
    from scratchnet.data.specs import MNIST_FILES

    dataset = load_mnist(data_dir=None)
    for role, name in MNIST_FILES.items():
        write_idx(folder / "idx-gz" / f"{name}.gz", getattr(dataset, role))
        write_idx(folder / "idx-plain" / name, getattr(dataset, role))
    write_csv_dataset(folder / "mnist_train.csv", dataset.X_train, dataset.y_train)
    write_csv_dataset(folder / "mnist_test.csv", dataset.X_test, dataset.y_test)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("ROUTE", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        route, folder = args.child
        print(json.dumps(child(route, Path(folder), args.repeat)))
        return
    env = {**os.environ}
    env.pop("SCRATCHNET_DATA_DIR", None)
    with tempfile.TemporaryDirectory(prefix="bench-data-") as tmp:
        start = time.perf_counter()
        prepare(Path(tmp))
        print(f"prepared IDX and CSV copies of MNIST in {time.perf_counter() - start:.1f} s\n")
        results = {}
        routes = ("cache", "idx-plain", "idx-gz", "csv-train", "csv-both")
        print(
            f"{'route':<11} {'best s':>8} {'vs cache':>9} {'peak MiB':>9} {'RSS+ MiB':>9} "
            f"{'data MiB':>9} {'peak/data':>9}"
        )
        for route in routes:
            command = [
                sys.executable,
                __file__,
                "--repeat",
                str(args.repeat),
                "--child",
                route,
                tmp,
            ]
            out = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
            results[route] = r = json.loads(out.stdout.strip().splitlines()[-1])
            mib = 2**20
            ratio = r["seconds"] / results["cache"]["seconds"]
            print(
                f"{route:<11} {r['seconds']:8.3f} {ratio:8.1f}x "
                f"{r['peak'] / mib:9.1f} {r['rss_growth'] / mib:9.1f} {r['nbytes'] / mib:9.1f} "
                f"{r['peak'] / r['nbytes']:9.2f}"
            )
    cache, csv = results["cache"], results["csv-train"]
    print(
        f"\ncached load of all 70,000 images is {csv['seconds'] / cache['seconds']:.0f}x faster "
        f"than pandas reading the 60,000-row training CSV (target >= 10x); its peak is "
        f"{cache['peak'] / cache['nbytes']:.2f}x the arrays it returns (target <= 2x)"
    )


if __name__ == "__main__":
    main()
