"""The role gate of a console page: the same :func:`~interlock_gateway.policy.authorize` as
the API's routes, refusals audited the same way, shown as a page in the user's language."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from ..audit import AuditEntry
from ..operations import audit_entries as audit
from ..policy import Action, authorize
from ..problems import Problem
from .messages import refusal_of
from .web import Page, context_of, gettext, render

__all__ = ["allowed"]


async def allowed(request: Request, page: Page, action: Action) -> HTMLResponse | None:
    """``None`` when the user's role may perform ``action``; otherwise the 403 page."""
    assert page.user is not None
    ctx = context_of(request)
    decision = authorize(page.user.caller, action, plugins=ctx.plugins)
    if decision.allowed:
        return None
    await audit.record(
        ctx.db,
        ctx.trail,
        AuditEntry(
            actor=audit.actor_of(page.user.caller),
            action=str(action),
            outcome="denied",
            details={"rule": decision.rule_id, "path": request.url.path},
        ),
    )
    problem = Problem(403, "INTERLOCK.POLICY_DENIED", "Denied by policy", decision.reason)
    return render(page, "error.html", status=403, refusal=refusal_of(problem, gettext(page)))
