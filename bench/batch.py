"""Batches at scale: 1,200 sessions on three vendor doubles, against their rate-limit bound.

The doubles are served over loopback with 25 ms latency and the vendors' limits (DingTalk
20 req/s, Beisen 50, Yonyou 30), 400 sessions each; one gateway (SQLite) terminates all of
them in one batch, once with native batch calls off and once on. For each run it prints the
wall time, the rate-limit bound (the slowest account's vendor calls ÷ 80 % of its limit),
their ratio (goal ≤ 1.10), the throttle rejections the doubles sent (goal 0), duplicates and
lost items (0), and the speedup over a naive sequential script measured in the same run
(one session after another through the SDK, retrying on throttle). Then: the p99 latency
of accepting a 1,000-item batch (goal ≤ 300 ms) and the gateway's resident-memory growth
during a 5,000-item batch (goal ≤ 100 MB).
"""

from __future__ import annotations

import asyncio
import math
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from harness.loopback import (
    DoubleSpec,
    Gateways,
    free_port,
    start_doubles,
    wait_ready,
    write_config,
)
from interlock import Interlock
from interlock.config import load_accounts
from interlock.errors import VendorRateLimited
from interlock.models import Reason, ReasonCode, SessionRef
from interlock.plugins import get_plugin_manager

LIMITS = {"dingtalk": 20.0, "beisen": 50.0, "yonyou": 30.0}
PER_ACCOUNT = 400
SHARE = 0.8
REASON = {"code": "system_fault", "note": "bench"}


def _specs(latency_ms: float, per: int, qps: dict[str, float]) -> list[DoubleSpec]:
    return [DoubleSpec(name, name, qps[name], latency_ms, per) for name in LIMITS]


def _fast_specs(counts: tuple[int, int, int]) -> list[DoubleSpec]:
    """Doubles that answer at once with a generous limit (to measure the gateway alone)."""
    return [DoubleSpec(n, n, 1000.0, 0.0, c) for n, c in zip(LIMITS, counts, strict=True)]


async def _names(client: httpx.AsyncClient, info: dict[str, Any]) -> list[str]:
    names = []
    for account in info["accounts"]:
        ids = (await client.get(f"{info['control']}/sessions/{account}")).json()
        names += [f"accounts/{account}/sessions/{sid}" for sid in ids]
    return names


async def _preview(
    client: httpx.AsyncClient, url: str, key: str, names: list[str]
) -> dict[str, Any]:
    """The batch body with the preview's confirm token."""
    headers = {"Authorization": f"Bearer {key}"}
    body: dict[str, Any] = {"action": "terminate", "sessions": names, "reason": REASON}
    preview = await client.post(f"{url}/v1/previews", json=body, headers=headers, timeout=120)
    if preview.status_code != 200:
        raise RuntimeError(f"preview refused: {preview.text[:300]}")
    body["confirm_token"] = preview.json()["confirm_token"]
    return body


async def _create(client: httpx.AsyncClient, url: str, key: str, body: dict[str, Any]) -> str:
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": str(uuid.uuid4())}
    created = await client.post(f"{url}/v1/batches", json=body, headers=headers, timeout=120)
    if created.status_code != 202:
        raise RuntimeError(f"batch refused: {created.text[:300]}")
    batch_id: str = created.json()["id"]
    return batch_id


async def _submit(client: httpx.AsyncClient, url: str, key: str, names: list[str]) -> str:
    return await _create(client, url, key, await _preview(client, url, key, names))


async def _wait(client: httpx.AsyncClient, url: str, key: str, batch_id: str) -> dict[str, Any]:
    while True:
        response = await client.get(
            f"{url}/v1/batches/{batch_id}?page_size=0",
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        )
        batch: dict[str, Any] = response.json()
        if batch["status"] == "completed":
            return batch
        await asyncio.sleep(0.05)


class _Stack:
    """Doubles process + one gateway, torn down on exit."""

    def __init__(self, workdir: Path, specs: list[DoubleSpec], native: bool, **env: str) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.doubles, self.info = start_doubles(specs, workdir)
        config = workdir / "interlock.toml"
        write_config(config, self.info, native=native, share=SHARE)
        self.gateways = Gateways(workdir, f"sqlite+aiosqlite:///{workdir / 'gw.db'}", config, env)
        self.key = ""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = config

    async def __aenter__(self) -> _Stack:
        self.key = await self.gateways.admin_key()
        self.gateways.start(self.port)
        await wait_ready(self.url)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.gateways.stop_all()
        self.doubles.kill()
        self.doubles.wait()


def _calls(stats: dict[str, Any], account: str, native: bool) -> int:
    """Mutation calls the account needs for PER_ACCOUNT items."""
    if not native:
        return PER_ACCOUNT
    size = {"dingtalk": 50, "beisen": 100, "yonyou": 100}[account]
    return math.ceil(PER_ACCOUNT / size)


async def gateway_run(workdir: Path, native: bool) -> dict[str, Any]:
    stack = _Stack(workdir, _specs(25.0, PER_ACCOUNT, LIMITS), native)
    async with stack, httpx.AsyncClient() as client:
        names = await _names(client, stack.info)
        # A batch holds ≤ 1,000 sessions: 1,200 go as two batches of 600 (200 per account),
        # submitted together; the clock runs from the first acceptance to the last item.
        bodies = [
            await _preview(client, stack.url, stack.key, part)
            for part in (names[0::2], names[1::2])
        ]
        started = time.monotonic()
        first = await _create(client, stack.url, stack.key, bodies[0])
        second = await _create(client, stack.url, stack.key, bodies[1])
        batches = [await _wait(client, stack.url, stack.key, b) for b in (first, second)]
        wall = time.monotonic() - started
        stats = (await client.get(f"{stack.info['control']}/stats")).json()
    succeeded = sum(b["counts"]["succeeded"] for b in batches)
    bound = max(_calls(stats, a, native) / (SHARE * LIMITS[a]) for a in LIMITS)
    return {
        "wall": wall,
        "bound": bound,
        "throttled": sum(s["throttle_rejections"] for s in stats.values()),
        "duplicates": sum(s["double_applied"] for s in stats.values()),
        "lost": len(names) - succeeded,
        "over_limit": {a: max(s["max_per_second"].values(), default=0) for a, s in stats.items()},
    }


async def naive_run(workdir: Path) -> float:
    """One session after another through the SDK, retrying whenever the vendor throttles."""
    specs = _specs(25.0, PER_ACCOUNT, LIMITS)
    workdir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, before timing
    doubles, info = start_doubles(specs, workdir)
    try:
        config = workdir / "naive.toml"
        write_config(config, info, native=False, share=SHARE)
        plugins = get_plugin_manager()
        interlock = Interlock.from_accounts(load_accounts(config, plugins), plugins=plugins)
        async with httpx.AsyncClient() as client:
            names = await _names(client, info)
        reason = Reason(code=ReasonCode.SYSTEM_FAULT, note="naive")
        started = time.monotonic()
        for name in names:
            while True:
                try:
                    await interlock.terminate(SessionRef.parse(name), reason)
                    break
                except VendorRateLimited as error:
                    await asyncio.sleep(float(error.details.get("retry_after") or 0.1))
        elapsed = time.monotonic() - started
        await interlock.aclose()
        return elapsed
    finally:
        doubles.kill()
        doubles.wait()


async def accept_p99(workdir: Path, rounds: int = 100) -> tuple[float, float]:
    """p50 and p99 of POST /v1/batches for 1,000 items (worker off, vendors at 0 ms)."""
    fast = dict.fromkeys(LIMITS, 1000.0)
    specs = [
        DoubleSpec(n, n, fast[n], 0.0, c) for n, c in zip(LIMITS, (334, 333, 333), strict=True)
    ]
    env = {"INTERLOCK_GATEWAY_WORKER_ENABLED": "false"}
    async with _Stack(workdir, specs, True, **env) as stack, httpx.AsyncClient() as client:
        names = await _names(client, stack.info)
        headers = {"Authorization": f"Bearer {stack.key}"}
        times = []
        for _ in range(rounds):
            # Each round as a client does it: a preview (not timed), then the batch.
            body = await _preview(client, stack.url, stack.key, names)
            started = time.monotonic()
            response = await client.post(
                f"{stack.url}/v1/batches",
                json=body,
                headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
                timeout=60,
            )
            times.append(time.monotonic() - started)
            assert response.status_code == 202, response.text
            # Not timed: with the worker off its terminates would stay pending and hold every
            # session, so each later round would be refused whole as pending — another path.
            cancelled = await client.post(
                f"{stack.url}/v1/batches/{response.json()['id']}/cancel",
                json={},
                headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
                timeout=60,
            )
            assert cancelled.status_code == 200, cancelled.text
    times.sort()
    p99 = times[min(len(times) - 1, math.ceil(0.99 * len(times)) - 1)]
    return statistics.median(times), p99


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def memory_growth(workdir: Path) -> tuple[float, int]:
    """Peak RSS growth of the gateway while a 5,000-item batch runs (native chunks)."""
    fast = dict.fromkeys(LIMITS, 1000.0)
    specs = [
        DoubleSpec(n, n, fast[n], 0.0, c) for n, c in zip(LIMITS, (1667, 1667, 1666), strict=True)
    ]
    env = {"INTERLOCK_GATEWAY_MAX_BATCH_ITEMS": "5000"}
    async with _Stack(workdir, specs, True, **env) as stack, httpx.AsyncClient() as client:
        pid = stack.gateways.processes[stack.port].pid
        names = await _names(client, stack.info)
        await client.get(f"{stack.url}/healthz")
        before = _rss_mb(pid)
        batch_id = await _submit(client, stack.url, stack.key, names)
        peak = before
        waiter = asyncio.create_task(_wait(client, stack.url, stack.key, batch_id))
        while not waiter.done():
            peak = max(peak, _rss_mb(pid))
            await asyncio.sleep(0.1)
        batch = await waiter
    return peak - before, batch["counts"]["succeeded"]


def _line(label: str, run: dict[str, Any], naive: float) -> str:
    ratio = run["wall"] / run["bound"]
    return (
        f"{label}: wall {run['wall']:.2f} s  bound {run['bound']:.2f} s  ratio {ratio:.2f} "
        f"(goal ≤ 1.10)  throttled {run['throttled']}  duplicates {run['duplicates']}  "
        f"lost {run['lost']}  busiest second {run['over_limit']}  "
        f"speedup vs naive {naive / run['wall']:.1f}x"
    )


async def main() -> int:
    with tempfile.TemporaryDirectory(prefix="interlock-bench-batch-") as tmp:
        root = Path(tmp)
        naive = await naive_run(root / "naive")
        print(f"naive sequential script (measured fully, 1,200 sessions): {naive:.2f} s")
        off = await gateway_run(root / "off", native=False)
        print(_line("native batch calls off", off, naive), flush=True)
        on = await gateway_run(root / "on", native=True)
        print(_line("native batch calls on ", on, naive), flush=True)
        p50, p99 = await accept_p99(root / "accept")
        print(
            f"accept a 1,000-item batch: p50 {p50 * 1000:.0f} ms  p99 {p99 * 1000:.0f} ms "
            "(goal ≤ 300 ms; after a preview; vendors at 0 ms; worker off)"
        )
        growth, done = await memory_growth(root / "memory")
        print(f"5,000-item batch: RSS growth {growth:.1f} MB (goal ≤ 100 MB), {done} succeeded")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
