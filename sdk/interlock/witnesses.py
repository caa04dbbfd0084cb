"""Audit witnesses: keepers of the audit trail's signed checkpoints outside its database.

A signed checkpoint says "record ``seq`` of the chain has hash ``hash``", signed with the
gateway's Ed25519 key. Kept only in the database, it proves little against someone who can
rewrite that database: they can recompute every later hash, delete the tail and move the
head back, and delete the checkpoints too. A *witness* keeps each checkpoint somewhere the
database's writers cannot reach (an append-only file on another volume, a webhook into
another system), so verification can compare the database with what was witnessed — the
idea of Certificate Transparency's signed tree heads and CloudTrail's digest files.

Plug-ins register witness *kinds* through ``interlock_audit_witness(register)``; the gateway
builds the witnesses its configuration names (``[audit.witnesses.NAME] kind = "..."``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel

from interlock.errors import PluginError

__all__ = ["AuditWitness", "AuditWitnessSpec", "SignedCheckpoint", "witness_kinds"]


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """One signed checkpoint of the audit chain.

    :param seq: the record it covers (and every record before it, through the hash chain).
    :param hash: that record's chain hash.
    :param signature: Ed25519 over ``seq`` and ``hash`` (base64url), by key ``key_id``.
    """

    seq: int
    hash: str
    signature: str
    key_id: str
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (what witnesses store and send)."""
        return {
            "seq": self.seq,
            "hash": self.hash,
            "signature": self.signature,
            "key_id": self.key_id,
            "created_at": self.created_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> SignedCheckpoint:
        """The inverse of :meth:`as_dict`. :raises ValueError: a malformed entry."""
        try:
            return cls(
                seq=int(raw["seq"]),
                hash=str(raw["hash"]),
                signature=str(raw["signature"]),
                key_id=str(raw["key_id"]),
                created_at=datetime.fromisoformat(str(raw["created_at"])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a signed checkpoint: {exc}") from None


@runtime_checkable
class AuditWitness(Protocol):
    """Keeps signed checkpoints outside the database, and tells what it kept."""

    name: str

    async def keep(self, checkpoint: SignedCheckpoint) -> None:
        """Keep ``checkpoint`` durably; raise if it was not kept (it is offered again)."""
        ...

    async def checkpoints(self) -> list[SignedCheckpoint]:
        """Every checkpoint this witness kept, for verification."""
        ...


@dataclass(frozen=True, kw_only=True)
class AuditWitnessSpec:
    """A kind of witness a plug-in provides.

    :param kind: the name configurations use (``kind = "file"``).
    :param factory: builds a witness from its name and validated options.
    :param options_model: validates the options (strict: unknown keys are errors).
    """

    kind: str
    factory: Callable[[str, Any], AuditWitness]
    options_model: type[BaseModel]
    summary: str = ""


def witness_kinds(manager: Any) -> dict[str, AuditWitnessSpec]:
    """The witness kinds registered with a pluggy manager (``LoadedPlugins.manager``).

    :raises PluginError: a plug-in registered something else, or a kind twice.
    """
    kinds: dict[str, AuditWitnessSpec] = {}

    def register(spec: AuditWitnessSpec) -> None:
        if not isinstance(spec, AuditWitnessSpec):
            raise PluginError(f"registered {spec!r}, not an AuditWitnessSpec")
        if spec.kind in kinds:
            raise PluginError(f"audit witness kind {spec.kind!r} is registered twice")
        kinds[spec.kind] = spec

    manager.hook.interlock_audit_witness(register=register)
    return kinds
