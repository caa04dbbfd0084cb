"""``interlock adapter new NAME``: a standalone adapter project that runs the contract at once.

The project is split the way ``docs/writing-an-adapter.md`` splits an adapter (``plugin.py``,
``options.py``, ``adapter.py``, ``_client.py``, ``_interpret.py``, ``_errors.py``, ``_models.py``,
``_mapping.py``, ``double/``), registers its entry point, names the contract kit's dependencies
(the ``test`` extra) and opts into the contract suite. Every method still to be written
raises ``NotImplementedError`` with a TODO naming it, so ``interlock contract NAME`` lists,
check by check, what to implement next.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

__all__ = ["NAME_PATTERN", "ScaffoldError", "write_project"]

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,30}$")


class ScaffoldError(ValueError):
    """The name or the target folder is not usable; the message says why."""


def write_project(name: str, target: Path, *, force: bool = False) -> list[Path]:
    """Write the adapter project for ``name`` into ``target``; return the files written."""
    if not NAME_PATTERN.match(name):
        raise ScaffoldError(
            f"{name!r} is not a valid adapter name: use 2-31 lower-case letters, digits or "
            "underscores, starting with a letter (it becomes the entry-point and package name)"
        )
    if target.exists() and any(target.iterdir()) and not force:
        raise ScaffoldError(f"{target} is not empty; choose a new folder (or pass --force)")
    values = {
        "name": name,
        "dist": "interlock-" + name.replace("_", "-"),
        "pkg": f"interlock_{name}",
        "cls": "".join(part.capitalize() for part in name.split("_")),
        "title": name.replace("_", " ").title(),
    }
    written = []
    for relative, text in FILES.items():
        path = target / Template(relative).substitute(values)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(text).substitute(values), encoding="utf-8")
        written.append(path)
    return written


_PYPROJECT = """\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "${dist}"
version = "0.1.0"
description = "Interlock adapter for ${title}"
requires-python = ">=3.11"
dependencies = ["interlock"]

[project.optional-dependencies]
# `interlock contract ${name}` and `pytest` need the contract kit's own dependencies.
test = ["interlock[contract]", "pytest-asyncio>=0.23", "mypy>=1.10"]

# How Interlock finds the adapter: this entry point and nothing else.
[project.entry-points."interlock.adapters"]
${name} = "${pkg}.plugin"

[tool.setuptools.packages.find]
include = ["${pkg}*"]

[tool.pytest.ini_options]
testpaths = ["tests"]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"

[tool.mypy]
strict = true
"""

_README = """\
# ${dist}

An [Interlock](https://github.com/) adapter for ${title}: pause, resume, terminate and revoke its
AI interviews through Interlock's one policy and audit trail.

```
pip install -e '.[test]'        # the adapter, and the contract kit's pytest and respx
interlock contract ${name}      # the contract suite against the vendor double
pytest                          # the same suite, plus your own tests
mypy ${pkg}                     # strict
```

Start with `${pkg}/double/_app.py` (the vendor's HTTP API, as the vendor documents it), then
`${pkg}/_client.py` (auth), `${pkg}/_interpret.py` (reading answers and errors),
`${pkg}/_mapping.py` (states and sessions), and `${pkg}/adapter.py` (the verbs). Each method
still to write raises `NotImplementedError` with a TODO; `interlock contract ${name}` prints
the first one under "next:". The guide is `docs/writing-an-adapter.md` in the Interlock
repository (its API reference for adapter authors: `docs/reference/`).
"""

_INIT = '''\
"""The ${title} adapter for Interlock (read plugin.py, adapter.py, then the private modules)."""
'''

_PLUGIN = '''\
"""Registers the ${title} adapter and its double (the only thing a plug-in module does)."""

from __future__ import annotations

from collections.abc import Callable

from interlock import AdapterSpec, hookimpl

from ${pkg}.adapter import ${cls}Adapter
from ${pkg}.double import ${cls}Double
from ${pkg}.options import ${cls}Options


@hookimpl
def interlock_register_adapters(register: Callable[[AdapterSpec], None]) -> None:
    register(
        AdapterSpec(
            name="${name}",
            vendor="${name}",
            factory=${cls}Adapter,
            options_model=${cls}Options,
            double_factory=${cls}Double,
            summary="${title} (scaffolded; see README.md)",
        )
    )
'''

_OPTIONS = '''\
"""The account's options (strict: a typo in interlock.toml is an error, never ignored)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class ${cls}Options(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = "https://api.${name}.invalid"
    client_id: str
    client_secret: SecretStr
    vendor_qps: Annotated[float, Field(gt=0)] | None = 20.0
    timeout_s: Annotated[float, Field(gt=0, le=120)] = 10.0
'''

_ADAPTER = '''\
"""``${cls}Adapter``: composes the pieces; holds only what is specific to the vendor's verbs."""

from __future__ import annotations

from datetime import datetime

from interlock.adapter import AccountContext, InterviewAdapter
from interlock.capabilities import Capabilities, CapabilityLevel, ChangeObservation
from interlock.models import (
    OperationResult,
    Reason,
    Session,
    SessionFilter,
    SessionPage,
    Verb,
)

from ${pkg}._client import build_client
from ${pkg}.options import ${cls}Options


class ${cls}Adapter(InterviewAdapter):
    vendor = "${name}"

    def __init__(self, context: AccountContext) -> None:
        super().__init__(context)
        options = self.options_as(${cls}Options)
        self.options = options
        # The base class owns the limiter: the account's shared one, else one at 80 % of the
        # vendor's per-API limit (virtual time under the contract suite).
        limiter = self.rate_limiter(default=options.vendor_qps)
        self._client = build_client(context, options, limiter)

    @property
    def capabilities(self) -> Capabilities:
        # TODO: declare what the vendor really offers: native (its API does it), emulated
        # (built from other calls), manual (only a person in its console), or unsupported.
        native = CapabilityLevel.NATIVE
        return Capabilities(
            pause=native,
            resume=native,
            terminate=native,
            revoke=native,
            native_batch_size=0,
            server_side_filters=frozenset(),
            change_observation=ChangeObservation.POLLING,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get_session(self, session_id: str) -> Session:
        raise NotImplementedError(
            "TODO: implement ${cls}Adapter.get_session: read one session from the vendor and "
            "map it with _mapping.to_session (unknown vendor states -> SessionState.UNKNOWN)"
        )

    async def list_sessions(
        self, session_filter: SessionFilter, *, page_size: int = 50, page_token: str | None = None
    ) -> SessionPage:
        raise NotImplementedError(
            "TODO: implement ${cls}Adapter.list_sessions: one vendor page per call, the vendor's "
            "page token as next_page_token (None on the last page), session_filter.matches for "
            "every filter not declared in server_side_filters"
        )

    async def change_state(
        self,
        verb: Verb,
        session_id: str,
        reason: Reason,
        *,
        idempotency_key: str,
        resume_deadline: datetime | None = None,
    ) -> OperationResult:
        # The base class routes pause/resume/terminate/revoke here and refuses first every verb
        # the capabilities do not declare. Override the verb methods instead if they differ.
        raise NotImplementedError(
            f"TODO: implement ${cls}Adapter.change_state for {verb} (or declare {verb} "
            "unsupported/manual): send it with read_back=..., answer already_in_state when the "
            "target state already holds"
        )
'''

_INTERPRET = '''\
"""Reading the vendor's answers: status line *and* body → payload or neutral error."""

from __future__ import annotations

from typing import Any

import httpx


def interpret(response: httpx.Response) -> Any:
    """Return the payload of a successful answer; raise the neutral error otherwise."""
    raise NotImplementedError(
        "TODO: implement ${pkg}._interpret.interpret: read the status AND the body (errors "
        "inside HTTP 200), map vendor codes with _errors.ERROR_TABLE, raise VendorTokenExpired "
        "for the expired-token signal and VendorRateLimited(retry_after=...) for throttling "
        "(the wait the vendor announces, or its documented one)"
    )
'''

_CLIENT = '''\
"""The vendor over HTTP: client construction and the token fetch."""

from __future__ import annotations

import httpx
from interlock.adapter import AccountContext
from interlock.http import RateLimiter, Token, TokenCache, VendorClient

from ${pkg}._interpret import interpret
from ${pkg}.options import ${cls}Options


def build_client(
    context: AccountContext, options: ${cls}Options, limiter: RateLimiter | None
) -> VendorClient:
    """One toolkit client per account: it owns retries, tokens, limits and timeouts."""
    secret = options.client_secret.get_secret_value()
    client: VendorClient

    async def fetch_token() -> Token:
        raise NotImplementedError(
            "TODO: implement ${pkg}._client.build_client.fetch_token: call the vendor's token "
            "endpoint with client.request(..., authenticated=False) and return a Token"
        )

    def apply_token(request: httpx.Request, token: str) -> None:
        request.headers["Authorization"] = f"Bearer {token}"

    client = VendorClient(
        account=context.account,
        base_url=options.base_url,
        interpret=interpret,
        transport=context.transport,
        tokens=TokenCache(fetch_token),
        apply_token=apply_token,
        retry=context.retry_policy,
        limiter=limiter,
        timeout_s=options.timeout_s,
        secrets=(secret,),
    )
    return client
'''

_MODELS = '''\
"""Tolerant models of the vendor's payloads: unknown fields ignored, vendor casing aliased."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Vendor(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


# TODO: one model per payload the adapter reads (session, page, token, batch result).
'''

_MAPPING = '''\
"""Pure functions between the vendor's shapes and Interlock's neutral models."""

from __future__ import annotations

from typing import Any

from interlock.models import Session, SessionState

# TODO: every vendor state value, and the neutral state it means.
STATE_TABLE: dict[str, SessionState] = {}


def to_state(status: str) -> SessionState:
    """A vendor state the table does not know is ``unknown``: never a guess."""
    return STATE_TABLE.get(status, SessionState.UNKNOWN)


def to_session(account: str, raw: Any) -> Session:
    """One vendor session as a neutral ``Session``."""
    raise NotImplementedError(
        "TODO: implement ${pkg}._mapping.to_session: every neutral field from the vendor's "
        "session (times in UTC, read in the account's zone when the vendor sends none; "
        "position owners; batch number), the name and phone masked with "
        "interlock.privacy.mask_name / mask_phone, the state with to_state"
    )
'''

_ERRORS = '''\
"""The vendor's error codes and what each means neutrally (one table, tested complete)."""

from __future__ import annotations

from interlock import errors

# TODO: every error code the vendor documents -> the neutral error class.
ERROR_TABLE: dict[str, type[errors.InterlockError]] = {}
'''

_DOUBLE_INIT = '''\
"""The ${title} vendor double: a stateful simulator of the vendor's HTTP API."""

from ${pkg}.double._app import ${cls}Double

__all__ = ["${cls}Double"]
'''

_DOUBLE_APP = '''\
"""``${cls}Double``: the vendor's HTTP API in memory, faithful to its documented conventions.

Model the vendor as it documents itself: auth, envelopes, error codes (also inside HTTP 200),
throttling (its own signal, with or without a wait header), pagination, time formats. Change
session state only through ``self.world.apply(...)`` so the mutation counts stay honest; hand
tokens out through ``self.issue_token(...)`` (they become secrets the kit looks for), record
each listing with ``self.record_query(...)``, answer batches in ``self.shuffled(...)`` order
unless the vendor documents one, and throttle with
``interlock.doubles.SlidingWindowLimit(limit, clock=self.monotonic)``.
"""

from __future__ import annotations

import random
from typing import Any, ClassVar

import httpx
from interlock.doubles import FaultPlan, VendorDouble

CLIENT_ID = "${name}-client"
CLIENT_SECRET = "${name}-secret-change-me"  # noqa: S105 - the double's demo credential


class ${cls}Double(VendorDouble):
    vendor: ClassVar[str] = "${name}"
    default_base_url: ClassVar[str] = "https://api.${name}.invalid"
    token_paths: ClassVar[frozenset[str]] = frozenset({"/oauth/token"})  # TODO: the vendor's

    def new_id(self, rng: random.Random) -> str:
        return f"${name}-{rng.getrandbits(40):010x}"

    @property
    def secrets(self) -> tuple[str, ...]:
        return (CLIENT_SECRET, *super().secrets)  # the base adds every token issued

    def adapter_options(self, base_url: str) -> dict[str, Any]:
        return {"base_url": base_url, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}

    def expire_tokens(self) -> None:
        raise NotImplementedError(
            "TODO: implement ${cls}Double.expire_tokens: make every issued token expired"
        )

    def render_fault(self, plan: FaultPlan, request: httpx.Request) -> httpx.Response:
        raise NotImplementedError(
            "TODO: implement ${cls}Double.render_fault: the vendor's own answer for "
            "SERVER_ERROR, RATE_LIMITED, ERROR_IN_200 and MALFORMED_BODY"
        )

    async def dispatch(self, request: httpx.Request) -> httpx.Response:
        raise NotImplementedError(
            "TODO: implement ${cls}Double.dispatch: the token endpoint (tokens from "
            "self.issue_token), auth, routes for reads and verbs, the vendor's envelopes"
        )
'''

_TEST_CONTRACT = '''\
"""The ${title} adapter against the Interlock contract suite (`interlock contract ${name}`)."""

from interlock_contract import AdapterContractSuite


class Test${cls}Contract(AdapterContractSuite):
    adapter_name = "${name}"
'''

FILES: dict[str, str] = {
    "pyproject.toml": _PYPROJECT,
    "README.md": _README,
    "${pkg}/__init__.py": _INIT,
    "${pkg}/py.typed": "",
    "${pkg}/plugin.py": _PLUGIN,
    "${pkg}/options.py": _OPTIONS,
    "${pkg}/adapter.py": _ADAPTER,
    "${pkg}/_client.py": _CLIENT,
    "${pkg}/_interpret.py": _INTERPRET,
    "${pkg}/_models.py": _MODELS,
    "${pkg}/_mapping.py": _MAPPING,
    "${pkg}/_errors.py": _ERRORS,
    "${pkg}/double/__init__.py": _DOUBLE_INIT,
    "${pkg}/double/_app.py": _DOUBLE_APP,
    "tests/test_contract.py": _TEST_CONTRACT,
}
"""Relative path -> template (``${name}``, ``${dist}``, ``${pkg}``, ``${cls}``, ``${title}``)."""
