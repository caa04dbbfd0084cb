"""The ledger of ``Idempotency-Key`` s: one logical request per key and principal, for 24 hours.

Insert first, decide after: the key row is inserted with ``ON CONFLICT DO NOTHING`` (SQLite and
PostgreSQL alike) before anything else happens, so of fifty concurrent requests with one key
exactly one inserts and proceeds; the others find the row and are answered from it — a
different request under the key, the first still running, or the first's stored answer.
A key left ``in_progress`` by a crashed process is taken over after
``idempotency_stale_after``, after asking whether the crashed request had stored what it was
doing (then that answers instead of a second attempt). Replays, conflicts, mismatches and
recoveries are audited like every other attempt. The HTTP side of it is ``api/idempotency.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from ..audit import AuditEntry
from ..policy import Caller
from ..store.tables import IdempotencyKey, IdempotencyStatus
from .audit_entries import actor_of
from .context import Context

__all__ = ["Answer", "KeyClaim", "Standing", "claim_key", "release_key", "store_answer"]


@dataclass(frozen=True, slots=True)
class Answer:
    """A response as stored under a key (status and JSON body)."""

    status: int
    body: dict[str, Any]


class Standing(StrEnum):
    """Where a key stands for the request that presents it."""

    OWNED = "owned"
    """This request holds the key now: carry it out."""
    REPLAY = "replay"
    """The same request finished before: answer with its stored answer."""
    RECOVERED = "recovered"
    """A crashed attempt had stored its work: answer with what it stored."""
    CONFLICT = "conflict"
    """The same request is still running."""
    MISMATCH = "mismatch"
    """Another request used this key."""


@dataclass(frozen=True, slots=True)
class KeyClaim:
    """The outcome of presenting a key."""

    standing: Standing
    answer: Answer | None = None


Recover = Callable[[], Awaitable[Answer | None]]


def _insert(is_sqlite: bool, values: dict[str, Any]) -> Any:
    dialect = sqlite if is_sqlite else postgresql
    return (
        dialect.insert(IdempotencyKey)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["principal_id", "key"])
        .returning(IdempotencyKey.id)
    )


async def claim_key(
    ctx: Context,
    caller: Caller,
    key: str,
    digest: str,
    *,
    where: dict[str, str],
    recover: Recover | None = None,
) -> KeyClaim:
    """Present ``key`` for a request with fingerprint ``digest``.

    :param where: the request's method and path, for the audit record of a refusal.
    :param recover: what a crashed attempt stored under this key, if anything.
    """
    now = ctx.clock()
    values = {
        "principal_id": caller.principal_id,
        "key": key,
        "request_hash": digest,
        "status": IdempotencyStatus.IN_PROGRESS.value,
        "created_at": now,
        "expires_at": now + ctx.settings.idempotency_retention,
    }
    async with ctx.db.write() as session:
        inserted = await session.execute(_insert(ctx.db.is_sqlite, values))
        if inserted.scalar_one_or_none() is not None:
            return KeyClaim(Standing.OWNED)
        row = await _row(session, caller, key)
        if row.expires_at <= now or _stale(ctx, row, now, digest):
            recovered = await recover() if recover and row.expires_at > now else None
            _reset(row, values, recovered)
            if recovered is None:
                return KeyClaim(Standing.OWNED)
            claim = KeyClaim(Standing.RECOVERED, recovered)
        else:
            claim = _standing(row, digest)
        await _audit(ctx, session, caller, key, claim, where)
    return claim


async def _row(session: AsyncSession, caller: Caller, key: str) -> IdempotencyKey:
    statement = select(IdempotencyKey).where(
        IdempotencyKey.principal_id == caller.principal_id, IdempotencyKey.key == key
    )
    return (await session.scalars(statement)).one()


def _stale(ctx: Context, row: IdempotencyKey, now: datetime, digest: str) -> bool:
    limit = ctx.settings.idempotency_stale_after
    return (
        row.status == IdempotencyStatus.IN_PROGRESS
        and row.request_hash == digest
        and row.created_at <= now - limit
    )


def _reset(row: IdempotencyKey, values: dict[str, Any], recovered: Answer | None) -> None:
    row.request_hash = values["request_hash"]
    row.created_at = values["created_at"]
    row.expires_at = values["expires_at"]
    if recovered is None:
        row.status = IdempotencyStatus.IN_PROGRESS.value
        row.response_status, row.response_body = None, None
    else:
        row.status = IdempotencyStatus.DONE.value
        row.response_status, row.response_body = recovered.status, recovered.body


def _standing(row: IdempotencyKey, digest: str) -> KeyClaim:
    if row.request_hash != digest:
        return KeyClaim(Standing.MISMATCH)
    if row.status == IdempotencyStatus.IN_PROGRESS:
        return KeyClaim(Standing.CONFLICT)
    return KeyClaim(
        Standing.REPLAY, Answer(row.response_status or 200, dict(row.response_body or {}))
    )


async def _audit(
    ctx: Context,
    session: AsyncSession,
    caller: Caller,
    key: str,
    claim: KeyClaim,
    where: dict[str, str],
) -> None:
    body = claim.answer.body if claim.answer else {}
    operation_id = body.get("id") if isinstance(body.get("id"), str) and body.get("verb") else None
    entry = AuditEntry(
        actor=actor_of(caller),
        action=f"idempotency.{claim.standing}",
        outcome=str(claim.standing),
        idempotency_key=key,
        operation_id=operation_id,
        details=where,
    )
    await ctx.trail.append(session, entry)


def _key_row(caller: Caller, key: str) -> Any:
    return (IdempotencyKey.principal_id == caller.principal_id) & (IdempotencyKey.key == key)


async def store_answer(ctx: Context, caller: Caller, key: str, answer: Answer) -> None:
    """Keep the final answer of the request that owned ``key`` (replayed for its lifetime)."""
    async with ctx.db.write() as session:
        await session.execute(
            update(IdempotencyKey)
            .where(_key_row(caller, key))
            .values(
                status=IdempotencyStatus.DONE.value,
                response_status=answer.status,
                response_body=answer.body,
            )
        )


async def release_key(ctx: Context, caller: Caller, key: str) -> None:
    """Forget ``key`` (its request failed transiently: a retry may try again)."""
    async with ctx.db.write() as session:
        await session.execute(delete(IdempotencyKey).where(_key_row(caller, key)))


async def purge_expired(ctx: Context, now: datetime) -> None:
    """Delete keys past their retention (the worker's housekeeping)."""
    async with ctx.db.write() as session:
        await session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now))
