"""The Beisen adapter passes the whole Interlock contract suite against its double."""

import pytest

from interlock.doubles import DoubleSettings
from interlock_contract import AdapterContractSuite


class TestBeisenContract(AdapterContractSuite):
    adapter_name = "beisen"

    @pytest.fixture
    def double_settings(self) -> DoubleSettings:
        # Beisen allows 20 calls/s per API and the adapter's limiter stays under 80 % of it,
        # so the 50-concurrent-reads and 101-item checks would spend seconds waiting for it.
        # A tenant with a higher limit (passed to the adapter as vendor_qps) keeps this fast;
        # the documented limits are exercised in test_beisen_adapter.py and by
        # `interlock contract beisen`, which runs the suite with the defaults.
        return DoubleSettings(seed=7, sessions=48, qps=400)
