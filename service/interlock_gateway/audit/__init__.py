"""The tamper-evident audit trail: hash chain, signed checkpoints, verification, export.

Typical use in a request handler (one transaction for the operation and its record)::

    async with db.write() as session:
        session.add(operation)
        await trail.append(session, AuditEntry(actor=..., action="operation.terminate", ...))
"""

from .canonical import canonical_json, format_timestamp
from .chain import ChainRow, build_record, chain_hash
from .entry import (
    AuditActor,
    AuditEntry,
    AuditPrivacyError,
    AuditReason,
    AuditTarget,
    mask_free_text,
)
from .export import export_csv, export_jsonl
from .query import AuditFilter, AuditPage, AuditView, query
from .signing import (
    DEFAULT_SIGNING_KEY_PATH,
    CheckpointSigner,
    load_or_create_signing_key,
    load_public_key,
)
from .trail import DEFAULT_CHECKPOINT_EVERY, AuditTrail, verify_chain
from .verify import VerifyResult, verify_rows

__all__ = [
    "DEFAULT_CHECKPOINT_EVERY",
    "DEFAULT_SIGNING_KEY_PATH",
    "AuditActor",
    "AuditEntry",
    "AuditFilter",
    "AuditPage",
    "AuditPrivacyError",
    "AuditReason",
    "AuditTarget",
    "AuditTrail",
    "AuditView",
    "ChainRow",
    "CheckpointSigner",
    "VerifyResult",
    "build_record",
    "canonical_json",
    "chain_hash",
    "export_csv",
    "export_jsonl",
    "format_timestamp",
    "load_or_create_signing_key",
    "load_public_key",
    "mask_free_text",
    "query",
    "verify_chain",
    "verify_rows",
]
