"""The crash-test fault point: SIGKILL between a vendor's answer and the commit.

Off unless ``INTERLOCK_CRASH_AFTER_VENDOR_CALL=P`` is set (crash tests only): then, with
probability P after each vendor call answered, the process kills itself before the
worker's finishing transaction — the exact moment a real crash is hardest to recover from.
"""

from __future__ import annotations

import logging
import os
import random
import signal

from ..services.execute import FaultHook
from ..store.tables import Operation

__all__ = ["CRASH_ENV", "crash_fault_from_env"]

log = logging.getLogger("interlock.gateway.batches")
CRASH_ENV = "INTERLOCK_CRASH_AFTER_VENDOR_CALL"


def crash_fault_from_env() -> FaultHook | None:
    """The fault hook the environment asks for, if any."""
    raw = os.environ.get(CRASH_ENV)
    if not raw:
        return None
    probability = float(raw)

    async def crash(point: str, op: Operation) -> None:
        if point == "after_vendor_call" and random.random() < probability:  # noqa: S311
            log.warning("crash test: killing this process after a vendor call")
            os.kill(os.getpid(), signal.SIGKILL)

    return crash
