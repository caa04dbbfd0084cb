"""A vendor's quota, shared fairly: interactive operations first, bulk work in turns, and a
read budget per principal.

The limiters are the real ones (the in-process token bucket, and on PostgreSQL the slot table
shared by replicas — two limiters on one database are two replicas); waits are real time at
rates high enough to keep the tests short. Each latency is measured beside its baseline (the
same load without lanes) in the same run, and both are printed.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.api.harness import ACCOUNT, Harness, gateway, gateway_settings
from interlock import Interlock, get_plugin_manager
from interlock.adapter import AccountContext, InterviewAdapter
from interlock.models import SessionState
from interlock_gateway.lanes import FairLimiter, RoundRobin, bulk
from interlock_gateway.quota import LocalRateLimiter, SharedRateLimiter
from interlock_gateway.store import Database
from interlock_sandbox.adapter import SandboxAdapter

RATE = 40.0  # calls per second: an interval of 25 ms
REASON = {"code": "process_change"}


async def test_turns_alternate_between_principals() -> None:
    turns = RoundRobin()
    order: list[str] = []

    async def call(who: str) -> None:
        async with turns.turn(who):
            order.append(who)
            await asyncio.sleep(0.001)

    tasks = [asyncio.create_task(call("a")) for _ in range(5)]
    await asyncio.sleep(0)  # a's five are queued before b arrives
    tasks += [asyncio.create_task(call("b")) for _ in range(2)]
    await asyncio.gather(*tasks)
    assert order == ["a", "a", "b", "a", "b", "a", "a"]


async def test_a_cancelled_waiter_does_not_stall_the_turns() -> None:
    turns = RoundRobin()
    done: list[str] = []

    async def call(who: str, hold: float) -> None:
        async with turns.turn(who):
            await asyncio.sleep(hold)
            done.append(who)

    first = asyncio.create_task(call("a", 0.05))
    await asyncio.sleep(0)
    doomed = asyncio.create_task(call("b", 0))
    after = asyncio.create_task(call("c", 0))
    await asyncio.sleep(0.01)
    doomed.cancel()
    await asyncio.wait_for(asyncio.gather(first, after), timeout=2)
    assert done == ["a", "c"]


async def _interactive_latency(
    limiter: Any, bulk_limiters: list[Any], load: int, key: str = "acct:sessions"
) -> float:
    """Seconds an interactive call waits while ``load`` bulk calls per limiter are queued."""

    async def bulk_call(target: Any, who: str) -> None:
        with bulk(who):
            await target.acquire(key)

    background = [
        asyncio.create_task(bulk_call(target, f"p{i % 2}"))
        for target in bulk_limiters
        for i in range(load)
    ]
    await asyncio.sleep(0.3)  # the bulk calls take their places
    started = time.perf_counter()
    await limiter.acquire(key)
    waited = time.perf_counter() - started
    for task in background:
        task.cancel()
    await asyncio.gather(*background, return_exceptions=True)
    return waited


async def test_an_interactive_call_skips_the_bulk_queue_in_process() -> None:
    # The in-process bucket is not first-come-first-served (a newcomer may catch a token
    # between two wake-ups of the queue), so the baseline varies; lanes bound every wait.
    plain = LocalRateLimiter({"acct": RATE})
    baseline = [await _interactive_latency(plain, [plain], load=80) for _ in range(5)]
    fair = FairLimiter(LocalRateLimiter({"acct": RATE}))
    lanes = [await _interactive_latency(fair, [fair], load=80) for _ in range(5)]
    print(f"\ninteractive wait behind 80 bulk calls at {RATE:g}/s, worst of 5: without lanes "
          f"{max(baseline):.3f} s, with lanes {max(lanes):.3f} s")  # fmt: skip
    assert max(lanes) < 3 / RATE + 0.1  # behind at most the one bulk call holding the turn


@pytest.fixture
async def shared_db(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    try:
        yield db
    finally:
        await db.dispose()


# The slot table shared by replicas is the PostgreSQL limiter (SQLite has one replica).
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_an_interactive_call_skips_the_bulk_queues_of_two_replicas(
    shared_db: Database,
) -> None:
    def replica() -> SharedRateLimiter:
        return SharedRateLimiter(shared_db, {"plain": RATE, "fair": RATE})

    # Separate accounts: slots reserved by the cancelled calls of one run stay taken.
    one, two = replica(), replica()
    baseline = await _interactive_latency(one, [one, two], load=30, key="plain:sessions")
    fair_one, fair_two = FairLimiter(replica()), FairLimiter(replica())
    lanes = await _interactive_latency(fair_one, [fair_one, fair_two], load=30, key="fair:sessions")
    print(f"\ninteractive wait behind 2x30 bulk calls on two replicas: without lanes "
          f"{baseline:.3f} s, with lanes {lanes:.3f} s")  # fmt: skip
    # Without lanes the call queues behind every slot already reserved (how many depends on
    # how fast the database took the reservations); with lanes, behind one per replica.
    assert baseline > 0.5
    assert lanes < 6 / RATE + 0.15
    assert baseline > 3 * lanes


async def test_bulk_work_alone_still_gets_the_full_rate() -> None:
    fair = FairLimiter(LocalRateLimiter({"acct": RATE}))
    started = time.perf_counter()
    with bulk("alice"):
        await asyncio.gather(*(fair.acquire("acct:sessions") for _ in range(40)))
    elapsed = time.perf_counter() - started
    assert elapsed < 40 / RATE * 1.5  # work-conserving: no share held back for no one


async def test_a_small_bulk_job_is_not_starved_by_a_large_one() -> None:
    fair = FairLimiter(LocalRateLimiter({"acct": RATE}))
    finished: dict[str, float] = {}
    started = time.perf_counter()

    async def job(who: str, calls: int) -> None:
        with bulk(who):
            await asyncio.gather(*(fair.acquire("acct:sessions") for _ in range(calls)))
        finished[who] = time.perf_counter() - started

    large = asyncio.create_task(job("large", 80))
    await asyncio.sleep(0.05)
    await asyncio.gather(large, job("small", 10))
    # Turns alternate: the small job needs about 2 x 10 slots, not 80 + 10.
    assert finished["small"] < 25 / RATE + 0.2
    assert finished["large"] > finished["small"]


# -- through the gateway --------------------------------------------------------------------


def _interlock(limiter: Any) -> Interlock:
    adapters: dict[str, InterviewAdapter] = {
        ACCOUNT: SandboxAdapter(AccountContext(account=ACCOUNT, rate_limiter=limiter))
    }
    return Interlock(adapters, plugins=get_plugin_manager(load_entry_points=False))


def _database_copy(template: Path, folder: Path) -> str:
    folder.mkdir(parents=True)
    shutil.copyfile(template, folder / "interlock.db")
    return f"sqlite+aiosqlite:///{folder / 'interlock.db'}"


async def _run_gateway(
    template: Path, folder: Path, limiter: Any, body: Callable[[Harness], Awaitable[Any]]
) -> Any:
    settings = gateway_settings(_database_copy(template, folder), str(folder / "data"))
    async with gateway(settings, interlock=_interlock(limiter)) as harness:
        return await body(harness)


async def test_a_single_pause_is_not_held_up_by_two_large_previews(
    sqlite_template: Path, tmp_path: Path
) -> None:
    rate = 20.0

    async def measure(harness: Harness) -> tuple[float, int]:
        names = _scheduled(harness, 19)  # fewer than 20 per account: read one by one

        async def preview(who: str) -> int:
            body = {"action": "pause", "reason": REASON, "sessions": names}
            return (await harness.post("/v1/previews", who, body)).status_code

        load = [asyncio.create_task(preview(w)) for w in ("mgr", "mgr2", "mgr", "mgr2")]
        await asyncio.sleep(0.3)  # 76 reads queued at the vendor's 20/s: ~4 s of bulk work
        target = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
        started = time.perf_counter()
        response = await harness.verb("pause", target, who="admin")
        waited = time.perf_counter() - started
        codes = await asyncio.gather(*load)
        assert set(codes) == {200}
        return waited, response.status_code

    baseline, plain_status = await _run_gateway(
        sqlite_template, tmp_path / "plain", LocalRateLimiter({ACCOUNT: rate}), measure
    )
    lanes, fair_status = await _run_gateway(
        sqlite_template, tmp_path / "fair", FairLimiter(LocalRateLimiter({ACCOUNT: rate})), measure
    )
    print(f"\nadmin's pause during two principals' previews (76 reads at {rate:g}/s): "
          f"without lanes {baseline:.2f} s, with lanes {lanes:.2f} s")  # fmt: skip
    assert fair_status == 200
    assert plain_status in (200, 202)
    assert baseline > 1.5
    assert lanes < 0.6


def _scheduled(harness: Harness, count: int) -> list[str]:
    return [
        f"accounts/{ACCOUNT}/sessions/{harness.session('Backend Engineer', SessionState.SCHEDULED)}"
        for _ in range(count)
    ]


@pytest.fixture
def budgeted(sqlite_url: str, tmp_path: Path) -> Callable[[int], Any]:
    """A gateway whose principals may each read ``reads`` sessions per 10 minutes."""

    def start(reads: int) -> Any:
        config = tmp_path / "gateway.toml"
        config.write_text(f"[batches]\nread_budget = {reads}\n", encoding="utf-8")
        return gateway(gateway_settings(sqlite_url, str(tmp_path / "data"), config=config))

    return start


async def test_the_read_budget_refuses_with_retry_after_before_the_vendor_is_asked(
    budgeted: Callable[[int], Any],
) -> None:
    async with budgeted(30) as harness:
        await _refuses_beyond_the_budget(harness)


async def _refuses_beyond_the_budget(harness: Harness) -> None:
    body = {"action": "pause", "reason": REASON, "sessions": _scheduled(harness, 12)}
    assert (await harness.post("/v1/previews", "mgr", body)).status_code == 200
    assert (await harness.post("/v1/previews", "mgr", body)).status_code == 200
    refused = await harness.post("/v1/previews", "mgr", body)  # 36 > 30
    assert refused.status_code == 429
    assert refused.json()["code"] == "QUOTA.READ_BUDGET"
    assert 1 <= int(refused.headers["Retry-After"]) <= 600
    calls = harness.calls()
    assert (await harness.post("/v1/previews", "mgr", body)).status_code == 429
    assert harness.calls() == calls  # refused before the vendor is asked
    assert (await harness.post("/v1/previews", "mgr2", body)).status_code == 200  # their own
    harness.clock.advance(minutes=10)  # a new window
    assert (await harness.post("/v1/previews", "mgr", body)).status_code == 200


async def test_a_filter_is_charged_its_limit_then_only_what_it_scanned(
    budgeted: Callable[[int], Any],
) -> None:
    # A filter is charged 11 pages (1,001 items) per account; the harness has two accounts.
    async with budgeted(2 * 11 + 14) as harness:
        await _gives_back_what_was_unused(harness)


async def _gives_back_what_was_unused(harness: Harness) -> None:
    filtered = {"action": "pause", "reason": REASON, "filter": {"states": ["scheduled"]}}
    names = {"action": "pause", "reason": REASON, "sessions": _scheduled(harness, 12)}
    # Had the first filter kept its whole charge (22), neither of these would fit.
    for body in (filtered, filtered, names):
        response = await harness.post("/v1/previews", "mgr", body)
        assert response.status_code == 200, response.text
