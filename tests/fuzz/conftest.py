"""Hypothesis profiles for the fuzz suite.

``ci`` (the default) runs a few hundred generated cases per target, derandomized so that CI
sees the same cases every run; ``long`` (``SCRATCHNET_FUZZ=long``, what ``scripts/fuzz --long``
sets) runs tens of thousands with fresh randomness. Every case must end in a documented error
type within the profile's deadline and the memory bound of :mod:`bounded`.
"""

import os

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile(
    "ci", max_examples=200, deadline=10_000, derandomize=True, suppress_health_check=_QUIET
)
settings.register_profile(
    "long", max_examples=20_000, deadline=10_000, suppress_health_check=_QUIET
)
settings.load_profile(os.environ.get("SCRATCHNET_FUZZ", "ci"))
