"""``/v1/me``: who an API key is — what ``interlock login`` checks before it stores a key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from ..policy import Action, Caller
from ..store.tables import Role
from .deps import Authorize, strict_query

__all__ = ["MeOut", "router"]

router = APIRouter(prefix="/v1", tags=["principals"])


class MeOut(BaseModel):
    """The principal behind the key and what it owns (never the key itself)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    principal: str = Field(description="the principal's name", examples=["zhang.hr"])
    role: Role = Field(description="specialist, manager, admin or auditor")
    positions: list[str] = Field(description="granted positions, ACCOUNT/POSITION_ID")
    departments: list[str] = Field(description="granted departments, ACCOUNT/DEPARTMENT")


@router.get("/me", summary="Who this API key is", dependencies=[Depends(strict_query())])
async def me(caller: Annotated[Caller, Authorize(Action.SELF_READ)]) -> MeOut:
    """The key's principal, role and grants: a cheap check that a key works (no vendor call,
    no audit record)."""
    return MeOut(
        principal=caller.name,
        role=caller.role,
        positions=sorted(caller.positions),
        departments=sorted(caller.departments),
    )
