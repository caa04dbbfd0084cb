"""The error tables are complete, and every gateway code is translated through real calls."""

from __future__ import annotations

import pytest
from yonyou_helpers import REASON, AdapterFactory

from interlock import errors
from interlock.models import SessionState
from interlock_yonyou import _errors
from interlock_yonyou.double import YonyouDouble
from interlock_yonyou.double import _catalogue as catalogue


def test_every_code_the_double_can_answer_is_mapped_and_vice_versa() -> None:
    assert set(_errors.GATEWAY_CODES) == set(catalogue.GATEWAY_CODES)
    assert set(_errors.AUTH_CODES) == set(catalogue.DATA_CENTRE_CODES) | set(catalogue.TOKEN_CODES)
    assert set(_errors.DISPLAY_CODES) == set(catalogue.DISPLAY_CODES)
    assert catalogue.DUPLICATE_SUBMISSION in _errors.DUPLICATE_CODES


def test_only_404_and_405_leave_http_200() -> None:
    statuses = {code: status for code, (status, _) in catalogue.GATEWAY_CODES.items()}
    assert {code for code, status in statuses.items() if status != 200} == {"310404", "310405"}


def test_every_throttle_code_is_rate_limited_with_a_wait() -> None:
    for code in ("310032", "310039", "310042", "310046"):
        rule = _errors.GATEWAY_CODES[code]
        assert rule.error is errors.VendorRateLimited
        assert rule.retry_after == 1.0


EXPECTED = {
    "310001": errors.VendorAuthFailed,
    "310002": errors.VendorProtocolError,
    "310005": errors.VendorAuthFailed,
    "310006": errors.VendorAuthFailed,
    "310008": errors.VendorProtocolError,
    "310015": errors.VendorProtocolError,
    "310023": errors.VendorProtocolError,
    "310031": errors.VendorPermissionDenied,
    "310032": errors.VendorRateLimited,
    "310036": errors.VendorAuthFailed,  # forced on every call: the replay fails too
    "310037": errors.VendorPermissionDenied,
    "310038": errors.VendorPermissionDenied,
    "310039": errors.VendorRateLimited,
    "310041": errors.VendorPermissionDenied,
    "310042": errors.VendorRateLimited,
    "310046": errors.VendorRateLimited,
    "310047": errors.VendorPermissionDenied,
    "310404": errors.VendorProtocolError,
    "310405": errors.VendorProtocolError,
    "202": errors.VendorUnavailable,
    "310043": errors.VendorUnavailable,
    "310071": errors.VendorUnavailable,
    "310072": errors.VendorUnavailable,
    "310504": errors.VendorUnavailable,
    "315001": errors.VendorUnavailable,
    "999": errors.VendorUnavailable,
}


def test_the_expectations_below_cover_the_whole_catalogue() -> None:
    assert set(EXPECTED) == set(catalogue.GATEWAY_CODES)


@pytest.mark.parametrize("code", sorted(EXPECTED))
async def test_each_gateway_code_read_through_the_adapter(
    code: str, double: YonyouDouble, make_adapter: AdapterFactory
) -> None:
    adapter = make_adapter()
    session_id = double.put_session(SessionState.IN_PROGRESS)
    await adapter.get_session(session_id)  # discovery and token first: only the code differs
    double.force_code(code, times=3)
    with pytest.raises(errors.InterlockError) as caught:
        await adapter.get_session(session_id)
    error = caught.value
    assert isinstance(error, EXPECTED[code])
    assert code in (getattr(error, "vendor_code", None) or "")
    assert session_id not in error.message or code == "310404"


async def test_a_gateway_timeout_on_a_write_is_read_back_before_anything_is_resent(
    double: YonyouDouble, make_adapter: AdapterFactory
) -> None:
    adapter = make_adapter()
    session_id = double.put_session(SessionState.IN_PROGRESS)
    await adapter.get_session(session_id)
    double.force_code("310504")  # the gateway timed out; the tenant's service did not act
    result = await adapter.terminate(session_id, REASON, idempotency_key="k-504")

    assert result.state_after is SessionState.TERMINATED
    assert double.mutation_counts[session_id] == 1
    calls = [r.api.rsplit("/", 1)[-1] for r in double.requests[-3:]]
    # answered 310504 → read back (not applied) → only then sent again, safely
    assert calls == ["terminate", "detail", "terminate"]
