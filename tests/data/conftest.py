"""Shared fixtures for the data-layer tests: a tiny dataset, its spec, an isolated cache and a
loopback HTTP server that can serve good, cut-off or wrong files."""

from __future__ import annotations

import gzip
import http.server
import io
import socket
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from scratchnet.data.digests import array_digest
from scratchnet.data.idx import write_idx
from scratchnet.data.specs import MNIST_FILES, DatasetSpec

ROLES = ("X_train", "y_train", "X_test", "y_test")


def make_arrays(seed: int = 0, n_train: int = 30, n_test: int = 12) -> dict[str, np.ndarray]:
    """Random 5x4 uint8 images and labels 0..2, every class present in both splits."""
    rng = np.random.default_rng(seed)
    return {
        "X_train": rng.integers(0, 256, size=(n_train, 5, 4), dtype=np.uint8),
        "y_train": (np.arange(n_train) % 3).astype(np.uint8),
        "X_test": rng.integers(0, 256, size=(n_test, 5, 4), dtype=np.uint8),
        "y_test": (np.arange(n_test) % 3).astype(np.uint8),
    }


def make_spec(arrays: dict[str, np.ndarray], **overrides: object) -> DatasetSpec:
    """A spec pinned to ``arrays``, named ``tiny``, with no mirrors or fallbacks by default."""
    fields = {
        "name": "tiny",
        "title": "Tiny",
        "files": MNIST_FILES,
        "digests": {role: array_digest(arrays[role]) for role in ROLES},
        "class_names": ("a", "b", "c"),
    }
    fields.update(overrides)
    return DatasetSpec(**fields)  # type: ignore[arg-type]


def write_idx_folder(folder: Path, arrays: dict[str, np.ndarray], *, gz: bool = True) -> Path:
    """Write the four IDX files of ``arrays`` under their MNIST names."""
    folder.mkdir(parents=True, exist_ok=True)
    for role, name in MNIST_FILES.items():
        write_idx(folder / (f"{name}.gz" if gz else name), arrays[role])
    return folder


def gz_idx_bytes(array: np.ndarray) -> bytes:
    """The ``.gz`` IDX encoding of ``array`` in memory."""
    with tempfile.TemporaryDirectory() as tmp:
        return write_idx(Path(tmp) / "a.gz", array).read_bytes()


@pytest.fixture
def arrays() -> dict[str, np.ndarray]:
    """The tiny dataset: 30 train and 12 test images of 5x4 pixels, 3 classes."""
    return make_arrays()


@pytest.fixture
def other_arrays() -> dict[str, np.ndarray]:
    """A different tiny dataset of the same shapes (so it fails the first one's pins)."""
    return make_arrays(seed=99)


@pytest.fixture
def spec_for():
    """Factory: ``spec_for(arrays, **overrides)`` -> a :class:`DatasetSpec` pinned to them."""
    return make_spec


@pytest.fixture
def idx_folder():
    """Factory: ``idx_folder(folder, arrays, gz=True)`` writes the four IDX files."""
    return write_idx_folder


@pytest.fixture
def list_files():
    """Factory: ``list_files(folder)`` -> every file below ``folder`` (empty if absent)."""
    return files_under


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache root in ``tmp_path``, set as ``$SCRATCHNET_CACHE_DIR``; no data dir."""
    root = tmp_path / "cache"
    monkeypatch.setenv("SCRATCHNET_CACHE_DIR", str(root))
    monkeypatch.delenv("SCRATCHNET_DATA_DIR", raising=False)
    return root


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Route :mod:`tempfile` into a folder of our own, to check nothing is left behind."""
    folder = tmp_path / "systemp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@dataclass
class LoopbackServer:
    """Serves ``/<mode>/<file>.gz`` on 127.0.0.1: mode ``good``, ``cut`` (half the body, full
    Content-Length) or ``wrong`` (valid IDX of other arrays). ``hits`` counts requests."""

    good: dict[str, bytes]
    wrong: dict[str, bytes]
    hits: Counter = field(default_factory=Counter)
    url: str = ""


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        state = self.server.state  # type: ignore[attr-defined]
        state.hits[self.path] += 1
        mode, _, name = self.path.strip("/").partition("/")
        table = state.wrong if mode == "wrong" else state.good
        body = table.get(name)
        if body is None or mode not in ("good", "cut", "wrong"):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if mode == "cut" else body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def loopback(arrays: dict[str, np.ndarray]) -> Iterator[LoopbackServer]:
    other = make_arrays(seed=99)
    state = LoopbackServer(
        good={f"{n}.gz": gz_idx_bytes(arrays[r]) for r, n in MNIST_FILES.items()},
        wrong={f"{n}.gz": gz_idx_bytes(other[r]) for r, n in MNIST_FILES.items()},
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.state = state  # type: ignore[attr-defined]
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A loopback port that accepts connections (kernel backlog) but never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/silent/"
    finally:
        sock.close()


def gzip_bytes(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as stream:
        stream.write(data)
    return buffer.getvalue()
