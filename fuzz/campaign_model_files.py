"""A seeded mutation campaign against the model-file reader, run by hand.

    PYTHONPATH=src python fuzz/campaign_model_files.py --cases 4000
    PYTHONPATH=src python fuzz/campaign_model_files.py --bomb

The first form mutates a real saved model ``--cases`` times (bytes, zip fields, array members,
header JSON; see ``tests/model_mutations.py``) and counts, per exception type, the loads that
ended in anything but ``ModelFileError``; a load that succeeds must predict finite values. The
campaign runs under a 3 GiB address-space limit so that a huge allocation is a MemoryError, not
the machine's end. ``--bomb`` times ``load`` on a file whose ``coef_0`` is 2 GiB of deflated
zeros, and reports its tracemalloc peak.
"""

from __future__ import annotations

import argparse
import collections
import resource
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import model_mutations

GiB = 1 << 30


def _model_bytes(folder: Path) -> tuple[bytes, object]:
    from sklearn.datasets import load_digits

    from scratchnet import NeuralNetwork, save

    X, y = load_digits(return_X_y=True)
    model = NeuralNetwork(layers=[64, 16, 10], epochs=2, random_state=0).fit(X / 16, y)
    return save(model, folder / "model.npz").read_bytes(), model


def campaign(cases: int, seed: int) -> int:
    """Load ``cases`` mutated files; print the escapes; return how many escaped."""
    from scratchnet import load
    from scratchnet.errors import ModelFileError

    folder = Path(tempfile.mkdtemp())
    data, _ = _model_bytes(folder)
    probe = np.linspace(0, 1, 5 * 64).reshape(5, 64)
    escapes: collections.Counter = collections.Counter()
    examples: dict = {}
    outcomes: collections.Counter = collections.Counter()
    path = folder / "m.npz"
    for case in range(seed, seed + cases):
        kind, mutated = model_mutations.mutate(data, case)
        path.write_bytes(mutated)
        try:
            model = load(path)
            if not np.isfinite(model.predict_proba(probe)).all():
                raise FloatingPointError("loaded, predicts non-finite values")
            outcomes["loaded"] += 1
        except ModelFileError:
            outcomes["ModelFileError"] += 1
        except Exception as exc:
            key = (kind, type(exc).__name__)
            escapes[key] += 1
            examples.setdefault(key, (case, " ".join(str(exc).split())[:120]))
    for (kind, name), count in sorted(escapes.items(), key=lambda item: -item[1]):
        case, message = examples[kind, name]
        print(f"{count:5d} {kind:8s} {name:22s} e.g. seed {case}: {message}")
    print(f"{sum(escapes.values())} escaped of {cases}; {dict(outcomes)}")
    return sum(escapes.values())


def bomb() -> None:
    """Time ``load`` on a model whose ``coef_0`` is 2 GiB of deflated zeros."""
    from scratchnet import load

    folder = Path(tempfile.mkdtemp())
    data, _ = _model_bytes(folder)
    parts = model_mutations.members(data)
    path = folder / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, content in parts.items():
            if name != "coef_0.npy":
                out.writestr(name, content)
                continue
            with out.open(name, "w", force_zip64=True) as member:
                n = 2 * GiB // 4
                member.write(model_mutations.npy_header("<f4", (n,)))
                chunk = bytes(64 << 20)
                for _ in range(2 * GiB // len(chunk)):
                    member.write(chunk)
    print(f"bomb file: {path.stat().st_size / 2**20:.1f} MiB")
    tracemalloc.start()
    start = time.perf_counter()
    try:
        load(path)
        outcome = "loaded"
    except Exception as exc:
        outcome = f"{type(exc).__name__}: {' '.join(str(exc).split())[:160]}"
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    print(f"load: {seconds:.2f} s, tracemalloc peak {peak / 2**20:.1f} MiB, {outcome}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bomb", action="store_true")
    args = parser.parse_args()
    if args.bomb:
        bomb()
    else:
        resource.setrlimit(resource.RLIMIT_AS, (3 * GiB, 3 * GiB))
        campaign(args.cases, args.seed)


if __name__ == "__main__":
    main()
