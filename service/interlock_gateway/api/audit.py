"""``/v1/audit``: read, export (streamed) and verify the tamper-evident audit trail.

Auditors and admins may read; the policy table decides. Reads run in one snapshot
(``REPEATABLE READ`` on PostgreSQL; a SQLite read transaction is one already), so records
appended while a verification or an export pages through the table cannot be mistaken for
tampering or split an export.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime
from sqlalchemy.ext.asyncio import AsyncSession

from ..audit import AuditEntry, AuditFilter, AuditPage, VerifyResult, export_csv, export_jsonl
from ..audit import query as query_trail
from ..audit.query import MAX_PAGE_SIZE
from ..policy import Action, Caller
from ..runtime import Runtime
from ..services import audit as audit_service
from .deps import Authorize, RuntimeDep, strict_query
from .problems import Problem

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["audit"])

_FILTERS = ("actor", "account", "session", "action", "outcome", "from", "to")
_CHUNK_BYTES = 64 * 1024


class ExportFormat(StrEnum):
    """What ``/v1/audit/export`` writes."""

    JSONL = "jsonl"
    CSV = "csv"


_MEDIA_TYPE = {ExportFormat.JSONL: "application/x-ndjson", ExportFormat.CSV: "text/csv"}


def audit_filter(
    actor: Annotated[str | None, Query(min_length=1, max_length=100, description="who")] = None,
    account: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    session: Annotated[str | None, Query(min_length=1, max_length=200, description="id")] = None,
    action: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    outcome: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
    from_: Annotated[
        AwareDatetime | None, Query(alias="from", description="inclusive (ISO 8601 with zone)")
    ] = None,
    to: Annotated[AwareDatetime | None, Query(description="exclusive")] = None,
) -> AuditFilter:
    """The filters shared by the listing and the export (``from`` < ``to``)."""
    if from_ is not None and to is not None and from_ >= to:
        raise Problem(
            422,
            "REQUEST.VALIDATION",
            "Invalid request",
            "query.from must be before query.to",
            hint="give an earlier 'from' or a later 'to'",
            errors=[{"field": "query.from", "message": "not before 'to'", "type": "range"}],
        )
    return AuditFilter(
        actor=actor,
        account=account,
        session_id=session,
        action=action,
        outcome=outcome,
        since=from_,
        until=to,
    )


Filters = Annotated[AuditFilter, Depends(audit_filter)]


@router.get(
    "/audit",
    summary="List audit records, newest first",
    dependencies=[Depends(strict_query(*_FILTERS, "page_size", "page_token"))],
    responses={400: {"description": "a page_token from another query"}},
)
async def list_records(
    caller: Annotated[Caller, Authorize(Action.AUDIT_READ)],
    runtime: RuntimeDep,
    filters: Filters,
    page_size: Annotated[int, Query(ge=1)] = 50,
    page_token: Annotated[str | None, Query(min_length=1, max_length=512)] = None,
) -> AuditPage:
    """Records matching every filter, with their hash-chain fields; follow
    ``next_page_token`` for older ones. Names and phone numbers are masked in the records."""
    limit = min(runtime.settings.max_page_size, MAX_PAGE_SIZE)
    if page_size > limit:
        raise Problem(
            422,
            "REQUEST.PAGE_SIZE",
            "Page size too large",
            f"page_size may be at most {limit}",
            hint=f"use page_size ≤ {limit} and follow next_page_token",
            errors=[{"field": "query.page_size", "message": f"≤ {limit}", "type": "less_than"}],
        )
    async with runtime.db.snapshot() as session:
        return await query_trail(session, filters, page_size=page_size, page_token=page_token)


@router.get(
    "/audit/export",
    summary="Export audit records, oldest first (streamed JSONL or CSV)",
    response_class=StreamingResponse,
    dependencies=[Depends(strict_query(*_FILTERS, "format"))],
    responses={
        200: {
            "description": "JSONL: one {hash, prev_hash, record, seq} per line (an unfiltered "
            "export re-verifies on its own); CSV: one flattened record per line",
            "content": {
                _MEDIA_TYPE[ExportFormat.JSONL]: {"schema": {"type": "string"}},
                _MEDIA_TYPE[ExportFormat.CSV]: {"schema": {"type": "string"}},
            },
        }
    },
)
async def export(
    caller: Annotated[Caller, Authorize(Action.AUDIT_READ)],
    runtime: RuntimeDep,
    filters: Filters,
    format: Annotated[ExportFormat, Query(description="jsonl or csv")] = ExportFormat.JSONL,
) -> StreamingResponse:
    """Streams every matching record in constant memory. The export itself is audited
    (``audit.export``: who exported what), since it is the trail leaving the gateway."""
    await audit_service.record(
        runtime.db,
        runtime.trail,
        AuditEntry(
            actor=audit_service.actor_of(caller),
            action="audit.export",
            outcome="streamed",
            details={"format": str(format), "filters": filters.model_dump(mode="json")},
        ),
    )
    writer = export_jsonl if format is ExportFormat.JSONL else export_csv
    stamp = runtime.clock().strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        _stream(runtime, writer, filters),
        media_type=_MEDIA_TYPE[format],
        headers={
            "Content-Disposition": f'attachment; filename="interlock-audit-{stamp}.{format}"',
            "Cache-Control": "no-store",
        },
    )


Writer = Callable[[AsyncSession, AuditFilter], AsyncIterator[str]]


async def _stream(runtime: Runtime, writer: Writer, filters: AuditFilter) -> AsyncIterator[bytes]:
    # Lines are batched into ~64 KiB chunks: one send per record would dominate the cost.
    async with runtime.db.snapshot() as session:
        buffer: list[str] = []
        size = 0
        async for line in writer(session, filters):
            buffer.append(line)
            size += len(line)
            if size >= _CHUNK_BYTES:
                yield "".join(buffer).encode()
                buffer, size = [], 0
        if buffer:
            yield "".join(buffer).encode()


@router.get("/audit/verify", summary="Verify the whole hash chain and its signed checkpoints")
async def verify(
    caller: Annotated[Caller, Authorize(Action.AUDIT_VERIFY)], runtime: RuntimeDep
) -> VerifyResult:
    """``ok`` is false when the chain is broken; then ``first_broken_seq`` names the first
    broken record and ``reason`` says why (altered, missing, reordered, inserted, a bad
    signature, ...). Always 200: a broken chain is a finding, not an error of the request."""
    async with runtime.db.snapshot() as session:
        return await runtime.trail.verify(session)
