"""The worker: claims due operations and carries them out, phase by phase.

* :mod:`.loop` — the :class:`Worker` (the loop, housekeeping, the dispatcher of new work).
* :mod:`.queue` — the operations table as a queue: claims with leases, heartbeats.
* :mod:`.scheduler` — batch items claimed per account: units, concurrency, the breaker.
* :mod:`.execute` — one phase of one operation at the vendor, through the facade.
* :mod:`.chunks` — a batch unit: one item, or a native chunk as one vendor call.
* :mod:`.finish` — recording a phase's result (compare-and-set on the lease) and follow-ups.
"""

from .loop import Worker

__all__ = ["Worker"]
