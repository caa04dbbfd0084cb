"""Request and response bodies of ``/v1/previews`` and ``/v1/batches``."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from interlock.models import ACCOUNT_NAME_PATTERN, Reason, SessionState, Verb
from interlock.timespan import zone_named

from ..operations.previews import BatchAsk
from ..operations.resolve import Selection
from ..operations.sessions import SessionQuery
from ..operations.tokens import request_digest
from .fields import FreeText, SearchBound, SearchText, TimeZoneName
from .schemas import ClientReason
from .search_bounds import search_instant

__all__ = [
    "BatchCounts",
    "BatchFilter",
    "BatchItemOut",
    "BatchOut",
    "BatchRequest",
    "BatchUndoOut",
    "BatchUndoRequest",
    "PreviewOut",
    "PreviewRequest",
]

BatchAction = Literal["pause", "resume", "terminate", "revoke"]
# The body limit (1 MiB) bounds the list; the item limit (1,000) is checked with a clear
# problem of its own, so the schema allows a little more than that. Each name has the shape
# SessionRef.parse accepts (a malformed one is BATCH.INVALID_SESSION_NAME, naming them all).
_SEGMENT = ACCOUNT_NAME_PATTERN.removeprefix("^").removesuffix("$")
_SESSION_NAME = {"pattern": f"^accounts/{_SEGMENT}/sessions/{_SEGMENT}$"}
_Names = Annotated[
    list[Annotated[str, Field(max_length=300, json_schema_extra=_SESSION_NAME)]],
    Field(min_length=1, max_length=5000),
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BatchFilter(_Request):
    """Sessions to act on, resolved by the gateway (every field narrows)."""

    account: Annotated[str, Field(pattern=ACCOUNT_NAME_PATTERN)] | None = Field(
        default=None, description="only this account (as in interlock.toml)"
    )
    vendor: Annotated[str, Field(pattern=ACCOUNT_NAME_PATTERN)] | None = Field(
        default=None, description="only this vendor's accounts (dingtalk)"
    )
    states: list[SessionState] = Field(
        default_factory=list, description="only sessions in these states (empty: any)"
    )
    candidate: SearchText | None = Field(
        default=None,
        description="candidate id (exact), part of the masked name, or the full name (exact, "
        "ignoring case and spaces)",
    )
    position: SearchText | None = Field(
        default=None, description="position id (exact), or its whole title ignoring case"
    )
    batch_no: SearchText | None = Field(default=None, description="batch number (exact)")
    start_from: SearchBound | None = Field(
        default=None,
        description="scheduled at or after; a date alone (2026-12-04): from the start of that "
        "day; a time without a zone is read in tz",
    )
    start_to: SearchBound | None = Field(
        default=None,
        description="scheduled before; a date alone: up to the end of that day (the next "
        "day's start); a time without a zone is read in tz",
    )
    tz: TimeZoneName | None = Field(
        default=None,
        description="IANA zone in which start_from/start_to without a zone are read "
        "(default: the gateway's time_zone setting, else UTC)",
    )

    def to_query(self, default_zone: tzinfo) -> SessionQuery:
        """The lifecycle's query, bounds read in ``tz`` or else ``default_zone``.

        :raises Problem: 422 naming the bound when it falls outside what backends hold.
        """
        zone = default_zone if self.tz is None else zone_named(self.tz)
        return SessionQuery(
            account=self.account,
            vendor=self.vendor,
            states=frozenset(self.states),
            candidate=self.candidate,
            position=self.position,
            batch_no=self.batch_no,
            start_from=search_instant(self.start_from, zone, "from", "body.filter.start_from"),
            start_to=search_instant(self.start_to, zone, "to", "body.filter.start_to"),
        )


# Exactly one selector (operations/resolve.py refuses both and neither with BATCH.SELECTOR).
_ONE_SELECTOR: list[JsonValue] = [
    {"required": ["sessions"], "properties": {"sessions": {"type": "array"}}},
    {"required": ["filter"], "properties": {"filter": {"type": "object"}}},
]


class PreviewRequest(_Request):
    """What would happen: an action on session names or on a filter (exactly one of them)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "oneOf": _ONE_SELECTOR,
            "examples": [
                {
                    "action": "pause",
                    "sessions": ["accounts/dingtalk-hq/sessions/8812"],
                    "reason": {"code": "system_fault", "note": "vendor video outage"},
                },
                {
                    "action": "terminate",
                    "filter": {"account": "dingtalk-hq", "batch_no": "2026-spring-07"},
                    "reason": {"code": "process_change", "note": "the role was closed"},
                },
            ],
        },
    )

    action: BatchAction = Field(description="the verb for every selected session")
    sessions: _Names | None = Field(
        default=None,
        description="session names (accounts/{account}/sessions/{id}); give these or filter",
        examples=[["accounts/dingtalk-hq/sessions/8812"]],
    )
    filter: BatchFilter | None = Field(
        default=None, description="sessions resolved by the gateway; give this or sessions"
    )
    reason: ClientReason = Field(description="why, for every item")

    def to_ask(self, default_zone: tzinfo, confirm_token: str | None = None) -> BatchAsk:
        """The request as the lifecycle sees it (bound to its exact JSON by the digest);
        the filter's dates without a zone are read in its ``tz`` or else ``default_zone``."""
        selection = Selection(
            names=tuple(self.sessions) if self.sessions is not None else None,
            filter=self.filter.to_query(default_zone) if self.filter is not None else None,
        )
        return BatchAsk(
            action=Verb(self.action),
            selection=selection,
            reason=self.reason.to_reason(),
            digest=request_digest(self.model_dump(mode="json")),
            confirm_token=confirm_token,
        )


class BatchRequest(PreviewRequest):
    """A batch: the preview's request plus its ``confirm_token`` (above the threshold)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "oneOf": _ONE_SELECTOR,
            "examples": [
                {
                    "action": "pause",
                    "sessions": ["accounts/dingtalk-hq/sessions/8812"],
                    "reason": {"code": "system_fault", "note": "vendor video outage"},
                }
            ],
        },
    )

    confirm_token: Annotated[str, Field(min_length=10, max_length=1000)] | None = Field(
        default=None,
        description="the confirm_token of a preview of exactly this request (required above "
        "20 sessions; valid 5 minutes)",
    )

    def ask(self, default_zone: tzinfo) -> BatchAsk:
        """The batch as the lifecycle sees it."""
        return self.to_ask(default_zone, self.confirm_token)


class _Response(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, from_attributes=True)


class AccountEstimate(_Response):
    """Vendor calls and time one account needs, from its rate limit."""

    account: str
    vendor: str
    items: int
    vendor_calls: int
    rate_per_s: float | None
    seconds: float | None


class PreviewOut(_Response):
    """The impact of a request, and the token that confirms it."""

    action: str
    total: int
    by_state: dict[str, int]
    by_vendor: dict[str, int]
    by_account: dict[str, int]
    answering_now: int = Field(description="candidates in an interview right now")
    already_in_state: int
    invalid_transition: list[str] = Field(description="sessions whose state refuses the verb")
    pending_stop: list[str] = Field(
        description="sessions with a stop pending (skipped: undo the stop to act on them)"
    )
    needs_approval: list[str]
    not_permitted: list[str] = Field(
        description="names that do not exist or that you may not touch (the batch is refused)"
    )
    unsupported_accounts: list[str]
    estimate_seconds: float | None
    vendor_calls: int
    accounts: list[AccountEstimate]
    requires_confirmation: bool
    confirm_token: str
    confirm_token_expires_at: datetime


class BatchCounts(_Response):
    """Items by where they stand."""

    pending: int = 0
    in_flight: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    in_grace: int = Field(default=0, description="held; the final verb is sent at commit_at")
    awaiting_approval: int = 0


class ItemError(_Response):
    """Why an item did not succeed."""

    code: str
    message: str | None = None


class BatchItemOut(_Response):
    """One item's result."""

    index: int
    session: str
    account: str
    operation_id: str
    status: str
    outcome: str | None
    state_before: str | None
    state_after: str | None
    commit_at: datetime | None = None
    attempts: int
    vendor_request_id: str | None
    error: ItemError | None


class BatchOut(_Response):
    """A batch, its counts (overall and per account) and one page of its items."""

    id: str
    action: str
    status: str
    actor: str
    reason: Reason
    item_count: int
    counts: BatchCounts
    by_account: dict[str, BatchCounts]
    approval_id: str | None = None
    created_at: datetime
    finished_at: datetime | None
    items: list[BatchItemOut] = Field(default_factory=list)
    next_page_token: str | None = None


class BatchUndoRequest(_Request):
    """Undo every item of a terminate/revoke batch that is still in its undo window."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"examples": [{"note": "the batch selected the wrong campus"}]},
    )

    note: FreeText | None = Field(default=None, description="what went wrong (≤ 500 characters)")


class BatchUndoOut(_Response):
    """What the undo did."""

    batch_id: str
    undone: int
    not_undoable: int
    undo_operations: list[str]
