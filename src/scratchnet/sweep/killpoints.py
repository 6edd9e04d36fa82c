"""Named points where a test can SIGKILL the running process, to test crash windows for real.

Set ``SCRATCHNET_KILL_AT`` to a point's name (tests only) and the process kills itself with
SIGKILL the first time it reaches that point: no cleanup, no ``finally`` block, exactly what
``kill -9`` or a power cut would leave behind. Unset (always, outside tests), a point costs
one dictionary lookup.

Points: ``sweep-config-copied`` (``config.toml`` written, ``sweep.json`` not yet),
``lock-claim-written`` (a cell's claim file written, not yet linked as its lock),
``lock-claimed`` (the lock linked, the claim file not yet removed), ``stale-lock-set-aside``
(a dead sweep's lock renamed aside, not yet deleted), ``cell-committed`` (a cell's folder
complete, its lock not yet released, the rest of the grid not run).
"""

from __future__ import annotations

import os
import signal

ENV = "SCRATCHNET_KILL_AT"
POINTS = frozenset(
    {
        "sweep-config-copied",
        "lock-claim-written",
        "lock-claimed",
        "stale-lock-set-aside",
        "cell-committed",
    }
)


def kill_point(name: str) -> None:
    """SIGKILL this process if ``SCRATCHNET_KILL_AT`` names the point ``name``."""
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
