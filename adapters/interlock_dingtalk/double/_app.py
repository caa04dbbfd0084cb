"""``DingTalkDouble``: DingTalk's ATS API as the adapter meets it, in memory.

Order of checks for every request, as DingTalk's API gateway does them:

1. routing — an unknown method + path is a 404 ``InvalidAction.NotFound``;
2. token endpoints answer here (JSON only; ``token_requests`` counts them);
3. the token must be in the ``x-acs-dingtalk-access-token`` header (query or Bearer → 400
   ``AuthenticationFailed.MissingParameter``) and valid (else **400** ``InvalidAuthentication``);
4. permission (403 ``AccessTokenPermissionDenied`` with ``accessdenieddetail.requiredScopes``);
5. throttling: a global per-API limit when set (403 ``QpsLimitForApi``) and a limit per
   (app, API) at ``settings.qps`` (default 20/s; 403 ``QpsLimitForAppkeyAndApi``, no
   ``Retry-After``, never 429) — at most that many calls in *any* one-second window, sliding or
   calendar, as DingTalk documents; then the monthly quota per org (403 ``ApiCountLimitForOrg``);
6. ``bizCode`` (only ``ddats``), an idempotent replay for a repeated ``clientToken``, the handler.
"""

from __future__ import annotations

import json
import random
from collections import OrderedDict
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any, ClassVar

import httpx

from interlock.doubles import (
    DEFAULT_DOUBLE_TIMEZONE,
    DoubleSettings,
    ErrorAnswer,
    Fault,
    FaultPlan,
    QpsWindow,
    VendorDouble,
    WorldSession,
)
from interlock.events import CallbackReply, CallbackRequest
from interlock.models import SessionState
from interlock_dingtalk.double import _auth
from interlock_dingtalk.double._answers import error_answers
from interlock_dingtalk.double._auth import Caller, TokenIssuer
from interlock_dingtalk.double._bad_pushes import BadPush, bad_callbacks
from interlock_dingtalk.double._call import Call
from interlock_dingtalk.double._catalogue import LEGACY_ERRCODES, DingTalkError
from interlock_dingtalk.double._crypto import decrypt
from interlock_dingtalk.double._messages import WORK_NOTICE_PATH, WorkNotices
from interlock_dingtalk.double._push import PushSender
from interlock_dingtalk.double._render import (
    VENDOR_STATUS,
    error,
    job_json,
    millis,
    new_request_id,
    ok,
)
from interlock_dingtalk.double._routes import RECRUITMENT_SCOPE, Route, match
from interlock_dingtalk.double._tenant import Tenant
from interlock_dingtalk.double._throttle import MonthlyQuota

__all__ = ["SESSION_CHANGE_EVENT", "DingTalkDouble"]

SESSION_CHANGE_EVENT = "ats_ai_interview_session_change"
_TOKEN_HEADER = "x-acs-dingtalk-access-token"  # noqa: S105 - a header name
_MAX_REPLIES = 10_000
_CALLBACK_URL = "https://gateway.interlock.invalid/v1/callbacks/dingtalk"
_FOREIGN_APP_KEY = "dingforeignapp00000"  # another app of the same org
_EXTRAS = ("interviewId", "interviewDate", "endTimeMillis", "gmtModifiedMillis")
"""The session object's fields without a neutral home, which ``vendor_data`` passes on."""


class DingTalkDouble(VendorDouble):
    """The simulated DingTalk tenant (one org with an internal app and an ISV suite)."""

    vendor: ClassVar[str] = "dingtalk"
    default_base_url: ClassVar[str] = "https://api.dingtalk.interlock.invalid"
    default_qps: ClassVar[float] = 20.0
    records_reasons: ClassVar[bool] = True
    leaves_items_out: ClassVar[bool] = True
    unmapped_vendor_state: ClassVar[str] = "ARCHIVED"
    garbled_page_fields: ClassVar[dict[str, Any]] = {"nextToken": None}
    garbled_fields: ClassVar[dict[str, Any]] = {
        "startTimeMillis": "soon",
        "actualStartTimeMillis": "2026-12-01T09:00:00",
        "resumeDeadlineMillis": "tomorrow",
        "progress": "half",
    }
    request_id_header: ClassVar[str | None] = "x-acs-request-id"
    token_paths: ClassVar[frozenset[str]] = frozenset(
        {"/v1.0/oauth2/accessToken", "/v1.0/oauth2/corpAccessToken"}
    )

    def __init__(self, settings: DoubleSettings | None = None) -> None:
        super().__init__(settings)
        self.tenant = Tenant(
            self.world,
            DEFAULT_DOUBLE_TIMEZONE,
            self.world.clock() - timedelta(days=30),
            record_query=self.record_query,
            shuffled=self.shuffled,
            left_out=self.left_out,
            garbled_page=self.garbled_page,
        )
        self.tokens = TokenIssuer(clock=self.monotonic, on_issue=self.issue_token)
        self.app_limit = QpsWindow(self.qps, clock=self.monotonic)
        self.api_limit: QpsWindow | None = None
        self.quota = MonthlyQuota()
        self.revoked_scopes: set[str] = set()
        self.work_notices = WorkNotices()
        self.pushes = PushSender(_auth.CALLBACK_TOKEN, _auth.CALLBACK_AES_KEY, self.world.clock)
        self._replies: OrderedDict[tuple[str, str, str], tuple[int, dict[str, str], bytes]] = (
            OrderedDict()
        )

    # -- VendorDouble ------------------------------------------------------------------------

    def new_id(self, rng: random.Random) -> str:
        """DingTalk ids are numeric strings."""
        return str(rng.randrange(10**11, 10**12))

    @property
    def secrets(self) -> tuple[str, ...]:
        return (
            _auth.APP_SECRET,
            _auth.SUITE_SECRET,
            _auth.SUITE_TICKET,
            _auth.CALLBACK_TOKEN,
            _auth.CALLBACK_AES_KEY,
            *super().secrets,
        )

    def adapter_options(self, base_url: str) -> dict[str, Any]:
        """An internal app (``appKey``/``appSecret``) of the double's org, with push set up."""
        return {
            "base_url": base_url,
            "app_type": "internal",
            "app_key": _auth.APP_KEY,
            "app_secret": _auth.APP_SECRET,
            **self._common_options(),
        }

    def isv_adapter_options(self, base_url: str) -> dict[str, Any]:
        """The ISV variant (``corpAccessToken``), which DingTalk documents for the ATS API."""
        return {
            "base_url": base_url,
            "app_type": "isv",
            "suite_key": _auth.SUITE_KEY,
            "suite_secret": _auth.SUITE_SECRET,
            "auth_corp_id": _auth.CORP_ID,
            "suite_ticket": _auth.SUITE_TICKET,
            **self._common_options(),
        }

    def other_adapter_options(self, base_url: str) -> dict[str, dict[str, Any]]:
        return {"isv": self.isv_adapter_options(base_url)}

    def _common_options(self) -> dict[str, Any]:
        return {
            "callback_token": _auth.CALLBACK_TOKEN,
            "callback_aes_key": _auth.CALLBACK_AES_KEY,
            "vendor_qps": self.qps,
        }

    def expire_tokens(self) -> None:
        self.tokens.expire_all()

    def api_of(self, request: httpx.Request) -> str:
        found = match(request)
        return found[0].api_name(found[1]) if found else "Unknown"

    def is_mutation(self, request: httpx.Request) -> bool:
        found = match(request)
        return found[0].mutation if found else request.method not in ("GET", "HEAD")

    def vendor_data(self, session: WorldSession) -> dict[str, Any]:
        """The session object's extras and the job's ``mainDeptId`` (a deleted job has none)."""
        rendered = self.tenant.session_json(session)
        data = {k: rendered[k] for k in _EXTRAS if k in rendered}
        for position in self.world.positions:
            if position.id == session.position.id and position.id not in self.deleted_jobs:
                job = job_json(position, self.tenant.created_at)
                if "mainDeptId" in job:
                    data["mainDeptId"] = job["mainDeptId"]
        return data

    def error_answers(self, session_id: str) -> list[ErrorAnswer]:
        return error_answers(self, session_id)

    def render_fault(self, plan: FaultPlan, request: httpx.Request) -> httpx.Response:
        rid = new_request_id()
        if plan.fault is Fault.RATE_LIMITED:
            # DingTalk throttles with a 403 and never sends Retry-After, whatever the plan says.
            return self.throttled(error("Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", rid))
        if plan.fault is Fault.ERROR_IN_200:
            body = {"errcode": -1, "errmsg": LEGACY_ERRCODES[-1], "request_id": rid}
            return httpx.Response(200, json=body, headers={"x-acs-request-id": rid})
        if plan.fault is Fault.MALFORMED_BODY:
            return httpx.Response(
                200,
                content=b'{"totalCount": 3, "hasMore": true, "list": [{"sessionId": ',
                headers={"content-type": "application/json", "x-acs-request-id": rid},
            )
        return error("systemError", rid)

    # -- scenario helpers --------------------------------------------------------------------

    @property
    def token_lifetime_s(self) -> float:
        return self.tokens.lifetime_s

    @token_lifetime_s.setter
    def token_lifetime_s(self, seconds: float) -> None:
        self.tokens.lifetime_s = seconds

    def set_api_qps(self, qps: float | None) -> None:
        """DingTalk's global per-API limit across all apps (403 ``QpsLimitForApi``)."""
        self.api_limit = None if qps is None else QpsWindow(qps, clock=self.monotonic)

    def revoke_scope(self, scope: str = RECRUITMENT_SCOPE) -> None:
        """Take a permission away from the app (403 ``AccessTokenPermissionDenied``)."""
        self.revoked_scopes.add(scope)

    @property
    def timezone(self) -> tzinfo:
        return self.tenant.timezone

    def put_sparse_session(self, state: SessionState) -> str:
        """A session DingTalk holds little of: its job was deleted since (no owners or
        department can be read; the session record still names its ``jobLevel``), and the
        candidate schedules it, so DingTalk has only its local day (``interviewDate``), whose
        start is the session's neutral ``scheduled_at``."""
        session = self.world.get(super().put_sparse_session(state))
        level = next(p.level for p in self.world.positions if p.level)
        session.position = replace(session.position, level=level)
        day = session.scheduled_at.astimezone(self.timezone).date()
        session.scheduled_at = datetime.combine(day, time.min, tzinfo=self.timezone).astimezone(UTC)
        if session.started_at is not None:
            session.started_at = session.scheduled_at + timedelta(minutes=5)
        self.tenant.self_scheduled.add(session.id)
        return session.id

    @property
    def deleted_jobs(self) -> set[str]:
        """Jobs DingTalk no longer knows (``GetJobInfoByJobId`` answers not found)."""
        return self.tenant.deleted_jobs

    def push_session_change(
        self,
        session_id: str,
        url: str,
        *,
        previous: SessionState | None = None,
        owner_key: str = _auth.APP_KEY,
        token: str | None = None,
        timestamp: str | None = None,
        padding: int = 0,
    ) -> httpx.Request:
        """The signed, encrypted push DingTalk-style sends when a session's status changed."""
        session = self.world.get(session_id)
        event = {
            "EventType": SESSION_CHANGE_EVENT,
            "eventId": f"evt-{self._rng.getrandbits(64):016x}",
            "corpId": _auth.CORP_ID,
            "sessionId": session.id,
            "status": session.vendor_state_override or VENDOR_STATUS[session.state],
            "previousStatus": VENDOR_STATUS[previous or session.previous_state or session.state],
            "changeTimeMillis": millis(session.updated_at),
        }
        return self.pushes.request(
            url, event, owner_key=owner_key, token=token, timestamp=timestamp, padding=padding
        )

    def signed_callback(
        self,
        session_id: str,
        *,
        secret: str | None = None,
        age_s: float = 0.0,
        foreign: bool = False,
        padding: int = 0,
    ) -> CallbackRequest:
        """The contract kit's hook: a state-change push about ``session_id`` as the gateway
        receives it, signed with ``secret`` instead of the callback token when given, ``age_s``
        seconds ago, for another app of the org with ``foreign``, and ``padding`` bytes longer
        (every length of the cipher's last block)."""
        signed_at = self.world.clock() - timedelta(seconds=age_s)
        request = self.push_session_change(
            session_id,
            _CALLBACK_URL,
            token=secret,
            owner_key=_FOREIGN_APP_KEY if foreign else _auth.APP_KEY,
            timestamp=str(int(signed_at.timestamp() * 1000)),
            padding=padding,
        )
        return CallbackRequest(
            method=request.method,
            query=dict(request.url.params),
            headers={"content-type": "application/json"},
            body=request.content,
        )

    def verification_callback(self) -> CallbackRequest:
        """The contract kit's hook: DingTalk's check of a new callback URL (``check_url``)."""
        request = self.push_check_url(_CALLBACK_URL)
        return CallbackRequest(
            method=request.method,
            query=dict(request.url.params),
            headers={"content-type": "application/json"},
            body=request.content,
        )

    def other_callbacks(self, session_id: str) -> list[tuple[str, CallbackRequest]]:
        """The contract kit's hook: good pushes in DingTalk's other documented shape, the older
        query names ``signature`` and ``timeStamp`` (vendors.md §1.7)."""
        push = self.signed_callback(session_id)
        older = {"msg_signature": "signature", "timestamp": "timeStamp"}
        query = {older.get(k, k): v for k, v in push.query.items()}
        return [("a push with the older query names", push.model_copy(update={"query": query}))]

    def bad_callbacks(self, session_id: str) -> list[BadPush]:
        """The contract kit's hook: pushes signed right but wrong inside (see _bad_pushes)."""
        good = self.push_session_change(session_id, _CALLBACK_URL)
        event = json.loads(decrypt(json.loads(good.content)["encrypt"], _auth.CALLBACK_AES_KEY)[0])
        return bad_callbacks(
            event,
            token=_auth.CALLBACK_TOKEN,
            aes_key=_auth.CALLBACK_AES_KEY,
            owner_key=_auth.APP_KEY,
            clock=self.world.clock,
        )

    def callback_reply_error(self, reply: CallbackReply) -> str | None:
        """Why DingTalk would not take ``reply`` as the acknowledgement (its encrypted
        ``success``, signed with the callback token, for this app), or None."""
        try:
            message = self.pushes.read_reply(reply.body, owner_key=_auth.APP_KEY)
        except ValueError as exc:
            return str(exc)
        return None if message == "success" else f"the reply says {message!r}, not 'success'"

    def push_check_url(self, url: str, *, owner_key: str = _auth.APP_KEY) -> httpx.Request:
        """DingTalk's first push to a new callback URL: ``{"EventType": "check_url"}``."""
        return self.pushes.request(url, {"EventType": "check_url"}, owner_key=owner_key)

    # -- dispatch ----------------------------------------------------------------------------

    async def dispatch(self, request: httpx.Request) -> httpx.Response:
        rid = new_request_id()
        if request.url.path == WORK_NOTICE_PATH and request.method == "POST":
            token = request.url.params.get("access_token", "")
            token_ok = bool(token) and self.tokens.check(token) is not None
            return self.work_notices.handle(request, rid, token_ok=token_ok)
        found = match(request)
        if found is None:
            return error("InvalidAction.NotFound", rid)
        route, args = found
        try:
            if not route.authenticated:
                return self._token(request, route, rid)
            caller = self._authenticate(request)
            self._authorize()
            throttled = self._throttle(caller, route.api_name(args), rid)
            if throttled is not None:
                return throttled
            if not self.quota.take(caller.corp_id):
                raise DingTalkError("Forbidden.AccessDenied.ApiCountLimitForOrg")
            if route.biz_code and request.url.params.get("bizCode", "ddats") != "ddats":
                raise DingTalkError("invalidParam", "bizCode only accepts ddats")
            return self._serve(Call(self.tenant, request, args, caller, rid), route)
        except DingTalkError as exc:
            return error(exc.code, rid, exc.message, extra=exc.extra)

    def _token(self, request: httpx.Request, route: Route, rid: str) -> httpx.Response:
        check = (
            _auth.internal_credentials if route.api == "GetAccessToken" else _auth.corp_credentials
        )
        token = self.tokens.issue(check(request))
        return ok({"accessToken": token, "expireIn": int(self.tokens.lifetime_s)}, rid)

    def _authenticate(self, request: httpx.Request) -> Caller:
        token = request.headers.get(_TOKEN_HEADER, "").strip()
        if not token:
            raise DingTalkError("AuthenticationFailed.MissingParameter")
        caller = self.tokens.check(token)
        if caller is None:
            raise DingTalkError("InvalidAuthentication")
        return caller

    def _authorize(self) -> None:
        if RECRUITMENT_SCOPE in self.revoked_scopes:
            raise DingTalkError(
                "Forbidden.AccessDenied.AccessTokenPermissionDenied",
                extra={"accessdenieddetail": {"requiredScopes": [RECRUITMENT_SCOPE]}},
            )

    def _throttle(self, caller: Caller, api: str, rid: str) -> httpx.Response | None:
        if self.api_limit is not None and not self.api_limit.allow(api):
            return self.throttled(error("Forbidden.AccessDenied.QpsLimitForApi", rid))
        if not self.app_limit.allow(f"{caller.app}|{api}"):
            return self.throttled(error("Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", rid))
        return None

    def _serve(self, call: Call, route: Route) -> httpx.Response:
        assert route.handler is not None
        key = self._replay_key(call, route)
        if key is not None and key in self._replies:
            status, headers, content = self._replies[key]
            return httpx.Response(status, headers=headers, content=content)
        response = route.handler(call)
        if key is not None and response.status_code < 500:
            self._replies[key] = (response.status_code, dict(response.headers), response.content)
            while len(self._replies) > _MAX_REPLIES:
                self._replies.popitem(last=False)
        return response

    def _replay_key(self, call: Call, route: Route) -> tuple[str, str, str] | None:
        """A mutation repeated with the same ``clientToken`` gets the first answer again."""
        if not route.mutation:
            return None
        token = call.body.get("clientToken")
        if not isinstance(token, str) or not token:
            return None
        return (route.api_name(call.args), call.request.url.path, token)
