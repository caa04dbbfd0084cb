"""The audit trail: append inside the caller's transaction, sign checkpoints, verify.

``append`` takes the caller's :class:`~sqlalchemy.ext.asyncio.AsyncSession` so an operation
and its audit record commit (or roll back) together. The single ``audit_head`` row is the
append lock: the first statement is ``UPDATE audit_head SET last_seq = last_seq + 1 ...
RETURNING``, which on PostgreSQL row-locks the head until commit (like ``SELECT ... FOR
UPDATE``) and on SQLite takes the database write lock at once. A rolled-back transaction
rolls the increment back too, so the sequence has no gaps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..store.tables import AuditCheckpoint, AuditHead, AuditRecord
from ..store.types import utcnow
from .chain import ChainRow, row_for
from .entry import AuditEntry
from .signing import DEFAULT_SIGNING_KEY_PATH, CheckpointSigner
from .verify import ChainVerifier, CheckpointRow, HeadRow, VerifyResult

__all__ = ["DEFAULT_CHECKPOINT_EVERY", "AuditTrail", "verify_chain"]

DEFAULT_CHECKPOINT_EVERY = 1000
_VERIFY_PAGE = 1000
_CHAIN_COLUMNS = tuple(getattr(AuditRecord, field) for field in ChainRow._fields)


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
    def from_key_file(cls, path: Path = DEFAULT_SIGNING_KEY_PATH, **kwargs: object) -> AuditTrail:
        """A trail signing with the key at ``path`` (created with mode 0600 on first start)."""
        return cls(CheckpointSigner.from_file(path), **kwargs)  # type: ignore[arg-type]

    def export_public_key(self) -> str:
        """The PEM public key that verifies this trail's checkpoints."""
        return self.signer.export_public_key()

    async def append(self, session: AsyncSession, entry: AuditEntry) -> AuditRecord:
        """Append ``entry`` in the session's current transaction; the caller commits.

        Returns the stored row (``seq``, ``hash``, ``record`` ...). On SQLite run it in a
        write transaction (``Database.write()``) so concurrent writers queue rather than fail.
        """
        bump = (
            update(AuditHead)
            .where(AuditHead.id == 1)
            .values(last_seq=AuditHead.last_seq + 1)
            .returning(AuditHead.last_seq, AuditHead.last_hash)
        )
        seq, prev_hash = (await session.execute(bump)).one()
        row = row_for(seq, self._clock(), entry, prev_hash)
        await session.execute(insert(AuditRecord).values(row._asdict()))
        await session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=row.hash))
        if seq % self.checkpoint_every == 0:
            await self._insert_checkpoint(session, seq, row.hash)
        return AuditRecord(**row._asdict())

    async def _insert_checkpoint(
        self, session: AsyncSession, seq: int, record_hash: str
    ) -> AuditCheckpoint:
        checkpoint = AuditCheckpoint(
            seq=seq,
            hash=record_hash,
            signature=self.signer.sign(seq, record_hash),
            key_id=self.signer.key_id,
            created_at=self._clock(),
        )
        await session.execute(
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
        head = (
            await session.execute(
                select(AuditHead.last_seq, AuditHead.last_hash)
                .where(AuditHead.id == 1)
                .with_for_update()
            )
        ).one()
        if head.last_seq == 0:
            return None
        exists = await session.scalar(
            select(AuditCheckpoint.seq).where(AuditCheckpoint.seq == head.last_seq)
        )
        if exists is not None:
            return None
        return await self._insert_checkpoint(session, head.last_seq, head.last_hash)

    async def verify(self, session: AsyncSession) -> VerifyResult:
        """Check the whole stored chain, page by page; names the first broken record."""
        return await verify_chain(session, self.public_keys)


async def verify_chain(
    session: AsyncSession, public_keys: Mapping[str, Ed25519PublicKey]
) -> VerifyResult:
    """Verify the stored chain with ``public_keys`` (no signing key needed)."""
    head_row = (
        await session.execute(select(AuditHead.last_seq, AuditHead.last_hash))
    ).one_or_none()
    checkpoints = [
        CheckpointRow(*row)
        for row in await session.execute(
            select(
                AuditCheckpoint.seq,
                AuditCheckpoint.hash,
                AuditCheckpoint.signature,
                AuditCheckpoint.key_id,
            )
        )
    ]
    verifier = ChainVerifier(public_keys, checkpoints)
    after = 0
    while True:
        page = (
            await session.execute(
                select(*_CHAIN_COLUMNS)
                .where(AuditRecord.seq > after)
                .order_by(AuditRecord.seq)
                .limit(_VERIFY_PAGE)
            )
        ).all()
        if not page or not verifier.feed_many(ChainRow(*row) for row in page):
            break
        after = page[-1].seq
    head = HeadRow(*head_row) if head_row else None
    return verifier.finish(head)
