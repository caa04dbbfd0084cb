"""``/v1/sessions`` and ``/v1/accounts/{account}/sessions/{id}[/verb]``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from interlock.capabilities import CapabilityLevel
from interlock.models import ACCOUNT_NAME_PATTERN, SessionRef, SessionState, Verb

from ..operations import accept as accepting
from ..operations import tasks
from ..operations.context import Context
from ..operations.dispatch import Dispatcher
from ..operations.pending import pending_stops
from ..operations.phases import FINAL_VERBS
from ..operations.sessions import SessionQuery, list_visible, read_visible
from ..policy import Action, Caller
from ..problems import Problem, page_size_too_large
from .deps import (
    KEY_REQUIRED,
    Authorize,
    ContextDep,
    DispatcherDep,
    IdempotencyKey,
    LimiterDep,
    strict_query,
)
from .fields import SearchBound, SearchText, TimeZoneName, comma_separated
from .idempotency import idempotent
from .ratelimit import MutationRateLimiter
from .replies import Reply, operation_reply, require_key, take_mutation_slot, to_response
from .schemas import OperationOut, SessionOut, SessionPageOut, VerbRequest
from .search_bounds import search_instant, search_zone
from .tasks import TaskOut
from .views import session_view

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["sessions"])

Account = Annotated[str, Path(pattern=ACCOUNT_NAME_PATTERN, description="account name")]
SessionId = Annotated[str, Path(pattern=ACCOUNT_NAME_PATTERN, description="vendor session id")]
_FILTERS = (
    "account",
    "vendor",
    "state",
    "candidate",
    "position",
    "batch_no",
    "start_from",
    "start_to",
    "tz",
    "page_size",
    "page_token",
)
_PAGE_SIZE = "sessions per page, 1 to the gateway's max_page_size (200 unless configured)"

_OPERATION_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"model": OperationOut, "description": "done: applied, already_in_state, grace, ..."},
    202: {"model": OperationOut, "description": "queued or awaiting approval"},
    404: {"description": "no such account or session (or you may not see it)"},
    409: {
        "description": "invalid transition, a stop pending on the session (undo it first), "
        "or the same Idempotency-Key still running"
    },
    422: {"description": "invalid body, unsupported verb, or Idempotency-Key reused"},
    428: {"description": "Idempotency-Key required (terminate, revoke)"},
    502: {"description": "the vendor refused the gateway's credentials or answered garbage"},
}


def _states(values: list[str] | None) -> frozenset[SessionState]:
    states: set[SessionState] = set()
    for value in (part.strip() for raw in values or () for part in raw.split(",")):
        if not value:
            continue
        try:
            states.add(SessionState(value))
        except ValueError:
            raise Problem(
                422,
                "REQUEST.VALIDATION",
                "Invalid request",
                f"query.state: {value!r} is not a session state",
                hint="states: " + ", ".join(s.value for s in SessionState),
                errors=[{"field": "query.state", "message": "unknown state", "type": "enum"}],
            ) from None
    return frozenset(states)


@router.get(
    "/sessions",
    summary="List sessions across accounts",
    dependencies=[Depends(strict_query(*_FILTERS))],
)
async def list_sessions(
    caller: Annotated[Caller, Authorize(Action.SESSIONS_LIST)],
    ctx: ContextDep,
    account: Annotated[
        str | None,
        Query(pattern=ACCOUNT_NAME_PATTERN, description="only this account (as in interlock.toml)"),
    ] = None,
    vendor: Annotated[
        str | None,
        Query(pattern=ACCOUNT_NAME_PATTERN, description="only this vendor's accounts (dingtalk)"),
    ] = None,
    state: Annotated[
        list[str] | None,
        Query(
            description="only sessions in these states; repeat or comma-separate",
            json_schema_extra={"items": comma_separated(s.value for s in SessionState)},
        ),
    ] = None,
    candidate: Annotated[
        SearchText | None,
        Query(
            description="candidate id (exact), part of the masked name (张), or the full name "
            "(exact, ignoring case and spaces: 张伟, 'li wei')"
        ),
    ] = None,
    position: Annotated[
        SearchText | None,
        Query(description="position id (exact), or its whole title ignoring case"),
    ] = None,
    batch_no: Annotated[SearchText | None, Query(description="batch number (exact)")] = None,
    start_from: Annotated[
        SearchBound | None,
        Query(
            description="scheduled at or after (before start_to when both); a date alone: from "
            "the start of that day"
        ),
    ] = None,
    start_to: Annotated[
        SearchBound | None,
        Query(description="scheduled before; a date alone: up to the end of that day"),
    ] = None,
    tz: Annotated[
        TimeZoneName | None,
        Query(
            description="IANA zone in which start_from/start_to without a zone are read "
            "(default: the gateway's time_zone setting, else UTC)"
        ),
    ] = None,
    page_size: Annotated[int, Query(ge=1, description=_PAGE_SIZE)] = 50,
    page_token: Annotated[
        str | None,
        Query(min_length=1, max_length=2048, description="next_page_token of the previous page"),
    ] = None,
) -> SessionPageOut:
    """Sessions matching every filter that you may see (positions you own, your
    departments', or all for admins). A page can hold fewer than ``page_size`` sessions;
    keep paging while ``next_page_token`` is present."""
    if page_size > ctx.settings.max_page_size:
        raise page_size_too_large(ctx.settings.max_page_size)
    zone = search_zone(tz, ctx.settings)
    query = SessionQuery(
        account=account,
        vendor=vendor,
        states=_states(state),
        candidate=candidate,
        position=position,
        batch_no=batch_no,
        start_from=search_instant(start_from, zone, "from", "query.start_from"),
        start_to=search_instant(start_to, zone, "to", "query.start_to"),
    )
    page = await list_visible(ctx, caller, query, page_size=page_size, page_token=page_token)
    stops = await pending_stops(ctx.db, (s.ref for s in page.sessions))
    return SessionPageOut(
        sessions=[
            session_view(
                s, ctx.vendor_of(s.ref.account), stops.get((s.ref.account, s.ref.session_id))
            )
            for s in page.sessions
        ],
        next_page_token=page.next_page_token,
    )


@router.get(
    "/accounts/{account}/sessions/{session_id}",
    summary="Get one session",
    responses={404: {"description": "no such account or session (or you may not see it)"}},
)
async def get_session(
    caller: Annotated[Caller, Authorize(Action.SESSIONS_READ)],
    ctx: ContextDep,
    account: Account,
    session_id: SessionId,
) -> SessionOut:
    """One session, read from its vendor, with its pending stop if it has one."""
    ref = SessionRef(account=account, session_id=session_id)
    session, _ = await read_visible(ctx, caller, Action.SESSIONS_READ, ref)
    stops = await pending_stops(ctx.db, [ref])
    return session_view(session, ctx.vendor_of(account), stops.get((account, session_id)))


async def _verb(
    verb: Verb,
    request: Request,
    ctx: Context,
    dispatcher: Dispatcher,
    limiter: MutationRateLimiter,
    caller: Caller,
    ref: SessionRef,
    body: VerbRequest,
    key: str | None,
) -> JSONResponse:
    reason = body.reason.to_reason()
    if ctx.level(ref.account, verb) is CapabilityLevel.MANUAL:
        return await _manual(request, ctx, limiter, caller, verb, ref, body, key)
    await accepting.check_supported(ctx, caller, verb, ref, reason)
    if verb in FINAL_VERBS:
        require_key(key, f"{verb}")
    take_mutation_slot(limiter, caller)

    async def produce() -> Reply:
        accepted = await accepting.accept(
            ctx, dispatcher, caller, verb, ref, reason, idempotency_key=key
        )
        return operation_reply(accepted)

    async def recover() -> Reply | None:
        found = await accepting.find_by_key(ctx, caller, key) if key else None
        return operation_reply(found) if found else None

    reply = await idempotent(
        ctx, request, caller, key, produce, body=body.model_dump(mode="json"), recover=recover
    )
    return to_response(reply, request)


async def _manual(
    request: Request,
    ctx: Context,
    limiter: MutationRateLimiter,
    caller: Caller,
    verb: Verb,
    ref: SessionRef,
    body: VerbRequest,
    key: str | None,
) -> JSONResponse:
    """A verb a person does in the vendor's console: 202 with the task it created."""
    take_mutation_slot(limiter, caller)

    async def produce() -> Reply:
        task = await tasks.create(ctx, caller, verb, ref, body.reason.to_reason())
        view = TaskOut.model_validate(task).model_dump(mode="json")
        return Reply(202, {"task": view}, {"Location": f"/v1/tasks/{task.id}"})

    reply = await idempotent(ctx, request, caller, key, produce, body=body.model_dump(mode="json"))
    return to_response(reply, request)


@router.post(
    "/accounts/{account}/sessions/{session_id}/pause",
    summary="Pause a running session (the candidate may resume until resume_deadline)",
    responses=_OPERATION_RESPONSES,
)
async def pause(
    caller: Annotated[Caller, Authorize(Action.SESSIONS_PAUSE)],
    request: Request,
    ctx: ContextDep,
    dispatcher: DispatcherDep,
    limiter: LimiterDep,
    account: Account,
    session_id: SessionId,
    body: VerbRequest,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Soft stop: answers so far are kept."""
    ref = SessionRef(account=account, session_id=session_id)
    return await _verb(
        Verb.PAUSE, request, ctx, dispatcher, limiter, caller, ref, body, idempotency_key
    )


@router.post(
    "/accounts/{account}/sessions/{session_id}/resume",
    summary="Resume a paused session",
    responses=_OPERATION_RESPONSES,
)
async def resume(
    caller: Annotated[Caller, Authorize(Action.SESSIONS_RESUME)],
    request: Request,
    ctx: ContextDep,
    dispatcher: DispatcherDep,
    limiter: LimiterDep,
    account: Account,
    session_id: SessionId,
    body: VerbRequest,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Only before the pause's resume deadline."""
    ref = SessionRef(account=account, session_id=session_id)
    return await _verb(
        Verb.RESUME, request, ctx, dispatcher, limiter, caller, ref, body, idempotency_key
    )


@router.post(
    "/accounts/{account}/sessions/{session_id}/terminate",
    summary="Terminate a session (held at once, final when the undo window closes)",
    responses=_OPERATION_RESPONSES,
    openapi_extra=KEY_REQUIRED,
)
async def terminate(
    caller: Annotated[Caller, Authorize(Action.SESSIONS_TERMINATE)],
    request: Request,
    ctx: ContextDep,
    dispatcher: DispatcherDep,
    limiter: LimiterDep,
    account: Account,
    session_id: SessionId,
    body: VerbRequest,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Answers ``grace`` with ``commit_at``; undo before then restores the session.
    Protected positions answer ``awaiting_approval``. Requires ``Idempotency-Key``."""
    ref = SessionRef(account=account, session_id=session_id)
    return await _verb(
        Verb.TERMINATE, request, ctx, dispatcher, limiter, caller, ref, body, idempotency_key
    )


@router.post(
    "/accounts/{account}/sessions/{session_id}/revoke",
    summary="Revoke a session (withdraw the interview; final when the undo window closes)",
    responses=_OPERATION_RESPONSES,
    openapi_extra=KEY_REQUIRED,
)
async def revoke(
    caller: Annotated[Caller, Authorize(Action.SESSIONS_REVOKE)],
    request: Request,
    ctx: ContextDep,
    dispatcher: DispatcherDep,
    limiter: LimiterDep,
    account: Account,
    session_id: SessionId,
    body: VerbRequest,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Like terminate, for interviews launched by mistake. Requires ``Idempotency-Key``."""
    ref = SessionRef(account=account, session_id=session_id)
    return await _verb(
        Verb.REVOKE, request, ctx, dispatcher, limiter, caller, ref, body, idempotency_key
    )
