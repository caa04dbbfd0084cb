"""Previews: the impact of a batch request before anything happens.

The preview reads the sessions (the same resolution the batch will use), classifies them —
by state, vendor and account; answering right now; needing approval; refused by the verb's
transition table; held by a pending stop; not permitted; on accounts that cannot do the verb
— and estimates the vendor calls and the time from each account's rate limit. Its
``confirm_token`` binds the exact request to the caller for ``confirm_ttl`` (5 minutes).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from interlock.errors import InvalidTransition
from interlock.models import Reason, Session, SessionState, Verb
from interlock.transitions import plan_transition

from ..policy import Caller, Target, is_protected
from ..problems import Problem
from .accept import ACTION_OF
from .context import Context
from .pending import pending_stops
from .phases import FINAL_VERBS, Phase, first_phase
from .resolve import Resolved, Selection, resolve

__all__ = [
    "AccountEstimate",
    "BatchAsk",
    "Impact",
    "Preview",
    "classify",
    "estimate",
    "preview",
    "too_large",
]


@dataclass(frozen=True)
class BatchAsk:
    """A preview or batch request as the lifecycle sees it.

    :param digest: :func:`~.tokens.request_digest` of the request as the client sent it (the
        confirm token binds exactly that).
    """

    action: Verb
    selection: Selection
    reason: Reason
    digest: str
    confirm_token: str | None = None


@dataclass
class Impact:
    """How the resolved sessions divide up for a verb."""

    already: list[Session] = field(default_factory=list)
    invalid: list[Session] = field(default_factory=list)
    actionable: list[Session] = field(default_factory=list)
    protected: list[Session] = field(default_factory=list)
    pending_stop: list[Session] = field(default_factory=list)
    unsupported_accounts: list[str] = field(default_factory=list)


async def classify(ctx: Context, verb: Verb, resolved: Resolved) -> Impact:
    """Divide the sessions by what the verb would do to each."""
    impact = Impact()
    stops = await pending_stops(ctx.db, (s.ref for s, _ in resolved.sessions))
    for session, target in resolved.sessions:
        stop = stops.get((session.ref.account, session.ref.session_id))
        if stop is not None and stop.blocks_other_verbs:
            impact.pending_stop.append(session)
            continue
        try:
            transition = plan_transition(session.state, verb)
        except InvalidTransition:
            impact.invalid.append(session)
            continue
        if transition.already_in_state:
            impact.already.append(session)
            continue
        impact.actionable.append(session)
        if verb in FINAL_VERBS and _protected(ctx, target):
            impact.protected.append(session)
    accounts = sorted({s.ref.account for s, _ in resolved.sessions})
    impact.unsupported_accounts = [
        a for a in accounts if not ctx.interlock.adapter(a).capabilities.supports(verb)
    ]
    return impact


def _protected(ctx: Context, target: Target) -> bool:
    settings = ctx.settings
    return is_protected(
        target, levels=settings.protected_levels, positions=settings.protected_positions
    )


@dataclass(frozen=True)
class AccountEstimate:
    """Vendor calls and time one account needs, from its rate limit."""

    account: str
    vendor: str
    items: int
    vendor_calls: int
    rate_per_s: float | None
    seconds: float | None


def estimate(ctx: Context, verb: Verb, sessions: list[Session]) -> list[AccountEstimate]:
    """Vendor calls and seconds per account, from its native batch size and rate limit."""
    per_account = Counter(s.ref.account for s in sessions)
    holds = first_phase(verb, ctx.settings) is Phase.HOLD
    estimates = []
    for account, items in sorted(per_account.items()):
        size = ctx.native_size(account, verb)
        calls = math.ceil(items / size) if size > 1 else items
        if holds:  # read + pause now, the final verb at commit_at
            calls = items * 3
        rate = ctx.rates.get(account)
        estimates.append(
            AccountEstimate(
                account=account,
                vendor=ctx.vendor_of(account),
                items=items,
                vendor_calls=calls,
                rate_per_s=rate,
                seconds=round(calls / rate, 2) if rate else None,
            )
        )
    return estimates


def too_large(limit: int) -> Problem:
    """The problem for a request above the item limit."""
    return Problem(
        422,
        "BATCH.TOO_LARGE",
        "Too many sessions",
        f"a batch holds at most {limit} sessions",
        hint="split the request, or narrow the filter (e.g. by account or batch_no)",
        limit=limit,
    )


@dataclass(frozen=True)
class Preview:
    """The impact of a request, and the token that confirms it."""

    action: str
    total: int
    by_state: dict[str, int]
    by_vendor: dict[str, int]
    by_account: dict[str, int]
    answering_now: int
    already_in_state: int
    invalid_transition: list[str]
    pending_stop: list[str]
    needs_approval: list[str]
    not_permitted: list[str]
    unsupported_accounts: list[str]
    estimate_seconds: float | None
    vendor_calls: int
    accounts: list[AccountEstimate]
    requires_confirmation: bool
    confirm_token: str
    confirm_token_expires_at: datetime


async def preview(ctx: Context, caller: Caller, ask: BatchAsk) -> Preview:
    """The impact of ``ask`` for ``caller`` and a confirm token for it."""
    limit = ctx.settings.max_batch_items
    resolved = await resolve(ctx, caller, ask.selection, ACTION_OF[ask.action], limit)
    if resolved.too_many:
        raise too_large(limit)
    sessions = [s for s, _ in resolved.sessions]
    impact = await classify(ctx, ask.action, resolved)
    accounts = estimate(ctx, ask.action, impact.actionable)
    expires = ctx.clock() + ctx.batches.confirm_ttl
    ctx.previews.remember(caller.principal_id, ask.digest, expires, resolved)
    total = len(sessions) + len(resolved.not_permitted)
    return Preview(
        action=ask.action.value,
        total=total,
        by_state=dict(Counter(s.state.value for s in sessions)),
        by_vendor=dict(Counter(ctx.vendor_of(s.ref.account) for s in sessions)),
        by_account=dict(Counter(s.ref.account for s in sessions)),
        answering_now=sum(s.state is SessionState.IN_PROGRESS for s in sessions),
        already_in_state=len(impact.already),
        invalid_transition=[s.ref.name for s in impact.invalid],
        pending_stop=[s.ref.name for s in impact.pending_stop],
        needs_approval=[s.ref.name for s in impact.protected],
        not_permitted=resolved.not_permitted,
        unsupported_accounts=impact.unsupported_accounts,
        estimate_seconds=max((a.seconds or 0.0 for a in accounts), default=0.0),
        vendor_calls=sum(a.vendor_calls for a in accounts),
        accounts=accounts,
        requires_confirmation=total > ctx.batches.confirm_threshold,
        confirm_token=ctx.tokens.issue(ask.digest, caller.principal_id, expires),
        confirm_token_expires_at=expires,
    )
