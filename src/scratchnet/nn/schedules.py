"""Learning-rate schedules: pure functions ``schedule(step, total_steps, lr) -> lr``.

``step`` counts optimizer updates from 0; ``total_steps`` is the number of updates in the whole
run; ``lr`` is the base (peak) learning rate.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from scratchnet.errors import ConfigError

Schedule = Callable[[int, int, float], float]


def constant(step: int, total_steps: int, lr: float) -> float:
    """The base learning rate throughout."""
    return lr


def step_decay(step: int, total_steps: int, lr: float) -> float:
    """``lr``, then ``lr / 10`` from 50% of the run, then ``lr / 100`` from 75%."""
    fraction = step / max(total_steps, 1)
    return lr * (0.01 if fraction >= 0.75 else 0.1 if fraction >= 0.5 else 1.0)


def cosine(step: int, total_steps: int, lr: float) -> float:
    """Half a cosine from ``lr`` down to 0 at the last step."""
    fraction = min(step / max(total_steps - 1, 1), 1.0)
    return 0.5 * lr * (1.0 + math.cos(math.pi * fraction))


def one_cycle(
    step: int,
    total_steps: int,
    lr: float,
    warmup_fraction: float = 0.3,
    start_div: float = 25.0,
    final_div: float = 1e4,
) -> float:
    """Smith's one-cycle policy, shaped as PyTorch's ``OneCycleLR`` (cosine annealing).

    1. warm-up: cosine rise from ``lr / start_div`` to ``lr`` over the first 30% of steps;
    2. annealing: cosine fall from ``lr`` to ``lr / (start_div * final_div)`` at the end.
    """
    start, end = lr / start_div, lr / (start_div * final_div)
    peak_step = warmup_fraction * total_steps - 1
    if step <= peak_step:
        fraction = step / max(peak_step, 1)
        return _cosine_between(start, lr, fraction)
    fraction = (step - peak_step) / max(total_steps - 1 - peak_step, 1)
    return _cosine_between(lr, end, min(fraction, 1.0))


def _cosine_between(begin: float, end: float, fraction: float) -> float:
    """Cosine interpolation from ``begin`` (fraction 0) to ``end`` (fraction 1)."""
    return end + (begin - end) * 0.5 * (1.0 + math.cos(math.pi * fraction))


SCHEDULES: dict[str, Schedule] = {
    "constant": constant,
    "step": step_decay,
    "cosine": cosine,
    "onecycle": one_cycle,
}


def get(name: str) -> Schedule:
    """Return the schedule named ``name``; unknown names raise :class:`ConfigError`."""
    key = name.replace("-", "").replace("_", "").lower() if isinstance(name, str) else name
    if key not in SCHEDULES:
        raise ConfigError(f"unknown lr_schedule {name!r}; valid: {', '.join(SCHEDULES)}")
    return SCHEDULES[key]
