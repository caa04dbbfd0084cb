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
from interlock.doubles._world import World, WorldPosition, WorldSession

__all__ = [
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
    "serve",
]
