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
        Notification,
        OperationFinished,
        OperationStarted,
    )

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
    """Observe an operation about to be carried out (audit sinks, metrics).

    Called exactly once per operation, before the first vendor call, for single operations
    and for every item of a batch. Observers must not raise; an exception is logged and
    swallowed so that an observer can never block an operation.

    :param event: the account, session ref, verb, reason (code only), idempotency key.

    .. versionadded:: 0.1
    """


@hookspec
def interlock_operation_finished(event: OperationFinished) -> None:
    """Observe an operation's outcome, exactly once per ``interlock_operation_started``.

    :param event: the started event's fields plus the :class:`~interlock.models.OperationResult`
        (outcome, states before and after, vendor request id, error code) and the duration.

    .. versionadded:: 0.1
    """


@hookspec
def interlock_notify(notification: Notification) -> None:
    """Tell a person (candidate or HR) about an operation that affects them.

    Called after an operation that changed a session's state succeeded. Implementations
    deliver it (IM, e-mail, SMS) and must not raise; delivery failures are their own to log.

    :param notification: the audience (``candidate`` or ``hr``), the session ref, the verb and a
        neutral message key; never personal data beyond the pseudonymous candidate id.

    .. versionadded:: 0.1
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
