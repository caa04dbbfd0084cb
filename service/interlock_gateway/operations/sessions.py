"""Reading sessions for a caller: the ownership read, visibility, and the filtered listing.

*Zero vendor calls for a session the caller may not see* is read here as: the one read that
tells us the session's position (``get_session``) is the only vendor call; it is never
followed by a write, a second read, or any other call, and its answer is the same 404 as
for a session that does not exist. The position can only come from the vendor — trusting
anything the client says about ownership would defeat the check — so the read is the
minimum. See docs/decisions/gateway-api.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from interlock.errors import InterlockError, InvalidRequest, SessionNotFound
from interlock.models import (
    Candidate,
    Session,
    SessionFilter,
    SessionRef,
    SessionState,
    candidate_matches,
)
from interlock.privacy import mask_name

from ..audit import AuditEntry
from ..policy import Action, Caller, Target, authorize
from ..problems import Problem, invalid_page_token
from ..store.tables import Operation
from . import audit_entries as audit
from .context import Context

__all__ = [
    "SessionPage",
    "SessionQuery",
    "list_visible",
    "not_found",
    "read_visible",
    "visible_target",
]


def not_found(ref: SessionRef) -> Problem:
    """The one answer for "does not exist" and "you may not see it"."""
    return Problem(
        404,
        "SESSION.NOT_FOUND",
        "Session not found",
        f"no session {ref.name} that you may see",
        hint="check the account and id; GET /v1/sessions lists the sessions you may see",
    )


async def read_visible(
    ctx: Context, caller: Caller, action: Action, ref: SessionRef, *, attempt: bool = False
) -> tuple[Session, Target]:
    """Read the session (the one ownership read) and check ``action`` on its position.

    :param attempt: the read serves a mutation: a missing session or a failed read is
        audited as well (a refusal by the policy always is).
    :raises Problem: 404 when it does not exist or the caller may not see it.
    """
    ctx.adapter(ref.account)
    try:
        session = await ctx.interlock.get_session(ref)
    except SessionNotFound:
        if attempt:
            await _audit(ctx, caller, action, Target(ref=ref), "not_found", {})
        raise not_found(ref) from None
    except InterlockError as error:
        if attempt:
            await _audit(ctx, caller, action, Target(ref=ref), "failed", {"error": error.code})
        raise
    target = Target.of_session(session)
    decision = authorize(caller, action, target, plugins=ctx.plugins)
    if not decision.allowed:
        details = {"rule": decision.rule_id}
        await _audit(ctx, caller, action, target, "denied", details, session.candidate.id)
        raise not_found(ref)
    return session, target


async def _audit(
    ctx: Context,
    caller: Caller,
    action: Action,
    target: Target,
    outcome: str,
    details: dict[str, str],
    candidate: str | None = None,
) -> None:
    entry = AuditEntry(
        actor=audit.actor_of(caller),
        action=str(action),
        target=audit.target_of(target, candidate),
        outcome=outcome,
        details=details,
    )
    await audit.record(ctx.db, ctx.trail, entry)


@dataclass(frozen=True)
class SessionQuery:
    """The filters of ``GET /v1/sessions`` (validated by the route), and two the console adds.

    ``candidate_name`` is a candidate's full name, matched whole against the unmasked name the
    adapter holds in memory (:func:`~interlock.models.candidate_matches`); for an adapter that
    keeps none, against the mask (``张伟`` → ``张*``: possibly others who share it, never
    fewer). ``position_title`` matches part of the title, ignoring case. Both are applied by
    the gateway to what the vendors list.
    """

    account: str | None = None
    vendor: str | None = None
    states: frozenset[SessionState] = frozenset()
    candidate: str | None = None
    position: str | None = None
    batch_no: str | None = None
    start_from: datetime | None = None
    start_to: datetime | None = None
    candidate_name: str | None = None
    position_title: str | None = None

    @property
    def gateway_filtered(self) -> bool:
        """Whether some filter is applied here after listing (pages may come out short)."""
        return bool(self.candidate_name or self.position_title)

    def matches(self, session: Session) -> bool:
        """The filters the gateway applies itself (the vendor side applied the rest)."""
        if self.candidate_name and not _is_named(self.candidate_name, session.candidate):
            return False
        title = (self.position_title or "").casefold()
        return not title or title in session.position.title.casefold()

    def session_filter(self) -> SessionFilter:
        """The SDK filter for the vendor side."""
        candidate = self.candidate
        if candidate is None and self.candidate_name:
            candidate = mask_name(self.candidate_name)  # narrows at the vendor side already
        return SessionFilter(
            states=self.states,
            candidate=candidate,
            position=self.position,
            batch_no=self.batch_no,
            start_from=self.start_from,
            start_to=self.start_to,
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored with a batch that was given this filter)."""
        return {
            "account": self.account,
            "vendor": self.vendor,
            "states": sorted(self.states),
            "candidate": self.candidate,
            "position": self.position,
            "batch_no": self.batch_no,
            "start_from": self.start_from.isoformat() if self.start_from else None,
            "start_to": self.start_to.isoformat() if self.start_to else None,
            "candidate_name": self.candidate_name,
            "position_title": self.position_title,
        }

    def as_record(self) -> dict[str, Any]:
        """What a batch stores of its filter: :meth:`as_dict` with the candidate texts masked.

        A recruiter may search by a candidate's full name, which must never be stored; the
        filter is kept for people to read (the batch's items name every session it selected),
        so the masked form (``张*``) is enough. An id is masked too: text cannot tell them apart.
        """
        record = self.as_dict()
        for key in ("candidate", "candidate_name"):
            if record[key] is not None:
                record[key] = mask_name(record[key])
        return record

    def digest(self, caller: Caller) -> str:
        """Binds a page token to this query and caller."""
        parts = [caller.name, self.account, self.vendor, sorted(self.states), self.candidate]
        parts += [self.position, self.batch_no, str(self.start_from), str(self.start_to)]
        if self.gateway_filtered:  # tokens issued before these filters existed stay valid
            parts += [self.candidate_name, self.position_title]
        return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:16]


#: Vendor pages read at most for one page of a listing filtered by the gateway itself.
_GATEWAY_FILTER_PAGES = 20


def _is_named(name: str, candidate: Candidate) -> bool:
    if candidate.full_name is None:  # an adapter that keeps no full name: the mask decides
        return candidate.masked_name == mask_name(name)
    return candidate_matches(name, candidate)


def _accounts(ctx: Context, query: SessionQuery) -> list[str]:
    names = sorted(ctx.interlock.accounts)
    if query.account is not None:
        ctx.adapter(query.account)
        names = [query.account]
    if query.vendor is not None:
        vendors = {ctx.interlock.accounts[n].vendor for n in ctx.interlock.accounts}
        if query.vendor not in vendors:
            raise Problem(
                400,
                "REQUEST.UNKNOWN_VENDOR",
                "Unknown vendor",
                f"no configured account uses vendor {query.vendor!r}",
                hint=f"vendors: {', '.join(sorted(vendors)) or 'none'}",
            )
        names = [n for n in names if ctx.interlock.accounts[n].vendor == query.vendor]
    return names


def _encode_token(digest: str, inner: str) -> str:
    raw = json.dumps({"q": digest, "t": inner}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str | None, digest: str) -> str | None:
    if not token:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid_page_token() from None
    if not isinstance(raw, dict) or raw.get("q") != digest or not isinstance(raw.get("t"), str):
        raise invalid_page_token()
    inner: str = raw["t"]
    return inner


@dataclass(frozen=True)
class SessionPage:
    """One page of sessions the caller may see, and the token of the next page."""

    sessions: list[Session]
    next_page_token: str | None = None


async def list_visible(
    ctx: Context, caller: Caller, query: SessionQuery, *, page_size: int, page_token: str | None
) -> SessionPage:
    """One page across the selected accounts, keeping only what the caller may see.

    A page may hold fewer than ``page_size`` sessions (the vendor's page is filtered after
    reading); ``next_page_token`` is absent only on the last page.
    """
    digest = query.digest(caller)
    inner = _decode_token(page_token, digest)
    names = _accounts(ctx, query)
    if not names:
        return SessionPage(sessions=[])
    visible: list[Session] = []
    # Filters applied here can leave a vendor page empty: read on (a bounded number of
    # pages) until the page has something to show, rather than hand out empty pages.
    for _ in range(_GATEWAY_FILTER_PAGES if query.gateway_filtered else 1):
        try:
            page = await ctx.interlock.list_sessions(
                query.session_filter(), accounts=names, page_size=page_size, page_token=inner
            )
        except InvalidRequest:  # the facade's own cursor check
            raise invalid_page_token() from None
        visible += [
            s
            for s in page.sessions
            if query.matches(s)
            and authorize(caller, Action.SESSIONS_LIST, Target.of_session(s), plugins=ctx.plugins)
        ]
        inner = page.next_page_token
        if inner is None or len(visible) >= page_size:
            break
    token = _encode_token(digest, inner) if inner else None
    return SessionPage(sessions=visible, next_page_token=token)


def visible_target(op: Operation, requester: str | None = None) -> Target:
    """The policy target of a stored operation: its position as the vendor reported it when
    the operation was accepted (later checks need no vendor call)."""
    ref = SessionRef(account=op.account, session_id=op.session_id)
    return Target.from_snapshot(ref, (op.details or {}).get("position", {}), requester)
