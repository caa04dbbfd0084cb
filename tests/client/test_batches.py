"""Preview, batch and its server-sent events against the real gateway, until it completes."""

from __future__ import annotations

from interlock.client import AsyncGatewayClient

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
