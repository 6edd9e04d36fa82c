"""Files in and out: atomic writes, strict UTF-8 reads, and output folders checked up front.

Atomic writes: a temp file in the same folder, flushed, fsynced, then ``os.replace``.

A reader never sees a half-written file: either the old content or the new one. Temp files are
named ``.<target>.<host>~<pid>.<random>.scratchnet-tmp``, so that after a crash
:func:`remove_stray_temp_files` can delete exactly the strays whose writer is dead, and never
the file of a writer still at work.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import json
import math
import os
import socket
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

TEMP_MARKER = ".scratchnet-tmp"


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()
_HOST = socket.gethostname().replace(".", "_").replace("~", "_")
STALE_FOREIGN_SECONDS = 24 * 3600


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temp path beside ``path``; on success fsync it and move it into place.

    Temp files that dead writers of the same ``path`` left behind are deleted first.

    The caller writes the whole file to the yielded path (by name, e.g. ``np.savez``). On an
    exception the temp file is removed and ``path`` is untouched; an :class:`OSError` that
    names no file (a full disk, a file-size limit) is raised again naming ``path``.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_strays_of(target)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.{writer_tag()}.", suffix=TEMP_MARKER, dir=target.parent
    )
    os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; a plain open() would follow the umask
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        if isinstance(exc, OSError) and not exc.filename and exc.errno:
            raise OSError(exc.errno, os.strerror(exc.errno), str(target)) from exc
        raise


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temp file for writing that replaces ``path`` atomically when the block ends."""
    if not mode.startswith("w"):
        raise ValueError(f"atomic_open writes whole files; mode must start with 'w', got {mode!r}")
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as handle:
        yield handle


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    write_text(path, json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n")


def read_text(path: str | os.PathLike[str], error: type[Exception]) -> str:
    """The whole of a UTF-8 text file; bytes that are not UTF-8 raise ``error`` naming the
    file, line and column (see :func:`decode_text`)."""
    with open(path, "rb") as handle:
        return decode_text(handle.read(), str(path), error)


def text_lines(path: str | os.PathLike[str], error: type[Exception]) -> Iterator[str]:
    """The lines of a UTF-8 text file, line endings kept, decoded one by one as they are read.

    Raises
    ------
    error
        At the first line that is not UTF-8, naming the file, line and column.
    """
    with open(path, "rb") as handle:
        for lineno, line in enumerate(handle, start=1):
            yield decode_text(line, str(path), error, first_line=lineno)


def decode_text(data: bytes, name: str, error: type[Exception], *, first_line: int = 1) -> str:
    """``data`` decoded as UTF-8, or ``error("<name>: line L column C: ...")`` if it is not."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = first_line + data.count(b"\n", 0, exc.start)
        column = exc.start - data.rfind(b"\n", 0, exc.start)
        raise error(
            f"{name}: line {line} column {column}: byte 0x{data[exc.start]:02x} is not UTF-8 "
            "text; save the file as UTF-8"
        ) from None


def writable_dir(path: str | os.PathLike[str]) -> Path:
    """Create the output folder ``path`` if needed and check that files can be written in it.

    Call it before long work whose results go there, so that a bad ``--out`` fails at once.

    Raises
    ------
    OSError
        Naming the path: it is a file, lies under a file, is too long, or is not writable.
    """
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "exists and is not a folder", str(folder))
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=folder, prefix=f".probe.{writer_tag()}."):
        pass
    return folder


def make_temp_dir(parent: Path, prefix: str, suffix: str = "") -> Path:
    """A new empty folder in ``parent`` with the permissions the user's umask gives folders
    (``tempfile.mkdtemp`` alone makes it 0700)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, suffix=suffix, dir=parent))
    folder.chmod(0o777 & ~_UMASK)
    return folder


def remove_stray_temp_files(folder: str | os.PathLike[str]) -> list[Path]:
    """Delete temp files under ``folder`` whose writer is gone; return the paths deleted.

    A writer on this host is gone when its process no longer exists; a writer on another host
    (a shared folder) when its file is a day old.
    """
    removed = []
    for stray in Path(folder).rglob(f"*{TEMP_MARKER}"):
        if _writer_alive(stray):
            continue
        with contextlib.suppress(FileNotFoundError):
            stray.unlink()
            removed.append(stray)
    return removed


def _remove_strays_of(target: Path) -> None:
    """Delete temp files of earlier, dead writers of ``target`` (a crash left them)."""
    for stray in target.parent.glob(f".{glob.escape(target.name)}.*{TEMP_MARKER}"):
        if not _writer_alive(stray):
            with contextlib.suppress(FileNotFoundError):
                stray.unlink()


def writer_tag() -> str:
    """``<host>~<pid>`` of this process: put in the names of temp files and folders."""
    return f"{_HOST}~{os.getpid()}"


def writer_alive(tag: str, path: Path) -> bool:
    """Whether the writer ``tag`` (``host~pid``) of ``path`` may still be at work.

    On this host: its process exists. On another host (a shared folder): ``path`` is less
    than a day old. An unreadable tag is a leftover (False).
    """
    host, _, pid = tag.partition("~")
    if not pid.isdigit():
        return False
    if host != _HOST:
        with contextlib.suppress(FileNotFoundError):
            return time.time() - path.stat().st_mtime < STALE_FOREIGN_SECONDS
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def _writer_alive(temp: Path) -> bool:
    parts = temp.name[: -len(TEMP_MARKER)].rsplit(".", 2)
    return writer_alive(parts[1] if len(parts) == 3 else "", temp)


def fsync_dir(folder: Path) -> None:
    """Persist a rename on POSIX by syncing the directory entry (no-op where unsupported)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def image_format(path: str | os.PathLike[str]) -> str:
    """The matplotlib format a figure file's suffix names (``png`` when it has none).

    Raises
    ------
    ConfigError
        If matplotlib cannot write that format; the message names the file and the formats.
    """
    from matplotlib.backend_bases import FigureCanvasBase

    from scratchnet.errors import ConfigError

    fmt = Path(path).suffix.lstrip(".").lower() or "png"
    supported = FigureCanvasBase.get_supported_filetypes()
    if fmt not in supported:
        raise ConfigError(
            f"{path}: unknown image format {fmt!r}; use one of .{', .'.join(sorted(supported))}"
        )
    return fmt


def json_safe(obj: Any) -> Any:
    """``obj`` with NaN and infinities as None and NumPy scalars and arrays as Python values.

    Raises TypeError for anything JSON cannot hold.
    """
    if isinstance(obj, Mapping):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if hasattr(obj, "tolist") and not isinstance(obj, str):  # numpy scalar or array
        return json_safe(obj.tolist())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    raise TypeError(f"not JSON-safe: {obj!r} of type {type(obj).__name__}")


def save_png(fig: Any, path: str | os.PathLike[str], dpi: int = 110) -> Path:
    """Write a matplotlib figure as PNG to ``path`` atomically; return the path."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    return Path(path)
