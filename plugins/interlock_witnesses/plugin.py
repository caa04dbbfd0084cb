"""The plug-in: registers the ``file`` and ``webhook`` witness kinds."""

from __future__ import annotations

from collections.abc import Callable

from interlock.plugins import hookimpl
from interlock.witnesses import AuditWitnessSpec

from .file import FileOptions, FileWitness
from .webhook import WebhookOptions, WebhookWitness


@hookimpl
def interlock_audit_witness(register: Callable[[AuditWitnessSpec], None]) -> None:
    register(
        AuditWitnessSpec(
            kind="file",
            factory=FileWitness,
            options_model=FileOptions,
            summary="append-only JSON lines file (put it where the database's writers cannot)",
        )
    )
    register(
        AuditWitnessSpec(
            kind="webhook",
            factory=WebhookWitness,
            options_model=WebhookOptions,
            summary="POST to another system, signed per Standard Webhooks; read back by GET",
        )
    )
