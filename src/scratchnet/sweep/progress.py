"""Progress of a sweep: one bar over the grid, a line per finished cell, and whether the
running cell may draw its own epoch bar (only when it runs in the sweep's own process)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

_epoch_bars = False


def epoch_bars_enabled() -> bool:
    """True while a sweep runs its cells in this process with progress on.

    A study passes it to the estimator's ``verbose`` to draw the running cell's epoch bar.
    """
    return _epoch_bars


@contextlib.contextmanager
def epoch_bars(enabled: bool) -> Iterator[None]:
    """Let the cells run inside this block draw epoch bars (if ``enabled``)."""
    global _epoch_bars
    previous, _epoch_bars = _epoch_bars, bool(enabled)
    try:
        yield
    finally:
        _epoch_bars = previous


class GridProgress:
    """A tqdm bar over a sweep's cells; :meth:`cell_finished` prints a line above it.

    Parameters
    ----------
    total : int
        Cells in the sweep.
    done : int
        Cells already finished before this run.
    name : str
        Shown before the bar.
    enabled : bool
        When False, nothing is drawn or printed.
    """

    def __init__(self, total: int, done: int, name: str, enabled: bool) -> None:
        self._bar = None
        if enabled:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, initial=done, desc=name, unit="cell", position=0)

    def cell_finished(self, line: str) -> None:
        """Advance the bar by one cell and print ``line`` above it."""
        if self._bar is not None:
            self._bar.write(line)
            self._bar.update(1)

    def note(self, line: str) -> None:
        """Print ``line`` above the bar."""
        if self._bar is not None:
            self._bar.write(line)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
