"""The app as a whole: OpenAPI, request ids, health, the worker switch, ``interlock serve``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from interlock.models import SessionState

from .harness import Harness, gateway, gateway_settings


async def test_openapi_documents_every_route_with_its_security(harness: Harness) -> None:
    response = await harness.client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert "ApiKey" in spec["components"]["securitySchemes"]
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            secured = operation.get("security") == [{"ApiKey": []}]
            # Vendor callbacks authenticate with the vendor's signature, not an API key.
            bearer = path.startswith("/v1") and not path.startswith("/v1/callbacks")
            assert secured is bearer, f"{method.upper()} {path}"
            assert operation.get("summary"), f"{method.upper()} {path}"
    verb = spec["paths"]["/v1/accounts/{account}/sessions/{session_id}/terminate"]["post"]
    assert {"200", "202", "409", "422", "428", "502"} <= set(verb["responses"])


async def test_request_id_is_echoed_or_made(harness: Harness) -> None:
    given = await harness.client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    made = await harness.client.get("/healthz", headers={"X-Request-ID": "bad id!"})
    assert given.headers["x-request-id"] == "abc-123"
    assert made.headers["x-request-id"] != "bad id!"
    problem = await harness.client.get("/v1/sessions", headers={"X-Request-ID": "req-9"})
    assert problem.json()["request_id"] == "req-9"


async def test_health_and_readiness(harness: Harness) -> None:
    assert (await harness.client.get("/healthz")).json() == {"status": "ok"}
    ready = await harness.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["accounts"] == {"demo": "ok", "nopause": "ok"}


async def test_readiness_reports_a_failing_account(harness: Harness) -> None:
    from interlock.doubles import Fault

    harness.double().inject(Fault.SERVER_ERROR, times=100)
    ready = await harness.client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["accounts"]["demo"] == "error: VENDOR.UNAVAILABLE"


async def test_without_a_running_worker_requests_answer_202(
    sqlite_url: str, tmp_path: Path
) -> None:
    settings = gateway_settings(sqlite_url, str(tmp_path), worker_enabled=False)
    async with gateway(settings) as harness:
        sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
        response = await harness.verb("pause", sid, "spec")
        assert response.status_code == 202
        assert response.headers["location"] == f"/v1/operations/{response.json()['id']}"
        assert harness.calls(mutating=True) == 0  # stored, not sent
        await harness.runtime.worker.run_once()
        done = await harness.client.get(
            response.headers["location"], headers=harness.headers("spec")
        )
        assert done.json()["outcome"] == "applied"


def test_serve_runs_uvicorn_with_the_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from interlock_gateway.cli import app as cli

    config = tmp_path / "interlock.toml"
    config.write_text('[gateway]\nundo_window = 30\n[accounts.demo]\nadapter = "sandbox"\n')
    seen: dict[str, Any] = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: seen.update(app=app, **kw))
    # serve configures the process's logging; a test must not leave that behind
    monkeypatch.setattr("interlock_gateway.cli.serve.configure_logging", lambda *a, **k: None)
    result = CliRunner().invoke(
        cli, ["serve", "--config", str(config), "--port", "9999", "--no-migrate"]
    )
    assert result.exit_code == 0, result.output
    assert (seen["host"], seen["port"]) == ("127.0.0.1", 9999)
    settings = seen["app"].state.settings
    assert (settings.run_migrations, settings.undo_window) == (False, timedelta(seconds=30))


def test_serve_with_a_broken_config_says_so_in_one_line(tmp_path: Path) -> None:
    from interlock_gateway.cli import app as cli

    result = CliRunner().invoke(cli, ["serve", "--config", str(tmp_path / "missing.toml")])
    assert result.exit_code == 1
    assert "file not found" in result.output
    assert "Traceback" not in result.output
