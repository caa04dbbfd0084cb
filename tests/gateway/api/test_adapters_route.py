"""``/v1/adapters``: the capability matrix per configured account, without vendor calls."""

from __future__ import annotations

import pytest

from .harness import Harness


async def test_one_row_per_account_with_vendor_and_capabilities(harness: Harness) -> None:
    calls = harness.calls()
    response = await harness.client.get("/v1/adapters", headers=harness.headers("spec"))
    assert response.status_code == 200
    rows = response.json()["accounts"]
    assert [(r["account"], r["vendor"]) for r in rows] == [
        ("demo", "sandbox"),
        ("nopause", "sandbox"),
    ]
    for row in rows:
        adapter = harness.interlock.accounts[row["account"]]
        assert row["capabilities"] == adapter.capabilities.model_dump(mode="json")
    demo, nopause = (r["capabilities"] for r in rows)
    assert (demo["pause"], nopause["pause"]) == ("native", "unsupported")
    assert demo["terminate"] == nopause["terminate"] == "native"
    assert harness.calls() == calls  # declared data, not a vendor round trip


@pytest.mark.parametrize(
    ("who", "status"),
    [("spec", 200), ("mgr", 200), ("admin", 200), ("auditor", 403)],
    ids=["specialist", "manager", "admin", "auditor"],
)
async def test_who_may_read_the_matrix(harness: Harness, who: str, status: int) -> None:
    response = await harness.client.get("/v1/adapters", headers=harness.headers(who))
    assert response.status_code == status


async def test_the_matrix_needs_a_key_and_takes_no_parameters(harness: Harness) -> None:
    assert (await harness.client.get("/v1/adapters")).status_code == 401
    response = await harness.client.get(
        "/v1/adapters", params={"account": "demo"}, headers=harness.headers("admin")
    )
    assert response.status_code == 422
    assert response.json()["code"] == "REQUEST.UNKNOWN_PARAMETER"
