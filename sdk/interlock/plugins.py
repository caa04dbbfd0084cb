"""Plug-in discovery: the plug-in manager factory, adapter specs and the hook payload types.

Entry points in the group ``interlock.adapters`` are the only discovery path, for the adapters
in this repository and for third-party ones alike. A broken plug-in is reported by name with a
fix and never stops the others from loading.
"""

from __future__ import annotations

import difflib
import functools
import importlib.metadata
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

import pluggy
from pydantic import BaseModel

from interlock import hookspecs
from interlock.errors import AdapterNotFound, PluginError
from interlock.models import OperationResult, ReasonCode, SessionRef, Verb

if TYPE_CHECKING:
    from interlock.adapter import AccountContext, InterviewAdapter
    from interlock.doubles import DoubleSettings, VendorDouble

__all__ = [
    "ENTRY_POINT_GROUP",
    "AdapterSpec",
    "AuthorizationRequest",
    "AuthorizationVote",
    "Channel",
    "ChannelContext",
    "ChannelMessage",
    "ChannelSpec",
    "LoadedPlugins",
    "Notification",
    "OperationFinished",
    "OperationStarted",
    "PluginLoadFailure",
    "get_plugin_manager",
    "hookimpl",
    "notify_observers",
]

ENTRY_POINT_GROUP = "interlock.adapters"
hookimpl = pluggy.HookimplMarker(hookspecs.PROJECT)
_log = logging.getLogger("interlock.plugins")


@dataclass(frozen=True, kw_only=True)
class AdapterSpec:
    """How to build one adapter and its vendor double.

    :param name: the entry-point name users put in ``adapter = "..."``.
    :param vendor: short vendor name (``dingtalk``).
    :param factory: builds the adapter for one account.
    :param options_model: validates the account's options (strict: unknown keys are errors).
    :param double_factory: builds the vendor double (the contract suite requires one).
    :param summary: one line for ``interlock adapters``.
    """

    name: str
    vendor: str
    factory: Callable[[AccountContext], InterviewAdapter]
    options_model: type[BaseModel]
    double_factory: Callable[[DoubleSettings], VendorDouble] | None = None
    summary: str = ""
    needs_timezone: bool = False


@dataclass(frozen=True, kw_only=True)
class OperationStarted:
    """Payload of ``interlock_operation_started``.

    :param verb: the verb asked for; ``"undo"`` for the gateway's undo operations.
    :param phase: the phase the operation begins with when it runs in phases (the gateway:
        ``apply``, ``hold``, ``restore``, ``expire``, or ``accept`` when it is settled at
        acceptance without a vendor write); ``None`` for a plain SDK call.
    """

    operation_id: str
    ref: SessionRef
    verb: Verb | Literal["undo"]
    reason_code: ReasonCode
    idempotency_key: str
    started_at: datetime
    phase: str | None = None


@dataclass(frozen=True, kw_only=True)
class OperationFinished:
    """Payload of ``interlock_operation_finished``.

    :param phase: the phase that ended the operation (the gateway: ``apply``, ``commit`` for a
        terminate or revoke sent when its undo window closed, ``hold`` for one undone inside
        it, ``restore``, ``expire``, ``accept`` …); ``None`` for a plain SDK call.
    """

    operation_id: str
    ref: SessionRef
    verb: Verb | Literal["undo"]
    reason_code: ReasonCode
    idempotency_key: str
    result: OperationResult
    duration_s: float
    phase: str | None = None


@dataclass(frozen=True, kw_only=True)
class Notification:
    """Payload of ``interlock_notify``.

    :param recipient: for ``hr``, the principal the notice is for (who started the
        operation); ``None`` means the account's HR contacts.
    :param operation_id: the operation it is about, when there is one.
    """

    audience: Literal["candidate", "hr"]
    ref: SessionRef
    verb: Verb
    message_key: str
    candidate_id: str | None = None
    recipient: str | None = None
    operation_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ChannelMessage:
    """One rendered notification, as a channel sends it.

    :param id: the notification's id: the receiver's de-duplication key (``webhook-id``, the
        e-mail ``Message-ID``), the same on every attempt.
    :param recipient: the channel's address (e-mail address, IM user id, webhook URL name).
    :param data: the event as structured data (webhooks send it as JSON); never personal data
        beyond the masked candidate name and the pseudonymous candidate id.
    """

    id: str
    event: str
    audience: Literal["candidate", "hr"]
    recipient: str
    language: str
    subject: str
    body: str
    data: Mapping[str, Any] = field(default_factory=dict)


class Channel(Protocol):
    """A configured notification channel. ``send`` raises when delivery failed (the outbox
    retries later); a message id seen before should be accepted again without a second copy
    where the medium allows it."""

    async def send(self, message: ChannelMessage) -> str | None:
        """Deliver ``message``; returns the medium's own id for it, if it has one."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


@dataclass(frozen=True, kw_only=True)
class ChannelContext:
    """What a channel factory is given: the channel's name, its validated options and the
    SDK facade (a channel that speaks through a vendor's API uses the account's adapter)."""

    name: str
    options: BaseModel
    interlock: Any = None


@dataclass(frozen=True, kw_only=True)
class ChannelSpec:
    """How to build one type of notification channel.

    :param name: the channel type: what ``[notifications.channels.NAME] type = "..."`` names.
    :param factory: builds the channel from its context.
    :param options_model: validates the channel's options (strict: unknown keys are errors).
    """

    name: str
    factory: Callable[[ChannelContext], Channel]
    options_model: type[BaseModel]
    summary: str = ""


@dataclass(frozen=True, kw_only=True)
class AuthorizationRequest:
    """Payload of ``interlock_authorize``."""

    principal: str
    role: str
    action: str
    tenant: str | None = None
    ref: SessionRef | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class AuthorizationVote:
    """A plug-in's vote; ``deny`` wins over every ``allow``."""

    allow: bool
    rule_id: str
    reason: str


@dataclass(frozen=True)
class PluginLoadFailure:
    """A plug-in that could not be loaded, with what to do about it."""

    name: str
    error: str
    fix: str


@dataclass
class LoadedPlugins:
    """The result of discovery: the manager, the adapter specs and any broken plug-ins."""

    manager: pluggy.PluginManager
    adapters: dict[str, AdapterSpec]
    failures: list[PluginLoadFailure]

    def channels(self) -> dict[str, ChannelSpec]:
        """The notification channel types the plug-ins register, by type name.

        A plug-in that fails to register is logged and skipped (like a broken adapter, it
        never stops the others); a type registered twice keeps the first.
        """
        found: dict[str, ChannelSpec] = {}
        for impl in self.manager.hook.interlock_register_channels.get_hookimpls():

            def register(spec: ChannelSpec) -> None:
                if not isinstance(spec, ChannelSpec):
                    raise PluginError(f"registered {spec!r}, not a ChannelSpec")
                found.setdefault(spec.name, spec)

            try:
                impl.function(register=register)
            except Exception:
                _log.exception("channel plug-in %s failed to register", impl.plugin_name)
        return found

    def adapter(self, name: str) -> AdapterSpec:
        """The spec named ``name``. :raises AdapterNotFound: with the closest installed name."""
        try:
            return self.adapters[name]
        except KeyError:
            raise AdapterNotFound(
                f"no adapter named {name!r} is installed",
                hint=_suggest(name, self.adapters),
                requested=name,
                installed=sorted(self.adapters),
            ) from None


def _suggest(name: str, known: Iterable[str]) -> str:
    names = sorted(known)
    close = difflib.get_close_matches(name, names, n=1)
    if close:
        return f"did you mean {close[0]!r}? installed: {', '.join(names) or 'none'}"
    return f"installed adapters: {', '.join(names) or 'none'}"


def get_plugin_manager(
    *, load_entry_points: bool = True, plugins: Iterable[object] = ()
) -> LoadedPlugins:
    """Build a fresh plug-in manager (never a module global) and discover adapters.

    :param load_entry_points: load every ``interlock.adapters`` entry point.
    :param plugins: extra plug-in objects to register (tests, embedding applications).
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    failures: list[PluginLoadFailure] = []
    candidates: list[tuple[str, Callable[[], object]]] = [
        (getattr(p, "__name__", repr(p)), functools.partial(_identity, p)) for p in plugins
    ]
    if load_entry_points:
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            candidates.append((entry_point.name, entry_point.load))
    for name, load in candidates:
        failure = _register_one(manager, name, load)
        if failure is not None:
            failures.append(failure)
    adapters, register_failures = _collect_adapters(manager)
    return LoadedPlugins(manager, adapters, failures + register_failures)


def _identity(plugin: object) -> object:
    return plugin


def _register_one(
    manager: pluggy.PluginManager, name: str, load: Callable[[], object]
) -> PluginLoadFailure | None:
    try:
        plugin = load()
    except Exception as exc:  # any import-time error of a third-party plug-in
        return PluginLoadFailure(
            name,
            f"import failed: {type(exc).__name__}: {exc}",
            "fix the module's import error (run `python -c 'import MODULE'`) or uninstall it",
        )
    if manager.is_registered(plugin):
        return None
    try:
        manager.register(plugin, name=name)
    except ValueError as exc:  # pluggy: duplicate registration name
        return PluginLoadFailure(name, str(exc), "two plug-ins use one name; rename one")
    except pluggy.PluginValidationError as exc:
        if manager.is_registered(plugin):  # pluggy < 1.6 could leave a plug-in half-registered
            manager.unregister(plugin)
        return PluginLoadFailure(
            name,
            str(exc),
            "make the hookimpl's arguments match the hookspec in interlock.hookspecs",
        )
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        manager.unregister(plugin)
        return PluginLoadFailure(name, str(exc), _unknown_hook_fix(plugin))
    if not any(
        getattr(getattr(plugin, h, None), "interlock_impl", None) is not None
        for h in dir(plugin)
        if h.startswith("interlock_")
    ):
        manager.unregister(plugin)
        return PluginLoadFailure(
            name,
            "the module implements no interlock hook",
            "decorate `interlock_register_adapters(register)` with `@interlock.hookimpl`",
        )
    return None


def _unknown_hook_fix(plugin: object) -> str:
    known = sorted(n for n in dir(hookspecs) if n.startswith("interlock_"))
    hints = []
    for attr in dir(plugin):
        if getattr(getattr(plugin, attr, None), "interlock_impl", None) is None or attr in known:
            continue
        close = difflib.get_close_matches(attr, known, n=1)
        hints.append(f"{attr!r}: did you mean {close[0]!r}?" if close else f"{attr!r} is unknown")
    return f"rename the hookimpl ({'; '.join(hints)}); known hooks: {', '.join(known)}"


def _collect_adapters(
    manager: pluggy.PluginManager,
) -> tuple[dict[str, AdapterSpec], list[PluginLoadFailure]]:
    adapters: dict[str, AdapterSpec] = {}
    failures: list[PluginLoadFailure] = []
    for impl in manager.hook.interlock_register_adapters.get_hookimpls():
        plugin_name = manager.get_name(impl.plugin) or repr(impl.plugin)
        try:
            # all or nothing: a plug-in that fails half-way registers none of its adapters
            adapters.update(_specs_of(impl, plugin_name, taken=adapters))
        except Exception as exc:  # a faulty plug-in must not stop the others
            failures.append(
                PluginLoadFailure(
                    plugin_name,
                    f"interlock_register_adapters failed: {type(exc).__name__}: {exc}",
                    "call register(AdapterSpec(...)) once per adapter with a unique name",
                )
            )
    return adapters, failures


def _specs_of(
    impl: pluggy.HookImpl, plugin_name: str, *, taken: Mapping[str, AdapterSpec]
) -> dict[str, AdapterSpec]:
    specs: dict[str, AdapterSpec] = {}

    def register(spec: AdapterSpec) -> None:
        if not isinstance(spec, AdapterSpec):
            raise PluginError(f"plug-in {plugin_name!r} registered {spec!r}, not an AdapterSpec")
        if spec.name in taken or spec.name in specs:
            raise PluginError(f"adapter name {spec.name!r} is registered twice")
        specs[spec.name] = spec

    impl.function(register=register)
    return specs


def notify_observers(plugins: LoadedPlugins, hook_name: str, **kwargs: Any) -> None:
    """Call every implementation of an observer hook, each in isolation.

    An observer must never block an operation: an exception is logged with the plug-in's name
    and swallowed, and the other observers are still called.
    """
    hook = getattr(plugins.manager.hook, hook_name)
    for impl in hook.get_hookimpls():
        try:
            impl.function(**kwargs)
        except Exception:
            _log.exception("observer %s of %s failed", impl.plugin_name, hook_name)
