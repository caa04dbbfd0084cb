"""Capabilities as data: what an adapter can do, per verb and per feature.

The facade and the gateway read these before doing anything, so an unsupported verb is refused
up front with ``OPERATION.UNSUPPORTED`` instead of failing late at the vendor.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from interlock.models import FilterField, Verb

__all__ = ["Capabilities", "CapabilityLevel", "ChangeObservation"]


class CapabilityLevel(StrEnum):
    """How a verb is carried out at this vendor."""

    NATIVE = "native"
    """The vendor has an API for it."""
    EMULATED = "emulated"
    """The adapter builds it from other vendor calls."""
    MANUAL = "manual"
    """Only a person in the vendor's console can do it; Interlock refuses and says so."""
    UNSUPPORTED = "unsupported"
    """Cannot be done at all."""

    @property
    def automated(self) -> bool:
        return self in (CapabilityLevel.NATIVE, CapabilityLevel.EMULATED)


class ChangeObservation(StrEnum):
    """How Interlock learns about changes the vendor makes on its own."""

    PUSH = "push"
    POLLING = "polling"


class Capabilities(BaseModel):
    """An adapter's declared capabilities (printed by ``interlock adapters``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pause: CapabilityLevel
    resume: CapabilityLevel
    terminate: CapabilityLevel
    revoke: CapabilityLevel
    restore: bool = Field(
        default=False, description="the vendor can return a final session to its earlier state"
    )
    native_batch_size: Annotated[int, Field(ge=0)] = Field(
        default=0, description="largest native batch call; 0 when there is none"
    )
    server_side_filters: frozenset[FilterField] = frozenset()
    push_events: bool = False
    change_observation: ChangeObservation = ChangeObservation.POLLING
    notes: str | None = None

    def level(self, verb: Verb) -> CapabilityLevel:
        level: CapabilityLevel = getattr(self, str(verb))
        return level

    def supports(self, verb: Verb) -> bool:
        """True when Interlock can carry out ``verb`` without a person."""
        return self.level(verb).automated

    def matrix_row(self) -> dict[str, str]:
        """A flat, printable row: one column per verb and feature."""
        return {
            **{str(v): str(self.level(v)) for v in Verb},
            "restore": "yes" if self.restore else "no",
            "native_batch": str(self.native_batch_size) if self.native_batch_size else "no",
            "filters": ",".join(sorted(self.server_side_filters)) or "-",
            "events": str(self.change_observation),
        }
