"""Principals and API keys: create, list, revoke, authenticate (both backends)."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from interlock.errors import InvalidRequest
from interlock_gateway.principals import (
    PrincipalExists,
    PrincipalNotFound,
    authenticate,
    create_principal,
    get_principal,
    issue_key,
    list_keys,
    list_principals,
    revoke_key,
    revoke_principal,
)
from interlock_gateway.store import Database
from interlock_gateway.store.tables import ApiKey, Role

KEY_SHAPE = re.compile(r"^ilk_[a-z0-9]{8}_[A-Za-z0-9_-]{43}$")


async def _add(db: Database, name: str = "alice", role: str = "specialist") -> str:
    async with db.write() as session:
        created = await create_principal(
            session, name, role, positions=["a/p-1", "a/p-2", "a/p-1"], departments=["a/d-9"]
        )
    return created.key


async def test_create_returns_the_key_once_and_stores_only_a_hash(db: Database) -> None:
    async with db.write() as session:
        created = await create_principal(session, "alice", Role.MANAGER, departments=["a/d-1"])
    assert KEY_SHAPE.match(created.key)
    assert created.key not in repr(created)
    assert created.key_id == created.key[:12]
    async with db.session() as session:
        stored = (await session.scalars(select(ApiKey))).one()
    secret = created.key[13:]
    assert stored.prefix == created.key_id
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (stored.prefix + stored.secret_hash)
    assert created.principal.role is Role.MANAGER
    assert created.principal.departments == ("a/d-1",)


async def test_list_and_get(db: Database) -> None:
    await _add(db, "bob")
    await _add(db, "alice", "admin")
    async with db.session() as session:
        names = [p.name for p in await list_principals(session)]
        alice = await get_principal(session, "alice")
        keys = await list_keys(session, "bob")
    assert names == ["alice", "bob"]
    assert alice.role is Role.ADMIN
    assert alice.positions == ("a/p-1", "a/p-2")  # de-duplicated, order kept
    assert [k.principal for k in keys] == ["bob"]


@pytest.mark.parametrize(
    ("name", "role", "error"),
    [
        ("alice", "specialist", PrincipalExists),
        ("bad name!", "specialist", InvalidRequest),
        ("carol", "superuser", InvalidRequest),
    ],
    ids=["duplicate", "bad-name", "bad-role"],
)
async def test_create_refuses_bad_input(
    db: Database, name: str, role: str, error: type[Exception]
) -> None:
    await _add(db, "alice")
    with pytest.raises(error):
        async with db.write() as session:
            await create_principal(session, name, role)


async def test_authenticate_records_last_use(db: Database) -> None:
    key = await _add(db)
    found = await authenticate(db, key)
    assert found is not None
    assert found.principal.name == "alice"
    assert found.key_id == key[:12]
    async with db.session() as session:
        first_use = await session.scalar(select(ApiKey.last_used_at))
    assert first_use is not None
    await authenticate(db, key)  # within the touch interval: no second write
    async with db.session() as session:
        assert await session.scalar(select(ApiKey.last_used_at)) == first_use
    await authenticate(db, key, touch_interval=timedelta(0))
    async with db.session() as session:
        later = await session.scalar(select(ApiKey.last_used_at))
    assert later is not None
    assert later >= first_use


@pytest.mark.parametrize(
    "mangle",
    [
        lambda key: key[:-1] + ("A" if key[-1] != "A" else "B"),  # wrong secret
        lambda key: "ilk_zzzzzzzz" + key[12:],  # unknown prefix
        lambda key: key[:20],  # truncated
        lambda key: "",  # empty
        lambda key: "Bearer " + key,  # header pasted whole
        lambda key: key.replace("ilk_", "xyz_"),  # wrong scheme
    ],
    ids=["wrong-secret", "unknown-prefix", "truncated", "empty", "with-bearer", "wrong-scheme"],
)
async def test_authenticate_refuses_wrong_keys(db: Database, mangle: object) -> None:
    key = await _add(db)
    assert callable(mangle)
    assert await authenticate(db, mangle(key)) is None


async def test_revoked_principal_and_keys_are_refused(db: Database) -> None:
    key = await _add(db)
    async with db.write() as session:
        revoked = await revoke_principal(session, "alice")
        again = await revoke_principal(session, "alice")  # idempotent
    assert not revoked.active
    assert again.revoked_at == revoked.revoked_at
    assert await authenticate(db, key) is None
    async with db.session() as session:
        assert all(k.revoked_at is not None for k in await list_keys(session))
    with pytest.raises(InvalidRequest):
        async with db.write() as session:
            await issue_key(session, "alice")


async def test_one_key_revoked_the_other_still_works(db: Database) -> None:
    first = await _add(db)
    async with db.write() as session:
        second, second_id = await issue_key(session, "alice")
        await revoke_key(session, first[:12])
    assert await authenticate(db, first) is None
    found = await authenticate(db, second)
    assert found is not None
    assert found.key_id == second_id


async def test_unknown_principal(db: Database) -> None:
    with pytest.raises(PrincipalNotFound):
        async with db.write() as session:
            await revoke_principal(session, "nobody")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"positions": ["p-1"]}, "names no account"),
        ({"departments": ["sales"]}, "names no account"),
        ({"positions": ["nosuch/p-1"]}, "no account named 'nosuch'"),
        ({"vendor_users": {"nosuch": ["u1"]}}, "no account named 'nosuch'"),
        ({"vendor_users": {"a": ["bad id!"]}}, "vendor user id"),
    ],
    ids=["position-without-account", "department-without-account", "unknown-account",
         "link-to-unknown-account", "bad-vendor-user"],
)  # fmt: skip
async def test_grants_and_links_must_name_a_configured_account(
    db: Database, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidRequest, match=message):
        async with db.write() as session:
            await create_principal(session, "alice", "specialist", accounts=["a"], **kwargs)  # type: ignore[arg-type]


async def test_links_are_per_account_and_replace_that_accounts_links(db: Database) -> None:
    from interlock_gateway.principals import link_vendor_users

    async with db.write() as session:
        await create_principal(
            session, "alice", "specialist", vendor_users={"a": ["u1"], "b": ["u9"]}
        )
        before, after = await link_vendor_users(session, "alice", "a", ["u2", "u3"])
    assert before.vendor_users == {"a": ("u1",), "b": ("u9",)}
    assert after.vendor_users == {"a": ("u2", "u3"), "b": ("u9",)}
    async with db.write() as session:
        _, unlinked = await link_vendor_users(session, "alice", "b", [])
    assert unlinked.vendor_users == {"a": ("u2", "u3")}
