"""Registers the DingTalk adapter and its vendor double (the only thing a plug-in module does)."""

from __future__ import annotations

from collections.abc import Callable

from interlock import AdapterSpec, hookimpl
from interlock_dingtalk.adapter import DingTalkAdapter
from interlock_dingtalk.double import DingTalkDouble
from interlock_dingtalk.options import DingTalkOptions


@hookimpl
def interlock_register_adapters(register: Callable[[AdapterSpec], None]) -> None:
    register(
        AdapterSpec(
            name="dingtalk",
            vendor="dingtalk",
            factory=DingTalkAdapter,
            options_model=DingTalkOptions,
            double_factory=DingTalkDouble,
            summary="DingTalk 智能招聘 (ATS): AI-interview control via a DingTalk-style "
            "extension, native batch of 50, signed and encrypted HTTP push",
        )
    )
