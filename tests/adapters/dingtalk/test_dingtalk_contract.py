"""The DingTalk adapter passes the whole Interlock contract suite against its double."""

from interlock_contract import AdapterContractSuite


class TestDingTalkContract(AdapterContractSuite):
    """At DingTalk's documented 20 calls per second: the adapter's limiter waits in the kit's
    virtual time, so the 50-concurrent-reads and 51-item checks cost no real time."""

    adapter_name = "dingtalk"
