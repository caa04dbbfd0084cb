"""``/v1/stats/reasons``: counts and shares of stop reasons (by reason, vendor, account, day)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from ..policy import Action, Caller
from ..problems import Problem
from ..reports.stats import DIMENSIONS, STOP_VERBS, count_reasons
from ..store.tables import OperationVerb
from .deps import Authorize, ContextDep, strict_query
from .fields import Instant, comma_separated

__all__ = ["ReasonGroup", "ReasonStats", "router"]

router = APIRouter(prefix="/v1", tags=["statistics"])

_ALLOWED = tuple(DIMENSIONS)
_SHARE_DIGITS = 4


class _Response(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ReasonGroup(_Response):
    """One bucket. Only the dimensions asked for in ``group_by`` are present."""

    reason: str | None = Field(default=None, examples=["candidate_network"])
    vendor: str | None = None
    account: str | None = None
    department: str | None = Field(default=None, description="the position's department")
    day: date | None = Field(default=None, description="UTC day the operation was requested")
    verb: str | None = None
    count: int = Field(ge=0)
    share: float = Field(ge=0, le=1, description="count / total", examples=[0.3])


class ReasonStats(_Response):
    """Stops (pause, terminate, revoke unless ``verb`` says otherwise) by reason."""

    from_: datetime | None = Field(default=None, alias="from")
    to: datetime | None = None
    group_by: list[str]
    verbs: list[str]
    total: int = Field(ge=0)
    groups: list[ReasonGroup] = Field(description="largest first")


def _split(values: list[str] | None) -> list[str]:
    names = [part.strip() for raw in values or () for part in raw.split(",") if part.strip()]
    return list(dict.fromkeys(names))  # drop repeats, keep the order given


def _invalid(field: str, detail: str, allowed: tuple[str, ...]) -> Problem:
    return Problem(
        422,
        "REQUEST.VALIDATION",
        "Invalid request",
        detail,
        hint=f"allowed {field} values: {', '.join(allowed)}",
        allowed=list(allowed),
        errors=[{"field": f"query.{field}", "message": detail, "type": "enum"}],
    )


def _dimensions(values: list[str] | None) -> list[str]:
    names = _split(values) or ["reason"]
    unknown = [name for name in names if name not in DIMENSIONS]
    if unknown:
        raise _invalid("group_by", f"unknown group_by value(s): {', '.join(unknown)}", _ALLOWED)
    return names


def _verbs(values: list[str] | None) -> list[OperationVerb]:
    allowed = tuple(v.value for v in OperationVerb)
    names = _split(values)
    unknown = [name for name in names if name not in allowed]
    if unknown:
        raise _invalid("verb", f"unknown verb(s): {', '.join(unknown)}", allowed)
    return [OperationVerb(name) for name in names] or list(STOP_VERBS)


@router.get(
    "/stats/reasons",
    summary="Stop reasons: counts and shares",
    response_model_exclude_none=True,
    dependencies=[Depends(strict_query("from", "to", "group_by", "verb"))],
)
async def reasons(
    caller: Annotated[Caller, Authorize(Action.STATS_READ)],
    ctx: ContextDep,
    from_: Annotated[
        Instant | None, Query(alias="from", description="requested at or after (before 'to')")
    ] = None,
    to: Annotated[Instant | None, Query(description="requested before (exclusive)")] = None,
    group_by: Annotated[
        list[str] | None,
        Query(
            description="comma-separated or repeated: reason, vendor, account, department, "
            "day, verb",
            json_schema_extra={"items": comma_separated(DIMENSIONS)},
        ),
    ] = None,
    verb: Annotated[
        list[str] | None,
        Query(
            description="count these verbs (default: pause,terminate,revoke); comma-separated "
            "or repeated",
            json_schema_extra={"items": comma_separated(v.value for v in OperationVerb)},
        ),
    ] = None,
) -> ReasonStats:
    """How often each reason stopped interviews, e.g. ``candidate_network`` = 0.3 of all
    stops. Days are UTC. Each group's ``share`` is its part of ``total``."""
    dimensions, verbs = _dimensions(group_by), _verbs(verb)
    if from_ is not None and to is not None and from_ >= to:
        raise Problem(
            422,
            "REQUEST.VALIDATION",
            "Invalid request",
            "query.from must be before query.to",
            hint="give an earlier 'from' or a later 'to'",
            errors=[{"field": "query.from", "message": "not before 'to'", "type": "range"}],
        )
    counts = await count_reasons(ctx.db, dimensions, since=from_, until=to, verbs=verbs)
    total = counts.total
    groups = [
        ReasonGroup(
            **group.keys,
            count=group.count,
            share=round(group.count / total, _SHARE_DIGITS) if total else 0.0,
        )
        for group in counts.groups
    ]
    return ReasonStats(
        from_=from_,
        to=to,
        group_by=dimensions,
        verbs=[v.value for v in verbs],
        total=total,
        groups=groups,
    )
