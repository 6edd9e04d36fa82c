"""Prepared datasets kept in memory per process, so that a worker running many cells of a
sweep loads and splits the data once, not once per cell."""

from __future__ import annotations

from scratchnet.data.prepare import DataConfig, PreparedData, prepare

#: How many different data configs a process keeps (MNIST prepared is about 220 MB).
MAX_ENTRIES = 2

_cache: dict[DataConfig, PreparedData] = {}


def prepared(config: DataConfig) -> PreparedData:
    """``prepare(config)``, computed once per process for each (hashable, frozen) config."""
    data = _cache.get(config)
    if data is None:
        while len(_cache) >= MAX_ENTRIES:
            _cache.pop(next(iter(_cache)))
        data = _cache[config] = prepare(config)
    return data


def clear() -> None:
    """Forget every cached dataset."""
    _cache.clear()
