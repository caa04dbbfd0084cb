"""Vendor doubles: stateful simulators of vendor HTTP APIs, for tests, demos and load tests."""

from interlock.doubles._asgi import asgi_app, serve
from interlock.doubles._base import (
    DoubleSettings,
    ErrorAnswer,
    RecordedRequest,
    VendorDouble,
    VendorQuery,
)
from interlock.doubles._clock import Clock, VirtualClock
from interlock.doubles._faults import Fault, FaultPlan, Race
from interlock.doubles._limits import QpsWindow, SlidingWindowLimit, busiest_window
from interlock.doubles._wiring import DEFAULT_DOUBLE_TIMEZONE, make_double, wire_adapter
from interlock.doubles._world import World, WorldPosition, WorldSession, reason_text

__all__ = [
    "DEFAULT_DOUBLE_TIMEZONE",
    "Clock",
    "DoubleSettings",
    "ErrorAnswer",
    "Fault",
    "FaultPlan",
    "QpsWindow",
    "Race",
    "RecordedRequest",
    "SlidingWindowLimit",
    "VendorDouble",
    "VendorQuery",
    "VirtualClock",
    "World",
    "WorldPosition",
    "WorldSession",
    "asgi_app",
    "busiest_window",
    "make_double",
    "reason_text",
    "serve",
    "wire_adapter",
]
