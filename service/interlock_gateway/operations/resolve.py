"""From a request (session names or a filter) to the sessions it means, checked by the policy.

Names are grouped by account. A few names are read one by one; many are found by paging
through the account's listing (a page of 100 costs one vendor call instead of 100), and
whatever the listing did not show is read one by one. A filter is resolved by listing,
keeping only sessions the caller may touch — the same rule as ``GET /v1/sessions``.
Names that do not exist and names the caller may not touch are reported together, so the
answer never tells which sessions exist outside the caller's scope.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field

from interlock.errors import SessionNotFound
from interlock.models import Session, SessionFilter, SessionRef

from ..lanes import bulk
from ..policy import Action, Caller, Target, authorize
from ..problems import Problem
from .context import Context
from .read_budget import Spend, spending
from .sessions import SessionQuery

__all__ = ["Resolved", "Selection", "resolve"]

_LIST_FROM = 20  # names per account from which listing beats reading one by one
_PAGE = 100
_MAX_PAGES = 50


@dataclass(frozen=True)
class Selection:
    """What a preview or a batch acts on: session names, or a filter (exactly one)."""

    names: tuple[str, ...] | None = None
    filter: SessionQuery | None = None


@dataclass
class Resolved:
    """The sessions a request means, in request order, and the names it may not have."""

    sessions: list[tuple[Session, Target]] = field(default_factory=list)
    not_permitted: list[str] = field(default_factory=list)
    too_many: bool = False


def _refs(names: list[str], accounts: set[str]) -> list[SessionRef]:
    refs, bad = [], []
    for name in names:
        try:
            refs.append(SessionRef.parse(name))
        except ValueError:
            bad.append(name)
    if bad:
        raise Problem(
            422,
            "BATCH.INVALID_SESSION_NAME",
            "Invalid session name",
            f"{len(bad)} name(s) are not 'accounts/ACCOUNT/sessions/ID'",
            hint="use the names GET /v1/sessions returns",
            sessions=bad[:50],
        )
    if len({r.name for r in refs}) != len(refs):
        raise Problem(
            422,
            "BATCH.DUPLICATE_SESSIONS",
            "Duplicate sessions",
            "a session is named more than once",
            hint="name each session once",
        )
    unknown = sorted({r.account for r in refs} - accounts)
    if unknown:
        raise Problem(
            422,
            "BATCH.UNKNOWN_ACCOUNTS",
            "Unknown accounts",
            f"no configured account named {', '.join(unknown)}",
            hint=f"configured accounts: {', '.join(sorted(accounts)) or 'none'}",
            accounts=unknown,
        )
    return refs


async def _read_each(ctx: Context, refs: list[SessionRef], spend: Spend) -> dict[str, Session]:
    gate = asyncio.Semaphore(8)

    async def one(ref: SessionRef) -> Session | None:
        async with gate:
            await spend.take(1)
            try:
                return await ctx.interlock.get_session(ref)
            except SessionNotFound:
                return None

    found = await asyncio.gather(*(one(r) for r in refs))
    return {s.ref.name: s for s in found if s is not None}


async def _read_account(
    ctx: Context, account: str, refs: list[SessionRef], spend: Spend
) -> dict[str, Session]:
    if len(refs) < _LIST_FROM:
        return await _read_each(ctx, refs, spend)
    wanted = {r.name for r in refs}
    found: dict[str, Session] = {}
    token: str | None = None
    for _ in range(_MAX_PAGES):
        await spend.take(1)
        page = await ctx.interlock.list_sessions(
            SessionFilter(), accounts=[account], page_size=_PAGE, page_token=token
        )
        found.update((s.ref.name, s) for s in page.sessions if s.ref.name in wanted)
        token = page.next_page_token
        if token is None:
            return found  # the whole account was listed: the others do not exist
        if len(found) == len(wanted):
            break
    # Only when listing stopped early: a session is read once, by the list or here.
    rest = [r for r in refs if r.name not in found]
    return found | await _read_each(ctx, rest, spend)


async def _by_names(
    ctx: Context, caller: Caller, action: Action, names: list[str], spend: Spend
) -> Resolved:
    refs = _refs(names, set(ctx.interlock.accounts))
    by_account: dict[str, list[SessionRef]] = defaultdict(list)
    for ref in refs:
        by_account[ref.account].append(ref)
    parts = await asyncio.gather(*(_read_account(ctx, a, r, spend) for a, r in by_account.items()))
    found = {name: s for part in parts for name, s in part.items()}
    resolved = Resolved()
    for ref in refs:
        session = found.get(ref.name)
        target = Target.of_session(session) if session is not None else None
        if target is None or not authorize(caller, action, target, plugins=ctx.plugins):
            resolved.not_permitted.append(ref.name)
        else:
            resolved.sessions.append((session, target))  # type: ignore[arg-type]
    return resolved


def _filter_accounts(ctx: Context, spec: SessionQuery) -> list[str]:
    accounts = ctx.interlock.accounts
    names = sorted(accounts)
    if spec.account is not None:
        if spec.account not in accounts:
            raise Problem(
                422,
                "BATCH.UNKNOWN_ACCOUNTS",
                "Unknown account",
                f"no configured account named {spec.account!r}",
                hint=f"configured accounts: {', '.join(names) or 'none'}",
            )
        names = [spec.account]
    if spec.vendor is not None:
        names = [n for n in names if accounts[n].vendor == spec.vendor]
    return names


async def _by_filter(
    ctx: Context, caller: Caller, action: Action, spec: SessionQuery, limit: int, spend: Spend
) -> Resolved:
    session_filter = spec.session_filter()
    resolved = Resolved()
    accounts = _filter_accounts(ctx, spec)
    if not accounts:
        return resolved
    scanned = 0
    async for session in ctx.interlock.sessions(session_filter, accounts=accounts, page_size=_PAGE):
        if scanned % _PAGE == 0:
            await spend.take(1)  # about one vendor call per page scanned
        scanned += 1
        if not spec.matches(session):
            continue
        target = Target.of_session(session)
        if authorize(caller, action, target, plugins=ctx.plugins):
            resolved.sessions.append((session, target))
            if len(resolved.sessions) > limit:
                resolved.too_many = True
                break
    return resolved


async def resolve(
    ctx: Context, caller: Caller, selection: Selection, action: Action, limit: int
) -> Resolved:
    """The sessions ``selection`` means, read in ``caller``'s bulk lane (interactive
    operations go first; see lanes.py). :raises Problem: malformed names or no selector."""
    async with spending(ctx, caller, _estimate(ctx, selection, limit)) as spend:
        with bulk(caller.name):
            return await _resolve(ctx, caller, selection, action, limit, spend)


def _estimate(ctx: Context, selection: Selection, limit: int) -> int:
    """Vendor calls a selection is charged up front (more is charged if it needs more)."""
    names = selection.names
    if names is None:  # a filter: a page per hundred items of its limit, in every account
        return -(-(limit + 1) // _PAGE) * max(1, len(ctx.interlock.accounts))
    if len(names) > limit:
        return 0  # refused before any read
    per_account: dict[str, int] = defaultdict(int)
    for name in names:
        per_account[name.split("/")[1] if "/" in name else ""] += 1  # accounts/A/sessions/…
    # Few names are read one by one; more are found on list pages (see _read_account).
    return sum(n if n < _LIST_FROM else min(n, _MAX_PAGES) for n in per_account.values())


async def _resolve(
    ctx: Context, caller: Caller, selection: Selection, action: Action, limit: int, spend: Spend
) -> Resolved:
    if (selection.names is None) == (selection.filter is None):
        raise Problem(
            422,
            "BATCH.SELECTOR",
            "Sessions or filter",
            "give exactly one of 'sessions' (names) and 'filter'",
            hint='e.g. {"action": "pause", "filter": {"states": ["in_progress"]}, ...}',
        )
    if selection.names is not None:
        if len(selection.names) > limit:
            return Resolved(too_many=True)
        return await _by_names(ctx, caller, action, list(selection.names), spend)
    assert selection.filter is not None
    return await _by_filter(ctx, caller, action, selection.filter, limit, spend)
