"""The sandbox account's options (strict: a typo in interlock.toml is an error, not ignored)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from interlock_sandbox.double._app import CLIENT_ID, CLIENT_SECRET

__all__ = ["SandboxOptions"]


class SandboxOptions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = "https://sandbox.interlock.invalid"
    client_id: str = CLIENT_ID
    client_secret: SecretStr = SecretStr(CLIENT_SECRET)
    in_process: bool = Field(
        default=True,
        description="serve the vendor double inside this process (no network); "
        "false talks HTTP to base_url, e.g. `interlock vendors serve sandbox`",
    )
    seed: int = 7
    sessions: Annotated[int, Field(ge=0, le=100_000)] = 48
    latency_ms: Annotated[float, Field(ge=0)] = 0.0
    vendor_qps: Annotated[float, Field(gt=0)] | None = Field(
        default=None,
        description="the vendor's per-API limit; the client stays under rate_share of it "
        "(and the in-process double enforces it; its default is 100/s)",
    )
    rate_share: Annotated[float, Field(gt=0, le=1)] = 0.8
    native_batch_size: Annotated[int, Field(ge=0, le=100)] = 100
    timeout_s: Annotated[float, Field(gt=0, le=120)] = 10.0
