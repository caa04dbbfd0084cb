"""DingTalk work notifications (工作通知) through the DingTalk adapter of an account.

The documented corp-conversation message API (``asyncsend_v2``) sends a text message from
the account's agent to DingTalk user ids; the account's adapter holds the credentials and the
token, so this channel only names the account and the agent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from interlock import hookimpl
from interlock.errors import ConfigurationError
from interlock.plugins import ChannelContext, ChannelMessage, ChannelSpec

__all__ = ["DingTalkNoticeChannel", "DingTalkNoticeOptions", "WorkNotifier"]


class DingTalkNoticeOptions(BaseModel):
    """``[notifications.channels.NAME]`` with ``type = "dingtalk"``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    account: str = Field(min_length=1, description="the DingTalk account whose app sends")
    agent_id: Annotated[int, Field(ge=1)] = Field(description="the app's AgentId")


@runtime_checkable
class WorkNotifier(Protocol):
    """What an adapter offers to send work notifications (the DingTalk adapter does)."""

    async def send_work_notification(
        self, agent_id: int, user_ids: list[str], title: str, text: str
    ) -> str: ...


class DingTalkNoticeChannel:
    """Sends each notification as a text work notification to one DingTalk user id."""

    def __init__(self, context: ChannelContext) -> None:
        assert isinstance(context.options, DingTalkNoticeOptions)
        self.options = context.options
        interlock = context.interlock
        adapter = interlock.accounts.get(self.options.account) if interlock else None
        if not isinstance(adapter, WorkNotifier):
            raise ConfigurationError(
                f"[notifications.channels.{context.name}]: account "
                f"{self.options.account!r} is not a configured DingTalk account",
                hint="name an [accounts.*] table whose adapter is dingtalk",
            )
        self.adapter: WorkNotifier = adapter

    async def send(self, message: ChannelMessage) -> str | None:
        return await self.adapter.send_work_notification(
            self.options.agent_id, [message.recipient], message.subject, message.body
        )

    async def aclose(self) -> None:
        return None


@hookimpl
def interlock_register_channels(register: Callable[[ChannelSpec], None]) -> None:
    register(
        ChannelSpec(
            name="dingtalk",
            factory=DingTalkNoticeChannel,
            options_model=DingTalkNoticeOptions,
            summary="DingTalk work notifications (corp conversation asyncsend_v2)",
        )
    )
