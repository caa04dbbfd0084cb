"""A Beisen account's options (strict: a typo in interlock.toml is an error, not ignored).

Beisen documents two token endpoints and which one a tenant's connector uses is a matter of its
set-up, so it is configuration: ``token_endpoint = "token"`` (``app_key`` + ``app_secret``) or
``"oauth"`` (``app_id`` + ``tenant_id`` + ``secret``). The account's time zone is not an option
here but the account's ``timezone`` key, which this adapter requires.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

__all__ = ["BeisenOptions"]


class BeisenOptions(BaseModel):
    """Connection and behaviour options of one Beisen account."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = "https://openapi.italent.cn"
    token_endpoint: Literal["token", "oauth"] = Field(
        default="token",
        description='"token": POST /token with app_key/app_secret; '
        '"oauth": POST /OAuth/Token with app_id/tenant_id/secret',
    )
    token_body: Literal["form", "json"] = Field(
        default="form", description="how POST /token is encoded (Beisen accepts both)"
    )
    app_key: str | None = None
    app_secret: SecretStr | None = None
    app_id: str | None = None
    tenant_id: str | None = None
    secret: SecretStr | None = None
    max_token_lifetime_s: Annotated[float, Field(gt=0)] = Field(
        default=7200.0,
        description="cache a token at most this long (/OAuth/Token's expires_in is ambiguous)",
    )
    timeout_s: Annotated[float, Field(gt=0, le=120)] = 10.0
    batch_size: Annotated[int, Field(ge=1, le=100)] = Field(
        default=100, description="ids per native batch call (Beisen allows at most 100)"
    )
    async_poll_interval_s: Annotated[float, Field(gt=0, le=60)] = Field(
        default=1.0, description="pause between polls of an asynchronous write's state"
    )
    async_wait_s: Annotated[float, Field(gt=0, le=600)] = Field(
        default=60.0,
        description="give up waiting for an asynchronous write after this long (its items "
        "then fail with the request id, outcome unknown)",
    )
    vendor_qps: Annotated[float, Field(gt=0)] | None = Field(
        default=None,
        description="the tenant's per-API per-second limit when it differs from Beisen's "
        "documented ones (20/s reads, 50/s writes)",
    )
    rate_share: Annotated[float, Field(gt=0, le=1)] = Field(
        default=0.8, description="the share of the vendor limit this account allows itself"
    )

    @model_validator(mode="after")
    def _credentials_for_the_endpoint(self) -> Self:
        needed = (
            ("app_key", "app_secret")
            if self.token_endpoint == "token"  # noqa: S105 - an endpoint name, not a password
            else ("app_id", "tenant_id", "secret")
        )
        missing = [name for name in needed if not _given(getattr(self, name))]
        if missing:
            raise ValueError(
                f'token_endpoint = "{self.token_endpoint}" needs {", ".join(needed)}; '
                f"missing: {', '.join(missing)}"
            )
        return self


def _given(value: str | SecretStr | None) -> bool:
    if isinstance(value, SecretStr):
        return bool(value.get_secret_value())
    return bool(value)
