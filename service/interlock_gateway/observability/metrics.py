"""Prometheus metrics: one :class:`CollectorRegistry` per app, never the global default one.

Three sources, each the one that knows the truth:

* **HTTP requests** — :class:`ObservabilityMiddleware` counts every request by method, route
  *template* (``/v1/accounts/{account}/sessions/{session_id}``, never the raw path, so label
  values stay bounded and carry no identifiers) and status, and times it.
* **Operations carried out** — an observer plug-in registered with the facade's plug-in
  manager receives ``interlock_operation_started/finished`` once per operation (see
  ``operations/observers.py``), so it counts outcomes, error codes and durations per account.
* **Operations and the queue** — counted from the ``operations`` table on each scrape: the
  database is the queue, so its numbers survive restarts and agree across replicas (aggregate
  them with ``max``, not ``sum``, when several replicas are scraped).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from interlock.plugins import OperationFinished, OperationStarted, hookimpl

from ..reports.queue import QUEUED, count_operations
from .logs import REQUEST_ID, bind_request_id, reset_request_id

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ..operations.context import Context

__all__ = ["GatewayMetrics", "ObservabilityMiddleware", "install_observability"]

log = logging.getLogger("interlock.gateway.metrics")
access_log = logging.getLogger("interlock.gateway.access")

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_UNMATCHED = "<unmatched>"


class GatewayMetrics:
    """Every metric of one app, in the app's own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "interlock_http_requests",
            "HTTP requests by method, route template and status",
            ["method", "route", "status"],
            registry=r,
        )
        self.request_seconds = Histogram(
            "interlock_http_request_duration_seconds",
            "HTTP request duration by method and route template",
            ["method", "route"],
            registry=r,
        )
        self.vendor_operations = Counter(
            "interlock_vendor_operations",
            "Operations the gateway carried out, by account, vendor, verb and outcome",
            ["account", "vendor", "verb", "outcome"],
            registry=r,
        )
        self.vendor_errors = Counter(
            "interlock_vendor_errors",
            "Operations that ended in an error, by account, vendor and error code",
            ["account", "vendor", "code"],
            registry=r,
        )
        self.vendor_seconds = Histogram(
            "interlock_vendor_operation_duration_seconds",
            "Time from acceptance to the end of an operation (a held stop: its undo window), "
            "by account and verb",
            ["account", "verb"],
            registry=r,
        )
        self.vendor_in_flight = Gauge(
            "interlock_vendor_operations_in_flight",
            "Operations begun and not ended yet (a held stop until committed or undone), "
            "by account",
            ["account"],
            registry=r,
        )
        self.callbacks = Counter(
            "interlock_callbacks",
            "Vendor pushes received, by account and outcome",
            ["account", "outcome"],
            registry=r,
        )
        self.operations = Gauge(
            "interlock_operations",
            "Stored operations by account, verb, status and outcome (read at scrape)",
            ["account", "verb", "status", "outcome"],
            registry=r,
        )
        self.queue_depth = Gauge(
            "interlock_queue_depth",
            "Operations not finished yet, by status (read from the database at scrape)",
            ["status"],
            registry=r,
        )
        self.database_up = Gauge(
            "interlock_metrics_database_up",
            "1 when the last scrape could read the operations table, else 0",
            registry=r,
        )
        self._scrape_lock = asyncio.Lock()
        self._observer: _VendorObserver | None = None
        self._context: Context | None = None

    # -- life cycle ----------------------------------------------------------------------------

    def attach(self, context: Context) -> None:
        """Observe the gateway's operations (register the observer plug-in)."""
        vendors = {name: adapter.vendor for name, adapter in context.interlock.accounts.items()}
        self._observer = _VendorObserver(self, vendors)
        context.plugins.manager.register(self._observer, name=f"interlock-metrics-{id(self):x}")
        self._context = context

    def detach(self) -> None:
        """Stop observing (the facade may outlive this app, e.g. across a test restart)."""
        if self._context is not None and self._observer is not None:
            manager = self._context.plugins.manager
            if manager.is_registered(self._observer):
                manager.unregister(self._observer)
        self._observer, self._context = None, None

    # -- recording -----------------------------------------------------------------------------

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count and time one HTTP request."""
        method = method if method in _METHODS else "OTHER"
        self.requests.labels(method, route, str(status)).inc()
        self.request_seconds.labels(method, route).observe(seconds)

    def observe_callback(self, account: str, outcome: str) -> None:
        """Count one vendor push (``account`` must be a configured one: bounded labels)."""
        self.callbacks.labels(account, outcome).inc()

    # -- exposition ----------------------------------------------------------------------------

    async def render(self, accept: str | None) -> tuple[bytes, str]:
        """The exposition (text or OpenMetrics, per ``Accept``) and its content type."""
        encoder, content_type = choose_encoder(accept or "")
        async with self._scrape_lock:  # a concurrent scrape must not clear gauges mid-render
            await self._read_operations()
            return encoder(self.registry), content_type

    async def _read_operations(self) -> None:
        if self._context is None:
            return
        try:
            counts = await count_operations(self._context.db)
        except SQLAlchemyError as exc:
            log.warning("metrics: cannot read operations (%s)", type(exc).__name__)
            self.database_up.set(0)
            return
        self.database_up.set(1)
        self.operations.clear()
        depth = dict.fromkeys((s.value for s in QUEUED), 0)
        for row in counts:
            self.operations.labels(row.account, row.verb, row.status, row.outcome or "none").set(
                row.count
            )
            if row.status in depth:
                depth[row.status] += row.count
        for status, count in depth.items():
            self.queue_depth.labels(status).set(count)


class _VendorObserver:
    """The observer plug-in: operation events → operation metrics."""

    def __init__(self, metrics: GatewayMetrics, vendors: dict[str, str]) -> None:
        self._metrics = metrics
        self._vendors = vendors

    @hookimpl
    def interlock_operation_started(self, event: OperationStarted) -> None:
        """One more operation begun on the account."""
        self._metrics.vendor_in_flight.labels(event.ref.account).inc()

    @hookimpl
    def interlock_operation_finished(self, event: OperationFinished) -> None:
        """Count the outcome (and error code) and time it."""
        account, verb = event.ref.account, str(event.verb)
        vendor = self._vendors.get(account, "unknown")
        metrics = self._metrics
        metrics.vendor_in_flight.labels(account).dec()
        metrics.vendor_operations.labels(account, vendor, verb, str(event.result.outcome)).inc()
        metrics.vendor_seconds.labels(account, verb).observe(event.duration_s)
        if event.result.error_code:
            metrics.vendor_errors.labels(account, vendor, event.result.error_code).inc()


class ObservabilityMiddleware:
    """Binds the request id for logging, counts and times the request, logs one access line.

    Sits inside ``RequestIdMiddleware`` (which chose the id) and outside everything else, so
    refusals by the body limit are counted too. The access line names the route template,
    never the raw path or query string (a ``?candidate=`` filter may hold a name).
    """

    def __init__(self, app: ASGIApp, *, metrics: GatewayMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = scope.get("state", {}).get(REQUEST_ID)
        tokens = bind_request_id(request_id) if isinstance(request_id, str) else {}
        status = 500
        started = time.perf_counter()

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            self._record(scope, status, time.perf_counter() - started)
        # Reset only on success: on an exception the id stays bound for the error handler and
        # the server, which log outside this middleware in the same task (each request runs
        # in a task of its own under a server, so nothing leaks into the next request).
        if tokens:
            reset_request_id(tokens)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or _UNMATCHED
        method = str(scope.get("method", "GET"))
        self.metrics.observe_request(method, template, status, seconds)
        access_log.info(
            "http.request",
            extra={
                "method": method,
                "route": template,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
            },
        )


def install_observability(app: FastAPI) -> GatewayMetrics:
    """Give ``app`` its registry and middleware, and observe its runtime while it runs.

    Call it between adding the body-limit and the request-id middleware (the request id must
    exist; a refused body must still be counted). The app's lifespan is wrapped so the
    observer plug-in is registered once the runtime exists and removed before it stops.
    """
    metrics = GatewayMetrics()
    app.state.metrics = metrics
    app.add_middleware(ObservabilityMiddleware, metrics=metrics)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_: Any) -> AsyncIterator[Any]:
        async with inner(app_) as state:
            metrics.attach(app_.state.context)
            try:
                yield state
            finally:
                metrics.detach()

    app.router.lifespan_context = lifespan
    return metrics
