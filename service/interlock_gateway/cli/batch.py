"""``interlock batch ACTION``: preview, confirm, then watch a batch run on a gateway.

::

    export INTERLOCK_API_KEY=ilk_...
    interlock batch pause --filter "account=dingtalk-hq state=in_progress batch_no=B7" \\
        --reason system_fault --note "vendor outage"
    interlock batch terminate --session accounts/beisen-cn/sessions/42 --reason operator_error

The preview is shown first (counts, approvals, refusals, estimate); the batch is sent only
after confirmation (or ``--yes``), with the preview's ``confirm_token`` and a fresh
``Idempotency-Key``. Progress comes from the gateway's event stream (polling if a proxy
breaks it), one bar per account; the summary lists every item that did not succeed.
Exit status: 0 all done, 2 some items failed, 1 the batch was refused.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from typing import Annotated, Any

import httpx
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ._common import console, err_console, fail, handle_errors, print_json

__all__ = ["batch"]

KEY_ENV = "INTERLOCK_API_KEY"
_LISTS = {"state": "states", "states": "states"}
_KEYS = {"account", "vendor", "candidate", "position", "batch_no", "start_from", "start_to"}


def parse_filter(expression: str) -> dict[str, Any]:
    """``"account=a state=in_progress,paused"`` → the API's filter object."""
    spec: dict[str, Any] = {}
    for part in expression.split():
        key, sep, value = part.partition("=")
        if not sep or not value:
            fail(f"--filter: {part!r} is not KEY=VALUE", hint="e.g. --filter 'state=in_progress'")
        if key in _LISTS:
            spec[_LISTS[key]] = [v for v in value.split(",") if v]
        elif key in _KEYS:
            spec[key] = value
        else:
            fail(f"--filter: unknown key {key!r}", hint="keys: state, " + ", ".join(sorted(_KEYS)))
    return spec


def _problem(response: httpx.Response) -> None:
    try:
        body = response.json()
    except ValueError:
        fail(f"the gateway answered HTTP {response.status_code}")
    listed = body.get("sessions") or body.get("accounts") or []
    if listed:
        err_console.print("\n".join(f"  {item}" for item in listed[:20]), highlight=False)
    fail(f"[{body.get('code')}] {body.get('detail')}", hint=body.get("hint"))


def _show_preview(impact: dict[str, Any]) -> None:
    table = Table(title=f"Preview: {impact['action']} {impact['total']} session(s)")
    table.add_column("account")
    table.add_column("vendor")
    table.add_column("items", justify="right")
    table.add_column("vendor calls", justify="right")
    table.add_column("est. seconds", justify="right")
    for account in impact["accounts"]:
        seconds = account["seconds"]
        table.add_row(
            account["account"],
            account["vendor"],
            str(account["items"]),
            str(account["vendor_calls"]),
            "-" if seconds is None else f"{seconds:.1f}",
        )
    console.print(table)
    states = ", ".join(f"{k}: {v}" for k, v in sorted(impact["by_state"].items()))
    console.print(f"by state: {states or '-'}   answering now: {impact['answering_now']}")
    console.print(
        f"already in state: {impact['already_in_state']}   "
        f"refused by state: {len(impact['invalid_transition'])}"
    )
    for label, key in (
        ("need approval", "needs_approval"),
        ("[red]not permitted (the batch will be refused)[/]", "not_permitted"),
        ("[red]accounts without this verb[/]", "unsupported_accounts"),
    ):
        if impact[key]:
            console.print(f"{label}: {len(impact[key])}: " + ", ".join(impact[key][:10]))
    console.print(f"estimated duration: {impact['estimate_seconds']:.1f} s")


def _events(client: httpx.Client, batch_id: str) -> Iterator[dict[str, Any]]:
    """Progress payloads from the SSE stream; polling when the stream breaks."""
    try:
        with client.stream("GET", f"/v1/batches/{batch_id}/events", timeout=None) as stream:
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    yield json.loads(line[6:])
            return
    except httpx.HTTPError:
        pass
    while True:
        batch = client.get(f"/v1/batches/{batch_id}?page_size=0").json()
        yield {k: batch[k] for k in ("status", "item_count", "counts", "by_account")}
        if batch["status"] in ("completed", "cancelled", "rejected"):
            return
        time.sleep(0.5)


def _done(counts: dict[str, int]) -> int:
    return counts["succeeded"] + counts["failed"] + counts["skipped"]


def _watch(client: httpx.Client, batch_id: str) -> None:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
        tasks: dict[str, Any] = {}
        for event in _events(client, batch_id):
            for account, counts in event["by_account"].items():
                total = sum(counts.values()) - counts.get("in_grace", 0)
                if account not in tasks:
                    tasks[account] = progress.add_task(account, total=total)
                progress.update(tasks[account], completed=_done(counts), total=total)


def _items(client: httpx.Client, batch_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    items: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        query = f"?page_size=200&page_token={token}" if token else "?page_size=200"
        batch: dict[str, Any] = client.get(f"/v1/batches/{batch_id}{query}").json()
        items += batch.pop("items")
        token = batch.pop("next_page_token")
        if not token:
            return batch, items


def _summary(batch: dict[str, Any], items: list[dict[str, Any]]) -> None:
    counts = batch["counts"]
    console.print(
        f"batch {batch['id']}: {batch['status']} — succeeded {counts['succeeded']}, "
        f"failed {counts['failed']}, skipped {counts['skipped']}"
        + (f" (held until commit: {counts['in_grace']})" if counts["in_grace"] else ""),
        soft_wrap=True,
    )
    problems = [i for i in items if i["error"]]
    if problems:
        table = Table(title="Items that did not succeed")
        for column in ("session", "status", "error", "vendor request id"):
            table.add_column(column)
        for item in problems:
            error = item["error"]
            table.add_row(
                item["session"],
                item["status"],
                f"{error['code']}: {error.get('message') or ''}",
                item["vendor_request_id"] or "-",
            )
        console.print(table)


@handle_errors
def batch(
    action: Annotated[str, typer.Argument(help="pause, resume, terminate or revoke")],
    reason: Annotated[str, typer.Option("--reason", help="reason code, e.g. system_fault")],
    session: Annotated[
        list[str] | None, typer.Option("--session", help="a session name (repeatable)")
    ] = None,
    filter_expression: Annotated[
        str | None, typer.Option("--filter", help="e.g. 'account=a state=in_progress'")
    ] = None,
    note: Annotated[str | None, typer.Option(help="free text (required for 'other')")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    gateway: Annotated[
        str, typer.Option(envvar="INTERLOCK_GATEWAY_URL", help="the gateway's base URL")
    ] = "http://127.0.0.1:8080",
) -> None:
    """Preview ACTION on sessions (names or a filter), confirm, run it, and summarise."""
    key = os.environ.get(KEY_ENV)
    if not key:
        fail(f"{KEY_ENV} is not set", hint="export an API key from `interlock principals add`")
    if bool(session) == bool(filter_expression):
        fail("give --session NAME (repeatable) or --filter EXPR, not both or neither")
    body: dict[str, Any] = {"action": action, "reason": {"code": reason, "note": note}}
    if session:
        body["sessions"] = session
    else:
        body["filter"] = parse_filter(filter_expression or "")
    try:
        _run(gateway, key, body, yes=yes, as_json=as_json)
    except httpx.HTTPError as error:  # refused, timed out, TLS, a broken stream: one line
        fail(
            f"the gateway at {gateway} did not answer ({type(error).__name__})",
            hint="is `interlock serve` running there? (--gateway or INTERLOCK_GATEWAY_URL)",
        )


def _run(gateway: str, key: str, body: dict[str, Any], *, yes: bool, as_json: bool) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=gateway, headers=headers, timeout=120) as client:
        preview = client.post("/v1/previews", json=body)
        if preview.status_code != 200:
            _problem(preview)
        impact = preview.json()
        if not as_json:
            _show_preview(impact)
        if not yes and (as_json or not typer.confirm("Run this batch?", default=False)):
            fail("not confirmed; nothing was done", hint="pass --yes to skip the question")
        body["confirm_token"] = impact["confirm_token"]
        created = client.post(
            "/v1/batches", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        if created.status_code != 202:
            _problem(created)
        batch_id = created.json()["id"]
        if as_json:
            for _ in _events(client, batch_id):
                pass
        else:
            _watch(client, batch_id)
        final, items = _items(client, batch_id)
    if as_json:
        print_json({**final, "items": items})
    else:
        _summary(final, items)
    if final["counts"]["failed"]:
        raise typer.Exit(2)
