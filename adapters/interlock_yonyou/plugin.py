"""Registers the Yonyou adapter and its double (the only thing a plug-in module does)."""

from __future__ import annotations

from collections.abc import Callable

from interlock import AdapterSpec, hookimpl
from interlock_yonyou.adapter import YonyouAdapter
from interlock_yonyou.double import YonyouDouble
from interlock_yonyou.options import YonyouOptions


@hookimpl
def interlock_register_adapters(register: Callable[[AdapterSpec], None]) -> None:
    register(
        AdapterSpec(
            name="yonyou",
            vendor="yonyou",
            factory=YonyouAdapter,
            options_model=YonyouOptions,
            double_factory=YonyouDouble,
            summary="YonBIP tenant-published interview API: terminate and revoke only",
            needs_timezone=True,
        )
    )
