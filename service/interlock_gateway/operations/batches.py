"""A batch's life: accepted whole or refused whole, carried out item by item, then completed.

Acceptance authorizes every item up front — a batch with any name the caller may not touch is
refused whole (403, listing them) — and stores the batch, its items and its audit record in
ONE write. Items whose verb needs no vendor call are settled at once (``already_in_state``, or
skipped with ``SESSION.INVALID_TRANSITION``); items of a session whose stop is pending are
skipped with ``SESSION.PENDING_COMMIT``; the rest are stored ``pending`` for the worker — or
``awaiting_approval`` with one approval covering the whole request when any touches a
protected position. The first wave may be reserved by the dispatcher and start at once.

Cancelling stops what has not started (and withdraws a pending approval); the batch completes
when no item needs the worker any more (:func:`advance`, the worker's housekeeping).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session as OrmSession

from interlock.models import Session

from ..audit import AuditEntry, AuditReason
from ..policy import Action, Caller
from ..problems import Problem
from ..store.tables import (
    OPERATIONS,
    Approval,
    ApprovalState,
    Batch,
    BatchStatus,
    OperationStatus,
    operation_from_row,
)
from . import audit_entries as audit
from . import observers, outbox
from .accept import ACTION_OF
from .batch_reads import count_items, get_visible_batch
from .context import Context
from .dispatch import Dispatcher
from .pending import lock_sessions, pending_stops, stops_in_way
from .phases import FINAL_STATUSES
from .previews import BatchAsk, classify, too_large
from .resolve import Resolved, resolve
from .rows import approval_for, request_rows, settle_by_state

__all__ = ["advance", "cancel", "create", "find_by_key"]

Status = OperationStatus
_INSERT = insert(OPERATIONS)
_FINISHED = (BatchStatus.CANCELLED, BatchStatus.COMPLETED, BatchStatus.REJECTED)
_ATTEMPTS = 3  # stores tried when a stop appears on one of the sessions meanwhile


class _NewStopInTheWay(Exception):
    """A stop was accepted on one of the batch's sessions after they were checked."""


def _refuse_not_permitted(names: list[str]) -> Problem:
    return Problem(
        403,
        "BATCH.NOT_PERMITTED",
        "Sessions you may not touch",
        f"{len(names)} session(s) do not exist or are outside your scope; nothing was done",
        hint="remove them from the request (or ask someone whose scope covers them)",
        sessions=names[:1000],
    )


async def _resolve(
    ctx: Context, caller: Caller, ask: BatchAsk, limit: int
) -> tuple[Resolved, bool]:
    """The preview's resolution when the confirm token is valid and this process made it
    (``fresh`` False: read at preview time, ≤ 5 minutes ago), else a fresh one.

    :raises Problem: the confirm token is stale, forged or for another request.
    """
    if ask.confirm_token is not None:
        now = ctx.clock()
        ctx.tokens.check(ask.confirm_token, ask.digest, caller.principal_id, now)
        cached = ctx.previews.recall(caller.principal_id, ask.digest, now)
        if isinstance(cached, Resolved):
            return cached, False
    return await resolve(ctx, caller, ask.selection, ACTION_OF[ask.action], limit), True


async def create(
    ctx: Context, dispatcher: Dispatcher, caller: Caller, ask: BatchAsk, key: str
) -> Batch:
    """Check and store the batch (the worker does the rest); the stored batch."""
    limit = ctx.settings.max_batch_items
    resolved, fresh = await _resolve(ctx, caller, ask, limit)
    if resolved.too_many:
        raise too_large(limit)
    if resolved.not_permitted:
        await _audit_refusal(ctx, caller, ask, "denied", len(resolved.not_permitted))
        raise _refuse_not_permitted(resolved.not_permitted)
    if not resolved.sessions:
        raise Problem(
            422,
            "BATCH.EMPTY",
            "Nothing matched",
            "the filter matches no session that you may touch; nothing was done",
            hint="widen the filter (GET /v1/sessions shows what it would match)",
        )
    impact = await classify(ctx, ask.action, resolved)
    if impact.unsupported_accounts:
        accounts = ", ".join(impact.unsupported_accounts)
        raise Problem(
            422,
            "OPERATION.UNSUPPORTED",
            "Verb not supported",
            f"account(s) {accounts} cannot {ask.action}; nothing was done",
            hint="leave those accounts out (filter by account or vendor)",
            accounts=impact.unsupported_accounts,
        )
    _require_confirmation(ctx, ask, len(resolved.sessions))
    protected = {s.ref.name for s in impact.protected}
    for _ in range(_ATTEMPTS):
        try:
            return await _store_batch(ctx, dispatcher, caller, ask, key, resolved, fresh, protected)
        except _NewStopInTheWay:
            continue
    raise Problem(
        409,
        "BATCH.CONTENDED",
        "Sessions keep changing",
        "stops were accepted on this batch's sessions while it was being stored; nothing was done",
        hint="preview the request again and resubmit it",
    )


def _require_confirmation(ctx: Context, ask: BatchAsk, total: int) -> None:
    """Refuse a large batch sent without a preview's token (a token given was checked when
    the request was resolved)."""
    threshold = ctx.batches.confirm_threshold
    if ask.confirm_token is None and total > threshold:
        raise Problem(
            428,
            "BATCH.CONFIRMATION_REQUIRED",
            "Preview required",
            f"batches of more than {threshold} sessions need a confirm_token",
            hint="POST /v1/previews with the same request and pass its confirm_token",
            threshold=threshold,
        )


async def _store_batch(
    ctx: Context,
    dispatcher: Dispatcher,
    caller: Caller,
    ask: BatchAsk,
    key: str,
    resolved: Resolved,
    fresh: bool,
    protected: set[str],
) -> Batch:
    sessions = resolved.sessions
    stops = await pending_stops(ctx.db, (s.ref for s, _ in sessions))
    blocked = {k for k, stop in stops.items() if stop.blocks_other_verbs}
    now = ctx.clock()
    batch = _batch(caller, ask, key, now, len(sessions))
    rows = request_rows(
        sessions,
        verb=ask.action,
        reason=ask.reason,
        actor=caller.name,
        now=now,
        settings=ctx.settings,
        vendor_of=ctx.vendor_of,
        batch_id=batch.id,
    )
    for row, (session, _) in zip(rows, sessions, strict=True):
        _settle(row, session, fresh, blocked)
    approval = _hold_for_approval(ctx, batch, rows, now, protected)
    reservation = dispatcher.reserve(rows)
    entry = _accepted_entry(caller, batch, rows, approval, len(protected))

    def store(tx: OrmSession) -> None:
        by_account: dict[str, list[str]] = defaultdict(list)
        for session, _ in sessions:
            by_account[session.ref.account].append(session.ref.session_id)
        for account, ids in by_account.items():
            lock_sessions(tx, account, ids)
            if set(stops_in_way(tx, account, ids)) - {i for a, i in blocked if a == account}:
                raise _NewStopInTheWay
        tx.add(batch)
        tx.flush()
        tx.execute(_INSERT, rows)  # the Core table: the ORM's bulk path cost more
        if approval is not None:
            tx.add(approval)
        ctx.trail.append_sync(tx, entry)

    try:
        await ctx.db.run(store)
    except BaseException:
        dispatcher.release(reservation)  # if the rows were stored after all (a cancellation
        raise  # mid-commit), their leases end and the worker reconciles them
    dispatcher.start_reserved(reservation)
    dispatcher.wake()
    settled = [operation_from_row(r) for r in rows if r["status"] in FINAL_STATUSES]
    observers.started_and_finished(ctx.plugins, settled, observers.ACCEPT_PHASE, now)
    return batch


def _settle(
    row: dict[str, Any], session: Session, fresh: bool, blocked: set[tuple[str, str]]
) -> None:
    ref = session.ref
    if (ref.account, ref.session_id) in blocked:
        row.update(status=Status.REJECTED.value, outcome="rejected", next_attempt_at=None)
        row.update(
            error_code="SESSION.PENDING_COMMIT",
            error_message=f"{ref.name} has a stop pending; undo it first to act on the session",
        )
    elif fresh:  # states read at preview time may have moved: then the worker decides
        settle_by_state(row, session.state)


def _batch(caller: Caller, ask: BatchAsk, key: str, now: datetime, count: int) -> Batch:
    selection = ask.selection
    return Batch(
        id=str(uuid.uuid4()),
        action=ask.action.value,
        reason_code=ask.reason.code.value,
        reason_note=ask.reason.note,
        actor=caller.name,
        status=BatchStatus.PENDING.value,
        item_count=count,
        counts={},
        filter=selection.filter.as_record() if selection.filter else None,
        request_hash=ask.digest,
        idempotency_key=key,
        confirm_token_hash=None,
        created_at=now,
        updated_at=now,
    )


def _hold_for_approval(
    ctx: Context, batch: Batch, rows: list[dict[str, Any]], now: datetime, protected: set[str]
) -> Approval | None:
    if not protected:
        return None
    batch.status = BatchStatus.AWAITING_APPROVAL.value
    for row in rows:
        if row["status"] == Status.PENDING:
            row.update(status=Status.AWAITING_APPROVAL.value, next_attempt_at=None)
            row["outcome"] = "awaiting_approval"
    assert batch.request_hash is not None
    return approval_for(
        now=now,
        ttl_end=now + ctx.settings.approval_ttl,
        request_hash=batch.request_hash,
        requester=batch.actor,
        batch_id=batch.id,
    )


def _accepted_entry(
    caller: Caller,
    batch: Batch,
    rows: Sequence[dict[str, Any]],
    approval: Approval | None,
    protected: int,
) -> AuditEntry:
    accounts: dict[str, int] = defaultdict(int)
    for row in rows:
        accounts[row["account"]] += 1
    return AuditEntry(
        actor=audit.actor_of(caller),
        action=f"batch.{batch.action}",
        reason=AuditReason(code=batch.reason_code, note=batch.reason_note),
        outcome="awaiting_approval" if approval else "accepted",
        idempotency_key=batch.idempotency_key,
        batch_id=batch.id,
        approval_id=approval.id if approval else None,
        details={
            "items": len(rows),
            "accounts": dict(accounts),
            "needs_approval": protected,
            "operations": [row["id"] for row in rows],
        },
    )


async def _audit_refusal(
    ctx: Context, caller: Caller, ask: BatchAsk, outcome: str, count: int
) -> None:
    entry = AuditEntry(
        actor=audit.actor_of(caller),
        action=f"batch.{ask.action}",
        reason=audit.reason_of(ask.reason),
        outcome=outcome,
        details={"not_permitted": count},
    )
    await audit.record(ctx.db, ctx.trail, entry)


async def find_by_key(ctx: Context, caller: Caller, key: str) -> Batch | None:
    """The batch a crashed request stored under ``key`` (idempotency recovery)."""
    async with ctx.db.session() as session:
        return await session.scalar(
            select(Batch).where(Batch.actor == caller.name, Batch.idempotency_key == key)
        )


# -- cancelling ---------------------------------------------------------------------------------


async def cancel(ctx: Context, caller: Caller, batch_id: str) -> Batch:
    """Stop what has not started and withdraw the batch's pending approval; 409 for a batch
    that is already cancelled or finished.

    Items are flipped ``pending``/``awaiting_approval`` → ``cancelled`` with a compare-and-set
    on their status, so an item the worker claimed a moment earlier finishes and nothing
    accepted is dropped silently.
    """
    batch = await get_visible_batch(ctx, caller, batch_id, Action.BATCHES_CANCEL)
    now = ctx.clock()

    def store(tx: OrmSession) -> Batch | None:
        flipped = tx.execute(
            update(Batch)
            .where(Batch.id == batch_id, Batch.status.not_in([s.value for s in _FINISHED]))
            .values(status=BatchStatus.CANCELLED.value, finished_at=now, updated_at=now)
        )
        if getattr(flipped, "rowcount", 0) != 1:
            return None
        items = tx.execute(
            update(OPERATIONS)
            .where(
                OPERATIONS.c.batch_id == batch_id,
                OPERATIONS.c.status.in_([Status.PENDING.value, Status.AWAITING_APPROVAL.value]),
            )
            .values(
                status=Status.CANCELLED.value,
                outcome=None,
                next_attempt_at=None,
                error_code="BATCH.CANCELLED",
                error_message=f"cancelled by {caller.name} before it started",
                updated_at=now,
            )
        )
        withdrawn = _withdraw_approval(tx, batch_id, now)
        entries = [_cancel_entry(caller, batch_id, getattr(items, "rowcount", 0))]
        if withdrawn is not None:
            entries.append(_approval_cancel_entry(caller, batch_id, withdrawn))
        ctx.trail.append_many_sync(tx, entries)
        return tx.get(Batch, batch_id)

    cancelled = await ctx.db.run(store)
    if cancelled is None:
        raise Problem(
            409,
            "BATCH.NOT_CANCELLABLE",
            "Batch cannot be cancelled",
            f"the batch is already {batch.status}",
            hint="GET the batch for its results; undo a terminate/revoke batch within its window",
            status_now=batch.status,
        )
    return cancelled


def _withdraw_approval(tx: OrmSession, batch_id: str, now: datetime) -> str | None:
    return tx.execute(
        update(Approval)
        .where(Approval.batch_id == batch_id, Approval.state == ApprovalState.PENDING.value)
        .values(state=ApprovalState.CANCELLED.value, decided_at=now)
        .returning(Approval.id)
    ).scalar_one_or_none()


def _cancel_entry(caller: Caller, batch_id: str, items: int) -> AuditEntry:
    return AuditEntry(
        actor=audit.actor_of(caller),
        action="batch.cancel",
        outcome="cancelled",
        batch_id=batch_id,
        details={"cancelled_items": items},
    )


def _approval_cancel_entry(caller: Caller, batch_id: str, approval_id: str) -> AuditEntry:
    return AuditEntry(
        actor=audit.actor_of(caller),
        action="approval.cancel",
        outcome="cancelled",
        batch_id=batch_id,
        approval_id=approval_id,
        details={"because": "the batch was cancelled"},
    )


# -- completion ---------------------------------------------------------------------------------


async def advance(ctx: Context, now: datetime) -> None:
    """Mark batches running once work started, completed once no item needs the worker."""
    active = (BatchStatus.PENDING.value, BatchStatus.RUNNING.value)
    async with ctx.db.session() as session:
        rows = (
            await session.execute(select(Batch.id, Batch.status).where(Batch.status.in_(active)))
        ).all()
    for batch_id, status in rows:
        await _advance(ctx, batch_id, status, now)


async def _advance(ctx: Context, batch_id: str, status: str, now: datetime) -> None:
    counts, _ = await count_items(ctx.db, batch_id)
    active = (BatchStatus.PENDING.value, BatchStatus.RUNNING.value)
    if counts.pending or counts.in_flight or counts.awaiting_approval:
        started = counts.in_flight or counts.succeeded or counts.failed
        if status == BatchStatus.PENDING and started:
            async with ctx.db.write() as tx:
                await tx.execute(
                    update(Batch)
                    .where(Batch.id == batch_id, Batch.status == BatchStatus.PENDING)
                    .values(status=BatchStatus.RUNNING.value, updated_at=now)
                )
        return
    async with ctx.db.write() as tx:
        done = await tx.execute(
            update(Batch)
            .where(Batch.id == batch_id, Batch.status.in_(active))
            .values(
                status=BatchStatus.COMPLETED.value,
                finished_at=now,
                updated_at=now,
                counts=counts.as_dict(),
            )
        )
        if getattr(done, "rowcount", 0) == 1:  # one replica records the completion
            await ctx.trail.append(
                tx,
                AuditEntry(
                    actor=audit.SYSTEM_ACTOR,
                    action="batch.complete",
                    outcome="completed",
                    batch_id=batch_id,
                    details=counts.as_dict(),
                ),
            )
            if ctx.notifications.routes_for(outbox.Event.BATCH_FINISHED):
                batch = await tx.get(Batch, batch_id)
                assert batch is not None
                payload = {
                    "batch_id": batch_id,
                    "action": batch.action,
                    "status": BatchStatus.COMPLETED.value,
                    "counts": counts.as_dict(),
                    "reason_code": batch.reason_code,
                    "requester": batch.actor,
                }
                rows = outbox.plan(
                    ctx.notifications,
                    outbox.Event.BATCH_FINISHED,
                    payload,
                    now=now,
                    requester=batch.actor,
                )
                if rows:
                    await tx.execute(outbox.INSERT, rows)
