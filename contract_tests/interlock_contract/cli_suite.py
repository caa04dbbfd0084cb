"""The generic contract module that ``interlock contract NAME`` runs (not a test of this repo).

pytest collects it only when it is named on the command line, with
``--interlock-adapter NAME`` saying which installed adapter to check.
"""

from __future__ import annotations

import pytest

from interlock_contract.suite import AdapterContractSuite

__all__ = ["TestInstalledAdapterContract"]


class TestInstalledAdapterContract(AdapterContractSuite):
    """The whole suite against the adapter named by ``--interlock-adapter``."""

    @pytest.fixture(scope="class")
    @classmethod
    def contract_adapter_name(cls, request: pytest.FixtureRequest) -> str:
        name = request.config.getoption("interlock_adapter", default=None)
        if not name:
            pytest.fail(
                "run this module with --interlock-adapter NAME (or use `interlock contract NAME`)",
                pytrace=False,
            )
        return str(name)
