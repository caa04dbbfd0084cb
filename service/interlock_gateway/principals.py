"""Principals and their API keys: create (key shown once), list, link, revoke, authenticate.

What a principal owns is explicit and per account (see :class:`~.store.tables.Principal`):
vendor user ids per account (``vendor_users``), and ``account/id`` grants of positions and
departments. Nothing is ever matched by the principal's own name.

A key reads ``ilk_<prefix>_<secret>``: the 8-character prefix is public (it names the key in
lists and audit records), the secret is 256 random bits of which only the SHA-256 is stored.
SHA-256 rather than a slow password hash is right here because the secret is high-entropy
random, not a human password; comparison is constant-time.
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import re
import secrets
import string
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from interlock.errors import InvalidRequest

from .policy import Caller
from .store.engine import Database
from .store.tables import ApiKey, Principal, Role
from .store.types import utcnow

__all__ = [
    "KEY_PREFIX",
    "NAME_PATTERN",
    "Authenticated",
    "KeyInfo",
    "NewPrincipal",
    "PrincipalExists",
    "PrincipalInfo",
    "PrincipalNotFound",
    "authenticate",
    "caller_of",
    "create_principal",
    "get_principal",
    "grant",
    "issue_key",
    "link_vendor_users",
    "list_keys",
    "list_principals",
    "revoke_key",
    "revoke_principal",
    "scoped_ids",
    "vendor_user_ids",
]

KEY_PREFIX = "ilk_"
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_KEY_SHAPE = re.compile(r"^(ilk_[a-z0-9]{8})_([A-Za-z0-9_-]{43,128})$")
# ASCII only: a name is an identifier in the audit trail, where "аdmin" (Cyrillic а) must not
# pass for "admin"; and the API's schema states the same rule in any regex dialect.
NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,99}$"
_NAME = re.compile(NAME_PATTERN)
_ID = re.compile(r"^[\w.:-]{1,200}$")
_ACCOUNT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$")
# Writing last_used_at on every request would turn each read into a write; a minute is
# precise enough to answer "is this key still in use?".
DEFAULT_TOUCH_INTERVAL = timedelta(minutes=1)
# Compared against when the prefix is unknown, so a miss costs the same as a wrong secret.
_DUMMY_HASH = hashlib.sha256(b"interlock-no-such-key").hexdigest()


class PrincipalExists(InvalidRequest):
    """A principal with this name already exists."""

    code = "INTERLOCK.PRINCIPAL_EXISTS"
    title = "Principal exists"


class PrincipalNotFound(InvalidRequest):
    """No principal has this name."""

    code = "INTERLOCK.PRINCIPAL_NOT_FOUND"
    title = "Principal not found"


class PrincipalInfo(BaseModel):
    """A principal as callers see it (never with a key or hash)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: int
    name: str
    role: Role
    positions: tuple[str, ...]
    departments: tuple[str, ...]
    vendor_users: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    legacy_grants: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="grants made before ownership was per account: they grant nothing",
    )
    tenant: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        """Not revoked."""
        return self.revoked_at is None

    @classmethod
    def of(cls, row: Principal) -> PrincipalInfo:
        """The view of a stored row."""
        return cls(
            id=row.id,
            name=row.name,
            role=Role(row.role),
            positions=tuple(row.positions),
            departments=tuple(row.departments),
            vendor_users={a: tuple(ids) for a, ids in sorted((row.vendor_users or {}).items())},
            legacy_grants={k: tuple(v) for k, v in (row.legacy_grants or {}).items()},
            tenant=row.tenant,
            created_at=row.created_at,
            revoked_at=row.revoked_at,
        )


class NewPrincipal(BaseModel):
    """A freshly created principal and its key: the only time the key exists in clear."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    principal: PrincipalInfo
    key: str = Field(repr=False)
    key_id: str


class Authenticated(BaseModel):
    """Who a request's key belongs to, and which key (its public prefix) was used."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    principal: PrincipalInfo
    key_id: str


class KeyInfo(BaseModel):
    """An API key's public facts: its prefix, owner and use (never the secret or its hash)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key_id: str
    principal: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


def caller_of(info: PrincipalInfo, key_id: str | None, ip: str | None) -> Caller:
    """The policy's view of a principal who authenticated with ``key_id`` (API or console)."""
    return Caller(
        principal_id=info.id,
        name=info.name,
        role=Role(info.role),
        positions=frozenset(info.positions),
        departments=frozenset(info.departments),
        vendor_users={a: frozenset(ids) for a, ids in info.vendor_users.items()},
        tenant=info.tenant,
        key_id=key_id,
        ip=ip,
    )


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _new_key() -> tuple[str, str, str]:
    """``(key, prefix, secret_hash)`` for a new random key."""
    prefix = KEY_PREFIX + "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(8))
    secret = secrets.token_urlsafe(32)  # 32 bytes = 256 bits
    return f"{prefix}_{secret}", prefix, _hash_secret(secret)


def _check_account(account: str, accounts: Collection[str] | None) -> None:
    if not _ACCOUNT.match(account):
        raise InvalidRequest(f"account name {account!r} is not valid", hint="as in interlock.toml")
    if accounts is not None and account not in accounts:
        close = difflib.get_close_matches(account, list(accounts), n=1)
        known = ", ".join(sorted(accounts)) or "none"
        raise InvalidRequest(
            f"no account named {account!r} is configured",
            hint=f"did you mean {close[0]!r}?" if close else f"configured accounts: {known}",
        )


def _check_id(kind: str, value: str) -> None:
    if not _ID.match(value):
        raise InvalidRequest(f"{kind} id {value!r} is not valid", hint="letters, digits, ._:-")


def scoped_ids(
    kind: str, values: Sequence[str], accounts: Collection[str] | None = None
) -> list[str]:
    """``account/id`` grants, checked (account configured when ``accounts`` is given) and
    de-duplicated in order. An id without its account is refused: ids are the vendor's and
    mean nothing outside their account."""
    for value in values:
        account, slash, ident = value.partition("/")
        if not slash or not ident:
            raise InvalidRequest(
                f"{kind} {value!r} names no account",
                hint=f"write ACCOUNT/{kind.upper()}_ID, e.g. dingtalk-hq/{value or 'P1'}",
            )
        _check_account(account, accounts)
        _check_id(kind, ident)
    return list(dict.fromkeys(values))


def vendor_user_ids(
    links: Mapping[str, Sequence[str]], accounts: Collection[str] | None = None
) -> dict[str, list[str]]:
    """``{account: [vendor user id, ...]}`` checked and de-duplicated (empty lists dropped)."""
    checked: dict[str, list[str]] = {}
    for account, ids in links.items():
        _check_account(account, accounts)
        for ident in ids:
            _check_id("vendor user", ident)
        if ids:
            checked[account] = list(dict.fromkeys(ids))
    return dict(sorted(checked.items()))


async def _find(session: AsyncSession, name: str) -> Principal:
    row = await session.scalar(select(Principal).where(Principal.name == name))
    if row is None:
        raise PrincipalNotFound(
            f"no principal named {name!r}", hint="see `interlock principals list`"
        )
    return row


async def _add_key(session: AsyncSession, principal_id: int) -> tuple[str, str]:
    key, prefix, secret_hash = _new_key()
    session.add(ApiKey(principal_id=principal_id, prefix=prefix, secret_hash=secret_hash))
    await session.flush()
    return key, prefix


async def create_principal(
    session: AsyncSession,
    name: str,
    role: Role | str,
    *,
    positions: Sequence[str] = (),
    departments: Sequence[str] = (),
    vendor_users: Mapping[str, Sequence[str]] | None = None,
    accounts: Collection[str] | None = None,
    tenant: str = "default",
) -> NewPrincipal:
    """Create a principal with one key, in the caller's transaction; returns the key once.

    :param positions: ``account/position`` grants. :param departments: ``account/department``.
    :param vendor_users: account → vendor user ids this principal is.
    :param accounts: the configured accounts, to refuse links to accounts that do not exist.
    """
    if not _NAME.fullmatch(name):
        raise InvalidRequest(
            f"principal name {name!r} is not valid", hint="ASCII letters, digits and ._@-"
        )
    try:
        role = Role(role)
    except ValueError as exc:
        choices = ", ".join(r.value for r in Role)
        raise InvalidRequest(f"unknown role {role!r}", hint=f"one of {choices}") from exc
    row = Principal(
        name=name,
        role=role.value,
        positions=scoped_ids("position", positions, accounts),
        departments=scoped_ids("department", departments, accounts),
        vendor_users=vendor_user_ids(vendor_users or {}, accounts),
        legacy_grants={},
        tenant=tenant,
    )
    if await session.scalar(select(Principal.id).where(Principal.name == name)) is not None:
        raise PrincipalExists(f"a principal named {name!r} already exists")
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError as exc:  # lost a race with a concurrent create
        raise PrincipalExists(f"a principal named {name!r} already exists") from exc
    key, prefix = await _add_key(session, row.id)
    return NewPrincipal(principal=PrincipalInfo.of(row), key=key, key_id=prefix)


async def link_vendor_users(
    session: AsyncSession,
    name: str,
    account: str,
    user_ids: Sequence[str],
    *,
    accounts: Collection[str] | None = None,
) -> tuple[PrincipalInfo, PrincipalInfo]:
    """Set the vendor user ids ``name`` is on ``account`` (empty: unlink the account).

    :returns: the principal before and after (for the audit record).
    """
    row = await _find(session, name)
    before = PrincipalInfo.of(row)
    links = dict(row.vendor_users or {})
    links.pop(account, None)
    links.update(vendor_user_ids({account: list(user_ids)}, accounts))
    row.vendor_users = dict(sorted(links.items()))
    await session.flush()
    return before, PrincipalInfo.of(row)


async def grant(
    session: AsyncSession,
    name: str,
    *,
    positions: Sequence[str] = (),
    departments: Sequence[str] = (),
    revoke: bool = False,
    accounts: Collection[str] | None = None,
) -> tuple[PrincipalInfo, PrincipalInfo]:
    """Add (or, with ``revoke``, remove) ``account/id`` grants; before and after."""
    row = await _find(session, name)
    before = PrincipalInfo.of(row)
    new_positions = scoped_ids("position", positions, accounts)
    new_departments = scoped_ids("department", departments, accounts)
    if revoke:
        row.positions = [p for p in row.positions if p not in new_positions]
        row.departments = [d for d in row.departments if d not in new_departments]
    else:
        row.positions = list(dict.fromkeys([*row.positions, *new_positions]))
        row.departments = list(dict.fromkeys([*row.departments, *new_departments]))
    await session.flush()
    return before, PrincipalInfo.of(row)


async def issue_key(session: AsyncSession, name: str) -> tuple[str, str]:
    """A further key for an active principal (rotation): ``(key, key_id)``, shown once."""
    row = await _find(session, name)
    if row.revoked_at is not None:
        raise InvalidRequest(f"principal {name!r} is revoked")
    return await _add_key(session, row.id)


async def get_principal(session: AsyncSession, name: str) -> PrincipalInfo:
    """One principal by name."""
    return PrincipalInfo.of(await _find(session, name))


async def list_principals(session: AsyncSession) -> list[PrincipalInfo]:
    """Every principal, revoked ones included, by name."""
    rows = await session.scalars(select(Principal).order_by(Principal.name))
    return [PrincipalInfo.of(row) for row in rows]


async def list_keys(session: AsyncSession, name: str | None = None) -> list[KeyInfo]:
    """Keys (of one principal, or of all), oldest first."""
    statement = select(ApiKey, Principal.name).join(Principal, ApiKey.principal_id == Principal.id)
    if name is not None:
        statement = statement.where(Principal.name == name)
    rows = await session.execute(statement.order_by(ApiKey.id))
    return [
        KeyInfo(
            key_id=key.prefix,
            principal=owner,
            created_at=key.created_at,
            last_used_at=key.last_used_at,
            revoked_at=key.revoked_at,
        )
        for key, owner in rows
    ]


async def revoke_key(session: AsyncSession, key_id: str) -> None:
    """Revoke one key by its public prefix (idempotent; the principal's other keys stay)."""
    key = await session.scalar(select(ApiKey).where(ApiKey.prefix == key_id))
    if key is None:
        raise PrincipalNotFound(f"no key with id {key_id!r}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()


async def revoke_principal(session: AsyncSession, name: str) -> PrincipalInfo:
    """Revoke a principal and every key it holds (idempotent)."""
    row = await _find(session, name)
    now = utcnow()
    if row.revoked_at is None:
        row.revoked_at = now
    await session.execute(
        update(ApiKey)
        .where(ApiKey.principal_id == row.id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.flush()
    return PrincipalInfo.of(row)


async def authenticate(
    db: Database,
    key: str,
    *,
    touch_interval: timedelta = DEFAULT_TOUCH_INTERVAL,
) -> Authenticated | None:
    """The principal a key belongs to, or ``None`` (unknown, malformed, wrong or revoked).

    Reads in a read transaction and records ``last_used_at`` in a short write of its own, at
    most once per ``touch_interval`` per key.
    """
    match = _KEY_SHAPE.match(key.strip())
    prefix, secret = match.groups() if match else ("", "")
    async with db.session() as session:
        found = (
            await session.execute(
                select(ApiKey, Principal)
                .join(Principal, ApiKey.principal_id == Principal.id)
                .where(ApiKey.prefix == prefix)
            )
        ).one_or_none()
    stored_hash = found[0].secret_hash if found else _DUMMY_HASH
    if not hmac.compare_digest(stored_hash, _hash_secret(secret)) or not found:
        return None
    api_key, principal = found
    if api_key.revoked_at is not None or principal.revoked_at is not None:
        return None
    now = utcnow()
    if api_key.last_used_at is None or now - api_key.last_used_at >= touch_interval:
        async with db.write() as session:
            await session.execute(
                update(ApiKey).where(ApiKey.id == api_key.id).values(last_used_at=now)
            )
    return Authenticated(principal=PrincipalInfo.of(principal), key_id=prefix)
