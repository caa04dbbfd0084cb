"""The DingTalk adapter passes the whole Interlock contract suite against its double."""

import pytest

from interlock.doubles import DoubleSettings
from interlock_contract import AdapterContractSuite


class TestDingTalkContract(AdapterContractSuite):
    adapter_name = "dingtalk"

    @pytest.fixture
    def double_settings(self) -> DoubleSettings:
        # DingTalk allows 20 calls/s per app and API, and the adapter's own limiter spaces calls
        # at 80 % of that, so the 50-concurrent-reads and 101-item checks would wait seconds for
        # it. A tenant with a higher limit (passed to the adapter as vendor_qps) keeps this fast;
        # the documented 20/s is exercised in the probe and adapter tests, and by
        # `interlock contract dingtalk`, which runs the suite with the defaults.
        return DoubleSettings(seed=7, sessions=48, qps=400)
