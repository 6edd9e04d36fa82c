"""Run a call under a memory bound and check which exception, if any, it ends in.

Memory is measured with :mod:`tracemalloc`, which sees Python objects, NumPy arrays and the
buffers zlib and zipfile allocate: its peak is what the call allocated at most at once.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any

MiB = 1 << 20


def call_bounded(
    fn: Callable[[], Any],
    allowed: tuple[type[BaseException], ...],
    max_bytes: int = 64 * MiB,
) -> Any:
    """Call ``fn()``; return its result or the exception it raised.

    Fails the test (``AssertionError``) if the call raised anything not in ``allowed``, or
    if it allocated more than ``max_bytes`` at its peak.
    """
    tracemalloc.start()
    try:
        outcome = fn()
    except allowed as exc:
        outcome = exc
    except Exception as exc:
        raise AssertionError(
            f"undocumented error {type(exc).__name__}: {exc}; expected one of "
            f"{[t.__name__ for t in allowed]}"
        ) from exc
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak <= max_bytes, f"allocated {peak / MiB:.1f} MiB, bound {max_bytes / MiB:.0f} MiB"
    return outcome
