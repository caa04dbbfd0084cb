"""``AsyncGatewayClient``: the gateway's API v1 for internal tools, on httpx."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx
from httpx_sse import aconnect_sse

from ._core import API, Call, checked, default_headers, unavailable
from .errors import error_from_response
from .models import Approval, ApprovalPage, Me, Operation, Session, SessionPage
from .retry import RetryPolicy

__all__ = ["AsyncGatewayClient"]


class AsyncGatewayClient:
    """The gateway's API v1. Mutations carry an Idempotency-Key per logical call; 429 and
    503 are retried honouring Retry-After, lost connections when repeating is harmless."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers=default_headers(api_key),
            timeout=timeout,
            transport=transport,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(self, call: Call) -> httpx.Response:
        """``call``, retried as :class:`RetryPolicy` says; the final success or its error."""
        for attempt in range(self.retry.attempts):
            last = attempt == self.retry.attempts - 1
            try:
                response = await self._http.request(
                    call.method,
                    call.path,
                    params=call.params,
                    json=call.json,
                    headers=call.headers(),
                )
            except httpx.TransportError as exc:
                if last or not self.retry.retries_connection_error(call.method, keyed=call.keyed):
                    raise unavailable(call, exc) from None
                await asyncio.sleep(self.retry.wait_for(None, attempt))
                continue
            if last or not self.retry.retries_status(response):
                return checked(response)
            await asyncio.sleep(self.retry.wait_for(response, attempt))
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _json(self, call: Call) -> Any:
        return (await self.send(call)).json()

    # -- health ---------------------------------------------------------------------------

    async def health(self) -> dict[str, Any]:
        """``/healthz``: ``{"status": "ok"}`` while the gateway answers."""
        return dict(await self._json(Call("GET", "/healthz")))

    async def ready(self) -> dict[str, Any]:
        """``/readyz``: the database's and each account's health (raises when not ready)."""
        return dict(await self._json(Call("GET", "/readyz")))

    async def me(self) -> Me:
        """``/v1/me``: the principal and role of this client's API key (no vendor call)."""
        return Me.model_validate(await self._json(Call("GET", f"{API}/me")))

    # -- sessions -------------------------------------------------------------------------

    async def sessions_page(
        self, *, page_token: str | None = None, page_size: int = 50, **filters: Any
    ) -> SessionPage:
        """One page of the sessions the key may see (filters as ``GET /v1/sessions``:
        ``candidate``, ``position``, ``batch_no``, ``state``, ``start_from``/``start_to`` as a
        ``date``, a naive or aware ``datetime`` or ISO text, read in ``tz`` — see
        docs/search.md)."""
        params = {k: _wire(v) for k, v in filters.items() if v is not None}
        params["page_size"] = page_size
        if page_token:
            params["page_token"] = page_token
        body = await self._json(Call("GET", f"{API}/sessions", params=params))
        return SessionPage.model_validate(body)

    async def sessions(self, *, page_size: int = 50, **filters: Any) -> AsyncIterator[Session]:
        """Every matching session, following ``next_page_token`` to the last page."""
        token: str | None = None
        while True:
            page = await self.sessions_page(page_token=token, page_size=page_size, **filters)
            for session in page.sessions:
                yield session
            token = page.next_page_token
            if not token:
                return

    async def session(self, account: str, session_id: str) -> Session:
        body = await self._json(Call("GET", _session_path(account, session_id)))
        return Session.model_validate(body)

    async def _verb(
        self, verb: str, account: str, session_id: str, code: str, note: str | None
    ) -> Operation:
        reason: dict[str, Any] = {"code": code}
        if note is not None:
            reason["note"] = note
        call = Call(
            "POST",
            f"{_session_path(account, session_id)}/{verb}",
            json={"reason": reason},
            keyed=True,
        )
        return Operation.model_validate(await self._json(call))

    async def pause(
        self, account: str, session_id: str, code: str, note: str | None = None
    ) -> Operation:
        return await self._verb("pause", account, session_id, code, note)

    async def resume(
        self, account: str, session_id: str, code: str, note: str | None = None
    ) -> Operation:
        return await self._verb("resume", account, session_id, code, note)

    async def terminate(
        self, account: str, session_id: str, code: str, note: str | None = None
    ) -> Operation:
        return await self._verb("terminate", account, session_id, code, note)

    async def revoke(
        self, account: str, session_id: str, code: str, note: str | None = None
    ) -> Operation:
        return await self._verb("revoke", account, session_id, code, note)

    # -- operations -----------------------------------------------------------------------

    async def operation(self, op_id: str) -> Operation:
        body = await self._json(Call("GET", f"{API}/operations/{quote(op_id, safe='')}"))
        return Operation.model_validate(body)

    async def my_operations(self, *, limit: int = 50, within_hours: int = 24) -> list[Operation]:
        """The operations this key's principal asked for recently, newest first."""
        params = {"limit": limit, "within_hours": within_hours}
        body = await self._json(Call("GET", f"{API}/operations", params=params))
        return [Operation.model_validate(o) for o in body["operations"]]

    async def undo(self, op_id: str, note: str | None = None) -> Operation:
        call = Call(
            "POST",
            f"{API}/operations/{quote(op_id, safe='')}/undo",
            json={"note": note},
            keyed=True,
        )
        return Operation.model_validate(await self._json(call))

    # -- approvals ------------------------------------------------------------------------

    async def approvals_page(
        self, *, page_token: str | None = None, page_size: int = 50
    ) -> ApprovalPage:
        params: dict[str, Any] = {"page_size": page_size}
        if page_token:
            params["page_token"] = page_token
        body = await self._json(Call("GET", f"{API}/approvals", params=params))
        return ApprovalPage.model_validate(body)

    async def approvals(self, *, page_size: int = 50) -> AsyncIterator[Approval]:
        token: str | None = None
        while True:
            page = await self.approvals_page(page_token=token, page_size=page_size)
            for approval in page.approvals:
                yield approval
            token = page.next_page_token
            if not token:
                return

    async def _decide(self, approval_id: str, decision: str, note: str | None) -> Any:
        path = f"{API}/approvals/{quote(approval_id, safe='')}/{decision}"
        return await self._json(Call("POST", path, json={"note": note}, keyed=True))

    async def approve(self, approval_id: str, note: str | None = None) -> Any:
        return await self._decide(approval_id, "approve", note)

    async def reject(self, approval_id: str, note: str | None = None) -> Any:
        return await self._decide(approval_id, "reject", note)

    # -- previews and batches -------------------------------------------------------------

    async def preview(
        self,
        action: str,
        code: str,
        note: str | None = None,
        *,
        sessions: list[str] | None = None,
        filter: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The impact of acting on ``sessions`` (names) or a ``filter``, with a confirm token."""
        body = _batch_body(action, code, note, sessions, filter)
        return dict(await self._json(Call("POST", f"{API}/previews", json=body)))

    async def create_batch(
        self,
        action: str,
        code: str,
        note: str | None = None,
        *,
        confirm_token: str,
        sessions: list[str] | None = None,
        filter: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Carry out what a preview showed: the same action, sessions or filter, and reason,
        with the preview's ``confirm_token``."""
        body = _batch_body(action, code, note, sessions, filter)
        body["confirm_token"] = confirm_token
        return dict(await self._json(Call("POST", f"{API}/batches", json=body, keyed=True)))

    async def batch(
        self, batch_id: str, *, page_size: int = 50, page_token: str | None = None
    ) -> dict[str, Any]:
        """The batch, its counts and one page of its items (``next_page_token`` for more)."""
        params: dict[str, Any] = {"page_size": page_size}
        if page_token:
            params["page_token"] = page_token
        path = f"{API}/batches/{quote(batch_id, safe='')}"
        return dict(await self._json(Call("GET", path, params=params)))

    async def batch_items(self, batch_id: str, *, page_size: int = 200) -> AsyncIterator[Any]:
        """Every item of the batch, following ``next_page_token`` to the last page."""
        token: str | None = None
        while True:
            page = await self.batch(batch_id, page_size=page_size, page_token=token)
            for item in page["items"]:
                yield item
            token = page.get("next_page_token")
            if not token:
                return

    async def cancel_batch(self, batch_id: str) -> dict[str, Any]:
        path = f"{API}/batches/{quote(batch_id, safe='')}/cancel"
        return dict(await self._json(Call("POST", path, keyed=True)))

    async def undo_batch(self, batch_id: str, note: str | None = None) -> dict[str, Any]:
        path = f"{API}/batches/{quote(batch_id, safe='')}/undo"
        return dict(await self._json(Call("POST", path, json={"note": note}, keyed=True)))

    async def batch_events(self, batch_id: str) -> AsyncIterator[tuple[str, Any]]:
        """``(event, data)`` from the batch's server-sent events, ending after ``done`` or
        ``idle``. A broken stream raises :class:`GatewayUnavailable` (poll :meth:`batch`)."""
        path = f"{API}/batches/{quote(batch_id, safe='')}/events"
        try:
            async with aconnect_sse(self._http, "GET", path, timeout=None) as source:
                if not source.response.is_success:
                    await source.response.aread()
                    raise error_from_response(source.response)
                async for event in source.aiter_sse():
                    yield event.event, event.json() if event.data else None
                    if event.event in {"done", "idle"}:
                        return
        except httpx.TransportError as exc:
            raise unavailable(Call("GET", path), exc) from None

    # -- manual tasks (verbs a person carries out at the vendor) ----------------------------

    async def tasks(self, *, status: str | None = None) -> list[dict[str, Any]]:
        """Tasks the key may see, soonest due first (``status``: open, done or failed)."""
        params = {"status": status} if status else None
        return list((await self._json(Call("GET", f"{API}/tasks", params=params)))["tasks"])

    async def task(self, task_id: str) -> dict[str, Any]:
        return dict(await self._json(Call("GET", f"{API}/tasks/{quote(task_id, safe='')}")))

    async def close_task(self, task_id: str, *, done: bool, note: str | None = None) -> Any:
        """Mark a task done (the person did it at the vendor) or failed."""
        path = f"{API}/tasks/{quote(task_id, safe='')}/{'done' if done else 'failed'}"
        return await self._json(Call("POST", path, json={"note": note}, keyed=True))

    # -- principals (admins) ---------------------------------------------------------------

    async def principals(self) -> list[dict[str, Any]]:
        return list((await self._json(Call("GET", f"{API}/principals")))["principals"])

    async def create_principal(self, name: str, role: str, **owns: Any) -> dict[str, Any]:
        """A new principal and its key (shown once); ``owns``: vendor_users, positions,
        departments."""
        body = {"name": name, "role": role, **owns}
        return dict(await self._json(Call("POST", f"{API}/principals", json=body, keyed=True)))

    async def link_vendor_users(self, name: str, account: str, user_ids: list[str]) -> Any:
        path = f"{_principal_path(name)}/vendor-users/{quote(account, safe='')}"
        return await self._json(Call("PUT", path, json={"user_ids": user_ids}, keyed=True))

    async def unlink_vendor_users(self, name: str, account: str) -> Any:
        path = f"{_principal_path(name)}/vendor-users/{quote(account, safe='')}"
        return await self._json(Call("DELETE", path, keyed=True))

    async def grant(self, name: str, *, remove: bool = False, **scopes: list[str]) -> Any:
        """Grant (or with ``remove`` take back) ``positions`` and ``departments``."""
        path = f"{_principal_path(name)}/grants" + ("/remove" if remove else "")
        return await self._json(Call("POST", path, json=scopes, keyed=True))

    async def revoke_principal(self, name: str) -> Any:
        return await self._json(Call("POST", f"{_principal_path(name)}/revoke", keyed=True))

    # -- reports --------------------------------------------------------------------------

    async def adapters(self) -> Any:
        return await self._json(Call("GET", f"{API}/adapters"))

    async def stats(self, **filters: Any) -> dict[str, Any]:
        """Reason statistics (``GET /v1/stats/reasons``)."""
        params = {k: v for k, v in filters.items() if v is not None}
        return dict(await self._json(Call("GET", f"{API}/stats/reasons", params=params)))

    async def audit(self, *, page_size: int = 50, **filters: Any) -> AsyncIterator[dict[str, Any]]:
        """Every matching audit record, newest first, following ``next_page_token``."""
        params: dict[str, Any] = {k: v for k, v in filters.items() if v is not None}
        params["page_size"] = page_size
        while True:
            page = await self._json(Call("GET", f"{API}/audit", params=dict(params)))
            for record in page["records"]:
                yield record
            if not page.get("next_page_token"):
                return
            params["page_token"] = page["next_page_token"]

    async def audit_export(self, *, format: str = "jsonl", **filters: Any) -> AsyncIterator[bytes]:
        """The audit export, streamed in chunks as the gateway writes it (``jsonl`` or ``csv``)."""
        params = {k: v for k, v in filters.items() if v is not None}
        params["format"] = format
        async with self._http.stream("GET", f"{API}/audit/export", params=params) as response:
            if not response.is_success:
                await response.aread()
                raise error_from_response(response)
            async for chunk in response.aiter_bytes():
                yield chunk

    async def audit_verify(self, *, witnesses: bool = True) -> dict[str, Any]:
        """The whole chain checked by the gateway (and its witnesses, unless told not to)."""
        params = {"witnesses": str(witnesses).lower()}
        return dict(await self._json(Call("GET", f"{API}/audit/verify", params=params)))


def _batch_body(
    action: str,
    code: str,
    note: str | None,
    sessions: list[str] | None,
    filter: dict[str, Any] | None,
) -> dict[str, Any]:
    reason: dict[str, Any] = {"code": code}
    if note is not None:
        reason["note"] = note
    body: dict[str, Any] = {"action": action, "reason": reason}
    if sessions is not None:
        body["sessions"] = sessions
    if filter is not None:
        body["filter"] = {k: _wire(v) for k, v in filter.items()}
    return body


def _wire(value: Any) -> Any:
    """Dates and datetimes as ISO text (naive stays naive: the gateway reads it in ``tz``)."""
    return value.isoformat() if isinstance(value, date) else value


def _principal_path(name: str) -> str:
    return f"{API}/principals/{quote(name, safe='')}"


def _session_path(account: str, session_id: str) -> str:
    return f"{API}/accounts/{quote(account, safe='')}/sessions/{quote(session_id, safe='')}"
