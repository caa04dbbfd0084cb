"""Vendor pushes: the account's adapter verifies and decodes them; verified events are audited.

The vendor's own signature is the authentication (no API key): nothing in a push is trusted
before ``parse_callback`` returned. Events are appended to the audit trail in one transaction
*before* the vendor is acknowledged, so a push that was acknowledged is never lost; if the
database fails the vendor gets an error and pushes again.
"""

from __future__ import annotations

from interlock.events import CallbackReply, CallbackRequest, SessionEvent

from ..audit import AuditActor, AuditEntry, AuditTarget
from ..policy import UNAUTHENTICATED, Action
from ..runtime import Runtime

__all__ = ["VENDOR_SIGNATURE_RULE", "receive"]

VENDOR_SIGNATURE_RULE = UNAUTHENTICATED[Action.CALLBACKS_RECEIVE].id
"""The policy rule that admits ``POST /v1/callbacks/{account}``: the adapter's verification."""


def _entry(account: str, vendor: str, event: SessionEvent, ip: str | None) -> AuditEntry:
    ref = event.ref
    return AuditEntry(
        actor=AuditActor(principal=f"vendor:{vendor}", role="vendor", ip=ip),
        action="callback",
        target=AuditTarget(account=account, session_id=ref.session_id if ref else None),
        state_after=str(event.state) if event.state else None,
        outcome="received",
        details={
            "event_id": event.event_id,
            "kind": event.kind,
            "occurred_at": event.occurred_at.isoformat() if event.occurred_at else None,
            "rule": VENDOR_SIGNATURE_RULE,
        },
    )


async def receive(
    runtime: Runtime, account: str, request: CallbackRequest, *, ip: str | None = None
) -> tuple[CallbackReply, int]:
    """Verify ``request`` with ``account``'s adapter, audit its events, return the reply.

    :returns: the reply the vendor expects and how many events the push carried.
    :raises interlock.errors.VendorAuthFailed: the signature did not verify (or a replay).
    :raises interlock.errors.UnsupportedOperation: the adapter takes no pushes.
    :raises interlock.errors.VendorProtocolError: verified, but not decodable.
    """
    adapter = runtime.interlock.accounts[account]
    result = adapter.parse_callback(request)
    if result.events:
        async with runtime.db.write() as session:
            for event in result.events:
                await runtime.trail.append(session, _entry(account, adapter.vendor, event, ip))
    return result.reply, len(result.events)
