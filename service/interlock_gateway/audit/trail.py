"""The audit trail: append inside the caller's transaction, sign checkpoints, verify.

``append`` takes the caller's :class:`~sqlalchemy.ext.asyncio.AsyncSession` (``append_sync``
the synchronous session of a ``Database.run`` body) so an operation and its audit record
commit (or roll back) together. The single ``audit_head`` row is the append lock: a
transaction's first append locks and reads it, and the new tip is written just before the
transaction commits (see :mod:`.head`). A rolled-back transaction stores neither its records
nor a new tip, so the sequence has no gaps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from ..store.tables import AuditCheckpoint, AuditHead, AuditRecord
from ..store.types import utcnow
from .chain import ChainRow, row_for
from .entry import AuditEntry
from .head import advance_tip, current_tip
from .signing import DEFAULT_SIGNING_KEY_PATH, CheckpointSigner
from .verify import ChainVerifier, CheckpointRow, HeadRow, VerifyResult

__all__ = ["DEFAULT_CHECKPOINT_EVERY", "AuditTrail", "verify_chain"]

DEFAULT_CHECKPOINT_EVERY = 1000
_VERIFY_PAGE = 1000
_CHAIN_COLUMNS = tuple(getattr(AuditRecord, field) for field in ChainRow._fields)

# Built once on the Core table (no ORM layer, no statement construction per record: this
# runs for every audited request). The head is read and written once per transaction (head.py).
_INSERT_RECORD = insert(cast(Table, AuditRecord.__table__))


class AuditTrail:
    """Appends hash-chained audit records and signs a checkpoint every ``checkpoint_every``."""

    def __init__(
        self,
        signer: CheckpointSigner,
        *,
        checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY,
        trusted_keys: Mapping[str, Ed25519PublicKey] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if checkpoint_every < 1:
            raise ValueError("checkpoint_every must be at least 1")
        self.signer = signer
        self.checkpoint_every = checkpoint_every
        self._clock = clock
        # Keys of earlier (rotated) signing keys stay trusted for old checkpoints.
        self.public_keys: dict[str, Ed25519PublicKey] = {
            **(trusted_keys or {}),
            signer.key_id: signer.public_key,
        }

    @classmethod
    def from_key_file(
        cls,
        path: Path = DEFAULT_SIGNING_KEY_PATH,
        *,
        checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY,
        clock: Callable[[], datetime] = utcnow,
    ) -> AuditTrail:
        """A trail signing with the key at ``path`` (created with mode 0600 on first start)."""
        signer = CheckpointSigner.from_file(path)
        return cls(signer, checkpoint_every=checkpoint_every, clock=clock)

    def export_public_key(self) -> str:
        """The PEM public key that verifies this trail's checkpoints."""
        return self.signer.export_public_key()

    async def append(self, session: AsyncSession, entry: AuditEntry) -> AuditRecord:
        """Append ``entry`` in the session's current transaction; the caller commits.

        Returns the stored row (``seq``, ``hash``, ``record`` ...). On SQLite run it in a
        write transaction (``Database.write()``) so concurrent writers queue rather than fail.
        """
        return await session.run_sync(self.append_sync, entry)

    def append_sync(self, session: Session, entry: AuditEntry) -> AuditRecord:
        """:meth:`append` for a synchronous session (a ``Database.run`` body)."""
        (row,) = self.append_many_sync(session, [entry])
        return AuditRecord(**row._asdict())

    def append_many_sync(self, session: Session, entries: Sequence[AuditEntry]) -> list[ChainRow]:
        """Append ``entries`` in order, inserted with one ``executemany``; the stored rows."""
        if not entries:
            return []
        seq, last_hash = current_tip(session)
        rows: list[ChainRow] = []
        signed: list[tuple[int, str]] = []
        for entry in entries:
            seq += 1
            row = row_for(seq, self._clock(), entry, last_hash)
            rows.append(row)
            last_hash = row.hash
            if seq % self.checkpoint_every == 0:
                signed.append((seq, last_hash))
        session.execute(_INSERT_RECORD, [row._asdict() for row in rows])
        advance_tip(session, seq, last_hash)
        for checkpoint_seq, checkpoint_hash in signed:
            self._insert_checkpoint(session, checkpoint_seq, checkpoint_hash)
        return rows

    def _insert_checkpoint(self, session: Session, seq: int, record_hash: str) -> AuditCheckpoint:
        checkpoint = AuditCheckpoint(
            seq=seq,
            hash=record_hash,
            signature=self.signer.sign(seq, record_hash),
            key_id=self.signer.key_id,
            created_at=self._clock(),
        )
        session.execute(
            insert(AuditCheckpoint).values(
                seq=checkpoint.seq,
                hash=checkpoint.hash,
                signature=checkpoint.signature,
                key_id=checkpoint.key_id,
                created_at=checkpoint.created_at,
            )
        )
        return checkpoint

    async def checkpoint(self, session: AsyncSession) -> AuditCheckpoint | None:
        """Sign the current tip now (``None`` if the trail is empty or the tip is signed)."""
        return await session.run_sync(self._checkpoint_tip)

    def _checkpoint_tip(self, session: Session) -> AuditCheckpoint | None:
        seq, tip_hash = current_tip(session)
        if seq == 0:
            return None
        exists = session.scalar(select(AuditCheckpoint.seq).where(AuditCheckpoint.seq == seq))
        if exists is not None:
            return None
        return self._insert_checkpoint(session, seq, tip_hash)

    async def verify(self, session: AsyncSession) -> VerifyResult:
        """Check the whole stored chain, page by page; names the first broken record."""
        return await verify_chain(session, self.public_keys)


async def _head(session: AsyncSession) -> HeadRow | None:
    row = (await session.execute(select(AuditHead.last_seq, AuditHead.last_hash))).one_or_none()
    return HeadRow(*row) if row else None


async def _checkpoints(session: AsyncSession, up_to: int) -> list[CheckpointRow]:
    columns = (
        AuditCheckpoint.seq,
        AuditCheckpoint.hash,
        AuditCheckpoint.signature,
        AuditCheckpoint.key_id,
    )
    rows = await session.execute(select(*columns).where(AuditCheckpoint.seq <= up_to))
    return [CheckpointRow(*row) for row in rows]


async def _feed_pages(session: AsyncSession, verifier: ChainVerifier, up_to: int) -> None:
    after = 0
    while after < up_to:
        statement = (
            select(*_CHAIN_COLUMNS)
            .where(AuditRecord.seq > after, AuditRecord.seq <= up_to)
            .order_by(AuditRecord.seq)
            .limit(_VERIFY_PAGE)
        )
        page = (await session.execute(statement)).all()
        if not page or not verifier.feed_many(ChainRow(*row) for row in page):
            return
        after = page[-1].seq


async def verify_chain(
    session: AsyncSession, public_keys: Mapping[str, Ed25519PublicKey]
) -> VerifyResult:
    """Verify the stored chain with ``public_keys`` (no signing key needed).

    Safe while appends go on: the chain is checked up to the head read first (appends commit
    a record and the head together), and rows beyond the head are looked for afterwards
    against a fresh read of the head, so a concurrent append is never mistaken for tampering.
    """
    head = await _head(session)
    if head is None:
        return VerifyResult(
            ok=False,
            records_checked=0,
            checkpoints_checked=0,
            first_broken_seq=1,
            reason="the audit head row is missing",
        )
    verifier = ChainVerifier(public_keys, await _checkpoints(session, head.last_seq))
    await _feed_pages(session, verifier, head.last_seq)
    result = verifier.finish(head)
    if not result.ok:
        return result
    highest = await session.scalar(select(func.max(AuditRecord.seq)))
    latest = await _head(session)
    tip = latest.last_seq if latest else head.last_seq
    signed = await session.scalar(select(func.max(AuditCheckpoint.seq)))
    if signed is not None and signed > tip:
        return result.model_copy(
            update={
                "ok": False,
                "first_broken_seq": tip + 1,
                "reason": f"a checkpoint signs record {signed}, but the chain ends at {tip}: "
                "the tail was removed and the head moved back",
            }
        )
    if highest is not None and highest > tip:
        return result.model_copy(
            update={
                "ok": False,
                "first_broken_seq": tip + 1,
                "reason": f"record {tip + 1} was not appended through the trail (beyond the head)",
            }
        )
    return result
