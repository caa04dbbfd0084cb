"""Logs and metrics of the gateway: JSON logs with a request id, a Prometheus registry per app.

Nothing here configures anything at import time: ``interlock serve`` (and ``interlock demo``)
call :func:`configure_logging`; ``create_app`` calls :func:`install_observability`.
"""

from .logs import REQUEST_ID, configure_logging, current_request_id, scrub_text
from .metrics import GatewayMetrics, ObservabilityMiddleware, install_observability

__all__ = [
    "REQUEST_ID",
    "GatewayMetrics",
    "ObservabilityMiddleware",
    "configure_logging",
    "current_request_id",
    "install_observability",
    "scrub_text",
]
