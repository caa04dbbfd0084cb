"""``Idempotency-Key`` at the edge: one logical request per key and principal.

The ledger (:mod:`interlock_gateway.operations.requests`) decides where a key stands; this
module fingerprints the HTTP request (SHA-256 of method, path and canonical JSON body) and
answers accordingly:

* another request body under the key → 422 ``IDEMPOTENCY.KEY_REUSED``;
* the first still running → 409 ``IDEMPOTENCY.IN_PROGRESS`` with ``Retry-After``;
* the first finished → its stored status and body, with ``Idempotent-Replayed: true``.

Final answers are stored; transient failures (5xx, 429) release the key so a retry can try
again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request

from interlock.errors import InterlockError

from ..audit import canonical_json
from ..operations.context import Context
from ..operations.requests import Answer, KeyClaim, Standing, claim_key, release_key, store_answer
from ..policy import Caller
from ..problems import Problem, problem_of
from .problems import PROBLEM_JSON
from .replies import Reply, problem_reply

__all__ = ["REPLAYED_HEADER", "fingerprint", "idempotent"]

REPLAYED_HEADER = "Idempotent-Replayed"
Produce = Callable[[], Awaitable[Reply]]
Recover = Callable[[], Awaitable[Reply | None]]


def fingerprint(method: str, path: str, body: Any) -> str:
    """SHA-256 of the request as the key's owner sent it (JSON compared canonically)."""
    return hashlib.sha256(canonical_json([method, path, body]).encode()).hexdigest()


async def _run(produce: Produce) -> Reply:
    try:
        return await produce()
    except Problem as problem:
        return problem_reply(problem)
    except InterlockError as error:
        return problem_reply(problem_of(error))


def _answer_of(reply: Reply | None) -> Answer | None:
    return None if reply is None else Answer(reply.status, reply.body)


def _reply_of(claim: KeyClaim) -> Reply:
    if claim.standing is Standing.MISMATCH:
        return problem_reply(
            Problem(
                422,
                "IDEMPOTENCY.KEY_REUSED",
                "Idempotency key reused",
                "this Idempotency-Key was used with a different request",
                hint="use a new key for a new request; reuse a key only to retry the same request",
            )
        )
    if claim.standing is Standing.CONFLICT:
        return problem_reply(
            Problem(
                409,
                "IDEMPOTENCY.IN_PROGRESS",
                "Request in progress",
                "a request with this Idempotency-Key is still being processed",
                hint="retry the same request in a moment to get its answer",
                headers={"Retry-After": "1"},
            )
        )
    assert claim.answer is not None
    body = claim.answer.body
    media = PROBLEM_JSON if "type" in body and "code" in body else "application/json"
    return Reply(claim.answer.status, body, {REPLAYED_HEADER: "true"}, media)


async def idempotent(
    ctx: Context,
    request: Request,
    caller: Caller,
    key: str | None,
    produce: Produce,
    *,
    body: Any = None,
    recover: Recover | None = None,
) -> Reply:
    """Run ``produce`` at most once per ``(caller, key)``; replay its stored answer after."""
    if key is None:
        return await _run(produce)
    digest = fingerprint(request.method, request.url.path, body)

    async def recovered() -> Answer | None:
        return _answer_of(await recover()) if recover is not None else None

    where = {"path": request.url.path, "method": request.method}
    claim = await claim_key(ctx, caller, key, digest, where=where, recover=recovered)
    if claim.standing is not Standing.OWNED:
        return _reply_of(claim)
    try:
        reply = await _run(produce)
    except BaseException:
        await release_key(ctx, caller, key)
        raise
    if reply.storable:
        await store_answer(ctx, caller, key, Answer(reply.status, reply.body))
    else:
        await release_key(ctx, caller, key)
    return reply
