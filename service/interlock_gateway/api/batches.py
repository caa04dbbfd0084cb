"""``/v1/batches``: create, read (counts and paged items), stream progress, cancel, undo."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from ..operations import batches
from ..operations.batch_reads import get_visible_batch, read_batch
from ..operations.context import Context
from ..operations.undo import undo_batch as undo_items
from ..policy import Action, Caller
from ..problems import Problem, page_size_too_large
from ..store.tables import Batch, OperationStatus
from .batch_schemas import BatchOut, BatchRequest, BatchUndoOut, BatchUndoRequest
from .deps import (
    KEY_REQUIRED,
    Authorize,
    ContextDep,
    DispatcherDep,
    IdempotencyKey,
    LimiterDep,
    StreamsDep,
    strict_query,
)
from .fields import comma_separated
from .idempotency import idempotent
from .problem_examples import CODE_KEY
from .replies import Reply, require_key, take_mutation_slot, to_response
from .schemas import dump
from .views import batch_view

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["batches"])

BatchId = Annotated[str, Path(min_length=1, max_length=64, description="batch id")]
_NOT_FOUND = {"description": "no such batch (or you may not see it)", CODE_KEY: "BATCH.NOT_FOUND"}
_ITEM_STATUSES = tuple(s.value for s in OperationStatus)


async def _batch_reply(ctx: Context, batch: Batch, status: int) -> Reply:
    body = dump(batch_view(await read_batch(ctx, batch)))
    return Reply(status, body, {"Location": f"/v1/batches/{batch.id}"})


@router.post(
    "/batches",
    status_code=202,
    summary="Act on many sessions (≤ 1,000): stored at once, carried out in the background",
    responses={
        202: {"model": BatchOut, "description": "accepted; follow Location or /events"},
        403: {
            "description": "some sessions do not exist or are outside your scope (listed)",
            CODE_KEY: "BATCH.NOT_PERMITTED",
        },
        409: {
            "description": "stops kept being accepted on these sessions meanwhile",
            CODE_KEY: "BATCH.CONTENDED",
        },
        422: {
            "description": "nothing matched, > 1,000, unsupported verb, bad confirm_token",
            CODE_KEY: "BATCH.EMPTY",
        },
        428: {"description": "Idempotency-Key or a confirm_token is required"},
    },
    openapi_extra=KEY_REQUIRED,
)
async def create_batch(
    caller: Annotated[Caller, Authorize(Action.BATCHES_CREATE)],
    request: Request,
    ctx: ContextDep,
    dispatcher: DispatcherDep,
    limiter: LimiterDep,
    body: BatchRequest,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Every session is authorized before anything is stored; one refused session refuses
    the whole batch. Batches above the confirmation threshold (20) need the
    ``confirm_token`` of a preview of exactly this request. Sessions with a stop pending are
    skipped (``SESSION.PENDING_COMMIT``). Requires ``Idempotency-Key``."""
    key = require_key(idempotency_key, "a batch")
    ask = body.ask(ctx.settings.search_zone)  # a bound out of range is a 422 before anything
    take_mutation_slot(limiter, caller)

    async def produce() -> Reply:
        batch = await batches.create(ctx, dispatcher, caller, ask, key)
        return await _batch_reply(ctx, batch, 202)

    async def recover() -> Reply | None:
        found = await batches.find_by_key(ctx, caller, key)
        return await _batch_reply(ctx, found, 202) if found else None

    reply = await idempotent(
        ctx, request, caller, key, produce, body=body.model_dump(mode="json"), recover=recover
    )
    return to_response(reply, request)


@router.get(
    "/batches/{batch_id}",
    summary="A batch: counts overall and per account, and one page of item results",
    dependencies=[Depends(strict_query("page_size", "page_token", "status"))],
    responses={404: _NOT_FOUND},
)
async def get_batch(
    caller: Annotated[Caller, Authorize(Action.BATCHES_READ)],
    ctx: ContextDep,
    batch_id: BatchId,
    page_size: Annotated[
        int,
        Query(
            ge=0,
            description="items per page, 0 (counts only) to max_page_size (200 unless configured)",
        ),
    ] = 100,
    page_token: Annotated[
        str | None,
        Query(min_length=1, max_length=64, description="next_page_token of the previous page"),
    ] = None,
    status: Annotated[
        list[str] | None,
        Query(
            description="only items in these statuses; repeat or comma-separate",
            json_schema_extra={"items": comma_separated(_ITEM_STATUSES)},
        ),
    ] = None,
) -> BatchOut:
    """Items come in request order with their status, outcome, vendor request id and error
    (only for items that ended failed, skipped or cancelled)."""
    if page_size > ctx.settings.max_page_size:
        raise page_size_too_large(ctx.settings.max_page_size)
    parts = (part.strip() for raw in status or () for part in raw.split(","))
    statuses = tuple(part for part in parts if part)  # as /v1/sessions' state
    unknown = sorted(set(statuses) - set(_ITEM_STATUSES))
    if unknown:
        raise Problem(
            422,
            "REQUEST.VALIDATION",
            "Invalid request",
            f"query.status: unknown item status {', '.join(unknown)}",
            hint="statuses: " + ", ".join(_ITEM_STATUSES),
        )
    batch = await get_visible_batch(ctx, caller, batch_id, Action.BATCHES_READ)
    page = await read_batch(
        ctx, batch, page_size=page_size, page_token=page_token, statuses=statuses
    )
    return batch_view(page)


@router.get(
    "/batches/{batch_id}/events",
    summary="Progress as server-sent events (progress …, then done)",
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "the event stream"},
        404: _NOT_FOUND,
        429: {
            "description": "too many event streams open (yours, or this gateway's)",
            CODE_KEY: "INTERLOCK.TOO_MANY_STREAMS",
        },
    },
)
async def batch_events(
    caller: Annotated[Caller, Authorize(Action.BATCHES_READ)],
    ctx: ContextDep,
    streams: StreamsDep,
    batch_id: BatchId,
) -> StreamingResponse:
    """``event: progress`` whenever the counts change (overall and per account), ``event:
    done`` when the batch has finished; a comment every 15 s keeps proxies from closing, and
    ``event: idle`` ends a stream after 10 minutes without a change. At most 5 streams per
    principal (429 with ``Retry-After`` beyond)."""
    await get_visible_batch(ctx, caller, batch_id, Action.BATCHES_READ)
    return StreamingResponse(
        streams.open(caller.principal_id, batch_id),  # 429 now, before the stream starts
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.post(
    "/batches/{batch_id}/cancel",
    summary="Cancel what has not started (and withdraw the batch's pending approval)",
    responses={
        200: {"model": BatchOut, "description": "cancelled; in-flight items finish"},
        404: _NOT_FOUND,
        409: {
            "description": "already cancelled, completed or rejected",
            CODE_KEY: "BATCH.NOT_CANCELLABLE",
        },
    },
)
async def cancel_batch(
    caller: Annotated[Caller, Authorize(Action.BATCHES_CANCEL)],
    request: Request,
    ctx: ContextDep,
    limiter: LimiterDep,
    batch_id: BatchId,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Items not yet started are marked cancelled (skipped); items in flight finish; held
    items of a terminate/revoke batch stay held (undo them with ``/undo``). A pending approval
    of the batch is cancelled with it: it can no longer be approved."""
    take_mutation_slot(limiter, caller)

    async def produce() -> Reply:
        return await _batch_reply(ctx, await batches.cancel(ctx, caller, batch_id), 200)

    reply = await idempotent(ctx, request, caller, idempotency_key, produce, body={})
    return to_response(reply, request)


@router.post(
    "/batches/{batch_id}/undo",
    summary="Undo every item of a terminate/revoke batch still in its undo window",
    responses={
        200: {"model": BatchUndoOut, "description": "how many items were undone"},
        404: _NOT_FOUND,
        409: {"description": "not a terminate/revoke batch", CODE_KEY: "OPERATION.NOT_UNDOABLE"},
    },
)
async def undo_batch(
    caller: Annotated[Caller, Authorize(Action.OPERATIONS_UNDO)],
    request: Request,
    ctx: ContextDep,
    dispatcher: DispatcherDep,
    limiter: LimiterDep,
    batch_id: BatchId,
    body: BatchUndoRequest | None = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Each undone item gets an undo operation that resumes the candidate if the hold
    paused them; items whose window has closed are counted as not undoable."""
    body = body or BatchUndoRequest()  # the note is optional, so is the body
    take_mutation_slot(limiter, caller)

    async def produce() -> Reply:
        result = await undo_items(ctx, dispatcher, caller, batch_id, body.note)
        return Reply(200, dump(BatchUndoOut.model_validate(result, from_attributes=True)))

    reply = await idempotent(
        ctx, request, caller, idempotency_key, produce, body=body.model_dump(mode="json")
    )
    return to_response(reply, request)
