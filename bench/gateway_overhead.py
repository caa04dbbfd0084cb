"""Gateway overhead: pause/resume through the HTTP gateway vs direct SDK calls, same run.

The gateway runs under uvicorn in a subprocess (real HTTP on loopback) with the SQLite
default, an undo window of 0 and no per-principal rate limit; its sandbox vendor answers at
0 ms inside that process. The direct path is the ``Interlock`` facade in this process on an
identical sandbox (same seed, same sessions, same limits). Two measurements, each on both:

1. **Latency at 50 operations/s**: an open-loop, paced load (one operation every 20 ms, each
   in its own task so a slow answer never delays the schedule) alternating pause and resume
   on different sessions. Printed: p50/p99 per path and verb, and the gateway's added latency
   (gateway − direct, per verb and percentile; goal p99 ≤ 20 ms). The same at 10 ops/s first,
   as a reference below saturation (the gateway's own cost without queueing).
2. **Throughput with 16 concurrent clients**: closed loops, each cycling pause/resume over
   its own sessions for a fixed time with admin keys of its own. Printed: the sustained rate
   with the error count (goal ≥ 200 ops/s with zero errors) and its ratio to the direct path.

Keys come from ``interlock_gateway.principals``. Runs in about 70 seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from interlock import Interlock, Reason, ReasonCode, SessionState, Verb
from interlock.adapter import AccountContext
from interlock.doubles import DoubleSettings
from interlock.errors import InterlockError
from interlock.models import SessionRef
from interlock_gateway.principals import create_principal
from interlock_gateway.store import Database, upgrade
from interlock_sandbox.adapter import SandboxAdapter
from interlock_sandbox.double import SandboxDouble
from interlock_sandbox.options import SandboxOptions

ACCOUNT = "bench"
SEED = 7
SESSIONS = 4_000  # 1,000 running and 500 paused at the start (the seed's state mix)
VENDOR_QPS = 1_000_000.0  # no vendor throttling: the gateway is what is measured
RATE = 50.0
LATENCY_OPS = 500  # 10 s at 50/s
REFERENCE_RATE = 10.0  # well below saturation: the gateway's own cost without queueing
REFERENCE_OPS = 100
REFERENCE_OFFSET = 280  # sessions after the goal phase's
WARMUP_OPS = 40
CLIENTS = 16
THROUGHPUT_S = 8.0
SESSIONS_PER_CLIENT = 8
REASON = {"code": "candidate_network"}
GOAL_ADDED_P99_MS = 20.0
GOAL_RATE = 200.0

Op = Callable[[Verb, str], Awaitable[bool]]
ACHIEVED = "achieved_rate"  # a key next to the verbs in ``paced``'s result


# -- the gateway subprocess -------------------------------------------------------------------


def write_config(folder: Path) -> Path:
    config = folder / "interlock.toml"
    config.write_text(
        f"""[gateway]
database_url = "sqlite+aiosqlite:///{folder / "interlock.db"}"
data_dir = "{folder}"
undo_window = 0
mutation_rate = 0

[accounts.{ACCOUNT}]
adapter = "sandbox"
seed = {SEED}
sessions = {SESSIONS}
vendor_qps = {VENDOR_QPS}
latency_ms = 0
""",
        encoding="utf-8",
    )
    return config


def serve(config: str, port: int) -> None:
    """``--serve``: the gateway under uvicorn, as ``interlock serve`` runs it."""
    import uvicorn

    from interlock_gateway.app import create_app
    from interlock_gateway.observability import configure_logging
    from interlock_gateway.server import uvicorn_config
    from interlock_gateway.settings import GatewaySettings

    configure_logging("WARNING")
    app = create_app(GatewaySettings.load(config))
    uvicorn.Server(uvicorn_config(app, host="127.0.0.1", port=port)).run()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def admin_keys(folder: Path, count: int) -> list[str]:
    url = f"sqlite+aiosqlite:///{folder / 'interlock.db'}"
    await upgrade(url)
    db = Database(url)
    try:
        async with db.write() as session:
            made = [await create_principal(session, f"bench-{i}", "admin") for i in range(count)]
    finally:
        await db.dispose()
    return [m.key for m in made]


async def wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(600):
            if process.poll() is not None:
                raise SystemExit("the gateway exited during start-up")
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise SystemExit("the gateway did not become ready")


# -- sessions (identical in both processes: the world is seeded) ------------------------------


def seeded(state: SessionState) -> list[str]:
    world = SandboxDouble(DoubleSettings(seed=SEED, sessions=SESSIONS)).world
    return [s.id for s in world.sessions.values() if s.state is state]


@dataclass
class Plan:
    """Who touches which session when, so that no two operations race on one session."""

    running: list[str] = field(default_factory=lambda: seeded(SessionState.IN_PROGRESS))
    paused: list[str] = field(default_factory=lambda: seeded(SessionState.PAUSED))

    def paced(self, offset: int, count: int) -> list[tuple[Verb, str]]:
        """Alternate a pause of a running session and a resume of a paused one."""
        ops = []
        for i in range(count):
            pool = self.running if i % 2 == 0 else self.paused
            ops.append((Verb.PAUSE if i % 2 == 0 else Verb.RESUME, pool[offset + i // 2]))
        return ops

    def client_sessions(self, client: int) -> list[str]:
        start = 400 + client * SESSIONS_PER_CLIENT  # clear of the paced phase's sessions
        return self.running[start : start + SESSIONS_PER_CLIENT]


# -- the two paths ----------------------------------------------------------------------------


#: Why operations failed, per path (status and problem code or outcome).
FAILURES: dict[str, Counter[str]] = {"gateway": Counter(), "direct": Counter()}
#: Operations the gateway accepted but had not finished within its ``sync_wait`` (202).
QUEUED: Counter[str] = Counter()


def gateway_op(client: httpx.AsyncClient, key: str) -> Op:
    headers = {"Authorization": f"Bearer {key}"}

    async def op(verb: Verb, session_id: str) -> bool:
        path = f"/v1/accounts/{ACCOUNT}/sessions/{session_id}/{verb}"
        response = await client.post(path, json={"reason": REASON}, headers=headers)
        body = response.json()
        if response.status_code == 200 and body.get("outcome") == "applied":
            return True
        if response.status_code == 202:  # accepted, still queued after sync_wait: not an error
            QUEUED["gateway"] += 1
            return True
        FAILURES["gateway"][
            f"{response.status_code} {body.get('code') or body.get('outcome')}"
        ] += 1
        return False

    return op


def direct_interlock() -> Interlock:
    options = SandboxOptions(seed=SEED, sessions=SESSIONS, vendor_qps=VENDOR_QPS, latency_ms=0)
    adapter = SandboxAdapter(AccountContext(account=ACCOUNT, options=options))
    return Interlock({ACCOUNT: adapter})


def direct_op(interlock: Interlock) -> Op:
    reason = Reason(code=ReasonCode.CANDIDATE_NETWORK)

    async def op(verb: Verb, session_id: str) -> bool:
        ref = SessionRef(account=ACCOUNT, session_id=session_id)
        try:
            result = await interlock.perform(verb, ref, reason)
        except InterlockError as error:
            FAILURES["direct"][error.code] += 1
            return False
        if str(result.outcome) != "applied":
            FAILURES["direct"][str(result.outcome)] += 1
        return str(result.outcome) == "applied"

    return op


# -- measurements -----------------------------------------------------------------------------


async def paced(op: Op, ops: Sequence[tuple[Verb, str]], rate: float) -> dict[str, list[float]]:
    """Start one operation every ``1/rate`` s (open loop); latencies in ms per verb, and
    the rate at which they completed under :data:`ACHIEVED`."""
    latencies: dict[str, list[float]] = {Verb.PAUSE: [], Verb.RESUME: []}

    async def one(verb: Verb, session_id: str) -> None:
        started = time.perf_counter()
        await op(verb, session_id)  # failures are tallied in FAILURES and reported
        latencies[verb].append((time.perf_counter() - started) * 1000)

    start = time.perf_counter()
    tasks = []
    for i, (verb, session_id) in enumerate(ops):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(verb, session_id)))
    await asyncio.gather(*tasks)
    # Below the offered rate means the path is saturated and its latency includes queueing.
    latencies[ACHIEVED] = [len(ops) / (time.perf_counter() - start)]
    return latencies


async def closed_loops(ops: Sequence[Op], plan: Plan, seconds: float) -> tuple[float, int]:
    """``len(ops)`` clients cycling pause/resume for ``seconds``: (ops/s, errors)."""
    done = errors = 0
    stop_at = time.perf_counter() + seconds

    async def client(index: int, op: Op) -> None:
        nonlocal done, errors
        sessions = plan.client_sessions(index)
        step = 0
        while time.perf_counter() < stop_at:
            session_id = sessions[(step // 2) % len(sessions)]
            verb = Verb.PAUSE if step % 2 == 0 else Verb.RESUME
            ok = await op(verb, session_id)
            done += ok
            errors += not ok
            step += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(i, op) for i, op in enumerate(ops)))
    return done / (time.perf_counter() - started), errors


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


# -- the run ----------------------------------------------------------------------------------


async def latencies(op: Op, plan: Plan) -> dict[str, dict[str, list[float]]]:
    """Warm up, then the reference rate and the goal's rate (disjoint sessions)."""
    await paced(op, plan.paced(0, WARMUP_OPS), RATE)
    reference = await paced(op, plan.paced(REFERENCE_OFFSET, REFERENCE_OPS), REFERENCE_RATE)
    goal = await paced(op, plan.paced(WARMUP_OPS // 2, LATENCY_OPS), RATE)
    return {"reference": reference, "goal": goal}


async def measure(base: str, keys: list[str]) -> dict[str, object]:
    plan = Plan()
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        gw_latency = await latencies(gateway_op(client, keys[0]), plan)
        gw_ops = [gateway_op(client, key) for key in keys[1 : CLIENTS + 1]]
        gw_rate, gw_errors = await closed_loops(gw_ops, plan, THROUGHPUT_S)
    async with direct_interlock() as interlock:
        direct = direct_op(interlock)
        direct_latency = await latencies(direct, plan)
        direct_rate, direct_errors = await closed_loops([direct] * CLIENTS, plan, THROUGHPUT_S)
    return {
        "gw_latency": gw_latency,
        "direct_latency": direct_latency,
        "gw_rate": gw_rate,
        "gw_errors": gw_errors,
        "direct_rate": direct_rate,
        "direct_errors": direct_errors,
    }


def latency_block(rate: float, gw: dict[str, list[float]], direct: dict[str, list[float]]) -> float:
    """Print one paced phase; returns the gateway's added p99 (ms) over both verbs."""
    gw_done, direct_done = gw.pop(ACHIEVED)[0], direct.pop(ACHIEVED)[0]
    count = sum(len(v) for v in gw.values())
    print(f"paced load: {rate:g} ops/s offered, {count} ops (pause/resume alternating)")
    print(f"  completed at: gateway {gw_done:.1f} ops/s, direct {direct_done:.1f} ops/s")
    for verb in (Verb.PAUSE, Verb.RESUME):
        g50, g99 = pct(gw[verb], 50), pct(gw[verb], 99)
        d50, d99 = pct(direct[verb], 50), pct(direct[verb], 99)
        print(
            f"  {verb:<6} gateway p50={g50:.2f}ms p99={g99:.2f}ms | direct p50={d50:.2f}ms "
            f"p99={d99:.2f}ms | added p50={g50 - d50:.2f}ms p99={g99 - d99:.2f}ms"
        )
    all_gw = [v for values in gw.values() for v in values]
    all_direct = [v for values in direct.values() for v in values]
    added50 = pct(all_gw, 50) - pct(all_direct, 50)
    added99 = pct(all_gw, 99) - pct(all_direct, 99)
    ratio = pct(all_gw, 50) / pct(all_direct, 50)
    mean = statistics.fmean(all_gw)
    print(f"  added p50={added50:.2f}ms p99={added99:.2f}ms, gateway mean {mean:.2f}ms, "
          f"p50 ratio {ratio:.1f}x")  # fmt: skip
    return added99


def report(result: dict[str, object]) -> int:
    gw: dict[str, dict[str, list[float]]] = result["gw_latency"]  # type: ignore[assignment]
    direct: dict[str, dict[str, list[float]]] = result["direct_latency"]  # type: ignore[assignment]
    print(f"sessions={SESSIONS} vendor_latency_ms=0 database=sqlite undo_window=0")
    print("reference (below saturation):")
    latency_block(REFERENCE_RATE, gw["reference"], direct["reference"])
    print("goal:")
    added99 = latency_block(RATE, gw["goal"], direct["goal"])
    print(f"gateway_added_latency_p99_ms_at_{RATE:g}_ops_s={added99:.2f} "
          f"(goal <= {GOAL_ADDED_P99_MS:g})")  # fmt: skip
    gw_rate, direct_rate = float(result["gw_rate"]), float(result["direct_rate"])  # type: ignore[arg-type]
    print(f"throughput with {CLIENTS} concurrent clients, {THROUGHPUT_S:g}s closed loops:")
    print(f"gateway_ops_per_s={gw_rate:.0f} errors={result['gw_errors']} (goal >= {GOAL_RATE:g})")
    print(f"direct_ops_per_s={direct_rate:.0f} errors={result['direct_errors']}")
    print(f"gateway_to_direct_throughput_ratio={gw_rate / direct_rate:.3f}")
    print(f"gateway answers 202 (accepted, not finished within sync_wait): {QUEUED['gateway']}")
    for path, reasons in FAILURES.items():
        if reasons:
            print(f"{path} failures (all phases): {dict(reasons)}")
    return 1 if any(FAILURES.values()) else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", nargs=2, metavar=("CONFIG", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return 0
    with tempfile.TemporaryDirectory(prefix="interlock-bench-") as tmp:
        folder = Path(tmp)
        config = write_config(folder)
        keys = asyncio.run(admin_keys(folder, CLIENTS + 1))
        port = free_port()
        process = subprocess.Popen(  # noqa: S603 - this script, our interpreter
            [sys.executable, __file__, "--serve", str(config), str(port)],
            cwd=folder,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            base = f"http://127.0.0.1:{port}"
            asyncio.run(wait_ready(base, process))
            result = asyncio.run(measure(base, keys))
        finally:
            process.terminate()
            process.wait(timeout=30)
    return report(result)


if __name__ == "__main__":
    sys.exit(main())
