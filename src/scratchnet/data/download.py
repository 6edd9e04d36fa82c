"""Fetch one URL to a file over HTTP(S) with a timeout, bounded retries and a progress bar.

Failures that retrying cannot fix (unknown host, refused connection, HTTP 4xx) fail at once;
timeouts, cut-off transfers and HTTP 5xx are retried a few times with a short back-off. The
file is written atomically, so a failed transfer leaves nothing behind.
"""

from __future__ import annotations

import http.client
import logging
import os
import time
import urllib.error
import urllib.request
from pathlib import Path

from scratchnet.errors import DataSourceError
from scratchnet.fileio import atomic_open

logger = logging.getLogger(__name__)

#: Largest body accepted from a mirror (MNIST's biggest file is under 30 MB compressed).
MAX_DOWNLOAD_BYTES = 256 * 2**20
_CHUNK = 1 << 16
_USER_AGENT = "scratchnet-data/0.1 (+urllib)"


class TransferError(DataSourceError):
    """A download that failed; ``retry`` says whether trying again could help."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


def download(
    url: str,
    dest: str | os.PathLike[str],
    *,
    timeout: float = 10.0,
    retries: int = 2,
    backoff: float = 0.5,
    max_bytes: int = MAX_DOWNLOAD_BYTES,
    progress: bool | None = None,
) -> int:
    """Download ``url`` to ``dest`` and return the number of bytes written.

    Parameters
    ----------
    url : str
        An ``http://`` or ``https://`` URL.
    dest : path-like
        Written atomically; untouched on failure.
    timeout : float
        Seconds to wait for the connection and for each read.
    retries : int
        Extra attempts after a transient failure.
    backoff : float
        Seconds to wait before retry ``k`` is ``backoff * k``.
    max_bytes : int
        Refuse larger bodies.
    progress : bool, optional
        Show a tqdm bar; by default only when stderr is a terminal.

    Raises
    ------
    TransferError
        With a one-line reason once the attempts are used up or the failure is permanent.
    """
    if not url.startswith(("http://", "https://")):
        raise TransferError(f"{url}: only http:// and https:// URLs are fetched", retry=False)
    attempts = max(0, retries) + 1
    attempt = 1
    while True:
        try:
            return _download_once(url, Path(dest), timeout, max_bytes, progress)
        except TransferError as exc:
            if not exc.retry or attempt >= attempts:
                suffix = f" (after {attempt} attempts)" if attempt > 1 else ""
                raise TransferError(f"{exc}{suffix}", retry=exc.retry) from exc
            logger.info("%s; retrying (%d/%d)", exc, attempt, attempts - 1)
            time.sleep(backoff * attempt)
            attempt += 1


def _download_once(
    url: str, dest: Path, timeout: float, max_bytes: int, progress: bool | None
) -> int:
    from tqdm.auto import tqdm

    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = _content_length(response, url, max_bytes)
            bar = tqdm(
                total=length,
                unit="B",
                unit_scale=True,
                desc=url.rsplit("/", 1)[-1],
                disable=None if progress is None else not progress,
                leave=False,
            )
            with bar, atomic_open(dest, "wb") as handle:
                total = 0
                while chunk := response.read(_CHUNK):
                    total += len(chunk)
                    if total > max_bytes:
                        raise TransferError(f"{url}: body exceeds {max_bytes} bytes", retry=False)
                    handle.write(chunk)
                    bar.update(len(chunk))
                if length is not None and total != length:
                    raise TransferError(
                        f"{url}: transfer cut off after {total} of {length} bytes", retry=True
                    )
            return total
    except urllib.error.HTTPError as exc:
        raise TransferError(f"{url}: HTTP {exc.code} {exc.reason}", retry=exc.code >= 500) from exc
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            raise TransferError(f"{url}: no answer within {timeout:g} s", retry=True) from exc
        transient = isinstance(reason, ConnectionResetError)
        raise TransferError(f"{url}: {_describe(reason)}", retry=transient) from exc
    except TimeoutError as exc:
        raise TransferError(f"{url}: no answer within {timeout:g} s", retry=True) from exc
    except (http.client.HTTPException, ConnectionError) as exc:
        raise TransferError(f"{url}: transfer failed: {_describe(exc)}", retry=True) from exc


def _content_length(response: http.client.HTTPResponse, url: str, max_bytes: int) -> int | None:
    value = response.headers.get("Content-Length")
    if value is None:
        return None
    if not value.strip().isdigit():
        raise TransferError(f"{url}: bad Content-Length {value!r}", retry=False)
    length = int(value)
    if length > max_bytes:
        raise TransferError(f"{url}: {length} bytes is more than {max_bytes}", retry=False)
    return length


def _describe(reason: object) -> str:
    if isinstance(reason, http.client.IncompleteRead):
        return f"transfer cut off after {len(reason.partial)} bytes"
    return str(reason) or type(reason).__name__
