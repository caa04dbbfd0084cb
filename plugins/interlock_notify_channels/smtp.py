"""E-mail over SMTP with ``aiosmtplib``: one connection per message (notifications are few
and far between; a pooled connection would outlive a relay's idle timeout).

The notification id is the ``Message-ID`` (``<id@interlock>``): the same on every attempt,
so a mailbox or relay that de-duplicates drops a copy sent again after a crash.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate
from typing import Annotated, Any

import aiosmtplib
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from interlock import hookimpl
from interlock.config import resolve_secret
from interlock.plugins import ChannelContext, ChannelMessage, ChannelSpec

__all__ = ["EmailChannel", "EmailOptions"]


class EmailOptions(BaseModel):
    """``[notifications.channels.NAME]`` with ``type = "email"``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(min_length=1)
    port: Annotated[int, Field(ge=1, le=65535)] = 25
    sender: str = Field(min_length=3, description="the From address")
    username: str | None = None
    password: SecretStr | None = Field(default=None, description="or env:VAR / file:/path")
    use_tls: bool = Field(default=False, description="implicit TLS (port 465)")
    start_tls: bool | None = Field(default=None, description="None: if the server offers it")
    timeout: Annotated[float, Field(gt=0)] = 10.0

    @field_validator("password", mode="before")
    @classmethod
    def _secret_reference(cls, value: Any) -> Any:
        return resolve_secret(value, where="email channel password", env=os.environ)


class EmailChannel:
    """Sends each notification as one plain-text UTF-8 e-mail."""

    def __init__(self, context: ChannelContext) -> None:
        assert isinstance(context.options, EmailOptions)
        self.options = context.options

    def build(self, message: ChannelMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.options.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False, usegmt=True)
        email["Message-ID"] = f"<{message.id}@interlock>"
        email["Content-Language"] = message.language
        email["X-Interlock-Event"] = message.event
        email.set_content(message.body, charset="utf-8")
        return email

    async def send(self, message: ChannelMessage) -> str | None:
        options = self.options
        password = options.password.get_secret_value() if options.password else None
        await aiosmtplib.send(
            self.build(message),
            hostname=options.host,
            port=options.port,
            username=options.username,
            password=password,
            use_tls=options.use_tls,
            start_tls=options.start_tls,
            timeout=options.timeout,
        )
        return f"<{message.id}@interlock>"

    async def aclose(self) -> None:
        return None


@hookimpl
def interlock_register_channels(register: Callable[[ChannelSpec], None]) -> None:
    register(
        ChannelSpec(
            name="email",
            factory=EmailChannel,
            options_model=EmailOptions,
            summary="e-mail over SMTP (aiosmtplib)",
        )
    )
