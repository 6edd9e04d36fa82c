"""Progress over epochs, as a context manager yielding the training loop's callback."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from scratchnet.callbacks import LambdaCallback
from scratchnet.training import EpochCallback


@contextlib.contextmanager
def epoch_progress(epochs: int, style: str | None, name: str = "fit") -> Iterator[list]:
    """Yield the callbacks that show progress: none when ``style`` is None.

    ``"bar"`` advances a tqdm bar; ``"lines"`` writes one line per epoch to standard output,
    ``Iteration <epoch>, loss = <loss>``, as scikit-learn's verbose MLPs do.
    """
    if style is None:
        yield []
    elif style == "lines":
        yield [_on_epoch_end(_print_line)]
    else:
        from tqdm.auto import tqdm

        with tqdm(total=epochs, desc=name, unit="epoch", leave=False) as bar:

            def advance(epoch: int, record: dict[str, float]) -> None:
                bar.set_postfix({k: f"{v:.4f}" for k, v in record.items() if k != "epoch_time"})
                bar.update(1)

            yield [_on_epoch_end(advance)]


def _on_epoch_end(function: EpochCallback) -> LambdaCallback:
    return LambdaCallback(on_epoch_end=lambda state: function(state.epoch, state.record))


def _print_line(epoch: int, record: dict[str, float]) -> None:
    sys.stdout.write(f"Iteration {epoch}, loss = {record['loss']:.8f}\n")
