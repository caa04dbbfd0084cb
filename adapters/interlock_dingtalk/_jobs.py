"""Job (position) info with a short cache: ownership comes from ``jobs/{jobId}/info``.

A page of fifty sessions usually names a handful of jobs; each is fetched once (one fetch at a
time per job) and kept for ``ttl_s`` so that ownership changes at DingTalk reach the gateway's
permission checks within that time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from interlock_dingtalk._models import VendorJob

__all__ = ["JobDirectory"]

JobFetch = Callable[[str], Awaitable[VendorJob | None]]


class JobDirectory:
    """Cached, single-flight job lookups. ``None`` means DingTalk no longer knows the job."""

    def __init__(
        self, fetch: JobFetch, *, ttl_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._fetch = fetch
        self._ttl = ttl_s
        self._clock = clock
        self._cache: dict[str, tuple[float, VendorJob | None]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def _cached(self, job_id: str) -> tuple[bool, VendorJob | None]:
        entry = self._cache.get(job_id)
        if entry is not None and entry[0] > self._clock():
            return True, entry[1]
        return False, None

    async def get(self, job_id: str) -> VendorJob | None:
        hit, job = self._cached(job_id)
        if hit:
            return job
        async with self._locks.setdefault(job_id, asyncio.Lock()):
            hit, job = self._cached(job_id)
            if hit:
                return job
            job = await self._fetch(job_id)
            # With a TTL of 0 the entry has expired as it is stored: nothing is cached.
            self._cache[job_id] = (self._clock() + self._ttl, job)
            return job

    async def get_many(self, job_ids: list[str]) -> dict[str, VendorJob | None]:
        unique = list(dict.fromkeys(job_ids))
        jobs = await asyncio.gather(*(self.get(j) for j in unique))
        return dict(zip(unique, jobs, strict=True))
