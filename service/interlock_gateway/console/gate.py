"""Console routes declare their action as a dependency, as the API's routes do.

``user: Annotated[ConsoleUser, Allow(Action.SESSIONS_LIST)]`` signs the user in (or sends
them to sign in and back) and runs the same role check as the API's ``Authorize``
(:func:`~interlock_gateway.gates.enforce`: the policy's ``authorize()``, refusals audited);
a refusal is a 403 page in the user's language (the console's problem handler renders it).
Pages anyone may open (sign-in, sign-out, language) declare ``Public()``.
``create_app`` refuses to start with a console route that declares neither.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request

from ..gates import Gate, enforce
from ..policy import Action
from .web import ConsoleUser, context_of, require_user

__all__ = ["Allow", "Public", "also_allowed"]


class _ConsoleAuthorizer(Gate):
    """The dependency behind :func:`Allow`: the signed-in user, gated on the role."""

    async def __call__(self, request: Request) -> ConsoleUser:
        user = await require_user(request)
        await enforce(context_of(request), user.caller, self.action, request.url.path)
        return user


class _Public(Gate):
    """The dependency behind :func:`Public`: declares the page open to anyone."""

    async def __call__(self) -> None:
        return None


def Allow(action: Action) -> Any:
    """``Annotated[ConsoleUser, Allow(Action.X)]``: sign in, then gate on the role."""
    return Depends(_ConsoleAuthorizer(action))


def Public() -> Any:
    """``Annotated[None, Public()]``: a page anyone may open (it checks what it needs)."""
    return Depends(_Public(Action.PUBLIC))


async def also_allowed(request: Request, user: ConsoleUser, action: Action) -> None:
    """A second action a page performs only on request (the audit page's verify)."""
    await enforce(context_of(request), user.caller, action, request.url.path)
