"""Schemathesis against ``/openapi.json``, once per role: no 5xx, every response as documented,
and the schema and the server agree in both directions — what the schema allows is accepted
(``positive_data_acceptance``), what it forbids is refused (``negative_data_rejection``).

The gateway runs under uvicorn on loopback (a thread with its own event loop) with the
in-process sandbox vendor, so requests travel real HTTP. Each role's API key is sent on every
request; generation is deterministic and bounded (positive data as every role, negative data
as admin; explicit examples and fuzzing) so the file runs in about half a minute.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from interlock import Interlock
from interlock_gateway.app import create_app
from interlock_gateway.principals import create_principal
from interlock_gateway.store import Database

from .api.harness import ACCOUNT, PRINCIPALS, gateway_settings, make_interlock
from .live import serving

ROLES = {"specialist": "spec", "manager": "mgr", "admin": "admin", "auditor": "auditor"}
EXAMPLES = 8  # per operation, generation mode and role

# Refusals of schema-valid requests that no schema can rule out, by problem code: they depend on
# the gateway's configuration or on what it has stored, not on the request's shape.
REFUSED_FOR_STATE = {
    "REQUEST.UNKNOWN_VENDOR": "no configured account uses the vendor named",
    "REQUEST.INVALID_PAGE_TOKEN": "a page_token the gateway never issued",
    "BATCH.CONFIRM_TOKEN_INVALID": "a confirm_token the gateway never issued",
    "IDEMPOTENCY.KEY_REUSED": "an Idempotency-Key already used for another request",
    "BATCH.EMPTY": "a filter that matches no session",
    "INTERLOCK.INVALID_REQUEST": "a principal's grant on an account this gateway lacks",
    "OPERATION.UNSUPPORTED": "a verb the account's adapter cannot do",
    "BATCH.UNKNOWN_ACCOUNTS": "session names on accounts this gateway lacks",
}
# A rule across two parameters (``from`` < ``to``): OpenAPI describes each parameter alone, so
# the rule is stated in their descriptions, and the server names it with this error type.
CROSS_PARAMETER_ERROR = "range"


def _refused_for_state(response: Any) -> bool:
    try:
        problem = response.json()
    except ValueError:
        return False
    if not isinstance(problem, dict):
        return False
    errors = problem.get("errors") or [{}]
    return problem.get("code") in REFUSED_FOR_STATE or all(
        error.get("type") == CROSS_PARAMETER_ERROR for error in errors
    )


def positive_data_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schemathesis' ``positive_data_acceptance``, save the refusals listed above."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if _refused_for_state(response):
            return None
        raise


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,  # what the schema forbids, the server refuses
    positive_data_accepted,  # what the schema allows, the server accepts
]


@dataclass
class Served:
    """The gateway on loopback and one API key per role."""

    url: str
    keys: dict[str, str]


async def _principals(url: str, interlock: Interlock) -> dict[str, str]:
    double = interlock.accounts[ACCOUNT].double  # type: ignore[attr-defined]
    titles = {p.title: p.id for p in double.world.positions}
    db = Database(url)
    keys = {}
    try:
        async with db.write() as session:
            for name in ROLES.values():
                spec = PRINCIPALS[name]
                accounts = list(interlock.accounts)
                created = await create_principal(
                    session,
                    name,
                    spec["role"],
                    positions=[
                        f"{a}/{titles[t]}" for a in accounts for t in spec.get("positions", ())
                    ],
                    departments=[f"{a}/{d}" for a in accounts for d in spec.get("departments", ())],
                )
                keys[name] = created.key
    finally:
        await db.dispose()
    return keys


@pytest.fixture(scope="module")
def served(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("schemathesis")
    shutil.copyfile(sqlite_template, folder / "interlock.db")
    url = f"sqlite+aiosqlite:///{folder / 'interlock.db'}"
    interlock = make_interlock()
    keys = asyncio.run(_principals(url, interlock))
    settings_ = gateway_settings(url, str(folder), sync_wait=timedelta(seconds=2))
    with serving(create_app(settings_, interlock=interlock)) as base_url:
        yield Served(base_url, keys)


@pytest.fixture(scope="module")
def api_schema(served: Served) -> Any:
    """The OpenAPI document as the gateway serves it."""
    schema = schemathesis.openapi.from_url(f"{served.url}/openapi.json")
    schema.config.update(base_url=served.url)
    return schema


def _exercise(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> str | None:
    """Run ``operation`` with generated cases; the first failure's report, if any."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        run()
    except Unsatisfiable:  # no parameters to break: nothing negative to send
        return None
    except (FailureGroup, Exception) as exc:  # failed checks, or a network error: findings
        return f"{operation.label} ({mode}): {exc}"
    return None


# A request's shape is validated the same way whatever the role, and only an admin gets past
# authorization to every route's validation (other roles mostly meet a 403 first): negative
# data is sent as admin only, which keeps the file's run time near a minute on two cores.
NEGATIVE_AS = "admin"


# Schemathesis' own pytest integration (``@schema.parametrize``) does not run under pytest 9
# yet, so each role's test drives the strategies of every operation itself.
@pytest.mark.parametrize("role", list(ROLES))
def test_every_operation_as(role: str, api_schema: Any, served: Served) -> None:
    headers = {"Authorization": f"Bearer {served.keys[ROLES[role]]}"}
    modes = [GenerationMode.POSITIVE]
    if role == NEGATIVE_AS:
        modes.append(GenerationMode.NEGATIVE)
    failures = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        for mode in modes:
            failure = _exercise(operation, mode, headers)
            if failure:
                failures.append(failure)
    assert not failures, "\n\n".join(failures)
