"""The Yonyou adapter opts into the Interlock contract suite (``interlock contract yonyou``).

Pause and resume are skipped by the suite itself, for the declared reason (capability
``unsupported``); every other check runs.
"""

from __future__ import annotations

from interlock_contract import AdapterContractSuite


class TestYonyouContract(AdapterContractSuite):
    adapter_name = "yonyou"
