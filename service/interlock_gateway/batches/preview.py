"""``POST /v1/previews``: the impact of a batch request before anything happens.

The preview reads the sessions (the same resolution the batch will use), classifies them —
by state, vendor and account; answering right now; needing approval; refused by the verb's
transition table; not permitted; on accounts that cannot do the verb — and estimates the
vendor calls and the time from each account's rate limit. Its ``confirm_token`` binds the
exact request to the caller for ``confirm_ttl`` (5 minutes).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from interlock.errors import InvalidTransition
from interlock.models import Session, SessionState, Verb
from interlock.transitions import plan_transition

from ..api.problems import Problem
from ..policy import Caller, Target, is_protected
from ..runtime import Runtime
from ..services.operations import ACTION_OF, FINAL_VERBS
from .resolve import Resolved, resolve
from .schemas import AccountEstimate, PreviewOut, PreviewRequest
from .tokens import request_digest

__all__ = ["Impact", "classify", "estimate", "preview", "too_large"]


@dataclass
class Impact:
    """How the resolved sessions divide up for a verb."""

    already: list[Session]
    invalid: list[Session]
    actionable: list[Session]
    protected: list[Session]
    unsupported_accounts: list[str]


def classify(runtime: Runtime, verb: Verb, resolved: Resolved) -> Impact:
    """Divide the sessions by what the verb would do to each."""
    impact = Impact([], [], [], [], [])
    for session, target in resolved.sessions:
        try:
            transition = plan_transition(session.state, verb)
        except InvalidTransition:
            impact.invalid.append(session)
            continue
        if transition.already_in_state:
            impact.already.append(session)
            continue
        impact.actionable.append(session)
        if verb in FINAL_VERBS and _protected(runtime, target):
            impact.protected.append(session)
    accounts = sorted({s.ref.account for s, _ in resolved.sessions})
    impact.unsupported_accounts = [
        a for a in accounts if not runtime.interlock.adapter(a).capabilities.supports(verb)
    ]
    return impact


def _protected(runtime: Runtime, target: Target) -> bool:
    settings = runtime.settings
    return is_protected(
        target, levels=settings.protected_levels, positions=settings.protected_positions
    )


def estimate(runtime: Runtime, verb: Verb, sessions: list[Session]) -> list[AccountEstimate]:
    """Vendor calls and seconds per account, from its native batch size and rate limit."""
    engine = runtime.batches
    per_account = Counter(s.ref.account for s in sessions)
    hold = verb in FINAL_VERBS and runtime.settings.undo_window.total_seconds() > 0
    estimates = []
    for account, items in sorted(per_account.items()):
        adapter = runtime.interlock.adapter(account)
        size = engine.native_size(account, verb)
        calls = math.ceil(items / size) if size > 1 else items
        if hold:  # read + pause now, the final verb at commit_at
            calls = items * 3
        rate = engine.rate(account)
        estimates.append(
            AccountEstimate(
                account=account,
                vendor=adapter.vendor,
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


async def preview(runtime: Runtime, caller: Caller, request: PreviewRequest) -> PreviewOut:
    """The impact of ``request`` for ``caller`` and a confirm token for it."""
    verb = Verb(request.action)
    limit = runtime.settings.max_batch_items
    resolved = await resolve(runtime, caller, request, ACTION_OF[verb], limit)
    if resolved.too_many:
        raise too_large(limit)
    sessions = [s for s, _ in resolved.sessions]
    impact = classify(runtime, verb, resolved)
    accounts = estimate(runtime, verb, impact.actionable)
    now = runtime.clock()
    expires = now + runtime.batches.settings.confirm_ttl
    digest = request_digest(request.model_dump(mode="json"))
    runtime.batches.remember(caller.principal_id, digest, expires, resolved)
    total = len(sessions) + len(resolved.not_permitted)
    return PreviewOut(
        action=request.action,
        total=total,
        by_state=dict(Counter(s.state.value for s in sessions)),
        by_vendor=dict(Counter(runtime.interlock.adapter(s.ref.account).vendor for s in sessions)),
        by_account=dict(Counter(s.ref.account for s in sessions)),
        answering_now=sum(s.state is SessionState.IN_PROGRESS for s in sessions),
        already_in_state=len(impact.already),
        invalid_transition=[s.ref.name for s in impact.invalid],
        needs_approval=[s.ref.name for s in impact.protected],
        not_permitted=resolved.not_permitted,
        unsupported_accounts=impact.unsupported_accounts,
        estimate_seconds=max((a.seconds or 0.0 for a in accounts), default=0.0),
        vendor_calls=sum(a.vendor_calls for a in accounts),
        accounts=accounts,
        requires_confirmation=total > runtime.batches.settings.confirm_threshold,
        confirm_token=runtime.batches.tokens.issue(digest, caller.principal_id, expires),
        confirm_token_expires_at=expires,
    )
