"""Pure functions between the sandbox vendor's shapes and Interlock's neutral models."""

from __future__ import annotations

from interlock.models import Candidate, Position, Session, SessionRef, SessionState
from interlock.privacy import mask_name, mask_phone
from interlock_sandbox._models import VendorSession

__all__ = ["STATE_TABLE", "VENDOR_STATUS_OF", "to_session", "to_state"]

STATE_TABLE: dict[str, SessionState] = {
    "SCHEDULED": SessionState.SCHEDULED,
    "RUNNING": SessionState.IN_PROGRESS,
    "ON_HOLD": SessionState.PAUSED,
    "FINISHED": SessionState.COMPLETED,
    "STOPPED": SessionState.TERMINATED,
    "WITHDRAWN": SessionState.REVOKED,
    "LAPSED": SessionState.EXPIRED,
}
VENDOR_STATUS_OF = {state: status for status, state in STATE_TABLE.items()}


def to_state(status: str) -> SessionState:
    """A vendor status we do not know is ``unknown`` — never a guess."""
    return STATE_TABLE.get(status, SessionState.UNKNOWN)


def to_session(account: str, raw: VendorSession) -> Session:
    return Session(
        ref=SessionRef(account=account, session_id=raw.id),
        state=to_state(raw.status),
        vendor_state=raw.status,
        candidate=Candidate(
            id=raw.candidate.id,
            masked_name=mask_name(raw.candidate.name),
            full_name=raw.candidate.name or None,  # in memory only: for search (see Candidate)
            masked_phone=mask_phone(raw.candidate.phone) if raw.candidate.phone else None,
        ),
        position=Position(
            id=raw.position.id,
            title=raw.position.title,
            level=raw.position.level,
            department=raw.position.department,
            owner_ids=tuple(raw.position.owners),
        ),
        batch_no=raw.batch_no,
        scheduled_at=raw.scheduled_at,
        started_at=raw.started_at,
        progress=raw.progress,
        resume_deadline=raw.resume_deadline,
    )
