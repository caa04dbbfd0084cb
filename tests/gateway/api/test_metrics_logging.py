"""``/metrics`` (a registry per app) and JSON logs with the request id on every line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from interlock.errors import InvalidTransition
from interlock.models import Reason, ReasonCode, SessionRef, SessionState, Verb
from interlock_gateway.observability import configure_logging, scrub_text
from interlock_gateway.store.tables import Operation

from ..factories import make_operation
from .harness import ACCOUNT, FakeClock, Harness, gateway, gateway_settings


async def scrape(harness: Harness, **headers: str) -> str:
    response = await harness.client.get("/metrics", headers=headers)
    assert response.status_code == 200
    return response.text


def samples(text: str, name: str) -> dict[frozenset[tuple[str, str]], float]:
    """``name``'s samples, keyed by their label sets."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[frozenset(sample.labels.items())] = sample.value
    return found


def labels(**pairs: str) -> frozenset[tuple[str, str]]:
    return frozenset(pairs.items())


async def test_requests_are_counted_by_route_template(harness: Harness) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    path = f"/v1/accounts/{ACCOUNT}/sessions/{sid}"
    assert (await harness.client.get(path, headers=harness.headers("admin"))).status_code == 200
    assert (await harness.client.get(path)).status_code == 401
    assert (await harness.client.get("/no/such/route")).status_code == 404

    text = await scrape(harness)
    counted = samples(text, "interlock_http_requests_total")
    route = "/v1/accounts/{account}/sessions/{session_id}"
    assert counted[labels(method="GET", route=route, status="200")] == 1
    assert counted[labels(method="GET", route=route, status="401")] == 1
    assert counted[labels(method="GET", route="<unmatched>", status="404")] == 1
    assert sid not in text  # identifiers never become label values
    durations = samples(text, "interlock_http_request_duration_seconds_count")
    assert durations[labels(method="GET", route=route)] == 2


async def test_vendor_verbs_are_observed_through_the_plugin_hooks(harness: Harness) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    assert (await harness.verb("pause", sid)).json()["outcome"] == "applied"
    # A refusal at the vendor: the facade reports it to observers with its error code.
    ref = SessionRef(
        account=ACCOUNT, session_id=harness.session("Backend Engineer", SessionState.SCHEDULED)
    )
    with pytest.raises(InvalidTransition):
        await harness.interlock.perform(Verb.RESUME, ref, Reason(code=ReasonCode.OPERATOR_ERROR))

    text = await scrape(harness)
    operations = samples(text, "interlock_vendor_operations_total")
    applied = labels(account=ACCOUNT, vendor="sandbox", verb="pause", outcome="applied")
    assert operations[applied] == 1
    assert (
        operations[labels(account=ACCOUNT, vendor="sandbox", verb="resume", outcome="failed")] == 1
    )
    errors = samples(text, "interlock_vendor_errors_total")
    assert errors == {
        labels(account=ACCOUNT, vendor="sandbox", code="SESSION.INVALID_TRANSITION"): 1
    }
    seconds = samples(text, "interlock_vendor_operation_duration_seconds_count")
    assert seconds[labels(account=ACCOUNT, verb="pause")] == 1
    in_flight = samples(text, "interlock_vendor_operations_in_flight")
    assert in_flight[labels(account=ACCOUNT)] == 0


def _stored(status: str, verb: str = "terminate", outcome: str | None = None) -> Operation:
    now = FakeClock().now
    return make_operation(
        account=ACCOUNT,
        session_id="s-1",
        verb=verb,
        reason_code="operator_error",
        actor="admin",
        status=status,
        outcome=outcome,
        details={},
        created_at=now,
        updated_at=now,
    )


async def test_queue_depth_and_operations_are_read_from_the_database_at_scrape(
    sqlite_url: str, tmp_path: Path
) -> None:
    settings = gateway_settings(sqlite_url, str(tmp_path), worker_enabled=False)
    async with gateway(settings, principals=()) as harness:
        text = await scrape(harness)
        depth = samples(text, "interlock_queue_depth")
        assert set(depth.values()) == {0}
        assert {dict(k)["status"] for k in depth} == {
            "pending", "in_flight", "grace", "awaiting_approval"
        }  # fmt: skip

        async with harness.runtime.db.write() as session:
            session.add_all(
                [
                    _stored("pending"),
                    _stored("pending", verb="pause"),
                    _stored("grace", outcome="grace"),
                    _stored("in_flight"),
                    _stored("committed", outcome="committed"),
                ]
            )
        text = await scrape(harness)
    depth = samples(text, "interlock_queue_depth")
    assert depth[labels(status="pending")] == 2
    assert depth[labels(status="grace")] == 1
    assert depth[labels(status="in_flight")] == 1
    assert depth[labels(status="awaiting_approval")] == 0
    stored = samples(text, "interlock_operations")
    key = labels(account=ACCOUNT, verb="terminate", status="committed", outcome="committed")
    assert stored[key] == 1
    assert stored[labels(account=ACCOUNT, verb="pause", status="pending", outcome="none")] == 1
    assert samples(text, "interlock_metrics_database_up") == {frozenset(): 1}


async def test_each_app_has_its_own_registry(sqlite_url: str, tmp_path: Path) -> None:
    # No worker: these apps live for milliseconds, and stopping a worker in the middle of
    # its first database poll leaves aiosqlite's thread answering a closed event loop.
    settings = gateway_settings(sqlite_url, str(tmp_path), worker_enabled=False)
    async with gateway(settings, principals=()) as first:
        for _ in range(3):
            await first.client.get("/healthz")
        async with gateway(settings, principals=()) as second:
            await second.client.get("/healthz")
            counted_second = samples(await scrape(second), "interlock_http_requests_total")
        counted_first = samples(await scrape(first), "interlock_http_requests_total")
    healthz = labels(method="GET", route="/healthz", status="200")
    assert (counted_first[healthz], counted_second[healthz]) == (3, 1)
    assert not [m for m in REGISTRY.collect() if m.name.startswith("interlock")]


async def test_the_observer_leaves_with_the_app(sqlite_url: str, tmp_path: Path) -> None:
    settings = gateway_settings(sqlite_url, str(tmp_path), worker_enabled=False)
    async with gateway(settings, principals=()) as harness:
        names = [name for name, _ in harness.interlock.plugins.manager.list_name_plugin()]
        assert any(name.startswith("interlock-metrics-") for name in names)
    names = [name for name, _ in harness.interlock.plugins.manager.list_name_plugin()]
    assert not any(name.startswith("interlock-metrics-") for name in names)


async def test_openmetrics_by_accept_header_and_no_key_needed(harness: Harness) -> None:
    response = await harness.client.get(
        "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.rstrip().endswith("# EOF")
    plain = await harness.client.get("/metrics")
    assert plain.headers["content-type"].startswith("text/plain")


# -- logs ------------------------------------------------------------------------------------


@pytest.fixture
def json_logs(json_handler: logging.Handler) -> io.StringIO:
    """What the configured JSON handler wrote."""
    stream = getattr(json_handler, "stream", None)
    assert isinstance(stream, io.StringIO)
    return stream


@pytest.fixture
def json_handler() -> Iterator[logging.Handler]:
    """:func:`configure_logging` into a buffer; every global it touches is restored after."""
    root = logging.getLogger()
    saved_root = (list(root.handlers), root.level)
    touched = ("sqlalchemy", "aiosqlite", "uvicorn", "uvicorn.error", "uvicorn.access")
    saved = {name: (logging.getLogger(name).level, list(logging.getLogger(name).handlers),
                    logging.getLogger(name).propagate) for name in touched}  # fmt: skip
    saved_structlog = structlog.get_config()
    buffer = io.StringIO()
    handler = configure_logging("INFO", stream=buffer)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.handlers[:] = saved_root[0]
        root.setLevel(saved_root[1])
        for name, (level, handlers, propagate) in saved.items():
            logger = logging.getLogger(name)
            logger.setLevel(level)
            logger.handlers[:] = handlers
            logger.propagate = propagate
        structlog.configure(**saved_structlog)


def lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


async def test_every_line_of_a_request_carries_its_request_id(
    harness: Harness, json_logs: io.StringIO
) -> None:
    sid = harness.session("Backend Engineer", SessionState.IN_PROGRESS)
    response = await harness.client.get(
        f"/v1/accounts/{ACCOUNT}/sessions/{sid}",
        headers={**harness.headers("admin"), "X-Request-ID": "req-42.a_b"},
    )
    assert response.headers["x-request-id"] == "req-42.a_b"

    logged = lines(json_logs)
    vendor_calls = [line for line in logged if line["event"] == "vendor.call"]
    access = [line for line in logged if line["event"] == "http.request"]
    assert vendor_calls  # the SDK's HTTP toolkit logged the ownership read ...
    assert all(line["request_id"] == "req-42.a_b" for line in vendor_calls)  # ... with our id
    assert vendor_calls[0]["logger"] == "interlock.http"
    assert vendor_calls[0]["account"] == ACCOUNT  # ``extra`` fields become JSON keys
    (line,) = access
    assert line["request_id"] == "req-42.a_b"
    assert (line["route"], line["status"], line["level"]) == (
        "/v1/accounts/{account}/sessions/{session_id}",
        200,
        "info",
    )
    assert "timestamp" in line


async def test_an_insane_request_id_is_replaced(harness: Harness, json_logs: io.StringIO) -> None:
    response = await harness.client.get(
        "/healthz", headers={"X-Request-ID": "no spaces; or other/characters"}
    )
    given = response.headers["x-request-id"]
    assert given != "no spaces; or other/characters"
    (line,) = [line for line in lines(json_logs) if line["event"] == "http.request"]
    assert line["request_id"] == given


async def test_lines_outside_requests_have_no_request_id(
    harness: Harness, json_logs: io.StringIO
) -> None:
    await harness.client.get("/healthz")
    logging.getLogger("interlock.gateway").info("after the request")
    (line,) = [line for line in lines(json_logs) if line["event"] == "after the request"]
    assert "request_id" not in line


async def test_query_strings_never_reach_the_logs(harness: Harness, json_logs: io.StringIO) -> None:
    await harness.client.get(
        "/v1/sessions", params={"candidate": "张伟"}, headers=harness.headers("admin")
    )
    # Only the gateway's lines: the test's own HTTP client (logger "httpx") logs its URL.
    output = "\n".join(
        json.dumps(x, ensure_ascii=False) for x in lines(json_logs) if x["logger"] != "httpx"
    )
    assert "http.request" in output
    assert "张伟" not in output
    assert "candidate=" not in output


def test_the_scrubber_masks_phones_keys_and_tokens() -> None:
    key = "ilk_abcd1234_" + "S" * 43
    text = f"call 13812345678 with {key}; Authorization: Bearer abcdef123456789"
    scrubbed = scrub_text(text)
    assert scrubbed == (
        "call 138****5678 with ilk_abcd1234_[REDACTED]; Authorization: Bearer [REDACTED]"
    )
    assert scrub_text("order 2026031512345678901") == "order 2026031512345678901"


def test_a_leaked_secret_is_scrubbed_from_a_json_line(json_handler: logging.Handler) -> None:
    # Formatted directly, not logged: the session's own log scrubbing would (rightly) see
    # the raw record.
    record = logging.makeLogRecord(
        {
            "name": "interlock.test",
            "levelno": logging.WARNING,
            "levelname": "WARNING",
            "msg": "oops %s",
            "args": ("13912345678",),
            "key": "ilk_abcd1234_" + "x" * 43,
        }
    )
    line = json.loads(json_handler.format(record))
    assert line["event"] == "oops 139****5678"
    assert line["key"] == "ilk_abcd1234_[REDACTED]"
    assert line["level"] == "warning"
