"""The Interlock adapter contract kit: a reusable pytest suite that tells an adapter it is done.

How to opt in
=============

One subclass, in your adapter's tests (e.g. ``tests/adapters/<vendor>/test_contract.py``)::

    from interlock_contract import AdapterContractSuite


    class TestDingTalkContract(AdapterContractSuite):
        adapter_name = "dingtalk"  # the entry-point name in the `interlock.adapters` group

That is all when the adapter's ``AdapterSpec`` registers its double (``double_factory=``): the
suite builds the double, mounts it on respx with every request mocked
(``respx.mock(assert_all_mocked=True)``), wires the adapter to it with
:func:`interlock.doubles.wire_adapter` and drives it through :class:`interlock.Interlock`.
The same suite runs from the command line: ``interlock contract dingtalk``.

Two fixtures make the adapter under test; override them (as plain, synchronous fixtures on your
subclass) when the defaults do not fit:

* ``adapter`` — the adapter wired to the double (default: ``wire_adapter(spec, double,
  transport=vendor_mock.transport, retry_policy=retry_policy)``);
* ``scenario`` — a :class:`Scenario` over the double: ``session_exists(state=…)``,
  ``session_missing()``, ``session_in_unmapped_state()``, ``rate_limited(retry_after=…)``,
  ``server_error()``, ``token_expired_once()``, ``timeout_before_send()``,
  ``timeout_after_send()``, ``timeout_before_acting()``, ``reset_before_acting()``,
  ``connection_reset()``, ``malformed_body()``, ``error_in_200()``, ``fault_on_request(fault,
  n)``, ``token_requests_fail()``, ``vendor_throttles(signal, …)``, ``vendor_is_unsure(signal,
  …)``, ``changes_before_the_write({id: state})``, ``vendor_moves(id, state)``; it uses only the
  :class:`~interlock.doubles.VendorDouble` base API, so the default works for every double.

Fixtures they build on, also overridable: ``contract_spec`` (the ``AdapterSpec``; override it
for an adapter that has no entry point), ``double`` (default
``make_double(spec, double_settings)``), ``double_settings``, ``vendor_mock``,
``retry_policy``. Without ``adapter_name`` and without overriding ``double`` and ``adapter``
the suite fails and says what to define.

What the adapter must do for the suite
--------------------------------------

* Build its :class:`~interlock.http.VendorClient` with ``retry=context.retry_policy`` (new,
  optional field of :class:`~interlock.adapter.AccountContext`; ``None`` keeps the toolkit's
  default). The suite injects a policy whose sleep records waits instead of waiting, so the
  fault matrix runs fast and can check that ``Retry-After`` is honoured.
* Use ``context.transport`` for every HTTP client (requests that miss the double fail).
* In the double: declare the token endpoints (``token_paths``; the base counts token requests),
  hand tokens out through ``issue_token`` (they become secrets), list the credentials in
  ``secrets``, record listings with ``record_query``, shuffle batch answers with ``shuffled``,
  throttle with ``SlidingWindowLimit(…, clock=self.monotonic)`` and never import the adapter.
* Declare the vendor's own throttle and "outcome unknown" answers in
  ``InterviewAdapter.vendor_signals``; the suite injects exactly those.
* With ``push_events=True``: give the double
  ``signed_callback(session_id, *, secret=None) -> CallbackRequest`` (a state-change push about
  the session signed the vendor's way; with ``secret``, signed with that wrong secret).

Strictness
----------

Every check runs. A check is skipped only when the adapter's declared capabilities exclude it
(visible: ``pause: capability unsupported``) or when the subclass writes down why::

    class TestAcmeContract(AdapterContractSuite):
        adapter_name = "acme"
        bypass_reasons = {"test_concurrent_first_calls_fetch_one_token": "Acme signs each call"}

Keys are a check name (``test_fault_matrix`` or ``test_fault_matrix[pause-5xx-once]``) or a
concern class name (``AuthContract``); the run prints every bypass in the "interlock contract:
checks not run" section, and a key that names no check fails the suite.

Concern classes (each usable alone, all composed by :class:`AdapterContractSuite`):
session reads, pagination & filters, verbs, idempotency, invalid transitions, not found, batch,
errors & retries (the fault matrix), auth, callbacks, observability, capabilities.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from interlock_contract.checks import Attempt
    from interlock_contract.harness import (
        CONTRACT_REASON,
        ContractFixtures,
        HookRecorder,
        RecordingSleep,
        VendorMock,
    )
    from interlock_contract.scenario import Exchange, Scenario, VendorTraffic
    from interlock_contract.suite import CONCERN_CLASSES, AdapterContractSuite
    from interlock_contract.suites import (
        AuthContract,
        BatchContract,
        CallbacksContract,
        CapabilitiesContract,
        DoubleContract,
        FaultMatrixContract,
        IdempotencyContract,
        InvalidTransitionContract,
        NativeBatchContract,
        NotFoundReadsContract,
        NotFoundVerbsContract,
        ObservabilityContract,
        PaginationAndFiltersContract,
        RacesContract,
        ReadFaultsContract,
        SessionReadsContract,
        VendorSignalsContract,
        VerbsContract,
    )

__all__ = [
    "CONCERN_CLASSES",
    "CONTRACT_REASON",
    "AdapterContractSuite",
    "Attempt",
    "AuthContract",
    "BatchContract",
    "CallbacksContract",
    "CapabilitiesContract",
    "ContractFixtures",
    "DoubleContract",
    "Exchange",
    "FaultMatrixContract",
    "HookRecorder",
    "IdempotencyContract",
    "InvalidTransitionContract",
    "NativeBatchContract",
    "NotFoundReadsContract",
    "NotFoundVerbsContract",
    "ObservabilityContract",
    "PaginationAndFiltersContract",
    "RacesContract",
    "ReadFaultsContract",
    "RecordingSleep",
    "Scenario",
    "SessionReadsContract",
    "VendorMock",
    "VendorSignalsContract",
    "VendorTraffic",
    "VerbsContract",
]

# Imported on first use: the pytest plug-in (``interlock_contract.plugin``) loads this package
# in every pytest run, and most runs never touch the suite.
_HOMES = {
    "Attempt": "checks",
    "CONTRACT_REASON": "harness",
    "ContractFixtures": "harness",
    "HookRecorder": "harness",
    "RecordingSleep": "harness",
    "VendorMock": "harness",
    "Exchange": "scenario",
    "Scenario": "scenario",
    "VendorTraffic": "scenario",
    "AdapterContractSuite": "suite",
    "CONCERN_CLASSES": "suite",
}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'interlock_contract' has no attribute {name!r}")
    module = importlib.import_module(f"interlock_contract.{_HOMES.get(name, 'suites')}")
    value = getattr(module, name)
    globals()[name] = value
    return value
