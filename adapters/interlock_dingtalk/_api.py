"""Where the adapter's DingTalk calls go: paths, API names and request bodies (no I/O here)."""

from __future__ import annotations

from urllib.parse import quote

from interlock.models import Reason, Verb
from interlock_dingtalk._mapping import ACTION_OF

__all__ = [
    "BIZ_CODE",
    "MAX_BATCH_SIZE",
    "MAX_PAGE_SIZE",
    "SESSIONS_PATH",
    "batch_api",
    "batch_path",
    "job_path",
    "reason_body",
    "session_path",
    "verb_api",
    "verb_path",
]

SESSIONS_PATH = "/v1.0/ats/ai/interview/sessions"
"""The DingTalk-style AI-interview extension (VENDOR_API.md); DingTalk documents no such API."""

BIZ_CODE = {"bizCode": "ddats"}
"""ATS calls carry ``bizCode``, which only accepts ``ddats``."""

MAX_PAGE_SIZE = 200
MAX_BATCH_SIZE = 50


def session_path(session_id: str) -> str:
    return f"{SESSIONS_PATH}/{quote(session_id, safe='')}"


def verb_path(session_id: str, verb: Verb) -> str:
    return f"{session_path(session_id)}/{ACTION_OF[verb]}"


def batch_path(verb: Verb) -> str:
    return f"{SESSIONS_PATH}/batch/{ACTION_OF[verb]}"


def job_path(job_id: str) -> str:
    return f"/v1.0/ats/jobs/{quote(job_id, safe='')}/info"


def verb_api(verb: Verb) -> str:
    """The API name (rate-limit key, log field), in the style of DingTalk's SDK action names."""
    return f"{ACTION_OF[verb].capitalize()}AiInterviewSession"


def batch_api(verb: Verb) -> str:
    return f"Batch{ACTION_OF[verb].capitalize()}AiInterviewSessions"


def reason_body(reason: Reason) -> dict[str, str]:
    body = {"reasonCode": str(reason.code)}
    if reason.note:
        body["reasonNote"] = reason.note
    return body
