"""Vendor doubles: stateful simulators of vendor HTTP APIs, for tests, demos and load tests."""

from interlock.doubles._asgi import asgi_app, serve
from interlock.doubles._base import (
    DoubleSettings,
    Fault,
    FaultPlan,
    QpsWindow,
    RecordedRequest,
    VendorDouble,
)
from interlock.doubles._wiring import DEFAULT_DOUBLE_TIMEZONE, make_double, wire_adapter
from interlock.doubles._world import World, WorldPosition, WorldSession

__all__ = [
    "DEFAULT_DOUBLE_TIMEZONE",
    "DoubleSettings",
    "Fault",
    "FaultPlan",
    "QpsWindow",
    "RecordedRequest",
    "VendorDouble",
    "World",
    "WorldPosition",
    "WorldSession",
    "asgi_app",
    "make_double",
    "serve",
    "wire_adapter",
]
