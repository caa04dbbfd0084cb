"""The Interlock facade over real sandbox adapters (HTTP to the in-process double)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest

from interlock import (
    Capabilities,
    CapabilityLevel,
    Interlock,
    OperationOutcome,
    Reason,
    ReasonCode,
    SessionFilter,
    SessionRef,
    SessionState,
    Verb,
)
from interlock.adapter import AccountContext
from interlock.doubles import Fault
from interlock.errors import InvalidRequest, SessionNotFound, UnsupportedOperation
from interlock.http import RetryPolicy
from interlock.plugins import (
    LoadedPlugins,
    OperationFinished,
    OperationStarted,
    get_plugin_manager,
    hookimpl,
)
from interlock_sandbox.adapter import SandboxAdapter
from interlock_sandbox.double import SandboxDouble
from interlock_sandbox.options import SandboxOptions

REASON = Reason(code=ReasonCode.PROCESS_CHANGE)


class Recorder:
    def __init__(self) -> None:
        self.started: list[OperationStarted] = []
        self.finished: list[OperationFinished] = []

    @hookimpl
    def interlock_operation_started(self, event: OperationStarted) -> None:
        self.started.append(event)

    @hookimpl
    def interlock_operation_finished(self, event: OperationFinished) -> None:
        self.finished.append(event)


def sandbox(account: str, **options: Any) -> SandboxAdapter:
    return SandboxAdapter(
        AccountContext(account=account, options=SandboxOptions(**{"sessions": 12, **options}))
    )


def double_of(adapter: SandboxAdapter) -> SandboxDouble:
    assert adapter.double is not None
    return adapter.double


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def plugins(recorder: Recorder) -> LoadedPlugins:
    return get_plugin_manager(load_entry_points=False, plugins=[recorder])


async def test_listing_across_accounts_returns_each_session_once(plugins: LoadedPlugins) -> None:
    interlock = Interlock({"a": sandbox("a", seed=1), "b": sandbox("b", seed=2)}, plugins=plugins)
    names: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        page = await interlock.list_sessions(page_size=5, page_token=token)
        names += [s.ref.name for s in page.sessions]
        pages += 1
        token = page.next_page_token
        if token is None:
            break
    assert len(names) == len(set(names)) == 24
    assert pages >= 5
    assert Counter(n.split("/")[1] for n in names) == {"a": 12, "b": 12}
    await interlock.aclose()


async def test_a_forged_page_token_is_a_clear_error() -> None:
    interlock = Interlock({"a": sandbox("a")})
    with pytest.raises(InvalidRequest, match="page_token"):
        await interlock.list_sessions(page_token="not-a-token")


async def test_filters_apply_across_accounts() -> None:
    interlock = Interlock({"a": sandbox("a", seed=1), "b": sandbox("b", seed=2)})
    running = [
        s async for s in interlock.sessions(SessionFilter(states={SessionState.IN_PROGRESS}))
    ]
    assert running
    assert all(s.state is SessionState.IN_PROGRESS for s in running)
    assert {s.ref.account for s in running} == {"a", "b"}


async def test_hooks_fire_exactly_once_per_operation(
    plugins: LoadedPlugins, recorder: Recorder
) -> None:
    adapter = sandbox("a")
    interlock = Interlock({"a": adapter}, plugins=plugins)
    running = [
        s async for s in interlock.sessions(SessionFilter(states={SessionState.IN_PROGRESS}))
    ]
    await interlock.pause(running[0].ref, REASON)
    with pytest.raises(SessionNotFound):
        await interlock.pause(adapter.ref(double_of(adapter).missing_session_id()), REASON)
    assert len(recorder.started) == len(recorder.finished) == 2
    assert [e.result.outcome for e in recorder.finished] == [
        OperationOutcome.APPLIED,
        OperationOutcome.FAILED,
    ]
    assert recorder.finished[1].result.error_code == "SESSION.NOT_FOUND"
    assert {e.operation_id for e in recorder.started} == {e.operation_id for e in recorder.finished}


@pytest.mark.parametrize("native_batch_size", [0, 5], ids=["per-item", "native-chunks"])
async def test_batch_yields_one_result_per_item_and_fires_hooks_per_item(
    plugins: LoadedPlugins, recorder: Recorder, native_batch_size: int
) -> None:
    adapter = sandbox("a", native_batch_size=native_batch_size)
    interlock = Interlock({"a": adapter}, plugins=plugins)
    refs = [s.ref async for s in interlock.sessions()]
    refs.append(SessionRef(account="nowhere", session_id="x1"))
    results = [r async for r in interlock.batch(Verb.TERMINATE, refs, REASON)]
    assert sorted(r.ref.name for r in results) == sorted(r.name for r in refs)
    by_outcome = Counter(r.outcome for r in results)
    # Seeded states cycle through all eight (two running per cycle): of 12 sessions, 8 accept
    # terminate (scheduled, running, running, paused, ...) and 1 is terminated already.
    assert by_outcome[OperationOutcome.APPLIED] == 8
    assert by_outcome[OperationOutcome.ALREADY_IN_STATE] == 1
    unknown = next(r for r in results if r.ref.account == "nowhere")
    assert unknown.error_code == "INTERLOCK.INVALID_REQUEST"
    assert len(recorder.started) == len(recorder.finished) == 12  # the unknown account: no op
    assert sum(double_of(adapter).mutation_counts.values()) == 8


async def test_unsupported_verb_is_refused_before_any_vendor_call() -> None:
    class NoPause(SandboxAdapter):
        @property
        def capabilities(self) -> Capabilities:
            return super().capabilities.model_copy(update={"pause": CapabilityLevel.UNSUPPORTED})

    adapter = NoPause(AccountContext(account="np", options=SandboxOptions(sessions=4)))
    interlock = Interlock({"np": adapter})
    calls_before = len(double_of(adapter).requests)
    with pytest.raises(UnsupportedOperation) as info:
        await interlock.pause(adapter.ref("sbx-anything"), REASON)
    assert "'np'" in info.value.message
    assert "pause" in info.value.message
    results = [r async for r in interlock.batch(Verb.PAUSE, [adapter.ref("sbx-1")], REASON)]
    assert results[0].outcome is OperationOutcome.UNSUPPORTED
    assert len(double_of(adapter).requests) == calls_before


@pytest.mark.parametrize("reason", [None, "operator_error", {"code": "other"}], ids=repr)
async def test_a_missing_or_malformed_reason_is_refused_before_anything_is_sent(
    reason: Any,
) -> None:
    adapter = sandbox("a")
    interlock = Interlock({"a": adapter})
    with pytest.raises(InvalidRequest, match="reason"):
        await interlock.terminate(adapter.ref("sbx-1"), reason)
    assert double_of(adapter).requests == []


async def test_one_idempotency_key_per_operation_is_reused_across_retries() -> None:
    double = SandboxDouble()
    seen: list[str | None] = []

    async def recording(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith(":terminate"):
            seen.append(request.headers.get("idempotency-key"))
        return await double.handle(request)

    options = SandboxOptions.model_validate(double.adapter_options(double.base_url))
    adapter = SandboxAdapter(
        AccountContext(account="a", options=options, transport=httpx.MockTransport(recording))
    )

    async def no_sleep(_: float) -> None:
        return None

    adapter._client.retry = RetryPolicy(sleep=no_sleep)
    interlock = Interlock({"a": adapter})
    session_id = double.put_session(SessionState.IN_PROGRESS)
    double.inject(Fault.SERVER_ERROR, times=1, only_mutations=True)
    result = await interlock.terminate(adapter.ref(session_id), REASON)
    assert result.outcome is OperationOutcome.APPLIED
    assert len(seen) == 2
    assert seen[0] == seen[1]
    assert seen[0] is not None
    assert double.mutation_counts[session_id] == 1


async def test_unknown_account_names_the_configured_ones() -> None:
    interlock = Interlock({"a": sandbox("a")})
    with pytest.raises(InvalidRequest) as info:
        await interlock.get_session(SessionRef(account="zz", session_id="1"))
    assert "'zz'" in info.value.message
    assert "a" in (info.value.hint or "")


async def test_an_adapter_bug_fails_its_items_instead_of_losing_them() -> None:
    class Buggy(SandboxAdapter):
        async def batch_chunk(self, *args: Any, **kwargs: Any) -> list[Any]:
            raise KeyError("bug")

    buggy = Buggy(AccountContext(account="bug", options=SandboxOptions(sessions=4)))
    interlock = Interlock({"bug": buggy, "ok": sandbox("ok", sessions=4)})
    refs = [s.ref async for s in interlock.sessions()]
    results = [r async for r in interlock.batch(Verb.REVOKE, refs, REASON)]
    assert sorted(r.ref.name for r in results) == sorted(r.name for r in refs)
    failed = [r for r in results if r.ref.account == "bug"]
    assert {r.error_code for r in failed} == {"OPERATION.ADAPTER_FAILED"}
    assert all(r.outcome is OperationOutcome.FAILED for r in failed)
