"""Registers the sandbox adapter and its double (the only thing a plug-in module does)."""

from __future__ import annotations

from collections.abc import Callable

from interlock import AdapterSpec, hookimpl
from interlock_sandbox.adapter import SandboxAdapter
from interlock_sandbox.double import SandboxDouble
from interlock_sandbox.options import SandboxOptions


@hookimpl
def interlock_register_adapters(register: Callable[[AdapterSpec], None]) -> None:
    register(
        AdapterSpec(
            name="sandbox",
            vendor="sandbox",
            factory=SandboxAdapter,
            options_model=SandboxOptions,
            double_factory=SandboxDouble,
            summary="In-memory reference vendor: every verb native, batch and restore",
        )
    )
