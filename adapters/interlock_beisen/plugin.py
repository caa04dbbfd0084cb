"""Registers the Beisen adapter and its vendor double (the only thing a plug-in module does)."""

from __future__ import annotations

from collections.abc import Callable

from interlock import AdapterSpec, hookimpl
from interlock_beisen.adapter import BeisenAdapter
from interlock_beisen.double import BeisenDouble
from interlock_beisen.options import BeisenOptions


@hookimpl
def interlock_register_adapters(register: Callable[[AdapterSpec], None]) -> None:
    register(
        AdapterSpec(
            name="beisen",
            vendor="beisen",
            factory=BeisenAdapter,
            options_model=BeisenOptions,
            double_factory=BeisenDouble,
            summary="Beisen (北森) RecruitV6 AI interviews: native verbs, asynchronous batches",
            needs_timezone=True,
        )
    )
