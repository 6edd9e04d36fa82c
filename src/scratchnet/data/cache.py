"""The local cache: one folder per dataset holding ``.npy`` copies of the verified arrays.

Layout: ``<root>/<name>/{X_train,y_train,X_test,y_test}.npy`` plus ``source.json`` (where the
arrays came from and when). Every file is written atomically, so the cache never holds a
half-written file; the loader still checks each array against its pin on every load.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from scratchnet.data.digests import ArrayDigest
from scratchnet.data.sources import ROLES, Arrays, SourceUnavailable
from scratchnet.errors import DataError
from scratchnet.fileio import atomic_open, remove_stray_temp_files, write_json

if TYPE_CHECKING:
    from scratchnet.data.specs import DatasetSpec

logger = logging.getLogger(__name__)

CACHE_ENV = "SCRATCHNET_CACHE_DIR"
MANIFEST = "source.json"


def cache_root(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """``cache_dir``, else ``$SCRATCHNET_CACHE_DIR``, else ``~/.cache/scratchnet``."""
    chosen = cache_dir if cache_dir is not None else os.environ.get(CACHE_ENV)
    return Path(chosen).expanduser() if chosen else Path.home() / ".cache" / "scratchnet"


class DatasetCache:
    """The cache folder of one dataset.

    Parameters
    ----------
    root : Path
        The cache root (see :func:`cache_root`).
    name : str
        The dataset's name; its folder is ``root / name``.
    """

    def __init__(self, root: Path, name: str) -> None:
        self.folder = Path(root) / name

    def describe(self) -> str:
        return f"cache {self.folder}"

    def path(self, role: str) -> Path:
        """The ``.npy`` file of one array."""
        return self.folder / f"{role}.npy"

    def load(self, spec: DatasetSpec | None = None) -> Arrays:
        """Read the four arrays (not verified here; the loader checks them against the pins).

        ``spec`` is accepted so that the cache is a :class:`~scratchnet.data.sources.Source`.

        Raises
        ------
        SourceUnavailable
            When a file is missing.
        DataError
            When a file is not a readable ``.npy`` array.
        """
        missing = [role for role in ROLES if not self.path(role).is_file()]
        if missing:
            raise SourceUnavailable(f"{self.folder} has no {', '.join(missing)} (not cached yet)")
        arrays: Arrays = {}
        for role in ROLES:
            try:
                arrays[role] = np.load(self.path(role), allow_pickle=False)
            except (ValueError, OSError, EOFError) as exc:
                raise DataError(f"{self.path(role)}: unreadable cache file ({exc})") from exc
        return arrays

    def save(
        self, arrays: Mapping[str, np.ndarray], origin: str, pins: Mapping[str, ArrayDigest]
    ) -> None:
        """Write verified arrays (each atomically), then ``source.json`` naming ``origin``."""
        for role in ROLES:
            with atomic_open(self.path(role), "wb") as handle:
                np.save(handle, np.ascontiguousarray(arrays[role]), allow_pickle=False)
        write_json(
            self.folder / MANIFEST,
            {
                "source": origin,
                "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "arrays": {
                    role: {"shape": list(pin.shape), "dtype": pin.dtype, "sha256": pin.sha256}
                    for role, pin in pins.items()
                },
            },
        )

    def discard(self) -> None:
        """Delete this dataset's cached files (after a failed check) and stray temp files."""
        if self.folder.is_dir():
            remove_stray_temp_files(self.folder)
        for path in [*(self.path(role) for role in ROLES), self.folder / MANIFEST]:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def manifest(self) -> dict[str, Any] | None:
        """The parsed ``source.json``, or None when absent or unreadable."""
        try:
            return json.loads((self.folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def size(self) -> int:
        """Bytes used by the cached ``.npy`` files."""
        return sum(p.stat().st_size for p in map(self.path, ROLES) if p.is_file())
