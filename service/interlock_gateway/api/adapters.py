"""``/v1/adapters``: the capability matrix of every configured account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from interlock.capabilities import Capabilities
from interlock.models import Verb

from ..policy import Action, Caller
from .deps import Authorize, ContextDep, strict_query

__all__ = ["AccountCapabilities", "AdapterMatrix", "router"]

router = APIRouter(prefix="/v1", tags=["adapters"])


class AccountCapabilities(BaseModel):
    """What one account's adapter can do: per verb ``native``, ``emulated``, ``manual`` or
    ``unsupported``, plus restore, native batch size, server-side filters and push."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    account: str = Field(examples=["dingtalk-hq"])
    vendor: str = Field(examples=["dingtalk"])
    capabilities: Capabilities


class AdapterMatrix(BaseModel):
    """One row per configured account, sorted by account name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    accounts: list[AccountCapabilities]


@router.get(
    "/adapters",
    summary="Capability matrix per account",
    dependencies=[Depends(strict_query())],
)
async def adapters(
    caller: Annotated[Caller, Authorize(Action.ADAPTERS_READ)], ctx: ContextDep
) -> AdapterMatrix:
    """Read from each adapter's declared capabilities (no vendor call). A ``manual`` verb
    creates a task (``/v1/tasks``); ``unsupported`` is refused with ``OPERATION.UNSUPPORTED``
    before anything is stored or sent."""
    rows = [
        AccountCapabilities(
            account=name,
            vendor=adapter.vendor,
            # ``manual`` where [gateway] manual_verbs says a person does it (a task)
            capabilities=adapter.capabilities.model_copy(
                update={str(verb): ctx.level(name, verb) for verb in Verb}
            ),
        )
        for name, adapter in sorted(ctx.interlock.accounts.items())
    ]
    return AdapterMatrix(accounts=rows)
