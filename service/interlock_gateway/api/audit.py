"""``/v1/audit``: read, export (streamed) and verify the tamper-evident audit trail.

Auditors and admins may read; the policy table decides. Each read sees one snapshot
(``reports/audit_log.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from ..audit import AuditFilter, AuditPage, VerifyResult
from ..audit.query import MAX_PAGE_SIZE
from ..policy import Action, Caller
from ..problems import Problem, page_size_too_large
from ..reports import audit_log
from ..reports.audit_log import ExportFormat
from .deps import Authorize, ContextDep, strict_query
from .fields import Instant, SearchText

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["audit"])

_FILTERS = ("actor", "account", "session", "action", "outcome", "from", "to")
_MEDIA_TYPE = {ExportFormat.JSONL: "application/x-ndjson", ExportFormat.CSV: "text/csv"}


async def audit_filter(
    actor: Annotated[SearchText | None, Query(max_length=100, description="who")] = None,
    account: Annotated[SearchText | None, Query(max_length=100, description="account name")] = None,
    session: Annotated[SearchText | None, Query(description="session id")] = None,
    action: Annotated[
        SearchText | None, Query(max_length=64, description="audited action (operation.terminate)")
    ] = None,
    outcome: Annotated[
        SearchText | None, Query(max_length=32, description="outcome (applied, denied, failed)")
    ] = None,
    from_: Annotated[
        Instant | None, Query(alias="from", description="records at or after (before 'to')")
    ] = None,
    to: Annotated[Instant | None, Query(description="records before (exclusive)")] = None,
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
    ctx: ContextDep,
    filters: Filters,
    page_size: Annotated[
        int,
        Query(
            ge=1,
            # the setting may allow more; audit pages never exceed this (schema maximum)
            json_schema_extra={"maximum": MAX_PAGE_SIZE},
            description=f"records per page, 1 to max_page_size (at most {MAX_PAGE_SIZE})",
        ),
    ] = 50,
    page_token: Annotated[
        str | None,
        Query(min_length=1, max_length=512, description="next_page_token of the previous page"),
    ] = None,
) -> AuditPage:
    """Records matching every filter, with their hash-chain fields; follow
    ``next_page_token`` for older ones. Names and phone numbers are masked in the records."""
    limit = min(ctx.settings.max_page_size, MAX_PAGE_SIZE)
    if page_size > limit:
        raise page_size_too_large(limit)
    return await audit_log.page(ctx, filters, page_size=page_size, page_token=page_token)


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
    ctx: ContextDep,
    filters: Filters,
    format: Annotated[ExportFormat, Query(description="jsonl or csv")] = ExportFormat.JSONL,
) -> StreamingResponse:
    """Streams every matching record in constant memory. The export itself is audited
    (``audit.export``: who exported what), since it is the trail leaving the gateway."""
    chunks = await audit_log.export(ctx, caller, filters, format)
    stamp = ctx.clock().strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        _encoded(chunks),
        media_type=_MEDIA_TYPE[format],
        headers={
            "Content-Disposition": f'attachment; filename="interlock-audit-{stamp}.{format}"',
            "Cache-Control": "no-store",
        },
    )


async def _encoded(chunks: AsyncIterator[str]) -> AsyncIterator[bytes]:
    async for chunk in chunks:
        yield chunk.encode()


@router.get(
    "/audit/verify",
    summary="Verify the whole hash chain and its signed checkpoints",
    dependencies=[Depends(strict_query("witnesses"))],
)
async def verify(
    caller: Annotated[Caller, Authorize(Action.AUDIT_VERIFY)],
    ctx: ContextDep,
    witnesses: Annotated[
        bool,
        Query(
            description="Also hold the chain against every configured audit witness (the "
            "only check that sees a truncated tail whose checkpoints were deleted too)"
        ),
    ] = True,
) -> VerifyResult:
    """``ok`` is false when the chain is broken; then ``first_broken_seq`` names the first
    broken record and ``reason`` says why (altered, missing, reordered, inserted, a bad
    signature, a witness that disagrees or cannot be read, ...). Always 200: a broken chain
    is a finding, not an error of the request."""
    return await audit_log.verify(ctx, witnessed=witnesses)
