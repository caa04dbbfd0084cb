"""Work notifications (工作通知): the transport of the DingTalk notification channel."""

from __future__ import annotations

from typing import Any

from interlock.http import VendorClient
from interlock_dingtalk._interpret import interpret

__all__ = ["WORK_NOTICE_PATH", "send_work_notification"]

WORK_NOTICE_PATH = "/topapi/message/corpconversation/asyncsend_v2"


async def send_work_notification(
    client: VendorClient, agent_id: int, user_ids: list[str], title: str, text: str
) -> str:
    """A text work notification from the app ``agent_id`` to ``user_ids``; DingTalk's ``task_id``.

    DingTalk's corp-conversation API ``asyncsend_v2``. Not retried blind: a timeout after
    sending is raised (a second copy is worse than a notification sent again by the outbox
    after its lease, which the caller decides).
    """
    content = f"{title}\n{text}" if title else text
    body = {
        "agent_id": agent_id,
        "userid_list": ",".join(user_ids),
        "msg": {"msgtype": "text", "text": {"content": content}},
    }
    reply = await client.request(
        "POST", WORK_NOTICE_PATH, api="SendWorkNotification", json=body, interpret=interpret
    )
    data: dict[str, Any] = reply.data
    return str(data.get("task_id", ""))
