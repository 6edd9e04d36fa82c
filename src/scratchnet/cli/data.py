"""``scratchnet data``: fetch, inspect, export and show the datasets.

scratchnet data fetch [mnist|fashion-mnist|all] [--data-dir DIR]
scratchnet data info
scratchnet data export NAME --out DIR [--limit N] [--no-images]
scratchnet data show NAME [--n 10] [--split test] [--seed S] --out FILE.png
"""

from __future__ import annotations

import argparse
from typing import Any

from scratchnet.cli.outputs import image_path

DATASET_CHOICES = ("mnist", "fashion-mnist")


def register(subparsers: Any) -> None:
    """Add the ``data`` command and its sub-commands to ``subparsers``."""
    parser = subparsers.add_parser(
        "data", help="fetch, inspect, export and show MNIST / Fashion-MNIST"
    )
    actions = parser.add_subparsers(dest="data_command", metavar="ACTION")
    actions.required = True

    fetch = actions.add_parser("fetch", help="get a dataset into the local cache and verify it")
    fetch.add_argument("name", nargs="?", default="all", choices=(*DATASET_CHOICES, "all"))
    _add_source_options(fetch)
    fetch.set_defaults(func=_fetch)

    info = actions.add_parser("info", help="what is cached, where from, sizes, verified or not")
    info.add_argument("--cache-dir", help="cache root (default $SCRATCHNET_CACHE_DIR)")
    info.set_defaults(func=_info)

    export = actions.add_parser("export", help="write CSV files and PNG images sorted by label")
    export.add_argument("name", choices=DATASET_CHOICES)
    export.add_argument("--out", required=True, help="output folder")
    export.add_argument("--limit", type=_positive_int, help="only the first N images per split")
    export.add_argument("--no-images", action="store_true", help="write the CSV files only")
    _add_source_options(export)
    export.set_defaults(func=_export)

    show = actions.add_parser("show", help="save a figure of random images with their labels")
    show.add_argument("name", choices=DATASET_CHOICES)
    show.add_argument("--n", type=_positive_int, default=10, help="number of images (10)")
    show.add_argument("--split", choices=("train", "test"), default="test")
    show.add_argument("--seed", type=int, default=0, help="random seed (0)")
    show.add_argument(
        "--out", required=True, type=image_path, help="image file to write (.png, .pdf, .svg)"
    )
    _add_source_options(show)
    show.set_defaults(func=_show)


def _add_source_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="folder with the four IDX files (plain or .gz)")
    parser.add_argument("--cache-dir", help="cache root (default $SCRATCHNET_CACHE_DIR)")
    parser.add_argument(
        "--offline", action="store_true", help="use only --data-dir and the cache, no downloads"
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds per network request (10)"
    )


def _load(args: argparse.Namespace, name: str) -> Any:
    from scratchnet.data import load_dataset

    return load_dataset(
        name,
        data_dir=args.data_dir,
        cache_dir=args.cache_dir,
        download=not args.offline,
        timeout=args.timeout,
    )


def _fetch(args: argparse.Namespace) -> int:
    names = DATASET_CHOICES if args.name == "all" else (args.name,)
    for name in names:
        dataset = _load(args, name)
        print(
            f"{name}: {len(dataset.y_train)} train + {len(dataset.y_test)} test images, "
            f"verified, from {dataset.source}"
        )
    return 0


def _info(args: argparse.Namespace) -> int:
    from scratchnet.data.cache import DatasetCache, cache_root
    from scratchnet.data.digests import verify_arrays
    from scratchnet.data.specs import DATASETS
    from scratchnet.errors import DataError, DataSourceError

    root = cache_root(args.cache_dir)
    print(f"cache: {root}")
    for spec in DATASETS.values():
        cache = DatasetCache(root, spec.name)
        try:
            verify_arrays(cache.load(spec), spec.digests, cache.describe())
            status = "verified"
        except DataSourceError:
            print(f"  {spec.name}: not cached (run: scratchnet data fetch {spec.name})")
            continue
        except DataError as exc:
            status = f"NOT verified ({' '.join(str(exc).split())})"
        manifest = cache.manifest() or {}
        origin = manifest.get("source", "unknown source")
        saved = manifest.get("saved_at", "unknown time")
        size = cache.size() / 2**20
        print(f"  {spec.name}: {size:.1f} MiB in {cache.folder}, {status}")
        print(f"    from {origin}, saved {saved}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from scratchnet.data.export import check_targets, export_dataset, export_targets
    from scratchnet.fileio import writable_dir

    out = writable_dir(args.out)  # before the download: a bad --out fails at once
    check_targets(export_targets(args.name, out, not args.no_images))
    written = export_dataset(
        _load(args, args.name), out, limit=args.limit, images=not args.no_images
    )
    print(
        f"wrote {len(written['csv'])} CSV files, {len(written['images'])} images and "
        f"{len(written['manifests'])} manifests under {args.out}"
    )
    return 0


def _show(args: argparse.Namespace) -> int:
    from pathlib import Path

    from scratchnet.data.figures import sample_grid, save_figure
    from scratchnet.fileio import writable_dir

    writable_dir(Path(args.out).parent)  # before the download: a bad --out fails at once
    dataset = _load(args, args.name)
    X, y = dataset.split(args.split)
    names = dataset.class_names if args.name != "mnist" else None
    fig = sample_grid(
        X,
        y,
        n=args.n,
        class_names=names,
        random_state=args.seed,
        title=f"{args.name}: {args.n} random {args.split} images (seed {args.seed})",
    )
    print(f"wrote {save_figure(fig, args.out)}")
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value
