"""The adapter's error tables cover the double's catalogue exactly, layer by layer."""

from __future__ import annotations

from interlock import errors
from interlock_beisen import _errors
from interlock_beisen._mapping import STATE_TABLE
from interlock_beisen.double import _catalogue
from interlock_beisen.double._render import VENDOR_STATUS


def test_gateway_messages_are_all_mapped() -> None:
    assert set(_errors.GATEWAY_MESSAGES) == set(_catalogue.GATEWAY_ERRORS)


def test_the_ip_refusal_is_recognised() -> None:
    assert _errors.IP_NOT_TRUSTED_MARKER in _catalogue.IP_NOT_TRUSTED


def test_token_errors_are_all_mapped() -> None:
    assert set(_errors.TOKEN_ERRORS) == set(_catalogue.TOKEN_ERRORS)


def test_business_codes_are_all_mapped() -> None:
    assert set(_errors.BUSINESS_CODES) == set(_catalogue.BUSINESS_CODES)


def test_job_states_are_all_mapped() -> None:
    assert set(_errors.ASYNC_STATES) == set(_catalogue.ASYNC_STATES)


def test_batch_failure_lists_are_all_mapped() -> None:
    assert set(_errors.BATCH_FAILURE_LISTS) == set(_catalogue.BATCH_FAILURE_LISTS)


def test_every_interview_status_the_double_sends_is_mapped() -> None:
    assert set(STATE_TABLE) == set(VENDOR_STATUS.values())
    assert {STATE_TABLE[v] for v in VENDOR_STATUS.values()} == set(VENDOR_STATUS)


def test_mapped_errors_belong_to_the_neutral_tree() -> None:
    tree = set(errors.all_error_classes())
    tables = (
        _errors.GATEWAY_MESSAGES,
        _errors.TOKEN_ERRORS,
        _errors.BUSINESS_CODES,
        _errors.BATCH_FAILURE_LISTS,
    )
    for table in tables:
        for cls in table.values():
            assert cls is None or cls in tree
