"""A typed client for the Interlock gateway's API v1, for internal tools (see docs/client.md)."""

from .async_client import AsyncGatewayClient
from .errors import (
    ApprovalRequired,
    Conflict,
    GatewayError,
    GatewayUnavailable,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
    ValidationFailed,
)
from .models import Approval, ApprovalPage, Operation, Session, SessionPage
from .retry import RetryPolicy
from .sync_client import GatewayClient

__all__ = [
    "Approval",
    "ApprovalPage",
    "ApprovalRequired",
    "AsyncGatewayClient",
    "Conflict",
    "GatewayClient",
    "GatewayError",
    "GatewayUnavailable",
    "NotFound",
    "Operation",
    "PermissionDenied",
    "RateLimited",
    "RetryPolicy",
    "Session",
    "SessionPage",
    "Unauthenticated",
    "ValidationFailed",
]
