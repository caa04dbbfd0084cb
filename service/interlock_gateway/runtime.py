"""The objects one running gateway shares: built in the app's lifespan, never at import.

Routes reach them through the ``Annotated`` dependencies of :mod:`interlock_gateway.api.deps`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from interlock import Interlock
from interlock.plugins import LoadedPlugins, get_plugin_manager

from .audit import AuditTrail, CheckpointSigner
from .clock import Clock, system_clock
from .services.ratelimit import MutationRateLimiter
from .settings import GatewaySettings
from .store import Database, upgrade
from .worker import Worker

__all__ = ["Runtime"]

log = logging.getLogger("interlock.gateway")


@dataclass(kw_only=True, eq=False)
class Runtime:
    """Settings, database, SDK facade, audit trail, rate limiter and worker of one app."""

    settings: GatewaySettings
    db: Database
    interlock: Interlock
    clock: Clock
    trail: AuditTrail
    limiter: MutationRateLimiter
    worker: Worker
    owns_interlock: bool

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
        if interlock is None:
            interlock = Interlock.from_config(
                settings.config, plugins=plugins or get_plugin_manager()
            )
        interlock.resume_window = settings.resume_window
        db = Database(url)
        trail = AuditTrail(CheckpointSigner.from_file(settings.signing_key_path), clock=clock)
        worker = Worker(db=db, interlock=interlock, trail=trail, settings=settings, clock=clock)
        runtime = cls(
            settings=settings,
            db=db,
            interlock=interlock,
            clock=clock,
            trail=trail,
            limiter=MutationRateLimiter(settings.mutation_rate, settings.mutation_burst),
            worker=worker,
            owns_interlock=owns,
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
