"""``POST /v1/callbacks/{account}``: vendor push, verified with the vendor's own signature.

This is the one ``/v1`` route without an API key: vendors cannot send ours. It declares its
action with ``Declare(Action.CALLBACKS_RECEIVE)``; no role holds that action in the policy
table, and the rule that admits a request is ``vendor-signature`` — the account's adapter
verifying the push (``parse_callback``). Unverified pushes are refused with 401 and are
logged and counted, not audited: the trail records what principals and vendors *did*, and an
unauthenticated sender must not be able to grow an append-only table at will.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from interlock import errors
from interlock.events import CallbackRequest

from ..observability import GatewayMetrics
from ..operations import callbacks
from ..policy import Action
from ..problems import Problem, problem_of
from .deps import ContextDep, Declare
from .problem_examples import CODE_KEY

__all__ = ["router"]

log = logging.getLogger("interlock.gateway.callbacks")
router = APIRouter(prefix="/v1", tags=["callbacks"])

_PROBLEM = "an RFC 9457 problem (application/problem+json)"


def _refused() -> Problem:
    """The one answer to a push that was not verified — whatever the reason: an account that
    does not exist, one that takes no pushes, a bad signature or a replay. Until the
    signature is checked, the caller is anonymous and learns nothing about the accounts."""
    return Problem(
        401,
        "VENDOR.AUTH_FAILED",
        "Callback not verified",
        "the push was not verified for this callback URL",
        hint="pushes must carry the vendor's signature for this account's callback credentials",
    )


@router.post(
    "/callbacks/{account}",
    summary="Vendor push (authenticated by the vendor's signature, not an API key)",
    openapi_extra={
        "security": [],
        "requestBody": {
            "required": False,
            "description": "the vendor's push exactly as the vendor sends it",
            "content": {
                "application/json": {
                    "schema": {},
                    # Each vendor pushes its own shape; this is DingTalk's encrypted envelope.
                    "example": {"encrypt": "ajls384kdjx98XX1+..."},
                }
            },
        },
    },
    responses={
        200: {
            "description": "the vendor's own acknowledgement (its status, type and body)",
            "content": {
                "application/json": {"schema": {}},
                "text/plain": {"schema": {"type": "string"}},
            },
        },
        400: {
            "description": f"verified but not understood: {_PROBLEM}",
            CODE_KEY: "VENDOR.PROTOCOL_ERROR",
        },
        401: {
            "description": "not verified — a bad signature, a replay, or a URL that receives "
            f"no pushes (one answer for all: {_PROBLEM})",
            CODE_KEY: "VENDOR.AUTH_FAILED",
        },
    },
)
async def receive(
    _: Annotated[None, Declare(Action.CALLBACKS_RECEIVE)],
    request: Request,
    ctx: ContextDep,
    account: Annotated[str, Path(description="the account, as named in interlock.toml")],
) -> Response:
    """Hands the raw request (method, query, headers, body) to the account's adapter, which
    verifies it; each event is appended to the audit trail (action ``callback``) before the
    vendor gets exactly the acknowledgement its adapter built."""
    metrics: GatewayMetrics = request.app.state.metrics
    if account not in ctx.interlock.accounts:
        metrics.observe_callback("-", "unknown_account")
        raise _refused()
    pushed = CallbackRequest(
        method=request.method,
        query=dict(request.query_params),
        headers=dict(request.headers),
        body=await request.body(),
    )
    ip = request.client.host if request.client else None
    try:
        received = await callbacks.receive(ctx, account, pushed, ip=ip)
    except errors.VendorAuthFailed as exc:
        log.warning("callback refused", extra={"account": account, "why": exc.message})
        metrics.observe_callback(account, "refused")
        raise _refused() from None
    except errors.UnsupportedOperation:
        metrics.observe_callback(account, "unsupported")
        raise _refused() from None
    except errors.VendorProtocolError as exc:
        metrics.observe_callback(account, "malformed")
        problem = problem_of(exc)
        problem.status, problem.title = 400, "Callback not understood"
        raise problem from None
    metrics.observe_callback(account, "accepted")
    log.info("callback received", extra={"account": account, "events": received.events})
    reply = received.reply
    return Response(reply.body, status_code=reply.status_code, media_type=reply.content_type)
