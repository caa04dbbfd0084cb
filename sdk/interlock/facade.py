"""``Interlock``: one object for scripts and for the gateway to act on every account.

It routes a session ref to its account's adapter, refuses unsupported verbs before any vendor
call, creates one idempotency key per logical operation, fires the observer hooks exactly once
per operation, and runs batches with per-account concurrency (native batch calls in chunks
where the adapter has them), yielding one result per item.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interlock.adapter import AccountContext, InterviewAdapter, failed_result
from interlock.config import AccountConfig, load_accounts
from interlock.errors import AdapterFailure, InterlockError, InvalidRequest
from interlock.http import RateLimiter
from interlock.models import (
    OperationResult,
    Reason,
    ReasonCode,
    Session,
    SessionFilter,
    SessionPage,
    SessionRef,
    SessionState,
    Verb,
    utc_now,
)
from interlock.plugins import (
    LoadedPlugins,
    OperationFinished,
    OperationStarted,
    get_plugin_manager,
    notify_observers,
)

if TYPE_CHECKING:
    import httpx

__all__ = ["DEFAULT_RESUME_WINDOW", "Interlock"]

log = logging.getLogger("interlock.facade")
DEFAULT_RESUME_WINDOW = timedelta(hours=24)


class Interlock:
    """Acts on sessions across accounts. Build it with :meth:`from_config` or from adapters.

    :param adapters: account name → adapter instance.
    :param plugins: the loaded plug-ins (their observer hooks are called).
    :param concurrency: parallel calls per account in batches (int, or per account).
    """

    def __init__(
        self,
        adapters: Mapping[str, InterviewAdapter],
        *,
        plugins: LoadedPlugins | None = None,
        concurrency: int | Mapping[str, int] = 8,
        resume_window: timedelta = DEFAULT_RESUME_WINDOW,
    ) -> None:
        self.accounts: dict[str, InterviewAdapter] = dict(adapters)
        self.plugins = plugins or get_plugin_manager(load_entry_points=False)
        self._concurrency = concurrency
        self.resume_window = resume_window

    @classmethod
    def from_config(
        cls,
        path: str | Path = "interlock.toml",
        *,
        plugins: LoadedPlugins | None = None,
        transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
        env: Mapping[str, str] | None = None,
        state_dir: Path | None = None,
    ) -> Interlock:
        """Build from ``interlock.toml``. ``transports`` (account → transport) is for tests;
        ``state_dir`` keeps in-process vendor doubles' worlds between runs (see
        :class:`~interlock.adapter.AccountContext`)."""
        plugins = plugins or get_plugin_manager()
        return cls.from_accounts(
            load_accounts(path, plugins, env=env),
            plugins=plugins,
            transports=transports,
            state_dir=state_dir,
        )

    @classmethod
    def from_accounts(
        cls,
        accounts: Iterable[AccountConfig],
        *,
        plugins: LoadedPlugins,
        transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
        rate_limiter: RateLimiter | None = None,
        state_dir: Path | None = None,
    ) -> Interlock:
        """Build the adapters of ``accounts``.

        :param rate_limiter: a limiter shared by every account (e.g. the gateway's, backed by
            its database so that replicas share vendor quotas); without it each adapter limits
            itself from its own options.
        """
        adapters: dict[str, InterviewAdapter] = {}
        concurrency: dict[str, int] = {}
        for account in accounts:
            context = AccountContext(
                account=account.name,
                options=account.options,
                timezone=account.timezone,
                transport=(transports or {}).get(account.name),
                rate_limiter=rate_limiter,
                state_dir=state_dir,
            )
            adapters[account.name] = account.spec.factory(context)
            concurrency[account.name] = account.concurrency
        return cls(adapters, plugins=plugins, concurrency=concurrency)

    async def aclose(self) -> None:
        await asyncio.gather(*(a.aclose() for a in self.accounts.values()))

    async def __aenter__(self) -> Interlock:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- lookup ------------------------------------------------------------------------------

    def adapter(self, account: str) -> InterviewAdapter:
        """The adapter of ``account``. :raises InvalidRequest: unknown account, listing known."""
        try:
            return self.accounts[account]
        except KeyError:
            raise InvalidRequest(
                f"unknown account {account!r}",
                hint=f"configured accounts: {', '.join(sorted(self.accounts)) or 'none'}",
            ) from None

    def concurrency(self, account: str) -> int:
        if isinstance(self._concurrency, int):
            return self._concurrency
        return self._concurrency.get(account, 8)

    # -- reads -------------------------------------------------------------------------------

    async def get_session(self, ref: SessionRef) -> Session:
        return await self.adapter(ref.account).get_session(ref.session_id)

    async def list_sessions(
        self,
        session_filter: SessionFilter | None = None,
        *,
        accounts: Sequence[str] | None = None,
        page_size: int = 50,
        page_token: str | None = None,
    ) -> SessionPage:
        """One page across accounts (accounts in name order); the token is opaque."""
        names = sorted(accounts if accounts is not None else self.accounts)
        for name in names:
            self.adapter(name)
        index, inner = _decode_cursor(page_token, names)
        session_filter = session_filter or SessionFilter()
        collected: list[Session] = []
        while index < len(names) and len(collected) < page_size:
            page = await self.adapter(names[index]).list_sessions(
                session_filter, page_size=page_size - len(collected), page_token=inner
            )
            collected.extend(page.sessions)
            if page.next_page_token is None:
                index, inner = index + 1, None
            else:
                inner = page.next_page_token
        next_token = _encode_cursor(names, index, inner) if index < len(names) else None
        return SessionPage(sessions=tuple(collected), next_page_token=next_token)

    async def sessions(
        self,
        session_filter: SessionFilter | None = None,
        *,
        accounts: Sequence[str] | None = None,
        page_size: int = 100,
    ) -> AsyncIterator[Session]:
        """Every matching session across accounts, page by page."""
        token: str | None = None
        while True:
            page = await self.list_sessions(
                session_filter, accounts=accounts, page_size=page_size, page_token=token
            )
            for session in page.sessions:
                yield session
            token = page.next_page_token
            if token is None:
                return

    # -- single operations -------------------------------------------------------------------

    async def pause(self, ref: SessionRef, reason: Reason, **kw: Any) -> OperationResult:
        return await self.perform(Verb.PAUSE, ref, reason, **kw)

    async def resume(self, ref: SessionRef, reason: Reason, **kw: Any) -> OperationResult:
        return await self.perform(Verb.RESUME, ref, reason, **kw)

    async def terminate(self, ref: SessionRef, reason: Reason, **kw: Any) -> OperationResult:
        return await self.perform(Verb.TERMINATE, ref, reason, **kw)

    async def revoke(self, ref: SessionRef, reason: Reason, **kw: Any) -> OperationResult:
        return await self.perform(Verb.REVOKE, ref, reason, **kw)

    async def perform(
        self,
        verb: Verb,
        ref: SessionRef,
        reason: Reason,
        *,
        idempotency_key: str | None = None,
        operation_id: str | None = None,
        resume_deadline: datetime | None = None,
    ) -> OperationResult:
        """Carry out one verb. Raises for refusals (bad reason, unknown account, unsupported
        verb, not found, invalid transition, vendor errors after the retry policy)."""
        _check_reason(reason)
        adapter = self.adapter(ref.account)
        if not adapter.capabilities.supports(verb):
            raise adapter.unsupported_error(verb)
        key = idempotency_key or f"op-{uuid.uuid4()}"
        if verb is Verb.PAUSE and resume_deadline is None:
            resume_deadline = utc_now() + self.resume_window
        started = self._started(operation_id, ref, verb, reason, key)
        try:
            result = await adapter.perform(
                verb, ref.session_id, reason, idempotency_key=key, resume_deadline=resume_deadline
            )
        except InterlockError as error:
            self._finished(started, failed_result(ref, verb, error, idempotency_key=key))
            raise
        self._finished(started, result)
        return result

    async def restore(
        self,
        ref: SessionRef,
        state: SessionState,
        reason: Reason,
        *,
        idempotency_key: str | None = None,
    ) -> OperationResult:
        """Native restore of a terminated/revoked session (adapters that declare it)."""
        _check_reason(reason)
        key = idempotency_key or f"op-{uuid.uuid4()}"
        return await self.adapter(ref.account).restore(
            ref.session_id, state, reason, idempotency_key=key
        )

    # -- batches -----------------------------------------------------------------------------

    async def batch(
        self,
        verb: Verb,
        refs: Sequence[SessionRef],
        reason: Reason,
        *,
        idempotency_key: str | None = None,
    ) -> AsyncIterator[OperationResult]:
        """Apply ``verb`` to every ref; yield one result per item as items finish.

        Accounts run in parallel, each within its own concurrency; an account whose adapter
        has a native batch call gets chunks of its ``native_batch_size``. An item never raises:
        failures (including unsupported verbs and unknown accounts) are failed results.
        """
        _check_reason(reason)
        key = idempotency_key or f"batch-{uuid.uuid4()}"
        by_account: dict[str, list[SessionRef]] = defaultdict(list)
        for ref in refs:
            by_account[ref.account].append(ref)
        results: asyncio.Queue[OperationResult | None] = asyncio.Queue()

        async def run(account: str, items: list[SessionRef]) -> None:
            try:
                done = await self._account_batch(account, verb, items, reason, key)
            except Exception as exc:  # an adapter bug must not make its items vanish
                log.exception("adapter of account %s failed a batch", account)
                failure = AdapterFailure(
                    f"the {account!r} adapter failed unexpectedly ({type(exc).__name__})",
                    account=account,
                )
                done = [
                    failed_result(r, verb, failure, idempotency_key=f"{key}:{r.session_id}")
                    for r in items
                ]
            try:
                for result in done:
                    await results.put(result)
            finally:
                await results.put(None)

        tasks = [asyncio.create_task(run(a, items)) for a, items in by_account.items()]
        try:
            pending = len(tasks)
            while pending:
                item = await results.get()
                if item is None:
                    pending -= 1
                else:
                    yield item
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _account_batch(
        self, account: str, verb: Verb, refs: list[SessionRef], reason: Reason, key: str
    ) -> list[OperationResult]:
        try:
            adapter = self.adapter(account)
            if not adapter.capabilities.supports(verb):
                raise adapter.unsupported_error(verb)
        except InterlockError as error:
            return [
                failed_result(r, verb, error, idempotency_key=f"{key}:{r.session_id}") for r in refs
            ]
        if not adapter.capabilities.native_batch_size:
            gate = asyncio.Semaphore(self.concurrency(account))

            async def one(ref: SessionRef) -> OperationResult:
                item_key = f"{key}:{ref.session_id}"
                async with gate:
                    try:
                        return await self.perform(verb, ref, reason, idempotency_key=item_key)
                    except InterlockError as error:
                        return failed_result(ref, verb, error, idempotency_key=item_key)

            return list(await asyncio.gather(*(one(r) for r in refs)))
        # Native batch calls: the adapter chunks (the base class owns that); items keep the
        # keys ``{key}:{session id}`` the started events carry.
        started = [self._started(None, r, verb, reason, f"{key}:{r.session_id}") for r in refs]
        results = await adapter.batch(
            verb,
            [r.session_id for r in refs],
            reason,
            idempotency_key=key,
            concurrency=self.concurrency(account),
        )
        for event, result in zip(started, results, strict=True):
            self._finished(event, result)
        return results

    # -- the gateway's narrow path -------------------------------------------------------------
    #
    # The gateway runs operations in phases (hold, commit, restore ...) and observes each
    # operation once itself, with its own ids. These two methods carry out exactly one vendor
    # call as asked: no observer hooks, no regrouping, no ids invented.

    async def send(
        self,
        verb: Verb,
        ref: SessionRef,
        reason: Reason,
        *,
        idempotency_key: str,
        resume_deadline: datetime | None = None,
    ) -> OperationResult:
        """One verb on one session, refused before any vendor call when unsupported."""
        _check_reason(reason)
        adapter = self.adapter(ref.account)
        if not adapter.capabilities.supports(verb):
            raise adapter.unsupported_error(verb)
        return await adapter.perform(
            verb,
            ref.session_id,
            reason,
            idempotency_key=idempotency_key,
            resume_deadline=resume_deadline,
        )

    async def send_chunk(
        self,
        verb: Verb,
        account: str,
        session_ids: Sequence[str],
        reason: Reason,
        *,
        idempotency_key: str,
    ) -> list[OperationResult]:
        """One native batch call for ``session_ids`` (at most the adapter's native batch size):
        one result per id, in input order. Raises when the whole call failed."""
        _check_reason(reason)
        adapter = self.adapter(account)
        size = adapter.capabilities.native_batch_size or 0
        if not adapter.capabilities.supports(verb) or not size:
            raise adapter.unsupported_error(verb)
        if len(session_ids) > size:
            raise InvalidRequest(
                f"a native batch of account {account!r} holds at most {size} sessions",
                hint="split the ids into chunks of the adapter's native_batch_size",
            )
        return await adapter.batch_chunk(
            verb, list(session_ids), reason, idempotency_key=idempotency_key
        )

    # -- observer hooks ----------------------------------------------------------------------

    def _started(
        self, operation_id: str | None, ref: SessionRef, verb: Verb, reason: Reason, key: str
    ) -> OperationStarted:
        event = OperationStarted(
            operation_id=operation_id or f"op-{uuid.uuid4()}",
            ref=ref,
            verb=verb,
            reason_code=reason.code,
            idempotency_key=key,
            started_at=utc_now(),
        )
        self._notify_observers("interlock_operation_started", event=event)
        return event

    def _finished(self, started: OperationStarted, result: OperationResult) -> None:
        event = OperationFinished(
            operation_id=started.operation_id,
            ref=started.ref,
            verb=started.verb,
            reason_code=started.reason_code,
            idempotency_key=started.idempotency_key,
            result=result,
            duration_s=(utc_now() - started.started_at).total_seconds(),
        )
        self._notify_observers("interlock_operation_finished", event=event)

    def _notify_observers(self, hook_name: str, **kwargs: Any) -> None:
        notify_observers(self.plugins, hook_name, **kwargs)


def _check_reason(reason: object) -> None:
    if not isinstance(reason, Reason):
        raise InvalidRequest(
            "a reason is required: Reason(code=..., note=...)",
            hint="codes: " + ", ".join(c.value for c in ReasonCode),
        )


def _encode_cursor(names: Sequence[str], index: int, inner: str | None) -> str:
    raw = json.dumps({"a": names[index], "t": inner}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(token: str | None, names: Sequence[str]) -> tuple[int, str | None]:
    if not token:
        return 0, None
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        index = names.index(raw["a"])
        inner = raw["t"]
        if inner is not None and not isinstance(inner, str):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise InvalidRequest(
            "page_token is not valid for this query",
            hint="pass the next_page_token of the previous page unchanged, with the same filters",
        ) from None
    return index, inner
