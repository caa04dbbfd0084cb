"""SDK batch throughput: ``Interlock.batch("terminate")`` vs a naive sequential loop.

The sandbox vendor answers every call after 20 ms. 2,000 running sessions are terminated once
with the facade's batch (per-item calls, concurrency 50) and once with a plain ``for`` loop,
in the same run. Printed: both times, the ideal bound (2,000 × 20 ms / 50), the ratio of the
batch time to that bound (goal ≤ 1.25), the speedup over the loop, and the peak RSS.
"""

from __future__ import annotations

import asyncio
import resource
import sys
import time

from interlock import Interlock, Reason, ReasonCode, SessionState, Verb
from interlock.adapter import AccountContext
from interlock.models import SessionRef
from interlock_sandbox.adapter import SandboxAdapter
from interlock_sandbox.options import SandboxOptions

SESSIONS = 2_000
LATENCY_MS = 20.0
CONCURRENCY = 50
REASON = Reason(code=ReasonCode.PROCESS_CHANGE)


def build() -> tuple[Interlock, list[SessionRef], SandboxAdapter]:
    options = SandboxOptions(
        sessions=0, latency_ms=LATENCY_MS, native_batch_size=0, vendor_qps=1_000_000
    )
    adapter = SandboxAdapter(AccountContext(account="bench", options=options))
    assert adapter.double is not None
    refs = [
        adapter.ref(adapter.double.put_session(SessionState.IN_PROGRESS)) for _ in range(SESSIONS)
    ]
    return Interlock({"bench": adapter}, concurrency=CONCURRENCY), refs, adapter


async def timed_batch() -> tuple[float, int]:
    interlock, refs, adapter = build()
    await adapter.get_session(refs[0].session_id)  # warm the token, as a long-lived client is
    started = time.perf_counter()
    results = [r async for r in interlock.batch(Verb.TERMINATE, refs, REASON)]
    elapsed = time.perf_counter() - started
    await interlock.aclose()
    return elapsed, sum(r.ok for r in results)


async def timed_loop() -> tuple[float, int]:
    interlock, refs, adapter = build()
    await adapter.get_session(refs[0].session_id)
    started = time.perf_counter()
    ok = 0
    for ref in refs:
        ok += (await interlock.terminate(ref, REASON)).ok
    elapsed = time.perf_counter() - started
    await interlock.aclose()
    return elapsed, ok


def main() -> int:
    batch_s, batch_ok = asyncio.run(timed_batch())
    loop_s, loop_ok = asyncio.run(timed_loop())
    bound = SESSIONS * LATENCY_MS / 1000 / CONCURRENCY
    ratio = batch_s / bound
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"sessions={SESSIONS} latency_ms={LATENCY_MS:g} concurrency={CONCURRENCY}")
    print(f"batch_s={batch_s:.3f} ok={batch_ok}")
    print(f"sequential_loop_s={loop_s:.3f} ok={loop_ok}")
    print(f"ideal_bound_s={bound:.3f}")
    print(f"batch_to_bound_ratio={ratio:.3f} (goal <= 1.25)")
    print(f"speedup_over_loop={loop_s / batch_s:.1f}x")
    print(f"peak_rss_mb={peak_rss_mb:.1f}")
    if batch_ok != SESSIONS or loop_ok != SESSIONS:
        print("error: not every session was terminated", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
