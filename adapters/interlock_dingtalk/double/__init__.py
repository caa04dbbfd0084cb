"""The DingTalk vendor double: DingTalk's documented ATS API plus a DingTalk-style extension
for AI-interview control, served in memory (respx) or over loopback HTTP."""

from interlock_dingtalk.double._app import SESSION_CHANGE_EVENT, DingTalkDouble

__all__ = ["SESSION_CHANGE_EVENT", "DingTalkDouble"]
