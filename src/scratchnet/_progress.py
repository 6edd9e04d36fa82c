"""A tqdm bar over epochs, as a context manager yielding the training loop's callback."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from scratchnet.training import EpochCallback


@contextlib.contextmanager
def epoch_progress(epochs: int, enabled: bool, name: str = "fit") -> Iterator[EpochCallback | None]:
    """Yield ``on_epoch_end(epoch, record)`` that advances a bar; ``None`` when disabled."""
    if not enabled:
        yield None
        return
    from tqdm.auto import tqdm

    with tqdm(total=epochs, desc=name, unit="epoch", leave=False) as bar:

        def on_epoch_end(epoch: int, record: dict[str, float]) -> None:
            bar.set_postfix({k: f"{v:.4f}" for k, v in record.items() if k != "epoch_time"})
            bar.update(1)

        yield on_epoch_end
