"""Reading the audit trail: pages, streamed exports and verification, each in one snapshot.

Reads run in one snapshot (``REPEATABLE READ`` on PostgreSQL; a SQLite read transaction is one
already), so records appended while a verification or an export pages through the table
cannot be mistaken for tampering or split an export. An export is itself audited
(``audit.export``: who took what), since it is the trail leaving the gateway.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from ..audit import AuditEntry, AuditFilter, AuditPage, VerifyResult, export_csv, export_jsonl
from ..audit import query as query_trail
from ..audit.witnessing import verify_witnessed
from ..operations import audit_entries as audit
from ..operations.context import Context
from ..policy import Caller

__all__ = ["ExportFormat", "export", "page", "verify"]

_CHUNK_CHARS = 64 * 1024


class ExportFormat(StrEnum):
    """What an export writes."""

    JSONL = "jsonl"
    CSV = "csv"


Writer = Callable[[AsyncSession, AuditFilter], AsyncIterator[str]]
_WRITERS: dict[ExportFormat, Writer] = {
    ExportFormat.JSONL: export_jsonl,
    ExportFormat.CSV: export_csv,
}


async def page(
    ctx: Context, filters: AuditFilter, *, page_size: int, page_token: str | None
) -> AuditPage:
    """Records matching every filter, newest first, with their hash-chain fields."""
    async with ctx.db.snapshot() as session:
        return await query_trail(session, filters, page_size=page_size, page_token=page_token)


async def verify(ctx: Context, *, witnessed: bool = False) -> VerifyResult:
    """The whole chain and its signed checkpoints, checked — and, when ``witnessed``, held
    against every configured audit witness."""
    async with ctx.db.snapshot() as session:
        if not witnessed:
            return await ctx.trail.verify(session)
        return await verify_witnessed(session, ctx.trail.public_keys, ctx.witnesses)


async def export(
    ctx: Context, caller: Caller, filters: AuditFilter, form: ExportFormat
) -> AsyncIterator[str]:
    """Record that ``caller`` exports, then the matching records oldest first, in chunks of
    about 64 KiB (one send per record would dominate the cost)."""
    await audit.record(
        ctx.db,
        ctx.trail,
        AuditEntry(
            actor=audit.actor_of(caller),
            action="audit.export",
            outcome="streamed",
            details={"format": str(form), "filters": filters.model_dump(mode="json")},
        ),
    )
    return _chunks(ctx, _WRITERS[form], filters)


async def _chunks(ctx: Context, writer: Writer, filters: AuditFilter) -> AsyncIterator[str]:
    async with ctx.db.snapshot() as session:
        buffer: list[str] = []
        size = 0
        async for line in writer(session, filters):
            buffer.append(line)
            size += len(line)
            if size >= _CHUNK_CHARS:
                yield "".join(buffer)
                buffer, size = [], 0
        if buffer:
            yield "".join(buffer)
