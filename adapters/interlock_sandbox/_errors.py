"""The sandbox vendor's error codes and what each means neutrally (one table, tested complete)."""

from __future__ import annotations

from interlock import errors

__all__ = ["ERROR_TABLE"]

ERROR_TABLE: dict[str, type[errors.InterlockError]] = {
    "invalid_client": errors.VendorAuthFailed,
    "unauthenticated": errors.VendorAuthFailed,
    "token_expired": errors.VendorTokenExpired,
    "invalid_argument": errors.VendorProtocolError,
    "not_found": errors.SessionNotFound,
    "invalid_transition": errors.InvalidTransition,
    "rate_limited": errors.VendorRateLimited,
    "deadline_exceeded": errors.VendorTimeout,  # the gateway gave up: the outcome is unknown
    "internal": errors.VendorUnavailable,
    "unavailable": errors.VendorUnavailable,
}
