"""The objects one running gateway shares: built in the app's lifespan, never at import.

Routes reach them through the ``Annotated`` dependencies of :mod:`interlock_gateway.api.deps`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from interlock import Interlock
from interlock.config import load_accounts
from interlock.plugins import LoadedPlugins, get_plugin_manager

from .audit import AuditTrail, CheckpointSigner
from .batches.engine import BatchEngine
from .batches.faults import crash_fault_from_env
from .batches.settings import BatchSettings
from .clock import Clock, system_clock
from .keycache import KeyCache
from .quota import account_rate, build_limiter
from .services.ratelimit import MutationRateLimiter
from .settings import GatewaySettings
from .store import Database, upgrade
from .worker import Worker

__all__ = ["Runtime"]

log = logging.getLogger("interlock.gateway")


@dataclass(kw_only=True, eq=False)
class Runtime:
    """Settings, database, SDK facade, audit trail, rate limiter, worker, key cache."""

    settings: GatewaySettings
    db: Database
    interlock: Interlock
    clock: Clock
    trail: AuditTrail
    limiter: MutationRateLimiter
    worker: Worker
    owns_interlock: bool
    batches: BatchEngine
    keys: KeyCache

    @property
    def plugins(self) -> LoadedPlugins:
        """The plug-ins the facade was built with (policy hooks come from here too)."""
        return self.interlock.plugins

    @classmethod
    async def start(
        cls,
        settings: GatewaySettings,
        *,
        interlock: Interlock | None = None,
        clock: Clock | None = None,
        plugins: LoadedPlugins | None = None,
    ) -> Runtime:
        """Migrate (unless disabled), connect, build the facade and start the worker."""
        url = settings.resolved_database_url
        if settings.run_migrations:
            await upgrade(url)
        clock = clock or system_clock
        owns = interlock is None
        db = Database(url)
        batch_settings = BatchSettings.load(settings.config)
        # One limiter for every account: shared through the database on PostgreSQL, so
        # replicas together stay under each vendor's limit (see quota.py).
        limiter = build_limiter(db)
        if interlock is None:
            plugins = plugins or get_plugin_manager()
            accounts = load_accounts(settings.config, plugins)
            interlock = Interlock.from_accounts(accounts, plugins=plugins, rate_limiter=limiter)
            for name, adapter in interlock.accounts.items():
                rate = account_rate(
                    adapter, batch_settings.vendor_qps.get(name), batch_settings.rate_share
                )
                if rate:
                    limiter.rates[name] = rate
        interlock.resume_window = settings.resume_window
        trail = AuditTrail(CheckpointSigner.from_file(settings.signing_key_path), clock=clock)
        worker = Worker(db=db, interlock=interlock, trail=trail, settings=settings, clock=clock)
        batches = BatchEngine(
            db=db,
            interlock=interlock,
            trail=trail,
            gateway=settings,
            settings=batch_settings,
            clock=clock,
            limiter=limiter if owns else None,
        )
        worker.batches = batches
        crash = crash_fault_from_env()
        if crash is not None:  # crash tests only: SIGKILL after a vendor call
            worker.executor.fault = batches.fault = crash
        runtime = cls(
            settings=settings,
            db=db,
            interlock=interlock,
            clock=clock,
            trail=trail,
            limiter=MutationRateLimiter(settings.mutation_rate, settings.mutation_burst),
            worker=worker,
            owns_interlock=owns,
            batches=batches,
            keys=KeyCache(db, settings.key_cache_ttl),
        )
        if settings.worker_enabled:
            worker.start()
        log.info("gateway started (database %s)", db.engine.dialect.name)
        return runtime

    async def stop(self) -> None:
        """Stop the worker (in-flight work is left to its lease), close connections."""
        await self.worker.stop()
        if self.owns_interlock:
            await self.interlock.aclose()
        await self.db.dispose()
