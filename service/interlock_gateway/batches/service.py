"""Accepting a batch: every item authorized up front, then batch + items + audit in ONE write.

A batch with any name the caller may not touch is refused whole (403, listing them). Items
whose verb needs no vendor call are settled at once (``already_in_state``, or skipped with
``SESSION.INVALID_TRANSITION``); the rest are stored ``pending`` for the worker — or
``awaiting_approval`` with one approval covering the whole request when any touches a
protected position.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from interlock.errors import InvalidTransition
from interlock.models import Session, Verb
from interlock.transitions import plan_transition

from ..api.problems import Problem
from ..audit import AuditEntry, AuditReason
from ..policy import Caller, Target
from ..runtime import Runtime
from ..services import audit
from ..services.idempotency import Reply
from ..services.operations import ACTION_OF, FINAL_VERBS
from ..services.queue import Phase
from ..store.tables import (
    OPERATIONS,
    Approval,
    ApprovalState,
    Batch,
    BatchStatus,
    OperationKind,
    OperationStatus,
)
from .preview import classify, too_large
from .resolve import Resolved, resolve
from .schemas import BatchRequest
from .tokens import request_digest
from .views import batch_reply

__all__ = ["create", "find_by_key"]

Status = OperationStatus


def _refuse_not_permitted(names: list[str]) -> Problem:
    return Problem(
        403,
        "BATCH.NOT_PERMITTED",
        "Sessions you may not touch",
        f"{len(names)} session(s) do not exist or are outside your scope; nothing was done",
        hint="remove them from the request (or ask someone whose scope covers them)",
        sessions=names[:1000],
    )


def _require_confirmation(runtime: Runtime, request: BatchRequest, total: int) -> None:
    """Refuse a large batch sent without a preview's token (a token given was checked when
    the request was resolved)."""
    threshold = runtime.batches.settings.confirm_threshold
    if request.confirm_token is None and total > threshold:
        raise Problem(
            428,
            "BATCH.CONFIRMATION_REQUIRED",
            "Preview required",
            f"batches of more than {threshold} sessions need a confirm_token",
            hint="POST /v1/previews with the same request and pass its confirm_token",
            threshold=threshold,
        )


def _item_columns(runtime: Runtime, caller: Caller, batch: Batch, now: datetime) -> dict[str, Any]:
    """The columns every item of ``batch`` shares (computed once, not once per item)."""
    verb = Verb(batch.action)
    return {
        "kind": OperationKind.BATCH_ITEM.value,
        "batch_id": batch.id,
        "verb": verb.value,
        "reason_code": batch.reason_code,
        "reason_note": batch.reason_note,
        "actor": caller.name,
        "status": Status.PENDING.value,
        "outcome": None,
        "state_after": None,
        "resume_deadline": now + runtime.settings.resume_window if verb is Verb.PAUSE else None,
        "attempts": 0,
        "lease_owner": None,  # every row has every key: they are inserted with executemany
        "lease_until": None,
        "next_attempt_at": now,
        "error_code": None,
        "error_message": None,
        "created_at": now,
        "updated_at": now,
    }


def _first_phase(runtime: Runtime, verb: Verb) -> Phase:
    """Terminate and revoke hold the candidate first while there is an undo window."""
    hold = verb in FINAL_VERBS and runtime.settings.undo_window.total_seconds() > 0
    return Phase.HOLD if hold else Phase.APPLY


def _item(
    runtime: Runtime,
    shared: dict[str, Any],
    phase: Phase,
    index: int,
    session: Session,
    target: Target,
    *,
    settle: bool,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        **shared,
        "id": str(uuid.uuid4()),
        "item_index": index,
        "account": session.ref.account,
        "vendor": runtime.interlock.adapter(session.ref.account).vendor,
        "session_id": session.ref.session_id,
        "position_id": target.position_id,
        "state_before": session.state.value,
        "details": {
            "phase": phase.value,
            "position": target.snapshot(),
            "candidate_id": session.candidate.id,
        },
    }
    if not settle:
        return row
    try:
        transition = plan_transition(session.state, Verb(shared["verb"]))
    except InvalidTransition as error:
        row.update(status=Status.REJECTED.value, outcome="rejected", next_attempt_at=None)
        row.update(error_code=error.code, error_message=error.message)
        return row
    if transition.already_in_state:
        row.update(status=Status.SUCCEEDED.value, outcome="already_in_state")
        row.update(next_attempt_at=None, state_after=session.state.value)
    return row


def _batch(
    caller: Caller, request: BatchRequest, key: str, digest: str, now: datetime, count: int
) -> Batch:
    return Batch(
        id=str(uuid.uuid4()),
        action=request.action,
        reason_code=request.reason.code.value,
        reason_note=request.reason.note,
        actor=caller.name,
        status=BatchStatus.PENDING.value,
        item_count=count,
        counts={},
        filter=request.filter.model_dump(mode="json") if request.filter else None,
        request_hash=digest,
        idempotency_key=key,
        confirm_token_hash=None,
        created_at=now,
        updated_at=now,
    )


async def _resolve(
    runtime: Runtime, caller: Caller, request: BatchRequest, digest: str, limit: int
) -> tuple[Resolved, bool]:
    """The preview's resolution when the confirm token is valid and this process made it
    (``fresh`` False: read at preview time, ≤ 5 minutes ago), else a fresh one.

    :raises Problem: the confirm token is stale, forged or for another request.
    """
    verb = Verb(request.action)
    if request.confirm_token is not None:
        now = runtime.clock()
        runtime.batches.tokens.check(request.confirm_token, digest, caller.principal_id, now)
        cached = runtime.batches.recall(caller.principal_id, digest, now)
        if isinstance(cached, Resolved):
            return cached, False
    return await resolve(runtime, caller, request, ACTION_OF[verb], limit), True


async def create(runtime: Runtime, caller: Caller, request: BatchRequest, key: str) -> Reply:
    """Check and store the batch; 202 with it (the worker does the rest)."""
    verb = Verb(request.action)
    limit = runtime.settings.max_batch_items
    digest = request_digest(request.model_dump(mode="json"))
    resolved, fresh = await _resolve(runtime, caller, request, digest, limit)
    if resolved.too_many:
        raise too_large(limit)
    if resolved.not_permitted:
        await _audit_refusal(runtime, caller, request, "denied", len(resolved.not_permitted))
        raise _refuse_not_permitted(resolved.not_permitted)
    if not resolved.sessions:
        raise Problem(
            422,
            "BATCH.EMPTY",
            "Nothing matched",
            "the filter matches no session that you may touch; nothing was done",
            hint="widen the filter (GET /v1/sessions shows what it would match)",
        )
    impact = classify(runtime, verb, resolved)
    if impact.unsupported_accounts:
        accounts = ", ".join(impact.unsupported_accounts)
        raise Problem(
            422,
            "OPERATION.UNSUPPORTED",
            "Verb not supported",
            f"account(s) {accounts} cannot {verb}; nothing was done",
            hint="leave those accounts out (filter by account or vendor)",
            accounts=impact.unsupported_accounts,
        )
    _require_confirmation(runtime, request, len(resolved.sessions))
    if not fresh:  # states may have moved since the preview: the worker decides each item
        impact.already, impact.invalid = [], []
    now = runtime.clock()
    batch = _batch(caller, request, key, digest, now, len(resolved.sessions))
    shared, phase = _item_columns(runtime, caller, batch, now), _first_phase(runtime, verb)
    rows = [
        _item(runtime, shared, phase, i, s, t, settle=fresh)
        for i, (s, t) in enumerate(resolved.sessions)
    ]
    approval = None
    if impact.protected:
        approval = _hold_for_approval(runtime, batch, rows, now)
    # The first wave is stored already claimed by this process and starts at once.
    units = runtime.worker.claim_new_items(rows)
    try:
        await _store(runtime, caller, batch, rows, approval, len(impact.protected))
    except BaseException:
        runtime.worker.release_units(units)  # if the rows were stored after all (a
        # cancellation mid-commit), their leases end and the worker reconciles them
        raise
    runtime.worker.adopt_units(units)
    runtime.worker.wake()
    return await batch_reply(runtime, batch.id, status=202)


def _hold_for_approval(
    runtime: Runtime, batch: Batch, rows: list[dict[str, Any]], now: datetime
) -> Approval:
    batch.status = BatchStatus.AWAITING_APPROVAL.value
    for row in rows:
        if row["status"] == Status.PENDING:
            row.update(status=Status.AWAITING_APPROVAL.value, next_attempt_at=None)
            row["outcome"] = "awaiting_approval"
    assert batch.request_hash is not None
    return Approval(
        id=str(uuid.uuid4()),
        batch_id=batch.id,
        request_hash=batch.request_hash,
        requester=batch.actor,
        state=ApprovalState.PENDING.value,
        created_at=now,
        expires_at=now + runtime.settings.approval_ttl,
    )


async def _store(
    runtime: Runtime,
    caller: Caller,
    batch: Batch,
    rows: list[dict[str, Any]],
    approval: Approval | None,
    protected: int,
) -> None:
    accounts: dict[str, int] = {}
    for row in rows:
        accounts[row["account"]] = accounts.get(row["account"], 0) + 1
    entry = AuditEntry(
        actor=audit.actor_of(caller),
        action=f"batch.{batch.action}",
        reason=AuditReason(code=batch.reason_code, note=batch.reason_note),
        outcome="awaiting_approval" if approval else "accepted",
        idempotency_key=batch.idempotency_key,
        batch_id=batch.id,
        approval_id=approval.id if approval else None,
        details={
            "items": len(rows),
            "accounts": accounts,
            "needs_approval": protected,
            "operations": [row["id"] for row in rows],
        },
    )
    async with runtime.db.write() as tx:
        tx.add(batch)
        await tx.flush()
        # The Core table, not the entity: the ORM's bulk path cost more than the INSERT.
        await tx.execute(insert(OPERATIONS), rows)
        if approval is not None:
            tx.add(approval)
        await runtime.trail.append(tx, entry)


async def _audit_refusal(
    runtime: Runtime, caller: Caller, request: BatchRequest, outcome: str, count: int
) -> None:
    entry = AuditEntry(
        actor=audit.actor_of(caller),
        action=f"batch.{request.action}",
        reason=AuditReason(code=request.reason.code.value, note=request.reason.note),
        outcome=outcome,
        details={"not_permitted": count},
    )
    await audit.record(runtime.db, runtime.trail, entry)


async def find_by_key(runtime: Runtime, caller: Caller, key: str) -> Reply | None:
    """The batch a crashed request stored under ``key`` (idempotency recovery)."""
    async with runtime.db.session() as session:
        batch_id = await session.scalar(
            select(Batch.id).where(Batch.actor == caller.name, Batch.idempotency_key == key)
        )
    return None if batch_id is None else await batch_reply(runtime, batch_id, status=202)
