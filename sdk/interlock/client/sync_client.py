"""``GatewayClient``: the same calls as :class:`AsyncGatewayClient`, for scripts without an
event loop (each call runs the async client on a private loop)."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any, Self

import httpx

from .async_client import AsyncGatewayClient
from .models import Approval, Me, Operation, Session
from .retry import RetryPolicy

__all__ = ["GatewayClient"]


class GatewayClient:
    """Blocking client; not for use inside a running event loop (use the async one)."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._runner = asyncio.Runner()
        self._client = AsyncGatewayClient(
            base_url, api_key, timeout=timeout, retry=retry, transport=transport
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._runner.run(self._client.aclose())
        self._runner.close()

    def health(self) -> dict[str, Any]:
        return self._runner.run(self._client.health())

    def me(self) -> Me:
        return self._runner.run(self._client.me())

    def sessions(self, *, page_size: int = 50, **filters: Any) -> list[Session]:
        """Every matching session (all pages)."""

        async def collect() -> list[Session]:
            return [s async for s in self._client.sessions(page_size=page_size, **filters)]

        return self._runner.run(collect())

    def session(self, account: str, session_id: str) -> Session:
        return self._runner.run(self._client.session(account, session_id))

    def pause(self, account: str, session_id: str, code: str, note: str | None = None) -> Operation:
        return self._runner.run(self._client.pause(account, session_id, code, note))

    def resume(
        self, account: str, session_id: str, code: str, note: str | None = None
    ) -> Operation:
        return self._runner.run(self._client.resume(account, session_id, code, note))

    def terminate(
        self, account: str, session_id: str, code: str, note: str | None = None
    ) -> Operation:
        return self._runner.run(self._client.terminate(account, session_id, code, note))

    def revoke(
        self, account: str, session_id: str, code: str, note: str | None = None
    ) -> Operation:
        return self._runner.run(self._client.revoke(account, session_id, code, note))

    def operation(self, op_id: str) -> Operation:
        return self._runner.run(self._client.operation(op_id))

    def my_operations(self, *, limit: int = 50, within_hours: int = 24) -> list[Operation]:
        return self._runner.run(self._client.my_operations(limit=limit, within_hours=within_hours))

    def undo(self, op_id: str, note: str | None = None) -> Operation:
        return self._runner.run(self._client.undo(op_id, note))

    def approvals(self) -> list[Approval]:
        """Every approval the key may see (all pages)."""

        async def collect() -> list[Approval]:
            return [a async for a in self._client.approvals()]

        return self._runner.run(collect())

    def approve(self, approval_id: str, note: str | None = None) -> Any:
        return self._runner.run(self._client.approve(approval_id, note))

    def reject(self, approval_id: str, note: str | None = None) -> Any:
        return self._runner.run(self._client.reject(approval_id, note))

    def preview(
        self, action: str, code: str, note: str | None = None, **target: Any
    ) -> dict[str, Any]:
        return self._runner.run(self._client.preview(action, code, note, **target))

    def create_batch(
        self, action: str, code: str, note: str | None = None, **target: Any
    ) -> dict[str, Any]:
        return self._runner.run(self._client.create_batch(action, code, note, **target))

    def batch(self, batch_id: str) -> dict[str, Any]:
        return self._runner.run(self._client.batch(batch_id))

    def cancel_batch(self, batch_id: str) -> dict[str, Any]:
        return self._runner.run(self._client.cancel_batch(batch_id))

    def undo_batch(self, batch_id: str, note: str | None = None) -> dict[str, Any]:
        return self._runner.run(self._client.undo_batch(batch_id, note))

    def audit(self, *, limit: int = 50, **filters: Any) -> list[dict[str, Any]]:
        """At most ``limit`` audit records matching ``filters``, newest first."""

        async def collect() -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = []
            async for record in self._client.audit(page_size=min(limit, 200), **filters):
                found.append(record)
                if len(found) >= limit:
                    break
            return found

        return self._runner.run(collect())

    def stats(self, **filters: Any) -> dict[str, Any]:
        return self._runner.run(self._client.stats(**filters))

    def adapters(self) -> Any:
        return self._runner.run(self._client.adapters())

    def audit_verify(self) -> dict[str, Any]:
        return self._runner.run(self._client.audit_verify())
