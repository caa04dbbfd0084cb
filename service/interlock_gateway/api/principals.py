"""``/v1/principals``: who may call the gateway and what they own (admins only).

Ownership is explicit and per account: a principal is linked to vendor user ids on each
account, and may be granted ``account/position`` and ``account/department``. Every change is
audited with what it was before and after. Keys are shown once, when a principal is created.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from interlock.models import ACCOUNT_NAME_PATTERN

from ..operations import audit_entries as audit
from ..operations import principal_admin
from ..operations.context import Context
from ..policy import Action, Caller
from ..principals import NAME_PATTERN, PrincipalExists, PrincipalInfo, PrincipalNotFound
from ..problems import Problem
from ..store.tables import Role
from .deps import Authorize, ContextDep, KeysDep
from .problem_examples import CODE_KEY

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["principals"])
T = TypeVar("T")

PrincipalName = Annotated[
    str, Path(pattern=r"^\w[\w.@-]{0,99}$", description="the principal's unique name")
]
Account = Annotated[str, Path(pattern=ACCOUNT_NAME_PATTERN, description="account name")]
_Id = Annotated[str, Field(pattern=r"^[\w.:-]{1,200}$")]
_Scoped = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}/[\w.:-]{1,200}$")]
_POSITIONS = "account/position-id grants (≤ 500): sessions of these positions"
_DEPARTMENTS = "account/department-id grants (≤ 500): sessions of these departments' positions"
_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {
        "description": "an id or account that is not valid, or an account not configured",
        CODE_KEY: "INTERLOCK.INVALID_REQUEST",
    },
    404: {"description": "no principal with this name", CODE_KEY: "INTERLOCK.PRINCIPAL_NOT_FOUND"},
}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PrincipalOut(_Body):
    """A principal and what it owns (never a key)."""

    name: str
    role: Role
    vendor_users: dict[str, list[str]] = Field(description="account → vendor user ids")
    positions: list[str] = Field(description="account/position grants")
    departments: list[str] = Field(description="account/department grants")
    legacy_grants: dict[str, list[str]] = Field(
        description="grants without an account, from before ownership was per account: they "
        "grant nothing"
    )
    active: bool


class PrincipalList(_Body):
    principals: list[PrincipalOut]


class NewPrincipalRequest(_Body):
    """A principal to create."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "name": "hr.east",
                    "role": "specialist",
                    "vendor_users": {"dingtalk-hq": ["user01"]},
                    "positions": ["dingtalk-hq/pos-backend"],
                    "departments": ["dingtalk-hq/rnd"],
                }
            ]
        },
    )

    name: str = Field(
        pattern=NAME_PATTERN,
        description="unique name: ASCII letters, digits and . @ - _ (≤ 100)",
        examples=["hr.east"],
    )
    role: Role = Field(description="what the principal may do (the policy's role)")
    vendor_users: dict[str, list[_Id]] = Field(
        default_factory=dict,
        description="account → the principal's vendor user ids: positions they own become theirs",
        examples=[{"dingtalk-hq": ["user01"]}],
    )
    positions: list[_Scoped] = Field(default_factory=list, max_length=500, description=_POSITIONS)
    departments: list[_Scoped] = Field(
        default_factory=list, max_length=500, description=_DEPARTMENTS
    )


class NewPrincipalOut(_Body):
    """The created principal and its key: the only time the key is shown."""

    principal: PrincipalOut
    key: str
    key_id: str


class VendorUsersRequest(_Body):
    """The vendor user ids the principal is on this account (replaces the account's links)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra={"examples": [{"user_ids": ["user01"]}]}
    )

    user_ids: list[_Id] = Field(
        min_length=1, max_length=100, description="the vendor's user ids (1 to 100)"
    )


class GrantsRequest(_Body):
    """``account/id`` grants to add or take back."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"examples": [{"positions": ["dingtalk-hq/pos-backend"]}]},
    )

    positions: list[_Scoped] = Field(default_factory=list, max_length=500, description=_POSITIONS)
    departments: list[_Scoped] = Field(
        default_factory=list, max_length=500, description=_DEPARTMENTS
    )


def _view(info: PrincipalInfo) -> PrincipalOut:
    return PrincipalOut(
        name=info.name,
        role=info.role,
        vendor_users={a: list(ids) for a, ids in info.vendor_users.items()},
        positions=list(info.positions),
        departments=list(info.departments),
        legacy_grants={k: list(v) for k, v in info.legacy_grants.items()},
        active=info.active,
    )


async def _changing(work: Awaitable[T]) -> T:
    try:
        return await work
    except PrincipalNotFound as error:
        raise Problem(404, error.code, error.title, error.message, hint=error.hint) from None
    except PrincipalExists as error:
        raise Problem(409, error.code, error.title, error.message) from None


def _accounts(ctx: Context) -> list[str]:
    return sorted(ctx.interlock.accounts)


@router.get("/principals", summary="List principals and what they own")
async def list_all(
    caller: Annotated[Caller, Authorize(Action.PRINCIPALS_READ)], ctx: ContextDep
) -> PrincipalList:
    """Every principal, revoked ones included, with its links and grants per account."""
    return PrincipalList(principals=[_view(p) for p in await principal_admin.list_all(ctx.db)])


@router.post(
    "/principals",
    status_code=201,
    summary="Create a principal (its key is in the answer, once)",
    responses={
        **_RESPONSES,
        409: {
            "description": "a principal with this name exists",
            CODE_KEY: "INTERLOCK.PRINCIPAL_EXISTS",
        },
    },
)
async def create(
    caller: Annotated[Caller, Authorize(Action.PRINCIPALS_MANAGE)],
    ctx: ContextDep,
    body: NewPrincipalRequest,
) -> JSONResponse:
    """Not idempotent on purpose: a stored replay would keep the key. A retry after a lost
    answer gets 409; revoke the principal and create it again."""
    created = await _changing(
        principal_admin.add(
            ctx.db,
            ctx.trail,
            audit.actor_of(caller),
            body.name,
            body.role,
            vendor_users=body.vendor_users,
            positions=body.positions,
            departments=body.departments,
            accounts=_accounts(ctx),
        )
    )
    out = NewPrincipalOut(
        principal=_view(created.principal), key=created.key, key_id=created.key_id
    )
    return JSONResponse(out.model_dump(mode="json"), status_code=201)


@router.put(
    "/principals/{name}/vendor-users/{account}",
    summary="Link a principal to vendor users on one account",
    responses=_RESPONSES,
)
async def link(
    caller: Annotated[Caller, Authorize(Action.PRINCIPALS_MANAGE)],
    ctx: ContextDep,
    keys: KeysDep,
    name: PrincipalName,
    account: Account,
    body: VendorUsersRequest,
) -> PrincipalOut:
    """Positions whose vendor-reported owners include one of these users become the
    principal's — on this account only. Audited (``principal.link``)."""
    info = await _changing(
        principal_admin.link(
            ctx.db,
            ctx.trail,
            audit.actor_of(caller),
            name,
            account,
            body.user_ids,
            accounts=_accounts(ctx),
        )
    )
    keys.forget(name)
    return _view(info)


@router.delete(
    "/principals/{name}/vendor-users/{account}",
    summary="Remove a principal's links on one account",
    responses=_RESPONSES,
)
async def unlink(
    caller: Annotated[Caller, Authorize(Action.PRINCIPALS_MANAGE)],
    ctx: ContextDep,
    keys: KeysDep,
    name: PrincipalName,
    account: Account,
) -> PrincipalOut:
    """Audited (``principal.unlink``)."""
    info = await _changing(
        principal_admin.link(ctx.db, ctx.trail, audit.actor_of(caller), name, account, [])
    )
    keys.forget(name)
    return _view(info)


@router.post(
    "/principals/{name}/grants", summary="Grant positions or departments", responses=_RESPONSES
)
async def grant(
    caller: Annotated[Caller, Authorize(Action.PRINCIPALS_MANAGE)],
    ctx: ContextDep,
    keys: KeysDep,
    name: PrincipalName,
    body: GrantsRequest,
) -> PrincipalOut:
    """Adds ``account/id`` grants. Audited (``principal.grant``)."""
    info = await _grant(ctx, caller, name, body, revoke=False)
    keys.forget(name)
    return _view(info)


@router.post(
    "/principals/{name}/grants/remove",
    summary="Take back positions or departments",
    responses=_RESPONSES,
)
async def ungrant(
    caller: Annotated[Caller, Authorize(Action.PRINCIPALS_MANAGE)],
    ctx: ContextDep,
    keys: KeysDep,
    name: PrincipalName,
    body: GrantsRequest,
) -> PrincipalOut:
    """Removes ``account/id`` grants. Audited (``principal.ungrant``)."""
    info = await _grant(ctx, caller, name, body, revoke=True)
    keys.forget(name)
    return _view(info)


async def _grant(
    ctx: Context, caller: Caller, name: str, body: GrantsRequest, *, revoke: bool
) -> PrincipalInfo:
    return await _changing(
        principal_admin.grant(
            ctx.db,
            ctx.trail,
            audit.actor_of(caller),
            name,
            positions=body.positions,
            departments=body.departments,
            revoke=revoke,
            accounts=_accounts(ctx),
        )
    )


@router.post(
    "/principals/{name}/revoke",
    summary="Revoke a principal and all its keys",
    responses={404: _RESPONSES[404]},
)
async def revoke(
    caller: Annotated[Caller, Authorize(Action.PRINCIPALS_MANAGE)],
    ctx: ContextDep,
    keys: KeysDep,
    name: PrincipalName,
) -> PrincipalOut:
    """Idempotent. Audited (``principal.revoke``)."""
    info = await _changing(principal_admin.revoke(ctx.db, ctx.trail, audit.actor_of(caller), name))
    keys.forget(name)
    return _view(info)
