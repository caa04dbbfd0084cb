"""Route gates: the action every HTTP route declares, for the API and the console alike.

Both HTTP layers declare a route's action as a FastAPI dependency whose callable is a
:class:`Gate` — the API's ``Authorize``/``Declare`` (``api/deps.py``), the console's
``Allow``/``Public`` (``console/gate.py``). :func:`declared_action` reads the declaration
back from a route, so ``create_app`` can refuse to start with a route (or a mounted app) that
declares nothing, whichever layer it belongs to. :func:`enforce` is the one role check both
run: the policy's :func:`~interlock_gateway.policy.authorize`, a refusal audited and raised as
a 403 :class:`~interlock_gateway.problems.Problem` (problem+json on the API, a page in the
user's language on the console).

It sits below ``api`` and ``console`` (which may not import each other) and above
``operations``.
"""

from __future__ import annotations

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Mount

from .audit import AuditEntry
from .operations import audit_entries as audit
from .operations.context import Context
from .policy import Action, Caller, authorize
from .problems import Problem

__all__ = ["Gate", "declared_action", "declared_mount", "enforce", "public_mount"]

_MOUNT_ACTION = "interlock_action"


class Gate:
    """Base of every declaring dependency: ``action`` is the route's declaration."""

    def __init__(self, action: Action) -> None:
        self.action = action


async def enforce(ctx: Context, caller: Caller, action: Action, path: str) -> None:
    """Refuse (403, audited) unless ``caller``'s role may perform ``action`` at all.

    Checks that need the target (a session's position) happen in the operations, with the
    same policy function.
    """
    decision = authorize(caller, action, plugins=ctx.plugins)
    if decision.allowed:
        return
    await audit.record(
        ctx.db,
        ctx.trail,
        AuditEntry(
            actor=audit.actor_of(caller),
            action=str(action),
            outcome="denied",
            details={"rule": decision.rule_id, "path": path},
        ),
    )
    raise Problem(
        403,
        "INTERLOCK.POLICY_DENIED",
        "Denied by policy",
        decision.reason,
        hint="ask an admin for a role that allows this action",
        rule=decision.rule_id,
    )


def declared_action(route: APIRoute) -> Action | None:
    """The action a route declares through a :class:`Gate` dependency, if any."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        if isinstance(dependant.call, Gate):
            return dependant.call.action
        pending.extend(dependant.dependencies)
    return None


def public_mount(mount: Mount) -> Mount:
    """Declare a mounted app (static files) public: it serves the same bytes to anyone."""
    setattr(mount, _MOUNT_ACTION, Action.PUBLIC)
    return mount


def declared_mount(route: BaseRoute) -> Action | None:
    """The action a mounted app was declared with by :func:`public_mount`, if any."""
    action = getattr(route, _MOUNT_ACTION, None)
    return action if isinstance(action, Action) else None
