"""Every endpoint the DingTalk double serves: method, path, API name, handler, kind.

The API name is the throttling key (DingTalk limits per app *and API*) and follows the
action names of DingTalk's SDK (``QueryInterviews``, ``GetJobInfoByJobId``, ...).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from interlock_dingtalk.double import _ats, _sessions
from interlock_dingtalk.double._call import Call

__all__ = ["RECRUITMENT_SCOPE", "ROUTES", "Route", "match"]

RECRUITMENT_SCOPE = "qyapi_recruitment_plugin"
"""The permission DingTalk documents for the ATS API (智能招聘插件管理权限)."""

Handler = Callable[[Call], httpx.Response]
_ACTION = r"(?P<action>pause|resume|terminate|cancel)"
_ID = r"[^/]+"
_AI = r"/v1\.0/ats/ai/interview/sessions"


@dataclass(frozen=True)
class Route:
    """One endpoint. ``api`` may contain ``{Action}`` (the capitalised action of the path)."""

    method: str
    pattern: re.Pattern[str]
    api: str
    handler: Handler | None  # None: a token endpoint, served by the double itself
    mutation: bool
    documented: bool
    authenticated: bool = True
    biz_code: bool = False

    def api_name(self, args: dict[str, str]) -> str:
        return self.api.replace("{Action}", args.get("action", "").capitalize())


def _route(method: str, path: str, api: str, handler: Handler | None, **kw: bool) -> Route:
    return Route(method, re.compile(f"^{path}$"), api, handler, **kw)


ROUTES: tuple[Route, ...] = (
    # documented by DingTalk (vendors.md §1.2, §1.8)
    _route("POST", r"/v1\.0/oauth2/accessToken", "GetAccessToken", None,
           mutation=False, documented=True, authenticated=False),
    _route("POST", r"/v1\.0/oauth2/corpAccessToken", "GetCorpAccessToken", None,
           mutation=False, documented=True, authenticated=False),
    _route("POST", r"/v1\.0/ats/interviews/query", "QueryInterviews", _ats.query_interviews,
           mutation=False, documented=True, biz_code=True),
    _route("GET", r"/v1\.0/ats/candidates", "GetCandidateByPhoneNumber", _ats.candidate_by_phone,
           mutation=False, documented=True, biz_code=True),
    _route("GET", rf"/v1\.0/ats/jobs/(?P<jobId>{_ID})/info", "GetJobInfoByJobId", _ats.job_info,
           mutation=False, documented=True),
    _route("GET", r"/v1\.0/ats/flows/ids", "GetFlowIdByRelationEntityId", _ats.flow_id,
           mutation=False, documented=True, biz_code=True),
    _route("GET", rf"/v1\.0/ats/flows/(?P<flowId>{_ID})/info", "GetFlowById", _ats.flow_info,
           mutation=False, documented=True),
    _route("PUT", rf"/v1\.0/ats/interviews/(?P<interviewId>{_ID})/signInInfos",
           "UpdateInterviewSignInInfo", _ats.sign_in,
           mutation=True, documented=True, biz_code=True),
    _route("POST", r"/v1\.0/ats/ai/interview/interviewInfos/sync",
           "SyncInterviewInfoToAIInterviewAssistant", _ats.sync_ai_interview,
           mutation=True, documented=True),
    # DingTalk-style extension (VENDOR_API.md); the literal batch path precedes {sessionId}
    _route("POST", rf"{_AI}/query", "QueryAiInterviewSessions", _sessions.query_sessions,
           mutation=False, documented=False, biz_code=True),
    _route("POST", rf"{_AI}/batch/{_ACTION}", "Batch{Action}AiInterviewSessions",
           _sessions.batch, mutation=True, documented=False, biz_code=True),
    _route("GET", rf"{_AI}/(?P<sessionId>{_ID})", "GetAiInterviewSession",
           _sessions.get_session, mutation=False, documented=False, biz_code=True),
    _route("POST", rf"{_AI}/(?P<sessionId>{_ID})/{_ACTION}", "{Action}AiInterviewSession",
           _sessions.change, mutation=True, documented=False, biz_code=True),
)  # fmt: skip


def match(request: httpx.Request) -> tuple[Route, dict[str, str]] | None:
    """The route serving ``request`` and its path arguments, or None (DingTalk's 404)."""
    path = request.url.path
    for route in ROUTES:
        if route.method == request.method and (found := route.pattern.match(path)):
            return route, found.groupdict()
    return None
