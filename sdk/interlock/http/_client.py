"""``VendorClient``: the one way adapters talk HTTP to a vendor.

It owns, so that no adapter re-implements them: the injected transport, a timeout on every
call, the client-side rate limiter, the retry policy, token application with refresh-and-replay
once, translation of transport failures, read-back after an ambiguous mutation, and logs that
carry the vendor request id and never a secret.
"""

from __future__ import annotations

import logging
import re
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import httpx

from interlock.errors import (
    InterlockError,
    VendorAuthFailed,
    VendorProtocolError,
    VendorTimeout,
    VendorTokenExpired,
    VendorUnavailable,
)
from interlock.http._ratelimit import RateLimiter
from interlock.http._retry import RetryPolicy
from interlock.http._tokens import TokenCache

__all__ = ["ReadBack", "VendorClient", "VendorReply"]

log = logging.getLogger("interlock.http")

Interpreter = Callable[[httpx.Response], Any]
"""Reads a vendor response (status *and* body); returns the payload or raises a neutral error.
Raise :class:`VendorTokenExpired` for the vendor's expired-token signal."""

TokenApplier = Callable[[httpx.Request, str], None]
"""Puts the access token where this vendor wants it (header, query)."""

QueryParams = Mapping[str, Any] | Sequence[tuple[str, Any]]
"""Query parameters: a mapping, or pairs when a name repeats (``status=A&status=B``)."""

ReadBack = Callable[[], Awaitable[Any | None]]
"""Called after a mutation failed ambiguously: returns evidence that it took effect, or None."""

_BEFORE_SEND = (httpx.ConnectTimeout, httpx.ConnectError, httpx.PoolTimeout)

_REDACTED = "***"
# Query parameters that carry credentials by name, whatever the vendor (httpx logs full URLs).
_SECRET_PARAM = re.compile(
    r"(?i)([?&](?:[a-z_]*token|[a-z_]*secret|password|passwd|signature|sign|"
    r"client_assertion|code|ticket)=)[^&#\s\"']+"
)


def _redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, _REDACTED)
    return _SECRET_PARAM.sub(rf"\1{_REDACTED}", text)


class _RedactingFilter(logging.Filter):
    """Redacts credentials from the ``httpx`` logger, which logs every request's full URL
    (where vendors such as DingTalk expect ``access_token`` or an app secret)."""

    def __init__(self) -> None:
        super().__init__()
        self.clients: weakref.WeakSet[VendorClient] = weakref.WeakSet()

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = [s for client in list(self.clients) for s in client._secrets]
        message = record.getMessage()
        redacted = _redact(message, secrets)
        if redacted != message or record.args:
            record.msg, record.args = redacted, ()
        return True


_HTTPX_FILTER = _RedactingFilter()


def _watch_httpx_log(client: VendorClient) -> None:
    logger = logging.getLogger("httpx")
    if _HTTPX_FILTER not in logger.filters:
        logger.addFilter(_HTTPX_FILTER)
    _HTTPX_FILTER.clients.add(client)


@dataclass(frozen=True)
class VendorReply:
    """A successful call: the interpreted payload and the vendor's request id."""

    data: Any
    request_id: str | None = None
    status_code: int | None = None
    confirmed_by_read_back: bool = False


class VendorClient:
    """Async HTTP client for one account of one vendor.

    :param account: the account name (in logs and errors).
    :param base_url: the vendor host, e.g. ``https://api.dingtalk.com``.
    :param interpret: the adapter's response interpreter (see :data:`Interpreter`).
    :param transport: injected transport (tests, doubles); the network when None.
    :param tokens: where access tokens come from; None for unauthenticated vendors.
    :param apply_token: how a token goes on a request (required with ``tokens``).
    :param retry: the retry policy (one per client, so its budget is per account).
    :param limiter: the client-side rate limiter, keyed ``{account}:{api}``.
    :param timeout_s: the timeout applied to every call.
    :param request_id_header: the response header carrying the vendor's request id.
    :param secrets: strings that must never appear in a log line or error (defence in depth).
    """

    def __init__(
        self,
        *,
        account: str,
        base_url: str,
        interpret: Interpreter,
        transport: httpx.AsyncBaseTransport | None = None,
        tokens: TokenCache | None = None,
        apply_token: TokenApplier | None = None,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        timeout_s: float = 10.0,
        request_id_header: str | None = None,
        secrets: Iterable[str] = (),
    ) -> None:
        if (tokens is None) != (apply_token is None):
            raise ValueError("tokens and apply_token go together")
        self.account = account
        self._interpret = interpret
        self._tokens = tokens
        self._apply_token = apply_token
        self.retry = retry or RetryPolicy()
        self._limiter = limiter
        self._timeout = httpx.Timeout(timeout_s)
        self._request_id_header = request_id_header
        self._secrets = tuple(s for s in secrets if s)
        # The transport is used directly, without httpx.AsyncClient: vendor APIs need no cookie
        # jar or redirects, the client's per-request URL merging and cookie extraction cost
        # more CPU than everything else in a call, and its request log line would print the
        # query string (some vendors put the access token there).
        self._base_url = base_url.rstrip("/")
        self._owns_transport = transport is None
        self._transport = transport or httpx.AsyncHTTPTransport()
        self._closed = False
        self.calls = 0
        _watch_httpx_log(self)

    def __repr__(self) -> str:
        text = f"<VendorClient account={self.account!r} base_url={self._base_url!r}>"
        return _redact(text, self._secrets)

    @property
    def tokens(self) -> TokenCache | None:
        return self._tokens

    @property
    def is_closed(self) -> bool:
        return self._closed

    async def aclose(self) -> None:
        self._closed = True
        if self._owns_transport:
            await self._transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        api: str,
        params: QueryParams | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        authenticated: bool = True,
        mutating: bool | None = None,
        read_back: ReadBack | None = None,
        interpret: Interpreter | None = None,
    ) -> VendorReply:
        """Call the vendor with retries, limits and token handling; return the interpreted reply.

        :param api: the vendor API group (rate-limit key and log field), e.g. ``interviews.query``.
        :param mutating: whether the call changes vendor state; defaults to "not GET/HEAD".
            Pass ``False`` for read endpoints that use POST.
        :param read_back: for mutations, how to find out whether an ambiguous attempt (timeout
            or reset after sending) took effect. Without it such a failure is raised, never
            retried, because a blind resend could apply the mutation twice.
        """
        is_mutation = method.upper() not in ("GET", "HEAD") if mutating is None else mutating
        call = _Call(
            method=method.upper(),
            path=path,
            api=api,
            params=params,
            json=json,
            data=data,
            headers=headers,
            authenticated=authenticated,
            mutating=is_mutation,
            read_back=read_back,
            interpret=interpret or self._interpret,
        )
        async for attempt in self.retry.retrying():
            with attempt:
                number = attempt.retry_state.attempt_number
                if number == 1:
                    self.retry.budget.record_attempt()
                return await self._attempt(call, number)
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def _attempt(self, call: _Call, attempt: int) -> VendorReply:
        replayed = False
        while True:
            token = await self._tokens.get() if (call.authenticated and self._tokens) else None
            try:
                return await self._send_once(call, attempt, token)
            except VendorTokenExpired:
                if token is None or replayed or self._tokens is None:
                    raise
                # Refresh once and replay: the expired token was the problem, not the request.
                self._tokens.invalidate(token)
                replayed = True
            except VendorTimeout as error:
                if not (error.ambiguous and call.mutating):
                    raise
                return await self._decide_after_ambiguous(call, error)

    async def _decide_after_ambiguous(self, call: _Call, error: VendorTimeout) -> VendorReply:
        # The errors raised here are not retryable: neither this client's retry policy nor any
        # caller up the stack may resend a mutation whose outcome is unknown.
        if call.read_back is None:
            raise VendorTimeout(
                f"{call.api}: the vendor may have applied this change; not resent blind",
                ambiguous=True,
                retryable=False,
                account=self.account,
                hint="read the session back before trying again",
            ) from error
        try:
            evidence = await call.read_back()
        except InterlockError as read_error:
            # Unknown outcome: never fall through to a retry, which would resend blind.
            raise VendorTimeout(
                f"{call.api}: outcome unknown and the read-back failed ({read_error.code})",
                ambiguous=True,
                retryable=False,
                account=self.account,
                hint="read the session back later before trying again",
            ) from read_error
        log.info(
            "vendor.read_back",
            extra={"account": self.account, "api": call.api, "applied": evidence is not None},
        )
        if evidence is not None:
            return VendorReply(data=evidence, confirmed_by_read_back=True)
        # Read back shows the change did not happen: resending is safe (a retryable error).
        raise VendorUnavailable(
            f"{call.api}: the call failed before taking effect (confirmed by read-back)",
            account=self.account,
        ) from error

    async def _send_once(self, call: _Call, attempt: int, token: str | None) -> VendorReply:
        if self._limiter is not None:
            await self._limiter.acquire(f"{self.account}:{call.api}")
        request = httpx.Request(
            call.method,
            self._base_url + call.path,
            params=call.params,  # type: ignore[arg-type]  # httpx accepts pairs and mappings
            json=call.json,
            data=call.data,
            headers=call.headers,
            extensions={"timeout": self._timeout.as_dict()},
        )
        if token is not None and self._apply_token is not None:
            self._apply_token(request, token)
        started = time.monotonic()
        self.calls += 1
        try:
            response = await self._transport.handle_async_request(request)
            response.request = request  # interpreters may read response.url, raise_for_status()
            try:
                await response.aread()
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            raise self._transport_error(call, exc) from None
        except httpx.DecodingError:
            raise VendorProtocolError(
                f"{call.api}: the response body could not be decoded",
                account=self.account,
            ) from None
        request_id = (
            response.headers.get(self._request_id_header) if self._request_id_header else None
        )
        log.info(
            "vendor.call",
            extra={
                "account": self.account,
                "api": call.api,
                "method": call.method,
                "path": _redact(call.path, self._secrets),
                "status": response.status_code,
                "vendor_request_id": request_id,
                "attempt": attempt,
                "elapsed_ms": round((time.monotonic() - started) * 1000, 1),
            },
        )
        try:
            payload = call.interpret(response)
        except InterlockError as error:
            self._scrub(error)
            if isinstance(error, VendorTokenExpired) and token is None:
                raise VendorAuthFailed(
                    f"{call.api}: vendor rejected an unauthenticated call", account=self.account
                ) from None
            raise
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
            # pydantic and json errors are ValueErrors; AttributeError is `body.get` on a list
            # The original text may quote the vendor's body: keep only its type and the field.
            field = _first_field(exc)
            where = f" at field {field!r}" if field else ""
            raise VendorProtocolError(
                f"{call.api}: unreadable vendor response ({type(exc).__name__}{where})",
                account=self.account,
                vendor_request_id=request_id,
                field=field,
            ) from None
        return VendorReply(data=payload, request_id=request_id, status_code=response.status_code)

    def _transport_error(self, call: _Call, exc: httpx.TransportError) -> VendorTimeout:
        ambiguous = not isinstance(exc, _BEFORE_SEND)
        when = "after sending" if ambiguous else "before sending"
        return VendorTimeout(
            f"{call.api}: {type(exc).__name__} {when}",
            ambiguous=ambiguous,
            account=self.account,
        )

    def _scrub(self, error: InterlockError) -> None:
        """Remove any registered secret from an error's text and details (defence in depth)."""
        error.message = _redact(error.message, self._secrets)
        error.args = (error.message,)
        if error.hint is not None:
            error.hint = _redact(error.hint, self._secrets)
        for key, value in error.details.items():
            if isinstance(value, str):
                error.details[key] = _redact(value, self._secrets)
        for name in ("vendor_code", "vendor_request_id"):
            value = getattr(error, name, None)
            if isinstance(value, str):
                setattr(error, name, _redact(value, self._secrets))


def _first_field(exc: Exception) -> str | None:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            return ".".join(str(p) for p in first.get("loc", ())) or None
        except (IndexError, TypeError):
            return None
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    return None


@dataclass(frozen=True, kw_only=True)
class _Call:
    method: str
    path: str
    api: str
    params: QueryParams | None
    json: Any
    data: Mapping[str, Any] | None
    headers: Mapping[str, str] | None
    authenticated: bool
    mutating: bool
    read_back: ReadBack | None
    interpret: Interpreter
