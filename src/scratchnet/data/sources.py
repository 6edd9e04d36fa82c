"""Places a dataset's arrays can come from: a folder of IDX files and download mirrors.

Every source has ``describe()`` (one line for logs) and ``load(spec)`` returning the four arrays
``X_train, y_train, X_test, y_test``; it raises :class:`SourceUnavailable` (or a
:class:`~scratchnet.errors.DataError` for bad content) with a one-line reason. Sources do not
verify digests: the loader does that for every source alike.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from scratchnet.data.digests import file_digest
from scratchnet.data.download import download
from scratchnet.data.idx import read_idx_pair
from scratchnet.errors import DataSourceError

if TYPE_CHECKING:
    from scratchnet.data.specs import DatasetSpec

logger = logging.getLogger(__name__)

#: The four arrays every source returns, by role name.
ROLES = ("X_train", "y_train", "X_test", "y_test")
#: (images role, labels role) per split.
SPLITS = {"train": ("X_train", "y_train"), "test": ("X_test", "y_test")}

Arrays = dict[str, np.ndarray]


class SourceUnavailable(DataSourceError):
    """This one source cannot provide the dataset; the loader moves on to the next."""


class Source(Protocol):
    """Anything that can produce a dataset's four arrays."""

    def describe(self) -> str:
        """One line naming the source (a folder, URLs, a package)."""
        ...

    def load(self, spec: DatasetSpec) -> Arrays:
        """Return ``{"X_train": ..., "y_train": ..., "X_test": ..., "y_test": ...}``."""
        ...


@dataclass(frozen=True)
class DirectorySource:
    """A folder holding the four IDX files, plain or ``.gz`` (``train-images.idx3-ubyte`` too)."""

    folder: Path

    def describe(self) -> str:
        return f"folder {self.folder}"

    def load(self, spec: DatasetSpec) -> Arrays:
        if not Path(self.folder).is_dir():
            raise SourceUnavailable(f"{self.folder} is not a folder")
        return load_idx_folder(Path(self.folder), spec)


@dataclass(frozen=True)
class MirrorSource:
    """A download mirror: a base URL under which the four ``.gz`` IDX files live."""

    url: str
    timeout: float = 10.0
    retries: int = 2

    def describe(self) -> str:
        return f"mirror {self.url}"

    def load(self, spec: DatasetSpec) -> Arrays:
        base = self.url.rstrip("/") + "/"
        with tempfile.TemporaryDirectory(prefix="scratchnet-download-") as tmp:
            for filename in spec.files.values():
                name = f"{filename}.gz"
                download(base + name, Path(tmp) / name, timeout=self.timeout, retries=self.retries)
            return load_idx_folder(Path(tmp), spec)


def load_idx_folder(folder: Path, spec: DatasetSpec) -> Arrays:
    """Read the spec's four IDX files from ``folder`` (each plain or gzip).

    Returns
    -------
    dict of role name to ndarray
        Images of shape (n, rows, cols) and labels of shape (n,).
    """
    paths = {role: find_idx_file(folder, spec.files[role]) for role in ROLES}
    check_container_md5(paths.values(), spec.gz_md5, spec.name)
    arrays: Arrays = {}
    for images_role, labels_role in SPLITS.values():
        arrays[images_role], arrays[labels_role] = read_idx_pair(
            paths[images_role], paths[labels_role], n_classes=spec.n_classes
        )
    return arrays


def find_idx_file(folder: Path, filename: str) -> Path:
    """The file for ``filename`` in ``folder``: plain, ``.gz``, or with ``.idx`` for ``-idx``."""
    dotted = filename.replace("-idx", ".idx")
    for name in (filename, f"{filename}.gz", dotted, f"{dotted}.gz"):
        if (folder / name).is_file():
            return folder / name
    raise SourceUnavailable(f"{folder} has no {filename} (plain or .gz)")


def check_container_md5(paths: Iterable[Path], known: Mapping[str, str], name: str) -> None:
    """Compare gzip files with their published MD5s and log the outcome (advisory only).

    The pinned array digests decide; a repacked ``.gz`` with the same pixels is fine, so a
    different MD5 is reported, not refused.
    """
    checked = [p for p in paths if p.name in known]
    if not checked:
        return
    differ = [p.name for p in checked if file_digest(p, "md5") != known[p.name]]
    if differ:
        logger.info(
            "%s: %s differ from the published MD5s (recompressed copies?); the decoded arrays "
            "are checked against the pinned digests instead",
            name,
            ", ".join(differ),
        )
    else:
        logger.info("%s: %d .gz files match their published MD5s", name, len(checked))


def user_data_dir(data_dir: str | os.PathLike[str] | None) -> Path | None:
    """The folder named by ``data_dir`` or, failing that, by ``$SCRATCHNET_DATA_DIR``."""
    chosen = data_dir if data_dir is not None else os.environ.get("SCRATCHNET_DATA_DIR")
    return Path(chosen).expanduser() if chosen else None
