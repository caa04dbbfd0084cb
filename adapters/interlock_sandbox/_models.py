"""Tolerant models of the sandbox vendor's payloads: unknown fields are ignored."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class _Vendor(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class VendorCandidate(_Vendor):
    id: str
    name: str
    phone: str | None = None


class VendorPosition(_Vendor):
    id: str
    title: str
    level: str | None = None
    department: str | None = None
    owners: list[str] = []


class VendorSession(_Vendor):
    id: str
    status: str
    candidate: VendorCandidate
    position: VendorPosition
    batch_no: str | None = None
    scheduled_at: datetime | None = None
    started_at: datetime | None = None
    progress: float | None = None
    resume_deadline: datetime | None = None


class VendorPage(_Vendor):
    sessions: list[VendorSession]
    next_cursor: str | None = None


class VendorChange(_Vendor):
    session: VendorSession
    previous_status: str
    changed: bool


class VendorBatchItem(_Vendor):
    id: str
    ok: bool
    changed: bool = False
    previous_status: str | None = None
    session: VendorSession | None = None
    status: str | None = None
    error: dict[str, str] | None = None


class VendorBatch(_Vendor):
    results: list[VendorBatchItem]


class VendorToken(_Vendor):
    access_token: str
    expires_in: int
