"""Example problem bodies for the OpenAPI document: one per documented error status.

Each example is rendered by the gateway's own renderer (:func:`~..problems.problem_body`) from
a :class:`~..problems.Problem` the gateway really raises, so the reference shows the body a
client will get, not a hand-written approximation. A route picks the code its example shows
with ``"x-problem-code"`` in its ``responses`` entry; otherwise the status's usual code is used.
"""

from __future__ import annotations

from typing import Any

from ..problems import Problem, problem_body

__all__ = ["CODE_KEY", "EXAMPLES", "example_for"]

#: The key of a ``responses`` entry naming the problem code its example shows.
CODE_KEY = "x-problem-code"
_REQUEST_ID = "3f2b9c0e8d7a4b61a5e4c2d1f0e9b8a7"

# The first problem of each status is the one its example shows unless the route names a code.
EXAMPLES: tuple[Problem, ...] = (
    Problem(
        400,
        "REQUEST.INVALID_PAGE_TOKEN",
        "Invalid page token",
        "page_token is malformed or was issued for another query",
        hint="start again without page_token",
    ),
    Problem(
        400,
        "VENDOR.PROTOCOL_ERROR",
        "Callback not understood",
        "the push's body is not the JSON the vendor documents",
        hint="check the vendor's push format for this event",
    ),
    Problem(
        400,
        "INTERLOCK.INVALID_REQUEST",
        "Invalid request",
        "account 'beisen-cn' is not configured",
        hint="name an account from interlock.toml",
    ),
    Problem(
        401,
        "AUTH.MISSING_KEY",
        "Authentication required",
        "no API key was sent",
        hint="send 'Authorization: Bearer <API key>'; keys come from `interlock principals add`",
    ),
    Problem(
        401,
        "VENDOR.AUTH_FAILED",
        "Callback not verified",
        "the push was not verified for this callback URL",
        hint="pushes must carry the vendor's signature for this account's callback credentials",
    ),
    Problem(
        403,
        "INTERLOCK.POLICY_DENIED",
        "Denied by policy",
        "role 'auditor' may not perform sessions.terminate",
        hint="ask an admin for a role that allows this action",
    ),
    Problem(
        403,
        "APPROVAL.SELF_APPROVAL",
        "Cannot approve your own request",
        "the approver must be someone other than the requester",
        hint="ask another manager of the department, or an admin",
    ),
    Problem(
        403,
        "BATCH.NOT_PERMITTED",
        "Sessions you may not touch",
        "2 session(s) do not exist or are outside your scope; nothing was done",
        hint="remove them from the request (or ask someone whose scope covers them)",
        sessions=["accounts/dingtalk-hq/sessions/8812", "accounts/dingtalk-hq/sessions/8813"],
    ),
    Problem(
        404,
        "SESSION.NOT_FOUND",
        "Session not found",
        "session 8812 was not found on account dingtalk-hq",
        hint="check the account and session id; you only see sessions you may act on",
    ),
    Problem(
        404,
        "OPERATION.NOT_FOUND",
        "Operation not found",
        "no operation 'op_01hx' that you may see",
    ),
    Problem(
        404, "APPROVAL.NOT_FOUND", "Approval not found", "no approval 'ap_01hx' that you may see"
    ),
    Problem(404, "BATCH.NOT_FOUND", "Batch not found", "no batch 'b_01hx' that you may see"),
    Problem(404, "TASK.NOT_FOUND", "Task not found", "no task 't_01hx' that you may see"),
    Problem(
        404,
        "INTERLOCK.PRINCIPAL_NOT_FOUND",
        "Principal not found",
        "no principal is named 'ops.bot'",
    ),
    Problem(
        409,
        "SESSION.INVALID_TRANSITION",
        "Invalid state transition",
        "a session in state 'completed' cannot be paused",
        hint="read the session's state first",
    ),
    Problem(
        409,
        "OPERATION.UNDO_WINDOW_CLOSED",
        "Undo window closed",
        "the undo window closed at 2026-03-02T09:15:00Z; the terminate is final at the vendor",
        hint="a final verb cannot be reversed through Interlock after its window",
    ),
    Problem(
        409,
        "APPROVAL.EXPIRED",
        "Approval expired",
        "the approval expired before it was decided",
        hint="request the operation again",
    ),
    Problem(
        409,
        "BATCH.NOT_CANCELLABLE",
        "Batch cannot be cancelled",
        "the batch is already completed",
        hint="GET the batch for its results; undo a terminate/revoke batch within its window",
    ),
    Problem(
        404,
        "RESUME_LINK.NOT_FOUND",
        "No active resume link",
        "operation 'op_01hx' has no active resume link",
        hint="only an applied pause issues one; it may be used, expired or revoked already",
    ),
    Problem(
        409,
        "OPERATION.NOT_UNDOABLE",
        "Batch not undoable",
        "a pause batch cannot be undone",
        hint="undo applies to terminate and revoke batches",
    ),
    Problem(
        409,
        "BATCH.CONTENDED",
        "Sessions keep changing",
        "stops were accepted on this batch's sessions while it was being stored; nothing was done",
        hint="preview the request again and resubmit it",
    ),
    Problem(409, "TASK.CLOSED", "Task already closed", "task 't_01hx' is done"),
    Problem(
        409,
        "INTERLOCK.PRINCIPAL_EXISTS",
        "Principal exists",
        "a principal named 'ops.bot' exists",
        hint="revoke it first, or choose another name",
    ),
    Problem(
        422,
        "REQUEST.VALIDATION",
        "Invalid request",
        "body.reason.note: reason code 'other' needs a note saying what happened",
        hint="fix the fields listed in 'errors'",
        errors=[{"field": "body.reason.note", "message": "required for 'other'", "type": "value"}],
    ),
    Problem(
        422,
        "BATCH.EMPTY",
        "Nothing matched",
        "the filter matches no session that you may touch; nothing was done",
        hint="widen the filter (GET /v1/sessions shows what it would match)",
    ),
    Problem(
        428,
        "IDEMPOTENCY.KEY_REQUIRED",
        "Idempotency-Key required",
        "terminate needs an Idempotency-Key header",
        hint="send 'Idempotency-Key: <uuid4>' and reuse it only to retry the same request",
    ),
    Problem(
        429,
        "INTERLOCK.RATE_LIMITED",
        "Too many mutations",
        "principal 'ops.bot' exceeded 5 mutations/s",
        hint="slow down, or use a batch for many sessions",
    ),
    Problem(
        429,
        "INTERLOCK.TOO_MANY_STREAMS",
        "Too many event streams",
        "5 event streams of yours are open already",
        hint="close a stream you no longer read (or poll GET /v1/batches/{id}) and retry",
    ),
    Problem(
        500,
        "INTERLOCK.INTERNAL",
        "Internal error",
        "the gateway failed to handle this request; nothing was lost",
        hint="retry with the same Idempotency-Key; report the request id if it persists",
    ),
    Problem(
        502,
        "VENDOR.AUTH_FAILED",
        "Vendor authentication failed",
        "DingTalk refused the app credentials of account dingtalk-hq",
        hint="an operator must fix them in interlock.toml (your API key is fine)",
    ),
    Problem(
        503,
        "VENDOR.UNAVAILABLE",
        "Vendor unavailable",
        "DingTalk did not answer; try again later",
        hint="retry after the Retry-After header",
    ),
    Problem(
        504,
        "VENDOR.UNAVAILABLE",
        "Vendor unavailable",
        "DingTalk did not answer within the timeout",
        hint="read the session before retrying: the call may have taken effect",
    ),
)


def example_for(status: int, path: str, code: str | None = None) -> dict[str, Any]:
    """The example body of a ``status`` problem at ``path`` (``code``: the one to show).

    :raises LookupError: no example of that status (and code): add one to :data:`EXAMPLES`.
    """
    for problem in EXAMPLES:
        if problem.status == status and code in (None, problem.code):
            return {"instance": path, **problem_body(problem), "request_id": _REQUEST_ID}
    named = f" with code {code}" if code else ""
    raise LookupError(f"no example problem for status {status}{named}: add one to EXAMPLES")
