"""The sandbox adapter passes the whole contract suite (the reference for every adapter)."""

from interlock_contract import AdapterContractSuite


class TestSandboxContract(AdapterContractSuite):
    adapter_name = "sandbox"
