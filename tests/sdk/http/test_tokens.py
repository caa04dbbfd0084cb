"""TokenCache: caching, single flight (for success and failure), invalidation, no printing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from interlock.errors import VendorAuthFailed
from interlock.http import Token, TokenCache


class TokenEndpoint:
    """A fetch function that hands out numbered tokens (or fails) after a real suspension."""

    def __init__(self, clock: Any, lifetime_s: float = 7200.0) -> None:
        self.clock = clock
        self.lifetime_s = lifetime_s
        self.calls = 0
        self.fail_with: Exception | None = None

    async def __call__(self) -> Token:
        self.calls += 1
        await asyncio.sleep(0.005)
        if self.fail_with is not None:
            raise self.fail_with
        return Token.expiring_in(f"tok-{self.calls}", self.lifetime_s, clock=self.clock)


@pytest.fixture
def endpoint(clock: Any) -> TokenEndpoint:
    return TokenEndpoint(clock)


@pytest.fixture
def tokens(endpoint: TokenEndpoint, clock: Any) -> TokenCache:
    return TokenCache(endpoint, refresh_margin_s=60.0, clock=clock)


async def test_token_is_cached_until_the_refresh_margin(
    tokens: TokenCache, endpoint: TokenEndpoint, clock: Any
) -> None:
    assert await tokens.get() == "tok-1"
    clock.advance(7200 - 60 - 1)
    assert await tokens.get() == "tok-1"
    clock.advance(1)
    assert await tokens.get() == "tok-2"
    assert endpoint.calls == tokens.fetch_count == 2


async def test_fifty_concurrent_callers_share_one_fetch(
    tokens: TokenCache, endpoint: TokenEndpoint, clock: Any
) -> None:
    await tokens.get()
    clock.advance(7200)

    values = await asyncio.gather(*(tokens.get() for _ in range(50)))

    assert set(values) == {"tok-2"}
    assert endpoint.calls == 2


async def test_a_failed_fetch_is_shared_then_retried_by_the_next_caller(
    tokens: TokenCache, endpoint: TokenEndpoint
) -> None:
    endpoint.fail_with = VendorAuthFailed("bad app secret")

    results = await asyncio.gather(*(tokens.get() for _ in range(50)), return_exceptions=True)

    assert endpoint.calls == 1  # not fifty fetches in a row against a failing endpoint
    assert all(isinstance(r, VendorAuthFailed) for r in results)
    endpoint.fail_with = None
    assert await tokens.get() == "tok-2"


async def test_a_cancelled_caller_does_not_cancel_the_shared_fetch(
    tokens: TokenCache, endpoint: TokenEndpoint
) -> None:
    first = asyncio.create_task(tokens.get())
    second = asyncio.create_task(tokens.get())
    await asyncio.sleep(0)
    first.cancel()

    assert await second == "tok-1"
    assert first.cancelled()
    assert endpoint.calls == 1


async def test_invalidate_drops_only_the_token_that_failed(
    tokens: TokenCache, endpoint: TokenEndpoint
) -> None:
    stale = await tokens.get()
    tokens.invalidate(stale)
    fresh = await tokens.get()
    assert fresh == "tok-2"

    tokens.invalidate(stale)  # a late report about the old token must not drop the new one
    assert await tokens.get() == fresh
    assert endpoint.calls == 2


async def test_short_lived_tokens_are_not_refetched_on_every_call(
    clock: Any,
) -> None:
    endpoint = TokenEndpoint(clock, lifetime_s=30.0)  # shorter than the 60 s margin
    tokens = TokenCache(endpoint, refresh_margin_s=60.0, clock=clock)

    for _ in range(5):
        assert await tokens.get() == "tok-1"
        clock.advance(2.0)
    clock.advance(5.0)  # 15 s in: half the lifetime is gone, refresh early
    assert await tokens.get() == "tok-2"


def test_token_value_never_appears_in_repr() -> None:
    token = Token(value="s3cr3t-value", expires_at=12.0)
    cache = TokenCache(lambda: asyncio.sleep(0, token))

    for text in (repr(token), str(token), repr(cache), f"{token}", f"{cache!r}"):
        assert "s3cr3t-value" not in text
    assert "***" in repr(token)
