"""Wire an adapter to its vendor double (contract suite, ``interlock adapters``, demos)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from interlock.adapter import AccountContext, InterviewAdapter
from interlock.doubles._base import DoubleSettings, VendorDouble
from interlock.doubles._clock import VirtualClock
from interlock.http import RetryPolicy
from interlock.plugins import AdapterSpec

__all__ = ["DEFAULT_DOUBLE_TIMEZONE", "make_double", "wire_adapter"]

DEFAULT_DOUBLE_TIMEZONE = ZoneInfo("Asia/Shanghai")


def make_double(spec: AdapterSpec, settings: DoubleSettings | None = None) -> VendorDouble:
    """The spec's double. :raises LookupError: the adapter registered none."""
    if spec.double_factory is None:
        raise LookupError(
            f"adapter {spec.name!r} registers no vendor double; "
            "pass double_factory=... in its AdapterSpec"
        )
    return spec.double_factory(settings or DoubleSettings())


def wire_adapter(
    spec: AdapterSpec,
    double: VendorDouble,
    *,
    account: str | None = None,
    base_url: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    retry_policy: RetryPolicy | None = None,
    clock: VirtualClock | None = None,
    options: Mapping[str, Any] | None = None,
    timezone: tzinfo | None = DEFAULT_DOUBLE_TIMEZONE,
) -> InterviewAdapter:
    """An adapter for ``double``: in-process through a mock transport unless ``transport`` or a
    served ``base_url`` is given (then real HTTP, or whatever the transport does, e.g. respx).

    ``retry_policy`` goes to :attr:`AccountContext.retry_policy`; with ``clock`` the double and
    the adapter (``AccountContext.monotonic`` and ``sleep``) share virtual time, so waits cost
    nothing (the contract suite does both). ``options`` replaces the double's
    :meth:`~VendorDouble.adapter_options` (one of its :meth:`~VendorDouble.other_adapter_options`);
    ``timezone`` is the account's (None: the account names none).
    """
    url = base_url or double.base_url
    account_options = spec.options_model.model_validate(
        double.adapter_options(url) if options is None else options
    )
    if transport is None and base_url is None:
        transport = httpx.MockTransport(double.handle)
    timing: dict[str, Any] = {}
    if clock is not None:
        double.use_clock(clock.monotonic)
        timing = {"monotonic": clock.monotonic, "sleep": clock.sleep}
    context = AccountContext(
        account=account or f"{spec.name}-double",
        options=account_options,
        timezone=timezone,
        transport=transport,
        retry_policy=retry_policy,
        **timing,
    )
    return spec.factory(context)
