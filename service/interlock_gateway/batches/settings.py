"""Batch settings: the ``[batches]`` table of ``interlock.toml``, then ``INTERLOCK_BATCHES_*``.

::

    [batches]
    confirm_threshold = 20        # batches above this many items need a preview's confirm_token
    confirm_ttl = 300             # seconds a confirm_token stays valid
    native_batches = true         # use the adapters' native batch calls, in chunks
    breaker_threshold = 5         # consecutive retryable failures that open an account's breaker
    breaker_cooldown = 1.0        # seconds before the first probe (doubles up to the maximum)
    breaker_max_cooldown = 30.0
    rate_share = 0.8              # share of vendor_qps for accounts whose adapter has no option
    vendor_qps = { yonyou-main = 30 }   # per-API limits of accounts whose adapter has no option
"""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from interlock.errors import ConfigurationError

__all__ = ["BatchSettings"]


class BatchSettings(BaseSettings):
    """How batches are confirmed and carried out."""

    model_config = SettingsConfigDict(env_prefix="INTERLOCK_BATCHES_", extra="forbid", frozen=True)

    confirm_threshold: Annotated[int, Field(ge=0)] = 20
    confirm_ttl: timedelta = timedelta(minutes=5)
    native_batches: bool = True
    account_concurrency: Annotated[int, Field(ge=1, le=256)] | None = Field(
        default=None, description="parallel units per account (default: the account's own)"
    )
    breaker_threshold: Annotated[int, Field(ge=1)] = 5
    breaker_cooldown: Annotated[float, Field(gt=0)] = 1.0
    breaker_max_cooldown: Annotated[float, Field(gt=0)] = 30.0
    rate_share: Annotated[float, Field(gt=0, le=1)] = 0.8
    vendor_qps: dict[str, float] = Field(default_factory=dict)
    events_interval: Annotated[float, Field(gt=0)] = 0.5

    @classmethod
    def load(cls, config: Path) -> BatchSettings:
        """The ``[batches]`` table of ``config`` (missing file or table: defaults)."""
        try:
            raw = tomllib.loads(config.read_text(encoding="utf-8"))
        except (FileNotFoundError, tomllib.TOMLDecodeError):
            raw = {}  # the gateway's own settings loader reports a malformed file
        table: Any = raw.get("batches", {})
        if not isinstance(table, dict):
            raise ConfigurationError(f"{config}: [batches] must be a table")
        try:
            return cls(**table)
        except ValueError as exc:
            raise ConfigurationError(
                f"{config}: [batches]: {exc}", hint="see docs/decisions/batches.md"
            ) from None
