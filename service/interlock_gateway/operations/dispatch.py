"""The port through which accepted operations reach whoever carries them out (the worker).

Operations never import the worker: they are handed a :class:`Dispatcher`. Rows about to be
stored may be *reserved* by it first — then they are stored already in flight under its lease
and it starts them as soon as they are committed, without a claim transaction of its own. If
the process dies in between, the lease ends and any worker reconciles them by reading back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ..store.tables import Operation

__all__ = ["Dispatcher", "Reservation"]

Reservation = object
"""What :meth:`Dispatcher.reserve` returns; opaque to operations, handed back unchanged."""


class Dispatcher(Protocol):
    """Carries out stored operations (implemented by :class:`~interlock_gateway.worker.Worker`)."""

    def reserve(self, rows: Sequence[dict[str, Any]]) -> Reservation:
        """Take the ``pending`` rows that fit in this process's free room now.

        The rows it takes are changed in place to be stored in flight under its lease. Pass
        the reservation to :meth:`start_reserved` once they are committed, or to :meth:`release` if
        they were not stored.
        """
        ...

    def start_reserved(self, reservation: Reservation) -> None:
        """Run the reserved rows (their rows are committed)."""
        ...

    def release(self, reservation: Reservation) -> None:
        """Give back the room of rows that were not stored."""
        ...

    def wake(self) -> None:
        """Look for due work now instead of at the next poll."""
        ...

    async def settled(self, op_id: str, within: float) -> Operation | None:
        """The operation as recorded when this process finishes its current phase within
        ``within`` seconds; ``None`` otherwise (another replica runs it, or it is slow)."""
        ...
