"""A running gateway for tests: the app on a real database, the sandbox vendor, four roles.

:class:`Harness` starts ``create_app`` with its lifespan, an injected :class:`FakeClock`,
the in-process sandbox vendor (whose double counts every request and mutation), and a set
of principals whose scopes are defined by the sandbox world's positions:

=============  ==========================================================================
principal      scope
=============  ==========================================================================
spec           specialist owning "Backend Engineer" (rnd) and "Sales Director" (sales,
               executive → protected)
mgr, mgr2      managers of rnd+sales and of sales
mgr_hr         manager of hr only
admin          admin
auditor        auditor
=============  ==========================================================================
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from interlock import Interlock, get_plugin_manager
from interlock.adapter import AccountContext, InterviewAdapter
from interlock.capabilities import Capabilities, CapabilityLevel
from interlock.models import SessionState
from interlock_gateway.app import create_app
from interlock_gateway.principals import create_principal
from interlock_gateway.runtime import Runtime
from interlock_gateway.settings import GatewaySettings, NotificationSettings
from interlock_gateway.store.tables import AuditRecord, IdempotencyKey, Operation
from interlock_sandbox.adapter import SandboxAdapter
from interlock_sandbox.double import SandboxDouble

__all__ = ["FakeClock", "Harness", "NoPauseSandbox", "gateway", "make_interlock"]

ACCOUNT = "demo"
NO_PAUSE_ACCOUNT = "nopause"
PRINCIPALS: dict[str, dict[str, Any]] = {
    "spec": {"role": "specialist", "positions": ("Backend Engineer", "Sales Director")},
    "mgr": {"role": "manager", "departments": ("rnd", "sales")},
    "mgr2": {"role": "manager", "departments": ("sales",)},
    "mgr_hr": {"role": "manager", "departments": ("hr",)},
    "admin": {"role": "admin"},
    "auditor": {"role": "auditor"},
}


class FakeClock:
    """An aware-UTC clock that moves only when told to (starts at the real time)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class NoPauseSandbox(SandboxAdapter):
    """The sandbox without pause and resume (like a vendor that cannot hold a candidate)."""

    @property
    def capabilities(self) -> Capabilities:
        unsupported = CapabilityLevel.UNSUPPORTED
        return super().capabilities.model_copy(update={"pause": unsupported, "resume": unsupported})


def make_interlock() -> Interlock:
    """Two in-process sandbox accounts: ``demo`` (every verb) and ``nopause``."""
    adapters: dict[str, InterviewAdapter] = {
        ACCOUNT: SandboxAdapter(AccountContext(account=ACCOUNT)),
        NO_PAUSE_ACCOUNT: NoPauseSandbox(AccountContext(account=NO_PAUSE_ACCOUNT)),
    }
    return Interlock(adapters, plugins=get_plugin_manager(load_entry_points=False))


def gateway_settings(database_url: str, data_dir: str, **overrides: Any) -> GatewaySettings:
    """Settings for tests: short windows in seconds, no migrations (the template has them)."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "data_dir": data_dir,
        "run_migrations": False,
        "undo_window": timedelta(seconds=60),
        "resume_window": timedelta(seconds=300),
        "sync_wait": timedelta(seconds=5),
        "worker_poll_interval": timedelta(milliseconds=50),
        "worker_lease": timedelta(seconds=30),
        "mutation_rate": 0,
        **overrides,
    }
    return GatewaySettings(**values)


@dataclass
class Harness:
    """The app, an HTTP client on it, and handles on everything a test inspects."""

    app: FastAPI
    client: httpx.AsyncClient
    clock: FakeClock
    interlock: Interlock
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    def double(self, account: str = ACCOUNT) -> SandboxDouble:
        adapter = self.interlock.accounts[account]
        assert isinstance(adapter, SandboxAdapter)
        assert adapter.double is not None
        return adapter.double

    def headers(self, who: str, key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.keys[who]}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    def position_id(self, title: str, account: str = ACCOUNT) -> str:
        return next(p.id for p in self.double(account).world.positions if p.title == title)

    def session(self, title: str, state: SessionState, account: str = ACCOUNT) -> str:
        """A fresh session of the position ``title`` in ``state``."""
        world = self.double(account).world
        index = next(i for i, p in enumerate(world.positions) if p.title == title)
        return world.add(state, index=index).id

    def state(self, session_id: str, account: str = ACCOUNT) -> SessionState:
        return self.double(account).world.get(session_id).state

    def mutations(self, account: str = ACCOUNT) -> int:
        """State changes the vendor carried out (same-state verbs are not counted)."""
        return sum(self.double(account).mutation_counts.values())

    def calls(self, account: str = ACCOUNT, *, mutating: bool | None = None) -> int:
        """Session API requests the vendor received (token requests excluded)."""
        return sum(
            1
            for r in self.double(account).requests
            if not r.path.startswith("/oauth") and (mutating is None or r.mutation == mutating)
        )

    async def post(self, path: str, who: str, body: Any, key: str | None = None) -> httpx.Response:
        return await self.client.post(path, headers=self.headers(who, key), json=body)

    async def verb(
        self,
        verb: str,
        session_id: str,
        who: str = "admin",
        key: str | None = "auto",
        account: str = ACCOUNT,
        **reason: Any,
    ) -> httpx.Response:
        """POST a verb with ``reason`` (default ``operator_error``) and an automatic key."""
        key = f"{verb}-{session_id}-{who}" if key == "auto" else key
        body = {"reason": reason or {"code": "operator_error"}}
        path = f"/v1/accounts/{account}/sessions/{session_id}/{verb}"
        return await self.post(path, who, body, key)

    async def audit(self) -> list[AuditRecord]:
        async with self.runtime.db.session() as session:
            return list(await session.scalars(select(AuditRecord).order_by(AuditRecord.seq)))

    async def audit_since(self, seq: int) -> list[AuditRecord]:
        return [r for r in await self.audit() if r.seq > seq]

    async def last_seq(self) -> int:
        records = await self.audit()
        return records[-1].seq if records else 0

    async def operations(self) -> list[Operation]:
        async with self.runtime.db.session() as session:
            return list(await session.scalars(select(Operation).order_by(Operation.created_at)))

    async def operation(self, op_id: str) -> Operation:
        async with self.runtime.db.session() as session:
            op = await session.get(Operation, op_id)
        assert op is not None
        return op

    async def count(self, table: type[Any]) -> int:
        async with self.runtime.db.session() as session:
            return int(await session.scalar(select(func.count()).select_from(table)) or 0)

    async def count_operations(self) -> int:
        return await self.count(Operation)

    async def idempotency_rows(self) -> int:
        return await self.count(IdempotencyKey)

    async def settle(self) -> None:
        """Run the worker until nothing is due or running."""
        await self.runtime.worker.settle()


async def _create_principals(harness: Harness, names: Sequence[str]) -> None:
    async with harness.runtime.db.write() as session:
        for name in names:
            spec = PRINCIPALS[name]
            # Grants are per account: the sandbox accounts share a world, so each gets them.
            accounts = list(harness.interlock.accounts)
            positions = [
                f"{a}/{harness.position_id(t)}" for a in accounts for t in spec.get("positions", ())
            ]
            departments = [f"{a}/{d}" for a in accounts for d in spec.get("departments", ())]
            created = await create_principal(
                session, name, spec["role"], positions=positions, departments=departments
            )
            harness.keys[name] = created.key


@contextlib.asynccontextmanager
async def gateway(
    settings: GatewaySettings,
    *,
    clock: FakeClock | None = None,
    interlock: Interlock | None = None,
    principals: Sequence[str] | None = tuple(PRINCIPALS),
    keys: dict[str, str] | None = None,
    notifications: NotificationSettings | None = None,
) -> AsyncIterator[Harness]:
    """Start a gateway (lifespan included); stop it on exit. Reuse ``interlock`` and
    ``keys`` to restart on the same database and vendor."""
    clock = clock or FakeClock()
    interlock = interlock or make_interlock()
    # No [notifications] unless a test routes some (the config file may not exist).
    notifications = notifications or NotificationSettings()
    app = create_app(settings, interlock=interlock, clock=clock, notifications=notifications)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
            harness = Harness(app, client, clock, interlock, dict(keys or {}))
            if principals and not keys:
                await _create_principals(harness, principals)
            # One read warms the vendor token, so tests count only their own calls.
            for account, adapter in interlock.accounts.items():
                await adapter.check_health()
                if isinstance(adapter, SandboxAdapter):
                    harness.double(account).requests.clear()
            yield harness
