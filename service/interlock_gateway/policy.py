"""Who may do what: one deny-by-default :func:`authorize` driven by the :data:`RULES` table.

A decision has two halves. The *table* answers whether the role may perform the action at
all and within which *scope* (every session, the principal's departments, the positions it
owns). The *target* — the session's position exactly as the vendor reported it, or the
snapshot of it stored with an operation — is then matched against that scope. Client input
never takes part. Plug-ins may add rules through ``interlock_authorize``; a plug-in's deny
wins, and a plug-in's allow can never grant what the table denied.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from interlock.models import Session, SessionRef
from interlock.plugins import AuthorizationRequest, AuthorizationVote, LoadedPlugins

from .store.tables import Role

__all__ = [
    "RULES",
    "UNAUTHENTICATED",
    "Action",
    "Caller",
    "Decision",
    "Rule",
    "Scope",
    "Target",
    "authorize",
    "is_protected",
]

log = logging.getLogger("interlock.gateway.policy")


class Action(StrEnum):
    """Every action a route can declare. New routes add theirs here and to :data:`RULES`."""

    PUBLIC = "public"
    SELF_READ = "self:read"
    SESSIONS_LIST = "sessions:list"
    SESSIONS_READ = "sessions:read"
    SESSIONS_PAUSE = "sessions:pause"
    SESSIONS_RESUME = "sessions:resume"
    SESSIONS_TERMINATE = "sessions:terminate"
    SESSIONS_REVOKE = "sessions:revoke"
    OPERATIONS_READ = "operations:read"
    OPERATIONS_UNDO = "operations:undo"
    TASKS_READ = "tasks:read"
    TASKS_UPDATE = "tasks:update"
    APPROVALS_LIST = "approvals:list"
    APPROVALS_DECIDE = "approvals:decide"
    PREVIEWS_CREATE = "previews:create"
    BATCHES_CREATE = "batches:create"
    BATCHES_READ = "batches:read"
    BATCHES_CANCEL = "batches:cancel"
    AUDIT_READ = "audit:read"
    AUDIT_VERIFY = "audit:verify"
    STATS_READ = "stats:read"
    ADAPTERS_READ = "adapters:read"
    PRINCIPALS_READ = "principals:read"
    PRINCIPALS_MANAGE = "principals:manage"
    CALLBACKS_RECEIVE = "callbacks:receive"
    METRICS_READ = "metrics:read"


class Scope(StrEnum):
    """Which targets a rule covers."""

    ALL = "all"
    """Every target (and actions without a target)."""
    DEPARTMENT = "department"
    """Positions of the principal's departments, and the positions it owns."""
    MANAGED_DEPARTMENT = "managed_department"
    """Only positions of the principal's departments (approving is a manager's act)."""
    OWNED = "owned"
    """Positions the principal owns, on the target's account: granted to it
    (``account/position``), or naming one of its linked vendor users as an owner."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the table: its id (named in decisions and audit records) and scope."""

    id: str
    scope: Scope


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated principal as the policy sees it (from the database, never the client).

    :param positions: granted positions, ``account/position id``.
    :param departments: granted departments, ``account/department``.
    :param vendor_users: account → the vendor user ids this principal is, on that account.
    """

    principal_id: int
    name: str
    role: Role
    positions: frozenset[str] = frozenset()
    departments: frozenset[str] = frozenset()
    vendor_users: Mapping[str, frozenset[str]] = field(default_factory=dict)
    tenant: str = "default"
    key_id: str | None = None
    ip: str | None = None


@dataclass(frozen=True, slots=True)
class Target:
    """What an action is aimed at: a session's position as the vendor reported it.

    ``requester`` is set for approvals (maker-checker: the approver must be someone else).
    """

    ref: SessionRef | None = None
    position_id: str | None = None
    department: str | None = None
    level: str | None = None
    owner_ids: tuple[str, ...] = ()
    requester: str | None = None

    @classmethod
    def of_session(cls, session: Session) -> Target:
        """The target of a session read from the vendor."""
        position = session.position
        return cls(
            ref=session.ref,
            position_id=position.id,
            department=position.department,
            level=position.level,
            owner_ids=tuple(position.owner_ids),
        )

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready copy stored with an operation (so later checks need no vendor call)."""
        return {
            "position_id": self.position_id,
            "department": self.department,
            "level": self.level,
            "owner_ids": list(self.owner_ids),
        }

    @classmethod
    def from_snapshot(
        cls, ref: SessionRef, snapshot: dict[str, Any], requester: str | None = None
    ) -> Target:
        """The inverse of :meth:`snapshot`."""
        return cls(
            ref=ref,
            position_id=snapshot.get("position_id"),
            department=snapshot.get("department"),
            level=snapshot.get("level"),
            owner_ids=tuple(snapshot.get("owner_ids") or ()),
            requester=requester,
        )


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer: allowed or not, the deciding rule's id and a human reason."""

    allowed: bool
    rule_id: str
    reason: str
    scope: Scope | None = field(default=None)

    def __bool__(self) -> bool:
        return self.allowed


def _rules(scope: Scope, role: Role, actions: Iterable[Action]) -> dict[Action, Rule]:
    return {action: Rule(f"{role}.{action}", scope) for action in actions}


_SESSION_WORK = (
    Action.SESSIONS_LIST,
    Action.SESSIONS_READ,
    Action.SESSIONS_PAUSE,
    Action.SESSIONS_RESUME,
    Action.SESSIONS_TERMINATE,
    Action.SESSIONS_REVOKE,
    Action.OPERATIONS_READ,
    Action.OPERATIONS_UNDO,
    Action.TASKS_READ,
    Action.TASKS_UPDATE,
    Action.PREVIEWS_CREATE,
    Action.BATCHES_CREATE,
    Action.BATCHES_READ,
    Action.BATCHES_CANCEL,
)
_AUDIT = (Action.AUDIT_READ, Action.AUDIT_VERIFY, Action.STATS_READ, Action.SELF_READ)

#: role × action → rule. Anything not listed is denied.
RULES: dict[Role, dict[Action, Rule]] = {
    Role.SPECIALIST: {
        **_rules(Scope.OWNED, Role.SPECIALIST, _SESSION_WORK),
        **_rules(Scope.ALL, Role.SPECIALIST, (Action.ADAPTERS_READ, Action.SELF_READ)),
    },
    Role.MANAGER: {
        **_rules(Scope.DEPARTMENT, Role.MANAGER, _SESSION_WORK),
        **_rules(Scope.DEPARTMENT, Role.MANAGER, (Action.APPROVALS_LIST,)),
        **_rules(Scope.MANAGED_DEPARTMENT, Role.MANAGER, (Action.APPROVALS_DECIDE,)),
        **_rules(
            Scope.ALL, Role.MANAGER, (Action.ADAPTERS_READ, Action.STATS_READ, Action.SELF_READ)
        ),
    },
    Role.ADMIN: _rules(
        Scope.ALL,
        Role.ADMIN,
        (a for a in Action if a not in (Action.PUBLIC, Action.CALLBACKS_RECEIVE)),
    ),
    Role.AUDITOR: _rules(Scope.ALL, Role.AUDITOR, _AUDIT),
}

#: Actions of routes that take no API key, and the rule that admits a request instead.
UNAUTHENTICATED: dict[Action, Rule] = {
    Action.PUBLIC: Rule("public", Scope.ALL),
    Action.CALLBACKS_RECEIVE: Rule("vendor-signature", Scope.ALL),  # the adapter verifies it
}


def _owns(caller: Caller, target: Target) -> bool:
    # Always within the target's own account: vendors reuse id shapes, so a position id or a
    # vendor user id means nothing without its account. Nothing is matched by the
    # principal's own name.
    account = target.ref.account if target.ref is not None else None
    if account is None:
        return False
    if target.position_id is not None and f"{account}/{target.position_id}" in caller.positions:
        return True
    linked = caller.vendor_users.get(account, frozenset())
    return any(owner in linked for owner in target.owner_ids)


def _in_department(caller: Caller, target: Target) -> bool:
    account = target.ref.account if target.ref is not None else None
    return (
        account is not None
        and target.department is not None
        and f"{account}/{target.department}" in caller.departments
    )


def _in_scope(scope: Scope, caller: Caller, target: Target) -> bool:
    if scope is Scope.ALL:
        return True
    if scope is Scope.MANAGED_DEPARTMENT:
        return _in_department(caller, target)
    if scope is Scope.DEPARTMENT:
        return _in_department(caller, target) or _owns(caller, target)
    return _owns(caller, target)


def _table_decision(caller: Caller, action: Action, target: Target | None) -> Decision:
    if action is Action.PUBLIC:
        return Decision(True, "public", "public route")
    rule = RULES.get(caller.role, {}).get(action)
    if rule is None:
        return Decision(False, "default.deny", f"role {caller.role} may not {action}")
    if target is None:
        return Decision(True, rule.id, f"role {caller.role} may {action}", rule.scope)
    if action is Action.APPROVALS_DECIDE and target.requester == caller.name:
        return Decision(False, "approval.maker_checker", "the requester cannot approve")
    if not _in_scope(rule.scope, caller, target):
        return Decision(
            False, rule.id, f"{action} is limited to {rule.scope} positions", rule.scope
        )
    return Decision(True, rule.id, f"{action} within {rule.scope} positions", rule.scope)


def _plugin_votes(
    plugins: LoadedPlugins, caller: Caller, action: Action, target: Target | None
) -> list[AuthorizationVote]:
    hook = plugins.manager.hook.interlock_authorize
    if not hook.get_hookimpls():  # no policy plug-in: nothing to ask (a table's worth of rows
        return []  # would otherwise build a validated request per row and verb)
    request = AuthorizationRequest(
        principal=caller.name,
        role=str(caller.role),
        action=str(action),
        tenant=caller.tenant,
        ref=target.ref if target else None,
        attributes=target.snapshot() if target else {},
    )
    votes = hook(request=request)
    return [v for v in votes if isinstance(v, AuthorizationVote)]


def authorize(
    caller: Caller,
    action: Action,
    target: Target | None = None,
    *,
    plugins: LoadedPlugins | None = None,
) -> Decision:
    """Decide whether ``caller`` may perform ``action`` (on ``target``, when given).

    Without a target the answer is about the role (the route-level gate); with one, the
    rule's scope is matched against the target's position. Plug-in votes are asked only
    when the table allows, and any deny among them wins.
    """
    decision = _table_decision(caller, action, target)
    if not decision.allowed or plugins is None or action is Action.PUBLIC:
        return decision
    try:
        votes = _plugin_votes(plugins, caller, action, target)
    except Exception:  # a broken policy plug-in must fail closed, not open
        log.exception("interlock_authorize plug-in failed; denying")
        return Decision(False, "plugin.error", "a policy plug-in failed; denied to be safe")
    denial = next((v for v in votes if not v.allow), None)
    if denial is not None:
        return Decision(False, denial.rule_id, denial.reason)
    return decision


def is_protected(
    target: Target, *, levels: Iterable[str] = (), positions: Iterable[str] = ()
) -> bool:
    """Whether the target's position needs maker-checker approval for final verbs."""
    return (target.level is not None and target.level in set(levels)) or (
        target.position_id is not None and target.position_id in set(positions)
    )
