"""A gateway process with a crash point: SIGKILL between a vendor's answer and the commit.

``python -m harness.gateway --port P`` serves the gateway like ``interlock serve`` (settings
from ``INTERLOCK_CONFIG`` and the environment), with the worker's fault hook set: with
probability ``INTERLOCK_CRASH_AFTER_VENDOR_CALL`` after each vendor call answered, the process
kills itself before the worker's finishing transaction — the exact moment a real crash is
hardest to recover from. The gateway itself has no such switch; it only accepts a fault hook
in ``create_app`` (as it accepts a clock).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import signal

import uvicorn

from interlock_gateway.app import create_app
from interlock_gateway.settings import GatewaySettings
from interlock_gateway.store.tables import Operation
from interlock_gateway.worker.execute import FaultHook

__all__ = ["CRASH_ENV", "crash_fault"]

log = logging.getLogger("harness.gateway")
CRASH_ENV = "INTERLOCK_CRASH_AFTER_VENDOR_CALL"


def crash_fault(probability: float) -> FaultHook:
    """A fault hook that kills this process after a vendor call with ``probability``."""

    async def crash(point: str, op: Operation) -> None:
        if point == "after_vendor_call" and random.random() < probability:
            log.warning("crash test: killing this process after a vendor call")
            os.kill(os.getpid(), signal.SIGKILL)

    return crash


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    probability = float(os.environ.get(CRASH_ENV, "0") or 0)
    settings = GatewaySettings.load(run_migrations=False)
    app = create_app(settings, fault=crash_fault(probability) if probability else None)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
