"""Verifying a chain: feed rows in ``seq`` order, get the first broken record and why.

The verifier is incremental (rows stream through it page by page) and pure, so the
database check (``AuditTrail.verify``), a check of an exported file, and the tests share it.

Blame is placed on the record that was actually tampered with where the evidence allows:

* a gap in ``seq`` names the missing record;
* a row whose content claims another ``seq`` is a reordering, unless it claims the previous
  one and shares its predecessor's ``prev_hash`` — then the previous row was inserted;
* a row whose own hash is wrong was altered;
* a broken link between two self-consistent rows means one of them was rewritten with a
  recomputed hash: if the next link breaks too the later row was rewritten, else the earlier;
* the audit head and the signed checkpoints catch truncation and wholesale rewrites.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from typing import NamedTuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field

from .chain import ChainBreak, ChainRow, RowFacts, inspect_row
from .signing import verify_checkpoint_signature

__all__ = [
    "ChainVerifier",
    "CheckpointRow",
    "HeadRow",
    "VerifyResult",
    "WitnessCheck",
    "verify_rows",
]


class CheckpointRow(NamedTuple):
    """A stored checkpoint."""

    seq: int
    hash: str
    signature: str
    key_id: str


class HeadRow(NamedTuple):
    """The stored audit head."""

    last_seq: int
    last_hash: str


class WitnessCheck(BaseModel):
    """The database held against one witness."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    witness: str
    ok: bool
    checkpoints_checked: int
    first_broken_seq: int | None = None
    reason: str | None = None


class VerifyResult(BaseModel):
    """The outcome of a verification (also the body of ``GET /v1/audit/verify``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ok: bool
    records_checked: int
    checkpoints_checked: int
    first_broken_seq: int | None = None
    reason: str | None = None
    last_seq: int = 0
    last_hash: str | None = None
    witnesses: list[WitnessCheck] = Field(
        default_factory=list, description="the database held against each audit witness"
    )


class ChainVerifier:
    """Checks rows fed in ascending ``seq`` order; stops at the first break."""

    def __init__(
        self,
        public_keys: Mapping[str, Ed25519PublicKey],
        checkpoints: Iterable[CheckpointRow] = (),
        memo: MutableMapping[ChainRow, RowFacts] | None = None,
    ) -> None:
        self._public_keys = public_keys
        self._checkpoints = {cp.seq: cp for cp in checkpoints}
        self._memo = memo
        self._prev: ChainRow | None = None
        self._suspect_link = False  # the link into self._prev is broken, both ends self-consistent
        self.broken: ChainBreak | None = None
        self.records_checked = 0
        self.checkpoints_checked = 0

    def feed(self, row: ChainRow) -> bool:
        """Check the next row; ``False`` once the chain is broken (stop feeding)."""
        if self.broken is None:
            self.broken = self._check(row)
            if self.broken is None:
                self.records_checked += 1
                self._prev = row
        return self.broken is None

    def feed_many(self, rows: Iterable[ChainRow]) -> bool:
        """:meth:`feed` every row; ``False`` once the chain is broken.

        Intact rows take a fast path with the same conditions as :meth:`_check` inlined
        (verification of large chains is dominated by per-row overhead); anything unusual
        goes through :meth:`feed`.
        """
        memo, checkpoints = self._memo, self._checkpoints
        for row in rows:
            prev = self._prev
            if (
                self.broken is None
                and prev is not None
                and not self._suspect_link
                and row.seq == prev.seq + 1
                and row.prev_hash == prev.hash
                and row.seq not in checkpoints
                and inspect_row(row, memo) == (row.seq, None)
            ):
                self.records_checked += 1
                self._prev = row
            elif not self.feed(row):
                return False
        return self.broken is None

    def _check(self, row: ChainRow) -> ChainBreak | None:
        prev = self._prev
        expected = prev.seq + 1 if prev else 1
        if row.seq != expected:
            return ChainBreak(expected, f"gap in sequence: record {expected} is missing")
        facts = inspect_row(row, self._memo)
        if facts.claimed_seq is None:
            return ChainBreak(row.seq, facts.problem or "unreadable record")
        if facts.claimed_seq != row.seq:
            return self._misplaced(row, facts.claimed_seq)
        if facts.problem:
            return ChainBreak(row.seq, facts.problem)
        if prev and self._suspect_link:
            return self._blame_rewrite(prev, next_link_ok=row.prev_hash == prev.hash)
        self._suspect_link = prev is not None and row.prev_hash != prev.hash
        return self._check_checkpoint(row)

    def _misplaced(self, row: ChainRow, claimed: int) -> ChainBreak:
        prev = self._prev
        if prev and claimed == row.seq - 1 and row.prev_hash == prev.prev_hash:
            return ChainBreak(prev.seq, f"forged record inserted at {prev.seq}")
        return ChainBreak(row.seq, f"reordered: record {row.seq} holds record {claimed}")

    @staticmethod
    def _blame_rewrite(row: ChainRow, *, next_link_ok: bool) -> ChainBreak:
        """The link into ``row`` is broken although both ends hash correctly."""
        if next_link_ok:
            earlier = row.seq - 1
            return ChainBreak(
                earlier, f"prev_hash mismatch: record {earlier} was rewritten after {row.seq}"
            )
        return ChainBreak(row.seq, f"prev_hash mismatch: record {row.seq} was rewritten")

    def _check_checkpoint(self, row: ChainRow) -> ChainBreak | None:
        checkpoint = self._checkpoints.pop(row.seq, None)
        if checkpoint is None:
            return None
        self.checkpoints_checked += 1
        problem = verify_checkpoint_signature(
            self._public_keys, checkpoint.seq, checkpoint.hash, checkpoint.key_id,
            checkpoint.signature,
        )  # fmt: skip
        if problem:
            return ChainBreak(row.seq, problem)
        if checkpoint.hash != row.hash:
            return ChainBreak(row.seq, f"record {row.seq} differs from its signed checkpoint")
        return None

    def _check_end(self, head: HeadRow | None) -> ChainBreak | None:
        last = self._prev
        last_seq = last.seq if last else 0
        if last and self._suspect_link:
            head_disowns_last = head is not None and head.last_hash != last.hash
            return self._blame_rewrite(last, next_link_ok=not head_disowns_last)
        if head is not None:
            if head.last_seq > last_seq:
                missing = last_seq + 1
                return ChainBreak(
                    missing, f"records {missing}..{head.last_seq} are missing (chain ends early)"
                )
            if head.last_seq < last_seq:  # a row was inserted past the tip without the trail
                return ChainBreak(head.last_seq + 1, "record beyond the audit head")
            if last and head.last_hash != last.hash:
                return ChainBreak(last_seq, f"record {last_seq} differs from the audit head")
        if self._checkpoints:
            orphan = min(self._checkpoints)
            return ChainBreak(orphan, f"record {orphan} is missing but was checkpointed")
        return None

    def finish(self, head: HeadRow | None) -> VerifyResult:
        """Final checks against the head (``None`` for an exported file) and the result."""
        if self.broken is None:
            self.broken = self._check_end(head)
        last = self._prev
        return VerifyResult(
            ok=self.broken is None,
            records_checked=self.records_checked,
            checkpoints_checked=self.checkpoints_checked,
            first_broken_seq=self.broken.seq if self.broken else None,
            reason=self.broken.reason if self.broken else None,
            last_seq=last.seq if last else 0,
            last_hash=last.hash if last else None,
        )


def verify_rows(
    rows: Iterable[ChainRow],
    head: HeadRow | None,
    public_keys: Mapping[str, Ed25519PublicKey],
    checkpoints: Iterable[CheckpointRow] = (),
    memo: MutableMapping[ChainRow, RowFacts] | None = None,
) -> VerifyResult:
    """Verify an in-memory (or otherwise iterable) chain in one call."""
    verifier = ChainVerifier(public_keys, checkpoints, memo)
    verifier.feed_many(rows)
    return verifier.finish(head)
