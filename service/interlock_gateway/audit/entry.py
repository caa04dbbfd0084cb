"""What one audit record says (:class:`AuditEntry`), with the personal-data guard.

Names and phone numbers are masked before anything is stored (``张*``, ``138****1234``):

* values under name-like keys (``name``, ``candidate_name``, ...) are masked with
  :func:`interlock.privacy.mask_name`, under phone-like keys (``phone``, ``mobile``, ...) with
  :func:`interlock.privacy.mask_phone`;
* mobile numbers inside free text (the reason note, detail strings) are masked in place;
* as a backstop, any raw mobile number left anywhere in the entry (an identifier, a key) is
  refused with :class:`AuditPrivacyError`, whose message names the field but never the value.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from interlock.errors import InvalidRequest
from interlock.privacy import mask_name, mask_phone

__all__ = [
    "AuditActor",
    "AuditEntry",
    "AuditPrivacyError",
    "AuditReason",
    "AuditTarget",
    "find_raw_phone",
    "mask_free_text",
]

# A mainland mobile number (1[3-9]xxxxxxxxx), optionally +86 and separators, standing on its
# own: not inside a longer run of digits (timestamps, long ids) nor glued to Latin letters or
# digits (hex request ids such as a UUID's, which contain digit runs by chance). CJK text
# around a number does not protect it: "电话13812345678" is found.
_MOBILE = re.compile(r"(?<![0-9A-Za-z])(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?![0-9A-Za-z])")
_NAME_KEY = re.compile(r"(?:^|_)(?:name|fullname|realname)$", re.IGNORECASE)
_PHONE_KEY = re.compile(r"(?:^|_)(?:phone|mobile|tel|telephone|cellphone)(?:_?number)?$", re.I)
# Keys whose "name" is not a person's: machine identifiers.
_NOT_PERSONAL = frozenset({"account_name", "adapter_name", "vendor_name", "position_name"})


class AuditPrivacyError(InvalidRequest):
    """An audit entry still held a raw phone number after masking; nothing was stored."""


def find_raw_phone(text: str) -> bool:
    """Whether ``text`` contains something that looks like an unmasked mobile number."""
    return _MOBILE.search(text) is not None


def mask_free_text(text: str) -> str:
    """``call 13812345678 now`` → ``call 138****5678 now``."""
    return _MOBILE.sub(lambda match: mask_phone(match.group(0)), text)


def _mask_value(key: str, value: Any) -> Any:
    """Mask one detail value according to its key; recurse into containers."""
    if isinstance(value, dict):
        return {k: _mask_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_value(key, item) for item in value]
    if not isinstance(value, str) or "*" in value:  # already masked (masking is not idempotent)
        return value
    if _PHONE_KEY.search(key):
        return mask_phone(value)
    if _NAME_KEY.search(key) and key.lower() not in _NOT_PERSONAL:
        return mask_name(value)
    return mask_free_text(value)


def _first_raw_phone(value: Any, path: str) -> str | None:
    """The path of the first string (or key) holding a raw mobile number, if any."""
    if isinstance(value, str):
        return path if find_raw_phone(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if find_raw_phone(str(key)):
                return f"{path}.<key>"
            found = _first_raw_phone(item, f"{path}.{key}")
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_raw_phone(item, f"{path}[{index}]")
            if found:
                return found
    return None


class _Frozen(BaseModel):
    # hide_input_in_errors: a validation error must never echo personal data into a log.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


class AuditActor(_Frozen):
    """Who acted: the principal, its role, the key prefix used, the client IP."""

    principal: str | None = None
    role: str | None = None
    key_id: str | None = None
    ip: str | None = None


class AuditTarget(_Frozen):
    """What was acted on. ``candidate`` is the pseudonymous candidate id, never a name."""

    account: str | None = None
    session_id: str | None = None
    position_id: str | None = None
    candidate: str | None = None


class AuditReason(_Frozen):
    """The reason code and note as given (the note's phone numbers masked)."""

    code: str
    note: str | None = None


class AuditEntry(_Frozen):
    """One attempt or outcome to record; the trail adds ``seq``, ``ts`` and the hashes.

    ``action`` names what was attempted, e.g. ``operation.terminate``, ``approval.approve``,
    ``principal.revoke``; ``outcome`` says how it ended (an operation outcome, ``denied``, ...).
    """

    actor: AuditActor = Field(default_factory=AuditActor)
    action: str = Field(min_length=1, max_length=64)
    target: AuditTarget = Field(default_factory=AuditTarget)
    reason: AuditReason | None = None
    approval_id: str | None = None
    state_before: str | None = None
    state_after: str | None = None
    outcome: str | None = None
    vendor_request_id: str | None = None
    idempotency_key: str | None = None
    operation_id: str | None = None
    batch_id: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _mask_personal_data(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if isinstance(data.get("details"), dict):
            data["details"] = _mask_value("details", data["details"])
        reason = data.get("reason")
        if isinstance(reason, dict) and isinstance(reason.get("note"), str):
            data["reason"] = {**reason, "note": mask_free_text(reason["note"])}
        elif isinstance(reason, AuditReason) and reason.note:
            data["reason"] = reason.model_copy(update={"note": mask_free_text(reason.note)})
        return data

    @model_validator(mode="after")
    def _refuse_raw_phone_numbers(self) -> AuditEntry:
        where = _first_raw_phone(self.model_dump(mode="json"), "entry")
        if where:
            raise AuditPrivacyError(
                f"refusing to audit a raw phone number in {where}",
                hint="mask it with interlock.privacy.mask_phone or use a pseudonymous id",
            )
        return self

    def to_record(self) -> dict[str, Any]:
        """The entry as the JSON-ready dict that goes into the hashed record."""
        return self.model_dump(mode="json")
