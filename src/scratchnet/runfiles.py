"""The one strict reader of the JSON and CSV files in run folders (sweeps, reproductions).

Everything scratchnet writes into a run folder is UTF-8, and its JSON never holds NaN or
infinities (:func:`scratchnet.fileio.write_json` refuses them). Read back, a file that is
not exactly that (empty, truncated, bad UTF-8, ``NaN``, nested absurdly deep, of the wrong
type, too large) raises :class:`RunFolderError`, one line naming the file and what is wrong.

:func:`read_json` returns a :class:`JsonView`, which keeps the file's name and the path of
every value inside it, so that a value of the wrong type is also named precisely::

    trace = read_json(folder / "backprop.json")
    trace["samples"][0]["x"][0].number()
    # RunFolderError: run/section_a/backprop.json: samples[0].x[0]: expected a number, got "a"
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path
from typing import Any

from scratchnet.errors import DataError

#: The largest run-folder file read (the biggest ones, histories, are well under 1 MiB).
MAX_BYTES = 32 * 2**20


class RunFolderError(DataError):
    """A file of a run folder that is damaged, of the wrong shape, or unreadable."""


def read_bytes(path: str | os.PathLike[str], max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of ``path``, refusing files over ``max_bytes`` before reading them."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes:
                raise RunFolderError(
                    f"{path}: {size:,} bytes, more than a run-folder file may hold ({max_bytes:,})"
                )
            return handle.read()
    except IsADirectoryError:
        raise RunFolderError(f"{path}: a folder where a file was expected") from None
    except OSError as exc:  # missing while its folder's other files are there, unreadable
        raise RunFolderError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def read_text(path: str | os.PathLike[str], max_bytes: int = MAX_BYTES) -> str:
    """The UTF-8 text of ``path``; bad UTF-8 is named by its byte offset."""
    data = read_bytes(path, max_bytes)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RunFolderError(
            f"{path}: not UTF-8 text (byte {exc.start}: {data[exc.start : exc.start + 1]!r})"
        ) from None


def read_json(path: str | os.PathLike[str], kind: type | None = dict) -> JsonView:
    """Parse the JSON file ``path`` strictly; its top level must be a ``kind`` (if given).

    Raises
    ------
    RunFolderError
        Empty, truncated or invalid JSON, ``NaN``/``Infinity``, bad UTF-8, nesting too
        deep, an integer too long, a file too large, or a top level of another type.
    """
    text = read_text(path)
    if not text.strip():
        raise RunFolderError(f"{path}: empty, expected JSON")
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise RunFolderError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise RunFolderError(f"{path}: JSON nested too deep") from None
    except ValueError as exc:  # NaN/Infinity, or an integer past Python's digit limit
        raise RunFolderError(f"{path}: {exc}") from None
    view = JsonView(value, Path(path))
    if kind is not None:
        view.expect(kind)
    return view


def read_csv(
    path: str | os.PathLike[str], required: tuple[str, ...] = ()
) -> tuple[list[str], list[dict[str, str]]]:
    """The columns and rows of the CSV file ``path``, every row as long as the header.

    Blank lines are skipped. ``required`` columns must be present.

    Raises
    ------
    RunFolderError
        Bad UTF-8, no header, a repeated or missing column, a row with too many or too few
        fields, or a quoting error (line numbers are the file's).
    """
    text = read_text(path)
    if not text.strip():
        raise RunFolderError(f"{path}: empty, expected a CSV table")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if not header or not any(header):
            raise RunFolderError(f"{path}: no header line, expected a CSV table")
        _check_header(path, header, required)
        rows = [_row(path, header, fields, reader.line_num) for fields in reader if fields]
    except csv.Error as exc:
        raise RunFolderError(f"{path}: line {reader.line_num}: {exc}") from None
    return header, rows


def _check_header(path: str | os.PathLike[str], header: list[str], required: tuple) -> None:
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise RunFolderError(f"{path}: column(s) {', '.join(map(repr, repeated))} repeated")
    missing = [name for name in required if name not in header]
    if missing:
        raise RunFolderError(f"{path}: missing column(s) {', '.join(map(repr, missing))}")


def _row(path: Any, header: list[str], fields: list[str], line: int) -> dict[str, str]:
    if len(fields) != len(header):
        raise RunFolderError(
            f"{path}: line {line}: {len(fields)} field(s), expected {len(header)} like the header"
        )
    return dict(zip(header, fields))


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number (scratchnet never writes it)")


# --- typed access -------------------------------------------------------------------------------


_KIND_NAMES = {dict: "an object", list: "a list", str: "a string", bool: "true or false"}


class JsonView:
    """A parsed JSON value with its file and its path inside the file, for precise errors.

    Parameters
    ----------
    value : JSON value
    file : Path
        The file it was read from (named in errors).
    where : str
        Its path in the file, like ``samples[0].x`` (empty for the top level).
    """

    __slots__ = ("file", "value", "where")

    def __init__(self, value: Any, file: Path, where: str = "") -> None:
        self.value = value
        self.file = file
        self.where = where

    def error(self, message: str) -> RunFolderError:
        """A :class:`RunFolderError` naming the file and this value's path."""
        return RunFolderError(f"{self.file}: {self.where or 'top level'}: {message}")

    def expect(self, kind: type) -> Any:
        """The plain value, if it is a ``kind`` (``dict``, ``list``, ``str``, ``bool``)."""
        if isinstance(self.value, kind) and (kind is bool or not isinstance(self.value, bool)):
            return self.value
        raise self.error(
            f"expected {_KIND_NAMES.get(kind, kind.__name__)}, got {_show(self.value)}"
        )

    def __getitem__(self, key: str | int) -> JsonView:
        container = self.expect(list if isinstance(key, int) else dict)
        try:
            value = container[key]
        except (KeyError, IndexError):
            what = f"key {key!r}" if isinstance(key, str) else f"item {key}"
            raise self.error(f"missing {what}") from None
        return JsonView(value, self.file, _join(self.where, key))

    def get(self, key: str, default: Any = None) -> JsonView:
        """The value at ``key`` of an object, or a view of ``default`` if it is absent."""
        container = self.expect(dict)
        return JsonView(container.get(key, default), self.file, _join(self.where, key))

    def items(self) -> list[JsonView]:
        """The elements of a list, as views."""
        return [
            JsonView(v, self.file, _join(self.where, i)) for i, v in enumerate(self.expect(list))
        ]

    def entries(self) -> list[tuple[str, JsonView]]:
        """The ``(key, view)`` pairs of an object."""
        return [
            (k, JsonView(v, self.file, _join(self.where, k))) for k, v in self.expect(dict).items()
        ]

    def number(self) -> float:
        """A finite number (an integer or a float, not a boolean)."""
        value = self.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(f"expected a number, got {_show(value)}")
        try:
            number = float(value)
        except OverflowError:
            raise self.error("number too large") from None
        if not math.isfinite(number):
            raise self.error(f"expected a finite number, got {_show(value)}")
        return number

    def integer(self) -> int:
        """An integer (not a boolean)."""
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise self.error(f"expected an integer, got {_show(self.value)}")
        return self.value

    def text(self) -> str:
        """A string."""
        return self.expect(str)

    def scalar(self) -> str:
        """A string, number, boolean or null, as text to display."""
        if isinstance(self.value, dict | list):
            raise self.error(f"expected a single value, got {_show(self.value)}")
        return str(self.value)


def _join(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


def _show(value: Any) -> str:
    """A short description of a JSON value for messages."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    text = (
        json.dumps(value)
        if not isinstance(value, int) or value.bit_length() < 64
        else "a long integer"
    )
    return text if len(text) <= 40 else text[:37] + "..."
