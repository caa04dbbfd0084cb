"""Interlock: one safety interlock for every AI-interview platform.

The public surface of the SDK. Adapters import from here (and from :mod:`interlock.http`,
:mod:`interlock.doubles`); applications use :class:`Interlock`.
"""

from interlock.adapter import AccountContext, InterviewAdapter
from interlock.capabilities import Capabilities, CapabilityLevel, ChangeObservation
from interlock.errors import InterlockError
from interlock.events import CallbackReply, CallbackRequest, CallbackResult, SessionEvent
from interlock.facade import Interlock
from interlock.models import (
    Candidate,
    FilterField,
    OperationOutcome,
    OperationResult,
    Position,
    Reason,
    ReasonCode,
    Session,
    SessionFilter,
    SessionPage,
    SessionRef,
    SessionState,
    Verb,
)
from interlock.plugins import AdapterSpec, get_plugin_manager, hookimpl

__version__ = "0.1.0"

__all__ = [
    "AccountContext",
    "AdapterSpec",
    "CallbackReply",
    "CallbackRequest",
    "CallbackResult",
    "Candidate",
    "Capabilities",
    "CapabilityLevel",
    "ChangeObservation",
    "FilterField",
    "Interlock",
    "InterlockError",
    "InterviewAdapter",
    "OperationOutcome",
    "OperationResult",
    "Position",
    "Reason",
    "ReasonCode",
    "Session",
    "SessionEvent",
    "SessionFilter",
    "SessionPage",
    "SessionRef",
    "SessionState",
    "Verb",
    "__version__",
    "get_plugin_manager",
    "hookimpl",
]
