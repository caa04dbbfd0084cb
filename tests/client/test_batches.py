"""Preview, batch and its server-sent events against the real gateway, until it completes."""

from __future__ import annotations

import pytest

from interlock.client import AsyncGatewayClient, Conflict

from .conftest import Served

ACCOUNT = "demo"


async def test_batch_from_a_preview_streams_until_done(served: Served) -> None:
    async with AsyncGatewayClient(served.url, served.keys["admin"]) as client:
        scheduled = [s async for s in client.sessions(account=ACCOUNT, state="scheduled")]
        names = [s.name for s in scheduled[:3]]
        assert names
        preview = await client.preview("revoke", "process_change", sessions=names)
        assert preview["confirm_token"]
        batch = await client.create_batch(
            "revoke", "process_change", sessions=names, confirm_token=preview["confirm_token"]
        )
        events = [e async for e in client.batch_events(batch["id"])]
        assert events[-1][0] == "done"
        assert (await client.batch(batch["id"]))["id"] == batch["id"]
        assert await client.adapters()


async def test_stats_and_audit(served: Served) -> None:
    async with AsyncGatewayClient(served.url, served.keys["admin"]) as client:
        running = [s async for s in client.sessions(account=ACCOUNT, state="in_progress")]
        await client.pause(ACCOUNT, running[-1].id, "candidate_device")
        assert isinstance(await client.stats(), dict)
        records = [r async for r in client.audit(page_size=2)]
        assert len(records) > 2
        exported = b"".join([chunk async for chunk in client.audit_export()])
        assert len(exported.splitlines()) >= len(records)
        assert isinstance(await client.audit_verify(), dict)


async def test_approval_approve_and_reject(served: Served) -> None:
    async with (
        AsyncGatewayClient(served.url, served.keys["spec"]) as spec,
        AsyncGatewayClient(served.url, served.keys["mgr"]) as manager,
    ):
        protected = [
            s
            async for s in spec.sessions(account=ACCOUNT, state="scheduled,in_progress,paused")
            if s.position.title == "Sales Director" and s.pending is None
        ]
        assert len(protected) >= 2
        first = await spec.terminate(ACCOUNT, protected[0].id, "process_change")
        second = await spec.terminate(ACCOUNT, protected[1].id, "process_change")
        assert first.approval is not None
        assert second.approval is not None
        waiting = {a.id async for a in manager.approvals()}
        assert {first.approval.id, second.approval.id} <= waiting
        await manager.approve(first.approval.id, "confirmed with the hiring manager")
        await manager.reject(second.approval.id, "not this one")
        assert (await spec.operation(second.id)).status != "awaiting_approval"


async def test_batch_cancel_and_undo(served: Served) -> None:
    async with AsyncGatewayClient(served.url, served.keys["admin"]) as client:
        scheduled = [
            s async for s in client.sessions(account=ACCOUNT, state="scheduled") if not s.pending
        ]
        names = [s.name for s in scheduled if s.position.title != "Sales Director"][:2]
        preview = await client.preview("terminate", "process_change", sessions=names)
        batch = await client.create_batch(
            "terminate", "process_change", sessions=names, confirm_token=preview["confirm_token"]
        )
        _ = [e async for e in client.batch_events(batch["id"])]
        undone = await client.undo_batch(batch["id"], "wrong batch")
        assert undone
        with pytest.raises(Conflict) as finished:
            await client.cancel_batch(batch["id"])
        assert finished.value.code == "BATCH.NOT_CANCELLABLE"
