"""The contract suite, opted into by each planted-bug variant of the sandbox adapter.

Not collected by default (the name has no ``test_`` prefix): ``test_planted_bugs.py`` runs it
in a subprocess and checks that every planted bug fails the check that should catch it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

import pytest
from broken_sandbox import PLANTED

from interlock.plugins import AdapterSpec, get_plugin_manager
from interlock_contract import AdapterContractSuite
from interlock_sandbox.adapter import SandboxAdapter


class BrokenSandboxSuite(AdapterContractSuite):
    """The sandbox's spec with the factory swapped for a broken variant."""

    variant: ClassVar[str]

    @pytest.fixture(scope="class")
    @classmethod
    def contract_spec(cls) -> AdapterSpec:
        factory: type[SandboxAdapter] = PLANTED[cls.variant]
        return replace(get_plugin_manager().adapter("sandbox"), factory=factory)


class TestBlindTerminateRetry(BrokenSandboxSuite):
    variant = "blind-terminate-retry"


class TestUnknownStateAsInProgress(BrokenSandboxSuite):
    variant = "unknown-state-as-in-progress"


class TestErrorIn200IsSuccess(BrokenSandboxSuite):
    variant = "error-in-200-is-success"


class TestIgnoresRetryAfter(BrokenSandboxSuite):
    variant = "ignores-retry-after"


class TestLeaksSecretInErrors(BrokenSandboxSuite):
    variant = "leaks-secret-in-errors"


class TestPagesPastTheLastPage(BrokenSandboxSuite):
    variant = "pages-past-the-last-page"


class TestClaimsNativePauseButRaises(BrokenSandboxSuite):
    variant = "claims-native-pause-but-raises"


class TestTokenPerCall(BrokenSandboxSuite):
    variant = "token-per-call"


class TestManualPauseStillCallsTheVendor(BrokenSandboxSuite):
    variant = "manual-pause-still-calls-the-vendor"
