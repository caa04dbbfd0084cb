"""``SandboxDouble``: the sandbox vendor's HTTP API, in memory.

Conventions (deliberately plain, so the tutorial adapter stays short):

* ``POST /oauth/token`` ``{"client_id","client_secret"}`` → ``{"access_token","expires_in"}``
* ``Authorization: Bearer <token>`` on everything else; an expired token → 401 ``token_expired``
* envelope ``{"ok": true, "data": …}`` / ``{"ok": false, "error": {"code","message"}}`` — and,
  like many real vendors, some errors arrive inside an HTTP 200
* ``GET /v1/sessions`` (filters, ``page_size``, ``cursor``) and ``GET /v1/sessions/{id}``
* ``POST /v1/sessions/{id}:pause|resume|terminate|revoke|restore`` with ``Idempotency-Key``
  (required on every write) and ``{"reason": {"code": <a reason code>, "note"?: <text>}}``
* ``POST /v1/sessions:batch`` ``{"action","ids","reason"}`` → per-id results (≤ 100 ids)
* throttle: 429 with ``Retry-After``; request id header ``x-sandbox-request-id``
"""

from __future__ import annotations

import random
import re
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

import httpx

from interlock.doubles import (
    DoubleSettings,
    ErrorAnswer,
    Fault,
    FaultPlan,
    QpsWindow,
    VendorDouble,
    reason_text,
)
from interlock.errors import InvalidTransition, SessionNotFound
from interlock.models import FilterField, ReasonCode, SessionState, Verb
from interlock_sandbox.double._render import VENDOR_STATUS, body_of, error, ok, session_json

__all__ = ["ERROR_CATALOGUE", "SandboxDouble"]

CLIENT_ID = "sandbox-client"
CLIENT_SECRET = "sandbox-secret-4f1c2a"  # noqa: S105 - the double's published demo credential
MAX_BATCH = 100
REQUEST_ID = "x-sandbox-request-id"
ERROR_CATALOGUE = {
    "invalid_client": 401,
    "unauthenticated": 401,
    "token_expired": 401,
    "invalid_argument": 400,
    "not_found": 404,
    "invalid_transition": 409,
    "rate_limited": 429,
    "deadline_exceeded": 504,
    "internal": 500,
    "unavailable": 503,
}
ERROR_MEANING = {
    "invalid_client": ("VENDOR.AUTH_FAILED", "unknown client or wrong secret"),
    "unauthenticated": ("VENDOR.AUTH_FAILED", "missing bearer token"),
    "token_expired": ("VENDOR.AUTH_FAILED", "the access token is expired or unknown"),
    "invalid_argument": ("VENDOR.PROTOCOL_ERROR", "bad request: page_size must be 1..200"),
    "not_found": ("SESSION.NOT_FOUND", "no such session"),
    "rate_limited": ("VENDOR.RATE_LIMITED", "slow down"),
    "deadline_exceeded": ("VENDOR.UNAVAILABLE", "the gateway gave up waiting"),
    "internal": ("VENDOR.UNAVAILABLE", "the request could not be processed"),
    "unavailable": ("VENDOR.UNAVAILABLE", "service temporarily unavailable"),
}
"""What the vendor documents each code to mean, and its message (invalid_transition never
answers a read)."""
_SESSION_VERB = re.compile(r"^/v1/sessions/(?P<id>[^/:]+):(?P<verb>[a-z]+)$")
_SESSION = re.compile(r"^/v1/sessions/(?P<id>[^/:]+)$")
_INTERVIEW = re.compile(r"^/interview/(?P<id>[A-Za-z0-9_-]{1,64})$")
_FILTERS = ("status", "candidate", "position", "batch_no", "start_from", "start_to")


class SandboxDouble(VendorDouble):
    """The in-memory sandbox vendor."""

    vendor: ClassVar[str] = "sandbox"
    default_base_url: ClassVar[str] = "https://sandbox.interlock.invalid"
    default_qps: ClassVar[float] = 100.0
    records_reasons: ClassVar[bool] = True
    request_id_header: ClassVar[str | None] = REQUEST_ID
    leaves_items_out: ClassVar[bool] = True
    garbled_fields: ClassVar[dict[str, Any]] = {
        "scheduled_at": "tomorrow",
        "started_at": "2026-13-01T09:00:00Z",
        "resume_deadline": "noon",
        "progress": "half",
    }
    token_paths: ClassVar[frozenset[str]] = frozenset({"/oauth/token"})
    token_lifetime_s: float = 3600.0

    def __init__(self, settings: DoubleSettings | None = None) -> None:
        super().__init__(settings)
        self._tokens: dict[str, float] = {}
        self._replies: dict[str, httpx.Response] = {}
        self._throttle = QpsWindow(self.qps, clock=self.monotonic)

    def new_id(self, rng: random.Random) -> str:
        return f"sbx-{rng.getrandbits(40):010x}"

    @property
    def secrets(self) -> tuple[str, ...]:
        return (CLIENT_SECRET, *super().secrets)

    def adapter_options(self, base_url: str) -> dict[str, Any]:
        return {
            "base_url": base_url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "in_process": False,
            "vendor_qps": self.qps,
        }

    def expire_tokens(self) -> None:
        self._tokens = dict.fromkeys(self._tokens, 0.0)

    def render_fault(self, plan: FaultPlan, request: httpx.Request) -> httpx.Response:
        rid = uuid.uuid4().hex
        if plan.fault is Fault.RATE_LIMITED:
            after = {} if plan.retry_after is None else {"retry-after": f"{plan.retry_after:g}"}
            return self.throttled(error(429, "rate_limited", "slow down", rid, **after))
        if plan.fault is Fault.ERROR_IN_200:
            return error(200, "internal", "the request could not be processed", rid)
        if plan.fault is Fault.MALFORMED_BODY:
            return httpx.Response(200, text="<html>gateway hiccup</html>")
        return error(503, "unavailable", "service temporarily unavailable", rid)

    def error_answers(self, session_id: str) -> list[ErrorAnswer]:
        del session_id  # every answer here is an error, none a payload of the session
        documented = [
            ErrorAnswer(code, message, means, _error_answer(status, code, message))
            for code, (means, message) in ERROR_MEANING.items()
            for status in sorted({ERROR_CATALOGUE[code], 200})  # each also comes in an HTTP 200
        ]
        # A code the vendor adds tomorrow means what its status says; an error without a
        # message (or without a code) must still say what little the vendor did.
        unknown = [
            ErrorAnswer(
                "lease_conflict",
                "",
                "VENDOR.PROTOCOL_ERROR",
                _error_answer(409, "lease_conflict", ""),
            ),
            ErrorAnswer(
                "maintenance",
                "down for maintenance",
                "VENDOR.UNAVAILABLE",
                _error_answer(500, "maintenance", "down for maintenance"),
            ),
            ErrorAnswer(None, "", "VENDOR.PROTOCOL_ERROR", _error_answer(499, None, None)),
        ]
        malformed = [
            ErrorAnswer(
                None,
                "",
                "VENDOR.PROTOCOL_ERROR",
                _raw_answer(200, b"<html>gateway hiccup</html>"),
                details={"field": "body"},
            ),
            ErrorAnswer(
                None, "", "VENDOR.UNAVAILABLE", _raw_answer(500, b"<html>internal error</html>")
            ),
            ErrorAnswer(
                None,
                "",
                "VENDOR.PROTOCOL_ERROR",
                _raw_answer(200, b'{"data": {"id": "x"}}'),
                details={"field": "ok"},
            ),
            ErrorAnswer(
                None,
                "",
                "VENDOR.PROTOCOL_ERROR",
                _raw_answer(200, b'["ok"]'),
                details={"field": "ok"},
            ),
        ]
        waits = [  # a throttle says how long to wait in Retry-After, when it says at all
            ErrorAnswer(
                "rate_limited",
                "slow down",
                "VENDOR.RATE_LIMITED",
                _error_answer(429, "rate_limited", "slow down", retry_after="2.5"),
                {"retry_after": 2.5},
            ),
            ErrorAnswer(
                "rate_limited",
                "slow down",
                "VENDOR.RATE_LIMITED",
                _error_answer(429, "rate_limited", "slow down"),
                {"retry_after": None},
            ),
        ]
        return [*documented, *unknown, *malformed, *waits]

    # -- dispatch ----------------------------------------------------------------------------

    async def dispatch(self, request: httpx.Request) -> httpx.Response:
        rid = uuid.uuid4().hex
        path = request.url.path
        if path == "/oauth/token" and request.method == "POST":
            return self._token(request, rid)
        if (m := _INTERVIEW.match(path)) and request.method == "GET":
            return self._interview_page(m["id"])
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not token:
            return error(401, "unauthenticated", "missing bearer token", rid)
        if self._tokens.get(token, 0.0) <= self.monotonic():
            return error(401, "token_expired", "the access token is expired or unknown", rid)
        api = self.api_of(request)
        if not self._throttle.allow(api):
            wait = f"{max(0.001, self._throttle.retry_after(api)):.3f}"
            return self.throttled(
                error(429, "rate_limited", "slow down", rid, **{"retry-after": wait})
            )
        key = request.headers.get("idempotency-key")
        if self.is_mutation(request) and not key:
            return error(400, "invalid_argument", "Idempotency-Key is required on writes", rid)
        if key and key in self._replies:
            return self._replies[key]
        try:
            response = self._route(request, path, rid)
        except SessionNotFound:
            return error(404, "not_found", "no such session", rid)
        except InvalidTransition as exc:
            return error(409, "invalid_transition", exc.message, rid)
        except (ValueError, KeyError) as exc:
            return error(400, "invalid_argument", f"bad request: {exc}", rid)
        if key and request.method == "POST":
            self._replies[key] = response
        return response

    def is_mutation(self, request: httpx.Request) -> bool:
        return request.method == "POST" and request.url.path != "/oauth/token"

    def api_of(self, request: httpx.Request) -> str:
        if self.is_token_request(request):
            return "oauth.token"
        if request.url.path.endswith(":batch"):
            return "sessions.batch"
        match = _SESSION_VERB.match(request.url.path)
        return f"sessions.{match['verb']}" if match else "sessions.read"

    def _route(self, request: httpx.Request, path: str, rid: str) -> httpx.Response:
        if path == "/v1/sessions" and request.method == "GET":
            return self._list(request, rid)
        if path == "/v1/sessions:batch" and request.method == "POST":
            return self._batch(body_of(request), rid)
        if (m := _SESSION_VERB.match(path)) and request.method == "POST":
            return self._verb(m["id"], m["verb"], body_of(request), rid)
        if (m := _SESSION.match(path)) and request.method == "GET":
            return ok(session_json(self.world.get(m["id"])), rid)
        return error(404, "not_found", f"no route {request.method} {path}", rid)

    def _interview_page(self, session_id: str) -> httpx.Response:
        """The candidate's interview page (where a resume link hands over): its state only."""
        try:
            state = self.world.get(session_id).state
        except SessionNotFound:
            return httpx.Response(404, text="no such interview")
        page = (
            "<!doctype html><html><head><title>Sandbox AI interview</title></head><body>"
            f"<h1>Sandbox AI interview</h1><p id='state'>{state.value}</p></body></html>"
        )
        return httpx.Response(200, text=page, headers={"content-type": "text/html"})

    def _token(self, request: httpx.Request, rid: str) -> httpx.Response:
        body = body_of(request)
        if body.get("client_id") != CLIENT_ID or body.get("client_secret") != CLIENT_SECRET:
            return error(401, "invalid_client", "unknown client or wrong secret", rid)
        token = self.issue_token(secrets.token_urlsafe(24))
        self._tokens[token] = self.monotonic() + self.token_lifetime_s
        return ok({"access_token": token, "expires_in": int(self.token_lifetime_s)}, rid)

    def _list(self, request: httpx.Request, rid: str) -> httpx.Response:
        params = request.url.params
        unknown = set(params) - {*_FILTERS, "page_size", "cursor"}
        if unknown:
            raise ValueError(f"unknown parameters {sorted(unknown)}")
        page_size = int(params.get("page_size", "50"))
        if not 1 <= page_size <= 200:
            raise ValueError("page_size must be 1..200")
        rows = [s for s in self.world.sessions.values() if _matches(s, params)]
        start = int(params.get("cursor") or 0)
        page = rows[start : start + page_size]
        self.record_query(_filters_of(params), (s.id for s in page))
        more = start + page_size < len(rows)
        data = {
            "sessions": [session_json(s) for s in page],
            "next_cursor": str(start + page_size) if more else None,
            "total": len(rows),
        }
        return ok(data, rid)

    def _verb(self, session_id: str, verb: str, body: dict[str, Any], rid: str) -> httpx.Response:
        before = self.world.get(session_id).state
        if verb == "restore":
            transition = self.world.restore(
                session_id, SessionState(body["state"]), reason=_reason(body)
            )
        else:
            deadline = body.get("resume_deadline")
            transition = self.world.apply(
                session_id,
                Verb(verb),
                resume_deadline=datetime.fromisoformat(deadline) if deadline else None,
                reason=_reason(body),
            )
        session = session_json(self.world.get(session_id))
        data = {
            "session": session,
            "previous_status": VENDOR_STATUS[before],
            "changed": not transition.already_in_state,
        }
        return ok(data, rid)

    def _batch(self, body: dict[str, Any], rid: str) -> httpx.Response:
        ids = body["ids"]
        if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_BATCH:
            raise ValueError(f"ids must be a list of 1..{MAX_BATCH}")
        verb = Verb(body["action"])
        reason = _reason(body)
        results: list[dict[str, Any]] = []
        for session_id in ids:
            try:
                transition = self.world.apply(str(session_id), verb, reason=reason)
                results.append(
                    {
                        "id": session_id,
                        "ok": True,
                        "changed": not transition.already_in_state,
                        "previous_status": VENDOR_STATUS[transition.source],
                        "session": session_json(self.world.get(str(session_id))),
                    }
                )
            except SessionNotFound:
                results.append(_item_error(session_id, "not_found", "no such session"))
            except InvalidTransition as exc:
                failure = _item_error(session_id, "invalid_transition", exc.message)
                results.append({**failure, "status": self._status(str(session_id))})
        answered = [r for r in results if str(r["id"]) not in self.left_out]
        return ok({"results": self.shuffled(answered)}, rid)  # the vendor promises no order

    def _status(self, session_id: str) -> str:
        session = self.world.get(session_id)
        return session.vendor_state_override or VENDOR_STATUS[session.state]


def _reason(body: dict[str, Any]) -> str | None:
    """``{"reason": {"code": …, "note"?}}`` of a write, as the vendor records it (a known reason
    code and the note). :raises ValueError: not a reason."""
    reason = body.get("reason")
    if not isinstance(reason, dict):
        raise ValueError("reason must be an object with a code")
    unknown = set(reason) - {"code", "note"}
    if unknown:  # the vendor refuses fields it does not know
        raise ValueError(f"unknown reason fields {sorted(unknown)}")
    return reason_text(ReasonCode(str(reason.get("code"))), reason.get("note"))


def _item_error(session_id: Any, code: str, message: str) -> dict[str, Any]:
    return {"id": session_id, "ok": False, "error": {"code": code, "message": message}}


def _matches(s: Any, params: httpx.QueryParams) -> bool:
    checks = {
        "status": lambda v: (s.vendor_state_override or VENDOR_STATUS[s.state]) == v,
        "candidate": lambda v: s.candidate_id == v,
        "position": lambda v: s.position.id == v,
        "batch_no": lambda v: s.batch_no == v,
        "start_from": lambda v: s.scheduled_at >= datetime.fromisoformat(v),
        "start_to": lambda v: s.scheduled_at < datetime.fromisoformat(v),
    }
    return all(
        any(checks[name](v) for v in params.get_list(name)) for name in _FILTERS if name in params
    )


_STATE_OF = {status: state for state, status in VENDOR_STATUS.items()}


def _filters_of(params: httpx.QueryParams) -> dict[FilterField, Any]:
    """The listing's filters as neutral fields and values (for :meth:`record_query`)."""
    filters: dict[FilterField, Any] = {}
    if "status" in params:
        filters[FilterField.STATE] = frozenset(
            _STATE_OF.get(v, SessionState.UNKNOWN) for v in params.get_list("status")
        )
    for name, field in (
        ("candidate", FilterField.CANDIDATE),
        ("position", FilterField.POSITION),
        ("batch_no", FilterField.BATCH_NO),
    ):
        if name in params:
            filters[field] = params[name]
    for name, field in (("start_from", FilterField.START_FROM), ("start_to", FilterField.START_TO)):
        if name in params:
            filters[field] = datetime.fromisoformat(params[name])
    return filters


def _error_answer(
    status: int, code: str | None, message: str | None, *, retry_after: str | None = None
) -> Callable[[], httpx.Response]:
    """An error envelope; a ``None`` code or message leaves that key out."""

    def render() -> httpx.Response:
        fields = {"code": code, "message": message}
        body = {"ok": False, "error": {k: v for k, v in fields.items() if v is not None}}
        headers = {REQUEST_ID: uuid.uuid4().hex}
        if retry_after is not None:
            headers["retry-after"] = retry_after
        return httpx.Response(status, json=body, headers=headers)

    return render


def _raw_answer(status: int, content: bytes) -> Callable[[], httpx.Response]:
    def render() -> httpx.Response:
        return httpx.Response(status, content=content, headers={REQUEST_ID: uuid.uuid4().hex})

    return render
