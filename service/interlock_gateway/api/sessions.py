"""``/v1/sessions`` and ``/v1/accounts/{account}/sessions/{id}[/verb]``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime

from interlock.models import ACCOUNT_NAME_PATTERN, SessionRef, SessionState, Verb

from ..policy import Action, Caller
from ..services import operations
from ..services.idempotency import idempotent
from ..services.sessions import SessionQuery, list_visible, read_visible
from ..services.views import session_view
from .deps import Authorize, IdempotencyKey, RuntimeDep, strict_query
from .problems import Problem
from .responses import require_key, take_mutation_slot, to_response
from .schemas import OperationOut, SessionOut, SessionPageOut, VerbRequest

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
    "page_size",
    "page_token",
)
_Text = Annotated[str | None, Query(min_length=1, max_length=200)]

_OPERATION_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"model": OperationOut, "description": "done: applied, already_in_state, grace, ..."},
    202: {"model": OperationOut, "description": "queued or awaiting approval"},
    404: {"description": "no such account or session (or you may not see it)"},
    409: {"description": "invalid transition, or the same Idempotency-Key still running"},
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
    runtime: RuntimeDep,
    account: Annotated[str | None, Query(pattern=ACCOUNT_NAME_PATTERN)] = None,
    vendor: Annotated[str | None, Query(pattern=ACCOUNT_NAME_PATTERN)] = None,
    state: Annotated[list[str] | None, Query(description="repeat or comma-separate")] = None,
    candidate: _Text = None,
    position: _Text = None,
    batch_no: _Text = None,
    start_from: AwareDatetime | None = None,
    start_to: AwareDatetime | None = None,
    page_size: Annotated[int, Query(ge=1)] = 50,
    page_token: Annotated[str | None, Query(min_length=1, max_length=2048)] = None,
) -> SessionPageOut:
    """Sessions matching every filter that you may see (positions you own, your
    departments', or all for admins). A page can hold fewer than ``page_size`` sessions;
    keep paging while ``next_page_token`` is present."""
    limit = runtime.settings.max_page_size
    if page_size > limit:
        raise Problem(
            422,
            "REQUEST.PAGE_SIZE",
            "Page size too large",
            f"page_size may be at most {limit}",
            hint=f"use page_size ≤ {limit} and follow next_page_token",
            errors=[{"field": "query.page_size", "message": f"≤ {limit}", "type": "less_than"}],
        )
    query = SessionQuery(
        account=account,
        vendor=vendor,
        states=_states(state),
        candidate=candidate,
        position=position,
        batch_no=batch_no,
        start_from=start_from,
        start_to=start_to,
    )
    return await list_visible(runtime, caller, query, page_size=page_size, page_token=page_token)


@router.get(
    "/accounts/{account}/sessions/{session_id}",
    summary="Get one session",
    responses={404: {"description": "no such account or session (or you may not see it)"}},
)
async def get_session(
    caller: Annotated[Caller, Authorize(Action.SESSIONS_READ)],
    runtime: RuntimeDep,
    account: Account,
    session_id: SessionId,
) -> SessionOut:
    """One session, read from its vendor."""
    ref = SessionRef(account=account, session_id=session_id)
    session, _ = await read_visible(runtime, caller, Action.SESSIONS_READ, ref)
    return session_view(session, runtime.interlock.accounts[account].vendor)


async def _verb(
    verb: Verb,
    request: Request,
    runtime: RuntimeDep,
    caller: Caller,
    ref: SessionRef,
    body: VerbRequest,
    key: str | None,
) -> JSONResponse:
    await operations.check_supported(runtime, caller, verb, ref, body.reason)
    if verb in operations.FINAL_VERBS:
        require_key(key, f"{verb}")
    take_mutation_slot(runtime, caller)
    reply = await idempotent(
        runtime,
        request,
        caller,
        key,
        lambda: operations.accept(runtime, caller, verb, ref, body.reason, idempotency_key=key),
        body=body.model_dump(mode="json"),
        recover=(lambda: operations.recover(runtime, caller, key)) if key else None,
    )
    return to_response(reply, request)


@router.post(
    "/accounts/{account}/sessions/{session_id}/pause",
    summary="Pause a running session (the candidate may resume until resume_deadline)",
    responses=_OPERATION_RESPONSES,
)
async def pause(
    caller: Annotated[Caller, Authorize(Action.SESSIONS_PAUSE)],
    request: Request,
    runtime: RuntimeDep,
    account: Account,
    session_id: SessionId,
    body: VerbRequest,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Soft stop: answers so far are kept."""
    ref = SessionRef(account=account, session_id=session_id)
    return await _verb(Verb.PAUSE, request, runtime, caller, ref, body, idempotency_key)


@router.post(
    "/accounts/{account}/sessions/{session_id}/resume",
    summary="Resume a paused session",
    responses=_OPERATION_RESPONSES,
)
async def resume(
    caller: Annotated[Caller, Authorize(Action.SESSIONS_RESUME)],
    request: Request,
    runtime: RuntimeDep,
    account: Account,
    session_id: SessionId,
    body: VerbRequest,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Only before the pause's resume deadline."""
    ref = SessionRef(account=account, session_id=session_id)
    return await _verb(Verb.RESUME, request, runtime, caller, ref, body, idempotency_key)


@router.post(
    "/accounts/{account}/sessions/{session_id}/terminate",
    summary="Terminate a session (held at once, final when the undo window closes)",
    responses=_OPERATION_RESPONSES,
)
async def terminate(
    caller: Annotated[Caller, Authorize(Action.SESSIONS_TERMINATE)],
    request: Request,
    runtime: RuntimeDep,
    account: Account,
    session_id: SessionId,
    body: VerbRequest,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Answers ``grace`` with ``commit_at``; undo before then restores the session.
    Protected positions answer ``awaiting_approval``. Requires ``Idempotency-Key``."""
    ref = SessionRef(account=account, session_id=session_id)
    return await _verb(Verb.TERMINATE, request, runtime, caller, ref, body, idempotency_key)


@router.post(
    "/accounts/{account}/sessions/{session_id}/revoke",
    summary="Revoke a session (withdraw the interview; final when the undo window closes)",
    responses=_OPERATION_RESPONSES,
)
async def revoke(
    caller: Annotated[Caller, Authorize(Action.SESSIONS_REVOKE)],
    request: Request,
    runtime: RuntimeDep,
    account: Account,
    session_id: SessionId,
    body: VerbRequest,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Like terminate, for interviews launched by mistake. Requires ``Idempotency-Key``."""
    ref = SessionRef(account=account, session_id=session_id)
    return await _verb(Verb.REVOKE, request, runtime, caller, ref, body, idempotency_key)
