"""The Yonyou account's options (strict: a typo in interlock.toml is an error, not ignored)."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

__all__ = ["YonyouOptions"]

_URL = r"^https?://[^\s/?#]+(/[^\s?#]*)?$"


class YonyouOptions(BaseModel):
    """How to reach one YonBIP tenant with one self-built app (自建应用).

    The gateway and token hosts are discovered from the data centre by ``tenant_id`` and cached;
    set both ``gateway_url`` and ``token_url`` only to skip discovery.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant_id: Annotated[str, Field(min_length=1, max_length=64)]
    app_key: Annotated[str, Field(min_length=1, max_length=128)]
    app_secret: SecretStr
    data_center_url: Annotated[str, Field(pattern=_URL)] = "https://apigateway.yonyoucloud.com"
    gateway_url: Annotated[str, Field(pattern=_URL)] | None = None
    token_url: Annotated[str, Field(pattern=_URL)] | None = None
    api_prefix: Annotated[str, Field(pattern=r"^/[A-Za-z0-9/_.-]*[A-Za-z0-9]$")] = (
        "/yonbip/hrcloud/aiinterview"
    )
    """Where the tenant published the interview API on its gateway."""
    native_batch_size: Annotated[int, Field(ge=1, le=100)] = 100
    vendor_qps: Annotated[float, Field(gt=0)] | None = None
    """The tenant gateway's per-API limit, which YonBIP does not publish (its answer past it is
    ``310046``); when set, calls are paced at ``rate_share`` of it. None: not paced."""
    rate_share: Annotated[float, Field(gt=0, le=1)] = 0.8
    timeout_s: Annotated[float, Field(gt=0, le=120)] = 10.0
    callback_max_age_s: Annotated[float, Field(gt=0, le=86_400)] = 300.0
    """How old (or how far ahead) a push's timestamp may be before it is refused as a replay."""

    @model_validator(mode="after")
    def _both_or_neither(self) -> Self:
        if (self.gateway_url is None) != (self.token_url is None):
            raise ValueError(
                "set both gateway_url and token_url (to skip data-centre discovery) or neither"
            )
        if not self.app_secret.get_secret_value().strip():
            raise ValueError("app_secret is empty")
        return self
