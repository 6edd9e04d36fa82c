"""Progress over epochs, as a context manager yielding the training loop's callback."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from scratchnet.training import EpochCallback


@contextlib.contextmanager
def epoch_progress(
    epochs: int, style: str | None, name: str = "fit"
) -> Iterator[EpochCallback | None]:
    """Yield ``on_epoch_end(epoch, record)``, or ``None`` when ``style`` is None.

    ``"bar"`` advances a tqdm bar; ``"lines"`` writes one line per epoch to standard output,
    ``Iteration <epoch>, loss = <loss>``, as scikit-learn's verbose MLPs do.
    """
    if style is None:
        yield None
    elif style == "lines":
        yield _print_line
    else:
        from tqdm.auto import tqdm

        with tqdm(total=epochs, desc=name, unit="epoch", leave=False) as bar:

            def on_epoch_end(epoch: int, record: dict[str, float]) -> None:
                bar.set_postfix({k: f"{v:.4f}" for k, v in record.items() if k != "epoch_time"})
                bar.update(1)

            yield on_epoch_end


def _print_line(epoch: int, record: dict[str, float]) -> None:
    sys.stdout.write(f"Iteration {epoch}, loss = {record['loss']:.8f}\n")
