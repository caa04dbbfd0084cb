"""Administering principals with an audit record for every change (the CLI and the API).

Adding a principal, linking it to vendor users on an account, granting or revoking
``account/id`` positions and departments, and revoking it are each one transaction with the
audit record that says who changed what, from what, to what (action ``principal.<change>``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from .. import principals as store
from ..audit import AuditActor, AuditEntry, AuditTrail
from ..store import Database
from ..store.tables import Role

__all__ = ["add", "grant", "link", "list_all", "revoke", "unowned_warning"]


def _links(info: store.PrincipalInfo) -> dict[str, Any]:
    return {
        "vendor_users": {a: list(ids) for a, ids in info.vendor_users.items()},
        "positions": list(info.positions),
        "departments": list(info.departments),
    }


def _entry(actor: AuditActor, change: str, name: str, details: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        actor=actor,
        action=f"principal.{change}",
        outcome="applied",
        details={"principal": name, **details},
    )


async def add(
    db: Database,
    trail: AuditTrail,
    actor: AuditActor,
    name: str,
    role: Role | str,
    *,
    vendor_users: Mapping[str, Sequence[str]] | None = None,
    positions: Sequence[str] = (),
    departments: Sequence[str] = (),
    accounts: Collection[str] | None = None,
) -> store.NewPrincipal:
    """Create a principal (its key is returned once) and audit it."""
    async with db.write() as session:
        created = await store.create_principal(
            session,
            name,
            role,
            positions=positions,
            departments=departments,
            vendor_users=vendor_users,
            accounts=accounts,
        )
        details: dict[str, Any] = {"role": str(created.principal.role)}
        details |= {"key_id": created.key_id, "after": _links(created.principal)}
        await trail.append(session, _entry(actor, "add", name, details))
    return created


async def link(
    db: Database,
    trail: AuditTrail,
    actor: AuditActor,
    name: str,
    account: str,
    user_ids: Sequence[str],
    *,
    accounts: Collection[str] | None = None,
) -> store.PrincipalInfo:
    """Set the vendor user ids ``name`` is on ``account`` (none: unlink), audited."""
    async with db.write() as session:
        before, after = await store.link_vendor_users(
            session, name, account, user_ids, accounts=accounts
        )
        change = "link" if user_ids else "unlink"
        details = {"account": account, "before": _links(before), "after": _links(after)}
        await trail.append(session, _entry(actor, change, name, details))
    return after


async def grant(
    db: Database,
    trail: AuditTrail,
    actor: AuditActor,
    name: str,
    *,
    positions: Sequence[str] = (),
    departments: Sequence[str] = (),
    revoke: bool = False,
    accounts: Collection[str] | None = None,
) -> store.PrincipalInfo:
    """Grant (or take back) ``account/id`` positions and departments, audited."""
    async with db.write() as session:
        before, after = await store.grant(
            session,
            name,
            positions=positions,
            departments=departments,
            revoke=revoke,
            accounts=accounts,
        )
        details = {"before": _links(before), "after": _links(after)}
        await trail.append(session, _entry(actor, "ungrant" if revoke else "grant", name, details))
    return after


async def revoke(
    db: Database, trail: AuditTrail, actor: AuditActor, name: str
) -> store.PrincipalInfo:
    """Revoke a principal and all its keys, audited."""
    async with db.write() as session:
        info = await store.revoke_principal(session, name)
        await trail.append(session, _entry(actor, "revoke", name, {}))
    return info


async def list_all(db: Database) -> list[store.PrincipalInfo]:
    """Every principal, revoked ones included, by name."""
    async with db.session() as session:
        return await store.list_principals(session)


def unowned_warning(info: store.PrincipalInfo) -> str | None:
    """Why a specialist or manager can see nothing yet, or ``None``."""
    if info.role not in (Role.SPECIALIST, Role.MANAGER):
        return None
    if info.vendor_users or info.positions or info.departments:
        return None
    legacy = "; its grants without an account grant nothing" if info.legacy_grants else ""
    return (
        f"{info.name} owns nothing yet{legacy}: link it to vendor users "
        "(--vendor-user ACCOUNT=ID) or grant ACCOUNT/POSITION or ACCOUNT/DEPARTMENT"
    )
