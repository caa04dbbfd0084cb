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

import httpx

from interlock import Interlock, Reason, ReasonCode, SessionState, Verb
from interlock.adapter import AccountContext
from interlock.doubles import DoubleSettings
from interlock.models import SessionRef
from interlock_sandbox.adapter import SandboxAdapter
from interlock_sandbox.double import SandboxDouble
from interlock_sandbox.options import SandboxOptions

SESSIONS = 2_000
LATENCY_MS = 20.0
CONCURRENCY = 50
REASON = Reason(code=ReasonCode.PROCESS_CHANGE)


def build() -> tuple[Interlock, list[SessionRef], SandboxDouble]:
    # The double is built here so that its own limit is out of the way (the vendor is not what
    # is measured); the adapter talks to it in process, as the sandbox does by default.
    double = SandboxDouble(DoubleSettings(sessions=0, latency_ms=LATENCY_MS, qps=1e9))
    options = SandboxOptions.model_validate(
        {**double.adapter_options(double.base_url), "native_batch_size": 0}
    )
    context = AccountContext(
        account="bench", options=options, transport=httpx.MockTransport(double.handle)
    )
    adapter = SandboxAdapter(context)
    refs = [adapter.ref(double.put_session(SessionState.IN_PROGRESS)) for _ in range(SESSIONS)]
    return Interlock({"bench": adapter}, concurrency=CONCURRENCY), refs, double


async def timed_batch() -> tuple[float, int]:
    interlock, refs, _ = build()
    await interlock.get_session(refs[0])  # warm the token, as a long-lived client is
    started = time.perf_counter()
    results = [r async for r in interlock.batch(Verb.TERMINATE, refs, REASON)]
    elapsed = time.perf_counter() - started
    await interlock.aclose()
    return elapsed, sum(r.ok for r in results)


async def timed_loop() -> tuple[float, int]:
    interlock, refs, _ = build()
    await interlock.get_session(refs[0])
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
