"""Interlock's plug-in hooks. This module holds only specifications; each docstring is the
contract an implementation must honour.

Implement a hook with ``@interlock.hookimpl`` in a module named by an entry point in the group
``interlock.adapters``. Misspelt hook names are caught at start-up (``check_pending``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from interlock.plugins import (
        AdapterSpec,
        AuthorizationRequest,
        AuthorizationVote,
        ChannelSpec,
        Notification,
        OperationFinished,
        OperationStarted,
    )
    from interlock.witnesses import AuditWitnessSpec

PROJECT = "interlock"
hookspec = pluggy.HookspecMarker(PROJECT)


@hookspec
def interlock_register_adapters(register: Callable[[AdapterSpec], None]) -> None:
    """Register the adapters this plug-in provides.

    Call ``register`` once per adapter with an :class:`~interlock.plugins.AdapterSpec`: its
    entry-point name, the adapter factory, its options model and the factory of its vendor
    double (required for the contract suite and ``interlock vendors serve``).

    :param register: collects the specs; registering a name twice is a plug-in error.
    :returns: nothing (results are ignored).

    .. versionadded:: 0.1
    """


@hookspec
def interlock_operation_started(event: OperationStarted) -> None:
    """Observe an operation beginning (audit sinks, metrics).

    Called exactly once per operation, with the operation's own id: for a plain SDK call
    (:meth:`~interlock.Interlock.perform`, every item of :meth:`~interlock.Interlock.batch`)
    before its vendor call; in the gateway when the operation's first phase begins (or at
    acceptance, for one settled there without a vendor write) — never again for the later
    phases of the same operation (the commit of a held terminate, a retry, a recovery).
    Operations refused or cancelled before they began are not observed (the audit trail
    records them). Observers must not raise; an exception is logged and swallowed so that an
    observer can never block an operation.

    :param event: the session ref, verb, reason (code only), idempotency key and, in the
        gateway, the phase the operation begins with.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2 once per operation (no longer once per phase); ``phase`` added.
    """


@hookspec
def interlock_operation_finished(event: OperationFinished) -> None:
    """Observe an operation's end, exactly once per ``interlock_operation_started``.

    In the gateway, "end" is the operation's final status: a held terminate or revoke ends when
    it is committed or undone, not when its hold succeeded.

    :param event: the started event's fields plus the :class:`~interlock.models.OperationResult`
        (outcome, states before and after, vendor request id, error code), the duration and the
        phase that ended it.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2 ``phase`` added.
    """


@hookspec
def interlock_notify(notification: Notification) -> None:
    """Tell a person (candidate or HR) about something that affects them.

    The gateway calls it when an HR user must know about their operation without asking (a
    stop whose session was resumed at the vendor during its undo window, held again, or
    contested). Implementations deliver it (IM, e-mail, SMS) and must not raise; delivery
    failures are their own to log.

    :param notification: the audience (``candidate`` or ``hr``), the recipient principal for
        HR notices, the session ref, the verb, the operation and a neutral message key; never
        personal data beyond the pseudonymous candidate id.

    .. versionadded:: 0.1
    """


@hookspec
def interlock_register_channels(register: Callable[[ChannelSpec], None]) -> None:
    """Register the notification channels this plug-in provides (e-mail, IM, webhooks).

    Call ``register`` once per channel type with a :class:`~interlock.plugins.ChannelSpec`:
    its type name (what ``[notifications.channels.NAME] type = "..."`` names), the factory
    that builds one configured channel, and its options model. The gateway's outbox delivers
    each notification through :meth:`~interlock.plugins.Channel.send` and retries it with
    backoff when it raises — unlike ``interlock_notify``, a channel reports failure.

    :param register: collects the specs; a type registered twice keeps the first.
    :returns: nothing (results are ignored).

    .. versionadded:: 0.3
    """


@hookspec
def interlock_authorize(request: AuthorizationRequest) -> AuthorizationVote | None:
    """Add a policy rule on top of the gateway's built-in table.

    Every implementation is asked; ``None`` abstains. Any ``deny`` vote wins over every
    ``allow``; an ``allow`` vote can never grant what the built-in table denied.

    :param request: the principal (name, role, tenant), the action and the target session.
    :returns: a vote with a rule id and a reason, or ``None`` to abstain.

    .. versionadded:: 0.1
    """


@hookspec
def interlock_audit_witness(register: Callable[[AuditWitnessSpec], None]) -> None:
    """Register kinds of audit witness: keepers of signed checkpoints outside the database.

    Call ``register`` once per kind with an :class:`~interlock.witnesses.AuditWitnessSpec`
    (its ``kind``, a factory and an options model). The gateway builds the witnesses its
    ``[audit.witnesses.NAME]`` tables name, hands each signed checkpoint to every one of them
    (``AuditWitness.keep``, retried until it succeeds) and compares the database with what
    they kept when asked to verify (``AuditWitness.checkpoints``). A witness must keep what
    it was given where the database's writers cannot change it.

    :param register: collects the specs; registering a kind twice is a plug-in error.
    :returns: nothing (results are ignored).

    .. versionadded:: 0.2
    """
