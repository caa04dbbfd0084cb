"""Pure ASGI middleware: a request id on every request, and the request-body limit.

Both are plain ASGI (not ``BaseHTTPMiddleware``) so they add no task switch per request and
see the body as it streams.
"""

from __future__ import annotations

import re
import uuid

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..problems import Problem
from .problems import problem_response

__all__ = ["BodyLimitMiddleware", "RequestIdMiddleware"]

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class RequestIdMiddleware:
    """Take a sane ``X-Request-ID`` from the client or make one; echo it on the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        request_id = given if given and _REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_id)


class BodyLimitMiddleware:
    """Refuse bodies over ``max_bytes`` with 413 — by ``Content-Length`` and by streamed size.

    The body (at most ``max_bytes``) is read up front and replayed to the app, so a chunked
    upload that grows past the limit is refused before any handler or JSON parser sees it.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await self._refuse(scope, receive, send, _bad_length())
                return
            if int(declared) > self.max_bytes:
                await self._refuse(scope, receive, send, self._too_large())
                return
        body, disconnected = await self._read(receive)
        if body is None:
            await self._refuse(scope, receive, send, self._too_large())
            return
        await self.app(scope, _replay(body, disconnected, receive), send)

    async def _read(self, receive: Receive) -> tuple[bytes | None, bool]:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(chunks), True
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None, False
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), False

    def _too_large(self) -> Problem:
        return Problem(
            413,
            "REQUEST.TOO_LARGE",
            "Request body too large",
            f"the request body exceeds {self.max_bytes} bytes",
            hint="split the request (batches take at most 1,000 sessions) or use a filter",
            max_bytes=self.max_bytes,
        )

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, problem: Problem) -> None:
        response = problem_response(problem, Request(scope))
        await response(scope, receive, send)


def _bad_length() -> Problem:
    return Problem(
        400,
        "REQUEST.BAD_CONTENT_LENGTH",
        "Bad Content-Length",
        "the Content-Length header is not a non-negative integer",
        hint="let your HTTP client compute Content-Length",
    )


def _replay(body: bytes, disconnected: bool, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if disconnected:
            return {"type": "http.disconnect"}
        return await receive()

    return replay


def _header(scope: Scope, name: bytes) -> str | None:
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for key, value in headers:
        if key == name:
            try:
                return value.decode("latin-1").strip()
            except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes any byte
                return None
    return None
