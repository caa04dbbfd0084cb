"""Signed checkpoints on time as well as by count, handed to witnesses, and checked against
what the witnesses kept.

* :func:`sign_if_due` — a checkpoint over the tip once the oldest unsigned record is
  ``checkpoint_interval`` old (the trail also signs every ``checkpoint_every`` records), so
  at most about a minute of the trail is ever unsigned.
* :func:`deliver_due` — every checkpoint to every witness, in order, insert-first in
  ``audit_witness_deliveries`` (of several replicas one delivers); a witness that fails
  gets the checkpoint again at the next round. Never blocks the trail or an operation.
* :func:`check_witness` — the database against one witness: every witnessed checkpoint must
  be signed by a trusted key, its record must still be there with the witnessed hash (a
  rewrite with recomputed hashes differs), the chain must reach it (a truncated tail with a
  rolled-back head does not), and its checkpoint row must still be stored.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError
from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from interlock.config import resolve_secret
from interlock.errors import ConfigurationError
from interlock.witnesses import AuditWitness, SignedCheckpoint, witness_kinds

from ..settings import AuditSettings
from ..store.engine import Database
from ..store.tables import AuditCheckpoint, AuditHead, AuditRecord, AuditWitnessDelivery
from .signing import verify_checkpoint_signature
from .trail import AuditTrail, verify_chain
from .verify import VerifyResult, WitnessCheck

__all__ = [
    "WitnessCheck",
    "build_witnesses",
    "check_witness",
    "deliver_due",
    "sign_if_due",
    "verify_witnessed",
]

log = logging.getLogger("interlock.gateway.audit")
_DELIVER_AT_ONCE = 50


async def sign_if_due(
    db: Database, trail: AuditTrail, now: datetime, interval: timedelta
) -> int | None:
    """Sign the tip when its oldest unsigned record is ``interval`` old; the signed seq."""
    async with db.session() as session:
        tip = await session.scalar(select(AuditHead.last_seq))
        signed = await session.scalar(select(func.max(AuditCheckpoint.seq))) or 0
        if not tip or tip <= signed:
            return None
        oldest = await session.scalar(
            select(AuditRecord.created_at).where(AuditRecord.seq == signed + 1)
        )
    if oldest is None or oldest > now - interval:
        return None
    async with db.write() as session:
        checkpoint = await trail.checkpoint(session)
    return checkpoint.seq if checkpoint else None


def _claim(is_sqlite: bool, witness: str, seq: int, now: datetime) -> Any:
    dialect = sqlite if is_sqlite else postgresql
    return (
        dialect.insert(AuditWitnessDelivery)
        .values(witness=witness, seq=seq, delivered_at=now)
        .on_conflict_do_nothing()
        .returning(AuditWitnessDelivery.seq)
    )


async def _undelivered(db: Database, witness: str) -> list[SignedCheckpoint]:
    delivered = select(AuditWitnessDelivery.seq).where(AuditWitnessDelivery.witness == witness)
    statement = (
        select(AuditCheckpoint)
        .where(AuditCheckpoint.seq.not_in(delivered))
        .order_by(AuditCheckpoint.seq)
        .limit(_DELIVER_AT_ONCE)
    )
    async with db.session() as session:
        rows = (await session.scalars(statement)).all()
    return [SignedCheckpoint(r.seq, r.hash, r.signature, r.key_id, r.created_at) for r in rows]


async def deliver_due(db: Database, witnesses: Sequence[AuditWitness], now: datetime) -> int:
    """Hand every checkpoint not yet delivered to each witness; how many were delivered."""
    delivered = 0
    for witness in witnesses:
        for checkpoint in await _undelivered(db, witness.name):
            async with db.write() as session:
                claim = _claim(db.is_sqlite, witness.name, checkpoint.seq, now)
                if (await session.execute(claim)).scalar_one_or_none() is None:
                    continue  # another replica has it
            try:
                await witness.keep(checkpoint)
            except Exception as exc:  # any failure of the witness: offer it again later
                log.warning(
                    "audit witness did not keep a checkpoint; offering it again later",
                    extra={
                        "witness": witness.name,
                        "seq": checkpoint.seq,
                        "why": type(exc).__name__,
                    },
                )
                async with db.write() as session:
                    await session.execute(
                        delete(AuditWitnessDelivery).where(
                            AuditWitnessDelivery.witness == witness.name,
                            AuditWitnessDelivery.seq == checkpoint.seq,
                        )
                    )
                break  # in order: the next round starts from this one
            delivered += 1
    return delivered


async def check_witness(
    session: AsyncSession,
    name: str,
    kept: Sequence[SignedCheckpoint],
    public_keys: Mapping[str, Ed25519PublicKey],
) -> WitnessCheck:
    """Hold the stored chain against the checkpoints one witness kept (in ``session``'s
    snapshot)."""
    tip = await session.scalar(select(AuditHead.last_seq)) or 0
    checked = 0
    for checkpoint in sorted(kept, key=lambda c: c.seq):
        problem = await _problem(session, checkpoint, tip, public_keys)
        if problem is not None:
            return WitnessCheck(
                witness=name,
                ok=False,
                checkpoints_checked=checked,
                first_broken_seq=checkpoint.seq,
                reason=problem,
            )
        checked += 1
    return WitnessCheck(witness=name, ok=True, checkpoints_checked=checked)


async def _problem(
    session: AsyncSession,
    checkpoint: SignedCheckpoint,
    tip: int,
    public_keys: Mapping[str, Ed25519PublicKey],
) -> str | None:
    seq = checkpoint.seq
    bad = verify_checkpoint_signature(
        public_keys, seq, checkpoint.hash, checkpoint.key_id, checkpoint.signature
    )
    if bad is not None:
        return f"the witness holds a checkpoint the gateway's keys did not sign ({bad})"
    if seq > tip:
        return (
            f"record {seq} was witnessed but the chain now ends at {tip}: the tail was "
            "removed and the head moved back"
        )
    stored = await session.scalar(select(AuditRecord.hash).where(AuditRecord.seq == seq))
    if stored is None:
        return f"record {seq} was witnessed but is no longer stored"
    if stored != checkpoint.hash:
        return f"record {seq} differs from what the witness kept: the chain was rewritten"
    row = await session.scalar(select(AuditCheckpoint.hash).where(AuditCheckpoint.seq == seq))
    if row != checkpoint.hash:
        return f"the checkpoint at record {seq} was removed or altered in the database"
    return None


def build_witnesses(manager: Any, settings: AuditSettings) -> list[AuditWitness]:
    """The witnesses ``[audit.witnesses.NAME]`` tables name, built by their plug-ins.

    :raises ConfigurationError: an unknown kind (naming the installed ones), bad options.
    """
    kinds = witness_kinds(manager)
    witnesses: list[AuditWitness] = []
    for name, table in sorted(settings.witnesses.items()):
        where = f"[audit.witnesses.{name}]"
        options = dict(table)
        kind = options.pop("kind", None)
        spec = kinds.get(str(kind))
        if spec is None:
            close = difflib.get_close_matches(str(kind), list(kinds), n=1)
            raise ConfigurationError(
                f"{where}: unknown witness kind {kind!r}",
                hint=f"did you mean {close[0]!r}?" if close else f"kinds: {', '.join(kinds)}",
            )
        resolved = {
            k: resolve_secret(v, where=f"{where} {k}", env=os.environ) for k, v in options.items()
        }
        try:
            validated = spec.options_model.model_validate(resolved)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "(table)"
            raise ConfigurationError(f"{where} {field}: {first['msg']}") from None
        witnesses.append(spec.factory(name, validated))
    return witnesses


async def verify_witnessed(
    session: AsyncSession,
    public_keys: Mapping[str, Ed25519PublicKey],
    witnesses: Sequence[AuditWitness],
) -> VerifyResult:
    """The whole chain verified (:func:`~.trail.verify_chain`), then held against every
    witness; ``ok`` only when all of it holds. A witness that cannot be read is a failure:
    a verification that did not look is not a pass."""
    result = await verify_chain(session, public_keys)
    checks = []
    for witness in witnesses:
        try:
            kept = await witness.checkpoints()
        except Exception as exc:  # any failure to read the witness
            checks.append(
                WitnessCheck(
                    witness=witness.name,
                    ok=False,
                    checkpoints_checked=0,
                    reason=f"the witness could not be read ({type(exc).__name__})",
                )
            )
            continue
        checks.append(await check_witness(session, witness.name, kept, public_keys))
    failed = next((c for c in checks if not c.ok), None)
    update: dict[str, Any] = {"witnesses": checks}
    if result.ok and failed is not None:
        update |= {
            "ok": False,
            "first_broken_seq": failed.first_broken_seq,
            "reason": f"witness {failed.witness!r}: {failed.reason}",
        }
    return result.model_copy(update=update)
