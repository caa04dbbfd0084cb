"""``BeisenDouble``: Beisen's OpenAPI gateway and RecruitV6 interview APIs, in memory.

What a request goes through, in Beisen's order (``vendors.md`` §2, §7.2):

1. token endpoints (``/token``, ``/OAuth/Token``) are answered before anything else: no
   Authorization, no trusted-IP check, OAuth-style errors;
2. the gateway authenticates *before routing*: no ``Authorization`` → 400, an unknown or
   expired token (with or without ``Bearer``) → 401, even on a path that does not exist;
3. the optional trusted-IP list → 403 plain text naming the caller's IP;
4. routing: an unknown path or method → 404 HTML;
5. the throttle per (tenant, API): second and minute windows, a daily total → 429;
6. the endpoint: HTTP 200 with the RecruitV6 envelope, ``code`` an integer.

Every response carries ``X-PAAS-Request-ID``. A write may bring its own (a GUID): the same id
again replays the first answer (single writes) or names the same job (batch writes).
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, ClassVar, cast, get_args
from zoneinfo import ZoneInfo

import httpx

from interlock.doubles import (
    DoubleSettings,
    ErrorAnswer,
    Fault,
    FaultPlan,
    VendorDouble,
    WorldSession,
)
from interlock_beisen.double._answers import error_answers
from interlock_beisen.double._auth import (
    APP_ID,
    APP_KEY,
    APP_SECRET,
    OAUTH_SECRET,
    TENANT_ID,
    ExpiresStyle,
    TokenStore,
    oauth_token,
    token,
)
from interlock_beisen.double._catalogue import (
    MSG_AUTHORIZATION_EMPTY,
    MSG_DAILY_QUOTA,
    MSG_RATE_LIMITED,
    MSG_UNAUTHORIZED,
)
from interlock_beisen.double._jobs import AsyncJobs, JobEnding
from interlock_beisen.double._render import (
    REQUEST_ID_HEADER,
    gateway_error,
    interview_json,
    ip_forbidden,
    not_found_html,
    recruit,
)
from interlock_beisen.double._routes import RecruitApi, Route
from interlock_beisen.double._throttle import (
    DOCUMENTED_LIMITS,
    READ_LIMIT,
    TOKEN_LIMIT,
    WRITE_LIMIT,
    ApiLimit,
    GatewayThrottle,
    Verdict,
)

__all__ = ["BeisenDouble", "BeisenDoubleConfig"]

_SHANGHAI = ZoneInfo("Asia/Shanghai")
_TOKEN_PATHS = {"/token": "token", "/OAuth/Token": "OAuth/Token"}


@dataclass(frozen=True, kw_only=True)
class BeisenDoubleConfig:
    """The double's tenant settings (everything ``DoubleSettings`` does not cover).

    :param timezone: the tenant's zone: zone-less times are written and read in it.
    :param oauth_expires_in: ``/OAuth/Token``'s ``expires_in``: lifetime ``"seconds"`` (the doc
        table) or an ``"epoch"`` expiry (the doc demo); both are strings on the wire.
    :param trusted_ips: the OpenAPI trusted-IP list; ``None`` (default) turns the check off.
    :param client_ip_header: where the caller's IP comes from (first value of the header);
        without it, the ASGI client address when served, else ``127.0.0.1`` (in process).
    :param limits: per-API limits that replace the documented ones (tests, odd tenants).
    :param daily_total: business calls per tenant per day before every API answers 429.
    :param job_polls_to_finish: the poll that first sees an async job's final state.
    :param job_run_time_s: an async job nobody polls finishes on its own after this long.
    """

    timezone: tzinfo = _SHANGHAI
    token_lifetime_s: float = 7200.0
    oauth_expires_in: ExpiresStyle = "seconds"
    trusted_ips: frozenset[str] | None = None
    client_ip_header: str | None = "X-Forwarded-For"
    limits: Mapping[str, ApiLimit] = field(default_factory=dict)
    daily_total: int = 200_000
    job_polls_to_finish: int = 2
    job_run_time_s: float = 0.5
    apply_batch_size: int = 1000


class BeisenDouble(VendorDouble):
    """A Beisen tenant (id ``204402``) with AI interviews, served the way Beisen serves."""

    vendor: ClassVar[str] = "beisen"
    default_base_url: ClassVar[str] = "https://openapi.italent.cn"
    default_qps: ClassVar[float] = 20.0
    records_reasons: ClassVar[bool] = True
    unmapped_vendor_state: ClassVar[str] = "Archived"
    garbled_fields: ClassVar[dict[str, Any]] = {
        "interviewTime": "2026年12月1日",
        "actualStartTime": "yesterday",
        "resumeDeadline": "12:00",
        "completionRate": "half",
    }
    garbled_page_fields: ClassVar[dict[str, Any]] = {"nextBatchId": None}
    request_id_header: ClassVar[str | None] = REQUEST_ID_HEADER
    token_paths: ClassVar[frozenset[str]] = frozenset(_TOKEN_PATHS)

    def __init__(
        self,
        settings: DoubleSettings | None = None,
        *,
        config: BeisenDoubleConfig | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(settings)
        self.use_clock(wall_clock)  # Beisen's windows and the daily total follow the wall clock
        self.config = config or BeisenDoubleConfig()
        self.zone = self.config.timezone
        self.trusted_ips = self.config.trusted_ips
        self.tokens = TokenStore(
            lifetime_s=self.config.token_lifetime_s,
            clock=self.monotonic,
            on_issue=self.issue_token,
        )
        self.jobs = AsyncJobs(
            self.world,
            polls_to_finish=self.config.job_polls_to_finish,
            run_time_s=self.config.job_run_time_s,
            clock=self.monotonic,
            shuffled=self.shuffled,
        )
        self.api = RecruitApi(
            self.world,
            self.zone,
            self.jobs,
            record_query=self.record_query,
            garbled_page=self.garbled_page,
            apply_batch_size=self.config.apply_batch_size,
        )
        self.routes: dict[str, Route] = self.api.routes()
        self.throttle = GatewayThrottle(
            self.limit_of,
            daily_total=self.config.daily_total,
            clock=self.monotonic,
            today=lambda: datetime.fromtimestamp(self.monotonic(), self.zone).date(),
        )
        self._replies: dict[tuple[str, str], tuple[int, list[tuple[str, str]], bytes]] = {}

    # -- the VendorDouble contract -----------------------------------------------------------

    def new_id(self, rng: random.Random) -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    @property
    def secrets(self) -> tuple[str, ...]:
        return (APP_SECRET, OAUTH_SECRET, *super().secrets)

    def adapter_options(self, base_url: str) -> dict[str, Any]:
        options: dict[str, Any] = {
            "base_url": base_url,
            "token_endpoint": "token",
            "app_key": APP_KEY,
            "app_secret": APP_SECRET,
            # The double's jobs finish on the second poll: poll briskly, wait a bounded while.
            "async_poll_interval_s": 0.01,
            "async_wait_s": 5.0,
        }
        if self.settings.qps is not None:
            options["vendor_qps"] = self.settings.qps
        return options

    def other_adapter_options(self, base_url: str) -> dict[str, dict[str, Any]]:
        """The documented ``/OAuth/Token`` grant, and ``/token`` with a JSON body (the
        default is a form: Beisen takes both)."""
        usual = self.adapter_options(base_url)
        credentials = {k: v for k, v in usual.items() if k not in ("app_key", "app_secret")}
        oauth = {"token_endpoint": "oauth", "app_id": APP_ID, "secret": OAUTH_SECRET}
        return {
            "oauth": credentials | oauth | {"tenant_id": TENANT_ID},
            "json-token-body": usual | {"token_body": "json"},
        }

    def expire_tokens(self) -> None:
        self.tokens.expire_access()

    def api_of(self, request: httpx.Request) -> str:
        path = request.url.path
        route = self.routes.get(path)
        return route.api if route is not None else _TOKEN_PATHS.get(path, path)

    def is_mutation(self, request: httpx.Request) -> bool:
        route = self.routes.get(request.url.path)
        return route is not None and route.mutation and request.method == route.method

    def limit_of(self, api: str) -> ApiLimit:
        """The per-tenant limits of ``api`` (``--qps`` rescales every business API)."""
        if api in self.config.limits:
            return self.config.limits[api]
        if api in _TOKEN_PATHS.values():
            return TOKEN_LIMIT
        route = next((r for r in self.routes.values() if r.api == api), None)
        base = DOCUMENTED_LIMITS.get(api) or (
            WRITE_LIMIT if route is not None and route.mutation else READ_LIMIT
        )
        return base.scaled_to(self.settings.qps) if self.settings.qps else base

    unsure_batch_endings: ClassVar[tuple[str, ...]] = get_args(JobEnding)
    unsure_batch_fields: ClassVar[dict[str, str]] = {
        "Strange": "data.state",
        "NoResult": "data.result",
        "Miscount": "data.result.totalCount",
    }

    def end_next_batch(self, ending: str) -> None:
        """The next job ends ``ending`` (see ``JobEnding``)."""
        if ending not in self.unsure_batch_endings:
            raise ValueError(f"a Beisen job cannot end {ending!r}")
        self.jobs.end_next(cast(JobEnding, ending))

    def vendor_data(self, session: WorldSession) -> dict[str, Any]:
        """The interview's application id, type and last-change time."""
        interview = interview_json(session, self.zone)
        return {k: interview[k] for k in ("applyId", "interviewType", "modifiedTime")}

    def error_answers(self, session_id: str) -> list[ErrorAnswer]:
        return error_answers(self, session_id)

    def render_fault(self, plan: FaultPlan, request: httpx.Request) -> httpx.Response:
        headers = {REQUEST_ID_HEADER: str(uuid.uuid4())}
        if plan.fault is Fault.RATE_LIMITED:
            if plan.retry_after is not None:
                headers["Retry-After"] = f"{plan.retry_after:g}"
            return self.throttled(gateway_error(429, MSG_RATE_LIMITED, **headers))
        if plan.fault is Fault.ERROR_IN_200:
            return recruit(code=500, message="系统繁忙，请稍后重试", headers=headers)
        if plan.fault is Fault.MALFORMED_BODY:
            garbage = b'{"data":{"interviewId":"3f2c'  # a body cut off mid-way
            return httpx.Response(
                200, content=garbage, headers={"content-type": "application/json", **headers}
            )
        body = {"data": None, "code": 500, "message": "服务器内部错误"}
        return httpx.Response(500, json=body, headers=headers)

    # -- serving -----------------------------------------------------------------------------

    async def dispatch(self, request: httpx.Request) -> httpx.Response:
        rid, supplied = _request_id(request)
        path = request.url.path
        if path in _TOKEN_PATHS:
            response = self._token_endpoint(request, path)
        else:
            response = await self._business(request, rid, supplied)
        response.headers.setdefault(REQUEST_ID_HEADER, rid)
        return response

    def _token_endpoint(self, request: httpx.Request, path: str) -> httpx.Response:
        if request.method != "POST":
            return not_found_html()  # probe P6: GET /token is an HTML 404
        verdict = self.throttle.check("*", _TOKEN_PATHS[path], counts_daily=False)
        if not verdict.allowed:
            return self.throttled(self._too_many(verdict))
        if path == "/token":
            response = token(request, self.tokens)
        else:
            response = oauth_token(request, self.tokens, expires_style=self.config.oauth_expires_in)
        response.headers.update(verdict.headers)
        return response

    async def _business(self, request: httpx.Request, rid: str, supplied: bool) -> httpx.Response:
        refusal = self._gateway_refusal(request)
        if refusal is not None:
            return refusal
        route = self.routes.get(request.url.path)
        if route is None or route.method != request.method:
            return not_found_html()
        verdict = self.throttle.check(TENANT_ID, route.api)
        if not verdict.allowed:
            return self.throttled(self._too_many(verdict))
        self.jobs.settle()
        replay_key = (route.api, rid) if supplied and route.mutation else None
        if replay_key is not None and replay_key in self._replies:
            status, headers, content = self._replies[replay_key]
            return httpx.Response(status, headers=headers, content=content)
        try:
            response = await route.handler(request, rid)
        except ValueError as exc:
            response = recruit(code=400, message=str(exc))
        response.headers.update(verdict.headers)
        response.headers.setdefault(REQUEST_ID_HEADER, rid)
        if replay_key is not None:
            self._replies[replay_key] = (
                response.status_code,
                list(response.headers.multi_items()),
                response.content,
            )
        return response

    def _gateway_refusal(self, request: httpx.Request) -> httpx.Response | None:
        header = request.headers.get("authorization", "").strip()
        if not header:
            return gateway_error(400, MSG_AUTHORIZATION_EMPTY)
        # The gateway takes the token with or without "Bearer " (probe P3/P4).
        access = header[7:].strip() if header[:7].lower() == "bearer " else header
        if not self.tokens.valid(access):
            return gateway_error(401, MSG_UNAUTHORIZED)
        if self.trusted_ips is not None:
            ip = self.client_ip(request)
            if ip not in self.trusted_ips:
                return ip_forbidden(ip)
        return None

    def client_ip(self, request: httpx.Request) -> str:
        """The caller's IP: the configured header, else the ASGI client, else loopback."""
        header = self.config.client_ip_header
        forwarded = request.headers.get(header, "") if header else ""
        if forwarded.strip():
            return forwarded.split(",")[0].strip()
        client = request.extensions.get("client")
        if isinstance(client, tuple | list) and client:
            return str(client[0])
        return "127.0.0.1"

    @staticmethod
    def _too_many(verdict: Verdict) -> httpx.Response:
        headers = dict(verdict.headers)
        if verdict.retry_after_s is not None:
            headers["Retry-After"] = str(verdict.retry_after_s)
        message = MSG_DAILY_QUOTA if verdict.daily_exhausted else MSG_RATE_LIMITED
        return gateway_error(429, message, **headers)


def _request_id(request: httpx.Request) -> tuple[str, bool]:
    """The caller's ``X-PAAS-Request-ID`` when it is a GUID (and True), else a fresh one."""
    supplied = request.headers.get(REQUEST_ID_HEADER, "")
    try:
        return str(uuid.UUID(supplied)), True
    except ValueError:
        return str(uuid.uuid4()), False
