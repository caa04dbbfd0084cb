"""``Idempotency-Key``: one logical request per key and principal, replayed for 24 hours.

Insert first, decide after: the key row is inserted with ``ON CONFLICT DO NOTHING`` (SQLite
and PostgreSQL alike) before anything else happens, so of fifty concurrent requests with one
key exactly one inserts and proceeds; the others find the row and answer from it:

* another request body (by SHA-256 of method, path and canonical JSON body) → 422;
* the first is still running → 409;
* the first finished → its stored status and body, with ``Idempotent-Replayed: true``.

Final answers are stored; transient failures (5xx, 429) release the key so a retry can try
again. A key left ``in_progress`` by a crashed process is taken over after
``idempotency_stale_after`` — after checking whether the crashed request had already stored
its operation, which then answers instead of a second operation. Replays, conflicts and
mismatches are audited like every other attempt.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import Request
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from interlock.errors import InterlockError

from ..api.problems import PROBLEM_JSON, Problem, problem_body, problem_of
from ..audit import AuditEntry, canonical_json
from ..policy import Caller
from ..runtime import Runtime
from ..store.tables import IdempotencyKey, IdempotencyStatus
from .audit import actor_of

__all__ = ["REPLAYED_HEADER", "Reply", "fingerprint", "idempotent"]

REPLAYED_HEADER = "Idempotent-Replayed"


@dataclass(frozen=True)
class Reply:
    """A response to send (and, for final answers, to store under the key)."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str = "application/json"

    @property
    def storable(self) -> bool:
        """Final answers are stored; transient ones release the key."""
        return self.status < 500 and self.status != 429


def fingerprint(method: str, path: str, body: Any) -> str:
    """SHA-256 of the request as the key's owner sent it (JSON compared canonically)."""
    return hashlib.sha256(canonical_json([method, path, body]).encode()).hexdigest()


def _problem_reply(problem: Problem, request: Request) -> Reply:
    return Reply(problem.status, problem_body(problem, request), problem.headers, PROBLEM_JSON)


Produce = Callable[[], Awaitable[Reply]]
Recover = Callable[[], Awaitable[Reply | None]]


async def idempotent(
    runtime: Runtime,
    request: Request,
    caller: Caller,
    key: str | None,
    produce: Produce,
    *,
    body: Any = None,
    recover: Recover | None = None,
) -> Reply:
    """Run ``produce`` at most once per ``(caller, key)``; replay its stored answer after."""
    if key is None:
        return await _run(produce, request)
    digest = fingerprint(request.method, request.url.path, body)
    now = runtime.clock()
    answer = await _claim(runtime, request, caller, key, digest, now, recover)
    if answer is not None:
        return answer
    try:
        reply = await _run(produce, request)
    except BaseException:
        await _release(runtime, caller, key)
        raise
    await (
        _store(runtime, caller, key, reply) if reply.storable else _release(runtime, caller, key)
    )
    return reply


async def _run(produce: Produce, request: Request) -> Reply:
    try:
        return await produce()
    except Problem as problem:
        return _problem_reply(problem, request)
    except InterlockError as error:
        return _problem_reply(problem_of(error), request)


def _insert(runtime: Runtime, values: dict[str, Any]) -> Any:
    dialect = sqlite if runtime.db.is_sqlite else postgresql
    return (
        dialect.insert(IdempotencyKey)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["principal_id", "key"])
        .returning(IdempotencyKey.id)
    )


async def _claim(
    runtime: Runtime,
    request: Request,
    caller: Caller,
    key: str,
    digest: str,
    now: datetime,
    recover: Recover | None,
) -> Reply | None:
    """``None`` when this request now owns the key; otherwise the answer to send."""
    values = {
        "principal_id": caller.principal_id,
        "key": key,
        "request_hash": digest,
        "status": IdempotencyStatus.IN_PROGRESS.value,
        "created_at": now,
        "expires_at": now + runtime.settings.idempotency_retention,
    }
    async with runtime.db.write() as session:
        if (await session.execute(_insert(runtime, values))).scalar_one_or_none() is not None:
            return None
        row = await _row(session, caller, key)
        if row.expires_at <= now or _stale(runtime, row, now, digest):
            recovered = await recover() if recover and row.expires_at > now else None
            _reset(row, values, recovered)
            if recovered is None:
                return None
            await _audit(runtime, session, request, caller, key, "recovered", recovered)
            return recovered
        answer = _answer(row, digest, key)
        await _audit(runtime, session, request, caller, key, _kind(row, digest), answer)
    return answer if isinstance(answer, Reply) else _problem_reply(answer, request)


async def _row(session: AsyncSession, caller: Caller, key: str) -> IdempotencyKey:
    statement = select(IdempotencyKey).where(
        IdempotencyKey.principal_id == caller.principal_id, IdempotencyKey.key == key
    )
    return (await session.scalars(statement)).one()


def _stale(runtime: Runtime, row: IdempotencyKey, now: datetime, digest: str) -> bool:
    limit = runtime.settings.idempotency_stale_after
    return (
        row.status == IdempotencyStatus.IN_PROGRESS
        and row.request_hash == digest
        and row.created_at <= now - limit
    )


def _reset(row: IdempotencyKey, values: dict[str, Any], recovered: Reply | None) -> None:
    row.request_hash = values["request_hash"]
    row.created_at = values["created_at"]
    row.expires_at = values["expires_at"]
    if recovered is None:
        row.status = IdempotencyStatus.IN_PROGRESS.value
        row.response_status, row.response_body = None, None
    else:
        row.status = IdempotencyStatus.DONE.value
        row.response_status, row.response_body = recovered.status, recovered.body


def _kind(row: IdempotencyKey, digest: str) -> str:
    if row.request_hash != digest:
        return "mismatch"
    return "conflict" if row.status == IdempotencyStatus.IN_PROGRESS else "replay"


def _answer(row: IdempotencyKey, digest: str, key: str) -> Reply | Problem:
    if row.request_hash != digest:
        return Problem(
            422,
            "IDEMPOTENCY.KEY_REUSED",
            "Idempotency key reused",
            "this Idempotency-Key was used with a different request",
            hint="use a new key for a new request; reuse a key only to retry the same request",
        )
    if row.status == IdempotencyStatus.IN_PROGRESS:
        return Problem(
            409,
            "IDEMPOTENCY.IN_PROGRESS",
            "Request in progress",
            "a request with this Idempotency-Key is still being processed",
            hint="retry the same request in a moment to get its answer",
            headers={"Retry-After": "1"},
        )
    body = dict(row.response_body or {})
    media = PROBLEM_JSON if "type" in body and "code" in body else "application/json"
    status = row.response_status or 200
    return Reply(status, body, {REPLAYED_HEADER: "true"}, media)


async def _audit(
    runtime: Runtime,
    session: AsyncSession,
    request: Request,
    caller: Caller,
    key: str,
    kind: str,
    answer: Reply | Problem,
) -> None:
    body = answer.body if isinstance(answer, Reply) else {}
    operation_id = body.get("id") if isinstance(body.get("id"), str) else None
    entry = AuditEntry(
        actor=actor_of(caller),
        action=f"idempotency.{kind}",
        outcome=kind,
        idempotency_key=key,
        operation_id=operation_id if body.get("verb") else None,
        details={"path": request.url.path, "method": request.method},
    )
    await runtime.trail.append(session, entry)


def _key_row(caller: Caller, key: str) -> Any:
    return (IdempotencyKey.principal_id == caller.principal_id) & (IdempotencyKey.key == key)


async def _store(runtime: Runtime, caller: Caller, key: str, reply: Reply) -> None:
    async with runtime.db.write() as session:
        await session.execute(
            update(IdempotencyKey)
            .where(_key_row(caller, key))
            .values(
                status=IdempotencyStatus.DONE.value,
                response_status=reply.status,
                response_body=reply.body,
            )
        )


async def _release(runtime: Runtime, caller: Caller, key: str) -> None:
    async with runtime.db.write() as session:
        await session.execute(delete(IdempotencyKey).where(_key_row(caller, key)))
