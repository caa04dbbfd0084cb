"""DingTalk's corp-conversation work notifications (工作通知), old ("topapi") API style.

``POST /topapi/message/corpconversation/asyncsend_v2?access_token=…`` with ``agent_id``,
``userid_list`` (comma-separated, at most 100) and ``msg`` (``msgtype`` plus its object).
Old-style answers: HTTP 200 always, ``{"errcode": 0, "errmsg": "ok", "task_id": …,
"request_id": …}`` or an ``errcode`` ≠ 0. The double keeps every message it accepted in
:attr:`WorkNotices.sent` so tests can read what a user received.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from interlock_dingtalk.double._catalogue import LEGACY_ERRCODES

__all__ = ["WORK_NOTICE_PATH", "WorkNotice", "WorkNotices"]

WORK_NOTICE_PATH = "/topapi/message/corpconversation/asyncsend_v2"
_MSG_TYPES = frozenset({"text", "markdown", "link", "oa", "action_card", "image", "file"})
_MAX_USERS = 100


@dataclass(frozen=True)
class WorkNotice:
    """One accepted message: the app, the users and the message object."""

    task_id: int
    agent_id: int
    user_ids: tuple[str, ...]
    msg: dict[str, Any]

    @property
    def text(self) -> str:
        content = (self.msg.get("text") or {}).get("content", "")
        return str(content)


@dataclass
class WorkNotices:
    """The endpoint's state: accepted messages and the next task id."""

    sent: list[WorkNotice] = field(default_factory=list)
    next_task_id: int = 256_000_000_001

    def handle(self, request: httpx.Request, rid: str, *, token_ok: bool) -> httpx.Response:
        if not token_ok:
            return _legacy(40014, LEGACY_ERRCODES[40014], rid)
        try:
            body = json.loads(request.content or b"{}")
        except ValueError:
            return _legacy(40035, LEGACY_ERRCODES[40035], rid)
        agent_id = body.get("agent_id") if isinstance(body, dict) else None
        users = body.get("userid_list") if isinstance(body, dict) else None
        msg = body.get("msg") if isinstance(body, dict) else None
        if not isinstance(agent_id, int) or agent_id <= 0:
            return _legacy(40035, "缺少参数 agent_id", rid)
        if not isinstance(users, str) or not users.strip():
            return _legacy(40035, "缺少参数 userid_list", rid)
        user_ids = tuple(u.strip() for u in users.split(",") if u.strip())
        if len(user_ids) > _MAX_USERS:
            return _legacy(40035, "userid_list 最多 100 个", rid)
        if not isinstance(msg, dict) or msg.get("msgtype") not in _MSG_TYPES:
            return _legacy(40035, "不合法的参数 msg.msgtype", rid)
        if not isinstance(msg.get(str(msg["msgtype"])), dict):
            return _legacy(40035, f"缺少参数 msg.{msg['msgtype']}", rid)
        task_id = self.next_task_id
        self.next_task_id += 1
        self.sent.append(WorkNotice(task_id, agent_id, user_ids, msg))
        return httpx.Response(
            200, json={"errcode": 0, "errmsg": "ok", "task_id": task_id, "request_id": rid}
        )


def _legacy(errcode: int, errmsg: str, rid: str) -> httpx.Response:
    return httpx.Response(200, json={"errcode": errcode, "errmsg": errmsg, "request_id": rid})
