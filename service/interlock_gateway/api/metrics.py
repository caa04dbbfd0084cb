"""``/metrics``: the app's Prometheus registry (text format, or OpenMetrics by ``Accept``).

Like ``/healthz`` and ``/readyz`` it takes no API key: a scraper's key would otherwise need a
role, and every role that can read metrics can do more. The labels hold account names, verbs,
route templates and error codes — never personal data, principals or secrets — so operators
keep it on the internal network (see docs/decisions/gateway-observability.md).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response
from prometheus_client.exposition import choose_encoder
from prometheus_client.openmetrics.exposition import CONTENT_TYPE_LATEST as OPENMETRICS

from ..observability import GatewayMetrics
from ..policy import Action
from .deps import Declare

__all__ = ["router"]

router = APIRouter(tags=["operations support"])

_TEXT = choose_encoder("")[1]  # what a scraper without an Accept header gets


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {
            "description": "requests, vendor calls and errors, operations, queue depth",
            "content": {
                _TEXT: {"schema": {"type": "string"}},
                OPENMETRICS: {"schema": {"type": "string"}},
            },
        }
    },
)
async def metrics(
    _: Annotated[None, Declare(Action.PUBLIC)],
    request: Request,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """Request counts and latency by route template, vendor verbs by outcome and error code,
    stored operations by verb/status/outcome/account and the worker's queue depth."""
    registry: GatewayMetrics = request.app.state.metrics
    body, content_type = await registry.render(accept)
    return Response(body, media_type=content_type)
