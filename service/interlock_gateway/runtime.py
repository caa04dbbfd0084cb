"""The objects one running gateway shares, built in the app's lifespan (never at import).

This is the composition root: it builds the database, the audit trail, the SDK facade with
the shared vendor limiter, the lifecycle's :class:`~.operations.context.Context`, the worker
(which is also the lifecycle's dispatcher) and the key cache. Only ``app.py`` (and the CLI)
import it; everything below receives what it needs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from interlock import Interlock
from interlock.config import load_accounts
from interlock.plugins import LoadedPlugins, get_plugin_manager

from .api.ratelimit import MutationRateLimiter
from .audit import AuditTrail, CheckpointSigner
from .audit.witnessing import build_witnesses
from .clock import Clock, system_clock
from .keycache import KeyCache
from .lanes import FairLimiter
from .operations.context import Context
from .operations.links import LinkKeys
from .operations.tokens import ConfirmTokens
from .principals import list_principals
from .quota import account_rate, build_limiter
from .settings import AuditSettings, BatchSettings, GatewaySettings, NotificationSettings
from .signins import SignIns
from .store import Database, upgrade
from .worker import Worker
from .worker.execute import FaultHook
from .worker.notifier import Notifier, build_channels

__all__ = ["Runtime"]

log = logging.getLogger("interlock.gateway")


@dataclass(kw_only=True, eq=False)
class Runtime:
    """Settings, the lifecycle's context, the worker, the key cache, the mutation limiter and
    the console's sign-ins."""

    settings: GatewaySettings
    context: Context
    worker: Worker
    keys: KeyCache
    limiter: MutationRateLimiter
    signins: SignIns
    notifier: Notifier
    owns_interlock: bool

    @property
    def db(self) -> Database:
        return self.context.db

    @property
    def trail(self) -> AuditTrail:
        return self.context.trail

    @property
    def interlock(self) -> Interlock:
        return self.context.interlock

    @property
    def clock(self) -> Clock:
        return self.context.clock

    @property
    def plugins(self) -> LoadedPlugins:
        """The plug-ins the facade was built with (policy and observer hooks come from here)."""
        return self.context.plugins

    @classmethod
    async def start(
        cls,
        settings: GatewaySettings,
        *,
        interlock: Interlock | None = None,
        clock: Clock | None = None,
        plugins: LoadedPlugins | None = None,
        fault: FaultHook | None = None,
        notifications: NotificationSettings | None = None,
    ) -> Runtime:
        """Migrate (unless disabled), connect, build the facade and start the worker.

        :param fault: called around every vendor write of the worker (crash tests kill the
            process from it).
        """
        url = settings.resolved_database_url
        if settings.run_migrations:
            await upgrade(url)
        db = Database(url)
        batch_settings = BatchSettings.load(settings.config)
        audit_settings = AuditSettings.load(settings.config)
        notifications = notifications or NotificationSettings.load(settings.config)
        # One limiter for every account: shared through the database on PostgreSQL, so
        # replicas together stay under each vendor's limit (see quota.py); interactive
        # operations ahead of previews and batches, which take turns (see lanes.py).
        limiter = FairLimiter(build_limiter(db))
        owns = interlock is None
        if interlock is None:
            plugins = plugins or get_plugin_manager()
            accounts = load_accounts(settings.config, plugins)
            interlock = Interlock.from_accounts(accounts, plugins=plugins, rate_limiter=limiter)
            _set_rates(limiter, interlock, batch_settings)
        interlock.resume_window = settings.resume_window
        clock = clock or system_clock
        trail = AuditTrail(
            CheckpointSigner.from_file(settings.signing_key_path),
            checkpoint_every=audit_settings.checkpoint_every,
            clock=clock,
        )
        context = Context(
            db=db,
            trail=trail,
            interlock=interlock,
            settings=settings,
            batches=batch_settings,
            clock=clock,
            tokens=ConfirmTokens(trail.signer),
            rates=limiter.rates if owns else {},
            audit=audit_settings,
            witnesses=build_witnesses(interlock.plugins.manager, audit_settings),
            notifications=notifications,
            links=LinkKeys(trail.signer),
        )
        worker = Worker(context, fault=fault)
        signins = SignIns(
            db,
            idle=settings.console_idle_timeout,
            lifetime=settings.console_session_lifetime,
            clock=clock,
            remember=settings.key_cache_ttl,  # the same bound as an API key's
        )
        channels = build_channels(notifications, interlock)
        notifier = Notifier(
            context, owner=worker.owner, channels=channels, busy=lambda: worker.busy
        )
        runtime = cls(
            settings=settings,
            context=context,
            worker=worker,
            keys=KeyCache(db, settings.key_cache_ttl, on_forget=signins.forget),
            limiter=MutationRateLimiter(settings.mutation_rate, settings.mutation_burst),
            signins=signins,
            notifier=notifier,
            owns_interlock=owns,
        )
        if settings.worker_enabled:
            worker.start()
            notifier.start()
        log.info("gateway started (database %s)", db.engine.dialect.name)
        await _warn_about_legacy_grants(db)
        return runtime

    async def stop(self) -> None:
        """Stop the worker (in-flight work is left to its lease), close connections."""
        await self.worker.stop()
        await self.notifier.stop()
        if self.owns_interlock:
            await self.interlock.aclose()
        await self.db.dispose()


async def _warn_about_legacy_grants(db: Database) -> None:
    async with db.session() as session:
        legacy = [p for p in await list_principals(session) if p.legacy_grants]
    if legacy:  # a count only: principal names stay out of logs
        log.warning(
            "%d principal(s) hold grants that name no account and grant nothing; "
            "`interlock db upgrade` lists them with the command to grant them again",
            len(legacy),
        )


def _set_rates(limiter: FairLimiter, interlock: Interlock, batches: BatchSettings) -> None:
    for name, adapter in interlock.accounts.items():
        rate = account_rate(adapter, batches.vendor_qps.get(name), batches.rate_share)
        if rate:
            limiter.rates[name] = rate
