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
    native_batch_verbs: frozenset[Verb] | None = Field(
        default=None,
        description="the verbs the native batch call carries out; None: every supported verb",
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

    def native_batch(self, verb: Verb) -> bool:
        """True when the vendor's batch call carries out ``verb`` (other verbs are batched
        one call per item)."""
        if not self.native_batch_size or not self.supports(verb):
            return False
        return self.native_batch_verbs is None or verb in self.native_batch_verbs

    def matrix_row(self) -> dict[str, str]:
        """A flat, printable row: one column per verb and feature."""
        return {
            **{str(v): str(self.level(v)) for v in Verb},
            "restore": "yes" if self.restore else "no",
            "native_batch": self._batch_cell(),
            "filters": ",".join(sorted(self.server_side_filters)) or "-",
            "events": str(self.change_observation),
        }

    def _batch_cell(self) -> str:
        verbs = [v for v in Verb if self.native_batch(v)]
        if not verbs:
            return "no"
        if self.native_batch_verbs is None or verbs == [v for v in Verb if self.supports(v)]:
            return str(self.native_batch_size)
        return f"{self.native_batch_size} ({','.join(verbs)})"
