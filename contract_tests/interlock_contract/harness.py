"""The fixtures every contract check uses, on one base class (the fsspec/zarr pattern).

An adapter opts in by subclassing :class:`~interlock_contract.AdapterContractSuite` and either
naming its entry point (``adapter_name = "dingtalk"``) or overriding the ``double`` and
``adapter`` fixtures. Fixtures are methods of the class, so nothing leaks into other tests.

Checks are plain (synchronous) test functions that drive the async adapter through
:attr:`ContractFixtures.run` on a private event loop per check, so the suite works the same
with or without pytest-asyncio and whatever its mode.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar, cast

import httpx
import pytest
import respx

from interlock import Interlock
from interlock.adapter import InterviewAdapter
from interlock.capabilities import Capabilities
from interlock.doubles import (
    DoubleSettings,
    VendorDouble,
    VirtualClock,
    make_double,
    wire_adapter,
)
from interlock.http import RetryBudget, RetryPolicy
from interlock.models import Reason, ReasonCode, Verb
from interlock.plugins import (
    AdapterSpec,
    OperationFinished,
    OperationStarted,
    get_plugin_manager,
    hookimpl,
)
from interlock_contract.plugin import ledger
from interlock_contract.scenario import Handler, Scenario, VendorTraffic

__all__ = [
    "CONTRACT_REASON",
    "ContractFixtures",
    "HookRecorder",
    "RecordingSleep",
    "VendorMock",
]

T = TypeVar("T")
Runner = Callable[[Coroutine[Any, Any, T]], T]

CONTRACT_REASON = Reason(code=ReasonCode.SYSTEM_FAULT, note="interlock contract check")
"""The reason every verb of the suite carries."""


class RecordingSleep:
    """The retry policy's sleep in the suite: records each wait and advances the virtual clock
    the double and the adapter share, instead of waiting it out."""

    def __init__(self, clock: VirtualClock | None = None) -> None:
        self.waits: list[float] = []
        self.clock = clock or VirtualClock()

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await self.clock.sleep(seconds)

    def __repr__(self) -> str:
        return f"<RecordingSleep waits={self.waits!r}>"


class HookRecorder:
    """A plug-in that records the observer hooks (registered in a fresh plug-in manager)."""

    __name__ = "interlock-contract-hook-recorder"

    def __init__(self) -> None:
        self.started: list[OperationStarted] = []
        self.finished: list[OperationFinished] = []

    @hookimpl
    def interlock_operation_started(self, event: OperationStarted) -> None:
        self.started.append(event)

    @hookimpl
    def interlock_operation_finished(self, event: OperationFinished) -> None:
        self.finished.append(event)

    def clear(self) -> None:
        self.started.clear()
        self.finished.clear()


@dataclass
class VendorMock:
    """The mocked network: a respx router with the double mounted, and what went over it."""

    router: respx.MockRouter
    traffic: VendorTraffic = field(default_factory=VendorTraffic)

    @property
    def transport(self) -> httpx.AsyncBaseTransport:
        """A transport that routes through respx (and so to the double)."""
        return httpx.MockTransport(self.router.async_handler)


class ContractFixtures:
    """Fixtures and helpers shared by every concern class of the suite.

    Class attributes a subclass may set:

    * ``adapter_name`` — the adapter's entry-point name (``interlock.adapters`` group);
    * ``bypass_reasons`` — ``{"check or class name": "why"}``: checks that do not run, each with
      a written reason that the run prints; use sparingly (a capability the adapter does not
      declare is skipped automatically and needs no bypass).
    """

    adapter_name: ClassVar[str | None] = None
    bypass_reasons: ClassVar[Mapping[str, str]] = {}

    # -- what the adapter under test is ------------------------------------------------------

    @pytest.fixture(scope="class")
    @classmethod
    def contract_adapter_name(cls) -> str:
        """The entry-point name of the adapter (``adapter_name``)."""
        name = cls.adapter_name
        if not name:
            pytest.fail(
                f"{cls.__name__} opts into the Interlock contract suite but does not say "
                'which adapter: set `adapter_name = "<entry-point name>"` on the class, or '
                "override the `double` and `adapter` fixtures (see interlock_contract's docstring)",
                pytrace=False,
            )
        return name

    @pytest.fixture(scope="class")
    @classmethod
    def contract_spec(cls, contract_adapter_name: str) -> AdapterSpec:
        """The adapter's spec, found through its entry point like every installed adapter."""
        plugins = get_plugin_manager()
        for failure in plugins.failures:
            if failure.name == contract_adapter_name:
                pytest.fail(
                    f"plug-in {failure.name!r} failed to load: {failure.error}\nfix: {failure.fix}",
                    pytrace=False,
                )
        if contract_adapter_name not in plugins.adapters:
            installed = ", ".join(sorted(plugins.adapters)) or "none"
            pytest.fail(
                f"no adapter named {contract_adapter_name!r} is installed (installed: {installed});"
                " check the `interlock.adapters` entry point in the adapter's pyproject.toml and "
                "reinstall it (pip install -e .)",
                pytrace=False,
            )
        return plugins.adapters[contract_adapter_name]

    @pytest.fixture
    def double_settings(self) -> DoubleSettings:
        """How the double is built (override for a smaller or bigger world)."""
        return DoubleSettings(seed=7, sessions=48)

    @pytest.fixture
    def double(self, contract_spec: AdapterSpec, double_settings: DoubleSettings) -> VendorDouble:
        """The adapter's vendor double (from ``AdapterSpec.double_factory``)."""
        if contract_spec.double_factory is None:
            pytest.fail(
                f"adapter {contract_spec.name!r} registers no vendor double: pass "
                "`double_factory=YourDouble` in its AdapterSpec, or override the `double` "
                "fixture of the contract class",
                pytrace=False,
            )
        return make_double(contract_spec, double_settings)

    # -- the mocked network and the adapter --------------------------------------------------

    @pytest.fixture
    def vendor_mock(self, double: VendorDouble) -> Iterator[VendorMock]:
        """respx with every request mocked: the double serves its host, anything else fails."""
        with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
            double.mount(router)
            mock = VendorMock(router)
            for route in router.routes:
                effect = route.side_effect
                if callable(effect) and not isinstance(effect, type):
                    route.side_effect = mock.traffic.recording(cast(Handler, effect))
            yield mock

    @pytest.fixture
    def contract_loop(self) -> Iterator[asyncio.Runner]:
        """A private event loop for one check (adapters are built and closed on it)."""
        with asyncio.Runner() as runner:
            yield runner

    @pytest.fixture
    def run(self, contract_loop: asyncio.Runner) -> Runner[Any]:
        """Run a coroutine to completion on the check's loop: ``run(adapter.get_session(i))``."""
        return contract_loop.run

    @pytest.fixture
    def virtual_clock(self) -> VirtualClock:
        """Time for the double and the adapter's waits: a wait advances it, nothing sleeps."""
        return VirtualClock()

    @pytest.fixture
    def retry_sleep(self, virtual_clock: VirtualClock) -> RecordingSleep:
        return RecordingSleep(virtual_clock)

    @pytest.fixture
    def retry_policy(self, retry_sleep: RecordingSleep) -> RetryPolicy:
        """The toolkit's policy with a recording sleep (and a budget that never runs dry)."""
        return RetryPolicy(sleep=retry_sleep, budget=RetryBudget(min_retries=100_000))

    @pytest.fixture
    def adapter(
        self,
        contract_spec: AdapterSpec,
        double: VendorDouble,
        vendor_mock: VendorMock,
        retry_policy: RetryPolicy,
        virtual_clock: VirtualClock,
        contract_loop: asyncio.Runner,
    ) -> Iterator[InterviewAdapter]:
        """The adapter wired to its double through respx, with the recording retry policy and
        virtual time shared with the double (rate limiter waits advance it too)."""

        async def build() -> InterviewAdapter:
            return wire_adapter(
                contract_spec,
                double,
                account=f"{contract_spec.name}-contract",
                transport=vendor_mock.transport,
                retry_policy=retry_policy,
                clock=virtual_clock,
            )

        built = contract_loop.run(build())
        yield built
        contract_loop.run(built.aclose())

    @pytest.fixture
    def scenario(self, double: VendorDouble, vendor_mock: VendorMock) -> Scenario:
        """Puts the double into a state and reads the vendor's truth back."""
        return Scenario(double, vendor_mock.traffic)

    @pytest.fixture
    def reads_work(self, run: Runner[Any], adapter: InterviewAdapter, scenario: Scenario) -> None:
        """A precondition of the checks that would pass on a skeleton (capabilities, callbacks):
        the adapter reads a session from its double (a skeleton fails here with its TODO)."""
        run(adapter.get_session(scenario.session_exists()))

    @pytest.fixture
    def hooks(self) -> HookRecorder:
        return HookRecorder()

    @pytest.fixture
    def interlock(self, adapter: InterviewAdapter, hooks: HookRecorder) -> Interlock:
        """The facade over the adapter, with a fresh plug-in manager holding the recorder."""
        if not isinstance(adapter, InterviewAdapter):
            pytest.fail(
                f"the `adapter` fixture returned {type(adapter).__name__}, not an "
                "InterviewAdapter; override it as a plain (synchronous) fixture that returns "
                "the adapter wired to the double",
                pytrace=False,
            )
        plugins = get_plugin_manager(load_entry_points=False, plugins=[hooks])
        return Interlock({adapter.account: adapter}, plugins=plugins)

    @pytest.fixture
    def capabilities(self, adapter: InterviewAdapter) -> Capabilities:
        caps = adapter.capabilities
        assert isinstance(caps, Capabilities), "adapter.capabilities must be a Capabilities"
        return caps

    @pytest.fixture
    def contract_logs(self, caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
        """Every log record at DEBUG and above (for the no-secret-in-logs invariant)."""
        caplog.set_level(logging.DEBUG)
        return caplog

    # -- strictness --------------------------------------------------------------------------

    @pytest.fixture(autouse=True)
    def _contract_bypass(self, request: pytest.FixtureRequest) -> None:
        """Skip a check only for a written reason in ``bypass_reasons`` (printed by the run)."""
        reasons = type(self).bypass_reasons
        if not reasons:
            return
        node = request.node
        keys = [node.name, getattr(node, "originalname", node.name)]
        keys += [klass.__name__ for klass in _defining_classes(type(self), node)]
        for key in keys:
            why = reasons.get(key)
            if why is not None:
                if not why.strip():
                    pytest.fail(f"bypass of {key!r} has no written reason", pytrace=False)
                ledger(request.config).bypassed.append((node.nodeid, why))
                pytest.skip(f"bypassed: {why}")

    def require_verb(self, request: pytest.FixtureRequest, caps: Capabilities, verb: Verb) -> None:
        """Skip (visibly, with the capability as the reason) when ``verb`` is not automated."""
        level = caps.level(verb)
        if not level.automated:
            reason = f"{verb}: capability {level}"
            ledger(request.config).capability_skips.append((request.node.nodeid, reason))
            pytest.skip(reason)

    def require(self, request: pytest.FixtureRequest, condition: bool, reason: str) -> None:
        """Skip (visibly) because a declared capability excludes this check."""
        if not condition:
            ledger(request.config).capability_skips.append((request.node.nodeid, reason))
            pytest.skip(reason)


def _defining_classes(cls: type, node: Any) -> list[type]:
    """The concern classes that define the check ``node`` runs (for class-wide bypasses)."""
    function = getattr(node, "function", None)
    name = getattr(function, "__name__", None)
    return [klass for klass in cls.__mro__ if name is not None and name in vars(klass)]
