"""The audit entry's personal-data guard: names and phones masked, raw phones refused."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from interlock_gateway.audit import AuditEntry, AuditPrivacyError, mask_free_text


def _entry(**fields: Any) -> AuditEntry:
    return AuditEntry.model_validate({"action": "operation.pause", **fields})


def test_name_and_phone_keys_are_masked_at_any_depth() -> None:
    entry = _entry(
        details={
            "candidate_name": "欧阳娜娜",
            "name": "Li Wei",
            "phone": "+86 138-1234-5678",
            "contacts": [{"mobile": "13900001111", "full_name": "张三"}],
            "account_name": "dingtalk-hq",  # a machine name, not a person's
        }
    )
    assert entry.details == {
        "candidate_name": "欧***",
        "name": "L* W**",
        "phone": "138****5678",
        "contacts": [{"mobile": "139****1111", "full_name": "张*"}],
        "account_name": "dingtalk-hq",
    }


def test_phones_in_free_text_are_masked() -> None:
    entry = _entry(
        reason={"code": "other", "note": "候选人 13812345678 来电，另一号码 139 0000 1111"},
        details={"comment": "call back on 15011112222"},
    )
    assert entry.reason is not None
    assert entry.reason.note == "候选人 138****5678 来电，另一号码 139****1111"
    assert entry.details["comment"] == "call back on 150****2222"


def test_masking_is_stable_for_already_masked_values() -> None:
    once = _entry(details={"phone": "13812345678", "name": "张三"})
    twice = AuditEntry.model_validate(once.model_dump())
    assert twice == once


def test_long_numbers_and_hex_ids_are_not_phones() -> None:
    text = "epoch 1767225600123, order 913812345678, id 2138123456789"
    assert mask_free_text(text) == text
    hex_ids = {"vendor_request_id": "9f13812345678ab0c1d2e3f4a5b6c7d8", "operation_id": "x"}
    assert _entry(**hex_ids).vendor_request_id == hex_ids["vendor_request_id"]


@pytest.mark.parametrize(
    "fields",
    [
        {"target": {"session_id": "13812345678"}},
        {"actor": {"principal": "13812345678"}},
        {"vendor_request_id": "req-13812345678"},
        {"details": {"13812345678": "as a key"}},
    ],
    ids=["session-id", "principal", "vendor-request-id", "detail-key"],
)
def test_raw_phones_elsewhere_are_refused_without_echoing_them(fields: dict[str, Any]) -> None:
    with pytest.raises(AuditPrivacyError) as caught:
        _entry(**fields)
    assert "13812345678" not in str(caught.value)
    assert caught.value.code == "INTERLOCK.INVALID_REQUEST"


def test_validation_errors_do_not_echo_input() -> None:
    with pytest.raises(ValidationError) as caught:
        AuditEntry.model_validate({"action": "x", "unexpected": "张三 13812345678"})
    assert "13812345678" not in str(caught.value)
    assert "张三" not in str(caught.value)


def test_entries_are_frozen_and_strict() -> None:
    entry = _entry()
    with pytest.raises(ValidationError):
        entry.action = "other"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        _entry(actor={"principal": "a", "password": "x"})
