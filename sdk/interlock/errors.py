"""The one error tree of Interlock.

Every error carries a stable machine ``code`` (namespaced, safe to match on) and a ``retryable``
flag that the retry policy reads. Adapters translate vendor failures into this tree at their
boundary (``raise VendorRateLimited(...) from exc``); raw httpx errors and vendor dicts never
leave an adapter. Messages never contain secrets or personal data.

::

    InterlockError
    ├── ConfigurationError        INTERLOCK.CONFIGURATION
    │   └── AdapterNotFound           INTERLOCK.ADAPTER_NOT_FOUND
    ├── PluginError               INTERLOCK.PLUGIN_ERROR
    ├── InvalidRequest            INTERLOCK.INVALID_REQUEST
    ├── PolicyDenied              INTERLOCK.POLICY_DENIED
    ├── VendorError               VENDOR.*  (account, vendor_request_id)
    │   ├── VendorAuthFailed          VENDOR.AUTH_FAILED
    │   │   └── VendorTokenExpired        (signal: refresh the token and replay once)
    │   ├── VendorPermissionDenied    VENDOR.PERMISSION_DENIED  (required_scopes)
    │   ├── VendorRateLimited         VENDOR.RATE_LIMITED       retryable (retry_after)
    │   ├── VendorUnavailable         VENDOR.UNAVAILABLE        retryable
    │   │   └── VendorTimeout             (ambiguous=True when the request may have been sent)
    │   ├── VendorProtocolError       VENDOR.PROTOCOL_ERROR     (field)
    │   └── VendorQuotaExhausted      VENDOR.QUOTA_EXHAUSTED
    ├── SessionError              SESSION.*
    │   ├── SessionNotFound           SESSION.NOT_FOUND
    │   └── InvalidTransition         SESSION.INVALID_TRANSITION
    └── OperationError            OPERATION.*
        ├── UnsupportedOperation      OPERATION.UNSUPPORTED
        └── AdapterFailure            OPERATION.ADAPTER_FAILED
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AdapterFailure",
    "AdapterNotFound",
    "ConfigurationError",
    "InterlockError",
    "InvalidRequest",
    "InvalidTransition",
    "OperationError",
    "PluginError",
    "PolicyDenied",
    "SessionError",
    "SessionNotFound",
    "UnsupportedOperation",
    "VendorAuthFailed",
    "VendorError",
    "VendorPermissionDenied",
    "VendorProtocolError",
    "VendorQuotaExhausted",
    "VendorRateLimited",
    "VendorTimeout",
    "VendorTokenExpired",
    "VendorUnavailable",
    "all_error_classes",
]


class InterlockError(Exception):
    """Base of every error Interlock raises on purpose."""

    code: ClassVar[str] = "INTERLOCK.ERROR"
    retryable: bool = False
    """Whether trying again may help; a class default that an instance may narrow."""
    title: ClassVar[str] = "Interlock error"

    def __init__(self, message: str, *, hint: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details: dict[str, Any] = details

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt without calling __init__, whose keyword-only arguments differ per class, so
        # that every error survives pickle and copy (process pools, task queues).
        return (_rebuild, (type(self), self.args), self.__dict__.copy())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe description: code, message, hint, retryable and the details."""
        return {
            "code": self.code,
            "title": self.title,
            "message": self.message,
            "hint": self.hint,
            "retryable": self.retryable,
            **{k: v for k, v in self.details.items() if v is not None},
        }


class ConfigurationError(InterlockError):
    """The configuration is wrong; the message names the file, the key and the fix."""

    code = "INTERLOCK.CONFIGURATION"
    title = "Configuration error"


class AdapterNotFound(ConfigurationError):
    """No installed adapter has this name; the message suggests the closest one."""

    code = "INTERLOCK.ADAPTER_NOT_FOUND"
    title = "Adapter not found"


class PluginError(InterlockError):
    """A plug-in could not be loaded (import error, misspelt hook, wrong signature)."""

    code = "INTERLOCK.PLUGIN_ERROR"
    title = "Plug-in error"


class InvalidRequest(InterlockError):
    """The request itself is malformed (a missing reason, a bad session name, ...)."""

    code = "INTERLOCK.INVALID_REQUEST"
    title = "Invalid request"


class PolicyDenied(InterlockError):
    """A permission rule refused the request."""

    code = "INTERLOCK.POLICY_DENIED"
    title = "Denied by policy"


class VendorError(InterlockError):
    """The vendor refused or failed; carries the account and the vendor's request id."""

    code = "VENDOR.ERROR"
    title = "Vendor error"

    def __init__(
        self,
        message: str,
        *,
        account: str | None = None,
        vendor_request_id: str | None = None,
        vendor_code: str | None = None,
        hint: str | None = None,
        **details: Any,
    ) -> None:
        super().__init__(
            message,
            hint=hint,
            account=account,
            vendor_request_id=vendor_request_id,
            vendor_code=vendor_code,
            **details,
        )
        self.account = account
        self.vendor_request_id = vendor_request_id
        self.vendor_code = vendor_code


class VendorAuthFailed(VendorError):
    """The vendor rejected our credentials (after one token refresh, if that applied)."""

    code = "VENDOR.AUTH_FAILED"
    title = "Vendor authentication failed"


class VendorTokenExpired(VendorAuthFailed):
    """The vendor says the access token is expired or unknown: refresh once and replay.

    Raised by an adapter's response interpreter; the HTTP toolkit consumes it. It reaches
    callers only when the replay with a fresh token failed the same way.
    """


class VendorPermissionDenied(VendorError):
    """The credentials are valid but lack a permission (scope, IP allow-list, API grant)."""

    code = "VENDOR.PERMISSION_DENIED"
    title = "Vendor permission denied"

    def __init__(
        self, message: str, *, required_scopes: tuple[str, ...] = (), **kwargs: Any
    ) -> None:
        super().__init__(message, required_scopes=list(required_scopes) or None, **kwargs)
        self.required_scopes = required_scopes


class VendorRateLimited(VendorError):
    """The vendor throttled us; ``retry_after`` (seconds) when the vendor said."""

    code = "VENDOR.RATE_LIMITED"
    retryable = True
    title = "Vendor rate limit"

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, retry_after=retry_after, **kwargs)
        self.retry_after = retry_after


class VendorUnavailable(VendorError):
    """The vendor is failing (5xx, connection refused, system busy); worth retrying."""

    code = "VENDOR.UNAVAILABLE"
    retryable = True
    title = "Vendor unavailable"


class VendorTimeout(VendorUnavailable):
    """The call timed out or the connection broke.

    ``ambiguous`` is true when the request may have reached the vendor: a mutation that
    failed this way is never sent again blind; the toolkit reads the session back instead,
    and when it cannot, raises this error with ``retryable=False`` so that no caller further
    up resends it either.
    """

    def __init__(
        self, message: str, *, ambiguous: bool, retryable: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(message, ambiguous=ambiguous, **kwargs)
        self.ambiguous = ambiguous
        self.retryable = retryable


class VendorProtocolError(VendorError):
    """The vendor answered something we cannot understand; ``field`` names what was wrong."""

    code = "VENDOR.PROTOCOL_ERROR"
    title = "Vendor protocol error"

    def __init__(self, message: str, *, field: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, field=field, **kwargs)
        self.field = field


class VendorQuotaExhausted(VendorError):
    """A long-period quota (monthly, daily) is used up; retrying now cannot help."""

    code = "VENDOR.QUOTA_EXHAUSTED"
    title = "Vendor quota exhausted"


class SessionError(InterlockError):
    """A problem with the targeted session."""

    code = "SESSION.ERROR"
    title = "Session error"


class SessionNotFound(SessionError):
    """The session does not exist (or the caller may not see it)."""

    code = "SESSION.NOT_FOUND"
    title = "Session not found"


class InvalidTransition(SessionError):
    """The verb is not accepted from the session's current state."""

    code = "SESSION.INVALID_TRANSITION"
    title = "Invalid state transition"

    def __init__(self, message: str, *, from_state: str, verb: str, **kwargs: Any) -> None:
        super().__init__(message, from_state=from_state, verb=verb, **kwargs)
        self.from_state = from_state
        self.verb = verb


class OperationError(InterlockError):
    """A problem with the operation as such."""

    code = "OPERATION.ERROR"
    title = "Operation error"


class UnsupportedOperation(OperationError):
    """The account's adapter does not support this verb (refused before any vendor call)."""

    code = "OPERATION.UNSUPPORTED"
    title = "Operation not supported"


class AdapterFailure(OperationError):
    """An adapter raised something outside this tree: a bug in the adapter, reported per item
    so that nothing in a batch is silently lost."""

    code = "OPERATION.ADAPTER_FAILED"
    title = "Adapter failure"


def _rebuild(cls: type[InterlockError], args: tuple[Any, ...]) -> InterlockError:
    return cls.__new__(cls, *args)


def all_error_classes() -> list[type[InterlockError]]:
    """Every class of the tree, root first (used by docs and completeness tests).

    Only the classes of this module: subclasses that adapters or tests define are theirs.
    """
    found: list[type[InterlockError]] = []
    pending: list[type[InterlockError]] = [InterlockError]
    while pending:
        cls = pending.pop(0)
        if cls in found or cls.__module__ != __name__:
            continue
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found
