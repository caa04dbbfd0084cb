"""The gateway's settings: ``[gateway]`` of ``interlock.toml``, then the environment.

::

    [gateway]
    database_url = "sqlite+aiosqlite:///.interlock/interlock.db"
    undo_window = 600            # seconds, or an ISO 8601 duration ("PT10M"); 0 disables
    resume_window = "PT24H"
    protected_levels = ["executive"]
    protected_positions = []
    mutation_rate = 50           # per principal, per second (0 disables)

Precedence, highest first: keyword arguments (the CLI), ``INTERLOCK_GATEWAY_<FIELD>`` (and
``INTERLOCK_DATABASE_URL``), the ``[gateway]`` table, the defaults below. Nothing is read at
import time: call :meth:`GatewaySettings.load`.

``[batches]`` has its own model, :class:`BatchSettings` (``INTERLOCK_BATCHES_*``)::

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

import os
import tomllib
from contextvars import ContextVar
from datetime import UTC, timedelta, tzinfo
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from interlock.config import resolve_secret
from interlock.errors import ConfigurationError
from interlock.timespan import zone_named

from .store.engine import DATABASE_URL_ENV, DEFAULT_DATA_DIR, resolve_database_url

__all__ = [
    "CONFIG_ENV",
    "AuditSettings",
    "BatchSettings",
    "GatewaySettings",
    "NotificationRoute",
    "NotificationSettings",
]

CONFIG_ENV = "INTERLOCK_CONFIG"
MiB = 1024 * 1024

# The [gateway] table being loaded; set only for the duration of ``GatewaySettings.load``.
_TOML_TABLE: ContextVar[dict[str, Any]] = ContextVar("interlock_gateway_toml", default={})  # noqa: B039

NonNegativeDelta = Annotated[timedelta, Field(ge=timedelta(0))]
PositiveDelta = Annotated[timedelta, Field(gt=timedelta(0))]


class GatewaySettings(BaseSettings):
    """Everything the gateway needs besides the accounts (which stay in ``[accounts.*]``)."""

    model_config = SettingsConfigDict(
        env_prefix="INTERLOCK_GATEWAY_",
        extra="forbid",
        frozen=True,
        populate_by_name=True,
    )

    # -- where things are -------------------------------------------------------------------
    config: Path = Field(
        default=Path("interlock.toml"), description="interlock.toml with [gateway] and accounts"
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: SQLite under .interlock/",
    )
    data_dir: Path = Field(default=DEFAULT_DATA_DIR, description="SQLite file and signing key")
    audit_signing_key: Path | None = Field(
        default=None, description="Ed25519 PEM key; default: <data_dir>/audit-signing-key.pem"
    )
    run_migrations: bool = Field(default=True, description="alembic upgrade on start-up")

    # -- operations --------------------------------------------------------------------------
    undo_window: NonNegativeDelta = Field(
        default=timedelta(minutes=10), description="terminate/revoke grace period; 0 disables"
    )
    resume_window: PositiveDelta = Field(
        default=timedelta(hours=24), description="a pause expires after this long"
    )
    sync_wait: NonNegativeDelta = Field(
        default=timedelta(seconds=5),
        description="how long a mutating request waits for the worker before answering 202",
    )

    # -- approvals ---------------------------------------------------------------------------
    protected_levels: Annotated[tuple[str, ...], NoDecode] = Field(
        default=("executive",), description="position levels whose sessions need approval"
    )
    protected_positions: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), description="position ids whose sessions need approval"
    )
    approval_ttl: PositiveDelta = Field(default=timedelta(hours=24))
    max_reholds: Annotated[int, Field(ge=0, le=20)] = Field(
        default=3,
        description="how often a stop whose session was resumed at the vendor during its undo "
        "window is held again before it fails as contested (0: fail at once)",
    )

    # -- search ------------------------------------------------------------------------------
    time_zone: str | None = Field(
        default=None,
        description="IANA zone (e.g. Asia/Shanghai) in which a search's dates and times without "
        "a zone are read, unless the request names one (tz); default: UTC",
    )

    # -- manual tasks ------------------------------------------------------------------------
    manual_verbs: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="account → verbs its adapter cannot do that a person does in the vendor's "
        "console: a request creates a tracked task (capability 'manual')",
    )
    exit_poll_interval: NonNegativeDelta = Field(
        default=timedelta(0),
        description="how often paused sessions of accounts without vendor pushes are listed to "
        "find candidates who left on their own (0: never)",
    )
    task_due: PositiveDelta = Field(
        default=timedelta(hours=4), description="how long a manual task has to be done"
    )

    # -- idempotency and limits --------------------------------------------------------------
    idempotency_retention: PositiveDelta = Field(default=timedelta(hours=24))
    idempotency_stale_after: PositiveDelta = Field(
        default=timedelta(minutes=2),
        description="an in-progress key older than this was abandoned by a crash",
    )
    max_body_bytes: Annotated[int, Field(ge=1024)] = 1 * MiB
    max_page_size: Annotated[int, Field(ge=1, le=1000)] = 200
    max_batch_items: Annotated[int, Field(ge=1, le=100_000)] = 1000
    mutation_rate: Annotated[float, Field(ge=0)] = Field(
        default=50.0, description="mutations per second per principal (0 disables)"
    )
    mutation_burst: Annotated[int, Field(ge=1)] = 100
    metrics_token: SecretStr | None = Field(
        default=None,
        description="if set, /metrics needs 'Authorization: Bearer <token>' (a scraper's "
        "credential, not an API key)",
    )
    key_cache_ttl: NonNegativeDelta = Field(
        default=timedelta(seconds=1),
        description="how long an accepted API key is remembered (a revocation takes effect "
        "within this long); 0 looks every key up",
    )

    # -- event streams -----------------------------------------------------------------------
    max_streams_per_principal: Annotated[int, Field(ge=1, le=1000)] = Field(
        default=5, description="event streams one principal may hold open at once (429 beyond)"
    )
    max_streams: Annotated[int, Field(ge=1, le=100_000)] = Field(
        default=200, description="event streams this process serves at once (429 beyond)"
    )
    stream_heartbeat: PositiveDelta = Field(
        default=timedelta(seconds=15), description="a comment line this often keeps it open"
    )
    stream_idle_timeout: PositiveDelta = Field(
        default=timedelta(minutes=10), description="a stream without a change closes after this"
    )

    # -- console -----------------------------------------------------------------------------
    console_idle_timeout: PositiveDelta = Field(
        default=timedelta(minutes=30),
        description="a console sign-in ends after this long without a request",
    )
    console_session_lifetime: PositiveDelta = Field(
        default=timedelta(hours=12),
        description="a console sign-in ends this long after it began, however active",
    )

    # -- worker ------------------------------------------------------------------------------
    worker_enabled: bool = True
    worker_poll_interval: PositiveDelta = Field(default=timedelta(milliseconds=500))
    worker_lease: PositiveDelta = Field(default=timedelta(seconds=30))
    worker_concurrency: Annotated[int, Field(ge=1, le=1000)] = 32
    worker_max_attempts: Annotated[int, Field(ge=1, le=100)] = 5
    worker_retry_base: PositiveDelta = Field(default=timedelta(seconds=2))

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _secret_reference(cls, value: Any) -> Any:
        # "env:VAR" and "file:/path", as for account secrets: the token never sits in the file.
        return resolve_secret(value, where="[gateway] metrics_token", env=os.environ)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            zone_named(value)  # raises ValueError naming the zone
        return value

    @property
    def search_zone(self) -> tzinfo:
        """The zone of a search that names none: ``time_zone``, else UTC."""
        return UTC if self.time_zone is None else zone_named(self.time_zone)

    @field_validator("protected_levels", "protected_positions", mode="before")
    @classmethod
    def _split_csv(cls, value: Any) -> Any:
        # Environment variables carry lists as "a,b"; TOML carries real arrays.
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator(
        "undo_window",
        "resume_window",
        "sync_wait",
        "approval_ttl",
        "idempotency_retention",
        "idempotency_stale_after",
        "worker_poll_interval",
        "worker_lease",
        "worker_retry_base",
        "key_cache_ttl",
        "stream_heartbeat",
        "stream_idle_timeout",
        "task_due",
        "exit_poll_interval",
        mode="before",
    )
    @classmethod
    def _seconds_from_text(cls, value: Any) -> Any:
        # INTERLOCK_GATEWAY_UNDO_WINDOW=30 means seconds, like a bare number in TOML.
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                return value
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Keyword arguments, then the environment, then the ``[gateway]`` table."""
        return init_settings, env_settings, _TomlTable(settings_cls)

    @classmethod
    def load(cls, config: Path | str | None = None, **overrides: Any) -> GatewaySettings:
        """Settings from ``config`` (or ``$INTERLOCK_CONFIG``, or ``interlock.toml``).

        A missing file is fine (defaults and the environment apply); a malformed one or an
        unknown key in ``[gateway]`` is a :class:`ConfigurationError` naming the key.
        ``None`` overrides are ignored, so CLI options can be passed through unchanged.
        """
        path = Path(config or os.environ.get(CONFIG_ENV) or "interlock.toml")
        token = _TOML_TABLE.set(_gateway_table(path))
        try:
            kwargs = {k: v for k, v in overrides.items() if v is not None}
            if os.environ.get(DATABASE_URL_ENV):  # the documented variable beats the file
                kwargs.setdefault("database_url", os.environ[DATABASE_URL_ENV])
            return cls(config=path, **kwargs)
        except ValidationError as exc:
            first = exc.errors()[0]
            key = ".".join(str(p) for p in first["loc"]) or "(table)"
            raise ConfigurationError(
                f"{path}: gateway setting {key!r}: {first['msg']}",
                hint="see docs/decisions/gateway-api.md for the settings and their units",
            ) from None
        except SettingsError as exc:
            raise ConfigurationError(
                f"gateway settings from the environment: {exc}",
                hint="check the INTERLOCK_GATEWAY_* variables",
            ) from None
        finally:
            _TOML_TABLE.reset(token)

    @property
    def resolved_database_url(self) -> str:
        """The explicit URL, else the SQLite default under ``data_dir``."""
        return resolve_database_url(self.database_url, self.data_dir)

    @property
    def signing_key_path(self) -> Path:
        """Where the audit trail's Ed25519 key lives."""
        return self.audit_signing_key or self.data_dir / "audit-signing-key.pem"


def _gateway_table(path: Path) -> dict[str, Any]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid TOML: {exc}", hint="fix the syntax") from None
    table = raw.get("gateway", {})
    if not isinstance(table, dict):
        raise ConfigurationError(f"{path}: [gateway] must be a table")
    return table


class _TomlTable(PydanticBaseSettingsSource):
    """The ``[gateway]`` table as the lowest-priority settings source."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return _TOML_TABLE.get().get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_TOML_TABLE.get())


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
    read_budget: Annotated[int, Field(ge=1)] = Field(
        default=3000,
        description="vendor calls one principal's previews and batch selections may make per "
        "read_budget_window (beyond: 429 with Retry-After)",
    )
    read_budget_window: PositiveDelta = timedelta(minutes=10)

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


class AuditSettings(BaseSettings):
    """How the audit trail is signed and witnessed: ``[audit]``, then ``INTERLOCK_AUDIT_*``.

    ::

        [audit]
        checkpoint_every = 100        # sign a checkpoint every this many records …
        checkpoint_interval = 60      # … and no record stays unsigned longer than this (s)

        [audit.witnesses.vault]       # each checkpoint is also kept outside the database
        kind = "file"
        path = "/mnt/witness/interlock-checkpoints.jsonl"
    """

    model_config = SettingsConfigDict(env_prefix="INTERLOCK_AUDIT_", extra="forbid", frozen=True)

    checkpoint_every: Annotated[int, Field(ge=1, le=1_000_000)] = 100
    checkpoint_interval: PositiveDelta = Field(
        default=timedelta(seconds=60),
        description="the longest a record stays without a signed checkpoint covering it",
    )
    witnesses: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="name → {kind, options} of each audit witness"
    )

    @field_validator("checkpoint_interval", mode="before")
    @classmethod
    def _seconds(cls, value: Any) -> Any:
        return (
            float(value)
            if isinstance(value, str) and value.replace(".", "", 1).isdigit()
            else value
        )

    @classmethod
    def load(cls, config: Path) -> AuditSettings:
        """The ``[audit]`` table of ``config`` (missing file or table: defaults)."""
        try:
            raw = tomllib.loads(config.read_text(encoding="utf-8"))
        except (FileNotFoundError, tomllib.TOMLDecodeError):
            raw = {}  # the gateway's own settings loader reports a malformed file
        table: Any = raw.get("audit", {})
        if not isinstance(table, dict):
            raise ConfigurationError(f"{config}: [audit] must be a table")
        try:
            return cls(**table)
        except ValueError as exc:
            raise ConfigurationError(
                f"{config}: [audit]: {exc}", hint="see docs/security.md (the audit trail)"
            ) from None


class NotificationRoute(BaseModel):
    """Which events go to whom through which channel.

    ``to`` lists recipients: ``"requester"`` (the principal who asked for the operation, at
    their address in ``contacts``), ``"candidate"`` (the candidate, by pseudonymous id: only
    channels that know candidates by it, such as a webhook to an internal tool), or a literal
    address of the channel (an e-mail address, a DingTalk user id).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    events: tuple[str, ...] = Field(min_length=1)
    channel: str = Field(min_length=1)
    to: tuple[str, ...] = Field(min_length=1)
    audience: Literal["hr", "candidate"] = "hr"
    language: Literal["zh-CN", "en"] = "zh-CN"


class NotificationSettings(BaseSettings):
    """``[notifications]``: channels, routes, contacts, delivery, templates, resume links.

    ::

        [notifications]
        link_base_url = "https://interlock.example.com"
        templates_dir = "notification-templates"       # overrides of the shipped defaults
        [notifications.channels.mail]
        type = "email"
        host = "127.0.0.1"
        port = 8025
        sender = "interlock@example.com"
        [[notifications.routes]]
        events = ["operation.finished", "approval.requested"]
        channel = "mail"
        to = ["requester"]
        [notifications.contacts.spec]
        mail = "spec@example.com"
    """

    model_config = SettingsConfigDict(
        env_prefix="INTERLOCK_NOTIFICATIONS_", extra="forbid", frozen=True
    )

    enabled: bool = True
    channels: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="channel name → {type, options...}"
    )
    routes: tuple[NotificationRoute, ...] = ()
    contacts: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="principal name → {channel name: address}"
    )
    templates_dir: Path | None = Field(
        default=None, description="<event>.<lang>.txt files overriding the shipped templates"
    )
    link_base_url: str = Field(
        default="http://127.0.0.1:8000", description="where candidates open resume links"
    )
    max_attempts: Annotated[int, Field(ge=1, le=100)] = 10
    retry_base: PositiveDelta = timedelta(seconds=2)
    retry_max: PositiveDelta = timedelta(minutes=10)
    lease: PositiveDelta = timedelta(seconds=60)
    poll_interval: PositiveDelta = timedelta(milliseconds=500)
    send_timeout: PositiveDelta = timedelta(seconds=20)
    max_defer: NonNegativeDelta = Field(
        default=timedelta(seconds=10),
        description="delivery waits while the worker carries out stops, at most this long",
    )
    concurrency: Annotated[int, Field(ge=1, le=256)] = 16
    claim_size: Annotated[int, Field(ge=1, le=1000)] = 100

    def routes_for(self, event: str) -> list[NotificationRoute]:
        """The routes that carry ``event`` (none when notifications are off)."""
        if not self.enabled:
            return []
        return [route for route in self.routes if event in route.events]

    @classmethod
    def load(cls, config: Path) -> NotificationSettings:
        """The ``[notifications]`` table of ``config`` (missing file or table: defaults)."""
        try:
            raw = tomllib.loads(config.read_text(encoding="utf-8"))
        except (FileNotFoundError, tomllib.TOMLDecodeError):
            raw = {}
        table: Any = raw.get("notifications", {})
        if not isinstance(table, dict):
            raise ConfigurationError(f"{config}: [notifications] must be a table")
        try:
            return cls(**table)
        except ValueError as exc:
            raise ConfigurationError(
                f"{config}: [notifications]: {exc}", hint="see docs/notifications.md"
            ) from None
