"""A DingTalk account's options (strict: a typo in interlock.toml is an error, not ignored).

Two kinds of DingTalk application can call the ATS (智能招聘) API:

* ``app_type = "internal"`` (企业内部应用): ``app_key`` + ``app_secret`` →
  ``POST /v1.0/oauth2/accessToken``; callbacks carry the ``app_key`` as their owner key.
* ``app_type = "isv"`` (第三方企业应用, the variant DingTalk documents for ATS): ``suite_key`` +
  ``suite_secret`` + ``auth_corp_id`` + ``suite_ticket`` → ``POST /v1.0/oauth2/corpAccessToken``;
  callbacks carry the ``suite_key``.

Every secret is a ``SecretStr``: it prints as ``**********`` in reprs, errors and logs.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

__all__ = ["DingTalkOptions"]

_ENCODING_AES_KEY_LENGTH = 43


class DingTalkOptions(BaseModel):
    """Options of one DingTalk account (``[accounts.NAME]`` in ``interlock.toml``)."""

    # A model-level error would otherwise print the whole input, secrets included.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    base_url: str = "https://api.dingtalk.com"
    app_type: Literal["internal", "isv"] = "internal"
    app_key: str | None = None
    app_secret: SecretStr | None = None
    suite_key: str | None = None
    suite_secret: SecretStr | None = None
    auth_corp_id: str | None = None
    suite_ticket: SecretStr | None = None
    callback_token: SecretStr | None = Field(
        default=None, description="the signing token (签名 token) of the HTTP event push"
    )
    callback_aes_key: SecretStr | None = Field(
        default=None, description="the 43-character EncodingAESKey of the HTTP event push"
    )
    callback_max_age_s: Annotated[float, Field(gt=0, le=3600)] = 300.0
    vendor_qps: Annotated[float, Field(gt=0, le=10_000)] | None = Field(
        default=20.0,
        description="DingTalk's per-app per-API limit (standard edition 20/s); the adapter "
        "throttles itself below it when the account has no shared limiter. None turns it off.",
    )
    rate_share: Annotated[float, Field(gt=0, le=1)] = 0.8
    native_batch_size: Annotated[int, Field(ge=0, le=50)] = 50
    job_cache_ttl_s: Annotated[float, Field(ge=0, le=3600)] = 60.0
    timeout_s: Annotated[float, Field(gt=0, le=120)] = 10.0

    @model_validator(mode="after")
    def _credentials_complete(self) -> Self:
        needed = (
            {"app_key": self.app_key, "app_secret": self.app_secret}
            if self.app_type == "internal"
            else {
                "suite_key": self.suite_key,
                "suite_secret": self.suite_secret,
                "auth_corp_id": self.auth_corp_id,
                "suite_ticket": self.suite_ticket,
            }
        )
        missing = sorted(name for name, value in needed.items() if not _present(value))
        if missing:
            raise ValueError(f"app_type {self.app_type!r} needs {', '.join(missing)}")
        if (self.callback_token is None) != (self.callback_aes_key is None):
            raise ValueError("callback_token and callback_aes_key go together (or neither)")
        if self.callback_aes_key is not None:
            _check_encoding_aes_key(self.callback_aes_key.get_secret_value())
        return self

    @property
    def owner_key(self) -> str:
        """The key DingTalk appends to every encrypted push (appKey or suiteKey)."""
        key = self.app_key if self.app_type == "internal" else self.suite_key
        return key or ""

    @property
    def push_configured(self) -> bool:
        return self.push_secrets is not None

    @property
    def push_secrets(self) -> tuple[str, str] | None:
        """The push's signing token and EncodingAESKey (both or neither: the validator's rule),
        or None when the account takes no HTTP pushes."""
        if self.callback_token is None or self.callback_aes_key is None:
            return None
        return self.callback_token.get_secret_value(), self.callback_aes_key.get_secret_value()

    def secret_values(self) -> tuple[str, ...]:
        """Every secret, for the toolkit's redaction (never printed)."""
        secrets = (
            self.app_secret,
            self.suite_secret,
            self.suite_ticket,
            self.callback_token,
            self.callback_aes_key,
        )
        return tuple(s.get_secret_value() for s in secrets if s is not None)


def _present(value: str | SecretStr | None) -> bool:
    if isinstance(value, SecretStr):
        return bool(value.get_secret_value())
    return bool(value)


def _check_encoding_aes_key(value: str) -> None:
    # Never echo the value: the message names only what is wrong with it.
    if len(value) != _ENCODING_AES_KEY_LENGTH:
        raise ValueError(
            f"callback_aes_key must be the {_ENCODING_AES_KEY_LENGTH}-character EncodingAESKey "
            f"from the DingTalk console (got {len(value)} characters)"
        )
    try:
        key = base64.b64decode(value + "=", validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(
            "callback_aes_key is not base64 (copy it again from the console)"
        ) from None
    if len(key) != 32:
        raise ValueError("callback_aes_key does not decode to a 32-byte AES key")
