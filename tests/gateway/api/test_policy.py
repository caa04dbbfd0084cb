"""The policy table and its plug-in hook, without HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from interlock import hookimpl
from interlock.models import SessionRef
from interlock.plugins import AuthorizationRequest, AuthorizationVote, get_plugin_manager
from interlock_gateway.policy import RULES, Action, Caller, Target, authorize, is_protected
from interlock_gateway.store.tables import Role

REF = SessionRef(account="demo", session_id="s1")
TARGET = Target(
    ref=REF,
    position_id="p-backend",
    department="rnd",
    level="senior",
    owner_ids=("user01", "hr-admin"),
)


def caller(role: Role, **kw: Any) -> Caller:
    return Caller(principal_id=1, name=kw.pop("name", "someone"), role=role, **kw)


CASES = [
    pytest.param(
        caller(Role.SPECIALIST, positions=frozenset({"demo/p-backend"})),
        True,
        id="specialist-granted-position",
    ),
    pytest.param(
        caller(Role.SPECIALIST, positions=frozenset({"other/p-backend"})),
        False,
        id="specialist-same-position-id-on-another-account",
    ),
    pytest.param(
        caller(Role.SPECIALIST, positions=frozenset({"p-backend"})),
        False,
        id="specialist-grant-without-account",
    ),
    pytest.param(
        caller(Role.SPECIALIST, vendor_users={"demo": frozenset({"user01"})}),
        True,
        id="specialist-linked-vendor-owner",
    ),
    pytest.param(
        caller(Role.SPECIALIST, vendor_users={"other": frozenset({"user01"})}),
        False,
        id="specialist-linked-on-another-account",
    ),
    pytest.param(caller(Role.SPECIALIST, name="user01"), False, id="name-equal-to-a-vendor-owner"),
    pytest.param(caller(Role.SPECIALIST, name="hr-admin"), False, id="name-equal-to-the-admin"),
    pytest.param(
        caller(Role.SPECIALIST, departments=frozenset({"demo/rnd"})),
        False,
        id="specialist-department-is-not-ownership",
    ),
    pytest.param(caller(Role.SPECIALIST), False, id="specialist-nothing"),
    pytest.param(
        caller(Role.MANAGER, departments=frozenset({"demo/rnd"})), True, id="manager-department"
    ),
    pytest.param(
        caller(Role.MANAGER, departments=frozenset({"other/rnd"})),
        False,
        id="manager-department-of-another-account",
    ),
    pytest.param(
        caller(Role.MANAGER, positions=frozenset({"demo/p-backend"})),
        True,
        id="manager-own-position",
    ),
    pytest.param(
        caller(Role.MANAGER, departments=frozenset({"demo/hr"})),
        False,
        id="manager-other-department",
    ),
    pytest.param(caller(Role.ADMIN), True, id="admin"),
    pytest.param(caller(Role.AUDITOR), False, id="auditor"),
]


@pytest.mark.parametrize(("who", "allowed"), CASES)
def test_terminate_scope(who: Caller, allowed: bool) -> None:
    decision = authorize(who, Action.SESSIONS_TERMINATE, TARGET)
    assert decision.allowed is allowed
    assert decision.rule_id
    assert decision.reason


def test_everything_not_in_the_table_is_denied() -> None:
    for role in Role:
        for action in Action:
            if action is Action.PUBLIC:
                continue
            decision = authorize(caller(role), action)
            assert decision.allowed is (action in RULES[role]), (role, action)
            if not decision.allowed:
                assert decision.rule_id == "default.deny"


def test_auditor_reads_audit_and_stats_only() -> None:
    assert set(RULES[Role.AUDITOR]) == {
        Action.AUDIT_READ,
        Action.AUDIT_VERIFY,
        Action.STATS_READ,
        Action.SELF_READ,  # who am I: what `interlock login` asks
    }


def test_approver_must_differ_from_requester() -> None:
    manager = caller(Role.MANAGER, name="mgr", departments=frozenset({"demo/rnd"}))
    own = Target(ref=REF, department="rnd", requester="mgr")
    other = Target(ref=REF, department="rnd", requester="spec")
    assert authorize(manager, Action.APPROVALS_DECIDE, own).rule_id == "approval.maker_checker"
    assert authorize(manager, Action.APPROVALS_DECIDE, other).allowed
    admin = caller(Role.ADMIN, name="mgr")
    assert not authorize(admin, Action.APPROVALS_DECIDE, own).allowed


def test_approving_needs_the_department_not_just_an_owned_position() -> None:
    manager = caller(Role.MANAGER, positions=frozenset({"demo/p-backend"}))
    assert not authorize(manager, Action.APPROVALS_DECIDE, TARGET).allowed


class _Plugin:
    def __init__(self, vote: AuthorizationVote | None, boom: bool = False) -> None:
        self.vote, self.boom = vote, boom
        self.seen: list[AuthorizationRequest] = []

    @hookimpl
    def interlock_authorize(self, request: AuthorizationRequest) -> AuthorizationVote | None:
        self.seen.append(request)
        if self.boom:
            raise RuntimeError("broken plug-in")
        return self.vote


def test_plugin_deny_wins() -> None:
    plugin = _Plugin(AuthorizationVote(allow=False, rule_id="night.freeze", reason="frozen"))
    plugins = get_plugin_manager(load_entry_points=False, plugins=[plugin])
    decision = authorize(caller(Role.ADMIN), Action.SESSIONS_TERMINATE, TARGET, plugins=plugins)
    assert (decision.allowed, decision.rule_id) == (False, "night.freeze")
    request = plugin.seen[0]
    assert (request.action, request.ref, request.attributes["department"]) == (
        "sessions:terminate",
        REF,
        "rnd",
    )


def test_plugin_allow_cannot_grant_what_the_table_denies() -> None:
    plugin = _Plugin(AuthorizationVote(allow=True, rule_id="yolo", reason="sure"))
    plugins = get_plugin_manager(load_entry_points=False, plugins=[plugin])
    decision = authorize(caller(Role.AUDITOR), Action.SESSIONS_TERMINATE, TARGET, plugins=plugins)
    assert not decision.allowed
    assert plugin.seen == []  # not even asked


def test_a_failing_plugin_fails_closed() -> None:
    plugins = get_plugin_manager(load_entry_points=False, plugins=[_Plugin(None, boom=True)])
    decision = authorize(caller(Role.ADMIN), Action.SESSIONS_READ, TARGET, plugins=plugins)
    assert (decision.allowed, decision.rule_id) == (False, "plugin.error")


@pytest.mark.parametrize(
    ("target", "protected"),
    [
        pytest.param(Target(level="executive"), True, id="protected-level"),
        pytest.param(Target(position_id="p-ceo"), True, id="protected-position"),
        pytest.param(Target(level="senior", position_id="p-x"), False, id="ordinary"),
        pytest.param(Target(), False, id="unknown-position"),
    ],
)
def test_protected_positions(target: Target, protected: bool) -> None:
    assert is_protected(target, levels=("executive",), positions=("p-ceo",)) is protected
