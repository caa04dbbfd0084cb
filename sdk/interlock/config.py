"""``interlock.toml``: accounts, their adapters and options; environment overrides; secrets.

::

    [accounts.dingtalk-hq]
    adapter = "dingtalk"            # entry-point name of the adapter
    timezone = "Asia/Shanghai"      # for vendors with zone-less local times
    concurrency = 8                 # parallel calls per account in a batch
    app_key = "ding-app"            # everything else is the adapter's own options, e.g.
    app_secret = "env:DINGTALK_APP_SECRET"   # (or "file:/run/secrets/dingtalk")
    vendor_qps = 20                 # the tenant's per-API limit, of which the adapter's
    rate_share = 0.8                # client-side limiter uses this share

``adapter``, ``timezone`` and ``concurrency`` belong to Interlock; every other key is validated
by the adapter's own options model, so limits live with the adapter that knows its vendor's
per-API rules.

Any value can be overridden by ``INTERLOCK__ACCOUNTS__<ACCOUNT>__<KEY>`` (account and key
upper-cased, ``-`` written as ``_``). Errors name the file, the key and the fix.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ValidationError

from interlock.errors import AdapterNotFound, ConfigurationError
from interlock.models import ACCOUNT_NAME_PATTERN
from interlock.plugins import AdapterSpec, LoadedPlugins

__all__ = ["AccountConfig", "load_accounts", "parse_accounts", "resolve_secret"]

ENV_PREFIX = "INTERLOCK__ACCOUNTS__"
_RESERVED = {"adapter", "timezone", "concurrency"}


@dataclass(frozen=True, kw_only=True)
class AccountConfig:
    """One configured account: its adapter spec, validated options and limits."""

    name: str
    spec: AdapterSpec
    options: BaseModel
    timezone: ZoneInfo | None
    concurrency: int


def resolve_secret(value: Any, *, where: str, env: Mapping[str, str]) -> Any:
    """Turn ``env:VAR`` and ``file:/path`` into the secret's value; other values pass through."""
    if not isinstance(value, str):
        return value
    if value.startswith("env:"):
        var = value[4:]
        if var not in env:
            raise ConfigurationError(
                f"{where}: environment variable {var!r} is not set",
                hint=f"export {var}=... or put the value in a file and use 'file:/path'",
            )
        return env[var]
    if value.startswith("file:"):
        path = Path(value[5:])
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigurationError(
                f"{where}: cannot read secret file {str(path)!r} ({exc.strerror})",
                hint="check the path and its permissions",
            ) from None
    return value


def load_accounts(
    path: str | Path, plugins: LoadedPlugins, *, env: Mapping[str, str] | None = None
) -> list[AccountConfig]:
    """Read ``path`` and return its validated accounts."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(
            f"{path}: file not found", hint="pass --config FILE or create interlock.toml"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid TOML: {exc}", hint="fix the syntax") from None
    return parse_accounts(raw, plugins, source=str(path), env=env)


def parse_accounts(
    raw: Mapping[str, Any],
    plugins: LoadedPlugins,
    *,
    source: str = "<config>",
    env: Mapping[str, str] | None = None,
) -> list[AccountConfig]:
    """Validate the ``[accounts.*]`` tables of an already-parsed configuration."""
    env = os.environ if env is None else env
    accounts = raw.get("accounts")
    if not isinstance(accounts, Mapping) or not accounts:
        raise ConfigurationError(
            f"{source}: no [accounts.NAME] table",
            hint='add e.g. [accounts.demo] with adapter = "sandbox"',
        )
    return [
        _parse_account(name, dict(table), plugins, source=source, env=env)
        for name, table in accounts.items()
    ]


def _env_overrides(name: str, env: Mapping[str, str]) -> dict[str, str]:
    prefix = ENV_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", name).upper() + "__"
    return {k[len(prefix) :].lower(): v for k, v in env.items() if k.startswith(prefix)}


def _parse_account(
    name: str, table: dict[str, Any], plugins: LoadedPlugins, *, source: str, env: Mapping[str, str]
) -> AccountConfig:
    where = f"{source}: [accounts.{name}]"
    if not re.match(ACCOUNT_NAME_PATTERN, name):
        raise ConfigurationError(
            f"{where}: account names are URL-safe (letters, digits, '-', '_', '.', '~')",
            hint="rename the table",
        )
    table.update(_env_overrides(name, env))
    adapter_name = table.get("adapter")
    if not isinstance(adapter_name, str):
        raise ConfigurationError(
            f"{where}: key 'adapter' is missing",
            hint=f'add adapter = "NAME"; installed: {", ".join(sorted(plugins.adapters))}',
        )
    try:
        spec = plugins.adapter(adapter_name)
    except AdapterNotFound as exc:
        raise AdapterNotFound(f"{where}: key 'adapter': {exc.message}", hint=exc.hint) from None
    timezone = _timezone(table.get("timezone"), where, spec)
    options_raw = {
        k: resolve_secret(v, where=f"{where} key {k!r}", env=env)
        for k, v in table.items()
        if k not in _RESERVED
    }
    try:
        options = spec.options_model.model_validate(options_raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(table)"
        raise ConfigurationError(
            f"{where} key {key!r}: {first['msg']}",
            hint=f"see the {spec.name} adapter's options: "
            + ", ".join(sorted(spec.options_model.model_fields)),
        ) from None
    return AccountConfig(
        name=name,
        spec=spec,
        options=options,
        timezone=timezone,
        concurrency=int(_number(table.get("concurrency", 8), where, "concurrency") or 8),
    )


def _timezone(value: Any, where: str, spec: AdapterSpec) -> ZoneInfo | None:
    if value is None:
        if spec.needs_timezone:
            raise ConfigurationError(
                f"{where}: key 'timezone' is required: {spec.name} sends zone-less local times",
                hint='add timezone = "Asia/Shanghai" (an IANA zone name)',
            )
        return None
    try:
        return ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(
            f"{where} key 'timezone': unknown time zone {value!r}",
            hint='use an IANA name such as "Asia/Shanghai"',
        ) from None


def _number(value: Any, where: str, key: str) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigurationError(
            f"{where} key {key!r}: {value!r} is not a number", hint=f"set {key} = a number"
        ) from None
    if number <= 0:
        raise ConfigurationError(f"{where} key {key!r}: must be positive", hint="use a value > 0")
    return number
