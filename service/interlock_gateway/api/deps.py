"""Dependencies as ``Annotated`` aliases: the lifecycle's context, the dispatcher, the
authenticated caller, the action.

Every ``/v1`` route declares the action it performs with :func:`Authorize`::

    @router.get("/v1/things/{id}")
    async def get_thing(caller: Annotated[Caller, Authorize(Action.THINGS_READ)], ...) -> ...:

``Authorize`` authenticates the bearer key (401 problem otherwise), asks the policy whether
the caller's role may perform the action at all (403 problem otherwise, audited), and hands
the :class:`~interlock_gateway.policy.Caller` to the route. Checks that need the target (a
session's position) happen in the service, with the same policy function.
Routes that take no bearer key (vendor callbacks) declare their action with :func:`Declare`.
:func:`declared_action` (``gates.py``, shared with the console) reads the declaration back;
``create_app`` and a test walk ``app.routes`` with it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..gates import Gate, declared_action, enforce
from ..keycache import KeyCache
from ..operations.context import Context
from ..operations.dispatch import Dispatcher
from ..operations.streams import BatchStreams
from ..policy import Action, Caller
from ..problems import Problem
from .authentication import authenticate_request
from .ratelimit import MutationRateLimiter

__all__ = [
    "Authorize",
    "ContextDep",
    "Declare",
    "DispatcherDep",
    "IdempotencyKey",
    "KeysDep",
    "LimiterDep",
    "StreamsDep",
    "declared_action",
    "strict_query",
]


# Dependencies are ``async def`` even when they do not await: FastAPI runs a plain ``def``
# dependency in a thread pool, which cost ~1 ms of hand-offs per dependency and request.


async def get_context(request: Request) -> Context:
    """The lifecycle's :class:`Context` (set by the app's lifespan)."""
    context: Context = request.app.state.context
    return context


async def get_dispatcher(request: Request) -> Dispatcher:
    """Whoever carries out accepted operations (the worker)."""
    dispatcher: Dispatcher = request.app.state.dispatcher
    return dispatcher


async def get_limiter(request: Request) -> MutationRateLimiter:
    """The per-principal mutation rate limiter."""
    limiter: MutationRateLimiter = request.app.state.limiter
    return limiter


def _keys(request: Request) -> KeyCache:
    keys: KeyCache = request.app.state.keys
    return keys


async def get_streams(request: Request) -> BatchStreams:
    """The open event streams and their limits."""
    streams: BatchStreams = request.app.state.streams
    return streams


async def get_keys(request: Request) -> KeyCache:
    """The remembered API keys (forgotten when a principal changes)."""
    return _keys(request)


ContextDep = Annotated[Context, Depends(get_context)]
DispatcherDep = Annotated[Dispatcher, Depends(get_dispatcher)]
LimiterDep = Annotated[MutationRateLimiter, Depends(get_limiter)]
KeysDep = Annotated[KeyCache, Depends(get_keys)]
StreamsDep = Annotated[BatchStreams, Depends(get_streams)]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Unique per logical request (printable ASCII, ≤ 255); retained 24 h. "
        "Required on terminate, revoke and batches.",
    ),
]

#: ``openapi_extra`` of a route that answers 428 without an ``Idempotency-Key``: the header is
#: optional to FastAPI (so a missing key gets that 428 problem, not a 422), and the OpenAPI
#: post-processor (openapi.py) marks it required in the document, which is the truth.
KEY_REQUIRED: dict[str, Any] = {"x-idempotency-key": "required"}

# Declares the scheme in the OpenAPI document; the key itself was checked by the
# authentication middleware before routing (``authentication.py``).
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="`Authorization: Bearer ilk_…` — an API key from `interlock principals add`",
)


async def authenticate_caller(
    request: Request,
    _: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The principal behind the request's bearer key (401 problem when there is none)."""
    return await authenticate_request(request, _keys(request))


class _Authorizer(Gate):
    """The dependency behind :func:`Authorize` (its ``action`` is the route's declaration)."""

    async def __call__(
        self,
        request: Request,
        ctx: ContextDep,
        caller: Annotated[Caller, Depends(authenticate_caller)],
    ) -> Caller:
        await enforce(ctx, caller, self.action, request.url.path)
        request.state.action = self.action
        return caller


class _Declared(Gate):
    """The dependency behind :func:`Declare`: records the action, authenticates nothing."""

    async def __call__(self, request: Request) -> None:
        request.state.action = self.action


def Authorize(action: Action) -> Any:
    """``Annotated[Caller, Authorize(Action.X)]``: authenticate, then gate on the role."""
    return Depends(_Authorizer(action))


def Declare(action: Action) -> Any:
    """Declare the action of a route that authenticates otherwise (public, vendor-signed)."""
    return Depends(_Declared(action))


def strict_query(*allowed: str) -> Callable[[Request], Awaitable[None]]:
    """A dependency refusing query parameters the route does not know (422 problem).

    A misspelt filter (``?stat=paused``) would otherwise be ignored and widen the result.
    """
    known = frozenset(allowed)

    async def check(request: Request) -> None:
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            raise Problem(
                422,
                "REQUEST.UNKNOWN_PARAMETER",
                "Unknown query parameter",
                f"unknown query parameter(s): {', '.join(unknown)}",
                hint=f"known: {', '.join(sorted(known))}",
                errors=[
                    {"field": f"query.{name}", "message": "unknown parameter", "type": "extra"}
                    for name in unknown
                ],
            )

    return check
