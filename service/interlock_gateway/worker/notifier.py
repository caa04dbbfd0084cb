"""Delivering the notification outbox: claim under a lease, render, send, record.

A task of its own beside the worker loop, so a slow or dead channel never delays a stop: the
stop's transaction only inserted rows. Each round claims due rows — ``pending`` whose
``next_attempt_at`` has come, or ``sending`` whose lease ended (its sender died) — in one
transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so replicas claim disjoint rows), sends
them concurrently through their channels, and records every attempt with a compare-and-set on
the lease, in one transaction with its audit record (recipient masked).

Delivery is at least once: a sender that dies after a channel accepted a message and before
recording it leaves the row to be sent again when its lease ends. Every channel passes the
notification's id as the receiver's de-duplication key (``webhook-id``, the e-mail
``Message-ID``), so a receiver can drop the second copy; the window is one send.

Failures are retried with exponential backoff (``retry_base`` doubling up to ``retry_max``)
until ``max_attempts``, then the row is ``failed`` — visible on the operation and audited.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from interlock import Interlock
from interlock.errors import ConfigurationError
from interlock.plugins import Channel, ChannelContext, ChannelMessage, get_plugin_manager

from ..audit import AuditEntry, AuditTarget
from ..operations.audit_entries import SYSTEM_ACTOR
from ..operations.context import Context
from ..operations.templates import Templates
from ..settings import NotificationSettings
from ..store.tables import Notification, NotificationStatus

__all__ = ["Notifier", "build_channels"]

log = logging.getLogger("interlock.gateway.notifications")
Status = NotificationStatus
_ERROR_LIMIT = 300


def build_channels(
    settings: NotificationSettings, interlock: Interlock, *, discover: bool = True
) -> dict[str, Channel]:
    """The configured channels, built by the plug-ins that register their types.

    :raises ConfigurationError: a channel without ``type``, of a type no plug-in registers,
        or with options its type refuses.
    """
    specs = interlock.plugins.channels()
    if discover:
        specs = get_plugin_manager().channels() | specs
    channels: dict[str, Channel] = {}
    for name, table in settings.channels.items():
        options = dict(table)
        kind = options.pop("type", None)
        spec = specs.get(str(kind)) if kind else None
        if spec is None:
            known = ", ".join(sorted(specs)) or "none"
            raise ConfigurationError(
                f"[notifications.channels.{name}]: type {kind!r} is not a known channel type",
                hint=f"installed channel types: {known}",
            )
        try:
            validated = spec.options_model(**options)
        except ValueError as exc:
            raise ConfigurationError(
                f"[notifications.channels.{name}]: {exc}", hint="see docs/notifications.md"
            ) from None
        channels[name] = spec.factory(
            ChannelContext(name=name, options=validated, interlock=interlock)
        )
    return channels


@dataclass(frozen=True, slots=True)
class _Attempt:
    row: Notification
    provider_id: str | None = None
    error: str | None = None
    template_failed: str | None = None


class Notifier:
    """Delivers due outbox rows through the configured channels."""

    def __init__(
        self,
        ctx: Context,
        *,
        owner: str,
        channels: Mapping[str, Channel] | None = None,
        busy: Callable[[], bool] | None = None,
    ) -> None:
        self.ctx = ctx
        self.settings = ctx.notifications
        self.owner = owner
        self.channels: dict[str, Channel] = dict(channels or {})
        self.templates = Templates(self.settings.templates_dir)
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = False
        self._sending = asyncio.Semaphore(self.settings.concurrency)
        self._busy = busy or (lambda: False)
        self._last_round = time.monotonic()

    def start(self) -> None:
        """Start delivering (not when nothing is configured: no routes, no channels)."""
        if not (self.settings.routes or self.channels):
            return
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._loop(), name="interlock-notifier")

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        """Stop claiming; a round in progress finishes (its sends are bounded by
        ``send_timeout``); then close the channels."""
        if self._task is not None:
            self._stopping = True
            self._wake.set()
            task, self._task = self._task, None
            done, _ = await asyncio.wait([task], timeout=self.settings.send_timeout.total_seconds())
            if not done:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for channel in self.channels.values():
            with contextlib.suppress(Exception):
                await channel.aclose()

    def _deferring(self) -> bool:
        """Stops first: while this process's worker carries out operations, delivery waits —
        up to ``max_defer`` since the last round — so that it never competes with a stop for
        the database (SQLite has one writer) or the CPU."""
        waited = time.monotonic() - self._last_round
        return self._busy() and waited < self.settings.max_defer.total_seconds()

    async def _loop(self) -> None:
        interval = self.settings.poll_interval.total_seconds()
        while not self._stopping:
            if self._deferring():
                await asyncio.sleep(interval)
                continue
            try:
                busy = await self.run_once()
            except Exception:  # the database may be briefly away: keep delivering later
                log.exception("notification round failed; retrying at the next poll")
                busy = 0
            if self._stopping:
                return
            if busy >= self.settings.claim_size:
                continue  # more may be due: no pause between full rounds
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), interval)
            self._wake.clear()

    async def run_once(self) -> int:
        """Claim what is due, send it, record the attempts; returns how many were claimed."""
        self._last_round = time.monotonic()
        claimed = await self._claim(self.ctx.clock())
        if not claimed:
            return 0
        attempts = await asyncio.gather(*(self._send(row) for row in claimed))
        await self._record(attempts, self.ctx.clock())
        return len(claimed)

    async def drain(self, rounds: int = 50) -> None:
        """Deliver until nothing is due now (tests, demo)."""
        for _ in range(rounds):
            if not await self.run_once():
                return

    # -- claiming --------------------------------------------------------------------------------

    async def _claim(self, now: datetime) -> list[Notification]:
        due = or_(
            and_(Notification.status == Status.PENDING, Notification.next_attempt_at <= now),
            and_(Notification.status == Status.SENDING, Notification.lease_until <= now),
        )
        statement = (
            select(Notification)
            .where(due)
            .order_by(Notification.created_at, Notification.id)
            .limit(self.settings.claim_size)
        )
        if not self.ctx.db.is_sqlite:
            statement = statement.with_for_update(skip_locked=True)
        lease_until = now + self.settings.lease
        async with self.ctx.db.session() as session:  # a cheap read first: an idle poll
            found = await session.scalar(select(Notification.id).where(due).limit(1))
        if found is None:  # costs no write transaction (SQLite has one writer)
            return []

        def take(session: Session) -> list[Notification]:
            rows = list(session.scalars(statement).all())
            if not rows:
                return []
            ids = [row.id for row in rows]
            session.execute(
                update(Notification)
                .where(Notification.id.in_(ids))
                .values(
                    status=Status.SENDING.value,
                    lease_owner=self.owner,
                    lease_until=lease_until,
                    attempts=Notification.attempts + 1,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            for row in rows:
                session.expunge(row)
                row.attempts += 1
            return rows

        return await self.ctx.db.run(take)

    # -- sending ---------------------------------------------------------------------------------

    def _message(self, row: Notification) -> tuple[ChannelMessage, str | None]:
        payload = dict(row.payload or {})
        link_id = payload.get("resume_link_id")
        if link_id and self.ctx.links is not None:
            payload["resume_url"] = self.ctx.links.url(self.settings.link_base_url, str(link_id))
        payload.setdefault("resume_url", None)
        rendered = self.templates.render(row.event, row.language, row.audience, payload)
        data = {k: v for k, v in payload.items() if k != "resume_link_id"}
        if row.audience == "candidate":  # the webhook body follows the same whitelist
            data = {k: data.get(k) for k in ("event", "candidate_id", "account", "session_id")}
            data["resume_url"] = payload.get("resume_url")
        message = ChannelMessage(
            id=row.id,
            event=row.event,
            audience="candidate" if row.audience == "candidate" else "hr",
            recipient=row.recipient,
            language=row.language,
            subject=rendered.subject,
            body=rendered.body,
            data=data,
        )
        return message, rendered.failed

    async def _send(self, row: Notification) -> _Attempt:
        channel = self.channels.get(row.channel)
        if channel is None:
            return _Attempt(row, error=f"no channel named {row.channel!r} is configured")
        try:
            message, failed = self._message(row)
        except Exception as exc:  # rendering never stops delivery of the others
            return _Attempt(row, error=f"rendering failed: {type(exc).__name__}")
        async with self._sending:
            try:
                provider_id = await asyncio.wait_for(
                    channel.send(message), self.settings.send_timeout.total_seconds()
                )
            except Exception as exc:
                return _Attempt(row, error=_describe(exc, row), template_failed=failed)
        return _Attempt(row, provider_id=provider_id, template_failed=failed)

    # -- recording -------------------------------------------------------------------------------

    def _backoff(self, attempts: int) -> timedelta:
        base: timedelta = self.settings.retry_base * (2 ** max(0, attempts - 1))
        limit: timedelta = self.settings.retry_max
        return min(base, limit)

    async def _record(self, attempts: Sequence[_Attempt], now: datetime) -> None:
        trail = self.ctx.trail
        max_attempts = self.settings.max_attempts

        def record(session: Session) -> None:
            entries: list[AuditEntry] = []
            for attempt in attempts:
                row = attempt.row
                values: dict[str, Any] = {"lease_owner": None, "lease_until": None}
                if attempt.error is None:
                    outcome = "delivered"
                    values |= {
                        "status": Status.DELIVERED.value,
                        "delivered_at": now,
                        "provider_id": (attempt.provider_id or "")[:200] or None,
                        "last_error": None,
                        "next_attempt_at": None,
                    }
                elif row.attempts >= max_attempts:
                    outcome = "failed"
                    values |= {
                        "status": Status.FAILED.value,
                        "last_error": attempt.error,
                        "next_attempt_at": None,
                    }
                else:
                    outcome = "retry"
                    values |= {
                        "status": Status.PENDING.value,
                        "last_error": attempt.error,
                        "next_attempt_at": now + self._backoff(row.attempts),
                    }
                result = session.execute(
                    update(Notification)
                    .where(
                        Notification.id == row.id,
                        Notification.lease_owner == self.owner,
                        Notification.status == Status.SENDING,
                    )
                    .values(updated_at=now, **values)
                    .execution_options(synchronize_session=False)
                )
                if getattr(result, "rowcount", 0) != 1:
                    log.warning("notification %s: lease lost before recording", row.id)
                    continue
                entries.append(_entry(row, outcome, attempt.error))
                if attempt.template_failed:
                    entries.append(_template_entry(row, attempt.template_failed))
            trail.append_many_sync(session, entries)

        await self.ctx.db.run(record)


def _describe(exc: BaseException, row: Notification) -> str:
    """The error of an attempt, without the recipient's address."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    text = text.replace(row.recipient, row.recipient_masked)
    return text[:_ERROR_LIMIT]


def _entry(row: Notification, outcome: str, error: str | None) -> AuditEntry:
    details: dict[str, Any] = {
        "notification_id": row.id,
        "event": row.event,
        "channel": row.channel,
        "audience": row.audience,
        "recipient": row.recipient_masked,
        "attempt": row.attempts,
    }
    if error:
        details["error"] = error
    return AuditEntry(
        actor=SYSTEM_ACTOR,
        action=f"notification.{outcome}",
        target=AuditTarget(account=row.account, session_id=row.session_id),
        outcome=outcome,
        operation_id=row.operation_id,
        batch_id=row.batch_id,
        details=details,
    )


def _template_entry(row: Notification, failed: str) -> AuditEntry:
    return AuditEntry(
        actor=SYSTEM_ACTOR,
        action="notification.template_failed",
        target=AuditTarget(account=row.account, session_id=row.session_id),
        outcome="fallback",
        operation_id=row.operation_id,
        details={"event": row.event, "language": row.language, "error": failed},
    )
