"""``/v1/batches``: create, read (counts and paged items), stream progress, cancel, undo."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from ..batches import control, service
from ..batches.counts import count_items
from ..batches.schemas import BatchOut, BatchRequest, BatchUndoOut, BatchUndoRequest
from ..batches.views import batch_view, get_visible
from ..policy import Action, Caller
from ..runtime import Runtime
from ..services.idempotency import Reply, idempotent
from ..store.tables import Batch, BatchStatus, OperationStatus
from .deps import Authorize, IdempotencyKey, RuntimeDep, strict_query
from .problems import Problem
from .responses import require_key, take_mutation_slot, to_response

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["batches"])

BatchId = Annotated[str, Path(min_length=1, max_length=64, description="batch id")]
_ITEM_STATUSES = tuple(s.value for s in OperationStatus)
_DONE = (BatchStatus.COMPLETED.value, BatchStatus.CANCELLED.value, BatchStatus.REJECTED.value)


@router.post(
    "/batches",
    status_code=202,
    summary="Act on many sessions (≤ 1,000): stored at once, carried out in the background",
    responses={
        202: {"model": BatchOut, "description": "accepted; follow Location or /events"},
        403: {"description": "some sessions do not exist or are outside your scope (listed)"},
        422: {"description": "nothing matched, > 1,000, unsupported verb, bad confirm_token"},
        428: {"description": "Idempotency-Key or a confirm_token is required"},
    },
)
async def create_batch(
    caller: Annotated[Caller, Authorize(Action.BATCHES_CREATE)],
    request: Request,
    runtime: RuntimeDep,
    body: BatchRequest,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Every session is authorized before anything is stored; one refused session refuses
    the whole batch. Batches above the confirmation threshold (20) need the
    ``confirm_token`` of a preview of exactly this request. Requires ``Idempotency-Key``."""
    key = require_key(idempotency_key, "a batch")
    take_mutation_slot(runtime, caller)
    reply = await idempotent(
        runtime,
        request,
        caller,
        key,
        lambda: service.create(runtime, caller, body, key),
        body=body.model_dump(mode="json"),
        recover=lambda: service.find_by_key(runtime, caller, key),
    )
    return to_response(reply, request)


@router.get(
    "/batches/{batch_id}",
    summary="A batch: counts overall and per account, and one page of item results",
    dependencies=[Depends(strict_query("page_size", "page_token", "status"))],
    responses={404: {"description": "no such batch (or you may not see it)"}},
)
async def get_batch(
    caller: Annotated[Caller, Authorize(Action.BATCHES_READ)],
    runtime: RuntimeDep,
    batch_id: BatchId,
    page_size: Annotated[int, Query(ge=0)] = 100,
    page_token: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    status: Annotated[list[str] | None, Query(description="only items in these statuses")] = None,
) -> BatchOut:
    """Items come in request order with their status, outcome, vendor request id and error
    (only for items that ended failed, skipped or cancelled)."""
    if page_size > runtime.settings.max_page_size:
        raise Problem(
            422,
            "REQUEST.PAGE_SIZE",
            "Page size too large",
            f"page_size may be at most {runtime.settings.max_page_size}",
            hint="use a smaller page_size and follow next_page_token",
        )
    statuses = tuple(part for raw in status or () for part in raw.split(",") if part)
    unknown = sorted(set(statuses) - set(_ITEM_STATUSES))
    if unknown:
        raise Problem(
            422,
            "REQUEST.VALIDATION",
            "Invalid request",
            f"query.status: unknown item status {', '.join(unknown)}",
            hint="statuses: " + ", ".join(_ITEM_STATUSES),
        )
    batch = await get_visible(runtime, caller, batch_id, Action.BATCHES_READ)
    return await batch_view(
        runtime, batch, page_size=page_size, page_token=page_token, statuses=statuses
    )


async def _progress(runtime: Runtime, batch_id: str) -> AsyncIterator[str]:
    interval = runtime.batches.settings.events_interval
    last, idle = "", 0.0
    while True:
        async with runtime.db.session() as session:
            batch = await session.get(Batch, batch_id)
        if batch is None:
            return
        counts, by_account = await count_items(runtime.db, batch_id)
        payload = json.dumps(
            {
                "status": batch.status,
                "item_count": batch.item_count,
                "counts": counts.model_dump(),
                "by_account": {a: c.model_dump() for a, c in by_account.items()},
            }
        )
        if payload != last:
            last, idle = payload, 0.0
            yield f"event: progress\ndata: {payload}\n\n"
        elif idle >= 15:
            idle = 0.0
            yield ": keep-alive\n\n"
        if batch.status in _DONE and not counts.in_flight:
            yield f"event: done\ndata: {payload}\n\n"
            return
        await asyncio.sleep(interval)
        idle += interval


@router.get(
    "/batches/{batch_id}/events",
    summary="Progress as server-sent events (progress …, then done)",
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "the event stream"},
        404: {"description": "no such batch (or you may not see it)"},
    },
)
async def batch_events(
    caller: Annotated[Caller, Authorize(Action.BATCHES_READ)],
    runtime: RuntimeDep,
    batch_id: BatchId,
) -> StreamingResponse:
    """``event: progress`` whenever the counts change (overall and per account), ``event:
    done`` when the batch has finished; a comment every 15 s keeps proxies from closing."""
    await get_visible(runtime, caller, batch_id, Action.BATCHES_READ)
    return StreamingResponse(
        _progress(runtime, batch_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.post(
    "/batches/{batch_id}/cancel",
    summary="Cancel what has not started",
    responses={
        200: {"model": BatchOut, "description": "cancelled; in-flight items finish"},
        404: {"description": "no such batch (or you may not see it)"},
        409: {"description": "already cancelled, completed or rejected"},
    },
)
async def cancel_batch(
    caller: Annotated[Caller, Authorize(Action.BATCHES_CANCEL)],
    request: Request,
    runtime: RuntimeDep,
    batch_id: BatchId,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Items not yet started are marked cancelled (skipped); items in flight finish; held
    items of a terminate/revoke batch stay held (undo them with ``/undo``)."""
    take_mutation_slot(runtime, caller)
    reply = await idempotent(
        runtime,
        request,
        caller,
        idempotency_key,
        lambda: control.cancel(runtime, caller, batch_id),
        body={},
    )
    return to_response(reply, request)


@router.post(
    "/batches/{batch_id}/undo",
    summary="Undo every item of a terminate/revoke batch still in its undo window",
    responses={
        200: {"model": BatchUndoOut, "description": "how many items were undone"},
        404: {"description": "no such batch (or you may not see it)"},
        409: {"description": "not a terminate/revoke batch"},
    },
)
async def undo_batch(
    caller: Annotated[Caller, Authorize(Action.OPERATIONS_UNDO)],
    request: Request,
    runtime: RuntimeDep,
    batch_id: BatchId,
    body: BatchUndoRequest,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Each undone item gets an undo operation that resumes the candidate if the hold
    paused them; items whose window has closed are counted as not undoable."""
    take_mutation_slot(runtime, caller)

    async def produce() -> Reply:
        result = await control.undo(runtime, caller, batch_id, body.note)
        return Reply(200, result.model_dump(mode="json"))

    reply = await idempotent(
        runtime, request, caller, idempotency_key, produce, body=body.model_dump(mode="json")
    )
    return to_response(reply, request)
