"""``YonyouDouble``: YonBIP's open platform and one tenant's interview API, in memory.

One host serves what YonBIP spreads over several: the data centre
(``/open-auth/dataCenter/getGatewayAddress``), the token service under ``/iuap-api-auth`` and the
API gateway under ``/iuap-api-gateway``. The data centre answers with URLs on the host the
request came to, so the same double works mounted under respx and served on a loopback port.

The gateway checks, in this order (as probed on the real one): path registered (HTTP 404
``310404``), method (HTTP 405 ``310405``), token present (``310001``) and valid (``310036``;
``text/plain`` ``非法token`` on the detail API), API granted (``310037``), app and API throttles
(``310039``, ``310046``) — all HTTP 200 except the first two.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import httpx

from interlock.doubles import (
    DoubleSettings,
    ErrorAnswer,
    Fault,
    FaultPlan,
    QpsWindow,
    VendorDouble,
    WorldSession,
)
from interlock.events import CallbackReply, CallbackRequest
from interlock.models import utc_now
from interlock_yonyou.double._answers import error_answers
from interlock_yonyou.double._auth import TokenService
from interlock_yonyou.double._bad_pushes import BadPush, bad_callbacks
from interlock_yonyou.double._catalogue import DATA_CENTRE_CODES, GATEWAY_CODES, TOKEN_SUCCESS
from interlock_yonyou.double._crypto import push_signature
from interlock_yonyou.double._interviews import API_PREFIX, ROUTES, WRITES, InterviewApi
from interlock_yonyou.double._push import (
    CHECK_URL,
    STATUS_CHANGE,
    PushOutbox,
    PushSender,
    http_sender,
)
from interlock_yonyou.double._render import (
    gateway_error,
    platform_answer,
    read_json,
    session_record,
    status_of,
)

__all__ = [
    "APP_KEY",
    "APP_SECRET",
    "AUTH_PREFIX",
    "DATA_CENTRE_PATH",
    "GATEWAY_PREFIX",
    "TENANT_ID",
    "TOKEN_PATHS",
    "YonyouDouble",
]

TENANT_ID = "q7ndyp3k"
_FOREIGN_TENANT = "x2kq9m4t"  # another tenant the same app serves
APP_KEY = "3f6b2a0e-8c1d-4e57-9a2b-6d4c8e1f0a73"
APP_SECRET = "5d1f0c8e-9a7b-4c2d-8e6f-1a3b5c7d9e0f"  # noqa: S105 - a demo credential
"""Dashed like YonBIP's: its push AES key is derived with the dashes stripped (vendors.md)."""
GATEWAY_PREFIX = "/iuap-api-gateway"
AUTH_PREFIX = "/iuap-api-auth"
DATA_CENTRE_PATH = "/open-auth/dataCenter/getGatewayAddress"
TOKEN_PATHS = (
    "/open-auth/selfAppAuth/getAccessToken",
    "/open-auth/selfAppAuth/base/v1/getAccessToken",
)
PLAIN_TEXT_TOKEN_ERROR_API = f"{API_PREFIX}/session/detail"
"""The one API that answers a bad token with ``text/plain`` ``非法token`` (as some real ones do)."""
APP_QPS_FACTOR = 3.0
"""The app-level limit (310039) is this many times the per-API limit (310046)."""
THROTTLE_CODES = frozenset({"310032", "310039", "310042", "310046"})
_MALFORMED = '{"code":"200","message":"操作成功","data":{"recordList":['.encode()  # cut short
_BAD_GATEWAY = (
    b"<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>"
)


class YonyouDouble(VendorDouble):
    """The simulated YonBIP tenant (see the module docstring and ``VENDOR_API.md``)."""

    vendor: ClassVar[str] = "yonyou"
    batch_idempotency: ClassVar[bool] = False  # YonBIP batches take no resubmitCheckKey
    default_base_url: ClassVar[str] = "https://yonbip.interlock.invalid"
    default_qps: ClassVar[float] = 100.0
    records_reasons: ClassVar[bool] = True
    leaves_items_out: ClassVar[bool] = True
    unmapped_vendor_state: ClassVar[str] = "9"
    garbled_fields: ClassVar[dict[str, Any]] = {
        "beginTime": "2026/12/01 09:00",
        "startTime": "昨天",
        "pauseDeadline": "12:00:00",
        "progress": "一半",
    }
    tenant_timezone: ClassVar[ZoneInfo] = ZoneInfo("Asia/Shanghai")

    def __init__(self, settings: DoubleSettings | None = None) -> None:
        super().__init__(settings)
        self.auth = TokenService(
            {APP_KEY: APP_SECRET}, clock=self.monotonic, on_issue=self.issue_token
        )
        self.interviews = InterviewApi(
            self.world,
            self.tenant_timezone,
            on_change=self._announce,
            record_query=self.record_query,
            shuffled=self.shuffled,
            clock=self.monotonic,
            left_out=self.left_out,
        )
        self.outbox = PushOutbox(app_key=APP_KEY, app_secret=APP_SECRET, tenant_id=TENANT_ID)
        self.tenants = {TENANT_ID}
        self.granted: set[str] = set(ROUTES)
        """APIs granted to the app (开放平台 → API 授权); the others answer ``310037``."""
        self.push_clock = utc_now
        self._api_throttle = QpsWindow(self.qps, clock=self.monotonic)
        self._app_throttle = QpsWindow(self.qps * APP_QPS_FACTOR, clock=self.monotonic)
        self._forced: list[tuple[str, int]] = []

    # -- VendorDouble -----------------------------------------------------------------------

    def new_id(self, rng: random.Random) -> str:
        return str(rng.randrange(10**15, 10**16))  # long numeric string ids, as YonBIP's

    @property
    def secrets(self) -> tuple[str, ...]:
        return (APP_SECRET, *super().secrets)

    def adapter_options(self, base_url: str) -> dict[str, Any]:
        return {
            "data_center_url": base_url,
            "tenant_id": TENANT_ID,
            "app_key": APP_KEY,
            "app_secret": APP_SECRET,
            "vendor_qps": self.qps,
        }

    def other_adapter_options(self, base_url: str) -> dict[str, dict[str, Any]]:
        """An account that names the tenant's hosts itself (no data-centre lookup)."""
        base = base_url.rstrip("/")
        hosts = {"gateway_url": base + GATEWAY_PREFIX, "token_url": base + AUTH_PREFIX}
        return {"known-hosts": self.adapter_options(base_url) | hosts}

    def unusable_adapter_options(self, base_url: str) -> dict[str, dict[str, Any]]:
        """An app secret mangled on its way into interlock.toml (YonBIP's are base64 letters
        and dashes), which cannot yield the AES-256 key its pushes are encrypted with."""
        mangled = "%%" + APP_SECRET[2:]
        return {"a mangled app secret": self.adapter_options(base_url) | {"app_secret": mangled}}

    def expire_tokens(self) -> None:
        self.auth.expire_all()

    def api_of(self, request: httpx.Request) -> str:
        path = request.url.path
        if path.startswith(GATEWAY_PREFIX):
            return path.removeprefix(GATEWAY_PREFIX)
        if path.removeprefix(AUTH_PREFIX) in TOKEN_PATHS:
            return "open-auth.token"
        return "open-auth.dataCenter" if path == DATA_CENTRE_PATH else path

    def is_token_request(self, request: httpx.Request) -> bool:
        return request.url.path.removeprefix(AUTH_PREFIX) in TOKEN_PATHS

    def is_mutation(self, request: httpx.Request) -> bool:
        route = ROUTES.get(self.api_of(request))
        return route is not None and route[1] in WRITES and request.method == "POST"

    def vendor_data(self, session: WorldSession) -> dict[str, Any]:
        """The record's status label and last-change time (``statusName``, ``pubts``)."""
        record = session_record(session, self.tenant_timezone)
        return {k: record[k] for k in ("statusName", "pubts") if k in record}

    def error_answers(self, session_id: str) -> list[ErrorAnswer]:
        return error_answers(self, session_id)

    def render_fault(self, plan: FaultPlan, request: httpx.Request) -> httpx.Response:
        if plan.fault is Fault.RATE_LIMITED:
            # YonBIP never sends Retry-After, so plan.retry_after has no wire form here.
            return self.throttled(gateway_error("310046"))
        if plan.fault is Fault.ERROR_IN_200:
            return gateway_error("999")
        if plan.fault is Fault.MALFORMED_BODY:
            return httpx.Response(
                200, content=_MALFORMED, headers={"content-type": "application/json"}
            )
        return httpx.Response(502, content=_BAD_GATEWAY, headers={"content-type": "text/html"})

    # -- scenario helpers -------------------------------------------------------------------

    def force_code(self, code: str, *, times: int = 1) -> None:
        """Answer the next ``times`` authenticated gateway calls with catalogue ``code``."""
        if code not in GATEWAY_CODES:
            raise KeyError(f"{code!r} is not in the gateway catalogue")
        self._forced.append((code, times))

    def revoke_grant(self, operation: str) -> None:
        """Withdraw the app's grant for one API (``terminate``, ``list``, …): it answers 310037."""
        self.granted -= {path for path, (_, op) in ROUTES.items() if op == operation}

    async def subscribe(self, url: str, *, send: PushSender = http_sender) -> bool:
        """Configure the event callback URL; kept only when it acknowledges ``CHECK_URL``."""
        return await self.outbox.subscribe(url, at=self.push_clock(), send=send)

    async def deliver_due(self, at: datetime, *, send: PushSender = http_sender) -> int:
        """Push every event due at ``at`` (first deliveries and redeliveries)."""
        return await self.outbox.deliver_due(at=at, send=send)

    def push_envelope(
        self, event_type: str, *, at: datetime, padding: int = 0, **ids: Any
    ) -> dict[str, Any]:
        """A signed, encrypted push body as the platform would send it (tests, demos)."""
        event = self.outbox.event(event_type, at, **ids)
        return self.outbox.envelope(event, at, padding=padding)

    def signed_callback(
        self,
        session_id: str,
        *,
        secret: str | None = None,
        age_s: float = 0.0,
        foreign: bool = False,
        padding: int = 0,
    ) -> CallbackRequest:
        """A status-change push about ``session_id`` as the platform sends it now (or ``age_s``
        seconds ago); with ``secret``, ``msgSignature`` is computed with that (wrong) secret: a
        forgery; with ``foreign``, the event is another tenant's (the same app serves many);
        ``padding`` bytes longer (every length of the 32-byte padding block)."""
        at = self.push_clock() - timedelta(seconds=age_s)
        status = status_of(self.world.get(session_id))
        tenant = {"tenantId": _FOREIGN_TENANT} if foreign else {}
        envelope = self.push_envelope(
            STATUS_CHANGE, at=at, padding=padding, sessionId=[session_id], status=status, **tenant
        )
        if secret is not None:
            stamp, nonce = str(envelope["timestamp"]), envelope["nonce"]
            envelope["msgSignature"] = push_signature(secret, stamp, nonce, envelope["encrypt"])
        return CallbackRequest(body=json.dumps(envelope).encode())

    def verification_callback(self) -> CallbackRequest:
        """The contract kit's hook: the platform's check of a new subscription URL."""
        return CallbackRequest(
            body=json.dumps(self.push_envelope(CHECK_URL, at=self.push_clock())).encode()
        )

    def bad_callbacks(self, session_id: str) -> list[BadPush]:
        """The contract kit's hook: pushes signed right but wrong inside (see _bad_pushes)."""
        at = self.push_clock()
        status = status_of(self.world.get(session_id))
        event = self.outbox.event(STATUS_CHANGE, at, sessionId=[session_id], status=status)
        return bad_callbacks(event, app_key=APP_KEY, app_secret=APP_SECRET, at=at)

    def callback_reply_error(self, reply: CallbackReply) -> str | None:
        """Why the platform would deliver again: it wants the literal ``success`` (HTTP 200)."""
        if reply.status_code != 200 or reply.body.strip() != b"success":
            return f"HTTP {reply.status_code} {reply.body[:40]!r}, not 200 'success'"
        return None

    def _announce(self, session: WorldSession) -> None:
        at = self.push_clock()
        event = self.outbox.event(
            STATUS_CHANGE, at, sessionId=[session.id], status=status_of(session)
        )
        self.outbox.enqueue(event, at=at)

    # -- dispatch ---------------------------------------------------------------------------

    async def dispatch(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == DATA_CENTRE_PATH:
            return self._data_centre(request)
        if path.removeprefix(AUTH_PREFIX) in TOKEN_PATHS:
            if request.method != "GET":
                return gateway_error("310405", method=request.method)
            return self.auth.answer(request)
        if path.startswith(GATEWAY_PREFIX):
            return self._gateway(request, path.removeprefix(GATEWAY_PREFIX))
        return gateway_error("310404", path=path)

    def origin(self, request: httpx.Request) -> str:
        """Where the client reached us: the Host header wins when a server rewrote the URL."""
        netloc = request.url.netloc.decode()
        host = request.headers.get("host")
        if host and host != netloc:
            return f"http://{host}"  # served by interlock.doubles.serve on loopback
        return f"{request.url.scheme}://{netloc}"

    def _data_centre(self, request: httpx.Request) -> httpx.Response:
        if request.url.params.get("tenantId") not in self.tenants:
            return platform_answer("500", DATA_CENTRE_CODES["500"])
        base = self.origin(request)
        data = {"gatewayUrl": base + GATEWAY_PREFIX, "tokenUrl": base + AUTH_PREFIX}
        return platform_answer(TOKEN_SUCCESS, "操作成功", data)

    def _gateway(self, request: httpx.Request, api: str) -> httpx.Response:
        route = ROUTES.get(api)
        if route is None:
            return gateway_error("310404", path=api)
        method, operation = route
        if request.method != method:
            return gateway_error("310405", method=request.method)
        refusal = self._admission(request, api)
        if refusal is not None:
            return refusal
        body: Any = None
        if method == "POST":
            try:
                body = read_json(request)
            except ValueError:
                return gateway_error("310002")
        return self.interviews.handle(operation, request, body)

    def _admission(self, request: httpx.Request, api: str) -> httpx.Response | None:
        token = request.url.params.get("access_token")
        if not token:
            return gateway_error("310001")
        if not self.auth.valid(token):
            if api == PLAIN_TEXT_TOKEN_ERROR_API:
                headers = {"content-type": "text/plain; charset=utf-8"}
                return httpx.Response(200, content="非法token".encode(), headers=headers)
            return gateway_error("310036")
        if api not in self.granted:
            return gateway_error("310037")
        if not self._app_throttle.allow(APP_KEY):
            return self.throttled(gateway_error("310039"))
        if not self._api_throttle.allow(api):
            return self.throttled(gateway_error("310046"))
        return self._take_forced()

    def _take_forced(self) -> httpx.Response | None:
        if not self._forced:
            return None
        code, times = self._forced[0]
        self._forced[0] = (code, times - 1)
        if times <= 1:
            self._forced.pop(0)
        fields = {"path": "", "method": ""}
        answer = gateway_error(code, **fields)
        return self.throttled(answer) if code in THROTTLE_CODES else answer
