"""What the operation lifecycle needs from a running gateway, handed in (never imported)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from interlock import Interlock
from interlock.adapter import InterviewAdapter
from interlock.capabilities import CapabilityLevel
from interlock.models import Verb
from interlock.plugins import LoadedPlugins
from interlock.witnesses import AuditWitness

from ..audit import AuditTrail
from ..clock import Clock
from ..problems import Problem
from ..settings import AuditSettings, BatchSettings, GatewaySettings, NotificationSettings
from ..store import Database
from .links import LinkKeys
from .tokens import ConfirmTokens, PreviewCache

__all__ = ["Context"]


@dataclass(frozen=True, kw_only=True, eq=False)
class Context:
    """The database, audit trail, SDK facade, settings and clock of one gateway.

    :param rates: calls per second each account's shared limiter allows (for estimates).
    :param witnesses: where signed checkpoints are also kept (outside the database).
    :param notifications: ``[notifications]``: routes, channels, contacts (docs/notifications.md).
    :param links: signs resume links (``None``: pauses issue no link).
    """

    db: Database
    trail: AuditTrail
    interlock: Interlock
    settings: GatewaySettings
    batches: BatchSettings
    clock: Clock
    tokens: ConfirmTokens
    previews: PreviewCache = field(default_factory=PreviewCache)
    rates: Mapping[str, float] = field(default_factory=dict)
    audit: AuditSettings = field(default_factory=AuditSettings)
    witnesses: Sequence[AuditWitness] = ()
    notifications: NotificationSettings = field(default_factory=NotificationSettings)
    links: LinkKeys | None = None

    @property
    def plugins(self) -> LoadedPlugins:
        """The plug-ins the facade was built with (policy and observer hooks come from here)."""
        return self.interlock.plugins

    def adapter(self, account: str) -> InterviewAdapter:
        """The account's adapter, or a 404 problem naming the configured accounts."""
        adapter = self.interlock.accounts.get(account)
        if adapter is None:
            known = ", ".join(sorted(self.interlock.accounts)) or "none"
            raise Problem(
                404,
                "ACCOUNT.NOT_FOUND",
                "Account not found",
                f"no account named {account!r} is configured",
                hint=f"configured accounts: {known}",
            )
        return adapter

    def level(self, account: str, verb: Verb) -> CapabilityLevel:
        """The account's level for ``verb``: the adapter's, or ``manual`` where the adapter
        cannot do it and ``[gateway] manual_verbs`` says a person does it in the console."""
        level = self.adapter(account).capabilities.level(verb)
        if not level.automated and str(verb) in self.settings.manual_verbs.get(account, ()):
            return CapabilityLevel.MANUAL
        return level

    def vendor_of(self, account: str) -> str:
        """The vendor name of a configured account."""
        return self.interlock.accounts[account].vendor

    def native_size(self, account: str, verb: Verb) -> int:
        """Items per native batch call for ``verb`` on ``account`` (0: one call per item)."""
        if not self.batches.native_batches:
            return 0
        adapter = self.interlock.adapter(account)
        if not adapter.capabilities.supports(verb):
            return 0
        return adapter.capabilities.native_batch_size or 0

    def concurrency(self, account: str) -> int:
        """Units of the account's batch items in flight at once, per process."""
        return self.batches.account_concurrency or self.interlock.concurrency(account)
